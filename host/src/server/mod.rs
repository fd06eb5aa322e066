//! The HTTP side of `cairn serve`: a JSON API under `/v1` (documented by
//! `/v1/openapi.json`, generated from the handlers), server-sent events per
//! run, event and webhook triggers, and the web page.
//!
//! It listens on loopback by default; on any other address it refuses to
//! start without a bearer token, and then every request but webhooks (which
//! carry signatures) and the page's static files must present it
//! (`GET /metrics` too).

mod error;
mod extract;
mod human;
mod metrics;
mod restart;
mod retry;
mod runs;
pub mod schedules;
pub mod signature;
mod sse;
mod started;
mod triggers;
mod versions;
pub mod views;
mod web;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{Method, Uri};
use axum::middleware::Next;
use axum::response::Response;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::config::ServerSettings;
use crate::runtime::Runtime;

pub use error::{ApiCode, ApiError, ApiResult};

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    pub rt: Arc<Runtime>,
    pub settings: Arc<ServerSettings>,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(
        "`{0}` is not an address to listen on (expected host:port, e.g. 127.0.0.1:7370 or \
         localhost:7370)"
    )]
    BadAddress(String),
    #[error(
        "refusing to listen on {0} without a token: set server.token in cairn.toml or \
         CAIRN_SERVER_TOKEN (loopback addresses need none)"
    )]
    TokenRequired(SocketAddr),
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    #[error("the server stopped: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "cairn",
        description = "The HTTP API of the cairn durable workflow host.",
        version = "0.1.0"
    ),
    // The `data` of every server-sent event (`GET /v1/runs/{id}/events`).
    components(schemas(views::EventView))
)]
struct ApiDoc;

/// The API router and its OpenAPI document.
pub fn api(state: AppState) -> (Router, utoipa::openapi::OpenApi) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(versions::deploy, versions::list))
        .routes(routes!(runs::start, runs::list))
        .routes(routes!(runs::get))
        .routes(routes!(runs::journal))
        .routes(routes!(runs::cancel))
        .routes(routes!(retry::retry))
        .routes(routes!(restart::restart))
        .routes(routes!(sse::events))
        .routes(routes!(human::list))
        .routes(routes!(human::respond))
        .routes(routes!(human::signal))
        .routes(routes!(triggers::emit))
        .routes(routes!(triggers::webhook))
        .routes(routes!(schedules::list))
        .with_state(state.clone())
        .split_for_parts();
    let doc = with_error_default(doc);
    let doc_json = doc.clone();
    let router = router
        .route(
            "/v1/openapi.json",
            axum::routing::get(move || {
                let doc = doc_json.clone();
                async move { axum::Json(doc) }
            }),
        )
        .route(metrics::PATH, {
            let state = state.clone();
            axum::routing::get(move || metrics::scrape(state.clone()))
        })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            authorize,
        ))
        .merge(web::router())
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.rt.metrics.clone(),
            metrics::count,
        ));
    (router, doc)
}

/// Documents the error shape as every operation's `default` response: any
/// status an operation does not list (400 for a bad query, 401 without
/// the token, 413, 415, 500) comes with an `ErrorBody`.
fn with_error_default(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let error = ResponseBuilder::new()
        .description("an error: `{\"error\": {\"code\", \"message\"}}`")
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build();
    for item in doc.paths.paths.values_mut() {
        let ops = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.delete,
            &mut item.patch,
        ];
        for op in ops.into_iter().flatten() {
            op.responses
                .responses
                .entry("default".into())
                .or_insert_with(|| error.clone().into());
        }
    }
    doc
}

/// A path no route matches.
async fn unknown_route(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(format!(
        "no route for {method} {}; /v1/openapi.json lists the API",
        uri.path()
    ))
}

/// A route that does not take the request's method (the `Allow` header
/// lists those it takes).
async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        ApiCode::MethodNotAllowed,
        format!(
            "{} does not take {method}; the Allow header lists the methods it takes",
            uri.path()
        ),
    )
}

/// Checks the bearer token, when one is configured.
async fn authorize(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let token = &state.settings.token;
    if token.is_empty() || req.uri().path().starts_with("/v1/webhooks/") {
        return next.run(req).await;
    }
    let header = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    // EventSource cannot set headers: the page passes the token in the query.
    let query = req.uri().query().and_then(|q| {
        q.split('&')
            .find_map(|kv| kv.strip_prefix("token="))
            .map(str::to_string)
    });
    let given = header.map(str::to_string).or(query);
    match given {
        Some(g) if constant_time_eq(g.as_bytes(), token.as_bytes()) => next.run(req).await,
        Some(_) => axum::response::IntoResponse::into_response(ApiError::unauthorized(
            "the bearer token is not valid",
        )),
        None => axum::response::IntoResponse::into_response(ApiError::unauthorized(
            "this server needs a bearer token (Authorization: Bearer …)",
        )),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Parses (or resolves: `localhost:7370`) the listen address and applies
/// the token rule. A name counts as loopback when every address it
/// resolves to is loopback; of its addresses an IPv4 one is taken first.
pub fn check_listen(settings: &ServerSettings) -> Result<SocketAddr, ServerError> {
    use std::net::ToSocketAddrs;
    let text = &settings.listen;
    let bad = || ServerError::BadAddress(text.clone());
    let mut addrs: Vec<SocketAddr> = match text.parse::<SocketAddr>() {
        Ok(a) => vec![a],
        Err(_) => text.to_socket_addrs().map_err(|_| bad())?.collect(),
    };
    addrs.sort_by_key(|a| !a.is_ipv4());
    let addr = *addrs.first().ok_or_else(bad)?;
    if !addrs.iter().all(|a| a.ip().is_loopback()) && settings.token.is_empty() {
        return Err(ServerError::TokenRequired(addr));
    }
    Ok(addr)
}

/// Serves the API on `settings.listen` until `stop` resolves.
pub async fn serve(
    rt: Arc<Runtime>,
    settings: ServerSettings,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<SocketAddr, ServerError> {
    let addr = check_listen(&settings)?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| ServerError::Bind(addr, e))?;
    let local = listener.local_addr()?;
    let state = AppState {
        rt,
        settings: Arc::new(settings),
    };
    let (router, _) = api(state);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router)
            .with_graceful_shutdown(stop)
            .await
        {
            tracing::error!(error = %e, "the HTTP server stopped");
        }
    });
    Ok(local)
}
