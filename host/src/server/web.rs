//! The web page, served by the binary itself: a runs list, a run page and
//! the pending prompts, in plain HTML and JavaScript (no build step).

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::journal::{EntryKind, EventKind, RunStatus};

const INDEX: &str = include_str!("web/index.html");
const STYLE: &str = include_str!("web/style.css");
/// The scripts, by path; index.html loads them in this order.
const SCRIPTS: [(&str, &str); 5] = [
    ("/timeline.js", include_str!("web/timeline.js")),
    ("/actions.js", include_str!("web/actions.js")),
    ("/run.js", include_str!("web/run.js")),
    ("/versions.js", include_str!("web/versions.js")),
    ("/app.js", include_str!("web/app.js")),
];

fn javascript(text: String) -> axum::response::Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        text,
    )
        .into_response()
}

/// The page's routes; they carry no data, so they need no token.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let mut router = Router::new()
        .route(
            "/",
            get(|| async {
                ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], INDEX).into_response()
            }),
        )
        .route("/vocabulary.js", get(|| async { javascript(vocabulary()) }))
        .route(
            "/style.css",
            get(|| async {
                ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response()
            }),
        );
    for (path, text) in SCRIPTS {
        router = router.route(path, get(move || async move { javascript(text.into()) }));
    }
    router
}

/// The names the page matches on, from the server's own types, so the page
/// cannot drift from them: run statuses (all, terminal, retryable), event
/// kinds (the server-sent events it listens to) and journal entry kinds.
pub fn vocabulary() -> String {
    fn list<T: Copy>(items: &[T], name: impl Fn(T) -> &'static str) -> String {
        let names: Vec<&str> = items.iter().map(|&i| name(i)).collect();
        serde_json::to_string(&names).expect("names serialize")
    }
    let terminal: Vec<RunStatus> = RunStatus::ALL
        .into_iter()
        .filter(|s| s.is_terminal())
        .collect();
    let retryable: Vec<RunStatus> = RunStatus::ALL
        .into_iter()
        .filter(|s| s.can_retry())
        .collect();
    format!(
        "// Made by the server from its types (host/src/journal); not a file to edit.\n\
         const STATUSES = {};\nconst TERMINAL = {};\nconst RETRYABLE = {};\n\
         const EVENT_KINDS = {};\nconst ENTRY_KINDS = {};\n",
        list(&RunStatus::ALL, RunStatus::as_str),
        list(&terminal, RunStatus::as_str),
        list(&retryable, RunStatus::as_str),
        list(&EventKind::ALL, EventKind::as_str),
        list(&EntryKind::ALL, EntryKind::as_str),
    )
}
