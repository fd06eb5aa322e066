//! `POST /v1/events/{name}` and `POST /v1/webhooks/{source}`.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use sha2::{Digest, Sha256};

use super::extract::{ApiPath, OptionalJson, RawBody};
use super::signature::{self, SignatureError};
use super::views::StartedRuns;
use super::{ApiError, ApiResult, AppState};

/// Starts every workflow subscribed to the event `name`, with the body
/// (JSON) as input.
#[utoipa::path(
    post,
    path = "/v1/events/{name}",
    params(("name" = String, Path, description = "event name")),
    request_body(content = Option<serde_json::Value>, description = "the payload, given to each run as input: any JSON (none: `null`)"),
    responses(
        (status = 200, body = StartedRuns),
        (status = 400, body = super::error::ErrorBody),
        (status = 413, body = super::error::ErrorBody),
    )
)]
pub async fn emit(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    OptionalJson(payload): OptionalJson,
) -> ApiResult<Json<StartedRuns>> {
    let runs = state.rt.emit_event(&name, &payload, false).await?;
    let note = runs
        .is_empty()
        .then(|| format!("no deployed workflow subscribes to event `{name}`: nothing started"));
    Ok(Json(StartedRuns {
        subscribers: runs.len(),
        runs,
        duplicate: false,
        note,
    }))
}

/// A webhook delivery from `source`: verified when the source has a
/// secret, its event type read from the payload, and every workflow
/// subscribed to `webhook(source, event)` started — once per delivery id.
#[utoipa::path(
    post,
    path = "/v1/webhooks/{source}",
    params(("source" = String, Path, description = "the webhook source, as configured")),
    request_body(content = Object, description = "the delivery as the source sends it"),
    responses(
        (status = 200, body = StartedRuns),
        (status = 400, description = "not JSON, no event type, or a payload a subscribed workflow's input type does not take: nothing started", body = super::error::ErrorBody),
        (status = 401, description = "bad or missing signature: nothing started", body = super::error::ErrorBody),
        (status = 404, description = "unknown source", body = super::error::ErrorBody),
        (status = 413, body = super::error::ErrorBody),
    )
)]
pub async fn webhook(
    State(state): State<AppState>,
    ApiPath(source): ApiPath<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<StartedRuns>> {
    let Some(settings) = state.rt.config.webhooks.get(&source).cloned() else {
        return Err(ApiError::not_found(format!(
            "no webhook source `{source}` is configured ([webhooks.{source}] in cairn.toml)"
        )));
    };
    if !settings.secret_env.is_empty() {
        let secret = std::env::var(&settings.secret_env).map_err(|_| {
            ApiError::internal(format!(
                "webhook source `{source}` expects its secret in ${}, which is not set",
                settings.secret_env
            ))
        })?;
        let now = crate::clock::now_ms() / 1000;
        signature::verify(&settings, secret.as_bytes(), &headers, &body, now).map_err(
            |e: SignatureError| ApiError::unauthorized(format!("webhook `{source}`: {e}")),
        )?;
    }
    let payload: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))?;
    let event = payload
        .get(&settings.event_field)
        .and_then(|v| v.as_str())
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "the delivery has no string field `{}` naming its event type",
                settings.event_field
            ))
        })?
        .to_string();
    let delivery_id = ["webhook-id", "x-delivery-id"]
        .iter()
        .find_map(|h| {
            headers
                .get(*h)
                .and_then(|v| v.to_str().ok())
                .map(String::from)
        })
        .or_else(|| {
            payload.get(&settings.id_field).and_then(|v| match v {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
        })
        .unwrap_or_else(|| format!("sha256:{}", hex::encode(Sha256::digest(&body))));
    let delivery = state
        .rt
        .deliver_webhook(
            &source,
            &event,
            &delivery_id,
            &payload,
            crate::clock::now_ms(),
        )
        .await?;
    let note = delivery
        .runs
        .is_empty()
        .then(|| format!("no deployed workflow subscribes to webhook `{source}` event `{event}`"));
    Ok(Json(StartedRuns {
        subscribers: delivery.runs.len(),
        runs: delivery.runs,
        duplicate: !delivery.new,
        note,
    }))
}
