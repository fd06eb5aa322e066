//! One step attempt: a fresh instance, the `run-step` call under the step's
//! timeout, and how it ended, with what it printed and logged.

use crate::error_code::ErrorCode;
use std::time::Duration;

use crate::engine::CairnEngine;
use crate::engine::bindings::types as wit;
use crate::engine::http_policy::Gate;
use crate::engine::limits::{LimitExceeded, LimitKind, Limits};
use crate::engine::output::Stream;
use crate::journal::ErrorRecord;
use crate::runtime::versions::LoadedVersion;

use super::StepState;

/// How one attempt ended.
#[derive(Debug)]
pub enum AttemptResult {
    Ok(String),
    /// Failed; `retryable` says whether another attempt may help.
    Failed {
        error: ErrorRecord,
        retryable: bool,
    },
}

/// What an attempt printed or logged: (stream or level, line).
pub type AttemptLogs = Vec<(String, String)>;

/// Everything an attempt needs.
pub struct AttemptSpec<'a> {
    pub version: &'a LoadedVersion,
    pub step: &'a str,
    pub input: &'a str,
    pub context: wit::StepContext,
    pub timeout: Duration,
    pub env: &'a [(String, String)],
    pub allow_http: std::sync::Arc<[String]>,
    pub limits: &'a Limits,
    /// Provider access for `ctx.llm` inside the step.
    pub llm: Option<std::sync::Arc<super::llm::StepLlm>>,
    /// Asked before each outbound request (see [`Gate`]).
    pub gate: Option<Gate>,
}

/// Runs one attempt of a step in a fresh instance.
pub async fn run_attempt(
    engine: &CairnEngine,
    spec: AttemptSpec<'_>,
) -> (AttemptResult, AttemptLogs) {
    let mut state = StepState::new(spec.env, spec.allow_http, spec.gate, spec.limits);
    state.llm = spec.llm.clone();
    let mut store = engine.store(state);
    let call = async {
        let instance = spec.version.step.instantiate_async(&mut store).await?;
        instance
            .call_run_step(&mut store, spec.step, spec.input, &spec.context)
            .await
    };
    let outcome = tokio::time::timeout(spec.timeout, call).await;
    let state = store.into_data();
    let mut logs: AttemptLogs = state
        .sandbox
        .output
        .take(true)
        .into_iter()
        .map(|(s, l)| (stream_name(s).to_string(), l))
        .collect();
    let panic = state.panic.clone();
    logs.extend(state.logs);
    let result = match outcome {
        Err(_) => AttemptResult::Failed {
            error: ErrorRecord::new(
                ErrorCode::Timeout,
                LimitExceeded::step_timeout(spec.step, spec.timeout).message,
            ),
            retryable: true,
        },
        Ok(Ok(Ok(output))) => AttemptResult::Ok(output),
        Ok(Ok(Err(e))) => match e {
            wit::StepError::Retryable(i) => AttemptResult::Failed {
                error: info_record(i),
                retryable: true,
            },
            wit::StepError::Fatal(i) => AttemptResult::Failed {
                error: info_record(i),
                retryable: false,
            },
            wit::StepError::BadInput(m) => AttemptResult::Failed {
                error: ErrorRecord::new(ErrorCode::BadInput, m),
                retryable: false,
            },
            wit::StepError::UnknownStep(m) => AttemptResult::Failed {
                error: ErrorRecord::new(
                    ErrorCode::UnknownStep,
                    format!("the component has no step named `{m}`"),
                ),
                retryable: false,
            },
        },
        Ok(Err(trap)) => {
            if let Some(limit) = trap.downcast_ref::<LimitExceeded>() {
                AttemptResult::Failed {
                    error: ErrorRecord::new(ErrorCode::Limit, limit.message.clone()),
                    retryable: limit.kind != LimitKind::Memory,
                }
            } else {
                let message = match panic {
                    Some(p) => format!("step `{}` panicked: {p}", spec.step),
                    None => format!("step `{}` trapped: {}", spec.step, trap_message(&trap)),
                };
                AttemptResult::Failed {
                    error: ErrorRecord::new(ErrorCode::Trap, message),
                    retryable: true,
                }
            }
        }
    };
    (result, logs)
}

/// The root cause of a trap, without wasmtime's backtrace noise.
pub fn trap_message(e: &wasmtime::Error) -> String {
    let root = e.root_cause().to_string();
    let top = e.to_string();
    if root == top || top.starts_with("error while executing") {
        root
    } else {
        format!("{top}: {root}")
    }
}

fn stream_name(s: Stream) -> &'static str {
    s.as_str()
}

/// An error-info from the guest as stored.
pub fn info_record(i: wit::ErrorInfo) -> ErrorRecord {
    ErrorRecord {
        code: i.code,
        message: i.message,
        details: i.details.and_then(|d| serde_json::from_str(&d).ok()),
    }
}
