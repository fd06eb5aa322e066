//! The store data of a step instance and its `context` imports: a step
//! runs with real clocks and randomness and allow-listed HTTP, and the
//! body-only calls fail inside it.

use crate::engine::HostView;
use crate::engine::bindings::context::{
    self, Answer, LlmError, LlmRequest, LlmResponse, LogLevel, Prompt, RunInfo, Scope,
    SpawnOptions, StateError, StepFailure, WaitError,
};
use crate::engine::bindings::types as wit;
use crate::engine::bindings::types::{HttpError, HttpRequest, HttpResponse};
use crate::engine::http_policy::Gate;
use crate::engine::limits::{Deadline, Limits};
use crate::engine::sandbox::Sandbox;

/// Store data of a step instance.
pub struct StepState {
    pub(super) sandbox: Sandbox,
    /// Lines the step logged, with their level.
    pub logs: Vec<(String, String)>,
    pub(super) panic: Option<String>,
    /// Provider access for `ctx.llm` inside the step.
    pub llm: Option<std::sync::Arc<super::llm::StepLlm>>,
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
        super::llm::llm(self, request).await
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
    async fn http(
        &mut self,
        request: HttpRequest,
    ) -> wasmtime::Result<Result<HttpResponse, HttpError>> {
        Ok(super::http::send(&self.sandbox.http_policy, request).await)
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
