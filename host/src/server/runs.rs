//! Runs: start, get, list, journal, cancel.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::journal::{RunFilter, RunStatus};
use crate::runtime::StartOptions;

use super::extract::{ApiPath, ApiQuery, JsonBody};
use super::views::{
    EntryView, JournalQuery, JournalView, MAX_JOURNAL_PAGE, MAX_PAGE, MAX_SEQ, RunPage, RunQuery,
    RunView, kv_object,
};
use super::{ApiError, ApiResult, AppState, started};

/// A run to start.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartRun {
    pub workflow: String,
    /// The input (any JSON; default `null`).
    #[serde(default)]
    pub input: serde_json::Value,
    /// Runs sharing a session share session state (`cairn run --session`).
    /// `session_id` is accepted as another name for it.
    #[serde(alias = "session_id")]
    pub session: Option<String>,
    /// Starting again with the same key returns the same run.
    pub idempotency_key: Option<String>,
}

/// Starts a run; a worker of this server executes it.
#[utoipa::path(
    post,
    path = "/v1/runs",
    request_body = StartRun,
    responses(
        (status = 201, description = "started", body = RunView),
        (status = 200, description = "the run started earlier with this idempotency key", body = RunView),
        (status = 400, description = "malformed request", body = super::error::ErrorBody),
        (status = 404, description = "no deployed version exports the workflow", body = super::error::ErrorBody),
        (status = 413, description = "larger than server.max_body_bytes", body = super::error::ErrorBody),
        (status = 415, description = "not JSON", body = super::error::ErrorBody),
    )
)]
pub async fn start(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<StartRun>,
) -> ApiResult<(StatusCode, Json<RunView>)> {
    let options = StartOptions {
        session_id: req.session,
        idempotency_key: req.idempotency_key,
        owned: false,
    };
    let (run, existing) = state
        .rt
        .start_run(&req.workflow, &req.input.to_string(), options)
        .await?;
    let status = if existing {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(RunView::brief(&run))))
}

/// Lists runs, newest first.
#[utoipa::path(
    get,
    path = "/v1/runs",
    params(RunQuery),
    responses(
        (status = 200, body = RunPage),
        (status = 400, description = "bad filter or cursor", body = super::error::ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<RunQuery>,
) -> ApiResult<Json<RunPage>> {
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(RunStatus::parse(s).ok_or_else(|| {
            let all: Vec<_> = RunStatus::ALL.iter().map(|s| s.as_str()).collect();
            ApiError::bad_request(format!("unknown status `{s}`; one of {}", all.join(", ")))
        })?),
    };
    let before = match q.cursor.as_deref() {
        None => None,
        Some(c) => Some(parse_cursor(c).ok_or_else(|| {
            ApiError::bad_request(format!(
                "`{c}` is not a cursor from this API: pass the `next_cursor` of a page"
            ))
        })?),
    };
    for (name, t) in [
        ("created_after", q.created_after),
        ("created_before", q.created_before),
    ] {
        if let Some(t) = t.filter(|&t| t < 0) {
            return Err(ApiError::bad_request(format!(
                "{name} is {t}; a time is Unix milliseconds, 0 or more"
            )));
        }
    }
    // Created before a time: the same bound as a cursor, whichever is lower.
    let before = match (before, q.created_before) {
        (Some(c), Some(t)) => Some(c.min((t, String::new()))),
        (c, t) => c.or(t.map(|t| (t, String::new()))),
    };
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit is {limit}; a page holds 1 to {MAX_PAGE} runs"
        )));
    }
    let runs = state
        .rt
        .store
        .list_runs(&RunFilter {
            status,
            workflow: q.workflow.filter(|w| !w.is_empty()),
            session_id: q.session.filter(|s| !s.is_empty()),
            limit: Some(limit + 1),
            before,
        })
        .await?;
    // Newest first: the runs created since a time are a prefix of the list.
    let total = runs.len();
    let runs: Vec<_> = runs
        .into_iter()
        .take_while(|r| q.created_after.is_none_or(|t| r.created_at >= t))
        .collect();
    let more = runs.len() > limit as usize && runs.len() == total;
    let page: Vec<_> = runs.into_iter().take(limit as usize).collect();
    let next_cursor = if more {
        page.last().map(|r| format!("{}:{}", r.created_at, r.id))
    } else {
        None
    };
    Ok(Json(RunPage {
        runs: page.iter().map(RunView::brief).collect(),
        next_cursor,
    }))
}

/// A `next_cursor`: the creation time and id of the last run of a page,
/// `AT:ID`, as `RunQuery::cursor`'s pattern documents it.
fn parse_cursor(c: &str) -> Option<(i64, String)> {
    let (at, id) = c.split_once(':')?;
    let digits = |s: &str, max: usize| !s.is_empty() && s.len() <= max;
    let id_ok = digits(id, 64) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let at_ok = digits(at, 15) && at.bytes().all(|b| b.is_ascii_digit());
    (id_ok && at_ok).then(|| Some((at.parse().ok()?, id.to_string())))?
}

/// One run, with its state.
#[utoipa::path(
    get,
    path = "/v1/runs/{id}",
    params(("id" = String, Path, description = "run id")),
    responses((status = 200, body = RunView), (status = 404, body = super::error::ErrorBody))
)]
pub async fn get(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<RunView>> {
    let run = state
        .rt
        .store
        .run(&id)
        .await?
        .ok_or_else(|| ApiError::unknown_run(&id))?;
    let mut view = RunView::brief(&run);
    view.state = Some(kv_object(&state.rt.store.run_state(&id).await?));
    if let Some(s) = &run.session_id {
        view.session_state = Some(kv_object(&state.rt.store.session_state(s).await?));
    }
    Ok(Json(view))
}

/// A run's journal, a page at a time: `after` the last seq a reader has,
/// so a page showing a live run fetches only what is new.
#[utoipa::path(
    get,
    path = "/v1/runs/{id}/journal",
    params(("id" = String, Path, description = "run id"), JournalQuery),
    responses((status = 200, body = JournalView), (status = 404, body = super::error::ErrorBody))
)]
pub async fn journal(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<JournalQuery>,
) -> ApiResult<Json<JournalView>> {
    let limit = q.limit.unwrap_or(MAX_JOURNAL_PAGE);
    if !(1..=MAX_JOURNAL_PAGE).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit is {limit}; a page holds 1 to {MAX_JOURNAL_PAGE} entries"
        )));
    }
    if let Some(after) = q.after.filter(|&a| a > MAX_SEQ) {
        return Err(ApiError::bad_request(format!(
            "after is {after}; a seq is at most {MAX_SEQ}"
        )));
    }
    if state.rt.store.run(&id).await?.is_none() {
        return Err(ApiError::unknown_run(&id));
    }
    let mut entries = state.rt.store.journal_page(&id, q.after, limit + 1).await?;
    let more = entries.len() > limit as usize;
    entries.truncate(limit as usize);
    let next_after = if more {
        entries.last().map(|e| e.seq)
    } else {
        None
    };
    let starts = if started::wanted(&entries) {
        started::started_at(&entries, &state.rt.store.events(&id, 0).await?)
    } else {
        vec![None; entries.len()]
    };
    let views = entries
        .iter()
        .zip(starts)
        .map(|(e, started_at)| EntryView {
            started_at,
            ..EntryView::from(e)
        })
        .collect();
    Ok(Json(JournalView {
        run_id: id,
        entries: views,
        next_after,
    }))
}

/// What a cancel did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Cancelled {
    pub run_id: String,
    /// The status the run had.
    pub previous: String,
}

/// Cancels a run; steps in flight are abandoned and not retried.
#[utoipa::path(
    post,
    path = "/v1/runs/{id}/cancel",
    params(("id" = String, Path, description = "run id")),
    responses(
        (status = 200, body = Cancelled),
        (status = 404, body = super::error::ErrorBody),
        (status = 409, description = "the run already ended", body = super::error::ErrorBody),
    )
)]
pub async fn cancel(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Cancelled>> {
    if state.rt.store.run(&id).await?.is_none() {
        return Err(ApiError::unknown_run(&id));
    }
    let previous = state.rt.cancel(&id).await?;
    if previous.is_terminal() {
        return Err(ApiError::conflict(format!(
            "run {id} already ended ({previous})"
        )));
    }
    Ok(Json(Cancelled {
        run_id: id,
        previous: previous.as_str().into(),
    }))
}
