//! `ctx.llm` in the body: journaled as (`llm`, MODEL, n) with the hash of
//! the request, so a replay returns the recorded reply (or failure) and
//! never calls the provider again. The reply's token usage is added to
//! the run's totals in the same transaction as the entry.
//!
//! Also the translation between the WIT types and [`crate::llm`]'s, which
//! `step/llm.rs` shares.

use crate::error_code::ErrorCode;
use serde_json::{Value, json};

use crate::engine::bindings::context::{LlmError, LlmRequest, LlmResponse};
use crate::engine::bindings::types::{
    ErrorInfo, Message, ResponseFormat, Role, TokenUsage, ToolCall,
};
use crate::journal::{
    EntryKind, ErrorRecord, EventKind, JournalEntry, LlmReplyRecord, LlmToolCallRecord, LlmUsage,
    LlmUsageRecord, NewEvent, StateEffect, record_json,
};
use crate::llm;

use super::BodyCx;
use crate::runtime::run::interrupt::Interrupt;
use crate::runtime::run::replay::input_hash;

/// The body called an LLM.
pub async fn llm(
    cx: &mut BodyCx,
    request: LlmRequest,
) -> wasmtime::Result<Result<LlmResponse, LlmError>> {
    let key = cx.log.next_key(EntryKind::Llm, &request.model);
    let hash = input_hash(&[request_json(&request).to_string().as_bytes()]);
    if let Some(e) = cx.replayed(&key, Some(&hash))? {
        return decode(&cx.run.id, &e);
    }
    // A malformed request fails the same way on every replay: not journaled.
    let chat = match to_chat_request(&request) {
        Ok(c) => c,
        Err(e) => return Ok(Err(e)),
    };
    // The call is billed: what the body decided before it must be durable,
    // and this worker must still hold the run.
    cx.barrier().await?;
    cx.rt.lease_check(&cx.active).map_err(Interrupt::trap)?;
    let providers = cx.rt.llm.clone();
    let active = cx.active.clone();
    let started = std::time::Instant::now();
    let result = active
        .unless_stopped(providers.chat(&chat))
        .await
        .map_err(Interrupt::trap)?;
    let ms = started.elapsed().as_millis() as u64;
    let entry = match result {
        Ok(reply) => {
            let value = record_json(&reply_record(&reply));
            cx.check_size(&format!("the reply of {}", request.model), &value)?;
            let usage = LlmUsage {
                calls: 1,
                input_tokens: u64::from(reply.usage.input_tokens),
                output_tokens: u64::from(reply.usage.output_tokens),
            };
            let ev = llm_event(&request.model, &reply, ms, None);
            let effect = StateEffect::LlmUsage(usage);
            cx.record(&key, Some(hash), true, Some(value), Some(effect), vec![ev])
        }
        Err(e) => {
            let error = error_record(&e);
            let ev = NewEvent {
                at: crate::clock::now_ms(),
                kind: EventKind::Llm,
                data: json!({"model": request.model, "error": error, "ms": ms}),
            };
            let value = serde_json::to_string(&error).expect("errors serialize");
            cx.record(&key, Some(hash), false, Some(value), None, vec![ev])
        }
    };
    // Like a step's result, the reply is durable before the body sees it.
    cx.barrier().await?;
    decode(&cx.run.id, &entry)
}

/// The `llm` event of one call, for `runs watch` and `runs show`.
pub(in crate::runtime) fn llm_event(
    model: &str,
    reply: &llm::ChatResponse,
    ms: u64,
    step: Option<&str>,
) -> NewEvent {
    let mut data = json!({
        "model": model,
        "answered_by": reply.model,
        "finish_reason": reply.finish_reason,
        "input_tokens": reply.usage.input_tokens,
        "output_tokens": reply.usage.output_tokens,
        "ms": ms,
    });
    if let Some(step) = step {
        data["step"] = json!(step);
    }
    NewEvent {
        at: crate::clock::now_ms(),
        kind: EventKind::Llm,
        data,
    }
}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::System => "system",
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::Tool => "tool",
    }
}

fn tool_calls_json(calls: &[ToolCall]) -> Value {
    calls
        .iter()
        .map(|c| json!({"id": c.id, "name": c.name, "arguments": c.arguments}))
        .collect()
}

/// The request as canonical JSON: what its input hash covers.
fn request_json(r: &LlmRequest) -> Value {
    let messages: Vec<Value> = r
        .messages
        .iter()
        .map(|m| {
            json!({"role": role_name(m.role), "content": m.content,
                   "tool_calls": tool_calls_json(&m.tool_calls), "tool_call_id": m.tool_call_id})
        })
        .collect();
    let format = match &r.response_format {
        ResponseFormat::Text => json!("text"),
        ResponseFormat::Json => json!("json"),
        ResponseFormat::JsonSchema(s) => json!({"json_schema": s}),
    };
    let tools: Vec<Value> = r
        .tools
        .iter()
        .map(|t| json!({"name": t.name, "description": t.description, "parameters": t.parameters}))
        .collect();
    json!({"model": r.model, "messages": messages, "temperature": r.temperature,
           "max_tokens": r.max_tokens, "response_format": format, "tools": tools})
}

/// The WIT request as the providers take it; `Err` for JSON that does not
/// parse.
pub(in crate::runtime) fn to_chat_request(r: &LlmRequest) -> Result<llm::ChatRequest, LlmError> {
    let parse = |what: &str, text: &str| -> Result<Value, LlmError> {
        serde_json::from_str(text)
            .map_err(|e| LlmError::BadRequest(format!("{what} is not valid JSON: {e}")))
    };
    if r.messages.is_empty() {
        return Err(LlmError::BadRequest("the request has no messages".into()));
    }
    let response_format = match &r.response_format {
        ResponseFormat::Text => llm::ResponseFormat::Text,
        ResponseFormat::Json => llm::ResponseFormat::Json,
        ResponseFormat::JsonSchema(s) => {
            llm::ResponseFormat::JsonSchema(parse("the response format's JSON Schema", s)?)
        }
    };
    let mut tools = Vec::with_capacity(r.tools.len());
    for t in &r.tools {
        tools.push(llm::ToolDef {
            name: t.name.clone(),
            description: t.description.clone(),
            parameters: parse(
                &format!("the parameters of tool `{}`", t.name),
                &t.parameters,
            )?,
        });
    }
    Ok(llm::ChatRequest {
        model: r.model.clone(),
        messages: r.messages.iter().map(to_message).collect(),
        temperature: r.temperature,
        max_tokens: r.max_tokens,
        response_format,
        tools,
    })
}

fn to_message(m: &Message) -> llm::Message {
    llm::Message {
        role: match m.role {
            Role::System => llm::Role::System,
            Role::User => llm::Role::User,
            Role::Assistant => llm::Role::Assistant,
            Role::Tool => llm::Role::Tool,
        },
        content: m.content.clone(),
        tool_calls: m
            .tool_calls
            .iter()
            .map(|c| llm::ToolCall {
                id: c.id.clone(),
                name: c.name.clone(),
                arguments: c.arguments.clone(),
            })
            .collect(),
        tool_call_id: m.tool_call_id.clone(),
    }
}

/// A reply as journaled.
fn reply_record(r: &llm::ChatResponse) -> LlmReplyRecord {
    LlmReplyRecord {
        content: r.content.clone(),
        tool_calls: r
            .tool_calls
            .iter()
            .map(|c| LlmToolCallRecord {
                id: c.id.clone(),
                name: c.name.clone(),
                arguments: c.arguments.clone(),
            })
            .collect(),
        finish_reason: r.finish_reason.clone(),
        usage: LlmUsageRecord {
            input_tokens: r.usage.input_tokens,
            output_tokens: r.usage.output_tokens,
        },
        model: r.model.clone(),
    }
}

/// A reply as the guest receives it.
pub(in crate::runtime) fn to_wit_response(r: llm::ChatResponse) -> LlmResponse {
    LlmResponse {
        content: r.content,
        tool_calls: r
            .tool_calls
            .into_iter()
            .map(|c| ToolCall {
                id: c.id,
                name: c.name,
                arguments: c.arguments,
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

/// A failure as journaled: `not-configured`, `bad-request`, or the
/// provider's failure code with details.
fn error_record(e: &llm::LlmError) -> ErrorRecord {
    match e {
        llm::LlmError::NotConfigured(m) => ErrorRecord::new(ErrorCode::NotConfigured, m.clone()),
        llm::LlmError::BadRequest(m) => ErrorRecord::new(ErrorCode::BadRequest, m.clone()),
        llm::LlmError::Provider {
            provider,
            code,
            message,
            status,
            attempts,
        } => ErrorRecord {
            code: (*code).into(),
            message: message.clone(),
            details: Some(json!({"provider": provider, "status": status, "attempts": attempts})),
        },
    }
}

/// A failure as the guest receives it.
pub(in crate::runtime) fn to_wit_error(e: &llm::LlmError) -> LlmError {
    from_record(error_record(e))
}

fn from_record(error: ErrorRecord) -> LlmError {
    match error.code.as_str() {
        "not-configured" => LlmError::NotConfigured(error.message),
        "bad-request" => LlmError::BadRequest(error.message),
        _ => LlmError::Provider(ErrorInfo {
            code: error.code,
            message: error.message,
            details: error.details.map(|d| d.to_string()),
        }),
    }
}

/// A journaled call as the body receives it; an entry that does not
/// decode is the journal's corruption, naming the run and seq.
fn decode(run_id: &str, e: &JournalEntry) -> wasmtime::Result<Result<LlmResponse, LlmError>> {
    if !e.ok {
        let error: ErrorRecord = e.decode(run_id).map_err(wasmtime::Error::new)?;
        return Ok(Err(from_record(error)));
    }
    let r: LlmReplyRecord = e.decode(run_id).map_err(wasmtime::Error::new)?;
    Ok(Ok(to_wit_response(llm::ChatResponse {
        content: r.content,
        tool_calls: r
            .tool_calls
            .into_iter()
            .map(|c| llm::ToolCall {
                id: c.id,
                name: c.name,
                arguments: c.arguments,
            })
            .collect(),
        finish_reason: r.finish_reason,
        usage: llm::Usage {
            input_tokens: r.usage.input_tokens,
            output_tokens: r.usage.output_tokens,
        },
        model: r.model,
    })))
}
