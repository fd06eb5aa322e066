//! Pending prompts, answers and signals over HTTP.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::journal::PendingPrompt;
use crate::runtime::respond::{self, AnswerInput, Answered, RespondError};

use super::runs::parse_json;
use super::{ApiError, ApiResult, AppState};

/// A prompt waiting for a person.
#[derive(Debug, Serialize, ToSchema)]
pub struct PromptView {
    pub run_id: String,
    pub workflow: String,
    pub question: String,
    /// `approval`, `text`, `choice`, `number` or `json`.
    pub input_type: String,
    /// For approval and choice: `[{id, label}]`.
    #[schema(value_type = Vec<Object>)]
    pub options: serde_json::Value,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// JSON Schema a `json` answer must satisfy.
    #[schema(value_type = Option<Object>)]
    pub schema: Option<serde_json::Value>,
    /// Given on timeout.
    #[schema(value_type = Option<Object>)]
    pub default: Option<serde_json::Value>,
    /// Shown with the question.
    #[schema(value_type = Option<Object>)]
    pub context: Option<serde_json::Value>,
    pub asked_at: i64,
    pub deadline: Option<i64>,
    /// What a fitting answer looks like, in words.
    pub fits: String,
}

impl From<&PendingPrompt> for PromptView {
    fn from(p: &PendingPrompt) -> Self {
        let r = &p.prompt;
        PromptView {
            run_id: p.run_id.clone(),
            workflow: p.workflow.clone(),
            question: r.question.clone(),
            input_type: r.input_type.clone(),
            options: serde_json::to_value(&r.options).unwrap_or_default(),
            min: r.min,
            max: r.max,
            schema: r.schema.clone(),
            default: r.default.clone(),
            context: r.context.clone(),
            asked_at: p.asked_at,
            deadline: r.deadline,
            fits: crate::runtime::human::what_fits(r),
        }
    }
}

/// The pending prompts.
#[derive(Debug, Serialize, ToSchema)]
pub struct PromptList {
    pub prompts: Vec<PromptView>,
}

/// Lists the prompts waiting for an answer, oldest first.
#[utoipa::path(get, path = "/v1/prompts", responses((status = 200, body = PromptList)))]
pub async fn list(State(state): State<AppState>) -> ApiResult<Json<PromptList>> {
    let pending = state.rt.store.pending_prompts(None)?;
    Ok(Json(PromptList {
        prompts: pending
            .iter()
            .filter(|p| p.status == crate::journal::RunStatus::Waiting)
            .map(PromptView::from)
            .collect(),
    }))
}

/// An answer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RespondRequest {
    /// The answer as JSON: an option id (a string), a number, text, or any
    /// JSON for a `json` prompt.
    #[schema(value_type = Object)]
    pub value: serde_json::Value,
    /// Who answers (default `api`).
    pub by: Option<String>,
}

/// The accepted answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsweredView {
    pub run_id: String,
    #[schema(value_type = Object)]
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
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<AnsweredView>> {
    let req: RespondRequest = parse_json(&state, &body)?;
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
    request_body(content = Object, description = "the payload"),
    responses(
        (status = 200, body = Signalled),
        (status = 400, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody),
        (status = 409, description = "the run already ended", body = super::error::ErrorBody),
    )
)]
pub async fn signal(
    State(state): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Signalled>> {
    let payload: serde_json::Value = if body.is_empty() {
        serde_json::Value::Null
    } else {
        parse_json(&state, &body)?
    };
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
