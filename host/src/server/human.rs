//! Pending prompts, answers and signals over HTTP.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::runtime::respond::{self, AnswerInput, Answered, RespondError};

use super::extract::{ApiPath, JsonBody, OptionalJson};
use super::views::{PromptList, PromptView};
use super::{ApiError, ApiResult, AppState};

/// Lists the prompts waiting for an answer, oldest first: the list
/// `cairn prompts --json` gives, in the same shape.
#[utoipa::path(get, path = "/v1/prompts", responses((status = 200, body = PromptList)))]
pub async fn list(State(state): State<AppState>) -> ApiResult<Json<PromptList>> {
    let pending = state.rt.store.pending_prompts(None).await?;
    let now = crate::clock::now_ms();
    Ok(Json(PromptList {
        prompts: pending.iter().map(|p| PromptView::new(p, now)).collect(),
    }))
}

/// An answer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RespondRequest {
    /// The answer as JSON: an option id (a string), a number, text, or any
    /// JSON for a `json` prompt.
    pub value: serde_json::Value,
    /// Who answers (default `api`).
    pub by: Option<String>,
}

/// The accepted answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsweredView {
    pub run_id: String,
    pub value: serde_json::Value,
    pub by: String,
    pub at: i64,
}

impl From<Answered> for AnsweredView {
    fn from(a: Answered) -> Self {
        AnsweredView {
            run_id: a.run_id,
            value: a.value,
            by: a.by,
            at: a.at,
        }
    }
}

fn api_error(e: RespondError) -> ApiError {
    match e {
        RespondError::UnknownRun(id) => ApiError::unknown_run(&id),
        RespondError::Refused(m) => ApiError::bad_request(m),
        RespondError::NotWaiting(m) | RespondError::AlreadyAnswered(m) => ApiError::conflict(m),
        RespondError::Store(s) => s.into(),
    }
}

/// Answers the run's pending prompt, with the same checks as
/// `cairn respond`; durable when the response arrives.
#[utoipa::path(
    post,
    path = "/v1/runs/{id}/respond",
    params(("id" = String, Path, description = "run id")),
    request_body = RespondRequest,
    responses(
        (status = 200, body = AnsweredView),
        (status = 400, description = "the answer does not fit the prompt: the message says what would", body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody),
        (status = 409, description = "already answered, or the run is not waiting", body = super::error::ErrorBody),
    )
)]
pub async fn respond(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    JsonBody(req): JsonBody<RespondRequest>,
) -> ApiResult<Json<AnsweredView>> {
    let by = req.by.unwrap_or_else(|| "api".into());
    let answered = respond::respond(&*state.rt.store, &id, AnswerInput::Json(req.value), &by)
        .await
        .map_err(api_error)?;
    state.rt.notify_work();
    Ok(Json(answered.into()))
}

/// What a signal did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Signalled {
    pub run_id: String,
    pub signal: String,
    /// The run's status when the signal arrived (`waiting`: it resumes now;
    /// otherwise the signal is kept until the run waits for it).
    pub run_status: String,
}

/// Sends a signal to a run's `wait_for_event`; the body is its JSON payload.
#[utoipa::path(
    post,
    path = "/v1/runs/{id}/signals/{name}",
    params(("id" = String, Path, description = "run id"), ("name" = String, Path, description = "signal name")),
    request_body(content = Option<serde_json::Value>, description = "the payload: any JSON (none: `null`)"),
    responses(
        (status = 200, body = Signalled),
        (status = 400, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody),
        (status = 409, description = "the run already ended", body = super::error::ErrorBody),
    )
)]
pub async fn signal(
    State(state): State<AppState>,
    ApiPath((id, name)): ApiPath<(String, String)>,
    OptionalJson(payload): OptionalJson,
) -> ApiResult<Json<Signalled>> {
    let status = respond::signal(&*state.rt.store, &id, &name, &payload, "api")
        .await
        .map_err(api_error)?;
    state.rt.notify_work();
    Ok(Json(Signalled {
        run_id: id,
        signal: name,
        run_status: status.as_str().into(),
    }))
}
