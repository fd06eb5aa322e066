//! Request extractors that refuse in the API's error shape.
//!
//! axum's own extractors answer a bad query, a bad path or a body over the
//! limit in plain text; these wrap them (or replace them) so every refusal
//! is `{"error": {"code", "message"}}` and names the setting involved.
//! Bodies are read here, within their limit, rather than by a
//! framework-wide layer: JSON bodies are held to `server.max_body_bytes`,
//! components to `server.max_component_bytes`.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use super::AppState;
use super::error::{ApiCode, ApiError};

/// A JSON body, required, within `server.max_body_bytes`.
pub struct JsonBody<T>(pub T);

/// A JSON body that may be empty (then `null`), within `server.max_body_bytes`.
pub struct OptionalJson(pub serde_json::Value);

/// The raw bytes of a body within `server.max_body_bytes`, whatever its
/// content type (webhook deliveries: the signature covers these bytes).
pub struct RawBody(pub Bytes);

/// A component's bytes, within `server.max_component_bytes`.
pub struct ComponentBody(pub Bytes);

/// Query parameters; a bad one is a `bad-request`.
pub struct ApiQuery<T>(pub T);

/// Path parameters; a bad one is a `bad-request`.
pub struct ApiPath<T>(pub T);

const JSON_BODY: Limit = Limit {
    setting: "server.max_body_bytes",
    env: "CAIRN_SERVER_MAX_BODY_BYTES",
};
const COMPONENT_BODY: Limit = Limit {
    setting: "server.max_component_bytes",
    env: "CAIRN_SERVER_MAX_COMPONENT_BYTES",
};

/// The setting that bounds a body, for the message that refuses one.
struct Limit {
    setting: &'static str,
    env: &'static str,
}

impl Limit {
    fn refuse(&self, size: Option<u64>, max: u64) -> ApiError {
        let size = match size {
            Some(n) => format!("{n} bytes"),
            None => format!("more than {max} bytes"),
        };
        ApiError::new(
            ApiCode::TooLarge,
            format!(
                "the body is {size}; {} is {max} (raise it in cairn.toml or with {})",
                self.setting, self.env
            ),
        )
    }
}

/// How much of a refused body is still read (and dropped) before the
/// refusal is sent: a client still writing its body when the server closes
/// the connection sees a reset instead of the answer.
const DRAIN_BYTES: u64 = 8 << 20;

/// Reads the body, refusing it once it is known to be over `max`.
async fn read_limited(req: Request, max: u64, limit: &Limit) -> Result<Bytes, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut stream = req.into_body().into_data_stream();
    if let Some(n) = declared
        && n > max
    {
        if n <= DRAIN_BYTES {
            while let Some(Ok(_)) = stream.next().await {}
        }
        return Err(limit.refuse(Some(n), max));
    }
    let mut buf = Vec::new();
    let mut seen = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::bad_request(format!("could not read the body: {e}")))?;
        seen += chunk.len() as u64;
        if seen > max {
            // Past the limit: keep reading, to drop, up to the drain bound.
            if seen > DRAIN_BYTES {
                return Err(limit.refuse(None, max));
            }
            buf.clear();
            continue;
        }
        buf.extend_from_slice(&chunk);
    }
    if seen > max {
        return Err(limit.refuse(Some(seen), max));
    }
    Ok(Bytes::from(buf))
}

/// The media type of the body, lowercased, without parameters.
fn media_type(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::CONTENT_TYPE)?;
    let s = v.to_str().unwrap_or("?");
    Some(
        s.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase(),
    )
}

/// Refuses a body whose declared type is not JSON (none is taken as JSON).
fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    match media_type(headers) {
        None => Ok(()),
        Some(t)
            if t == "application/json"
                || (t.starts_with("application/") && t.ends_with("+json")) =>
        {
            Ok(())
        }
        Some(t) => Err(ApiError::new(
            ApiCode::UnsupportedMediaType,
            format!("the body must be JSON: send Content-Type: application/json (got `{t}`)"),
        )),
    }
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
}

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        require_json(req.headers())?;
        let body = read_limited(req, state.settings.max_body_bytes, &JSON_BODY).await?;
        if body.is_empty() {
            return Err(ApiError::bad_request("the request needs a JSON body"));
        }
        parse(&body).map(JsonBody)
    }
}

impl FromRequest<AppState> for OptionalJson {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        require_json(req.headers())?;
        let body = read_limited(req, state.settings.max_body_bytes, &JSON_BODY).await?;
        if body.is_empty() {
            return Ok(OptionalJson(serde_json::Value::Null));
        }
        parse(&body).map(OptionalJson)
    }
}

impl FromRequest<AppState> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        read_limited(req, state.settings.max_body_bytes, &JSON_BODY)
            .await
            .map(RawBody)
    }
}

/// The media types a component may be sent as.
const COMPONENT_TYPES: [&str; 2] = ["application/wasm", "application/octet-stream"];

impl FromRequest<AppState> for ComponentBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        if let Some(t) = media_type(req.headers())
            && !COMPONENT_TYPES.contains(&t.as_str())
        {
            return Err(ApiError::new(
                ApiCode::UnsupportedMediaType,
                format!(
                    "the body must be the component's bytes: send Content-Type: \
                     application/wasm (got `{t}`)"
                ),
            ));
        }
        read_limited(req, state.settings.max_component_bytes, &COMPONENT_BODY)
            .await
            .map(ComponentBody)
    }
}

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| ApiQuery(q))
            .map_err(|e| ApiError::bad_request(e.body_text()))
    }
}

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(p)| ApiPath(p))
            .map_err(|e| {
                if e.status().is_client_error() {
                    ApiError::bad_request(e.body_text())
                } else {
                    ApiError::internal(e.body_text())
                }
            })
    }
}
