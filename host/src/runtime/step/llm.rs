//! `ctx.llm` inside a step: part of the step, not journaled on its own
//! (the step's result is; its retries apply). Token usage is still added
//! to the run's totals as each call returns, since it is billed whether
//! or not the attempt succeeds.

use crate::error_code::ErrorCode;
use std::sync::Arc;

use crate::engine::bindings::context::{LlmError, LlmRequest, LlmResponse};
use crate::engine::bindings::types::ErrorInfo;
use crate::engine::http_policy::Gate;
use crate::journal::{LlmUsage, Storage, WriteOp};
use crate::llm::Providers;

use super::StepState;
use crate::runtime::body::llm::{llm_event, to_chat_request, to_wit_error, to_wit_response};

/// What a step attempt needs to call providers: the registry, and where
/// to count the tokens.
pub struct StepLlm {
    pub providers: Arc<Providers>,
    pub store: Arc<dyn Storage>,
    pub run_id: String,
    pub step: String,
    /// The attempt's lease check: no call once the run may be lost.
    pub gate: Gate,
}

/// A step called an LLM.
pub async fn llm(
    state: &mut StepState,
    request: LlmRequest,
) -> wasmtime::Result<Result<LlmResponse, LlmError>> {
    let Some(h) = state.llm.clone() else {
        return Ok(Err(LlmError::NotConfigured(
            "LLM calls are not available in this step instance".into(),
        )));
    };
    let chat = match to_chat_request(&request) {
        Ok(c) => c,
        Err(e) => return Ok(Err(e)),
    };
    if let Err(message) = (h.gate.0)() {
        return Ok(Err(LlmError::Provider(ErrorInfo {
            code: ErrorCode::LeaseLapsed.into(),
            message,
            details: None,
        })));
    }
    let started = std::time::Instant::now();
    match h.providers.chat(&chat).await {
        Ok(reply) => {
            let ev = llm_event(
                &request.model,
                &reply,
                started.elapsed().as_millis() as u64,
                Some(&h.step),
            );
            let write = h.store.write(WriteOp::AddLlmUsage {
                run_id: h.run_id.clone(),
                usage: LlmUsage {
                    calls: 1,
                    input_tokens: u64::from(reply.usage.input_tokens),
                    output_tokens: u64::from(reply.usage.output_tokens),
                },
                events: vec![ev],
            });
            if let Err(e) = write.await {
                tracing::warn!(error = %e, "recording a step's token usage failed");
            }
            Ok(Ok(to_wit_response(reply)))
        }
        Err(e) => Ok(Err(to_wit_error(&e))),
    }
}
