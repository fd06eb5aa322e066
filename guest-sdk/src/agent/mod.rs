//! Agents: an LLM loop with tools, durable at every turn.
//!
//! [`Agent::run`] calls the model ([`Ctx::llm`], one journaled `llm` entry
//! per turn), runs the tools the reply asks for (each a step, with its own
//! retries, timeout and idempotency key; with
//! [`parallel_tools`](Agent::parallel_tools) the calls of one turn are
//! spawned together and joined in call order), sends their results back,
//! and repeats until the model answers without asking for a tool. A crash
//! anywhere resumes by replay at the turn it reached: journaled replies and
//! finished tool calls are not made again, only a call in flight.
//!
//! ```no_run
//! use cairn_sdk::prelude::*;
//!
//! /// Looks an order up by its id.
//! #[tool(max_attempts = 3, timeout = "10s")]
//! fn lookup_order(order_id: String) -> Result<Value, StepError> {
//!     Ok(json!({ "order_id": order_id, "status": "shipped" }))
//! }
//!
//! /// Refunds an order in full.
//! #[tool(approval = true)]
//! fn refund(order_id: String, reason: String) -> Result<String, StepError> {
//!     Ok(format!("refunded {order_id}"))
//! }
//!
//! #[data]
//! struct Resolution {
//!     summary: String,
//!     refunded: bool,
//! }
//!
//! #[workflow]
//! fn support(ctx: &Ctx, message: String) -> Result<Resolution, WorkflowError> {
//!     let out = Agent::new("openai/gpt-4o-mini")
//!         .name("support")
//!         .instructions("You help customers with their orders.")
//!         .tools((lookup_order, refund))
//!         .max_turns(8)
//!         .budget_tokens(50_000)
//!         .output::<Resolution>()
//!         .run(ctx, message)?;
//!     Ok(out.output)
//! }
//! ```
//!
//! What the model is told when something goes wrong is a tool result, not
//! a trap: an unknown tool or arguments that do not fit the tool's schema
//! (up to [`max_repairs`](Agent::max_repairs) turns in a row), a tool that
//! failed after its retries, a person's refusal. A final answer that does
//! not fit [`output`](Agent::output)'s type gets one repair turn.
//!
//! Each turn is also an `agent.turn` event and each tool result an
//! `agent.tool` event, which `cairn runs watch` shows as they happen.

mod calls;
mod guards;
mod output;
mod progress;
mod tool;

use std::fmt;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

pub use output::{AgentError, AgentOutput, ToolCallRecord, ToolOutcome};
pub use tool::{AgentTool, Tool, ToolSet, tool_parameters};

use crate::llm::strip_fence;
use crate::{Ctx, LlmRequest, Message, ToolDef};
use progress::{Progress, add_usage};
use tool::ToolRun;

/// Model calls at most, unless [`Agent::max_turns`] says.
pub const DEFAULT_MAX_TURNS: u32 = 10;
/// Turns in a row with unknown tools or bad arguments, unless
/// [`Agent::max_repairs`] says.
pub const DEFAULT_MAX_REPAIRS: u32 = 2;

/// An LLM loop with tools; see the [module](self) for what a run does.
///
/// `T` is the final answer's type: `String` (the reply's text) unless
/// [`output`](Agent::output) asks for a typed one.
///
/// ```no_run
/// use cairn_sdk::prelude::*;
///
/// /// The weather in a city today.
/// #[tool]
/// fn weather(city: String) -> Result<String, StepError> {
///     Ok(format!("sunny in {city}"))
/// }
///
/// #[workflow]
/// fn forecast(ctx: &Ctx, city: String) -> Result<String, WorkflowError> {
///     let agent = Agent::new("anthropic/claude-sonnet-4-5")
///         .instructions("Answer in one sentence.")
///         .tool(weather)
///         .temperature(0.2);
///     Ok(agent.run(ctx, format!("Should I take an umbrella in {city}?"))?.output)
/// }
/// ```
pub struct Agent<T = String> {
    core: AgentCore,
    output: OutputSpec<T>,
}

/// The settings of an agent, whatever its output type.
#[derive(Debug, Clone)]
pub(crate) struct AgentCore {
    pub(crate) name: String,
    model: String,
    instructions: Option<String>,
    pub(crate) tools: Vec<AgentTool>,
    max_turns: u32,
    temperature: Option<f32>,
    max_tokens: Option<u32>,
    pub(crate) parallel_tools: bool,
    budget_tokens: Option<u64>,
    ask_to_extend_budget: bool,
    deadline: Option<Duration>,
    max_repairs: u32,
    pub(crate) approval_timeout: Option<Duration>,
    pub(crate) ask_refusal_reason: bool,
}

/// How the final answer is asked for and read.
struct OutputSpec<T> {
    /// The JSON Schema asked for (`None`: text).
    schema: Option<Value>,
    parse: fn(&str) -> Result<T, String>,
}

impl<T> Clone for OutputSpec<T> {
    fn clone(&self) -> Self {
        OutputSpec {
            schema: self.schema.clone(),
            parse: self.parse,
        }
    }
}

impl<T> Clone for Agent<T> {
    fn clone(&self) -> Self {
        Agent {
            core: self.core.clone(),
            output: self.output.clone(),
        }
    }
}

impl<T> fmt::Debug for Agent<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Agent")
            .field("core", &self.core)
            .field("output_schema", &self.output.schema)
            .finish()
    }
}

impl Agent<String> {
    /// An agent on `model`, written `provider/model` as for
    /// [`LlmRequest::new`]; its final answer is the reply's text. Its name
    /// is `agent` until [`name`](Agent::name) says otherwise.
    ///
    /// ```
    /// let agent = cairn_sdk::Agent::new("local/llama3");
    /// assert_eq!(agent.agent_name(), "agent");
    /// ```
    pub fn new(model: impl Into<String>) -> Self {
        Agent {
            core: AgentCore {
                name: "agent".to_owned(),
                model: model.into(),
                instructions: None,
                tools: Vec::new(),
                max_turns: DEFAULT_MAX_TURNS,
                temperature: None,
                max_tokens: None,
                parallel_tools: false,
                budget_tokens: None,
                ask_to_extend_budget: false,
                deadline: None,
                max_repairs: DEFAULT_MAX_REPAIRS,
                approval_timeout: None,
                ask_refusal_reason: false,
            },
            output: OutputSpec {
                schema: None,
                parse: |text| Ok(text.to_owned()),
            },
        }
    }
}

impl<T> Agent<T> {
    /// The agent's name, shown in approval prompts, events and errors.
    ///
    /// ```
    /// let a = cairn_sdk::Agent::new("local/llama3").name("triage");
    /// assert_eq!(a.agent_name(), "triage");
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.core.name = name.into();
        self
    }

    /// The agent's name.
    ///
    /// ```
    /// assert_eq!(cairn_sdk::Agent::new("local/llama3").agent_name(), "agent");
    /// ```
    pub fn agent_name(&self) -> &str {
        &self.core.name
    }

    /// The system message every turn starts with.
    ///
    /// ```
    /// let a = cairn_sdk::Agent::new("local/llama3").instructions("Be brief.");
    /// ```
    pub fn instructions(mut self, text: impl Into<String>) -> Self {
        self.core.instructions = Some(text.into());
        self
    }

    /// Offers one more tool: a [`#[tool]`](crate::tool) or an
    /// [`AgentTool`].
    ///
    /// ```
    /// use cairn_sdk::prelude::*;
    /// /// Pings a host.
    /// #[tool]
    /// fn ping(host: String) -> Result<bool, StepError> { Ok(true) }
    /// let a = Agent::new("local/llama3").tool(ping);
    /// assert_eq!(a.tool_names(), ["ping"]);
    /// ```
    pub fn tool(mut self, tool: impl Into<AgentTool>) -> Self {
        self.core.tools.push(tool.into());
        self
    }

    /// Offers several tools: a tuple of them, or an array or `Vec` of
    /// [`AgentTool`]s; see [`ToolSet`].
    ///
    /// ```
    /// use cairn_sdk::prelude::*;
    /// /// Adds.
    /// #[tool]
    /// fn add(a: i64, b: i64) -> Result<i64, StepError> { Ok(a + b) }
    /// /// Multiplies.
    /// #[tool]
    /// fn mul(a: i64, b: i64) -> Result<i64, StepError> { Ok(a * b) }
    /// let a = Agent::new("local/llama3").tools((add, mul));
    /// assert_eq!(a.tool_names(), ["add", "mul"]);
    /// ```
    pub fn tools(mut self, tools: impl ToolSet) -> Self {
        self.core.tools.extend(tools.into_tools());
        self
    }

    /// The names of the tools offered, in order.
    ///
    /// ```
    /// assert!(cairn_sdk::Agent::new("local/llama3").tool_names().is_empty());
    /// ```
    pub fn tool_names(&self) -> Vec<&str> {
        self.core.tools.iter().map(AgentTool::name).collect()
    }

    /// Model calls at most (repair turns included); one more needed is
    /// [`AgentError::MaxTurns`]. Default [`DEFAULT_MAX_TURNS`].
    ///
    /// ```
    /// let a = cairn_sdk::Agent::new("local/llama3").max_turns(4);
    /// ```
    pub fn max_turns(mut self, n: u32) -> Self {
        self.core.max_turns = n;
        self
    }

    /// Sampling temperature of every turn.
    ///
    /// ```
    /// let a = cairn_sdk::Agent::new("local/llama3").temperature(0.0);
    /// ```
    pub fn temperature(mut self, t: f32) -> Self {
        self.core.temperature = Some(t);
        self
    }

    /// Most tokens one reply may have.
    ///
    /// ```
    /// let a = cairn_sdk::Agent::new("local/llama3").max_tokens(512);
    /// ```
    pub fn max_tokens(mut self, n: u32) -> Self {
        self.core.max_tokens = Some(n);
        self
    }

    /// Runs the step tools one reply asks for concurrently, as spawned
    /// steps joined in call order (`true`), or one after the other in call
    /// order (`false`, the default). Approvals are asked first, in call
    /// order; agents offered as tools always run one after the other.
    ///
    /// ```
    /// let a = cairn_sdk::Agent::new("local/llama3").parallel_tools(true);
    /// ```
    pub fn parallel_tools(mut self, parallel: bool) -> Self {
        self.core.parallel_tools = parallel;
        self
    }

    /// Tokens (input and output, of every turn and of agents called as
    /// tools) the run may use: once they reach `n`, the next turn is not
    /// made and the run stops with [`AgentError::Budget`].
    ///
    /// ```
    /// let a = cairn_sdk::Agent::new("local/llama3").budget_tokens(100_000);
    /// ```
    pub fn budget_tokens(mut self, n: u64) -> Self {
        self.core.budget_tokens = Some(n);
        self
    }

    /// When the token budget is reached, asks a person (an approval
    /// prompt naming the tokens used) whether to allow another
    /// [`budget_tokens`](Agent::budget_tokens) worth; a refusal (or the
    /// [`approval_timeout`](Agent::approval_timeout) passing) stops the run
    /// with [`AgentError::Budget`]. Off by default: the run stops.
    ///
    /// ```
    /// let a = cairn_sdk::Agent::new("local/llama3")
    ///     .budget_tokens(20_000)
    ///     .ask_to_extend_budget(true);
    /// ```
    pub fn ask_to_extend_budget(mut self, ask: bool) -> Self {
        self.core.ask_to_extend_budget = ask;
        self
    }

    /// How long the run may take, by journaled time from its start: a turn
    /// due after it is not made, and the run stops with
    /// [`AgentError::Deadline`]. (A turn or tool call under way is not cut
    /// short; give tools a `timeout`.)
    ///
    /// ```
    /// use std::time::Duration;
    /// let a = cairn_sdk::Agent::new("local/llama3").deadline(Duration::from_secs(600));
    /// ```
    pub fn deadline(mut self, limit: Duration) -> Self {
        self.core.deadline = Some(limit);
        self
    }

    /// Turns in a row that may ask for an unknown tool or pass arguments
    /// that do not fit (each error is the tool's result, for the model to
    /// repair); one more is [`AgentError::BadToolCalls`]. Default
    /// [`DEFAULT_MAX_REPAIRS`].
    ///
    /// ```
    /// let a = cairn_sdk::Agent::new("local/llama3").max_repairs(1);
    /// ```
    pub fn max_repairs(mut self, n: u32) -> Self {
        self.core.max_repairs = n;
        self
    }

    /// How long an approval prompt waits; when nobody answers in time the
    /// call is refused (by `timeout`). Without it the run waits as long
    /// as it takes.
    ///
    /// ```
    /// use std::time::Duration;
    /// let a = cairn_sdk::Agent::new("local/llama3").approval_timeout(Duration::from_secs(3600));
    /// ```
    pub fn approval_timeout(mut self, timeout: Duration) -> Self {
        self.core.approval_timeout = Some(timeout);
        self
    }

    /// After a refusal, asks the person why (a text prompt), and tells the
    /// model. Off by default: the model is told who refused.
    ///
    /// ```
    /// let a = cairn_sdk::Agent::new("local/llama3").ask_refusal_reason(true);
    /// ```
    pub fn ask_refusal_reason(mut self, ask: bool) -> Self {
        self.core.ask_refusal_reason = ask;
        self
    }

    /// Asks for a typed final answer: every turn asks for JSON matching
    /// `U`'s JSON Schema (derived by [`#[data]`](crate::data)), and the
    /// answer is parsed into `U`. One that does not fit gets one repair
    /// turn, then [`AgentError::BadOutput`].
    ///
    /// ```
    /// use cairn_sdk::prelude::*;
    ///
    /// #[data]
    /// struct Verdict {
    ///     approve: bool,
    ///     reason: String,
    /// }
    ///
    /// let a: Agent<Verdict> = Agent::new("local/llama3").output::<Verdict>();
    /// assert_eq!(a.output_schema().unwrap()["required"], json!(["approve", "reason"]));
    /// ```
    pub fn output<U: DeserializeOwned + schemars::JsonSchema>(self) -> Agent<U> {
        Agent {
            core: self.core,
            output: OutputSpec {
                schema: Some(tool_parameters::<U>()),
                parse: parse_json::<U>,
            },
        }
    }

    /// The JSON Schema the final answer must match, with a typed
    /// [`output`](Agent::output).
    ///
    /// ```
    /// assert!(cairn_sdk::Agent::new("local/llama3").output_schema().is_none());
    /// ```
    pub fn output_schema(&self) -> Option<&Value> {
        self.output.schema.as_ref()
    }

    /// Runs the loop on `input`, the first user message, and returns the
    /// final answer with the turns, tool calls, tokens and transcript; see
    /// the [module](self).
    ///
    /// ```no_run
    /// use cairn_sdk::prelude::*;
    ///
    /// #[workflow]
    /// fn answer(ctx: &Ctx, question: String) -> Result<AgentOutput<String>, WorkflowError> {
    ///     Ok(Agent::new("local/llama3").run(ctx, question)?)
    /// }
    /// ```
    pub fn run(&self, ctx: &Ctx, input: impl Into<String>) -> Result<AgentOutput<T>, AgentError> {
        let mut run = Progress::new(&self.core, Some(ctx), input.into());
        loop {
            self.core.check_guards(ctx, &mut run)?;
            let reply = ctx.llm(self.request(&run.transcript))?;
            run.turns += 1;
            add_usage(&mut run.usage, reply.usage);
            self.core.emit_turn(ctx, run.turns, &reply);
            run.transcript.push(Message::from_reply(&reply));
            if reply.tool_calls.is_empty() {
                match (self.output.parse)(&reply.content) {
                    Ok(output) => return Ok(run.finish(output)),
                    Err(message) if !run.repaired_output => {
                        run.repaired_output = true;
                        run.transcript.push(Message::user(repair_message(&message)));
                    }
                    Err(message) => {
                        return Err(AgentError::BadOutput {
                            message,
                            content: reply.content,
                        });
                    }
                }
                continue;
            }
            let results = calls::run_calls(&self.core, ctx, run.turns, &reply.tool_calls)?;
            self.core.take_results(ctx, &mut run, results)?;
        }
    }

    /// The request of the next turn.
    fn request(&self, transcript: &[Message]) -> LlmRequest {
        let c = &self.core;
        let mut req = LlmRequest::new(&c.model);
        for m in transcript {
            req = req.message(m.clone());
        }
        if let Some(t) = c.temperature {
            req = req.temperature(t);
        }
        if let Some(n) = c.max_tokens {
            req = req.max_tokens(n);
        }
        for t in &c.tools {
            req = req.tool(t.def.clone());
        }
        if let Some(schema) = &self.output.schema {
            req = req.json_schema(schema);
        }
        req
    }
}

impl<T: Serialize + 'static> Agent<T> {
    /// This agent as a tool of another: the model calls it with
    /// `{"input": "..."}`, and it runs in the calling agent's body (its
    /// turns and tool calls journaled like the caller's), its final answer
    /// the tool's result (text as it is, a typed answer as JSON) and its
    /// tokens added to the caller's. A failure of it is the tool's result.
    ///
    /// ```
    /// use cairn_sdk::prelude::*;
    ///
    /// let researcher = Agent::new("local/llama3").instructions("Find facts.");
    /// let writer = Agent::new("local/llama3")
    ///     .tool(researcher.as_tool("research", "Finds facts about a topic."));
    /// assert_eq!(writer.tool_names(), ["research"]);
    /// ```
    pub fn as_tool(self, name: impl Into<String>, description: impl Into<String>) -> AgentTool {
        let parameters = json!({
            "type": "object",
            "properties": {"input": {"type": "string", "description": "What to ask the agent."}},
            "required": ["input"],
        });
        let agent = self;
        AgentTool {
            def: ToolDef::new(name, description, &parameters),
            approval: false,
            run: ToolRun::Agent(std::rc::Rc::new(move |ctx: &Ctx, input: String| {
                let out = agent.run(ctx, input)?;
                let text = match serde_json::to_value(&out.output) {
                    Ok(Value::String(s)) => s,
                    Ok(v) => v.to_string(),
                    Err(e) => format!("<the answer does not serialize: {e}>"),
                };
                Ok((text, out.usage))
            })),
        }
    }
}

fn parse_json<U: DeserializeOwned>(text: &str) -> Result<U, String> {
    serde_json::from_str(strip_fence(text)).map_err(|e| e.to_string())
}

/// What the model is told when its final answer does not fit.
fn repair_message(error: &str) -> String {
    format!(
        "Your final answer does not fit the required JSON Schema ({error}). \
         Reply again with only a JSON value matching the schema."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_answers_parse_with_or_without_a_fence() {
        let v: Result<Vec<u8>, String> = parse_json("```json\n[1, 2]\n```");
        assert_eq!(v, Ok(vec![1, 2]));
        let bad: Result<Vec<u8>, String> = parse_json("two numbers");
        assert!(bad.unwrap_err().contains("expected"));
    }
}
