//! A small blocking HTTP client for step bodies, over `wasi:http` (built on
//! the `wstd` runtime and the `wasip2` bindings). Enabled by the default
//! `http` feature.
//!
//! Outbound HTTP is a step's business: the host allows it only inside a
//! step, and only to the hosts allow-listed for the workflow. Anywhere else
//! the request fails with an [`HttpError`] that carries the host's message
//! saying so; with `?` in a step that is a fatal [`StepError`](crate::StepError),
//! since no retry gets past it. Connection failures, timeouts, 408, 429 and
//! 5xx are retryable ones.
//!
//! Inside a step every request carries an `Idempotency-Key` header with the
//! step's key (`<run-id>/<step>/<occurrence>`, the same for every attempt),
//! unless the request sets one itself, so a service that deduplicates on it
//! sees a retried attempt as the same request.
//!
//! ```no_run
//! use cairn_sdk::prelude::*;
//!
//! #[step(max_attempts = 5)]
//! fn charge(order_id: String, amount: f64) -> Result<Value, StepError> {
//!     let reply = cairn_sdk::http::post_json(
//!         "https://payments.example/charges",
//!         &json!({ "order_id": order_id, "amount": amount }),
//!     )?
//!     .error_for_status()?;
//!     Ok(reply.json()?)
//! }
//! ```

mod error;
mod request;
mod response;
mod wire;

pub use error::HttpError;
pub use request::{Method, Request};
pub use response::Response;

/// Sends a `GET` request.
///
/// ```no_run
/// # fn f() -> Result<(), cairn_sdk::http::HttpError> {
/// let page = cairn_sdk::http::get("https://example.com/")?.text()?;
/// # Ok(()) }
/// ```
pub fn get(url: &str) -> Result<Response, HttpError> {
    Request::get(url).send()
}

/// Sends a `POST` request with `body` as JSON (`Content-Type:
/// application/json`).
///
/// ```no_run
/// # fn f() -> Result<(), cairn_sdk::http::HttpError> {
/// use cairn_sdk::serde_json::json;
/// let reply = cairn_sdk::http::post_json("https://example.com/hook", &json!({"ok": true}))?;
/// assert!(reply.is_success());
/// # Ok(()) }
/// ```
pub fn post_json<T: serde::Serialize + ?Sized>(url: &str, body: &T) -> Result<Response, HttpError> {
    Request::post(url).json(body).send()
}
