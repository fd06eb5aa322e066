//! Signals: `cairn signal` delivers to `ctx.wait_for_event`, whether it
//! arrives after the run started waiting or before it got there.

use std::time::Duration;

use serde_json::json;

use crate::support::{Cairn, entries};

#[test]
fn a_signal_sent_while_the_run_waits_resumes_it() {
    let c = Cairn::new();
    c.deploy("human", &[]);
    let input = json!({"name": "go"}).to_string();
    let child = c.spawn(&["run", "await_signal", "--input", &input, "--wait", "--json"]);
    let run = c.newest_run();
    let show = c.wait_for(&run, 60, |v| v["status"] == "waiting");
    assert!(
        show["wake_at"].is_null(),
        "no timeout, never polled: {show:#}"
    );
    assert!(show["owner"].is_null());
    let out = c.json(&["signal", &run, "go", r#"{"n": 1}"#, "--by", "ops"]);
    assert_eq!(out["run_status"], "waiting");
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "completed", "{v:#}");
    assert_eq!(v["output"]["payloads"], json!([{"n": 1}]));
    let show = c.show(&run);
    assert_eq!(show["signals"][0]["name"], "go");
    assert_eq!(show["signals"][0]["sent_by"], "ops");
    assert!(
        show["signals"][0]["consumed_at"].as_i64().is_some(),
        "{show:#}"
    );
    let events = entries(&show, "event");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["value"], json!({"n": 1}));
}

#[test]
fn signals_sent_before_the_wait_are_buffered_in_order() {
    let c = Cairn::new();
    c.deploy("human", &[]);
    let input = json!({"name": "item", "sleep_ms": 1500, "count": 2}).to_string();
    let out = c.json(&["run", "await_signal", "--input", &input]);
    assert_eq!(out["status"], "sleeping", "{out:#}");
    let run = out["run_id"].as_str().unwrap();
    // Sent while the run sleeps, before it reaches the waits.
    c.json(&["signal", run, "item", r#""first""#]);
    c.run(&["signal", run, "item", "second"]).code(0); // not JSON: sent as a string
    c.json(&["signal", run, "other", "1"]);
    let show = c.show(run);
    assert_eq!(
        show["status"], "sleeping",
        "a signal does not wake a sleeping run"
    );
    assert!(
        show["signals"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["consumed_at"].is_null())
    );
    std::thread::sleep(Duration::from_millis(1600));
    let resumed = c.json(&["resume"]);
    assert_eq!(resumed["resumed"][0]["status"], "completed", "{resumed:#}");
    let show = c.show(run);
    assert_eq!(show["output"]["payloads"], json!(["first", "second"]));
    // The signal nobody waited for stays buffered.
    let other: Vec<_> = show["signals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["name"] == "other")
        .collect();
    assert!(other[0]["consumed_at"].is_null(), "{show:#}");
}

#[test]
fn a_wait_for_event_times_out() {
    let c = Cairn::new();
    c.deploy("human", &[]);
    let input = json!({"name": "never", "timeout_ms": 1200}).to_string();
    let out = c
        .run(&["run", "await_signal", "--input", &input, "--wait", "--json"])
        .code(1)
        .json();
    assert_eq!(out["status"], "failed", "{out:#}");
    assert_eq!(out["error"]["code"], "timeout");
    let show = c.show(out["run_id"].as_str().unwrap());
    // The deadline was journaled as a timer, the timeout as the event.
    assert_eq!(entries(&show, "sleep")[0]["name"], "event:never");
    assert_eq!(entries(&show, "event")[0]["ok"], false);
}

#[test]
fn signals_to_unknown_or_finished_runs_are_refused() {
    let c = Cairn::new();
    c.deploy("human", &[]);
    let out = c.run(&["signal", "no-such-run", "go"]).code(3);
    assert!(out.stderr.contains("no-such-run"), "{out:?}");
    let out = c.json(&["run", "await_signal", "--input", r#"{"name": "go"}"#]);
    let run = out["run_id"].as_str().unwrap();
    c.json(&["signal", run, "go", "null"]);
    assert_eq!(
        c.json(&["resume", run])["resumed"][0]["status"],
        "completed"
    );
    let out = c.run(&["signal", run, "go"]).code(2);
    assert!(out.stderr.contains("already ended (completed)"), "{out:?}");
    let out = c
        .run(&["signal", run, "go", "{bad", "--json-value", "--json"])
        .code(2)
        .json();
    assert!(
        out["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON"),
        "{out:#}"
    );
}
