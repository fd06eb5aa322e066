//! Anthropic's Messages API (`POST {base_url}/messages`, `x-api-key` and
//! `anthropic-version` headers).
//!
//! The request's system messages become the `system` field, tool results
//! become `tool_result` blocks of a user turn, and stop reasons are mapped
//! to the OpenAI names (`end_turn` → `stop`, `max_tokens` → `length`,
//! `tool_use` → `tool_calls`). The API has no JSON mode: a JSON response
//! format is asked for in the system prompt.

use serde_json::{Value, json};

use super::{
    ChatRequest, ChatResponse, LlmError, Providers, ResponseFormat, Role, Target, ToolCall, Usage,
    bad_reply, retry,
};

/// The API version cairn speaks.
const API_VERSION: &str = "2023-06-01";
/// The API requires `max_tokens`; this is used when the request has none.
const DEFAULT_MAX_TOKENS: u32 = 4096;

pub(super) async fn chat(
    p: &Providers,
    target: &Target<'_>,
    req: &ChatRequest,
) -> Result<ChatResponse, LlmError> {
    let url = format!("{}/messages", p.base_url(target));
    let body = request_body(target.model, req);
    let reply = retry::send(&p.settings, target.name, || {
        let mut b = p
            .client
            .post(&url)
            .header("anthropic-version", API_VERSION)
            .json(&body);
        if let Some(key) = &target.key {
            b = b.header("x-api-key", key);
        }
        b
    })
    .await?;
    let v: Value = serde_json::from_slice(&reply.body).map_err(|e| bad_reply(target.name, e))?;
    parse_reply(target.name, &v)
}

fn request_body(model: &str, req: &ChatRequest) -> Value {
    let mut system: Vec<String> = Vec::new();
    let mut messages: Vec<Value> = Vec::new();
    for m in &req.messages {
        match m.role {
            Role::System => system.push(m.content.clone()),
            Role::User => messages.push(json!({"role": "user", "content": m.content})),
            Role::Assistant if m.tool_calls.is_empty() => {
                messages.push(json!({"role": "assistant", "content": m.content}))
            }
            Role::Assistant => {
                let mut blocks = Vec::new();
                if !m.content.is_empty() {
                    blocks.push(json!({"type": "text", "text": m.content}));
                }
                for c in &m.tool_calls {
                    let input: Value =
                        serde_json::from_str(&c.arguments).unwrap_or_else(|_| json!({}));
                    blocks.push(
                        json!({"type": "tool_use", "id": c.id, "name": c.name, "input": input}),
                    );
                }
                messages.push(json!({"role": "assistant", "content": blocks}));
            }
            Role::Tool => push_tool_result(&mut messages, m),
        }
    }
    match &req.response_format {
        ResponseFormat::Text => {}
        ResponseFormat::Json => {
            system.push("Reply with one JSON object and nothing else.".to_string())
        }
        ResponseFormat::JsonSchema(schema) => system.push(format!(
            "Reply with one JSON value matching this JSON Schema, and nothing else: {schema}"
        )),
    }
    let mut body = json!({
        "model": model,
        "max_tokens": req.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
        "messages": messages,
    });
    if !system.is_empty() {
        body["system"] = json!(system.join("\n\n"));
    }
    if let Some(t) = req.temperature {
        body["temperature"] = json!(t);
    }
    if !req.tools.is_empty() {
        body["tools"] = req
            .tools
            .iter()
            .map(|t| {
                json!({"name": t.name, "description": t.description, "input_schema": t.parameters})
            })
            .collect();
    }
    body
}

/// A tool result is a `tool_result` block of a user turn; the results of
/// one reply's several `tool_use` blocks go into the same turn, as the API
/// wants them (one user turn answering every call of the turn before).
fn push_tool_result(messages: &mut Vec<Value>, m: &super::Message) {
    let block = json!({
        "type": "tool_result",
        "tool_use_id": m.tool_call_id.clone().unwrap_or_default(),
        "content": m.content,
    });
    if let Some(last) = messages.last_mut()
        && last["role"] == "user"
        && let Some(blocks) = last["content"].as_array_mut()
        && blocks.iter().all(|b| b["type"] == "tool_result")
    {
        blocks.push(block);
        return;
    }
    messages.push(json!({"role": "user", "content": [block]}));
}

fn parse_reply(provider: &str, v: &Value) -> Result<ChatResponse, LlmError> {
    let Some(blocks) = v["content"].as_array() else {
        return Err(bad_reply(provider, "no `content` in the reply"));
    };
    let mut content = String::new();
    let mut tool_calls = Vec::new();
    for b in blocks {
        match b["type"].as_str() {
            Some("text") => content.push_str(b["text"].as_str().unwrap_or_default()),
            Some("tool_use") => tool_calls.push(ToolCall {
                id: b["id"].as_str().unwrap_or_default().to_string(),
                name: b["name"].as_str().unwrap_or_default().to_string(),
                arguments: b["input"].to_string(),
            }),
            _ => {}
        }
    }
    let finish_reason = match v["stop_reason"].as_str() {
        Some("end_turn") | Some("stop_sequence") | None => "stop",
        Some("max_tokens") => "length",
        Some("tool_use") => "tool_calls",
        Some("refusal") => "content_filter",
        Some(other) => other,
    };
    Ok(ChatResponse {
        content,
        tool_calls,
        finish_reason: finish_reason.to_string(),
        usage: Usage {
            input_tokens: v["usage"]["input_tokens"].as_u64().unwrap_or(0) as u32,
            output_tokens: v["usage"]["output_tokens"].as_u64().unwrap_or(0) as u32,
        },
        model: v["model"].as_str().unwrap_or_default().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::Message;

    fn msg(role: Role, content: &str) -> Message {
        Message {
            role,
            content: content.into(),
            tool_calls: vec![],
            tool_call_id: None,
        }
    }

    #[test]
    fn system_messages_move_to_the_system_field() {
        let req = ChatRequest {
            model: "a/claude".into(),
            messages: vec![msg(Role::System, "be brief"), msg(Role::User, "hi")],
            temperature: None,
            max_tokens: None,
            response_format: ResponseFormat::Json,
            tools: vec![],
        };
        let b = request_body("claude", &req);
        assert_eq!(b["max_tokens"], DEFAULT_MAX_TOKENS);
        assert!(b["system"].as_str().unwrap().starts_with("be brief\n\n"));
        assert_eq!(b["messages"], json!([{"role": "user", "content": "hi"}]));
    }

    #[test]
    fn replies_map_blocks_and_stop_reasons() {
        let v = json!({
            "model": "claude-x",
            "content": [{"type": "text", "text": "let me add"},
                        {"type": "tool_use", "id": "t1", "name": "add", "input": {"a": 1}}],
            "stop_reason": "tool_use",
            "usage": {"input_tokens": 11, "output_tokens": 5},
        });
        let r = parse_reply("a", &v).unwrap();
        assert_eq!(r.content, "let me add");
        assert_eq!(r.tool_calls[0].arguments, "{\"a\":1}");
        assert_eq!(r.finish_reason, "tool_calls");
        assert_eq!(r.usage.output_tokens, 5);
    }

    #[test]
    fn several_tool_calls_and_their_results_make_one_turn_each() {
        let call = |id: &str| ToolCall {
            id: id.into(),
            name: "add".into(),
            arguments: "{\"a\":1}".into(),
        };
        let result = |id: &str, content: &str| Message {
            tool_call_id: Some(id.into()),
            ..msg(Role::Tool, content)
        };
        let req = ChatRequest {
            model: "a/claude".into(),
            messages: vec![
                msg(Role::User, "add twice"),
                Message {
                    tool_calls: vec![call("t1"), call("t2")],
                    ..msg(Role::Assistant, "")
                },
                result("t1", "2"),
                result("t2", "3"),
                msg(Role::User, "thanks"),
            ],
            temperature: None,
            max_tokens: None,
            response_format: ResponseFormat::Text,
            tools: vec![],
        };
        let b = request_body("claude", &req);
        let m = b["messages"].as_array().unwrap();
        assert_eq!(m.len(), 4, "{m:#?}");
        let uses = m[1]["content"].as_array().unwrap();
        assert_eq!(uses.len(), 2);
        assert_eq!(uses[1]["id"], "t2");
        assert_eq!(uses[1]["input"], json!({"a": 1}));
        let results = m[2]["content"].as_array().unwrap();
        assert_eq!(results.len(), 2);
        assert_eq!(results[0]["tool_use_id"], "t1");
        assert_eq!(
            results[1],
            json!({"type": "tool_result", "tool_use_id": "t2", "content": "3"})
        );
        assert_eq!(m[3], json!({"role": "user", "content": "thanks"}));

        let v = json!({
            "content": [{"type": "tool_use", "id": "t1", "name": "add", "input": {"a": 1}},
                        {"type": "tool_use", "id": "t2", "name": "mul", "input": {"b": 2}}],
            "stop_reason": "tool_use",
        });
        let r = parse_reply("a", &v).unwrap();
        assert_eq!(r.tool_calls.len(), 2);
        assert_eq!(r.tool_calls[1].name, "mul");
        assert_eq!(r.tool_calls[1].arguments, "{\"b\":2}");
    }
}
