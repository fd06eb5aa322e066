//! Agents (`cairn_sdk::Agent`, the `agent` test guest) against scripted
//! fake models: the loop, parallel tool calls on both providers, calls the
//! model gets wrong, typed answers, the guards, and an agent as a tool.
//! Crashes, approvals and a budget a person extends are in
//! `agent_durable.rs`.

use serde_json::{Value, json};

use crate::fake_llm::{FakeLlm, provider_config, write_config};
use crate::support::{Cairn, SideEffects, entries};

pub const KEY_ENV: &str = "CAIRN_TEST_FAKE_LLM_KEY";

/// A cairn with `fake` configured as provider `fake` and the `agent` guest
/// deployed, allowed to reach `fx`.
pub fn setup(fake: &FakeLlm, fx: &SideEffects) -> Cairn {
    let c = Cairn::new().env(KEY_ENV, "k");
    write_config(&c, &provider_config("fake", fake, KEY_ENV));
    c.deploy("agent", &["--allow-http", &fx.host()]);
    c
}

/// The input of the guest's workflows: `fields` added to model and input.
pub fn input(fields: Value) -> String {
    let mut v = json!({"model": "fake/m", "input": "Help me."});
    for (k, x) in fields.as_object().unwrap() {
        v[k] = x.clone();
    }
    v.to_string()
}

/// Runs `workflow` and expects it to fail; returns the error.
pub fn fails(c: &Cairn, workflow: &str, input: &str) -> Value {
    let out = c
        .run(&["run", workflow, "--input", input, "--json"])
        .code(1)
        .json();
    assert_eq!(out["status"], "failed", "{out:#}");
    out["error"].clone()
}

fn statuses(output: &Value) -> Vec<String> {
    output["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["outcome"]["status"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_loop_calls_tools_as_steps_and_returns_the_final_answer() {
    let fake = FakeLlm::openai();
    let fx = SideEffects::start();
    let url = fx.url();
    fake.then_call(&[("c1", "fetch", json!({"url": format!("{url}/a")}))]);
    fake.then_call(&[
        ("c2", "fetch", json!({"url": format!("{url}/b")})),
        ("c3", "fetch", json!({"url": format!("{url}/c")})),
    ]);
    fake.then_say("Pages a, b and c say ok.");
    let c = setup(&fake, &fx);
    let out = c.json(&[
        "run",
        "agent",
        "--input",
        &input(json!({"instructions": "Use the tools."})),
    ]);
    assert_eq!(out["status"], "completed", "{out:#}");
    let o = &out["output"];
    assert_eq!(o["output"], "Pages a, b and c say ok.");
    assert_eq!(o["turns"], 3);
    assert_eq!(o["usage"], json!({"input_tokens": 63, "output_tokens": 21}));
    assert_eq!(statuses(o), ["done", "done", "done"]);
    assert_eq!(o["tool_calls"][1]["turn"], 2);
    assert_eq!(o["tool_calls"][2]["outcome"]["output"], "ok /c");
    let roles: Vec<&str> = o["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        [
            "system",
            "user",
            "assistant",
            "tool",
            "assistant",
            "tool",
            "tool",
            "assistant"
        ]
    );

    // Each turn is one request with the whole conversation and the tools.
    let hits = fake.hits();
    assert_eq!(hits.len(), 3);
    let first = &hits[0].body;
    assert_eq!(
        first["messages"],
        json!([{"role": "system", "content": "Use the tools."},
               {"role": "user", "content": "Help me."}])
    );
    let tools: Vec<&str> = first["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(tools, ["fetch", "charge"]);
    let fetch = &first["tools"][0]["function"];
    assert_eq!(fetch["description"], "Fetches a URL and returns its body.");
    assert_eq!(fetch["parameters"]["required"], json!(["url"]));
    assert_eq!(fetch["parameters"]["properties"]["url"]["type"], "string");
    assert_eq!(first["temperature"], 0.0);
    let second = &hits[1].body["messages"];
    assert_eq!(second[2]["tool_calls"][0]["id"], "c1");
    assert_eq!(fake.tool_results(1), [("c1".into(), "ok /a".into())]);
    assert_eq!(
        fake.tool_results(2),
        [
            ("c1".to_string(), "ok /a".to_string()),
            ("c2".into(), "ok /b".into()),
            ("c3".into(), "ok /c".into())
        ]
    );

    // In the journal: one llm entry per turn, one step per tool call.
    let show = c.show(out["run_id"].as_str().unwrap());
    assert_eq!(entries(&show, "llm").len(), 3);
    let steps: Vec<&str> = entries(&show, "step")
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["fetch", "fetch", "fetch"]);
    assert_eq!(show["llm"]["calls"], 3);
    for p in ["/a", "/b", "/c"] {
        assert_eq!(fx.count(p), 1, "{p}");
    }
}

#[test]
fn parallel_tool_calls_on_anthropic_are_one_reply_and_one_turn_of_results() {
    let fake = FakeLlm::anthropic();
    let fx = SideEffects::start();
    let url = fx.url();
    // Both requests are held until both are in flight: they run at once.
    fx.gather(2);
    fake.then_call(&[
        ("t1", "fetch", json!({"url": format!("{url}/x")})),
        ("t2", "fetch", json!({"url": format!("{url}/y")})),
    ]);
    fake.then_say("Both say ok.");
    let c = setup(&fake, &fx);
    let out = c.json(&["run", "agent", "--input", &input(json!({"parallel": true}))]);
    assert_eq!(out["status"], "completed", "{out:#}");
    assert_eq!(out["output"]["output"], "Both say ok.");
    assert_eq!(fx.max_in_flight(), 2, "the two calls ran concurrently");
    let hits = fake.hits();
    assert_eq!(hits[0].path, "/v1/messages");
    assert_eq!(hits[0].body["tools"][0]["name"], "fetch");
    assert_eq!(
        hits[0].body["tools"][0]["input_schema"]["required"],
        json!(["url"])
    );
    let m = hits[1].body["messages"].as_array().unwrap();
    assert_eq!(
        m.len(),
        3,
        "user, assistant with two tool_use, user with two results: {m:#?}"
    );
    let uses: Vec<&str> = m[1]["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    assert_eq!(uses, ["t1", "t2"]);
    assert_eq!(
        fake.tool_results(1),
        [
            ("t1".to_string(), "ok /x".to_string()),
            ("t2".into(), "ok /y".into())
        ],
        "joined in call order"
    );
    let show = c.show(out["run_id"].as_str().unwrap());
    assert_eq!(entries(&show, "step").len(), 2);
    assert_eq!(
        show["llm"],
        json!({"calls": 2, "input_tokens": 26, "output_tokens": 10})
    );
}

#[test]
fn unknown_tools_and_bad_arguments_are_told_to_the_model_within_bounds() {
    let fake = FakeLlm::openai();
    let fx = SideEffects::start();
    fake.then_call(&[
        ("c1", "teleport", json!({"to": "mars"})),
        ("c2", "fetch", json!({"link": 7})),
    ]);
    fake.then_say("Sorry, I cannot.");
    let c = setup(&fake, &fx);
    let out = c.json(&["run", "agent", "--input", &input(json!({}))]);
    assert_eq!(out["status"], "completed", "{out:#}");
    assert_eq!(statuses(&out["output"]), ["invalid", "invalid"]);
    let results = fake.tool_results(1);
    assert_eq!(
        results[0].1,
        "error: there is no tool named `teleport`; the tools are: fetch, charge"
    );
    assert!(
        results[1]
            .1
            .starts_with("error: the arguments do not fit tool `fetch`: missing field `url`"),
        "{results:?}"
    );
    let show = c.show(out["run_id"].as_str().unwrap());
    assert!(entries(&show, "step").is_empty(), "nothing ran");

    // A model that keeps getting it wrong is stopped.
    let fake = FakeLlm::openai();
    for _ in 0..3 {
        fake.then_call(&[("c", "teleport", json!({}))]);
    }
    let c = setup(&fake, &fx);
    let error = fails(&c, "agent", &input(json!({"max_repairs": 1})));
    assert_eq!(error["code"], "agent-bad-tool-calls", "{error:#}");
    assert_eq!(error["details"]["turns"], 2);
    assert_eq!(fake.count(), 2, "no turn after the second bad one");
}

#[test]
fn a_typed_answer_gets_one_repair_turn_then_a_typed_error() {
    let fake = FakeLlm::openai();
    let fx = SideEffects::start();
    fake.then_say("I think the answer is 42.");
    fake.then_say("```json\n{\"answer\": \"42\", \"confidence\": 90}\n```");
    let c = setup(&fake, &fx);
    let out = c.json(&["run", "typed_agent", "--input", &input(json!({}))]);
    assert_eq!(out["status"], "completed", "{out:#}");
    assert_eq!(
        out["output"]["output"],
        json!({"answer": "42", "confidence": 90})
    );
    assert_eq!(out["output"]["turns"], 2);
    let hits = fake.hits();
    let format = &hits[0].body["response_format"];
    assert_eq!(format["type"], "json_schema");
    assert_eq!(
        format["json_schema"]["schema"]["required"],
        json!(["answer", "confidence"])
    );
    let repair = &hits[1].body["messages"][2];
    assert_eq!(repair["role"], "user");
    assert!(
        repair["content"]
            .as_str()
            .unwrap()
            .starts_with("Your final answer does not fit the required JSON Schema"),
        "{repair}"
    );

    let fake = FakeLlm::openai();
    fake.then_say("still prose");
    fake.then_say("{\"answer\": 42}");
    let c = setup(&fake, &fx);
    let error = fails(&c, "typed_agent", &input(json!({})));
    assert_eq!(error["code"], "agent-bad-output", "{error:#}");
    assert_eq!(error["details"]["content"], "{\"answer\": 42}");
    assert_eq!(fake.count(), 2);
}

#[test]
fn max_turns_and_the_token_budget_stop_the_loop_with_typed_errors() {
    let fake = FakeLlm::openai();
    let fx = SideEffects::start();
    let call = json!({"url": format!("{}/loop", fx.url())});
    for _ in 0..4 {
        fake.then_call(&[("c", "fetch", call.clone())]);
    }
    let c = setup(&fake, &fx);
    let error = fails(&c, "agent", &input(json!({"max_turns": 2})));
    assert_eq!(error["code"], "agent-max-turns", "{error:#}");
    assert_eq!(error["details"]["max_turns"], 2);
    assert_eq!(fake.count(), 2);
    assert_eq!(fx.count("/loop"), 2, "each turn's tool ran");

    // 28 tokens a turn: after two turns 56 ≥ 50, and no third is made.
    let fake = FakeLlm::openai();
    for _ in 0..4 {
        fake.then_call(&[("c", "fetch", call.clone())]);
    }
    let c = setup(&fake, &fx);
    let error = fails(&c, "agent", &input(json!({"budget_tokens": 50})));
    assert_eq!(error["code"], "agent-budget", "{error:#}");
    assert_eq!(error["details"], json!({"used": 56, "budget": 50}));
    assert_eq!(fake.count(), 2);

    // A deadline that has passed (by journaled time) stops it before a turn.
    let fake = FakeLlm::openai();
    let c = setup(&fake, &fx);
    let error = fails(&c, "agent", &input(json!({"deadline_ms": 0})));
    assert_eq!(error["code"], "agent-deadline", "{error:#}");
    assert_eq!(fake.count(), 0);
    // One that has not leaves the loop alone, and reads journaled time.
    fake.then_say("in time");
    let out = c.json(&[
        "run",
        "agent",
        "--input",
        &input(json!({"deadline_ms": 3_600_000})),
    ]);
    assert_eq!(out["output"]["output"], "in time", "{out:#}");
    let show = c.show(out["run_id"].as_str().unwrap());
    assert_eq!(entries(&show, "now").len(), 2, "the start and one turn");
}

#[test]
fn an_agent_can_be_the_tool_of_another() {
    let fake = FakeLlm::openai();
    let fx = SideEffects::start();
    let page = format!("{}/page", fx.url());
    // writer → researcher → fetch, and back.
    fake.then_call(&[(
        "w1",
        "researcher",
        json!({"input": "What does the page say?"}),
    )]);
    fake.then_call(&[("r1", "fetch", json!({"url": page}))]);
    fake.then_say("It says ok /page.");
    fake.then_say("The page says ok.");
    let c = setup(&fake, &fx);
    let out = c.json(&["run", "nested", "--input", &input(json!({}))]);
    assert_eq!(out["status"], "completed", "{out:#}");
    let o = &out["output"];
    assert_eq!(o["output"], "The page says ok.");
    assert_eq!(o["turns"], 2, "the writer's own turns");
    assert_eq!(
        o["tool_calls"][0]["outcome"],
        json!({"status": "done", "output": "It says ok /page."})
    );
    assert_eq!(
        o["usage"],
        json!({"input_tokens": 84, "output_tokens": 28}),
        "the researcher's tokens count"
    );
    let hits = fake.hits();
    assert_eq!(hits.len(), 4);
    assert_eq!(
        hits[1].body["messages"][0]["content"],
        "You fetch pages and report what they say."
    );
    assert_eq!(
        hits[1].body["messages"][1]["content"],
        "What does the page say?"
    );
    assert_eq!(hits[0].body["tools"][0]["function"]["name"], "researcher");
    assert_eq!(
        fake.tool_results(3),
        [("w1".to_string(), "It says ok /page.".to_string())]
    );
    let show = c.show(out["run_id"].as_str().unwrap());
    assert_eq!(entries(&show, "llm").len(), 4);
    assert_eq!(fx.count("/page"), 1);
}
