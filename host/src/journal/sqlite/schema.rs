//! The SQLite schema, its migrations, and the check that a file is cairn's.
//!
//! `PRAGMA application_id` marks a cairn database; `PRAGMA user_version`
//! is the number of migrations applied. A file that holds tables but not
//! our mark is refused rather than written to.

use rusqlite::Connection;

use crate::journal::StoreError;

/// "cairn" squeezed into the 32-bit SQLite application id.
pub const APPLICATION_ID: i32 = 0x6361_726e;

/// Each migration brings the schema from version `index` to `index + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    r#"
    CREATE TABLE versions (
        sha          TEXT PRIMARY KEY,
        bytes        BLOB NOT NULL,
        manifest     TEXT NOT NULL,
        deployed_at  INTEGER NOT NULL,
        allow_http   TEXT NOT NULL DEFAULT '[]',
        strict       INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE workflows (
        name            TEXT PRIMARY KEY,
        active_version  TEXT NOT NULL REFERENCES versions(sha)
    );
    CREATE TABLE compiled (
        sha          TEXT NOT NULL,
        engine_hash  TEXT NOT NULL,
        bytes        BLOB NOT NULL,
        PRIMARY KEY (sha, engine_hash)
    ) WITHOUT ROWID;
    CREATE TABLE runs (
        id           TEXT PRIMARY KEY,
        workflow     TEXT NOT NULL,
        version      TEXT NOT NULL,
        status       TEXT NOT NULL,
        input        TEXT NOT NULL,
        output       TEXT,
        error        TEXT,
        session_id   TEXT,
        created_at   INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL,
        wake_at      INTEGER,
        owner        TEXT,
        activations  INTEGER NOT NULL DEFAULT 0,
        seed         INTEGER NOT NULL
    );
    CREATE INDEX runs_due ON runs(status, wake_at);
    CREATE INDEX runs_workflow ON runs(workflow, created_at);
    CREATE INDEX runs_version ON runs(version);
    CREATE INDEX runs_owner ON runs(owner) WHERE owner IS NOT NULL;
    CREATE TABLE journal (
        run_id       TEXT NOT NULL,
        seq          INTEGER NOT NULL,
        kind         TEXT NOT NULL,
        name         TEXT NOT NULL,
        occurrence   INTEGER NOT NULL,
        input_hash   TEXT,
        ok           INTEGER NOT NULL,
        value        TEXT,
        created_at   INTEGER NOT NULL,
        PRIMARY KEY (run_id, seq)
    ) WITHOUT ROWID;
    CREATE TABLE run_state (
        run_id  TEXT NOT NULL,
        key     TEXT NOT NULL,
        value   TEXT NOT NULL,
        PRIMARY KEY (run_id, key)
    ) WITHOUT ROWID;
    CREATE TABLE session_state (
        session_id  TEXT NOT NULL,
        key         TEXT NOT NULL,
        value       TEXT NOT NULL,
        updated_at  INTEGER NOT NULL,
        PRIMARY KEY (session_id, key)
    ) WITHOUT ROWID;
    CREATE TABLE events (
        id      INTEGER PRIMARY KEY,
        run_id  TEXT NOT NULL,
        at      INTEGER NOT NULL,
        kind    TEXT NOT NULL,
        data    TEXT NOT NULL
    );
    CREATE INDEX events_run ON events(run_id, id);
    CREATE TABLE workers (
        id            TEXT PRIMARY KEY,
        hostname      TEXT NOT NULL,
        pid           INTEGER NOT NULL,
        proc_start    INTEGER,
        started_at    INTEGER NOT NULL,
        heartbeat_at  INTEGER NOT NULL
    );
    "#,
    // 2: versions and hot swap.
    r#"
    ALTER TABLE versions ADD COLUMN pin INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE runs ADD COLUMN checked_version TEXT;
    "#,
    // 3: the server: idempotent starts and webhook deliveries.
    r#"
    CREATE TABLE run_keys (
        key     TEXT PRIMARY KEY,
        run_id  TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE webhook_deliveries (
        source       TEXT NOT NULL,
        delivery_id  TEXT NOT NULL,
        received_at  INTEGER NOT NULL,
        runs         TEXT NOT NULL,
        PRIMARY KEY (source, delivery_id)
    ) WITHOUT ROWID;
    "#,
    // 4: signals for `wait_for_event`, and LLM token totals per run.
    r#"
    CREATE TABLE signals (
        seq          INTEGER PRIMARY KEY,
        run_id       TEXT NOT NULL,
        name         TEXT NOT NULL,
        payload      TEXT NOT NULL,
        sent_at      INTEGER NOT NULL,
        sent_by      TEXT,
        consumed_at  INTEGER
    );
    CREATE INDEX signals_run ON signals(run_id, name, seq);
    ALTER TABLE runs ADD COLUMN llm_calls INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE runs ADD COLUMN llm_input_tokens INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE runs ADD COLUMN llm_output_tokens INTEGER NOT NULL DEFAULT 0;
    "#,
    // 5: `cairn runs restart`: the run a run was restarted from.
    r#"
    ALTER TABLE runs ADD COLUMN restarted_from TEXT;
    ALTER TABLE runs ADD COLUMN restart_seq INTEGER;
    ALTER TABLE runs ADD COLUMN restart_clock INTEGER;
    "#,
];

/// The schema version this build writes.
pub fn current_version() -> i32 {
    MIGRATIONS.len() as i32
}

/// Checks, without writing anything, that `conn` is empty or cairn's.
pub fn check(conn: &Connection, path: &str) -> Result<(), StoreError> {
    // Any read fails with NOTADB on a file that is not SQLite at all.
    let app_id: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(|e| not_cairn_or(e, path))?;
    let user_version: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let tables: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
        [],
        |r| r.get(0),
    )?;
    if app_id != APPLICATION_ID && (tables > 0 || user_version != 0 || app_id != 0) {
        return Err(StoreError::NotCairn {
            path: path.to_string(),
            reason: format!(
                "it is a SQLite database, but not cairn's ({tables} tables of another \
                 application); cairn leaves it untouched"
            ),
        });
    }
    if user_version > current_version() {
        return Err(StoreError::TooNew {
            path: path.to_string(),
            found: user_version,
            supported: current_version(),
        });
    }
    Ok(())
}

/// Applies the migrations `conn` lacks (after [`check`]).
pub fn prepare(conn: &mut Connection, path: &str) -> Result<(), StoreError> {
    check(conn, path)?;
    let user_version: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(user_version as usize) {
        // Another process may be migrating the same file: take the write
        // lock first, then look again.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let applied: i32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if applied as usize > i {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.pragma_update(None, "user_version", (i + 1) as i32)?;
        tx.commit()?;
    }
    Ok(())
}

/// Maps "file is not a database" to a typed error naming the file.
pub fn not_cairn_or(e: rusqlite::Error, path: &str) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, _) = &e
        && f.code == rusqlite::ErrorCode::NotADatabase
    {
        return StoreError::NotCairn {
            path: path.to_string(),
            reason: "it is not a SQLite database".to_string(),
        };
    }
    StoreError::from(e)
}
