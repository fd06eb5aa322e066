//! The ops on deployed versions, applied to SQLite: deploy, moving a run
//! to another version, the upgrade check's mark, garbage collection and
//! the cache of compiled artefacts.

use rusqlite::{Connection, params};

use super::write::{insert_entry, insert_events};
use crate::journal::{
    EntryKind, EventKind, JournalEntry, MovedRecord, NewEntry, NewEvent, StoreError, UnixMs,
    VersionRecord, WriteOutcome, record_json,
};

/// Stores a version (once per sha) and, with `activate`, makes it the
/// active version of `workflows`.
pub(super) fn deploy(
    conn: &Connection,
    version: &VersionRecord,
    workflows: &[String],
    activate: bool,
) -> Result<WriteOutcome, StoreError> {
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
        for w in workflows {
            conn.execute(
                "INSERT INTO workflows (name, active_version) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET active_version = excluded.active_version",
                params![w, version.sha],
            )?;
        }
    }
    Ok(WriteOutcome::Deployed { new: inserted == 1 })
}

/// Moves a run from version `from_to.0` to `from_to.1` if it is still on
/// the first, not ended, and owned by nobody or by `owner`.
pub(super) fn move_run(
    conn: &Connection,
    run_id: &str,
    owner: &str,
    (from, to): (&str, &str),
    forced: bool,
    at: UnixMs,
) -> Result<WriteOutcome, StoreError> {
    let changed = conn.execute(
        "UPDATE runs SET version = ?3, checked_version = NULL, updated_at = ?5
         WHERE id = ?1 AND version = ?2 AND (owner IS NULL OR owner = ?4)
           AND status NOT IN ('completed', 'failed', 'cancelled', 'diverged')",
        params![run_id, from, to, owner, at],
    )?;
    if changed == 0 {
        return Ok(WriteOutcome::Moved(false));
    }
    record_move(conn, run_id, from, to, forced, at)?;
    Ok(WriteOutcome::Moved(true))
}

pub(super) fn mark_checked(
    conn: &Connection,
    run_id: &str,
    version: &str,
    events: &[NewEvent],
) -> Result<WriteOutcome, StoreError> {
    conn.execute(
        "UPDATE runs SET checked_version = ?2 WHERE id = ?1",
        params![run_id, version],
    )?;
    insert_events(conn, run_id, events)?;
    Ok(WriteOutcome::Done)
}

/// Deletes versions no run holds and no workflow has active, and the
/// artefacts no remaining version has.
pub(super) fn gc(conn: &Connection) -> Result<WriteOutcome, StoreError> {
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

pub(super) fn put_compiled(
    conn: &Connection,
    sha: &str,
    engine_hash: &str,
    bytes: &[u8],
) -> Result<WriteOutcome, StoreError> {
    conn.execute(
        "INSERT OR REPLACE INTO compiled (sha, engine_hash, bytes) VALUES (?1, ?2, ?3)",
        params![sha, engine_hash, bytes],
    )?;
    Ok(WriteOutcome::Done)
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
    let value = record_json(&MovedRecord {
        from: from.to_string(),
        to: to.to_string(),
        forced,
    });
    let entry = JournalEntry {
        seq: seq as u32,
        kind: EntryKind::Moved,
        name: "version".into(),
        occurrence: 0,
        input_hash: None,
        ok: true,
        value: Some(value),
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
