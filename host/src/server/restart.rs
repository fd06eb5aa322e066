//! `POST /v1/runs/{id}/restart?from=SEQ`: a new run whose journal is a copy
//! of the run's entries before `SEQ` (what `cairn runs restart` does; the
//! serve loop executes it).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{ApiPath, ApiQuery};
use super::views::RunView;
use crate::runtime::{RestartError, RestartOptions, UpgradeError};

/// From where, and on which version.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RestartQuery {
    /// The journal position: entries before it are copied, the one at it
    /// and later run live (0 to the journal's length).
    pub from: u32,
    /// The version to run on (sha or unique prefix); the workflow's active
    /// version by default.
    #[param(pattern = "^[0-9a-f]{1,64}$")]
    pub to: Option<String>,
    /// The bearer token, for clients that cannot send a header.
    #[param(ignore)]
    #[serde(default)]
    #[allow(dead_code)]
    pub token: Option<String>,
}

/// Restarts a run from a journal position as a new run, linked to it; the
/// original is left as it was.
#[utoipa::path(
    post,
    path = "/v1/runs/{id}/restart",
    params(("id" = String, Path, description = "run id"), RestartQuery),
    responses(
        (status = 201, description = "the new run, pending", body = RunView),
        (status = 400, description = "`from` past the journal's end, or a version without the run's workflow", body = super::error::ErrorBody),
        (status = 404, description = "no such run or version", body = super::error::ErrorBody),
        (status = 409, description = "the run state at `from` cannot be rebuilt", body = super::error::ErrorBody),
    )
)]
pub async fn restart(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<RestartQuery>,
) -> ApiResult<(StatusCode, Json<RunView>)> {
    let options = RestartOptions {
        to: q.to,
        owned: false,
    };
    let run = state.rt.restart(&id, q.from, &options).await?;
    Ok((StatusCode::CREATED, Json(RunView::brief(&run))))
}

impl From<RestartError> for ApiError {
    fn from(e: RestartError) -> Self {
        match e {
            RestartError::UnknownRun(id) => ApiError::unknown_run(&id),
            RestartError::Store(s) => s.into(),
            RestartError::Version(
                UpgradeError::UnknownVersion(_) | UpgradeError::UnknownRun(_),
            ) => ApiError::not_found(e.to_string()),
            RestartError::Version(v) => v.into(),
            RestartError::NoSuchSeq { .. } => ApiError::bad_request(e.to_string()),
            RestartError::StateNotJournaled { .. } => ApiError::conflict(e.to_string()),
        }
    }
}
