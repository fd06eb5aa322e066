//! The body instance's store data and its `context` imports: every call is
//! answered from the journal when replaying, and journaled when live.

use crate::journal::EventKind;
use std::sync::Arc;

use serde_json::json;
use tracing::Instrument;

use crate::engine::HostView;
use crate::engine::bindings::context::{
    self, Answer, LlmError, LlmRequest, LlmResponse, LogLevel, Prompt, RunInfo, Scope,
    SpawnOptions, StateError, StepFailure, WaitError,
};
use crate::engine::bindings::types as wit;
use crate::engine::limits::{Deadline, LimitExceeded};
use crate::engine::sandbox::{LogicalClock, Sandbox};
use crate::journal::{
    EntryKind, JournalEntry, NewEvent, PendingWrite, RunRecord, StateEffect, StateKey, WriteOp,
};

use super::appender::Appender;
use super::body_spawn::Spawned;
use super::interrupt::Interrupt;
use super::replay::{Divergence, Key, ReplayLog, input_hash};
use super::step::level_name;
use super::versions::LoadedVersion;
use super::{ActiveRun, Runtime};

/// How the SDK prefixes the error line it logs when a value the host handed
/// the body (a step's output, a state value, a signal's payload, an answer)
/// does not decode into the type the code asks for.
pub const UNREADABLE: &str = "unreadable: ";

/// Store data of a body instance.
pub struct BodyState {
    sandbox: Sandbox,
    deadline: Deadline,
    /// The journal side of the activation.
    pub cx: BodyCx,
}

/// What the body's host calls work with.
pub struct BodyCx {
    pub rt: Arc<Runtime>,
    pub run: RunRecord,
    pub version: Arc<LoadedVersion>,
    pub log: ReplayLog,
    pub clock: LogicalClock,
    pub active: Arc<ActiveRun>,
    /// What the run's step instances get (allow-list, environment).
    pub step_sandbox: Arc<super::body_step::StepSandbox>,
    /// Assigns journal seqs; shared with the steps this body spawned.
    pub journal: Arc<Appender>,
    /// The steps this body spawned (`ctx.spawn`), by handle.
    pub spawned: Spawned,
    /// The last panic message the SDK reported, for the failure message.
    pub panic: Option<String>,
    /// The first value handed to the body that the SDK could not decode
    /// into the type the code asks for (reported through `log`, see
    /// [`UNREADABLE`]): a replay check on a new version fails on it even
    /// when the body goes on.
    pub unreadable: Option<String>,
    /// How a dry replay takes spawns the journal lacks (see `body_spawn`).
    pub dry_spawns: super::body_spawn::DrySpawns,
    pending: Vec<PendingWrite>,
    /// Events not yet written: they ride along with the next journal write,
    /// so progress reporting costs no commit of its own.
    events: Vec<NewEvent>,
    went_live: bool,
    /// A dry replay: answer only from the journal, write nothing, wait for
    /// nothing, and stop where the journal ends or disagrees.
    pub dry: bool,
    /// When the activation began; cleared at the first host call.
    started: Option<std::time::Instant>,
    /// The signal a `wait_for_event` suspended on: one sent while the run
    /// was suspending must still wake it (see `activation.rs`).
    pub awaited_signal: Option<String>,
}

impl BodyState {
    /// The state for one activation of `run`.
    pub fn new(
        rt: Arc<Runtime>,
        run: RunRecord,
        version: Arc<LoadedVersion>,
        log: ReplayLog,
        active: Arc<ActiveRun>,
        dry: bool,
    ) -> BodyState {
        let clock = LogicalClock::new(run.created_at);
        let limits = rt.config.limits;
        let sandbox = Sandbox::body(&clock, run.seed, &limits);
        sandbox.output.set_muted(log.replaying());
        let journal = Arc::new(Appender::new(
            rt.store.clone(),
            run.id.clone(),
            rt.worker.id.clone(),
            log.next_seq(),
        ));
        BodyState {
            sandbox,
            deadline: Deadline::new(std::time::Duration::from_secs(limits.body_deadline_secs)),
            cx: BodyCx {
                step_sandbox: Arc::new(super::body_step::StepSandbox::new(
                    &rt,
                    &version,
                    &run.workflow,
                )),
                rt,
                run,
                version,
                went_live: !log.replaying(),
                log,
                clock,
                active,
                journal,
                spawned: Spawned::default(),
                panic: None,
                unreadable: None,
                dry_spawns: Default::default(),
                pending: Vec::new(),
                events: Vec::new(),
                dry,
                started: (!dry).then(std::time::Instant::now),
                awaited_signal: None,
            },
        }
    }

    /// Takes the lines the body printed, as log events.
    pub fn drain_output(&mut self, all: bool) -> Vec<NewEvent> {
        let now = crate::clock::now_ms();
        self.sandbox
            .output
            .take(all)
            .into_iter()
            .map(|(stream, line)| NewEvent {
                at: now,
                kind: EventKind::Log,
                data: json!({"stream": stream.as_str(), "message": line}),
            })
            .collect()
    }

    /// Start of every host call.
    fn enter(&mut self) -> wasmtime::Result<()> {
        if let Some(t) = self.cx.started.take() {
            self.cx.rt.metrics.first_host_call(t.elapsed());
        }
        if let Some(i) = self.cx.active.stop_reason() {
            return Err(i.trap());
        }
        let lines = self.drain_output(false);
        if !lines.is_empty() {
            self.cx.event_batch(lines);
        }
        Ok(())
    }

    /// End of every host call.
    fn leave<T>(&mut self, r: wasmtime::Result<T>) -> wasmtime::Result<T> {
        self.deadline.touch();
        self.sandbox.output.set_muted(self.cx.log.replaying());
        r
    }
}

impl BodyCx {
    /// Waits until every write queued so far is durable.
    pub async fn barrier(&mut self) -> wasmtime::Result<()> {
        for w in std::mem::take(&mut self.pending) {
            w.await.map_err(|e| Interrupt::from_store(e).trap())?;
        }
        Ok(())
    }

    fn queue(&mut self, op: WriteOp) {
        let w = self.rt.store.write(op);
        self.pending.push(w);
    }

    /// Buffers events; they are written with the next journal write.
    pub fn event_batch(&mut self, events: Vec<NewEvent>) {
        self.events.extend(events);
    }

    /// Writes buffered events now (not fenced: they describe, they do not
    /// decide). For watchers of long waits.
    pub fn flush_events(&mut self) {
        if !self.events.is_empty() {
            let events = std::mem::take(&mut self.events);
            self.queue(WriteOp::Events {
                run_id: self.run.id.clone(),
                events,
            });
        }
    }

    /// Takes the buffered events, to write them with a status change.
    pub fn take_events(&mut self) -> Vec<NewEvent> {
        std::mem::take(&mut self.events)
    }

    fn event(&mut self, kind: EventKind, data: serde_json::Value) {
        self.event_batch(vec![NewEvent {
            at: crate::clock::now_ms(),
            kind,
            data,
        }]);
    }

    /// Journals a new outcome for `key` and moves the logical clock.
    pub fn record(
        &mut self,
        key: &Key,
        input_hash: Option<String>,
        ok: bool,
        value: Option<String>,
        effect: Option<StateEffect>,
        events: Vec<NewEvent>,
    ) -> JournalEntry {
        let now = crate::clock::now_ms();
        self.record_at(now, key, input_hash, ok, value, effect, events)
    }

    /// [`BodyCx::record`] with the entry's time given, for outcomes
    /// computed from it.
    #[allow(clippy::too_many_arguments)] // the fields of one journal entry
    pub fn record_at(
        &mut self,
        at: i64,
        key: &Key,
        input_hash: Option<String>,
        ok: bool,
        value: Option<String>,
        effect: Option<StateEffect>,
        mut events: Vec<NewEvent>,
    ) -> JournalEntry {
        let entry = JournalEntry {
            seq: 0, // assigned by the appender
            kind: key.kind,
            name: key.name.clone(),
            occurrence: key.occurrence,
            input_hash,
            ok,
            value,
            created_at: at,
        };
        self.clock.advance_to(entry.created_at);
        if !self.events.is_empty() {
            let mut all = std::mem::take(&mut self.events);
            all.append(&mut events);
            events = all;
        }
        let (entry, write) = self.journal.append(entry, effect, events);
        self.pending.push(write);
        entry
    }

    /// Journals a failed step attempt (not a replay key of its own).
    pub fn record_attempt(&mut self, step: &str, occurrence: u32, value: String, event: NewEvent) {
        let key = Key {
            kind: EntryKind::StepAttempt,
            name: step.to_string(),
            occurrence,
        };
        self.record(&key, None, false, Some(value), None, vec![event]);
    }

    /// The recorded outcome of `key`, if the journal has one; checks the
    /// input and notes where the run goes live.
    pub fn replayed(
        &mut self,
        key: &Key,
        hash: Option<&str>,
    ) -> wasmtime::Result<Option<JournalEntry>> {
        let e = self.lookup(key, hash, false)?;
        if let Some(e) = &e {
            self.clock.advance_to(e.created_at);
        }
        Ok(e)
    }

    /// [`BodyCx::replayed`] without moving the clock. With `spawned`, a key
    /// missing while replaying is no divergence: a spawned step that had not
    /// finished before a crash has no entry, while later ones may.
    pub fn lookup(
        &mut self,
        key: &Key,
        hash: Option<&str>,
        spawned: bool,
    ) -> wasmtime::Result<Option<JournalEntry>> {
        match self.log.take(key) {
            Some(e) => {
                if let Some(d) = ReplayLog::check_input(key, &e, hash) {
                    self.diverged(d)?;
                }
                Ok(Some(e))
            }
            None => {
                if !spawned && let Some(first_left) = self.log.first_unconsumed() {
                    self.diverged(Divergence::unexpected(key, &first_left))?;
                }
                // A dry replay stops where the journal ends; a spawned step
                // missing from it is decided at its join (see body_spawn).
                if self.dry && !spawned {
                    return Err(Interrupt::DryFrontier.trap());
                }
                if !self.went_live {
                    self.went_live = true;
                    self.event(EventKind::Live, json!({"at": key.to_string()}));
                }
                Ok(None)
            }
        }
    }

    fn diverged(&mut self, d: Divergence) -> wasmtime::Result<()> {
        if self.dry {
            return Err(Interrupt::DryDiverged(d).trap());
        }
        tracing::info!(run = %self.run.id, "{}", d.message);
        self.event(
            EventKind::Divergence,
            json!({"kind": d.key.kind.as_str(), "name": d.key.name,
                   "occurrence": d.key.occurrence, "message": d.message}),
        );
        if self.version.strict {
            return Err(Interrupt::Diverged(d.message).trap());
        }
        Ok(())
    }

    /// Fails the activation if `value` is larger than the journal accepts.
    pub fn check_size(&self, what: &str, value: &str) -> wasmtime::Result<()> {
        let limit = self.rt.config.limits.max_value_bytes;
        if value.len() as u64 > limit {
            return Err(wasmtime::Error::new(LimitExceeded::value_size(
                what,
                value.len(),
                limit,
            )));
        }
        Ok(())
    }

    /// Waits until `at` (real time): in memory when it is close, else by
    /// suspending the run.
    pub async fn wait_until(&mut self, at: i64) -> wasmtime::Result<()> {
        if self.dry {
            return Ok(());
        }
        // Spawned steps in flight keep the instance loaded (see body_spawn).
        super::body_spawn::wait_in_memory_while_spawned(self, at).await?;
        let remaining = at - crate::clock::now_ms();
        if remaining <= 0 {
            return Ok(());
        }
        let threshold = self.rt.config.runtime.suspend_threshold_ms as i64;
        if remaining < threshold {
            self.flush_events();
            self.barrier().await?;
            let active = self.active.clone();
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_millis(remaining as u64)) => {}
                i = active.stopped() => return Err(i.trap()),
            }
            return Ok(());
        }
        self.barrier().await?;
        Err(Interrupt::Suspend {
            status: crate::journal::RunStatus::Sleeping,
            wake_at: Some(at),
        }
        .trap())
    }

    /// A durable sleep; `wake` gives the wake time from the moment the
    /// sleep is first journaled.
    async fn sleep_until(
        &mut self,
        wake: impl FnOnce(i64) -> i64,
        hash: String,
    ) -> wasmtime::Result<()> {
        let key = self.log.next_key(EntryKind::Sleep, "sleep");
        let wake_at = match self.replayed(&key, Some(&hash))? {
            Some(e) => parse_wake(&e)?,
            None => {
                let now = crate::clock::now_ms();
                let wake_at = wake(now);
                let value = json!({"wake_at": wake_at}).to_string();
                self.record_at(now, &key, Some(hash), true, Some(value), None, Vec::new());
                wake_at
            }
        };
        self.wait_until(wake_at).await?;
        self.clock.advance_to(wake_at);
        Ok(())
    }

    fn state_key(&self, scope: Scope, key: &str) -> Result<StateKey, StateError> {
        if key.starts_with('_') {
            return Err(StateError::ReservedKey(format!(
                "state key `{key}` starts with `_`, which is reserved for cairn"
            )));
        }
        match scope {
            Scope::Run => Ok(StateKey::Run {
                run_id: self.run.id.clone(),
                key: key.to_string(),
            }),
            Scope::Session => match &self.run.session_id {
                Some(s) => Ok(StateKey::Session {
                    session_id: s.clone(),
                    key: key.to_string(),
                }),
                None => Err(StateError::NoSession),
            },
        }
    }
}

fn parse_wake(e: &JournalEntry) -> wasmtime::Result<i64> {
    e.value
        .as_deref()
        .and_then(|v| serde_json::from_str::<serde_json::Value>(v).ok())
        .and_then(|v| v["wake_at"].as_i64())
        .ok_or_else(|| wasmtime::Error::msg(format!("journal entry {} has no wake time", e.seq)))
}

fn scope_name(scope: Scope) -> &'static str {
    match scope {
        Scope::Run => "run",
        Scope::Session => "session",
    }
}

impl context::Host for BodyState {
    async fn step(
        &mut self,
        name: String,
        input: String,
    ) -> wasmtime::Result<Result<String, StepFailure>> {
        self.enter()?;
        let span = tracing::info_span!("step", step = %name);
        let r = super::body_step::call_step(&mut self.cx, name, input)
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
        let r = async {
            let skey = match self.cx.state_key(scope, &key) {
                Ok(k) => k,
                Err(e) => return Ok(Err(e)),
            };
            let jkey = self
                .cx
                .log
                .next_key(EntryKind::StateGet, &format!("{}:{key}", scope_name(scope)));
            if let Some(e) = self.cx.replayed(&jkey, None)? {
                return Ok(Ok(e.value));
            }
            // Our own earlier writes must be visible to the read.
            self.cx.barrier().await?;
            let value = self
                .cx
                .rt
                .store
                .state_value(&skey)
                .map_err(|e| Interrupt::from_store(e).trap())?;
            self.cx
                .record(&jkey, None, true, value.clone(), None, Vec::new());
            Ok(Ok(value))
        }
        .await;
        self.leave(r)
    }

    async fn state_set(
        &mut self,
        scope: Scope,
        key: String,
        value: String,
    ) -> wasmtime::Result<Result<(), StateError>> {
        self.enter()?;
        let r = (|| {
            let skey = match self.cx.state_key(scope, &key) {
                Ok(k) => k,
                Err(e) => return Ok(Err(e)),
            };
            self.cx
                .check_size(&format!("state value `{key}`"), &value)?;
            let hash = input_hash(&[value.as_bytes()]);
            let jkey = self
                .cx
                .log
                .next_key(EntryKind::StateSet, &format!("{}:{key}", scope_name(scope)));
            if self.cx.replayed(&jkey, Some(&hash))?.is_none() {
                let effect = StateEffect::Set { key: skey, value };
                self.cx
                    .record(&jkey, Some(hash), true, None, Some(effect), Vec::new());
            }
            Ok(Ok(()))
        })();
        self.leave(r)
    }

    async fn state_delete(
        &mut self,
        scope: Scope,
        key: String,
    ) -> wasmtime::Result<Result<(), StateError>> {
        self.enter()?;
        let r = (|| {
            let skey = match self.cx.state_key(scope, &key) {
                Ok(k) => k,
                Err(e) => return Ok(Err(e)),
            };
            let jkey = self.cx.log.next_key(
                EntryKind::StateDelete,
                &format!("{}:{key}", scope_name(scope)),
            );
            if self.cx.replayed(&jkey, None)?.is_none() {
                let effect = StateEffect::Delete { key: skey };
                self.cx
                    .record(&jkey, None, true, None, Some(effect), Vec::new());
            }
            Ok(Ok(()))
        })();
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
        let r = super::body_human::wait_for_user(&mut self.cx, prompt).await;
        self.leave(r)
    }

    async fn wait_for_event(
        &mut self,
        name: String,
        timeout_ms: Option<u64>,
    ) -> wasmtime::Result<Result<String, WaitError>> {
        self.enter()?;
        let r = super::body_human::wait_for_event(&mut self.cx, name, timeout_ms).await;
        self.leave(r)
    }

    async fn llm(
        &mut self,
        request: LlmRequest,
    ) -> wasmtime::Result<Result<LlmResponse, LlmError>> {
        self.enter()?;
        let r = super::body_llm::llm(&mut self.cx, request).await;
        self.leave(r)
    }

    async fn spawn(
        &mut self,
        name: String,
        input: String,
        options: SpawnOptions,
    ) -> wasmtime::Result<u32> {
        self.enter()?;
        let r = super::body_spawn::spawn(&mut self.cx, name, input, options).await;
        self.leave(r)
    }

    async fn join(&mut self, handle: u32) -> wasmtime::Result<Result<String, StepFailure>> {
        self.enter()?;
        let r = super::body_spawn::join(&mut self.cx, handle).await;
        self.leave(r)
    }

    async fn patched(&mut self, change_id: String) -> wasmtime::Result<bool> {
        self.enter()?;
        let r = super::body_patch::patched(&mut self.cx, change_id).await;
        self.leave(r)
    }
}

impl BodyCx {
    fn journaled_number(
        &mut self,
        kind: EntryKind,
        fresh: impl FnOnce() -> u64,
    ) -> wasmtime::Result<u64> {
        let key = self.log.next_key(kind, kind.as_str());
        if let Some(e) = self.replayed(&key, None)? {
            return e
                .value
                .as_deref()
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| {
                    wasmtime::Error::msg(format!("journal entry {} is malformed", e.seq))
                });
        }
        let v = fresh();
        self.record(&key, None, true, Some(v.to_string()), None, Vec::new());
        Ok(v)
    }
}

impl wit::Host for BodyState {}

impl wasmtime_wasi::WasiView for BodyState {
    fn ctx(&mut self) -> wasmtime_wasi::WasiCtxView<'_> {
        self.sandbox.wasi_view()
    }
}

impl wasmtime_wasi_http::WasiHttpView for BodyState {
    fn http(&mut self) -> wasmtime_wasi_http::WasiHttpCtxView<'_> {
        self.sandbox.http_view()
    }
}

impl HostView for BodyState {
    fn sandbox(&mut self) -> &mut Sandbox {
        &mut self.sandbox
    }
    fn deadline(&self) -> Option<&Deadline> {
        Some(&self.deadline)
    }
}
