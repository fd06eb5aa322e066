//! `ctx.wait_for_user` and `ctx.wait_for_event`: durable waits for
//! something from outside the run. (Issue 3.)

use crate::engine::bindings::context::{Answer, Prompt, WaitError};

use super::body::BodyCx;

/// The body asked a person.
pub async fn wait_for_user(
    _cx: &mut BodyCx,
    _prompt: Prompt,
) -> wasmtime::Result<Result<Answer, WaitError>> {
    Err(wasmtime::Error::msg(
        "ctx.wait_for_user is not implemented yet",
    ))
}

/// The body waits for a signal.
pub async fn wait_for_event(
    _cx: &mut BodyCx,
    _name: String,
    _timeout_ms: Option<u64>,
) -> wasmtime::Result<Result<String, WaitError>> {
    Err(wasmtime::Error::msg(
        "ctx.wait_for_event is not implemented yet",
    ))
}
