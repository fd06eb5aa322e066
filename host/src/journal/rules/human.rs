//! What comes from outside a run: a person's answer, a signal, waking a
//! waiting run. Of two racing answers one wins: the checks and the write
//! are one transaction.

use super::{RunPatch, Tx, head};
use crate::journal::{
    EntryKind, EventKind, JournalEntry, NewEvent, NewSignal, Refusal, RunStatus, StoreError,
    UnixMs, WriteOutcome,
};

/// Records an answer, written by someone who does not own the run: only to
/// a run that is `waiting` and unowned, for a prompt it has and nobody
/// answered. The entry takes the run's next seq; the run is due at once.
pub(super) fn answer(
    tx: &mut dyn Tx,
    run_id: &str,
    mut entry: JournalEntry,
    events: &[NewEvent],
) -> Result<WriteOutcome, StoreError> {
    let run = head(tx, run_id)?;
    if run.status.is_terminal() {
        return Ok(WriteOutcome::Refused(Refusal::Finished(run.status)));
    }
    if run.status != RunStatus::Waiting || run.owner.is_some() {
        let status = if run.owner.is_some() {
            RunStatus::Running
        } else {
            run.status
        };
        return Ok(WriteOutcome::Refused(Refusal::NotWaiting(status)));
    }
    let (name, occurrence) = (entry.name.as_str(), entry.occurrence);
    if !tx.has_entry(run_id, EntryKind::Prompt, name, occurrence)? {
        return Ok(WriteOutcome::Refused(Refusal::NoPrompt));
    }
    if tx.has_entry(run_id, EntryKind::Answer, name, occurrence)? {
        return Ok(WriteOutcome::Refused(Refusal::AlreadyAnswered));
    }
    entry.seq = tx.next_seq(run_id)?;
    tx.insert_entry(run_id, &entry)?;
    let at = entry.created_at;
    tx.update_run(
        run_id,
        &RunPatch {
            wake_at: Some(Some(at)),
            updated_at: Some(at),
            ..RunPatch::default()
        },
    )?;
    tx.insert_events(run_id, events)?;
    Ok(WriteOutcome::Done)
}

/// Buffers a signal, refused once the run ended. A run waiting unowned is
/// made due, unless it waits for a person (its last entry is a prompt).
pub(super) fn signal(tx: &mut dyn Tx, s: NewSignal) -> Result<WriteOutcome, StoreError> {
    let run = head(tx, &s.run_id)?;
    if run.status.is_terminal() {
        return Ok(WriteOutcome::Refused(Refusal::Finished(run.status)));
    }
    tx.insert_signal(&s)?;
    if run.status == RunStatus::Waiting
        && run.owner.is_none()
        && tx.last_entry_kind(&s.run_id)? != Some(EntryKind::Prompt)
    {
        tx.update_run(
            &s.run_id,
            &RunPatch {
                wake_at: Some(Some(s.sent_at)),
                ..RunPatch::default()
            },
        )?;
    }
    tx.insert_events(
        &s.run_id,
        &[NewEvent {
            at: s.sent_at,
            kind: EventKind::Signal,
            data: serde_json::json!({"name": s.name, "by": s.sent_by}),
        }],
    )?;
    Ok(WriteOutcome::Signalled { status: run.status })
}

/// Makes a run that is `waiting` and owned by nobody due at `at`.
pub(super) fn wake(tx: &mut dyn Tx, run_id: &str, at: UnixMs) -> Result<WriteOutcome, StoreError> {
    if let Some(run) = tx.run_head(run_id)?
        && run.status == RunStatus::Waiting
        && run.owner.is_none()
    {
        tx.update_run(
            run_id,
            &RunPatch {
                wake_at: Some(Some(at)),
                ..RunPatch::default()
            },
        )?;
    }
    Ok(WriteOutcome::Done)
}
