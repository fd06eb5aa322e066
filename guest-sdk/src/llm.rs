//! LLM calls: [`LlmRequest`], [`LlmResponse`], [`LlmError`], and
//! [`Ctx::llm`] (in a body) or [`call`] (in a step).
//!
//! Providers are host configuration (`[llm.providers.NAME]` in
//! `cairn.toml`); a request names its model as `provider/model`. The
//! component never sees a key or a URL. In the body a call is journaled
//! like a step, so a replay returns the recorded reply and never calls
//! (or bills) again; in a step it is part of the step.
//!
//! ```no_run
//! use cairn_sdk::prelude::*;
//!
//! #[workflow]
//! fn haiku(ctx: &Ctx, topic: String) -> Result<String, WorkflowError> {
//!     let reply = ctx.llm(
//!         LlmRequest::new("openai/gpt-4o-mini")
//!             .system("You write haiku.")
//!             .user(format!("A haiku about {topic}."))
//!             .temperature(0.7)
//!             .max_tokens(100),
//!     )?;
//!     Ok(reply.content)
//! }
//! ```

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::bindings::{host, types};
use crate::{Ctx, StepError, WorkflowError};

/// Who wrote a [`Message`]; serializes in lower case (`"assistant"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions for the model.
    System,
    /// The person (or program) asking.
    User,
    /// The model.
    Assistant,
    /// The result of a tool call.
    Tool,
}

/// A tool the model asked to call, in [`LlmResponse::tool_calls`].
///
/// ```no_run
/// # fn f(call: &cairn_sdk::ToolCall) -> Result<(), cairn_sdk::LlmError> {
/// #[derive(cairn_sdk::serde::Deserialize)]
/// #[serde(crate = "cairn_sdk::serde")]
/// struct Add { a: i64, b: i64 }
/// let args: Add = call.arguments()?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToolCall {
    /// The call's id; a [`Message::tool`] answering it carries it.
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// The arguments, as JSON text (serialized as `arguments`).
    #[serde(rename = "arguments")]
    pub arguments_json: String,
}

impl ToolCall {
    /// The arguments as `T`.
    ///
    /// ```no_run
    /// # fn f(call: &cairn_sdk::ToolCall) -> Result<(), cairn_sdk::LlmError> {
    /// let args: cairn_sdk::serde_json::Value = call.arguments()?;
    /// # Ok(()) }
    /// ```
    pub fn arguments<T: DeserializeOwned>(&self) -> Result<T, LlmError> {
        serde_json::from_str(&self.arguments_json).map_err(|e| {
            LlmError::BadOutput(format!(
                "the arguments of tool call `{}` are not a {}: {e}",
                self.name,
                crate::registry::short_type_name::<T>()
            ))
        })
    }
}

/// One message of the conversation.
///
/// ```no_run
/// use cairn_sdk::{Message, LlmRequest};
/// let req = LlmRequest::new("local/llama3")
///     .message(Message::system("Be brief."))
///     .message(Message::user("Hello?"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// The text.
    pub content: String,
    /// For assistant messages that called tools.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// For tool messages: the call this answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl Message {
    fn new(role: Role, content: impl Into<String>) -> Self {
        Message {
            role,
            content: content.into(),
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }

    /// A system message.
    ///
    /// ```no_run
    /// let m = cairn_sdk::Message::system("You summarise articles.");
    /// ```
    pub fn system(content: impl Into<String>) -> Self {
        Self::new(Role::System, content)
    }

    /// A user message.
    ///
    /// ```no_run
    /// let m = cairn_sdk::Message::user("Summarise this: ...");
    /// ```
    pub fn user(content: impl Into<String>) -> Self {
        Self::new(Role::User, content)
    }

    /// An assistant message (an earlier reply, for a conversation).
    ///
    /// ```no_run
    /// let m = cairn_sdk::Message::assistant("Here is a summary: ...");
    /// ```
    pub fn assistant(content: impl Into<String>) -> Self {
        Self::new(Role::Assistant, content)
    }

    /// An assistant reply that called tools, to send back with their
    /// results.
    ///
    /// ```no_run
    /// # fn f(reply: cairn_sdk::LlmResponse) {
    /// let m = cairn_sdk::Message::from_reply(&reply);
    /// # }
    /// ```
    pub fn from_reply(reply: &LlmResponse) -> Self {
        Message {
            tool_calls: reply.tool_calls.clone(),
            ..Self::new(Role::Assistant, reply.content.clone())
        }
    }

    /// The result of the tool call `call_id`.
    ///
    /// ```no_run
    /// let m = cairn_sdk::Message::tool("call_1", "42");
    /// ```
    pub fn tool(call_id: impl Into<String>, content: impl Into<String>) -> Self {
        Message {
            tool_call_id: Some(call_id.into()),
            ..Self::new(Role::Tool, content)
        }
    }
}

/// A tool the model may call.
///
/// ```no_run
/// use cairn_sdk::prelude::*;
/// let add = ToolDef::new("add", "Adds two integers", &json!({
///     "type": "object",
///     "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
///     "required": ["a", "b"],
/// }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolDef {
    /// The tool's name.
    pub name: String,
    /// What it does, for the model.
    pub description: String,
    /// JSON Schema of its arguments, as JSON text.
    pub parameters: String,
}

impl ToolDef {
    /// A tool with a JSON Schema for its arguments.
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// let t = ToolDef::new("now", "The current time", &json!({"type": "object"}));
    /// ```
    pub fn new<S: Serialize + ?Sized>(
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: &S,
    ) -> Self {
        ToolDef {
            name: name.into(),
            description: description.into(),
            parameters: serde_json::to_string(parameters).unwrap_or_else(|_| "{}".into()),
        }
    }
}

/// A request to a model, built with [`LlmRequest::new`] and the builder
/// methods.
///
/// ```no_run
/// use cairn_sdk::prelude::*;
/// let req = LlmRequest::new("anthropic/claude-sonnet-4-5")
///     .system("Answer in JSON.")
///     .user("Three primes?")
///     .json()
///     .max_tokens(200);
/// ```
#[derive(Debug, Clone)]
pub struct LlmRequest {
    inner: types::LlmRequest,
}

impl LlmRequest {
    /// A request to `model`, written `provider/model` (`openai/gpt-4o-mini`,
    /// `local/llama3`): the provider is a `[llm.providers.NAME]` of the
    /// host's configuration.
    ///
    /// ```no_run
    /// let req = cairn_sdk::LlmRequest::new("local/llama3").user("Hi");
    /// ```
    pub fn new(model: impl Into<String>) -> Self {
        LlmRequest {
            inner: types::LlmRequest {
                model: model.into(),
                messages: Vec::new(),
                temperature: None,
                max_tokens: None,
                response_format: types::ResponseFormat::Text,
                tools: Vec::new(),
            },
        }
    }

    /// Appends a message.
    ///
    /// ```no_run
    /// use cairn_sdk::{LlmRequest, Message};
    /// let req = LlmRequest::new("local/llama3").message(Message::user("Hi"));
    /// ```
    pub fn message(mut self, m: Message) -> Self {
        self.inner.messages.push(types::Message {
            role: match m.role {
                Role::System => types::Role::System,
                Role::User => types::Role::User,
                Role::Assistant => types::Role::Assistant,
                Role::Tool => types::Role::Tool,
            },
            content: m.content,
            tool_calls: m
                .tool_calls
                .into_iter()
                .map(|c| types::ToolCall {
                    id: c.id,
                    name: c.name,
                    arguments: c.arguments_json,
                })
                .collect(),
            tool_call_id: m.tool_call_id,
        });
        self
    }

    /// Appends a system message.
    ///
    /// ```no_run
    /// let req = cairn_sdk::LlmRequest::new("local/llama3").system("Be brief.");
    /// ```
    pub fn system(self, content: impl Into<String>) -> Self {
        self.message(Message::system(content))
    }

    /// Appends a user message.
    ///
    /// ```no_run
    /// let req = cairn_sdk::LlmRequest::new("local/llama3").user("Hello?");
    /// ```
    pub fn user(self, content: impl Into<String>) -> Self {
        self.message(Message::user(content))
    }

    /// Appends an assistant message.
    ///
    /// ```no_run
    /// let req = cairn_sdk::LlmRequest::new("local/llama3")
    ///     .user("Hi").assistant("Hello!").user("Who are you?");
    /// ```
    pub fn assistant(self, content: impl Into<String>) -> Self {
        self.message(Message::assistant(content))
    }

    /// Sampling temperature.
    ///
    /// ```no_run
    /// let req = cairn_sdk::LlmRequest::new("local/llama3").temperature(0.0);
    /// ```
    pub fn temperature(mut self, t: f32) -> Self {
        self.inner.temperature = Some(t);
        self
    }

    /// Most tokens the reply may have.
    ///
    /// ```no_run
    /// let req = cairn_sdk::LlmRequest::new("local/llama3").max_tokens(256);
    /// ```
    pub fn max_tokens(mut self, n: u32) -> Self {
        self.inner.max_tokens = Some(n);
        self
    }

    /// Asks for a JSON object as the reply; see [`LlmResponse::json`].
    ///
    /// ```no_run
    /// let req = cairn_sdk::LlmRequest::new("local/llama3").user("Two colours as JSON").json();
    /// ```
    pub fn json(mut self) -> Self {
        self.inner.response_format = types::ResponseFormat::Json;
        self
    }

    /// Asks for a reply matching a JSON Schema.
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// let req = LlmRequest::new("openai/gpt-4o-mini")
    ///     .user("Rate this review")
    ///     .json_schema(&json!({"type": "object", "properties": {"stars": {"type": "integer"}}}));
    /// ```
    pub fn json_schema<S: Serialize + ?Sized>(mut self, schema: &S) -> Self {
        self.inner.response_format = types::ResponseFormat::JsonSchema(
            serde_json::to_string(schema).unwrap_or_else(|_| "{}".into()),
        );
        self
    }

    /// Offers a tool the model may call.
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// let req = LlmRequest::new("openai/gpt-4o-mini")
    ///     .user("What is 2 + 3?")
    ///     .tool(ToolDef::new("add", "Adds", &json!({"type": "object"})));
    /// ```
    pub fn tool(mut self, tool: ToolDef) -> Self {
        self.inner.tools.push(types::ToolDef {
            name: tool.name,
            description: tool.description,
            parameters: tool.parameters,
        });
        self
    }
}

/// Tokens one call used (or, in [`AgentOutput`](crate::AgentOutput), all
/// of a run's calls).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TokenUsage {
    /// Tokens of the request.
    pub input_tokens: u32,
    /// Tokens of the reply.
    pub output_tokens: u32,
}

/// The model's reply.
///
/// ```no_run
/// # fn f(reply: cairn_sdk::LlmResponse) {
/// if reply.finish_reason == "length" {
///     cairn_sdk::log::warn("the reply was cut short");
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlmResponse {
    /// The text of the reply.
    pub content: String,
    /// Tools the model asked to call.
    pub tool_calls: Vec<ToolCall>,
    /// `stop`, `length`, `tool_calls`, `content_filter`, ...
    pub finish_reason: String,
    /// Tokens used.
    pub usage: TokenUsage,
    /// The model that answered, as the provider names it.
    pub model: String,
}

impl LlmResponse {
    /// The reply's content parsed as JSON into `T` (with [`LlmRequest::json`]
    /// or [`LlmRequest::json_schema`]). A fenced ```` ```json ```` block
    /// around the JSON is tolerated.
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// # fn f(ctx: &Ctx) -> Result<(), WorkflowError> {
    /// let reply = ctx.llm(LlmRequest::new("local/llama3").user("Two colours as a JSON array").json())?;
    /// let colours: Vec<String> = reply.json()?;
    /// # Ok(()) }
    /// ```
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, LlmError> {
        let text = strip_fence(&self.content);
        serde_json::from_str(text).map_err(|e| {
            LlmError::BadOutput(format!(
                "the reply is not a {} as JSON: {e}",
                crate::registry::short_type_name::<T>()
            ))
        })
    }
}

pub(crate) fn strip_fence(s: &str) -> &str {
    let t = s.trim();
    let Some(rest) = t.strip_prefix("```") else {
        return t;
    };
    let rest = rest.strip_prefix("json").unwrap_or(rest);
    rest.strip_suffix("```").unwrap_or(rest).trim()
}

impl From<types::LlmResponse> for LlmResponse {
    fn from(r: types::LlmResponse) -> Self {
        LlmResponse {
            content: r.content,
            tool_calls: r
                .tool_calls
                .into_iter()
                .map(|c| ToolCall {
                    id: c.id,
                    name: c.name,
                    arguments_json: c.arguments,
                })
                .collect(),
            finish_reason: r.finish_reason,
            usage: TokenUsage {
                input_tokens: r.usage.input_tokens,
                output_tokens: r.usage.output_tokens,
            },
            model: r.model,
        }
    }
}

/// Why an LLM call returned no reply.
///
/// `?` turns it into a [`WorkflowError`] (in a body) or a [`StepError`]
/// (in a step; provider failures are retryable there, so the step's policy
/// retries them).
///
/// ```no_run
/// # use cairn_sdk::prelude::*;
/// # fn f(ctx: &Ctx) -> Result<(), WorkflowError> {
/// match ctx.llm(LlmRequest::new("local/llama3").user("Hi")) {
///     Ok(reply) => cairn_sdk::log::info(reply.content),
///     Err(LlmError::Provider { code, .. }) if code == "rate-limited" => { /* later */ }
///     Err(e) => return Err(e.into()),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum LlmError {
    /// No provider of that name is configured on the host; the message
    /// says which setting to add.
    NotConfigured(String),
    /// The provider failed after the host's retries, or refused the request.
    Provider {
        /// `unreachable`, `timeout`, `rate-limited`, `server-error`,
        /// `refused` or `bad-reply`.
        code: String,
        /// For people; names the provider, never its URL or key.
        message: String,
        /// `{"provider", "status", "attempts"}`.
        details: Option<Value>,
    },
    /// The request is malformed (no `provider/` in the model, bad JSON).
    BadRequest(String),
    /// The reply did not parse into the type asked for.
    BadOutput(String),
}

impl LlmError {
    fn code(&self) -> &str {
        match self {
            LlmError::NotConfigured(_) => "llm-not-configured",
            LlmError::Provider { code, .. } => code,
            LlmError::BadRequest(_) => "llm-bad-request",
            LlmError::BadOutput(_) => "llm-bad-output",
        }
    }

    fn details(&self) -> Option<Value> {
        match self {
            LlmError::Provider { details, .. } => details.clone(),
            _ => None,
        }
    }
}

impl fmt::Display for LlmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LlmError::NotConfigured(m)
            | LlmError::BadRequest(m)
            | LlmError::BadOutput(m)
            | LlmError::Provider { message: m, .. } => f.write_str(m),
        }
    }
}

impl From<types::LlmError> for LlmError {
    fn from(e: types::LlmError) -> Self {
        match e {
            types::LlmError::NotConfigured(m) => LlmError::NotConfigured(m),
            types::LlmError::BadRequest(m) => LlmError::BadRequest(m),
            types::LlmError::Provider(info) => LlmError::Provider {
                code: info.code,
                message: info.message,
                details: info
                    .details
                    .map(|d| serde_json::from_str(&d).unwrap_or(Value::String(d))),
            },
        }
    }
}

impl From<LlmError> for WorkflowError {
    fn from(e: LlmError) -> Self {
        let mut w = WorkflowError::new(e.to_string()).with_code(e.code());
        w.details = e.details();
        w
    }
}

impl From<LlmError> for StepError {
    fn from(e: LlmError) -> Self {
        let s = match &e {
            LlmError::Provider { code, .. } if code != "refused" => {
                StepError::retryable(e.to_string())
            }
            _ => StepError::fatal(e.to_string()),
        };
        let mut s = s.with_code(e.code());
        s.details = e.details();
        s
    }
}

/// Calls a model from a step (in a body, use [`Ctx::llm`]): part of the
/// step, retried with it.
///
/// ```no_run
/// use cairn_sdk::prelude::*;
///
/// #[step(max_attempts = 3)]
/// fn classify(text: String) -> Result<String, StepError> {
///     let reply = cairn_sdk::llm::call(
///         LlmRequest::new("local/llama3").user(format!("Spam or ham? {text}")),
///     )?;
///     Ok(reply.content)
/// }
/// ```
pub fn call(request: LlmRequest) -> Result<LlmResponse, LlmError> {
    host::llm(&request.inner)
        .map(LlmResponse::from)
        .map_err(LlmError::from)
}

impl Ctx {
    /// Calls a model configured on the host. The call is journaled: a
    /// replay returns the recorded reply (or failure) without calling the
    /// provider again. The host retries 429s, 5xx and connection failures
    /// (honouring `Retry-After`) before giving up.
    ///
    /// ```no_run
    /// use cairn_sdk::prelude::*;
    ///
    /// #[workflow]
    /// fn summarise(ctx: &Ctx, text: String) -> Result<Value, WorkflowError> {
    ///     let reply = ctx.llm(
    ///         LlmRequest::new("local/llama3")
    ///             .system("Summarise in one sentence.")
    ///             .user(text),
    ///     )?;
    ///     Ok(json!({ "summary": reply.content, "tokens": reply.usage.output_tokens }))
    /// }
    /// ```
    pub fn llm(&self, request: LlmRequest) -> Result<LlmResponse, LlmError> {
        call(request)
    }
}

#[cfg(test)]
mod tests {
    use super::strip_fence;

    #[test]
    fn fences_are_stripped() {
        assert_eq!(strip_fence("```json\n[1]\n```"), "[1]");
        assert_eq!(strip_fence(" {\"a\": 1} "), "{\"a\": 1}");
    }
}
