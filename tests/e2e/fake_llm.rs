//! Fake LLM providers on 127.0.0.1: an OpenAI-compatible
//! chat-completions server and an Anthropic Messages server. Each records
//! every request (path, headers, JSON body) and answers from a script of
//! replies, then with a fixed reply.

#![allow(dead_code)] // each test module uses a different part of it

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::Cairn;

/// Which API the fake speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    OpenAi,
    Anthropic,
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct LlmHit {
    pub method: String,
    pub path: String,
    /// Header names in lower case.
    pub headers: HashMap<String, String>,
    pub body: Value,
    pub at: Instant,
}

/// A scripted reply.
#[derive(Debug, Clone)]
struct Reply {
    delay: Duration,
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

#[derive(Clone)]
pub struct FakeLlm {
    pub port: u16,
    pub flavor: Flavor,
    hits: Arc<Mutex<Vec<LlmHit>>>,
    script: Arc<Mutex<VecDeque<Reply>>>,
    content: Arc<Mutex<String>>,
}

impl FakeLlm {
    pub fn start(flavor: Flavor) -> FakeLlm {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let f = FakeLlm {
            port,
            flavor,
            hits: Arc::default(),
            script: Arc::default(),
            content: Arc::new(Mutex::new("a fake reply".into())),
        };
        let server = f.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let server = server.clone();
                std::thread::spawn(move || server.handle(conn));
            }
        });
        f
    }

    pub fn openai() -> FakeLlm {
        Self::start(Flavor::OpenAi)
    }

    pub fn anthropic() -> FakeLlm {
        Self::start(Flavor::Anthropic)
    }

    /// The base URL to configure (`.../v1`).
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    /// The content of every unscripted reply.
    pub fn reply_with(&self, content: &str) {
        *self.content.lock().unwrap() = content.to_string();
    }

    /// Answers the next unanswered request with `status`, these headers
    /// and this body.
    pub fn then(&self, status: u16, headers: &[(&str, &str)], body: &str) {
        self.then_after(Duration::ZERO, status, headers, body);
    }

    /// Like [`FakeLlm::then`], answering only after `delay`.
    pub fn then_after(&self, delay: Duration, status: u16, headers: &[(&str, &str)], body: &str) {
        self.script.lock().unwrap().push_back(Reply {
            delay,
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.to_string(),
        });
    }

    /// Scripts the next reply: the model says `content` (a final answer).
    pub fn then_say(&self, content: &str) {
        self.then_json(&self.reply_body(content, &[]));
    }

    /// Scripts the next reply: the model asks for these tool calls, `(id,
    /// name, arguments)`, in order, in one reply.
    pub fn then_call(&self, calls: &[(&str, &str, Value)]) {
        self.then_json(&self.reply_body("", calls));
    }

    fn then_json(&self, body: &str) {
        self.then(200, &[("Content-Type", "application/json")], body);
    }

    /// A reply of this flavor with `content` and `calls`, and the default
    /// usage (OpenAI 21 + 7 tokens, Anthropic 13 + 5).
    pub fn reply_body(&self, content: &str, calls: &[(&str, &str, Value)]) -> String {
        let body = match self.flavor {
            Flavor::OpenAi => {
                let calls: Vec<Value> = calls
                    .iter()
                    .map(|(id, name, args)| {
                        json!({"id": id, "type": "function",
                               "function": {"name": name, "arguments": args.to_string()}})
                    })
                    .collect();
                let mut message = json!({"role": "assistant", "content": content});
                let finish = if calls.is_empty() {
                    "stop"
                } else {
                    "tool_calls"
                };
                if !calls.is_empty() {
                    message["tool_calls"] = json!(calls);
                }
                json!({
                    "id": "chatcmpl-fake", "object": "chat.completion", "model": "fake-0001",
                    "choices": [{"index": 0, "finish_reason": finish, "message": message}],
                    "usage": {"prompt_tokens": 21, "completion_tokens": 7, "total_tokens": 28},
                })
            }
            Flavor::Anthropic => {
                let mut blocks = Vec::new();
                if !content.is_empty() {
                    blocks.push(json!({"type": "text", "text": content}));
                }
                for (id, name, args) in calls {
                    blocks.push(json!({"type": "tool_use", "id": id, "name": name, "input": args}));
                }
                let stop = if calls.is_empty() {
                    "end_turn"
                } else {
                    "tool_use"
                };
                json!({
                    "id": "msg_fake", "type": "message", "role": "assistant", "model": "fake-0001",
                    "content": blocks, "stop_reason": stop,
                    "usage": {"input_tokens": 13, "output_tokens": 5},
                })
            }
        };
        body.to_string()
    }

    /// The tool results request `n` carried, `(call id, content)` in order,
    /// in either flavor's form.
    pub fn tool_results(&self, n: usize) -> Vec<(String, String)> {
        let body = &self.hits()[n].body;
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        let mut out = Vec::new();
        for m in body["messages"].as_array().into_iter().flatten() {
            match self.flavor {
                Flavor::OpenAi if m["role"] == "tool" => {
                    out.push((text(&m["tool_call_id"]), text(&m["content"])))
                }
                Flavor::Anthropic if m["role"] == "user" => {
                    for b in m["content"].as_array().into_iter().flatten() {
                        if b["type"] == "tool_result" {
                            out.push((text(&b["tool_use_id"]), text(&b["content"])));
                        }
                    }
                }
                _ => {}
            }
        }
        out
    }

    pub fn hits(&self) -> Vec<LlmHit> {
        self.hits.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.hits.lock().unwrap().len()
    }

    /// Waits until the fake has seen `n` requests.
    pub fn wait_count(&self, n: usize, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while self.count() < n {
            assert!(
                Instant::now() < deadline,
                "the fake LLM saw {} requests, not {n}",
                self.count()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn default_reply(&self, request: &Value) -> Reply {
        let content = self.content.lock().unwrap().clone();
        let model = request["model"].as_str().unwrap_or("?");
        let body = match self.flavor {
            Flavor::OpenAi => json!({
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "model": format!("{model}-0001"),
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": content}}],
                "usage": {"prompt_tokens": 21, "completion_tokens": 7, "total_tokens": 28},
            }),
            Flavor::Anthropic => json!({
                "id": "msg_fake",
                "type": "message",
                "role": "assistant",
                "model": format!("{model}-0001"),
                "content": [{"type": "text", "text": content}],
                "stop_reason": "end_turn",
                "usage": {"input_tokens": 13, "output_tokens": 5},
            }),
        };
        Reply {
            delay: Duration::ZERO,
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.to_string(),
        }
    }

    fn handle(&self, mut conn: TcpStream) {
        let mut reader = BufReader::new(conn.try_clone().unwrap());
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let path = parts.next().unwrap_or("/").to_string();
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                break;
            }
            if let Some((name, value)) = h.split_once(':') {
                headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
            }
        }
        let len: usize = headers
            .get("content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        let _ = reader.read_exact(&mut body);
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let reply = self
            .script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| self.default_reply(&body));
        self.hits.lock().unwrap().push(LlmHit {
            method,
            path,
            headers,
            body,
            at: Instant::now(),
        });
        std::thread::sleep(reply.delay);
        let mut head = format!(
            "HTTP/1.1 {} Fake\r\nContent-Length: {}\r\nConnection: close\r\n",
            reply.status,
            reply.body.len()
        );
        for (k, v) in &reply.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        let _ = write!(conn, "{head}\r\n{}", reply.body);
    }
}

/// Writes `cairn.toml` in the test's directory (the commands run there).
pub fn write_config(c: &Cairn, text: &str) {
    std::fs::write(c.dir.path().join("cairn.toml"), text).unwrap();
}

/// A `[llm.providers.NAME]` section for `fake`, with its key in
/// `key_env`, and fast retries.
pub fn provider_config(name: &str, fake: &FakeLlm, key_env: &str) -> String {
    let kind = match fake.flavor {
        Flavor::OpenAi => "openai",
        Flavor::Anthropic => "anthropic",
    };
    format!(
        "[llm]\nmax_attempts = 3\nbackoff_ms = 50\ntimeout_secs = 10\n\n\
         [llm.providers.{name}]\nkind = \"{kind}\"\nbase_url = \"{}\"\napi_key_env = \"{key_env}\"\n",
        fake.base_url()
    )
}
