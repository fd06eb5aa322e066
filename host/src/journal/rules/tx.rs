//! The transaction interface the lifecycle rules are written over: what a
//! backend supplies, one primitive per row read or written.
//!
//! Every method is one statement in SQL (SQLite today; PostgreSQL, SPEC §13,
//! the next backend): it reads or writes rows and decides nothing. Which
//! status a run goes to, whether a write is fenced, which events a
//! transition records and what time it is are the rules' (`rules/`), never
//! a primitive's. A backend applies one [`WriteOp`](crate::journal::WriteOp)
//! inside one transaction (or savepoint) and calls
//! [`apply`](super::apply) with a [`Tx`] over it; an error from any
//! primitive rolls that op back.
//!
//! The trait is synchronous: a backend calls the rules on its writer
//! thread, which is where its transaction lives. A backend with an async
//! client drives it from that thread (tokio-postgres through
//! `Handle::block_on` on a thread outside the runtime's workers).

use crate::journal::{
    EntryKind, ErrorRecord, JournalEntry, LlmUsage, NewEvent, NewRun, NewSignal, RestartOrigin,
    RunRecord, RunStatus, StateKey, StoreError, UnixMs, VersionRecord, WorkerRecord,
};

/// What the rules read of a run before they decide (the row read for
/// update: `SELECT ... FOR UPDATE` where a backend has it).
#[derive(Debug, Clone, PartialEq)]
pub struct RunHead {
    pub status: RunStatus,
    pub owner: Option<String>,
    /// The version the run is on.
    pub version: String,
}

/// The fields of a run an update sets; `None` leaves a field as it is
/// (`Some(None)` sets a nullable one to null). A backend writes exactly
/// these, in one statement keyed by run id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunPatch {
    pub status: Option<RunStatus>,
    pub output: Option<Option<String>>,
    pub error: Option<Option<ErrorRecord>>,
    pub wake_at: Option<Option<UnixMs>>,
    pub owner: Option<Option<String>>,
    pub activations: Option<u32>,
    pub version: Option<String>,
    pub checked_version: Option<Option<String>>,
    pub updated_at: Option<UnixMs>,
    /// The run a restarted run came from (set once, at its creation).
    pub restarted_from: Option<RestartOrigin>,
}

impl RunPatch {
    /// Whether the patch sets nothing.
    pub fn is_empty(&self) -> bool {
        *self == RunPatch::default()
    }
}

/// The primitives of one transaction. `&mut self` throughout: a backend's
/// transaction handle may need it (a `postgres::Transaction` does).
pub trait Tx {
    // ---- runs ----
    /// The run's status, owner and version, or `None` if there is no such run.
    fn run_head(&mut self, run_id: &str) -> Result<Option<RunHead>, StoreError>;
    /// The whole run as stored.
    fn run(&mut self, run_id: &str) -> Result<Option<RunRecord>, StoreError>;
    /// Inserts `run` with the status and activation count the rules chose;
    /// `updated_at` is its `created_at`.
    fn insert_run(
        &mut self,
        run: &NewRun,
        status: RunStatus,
        activations: u32,
    ) -> Result<(), StoreError>;
    /// Sets the fields `patch` names on the run (nothing if it does not exist).
    fn update_run(&mut self, run_id: &str, patch: &RunPatch) -> Result<(), StoreError>;
    /// Adds to the run's LLM token totals.
    fn add_llm_usage(&mut self, run_id: &str, usage: &LlmUsage) -> Result<(), StoreError>;
    /// Clears the owner of every run `worker` owns.
    fn release_runs_of(&mut self, worker: &str) -> Result<(), StoreError>;
    /// The run created with idempotency key `key`.
    fn run_of_key(&mut self, key: &str) -> Result<Option<String>, StoreError>;
    /// Records that `key` created `run_id`.
    fn insert_run_key(&mut self, key: &str, run_id: &str) -> Result<(), StoreError>;

    // ---- journal and events ----
    /// Inserts a journal entry (a duplicate `seq` is a
    /// [`StoreError::Conflict`]).
    fn insert_entry(&mut self, run_id: &str, entry: &JournalEntry) -> Result<(), StoreError>;
    /// Whether the run's journal has an entry of this key.
    fn has_entry(
        &mut self,
        run_id: &str,
        kind: EntryKind,
        name: &str,
        occurrence: u32,
    ) -> Result<bool, StoreError>;
    /// One past the run's highest seq (0 for an empty journal).
    fn next_seq(&mut self, run_id: &str) -> Result<u32, StoreError>;
    /// The kind of the run's last journal entry.
    fn last_entry_kind(&mut self, run_id: &str) -> Result<Option<EntryKind>, StoreError>;
    /// Inserts events in order (each one statement; none for an empty slice).
    fn insert_events(&mut self, run_id: &str, events: &[NewEvent]) -> Result<(), StoreError>;

    // ---- state ----
    /// Sets a run or session key (`at` is a session key's `updated_at`).
    fn put_state(&mut self, key: &StateKey, value: &str, at: UnixMs) -> Result<(), StoreError>;
    fn delete_state(&mut self, key: &StateKey) -> Result<(), StoreError>;

    // ---- signals ----
    fn insert_signal(&mut self, signal: &NewSignal) -> Result<(), StoreError>;
    /// Marks signal `id` of the run taken at `at` if nothing took it yet;
    /// false if something did (or there is no such signal).
    fn take_signal(&mut self, run_id: &str, id: i64, at: UnixMs) -> Result<bool, StoreError>;

    // ---- workers ----
    /// Inserts a worker, or refreshes the heartbeat of one already there.
    fn put_worker(&mut self, worker: &WorkerRecord) -> Result<(), StoreError>;
    fn delete_worker(&mut self, id: &str) -> Result<(), StoreError>;

    // ---- versions ----
    /// Inserts a version unless its sha is there; whether it was inserted.
    fn insert_version(&mut self, version: &VersionRecord) -> Result<bool, StoreError>;
    /// Makes `sha` the active version of `workflow`.
    fn set_active_version(&mut self, workflow: &str, sha: &str) -> Result<(), StoreError>;
    /// Versions no run is on and no workflow has active.
    fn unreferenced_versions(&mut self) -> Result<Vec<String>, StoreError>;
    fn delete_version(&mut self, sha: &str) -> Result<(), StoreError>;
    /// Deletes compiled artefacts whose version is not stored.
    fn delete_orphan_compiled(&mut self) -> Result<(), StoreError>;
    /// Stores (or replaces) a compiled artefact.
    fn put_compiled(
        &mut self,
        sha: &str,
        engine_hash: &str,
        bytes: &[u8],
    ) -> Result<(), StoreError>;

    // ---- webhook deliveries ----
    /// The runs a delivery created, if it was recorded before.
    fn delivery(&mut self, source: &str, id: &str) -> Result<Option<Vec<String>>, StoreError>;
    fn insert_delivery(
        &mut self,
        source: &str,
        id: &str,
        at: UnixMs,
        runs: &[String],
    ) -> Result<(), StoreError>;
}
