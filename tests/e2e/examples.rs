//! Every example runs to completion, and `runs show` shows its journal.

use serde_json::json;

use crate::support::{Cairn, entries, events, step_names};

#[test]
fn order_completes_with_a_retried_charge_and_its_state() {
    let c = Cairn::new();
    c.deploy("order", &[]);
    let input = json!({"order_id": "A-7", "amount": 12.5}).to_string();
    let out = c.json(&["run", "order", "--input", &input]);
    assert_eq!(out["status"], "completed", "{out:#}");
    assert_eq!(out["output"]["status"], "confirmed");
    assert_eq!(out["output"]["order_id"], "A-7");
    let charge_id = out["output"]["charge_id"].as_str().unwrap().to_string();

    let show = c.show(out["run_id"].as_str().unwrap());
    let steps = step_names(&show);
    assert_eq!(
        steps,
        ["validate_order", "charge_customer", "send_confirmation"]
    );
    // The charge failed once (simulated gateway timeout) and was retried.
    let attempts = entries(&show, "step-attempt");
    assert_eq!(attempts.len(), 1, "{show:#}");
    assert_eq!(attempts[0]["name"], "charge_customer");
    assert_eq!(show["state"]["charge_id"], charge_id.as_str());
    assert_eq!(show["state"]["status"], "confirmed");
    // The human view shows the same journal.
    let text = c
        .run(&["runs", "show", out["run_id"].as_str().unwrap()])
        .code(0);
    assert!(
        text.stdout.contains("step charge_customer"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("journal ("), "{}", text.stdout);
}

#[test]
fn order_with_an_invalid_order_returns_invalid() {
    let c = Cairn::new();
    c.deploy("order", &[]);
    let input = json!({"order_id": "", "amount": 3.0}).to_string();
    let out = c.json(&["run", "order", "--input", &input]);
    assert_eq!(out["status"], "completed");
    assert_eq!(out["output"]["status"], "invalid", "{out:#}");
}

#[test]
fn follow_up_sleeps_durably_between_two_steps() {
    let c = Cairn::new();
    c.deploy("follow_up", &[]);
    let input = json!({"user": "ana", "delay_secs": 1}).to_string();
    let out = c.json(&["run", "follow_up", "--input", &input, "--wait"]);
    assert_eq!(out["status"], "completed", "{out:#}");
    let o = &out["output"];
    let slept = o["after_sleep_ms"].as_i64().unwrap() - o["before_sleep_ms"].as_i64().unwrap();
    assert!(slept >= 1000, "logical time moved by {slept} ms: {o}");
    let show = c.show(out["run_id"].as_str().unwrap());
    assert_eq!(entries(&show, "sleep").len(), 1);
    assert_eq!(entries(&show, "step").len(), 2);
}

#[test]
fn counter_counts_visits_across_runs_of_one_session() {
    let c = Cairn::new();
    c.deploy("counter", &[]);
    for n in 1..=3 {
        let out = c.json(&["run", "counter", "--session", "s-1", "--input", "{}"]);
        assert_eq!(out["output"]["visits"], n, "{out:#}");
    }
    let other = c.json(&["run", "counter", "--session", "s-2", "--input", "{}"]);
    assert_eq!(other["output"]["visits"], 1);
    let show = c.show(other["run_id"].as_str().unwrap());
    assert_eq!(show["session_state"]["visits"], 1);
    // The body uses session state, so a run without a session is refused
    // before it exists (issue 9, item 6).
    let runs = c.json(&["runs"])["runs"].as_array().unwrap().len();
    let out = c.run(&["run", "counter"]).code(2);
    assert!(
        out.stderr.contains("uses session state") && out.stderr.contains("--session"),
        "{out:?}"
    );
    let out = c.run(&["run", "counter", "--json"]).code(2).json();
    assert_eq!(out["error"]["code"], "bad-input", "{out:#}");
    assert_eq!(c.json(&["runs"])["runs"].as_array().unwrap().len(), runs);
}

#[test]
fn runs_lists_and_filters() {
    let c = Cairn::new();
    c.deploy("counter", &[]);
    c.json(&["run", "counter", "--session", "a"]);
    // A run that fails: `order` charging a host that is not allow-listed.
    c.deploy("order", &[]);
    let input =
        json!({"order_id": "A-9", "amount": 5.0, "payment_url": "http://127.0.0.1:9/"}).to_string();
    c.run(&["run", "order", "--input", &input, "--json"]);
    let all = c.json(&["runs"]);
    assert_eq!(all["runs"].as_array().unwrap().len(), 2);
    let failed = c.json(&["runs", "--status", "failed"]);
    assert_eq!(failed["runs"].as_array().unwrap().len(), 1, "{all:#}");
    assert_eq!(failed["runs"][0]["status"], "failed");
    let counter = c.json(&["runs", "--workflow", "counter"]);
    assert_eq!(counter["runs"].as_array().unwrap().len(), 1);
    let versions = c.json(&["versions", "counter"]);
    assert_eq!(versions["versions"][0]["runs"], 1, "{versions:#}");
    assert_eq!(versions["versions"][0]["active_for"][0], "counter");
}

#[test]
fn watch_streams_events_until_the_run_ends() {
    let c = Cairn::new();
    c.deploy("follow_up", &[]);
    let input = json!({"user": "bo", "delay_secs": 2}).to_string();
    let out = c.json(&["run", "follow_up", "--input", &input]);
    assert_eq!(out["status"], "sleeping");
    let run = out["run_id"].as_str().unwrap();
    let mut serve = c.spawn(&["serve", "--listen", "127.0.0.1:0"]);
    let watched = c.run(&["runs", "watch", run, "--json"]).code(0);
    crate::support::kill9(&mut serve);
    let lines: Vec<serde_json::Value> = watched
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines
            .iter()
            .any(|e| e["kind"] == "step" && e["data"]["step"] == "send_follow_up")
    );
    assert_eq!(
        lines.last().unwrap()["data"]["status"],
        "completed",
        "{lines:#?}"
    );
    let show = c.show(run);
    assert!(!events(&show, "step").is_empty());
}
