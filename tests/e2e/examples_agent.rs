//! The `support_agent` example against a scripted fake model: a failed
//! lookup told to the model, a lookup, a refund a person approves, and the
//! typed resolution.

use serde_json::json;

use crate::fake_llm::{FakeLlm, provider_config, write_config};
use crate::support::{Cairn, entries, step_names};

#[test]
fn support_agent_looks_up_and_refunds_once_approved() {
    let fake = FakeLlm::openai();
    fake.then_call(&[("c1", "lookup_order", json!({"order_id": "A-9"}))]);
    fake.then_call(&[("c2", "lookup_order", json!({"order_id": "A-1003"}))]);
    fake.then_call(&[(
        "c3",
        "refund",
        json!({"order_id": "A-1003", "reason": "arrived damaged"}),
    )]);
    fake.then_say(r#"{"reply": "Your mug is refunded.", "refunded": true}"#);
    let c = Cairn::new().env("CAIRN_TEST_FAKE_LLM_KEY", "k");
    write_config(
        &c,
        &provider_config("fake", &fake, "CAIRN_TEST_FAKE_LLM_KEY"),
    );
    c.deploy("support_agent", &[]);
    let input = json!({"message": "My mug from order A-1003 arrived broken.", "model": "fake/m"});
    let out = c.json(&["run", "support_agent", "--input", &input.to_string()]);
    assert_eq!(out["status"], "waiting", "{out:#}");
    let run = out["run_id"].as_str().unwrap();
    assert_eq!(
        fake.tool_results(1)[0].1,
        "error: tool `lookup_order` failed after 1 attempt: there is no order A-9 (no-such-order)"
    );
    let order = &fake.tool_results(2)[1].1;
    assert!(
        order.contains("\"status\":\"delivered, damaged\""),
        "{order}"
    );

    let p = &c.json(&["prompts"])["prompts"][0];
    assert_eq!(p["context"]["tool"], "refund");
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
    assert_eq!(o["turns"], 4);
    let refund = &o["tool_calls"][2]["outcome"];
    assert_eq!(refund["status"], "done");
    assert_eq!(refund["output"]["amount_cents"], 1200);
    assert!(
        refund["output"]["refund_id"]
            .as_str()
            .unwrap()
            .starts_with("rf-")
    );
    assert_eq!(
        step_names(&show),
        ["lookup_order", "lookup_order", "refund"]
    );
    assert_eq!(entries(&show, "llm").len(), 4);
    assert_eq!(fake.count(), 4, "no turn was asked twice");
    // `runs watch` (here of the finished run) reads as a conversation.
    let watched = c.run(&["runs", "watch", run]).code(0).stdout;
    for line in [
        "support turn 1 (21+7 tokens) calls lookup_order {\"order_id\":\"A-9\"}",
        "support ← lookup_order failed: error: tool `lookup_order` failed after 1 attempt",
        "support ← refund done: {\"amount_cents\":1200,",
        "support turn 4 (21+7 tokens) says: {\"reply\": \"Your mug is refunded.\"",
    ] {
        assert!(watched.contains(line), "{line} is not in:\n{watched}");
    }
    let format = &fake.hits()[0].body["response_format"]["json_schema"]["schema"];
    assert_eq!(format["required"], json!(["reply", "refunded"]));
}
