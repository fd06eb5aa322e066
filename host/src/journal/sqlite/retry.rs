//! [`WriteOp::Retry`](crate::journal::WriteOp::Retry) on SQLite: a failed run made
//! pending again, in one transaction with its move to another version.

use rusqlite::{Connection, OptionalExtension, params};

use super::versions::record_move;
use super::write::insert_events;
use crate::journal::{EventKind, NewEvent, RunStatus, StoreError, WriteOutcome};

/// Revives `run_id` if it ended in a status retry revives and nobody owns
/// it; otherwise says what it found and changes nothing.
pub(super) fn retry(
    conn: &Connection,
    run_id: &str,
    to: Option<&str>,
    forced: bool,
    at: i64,
) -> Result<WriteOutcome, StoreError> {
    let row: Option<(String, String, Option<String>, Option<String>)> = conn
        .query_row(
            "SELECT status, version, owner, error FROM runs WHERE id = ?1",
            [run_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((status, version, owner, error)) = row else {
        return Err(StoreError::NotFound(format!("run {run_id}")));
    };
    let previous = RunStatus::parse(&status)
        .ok_or_else(|| StoreError::Corrupt(format!("run status {status}")))?;
    if !previous.can_retry() || owner.is_some() {
        return Ok(WriteOutcome::Retried {
            previous,
            retried: false,
        });
    }
    conn.execute(
        "UPDATE runs SET status = 'pending', output = NULL, error = NULL, wake_at = NULL,
                checked_version = NULL, updated_at = ?2
         WHERE id = ?1",
        params![run_id, at],
    )?;
    if let Some(to) = to.filter(|t| *t != version) {
        conn.execute(
            "UPDATE runs SET version = ?2 WHERE id = ?1",
            params![run_id, to],
        )?;
        record_move(conn, run_id, &version, to, forced, at)?;
    }
    let error: Option<serde_json::Value> = error.and_then(|e| serde_json::from_str(&e).ok());
    insert_events(
        conn,
        run_id,
        &[NewEvent {
            at,
            kind: EventKind::Status,
            data: serde_json::json!({
                "status": "pending",
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
