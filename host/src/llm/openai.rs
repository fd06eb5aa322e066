//! OpenAI chat completions (`POST {base_url}/chat/completions`), which
//! Ollama, vLLM, llama.cpp server, LM Studio and OpenRouter also speak.

use serde_json::{Value, json};

use super::{
    ChatRequest, ChatResponse, LlmError, Providers, ResponseFormat, Role, Target, ToolCall, Usage,
    bad_reply, retry,
};

pub(super) async fn chat(
    p: &Providers,
    target: &Target<'_>,
    req: &ChatRequest,
) -> Result<ChatResponse, LlmError> {
    let url = format!("{}/chat/completions", p.base_url(target));
    let body = request_body(target.model, req);
    let reply = retry::send(&p.settings, target.name, || {
        let mut b = p.client.post(&url).json(&body);
        if let Some(key) = &target.key {
            b = b.bearer_auth(key);
        }
        b
    })
    .await?;
    let v: Value = serde_json::from_slice(&reply.body).map_err(|e| bad_reply(target.name, e))?;
    parse_reply(target.name, &v)
}

/// The JSON body of a request.
fn request_body(model: &str, req: &ChatRequest) -> Value {
    let messages: Vec<Value> = req
        .messages
        .iter()
        .map(|m| {
            let role = match m.role {
                Role::System => "system",
                Role::User => "user",
                Role::Assistant => "assistant",
                Role::Tool => "tool",
            };
            let mut v = json!({"role": role, "content": m.content});
            if !m.tool_calls.is_empty() {
                v["tool_calls"] = m
                    .tool_calls
                    .iter()
                    .map(|c| {
                        json!({"id": c.id, "type": "function",
                               "function": {"name": c.name, "arguments": c.arguments}})
                    })
                    .collect();
            }
            if let Some(id) = &m.tool_call_id {
                v["tool_call_id"] = json!(id);
            }
            v
        })
        .collect();
    let mut body = json!({"model": model, "messages": messages});
    if let Some(t) = req.temperature {
        body["temperature"] = json!(t);
    }
    if let Some(n) = req.max_tokens {
        body["max_tokens"] = json!(n);
    }
    match &req.response_format {
        ResponseFormat::Text => {}
        ResponseFormat::Json => body["response_format"] = json!({"type": "json_object"}),
        ResponseFormat::JsonSchema(schema) => {
            body["response_format"] = json!({
                "type": "json_schema",
                "json_schema": {"name": "response", "schema": schema},
            })
        }
    }
    if !req.tools.is_empty() {
        body["tools"] = req
            .tools
            .iter()
            .map(|t| {
                json!({"type": "function", "function": {
                    "name": t.name, "description": t.description, "parameters": t.parameters,
                }})
            })
            .collect();
    }
    body
}

fn parse_reply(provider: &str, v: &Value) -> Result<ChatResponse, LlmError> {
    let choice = &v["choices"][0];
    if choice.is_null() {
        return Err(bad_reply(provider, "no `choices[0]` in the reply"));
    }
    let message = &choice["message"];
    let tool_calls = message["tool_calls"]
        .as_array()
        .map(|calls| {
            calls
                .iter()
                .map(|c| ToolCall {
                    id: c["id"].as_str().unwrap_or_default().to_string(),
                    name: c["function"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    arguments: match &c["function"]["arguments"] {
                        Value::String(s) => s.clone(),
                        Value::Null => "{}".to_string(),
                        other => other.to_string(),
                    },
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(ChatResponse {
        content: message["content"].as_str().unwrap_or_default().to_string(),
        tool_calls,
        finish_reason: choice["finish_reason"]
            .as_str()
            .unwrap_or("stop")
            .to_string(),
        usage: Usage {
            input_tokens: v["usage"]["prompt_tokens"].as_u64().unwrap_or(0) as u32,
            output_tokens: v["usage"]["completion_tokens"].as_u64().unwrap_or(0) as u32,
        },
        model: v["model"].as_str().unwrap_or_default().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::{Message, ToolDef};

    #[test]
    fn requests_carry_messages_tools_and_format() {
        let req = ChatRequest {
            model: "x/m".into(),
            messages: vec![
                Message {
                    role: Role::System,
                    content: "be brief".into(),
                    tool_calls: vec![],
                    tool_call_id: None,
                },
                Message {
                    role: Role::Tool,
                    content: "42".into(),
                    tool_calls: vec![],
                    tool_call_id: Some("c1".into()),
                },
            ],
            temperature: Some(0.5),
            max_tokens: Some(10),
            response_format: ResponseFormat::Json,
            tools: vec![ToolDef {
                name: "add".into(),
                description: "adds".into(),
                parameters: json!({"type": "object"}),
            }],
        };
        let b = request_body("m", &req);
        assert_eq!(b["model"], "m");
        assert_eq!(
            b["messages"][0],
            json!({"role": "system", "content": "be brief"})
        );
        assert_eq!(b["messages"][1]["tool_call_id"], "c1");
        assert_eq!(b["temperature"], 0.5);
        assert_eq!(b["max_tokens"], 10);
        assert_eq!(b["response_format"]["type"], "json_object");
        assert_eq!(b["tools"][0]["function"]["name"], "add");
    }

    #[test]
    fn replies_give_content_tool_calls_and_usage() {
        let v = json!({
            "model": "m-1",
            "choices": [{"message": {"content": null, "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "add", "arguments": "{\"a\":1}"}}
            ]}, "finish_reason": "tool_calls"}],
            "usage": {"prompt_tokens": 7, "completion_tokens": 3},
        });
        let r = parse_reply("x", &v).unwrap();
        assert_eq!(r.content, "");
        assert_eq!(r.tool_calls[0].arguments, "{\"a\":1}");
        assert_eq!(r.finish_reason, "tool_calls");
        assert_eq!(
            r.usage,
            Usage {
                input_tokens: 7,
                output_tokens: 3
            }
        );
        assert!(parse_reply("x", &json!({})).is_err());
    }

    #[test]
    fn several_tool_calls_in_one_reply_keep_their_order() {
        let v = json!({
            "choices": [{"message": {"content": "", "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "add", "arguments": "{\"a\":1}"}},
                {"id": "c2", "type": "function", "function": {"name": "mul", "arguments": {"b": 2}}}
            ]}, "finish_reason": "tool_calls"}],
        });
        let r = parse_reply("x", &v).unwrap();
        let ids: Vec<&str> = r.tool_calls.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["c1", "c2"]);
        assert_eq!(
            r.tool_calls[1].arguments, "{\"b\":2}",
            "an object is kept as JSON text"
        );
    }
}
