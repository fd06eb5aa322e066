//! A run of the loop so far ([`Progress`]), and what each turn adds to
//! it: the tool results, the tokens, the `agent.turn` and `agent.tool`
//! events.

use serde_json::{Value, json};

use super::calls::CallResult;
use super::{AgentCore, AgentError, AgentOutput, ToolCallRecord, ToolOutcome};
use crate::{Ctx, LlmResponse, Message, TokenUsage};

impl AgentCore {
    /// Adds a turn's tool results to the run; too many bad turns in a row
    /// stop it.
    pub(super) fn take_results<T>(
        &self,
        ctx: &Ctx,
        run: &mut Progress<T>,
        results: Vec<CallResult>,
    ) -> Result<(), AgentError> {
        let mut last_invalid = None;
        for r in results {
            self.emit_tool(ctx, &r);
            if r.invalid() {
                last_invalid = Some(r.content.clone());
            }
            add_usage(&mut run.usage, r.usage);
            run.transcript
                .push(Message::tool(r.record.id.clone(), r.content));
            run.tool_calls.push(r.record);
        }
        let Some(last) = last_invalid else {
            run.bad_turns = 0;
            return Ok(());
        };
        run.bad_turns += 1;
        if run.bad_turns > self.max_repairs {
            return Err(AgentError::BadToolCalls {
                turns: run.bad_turns,
                last,
            });
        }
        Ok(())
    }

    pub(super) fn emit_turn(&self, ctx: &Ctx, turn: u32, reply: &LlmResponse) {
        let calls: Vec<Value> = reply
            .tool_calls
            .iter()
            .map(|c| json!({"id": c.id, "name": c.name, "arguments": c.arguments_json}))
            .collect();
        ctx.emit(
            "agent.turn",
            &json!({
                "agent": self.name,
                "turn": turn,
                "content": reply.content,
                "tool_calls": calls,
                "finish_reason": reply.finish_reason,
                "input_tokens": reply.usage.input_tokens,
                "output_tokens": reply.usage.output_tokens,
            }),
        );
    }

    fn emit_tool(&self, ctx: &Ctx, r: &CallResult) {
        let status = match &r.record.outcome {
            ToolOutcome::Done { .. } => "done",
            ToolOutcome::Failed { .. } => "failed",
            ToolOutcome::Refused { .. } => "refused",
            ToolOutcome::Invalid { .. } => "invalid",
        };
        ctx.emit(
            "agent.tool",
            &json!({
                "agent": self.name,
                "turn": r.record.turn,
                "call_id": r.record.id,
                "tool": r.record.name,
                "arguments": r.record.arguments,
                "status": status,
                "result": r.content,
            }),
        );
    }
}

/// A run of the loop so far.
pub(super) struct Progress<T> {
    pub(super) transcript: Vec<Message>,
    pub(super) turns: u32,
    pub(super) usage: TokenUsage,
    pub(super) tool_calls: Vec<ToolCallRecord>,
    pub(super) repaired_output: bool,
    pub(super) bad_turns: u32,
    /// The token budget now (extended when a person allowed more).
    pub(super) budget: Option<u64>,
    /// When the run started, with a deadline (journaled time).
    pub(super) started: Option<std::time::SystemTime>,
    pub(super) _output: std::marker::PhantomData<fn() -> T>,
}

impl<T> Progress<T> {
    pub(super) fn new(core: &AgentCore, ctx: Option<&Ctx>, input: String) -> Self {
        let mut transcript = Vec::new();
        if let Some(i) = &core.instructions {
            transcript.push(Message::system(i.clone()));
        }
        transcript.push(Message::user(input));
        Progress {
            transcript,
            turns: 0,
            usage: TokenUsage::default(),
            tool_calls: Vec::new(),
            repaired_output: false,
            bad_turns: 0,
            budget: core.budget_tokens,
            started: core.deadline.and(ctx).map(Ctx::now),
            _output: std::marker::PhantomData,
        }
    }

    pub(super) fn finish(self, output: T) -> AgentOutput<T> {
        AgentOutput {
            output,
            turns: self.turns,
            tool_calls: self.tool_calls,
            usage: self.usage,
            transcript: self.transcript,
        }
    }
}

pub(super) fn add_usage(total: &mut TokenUsage, more: TokenUsage) {
    total.input_tokens = total.input_tokens.saturating_add(more.input_tokens);
    total.output_tokens = total.output_tokens.saturating_add(more.output_tokens);
}
