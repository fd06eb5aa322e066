//! `cairn retry`: a run that failed (or diverged) made pending again, in
//! one transaction with its move to another version.

use super::versions::record_move;
use super::{RunPatch, Tx, not_found};
use crate::journal::{EventKind, NewEvent, RunStatus, StoreError, UnixMs, WriteOutcome};

/// Revives `run_id` if it ended in a status retry revives and nobody owns
/// it; otherwise says what it found and changes nothing.
pub(super) fn retry(
    tx: &mut dyn Tx,
    run_id: &str,
    to: Option<&str>,
    forced: bool,
    at: UnixMs,
) -> Result<WriteOutcome, StoreError> {
    let run = tx.run(run_id)?.ok_or_else(|| not_found(run_id))?;
    let previous = run.status;
    if !previous.can_retry() || run.owner.is_some() {
        return Ok(WriteOutcome::Retried {
            previous,
            retried: false,
        });
    }
    let to = to.filter(|t| *t != run.version);
    tx.update_run(
        run_id,
        &RunPatch {
            status: Some(RunStatus::Pending),
            output: Some(None),
            error: Some(None),
            wake_at: Some(None),
            checked_version: Some(None),
            updated_at: Some(at),
            version: to.map(str::to_string),
            ..RunPatch::default()
        },
    )?;
    if let Some(to) = to {
        record_move(tx, run_id, (&run.version, to), forced, at)?;
    }
    let error = run
        .error
        .map(|e| serde_json::to_value(e).expect("error records serialize"));
    tx.insert_events(
        run_id,
        &[NewEvent {
            at,
            kind: EventKind::Status,
            data: serde_json::json!({
                "status": RunStatus::Pending.as_str(),
                "retried": true,
                "previous": previous.as_str(),
                "error": error,
            }),
        }],
    )?;
    Ok(WriteOutcome::Retried {
        previous,
        retried: true,
    })
}
