//! `ctx.llm` in the body: journaled, so a replay never calls the provider
//! again. (Issue 3.)

use crate::engine::bindings::context::{LlmError, LlmRequest, LlmResponse};

use super::body::BodyCx;

/// The body called an LLM.
pub async fn llm(
    _cx: &mut BodyCx,
    _request: LlmRequest,
) -> wasmtime::Result<Result<LlmResponse, LlmError>> {
    Err(wasmtime::Error::msg("ctx.llm is not implemented yet"))
}
