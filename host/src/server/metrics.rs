//! `GET /metrics` (Prometheus' text format, under the API's token rule)
//! and the layer that counts every HTTP request by its route pattern.

use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{ApiResult, AppState};
use crate::metrics::{CONTENT_TYPE, Metrics, Snapshot};

/// The route of `GET /metrics`.
pub const PATH: &str = "/metrics";

/// The label of a request no route matched.
const UNMATCHED: &str = "unmatched";

/// Every family, with the store's run counts read now.
pub async fn scrape(state: AppState) -> ApiResult<Response> {
    let rt = &state.rt;
    let snapshot = Snapshot {
        runs: rt.store.run_counts().await?,
        commits: rt.store.commit_stats(),
        active_runs: rt.active_count(),
    };
    let text = rt.metrics.render(snapshot);
    Ok(([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response())
}

/// Counts a request under the route it matched (not its URL, so run ids
/// do not each make a series) once its response's head is ready.
pub async fn count(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, |p| p.as_str())
        .to_string();
    let method = req.method().clone();
    let started = std::time::Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16();
    metrics.http(&route, method.as_str(), status, started.elapsed());
    response
}
