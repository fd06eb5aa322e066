//! The body's `context` imports: each call enters, is answered by the file
//! of its interface (`step.rs`, `state.rs`, `human.rs`, ...), and leaves.

use serde_json::json;
use tracing::Instrument;

use crate::engine::bindings::context::{
    self, Answer, LlmError, LlmRequest, LlmResponse, LogLevel, Prompt, RunInfo, Scope,
    SpawnOptions, StateError, StepFailure, WaitError,
};
use crate::engine::bindings::types::{HttpError, HttpRequest, HttpResponse};
use crate::engine::http_policy::BODY_RULE;
use crate::journal::{EntryKind, EventKind};
use crate::runtime::run::replay::input_hash;
use crate::runtime::step::level_name;

use super::BodyState;
use super::cx::UNREADABLE;

impl context::Host for BodyState {
    async fn step(
        &mut self,
        name: String,
        input: String,
    ) -> wasmtime::Result<Result<String, StepFailure>> {
        self.enter()?;
        let span = tracing::info_span!("step", step = %name);
        let r = super::step::call_step(&mut self.cx, name, input)
            .instrument(span)
            .await;
        self.leave(r)
    }

    async fn sleep(&mut self, duration_ms: u64) -> wasmtime::Result<()> {
        self.enter()?;
        let r = self
            .cx
            .sleep_until(
                |now| now.saturating_add(duration_ms as i64),
                input_hash(&[b"for", &duration_ms.to_le_bytes()]),
            )
            .await;
        self.leave(r)
    }

    async fn sleep_until(&mut self, unix_ms: u64) -> wasmtime::Result<()> {
        self.enter()?;
        let r = self
            .cx
            .sleep_until(
                |_| unix_ms as i64,
                input_hash(&[b"until", &unix_ms.to_le_bytes()]),
            )
            .await;
        self.leave(r)
    }

    async fn state_get(
        &mut self,
        scope: Scope,
        key: String,
    ) -> wasmtime::Result<Result<Option<String>, StateError>> {
        self.enter()?;
        let r = super::state::get(&mut self.cx, scope, key).await;
        self.leave(r)
    }

    async fn state_set(
        &mut self,
        scope: Scope,
        key: String,
        value: String,
    ) -> wasmtime::Result<Result<(), StateError>> {
        self.enter()?;
        let r = super::state::set(&mut self.cx, scope, key, value);
        self.leave(r)
    }

    async fn state_delete(
        &mut self,
        scope: Scope,
        key: String,
    ) -> wasmtime::Result<Result<(), StateError>> {
        self.enter()?;
        let r = super::state::delete(&mut self.cx, scope, key);
        self.leave(r)
    }

    async fn now(&mut self) -> wasmtime::Result<u64> {
        self.enter()?;
        let r = self
            .cx
            .journaled_number(EntryKind::Now, || crate::clock::now_ms().max(0) as u64);
        self.leave(r)
    }

    async fn random(&mut self) -> wasmtime::Result<u64> {
        self.enter()?;
        let r = self
            .cx
            .journaled_number(EntryKind::Random, rand::random::<u64>);
        self.leave(r)
    }

    async fn get_run_info(&mut self) -> wasmtime::Result<RunInfo> {
        let run = &self.cx.run;
        Ok(RunInfo {
            run_id: run.id.clone(),
            workflow: run.workflow.clone(),
            version: run.version.clone(),
            session_id: run.session_id.clone(),
            activation: run.activations,
            started_at_ms: run.created_at.max(0) as u64,
        })
    }

    async fn emit(&mut self, kind: String, data: String) -> wasmtime::Result<()> {
        self.enter()?;
        if !self.cx.log.replaying() {
            let data: serde_json::Value =
                serde_json::from_str(&data).unwrap_or(serde_json::Value::String(data));
            self.cx
                .event(EventKind::Emit, json!({"kind": kind, "data": data}));
        }
        self.leave(Ok(()))
    }

    async fn http(
        &mut self,
        _request: HttpRequest,
    ) -> wasmtime::Result<Result<HttpResponse, HttpError>> {
        // Deterministic, so not journaled: a body never has network access.
        Ok(Err(HttpError::Denied(BODY_RULE.to_string())))
    }

    async fn log(&mut self, level: LogLevel, message: String) -> wasmtime::Result<()> {
        if level == LogLevel::Error {
            if let Some(p) = message.strip_prefix("panic: ") {
                self.cx.panic = Some(p.to_string());
            } else if let Some(u) = message.strip_prefix(UNREADABLE)
                && self.cx.unreadable.is_none()
            {
                self.cx.unreadable = Some(u.to_string());
            }
        }
        if !self.cx.log.replaying() {
            self.cx.event(
                EventKind::Log,
                json!({"level": level_name(level), "message": message}),
            );
        }
        Ok(())
    }

    async fn wait_for_user(
        &mut self,
        prompt: Prompt,
    ) -> wasmtime::Result<Result<Answer, WaitError>> {
        self.enter()?;
        let r = super::human::wait_for_user(&mut self.cx, prompt).await;
        self.leave(r)
    }

    async fn wait_for_event(
        &mut self,
        name: String,
        timeout_ms: Option<u64>,
    ) -> wasmtime::Result<Result<String, WaitError>> {
        self.enter()?;
        let r = super::human::wait_for_event(&mut self.cx, name, timeout_ms).await;
        self.leave(r)
    }

    async fn llm(
        &mut self,
        request: LlmRequest,
    ) -> wasmtime::Result<Result<LlmResponse, LlmError>> {
        self.enter()?;
        let r = super::llm::llm(&mut self.cx, request).await;
        self.leave(r)
    }

    async fn spawn(
        &mut self,
        name: String,
        input: String,
        options: SpawnOptions,
    ) -> wasmtime::Result<u32> {
        self.enter()?;
        let r = super::spawn::spawn(&mut self.cx, name, input, options).await;
        self.leave(r)
    }

    async fn join(&mut self, handle: u32) -> wasmtime::Result<Result<String, StepFailure>> {
        self.enter()?;
        let r = super::spawn::join(&mut self.cx, handle).await;
        self.leave(r)
    }

    async fn patched(&mut self, change_id: String) -> wasmtime::Result<bool> {
        self.enter()?;
        let r = super::patch::patched(&mut self.cx, change_id).await;
        self.leave(r)
    }
}
