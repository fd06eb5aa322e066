//! The journal's record types: the only things cairn writes to disk.
//!
//! They are small and explicit on purpose. The executor builds them, the
//! storage backend persists them, and nothing else derives a storage format.

use super::EventKind;
use crate::error_code::ErrorCode;
use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch; every timestamp on disk uses it.
pub type UnixMs = i64;

/// Where a run is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Created, no activation yet.
    Pending,
    /// An activation owns it.
    Running,
    /// Suspended until a timer (`wake_at`).
    Sleeping,
    /// Suspended until something from outside (an answer, a signal).
    Waiting,
    /// Finished with an output.
    Completed,
    /// Finished with an error.
    Failed,
    /// Stopped by `cairn cancel`.
    Cancelled,
    /// Stopped because its journal no longer matches its code (strict versions).
    Diverged,
}

impl RunStatus {
    /// Every status, in display order.
    pub const ALL: [RunStatus; 8] = [
        RunStatus::Pending,
        RunStatus::Running,
        RunStatus::Sleeping,
        RunStatus::Waiting,
        RunStatus::Completed,
        RunStatus::Failed,
        RunStatus::Cancelled,
        RunStatus::Diverged,
    ];

    /// Ended for a cause `cairn retry` can revive: a failure, or a
    /// divergence a new version may fix.
    pub fn can_retry(self) -> bool {
        matches!(self, RunStatus::Failed | RunStatus::Diverged)
    }

    /// The lowercase name used on disk, in the CLI and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Pending => "pending",
            RunStatus::Running => "running",
            RunStatus::Sleeping => "sleeping",
            RunStatus::Waiting => "waiting",
            RunStatus::Completed => "completed",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
            RunStatus::Diverged => "diverged",
        }
    }

    /// Parses the lowercase name.
    pub fn parse(s: &str) -> Option<RunStatus> {
        RunStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// True once the run can never run again.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            RunStatus::Completed | RunStatus::Failed | RunStatus::Cancelled | RunStatus::Diverged
        )
    }
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error as it is persisted: on a failed run, a failed step, a journal
/// entry. Replays return it exactly as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorRecord {
    /// Machine-readable code (`bad-input`, `limit`, `step-failed`, ...).
    pub code: String,
    /// For people.
    pub message: String,
    /// Optional JSON details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

impl ErrorRecord {
    /// An error of the host's, with no details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorRecord {
            code: code.as_str().into(),
            message: message.into(),
            details: None,
        }
    }
}

/// One run as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    pub id: String,
    pub workflow: String,
    /// sha256 of the component the run executes.
    pub version: String,
    pub status: RunStatus,
    /// Input JSON.
    pub input: String,
    /// Output JSON once completed.
    pub output: Option<String>,
    pub error: Option<ErrorRecord>,
    pub session_id: Option<String>,
    pub created_at: UnixMs,
    pub updated_at: UnixMs,
    /// When a sleeping run is due.
    pub wake_at: Option<UnixMs>,
    /// The worker that owns the run now, if any.
    pub owner: Option<String>,
    /// Activations started so far.
    pub activations: u32,
    /// Seed of the body's deterministic randomness.
    pub seed: u64,
    /// The newest version this run was checked against for a move and
    /// found not to replay cleanly on (so it is not checked again).
    pub checked_version: Option<String>,
    /// Tokens its LLM calls used so far.
    pub llm: super::LlmUsage,
    /// The run this one restarted, and from which journal position.
    pub restarted_from: Option<RestartOrigin>,
}

/// Where a restarted run came from: its journal is a copy of `run_id`'s
/// entries before `seq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestartOrigin {
    pub run_id: String,
    pub seq: u32,
    /// Where the body's logical clock starts: the first run's `created_at`
    /// (before its first entry the body reads that time, so the copied
    /// prefix replays the same readings).
    pub clock_origin: UnixMs,
}

/// The kind of a journal entry; part of its replay key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryKind {
    /// A step's final outcome.
    Step,
    /// A failed step attempt and when the next one is due; not a replay key
    /// of its own, it lets retries survive a crash.
    StepAttempt,
    /// A durable sleep and its wake time.
    Sleep,
    StateGet,
    StateSet,
    StateDelete,
    Now,
    Random,
    /// A question for a person, with its deadline.
    Prompt,
    /// The answer to a prompt (or its timeout), written by whoever gave it.
    Answer,
    /// A signal delivered to `wait_for_event` (or its timeout).
    Event,
    /// An LLM call and its reply.
    Llm,
    /// A `patched()` marker and the branch taken.
    Patched,
    /// The run moved to another version; not a replay key of its own.
    Moved,
}

impl EntryKind {
    /// Every kind.
    pub const ALL: [EntryKind; 14] = [
        EntryKind::Step,
        EntryKind::StepAttempt,
        EntryKind::Sleep,
        EntryKind::StateGet,
        EntryKind::StateSet,
        EntryKind::StateDelete,
        EntryKind::Now,
        EntryKind::Random,
        EntryKind::Prompt,
        EntryKind::Answer,
        EntryKind::Event,
        EntryKind::Llm,
        EntryKind::Patched,
        EntryKind::Moved,
    ];

    /// The name used on disk and in `runs show`.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Step => "step",
            EntryKind::StepAttempt => "step-attempt",
            EntryKind::Sleep => "sleep",
            EntryKind::StateGet => "state-get",
            EntryKind::StateSet => "state-set",
            EntryKind::StateDelete => "state-delete",
            EntryKind::Now => "now",
            EntryKind::Random => "random",
            EntryKind::Prompt => "prompt",
            EntryKind::Answer => "answer",
            EntryKind::Event => "event",
            EntryKind::Llm => "llm",
            EntryKind::Patched => "patched",
            EntryKind::Moved => "moved",
        }
    }

    /// Parses the on-disk name.
    pub fn parse(s: &str) -> Option<EntryKind> {
        EntryKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for EntryKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One journaled outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalEntry {
    /// Position in the run's journal, from 0.
    pub seq: u32,
    pub kind: EntryKind,
    pub name: String,
    /// How many entries of this kind and name came before it.
    pub occurrence: u32,
    /// Hash of what the body passed in, to detect divergence on replay.
    pub input_hash: Option<String>,
    /// True for a success, false for a recorded failure.
    pub ok: bool,
    /// The outcome as JSON (`None` where there is none, e.g. a missing key).
    pub value: Option<String>,
    pub created_at: UnixMs,
}

/// Scope of a state key as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateKey {
    /// A key private to one run.
    Run { run_id: String, key: String },
    /// A key shared by a session.
    Session { session_id: String, key: String },
}

/// A change to run or session state committed together with its entry.
#[derive(Debug, Clone, PartialEq)]
pub enum StateEffect {
    Set {
        key: StateKey,
        value: String,
    },
    Delete {
        key: StateKey,
    },
    /// A `wait_for_event` took this buffered signal (fails the write if
    /// something else took it).
    ConsumeSignal {
        id: i64,
    },
    /// An LLM call's tokens, added to the run's totals.
    LlmUsage(super::LlmUsage),
}

/// A journal entry to append, with the state change it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEntry {
    pub entry: JournalEntry,
    pub effect: Option<StateEffect>,
}

/// A run event: status changes, step progress, logs, `emit`, divergence.
/// Events are for people and watchers; replay never reads them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunEvent {
    /// Global, increasing id (a watcher resumes after the last one it saw).
    pub id: i64,
    pub run_id: String,
    pub at: UnixMs,
    pub kind: EventKind,
    pub data: serde_json::Value,
}

/// An event to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub at: UnixMs,
    pub kind: EventKind,
    pub data: serde_json::Value,
}

/// A run to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRun {
    pub id: String,
    pub workflow: String,
    pub version: String,
    pub input: String,
    pub session_id: Option<String>,
    pub created_at: UnixMs,
    pub seed: u64,
    /// The worker that will execute it at once, or `None` to leave it to
    /// whichever worker looks next.
    pub owner: Option<String>,
    /// A caller's key: creating a run with a key already used returns the
    /// run created then instead of a new one.
    pub idempotency_key: Option<String>,
}

/// A recorded delivery (`WriteOp::Delivery`): when, and the runs it
/// started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    pub delivery_id: String,
    pub at: UnixMs,
    pub runs: Vec<String>,
}

/// A deployed component version.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionRecord {
    /// sha256 of `bytes`, hex.
    pub sha: String,
    pub bytes: Vec<u8>,
    /// The component's `describe()` as JSON.
    pub manifest: String,
    pub deployed_at: UnixMs,
    /// Hosts steps of this version may call over HTTP.
    pub allow_http: Vec<String>,
    /// Divergence fails runs of this version instead of being recorded.
    pub strict: bool,
    /// Deployed with `--pin`: runs on older versions do not move to it.
    pub pin: bool,
}

/// A version as `cairn versions` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionSummary {
    pub sha: String,
    pub workflows: Vec<String>,
    /// Workflows for which this is the active version.
    pub active_for: Vec<String>,
    pub deployed_at: UnixMs,
    /// Runs on this version.
    pub runs: u64,
    pub allow_http: Vec<String>,
    pub strict: bool,
    pub pin: bool,
}

/// A worker process as recorded for ownership checks.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerRecord {
    pub id: String,
    pub hostname: String,
    pub pid: u32,
    /// Process start time as the OS reports it, to tell a reused pid apart.
    pub proc_start: Option<u64>,
    pub heartbeat_at: UnixMs,
}

/// Which runs `list_runs` returns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunFilter {
    pub status: Option<RunStatus>,
    pub workflow: Option<String>,
    pub session_id: Option<String>,
    pub limit: Option<u32>,
    /// Only runs older than this (created_at, id): the cursor of the
    /// previous page.
    pub before: Option<(UnixMs, String)>,
}

/// The value of a `sleep` entry: a durable sleep's wake time, or the
/// deadline of a signal wait with a timeout.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SleepRecord {
    pub wake_at: UnixMs,
}

/// The value of a `step_attempt` entry: a failed attempt, and when the
/// next one is due.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptRecord {
    /// The failed attempt's number, from 1.
    pub attempt: u32,
    pub error: ErrorRecord,
    pub retry_at: UnixMs,
}

/// The value of a failed `step` entry (a succeeded one holds the step's
/// output itself).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepFailureRecord {
    pub error: ErrorRecord,
    /// Attempts made, 0 when none could start (an unknown step).
    pub attempts: u32,
}

/// The value of a succeeded `llm` entry: the model's reply, as the body
/// receives it on every replay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlmReplyRecord {
    pub content: String,
    pub tool_calls: Vec<LlmToolCallRecord>,
    pub finish_reason: String,
    pub usage: LlmUsageRecord,
    pub model: String,
}

/// One tool call of an [`LlmReplyRecord`]; `arguments` is the model's JSON
/// text, kept as sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlmToolCallRecord {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

/// The tokens of one reply.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LlmUsageRecord {
    pub input_tokens: u32,
    pub output_tokens: u32,
}

/// The value of a `moved` entry: a run moved to another version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MovedRecord {
    /// The version the run was on (sha256).
    pub from: String,
    /// The version it is on now.
    pub to: String,
    /// Moved with `--force`, without a clean replay check.
    pub forced: bool,
}

/// The JSON text of a record, as journal values are written: through a
/// `serde_json::Value`, so the keys are in the same order as the values
/// written before these types existed.
pub fn record_json<T: Serialize>(record: &T) -> String {
    serde_json::to_value(record)
        .expect("journal records serialize")
        .to_string()
}

impl JournalEntry {
    /// The entry's value read as the record `T`; `Corrupt`, naming the run
    /// and the entry, when it is not one.
    pub fn decode<T: serde::de::DeserializeOwned>(
        &self,
        run_id: &str,
    ) -> Result<T, super::StoreError> {
        let text = self.value.as_deref().unwrap_or("null");
        serde_json::from_str(text).map_err(|e| {
            super::StoreError::Corrupt(format!(
                "run {run_id}: journal entry {} ({} `{}`) does not decode: {e}",
                self.seq, self.kind, self.name
            ))
        })
    }
}

#[cfg(test)]
mod record_tests {
    use super::*;
    use serde_json::json;

    fn entry(value: String) -> JournalEntry {
        JournalEntry {
            seq: 7,
            kind: EntryKind::Sleep,
            name: "sleep".into(),
            occurrence: 0,
            input_hash: None,
            ok: true,
            value: Some(value),
            created_at: 0,
        }
    }

    /// Values written the old way (`json!`) decode, and the records write
    /// the same bytes.
    #[test]
    fn records_read_and_write_values_as_before() {
        let old = json!({"wake_at": 1_700_000_000_123_i64}).to_string();
        let sleep: SleepRecord = entry(old.clone()).decode("r").unwrap();
        assert_eq!(sleep.wake_at, 1_700_000_000_123);
        assert_eq!(record_json(&sleep), old);

        let error = ErrorRecord {
            code: "boom".into(),
            message: "it broke".into(),
            details: Some(json!({"z": 1, "a": [2]})),
        };
        let old = json!({"attempt": 2, "error": error, "retry_at": 99}).to_string();
        let attempt: AttemptRecord = entry(old.clone()).decode("r").unwrap();
        assert_eq!((attempt.attempt, attempt.retry_at), (2, 99));
        assert_eq!(attempt.error, error);
        assert_eq!(record_json(&attempt), old);

        let old = json!({"error": ErrorRecord { code: "x".into(), message: "y".into(), details: None }, "attempts": 3}).to_string();
        let failed: StepFailureRecord = entry(old.clone()).decode("r").unwrap();
        assert_eq!(failed.attempts, 3);
        assert_eq!(record_json(&failed), old);

        let old = json!({
            "content": "",
            "tool_calls": [{"id": "c1", "name": "lookup", "arguments": "{\"id\":1}"}],
            "finish_reason": "tool_calls",
            "usage": {"input_tokens": 21, "output_tokens": 7},
            "model": "fake-0001",
        })
        .to_string();
        let reply: LlmReplyRecord = entry(old.clone()).decode("r").unwrap();
        assert_eq!(reply.tool_calls[0].arguments, "{\"id\":1}");
        assert_eq!(reply.usage.output_tokens, 7);
        assert_eq!(record_json(&reply), old);

        let old = json!({"from": "aa", "to": "bb", "forced": false}).to_string();
        let moved: MovedRecord = entry(old.clone()).decode("r").unwrap();
        assert_eq!((moved.from.as_str(), moved.forced), ("aa", false));
        assert_eq!(record_json(&moved), old);
    }

    #[test]
    fn an_entry_that_does_not_decode_is_corrupt_naming_run_and_seq() {
        let e = entry(json!({"when": 5}).to_string());
        let err = e.decode::<SleepRecord>("run-1").unwrap_err();
        assert!(matches!(err, super::super::StoreError::Corrupt(_)));
        let message = err.to_string();
        assert!(
            message.contains("run-1") && message.contains("entry 7"),
            "{message}"
        );
    }
}
