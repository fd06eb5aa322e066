//! The Python agent (`cairn.Agent`, `@tool`) on `examples/python/agent`
//! against a scripted fake model: a failed lookup and an unknown tool told
//! to the model, a lookup, a refund a person approves while the run is
//! unloaded, and the typed resolution; no turn is asked twice.

use serde_json::json;

use crate::fake_llm::{FakeLlm, provider_config, write_config};
use crate::support::{Cairn, entries, events, python, step_names};

#[test]
fn python_support_agent_looks_up_and_refunds_once_approved() {
    if std::env::var_os("CAIRN_SKIP_PYTHON_TESTS").is_some_and(|v| v == "1") {
        return;
    }
    let fake = FakeLlm::openai();
    fake.then_call(&[("c1", "lookup_order", json!({"order_id": "A-9"}))]);
    fake.then_call(&[
        ("c2", "lookup_order", json!({"order_id": "A-1003"})),
        ("c3", "cancel_everything", json!({})),
    ]);
    fake.then_call(&[(
        "c4",
        "refund",
        json!({"order_id": "A-1003", "reason": "arrived damaged"}),
    )]);
    fake.then_say("```json\n{\"reply\": \"Your mug is refunded.\", \"refunded\": true}\n```");
    let c = Cairn::new()
        .env("CAIRN_TEST_FAKE_LLM_KEY", "k")
        .env("CAIRN_RUNTIME_SUSPEND_THRESHOLD_MS", "100");
    write_config(
        &c,
        &provider_config("fake", &fake, "CAIRN_TEST_FAKE_LLM_KEY"),
    );
    c.deploy_file(&python("examples/python/agent"), &[]);
    let input = json!({"message": "My mug from order A-1003 arrived broken.", "model": "fake/m"});
    let out = c.json(&["run", "support_agent", "--input", &input.to_string()]);
    assert_eq!(out["status"], "waiting", "{out:#}");
    let run = out["run_id"].as_str().unwrap();
    assert_eq!(
        fake.tool_results(1)[0].1,
        "error: tool `lookup_order` failed after 1 attempt: there is no order A-9 (no-such-order)"
    );
    let second = fake.tool_results(2);
    assert!(
        second[1].1.contains("\"status\":\"delivered, damaged\""),
        "{second:?}"
    );
    assert_eq!(
        second[2],
        (
            "c3".to_string(),
            "error: there is no tool named `cancel_everything`; the tools are: lookup_order, refund"
                .to_string()
        )
    );
    let format = &fake.hits()[0].body["response_format"]["json_schema"]["schema"];
    assert!(format.to_string().contains("\"refunded\""), "{format}");

    let p = &c.json(&["prompts"])["prompts"][0];
    assert_eq!(p["context"]["tool"], "refund", "{p:#}");
    assert_eq!(p["context"]["arguments"]["order_id"], "A-1003");
    c.json(&["respond", run, "approve", "--by", "lead"]);
    let done = c.json(&["resume", run]);
    assert_eq!(done["resumed"][0]["status"], "completed", "{done:#}");
    let show = c.show(run);
    let o = &show["output"];
    assert_eq!(
        o["output"],
        json!({"reply": "Your mug is refunded.", "refunded": true})
    );
    assert_eq!(o["turns"], 4, "{o:#}");
    assert_eq!(o["input_tokens"], 84);
    let statuses: Vec<_> = o["tool_calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(statuses, ["failed", "done", "invalid", "done"]);
    assert!(
        o["tool_calls"][3]["result"]
            .as_str()
            .unwrap()
            .contains("\"refund_id\":\"rf-")
    );
    assert_eq!(
        step_names(&show),
        ["lookup_order", "lookup_order", "refund"]
    );
    assert_eq!(entries(&show, "llm").len(), 4, "{show:#}");
    assert_eq!(fake.count(), 4, "no turn was asked twice across the unload");
    let turns = events(&show, "emit")
        .into_iter()
        .filter(|e| e["data"]["kind"] == "agent.turn")
        .count();
    assert_eq!(turns, 4, "{show:#}");
}
