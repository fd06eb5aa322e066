//! The tool calls of one turn: each is checked (a known tool, arguments
//! that fit), approved by a person when the tool asks for it, and run as a
//! step — one after the other, or, with `parallel_tools`, spawned together
//! and joined in call order. Whatever happens becomes the tool's result
//! for the model; only an approval prompt that cannot be asked stops the
//! agent.

use serde_json::{Value, json};

use super::tool::{AgentTool, ToolRun};
use super::{AgentCore, ToolCallRecord, ToolOutcome};
use crate::bindings::host;
use crate::parallel::spawn_raw;
use crate::{AgentError, Ctx, Handle, Prompt, StepError, TokenUsage, ToolCall, WaitError};

/// What one call came to.
pub(crate) struct CallResult {
    pub(crate) record: ToolCallRecord,
    /// The tool message's text.
    pub(crate) content: String,
    /// Tokens of an agent run as the tool.
    pub(crate) usage: TokenUsage,
}

impl CallResult {
    pub(crate) fn invalid(&self) -> bool {
        matches!(self.record.outcome, ToolOutcome::Invalid { .. })
    }
}

/// A call checked and approved, ready to run.
enum Ready<'a> {
    Step {
        step: &'static str,
        input: String,
    },
    Agent(&'a AgentTool),
    /// Not to run: its outcome is known.
    Settled(ToolOutcome),
}

/// Runs the calls of turn `turn` and returns their results in call order.
pub(crate) fn run_calls(
    core: &AgentCore,
    ctx: &Ctx,
    turn: u32,
    calls: &[ToolCall],
) -> Result<Vec<CallResult>, AgentError> {
    let mut results: Vec<Option<CallResult>> = Vec::with_capacity(calls.len());
    let mut spawned: Vec<(usize, Handle<Value>)> = Vec::new();
    for (i, call) in calls.iter().enumerate() {
        let ready = prepare(core, ctx, call)?;
        let result = match ready {
            Ready::Step { step, input } if core.parallel_tools => {
                spawned.push((i, spawn_raw(step, &input, None)));
                None
            }
            Ready::Step { step, input } => {
                let r = host::step(step, &input).map_err(|f| StepError::from_failure(step, f));
                Some(settle(turn, call, step_outcome(r.and_then(parse_output))))
            }
            Ready::Agent(tool) => Some(run_agent(ctx, turn, call, tool)),
            Ready::Settled(outcome) => Some(settle(turn, call, outcome)),
        };
        results.push(result);
    }
    for (i, handle) in spawned {
        results[i] = Some(settle(turn, &calls[i], step_outcome(handle.join())));
    }
    Ok(results
        .into_iter()
        .map(|r| r.expect("every call has a result"))
        .collect())
}

/// Finds the tool, checks the arguments and asks for approval.
fn prepare<'a>(core: &'a AgentCore, ctx: &Ctx, call: &ToolCall) -> Result<Ready<'a>, AgentError> {
    let Some(tool) = core.tools.iter().find(|t| t.def.name == call.name) else {
        let names: Vec<&str> = core.tools.iter().map(|t| t.name()).collect();
        let error = if names.is_empty() {
            format!(
                "there is no tool named `{}`: no tools are offered",
                call.name
            )
        } else {
            format!(
                "there is no tool named `{}`; the tools are: {}",
                call.name,
                names.join(", ")
            )
        };
        return Ok(Ready::Settled(ToolOutcome::Invalid { error }));
    };
    let ready = match &tool.run {
        ToolRun::Step { step, check } => match check(&call.arguments_json) {
            Ok(input) => Ready::Step { step, input },
            Err(e) => {
                let error = format!("the arguments do not fit tool `{}`: {e}", call.name);
                return Ok(Ready::Settled(ToolOutcome::Invalid { error }));
            }
        },
        ToolRun::Agent(_) => match agent_input(&call.arguments_json) {
            Some(_) => Ready::Agent(tool),
            None => {
                let error = format!(
                    "the arguments do not fit tool `{}`: expected {{\"input\": \"...\"}}",
                    call.name
                );
                return Ok(Ready::Settled(ToolOutcome::Invalid { error }));
            }
        },
    };
    if tool.approval
        && let Some(refused) = ask_approval(core, ctx, call)?
    {
        return Ok(Ready::Settled(refused));
    }
    Ok(ready)
}

/// Asks a person whether the call may run; `Some(Refused)` when not.
fn ask_approval(
    core: &AgentCore,
    ctx: &Ctx,
    call: &ToolCall,
) -> Result<Option<ToolOutcome>, AgentError> {
    let arguments = arguments_value(&call.arguments_json);
    let mut prompt = Prompt::approval(format!(
        "Agent `{}` wants to call `{}` with {}. Allow it?",
        core.name, call.name, arguments
    ))
    .context(&json!({
        "agent": core.name,
        "tool": call.name,
        "arguments": arguments,
        "call_id": call.id,
    }));
    if let Some(t) = core.approval_timeout {
        prompt = prompt.timeout(t).default("reject");
    }
    let answer = ctx.wait_for_user(prompt).map_err(AgentError::Approval)?;
    if answer.is_approved() {
        return Ok(None);
    }
    let reason = if core.ask_refusal_reason && !answer.timed_out {
        let why = Prompt::text(format!(
            "Why may `{}` not run? The model is told (an empty answer gives no reason).",
            call.name
        ))
        .context(&json!({"agent": core.name, "tool": call.name, "call_id": call.id}));
        let text: String = ctx
            .wait_for_user(why)
            .and_then(|a| a.value::<String>())
            .map_err(|e: WaitError| AgentError::Approval(e))?;
        Some(text.trim().to_owned()).filter(|t| !t.is_empty())
    } else {
        None
    };
    Ok(Some(ToolOutcome::Refused {
        by: answer.by,
        reason,
    }))
}

/// Runs an agent offered as a tool, in the body.
fn run_agent(ctx: &Ctx, turn: u32, call: &ToolCall, tool: &AgentTool) -> CallResult {
    let ToolRun::Agent(run) = &tool.run else {
        unreachable!("only agent tools come here")
    };
    let input = agent_input(&call.arguments_json).unwrap_or_default();
    match run(ctx, input) {
        Ok((text, usage)) => {
            let mut r = settle(
                turn,
                call,
                ToolOutcome::Done {
                    output: json!(text),
                },
            );
            r.usage = usage;
            r
        }
        Err(e) => settle(
            turn,
            call,
            ToolOutcome::Failed {
                code: e.code(),
                message: format!("failed: {e}"),
            },
        ),
    }
}

/// The `input` of an agent tool's arguments.
fn agent_input(arguments: &str) -> Option<String> {
    let v: Value = serde_json::from_str(arguments).ok()?;
    v.get("input")?.as_str().map(str::to_owned)
}

fn parse_output(raw: String) -> Result<Value, StepError> {
    Ok(serde_json::from_str(&raw).unwrap_or(Value::String(raw)))
}

fn step_outcome(r: Result<Value, StepError>) -> ToolOutcome {
    match r {
        Ok(output) => ToolOutcome::Done { output },
        Err(e) => ToolOutcome::Failed {
            message: match e.attempts() {
                Some(n) => format!(
                    "failed after {n} attempt{}: {}",
                    if n == 1 { "" } else { "s" },
                    e.message
                ),
                None => e.message,
            },
            code: e.code,
        },
    }
}

/// The record of a call and the text the model gets for it.
fn settle(turn: u32, call: &ToolCall, outcome: ToolOutcome) -> CallResult {
    let content = match &outcome {
        ToolOutcome::Done {
            output: Value::String(s),
        } => s.clone(),
        ToolOutcome::Done { output } => output.to_string(),
        ToolOutcome::Failed { code, message } => {
            format!("error: tool `{}` {message} ({code})", call.name)
        }
        ToolOutcome::Refused { by, reason } => {
            let mut t = format!("refused: {by} did not allow `{}` to run", call.name);
            if let Some(r) = reason {
                t.push_str(": ");
                t.push_str(r);
            }
            t
        }
        ToolOutcome::Invalid { error } => format!("error: {error}"),
    };
    CallResult {
        record: ToolCallRecord {
            turn,
            id: call.id.clone(),
            name: call.name.clone(),
            arguments: arguments_value(&call.arguments_json),
            outcome,
        },
        content,
        usage: TokenUsage::default(),
    }
}

/// The arguments as JSON, or as a string when they are not JSON.
fn arguments_value(arguments: &str) -> Value {
    serde_json::from_str(arguments).unwrap_or_else(|_| Value::String(arguments.to_owned()))
}
