//! LLM calls against fake providers on 127.0.0.1: the exact request the
//! host sends, replay without a second request, retries, failures.

use std::time::Duration;

use serde_json::json;

use crate::fake_llm::{FakeLlm, provider_config, write_config};
use crate::support::{Cairn, SideEffects, entries, events, kill9};

const KEY_ENV: &str = "CAIRN_TEST_FAKE_LLM_KEY";

fn chat_input(model: &str) -> String {
    json!({"model": model, "system": "Be brief.", "prompt": "Say hello.", "json": true}).to_string()
}

#[test]
fn an_openai_compatible_call_sends_the_request_and_journals_the_reply() {
    let fake = FakeLlm::openai();
    fake.reply_with("{\"greeting\": \"hello\"}");
    let c = Cairn::new().env(KEY_ENV, "sk-test-123");
    write_config(&c, &provider_config("fake", &fake, KEY_ENV));
    c.deploy("human", &[]);
    let out = c.json(&["run", "chat", "--input", &chat_input("fake/gpt-test")]);
    assert_eq!(out["status"], "completed", "{out:#}");
    let o = &out["output"];
    assert_eq!(o["content"], "{\"greeting\": \"hello\"}");
    assert_eq!(o["finish_reason"], "stop");
    assert_eq!(o["input_tokens"], 21);
    assert_eq!(o["output_tokens"], 7);
    assert_eq!(o["model"], "gpt-test-0001");

    let hits = fake.hits();
    assert_eq!(hits.len(), 1, "{hits:#?}");
    let h = &hits[0];
    assert_eq!(h.method, "POST");
    assert_eq!(h.path, "/v1/chat/completions");
    assert_eq!(h.headers["authorization"], "Bearer sk-test-123");
    assert_eq!(
        h.body,
        json!({
            "model": "gpt-test",
            "messages": [{"role": "system", "content": "Be brief."},
                         {"role": "user", "content": "Say hello."}],
            "temperature": 0.5,
            "max_tokens": 64,
            "response_format": {"type": "json_object"},
        })
    );

    let run = out["run_id"].as_str().unwrap();
    let show = c.show(run);
    let llm = entries(&show, "llm");
    assert_eq!(llm.len(), 1);
    assert_eq!(llm[0]["name"], "fake/gpt-test");
    assert_eq!(
        show["llm"],
        json!({"calls": 1, "input_tokens": 21, "output_tokens": 7})
    );
    assert_eq!(show["llm_calls"][0]["finish_reason"], "stop");
    let listed = c.json(&["runs"]);
    assert_eq!(listed["runs"][0]["llm"]["output_tokens"], 7);
    let text = c.run(&["runs", "show", run]).code(0).stdout;
    assert!(
        text.contains("1 call, 21 input + 7 output tokens"),
        "{text}"
    );
    // Nothing of the key or URL reached the journal.
    assert!(!show.to_string().contains("sk-test-123"));
    assert!(!show.to_string().contains(&fake.port.to_string()));
}

#[test]
fn an_anthropic_call_sends_the_messages_api_request() {
    let fake = FakeLlm::anthropic();
    fake.reply_with("{\"greeting\": \"hi\"}");
    let c = Cairn::new().env(KEY_ENV, "sk-ant-456");
    write_config(&c, &provider_config("claude", &fake, KEY_ENV));
    c.deploy("human", &[]);
    let out = c.json(&["run", "chat", "--input", &chat_input("claude/claude-test")]);
    assert_eq!(out["status"], "completed", "{out:#}");
    assert_eq!(out["output"]["content"], "{\"greeting\": \"hi\"}");
    assert_eq!(out["output"]["finish_reason"], "stop");
    assert_eq!(out["output"]["input_tokens"], 13);
    let hits = fake.hits();
    assert_eq!(hits.len(), 1);
    let h = &hits[0];
    assert_eq!(h.path, "/v1/messages");
    assert_eq!(h.headers["x-api-key"], "sk-ant-456");
    assert_eq!(h.headers["anthropic-version"], "2023-06-01");
    assert!(!h.headers.contains_key("authorization"));
    assert_eq!(h.body["model"], "claude-test");
    assert_eq!(h.body["max_tokens"], 64);
    assert_eq!(h.body["temperature"], 0.5);
    assert_eq!(
        h.body["messages"],
        json!([{"role": "user", "content": "Say hello."}])
    );
    let system = h.body["system"].as_str().unwrap();
    assert!(system.starts_with("Be brief."), "{system}");
    assert!(
        system.contains("JSON"),
        "a JSON reply is asked for: {system}"
    );
    let show = c.show(out["run_id"].as_str().unwrap());
    assert_eq!(show["llm"]["input_tokens"], 13);
}

#[test]
fn a_journaled_call_is_not_sent_again_after_a_crash() {
    let fake = FakeLlm::openai();
    fake.reply_with("remembered");
    // The 3 s sleep after the call stays in memory, so the process is busy
    // when it is killed.
    let c = Cairn::new()
        .env(KEY_ENV, "k")
        .env("CAIRN_RUNTIME_SUSPEND_THRESHOLD_MS", "60000");
    write_config(&c, &provider_config("fake", &fake, KEY_ENV));
    c.deploy("human", &[]);
    let input = json!({"model": "fake/m", "prompt": "remember me", "sleep_ms": 3000}).to_string();
    let mut child = c.spawn(&["run", "chat", "--input", &input, "--wait"]);
    fake.wait_count(1, 60);
    let run = c.newest_run();
    c.wait_for(&run, 30, |v| !entries(v, "sleep").is_empty());
    kill9(&mut child);
    assert_eq!(c.show(&run)["status"], "running");

    let resumed = c.json(&["resume", &run]);
    assert_eq!(resumed["resumed"][0]["status"], "completed", "{resumed:#}");
    assert_eq!(
        fake.count(),
        1,
        "the replay called the provider: {:#?}",
        fake.hits()
    );
    let show = c.show(&run);
    assert_eq!(show["output"]["content"], "remembered");
    assert_eq!(show["llm"]["calls"], 1, "usage counted once: {show:#}");
    assert_eq!(entries(&show, "llm").len(), 1);
}

#[test]
fn a_provider_that_is_down_fails_the_call_with_a_clear_error() {
    // A port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = Cairn::new();
    write_config(
        &c,
        &format!(
            "[llm]\nmax_attempts = 2\nbackoff_ms = 50\n\n[llm.providers.down]\nkind = \"openai\"\n\
             base_url = \"http://127.0.0.1:{port}/v1\"\n"
        ),
    );
    c.deploy("human", &[]);
    let out = c
        .run(&["run", "chat", "--input", &chat_input("down/m"), "--json"])
        .code(1)
        .json();
    assert_eq!(out["status"], "failed", "{out:#}");
    assert_eq!(out["error"]["code"], "unreachable");
    let msg = out["error"]["message"].as_str().unwrap();
    assert!(msg.contains("LLM provider `down`"), "{msg}");
    assert!(msg.contains("after 2 attempts"), "{msg}");
    assert!(!msg.contains(&port.to_string()), "the URL leaked: {msg}");
    assert_eq!(out["error"]["details"]["provider"], "down");
    // The failure is journaled: a replay would return it, not call again.
    let show = c.show(out["run_id"].as_str().unwrap());
    let llm = entries(&show, "llm");
    assert_eq!(llm.len(), 1);
    assert_eq!(llm[0]["ok"], false);
}

#[test]
fn a_failing_then_rate_limited_call_is_retried_honouring_retry_after() {
    let fake = FakeLlm::openai();
    fake.then(503, &[], "overloaded");
    fake.then(
        429,
        &[("Retry-After", "1"), ("Content-Type", "application/json")],
        r#"{"error": {"message": "slow down"}}"#,
    );
    fake.reply_with("after the wait");
    let c = Cairn::new().env(KEY_ENV, "k");
    write_config(&c, &provider_config("fake", &fake, KEY_ENV));
    c.deploy("human", &[]);
    let out = c.json(&["run", "chat", "--input", &chat_input("fake/m")]);
    assert_eq!(out["status"], "completed", "{out:#}");
    assert_eq!(out["output"]["content"], "after the wait");
    // 503 (retried after the 50 ms backoff), 429 with Retry-After: 1, 200.
    let hits = fake.hits();
    assert_eq!(hits.len(), 3);
    let gap = hits[2].at - hits[1].at;
    assert!(
        gap >= Duration::from_millis(950),
        "Retry-After ignored: {gap:?}"
    );
    assert_eq!(hits[0].body, hits[2].body, "the same request again");
}

#[test]
fn a_provider_that_does_not_answer_in_time_times_out() {
    let fake = FakeLlm::openai();
    fake.then_after(Duration::from_secs(5), 200, &[], "{}");
    let c = Cairn::new().env(KEY_ENV, "k");
    let config = provider_config("slow", &fake, KEY_ENV)
        .replace("max_attempts = 3", "max_attempts = 1")
        .replace("timeout_secs = 10", "timeout_secs = 1");
    write_config(&c, &config);
    c.deploy("human", &[]);
    let out = c
        .run(&["run", "chat", "--input", &chat_input("slow/m"), "--json"])
        .code(1)
        .json();
    assert_eq!(out["error"]["code"], "timeout", "{out:#}");
    let msg = out["error"]["message"].as_str().unwrap();
    assert!(msg.contains("`slow` did not answer within 1 s"), "{msg}");
}

#[test]
fn a_provider_refusing_the_request_is_not_retried() {
    let fake = FakeLlm::openai();
    fake.then(
        404,
        &[],
        r#"{"error": {"message": "model `nope` not found"}}"#,
    );
    let c = Cairn::new().env(KEY_ENV, "k");
    write_config(&c, &provider_config("fake", &fake, KEY_ENV));
    c.deploy("human", &[]);
    let out = c
        .run(&["run", "chat", "--input", &chat_input("fake/nope"), "--json"])
        .code(1)
        .json();
    assert_eq!(out["error"]["code"], "refused", "{out:#}");
    let msg = out["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("HTTP 404") && msg.contains("model `nope` not found"),
        "{msg}"
    );
    assert_eq!(fake.count(), 1);
}

#[test]
fn without_a_provider_the_error_names_the_setting() {
    let c = Cairn::new();
    c.deploy("human", &[]);
    let out = c
        .run(&[
            "run",
            "chat",
            "--input",
            &chat_input("openai/gpt-4o-mini"),
            "--json",
        ])
        .code(1)
        .json();
    assert_eq!(out["error"]["code"], "llm-not-configured", "{out:#}");
    let msg = out["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("[llm.providers.openai]") && msg.contains("cairn.toml"),
        "{msg}"
    );
    // A configured provider whose key variable is unset names the variable.
    let fake = FakeLlm::openai();
    write_config(&c, &provider_config("fake", &fake, "CAIRN_TEST_UNSET_KEY"));
    let out = c
        .run(&["run", "chat", "--input", &chat_input("fake/m"), "--json"])
        .code(1)
        .json();
    assert!(
        out["error"]["message"]
            .as_str()
            .unwrap()
            .contains("CAIRN_TEST_UNSET_KEY"),
        "{out:#}"
    );
    assert_eq!(fake.count(), 0);
}

#[test]
fn a_call_inside_a_step_is_part_of_the_step() {
    let fake = FakeLlm::openai();
    fake.reply_with("from a step");
    let c = Cairn::new().env(KEY_ENV, "k");
    write_config(&c, &provider_config("fake", &fake, KEY_ENV));
    c.deploy("human", &[]);
    let input = json!({"model": "fake/m", "prompt": "in a step"}).to_string();
    let out = c.json(&["run", "chat_in_step", "--input", &input]);
    assert_eq!(out["status"], "completed", "{out:#}");
    assert_eq!(out["output"]["content"], "from a step");
    assert_eq!(fake.count(), 1);
    assert_eq!(fake.hits()[0].body["messages"][0]["content"], "in a step");
    let show = c.show(out["run_id"].as_str().unwrap());
    assert!(entries(&show, "llm").is_empty(), "not journaled on its own");
    assert_eq!(entries(&show, "step").len(), 1);
    assert_eq!(show["llm"]["calls"], 1, "but its tokens count: {show:#}");
    assert_eq!(show["llm_calls"][0]["step"], "ask_model");
    assert!(!events(&show, "llm").is_empty());
}

#[test]
fn research_summarises_revises_and_keeps_the_accepted_summary() {
    let page = SideEffects::start();
    let fake = FakeLlm::openai();
    fake.reply_with("A short summary.");
    let c = Cairn::new().env(KEY_ENV, "k");
    write_config(&c, &provider_config("fake", &fake, KEY_ENV));
    c.deploy("research", &["--allow-http", &page.host()]);
    let url = format!("{}/article", page.url());
    let input = json!({"url": url, "model": "fake/m"}).to_string();
    let out = c.json(&["run", "research", "--input", &input, "--session", "s-1"]);
    assert_eq!(out["status"], "waiting", "{out:#}");
    let run = out["run_id"].as_str().unwrap();
    assert_eq!(page.count("/article"), 1);
    // The model saw the page the step fetched.
    let first = &fake.hits()[0].body;
    assert!(
        first["messages"][1]["content"]
            .as_str()
            .unwrap()
            .contains("ok /article")
    );

    let p = &c.json(&["prompts"])["prompts"][0];
    assert_eq!(p["context"]["summary"], "A short summary.");
    c.json(&["respond", run, "revise"]);
    assert_eq!(c.json(&["resume", run])["resumed"][0]["status"], "waiting");
    assert_eq!(c.json(&["prompts"])["prompts"][0]["input_type"], "text");
    assert_eq!(fake.count(), 1, "a replay asked the model again");
    c.run(&["respond", run, "Mention the date."]).code(0);
    fake.reply_with("A shorter summary, dated.");
    assert_eq!(c.json(&["resume", run])["resumed"][0]["status"], "waiting");
    assert_eq!(fake.count(), 2);
    let second = &fake.hits()[1].body;
    let msgs = second["messages"].as_array().unwrap();
    assert_eq!(
        msgs[2],
        json!({"role": "assistant", "content": "A short summary."})
    );
    assert!(
        msgs[3]["content"]
            .as_str()
            .unwrap()
            .contains("Mention the date.")
    );
    c.json(&["respond", run, "accept", "--by", "editor"]);
    let done = c.json(&["resume", run]);
    assert_eq!(done["resumed"][0]["status"], "completed", "{done:#}");
    assert_eq!(fake.count(), 2);
    assert_eq!(page.count("/article"), 1, "the page was fetched once");
    let show = c.show(run);
    assert_eq!(show["output"]["status"], "accepted");
    assert_eq!(show["output"]["rounds"], 2);
    assert_eq!(show["output"]["accepted_by"], "editor");
    assert_eq!(
        show["session_state"][format!("summary:{url}")],
        "A shorter summary, dated."
    );
    assert_eq!(show["llm"]["calls"], 2);
    assert_eq!(entries(&show, "prompt").len(), 3);
}
