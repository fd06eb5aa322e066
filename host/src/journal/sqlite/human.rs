//! The ops that come from outside a run, applied to SQLite: a person's
//! answer, a signal, waking a waiting run, and the token usage of LLM
//! calls made inside a step.

use rusqlite::{Connection, OptionalExtension, params};

use super::write::{insert_entry, insert_events};
use crate::journal::{
    EntryKind, EventKind, JournalEntry, LlmUsage, NewEntry, NewEvent, NewSignal, Refusal,
    RunStatus, StoreError, UnixMs, WriteOutcome,
};

/// The status and owner of a run.
fn status_of(conn: &Connection, run_id: &str) -> Result<(RunStatus, Option<String>), StoreError> {
    let row: Option<(String, Option<String>)> = conn
        .prepare_cached("SELECT status, owner FROM runs WHERE id = ?1")?
        .query_row([run_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((status, owner)) = row else {
        return Err(StoreError::NotFound(format!("run {run_id}")));
    };
    let status = RunStatus::parse(&status)
        .ok_or_else(|| StoreError::Corrupt(format!("run status {status}")))?;
    Ok((status, owner))
}

fn has_entry(
    conn: &Connection,
    run_id: &str,
    kind: EntryKind,
    name: &str,
    occurrence: u32,
) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM journal
             WHERE run_id = ?1 AND kind = ?2 AND name = ?3 AND occurrence = ?4 LIMIT 1",
        )?
        .query_row(params![run_id, kind.as_str(), name, occurrence], |_| Ok(()))
        .optional()?
        .is_some())
}

/// An answer written by someone who does not own the run: the checks and
/// the write are one transaction, so of two racing answers one wins.
pub(super) fn answer(
    conn: &Connection,
    run_id: &str,
    mut entry: JournalEntry,
    events: &[NewEvent],
) -> Result<WriteOutcome, StoreError> {
    let (status, owner) = status_of(conn, run_id)?;
    if status.is_terminal() {
        return Ok(WriteOutcome::Refused(Refusal::Finished(status)));
    }
    if status != RunStatus::Waiting || owner.is_some() {
        let status = if owner.is_some() {
            RunStatus::Running
        } else {
            status
        };
        return Ok(WriteOutcome::Refused(Refusal::NotWaiting(status)));
    }
    if !has_entry(
        conn,
        run_id,
        EntryKind::Prompt,
        &entry.name,
        entry.occurrence,
    )? {
        return Ok(WriteOutcome::Refused(Refusal::NoPrompt));
    }
    if has_entry(
        conn,
        run_id,
        EntryKind::Answer,
        &entry.name,
        entry.occurrence,
    )? {
        return Ok(WriteOutcome::Refused(Refusal::AlreadyAnswered));
    }
    entry.seq = conn
        .prepare_cached("SELECT coalesce(max(seq) + 1, 0) FROM journal WHERE run_id = ?1")?
        .query_row([run_id], |r| r.get(0))?;
    let at = entry.created_at;
    insert_entry(
        conn,
        run_id,
        &NewEntry {
            entry,
            effect: None,
        },
    )?;
    conn.prepare_cached("UPDATE runs SET wake_at = ?2, updated_at = ?2 WHERE id = ?1")?
        .execute(params![run_id, at])?;
    insert_events(conn, run_id, events)?;
    Ok(WriteOutcome::Done)
}

/// Buffers a signal. A run waiting for an event is made due; one waiting
/// for a person (its last entry is an unanswered prompt) is left alone.
pub(super) fn signal(conn: &Connection, s: NewSignal) -> Result<WriteOutcome, StoreError> {
    let (status, owner) = status_of(conn, &s.run_id)?;
    if status.is_terminal() {
        return Ok(WriteOutcome::Refused(Refusal::Finished(status)));
    }
    conn.prepare_cached(
        "INSERT INTO signals (run_id, name, payload, sent_at, sent_by)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![s.run_id, s.name, s.payload, s.sent_at, s.sent_by])?;
    if status == RunStatus::Waiting && owner.is_none() {
        let last_kind: Option<String> = conn
            .prepare_cached("SELECT kind FROM journal WHERE run_id = ?1 ORDER BY seq DESC LIMIT 1")?
            .query_row([&s.run_id], |r| r.get(0))
            .optional()?;
        if last_kind.as_deref() != Some(EntryKind::Prompt.as_str()) {
            conn.prepare_cached("UPDATE runs SET wake_at = ?2 WHERE id = ?1")?
                .execute(params![s.run_id, s.sent_at])?;
        }
    }
    insert_events(
        conn,
        &s.run_id,
        &[NewEvent {
            at: s.sent_at,
            kind: EventKind::Signal,
            data: serde_json::json!({"name": s.name, "by": s.sent_by}),
        }],
    )?;
    Ok(WriteOutcome::Signalled { status })
}

/// Makes a run that is `waiting` and owned by nobody due at `at`.
pub(super) fn wake(
    conn: &Connection,
    run_id: &str,
    at: UnixMs,
) -> Result<WriteOutcome, StoreError> {
    conn.prepare_cached(
        "UPDATE runs SET wake_at = ?2
         WHERE id = ?1 AND status = 'waiting' AND owner IS NULL",
    )?
    .execute(params![run_id, at])?;
    Ok(WriteOutcome::Done)
}

pub(super) fn add_usage(conn: &Connection, run_id: &str, u: &LlmUsage) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE runs SET llm_calls = llm_calls + ?2, llm_input_tokens = llm_input_tokens + ?3,
                llm_output_tokens = llm_output_tokens + ?4
         WHERE id = ?1",
    )?
    .execute(params![
        run_id,
        u.calls as i64,
        u.input_tokens as i64,
        u.output_tokens as i64
    ])?;
    Ok(())
}
