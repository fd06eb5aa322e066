//! Status changes: the owner's (`SetStatus`, fenced) and a cancel from
//! outside.

use super::claim::fence;
use super::{RunPatch, Tx, head};
use crate::clock::Clock;
use crate::error_code::ErrorCode;
use crate::journal::{
    ErrorRecord, EventKind, NewEvent, RunStatus, StoreError, UnixMs, WriteOutcome,
};

/// What a `SetStatus` sets besides its events.
pub(super) struct StatusChange {
    pub status: RunStatus,
    pub output: Option<String>,
    pub error: Option<ErrorRecord>,
    pub wake_at: Option<UnixMs>,
    pub release: bool,
}

/// Sets status, output, error and wake time of a run its owner holds, and
/// optionally releases it; records the `status` event after the op's own.
/// The time is the first event's, or the clock's when there is none.
pub(super) fn set_status(
    tx: &mut dyn Tx,
    (run_id, owner): (&str, &str),
    change: StatusChange,
    mut events: Vec<NewEvent>,
    clock: &dyn Clock,
) -> Result<WriteOutcome, StoreError> {
    let StatusChange {
        status,
        output,
        error,
        wake_at,
        release,
    } = change;
    fence(tx, run_id, owner)?;
    let now = events
        .first()
        .map(|e| e.at)
        .unwrap_or_else(|| clock.now_ms());
    tx.update_run(
        run_id,
        &RunPatch {
            status: Some(status),
            output: Some(output),
            error: Some(error),
            wake_at: Some(wake_at),
            owner: release.then_some(None),
            updated_at: Some(now),
            ..RunPatch::default()
        },
    )?;
    events.push(NewEvent {
        at: now,
        kind: EventKind::Status,
        data: serde_json::json!({"status": status.as_str(), "wake_at": wake_at}),
    });
    tx.insert_events(run_id, &events)?;
    Ok(WriteOutcome::Done)
}

/// Cancels a run that has not ended (its owner, if any, notices and stops);
/// answers with the status it had.
pub(super) fn cancel(
    tx: &mut dyn Tx,
    run_id: &str,
    at: UnixMs,
) -> Result<WriteOutcome, StoreError> {
    let previous = head(tx, run_id)?.status;
    if !previous.is_terminal() {
        tx.update_run(
            run_id,
            &RunPatch {
                status: Some(RunStatus::Cancelled),
                wake_at: Some(None),
                updated_at: Some(at),
                error: Some(Some(ErrorRecord::new(
                    ErrorCode::Cancelled,
                    "the run was cancelled",
                ))),
                ..RunPatch::default()
            },
        )?;
        tx.insert_events(
            run_id,
            &[NewEvent {
                at,
                kind: EventKind::Status,
                data: serde_json::json!({"status": RunStatus::Cancelled.as_str()}),
            }],
        )?;
    }
    Ok(WriteOutcome::Cancelled { previous })
}
