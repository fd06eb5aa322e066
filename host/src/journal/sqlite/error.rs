//! Turning SQLite's failures into [`DatabaseProblem`]s a person can act on.
//!
//! SQLite reports a missing directory, a read-only directory and a
//! permission problem alike as "unable to open database file", so on such
//! errors the location is examined to say which it is.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::ErrorCode;

use crate::journal::{DatabaseProblem, ProblemKind, StoreError};

/// Where the database is and how long its connections wait for a lock:
/// what a message about it needs.
#[derive(Debug, Clone)]
pub(super) struct Place {
    pub path: PathBuf,
    /// The path as the user gave it.
    pub display: String,
    pub lock_timeout: Duration,
}

impl Place {
    pub fn new(path: &Path, lock_timeout: Duration) -> Place {
        Place {
            path: path.to_path_buf(),
            display: path.display().to_string(),
            lock_timeout,
        }
    }

    /// A SQLite error, as a database problem when it is one.
    pub fn classify(&self, e: rusqlite::Error) -> StoreError {
        match self.problem_of(&e) {
            Some(p) => StoreError::Database(p),
            None => StoreError::from(e),
        }
    }

    /// [`Place::classify`] for an error already wrapped.
    pub fn reclassify(&self, e: StoreError) -> StoreError {
        match e {
            StoreError::Backend {
                backend: BACKEND,
                source,
            } => match source.downcast::<rusqlite::Error>() {
                Ok(e) => self.classify(*e),
                Err(source) => StoreError::Backend {
                    backend: BACKEND,
                    source,
                },
            },
            other => other,
        }
    }

    fn problem_of(&self, e: &rusqlite::Error) -> Option<DatabaseProblem> {
        let err = e.sqlite_error()?;
        match err.code {
            ErrorCode::CannotOpen | ErrorCode::PermissionDenied => {
                Some(self.location().unwrap_or_else(|| {
                    self.problem(
                        ProblemKind::Unavailable,
                        format!("cannot open the database {}: {e}", self.display),
                    )
                }))
            }
            ErrorCode::ReadOnly => Some(
                self.location()
                    .filter(|p| p.kind == ProblemKind::ReadOnly)
                    .unwrap_or_else(|| self.read_only("SQLite opened it read-only")),
            ),
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => Some(self.locked()),
            ErrorCode::DiskFull => Some(self.full()),
            // Growing the shared-memory index beside the database failed:
            // on a full disk, SQLite says so this way.
            ErrorCode::SystemIoFailure
                if err.extended_code == rusqlite::ffi::SQLITE_IOERR_SHMSIZE =>
            {
                Some(self.full())
            }
            ErrorCode::DatabaseCorrupt => Some(self.corrupt(&e.to_string())),
            _ => None,
        }
    }

    fn problem(&self, kind: ProblemKind, message: String) -> DatabaseProblem {
        DatabaseProblem::new(kind, &self.display, message)
    }

    /// What is wrong with the database's location, if anything is: a
    /// missing or read-only directory, a path that is a directory, a
    /// read-only file.
    pub fn location(&self) -> Option<DatabaseProblem> {
        let path = &self.path;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let shown = dir.display();
        if !dir.exists() {
            return Some(self.problem(
                ProblemKind::Unavailable,
                format!(
                    "cannot open the database {}: the directory {shown} does not exist; \
                     create it (`mkdir -p {shown}`) or choose another file with --db or CAIRN_DB",
                    self.display
                ),
            ));
        }
        if !dir.is_dir() {
            return Some(self.problem(
                ProblemKind::Unavailable,
                format!(
                    "cannot open the database {}: {shown} is not a directory",
                    self.display
                ),
            ));
        }
        if path.is_dir() {
            return Some(self.problem(
                ProblemKind::Unavailable,
                format!(
                    "cannot open the database {}: it is a directory; --db names the database \
                     file, for example {}",
                    self.display,
                    path.join("cairn.db").display()
                ),
            ));
        }
        if let Err(e) = probe_dir(&dir) {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let name = name.unwrap_or_default();
            return Some(self.problem(
                ProblemKind::ReadOnly,
                format!(
                    "the database {} cannot be written: its directory {shown} is not writable \
                     ({e}). SQLite's WAL mode creates {name}-wal and {name}-shm beside the \
                     database, so the directory must be writable too: make it writable, or move \
                     the database to a writable directory and point --db or CAIRN_DB at it",
                    self.display
                ),
            ));
        }
        for file in [path.clone(), sibling(path, "-wal"), sibling(path, "-shm")] {
            if !file.exists() {
                continue;
            }
            if let Err(e) = std::fs::OpenOptions::new().write(true).open(&file) {
                return Some(self.read_only(&format!("{} is not writable ({e})", file.display())));
            }
        }
        None
    }

    pub fn read_only(&self, why: &str) -> DatabaseProblem {
        self.problem(
            ProblemKind::ReadOnly,
            format!(
                "the database {} is read-only: {why}. cairn writes to its database on every \
                 command (migrations, its worker record): make the file writable \
                 (`chmod u+w {}`), or copy it somewhere writable and point --db at the copy",
                self.display, self.display
            ),
        )
    }

    pub fn locked(&self) -> DatabaseProblem {
        self.problem(
            ProblemKind::Locked,
            format!(
                "the database {} is locked: another process held its write lock for longer \
                 than the lock timeout ({}, setting `db_lock_timeout_ms`, env \
                 CAIRN_DB_LOCK_TIMEOUT_MS). cairn's own writers hold it for milliseconds, so \
                 it is probably another program (a `sqlite3` shell with an open transaction, a \
                 backup); `fuser {}` names it. Nothing was written: run the command again once \
                 the lock is released",
                self.display,
                humantime::format_duration(self.lock_timeout),
                self.display
            ),
        )
    }

    pub fn full(&self) -> DatabaseProblem {
        self.problem(
            ProblemKind::Full,
            format!(
                "no space left for the database {}: the disk (or quota) holding it is full. \
                 What was committed is kept and the write that failed was rolled back; free \
                 some space, then run the command again (`cairn resume` continues the runs it \
                 interrupted)",
                self.display
            ),
        )
    }

    pub fn corrupt(&self, detail: &str) -> DatabaseProblem {
        self.problem(
            ProblemKind::Corrupt,
            format!(
                "the database {} is damaged ({detail}); cairn will not use it, so nothing more \
                 is written into it. `cairn doctor --db {}` lists the damage; restore the file \
                 from a backup, or save what is readable with `sqlite3 {} .recover`",
                self.display, self.display, self.display
            ),
        )
    }
}

/// `path` with `suffix` appended to its file name (`cairn.db-wal`).
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Whether a file can be created in `dir` (permissions alone do not say:
/// root ignores them, a read-only mount does not).
fn probe_dir(dir: &Path) -> std::io::Result<()> {
    let probe = dir.join(format!(".cairn-probe-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// The name SQLite's errors carry in [`StoreError`]'s messages.
const BACKEND: &str = "sqlite";

/// Sorts a SQLite error into the backend-neutral cases: a constraint
/// failure is a [`StoreError::Conflict`], anything else a
/// [`StoreError::Backend`], which [`Place::reclassify`] turns into a
/// [`DatabaseProblem`] where it is one (locked, full, damaged, ...).
impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        match e.sqlite_error_code() {
            Some(ErrorCode::ConstraintViolation) => StoreError::Conflict {
                backend: BACKEND,
                source: Box::new(e),
            },
            _ => StoreError::Backend {
                backend: BACKEND,
                source: Box::new(e),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(dir: &Path) -> Place {
        Place::new(&dir.join("t.db"), Duration::from_millis(100))
    }

    #[test]
    fn a_database_at_its_page_limit_is_full() {
        // A full disk cannot be made everywhere the tests run; SQLite's
        // page limit fails a write with the same SQLITE_FULL.
        let dir = tempfile::tempdir().unwrap();
        let p = place(dir.path());
        let conn = rusqlite::Connection::open(&p.path).unwrap();
        conn.execute_batch("CREATE TABLE t (v BLOB); PRAGMA max_page_count = 3;")
            .unwrap();
        let e = conn
            .execute("INSERT INTO t VALUES (zeroblob(100000))", [])
            .unwrap_err();
        let problem = p
            .classify(e)
            .problem()
            .cloned()
            .expect("a database problem");
        assert_eq!(problem.kind, ProblemKind::Full);
        assert!(problem.message.contains("free some space"), "{problem}");
    }

    #[test]
    fn a_constraint_failure_is_a_conflict_that_says_sqlite() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (k TEXT PRIMARY KEY); INSERT INTO t VALUES ('a');")
            .unwrap();
        let e = conn.execute("INSERT INTO t VALUES ('a')", []).unwrap_err();
        let e = StoreError::from(e);
        assert!(matches!(e, StoreError::Conflict { .. }), "{e:?}");
        assert_eq!(e.to_string(), "sqlite: UNIQUE constraint failed: t.k");
        assert!(!e.is_retryable());
    }

    #[test]
    fn a_lock_held_elsewhere_is_retryable_and_other_sqlite_errors_keep_their_source() {
        let dir = tempfile::tempdir().unwrap();
        let p = place(dir.path());
        let conn = rusqlite::Connection::open(&p.path).unwrap();
        let e = StoreError::from(conn.execute("SELECT * FROM nope", []).unwrap_err());
        assert!(e.to_string().starts_with("sqlite: "), "{e}");
        let e = p.reclassify(e);
        let source = std::error::Error::source(&e).expect("the SQLite error");
        assert!(source.downcast_ref::<rusqlite::Error>().is_some());
        let holder = rusqlite::Connection::open(&p.path).unwrap();
        holder.execute_batch("BEGIN IMMEDIATE").unwrap();
        conn.busy_timeout(Duration::from_millis(1)).unwrap();
        let e = conn.execute_batch("BEGIN IMMEDIATE").unwrap_err();
        let e = p.reclassify(StoreError::from(e));
        assert_eq!(e.problem().map(|p| p.kind), Some(ProblemKind::Locked));
        assert!(e.is_retryable());
    }

    #[test]
    fn a_missing_directory_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = Place::new(&dir.path().join("nope/t.db"), Duration::from_secs(1));
        let e = rusqlite::Connection::open(&p.path).unwrap_err();
        let problem = p
            .classify(e)
            .problem()
            .cloned()
            .expect("a database problem");
        assert_eq!(problem.kind, ProblemKind::Unavailable);
        assert!(problem.message.contains("does not exist"), "{problem}");
        assert!(problem.message.contains("nope"), "{problem}");
    }

    #[test]
    fn a_busy_database_says_how_long_it_waited() {
        let dir = tempfile::tempdir().unwrap();
        let p = place(dir.path());
        let holder = rusqlite::Connection::open(&p.path).unwrap();
        holder.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (v); BEGIN IMMEDIATE; INSERT INTO t VALUES (1);").unwrap();
        let other = rusqlite::Connection::open(&p.path).unwrap();
        other.busy_timeout(p.lock_timeout).unwrap();
        let e = other.execute("INSERT INTO t VALUES (2)", []).unwrap_err();
        let problem = p
            .classify(e)
            .problem()
            .cloned()
            .expect("a database problem");
        assert_eq!(problem.kind, ProblemKind::Locked);
        assert!(problem.message.contains("100ms"), "{problem}");
    }
}
