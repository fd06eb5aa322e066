//! `POST /v1/runs/{id}/retry`: a failed run gets a new activation from its
//! journal (what `cairn retry` does; the serve loop executes it).

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{ApiPath, ApiQuery};
use crate::runtime::{RetryError, UpgradeError};

/// Where to retry a run.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RetryQuery {
    /// Move the run to this version first (sha or unique prefix), after a
    /// replay check.
    #[param(pattern = "^[0-9a-f]{1,64}$")]
    pub to: Option<String>,
    /// With `to`: move even when the check is not clean.
    pub force: Option<bool>,
    /// The bearer token, for clients that cannot send a header.
    #[param(ignore)]
    #[serde(default)]
    #[allow(dead_code)]
    pub token: Option<String>,
}

/// What a retry did: the run is pending again.
#[derive(Debug, Serialize, ToSchema)]
pub struct Retried {
    pub run_id: String,
    /// The status the run had (`failed` or `diverged`).
    pub previous: String,
    /// Always `pending`: a worker takes it like a new run.
    pub status: String,
    /// The version the run is on now.
    pub version: String,
    /// The version it was on, when `to` moved it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<String>,
    /// The replay check against `to`, for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    /// Moved although the check was not clean.
    pub forced: bool,
}

/// Gives a failed (or diverged) run a new activation from its journal,
/// under the configuration now in force; completed steps are not rerun.
#[utoipa::path(
    post,
    path = "/v1/runs/{id}/retry",
    params(("id" = String, Path, description = "run id"), RetryQuery),
    responses(
        (status = 200, body = Retried),
        (status = 400, description = "bad version or a version without the run's workflow", body = super::error::ErrorBody),
        (status = 404, description = "no such run or version", body = super::error::ErrorBody),
        (status = 409, description = "the run did not fail, or the check against `to` is not clean", body = super::error::ErrorBody),
    )
)]
pub async fn retry(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<RetryQuery>,
) -> ApiResult<Json<Retried>> {
    let force = q.force.unwrap_or(false);
    if force && q.to.is_none() {
        return Err(ApiError::bad_request("`force` needs `to`"));
    }
    let r = state.rt.retry(&id, q.to.as_deref(), force).await?;
    Ok(Json(Retried {
        run_id: r.run_id,
        previous: r.previous.as_str().into(),
        status: "pending".into(),
        version: r.version,
        moved_from: r.moved_from,
        check: r.check.map(|c| c.describe()),
        forced: r.forced,
    }))
}

impl From<RetryError> for ApiError {
    fn from(e: RetryError) -> Self {
        match e {
            RetryError::UnknownRun(id) => ApiError::unknown_run(&id),
            RetryError::Store(s) => s.into(),
            RetryError::Version(UpgradeError::UnknownVersion(_) | UpgradeError::UnknownRun(_)) => {
                ApiError::not_found(e.to_string())
            }
            RetryError::Version(v) => v.into(),
            RetryError::NotEnded(..) | RetryError::Finished(..) | RetryError::NotClean { .. } => {
                ApiError::conflict(e.to_string())
            }
        }
    }
}
