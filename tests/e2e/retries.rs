//! Step retries: the wait between attempts is a durable timer, so a retry
//! survives the process, and the attempts are journaled.

use serde_json::json;

use crate::support::{Cairn, SideEffects, entries, kill9};

#[test]
fn a_retry_backoff_longer_than_the_threshold_suspends_the_run() {
    let fx = SideEffects::start();
    // Any wait of 100 ms or more unloads the instance.
    let c = Cairn::new().env("CAIRN_RUNTIME_SUSPEND_THRESHOLD_MS", "100");
    c.deploy("effects", &["--allow-http", &fx.host()]);
    fx.fail("/effect/0", 1);
    let input = json!({"url": fx.url(), "steps": 1}).to_string();
    let out = c.json(&["run", "effects", "--input", &input]);
    // The first attempt failed; the run waits for its retry timer, unloaded.
    assert_eq!(out["status"], "sleeping", "{out:#}");
    let run = out["run_id"].as_str().unwrap().to_string();
    let show = c.show(&run);
    let attempts = entries(&show, "step-attempt");
    assert_eq!(attempts.len(), 1, "{show:#}");
    assert_eq!(attempts[0]["value"]["attempt"], 1);
    let retry_at = attempts[0]["value"]["retry_at"].as_i64().unwrap();
    assert_eq!(show["wake_at"], retry_at);

    // A new process picks the retry up when it is due.
    let mut serve = c.spawn(&["serve", "--listen", "127.0.0.1:0"]);
    let done = c.wait_for(&run, 30, |v| v["status"] == "completed");
    kill9(&mut serve);
    assert_eq!(fx.count("/effect/0"), 2, "{:?}", fx.hits());
    let step = entries(&done, "step");
    assert_eq!(step.len(), 1);
    assert!(step[0]["at"].as_i64().unwrap() >= retry_at);
    assert_eq!(done["output"]["outputs"][0], "ok /effect/0");
}

#[test]
fn a_step_that_keeps_failing_returns_its_error_to_the_body() {
    let fx = SideEffects::start();
    let c = Cairn::new();
    c.deploy("effects", &["--allow-http", &fx.host()]);
    fx.fail("/effect/0", 100);
    let input = json!({"url": fx.url(), "steps": 1}).to_string();
    let out = c
        .run(&["run", "effects", "--wait", "--input", &input, "--json"])
        .code(1)
        .json();
    // The default policy makes three attempts (1 s, then 2 s apart).
    assert_eq!(fx.count("/effect/0"), 3, "{:?}", fx.hits());
    assert_eq!(out["error"]["code"], "step-failed", "{out:#}");
    assert!(
        out["error"]["message"].as_str().unwrap().contains("503"),
        "{out:#}"
    );
    let show = c.show(out["run_id"].as_str().unwrap());
    assert_eq!(entries(&show, "step-attempt").len(), 2);
    let step = entries(&show, "step");
    assert_eq!(step[0]["ok"], false);
    assert_eq!(step[0]["value"]["attempts"], 3);
}
