//! New runs: idempotent creation, the runs a webhook delivery starts
//! (once per delivery), and a restarted run with its copied journal prefix.

use super::append::insert_entry;
use super::{RunPatch, Tx};
use crate::journal::{
    EventKind, NewEntry, NewEvent, NewRun, RestartOrigin, RunStatus, StoreError, UnixMs,
    WriteOutcome,
};

/// Creates a run, `running` when it has an owner (its first activation)
/// and `pending` otherwise; a key used before answers with that run.
pub(super) fn create_run(tx: &mut dyn Tx, run: NewRun) -> Result<WriteOutcome, StoreError> {
    if let Some(key) = &run.idempotency_key {
        if let Some(run_id) = tx.run_of_key(key)? {
            return Ok(WriteOutcome::Created {
                run_id,
                existing: true,
            });
        }
        tx.insert_run_key(key, &run.id)?;
    }
    let status = if run.owner.is_some() {
        RunStatus::Running
    } else {
        RunStatus::Pending
    };
    tx.insert_run(&run, status, u32::from(run.owner.is_some()))?;
    tx.insert_events(
        &run.id,
        &[NewEvent {
            at: run.created_at,
            kind: EventKind::Status,
            data: serde_json::json!({"status": status.as_str(), "worker": run.owner}),
        }],
    )?;
    Ok(WriteOutcome::Created {
        run_id: run.id,
        existing: false,
    })
}

/// Records a webhook delivery and creates its runs, or answers with the
/// runs it created the first time.
pub(super) fn delivery(
    tx: &mut dyn Tx,
    (source, delivery_id): (&str, &str),
    at: UnixMs,
    runs: Vec<NewRun>,
) -> Result<WriteOutcome, StoreError> {
    if let Some(runs) = tx.delivery(source, delivery_id)? {
        return Ok(WriteOutcome::Delivered { new: false, runs });
    }
    let mut ids = Vec::new();
    for run in runs {
        if let WriteOutcome::Created { run_id, .. } = create_run(tx, run)? {
            ids.push(run_id);
        }
    }
    tx.insert_delivery(source, delivery_id, at, &ids)?;
    Ok(WriteOutcome::Delivered {
        new: true,
        runs: ids,
    })
}

/// Creates a restarted run with `entries` (renumbered from 0, with their
/// run-state effects) in its journal, linked to `origin`, which must exist.
pub(super) fn restart(
    tx: &mut dyn Tx,
    run: NewRun,
    origin: RestartOrigin,
    entries: &[NewEntry],
) -> Result<WriteOutcome, StoreError> {
    if tx.run_head(&origin.run_id)?.is_none() {
        return Err(StoreError::NotFound(format!("run {}", origin.run_id)));
    }
    let at = run.created_at;
    let out = create_run(tx, run)?;
    let WriteOutcome::Created {
        run_id,
        existing: false,
    } = &out
    else {
        return Ok(out);
    };
    let event = NewEvent {
        at,
        kind: EventKind::Status,
        data: serde_json::json!({
            "status": "restarted",
            "restarted_from": origin.run_id,
            "seq": origin.seq,
            "copied": entries.len(),
        }),
    };
    let patch = RunPatch {
        restarted_from: Some(origin),
        ..RunPatch::default()
    };
    tx.update_run(run_id, &patch)?;
    for e in entries {
        insert_entry(tx, run_id, e)?;
    }
    tx.insert_events(run_id, &[event])?;
    Ok(out)
}
