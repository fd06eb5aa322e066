//! `GET /v1/runs/{id}/events`: the run's events as server-sent events,
//! until the run ends. `Last-Event-ID` resumes after an event.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};

use super::extract::ApiPath;
use super::views::EventView;
use super::{ApiError, ApiResult, AppState};
use crate::journal::EventKind;

/// One server-sent event as a client reads it.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct SseFrame {
    /// The event's id (send it back as `Last-Event-ID` to resume).
    pub id: String,
    /// The event's kind, the same as `data.kind`.
    pub event: EventKind,
    /// An `EventView` (in the document's schemas), as JSON.
    #[schema(content_media_type = "application/json")]
    pub data: String,
}

struct Cursor {
    state: AppState,
    run_id: String,
    after: i64,
    pending: std::collections::VecDeque<EventView>,
    done: bool,
}

/// Streams a run's events (status changes, steps, logs, `emit`, prompts,
/// completion) as they are written.
#[utoipa::path(
    get,
    path = "/v1/runs/{id}/events",
    params(("id" = String, Path, description = "run id")),
    responses(
        (status = 200, description = "a text/event-stream; each event's `data` is an EventView as JSON", content_type = "text/event-stream", body = SseFrame),
        (status = 404, body = super::error::ErrorBody),
    )
)]
pub async fn events(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    if state.rt.store.run(&id).await?.is_none() {
        return Err(ApiError::unknown_run(&id));
    }
    let after = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let cursor = Cursor {
        state,
        run_id: id,
        after,
        pending: Default::default(),
        done: false,
    };
    let stream = stream::unfold(cursor, |mut c| async move {
        loop {
            if let Some(e) = c.pending.pop_front() {
                let event = Event::default()
                    .id(e.id.to_string())
                    .event(e.kind.as_str())
                    .json_data(&e)
                    .unwrap_or_else(|_| Event::default().comment("unserializable event"));
                return Some((Ok(event), c));
            }
            if c.done {
                return None;
            }
            // Read the status first: events written before it are then all
            // visible to the read that follows.
            let ended = match c.state.rt.store.run(&c.run_id).await {
                Ok(Some(r)) => r.status.is_terminal(),
                _ => true,
            };
            match c.state.rt.store.events(&c.run_id, c.after).await {
                Ok(list) => {
                    for e in list {
                        c.after = e.id;
                        c.pending.push_back(EventView::from(e));
                    }
                }
                Err(_) => return None,
            }
            if ended {
                c.done = true;
                continue;
            }
            if c.pending.is_empty() {
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
