//! The runtime: joins the journal and the engine. It creates runs, claims
//! them, runs activations (replaying the journal, then going live), and
//! keeps this worker's heartbeat.

mod activation;
mod appender;
mod body;
mod body_human;
mod body_llm;
mod body_patch;
mod body_spawn;
mod body_step;
pub mod human;
pub mod interrupt;
pub mod lease;
pub mod manifest_ext;
pub mod metrics;
pub mod ownership;
pub mod replay;
pub mod respond;
pub mod retry;
pub mod scheduler;
pub mod start;
pub mod step;
pub mod step_llm;
pub mod triggers;
pub mod upgrade;
pub mod versions;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::sync::Notify;

use crate::config::Config;
use crate::engine::{CairnEngine, EngineConfig};
use crate::journal::{NewRun, RunRecord, RunStatus, Storage, StoreError, WriteOp, WriteOutcome};

pub use activation::Outcome;
pub use ownership::WorkerIdentity;
pub use retry::{RetryError, RetryReport};
pub use scheduler::ClaimError;
pub use upgrade::{Check, UpgradeError, UpgradeReport};
pub use versions::{DeployOptions, DeployReport, LoadedVersion, Manifest, VersionError};

/// A run this process is executing: lets `cancel` reach it, and the lease
/// guard abandon it.
#[derive(Debug, Default)]
pub struct ActiveRun {
    cancelled: AtomicBool,
    abandoned: AtomicBool,
    /// The lease epoch the run was claimed in (`lease.rs`).
    epoch: u64,
    notify: Notify,
}

/// Why an abandoned activation stops.
pub const ABANDONED: &str = "this worker's lease lapsed while it executed the run, so another \
    worker may own it now; the activation was abandoned";

impl ActiveRun {
    /// True once the run was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// True once the activation was abandoned (the lease lapsed).
    pub fn is_abandoned(&self) -> bool {
        self.abandoned.load(Ordering::SeqCst)
    }

    /// Marks the run cancelled and wakes whatever waits on it.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    /// Marks the activation abandoned and wakes whatever waits on it;
    /// false if it already was.
    pub fn abandon(&self) -> bool {
        let first = !self.abandoned.swap(true, Ordering::SeqCst);
        self.notify.notify_waiters();
        first
    }

    /// Why the activation must stop now, if it must.
    pub fn stop_reason(&self) -> Option<interrupt::Interrupt> {
        if self.is_cancelled() {
            Some(interrupt::Interrupt::Cancelled)
        } else if self.is_abandoned() {
            Some(interrupt::Interrupt::Fenced(ABANDONED.into()))
        } else {
            None
        }
    }

    /// Resolves when the run is cancelled or the activation abandoned,
    /// with the interrupt to trap with.
    pub async fn stopped(&self) -> interrupt::Interrupt {
        loop {
            let notified = self.notify.notified();
            if let Some(i) = self.stop_reason() {
                return i;
            }
            notified.await;
        }
    }
}

/// How a run is started.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// Runs sharing a session id share session state.
    pub session_id: Option<String>,
    /// The same key returns the same run.
    pub idempotency_key: Option<String>,
    /// Owned by this worker (which activates it at once), or left pending.
    pub owned: bool,
}

/// Why a run could not be started.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("unknown workflow `{0}`: no deployed version exports it (see `cairn versions`)")]
    UnknownWorkflow(String),
    #[error("the input is not valid JSON: {0}")]
    BadInput(String),
    /// The input or the options do not fit the workflow (see `start.rs`).
    #[error(transparent)]
    Refused(#[from] start::StartRefusal),
    #[error(transparent)]
    Version(#[from] VersionError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The runtime of one process.
pub struct Runtime {
    pub store: Arc<dyn Storage>,
    pub engine: Arc<CairnEngine>,
    pub versions: versions::Versions,
    pub config: Config,
    pub worker: WorkerIdentity,
    /// Counters for benchmarks and operators.
    pub metrics: metrics::Metrics,
    /// The LLM providers of `[llm.providers]`.
    pub llm: Arc<crate::llm::Providers>,
    active: Mutex<HashMap<String, Arc<ActiveRun>>>,
    /// Wakes the scheduler when work may have become due.
    wake: Notify,
    /// Spawned steps running at once in this process
    /// (`runtime.max_concurrent_steps`).
    step_slots: Arc<tokio::sync::Semaphore>,
    /// Whether this worker's lease still holds (`lease.rs`).
    pub lease: lease::LeaseGuard,
    /// The lease epoch of each claim in progress, taken before the claim
    /// was written: the activation it starts inherits it.
    claims: Mutex<HashMap<String, u64>>,
    /// Input schemas and session needs, per version started.
    start_checks: start::StartChecks,
}

impl Runtime {
    /// Builds the engine, registers this process as a worker and starts its
    /// heartbeat.
    pub async fn start(
        store: Arc<dyn Storage>,
        config: Config,
    ) -> Result<Arc<Runtime>, RuntimeError> {
        let engine = CairnEngine::new(&EngineConfig {
            pooling: config.engine.pooling,
            limits: config.limits,
            compile_cache: crate::engine::cache::CompileCache::new(&config.engine.compile_cache),
            ..EngineConfig::default()
        })
        .map_err(|e| RuntimeError::Engine(format!("{e:#}")))?;
        let engine = Arc::new(engine);
        let worker = WorkerIdentity::current();
        let step_slots = Arc::new(tokio::sync::Semaphore::new(
            config.runtime.max_concurrent_steps.max(1),
        ));
        let beat = crate::clock::now_ms();
        store.write(WriteOp::Heartbeat(worker.record(beat))).await?;
        let lease = lease::LeaseGuard::new(config.runtime.lease_secs, beat);
        let rt = Arc::new(Runtime {
            llm: Arc::new(crate::llm::Providers::new(&config.llm)),
            store,
            versions: versions::Versions::new(engine.clone()),
            engine,
            config,
            worker,
            metrics: metrics::Metrics::default(),
            active: Mutex::new(HashMap::new()),
            wake: Notify::new(),
            step_slots,
            lease,
            claims: Mutex::new(HashMap::new()),
            start_checks: start::StartChecks::default(),
        });
        tokio::spawn(heartbeat(Arc::downgrade(&rt)));
        Ok(rt)
    }

    /// Leaves cleanly: the runs this worker owns are released at once.
    pub async fn stop(&self) {
        let _ = self
            .store
            .write(WriteOp::RemoveWorker {
                id: self.worker.id.clone(),
            })
            .await;
    }

    /// Deploys a component.
    pub async fn deploy(
        &self,
        bytes: Vec<u8>,
        opts: &DeployOptions,
    ) -> Result<DeployReport, VersionError> {
        self.versions.deploy(&*self.store, bytes, opts).await
    }

    /// Creates a run of `workflow` on its active version, owned by this
    /// worker (the caller activates it).
    pub async fn create_run(
        &self,
        workflow: &str,
        input: &str,
        session_id: Option<String>,
    ) -> Result<RunRecord, StartError> {
        let options = StartOptions {
            session_id,
            idempotency_key: None,
            owned: true,
        };
        Ok(self.start_run(workflow, input, options).await?.0)
    }

    /// Creates a run; with `owned: false` it is left `pending` for any
    /// worker. Returns the run and whether it existed already (a repeated
    /// idempotency key).
    pub async fn start_run(
        &self,
        workflow: &str,
        input: &str,
        options: StartOptions,
    ) -> Result<(RunRecord, bool), StartError> {
        let new = self.new_run(workflow, input, options)?;
        self.create(new).await
    }

    /// Writes a run `new_run` made and checked.
    pub async fn create(&self, new: NewRun) -> Result<(RunRecord, bool), StartError> {
        if new.owner.is_some() {
            self.note_claim(&new.id);
        }
        let out = self.store.write(WriteOp::CreateRun(new)).await?;
        let WriteOutcome::Created { run_id, existing } = out else {
            return Err(StoreError::Corrupt(format!("create answered {out:?}")).into());
        };
        self.wake.notify_one();
        let run = self
            .store
            .run(&run_id)?
            .ok_or_else(|| StoreError::NotFound(format!("run {run_id}")))?;
        Ok((run, existing))
    }

    /// A run to create, on the active version of `workflow`, once the
    /// checks every start shares (`start.rs`) pass.
    pub fn new_run(
        &self,
        workflow: &str,
        input: &str,
        options: StartOptions,
    ) -> Result<NewRun, StartError> {
        let limit = self.config.limits.max_value_bytes;
        if input.len() as u64 > limit {
            let size = input.len();
            return Err(start::StartRefusal::TooLarge { size, limit }.into());
        }
        let value = serde_json::from_str::<serde_json::Value>(input)
            .map_err(|e| StartError::BadInput(e.to_string()))?;
        let version = self
            .store
            .active_version(workflow)?
            .ok_or_else(|| StartError::UnknownWorkflow(workflow.to_string()))?;
        let session = options.session_id.as_deref();
        self.start_checks
            .check(&*self.store, &version, workflow, &value, session)
            .map_err(|e| match e {
                start::CheckError::Refused(r) => StartError::Refused(r),
                start::CheckError::Store(s) => StartError::Store(s),
            })?;
        Ok(NewRun {
            id: uuid::Uuid::now_v7().to_string(),
            workflow: workflow.to_string(),
            version,
            input: input.to_string(),
            session_id: options.session_id,
            created_at: crate::clock::now_ms(),
            seed: rand::random(),
            owner: options.owned.then(|| self.worker.id.clone()),
            idempotency_key: options.idempotency_key,
        })
    }

    /// Wakes the scheduler: work may be due.
    pub fn notify_work(&self) {
        self.wake.notify_one();
    }

    /// Takes ownership of `run_id` if its owner is still `expected`. A
    /// worker whose lease lapsed claims nothing until it is renewed.
    pub async fn claim(
        &self,
        run_id: &str,
        expected: Option<String>,
    ) -> Result<Option<RunRecord>, StoreError> {
        if !self.lease_holds() {
            return Ok(None);
        }
        self.note_claim(run_id);
        let out = self
            .store
            .write(WriteOp::Claim {
                run_id: run_id.to_string(),
                owner: self.worker.id.clone(),
                expected_owner: expected,
            })
            .await;
        match out {
            Ok(WriteOutcome::Claimed(Some(r))) => Ok(Some(*r)),
            other => {
                self.claims.lock().expect("claims").remove(run_id);
                match other {
                    Ok(WriteOutcome::Claimed(None)) => Ok(None),
                    Err(e) => Err(e),
                    Ok(o) => Err(StoreError::Corrupt(format!("claim answered {o:?}"))),
                }
            }
        }
    }

    /// Remembers the lease epoch a claim of `run_id` is made in, before the
    /// claim is written: a lapse after this point, seen before or after the
    /// write commits, ends that epoch and so the activation.
    fn note_claim(&self, run_id: &str) {
        let epoch = self.lease.epoch();
        self.claims
            .lock()
            .expect("claims")
            .insert(run_id.to_string(), epoch);
    }

    /// True while this worker's lease holds; on a lapse, abandons the runs
    /// it executes.
    pub fn lease_holds(&self) -> bool {
        match self.lease.check(crate::clock::now_ms()) {
            Ok(()) => true,
            Err(lapse) => {
                self.lapsed(&lapse);
                false
            }
        }
    }

    /// Asked before a step attempt (or a step's outbound call, or a body's
    /// LLM call) starts: `Err` once the activation was abandoned or
    /// cancelled, or this worker's lease lapsed, or it lapsed since the
    /// run was claimed.
    pub fn lease_check(&self, active: &ActiveRun) -> Result<(), interrupt::Interrupt> {
        if let Some(i) = active.stop_reason() {
            return Err(i);
        }
        if let Err(lapse) = self.lease.check(crate::clock::now_ms()) {
            self.lapsed(&lapse);
            return Err(interrupt::Interrupt::Fenced(lapse.to_string()));
        }
        if active.epoch != self.lease.epoch() {
            active.abandon();
            return Err(interrupt::Interrupt::Fenced(ABANDONED.into()));
        }
        Ok(())
    }

    /// The lease lapsed: every run executing here may belong to another
    /// worker by now. Abandons them all, and says so once per lapse.
    fn lapsed(&self, lapse: &lease::Lapse) {
        let active = self.active.lock().expect("active runs");
        let abandoned = active.values().filter(|a| a.abandon()).count();
        if lapse.first || abandoned > 0 {
            tracing::warn!(runs = abandoned, "{lapse}");
        }
    }

    /// Cancels a run; returns the status it had.
    pub async fn cancel(&self, run_id: &str) -> Result<RunStatus, StoreError> {
        let out = self
            .store
            .write(WriteOp::Cancel {
                run_id: run_id.to_string(),
                at: crate::clock::now_ms(),
            })
            .await?;
        if let Some(a) = self.active.lock().expect("active runs").get(run_id) {
            a.cancel();
        }
        match out {
            WriteOutcome::Cancelled { previous } => Ok(previous),
            other => Err(StoreError::Corrupt(format!("cancel answered {other:?}"))),
        }
    }

    fn register(&self, run_id: &str) -> Arc<ActiveRun> {
        let claimed_in = self.claims.lock().expect("claims").remove(run_id);
        let a = Arc::new(ActiveRun {
            epoch: claimed_in.unwrap_or_else(|| self.lease.epoch()),
            ..ActiveRun::default()
        });
        self.active
            .lock()
            .expect("active runs")
            .insert(run_id.to_string(), a.clone());
        a
    }

    fn unregister(&self, run_id: &str) {
        self.active.lock().expect("active runs").remove(run_id);
        self.wake.notify_one();
    }

    /// Runs executing in this process now.
    pub fn active_count(&self) -> usize {
        self.active.lock().expect("active runs").len()
    }

    fn lease_ms(&self) -> i64 {
        (self.config.runtime.lease_secs * 1000) as i64
    }
}

/// Why the runtime could not start.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("the wasmtime engine could not be built: {0}")]
    Engine(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Releases runs this worker owns but has not executed for a whole beat
/// (an activation that ended without recording its end, say when the
/// journal could not be written): nobody else would take them while this
/// worker lives. Returns the runs owned and idle now, for the next beat.
async fn release_strays(
    rt: &Runtime,
    before: std::collections::HashSet<String>,
) -> std::collections::HashSet<String> {
    let Ok(owned) = rt.store.owned_by(&rt.worker.id) else {
        return before;
    };
    let idle: std::collections::HashSet<String> = {
        let active = rt.active.lock().expect("active runs");
        owned
            .into_iter()
            .filter(|id| !active.contains_key(id))
            .collect()
    };
    for id in idle.intersection(&before) {
        tracing::warn!(run = %id, "releasing a run this worker owned but no longer executed");
        let _ = rt
            .store
            .write(WriteOp::Release {
                run_id: id.clone(),
                owner: rt.worker.id.clone(),
            })
            .await;
        rt.wake.notify_one();
    }
    idle
}

/// Refreshes this worker's heartbeat and notices cancellations of the runs
/// it executes, until the runtime is dropped. A lapse of the lease found
/// at a beat (the process was paused, or its beats failed) abandons the
/// runs it executes before the lease is renewed.
async fn heartbeat(rt: Weak<Runtime>) {
    let mut last_beat = crate::clock::now_ms();
    // Runs this worker owned without executing them at the last beat.
    let mut idle: std::collections::HashSet<String> = Default::default();
    loop {
        let interval = match rt.upgrade() {
            Some(rt) => rt.lease.beat_interval_ms(),
            None => return,
        };
        tokio::time::sleep(Duration::from_millis(interval.clamp(1, 250) as u64)).await;
        let Some(rt) = rt.upgrade() else { return };
        let now = crate::clock::now_ms();
        if now - last_beat >= interval {
            last_beat = now;
            rt.lease_holds();
            match rt
                .store
                .write(WriteOp::Heartbeat(rt.worker.record(now)))
                .await
            {
                Ok(_) => rt.lease.renewed(now),
                Err(e) => tracing::warn!(error = %e, "heartbeat failed"),
            }
            idle = release_strays(&rt, idle).await;
        }
        if rt.active_count() == 0 {
            continue;
        }
        match rt.store.cancelled_owned(&rt.worker.id) {
            Ok(ids) => {
                let active = rt.active.lock().expect("active runs");
                for id in ids {
                    if let Some(a) = active.get(&id) {
                        a.cancel();
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "checking for cancellations failed"),
        }
    }
}
