//! Moving runs between versions: the side-effect-free replay check, the
//! automatic move at activation, `cairn upgrade` and `cairn replay`.
//!
//! A run is *clean* on a version when that version's body, replayed
//! against the run's journal, consumes every journaled entry — each matched
//! by key and input hash — before it asks for anything the journal does not
//! hold (or returns). Only a clean run moves; the rest finish where they are.

use std::collections::HashSet;
use std::sync::Arc;

use serde::Serialize;
use serde_json::json;

use crate::engine::bindings::types as wit;
use crate::journal::{
    EventKind, NewEvent, RunRecord, RunStatus, StoreError, WriteOp, WriteOutcome,
};

use super::{LoadedVersion, VersionError};
use crate::runtime::Runtime;
use crate::runtime::body::spawn::DrySpawns;
use crate::runtime::body::{BodyCx, BodyState};
use crate::runtime::run::activation::{returned_error, short, trap_error};
use crate::runtime::run::interrupt::Interrupt;
use crate::runtime::run::replay::{Divergence, ReplayLog};

/// The result of replaying a run's journal against a version.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "result", rename_all = "lowercase")]
pub enum Check {
    /// Every entry matched.
    Clean {
        /// Journal entries replayed.
        entries: usize,
        /// The body returned during the replay (the run would complete).
        completed: bool,
        /// The run failed, and the replay ends in that same failure.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        fails_as_recorded: bool,
    },
    /// The first place code and journal disagree.
    Divergent(Divergence),
    /// The body fails on this version where the run did not (returns an
    /// error, traps, hits a limit, or cannot read a journaled value), or
    /// the replay could not be made.
    Failed { message: String },
}

impl Check {
    /// True when the run may move.
    pub fn is_clean(&self) -> bool {
        matches!(self, Check::Clean { .. })
    }

    /// One line for people.
    pub fn describe(&self) -> String {
        match self {
            Check::Clean {
                entries,
                completed,
                fails_as_recorded,
            } => format!(
                "clean: all {entries} journal entries replay{}",
                if *completed {
                    ", and the workflow completes"
                } else if *fails_as_recorded {
                    ", and the workflow fails as it did"
                } else {
                    ""
                }
            ),
            Check::Divergent(d) => format!(
                "divergent at {}: expected {}, found {}",
                d.key, d.expected, d.found
            ),
            Check::Failed { message } => format!("not clean: {message}"),
        }
    }
}

/// Why an upgrade or replay could not be attempted.
#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    #[error("no run with id `{0}`")]
    UnknownRun(String),
    #[error("no deployed version matches `{0}`")]
    UnknownVersion(String),
    #[error("`{0}` matches more than one version; give more of the sha")]
    AmbiguousVersion(String),
    #[error("run {0} already ended ({1}); there is nothing to move")]
    Ended(String, String),
    #[error("version {version} does not export workflow `{workflow}`")]
    NoSuchWorkflow { version: String, workflow: String },
    #[error("run {0} is being executed by a live worker; try again when it suspends")]
    Busy(String),
    #[error(transparent)]
    Version(#[from] VersionError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What `cairn upgrade` did.
#[derive(Debug, Clone, Serialize)]
pub struct UpgradeReport {
    pub run_id: String,
    pub from: String,
    pub to: String,
    pub check: Check,
    pub moved: bool,
    pub forced: bool,
}

impl Runtime {
    /// Replays `run`'s journal against `version` without side effects.
    pub async fn dry_check(
        self: &Arc<Self>,
        run: &RunRecord,
        version: Arc<LoadedVersion>,
    ) -> Check {
        if !version
            .manifest
            .workflows
            .iter()
            .any(|w| w.name == run.workflow)
        {
            return Check::Failed {
                message: format!("the version does not export workflow `{}`", run.workflow),
            };
        }
        if version.sha == run.version {
            return self.dry_pass(run, &version, DrySpawns::default()).await.0;
        }
        let strict = |allowed| DrySpawns::Strict {
            allowed,
            refused: false,
        };
        let (check, spawns) = self.dry_pass(run, &version, strict(HashSet::new())).await;
        if !matches!(spawns, DrySpawns::Strict { refused: true, .. }) {
            return check;
        }
        // A spawn missing from the journal may be one the run's own version
        // had in flight when its process died. Then it is no new step: the
        // own version, replayed, names the spawns it makes there.
        let Ok(own) = self.versions.get(&*self.store, &run.version).await else {
            return check;
        };
        let seen = match self.dry_pass(run, &own, DrySpawns::default()).await.1 {
            DrySpawns::Tolerate { seen } if !seen.is_empty() => seen,
            _ => return check,
        };
        self.dry_pass(run, &version, strict(seen)).await.0
    }

    /// One dry replay of `run` on `version`, taking unrecorded spawns as
    /// `spawns` says; returns the check and what became of `spawns`.
    async fn dry_pass(
        self: &Arc<Self>,
        run: &RunRecord,
        version: &Arc<LoadedVersion>,
        spawns: DrySpawns,
    ) -> (Check, DrySpawns) {
        let entries = match self.store.journal(&run.id).await {
            Ok(e) => e,
            Err(e) => {
                let message = e.to_string();
                return (Check::Failed { message }, spawns);
            }
        };
        let log = ReplayLog::new(entries);
        let total = log.remaining();
        let active = Arc::new(crate::runtime::ActiveRun::default());
        let mut state = BodyState::new(
            self.clone(),
            run.clone(),
            version.clone(),
            log,
            active,
            true,
        );
        state.cx.dry_spawns = spawns;
        let (mut state, result) = self.call_body(version, run, state).await;
        let check = verdict(run, total, &mut state.cx, result);
        (check, std::mem::take(&mut state.cx.dry_spawns))
    }

    /// At activation: if the run's workflow has a newer active version that
    /// was not deployed with `--pin`, check the run against it and move it
    /// when clean. Returns the run as it now stands.
    pub async fn maybe_move(self: &Arc<Self>, run: RunRecord) -> RunRecord {
        let Ok(Some(active)) = self.store.active_version(&run.workflow).await else {
            return run;
        };
        if active == run.version || run.checked_version.as_deref() == Some(active.as_str()) {
            return run;
        }
        let target = match self.versions.get(&*self.store, &active).await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, "the active version cannot be loaded; not moving");
                return run;
            }
        };
        if target.pin {
            return run;
        }
        let check = self.dry_check(&run, target).await;
        tracing::info!(run = %run.id, to = %short(&active), check = %check.describe(), "move check");
        if check.is_clean() {
            match self.move_run(&run, &active, false).await {
                Ok(true) => return self.store.run(&run.id).await.ok().flatten().unwrap_or(run),
                Ok(false) => return run,
                Err(e) => {
                    tracing::warn!(error = %e, "moving the run failed");
                    return run;
                }
            }
        }
        let event = NewEvent {
            at: crate::clock::now_ms(),
            kind: EventKind::Version,
            data: json!({
                "moved": false,
                "from": run.version,
                "to": active,
                "reason": check.describe(),
                "check": check,
            }),
        };
        let _ = self
            .store
            .write(WriteOp::MarkChecked {
                run_id: run.id.clone(),
                version: active,
                events: vec![event],
            })
            .await;
        run
    }

    async fn move_run(&self, run: &RunRecord, to: &str, forced: bool) -> Result<bool, StoreError> {
        let out = self
            .store
            .write(WriteOp::MoveRun {
                run_id: run.id.clone(),
                owner: self.worker.id.clone(),
                from: run.version.clone(),
                to: to.to_string(),
                forced,
                at: crate::clock::now_ms(),
            })
            .await?;
        Ok(out == WriteOutcome::Moved(true))
    }

    /// Finds a deployed version by sha or unique prefix.
    pub async fn find_version(&self, prefix: &str) -> Result<String, UpgradeError> {
        let matches: Vec<String> = self
            .store
            .versions()
            .await?
            .into_iter()
            .map(|v| v.sha)
            .filter(|s| s.starts_with(prefix))
            .collect();
        match matches.len() {
            0 => Err(UpgradeError::UnknownVersion(prefix.to_string())),
            1 => Ok(matches.into_iter().next().expect("one match")),
            _ => Err(UpgradeError::AmbiguousVersion(prefix.to_string())),
        }
    }

    /// `cairn upgrade RUN --to VERSION [--dry-run] [--force]`.
    pub async fn upgrade(
        self: &Arc<Self>,
        run_id: &str,
        to: &str,
        dry_run: bool,
        force: bool,
    ) -> Result<UpgradeReport, UpgradeError> {
        let run = self
            .store
            .run(run_id)
            .await?
            .ok_or_else(|| UpgradeError::UnknownRun(run_id.to_string()))?;
        if run.status.is_terminal() {
            return Err(UpgradeError::Ended(run.id, run.status.to_string()));
        }
        let sha = self.find_version(to).await?;
        let target = self.versions.get(&*self.store, &sha).await?;
        if !target
            .manifest
            .workflows
            .iter()
            .any(|w| w.name == run.workflow)
        {
            return Err(UpgradeError::NoSuchWorkflow {
                version: short(&sha).to_string(),
                workflow: run.workflow.clone(),
            });
        }
        let check = self.dry_check(&run, target).await;
        let mut moved = false;
        if !dry_run && sha != run.version && (check.is_clean() || force) {
            moved = self
                .move_run(&run, &sha, force && !check.is_clean())
                .await?;
            if !moved {
                return Err(UpgradeError::Busy(run.id));
            }
        }
        Ok(UpgradeReport {
            run_id: run.id,
            from: run.version,
            to: sha,
            forced: moved && !check.is_clean(),
            check,
            moved,
        })
    }

    /// `cairn replay RUN [--with FILE]`: the check against the run's own
    /// version, or against component bytes that need not be deployed.
    pub async fn replay_check(
        self: &Arc<Self>,
        run_id: &str,
        with: Option<Vec<u8>>,
    ) -> Result<Check, UpgradeError> {
        let run = self
            .store
            .run(run_id)
            .await?
            .ok_or_else(|| UpgradeError::UnknownRun(run_id.to_string()))?;
        let version = match with {
            None => self.versions.get(&*self.store, &run.version).await?,
            Some(bytes) => Arc::new(self.versions.load_bytes(&*self.store, bytes).await?),
        };
        Ok(self.dry_check(&run, version).await)
    }
}

/// What a dry replay's end says about the run: clean only if the body
/// consumed every journaled entry, read every value it was handed, and
/// stopped where the journal ends (or returned an output). A body that
/// fails — returns an error, traps, hits a limit — is not clean, unless the
/// run already failed just so.
fn verdict(
    run: &RunRecord,
    total: usize,
    cx: &mut BodyCx,
    result: wasmtime::Result<Result<String, wit::WorkflowError>>,
) -> Check {
    // The first thing that went wrong is what a person needs to hear: the
    // body may go on (or give up) for reasons of its own after it.
    if let Some(m) = cx.unreadable.take() {
        return Check::Failed {
            message: format!("the code cannot read a value the journal holds: {m}"),
        };
    }
    let error = match result {
        Ok(Ok(_)) => {
            return match cx.log.first_unconsumed() {
                Some(left) => Check::Divergent(Divergence::ended(&left)),
                None => Check::Clean {
                    entries: total,
                    completed: true,
                    fails_as_recorded: false,
                },
            };
        }
        Ok(Err(e)) => returned_error(e),
        Err(trap) => match trap.downcast_ref::<Interrupt>() {
            Some(Interrupt::DryFrontier) => {
                return Check::Clean {
                    entries: total,
                    completed: false,
                    fails_as_recorded: false,
                };
            }
            Some(Interrupt::DryDiverged(d)) => return Check::Divergent(d.clone()),
            _ => trap_error(&trap, cx.panic.as_deref()),
        },
    };
    let consumed_all = cx.log.first_unconsumed().is_none();
    if consumed_all && run.status == RunStatus::Failed && run.error.as_ref() == Some(&error) {
        return Check::Clean {
            entries: total,
            completed: false,
            fails_as_recorded: true,
        };
    }
    Check::Failed {
        message: format!(
            "the workflow fails on this version ({}): {}",
            error.code, error.message
        ),
    }
}
