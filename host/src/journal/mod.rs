//! The journal: durable storage of runs, their journals, state, events and
//! deployed versions.
//!
//! This layer knows nothing of wasmtime or of workflow semantics. Callers
//! describe writes as [`WriteOp`] values; a backend applies each atomically,
//! those of one run in submission order, and reports each outcome. Reads are
//! queries that, like writes, answer with a future ([`Reads`]).
//! [`sqlite::SqliteStore`] is the one backend today; the [`Storage`] trait
//! is the seam a Postgres backend would implement, [`open`] chooses the
//! backend from the `db` setting, and [`conformance`] holds the scenarios
//! every backend must pass.

pub mod conformance;
pub mod event;
pub mod human;
pub mod model;
mod open;
mod problem;
pub mod rules;
pub mod sqlite;
pub mod stats;

use std::future::Future;
use std::pin::Pin;

use futures_util::future::BoxFuture;

pub use event::EventKind;
pub use human::*;
pub use model::*;
pub use open::{DEFAULT_LOCK_TIMEOUT, Location, OpenOptions, open};
pub use problem::{DatabaseProblem, ProblemKind};
pub use stats::{CommitStats, RunCount};

/// How hard a commit tries to survive a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Durability {
    /// fsync on every commit: a committed entry survives power loss.
    #[default]
    Full,
    /// WAL with `synchronous = NORMAL`: a committed entry survives a crash of
    /// the process, and the last commits may be lost on power loss.
    Relaxed,
}

impl Durability {
    /// Parses `full` or `relaxed`.
    pub fn parse(s: &str) -> Option<Durability> {
        match s {
            "full" => Some(Durability::Full),
            "relaxed" => Some(Durability::Relaxed),
            _ => None,
        }
    }
}

/// A backend's own error, carried as the source of a [`StoreError`].
pub type BackendError = Box<dyn std::error::Error + Send + Sync>;

/// Errors of the storage layer. No backend's types appear here: what a
/// backend reports is sorted into these cases, and its own error rides as
/// the `source`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file exists but is not a cairn database.
    #[error("{path} is not a cairn database: {reason}")]
    NotCairn { path: String, reason: String },
    /// The database was written by a newer cairn.
    #[error(
        "{path} has schema version {found}, this cairn supports up to {supported}; upgrade cairn"
    )]
    TooNew {
        path: String,
        found: i32,
        supported: i32,
    },
    /// The write was fenced: this worker no longer owns the run, or the run
    /// was cancelled or finished meanwhile.
    #[error("run {run_id} is no longer owned by this worker ({reason})")]
    LeaseLost { run_id: String, reason: String },
    /// A row the write needs does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The write contradicts what is stored (a key that must be unique
    /// exists already); the same write fails the same way again.
    #[error("{backend}: {source}")]
    Conflict {
        backend: &'static str,
        #[source]
        source: BackendError,
    },
    /// The store could not take the request now, for a reason that may
    /// pass (the writer is gone because the process is shutting down, a
    /// transaction could not commit); `reason` is the whole message.
    #[error("{reason}")]
    Unavailable {
        reason: String,
        #[source]
        source: Option<BackendError>,
    },
    /// The `db` setting names a backend this cairn is built without.
    #[error(
        "{db}: {backend} is not built into this cairn yet; use a SQLite database (a path, or sqlite:PATH)"
    )]
    NotBuiltIn { db: String, backend: &'static str },
    /// The `db` setting is neither a path nor a URL this cairn accepts.
    #[error(
        "{db} is not a database cairn can open: give a path, sqlite:PATH or sqlite://PATH (postgres:// and postgresql:// are recognised but not built in yet)"
    )]
    BadLocation { db: String },
    /// The database itself cannot be used (its location, permissions,
    /// another process's lock, a full disk, damaged pages): the user has
    /// to fix something, and the message says what.
    #[error(transparent)]
    Database(#[from] DatabaseProblem),
    /// Stored data that does not read back as what was written.
    #[error("stored data is malformed: {0}")]
    Corrupt(String),
    /// Any other failure the backend reported.
    #[error("{backend}: {source}")]
    Backend {
        backend: &'static str,
        #[source]
        source: BackendError,
    },
}

impl StoreError {
    /// The database problem behind this error, if that is what it is.
    pub fn problem(&self) -> Option<&DatabaseProblem> {
        match self {
            StoreError::Database(p) => Some(p),
            _ => None,
        }
    }

    /// The writer has stopped: the process is shutting down.
    pub fn writer_gone() -> StoreError {
        StoreError::Unavailable {
            reason: "the journal writer has stopped".to_string(),
            source: None,
        }
    }

    /// The transaction carrying the write could not commit, for `why`.
    pub fn commit_failed(why: impl std::fmt::Display) -> StoreError {
        StoreError::Unavailable {
            reason: format!("journal commit failed: {why}"),
            source: None,
        }
    }

    /// Whether the same request may succeed if made again later: the store
    /// was unavailable, or another process held the database's lock.
    pub fn is_retryable(&self) -> bool {
        match self {
            StoreError::Unavailable { .. } => true,
            StoreError::Database(p) => p.kind == ProblemKind::Locked,
            _ => false,
        }
    }
}

/// A write, described as data so any backend can apply it.
#[derive(Debug, Clone)]
pub enum WriteOp {
    /// Creates a run in `pending` (or `running` when it has an owner).
    CreateRun(NewRun),
    /// Appends journal entries and events to a run this worker owns.
    Append {
        run_id: String,
        owner: String,
        entries: Vec<NewEntry>,
        events: Vec<NewEvent>,
    },
    /// Sets a run's status (and output, error, wake time) and optionally
    /// releases ownership, fenced on the owner.
    SetStatus {
        run_id: String,
        owner: String,
        status: RunStatus,
        output: Option<String>,
        error: Option<ErrorRecord>,
        wake_at: Option<UnixMs>,
        release: bool,
        events: Vec<NewEvent>,
    },
    /// Takes ownership of a run if its owner is still `expected_owner`, and
    /// counts an activation.
    Claim {
        run_id: String,
        owner: String,
        expected_owner: Option<String>,
    },
    /// Records events on a run, owned or not.
    Events {
        run_id: String,
        events: Vec<NewEvent>,
    },
    /// Marks a run cancelled unless it already ended.
    Cancel { run_id: String, at: UnixMs },
    /// Registers or refreshes a worker.
    Heartbeat(WorkerRecord),
    /// Forgets a worker that exits cleanly, releasing the runs it owned.
    RemoveWorker { id: String },
    /// Gives up a run this worker owns but no longer executes, so any
    /// worker may take it.
    Release { run_id: String, owner: String },
    /// Stores a version and makes it active for the workflows it exports.
    Deploy {
        version: VersionRecord,
        workflows: Vec<String>,
        activate: bool,
    },
    /// Moves a run to another version if it is still on `from` and owned by
    /// nobody or by `owner`; journals the move.
    MoveRun {
        run_id: String,
        owner: String,
        from: String,
        to: String,
        forced: bool,
        at: UnixMs,
    },
    /// Makes a run that ended `failed` (or `diverged`) and that nobody owns
    /// `pending` again, for a new activation from its journal; with `to`,
    /// moves it to that version first (journaled as a move). Answered by
    /// [`WriteOutcome::Retried`].
    Retry {
        run_id: String,
        to: Option<String>,
        forced: bool,
        at: UnixMs,
    },
    /// Creates `run` with `entries` (a copy of part of another run's
    /// journal, renumbered from 0) already in its journal, linked to
    /// `origin`, in one transaction; refused (`NotFound`) when the origin
    /// run does not exist. Answered like `CreateRun`.
    Restart {
        /// Boxed: the op queue's element stays small.
        run: Box<NewRun>,
        origin: RestartOrigin,
        entries: Vec<NewEntry>,
    },
    /// Notes that a run was checked against `version` and stays where it is.
    MarkChecked {
        run_id: String,
        version: String,
        events: Vec<NewEvent>,
    },
    /// Deletes versions no run holds and no workflow has active.
    GcVersions,
    /// Records a webhook delivery and creates its runs, unless the delivery
    /// was seen before.
    Delivery {
        source: String,
        delivery_id: String,
        at: UnixMs,
        runs: Vec<NewRun>,
    },
    /// Caches a compiled artefact.
    PutCompiled {
        sha: String,
        engine_hash: String,
        bytes: Vec<u8>,
    },
    // ---- human in the loop and LLM calls (issue 3) ----
    /// Records a person's answer from outside the run (no owner): refused
    /// unless the run is `waiting` and unowned, and the `Prompt` entry
    /// with the answer's name and occurrence exists and is unanswered. The
    /// entry takes the run's next `seq` (its own `seq` is ignored) and the
    /// run becomes due at once.
    Answer {
        run_id: String,
        entry: JournalEntry,
        events: Vec<NewEvent>,
    },
    /// Buffers a signal for `wait_for_event` (refused once the run ended)
    /// and makes a run that is waiting, other than for a person, due.
    Signal(NewSignal),
    /// Makes a `waiting` run due now (a signal arrived as it suspended).
    Wake { run_id: String, at: UnixMs },
    /// Adds the token usage of LLM calls made inside a step, which are
    /// part of the step and not journaled on their own.
    AddLlmUsage {
        run_id: String,
        usage: LlmUsage,
        events: Vec<NewEvent>,
    },
}

/// What a write did.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteOutcome {
    Done,
    /// `CreateRun`: the run, and whether it existed already (same
    /// idempotency key).
    Created {
        run_id: String,
        existing: bool,
    },
    /// `Delivery`: false when the delivery was seen before (with the runs
    /// it started then).
    Delivered {
        new: bool,
        runs: Vec<String>,
    },
    /// `Claim`: whether this worker now owns the run, and the run as claimed.
    Claimed(Option<Box<RunRecord>>),
    /// `Cancel`: the status the run had before.
    Cancelled {
        previous: RunStatus,
    },
    /// `Deploy`: false when the same bytes were already deployed.
    Deployed {
        new: bool,
    },
    /// `Retry`: the status the run had, and whether it is pending again
    /// (false: it had not ended in a status `retry` revives, or a worker
    /// holds it).
    Retried {
        previous: RunStatus,
        retried: bool,
    },
    /// `MoveRun`: whether the run moved.
    Moved(bool),
    /// `GcVersions`: the versions deleted.
    Removed(Vec<String>),
    /// `Answer`, `Signal`: nothing was written, for this reason.
    Refused(Refusal),
    /// `Signal`: buffered; the run's status at that moment.
    Signalled {
        status: RunStatus,
    },
}

/// A queued write; resolves once it is committed (or failed).
pub type PendingWrite = Pin<Box<dyn Future<Output = Result<WriteOutcome, StoreError>> + Send>>;

/// A read's answer, once the backend has it.
///
/// Reads are futures, like writes, so a backend with an async client
/// (PostgreSQL through tokio-postgres, SPEC §13) serves them without
/// blocking a tokio worker, and a blocking one (SQLite) runs them off the
/// workers. The future may borrow the store and the read's arguments, as an
/// `async fn` would; callers await it where they make it.
pub type Reads<'a, T> = BoxFuture<'a, Result<T, StoreError>>;

/// A journal backend.
///
/// Used as `Arc<dyn Storage>`, so it must stay object safe: an `async fn`
/// in a trait is not (its future type is unnamed, one per implementation),
/// hence the methods return boxed futures, [`PendingWrite`] and
/// [`Reads`]. The box is `futures-util`'s `BoxFuture`, a dependency
/// already; the `async-trait` crate would generate the same boxing through a
/// proc macro, which is a build-time cost for no gain here. One allocation
/// per read is noise beside a query.
///
/// `commit_stats` stays synchronous: it reads in-memory counters.
pub trait Storage: Send + Sync + 'static {
    /// Queues a write. Writes to one run are applied in the order they are
    /// queued; writes to different runs may be applied in any order (a
    /// pooled backend commits them on several connections), so a caller
    /// that needs one write before another of a different run must await the
    /// first. One failing does not affect the others committed with it.
    fn write(&self, op: WriteOp) -> PendingWrite;
    /// Resolves once everything queued before it is durable.
    fn flush(&self) -> PendingWrite;

    fn run<'a>(&'a self, id: &'a str) -> Reads<'a, Option<RunRecord>>;
    fn list_runs<'a>(&'a self, filter: &'a RunFilter) -> Reads<'a, Vec<RunRecord>>;
    fn journal<'a>(&'a self, run_id: &'a str) -> Reads<'a, Vec<JournalEntry>>;
    /// At most `limit` journal entries after seq `after` (`None`: from the
    /// start), for readers that page (`GET /v1/runs/{id}/journal`).
    fn journal_page<'a>(
        &'a self,
        run_id: &'a str,
        after: Option<u32>,
        limit: u32,
    ) -> Reads<'a, Vec<JournalEntry>>;
    fn events<'a>(&'a self, run_id: &'a str, after_id: i64) -> Reads<'a, Vec<RunEvent>>;
    fn run_state<'a>(&'a self, run_id: &'a str) -> Reads<'a, Vec<(String, String)>>;
    fn state_value<'a>(&'a self, key: &'a StateKey) -> Reads<'a, Option<String>>;
    fn session_state<'a>(&'a self, session_id: &'a str) -> Reads<'a, Vec<(String, String)>>;

    fn version<'a>(&'a self, sha: &'a str) -> Reads<'a, Option<VersionRecord>>;
    fn versions(&self) -> Reads<'_, Vec<VersionSummary>>;
    fn active_version<'a>(&'a self, workflow: &'a str) -> Reads<'a, Option<String>>;
    /// Every workflow with its active version and that version's manifest.
    fn active_manifests(&self) -> Reads<'_, Vec<(String, String, String)>>;
    fn compiled<'a>(&'a self, sha: &'a str, engine_hash: &'a str) -> Reads<'a, Option<Vec<u8>>>;

    /// Runs no live worker holds that are due now: pending, released, or
    /// sleeping or waiting with `wake_at <= now`.
    fn due_runs(&self, now: UnixMs, limit: u32) -> Reads<'_, Vec<RunRecord>>;
    /// Runs held by workers other than `except`, with their worker (for
    /// the liveness check).
    fn owned_runs<'a>(
        &'a self,
        except: &'a str,
    ) -> Reads<'a, Vec<(RunRecord, Option<WorkerRecord>)>>;
    /// A worker's record.
    fn worker<'a>(&'a self, id: &'a str) -> Reads<'a, Option<WorkerRecord>>;
    /// Runs `owner` holds that were cancelled meanwhile.
    fn cancelled_owned<'a>(&'a self, owner: &'a str) -> Reads<'a, Vec<String>>;
    /// The runs `owner` holds.
    fn owned_by<'a>(&'a self, owner: &'a str) -> Reads<'a, Vec<String>>;
    /// The earliest `wake_at` of any sleeping or waiting run.
    fn next_wake(&self) -> Reads<'_, Option<UnixMs>>;
    /// The latest `limit` deliveries of `source` (by their `at`), newest
    /// first, with the runs each started: a schedule's last ticks; with
    /// `with_runs`, only those that started at least one run.
    fn deliveries<'a>(
        &'a self,
        source: &'a str,
        limit: u32,
        with_runs: bool,
    ) -> Reads<'a, Vec<DeliveryRecord>>;

    fn commit_stats(&self) -> CommitStats;
    /// How many runs there are of each workflow in each status (only the
    /// pairs that have any).
    fn run_counts(&self) -> Reads<'_, Vec<RunCount>>;

    // ---- human in the loop (issue 3) ----
    /// Unanswered prompts of runs that are waiting (or being resumed), all
    /// or of one run, oldest first.
    fn pending_prompts<'a>(&'a self, run_id: Option<&'a str>) -> Reads<'a, Vec<PendingPrompt>>;
    /// The oldest signal `name` of `run_id` that no wait has taken yet.
    fn next_signal<'a>(&'a self, run_id: &'a str, name: &'a str)
    -> Reads<'a, Option<SignalRecord>>;
    /// Every signal sent to a run, oldest first.
    fn signals<'a>(&'a self, run_id: &'a str) -> Reads<'a, Vec<SignalRecord>>;
}
