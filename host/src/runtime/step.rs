//! Step instances: one fresh instance of the component per step attempt,
//! with real clocks and randomness and allow-listed HTTP.

use std::time::Duration;

use crate::engine::bindings::Workflow;
use crate::engine::bindings::context::{
    self, Answer, LlmError, LlmRequest, LlmResponse, LogLevel, Prompt, RunInfo, Scope,
    SpawnOptions, StateError, StepFailure, WaitError,
};
use crate::engine::bindings::types as wit;
use crate::engine::http_policy::Gate;
use crate::engine::limits::{Deadline, LimitExceeded, LimitKind, Limits};
use crate::engine::output::Stream;
use crate::engine::sandbox::Sandbox;
use crate::engine::{CairnEngine, HostView};
use crate::journal::ErrorRecord;

use super::versions::{LoadedVersion, Manifest};

/// Store data of a step instance.
pub struct StepState {
    sandbox: Sandbox,
    /// Lines the step logged, with their level.
    pub logs: Vec<(String, String)>,
    panic: Option<String>,
    /// Provider access for `ctx.llm` inside the step.
    pub llm: Option<std::sync::Arc<super::step_llm::StepLlm>>,
}

impl StepState {
    /// A step sandbox with `env` and the allow-list.
    pub fn new(
        env: &[(String, String)],
        allow_http: std::sync::Arc<[String]>,
        gate: Option<Gate>,
        limits: &Limits,
    ) -> StepState {
        StepState {
            sandbox: Sandbox::step(env, allow_http, gate, limits),
            logs: Vec::new(),
            panic: None,
            llm: None,
        }
    }
}

const BODY_ONLY: &str = "is only available in the workflow body, not inside a step";

fn body_only(call: &str) -> wasmtime::Error {
    wasmtime::Error::msg(format!("ctx.{call} {BODY_ONLY}"))
}

impl context::Host for StepState {
    async fn step(
        &mut self,
        _name: String,
        _input: String,
    ) -> wasmtime::Result<Result<String, StepFailure>> {
        Err(body_only("step"))
    }
    async fn sleep(&mut self, _ms: u64) -> wasmtime::Result<()> {
        Err(body_only("sleep"))
    }
    async fn sleep_until(&mut self, _ms: u64) -> wasmtime::Result<()> {
        Err(body_only("sleep_until"))
    }
    async fn state_get(
        &mut self,
        _scope: Scope,
        _key: String,
    ) -> wasmtime::Result<Result<Option<String>, StateError>> {
        Err(body_only("state().get"))
    }
    async fn state_set(
        &mut self,
        _scope: Scope,
        _key: String,
        _value: String,
    ) -> wasmtime::Result<Result<(), StateError>> {
        Err(body_only("state().set"))
    }
    async fn state_delete(
        &mut self,
        _scope: Scope,
        _key: String,
    ) -> wasmtime::Result<Result<(), StateError>> {
        Err(body_only("state().delete"))
    }
    async fn now(&mut self) -> wasmtime::Result<u64> {
        Err(body_only("now"))
    }
    async fn random(&mut self) -> wasmtime::Result<u64> {
        Err(body_only("random"))
    }
    async fn get_run_info(&mut self) -> wasmtime::Result<RunInfo> {
        Err(body_only("run_info"))
    }
    async fn emit(&mut self, _kind: String, _data: String) -> wasmtime::Result<()> {
        Err(body_only("emit"))
    }
    async fn wait_for_user(
        &mut self,
        _prompt: Prompt,
    ) -> wasmtime::Result<Result<Answer, WaitError>> {
        Err(body_only("wait_for_user"))
    }
    async fn wait_for_event(
        &mut self,
        _name: String,
        _timeout_ms: Option<u64>,
    ) -> wasmtime::Result<Result<String, WaitError>> {
        Err(body_only("wait_for_event"))
    }
    async fn llm(
        &mut self,
        request: LlmRequest,
    ) -> wasmtime::Result<Result<LlmResponse, LlmError>> {
        super::step_llm::llm(self, request).await
    }
    async fn spawn(
        &mut self,
        _name: String,
        _input: String,
        _options: SpawnOptions,
    ) -> wasmtime::Result<u32> {
        Err(body_only("spawn"))
    }
    async fn join(&mut self, _handle: u32) -> wasmtime::Result<Result<String, StepFailure>> {
        Err(body_only("join"))
    }
    async fn patched(&mut self, _change_id: String) -> wasmtime::Result<bool> {
        Err(body_only("patched"))
    }
    async fn log(&mut self, level: LogLevel, message: String) -> wasmtime::Result<()> {
        if level == LogLevel::Error
            && let Some(p) = message.strip_prefix("panic: ")
        {
            self.panic = Some(p.to_string());
        }
        self.logs.push((level_name(level).to_string(), message));
        Ok(())
    }
}

impl wit::Host for StepState {}

impl wasmtime_wasi::WasiView for StepState {
    fn ctx(&mut self) -> wasmtime_wasi::WasiCtxView<'_> {
        self.sandbox.wasi_view()
    }
}

impl wasmtime_wasi_http::WasiHttpView for StepState {
    fn http(&mut self) -> wasmtime_wasi_http::WasiHttpCtxView<'_> {
        self.sandbox.http_view()
    }
}

impl HostView for StepState {
    fn sandbox(&mut self) -> &mut Sandbox {
        &mut self.sandbox
    }
    fn deadline(&self) -> Option<&Deadline> {
        None
    }
}

/// The name of a log level.
pub fn level_name(level: LogLevel) -> &'static str {
    match level {
        LogLevel::Trace => "trace",
        LogLevel::Debug => "debug",
        LogLevel::Info => "info",
        LogLevel::Warn => "warn",
        LogLevel::Error => "error",
    }
}

/// Calls `describe()` on a fresh instance and, when the component has it
/// (built against 0.1.1 or later), `describe-ext()`, whose document is
/// merged into the manifest.
pub async fn describe(engine: &CairnEngine, version: &LoadedVersion) -> Result<Manifest, String> {
    let mut store = engine.store(StepState::new(
        &[],
        std::sync::Arc::from([]),
        None,
        &Limits::default(),
    ));
    let instance = version
        .step
        .instance_pre()
        .instantiate_async(&mut store)
        .await
        .map_err(|e| format!("instantiation failed: {e:#}"))?;
    let exports = Workflow::new(&mut store, &instance).map_err(|e| format!("{e:#}"))?;
    let mut manifest: Manifest = exports
        .call_describe(&mut store)
        .await
        .map_err(|e| format!("{e:#}"))?
        .into();
    // Looked up by name: a component built against 0.1.0 does not have it.
    if let Some(index) = instance.get_export_index(&mut store, None, DESCRIBE_EXT) {
        let func = instance
            .get_typed_func::<(), (String,)>(&mut store, &index)
            .map_err(|e| format!("`{DESCRIBE_EXT}` is not `func() -> string`: {e:#}"))?;
        let (text,) = func
            .call_async(&mut store, ())
            .await
            .map_err(|e| format!("{DESCRIBE_EXT}: {e:#}"))?;
        super::manifest_ext::apply(&mut manifest, &text)?;
    }
    Ok(manifest)
}

/// The export added in `cairn:workflow@0.1.1` (see `wit/workflow.wit`).
const DESCRIBE_EXT: &str = "describe-ext";

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
    pub llm: Option<std::sync::Arc<super::step_llm::StepLlm>>,
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
                "timeout",
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
                error: ErrorRecord::new("bad-input", m),
                retryable: false,
            },
            wit::StepError::UnknownStep(m) => AttemptResult::Failed {
                error: ErrorRecord::new(
                    "unknown-step",
                    format!("the component has no step named `{m}`"),
                ),
                retryable: false,
            },
        },
        Ok(Err(trap)) => {
            if let Some(limit) = trap.downcast_ref::<LimitExceeded>() {
                AttemptResult::Failed {
                    error: ErrorRecord::new("limit", limit.message.clone()),
                    retryable: limit.kind != LimitKind::Memory,
                }
            } else {
                let message = match panic {
                    Some(p) => format!("step `{}` panicked: {p}", spec.step),
                    None => format!("step `{}` trapped: {}", spec.step, trap_message(&trap)),
                };
                AttemptResult::Failed {
                    error: ErrorRecord::new("trap", message),
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
