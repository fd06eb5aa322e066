//! `context.http` inside a step: one request through the host's client,
//! under the policy `wasi:http` has in the same instance (the allow-list
//! and the lease gate), its response read whole. For guests whose
//! language runtime cannot bind `wasi:http`'s resources (cairn-sdk for
//! JavaScript on QuickJS).

use std::sync::OnceLock;
use std::time::Duration;

use crate::engine::bindings::types::{HttpError, HttpRequest, HttpResponse};
use crate::engine::http_policy::HttpPolicy;

/// Time for the whole exchange when the request names none.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest response body read; a larger one fails the call.
pub const MAX_BODY_BYTES: usize = 16 << 20;

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client with the default TLS roots")
    })
}

/// Sends `req` if `policy` allows its host; the whole response.
pub async fn send(policy: &HttpPolicy, req: HttpRequest) -> Result<HttpResponse, HttpError> {
    let url = reqwest::Url::parse(&req.url)
        .map_err(|e| HttpError::BadRequest(format!("`{}` is not a URL: {e}", req.url)))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(HttpError::BadRequest(format!(
            "`{}` is not an http(s) URL",
            req.url
        )));
    }
    let host = url.host_str().unwrap_or_default();
    policy.check(host, url.port()).map_err(HttpError::Denied)?;
    let method = reqwest::Method::from_bytes(req.method.as_bytes())
        .map_err(|_| HttpError::BadRequest(format!("`{}` is not an HTTP method", req.method)))?;
    let mut builder = client().request(method, url.clone()).timeout(
        req.timeout_ms
            .map_or(DEFAULT_TIMEOUT, Duration::from_millis),
    );
    for (name, value) in &req.headers {
        let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| HttpError::BadRequest(format!("`{name}` is not a header name")))?;
        let value = reqwest::header::HeaderValue::from_str(value).map_err(|_| {
            HttpError::BadRequest(format!("the value of header `{name}` is not valid"))
        })?;
        builder = builder.header(name, value);
    }
    if !req.body.is_empty() {
        builder = builder.body(req.body);
    }
    let failed = |e: reqwest::Error| HttpError::Failed(format!("{url}: {}", describe(&e)));
    let mut resp = builder.send().await.map_err(failed)?;
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(failed)? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(HttpError::Failed(format!(
                "{url}: the response body is over {} MiB",
                MAX_BODY_BYTES >> 20
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

/// The error and its causes on one line ("error sending request: connection refused").
fn describe(e: &reqwest::Error) -> String {
    let mut out = if e.is_timeout() {
        "timed out".to_string()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}
