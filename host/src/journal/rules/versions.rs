//! Deployed versions: deploy, moving a run to another version (journaled),
//! the upgrade check's mark, and garbage collection.

use super::RunPatch;
use super::Tx;
use super::append::insert_entry;
use crate::journal::{
    EntryKind, EventKind, JournalEntry, MovedRecord, NewEntry, NewEvent, StoreError, UnixMs,
    VersionRecord, WriteOutcome, record_json,
};

/// Stores a version (once per sha) and, with `activate`, makes it the
/// active version of `workflows`.
pub(super) fn deploy(
    tx: &mut dyn Tx,
    version: &VersionRecord,
    workflows: &[String],
    activate: bool,
) -> Result<WriteOutcome, StoreError> {
    let new = tx.insert_version(version)?;
    if activate {
        for w in workflows {
            tx.set_active_version(w, &version.sha)?;
        }
    }
    Ok(WriteOutcome::Deployed { new })
}

/// Moves a run from version `from` to `to` if it is still on `from`, has
/// not ended, and is owned by nobody or by `owner`.
pub(super) fn move_run(
    tx: &mut dyn Tx,
    run_id: &str,
    owner: &str,
    (from, to): (&str, &str),
    forced: bool,
    at: UnixMs,
) -> Result<WriteOutcome, StoreError> {
    let movable = tx.run_head(run_id)?.is_some_and(|run| {
        run.version == from
            && run.owner.as_deref().is_none_or(|o| o == owner)
            && !run.status.is_terminal()
    });
    if !movable {
        return Ok(WriteOutcome::Moved(false));
    }
    tx.update_run(
        run_id,
        &RunPatch {
            version: Some(to.to_string()),
            checked_version: Some(None),
            updated_at: Some(at),
            ..RunPatch::default()
        },
    )?;
    record_move(tx, run_id, (from, to), forced, at)?;
    Ok(WriteOutcome::Moved(true))
}

/// Notes that the run was checked against `version` and stays.
pub(super) fn mark_checked(
    tx: &mut dyn Tx,
    run_id: &str,
    version: &str,
    events: &[NewEvent],
) -> Result<WriteOutcome, StoreError> {
    tx.update_run(
        run_id,
        &RunPatch {
            checked_version: Some(Some(version.to_string())),
            ..RunPatch::default()
        },
    )?;
    tx.insert_events(run_id, events)?;
    Ok(WriteOutcome::Done)
}

/// Deletes versions no run holds and no workflow has active, and the
/// artefacts no remaining version has (of removed versions, and of files
/// only ever replayed against: `cairn replay --with`).
pub(super) fn gc(tx: &mut dyn Tx) -> Result<WriteOutcome, StoreError> {
    let shas = tx.unreferenced_versions()?;
    for sha in &shas {
        tx.delete_version(sha)?;
    }
    tx.delete_orphan_compiled()?;
    Ok(WriteOutcome::Removed(shas))
}

/// Journals a run's move (a `moved` entry at the run's next seq) and
/// records the `version` event.
pub(super) fn record_move(
    tx: &mut dyn Tx,
    run_id: &str,
    (from, to): (&str, &str),
    forced: bool,
    at: UnixMs,
) -> Result<(), StoreError> {
    let value = record_json(&MovedRecord {
        from: from.to_string(),
        to: to.to_string(),
        forced,
    });
    let entry = JournalEntry {
        seq: tx.next_seq(run_id)?,
        kind: EntryKind::Moved,
        name: "version".into(),
        occurrence: 0,
        input_hash: None,
        ok: true,
        value: Some(value),
        created_at: at,
    };
    insert_entry(
        tx,
        run_id,
        &NewEntry {
            entry,
            effect: None,
        },
    )?;
    tx.insert_events(
        run_id,
        &[NewEvent {
            at,
            kind: EventKind::Version,
            data: serde_json::json!({"moved": true, "from": from, "to": to, "forced": forced}),
        }],
    )
}
