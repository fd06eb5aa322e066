//! `ctx.llm` inside a step: part of the step, not journaled on its own.
//! (Issue 3.)

use crate::engine::bindings::context::{LlmError, LlmRequest, LlmResponse};

use super::step::StepState;

/// A step called an LLM.
pub async fn llm(
    _state: &mut StepState,
    _request: LlmRequest,
) -> wasmtime::Result<Result<LlmResponse, LlmError>> {
    Err(wasmtime::Error::msg("llm calls are not implemented yet"))
}
