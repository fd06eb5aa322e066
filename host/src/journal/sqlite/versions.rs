//! The SQLite statements behind the [`Tx`](crate::journal::rules::Tx)
//! primitives on versions and webhook deliveries (the rules that use them
//! are in `journal/rules/versions.rs` and `rules/create.rs`).

use rusqlite::{Connection, OptionalExtension, params};

use crate::journal::{StoreError, UnixMs, VersionRecord};

pub(super) fn insert_version(conn: &Connection, v: &VersionRecord) -> Result<bool, StoreError> {
    let inserted = conn.execute(
        "INSERT OR IGNORE INTO versions
             (sha, bytes, manifest, deployed_at, allow_http, strict, pin)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            v.sha,
            v.bytes,
            v.manifest,
            v.deployed_at,
            serde_json::to_string(&v.allow_http).expect("strings serialize"),
            v.strict,
            v.pin,
        ],
    )?;
    Ok(inserted == 1)
}

pub(super) fn set_active_version(
    conn: &Connection,
    workflow: &str,
    sha: &str,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO workflows (name, active_version) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET active_version = excluded.active_version",
        params![workflow, sha],
    )?;
    Ok(())
}

pub(super) fn unreferenced_versions(conn: &Connection) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT sha FROM versions
         WHERE sha NOT IN (SELECT version FROM runs)
           AND sha NOT IN (SELECT active_version FROM workflows)",
    )?;
    let shas = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(shas)
}

pub(super) fn delivery(
    conn: &Connection,
    source: &str,
    delivery_id: &str,
) -> Result<Option<Vec<String>>, StoreError> {
    let seen: Option<String> = conn
        .query_row(
            "SELECT runs FROM webhook_deliveries WHERE source = ?1 AND delivery_id = ?2",
            params![source, delivery_id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(seen.map(|runs| serde_json::from_str(&runs).unwrap_or_default()))
}

pub(super) fn insert_delivery(
    conn: &Connection,
    (source, delivery_id): (&str, &str),
    at: UnixMs,
    runs: &[String],
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO webhook_deliveries (source, delivery_id, received_at, runs)
         VALUES (?1, ?2, ?3, ?4)",
        params![
            source,
            delivery_id,
            at,
            serde_json::to_string(runs).expect("ids")
        ],
    )?;
    Ok(())
}
