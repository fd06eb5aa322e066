//! What an agent's run gives back: [`AgentOutput`] with the
//! [`ToolCallRecord`]s of the calls it made, or an [`AgentError`].

use std::fmt;

use serde::Serialize;
use serde_json::{Value, json};

use crate::{LlmError, Message, TokenUsage, WaitError, WorkflowError};

/// What [`Agent::run`](crate::Agent::run) returns: the final answer and
/// how it was reached. Serializes as `{"output", "turns", "tool_calls",
/// "usage", "transcript"}`, so a workflow can return it as it is.
///
/// ```no_run
/// use cairn_sdk::prelude::*;
///
/// #[workflow]
/// fn ask(ctx: &Ctx, question: String) -> Result<Value, WorkflowError> {
///     let out = Agent::new("local/llama3").run(ctx, question)?;
///     Ok(json!({
///         "answer": out.output,
///         "turns": out.turns,
///         "tools": out.tool_calls.len(),
///         "tokens": out.usage.input_tokens + out.usage.output_tokens,
///     }))
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentOutput<T> {
    /// The final answer: the reply's text, or the typed answer of
    /// [`Agent::output`](crate::Agent::output).
    pub output: T,
    /// Model calls made (each one journaled `llm` entry), repair turns
    /// included.
    pub turns: u32,
    /// Every tool call the model asked for, in order, with its outcome.
    pub tool_calls: Vec<ToolCallRecord>,
    /// Tokens of all the turns (and of agents called as tools).
    pub usage: TokenUsage,
    /// The conversation: instructions, input, replies and tool results.
    pub transcript: Vec<Message>,
}

/// One tool call the model asked for, and what came of it.
///
/// ```no_run
/// # fn f(out: cairn_sdk::AgentOutput<String>) {
/// for call in &out.tool_calls {
///     if let cairn_sdk::ToolOutcome::Refused { by, .. } = &call.outcome {
///         cairn_sdk::log::info(format!("{by} refused {}", call.name));
///     }
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolCallRecord {
    /// The turn (1 for the first model call) whose reply asked for it.
    pub turn: u32,
    /// The call's id, as the model gave it.
    pub id: String,
    /// The tool asked for (which may not exist).
    pub name: String,
    /// The arguments as the model wrote them (a string when not JSON).
    pub arguments: Value,
    /// What came of it.
    pub outcome: ToolOutcome,
}

/// What came of a tool call; serializes with a `status` tag (`done`,
/// `failed`, `refused`, `invalid`).
///
/// ```no_run
/// use cairn_sdk::ToolOutcome;
/// # fn f(o: ToolOutcome) {
/// match o {
///     ToolOutcome::Done { output } => { /* the tool's output */ }
///     ToolOutcome::Failed { code, message } => { /* failed after its retries */ }
///     ToolOutcome::Refused { by, reason } => { /* a person said no */ }
///     ToolOutcome::Invalid { error } => { /* unknown tool or bad arguments */ }
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ToolOutcome {
    /// The tool ran; its output.
    Done {
        /// The step's output (for an agent tool, its answer).
        output: Value,
    },
    /// The tool failed for good, after its retries.
    Failed {
        /// The step's error code.
        code: String,
        /// Its message.
        message: String,
    },
    /// A person refused to let it run.
    Refused {
        /// Who answered (`timeout` when nobody did in time).
        by: String,
        /// Their reason, when asked for and given.
        reason: Option<String>,
    },
    /// It was not run: no tool has that name, or the arguments do not fit
    /// its schema.
    Invalid {
        /// What was wrong, as the model was told.
        error: String,
    },
}

/// Why an agent stopped without a final answer.
///
/// `?` in a workflow body turns it into a [`WorkflowError`] with the code
/// below (a model's failure keeps [`LlmError`]'s code, an approval prompt's
/// [`WaitError`]'s) and details naming what was reached.
///
/// | variant | code |
/// |---|---|
/// | [`MaxTurns`](AgentError::MaxTurns) | `agent-max-turns` |
/// | [`Budget`](AgentError::Budget) | `agent-budget` |
/// | [`Deadline`](AgentError::Deadline) | `agent-deadline` |
/// | [`BadOutput`](AgentError::BadOutput) | `agent-bad-output` |
/// | [`BadToolCalls`](AgentError::BadToolCalls) | `agent-bad-tool-calls` |
///
/// ```no_run
/// use cairn_sdk::prelude::*;
///
/// #[workflow]
/// fn ask(ctx: &Ctx, q: String) -> Result<String, WorkflowError> {
///     match Agent::new("local/llama3").max_turns(4).budget_tokens(20_000).run(ctx, q) {
///         Ok(out) => Ok(out.output),
///         Err(AgentError::Budget { used, .. }) => Ok(format!("gave up after {used} tokens")),
///         Err(e) => Err(e.into()),
///     }
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum AgentError {
    /// `max_turns` model calls were made and the last still asked for tools.
    MaxTurns {
        /// The limit.
        turns: u32,
    },
    /// The run's tokens reached `budget_tokens` (as extended by a person)
    /// before a final answer.
    Budget {
        /// Tokens used so far.
        used: u64,
        /// The budget.
        budget: u64,
    },
    /// The run's deadline passed before a final answer.
    Deadline {
        /// The deadline, in milliseconds from the run's start.
        limit_ms: u64,
    },
    /// The final answer did not fit the output type, again after a repair
    /// turn.
    BadOutput {
        /// Why it does not fit.
        message: String,
        /// The reply's text.
        content: String,
    },
    /// More turns in a row than `max_repairs` asked only for unknown tools
    /// or with arguments that do not fit.
    BadToolCalls {
        /// The turns in a row.
        turns: u32,
        /// The last error the model was told.
        last: String,
    },
    /// A model call failed (after the host's retries).
    Llm(LlmError),
    /// An approval prompt could not be asked.
    Approval(WaitError),
}

impl AgentError {
    /// The machine-readable code, as the workflow's error carries it.
    ///
    /// ```no_run
    /// let e = cairn_sdk::AgentError::MaxTurns { turns: 8 };
    /// assert_eq!(e.code(), "agent-max-turns");
    /// ```
    pub fn code(&self) -> String {
        match self {
            AgentError::MaxTurns { .. } => "agent-max-turns".into(),
            AgentError::Budget { .. } => "agent-budget".into(),
            AgentError::Deadline { .. } => "agent-deadline".into(),
            AgentError::BadOutput { .. } => "agent-bad-output".into(),
            AgentError::BadToolCalls { .. } => "agent-bad-tool-calls".into(),
            AgentError::Llm(e) => WorkflowError::from(e.clone()).code,
            AgentError::Approval(e) => WorkflowError::from(e.clone()).code,
        }
    }

    fn details(&self) -> Option<Value> {
        match self {
            AgentError::MaxTurns { turns } => Some(json!({ "max_turns": turns })),
            AgentError::Budget { used, budget } => Some(json!({ "used": used, "budget": budget })),
            AgentError::Deadline { limit_ms } => Some(json!({ "deadline_ms": limit_ms })),
            AgentError::BadOutput { content, .. } => Some(json!({ "content": content })),
            AgentError::BadToolCalls { turns, last } => {
                Some(json!({ "turns": turns, "last": last }))
            }
            AgentError::Llm(e) => WorkflowError::from(e.clone()).details,
            AgentError::Approval(_) => None,
        }
    }
}

impl fmt::Display for AgentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgentError::MaxTurns { turns } => write!(
                f,
                "the agent made {turns} model calls (its max_turns) without a final answer"
            ),
            AgentError::Budget { used, budget } => write!(
                f,
                "the agent used {used} tokens, reaching its budget of {budget}, without a final answer"
            ),
            AgentError::Deadline { limit_ms } => write!(
                f,
                "the agent's deadline of {limit_ms} ms passed without a final answer"
            ),
            AgentError::BadOutput { message, .. } => write!(
                f,
                "the agent's final answer does not fit its output type, after a repair turn: {message}"
            ),
            AgentError::BadToolCalls { turns, last } => write!(
                f,
                "the model asked for unknown tools or wrong arguments {turns} turns in a row: {last}"
            ),
            AgentError::Llm(e) => write!(f, "{e}"),
            AgentError::Approval(e) => write!(f, "an approval prompt failed: {e}"),
        }
    }
}

impl From<LlmError> for AgentError {
    fn from(e: LlmError) -> Self {
        AgentError::Llm(e)
    }
}

impl From<AgentError> for WorkflowError {
    fn from(e: AgentError) -> Self {
        let mut w = WorkflowError::new(e.to_string()).with_code(e.code());
        w.details = e.details();
        w
    }
}
