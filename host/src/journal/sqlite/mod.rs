//! The SQLite backend: one writer thread with group commit, a small pool of
//! read connections, WAL mode.
//!
//! `writer.rs` is the thread that owns the write connection and applies
//! each op through the backend-neutral rules (`journal/rules/`) over
//! `tx.rs`, the SQLite primitives (`versions.rs` those on versions and
//! deliveries); no lifecycle rule lives in this folder. `read.rs` holds
//! the queries and `readers.rs` the read connections they run on;
//! `schema.rs` the migrations and the check that a file is cairn's;
//! `error.rs` turns SQLite's errors into [`DatabaseProblem`](crate::journal::DatabaseProblem)s;
//! `check.rs` is the bounded `quick_check` at open and `cairn doctor`'s
//! examination.

pub mod backup;
pub mod check;
mod counts;
mod error;
mod read;
mod readers;
pub mod schema;
mod tx;
mod versions;
mod writer;

use std::path::Path;
use std::sync::Arc;

use rusqlite::{Connection, OpenFlags};

use self::error::Place;
use self::readers::Readers;
use self::writer::Writer;
use crate::clock::{Clock, SystemClock};
use crate::journal::{
    CommitStats, DeliveryRecord, Durability, JournalEntry, PendingPrompt, PendingWrite, Reads,
    RunCount, RunEvent, RunFilter, RunRecord, SignalRecord, StateKey, Storage, StoreError, UnixMs,
    VersionRecord, VersionSummary, WorkerRecord, WriteOp,
};

pub use crate::journal::open::{DEFAULT_LOCK_TIMEOUT, OpenOptions};

/// A cairn journal in one SQLite file.
pub struct SqliteStore {
    writer: Writer,
    readers: Arc<Readers>,
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
        Self::open_with_clock(path, options, Arc::new(SystemClock))
    }

    /// [`SqliteStore::open_with`], with the clock the lifecycle rules read
    /// where an op carries no time (a claim's event).
    pub fn open_with_clock(
        path: &Path,
        options: OpenOptions,
        clock: Arc<dyn Clock>,
    ) -> Result<SqliteStore, StoreError> {
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
        let writer = Writer::start(conn, options.durability, place.clone(), clock);
        Ok(SqliteStore {
            writer,
            readers: Readers::new(place, options.durability),
        })
    }

    /// The file this store writes.
    pub fn path(&self) -> &str {
        &self.readers.place().display
    }

    /// Runs `f` on a pooled read connection, off the tokio workers (see
    /// `readers.rs`).
    fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Reads<'static, T> {
        self.readers.read(f)
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
    fn run<'a>(&'a self, id: &'a str) -> Reads<'a, Option<RunRecord>> {
        let id = id.to_owned();
        self.read(move |c| read::read_run(c, &id))
    }
    fn list_runs<'a>(&'a self, filter: &'a RunFilter) -> Reads<'a, Vec<RunRecord>> {
        let filter = filter.clone();
        self.read(move |c| read::list_runs(c, &filter))
    }
    fn journal<'a>(&'a self, run_id: &'a str) -> Reads<'a, Vec<JournalEntry>> {
        let run_id = run_id.to_owned();
        self.read(move |c| read::journal(c, &run_id))
    }
    fn journal_page<'a>(
        &'a self,
        run_id: &'a str,
        after: Option<u32>,
        limit: u32,
    ) -> Reads<'a, Vec<JournalEntry>> {
        let run_id = run_id.to_owned();
        self.read(move |c| read::journal_page(c, &run_id, after, limit))
    }
    fn events<'a>(&'a self, run_id: &'a str, after_id: i64) -> Reads<'a, Vec<RunEvent>> {
        let run_id = run_id.to_owned();
        self.read(move |c| read::events(c, &run_id, after_id))
    }
    fn run_state<'a>(&'a self, run_id: &'a str) -> Reads<'a, Vec<(String, String)>> {
        let run_id = run_id.to_owned();
        self.read(move |c| read::run_state(c, &run_id))
    }
    fn state_value<'a>(&'a self, key: &'a StateKey) -> Reads<'a, Option<String>> {
        let key = key.clone();
        self.read(move |c| read::state_value(c, &key))
    }
    fn session_state<'a>(&'a self, session_id: &'a str) -> Reads<'a, Vec<(String, String)>> {
        let session_id = session_id.to_owned();
        self.read(move |c| read::session_state(c, &session_id))
    }
    fn version<'a>(&'a self, sha: &'a str) -> Reads<'a, Option<VersionRecord>> {
        let sha = sha.to_owned();
        self.read(move |c| read::version(c, &sha))
    }
    fn versions(&self) -> Reads<'_, Vec<VersionSummary>> {
        self.read(read::versions)
    }
    fn active_version<'a>(&'a self, workflow: &'a str) -> Reads<'a, Option<String>> {
        let workflow = workflow.to_owned();
        self.read(move |c| read::active_version(c, &workflow))
    }
    fn active_manifests(&self) -> Reads<'_, Vec<(String, String, String)>> {
        self.read(read::active_manifests)
    }
    fn compiled<'a>(&'a self, sha: &'a str, engine_hash: &'a str) -> Reads<'a, Option<Vec<u8>>> {
        let sha = sha.to_owned();
        let engine_hash = engine_hash.to_owned();
        self.read(move |c| read::compiled(c, &sha, &engine_hash))
    }
    fn due_runs(&self, now: UnixMs, limit: u32) -> Reads<'_, Vec<RunRecord>> {
        self.read(move |c| read::due_runs(c, now, limit))
    }
    fn owned_runs<'a>(
        &'a self,
        except: &'a str,
    ) -> Reads<'a, Vec<(RunRecord, Option<WorkerRecord>)>> {
        let except = except.to_owned();
        self.read(move |c| read::owned_runs(c, &except))
    }
    fn worker<'a>(&'a self, id: &'a str) -> Reads<'a, Option<WorkerRecord>> {
        let id = id.to_owned();
        self.read(move |c| read::worker(c, &id))
    }
    fn owned_by<'a>(&'a self, owner: &'a str) -> Reads<'a, Vec<String>> {
        let owner = owner.to_owned();
        self.read(move |c| read::owned_by(c, &owner))
    }
    fn cancelled_owned<'a>(&'a self, owner: &'a str) -> Reads<'a, Vec<String>> {
        let owner = owner.to_owned();
        self.read(move |c| read::cancelled_owned(c, &owner))
    }
    fn next_wake(&self) -> Reads<'_, Option<UnixMs>> {
        self.read(read::next_wake)
    }
    fn deliveries<'a>(
        &'a self,
        source: &'a str,
        limit: u32,
        with_runs: bool,
    ) -> Reads<'a, Vec<DeliveryRecord>> {
        let source = source.to_owned();
        self.read(move |c| read::deliveries(c, &source, limit, with_runs))
    }
    fn commit_stats(&self) -> CommitStats {
        self.writer.stats()
    }
    fn run_counts(&self) -> Reads<'_, Vec<RunCount>> {
        self.read(counts::run_counts)
    }
    fn pending_prompts<'a>(&'a self, run_id: Option<&'a str>) -> Reads<'a, Vec<PendingPrompt>> {
        let run_id = run_id.map(str::to_owned);
        self.read(move |c| read::pending_prompts(c, run_id.as_deref()))
    }
    fn next_signal<'a>(
        &'a self,
        run_id: &'a str,
        name: &'a str,
    ) -> Reads<'a, Option<SignalRecord>> {
        let run_id = run_id.to_owned();
        let name = name.to_owned();
        self.read(move |c| read::next_signal(c, &run_id, &name))
    }
    fn signals<'a>(&'a self, run_id: &'a str) -> Reads<'a, Vec<SignalRecord>> {
        let run_id = run_id.to_owned();
        self.read(move |c| read::signals(c, &run_id))
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
