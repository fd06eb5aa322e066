//! The runtime: joins the journal and the engine. It creates runs, claims
//! them, runs activations (replaying the journal, then going live), and
//! keeps this worker's heartbeat.

mod body;
pub mod outside;
pub mod run;
pub mod step;
pub mod versions;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use crate::config::Config;
use crate::engine::{CairnEngine, EngineConfig};
use crate::journal::{NewRun, RunRecord, RunStatus, Storage, StoreError, WriteOp, WriteOutcome};

use run::interrupt::Interrupt;
use run::{lease, start};

pub use outside::restart::{RestartError, RestartOptions};
pub use outside::retry::{RetryError, RetryReport};
pub use outside::{human, respond};
pub use run::activation::Outcome;
pub use run::active::{ABANDONED, ActiveRun};
pub use run::ownership::WorkerIdentity;
pub use run::scheduler::ClaimError;
pub use versions::upgrade::{Check, UpgradeError, UpgradeReport};
pub use versions::{DeployOptions, DeployReport, LoadedVersion, Manifest, VersionError};

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
    /// The input or the options do not fit the workflow (see `run/start.rs`).
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
    /// What `GET /metrics` shows, and counters for benchmarks.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The LLM providers of `[llm.providers]`.
    pub llm: Arc<crate::llm::Providers>,
    active: Mutex<HashMap<String, Arc<ActiveRun>>>,
    /// Wakes the scheduler when work may have become due.
    wake: Notify,
    /// Spawned steps running at once in this process
    /// (`runtime.max_concurrent_steps`).
    step_slots: Arc<tokio::sync::Semaphore>,
    /// Whether this worker's lease still holds (`run/lease.rs`).
    pub lease: lease::LeaseGuard,
    /// The lease epoch of each claim in progress, taken before the claim
    /// was written (the activation it starts inherits it), and when.
    claims: Mutex<HashMap<String, (u64, std::time::Instant)>>,
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
        let metrics = Arc::new(crate::metrics::Metrics::new());
        let llm = crate::llm::Providers::new(&config.llm).with_meter(metrics.llm());
        let rt = Arc::new(Runtime {
            llm: Arc::new(llm),
            store,
            versions: versions::Versions::new(engine.clone()),
            engine,
            config,
            worker,
            metrics,
            active: Mutex::new(HashMap::new()),
            wake: Notify::new(),
            step_slots,
            lease,
            claims: Mutex::new(HashMap::new()),
            start_checks: start::StartChecks::default(),
        });
        tokio::spawn(run::heartbeat::heartbeat(Arc::downgrade(&rt)));
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
        let new = self.new_run(workflow, input, options).await?;
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
            .run(&run_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("run {run_id}")))?;
        Ok((run, existing))
    }

    /// A run to create, on the active version of `workflow`, once the
    /// checks every start shares (`run/start.rs`) pass.
    pub async fn new_run(
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
            .active_version(workflow)
            .await?
            .ok_or_else(|| StartError::UnknownWorkflow(workflow.to_string()))?;
        let session = options.session_id.as_deref();
        self.start_checks
            .check(&*self.store, &version, workflow, &value, session)
            .await
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
            .insert(run_id.to_string(), (epoch, std::time::Instant::now()));
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
    pub fn lease_check(&self, active: &ActiveRun) -> Result<(), Interrupt> {
        if let Some(i) = active.stop_reason() {
            return Err(i);
        }
        if let Err(lapse) = self.lease.check(crate::clock::now_ms()) {
            self.lapsed(&lapse);
            return Err(Interrupt::Fenced(lapse.to_string()));
        }
        if active.epoch != self.lease.epoch() {
            active.abandon();
            return Err(Interrupt::Fenced(ABANDONED.into()));
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

    /// Whether `run_id` was claimed (or created owned) here within `within`
    /// and its activation has not registered yet: it is about to run, not
    /// a stray, however long loading its version takes.
    pub(in crate::runtime) fn claimed_recently(&self, run_id: &str, within: std::time::Duration) -> bool {
        self.claims
            .lock()
            .expect("claims")
            .get(run_id)
            .is_some_and(|(_, at)| at.elapsed() < within)
    }

    fn register(&self, run_id: &str) -> Arc<ActiveRun> {
        let claimed_in = self
            .claims
            .lock()
            .expect("claims")
            .remove(run_id)
            .map(|(epoch, _)| epoch);
        let epoch = claimed_in.unwrap_or_else(|| self.lease.epoch());
        let a = Arc::new(ActiveRun::new(epoch));
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
