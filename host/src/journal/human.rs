//! Records of the human-in-the-loop and LLM parts of a journal: prompts,
//! answers, signals and token usage.
//!
//! Like the rest of `model.rs`, these are the persistence boundary: a
//! `Prompt` entry's value is a [`PromptRecord`] as JSON, an `Answer`
//! entry's value an [`AnswerRecord`]. The runtime builds them; the CLI
//! reads them back for `cairn prompts`, `cairn respond` and `runs show`.

use serde::{Deserialize, Serialize};

use super::{RunStatus, UnixMs};

/// A question for a person, as journaled in a `Prompt` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptRecord {
    pub question: String,
    pub input_type: PromptInput,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<PromptOptionRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// JSON Schema a `json` answer must satisfy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<serde_json::Value>,
    /// The answer given when the deadline passes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_json::Value>,
    /// Shown to the person with the question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<serde_json::Value>,
    /// When the prompt times out; `None` waits forever.
    #[serde(default)]
    pub deadline: Option<UnixMs>,
}

/// What kind of answer a prompt takes, as journaled and as the API shows
/// it (the WIT `input-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PromptInput {
    /// One of the options (default: `approve` / `reject`).
    Approval,
    /// Free text.
    Text,
    /// One of the options.
    Choice,
    /// A number, optionally within `min`..`max`.
    Number,
    /// A JSON value, optionally checked against the prompt's schema.
    Json,
}

impl PromptInput {
    /// The name, as journaled and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            PromptInput::Approval => "approval",
            PromptInput::Text => "text",
            PromptInput::Choice => "choice",
            PromptInput::Number => "number",
            PromptInput::Json => "json",
        }
    }

    /// Whether the answer is one of the prompt's options.
    pub fn has_options(self) -> bool {
        matches!(self, PromptInput::Approval | PromptInput::Choice)
    }
}

impl std::fmt::Display for PromptInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One answer a person may pick.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptOptionRecord {
    pub id: String,
    pub label: String,
}

/// An answer, as journaled in an `Answer` entry (`ok = true`). A timeout
/// without a default is an `Answer` entry with `ok = false` and a
/// [`super::ErrorRecord`] instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerRecord {
    pub value: serde_json::Value,
    /// Who answered (`--by`, the OS user), or `timeout`.
    pub by: String,
    pub at: UnixMs,
    #[serde(default)]
    pub timed_out: bool,
}

/// A prompt nobody has answered yet, for `cairn prompts` and `respond`.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingPrompt {
    pub run_id: String,
    pub workflow: String,
    pub status: RunStatus,
    /// Name and occurrence of the `Prompt` entry (the answer's key).
    pub name: String,
    pub occurrence: u32,
    pub prompt: PromptRecord,
    /// When the prompt was journaled.
    pub asked_at: UnixMs,
}

/// A signal sent to a run (`cairn signal`), delivered to
/// `wait_for_event` in the order sent.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalRecord {
    pub id: i64,
    pub run_id: String,
    pub name: String,
    /// JSON.
    pub payload: String,
    pub sent_at: UnixMs,
    pub sent_by: Option<String>,
    /// When a `wait_for_event` took it; `None` while buffered.
    pub consumed_at: Option<UnixMs>,
}

/// A signal to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSignal {
    pub run_id: String,
    pub name: String,
    pub payload: String,
    pub sent_at: UnixMs,
    pub sent_by: Option<String>,
}

/// Tokens a run's LLM calls used, in the body and in its steps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LlmUsage {
    pub calls: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// Why an answer or a signal was not recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The run is not waiting for a person (its status).
    NotWaiting(RunStatus),
    /// The run is waiting, but has no unanswered prompt of that key.
    NoPrompt,
    /// Somebody answered the prompt first.
    AlreadyAnswered,
    /// The run has ended.
    Finished(RunStatus),
}
