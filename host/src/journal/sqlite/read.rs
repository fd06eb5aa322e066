//! Queries behind the read half of [`Storage`](crate::journal::Storage) for SQLite.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::journal::{
    DeliveryRecord, EntryKind, ErrorRecord, JournalEntry, LlmUsage, PendingPrompt, RestartOrigin,
    RunEvent, RunFilter, RunRecord, RunStatus, SignalRecord, StateKey, StoreError, UnixMs,
    VersionRecord, VersionSummary, WorkerRecord,
};

const RUN_COLUMNS: &str = "id, workflow, version, status, input, output, error, session_id,
    created_at, updated_at, wake_at, owner, activations, seed, checked_version,
    llm_calls, llm_input_tokens, llm_output_tokens, restarted_from, restart_seq, restart_clock";

fn run_from_row(r: &Row<'_>) -> rusqlite::Result<Result<RunRecord, StoreError>> {
    let status: String = r.get(3)?;
    let error: Option<String> = r.get(6)?;
    let seed: i64 = r.get(13)?;
    let Some(status) = RunStatus::parse(&status) else {
        return Ok(Err(StoreError::Corrupt(format!(
            "unknown run status {status}"
        ))));
    };
    let error = match error.map(|e| serde_json::from_str::<ErrorRecord>(&e)) {
        None => None,
        Some(Ok(e)) => Some(e),
        Some(Err(e)) => return Ok(Err(StoreError::Corrupt(format!("run error: {e}")))),
    };
    Ok(Ok(RunRecord {
        id: r.get(0)?,
        workflow: r.get(1)?,
        version: r.get(2)?,
        status,
        input: r.get(4)?,
        output: r.get(5)?,
        error,
        session_id: r.get(7)?,
        created_at: r.get(8)?,
        updated_at: r.get(9)?,
        wake_at: r.get(10)?,
        owner: r.get(11)?,
        activations: r.get(12)?,
        seed: seed as u64,
        checked_version: r.get(14)?,
        llm: LlmUsage {
            calls: r.get::<_, i64>(15)? as u64,
            input_tokens: r.get::<_, i64>(16)? as u64,
            output_tokens: r.get::<_, i64>(17)? as u64,
        },
        restarted_from: match (
            r.get::<_, Option<String>>(18)?,
            r.get::<_, Option<u32>>(19)?,
            r.get::<_, Option<UnixMs>>(20)?,
        ) {
            (Some(run_id), Some(seq), Some(clock_origin)) => Some(RestartOrigin {
                run_id,
                seq,
                clock_origin,
            }),
            _ => None,
        },
    }))
}

pub(super) fn read_run(conn: &Connection, id: &str) -> Result<Option<RunRecord>, StoreError> {
    let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1");
    conn.prepare_cached(&sql)?
        .query_row([id], run_from_row)
        .optional()?
        .transpose()
}

fn collect_runs(
    stmt: &mut rusqlite::CachedStatement<'_>,
    params: impl rusqlite::Params,
) -> Result<Vec<RunRecord>, StoreError> {
    let rows = stmt.query_map(params, run_from_row)?;
    let mut out = Vec::new();
    for r in rows {
        out.push(r??);
    }
    Ok(out)
}

pub(super) fn list_runs(conn: &Connection, f: &RunFilter) -> Result<Vec<RunRecord>, StoreError> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM runs
         WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR workflow = ?2)
           AND (?3 IS NULL OR session_id = ?3)
           AND (?5 IS NULL OR created_at < ?5 OR (created_at = ?5 AND id < ?6))
         ORDER BY created_at DESC, id DESC LIMIT ?4"
    );
    let (before_at, before_id) = match &f.before {
        Some((at, id)) => (Some(*at), Some(id.as_str())),
        None => (None, None),
    };
    collect_runs(
        &mut conn.prepare_cached(&sql)?,
        params![
            f.status.map(|s| s.as_str()),
            f.workflow,
            f.session_id,
            f.limit.unwrap_or(1000),
            before_at,
            before_id
        ],
    )
}

pub(super) fn due_runs(
    conn: &Connection,
    now: UnixMs,
    limit: u32,
) -> Result<Vec<RunRecord>, StoreError> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM runs
         WHERE owner IS NULL AND (status = 'pending' OR status = 'running'
               OR (status = 'sleeping' AND wake_at <= ?1)
               OR (status = 'waiting' AND wake_at <= ?1))
         ORDER BY wake_at LIMIT ?2"
    );
    collect_runs(&mut conn.prepare_cached(&sql)?, params![now, limit])
}

pub(super) fn owned_runs(
    conn: &Connection,
    except: &str,
) -> Result<Vec<(RunRecord, Option<WorkerRecord>)>, StoreError> {
    let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE owner IS NOT NULL AND owner != ?1");
    let runs = collect_runs(&mut conn.prepare_cached(&sql)?, [except])?;
    let mut out = Vec::with_capacity(runs.len());
    for run in runs {
        let worker = match &run.owner {
            Some(o) => worker(conn, o)?,
            None => None,
        };
        out.push((run, worker));
    }
    Ok(out)
}

pub(super) fn owned_by(conn: &Connection, owner: &str) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT id FROM runs WHERE owner = ?1")?;
    let rows = stmt.query_map([owner], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn cancelled_owned(conn: &Connection, owner: &str) -> Result<Vec<String>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT id FROM runs WHERE owner = ?1 AND status = 'cancelled'")?;
    let rows = stmt.query_map([owner], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn next_wake(conn: &Connection) -> Result<Option<UnixMs>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT min(wake_at) FROM runs WHERE status IN ('sleeping', 'waiting')")?
        .query_row([], |r| r.get(0))?)
}

pub(super) fn deliveries(
    conn: &Connection,
    source: &str,
    limit: u32,
    with_runs: bool,
) -> Result<Vec<DeliveryRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT delivery_id, received_at, runs FROM webhook_deliveries
         WHERE source = ?1 AND (?2 = 0 OR runs != '[]')
         ORDER BY received_at DESC, delivery_id DESC LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![source, with_runs, limit], |r| {
        Ok((r.get::<_, String>(0)?, r.get(1)?, r.get::<_, String>(2)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (delivery_id, at, runs) = row?;
        let runs = serde_json::from_str(&runs).map_err(|e| {
            StoreError::Corrupt(format!("delivery {source}/{delivery_id}: runs: {e}"))
        })?;
        out.push(DeliveryRecord {
            delivery_id,
            at,
            runs,
        });
    }
    Ok(out)
}

pub(super) fn worker(conn: &Connection, id: &str) -> Result<Option<WorkerRecord>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT id, hostname, pid, proc_start, heartbeat_at FROM workers WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok(WorkerRecord {
                id: r.get(0)?,
                hostname: r.get(1)?,
                pid: r.get(2)?,
                proc_start: r.get::<_, Option<i64>>(3)?.map(|s| s as u64),
                heartbeat_at: r.get(4)?,
            })
        })
        .optional()?)
}

pub(super) fn journal(conn: &Connection, run_id: &str) -> Result<Vec<JournalEntry>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, kind, name, occurrence, input_hash, ok, value, created_at
         FROM journal WHERE run_id = ?1 ORDER BY seq",
    )?;
    journal_rows(&mut stmt, params![run_id])
}

/// At most `limit` entries of a run's journal after seq `after` (all from
/// the start with `None`), in seq order.
pub(super) fn journal_page(
    conn: &Connection,
    run_id: &str,
    after: Option<u32>,
    limit: u32,
) -> Result<Vec<JournalEntry>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, kind, name, occurrence, input_hash, ok, value, created_at
         FROM journal WHERE run_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    )?;
    let after = after.map_or(-1, i64::from);
    journal_rows(&mut stmt, params![run_id, after, limit])
}

fn journal_rows(
    stmt: &mut rusqlite::CachedStatement<'_>,
    params: impl rusqlite::Params,
) -> Result<Vec<JournalEntry>, StoreError> {
    let rows = stmt.query_map(params, |r| {
        let kind: String = r.get(1)?;
        Ok((
            kind,
            JournalEntry {
                seq: r.get(0)?,
                kind: EntryKind::Step,
                name: r.get(2)?,
                occurrence: r.get(3)?,
                input_hash: r.get(4)?,
                ok: r.get(5)?,
                value: r.get(6)?,
                created_at: r.get(7)?,
            },
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (kind, mut entry) = row?;
        entry.kind = EntryKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown journal entry kind {kind}")))?;
        out.push(entry);
    }
    Ok(out)
}

pub(super) fn events(
    conn: &Connection,
    run_id: &str,
    after_id: i64,
) -> Result<Vec<RunEvent>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, kind, data FROM events WHERE run_id = ?1 AND id > ?2 ORDER BY id",
    )?;
    let rows = stmt.query_map(params![run_id, after_id], |r| {
        let data: String = r.get(3)?;
        Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get::<_, String>(2)?, data))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, at, kind, data) = row?;
        let kind = crate::journal::EventKind::parse(&kind).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "event {id} of run {run_id} has unknown kind {kind:?}"
            ))
        })?;
        out.push(RunEvent {
            id,
            run_id: run_id.to_string(),
            at,
            kind,
            data: serde_json::from_str(&data).unwrap_or(serde_json::Value::String(data)),
        });
    }
    Ok(out)
}

pub(super) fn run_state(
    conn: &Connection,
    run_id: &str,
) -> Result<Vec<(String, String)>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT key, value FROM run_state WHERE run_id = ?1 ORDER BY key")?;
    let rows = stmt.query_map([run_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn session_state(
    conn: &Connection,
    session_id: &str,
) -> Result<Vec<(String, String)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT key, value FROM session_state WHERE session_id = ?1 ORDER BY key",
    )?;
    let rows = stmt.query_map([session_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn state_value(conn: &Connection, key: &StateKey) -> Result<Option<String>, StoreError> {
    Ok(match key {
        StateKey::Run { run_id, key } => conn
            .prepare_cached("SELECT value FROM run_state WHERE run_id = ?1 AND key = ?2")?
            .query_row(params![run_id, key], |r| r.get(0))
            .optional()?,
        StateKey::Session { session_id, key } => conn
            .prepare_cached("SELECT value FROM session_state WHERE session_id = ?1 AND key = ?2")?
            .query_row(params![session_id, key], |r| r.get(0))
            .optional()?,
    })
}

pub(super) fn version(conn: &Connection, sha: &str) -> Result<Option<VersionRecord>, StoreError> {
    let row = conn
        .prepare_cached(
            "SELECT sha, bytes, manifest, deployed_at, allow_http, strict, pin FROM versions
             WHERE sha = ?1",
        )?
        .query_row([sha], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, bool>(5)?,
                r.get::<_, bool>(6)?,
            ))
        })
        .optional()?;
    let Some((sha, bytes, manifest, deployed_at, allow_http, strict, pin)) = row else {
        return Ok(None);
    };
    Ok(Some(VersionRecord {
        sha,
        bytes,
        manifest,
        deployed_at,
        allow_http: serde_json::from_str(&allow_http)
            .map_err(|e| StoreError::Corrupt(format!("allow_http: {e}")))?,
        strict,
        pin,
    }))
}

pub(super) fn versions(conn: &Connection) -> Result<Vec<VersionSummary>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT v.sha, v.manifest, v.deployed_at, v.allow_http, v.strict, v.pin,
                (SELECT count(*) FROM runs r WHERE r.version = v.sha),
                (SELECT group_concat(w.name, char(10)) FROM workflows w WHERE w.active_version = v.sha)
         FROM versions v ORDER BY v.deployed_at DESC, v.sha",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, bool>(4)?,
            r.get::<_, bool>(5)?,
            r.get::<_, i64>(6)?,
            r.get::<_, Option<String>>(7)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (sha, manifest, deployed_at, allow_http, strict, pin, runs, active) = row?;
        let manifest: serde_json::Value = serde_json::from_str(&manifest)
            .map_err(|e| StoreError::Corrupt(format!("manifest: {e}")))?;
        let workflows = manifest["workflows"]
            .as_array()
            .map(|ws| {
                ws.iter()
                    .filter_map(|w| w["name"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let mut active_for: Vec<String> = active
            .map(|a| a.lines().map(String::from).collect())
            .unwrap_or_default();
        active_for.sort();
        out.push(VersionSummary {
            sha,
            workflows,
            active_for,
            deployed_at,
            runs: runs as u64,
            allow_http: serde_json::from_str(&allow_http).unwrap_or_default(),
            strict,
            pin,
        });
    }
    Ok(out)
}

pub(super) fn active_version(
    conn: &Connection,
    workflow: &str,
) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT active_version FROM workflows WHERE name = ?1")?
        .query_row([workflow], |r| r.get(0))
        .optional()?)
}

pub(super) fn compiled(
    conn: &Connection,
    sha: &str,
    engine_hash: &str,
) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT bytes FROM compiled WHERE sha = ?1 AND engine_hash = ?2")?
        .query_row([sha, engine_hash], |r| r.get(0))
        .optional()?)
}

pub(super) fn active_manifests(
    conn: &Connection,
) -> Result<Vec<(String, String, String)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT w.name, v.sha, v.manifest FROM workflows w
         JOIN versions v ON v.sha = w.active_version ORDER BY w.name",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

// ---- human in the loop (issue 3) ----

pub(super) fn pending_prompts(
    conn: &Connection,
    run_id: Option<&str>,
) -> Result<Vec<PendingPrompt>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.id, r.workflow, r.status, j.name, j.occurrence, j.value, j.created_at
         FROM runs r JOIN journal j ON j.run_id = r.id AND j.kind = 'prompt'
         WHERE r.status IN ('waiting', 'running') AND (?1 IS NULL OR r.id = ?1)
           AND NOT EXISTS (SELECT 1 FROM journal a
                           WHERE a.run_id = j.run_id AND a.kind = 'answer'
                             AND a.name = j.name AND a.occurrence = j.occurrence)
         ORDER BY j.created_at, r.id",
    )?;
    let rows = stmt.query_map([run_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, u32>(4)?,
            r.get::<_, Option<String>>(5)?,
            r.get::<_, i64>(6)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (run_id, workflow, status, name, occurrence, value, asked_at) = row?;
        let status = RunStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown run status {status}")))?;
        let prompt = serde_json::from_str(value.as_deref().unwrap_or("null")).map_err(|e| {
            StoreError::Corrupt(format!("prompt #{occurrence} of run {run_id}: {e}"))
        })?;
        out.push(PendingPrompt {
            run_id,
            workflow,
            status,
            name,
            occurrence,
            prompt,
            asked_at,
        });
    }
    Ok(out)
}

const SIGNAL_COLUMNS: &str = "seq, run_id, name, payload, sent_at, sent_by, consumed_at";

fn signal_from_row(r: &Row<'_>) -> rusqlite::Result<SignalRecord> {
    Ok(SignalRecord {
        id: r.get(0)?,
        run_id: r.get(1)?,
        name: r.get(2)?,
        payload: r.get(3)?,
        sent_at: r.get(4)?,
        sent_by: r.get(5)?,
        consumed_at: r.get(6)?,
    })
}

pub(super) fn next_signal(
    conn: &Connection,
    run_id: &str,
    name: &str,
) -> Result<Option<SignalRecord>, StoreError> {
    let sql = format!(
        "SELECT {SIGNAL_COLUMNS} FROM signals
         WHERE run_id = ?1 AND name = ?2 AND consumed_at IS NULL ORDER BY seq LIMIT 1"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([run_id, name], signal_from_row)
        .optional()?)
}

pub(super) fn signals(conn: &Connection, run_id: &str) -> Result<Vec<SignalRecord>, StoreError> {
    let sql = format!("SELECT {SIGNAL_COLUMNS} FROM signals WHERE run_id = ?1 ORDER BY seq");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([run_id], signal_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}
