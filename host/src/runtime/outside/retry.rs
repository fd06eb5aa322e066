//! `cairn retry`: a run that failed for a cause a person can fix (a limit,
//! an LLM provider missing or down, a session problem) gets a new
//! activation from its journal, under the configuration now in force, and
//! optionally on another version. Completed steps replay from the journal;
//! nothing journaled runs again.

use std::sync::Arc;

use serde::Serialize;

use crate::journal::{RunStatus, StoreError, WriteOp, WriteOutcome};

use crate::runtime::Runtime;
use crate::runtime::run::activation::short;
use crate::runtime::versions::upgrade::{Check, UpgradeError};

/// Why a run could not be retried.
#[derive(Debug, thiserror::Error)]
pub enum RetryError {
    #[error("no run with id `{0}` (see `cairn runs`)")]
    UnknownRun(String),
    #[error(
        "run {0} is {1}: only a failed or diverged run can be retried{hint}",
        hint = not_ended_hint(*.1)
    )]
    NotEnded(String, RunStatus),
    #[error("run {0} {1}: there is nothing to retry")]
    Finished(String, &'static str),
    #[error(
        "run {run} would not be clean on version {to}: {check}; \
         it stays failed (use --force to move it anyway)"
    )]
    NotClean {
        run: String,
        to: String,
        check: String,
    },
    #[error(transparent)]
    Version(UpgradeError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn not_ended_hint(status: RunStatus) -> &'static str {
    if status.is_terminal() {
        ""
    } else {
        " (this one has not ended; `cairn resume RUN` runs it if it is due)"
    }
}

/// What `retry` did.
#[derive(Debug, Clone, Serialize)]
pub struct RetryReport {
    pub run_id: String,
    /// The status the run had (`failed` or `diverged`).
    pub previous: RunStatus,
    /// The version the run is on now.
    pub version: String,
    /// The version it was on, when `--to` moved it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<String>,
    /// The replay check against `--to`'s version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<Check>,
    /// Moved although the check was not clean.
    pub forced: bool,
}

impl Runtime {
    /// Makes a failed run pending again (on version `to`, after a replay
    /// check, when given). Any worker then takes it like a new run.
    pub async fn retry(
        self: &Arc<Self>,
        run_id: &str,
        to: Option<&str>,
        force: bool,
    ) -> Result<RetryReport, RetryError> {
        let run = self
            .store
            .run(run_id)
            .await?
            .ok_or_else(|| RetryError::UnknownRun(run_id.to_string()))?;
        match run.status {
            RunStatus::Completed => return Err(RetryError::Finished(run.id, "completed")),
            RunStatus::Cancelled => return Err(RetryError::Finished(run.id, "was cancelled")),
            s if !s.can_retry() => return Err(RetryError::NotEnded(run.id, s)),
            _ => {}
        }
        let mut report = RetryReport {
            run_id: run.id.clone(),
            previous: run.status,
            version: run.version.clone(),
            moved_from: None,
            check: None,
            forced: false,
        };
        if let Some(to) = to {
            let sha = self.find_version(to).await.map_err(RetryError::Version)?;
            if sha != run.version {
                let target = self
                    .versions
                    .get(&*self.store, &sha)
                    .await
                    .map_err(|e| RetryError::Version(e.into()))?;
                if !target
                    .manifest
                    .workflows
                    .iter()
                    .any(|w| w.name == run.workflow)
                {
                    return Err(RetryError::Version(UpgradeError::NoSuchWorkflow {
                        version: short(&sha).to_string(),
                        workflow: run.workflow.clone(),
                    }));
                }
                let check = self.dry_check(&run, target).await;
                if !check.is_clean() && !force {
                    return Err(RetryError::NotClean {
                        run: run.id,
                        to: short(&sha).to_string(),
                        check: check.describe(),
                    });
                }
                report.forced = !check.is_clean();
                report.check = Some(check);
                report.moved_from = Some(run.version.clone());
                report.version = sha;
            }
        }
        let out = self
            .store
            .write(WriteOp::Retry {
                run_id: run.id.clone(),
                to: report.moved_from.as_ref().map(|_| report.version.clone()),
                forced: report.forced,
                at: crate::clock::now_ms(),
            })
            .await?;
        match out {
            WriteOutcome::Retried { retried: true, .. } => {
                tracing::info!(run = %run.id, version = %short(&report.version), "run retried");
                self.wake.notify_one();
                Ok(report)
            }
            WriteOutcome::Retried { previous, .. } => Err(RetryError::NotEnded(run.id, previous)),
            other => Err(RetryError::Store(StoreError::Corrupt(format!(
                "retry answered {other:?}"
            )))),
        }
    }
}
