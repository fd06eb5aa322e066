//! `WriteOp::Restart` on SQLite: a new run whose journal starts as a copy
//! of part of another's, created in one transaction.

use rusqlite::{Connection, OptionalExtension, params};

use super::write::{create_run, insert_entry, insert_events};
use crate::journal::{
    EventKind, NewEntry, NewEvent, NewRun, RestartOrigin, StoreError, WriteOutcome,
};

pub(super) fn restart(
    conn: &Connection,
    run: NewRun,
    origin: &RestartOrigin,
    entries: &[NewEntry],
) -> Result<WriteOutcome, StoreError> {
    let found: Option<i64> = conn
        .prepare_cached("SELECT 1 FROM runs WHERE id = ?1")?
        .query_row([&origin.run_id], |r| r.get(0))
        .optional()?;
    if found.is_none() {
        return Err(StoreError::NotFound(format!("run {}", origin.run_id)));
    }
    let at = run.created_at;
    let out = create_run(conn, run)?;
    let WriteOutcome::Created { run_id, existing } = &out else {
        return Ok(out);
    };
    if *existing {
        return Ok(out);
    }
    conn.prepare_cached(
        "UPDATE runs SET restarted_from = ?2, restart_seq = ?3, restart_clock = ?4 WHERE id = ?1",
    )?
    .execute(params![
        run_id,
        origin.run_id,
        origin.seq,
        origin.clock_origin
    ])?;
    for e in entries {
        insert_entry(conn, run_id, e)?;
    }
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
    insert_events(conn, run_id, &[event])?;
    Ok(out)
}
