//! One activation: instantiate the body, replay the journal, go live, and
//! record how it ended.

use crate::error_code::ErrorCode;
use std::sync::Arc;

use serde::Serialize;
use tracing::Instrument;

use crate::engine::bindings::types as wit;
use crate::engine::limits::LimitExceeded;
use crate::journal::{ErrorRecord, NewEvent, RunRecord, RunStatus, UnixMs, WriteOp};
use crate::metrics::{ActivationOutcome, InstanceKind};

use super::interrupt::Interrupt;
use super::replay::ReplayLog;
use crate::runtime::Runtime;
use crate::runtime::body::BodyState;
use crate::runtime::step::{info_record, trap_message};
use crate::runtime::versions::LoadedVersion;

/// How an activation ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum Outcome {
    /// The body returned an output.
    Completed { output: String },
    /// The body returned an error, trapped, or hit a limit.
    Failed { error: ErrorRecord },
    /// The run waits for a timer or for something from outside.
    Suspended {
        status: RunStatus,
        wake_at: Option<UnixMs>,
    },
    /// The run was cancelled.
    Cancelled,
    /// The journal no longer matches the code (strict version).
    Diverged { message: String },
    /// This worker lost the run (another owns it) or could not write;
    /// `problem` says when the database itself is the cause.
    Lost {
        reason: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        problem: Option<crate::journal::DatabaseProblem>,
    },
}

impl Outcome {
    /// The run status this outcome leaves, as far as this worker knows.
    pub fn status(&self) -> RunStatus {
        match self {
            Outcome::Completed { .. } => RunStatus::Completed,
            Outcome::Failed { .. } => RunStatus::Failed,
            Outcome::Suspended { status, .. } => *status,
            Outcome::Cancelled => RunStatus::Cancelled,
            Outcome::Diverged { .. } => RunStatus::Diverged,
            Outcome::Lost { .. } => RunStatus::Running,
        }
    }

    /// How `GET /metrics` counts it.
    pub fn metric(&self) -> ActivationOutcome {
        match self {
            Outcome::Completed { .. } => ActivationOutcome::completed,
            Outcome::Failed { .. } => ActivationOutcome::failed,
            Outcome::Suspended { .. } => ActivationOutcome::suspended,
            Outcome::Cancelled => ActivationOutcome::cancelled,
            Outcome::Diverged { .. } => ActivationOutcome::diverged,
            Outcome::Lost { .. } => ActivationOutcome::lost,
        }
    }
}

impl Runtime {
    /// Runs one activation of `run`, which this worker owns.
    pub async fn activate(self: &Arc<Self>, run: RunRecord) -> Outcome {
        let span = tracing::info_span!("run", run = %run.id, workflow = %run.workflow,
                                       activation = run.activations);
        let run_id = run.id.clone();
        let workflow = run.workflow.clone();
        let active = self.register(&run_id);
        let outcome = self
            .activate_inner(run, active.clone())
            .instrument(span)
            .await;
        if active.is_abandoned() {
            // The lease lapsed: if nobody took the run meanwhile, give it
            // up so that any worker (this one included) replays it.
            let release = WriteOp::Release {
                run_id: run_id.clone(),
                owner: self.worker.id.clone(),
            };
            if let Err(e) = self.store.write(release).await {
                tracing::warn!(error = %e, "releasing an abandoned run failed");
            }
        }
        self.unregister(&run_id);
        self.metrics.activation(&workflow, outcome.metric());
        outcome
    }

    async fn activate_inner(
        self: &Arc<Self>,
        run: RunRecord,
        active: Arc<crate::runtime::ActiveRun>,
    ) -> Outcome {
        let run = self.maybe_move(run).await;
        let (version, log) = match self.prepare(&run).await {
            Ok(ready) => ready,
            Err(ended) => return ended,
        };
        let state = BodyState::new(
            self.clone(),
            run.clone(),
            version.clone(),
            log,
            active,
            false,
        );
        let (mut state, result) = self.call_body(&version, &run, state).await;
        let outcome = match wind_down(&mut state, result).await {
            Ok(outcome) => outcome,
            Err(ended) => return ended,
        };
        let events = state.cx.take_events();
        let awaited_signal = state.cx.awaited_signal.take();
        let outcome = self.finish(&run, outcome, events).await;
        if let (Outcome::Suspended { .. }, Some(name)) = (&outcome, awaited_signal) {
            self.recheck_signal(&run.id, &name).await;
        }
        outcome
    }

    /// The version `run` runs on and its journal, ready to replay; or how
    /// the activation ended when either cannot be had.
    async fn prepare(&self, run: &RunRecord) -> Result<(Arc<LoadedVersion>, ReplayLog), Outcome> {
        let version = match self.versions.get(&*self.store, &run.version).await {
            Ok(v) => v,
            Err(e) => {
                let error = ErrorRecord::new(
                    ErrorCode::Version,
                    format!("version {} could not be loaded: {e}", short(&run.version)),
                );
                return Err(self
                    .finish(run, Outcome::Failed { error }, Vec::new())
                    .await);
            }
        };
        let entries = match self.store.journal(&run.id).await {
            Ok(e) => e,
            Err(e) => {
                return Err(Outcome::Lost {
                    reason: e.to_string(),
                    problem: e.problem().cloned(),
                });
            }
        };
        tracing::debug!(entries = entries.len(), "activation starts");
        Ok((version, ReplayLog::new(entries)))
    }

    /// A signal sent after the body looked for one but before the run was
    /// `waiting` found it running and did not wake it: look again, now
    /// that the run is released, and make it due if one is there.
    async fn recheck_signal(&self, run_id: &str, name: &str) {
        match self.store.next_signal(run_id, name).await {
            Ok(Some(_)) => {
                let wake = WriteOp::Wake {
                    run_id: run_id.to_string(),
                    at: crate::clock::now_ms(),
                };
                if let Err(e) = self.store.write(wake).await {
                    tracing::warn!(error = %e, "waking a signalled run failed");
                }
                self.wake.notify_one();
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "checking for signals failed"),
        }
    }

    /// Instantiates the body of `version` and runs `run`'s workflow in it,
    /// live or dry as `state` says.
    pub(in crate::runtime) async fn call_body(
        &self,
        version: &LoadedVersion,
        run: &RunRecord,
        state: BodyState,
    ) -> (
        BodyState,
        wasmtime::Result<Result<String, wit::WorkflowError>>,
    ) {
        let _live = self.metrics.instance(InstanceKind::body);
        let mut store = self.engine.store(state);
        let result = async {
            let instance = version.body.instantiate_async(&mut store).await?;
            instance
                .call_run(&mut store, &run.workflow, &run.input)
                .await
        }
        .await;
        (store.into_data(), result)
    }

    /// Records the end of an activation on the run.
    async fn finish(&self, run: &RunRecord, outcome: Outcome, events: Vec<NewEvent>) -> Outcome {
        let (status, output, error, wake_at) = match &outcome {
            Outcome::Completed { output } => {
                (RunStatus::Completed, Some(output.clone()), None, None)
            }
            Outcome::Failed { error } => (RunStatus::Failed, None, Some(error.clone()), None),
            Outcome::Suspended { status, wake_at } => (*status, None, None, *wake_at),
            Outcome::Diverged { message } => (
                RunStatus::Diverged,
                None,
                Some(ErrorRecord::new(ErrorCode::Diverged, message.clone())),
                None,
            ),
            Outcome::Cancelled | Outcome::Lost { .. } => return outcome,
        };
        match status {
            RunStatus::Failed => tracing::info!(error = ?error, "run failed"),
            _ => tracing::info!(%status, "activation ended"),
        }
        let write = self.store.write(WriteOp::SetStatus {
            run_id: run.id.clone(),
            owner: self.worker.id.clone(),
            status,
            output,
            error,
            wake_at,
            release: true,
            events,
        });
        match write.await {
            Ok(_) => {
                if matches!(status, RunStatus::Sleeping | RunStatus::Waiting) {
                    self.wake.notify_one();
                }
                outcome
            }
            Err(e) => interrupted(Interrupt::from_store(e)),
        }
    }
}

/// What a run records when its body returned an error.
pub(in crate::runtime) fn returned_error(e: wit::WorkflowError) -> ErrorRecord {
    match e {
        wit::WorkflowError::Failed(i) => info_record(i),
        wit::WorkflowError::BadInput(m) => ErrorRecord::new(ErrorCode::BadInput, m),
        wit::WorkflowError::UnknownWorkflow(m) => ErrorRecord::new(
            ErrorCode::UnknownWorkflow,
            format!("the component has no workflow named `{m}`"),
        ),
    }
}

/// What a run records when its body trapped (not on purpose: an
/// [`Interrupt`] is no failure) or hit a limit; `panic` is the message the
/// SDK reported before a panic's trap.
pub(in crate::runtime) fn trap_error(trap: &wasmtime::Error, panic: Option<&str>) -> ErrorRecord {
    if let Some(l) = trap.downcast_ref::<LimitExceeded>() {
        return ErrorRecord::new(ErrorCode::Limit, l.message.clone());
    }
    let message = match panic {
        Some(p) => format!("the workflow body panicked: {p}"),
        None => format!("the workflow body trapped: {}", trap_message(trap)),
    };
    ErrorRecord::new(ErrorCode::Trap, message)
}

/// After the body returned or trapped: settles the spawned steps, makes
/// the journal durable and says how the activation ended — `Ok` for an
/// outcome still to be recorded, `Err` for one that must not be (the run
/// was cancelled, lost, or the journal could not be written).
async fn wind_down(
    state: &mut BodyState,
    result: wasmtime::Result<Result<String, wit::WorkflowError>>,
) -> Result<Outcome, Outcome> {
    let lines = state.drain_output(true);
    if !lines.is_empty() {
        state.cx.event_batch(lines);
    }
    // Spawned steps still running end before the activation does
    // (`body/spawn/`); an interrupted activation abandons them.
    let abandon = matches!(&result, Err(t) if t
        .downcast_ref::<Interrupt>()
        .is_some_and(|i| !matches!(i, Interrupt::Suspend { .. })));
    let settled = crate::runtime::body::spawn::settle(&mut state.cx, abandon).await;
    if state.cx.active.is_cancelled() {
        state.cx.flush_events();
        let _ = state.cx.barrier().await;
        return Err(Outcome::Cancelled);
    }
    if let Err(i) = settled {
        return Err(interrupted(i));
    }
    if let Err(e) = state.cx.barrier().await
        && let Some(i) = e.downcast_ref::<Interrupt>()
    {
        return Err(interrupted(i.clone()));
    }
    Ok(match result {
        Ok(Ok(output)) => match state.cx.check_size("the run's output", &output) {
            Ok(()) => Outcome::Completed { output },
            Err(e) => Outcome::Failed {
                error: ErrorRecord::new(ErrorCode::Limit, e.to_string()),
            },
        },
        Ok(Err(e)) => Outcome::Failed {
            error: returned_error(e),
        },
        Err(trap) => match trap.downcast_ref::<Interrupt>() {
            Some(
                i @ (Interrupt::Cancelled
                | Interrupt::Fenced(_)
                | Interrupt::Store(_)
                | Interrupt::Database(_)),
            ) => return Err(interrupted(i.clone())),
            Some(i) => interrupted(i.clone()),
            None => Outcome::Failed {
                error: trap_error(&trap, state.cx.panic.as_deref()),
            },
        },
    })
}

fn interrupted(i: Interrupt) -> Outcome {
    match i {
        Interrupt::Suspend { status, wake_at } => Outcome::Suspended { status, wake_at },
        Interrupt::Cancelled => Outcome::Cancelled,
        Interrupt::Diverged(message) => Outcome::Diverged { message },
        Interrupt::Fenced(reason) | Interrupt::Store(reason) => Outcome::Lost {
            reason,
            problem: None,
        },
        Interrupt::Database(p) => Outcome::Lost {
            reason: p.message.clone(),
            problem: Some(p),
        },
        Interrupt::DryFrontier | Interrupt::DryDiverged(_) => Outcome::Lost {
            reason: "a dry replay ended a live activation".into(),
            problem: None,
        },
    }
}

/// The first 12 hex digits of a version.
pub fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}
