//! `ctx.spawn` / `join`: steps running concurrently on the host, journaled
//! as they complete, joined in submission order. (Issue 4.)

use crate::engine::bindings::context::{SpawnOptions, StepFailure};

use super::body::BodyCx;

/// The body spawned a step.
pub async fn spawn(
    _cx: &mut BodyCx,
    _name: String,
    _input: String,
    _options: SpawnOptions,
) -> wasmtime::Result<u32> {
    Err(wasmtime::Error::msg("ctx.spawn is not implemented yet"))
}

/// The body joins a spawned step.
pub async fn join(_cx: &mut BodyCx, _handle: u32) -> wasmtime::Result<Result<String, StepFailure>> {
    Err(wasmtime::Error::msg("join is not implemented yet"))
}
