//! Agents survive crashes at every turn, and ask a person before a tool
//! that needs approval: `kill -9` during a tool call and during a model
//! call, proven by the fake model's request log and the side-effect
//! server's counts; approval granted and refused; a token budget a
//! person extends, or does not.

use std::time::Duration;

use serde_json::json;

use crate::agent::{input, setup};
use crate::fake_llm::FakeLlm;
use crate::support::{Cairn, SideEffects, entries, kill9};

/// Starts `agent` in the background and returns the process and the run.
fn start(c: &Cairn, fields: serde_json::Value) -> (std::process::Child, String) {
    let child = c.spawn(&["run", "agent", "--input", &input(fields), "--wait"]);
    (child, c.newest_run())
}

#[test]
fn a_crash_during_a_tool_call_repeats_only_that_call() {
    let fake = FakeLlm::openai();
    let fx = SideEffects::start();
    let url = fx.url();
    fx.hold("/slow", Duration::from_secs(30));
    fake.then_call(&[("c1", "fetch", json!({"url": format!("{url}/a")}))]);
    fake.then_call(&[("c2", "fetch", json!({"url": format!("{url}/slow")}))]);
    fake.then_say("done");
    let c = setup(&fake, &fx);
    let (mut child, run) = start(&c, json!({}));
    fx.wait_count("/slow", 1, 60);
    kill9(&mut child);
    assert_eq!(fake.count(), 2);
    assert_eq!(c.show(&run)["status"], "running");

    fx.hold("/slow", Duration::ZERO);
    let resumed = c.json(&["resume", &run]);
    assert_eq!(resumed["resumed"][0]["status"], "completed", "{resumed:#}");
    assert_eq!(
        fake.count(),
        3,
        "no model call was made again: {:#?}",
        fake.hits()
    );
    assert_eq!(
        fx.count("/a"),
        1,
        "the finished tool call was not made again"
    );
    assert_eq!(fx.count("/slow"), 2, "the call in flight was");
    let show = c.show(&run);
    assert_eq!(show["output"]["output"], "done");
    assert_eq!(show["output"]["turns"], 3);
    assert_eq!(show["llm"]["calls"], 3, "tokens counted once per turn");
    assert_eq!(entries(&show, "llm").len(), 3);
    assert_eq!(entries(&show, "step").len(), 2);
}

#[test]
fn a_crash_during_a_model_call_repeats_only_that_call() {
    let fake = FakeLlm::openai();
    let fx = SideEffects::start();
    let url = fx.url();
    fake.then_call(&[("c1", "fetch", json!({"url": format!("{url}/a")}))]);
    let late = fake.reply_body("too late", &[]);
    fake.then_after(Duration::from_secs(30), 200, &[], &late);
    fake.then_say("answered after the crash");
    let c = setup(&fake, &fx);
    let (mut child, run) = start(&c, json!({}));
    fake.wait_count(2, 60);
    kill9(&mut child);

    let resumed = c.json(&["resume", &run]);
    assert_eq!(resumed["resumed"][0]["status"], "completed", "{resumed:#}");
    let hits = fake.hits();
    assert_eq!(hits.len(), 3, "{hits:#?}");
    assert_eq!(
        hits[1].body, hits[2].body,
        "the call in flight was made again, the same"
    );
    assert_eq!(fx.count("/a"), 1, "the finished tool call was not");
    let show = c.show(&run);
    assert_eq!(show["output"]["output"], "answered after the crash");
    assert_eq!(entries(&show, "llm").len(), 2);
    assert_eq!(show["llm"]["calls"], 2);
}

#[test]
fn an_approved_tool_call_runs_once_after_the_answer() {
    let fake = FakeLlm::openai();
    let fx = SideEffects::start();
    let charge = format!("{}/charge", fx.url());
    fake.then_call(&[("c1", "charge", json!({"url": charge, "cents": 500}))]);
    fake.then_say("Charged.");
    let c = setup(&fake, &fx);
    let out = c.json(&["run", "agent", "--input", &input(json!({}))]);
    assert_eq!(out["status"], "waiting", "{out:#}");
    let run = out["run_id"].as_str().unwrap();
    let p = &c.json(&["prompts"])["prompts"][0];
    assert_eq!(p["input_type"], "approval");
    let question = p["question"].as_str().unwrap();
    assert!(
        question.starts_with("Agent `tester` wants to call `charge` with {"),
        "{question}"
    );
    assert_eq!(p["context"]["tool"], "charge");
    assert_eq!(
        p["context"]["arguments"],
        json!({"url": charge, "cents": 500})
    );
    assert_eq!(fx.count("/charge"), 0, "not before the answer");

    c.json(&["respond", run, "approve", "--by", "ana"]);
    let done = c.json(&["resume", run]);
    assert_eq!(done["resumed"][0]["status"], "completed", "{done:#}");
    assert_eq!(fx.count("/charge"), 1);
    let key = fx.hits()[0].idempotency_key.clone().unwrap();
    assert_eq!(key, format!("{run}/charge/0"));
    assert_eq!(fake.count(), 2, "the first turn was not asked again");
    assert_eq!(fake.tool_results(1), [("c1".into(), "ok /charge".into())]);
    let show = c.show(run);
    assert_eq!(show["output"]["tool_calls"][0]["outcome"]["status"], "done");
    assert_eq!(entries(&show, "prompt").len(), 1);
}

#[test]
fn a_refused_tool_call_is_told_to_the_model_with_the_reason() {
    let fake = FakeLlm::anthropic();
    let fx = SideEffects::start();
    let charge = format!("{}/charge", fx.url());
    fake.then_call(&[("t1", "charge", json!({"url": charge, "cents": 90000}))]);
    fake.then_say("I could not charge you.");
    let c = setup(&fake, &fx);
    let out = c.json(&[
        "run",
        "agent",
        "--input",
        &input(json!({"ask_reason": true})),
    ]);
    assert_eq!(out["status"], "waiting", "{out:#}");
    let run = out["run_id"].as_str().unwrap();
    c.json(&["respond", run, "reject", "--by", "bo"]);
    assert_eq!(c.json(&["resume", run])["resumed"][0]["status"], "waiting");
    let p = &c.json(&["prompts"])["prompts"][0];
    assert_eq!(p["input_type"], "text");
    c.run(&["respond", run, "Too expensive.", "--by", "bo"])
        .code(0);
    let done = c.json(&["resume", run]);
    assert_eq!(done["resumed"][0]["status"], "completed", "{done:#}");
    assert_eq!(fx.count("/charge"), 0, "the tool never ran");
    assert_eq!(
        fake.tool_results(1),
        [(
            "t1".to_string(),
            "refused: bo did not allow `charge` to run: Too expensive.".to_string()
        )]
    );
    let show = c.show(run);
    assert_eq!(
        show["output"]["tool_calls"][0]["outcome"],
        json!({"status": "refused", "by": "bo", "reason": "Too expensive."})
    );
    assert!(entries(&show, "step").is_empty());
    assert_eq!(fake.count(), 2);
}

#[test]
fn a_person_may_extend_the_token_budget_or_stop_the_run() {
    let fake = FakeLlm::openai();
    let fx = SideEffects::start();
    let call = json!({"url": format!("{}/p", fx.url())});
    fake.then_call(&[("c1", "fetch", call.clone())]);
    fake.then_call(&[("c2", "fetch", call.clone())]);
    fake.then_say("finished on the extension");
    let c = setup(&fake, &fx);
    let fields = json!({"budget_tokens": 50, "ask_extend": true});
    let out = c.json(&["run", "agent", "--input", &input(fields.clone())]);
    assert_eq!(out["status"], "waiting", "{out:#}");
    let run = out["run_id"].as_str().unwrap();
    let p = &c.json(&["prompts"])["prompts"][0];
    assert_eq!(p["input_type"], "approval");
    assert_eq!(
        p["context"],
        json!({"agent": "tester", "used": 56, "budget": 50, "extra": 50})
    );
    assert_eq!(fake.count(), 2, "no turn past the budget before the answer");
    c.json(&["respond", run, "approve"]);
    let done = c.json(&["resume", run]);
    assert_eq!(done["resumed"][0]["status"], "completed", "{done:#}");
    assert_eq!(c.show(run)["output"]["turns"], 3);
    assert_eq!(fake.count(), 3);

    let fake = FakeLlm::openai();
    fake.then_call(&[("c1", "fetch", call.clone())]);
    fake.then_call(&[("c2", "fetch", call)]);
    let c = setup(&fake, &fx);
    let out = c.json(&["run", "agent", "--input", &input(fields)]);
    let run = out["run_id"].as_str().unwrap();
    c.json(&["respond", run, "reject"]);
    let done = c.run(&["resume", run, "--json"]).code(1).json();
    assert_eq!(done["resumed"][0]["status"], "failed", "{done:#}");
    let show = c.show(run);
    assert_eq!(show["error"]["code"], "agent-budget");
    assert_eq!(show["error"]["details"], json!({"used": 56, "budget": 50}));
    assert_eq!(fake.count(), 2);
}
