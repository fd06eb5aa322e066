//! `ctx.step` as the host runs it: replay, attempts, retries with durable
//! backoff timers, and the final outcome journaled exactly once.
//!
//! The attempt loop, [`run_step`], is shared with spawned steps
//! (`spawn/`): it works on a [`StepJob`] (what to run) and reports
//! through a [`StepSink`] (where outcomes, events and waits go). For
//! `ctx.step` the sink is the body itself; for a spawned step it is the
//! task running it.

use crate::error_code::ErrorCode;
use std::future::Future;
use std::sync::Arc;

use serde_json::json;

use crate::engine::bindings::context::StepFailure;
use crate::engine::bindings::types as wit;
use crate::engine::bindings::types::ErrorInfo;
use crate::engine::http_policy::Gate;
use crate::engine::limits::LimitExceeded;
use crate::journal::{
    AttemptRecord, EntryKind, ErrorRecord, EventKind, JournalEntry, NewEvent, StepFailureRecord,
    record_json,
};
use crate::metrics::{AttemptOutcome, InstanceKind, StepMeter};

use super::BodyCx;
use crate::runtime::run::interrupt::Interrupt;
use crate::runtime::run::replay::{Key, input_hash};
use crate::runtime::step::llm::StepLlm;
use crate::runtime::step::{AttemptLogs, AttemptResult, AttemptSpec, run_attempt};
use crate::runtime::versions::{LoadedVersion, RetryPolicy};
use crate::runtime::{ActiveRun, Runtime};

/// After this long a running step's start event is written on its own.
const SLOW_STEP: std::time::Duration = std::time::Duration::from_millis(50);

/// The body called `ctx.step(name, input)`.
pub async fn call_step(
    cx: &mut BodyCx,
    name: String,
    input: String,
) -> wasmtime::Result<Result<String, StepFailure>> {
    let key = cx.log.next_key(EntryKind::Step, &name);
    let hash = input_hash(&[input.as_bytes()]);
    if let Some(e) = cx.replayed(&key, Some(&hash))? {
        return decode(&cx.run.id, &e);
    }
    cx.check_size(&format!("input of step `{name}`"), &input)?;
    let job = StepJob::new(cx, key, hash, input);
    let entry = run_step(&job, cx).await?;
    decode(&cx.run.id, &entry)
}

/// One step occurrence to run, with everything its attempts need, owned,
/// so that a spawned task can carry it.
pub struct StepJob {
    pub rt: Arc<Runtime>,
    pub version: Arc<LoadedVersion>,
    pub run_id: String,
    pub workflow: String,
    /// The step's replay key: its name and occurrence.
    pub key: Key,
    pub hash: String,
    pub input: String,
    /// Failed attempts journaled by earlier activations.
    pub prior: Vec<JournalEntry>,
    pub active: Arc<ActiveRun>,
    /// The sandbox settings of the run's steps.
    pub sandbox: Arc<StepSandbox>,
}

/// What every step of a run gets: hosts it may call (the version's
/// allow-list and the workflow's configured one) and environment
/// variables. The same for all of a run's steps, so computed once per
/// activation.
#[derive(Debug)]
pub struct StepSandbox {
    pub allow_http: Arc<[String]>,
    pub env: Vec<(String, String)>,
}

impl StepSandbox {
    /// The settings for steps of `workflow` on `version`.
    pub fn new(rt: &Runtime, version: &LoadedVersion, workflow: &str) -> StepSandbox {
        let settings = rt.config.workflow(workflow);
        let allow_http: Vec<String> = version
            .allow_http
            .iter()
            .chain(&settings.allow_http)
            .cloned()
            .collect();
        let env = settings
            .env
            .iter()
            .filter_map(|k| std::env::var(k).ok().map(|v| (k.clone(), v)))
            .collect();
        StepSandbox {
            allow_http: allow_http.into(),
            env,
        }
    }
}

impl StepJob {
    /// The job of the step `key` of the body's run.
    pub fn new(cx: &BodyCx, key: Key, hash: String, input: String) -> StepJob {
        StepJob {
            rt: cx.rt.clone(),
            version: cx.version.clone(),
            run_id: cx.run.id.clone(),
            workflow: cx.run.workflow.clone(),
            prior: cx.log.attempts(&key.name, key.occurrence).to_vec(),
            key,
            hash,
            input,
            active: cx.active.clone(),
            sandbox: cx.step_sandbox.clone(),
        }
    }
}

/// What one attempt holds while it runs (concurrency permits of a spawned
/// step; nothing for `ctx.step`). Released when dropped.
pub type Slot = Vec<tokio::sync::OwnedSemaphorePermit>;

/// Where a step's attempts report.
pub trait StepSink: Send {
    /// Queues the step's final outcome (not yet durable).
    fn record_outcome(
        &mut self,
        key: &Key,
        hash: String,
        ok: bool,
        value: String,
        event: NewEvent,
    ) -> JournalEntry;
    /// Queues a failed attempt and when the next one is due.
    fn record_failed_attempt(&mut self, key: &Key, value: String, event: NewEvent);
    /// Waits until everything this sink queued is durable.
    fn durable(&mut self) -> impl Future<Output = wasmtime::Result<()>> + Send;
    /// Waits until `at` (Unix ms) before the next attempt.
    fn wait_for_retry(&mut self, at: i64) -> impl Future<Output = wasmtime::Result<()>> + Send;
    /// Buffers events; they ride on the next journal write.
    fn report(&mut self, events: Vec<NewEvent>);
    /// Writes buffered events now.
    fn report_now(&mut self);
    /// Waits for room to run one attempt.
    fn slot(&mut self) -> impl Future<Output = wasmtime::Result<Slot>> + Send;
}

impl StepSink for BodyCx {
    fn record_outcome(
        &mut self,
        key: &Key,
        hash: String,
        ok: bool,
        value: String,
        event: NewEvent,
    ) -> JournalEntry {
        self.record(key, Some(hash), ok, Some(value), None, vec![event])
    }
    fn record_failed_attempt(&mut self, key: &Key, value: String, event: NewEvent) {
        self.record_attempt(&key.name, key.occurrence, value, event);
    }
    async fn durable(&mut self) -> wasmtime::Result<()> {
        self.barrier().await
    }
    async fn wait_for_retry(&mut self, at: i64) -> wasmtime::Result<()> {
        self.wait_until(at).await
    }
    fn report(&mut self, events: Vec<NewEvent>) {
        self.event_batch(events);
    }
    fn report_now(&mut self) {
        self.flush_events();
    }
    async fn slot(&mut self) -> wasmtime::Result<Slot> {
        // A run has one `ctx.step` in flight at most; runs are bounded by
        // `runtime.max_active_runs`.
        Ok(Vec::new())
    }
}

/// Runs the attempts of `job` until it succeeds or fails for good; returns
/// its final journal entry, durable.
pub async fn run_step<S: StepSink>(job: &StepJob, sink: &mut S) -> wasmtime::Result<JournalEntry> {
    let name = &job.key.name;
    let occurrence = job.key.occurrence;
    let Some(policy) = job.version.policy(name) else {
        let error = ErrorRecord::new(
            ErrorCode::UnknownStep,
            format!("the component declares no step named `{name}`"),
        );
        job.rt
            .metrics
            .step(&job.workflow, name)
            .failed_without_attempt();
        return finish_failed(sink, job, error, 0).await;
    };
    // Everything the body decided before this step must be durable before
    // the step's side effects happen.
    sink.durable().await?;

    let mut attempt = job.prior.len() as u32 + 1;
    if let Some(last) = job.prior.last() {
        sink.wait_for_retry(retry_at(job, last)?).await?;
    }
    let setup = AttemptSetup::new(job, &policy);
    loop {
        let slot = sink.slot().await?;
        // A worker paused past its lease may have lost the run: it starts
        // no attempt until it knows the lease holds (`run/lease.rs`).
        job.rt.lease_check(&job.active).map_err(Interrupt::trap)?;
        let started = std::time::Instant::now();
        let (result, logs) = watch_attempt(job, sink, setup.spec(job, attempt), attempt).await?;
        drop(slot);
        report_logs(sink, name, logs);
        let elapsed = started.elapsed();
        let took = elapsed.as_millis() as u64;
        setup
            .meter
            .attempt(attempt_outcome(&result, attempt, &policy), elapsed);
        match result {
            AttemptResult::Ok(output) => {
                let limit = job.rt.config.limits.max_value_bytes;
                if output.len() as u64 > limit {
                    let what = format!("output of step `{name}`");
                    let e = LimitExceeded::value_size(&what, output.len(), limit);
                    let error = ErrorRecord::new(ErrorCode::Limit, e.to_string());
                    return finish_failed(sink, job, error, attempt).await;
                }
                let ev = step_event(name, occurrence, attempt, "completed", json!({"ms": took}));
                let entry = sink.record_outcome(&job.key, job.hash.clone(), true, output, ev);
                sink.durable().await?;
                return Ok(entry);
            }
            AttemptResult::Failed { error, retryable }
                if retryable && attempt < policy.max_attempts =>
            {
                let retry_at = crate::clock::now_ms() + policy.backoff_ms(attempt) as i64;
                tracing::info!(attempt, error = %error.message, "step attempt failed, retrying");
                let value = record_json(&AttemptRecord {
                    attempt,
                    error: error.clone(),
                    retry_at,
                });
                let extra = json!({"error": error, "retry_at": retry_at, "ms": took});
                let ev = step_event(name, occurrence, attempt, "retrying", extra);
                sink.record_failed_attempt(&job.key, value, ev);
                attempt += 1;
                sink.wait_for_retry(retry_at).await?;
            }
            AttemptResult::Failed { error, .. } => {
                return finish_failed(sink, job, error, attempt).await;
            }
        }
    }
}

/// How `GET /metrics` counts an attempt that ended with `result`.
fn attempt_outcome(result: &AttemptResult, attempt: u32, policy: &RetryPolicy) -> AttemptOutcome {
    match result {
        AttemptResult::Ok(_) => AttemptOutcome::completed,
        AttemptResult::Failed { retryable, .. } if *retryable && attempt < policy.max_attempts => {
            AttemptOutcome::retrying
        }
        AttemptResult::Failed { .. } => AttemptOutcome::failed,
    }
}

/// What every attempt of one step occurrence shares.
struct AttemptSetup {
    /// The step's counters, looked up once for all its attempts.
    meter: StepMeter,
    timeout: std::time::Duration,
    limits: crate::engine::limits::Limits,
    gate: Gate,
    llm: Arc<StepLlm>,
}

impl AttemptSetup {
    fn new(job: &StepJob, policy: &RetryPolicy) -> AttemptSetup {
        let rt = &job.rt;
        let default_timeout = rt.config.limits.step_timeout_secs * 1000;
        let timeout_ms = if policy.timeout_ms > 0 {
            policy.timeout_ms
        } else {
            default_timeout
        };
        let gate = attempt_gate(job);
        let llm = Arc::new(StepLlm {
            providers: rt.llm.clone(),
            store: rt.store.clone(),
            run_id: job.run_id.clone(),
            step: job.key.name.clone(),
            gate: gate.clone(),
        });
        AttemptSetup {
            meter: rt.metrics.step(&job.workflow, &job.key.name),
            timeout: std::time::Duration::from_millis(timeout_ms),
            limits: rt.config.limits,
            gate,
            llm,
        }
    }

    /// The spec of attempt number `attempt` (1-based).
    fn spec<'a>(&'a self, job: &'a StepJob, attempt: u32) -> AttemptSpec<'a> {
        let name = &job.key.name;
        let occurrence = job.key.occurrence;
        AttemptSpec {
            version: &job.version,
            step: name,
            input: &job.input,
            context: wit::StepContext {
                run_id: job.run_id.clone(),
                workflow: job.workflow.clone(),
                step: name.clone(),
                occurrence,
                attempt,
                idempotency_key: format!("{}/{}/{}", job.run_id, name, occurrence),
            },
            timeout: self.timeout,
            env: &job.sandbox.env,
            allow_http: job.sandbox.allow_http.clone(),
            limits: &self.limits,
            llm: Some(self.llm.clone()),
            gate: Some(self.gate.clone()),
        }
    }
}

/// Runs one attempt unless the run is stopped first. A quick step is
/// reported once, when it ends: one event row per step keeps its commit
/// small. A slow one also reports its start, for watchers.
async fn watch_attempt<S: StepSink>(
    job: &StepJob,
    sink: &mut S,
    spec: AttemptSpec<'_>,
    attempt: u32,
) -> wasmtime::Result<(AttemptResult, AttemptLogs)> {
    let attempt_fut = run_attempt(&job.rt.engine, spec);
    let watched = async {
        let _live = job.rt.metrics.instance(InstanceKind::step);
        tokio::pin!(attempt_fut);
        let mut reported = false;
        loop {
            tokio::select! {
                r = &mut attempt_fut => break r,
                _ = tokio::time::sleep(SLOW_STEP), if !reported => {
                    reported = true;
                    let (name, occurrence) = (&job.key.name, job.key.occurrence);
                    let ev = step_event(name, occurrence, attempt, "started", json!({}));
                    sink.report(vec![ev]);
                    sink.report_now();
                }
            }
        }
    };
    job.active
        .unless_stopped(watched)
        .await
        .map_err(Interrupt::trap)
}

/// Buffers what an attempt printed or logged as `log` events.
fn report_logs<S: StepSink>(sink: &mut S, step: &str, logs: AttemptLogs) {
    if logs.is_empty() {
        return;
    }
    let now = crate::clock::now_ms();
    sink.report(
        logs.into_iter()
            .map(|(level, message)| NewEvent {
                at: now,
                kind: EventKind::Log,
                data: json!({"step": step, "level": level, "message": message}),
            })
            .collect(),
    );
}

/// The check a step's outbound calls pass on their way out: the lease
/// check of the attempt's start, again, since an attempt may have been
/// paused with the process.
fn attempt_gate(job: &StepJob) -> Gate {
    let rt = job.rt.clone();
    let active = job.active.clone();
    Gate(Arc::new(move || {
        rt.lease_check(&active).map_err(|i| i.to_string())
    }))
}

async fn finish_failed<S: StepSink>(
    sink: &mut S,
    job: &StepJob,
    error: ErrorRecord,
    attempts: u32,
) -> wasmtime::Result<JournalEntry> {
    let value = record_json(&StepFailureRecord {
        error: error.clone(),
        attempts,
    });
    let ev = step_event(
        &job.key.name,
        job.key.occurrence,
        attempts,
        "failed",
        json!({"error": error}),
    );
    let entry = sink.record_outcome(&job.key, job.hash.clone(), false, value, ev);
    sink.durable().await?;
    Ok(entry)
}

/// A `step` event: how an attempt of a step occurrence went.
pub fn step_event(
    step: &str,
    occurrence: u32,
    attempt: u32,
    state: &str,
    mut extra: serde_json::Value,
) -> NewEvent {
    extra["step"] = json!(step);
    extra["occurrence"] = json!(occurrence);
    extra["attempt"] = json!(attempt);
    extra["state"] = json!(state);
    NewEvent {
        at: crate::clock::now_ms(),
        kind: EventKind::Step,
        data: extra,
    }
}

/// When the attempt after the journaled failed attempt `e` is due.
fn retry_at(job: &StepJob, e: &JournalEntry) -> wasmtime::Result<i64> {
    let attempt: AttemptRecord = e.decode(&job.run_id).map_err(wasmtime::Error::new)?;
    Ok(attempt.retry_at)
}

/// A journaled step outcome as the body receives it.
/// A journaled step outcome of `run_id` as the body receives it.
pub fn decode(run_id: &str, e: &JournalEntry) -> wasmtime::Result<Result<String, StepFailure>> {
    if e.ok {
        return Ok(Ok(e.value.clone().unwrap_or_else(|| "null".into())));
    }
    let failed: StepFailureRecord = e.decode(run_id).map_err(wasmtime::Error::new)?;
    let error = failed.error;
    Ok(Err(StepFailure {
        error: ErrorInfo {
            code: error.code,
            message: error.message,
            details: error.details.map(|d| d.to_string()),
        },
        attempts: failed.attempts,
    }))
}
