//! How each [`WriteOp`] is applied to SQLite, inside the writer's
//! transaction.

use crate::journal::EventKind;
use rusqlite::{Connection, OptionalExtension, params};

use super::read::read_run;
use crate::journal::{
    EntryKind, ErrorRecord, JournalEntry, NewEntry, NewEvent, NewSignal, Refusal, RunStatus,
    StateEffect, StateKey, StoreError, WriteOp, WriteOutcome,
};

/// Applies one op; on error the caller rolls back its savepoint.
pub(super) fn apply(conn: &Connection, op: WriteOp) -> Result<WriteOutcome, StoreError> {
    match op {
        WriteOp::CreateRun(run) => create_run(conn, run),
        WriteOp::Append {
            run_id,
            owner,
            entries,
            events,
        } => {
            fence(conn, &run_id, &owner)?;
            for e in &entries {
                insert_entry(conn, &run_id, e)?;
            }
            insert_events(conn, &run_id, &events)?;
            Ok(WriteOutcome::Done)
        }
        WriteOp::SetStatus {
            run_id,
            owner,
            status,
            output,
            error,
            wake_at,
            release,
            mut events,
        } => {
            fence(conn, &run_id, &owner)?;
            let now = events
                .first()
                .map(|e| e.at)
                .unwrap_or_else(crate::clock::now_ms);
            conn.prepare_cached(
                "UPDATE runs SET status = ?2, output = ?3, error = ?4, wake_at = ?5,
                        owner = CASE WHEN ?6 THEN NULL ELSE owner END, updated_at = ?7
                 WHERE id = ?1",
            )?
            .execute(params![
                run_id,
                status.as_str(),
                output,
                error.as_ref().map(error_json),
                wake_at,
                release,
                now,
            ])?;
            events.push(NewEvent {
                at: now,
                kind: EventKind::Status,
                data: serde_json::json!({"status": status.as_str(), "wake_at": wake_at}),
            });
            insert_events(conn, &run_id, &events)?;
            Ok(WriteOutcome::Done)
        }
        WriteOp::Claim {
            run_id,
            owner,
            expected_owner,
        } => {
            let changed = conn
                .prepare_cached(
                    "UPDATE runs SET owner = ?2, activations = activations + 1,
                            status = CASE WHEN status IN ('pending', 'sleeping', 'waiting')
                                          THEN 'running' ELSE status END
                     WHERE id = ?1 AND owner IS ?3
                       AND status NOT IN ('completed', 'failed', 'cancelled', 'diverged')",
                )?
                .execute(params![run_id, owner, expected_owner])?;
            if changed == 0 {
                return Ok(WriteOutcome::Claimed(None));
            }
            let run = read_run(conn, &run_id)?;
            if let Some(r) = &run {
                insert_events(
                    conn,
                    &run_id,
                    &[NewEvent {
                        at: crate::clock::now_ms(),
                        kind: EventKind::Status,
                        data: serde_json::json!({
                            "status": r.status.as_str(),
                            "activation": r.activations,
                            "worker": owner,
                        }),
                    }],
                )?;
            }
            Ok(WriteOutcome::Claimed(run.map(Box::new)))
        }
        WriteOp::Events { run_id, events } => {
            insert_events(conn, &run_id, &events)?;
            Ok(WriteOutcome::Done)
        }
        WriteOp::Cancel { run_id, at } => {
            let status: Option<String> = conn
                .query_row("SELECT status FROM runs WHERE id = ?1", [&run_id], |r| {
                    r.get(0)
                })
                .optional()?;
            let Some(status) = status else {
                return Err(StoreError::NotFound(format!("run {run_id}")));
            };
            let previous = RunStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("run status {status}")))?;
            if !previous.is_terminal() {
                conn.execute(
                    "UPDATE runs SET status = 'cancelled', wake_at = NULL, updated_at = ?2,
                            error = ?3 WHERE id = ?1",
                    params![
                        run_id,
                        at,
                        error_json(&ErrorRecord::new("cancelled", "the run was cancelled"))
                    ],
                )?;
                insert_events(
                    conn,
                    &run_id,
                    &[NewEvent {
                        at,
                        kind: EventKind::Status,
                        data: serde_json::json!({"status": "cancelled"}),
                    }],
                )?;
            }
            Ok(WriteOutcome::Cancelled { previous })
        }
        WriteOp::Heartbeat(w) => {
            conn.prepare_cached(
                "INSERT INTO workers (id, hostname, pid, proc_start, started_at, heartbeat_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)
                 ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
            )?
            .execute(params![
                w.id,
                w.hostname,
                w.pid,
                w.proc_start.map(|s| s as i64),
                w.heartbeat_at
            ])?;
            Ok(WriteOutcome::Done)
        }
        WriteOp::Release { run_id, owner } => {
            conn.execute(
                "UPDATE runs SET owner = NULL WHERE id = ?1 AND owner = ?2",
                params![run_id, owner],
            )?;
            Ok(WriteOutcome::Done)
        }
        WriteOp::RemoveWorker { id } => {
            conn.execute("UPDATE runs SET owner = NULL WHERE owner = ?1", [&id])?;
            conn.execute("DELETE FROM workers WHERE id = ?1", [&id])?;
            Ok(WriteOutcome::Done)
        }
        WriteOp::Deploy {
            version,
            workflows,
            activate,
        } => {
            let inserted = conn.execute(
                "INSERT OR IGNORE INTO versions
                     (sha, bytes, manifest, deployed_at, allow_http, strict, pin)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    version.sha,
                    version.bytes,
                    version.manifest,
                    version.deployed_at,
                    serde_json::to_string(&version.allow_http).expect("strings serialize"),
                    version.strict,
                    version.pin,
                ],
            )?;
            if activate {
                for w in &workflows {
                    conn.execute(
                        "INSERT INTO workflows (name, active_version) VALUES (?1, ?2)
                         ON CONFLICT (name) DO UPDATE SET active_version = excluded.active_version",
                        params![w, version.sha],
                    )?;
                }
            }
            Ok(WriteOutcome::Deployed { new: inserted == 1 })
        }
        WriteOp::MoveRun {
            run_id,
            owner,
            from,
            to,
            forced,
            at,
        } => {
            let changed = conn.execute(
                "UPDATE runs SET version = ?3, checked_version = NULL, updated_at = ?5
                 WHERE id = ?1 AND version = ?2 AND (owner IS NULL OR owner = ?4)
                   AND status NOT IN ('completed', 'failed', 'cancelled', 'diverged')",
                params![run_id, from, to, owner, at],
            )?;
            if changed == 0 {
                return Ok(WriteOutcome::Moved(false));
            }
            record_move(conn, &run_id, &from, &to, forced, at)?;
            Ok(WriteOutcome::Moved(true))
        }
        WriteOp::Retry {
            run_id,
            to,
            forced,
            at,
        } => super::retry::retry(conn, &run_id, to.as_deref(), forced, at),
        WriteOp::MarkChecked {
            run_id,
            version,
            events,
        } => {
            conn.execute(
                "UPDATE runs SET checked_version = ?2 WHERE id = ?1",
                params![run_id, version],
            )?;
            insert_events(conn, &run_id, &events)?;
            Ok(WriteOutcome::Done)
        }
        WriteOp::GcVersions => {
            let mut stmt = conn.prepare(
                "SELECT sha FROM versions
                 WHERE sha NOT IN (SELECT version FROM runs)
                   AND sha NOT IN (SELECT active_version FROM workflows)",
            )?;
            let shas: Vec<String> = stmt
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for sha in &shas {
                conn.execute("DELETE FROM versions WHERE sha = ?1", [sha])?;
            }
            // Artefacts of removed versions, and of files only ever
            // replayed against (`cairn replay --with`).
            conn.execute(
                "DELETE FROM compiled WHERE sha NOT IN (SELECT sha FROM versions)",
                [],
            )?;
            Ok(WriteOutcome::Removed(shas))
        }
        WriteOp::Delivery {
            source,
            delivery_id,
            at,
            runs,
        } => {
            let seen: Option<String> = conn
                .query_row(
                    "SELECT runs FROM webhook_deliveries WHERE source = ?1 AND delivery_id = ?2",
                    params![source, delivery_id],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(seen) = seen {
                let runs = serde_json::from_str(&seen).unwrap_or_default();
                return Ok(WriteOutcome::Delivered { new: false, runs });
            }
            let mut ids = Vec::new();
            for run in runs {
                if let WriteOutcome::Created { run_id, .. } = create_run(conn, run)? {
                    ids.push(run_id);
                }
            }
            conn.execute(
                "INSERT INTO webhook_deliveries (source, delivery_id, received_at, runs)
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    source,
                    delivery_id,
                    at,
                    serde_json::to_string(&ids).expect("ids")
                ],
            )?;
            Ok(WriteOutcome::Delivered {
                new: true,
                runs: ids,
            })
        }
        WriteOp::PutCompiled {
            sha,
            engine_hash,
            bytes,
        } => {
            conn.execute(
                "INSERT OR REPLACE INTO compiled (sha, engine_hash, bytes) VALUES (?1, ?2, ?3)",
                params![sha, engine_hash, bytes],
            )?;
            Ok(WriteOutcome::Done)
        }
        WriteOp::Answer {
            run_id,
            entry,
            events,
        } => answer(conn, &run_id, entry, &events),
        WriteOp::Signal(signal) => self::signal(conn, signal),
        WriteOp::Wake { run_id, at } => {
            conn.prepare_cached(
                "UPDATE runs SET wake_at = ?2
                 WHERE id = ?1 AND status = 'waiting' AND owner IS NULL",
            )?
            .execute(params![run_id, at])?;
            Ok(WriteOutcome::Done)
        }
        WriteOp::AddLlmUsage {
            run_id,
            usage,
            events,
        } => {
            add_usage(conn, &run_id, &usage)?;
            insert_events(conn, &run_id, &events)?;
            Ok(WriteOutcome::Done)
        }
    }
}

fn create_run(conn: &Connection, run: crate::journal::NewRun) -> Result<WriteOutcome, StoreError> {
    if let Some(key) = &run.idempotency_key {
        let existing: Option<String> = conn
            .prepare_cached("SELECT run_id FROM run_keys WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?;
        if let Some(run_id) = existing {
            return Ok(WriteOutcome::Created {
                run_id,
                existing: true,
            });
        }
        conn.prepare_cached("INSERT INTO run_keys (key, run_id) VALUES (?1, ?2)")?
            .execute(params![key, run.id])?;
    }
    let status = if run.owner.is_some() {
        RunStatus::Running
    } else {
        RunStatus::Pending
    };
    conn.prepare_cached(
        "INSERT INTO runs (id, workflow, version, status, input, session_id, created_at,
                           updated_at, owner, activations, seed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        run.id,
        run.workflow,
        run.version,
        status.as_str(),
        run.input,
        run.session_id,
        run.created_at,
        run.owner,
        u32::from(run.owner.is_some()),
        run.seed as i64,
    ])?;
    insert_events(
        conn,
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
fn answer(
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
fn signal(conn: &Connection, s: NewSignal) -> Result<WriteOutcome, StoreError> {
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

fn add_usage(
    conn: &Connection,
    run_id: &str,
    u: &crate::journal::LlmUsage,
) -> Result<(), StoreError> {
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

/// Refuses writes to a run this worker no longer owns or that has ended.
fn fence(conn: &Connection, run_id: &str, owner: &str) -> Result<(), StoreError> {
    let row: Option<(Option<String>, String)> = conn
        .prepare_cached("SELECT owner, status FROM runs WHERE id = ?1")?
        .query_row([run_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let lost = |reason: String| StoreError::LeaseLost {
        run_id: run_id.to_string(),
        reason,
    };
    match row {
        None => Err(StoreError::NotFound(format!("run {run_id}"))),
        Some((o, _)) if o.as_deref() != Some(owner) => Err(lost(match o {
            Some(o) => format!("worker {o} owns it now"),
            None => "it was released".to_string(),
        })),
        Some((_, status)) if RunStatus::parse(&status).is_none_or(|s| s.is_terminal()) => {
            Err(lost(format!("it is {status}")))
        }
        Some(_) => Ok(()),
    }
}

/// Journals a run's move to version `to` (a `moved` entry at the run's
/// next seq) and records the `version` event.
pub(super) fn record_move(
    conn: &Connection,
    run_id: &str,
    from: &str,
    to: &str,
    forced: bool,
    at: i64,
) -> Result<(), StoreError> {
    let seq: i64 = conn.query_row(
        "SELECT coalesce(max(seq) + 1, 0) FROM journal WHERE run_id = ?1",
        [run_id],
        |r| r.get(0),
    )?;
    let value = serde_json::json!({"from": from, "to": to, "forced": forced});
    let entry = JournalEntry {
        seq: seq as u32,
        kind: EntryKind::Moved,
        name: "version".into(),
        occurrence: 0,
        input_hash: None,
        ok: true,
        value: Some(value.to_string()),
        created_at: at,
    };
    insert_entry(
        conn,
        run_id,
        &NewEntry {
            entry,
            effect: None,
        },
    )?;
    insert_events(
        conn,
        run_id,
        &[NewEvent {
            at,
            kind: EventKind::Version,
            data: serde_json::json!({"moved": true, "from": from, "to": to, "forced": forced}),
        }],
    )
}

pub(super) fn insert_entry(
    conn: &Connection,
    run_id: &str,
    e: &NewEntry,
) -> Result<(), StoreError> {
    let j = &e.entry;
    conn.prepare_cached(
        "INSERT INTO journal (run_id, seq, kind, name, occurrence, input_hash, ok, value, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        run_id,
        j.seq,
        j.kind.as_str(),
        j.name,
        j.occurrence,
        j.input_hash,
        j.ok,
        j.value,
        j.created_at
    ])?;
    match &e.effect {
        None => {}
        Some(StateEffect::Set { key, value }) => match key {
            StateKey::Run { run_id, key } => {
                conn.prepare_cached(
                    "INSERT INTO run_state (run_id, key, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
                )?
                .execute(params![run_id, key, value])?;
            }
            StateKey::Session { session_id, key } => {
                conn.prepare_cached(
                    "INSERT INTO session_state (session_id, key, value, updated_at)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (session_id, key) DO UPDATE
                     SET value = excluded.value, updated_at = excluded.updated_at",
                )?
                .execute(params![session_id, key, value, j.created_at])?;
            }
        },
        Some(StateEffect::ConsumeSignal { id }) => {
            let taken = conn
                .prepare_cached(
                    "UPDATE signals SET consumed_at = ?3
                     WHERE seq = ?1 AND run_id = ?2 AND consumed_at IS NULL",
                )?
                .execute(params![id, run_id, j.created_at])?;
            if taken == 0 {
                return Err(StoreError::LeaseLost {
                    run_id: run_id.to_string(),
                    reason: format!("signal {id} was taken by another activation"),
                });
            }
        }
        Some(StateEffect::LlmUsage(u)) => add_usage(conn, run_id, u)?,
        Some(StateEffect::Delete { key }) => match key {
            StateKey::Run { run_id, key } => {
                conn.prepare_cached("DELETE FROM run_state WHERE run_id = ?1 AND key = ?2")?
                    .execute(params![run_id, key])?;
            }
            StateKey::Session { session_id, key } => {
                conn.prepare_cached(
                    "DELETE FROM session_state WHERE session_id = ?1 AND key = ?2",
                )?
                .execute(params![session_id, key])?;
            }
        },
    }
    Ok(())
}

pub(super) fn insert_events(
    conn: &Connection,
    run_id: &str,
    events: &[NewEvent],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let mut stmt =
        conn.prepare_cached("INSERT INTO events (run_id, at, kind, data) VALUES (?1, ?2, ?3, ?4)")?;
    for e in events {
        stmt.execute(params![run_id, e.at, e.kind.as_str(), e.data.to_string()])?;
    }
    Ok(())
}

pub(super) fn error_json(e: &ErrorRecord) -> String {
    serde_json::to_string(e).expect("error records serialize")
}
