//! The SQLite backend: one writer thread with group commit, a small pool of
//! read connections, WAL mode.
//!
//! `writer.rs` is the thread that owns the write connection; `write.rs`
//! applies each op (`versions.rs` those on versions, `human.rs` answers and
//! signals, `retry.rs` the retry of a failed run); `read.rs` holds
//! the queries; `schema.rs` the migrations and the check that a file is
//! cairn's; `error.rs` turns SQLite's errors into
//! [`DatabaseProblem`](crate::journal::DatabaseProblem)s;
//! `check.rs` is the bounded `quick_check` at open and `cairn doctor`'s
//! examination.

pub mod check;
mod error;
mod human;
mod read;
mod retry;
pub mod schema;
mod versions;
mod write;
mod writer;

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags};

use self::error::Place;
use self::writer::Writer;
use crate::journal::{
    CommitStats, Durability, JournalEntry, PendingPrompt, PendingWrite, RunEvent, RunFilter,
    RunRecord, SignalRecord, StateKey, Storage, StoreError, UnixMs, VersionRecord, VersionSummary,
    WorkerRecord, WriteOp,
};

pub use crate::journal::open::{DEFAULT_LOCK_TIMEOUT, OpenOptions};

/// A cairn journal in one SQLite file.
pub struct SqliteStore {
    place: Place,
    durability: Durability,
    writer: Writer,
    readers: Mutex<Vec<Connection>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` with the default
    /// lock timeout; see [`SqliteStore::open_with`].
    pub fn open(path: &Path, durability: Durability) -> Result<SqliteStore, StoreError> {
        Self::open_with(path, OpenOptions::new(durability))
    }

    /// Opens (creating if needed) the database at `path`: checks that it
    /// is cairn's, writable and undamaged, then applies migrations. A
    /// database that cannot be used is refused with a
    /// [`StoreError::Database`] saying why and what to do.
    pub fn open_with(path: &Path, options: OpenOptions) -> Result<SqliteStore, StoreError> {
        let place = Place::new(path, options.lock_timeout);
        let mut conn = raw_conn(&place)?;
        // Check before any pragma: WAL mode would rewrite a foreign file,
        // and nothing may be written into a damaged one.
        schema::check(&conn, &place.display).map_err(|e| place.reclassify(e))?;
        check::at_open(&conn, &place)?;
        if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
            let why = "SQLite could open it for reading only";
            return Err(place
                .location()
                .unwrap_or_else(|| place.read_only(why))
                .into());
        }
        configure(&conn, &place, options.durability)?;
        schema::prepare(&mut conn, &place.display).map_err(|e| place.reclassify(e))?;
        let writer = Writer::start(conn, options.durability, place.clone());
        Ok(SqliteStore {
            place,
            durability: options.durability,
            writer,
            readers: Mutex::new(Vec::new()),
        })
    }

    /// The file this store writes.
    pub fn path(&self) -> &str {
        &self.place.display
    }

    fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let pooled = self.readers.lock().expect("reader pool").pop();
        let conn = match pooled {
            Some(c) => c,
            None => open_conn(&self.place, self.durability)?,
        };
        let out = f(&conn).map_err(|e| self.place.reclassify(e));
        self.readers.lock().expect("reader pool").push(conn);
        out
    }
}

fn raw_conn(place: &Place) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        &place.path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| place.classify(e))?;
    conn.busy_timeout(place.lock_timeout)
        .map_err(|e| place.classify(e))?;
    Ok(conn)
}

fn open_conn(place: &Place, durability: Durability) -> Result<Connection, StoreError> {
    let conn = raw_conn(place)?;
    configure(&conn, place, durability)?;
    Ok(conn)
}

fn configure(conn: &Connection, place: &Place, durability: Durability) -> Result<(), StoreError> {
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(|e| place.reclassify(schema::not_cairn_or(e, &place.display)))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(mode, "SQLite refused WAL mode");
    }
    let sync = match durability {
        Durability::Full => "FULL",
        Durability::Relaxed => "NORMAL",
    };
    let pragmas = || -> rusqlite::Result<()> {
        conn.pragma_update(None, "synchronous", sync)?;
        conn.pragma_update(None, "foreign_keys", "OFF")
    };
    pragmas().map_err(|e| place.classify(e))?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

impl Storage for SqliteStore {
    fn write(&self, op: WriteOp) -> PendingWrite {
        self.writer.write(op)
    }
    fn flush(&self) -> PendingWrite {
        self.writer.flush()
    }
    fn run(&self, id: &str) -> Result<Option<RunRecord>, StoreError> {
        self.read(|c| read::read_run(c, id))
    }
    fn list_runs(&self, filter: &RunFilter) -> Result<Vec<RunRecord>, StoreError> {
        self.read(|c| read::list_runs(c, filter))
    }
    fn journal(&self, run_id: &str) -> Result<Vec<JournalEntry>, StoreError> {
        self.read(|c| read::journal(c, run_id))
    }
    fn journal_page(
        &self,
        run_id: &str,
        after: Option<u32>,
        limit: u32,
    ) -> Result<Vec<JournalEntry>, StoreError> {
        self.read(|c| read::journal_page(c, run_id, after, limit))
    }
    fn events(&self, run_id: &str, after_id: i64) -> Result<Vec<RunEvent>, StoreError> {
        self.read(|c| read::events(c, run_id, after_id))
    }
    fn run_state(&self, run_id: &str) -> Result<Vec<(String, String)>, StoreError> {
        self.read(|c| read::run_state(c, run_id))
    }
    fn state_value(&self, key: &StateKey) -> Result<Option<String>, StoreError> {
        self.read(|c| read::state_value(c, key))
    }
    fn session_state(&self, session_id: &str) -> Result<Vec<(String, String)>, StoreError> {
        self.read(|c| read::session_state(c, session_id))
    }
    fn version(&self, sha: &str) -> Result<Option<VersionRecord>, StoreError> {
        self.read(|c| read::version(c, sha))
    }
    fn versions(&self) -> Result<Vec<VersionSummary>, StoreError> {
        self.read(read::versions)
    }
    fn active_version(&self, workflow: &str) -> Result<Option<String>, StoreError> {
        self.read(|c| read::active_version(c, workflow))
    }
    fn active_manifests(&self) -> Result<Vec<(String, String, String)>, StoreError> {
        self.read(read::active_manifests)
    }
    fn compiled(&self, sha: &str, engine_hash: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(|c| read::compiled(c, sha, engine_hash))
    }
    fn due_runs(&self, now: UnixMs, limit: u32) -> Result<Vec<RunRecord>, StoreError> {
        self.read(|c| read::due_runs(c, now, limit))
    }
    fn owned_runs(
        &self,
        except: &str,
    ) -> Result<Vec<(RunRecord, Option<WorkerRecord>)>, StoreError> {
        self.read(|c| read::owned_runs(c, except))
    }
    fn worker(&self, id: &str) -> Result<Option<WorkerRecord>, StoreError> {
        self.read(|c| read::worker(c, id))
    }
    fn owned_by(&self, owner: &str) -> Result<Vec<String>, StoreError> {
        self.read(|c| read::owned_by(c, owner))
    }
    fn cancelled_owned(&self, owner: &str) -> Result<Vec<String>, StoreError> {
        self.read(|c| read::cancelled_owned(c, owner))
    }
    fn next_wake(&self) -> Result<Option<UnixMs>, StoreError> {
        self.read(read::next_wake)
    }
    fn commit_stats(&self) -> CommitStats {
        self.writer.stats()
    }
    fn pending_prompts(&self, run_id: Option<&str>) -> Result<Vec<PendingPrompt>, StoreError> {
        self.read(|c| read::pending_prompts(c, run_id))
    }
    fn next_signal(&self, run_id: &str, name: &str) -> Result<Option<SignalRecord>, StoreError> {
        self.read(|c| read::next_signal(c, run_id, name))
    }
    fn signals(&self, run_id: &str) -> Result<Vec<SignalRecord>, StoreError> {
        self.read(|c| read::signals(c, run_id))
    }
}

#[cfg(test)]
mod conformance {
    crate::storage_conformance!(
        |dir: &std::path::Path| -> std::sync::Arc<dyn crate::journal::Storage> {
            std::sync::Arc::new(
                super::SqliteStore::open(
                    &dir.join("conformance.db"),
                    crate::journal::Durability::Relaxed,
                )
                .expect("open a SQLite store"),
            )
        }
    );
}
