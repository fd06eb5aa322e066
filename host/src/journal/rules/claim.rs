//! Ownership: the fence every owned write passes, claims, releases, and
//! the workers that hold runs.

use super::{RunPatch, Tx, not_found};
use crate::clock::Clock;
use crate::journal::{EventKind, NewEvent, RunStatus, StoreError, WorkerRecord, WriteOutcome};

/// Refuses a write to a run `owner` no longer owns, or that has ended.
pub(super) fn fence(tx: &mut dyn Tx, run_id: &str, owner: &str) -> Result<(), StoreError> {
    let head = tx.run_head(run_id)?.ok_or_else(|| not_found(run_id))?;
    let lost = |reason: String| StoreError::LeaseLost {
        run_id: run_id.to_string(),
        reason,
    };
    match head.owner {
        Some(o) if o != owner => Err(lost(format!("worker {o} owns it now"))),
        None => Err(lost("it was released".to_string())),
        Some(_) if head.status.is_terminal() => Err(lost(format!("it is {}", head.status))),
        Some(_) => Ok(()),
    }
}

/// Takes a run that has not ended from `expected_owner`, counting an
/// activation; a run that was waiting for its time or for something from
/// outside is running from now on.
pub(super) fn claim(
    tx: &mut dyn Tx,
    run_id: &str,
    owner: &str,
    expected_owner: Option<&str>,
    clock: &dyn Clock,
) -> Result<WriteOutcome, StoreError> {
    let Some(mut run) = tx.run(run_id)? else {
        return Ok(WriteOutcome::Claimed(None));
    };
    if run.owner.as_deref() != expected_owner || run.status.is_terminal() {
        return Ok(WriteOutcome::Claimed(None));
    }
    if matches!(
        run.status,
        RunStatus::Pending | RunStatus::Sleeping | RunStatus::Waiting
    ) {
        run.status = RunStatus::Running;
    }
    run.owner = Some(owner.to_string());
    run.activations += 1;
    tx.update_run(
        run_id,
        &RunPatch {
            status: Some(run.status),
            owner: Some(run.owner.clone()),
            activations: Some(run.activations),
            ..RunPatch::default()
        },
    )?;
    tx.insert_events(
        run_id,
        &[NewEvent {
            at: clock.now_ms(),
            kind: EventKind::Status,
            data: serde_json::json!({
                "status": run.status.as_str(),
                "activation": run.activations,
                "worker": owner,
            }),
        }],
    )?;
    Ok(WriteOutcome::Claimed(Some(Box::new(run))))
}

/// Gives up a run if `owner` holds it.
pub(super) fn release(
    tx: &mut dyn Tx,
    run_id: &str,
    owner: &str,
) -> Result<WriteOutcome, StoreError> {
    if let Some(head) = tx.run_head(run_id)?
        && head.owner.as_deref() == Some(owner)
    {
        tx.update_run(
            run_id,
            &RunPatch {
                owner: Some(None),
                ..RunPatch::default()
            },
        )?;
    }
    Ok(WriteOutcome::Done)
}

pub(super) fn heartbeat(tx: &mut dyn Tx, w: &WorkerRecord) -> Result<WriteOutcome, StoreError> {
    tx.put_worker(w)?;
    Ok(WriteOutcome::Done)
}

/// Forgets a worker, releasing every run it held.
pub(super) fn remove_worker(tx: &mut dyn Tx, id: &str) -> Result<WriteOutcome, StoreError> {
    tx.release_runs_of(id)?;
    tx.delete_worker(id)?;
    Ok(WriteOutcome::Done)
}
