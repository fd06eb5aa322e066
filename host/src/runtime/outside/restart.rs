//! `cairn runs restart RUN --from SEQ` (Temporal's reset, DBOS's fork): a
//! new run of the same workflow, on the active version or one named,
//! whose journal starts as a copy of the original's entries before `SEQ`.
//! The copied prefix replays without side effects; the entry at `SEQ` and
//! everything after run live. The original is left as it was.

use crate::journal::{
    EntryKind, JournalEntry, NewEntry, NewRun, RestartOrigin, RunRecord, StateEffect, StateKey,
    StoreError, WriteOp, WriteOutcome,
};
use crate::runtime::Runtime;
use crate::runtime::run::activation::short;
use crate::runtime::versions::upgrade::UpgradeError;

/// Why a run could not be restarted.
#[derive(Debug, thiserror::Error)]
pub enum RestartError {
    #[error("no run with id `{0}` (see `cairn runs`)")]
    UnknownRun(String),
    #[error(
        "run {run}'s journal has {len} entries: --from takes 0 to {len} \
         (the entries before it are copied; see `cairn runs show {run}`)"
    )]
    NoSuchSeq { run: String, len: u32 },
    #[error(
        "run {run} set run state at seq {seq} in a journal written before \
         cairn kept state values there, so its state at --from cannot be \
         rebuilt; restart from seq {seq} or earlier"
    )]
    StateNotJournaled { run: String, seq: u32 },
    #[error(transparent)]
    Version(UpgradeError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What to restart.
#[derive(Debug, Clone, Default)]
pub struct RestartOptions {
    /// A version (sha prefix) to run on; the workflow's active one by
    /// default, so "deploy the fix, restart from there" is one command.
    pub to: Option<String>,
    /// Owned by this worker (which drives it), or left pending.
    pub owned: bool,
}

impl Runtime {
    /// Creates the restarted run; returns it (pending, or owned by this
    /// worker with `owned`).
    pub async fn restart(
        &self,
        run_id: &str,
        from: u32,
        options: &RestartOptions,
    ) -> Result<RunRecord, RestartError> {
        let original = self
            .store
            .run(run_id)
            .await?
            .ok_or_else(|| RestartError::UnknownRun(run_id.to_string()))?;
        let journal = self.store.journal(run_id).await?;
        if from as usize > journal.len() {
            return Err(RestartError::NoSuchSeq {
                run: original.id,
                len: journal.len() as u32,
            });
        }
        let version = self.restart_version(&original, options).await?;
        let id = uuid::Uuid::now_v7().to_string();
        let entries = copy_prefix(&original.id, &journal[..from as usize], &id)?;
        let run = NewRun {
            id: id.clone(),
            workflow: original.workflow.clone(),
            version,
            input: original.input.clone(),
            session_id: original.session_id.clone(),
            created_at: crate::clock::now_ms(),
            // The body's WASI randomness is seeded from it: the copied
            // prefix replays the same draws.
            seed: original.seed,
            owner: options.owned.then(|| self.worker.id.clone()),
            idempotency_key: None,
        };
        if options.owned {
            self.note_claim(&id);
        }
        let origin = RestartOrigin {
            run_id: original.id.clone(),
            seq: from,
            clock_origin: original
                .restarted_from
                .as_ref()
                .map_or(original.created_at, |o| o.clock_origin),
        };
        let out = self
            .store
            .write(WriteOp::Restart {
                run: Box::new(run),
                origin,
                entries,
            })
            .await?;
        let WriteOutcome::Created { run_id: new, .. } = out else {
            return Err(StoreError::Corrupt(format!("restart answered {out:?}")).into());
        };
        tracing::info!(run = %new, from = %original.id, seq = from, "run restarted");
        self.wake.notify_one();
        Ok(self
            .store
            .run(&new)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("run {new}")))?)
    }

    /// The version a restart runs on: `to`, which must export the
    /// workflow, or the workflow's active version.
    async fn restart_version(
        &self,
        original: &RunRecord,
        options: &RestartOptions,
    ) -> Result<String, RestartError> {
        let Some(to) = &options.to else {
            let active = self.store.active_version(&original.workflow).await?;
            return Ok(active.unwrap_or_else(|| original.version.clone()));
        };
        let sha = self.find_version(to).await.map_err(RestartError::Version)?;
        let target = self
            .versions
            .get(&*self.store, &sha)
            .await
            .map_err(|e| RestartError::Version(e.into()))?;
        if !target
            .manifest
            .workflows
            .iter()
            .any(|w| w.name == original.workflow)
        {
            return Err(RestartError::Version(UpgradeError::NoSuchWorkflow {
                version: short(&sha).to_string(),
                workflow: original.workflow.clone(),
            }));
        }
        Ok(sha)
    }
}

/// The entries a restart copies, renumbered from 0 for run `new_id`, with
/// the run-state effects that rebuild its state as it was. Failed step
/// attempts and version moves are left out: neither is a replay key, and
/// the step being redone starts its attempts afresh.
fn copy_prefix(
    run_id: &str,
    prefix: &[JournalEntry],
    new_id: &str,
) -> Result<Vec<NewEntry>, RestartError> {
    let mut out = Vec::with_capacity(prefix.len());
    for e in prefix {
        if matches!(e.kind, EntryKind::StepAttempt | EntryKind::Moved) {
            continue;
        }
        let effect = run_state_effect(run_id, e, new_id)?;
        let mut entry = e.clone();
        entry.seq = out.len() as u32;
        out.push(NewEntry { entry, effect });
    }
    Ok(out)
}

/// The run-state change an entry made, for the new run. Session state is
/// shared with other runs and already holds what the original wrote.
fn run_state_effect(
    run_id: &str,
    e: &JournalEntry,
    new_id: &str,
) -> Result<Option<StateEffect>, RestartError> {
    let Some(key) = e.name.strip_prefix("run:") else {
        return Ok(None);
    };
    let key = StateKey::Run {
        run_id: new_id.to_string(),
        key: key.to_string(),
    };
    match e.kind {
        EntryKind::StateSet => match &e.value {
            Some(value) => Ok(Some(StateEffect::Set {
                key,
                value: value.clone(),
            })),
            None => Err(RestartError::StateNotJournaled {
                run: run_id.to_string(),
                seq: e.seq,
            }),
        },
        EntryKind::StateDelete => Ok(Some(StateEffect::Delete { key })),
        _ => Ok(None),
    }
}
