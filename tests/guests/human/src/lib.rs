//! Test guest `human`: prompts, signals and LLM calls, driven by input.
//!
//! Workflows:
//! - `ask`: builds a prompt from its input
//!   `{"type": "approval"|"text"|"choice"|"number"|"json", "question"?,
//!   "options"?: [[id, label]], "min"?, "max"?, "schema"?, "timeout_ms"?,
//!   "default"?}`, waits, and returns `{"value", "by", "timed_out"}`. A
//!   timeout without default fails the run with code `timeout`.
//! - `await_signal`: `{"name", "timeout_ms"?, "sleep_ms"?, "count"?}`:
//!   sleeps first if asked (so a signal can arrive before the wait), then
//!   waits `count` times (default 1) for the signal; returns `{"payloads"}`.
//! - `chat`: `{"model", "prompt", "system"?, "json"?, "sleep_ms"?}`: one
//!   `ctx.llm` call, then a durable sleep if asked; returns the reply as
//!   `{"content", "finish_reason", "input_tokens", "output_tokens", "model",
//!   "tool_calls"}`. An LLM error fails the run with its code.
//! - `chat_in_step`: `{"model", "prompt"}`: the same call made by the step
//!   `ask_model`; returns its content.

use cairn_sdk::prelude::*;

#[data]
#[derive(Debug)]
struct AskInput {
    #[serde(rename = "type")]
    input_type: String,
    #[serde(default)]
    question: Option<String>,
    #[serde(default)]
    options: Vec<(String, String)>,
    #[serde(default)]
    min: Option<f64>,
    #[serde(default)]
    max: Option<f64>,
    #[serde(default)]
    schema: Option<Value>,
    #[serde(default)]
    timeout_ms: Option<u64>,
    #[serde(default)]
    default: Option<Value>,
}

#[workflow]
fn ask(ctx: &Ctx, input: AskInput) -> Result<Value, WorkflowError> {
    let q = input.question.unwrap_or_else(|| "Well?".to_owned());
    let mut p = match input.input_type.as_str() {
        "approval" => Prompt::approval(q),
        "text" => Prompt::text(q),
        "choice" => Prompt::choice(q, Vec::<PromptOptionIn>::new()),
        "number" => Prompt::number(q),
        "json" => Prompt::json(q),
        other => return Err(WorkflowError::new(format!("unknown type {other}"))),
    };
    for o in input.options {
        p = p.option(o);
    }
    if let Some(m) = input.min {
        p = p.min(m);
    }
    if let Some(m) = input.max {
        p = p.max(m);
    }
    if let Some(s) = &input.schema {
        p = p.schema(s);
    }
    if let Some(t) = input.timeout_ms {
        p = p.timeout(Duration::from_millis(t));
    }
    if let Some(d) = &input.default {
        p = p.default(d);
    }
    p = p.context(&json!({"asked_by": "the test guest"}));
    let answer = ctx.wait_for_user(p)?;
    Ok(json!({
        "value": answer.json(),
        "by": answer.by,
        "timed_out": answer.timed_out,
        "approved": answer.is_approved(),
    }))
}

type PromptOptionIn = cairn_sdk::PromptOption;

#[data]
#[derive(Debug)]
struct SignalInput {
    name: String,
    #[serde(default)]
    timeout_ms: Option<u64>,
    #[serde(default)]
    sleep_ms: Option<u64>,
    #[serde(default)]
    count: Option<u32>,
}

#[workflow]
fn await_signal(ctx: &Ctx, input: SignalInput) -> Result<Value, WorkflowError> {
    if let Some(ms) = input.sleep_ms {
        ctx.sleep(Duration::from_millis(ms))?;
    }
    let mut payloads = Vec::new();
    for _ in 0..input.count.unwrap_or(1) {
        let v: Value =
            ctx.wait_for_event(&input.name, input.timeout_ms.map(Duration::from_millis))?;
        payloads.push(v);
    }
    Ok(json!({ "payloads": payloads }))
}

#[data]
#[derive(Debug)]
struct ChatInput {
    model: String,
    prompt: String,
    #[serde(default)]
    system: Option<String>,
    #[serde(default)]
    json: bool,
    #[serde(default)]
    sleep_ms: Option<u64>,
}

fn request(input: &ChatInput) -> LlmRequest {
    let mut r = LlmRequest::new(&input.model);
    if let Some(s) = &input.system {
        r = r.system(s);
    }
    r = r.user(&input.prompt).temperature(0.5).max_tokens(64);
    if input.json {
        r = r.json();
    }
    r
}

#[workflow]
fn chat(ctx: &Ctx, input: ChatInput) -> Result<Value, WorkflowError> {
    let reply = ctx.llm(request(&input))?;
    if let Some(ms) = input.sleep_ms {
        ctx.sleep(Duration::from_millis(ms))?;
    }
    Ok(json!({
        "content": reply.content,
        "finish_reason": reply.finish_reason,
        "input_tokens": reply.usage.input_tokens,
        "output_tokens": reply.usage.output_tokens,
        "model": reply.model,
        "tool_calls": reply.tool_calls.iter()
            .map(|c| json!({"id": c.id, "name": c.name, "arguments": c.arguments_json}))
            .collect::<Vec<_>>(),
    }))
}

#[step(max_attempts = 1)]
fn ask_model(model: String, prompt: String) -> Result<String, StepError> {
    let reply = cairn_sdk::llm::call(LlmRequest::new(model).user(prompt))?;
    Ok(reply.content)
}

#[workflow]
fn chat_in_step(ctx: &Ctx, input: ChatInput) -> Result<Value, WorkflowError> {
    let content = ctx.step(ask_model, (input.model, input.prompt))?;
    Ok(json!({ "content": content }))
}
