//! How each [`WriteOp`] is applied to SQLite, inside the writer's
//! transaction: one function per op, the ops on versions in `versions.rs`
//! and those from outside a run (answers, signals) in `human.rs`.

use crate::error_code::ErrorCode;
use rusqlite::{Connection, OptionalExtension, params};

use super::read::read_run;
use super::{human, versions};
use crate::journal::{
    ErrorRecord, EventKind, NewEntry, NewEvent, NewRun, RunStatus, StateEffect, StateKey,
    StoreError, UnixMs, WorkerRecord, WriteOp, WriteOutcome,
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
        } => append(conn, &run_id, &owner, &entries, &events),
        WriteOp::SetStatus {
            run_id,
            owner,
            status,
            output,
            error,
            wake_at,
            release,
            events,
        } => set_status(
            conn,
            &run_id,
            &owner,
            StatusChange {
                status,
                output,
                error,
                wake_at,
                release,
            },
            events,
        ),
        WriteOp::Claim {
            run_id,
            owner,
            expected_owner,
        } => claim(conn, &run_id, &owner, expected_owner.as_deref()),
        WriteOp::Events { run_id, events } => {
            insert_events(conn, &run_id, &events)?;
            Ok(WriteOutcome::Done)
        }
        WriteOp::Cancel { run_id, at } => cancel(conn, &run_id, at),
        WriteOp::Heartbeat(w) => heartbeat(conn, &w),
        WriteOp::Release { run_id, owner } => release(conn, &run_id, &owner),
        WriteOp::RemoveWorker { id } => remove_worker(conn, &id),
        WriteOp::Deploy {
            version,
            workflows,
            activate,
        } => versions::deploy(conn, &version, &workflows, activate),
        WriteOp::MoveRun {
            run_id,
            owner,
            from,
            to,
            forced,
            at,
        } => versions::move_run(conn, &run_id, &owner, (&from, &to), forced, at),
        WriteOp::Retry {
            run_id,
            to,
            forced,
            at,
        } => super::retry::retry(conn, &run_id, to.as_deref(), forced, at),
        WriteOp::Restart {
            run,
            origin,
            entries,
        } => super::restart::restart(conn, *run, &origin, &entries),
        WriteOp::MarkChecked {
            run_id,
            version,
            events,
        } => versions::mark_checked(conn, &run_id, &version, &events),
        WriteOp::GcVersions => versions::gc(conn),
        WriteOp::Delivery {
            source,
            delivery_id,
            at,
            runs,
        } => delivery(conn, &source, &delivery_id, at, runs),
        WriteOp::PutCompiled {
            sha,
            engine_hash,
            bytes,
        } => versions::put_compiled(conn, &sha, &engine_hash, &bytes),
        WriteOp::Answer {
            run_id,
            entry,
            events,
        } => human::answer(conn, &run_id, entry, &events),
        WriteOp::Signal(signal) => human::signal(conn, signal),
        WriteOp::Wake { run_id, at } => human::wake(conn, &run_id, at),
        WriteOp::AddLlmUsage {
            run_id,
            usage,
            events,
        } => {
            human::add_usage(conn, &run_id, &usage)?;
            insert_events(conn, &run_id, &events)?;
            Ok(WriteOutcome::Done)
        }
    }
}

/// What a `SetStatus` sets besides its events.
struct StatusChange {
    status: RunStatus,
    output: Option<String>,
    error: Option<ErrorRecord>,
    wake_at: Option<UnixMs>,
    release: bool,
}

fn append(
    conn: &Connection,
    run_id: &str,
    owner: &str,
    entries: &[NewEntry],
    events: &[NewEvent],
) -> Result<WriteOutcome, StoreError> {
    fence(conn, run_id, owner)?;
    for e in entries {
        insert_entry(conn, run_id, e)?;
    }
    insert_events(conn, run_id, events)?;
    Ok(WriteOutcome::Done)
}

fn set_status(
    conn: &Connection,
    run_id: &str,
    owner: &str,
    change: StatusChange,
    mut events: Vec<NewEvent>,
) -> Result<WriteOutcome, StoreError> {
    fence(conn, run_id, owner)?;
    let StatusChange {
        status,
        output,
        error,
        wake_at,
        release,
    } = change;
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
    insert_events(conn, run_id, &events)?;
    Ok(WriteOutcome::Done)
}

fn claim(
    conn: &Connection,
    run_id: &str,
    owner: &str,
    expected_owner: Option<&str>,
) -> Result<WriteOutcome, StoreError> {
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
    let run = read_run(conn, run_id)?;
    if let Some(r) = &run {
        insert_events(
            conn,
            run_id,
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

fn cancel(conn: &Connection, run_id: &str, at: UnixMs) -> Result<WriteOutcome, StoreError> {
    let status: Option<String> = conn
        .query_row("SELECT status FROM runs WHERE id = ?1", [run_id], |r| {
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
                error_json(&ErrorRecord::new(
                    ErrorCode::Cancelled,
                    "the run was cancelled"
                ))
            ],
        )?;
        insert_events(
            conn,
            run_id,
            &[NewEvent {
                at,
                kind: EventKind::Status,
                data: serde_json::json!({"status": "cancelled"}),
            }],
        )?;
    }
    Ok(WriteOutcome::Cancelled { previous })
}

fn heartbeat(conn: &Connection, w: &WorkerRecord) -> Result<WriteOutcome, StoreError> {
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

fn release(conn: &Connection, run_id: &str, owner: &str) -> Result<WriteOutcome, StoreError> {
    conn.execute(
        "UPDATE runs SET owner = NULL WHERE id = ?1 AND owner = ?2",
        params![run_id, owner],
    )?;
    Ok(WriteOutcome::Done)
}

fn remove_worker(conn: &Connection, id: &str) -> Result<WriteOutcome, StoreError> {
    conn.execute("UPDATE runs SET owner = NULL WHERE owner = ?1", [id])?;
    conn.execute("DELETE FROM workers WHERE id = ?1", [id])?;
    Ok(WriteOutcome::Done)
}

/// Records a webhook delivery and creates its runs, or answers with the
/// runs it created the first time.
fn delivery(
    conn: &Connection,
    source: &str,
    delivery_id: &str,
    at: UnixMs,
    runs: Vec<NewRun>,
) -> Result<WriteOutcome, StoreError> {
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

pub(super) fn create_run(conn: &Connection, run: NewRun) -> Result<WriteOutcome, StoreError> {
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
        Some(StateEffect::LlmUsage(u)) => human::add_usage(conn, run_id, u)?,
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
