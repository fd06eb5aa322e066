//! What the API returns, as documented types.

use crate::journal::{EventKind, PromptInput};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::journal::{
    ErrorRecord, JournalEntry, PendingPrompt, PromptRecord, RunEvent, RunRecord, UnixMs,
    VersionSummary,
};

/// Stored JSON text as a value (text that is not JSON becomes a string).
pub fn json_value(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.to_string()))
}

/// An error as stored on a run.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunErrorView {
    pub code: String,
    pub message: String,
    pub details: Option<serde_json::Value>,
}

impl From<&ErrorRecord> for RunErrorView {
    fn from(e: &ErrorRecord) -> Self {
        RunErrorView {
            code: e.code.clone(),
            message: e.message.clone(),
            details: e.details.clone(),
        }
    }
}

/// A run.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunView {
    pub run_id: String,
    pub workflow: String,
    /// sha256 of the component it runs on.
    pub version: String,
    /// `pending`, `running`, `sleeping`, `waiting`, `completed`, `failed`,
    /// `cancelled` or `diverged`.
    pub status: String,
    pub input: serde_json::Value,
    pub output: Option<serde_json::Value>,
    pub error: Option<RunErrorView>,
    pub session_id: Option<String>,
    pub created_at: UnixMs,
    pub updated_at: UnixMs,
    /// When a sleeping run is due.
    pub wake_at: Option<UnixMs>,
    pub activations: u32,
    /// The worker executing it now, if any.
    pub owner: Option<String>,
    /// Tokens its LLM calls used.
    pub llm: LlmUsageView,
    /// The run this one was restarted from (`cairn runs restart`), and the
    /// journal position: its journal began as a copy of the entries before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restarted_from: Option<RestartView>,
    /// Run state (key → JSON value); only on a single run.
    #[schema(value_type = Option<Object>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<serde_json::Value>,
    /// Session state; only on a single run with a session.
    #[schema(value_type = Option<Object>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_state: Option<serde_json::Value>,
}

impl RunView {
    /// The list form (no state).
    pub fn brief(r: &RunRecord) -> RunView {
        RunView {
            run_id: r.id.clone(),
            workflow: r.workflow.clone(),
            version: r.version.clone(),
            status: r.status.as_str().into(),
            input: json_value(&r.input),
            output: r.output.as_deref().map(json_value),
            error: r.error.as_ref().map(RunErrorView::from),
            session_id: r.session_id.clone(),
            created_at: r.created_at,
            updated_at: r.updated_at,
            wake_at: r.wake_at,
            activations: r.activations,
            owner: r.owner.clone(),
            llm: LlmUsageView {
                calls: r.llm.calls,
                input_tokens: r.llm.input_tokens,
                output_tokens: r.llm.output_tokens,
            },
            restarted_from: r.restarted_from.as_ref().map(|o| RestartView {
                run_id: o.run_id.clone(),
                seq: o.seq,
            }),
            state: None,
            session_state: None,
        }
    }
}

/// Where a restarted run came from.
#[derive(Debug, Serialize, ToSchema)]
pub struct RestartView {
    pub run_id: String,
    pub seq: u32,
}

/// Token usage of a run's LLM calls.
#[derive(Debug, Serialize, ToSchema)]
pub struct LlmUsageView {
    pub calls: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// Key/value pairs as a JSON object.
pub fn kv_object(kv: &[(String, String)]) -> serde_json::Value {
    kv.iter()
        .map(|(k, v)| (k.clone(), json_value(v)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// A page of runs.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunPage {
    pub runs: Vec<RunView>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// A run's status, as a filter.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatusFilter {
    Pending,
    Running,
    Sleeping,
    Waiting,
    Completed,
    Failed,
    Cancelled,
    Diverged,
}

/// The most runs one page of `GET /v1/runs` holds.
pub const MAX_PAGE: u32 = 500;

/// Filters and paging of `GET /v1/runs`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RunQuery {
    #[param(value_type = Option<StatusFilter>, inline)]
    pub status: Option<String>,
    pub workflow: Option<String>,
    /// Runs of this session only.
    pub session: Option<String>,
    /// Runs created at or after this time (Unix milliseconds) only.
    #[param(minimum = 0)]
    pub created_after: Option<UnixMs>,
    /// Runs created before this time (Unix milliseconds) only.
    #[param(minimum = 0)]
    pub created_before: Option<UnixMs>,
    /// Page size (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = r"^[0-9]{1,15}:[0-9a-zA-Z-]{1,64}$")]
    pub cursor: Option<String>,
    /// The bearer token, for clients that cannot send a header.
    #[param(ignore)]
    #[serde(default)]
    #[allow(dead_code)]
    pub token: Option<String>,
}

/// One journal entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryView {
    pub seq: u32,
    pub kind: String,
    pub name: String,
    pub occurrence: u32,
    pub ok: bool,
    pub value: Option<serde_json::Value>,
    pub input_hash: Option<String>,
    /// When the entry was written: when its work ended (a step's last
    /// attempt, an answer, a signal taken), or began (a sleep, a prompt).
    pub at: UnixMs,
    /// When its work began, where the run's events say and `at` does not:
    /// a step's last attempt or a failed attempt (`step`, `step-attempt`),
    /// an LLM call (`llm`), a wait that suspended the run for a signal
    /// (`event`: when the run went `waiting`). Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<UnixMs>,
}

impl From<&JournalEntry> for EntryView {
    fn from(e: &JournalEntry) -> Self {
        EntryView {
            seq: e.seq,
            kind: e.kind.as_str().into(),
            name: e.name.clone(),
            occurrence: e.occurrence,
            ok: e.ok,
            value: e.value.as_deref().map(json_value),
            input_hash: e.input_hash.clone(),
            at: e.created_at,
            started_at: None,
        }
    }
}

/// A page of a run's journal, in seq order.
#[derive(Debug, Serialize, ToSchema)]
pub struct JournalView {
    pub run_id: String,
    pub entries: Vec<EntryView>,
    /// Pass as `after` for the next page; absent when this page reached
    /// the journal's end (to follow a live run, pass the last seq seen).
    pub next_after: Option<u32>,
}

/// The largest seq `after` may name: the document types it as a 32-bit
/// integer, and no journal gets near it.
pub const MAX_SEQ: u32 = i32::MAX as u32;

/// The most entries one page of `GET /v1/runs/{id}/journal` holds.
pub const MAX_JOURNAL_PAGE: u32 = 1000;

/// Paging of `GET /v1/runs/{id}/journal`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct JournalQuery {
    /// Entries after this seq only (default: from the first).
    #[param(minimum = 0, maximum = 2147483647)]
    pub after: Option<u32>,
    /// Page size (default and most: 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// The bearer token, for clients that cannot send a header.
    #[param(ignore)]
    #[serde(default)]
    #[allow(dead_code)]
    pub token: Option<String>,
}

/// A run event (the `data` of a server-sent event).
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub id: i64,
    pub run_id: String,
    pub at: UnixMs,
    pub kind: EventKind,
    pub data: serde_json::Value,
}

impl From<RunEvent> for EventView {
    fn from(e: RunEvent) -> Self {
        EventView {
            id: e.id,
            run_id: e.run_id,
            at: e.at,
            kind: e.kind,
            data: e.data,
        }
    }
}

/// A deployed version.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionView {
    pub sha: String,
    pub workflows: Vec<String>,
    /// Workflows this version is the active version of.
    pub active_for: Vec<String>,
    pub deployed_at: UnixMs,
    /// Runs on this version.
    pub runs: u64,
    pub allow_http: Vec<String>,
    pub strict: bool,
    pub pin: bool,
}

impl From<VersionSummary> for VersionView {
    fn from(v: VersionSummary) -> Self {
        VersionView {
            sha: v.sha,
            workflows: v.workflows,
            active_for: v.active_for,
            deployed_at: v.deployed_at,
            runs: v.runs,
            allow_http: v.allow_http,
            strict: v.strict,
            pin: v.pin,
        }
    }
}

/// The list of versions.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionList {
    pub versions: Vec<VersionView>,
}

/// Runs started by an event or a webhook.
#[derive(Debug, Serialize, ToSchema)]
pub struct StartedRuns {
    pub runs: Vec<String>,
    /// How many workflows subscribe to the event (0: nothing started, and
    /// `note` says why).
    pub subscribers: usize,
    /// Set when nothing subscribes to the event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// True when a webhook delivery was seen before and nothing new started.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub duplicate: bool,
}

/// One answer a person may pick.
#[derive(Debug, Serialize, ToSchema)]
pub struct PromptOptionView {
    pub id: String,
    pub label: String,
}

/// A question for a person, as `cairn runs show` and the prompt lists
/// give it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PromptFields {
    pub question: String,
    pub input_type: PromptInput,
    /// For approval and choice.
    pub options: Vec<PromptOptionView>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// JSON Schema a `json` answer must satisfy.
    pub schema: Option<serde_json::Value>,
    /// Given on timeout.
    pub default: Option<serde_json::Value>,
    /// Shown with the question.
    pub context: Option<serde_json::Value>,
    /// When it times out; absent: it waits forever.
    pub deadline: Option<UnixMs>,
    /// What a fitting answer looks like, in words.
    pub fits: String,
}

impl From<&PromptRecord> for PromptFields {
    fn from(r: &PromptRecord) -> Self {
        PromptFields {
            question: r.question.clone(),
            input_type: r.input_type,
            options: r
                .options
                .iter()
                .map(|o| PromptOptionView {
                    id: o.id.clone(),
                    label: o.label.clone(),
                })
                .collect(),
            min: r.min,
            max: r.max,
            schema: r.schema.clone(),
            default: r.default.clone(),
            context: r.context.clone(),
            deadline: r.deadline,
            fits: crate::runtime::human::what_fits(r),
        }
    }
}

/// A prompt waiting for a person: one shape for `GET /v1/prompts` and
/// `cairn prompts --json`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PromptView {
    pub run_id: String,
    pub workflow: String,
    /// The run's status (`waiting`; `running` while it is suspending).
    pub status: String,
    /// Which prompt of the run this is, from 0 (the answer's key).
    pub occurrence: u32,
    pub asked_at: UnixMs,
    /// How long it has waited, in milliseconds.
    pub age_ms: i64,
    #[serde(flatten)]
    pub prompt: PromptFields,
}

impl PromptView {
    /// The view of a pending prompt, its age taken at `now`.
    pub fn new(p: &PendingPrompt, now: UnixMs) -> PromptView {
        PromptView {
            run_id: p.run_id.clone(),
            workflow: p.workflow.clone(),
            status: p.status.as_str().into(),
            occurrence: p.occurrence,
            asked_at: p.asked_at,
            age_ms: (now - p.asked_at).max(0),
            prompt: PromptFields::from(&p.prompt),
        }
    }
}

/// The pending prompts.
#[derive(Debug, Serialize, ToSchema)]
pub struct PromptList {
    pub prompts: Vec<PromptView>,
}
