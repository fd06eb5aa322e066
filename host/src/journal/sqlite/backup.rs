//! `cairn backup`: a consistent copy of a live database.
//!
//! `VACUUM INTO` copies the database as one read transaction sees it, so
//! the copy is a snapshot of committed writes while the server goes on
//! writing (WAL mode: the reader does not block the writer, nor the
//! writer it). The copy is written beside the target under a temporary
//! name, checked (`PRAGMA quick_check`, the schema, its runs counted) and
//! only then renamed onto it, so a failed backup leaves no half file and
//! `--force` replaces an older backup at once.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use super::error::Place;
use super::schema;
use crate::journal::StoreError;

/// What a backup wrote.
#[derive(Debug, Clone, Serialize)]
pub struct BackupReport {
    /// The database copied.
    pub database: String,
    /// The copy.
    pub backup: String,
    pub bytes: u64,
    /// Runs and journal entries in the copy.
    pub runs: u64,
    pub journal_entries: u64,
}

/// Why a backup was not made.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("there is no database at {0}; nothing to back up")]
    NoDatabase(String),
    #[error("{0} exists; pass --force to replace it")]
    Exists(String),
    #[error("{0} is the database itself; give another file for the backup")]
    SameFile(String),
    #[error("cannot write the backup {path}: {reason}")]
    Write { path: String, reason: String },
    #[error("the backup {path} does not check out ({reason}); nothing was replaced")]
    BadCopy { path: String, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Copies the database at `from` to `to` (replacing `to` only with
/// `force`).
pub fn backup(
    from: &Path,
    to: &Path,
    force: bool,
    lock_timeout: Duration,
) -> Result<BackupReport, BackupError> {
    let shown = |p: &Path| p.display().to_string();
    if !from.is_file() {
        return Err(BackupError::NoDatabase(shown(from)));
    }
    if to.exists() {
        if same_file(from, to) {
            return Err(BackupError::SameFile(shown(to)));
        }
        if !force {
            return Err(BackupError::Exists(shown(to)));
        }
    }
    let place = Place::new(from, lock_timeout);
    let source = open_source(&place)?;
    let partial = partial_path(to);
    let _ = std::fs::remove_file(&partial);
    let write_error = |reason: String| BackupError::Write {
        path: shown(to),
        reason,
    };
    let partial_text = partial
        .to_str()
        .ok_or_else(|| write_error("the path is not UTF-8".into()))?;
    if let Err(e) = source.execute("VACUUM INTO ?1", [partial_text]) {
        let _ = std::fs::remove_file(&partial);
        let reason = match place.classify(e) {
            StoreError::Database(p) => p.to_string(),
            other => format!("{other} (is its directory there and writable?)"),
        };
        return Err(write_error(reason));
    }
    drop(source);
    let report = verify(&partial, from, to).inspect_err(|_| {
        let _ = std::fs::remove_file(&partial);
    })?;
    std::fs::rename(&partial, to).map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        write_error(e.to_string())
    })?;
    Ok(report)
}

/// A read-only connection to a cairn database.
fn open_source(place: &Place) -> Result<Connection, BackupError> {
    let conn = Connection::open_with_flags(
        &place.path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| place.classify(e))?;
    conn.busy_timeout(place.lock_timeout)
        .map_err(|e| place.classify(e))?;
    schema::check(&conn, &place.display).map_err(|e| place.reclassify(e))?;
    Ok(conn)
}

/// Checks the copy at `partial` and reports what it holds.
fn verify(partial: &Path, from: &Path, to: &Path) -> Result<BackupReport, BackupError> {
    let bad = |reason: String| BackupError::BadCopy {
        path: to.display().to_string(),
        reason,
    };
    let conn = Connection::open_with_flags(partial, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| bad(e.to_string()))?;
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(|e| bad(e.to_string()))?;
    if check != "ok" {
        return Err(bad(format!("quick_check: {check}")));
    }
    schema::check(&conn, &to.display().to_string()).map_err(|e| bad(e.to_string()))?;
    let count = |table: &str| -> Result<u64, BackupError> {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| {
            r.get::<_, i64>(0)
        })
        .map(|n| n.max(0) as u64)
        .map_err(|e| bad(e.to_string()))
    };
    let (runs, journal_entries) = if table_exists(&conn, "runs") {
        (count("runs")?, count("journal")?)
    } else {
        (0, 0)
    };
    let bytes = std::fs::metadata(partial)
        .map_err(|e| bad(e.to_string()))?
        .len();
    Ok(BackupReport {
        database: from.display().to_string(),
        backup: to.display().to_string(),
        bytes,
        runs,
        journal_entries,
    })
}

fn table_exists(conn: &Connection, name: &str) -> bool {
    conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [name],
        |r| r.get::<_, i64>(0),
    )
    .is_ok_and(|n| n > 0)
}

/// Where the copy is written before it is renamed onto `to`: beside it,
/// so the rename stays on one file system.
fn partial_path(to: &Path) -> PathBuf {
    let name = to
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".into());
    to.with_file_name(format!(".{name}.partial-{}", std::process::id()))
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
