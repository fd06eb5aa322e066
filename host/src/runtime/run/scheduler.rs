//! Finding work: due timers, pending runs and runs whose owner died; the
//! `serve` loop, `resume` and `run --wait` are built from these.

use crate::error_code::ErrorCode;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;

use crate::journal::{RunRecord, RunStatus, StoreError};

use crate::runtime::{Outcome, Runtime};

/// A run taken over by this worker, ready to activate.
type Claimed = RunRecord;

/// Why a run named by the caller could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    #[error("no run with id `{0}`")]
    Unknown(String),
    #[error("run {0} already ended ({1})")]
    Ended(String, RunStatus),
    #[error("run {0} is being executed by a live worker ({1})")]
    Busy(String, String),
    #[error("run {0} was taken by another worker")]
    Taken(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Runtime {
    /// Claims what is due now: pending runs, sleeping runs whose timer
    /// fired, released runs, and runs whose owner is dead.
    pub async fn claim_due(&self, limit: usize) -> Result<Vec<Claimed>, StoreError> {
        let mut out = self.claim_timers(limit).await?;
        out.extend(self.claim_orphans(limit.saturating_sub(out.len())).await?);
        Ok(out)
    }

    /// Claims pending, released and sleeping-and-due runs.
    async fn claim_timers(&self, limit: usize) -> Result<Vec<Claimed>, StoreError> {
        let now = crate::clock::now_ms();
        let mut out = Vec::new();
        for run in self.store.due_runs(now, limit as u32).await? {
            if let Some(r) = self.claim(&run.id, None).await? {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Claims runs whose owner is dead.
    async fn claim_orphans(&self, limit: usize) -> Result<Vec<Claimed>, StoreError> {
        let now = crate::clock::now_ms();
        let mut out = Vec::new();
        for (run, worker) in self.store.owned_runs(&self.worker.id).await? {
            if out.len() >= limit {
                break;
            }
            if self
                .worker
                .owner_is_dead(worker.as_ref(), now, self.lease_ms())
            {
                tracing::info!(run = %run.id, owner = ?run.owner, "taking over an orphaned run");
                if let Some(r) = self.claim(&run.id, run.owner.clone()).await? {
                    out.push(r);
                }
            }
        }
        Ok(out)
    }

    /// Claims the run `id`, whatever its timer says, unless it ended or a
    /// live worker holds it.
    pub async fn claim_named(&self, id: &str) -> Result<Claimed, ClaimError> {
        let run = self
            .store
            .run(id)
            .await?
            .ok_or_else(|| ClaimError::Unknown(id.to_string()))?;
        if run.status.is_terminal() {
            return Err(ClaimError::Ended(run.id, run.status));
        }
        if let Some(owner) = &run.owner {
            let worker = self.store.worker(owner).await?;
            let now = crate::clock::now_ms();
            if !self
                .worker
                .owner_is_dead(worker.as_ref(), now, self.lease_ms())
            {
                return Err(ClaimError::Busy(run.id.clone(), owner.clone()));
            }
        }
        self.claim(id, run.owner.clone())
            .await?
            .ok_or_else(|| ClaimError::Taken(id.to_string()))
    }

    /// Claims and runs, once, everything due now; waits for those
    /// activations to end.
    pub async fn resume_due(self: &Arc<Self>) -> Result<Vec<(String, Outcome)>, StoreError> {
        let claimed = self.claim_due(self.config.runtime.max_active_runs).await?;
        let mut set = JoinSet::new();
        for run in claimed {
            let rt = self.clone();
            set.spawn(async move { (run.id.clone(), rt.activate(run).await) });
        }
        let mut out = Vec::new();
        while let Some(r) = set.join_next().await {
            if let Ok(r) = r {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// The worker loop: runs due work as it comes until `stop` resolves,
    /// then lets the activations in flight end.
    /// Schedules fire beside it (`outside/schedules.rs`).
    pub async fn serve(self: &Arc<Self>, stop: impl std::future::Future<Output = ()>) {
        let schedules = tokio::spawn(self.clone().run_schedules(crate::clock::now_ms()));
        self.serve_until(stop, None).await;
        schedules.abort();
    }

    /// Like [`Runtime::serve`], and also returns when `until` ends (which
    /// this loop drives like any other run).
    pub async fn serve_until(
        self: &Arc<Self>,
        stop: impl std::future::Future<Output = ()>,
        until: Option<&str>,
    ) -> Option<RunRecord> {
        tokio::pin!(stop);
        let mut set: JoinSet<(String, Outcome)> = JoinSet::new();
        let mut running: HashSet<String> = HashSet::new();
        let poll = Duration::from_millis(self.config.runtime.poll_ms);
        // Looking for orphans reads every owned run: do it once per poll
        // interval, not on every wake-up.
        let mut last_orphan_scan: Option<std::time::Instant> = None;
        loop {
            if let Some(id) = until
                && !running.contains(id)
                && let Ok(Some(run)) = self.store.run(id).await
                && run.status.is_terminal()
            {
                break;
            }
            let room = self
                .config
                .runtime
                .max_active_runs
                .saturating_sub(running.len());
            if room > 0 {
                let scan = last_orphan_scan.is_none_or(|t| t.elapsed() >= poll);
                let claimed = if scan {
                    last_orphan_scan = Some(std::time::Instant::now());
                    self.claim_due(room).await
                } else {
                    self.claim_timers(room).await
                };
                match claimed {
                    Ok(claimed) => {
                        for run in claimed {
                            running.insert(run.id.clone());
                            let rt = self.clone();
                            set.spawn(async move { (run.id.clone(), rt.activate(run).await) });
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "looking for due runs failed"),
                }
            }
            let sleep_for = self.next_poll(poll).await;
            tokio::select! {
                _ = &mut stop => break,
                Some(done) = set.join_next(), if !set.is_empty() => {
                    if let Ok((id, outcome)) = done {
                        running.remove(&id);
                        if let Outcome::Lost { problem: Some(p), .. } = &outcome {
                            tracing::warn!(run = %id, "activation stopped: {p}");
                        }
                        tracing::debug!(run = %id, ?outcome, "activation ended");
                    }
                }
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(sleep_for) => {}
            }
        }
        while set.join_next().await.is_some() {}
        match until {
            Some(id) => self.store.run(id).await.ok().flatten(),
            None => None,
        }
    }

    async fn next_poll(&self, poll: Duration) -> Duration {
        match self.store.next_wake().await {
            Ok(Some(at)) => {
                let ms = (at - crate::clock::now_ms()).clamp(0, poll.as_millis() as i64);
                Duration::from_millis(ms as u64)
            }
            _ => poll,
        }
    }

    /// Activates `run` (owned by this worker), then, with `wait`, keeps
    /// driving it through its timers until it ends. Other due work found
    /// meanwhile is run too.
    pub async fn drive(self: &Arc<Self>, run: RunRecord, wait: bool) -> Outcome {
        let id = run.id.clone();
        let first = self.activate(run).await;
        let suspended = matches!(first, Outcome::Suspended { .. });
        if !wait || !suspended {
            return first;
        }
        let stop = std::future::pending::<()>();
        match self.serve_until(stop, Some(&id)).await {
            Some(run) => outcome_of(&run),
            None => first,
        }
    }
}

/// The outcome a finished run's record shows.
pub fn outcome_of(run: &RunRecord) -> Outcome {
    match run.status {
        RunStatus::Completed => Outcome::Completed {
            output: run.output.clone().unwrap_or_else(|| "null".into()),
        },
        RunStatus::Failed => Outcome::Failed {
            error: run
                .error
                .clone()
                .unwrap_or_else(|| crate::journal::ErrorRecord::new(ErrorCode::Error, "failed")),
        },
        RunStatus::Cancelled => Outcome::Cancelled,
        RunStatus::Diverged => Outcome::Diverged {
            message: run
                .error
                .as_ref()
                .map(|e| e.message.clone())
                .unwrap_or_default(),
        },
        status => Outcome::Suspended {
            status,
            wake_at: run.wake_at,
        },
    }
}
