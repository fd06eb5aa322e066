//! Checking a SQLite file for damage: a bounded `PRAGMA quick_check` when
//! a store opens, and the whole examination `cairn doctor` prints.
//!
//! SQLite has no page checksums: damage shows as b-tree pages that do not
//! fit together, which `quick_check` finds by walking every b-tree once
//! (about 0.1 s of CPU for 64 MiB here). Without it a damaged file opens,
//! `cairn runs` may well succeed, and new runs are written into it.

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use super::error::Place;
use super::schema;
use crate::journal::{DatabaseProblem, ProblemKind, StoreError};

/// Files up to this size (database plus WAL) are checked whole at open;
/// larger ones only in the `runs` table every command reads, so opening
/// a large journal stays quick. `cairn doctor` checks everything.
pub const WHOLE_CHECK_MAX_BYTES: u64 = 64 << 20;

/// Most damage reports kept from one check.
const MAX_REPORTS: usize = 8;

/// Refuses a damaged file, before anything is written to it.
pub(super) fn at_open(conn: &Connection, place: &Place) -> Result<(), StoreError> {
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(|e| place.classify(e))?;
    if tables == 0 {
        return Ok(()); // a new file
    }
    let size = file_size(&place.path);
    let pragma = if size <= WHOLE_CHECK_MAX_BYTES {
        format!("PRAGMA quick_check({MAX_REPORTS})")
    } else {
        tracing::debug!(size, "large database: checking only the runs table at open");
        "PRAGMA quick_check(runs)".to_string()
    };
    let reports = check(conn, &pragma).map_err(|e| place.classify(e))?;
    if reports.is_empty() {
        return Ok(());
    }
    Err(place.corrupt(&summary(&reports)).into())
}

/// The database file plus its WAL, in bytes.
fn file_size(path: &Path) -> u64 {
    let wal = {
        let mut s = path.as_os_str().to_owned();
        s.push("-wal");
        std::path::PathBuf::from(s)
    };
    [path, wal.as_path()]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

/// Runs a check pragma; its reports, none when the file is sound.
fn check(conn: &Connection, pragma: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(pragma)?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut reports = Vec::new();
    for row in rows {
        let row = row?;
        if row != "ok" {
            reports.push(row);
        }
    }
    Ok(reports)
}

fn summary(reports: &[String]) -> String {
    let first = reports.first().map(String::as_str).unwrap_or_default();
    match reports.len() {
        1 => format!("integrity check: {first}"),
        n => format!("integrity check: {first}, and {} more", n - 1),
    }
}

/// What `cairn doctor` found.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    pub path: String,
    pub exists: bool,
    /// Database plus WAL, in bytes.
    pub size_bytes: u64,
    /// Marked as cairn's (`PRAGMA application_id`), or empty.
    pub cairn: bool,
    pub schema_version: Option<i32>,
    /// The schema version this cairn writes (it migrates older files).
    pub supported_schema_version: i32,
    pub writable: bool,
    /// Whether a write lock could be taken within the lock timeout.
    pub lock_free: Option<bool>,
    /// `PRAGMA integrity_check`: `ok`, or the first reports.
    pub integrity: Vec<String>,
    pub check_ms: Option<u64>,
    pub runs: Option<i64>,
    pub versions: Option<i64>,
    /// Everything wrong, each saying what to do; empty when healthy.
    pub problems: Vec<DatabaseProblem>,
}

impl Diagnosis {
    /// Healthy: nothing to do.
    pub fn ok(&self) -> bool {
        self.exists && self.problems.is_empty()
    }
}

/// Examines the database at `path` without changing it: location and
/// permissions, cairn's mark and schema version, the write lock, a full
/// `PRAGMA integrity_check`, and how many runs and versions it holds.
pub fn diagnose(path: &Path, lock_timeout: Duration) -> Diagnosis {
    let place = Place::new(path, lock_timeout);
    let mut d = Diagnosis {
        path: place.display.clone(),
        exists: path.is_file(),
        size_bytes: file_size(path),
        cairn: false,
        schema_version: None,
        supported_schema_version: schema::current_version(),
        writable: false,
        lock_free: None,
        integrity: Vec::new(),
        check_ms: None,
        runs: None,
        versions: None,
        problems: Vec::new(),
    };
    if let Some(p) = place.location() {
        d.problems.push(p);
    } else {
        d.writable = d.exists;
    }
    if !d.exists {
        return d;
    }
    // Read-only: the doctor must not be what changes the file it
    // examines. Where the directory is read-only SQLite cannot make the
    // WAL index a reader needs; with no WAL beside it the file alone is
    // the whole database, and is read as immutable.
    let mut flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut target = path.display().to_string();
    if !d.writable && !sibling_exists(path, "-wal") {
        flags |= OpenFlags::SQLITE_OPEN_URI;
        target = format!("file:{}?immutable=1", uri_path(path));
    }
    let conn = match Connection::open_with_flags(&target, flags) {
        Ok(c) => c,
        Err(e) => {
            push(&mut d, place.classify(e));
            return d;
        }
    };
    let _ = conn.busy_timeout(lock_timeout);
    match schema::check(&conn, &place.display) {
        Ok(()) => d.cairn = true,
        Err(e) => push(&mut d, place.reclassify(e)),
    }
    d.schema_version = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).ok();
    let started = Instant::now();
    match check(&conn, &format!("PRAGMA integrity_check({MAX_REPORTS})")) {
        Ok(reports) if reports.is_empty() => d.integrity = vec!["ok".into()],
        Ok(reports) => {
            push(&mut d, place.corrupt(&summary(&reports)).into());
            d.integrity = reports;
        }
        Err(e) => {
            // Damage bad enough to stop the check: name the tables it is in.
            d.integrity = per_table(&conn);
            push(&mut d, place.classify(e));
        }
    }
    d.check_ms = Some(started.elapsed().as_millis() as u64);
    if d.cairn && d.problems.iter().all(|p| p.kind != ProblemKind::Corrupt) {
        let count = |table: &str| {
            conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
                .ok()
        };
        d.runs = count("runs");
        d.versions = count("versions");
    }
    drop(conn);
    let damaged = d.problems.iter().any(|p| p.kind == ProblemKind::Corrupt);
    if d.writable && !damaged {
        d.lock_free = Some(lock_is_free(&place, &mut d));
    }
    d
}

/// `quick_check` table by table: a report per damaged table.
fn per_table(conn: &Connection) -> Vec<String> {
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
        .unwrap_or_default();
    let mut reports = Vec::new();
    for name in names {
        let pragma = format!("PRAGMA quick_check(\"{}\")", name.replace('"', "\"\""));
        match check(conn, &pragma) {
            Ok(r) if r.is_empty() => {}
            Ok(r) => reports.push(format!("table {name}: {}", r.join("; "))),
            Err(e) => reports.push(format!("table {name}: {e}")),
        }
        if reports.len() >= MAX_REPORTS {
            break;
        }
    }
    reports
}

fn push(d: &mut Diagnosis, e: StoreError) {
    let p = match e {
        StoreError::Database(p) => p,
        other => DatabaseProblem::new(ProblemKind::Unavailable, &d.path, other.to_string()),
    };
    if !d.problems.contains(&p) {
        d.problems.push(p);
    }
}

fn sibling_exists(path: &Path, suffix: &str) -> bool {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    Path::new(&s).exists()
}

/// `path` for a `file:` URI: `%`, `?` and `#` escaped.
fn uri_path(path: &Path) -> String {
    let mut out = String::new();
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3f"),
            '#' => out.push_str("%23"),
            c => out.push(c),
        }
    }
    out
}

/// Takes and gives back the write lock, writing nothing.
fn lock_is_free(place: &Place, d: &mut Diagnosis) -> bool {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let Ok(conn) = Connection::open_with_flags(&place.path, flags) else {
        return false;
    };
    let _ = conn.busy_timeout(place.lock_timeout);
    // Closing the last connection would checkpoint the WAL into the file.
    let _ = conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
        true,
    );
    match conn.execute_batch("BEGIN IMMEDIATE; ROLLBACK;") {
        Ok(()) => true,
        Err(e) => {
            let e = place.classify(e);
            if e.problem().is_some_and(|p| p.kind == ProblemKind::Locked) {
                push(d, e);
            }
            false
        }
    }
}
