//! `cairn cancel`: a cancelled run never runs again, and a run cancelled
//! while a step is in flight stops waiting for it and does not retry it.

use std::time::Duration;

use serde_json::json;

use crate::support::{Cairn, SideEffects};

#[test]
fn a_sleeping_run_is_cancelled_and_never_resumes() {
    let c = Cairn::new();
    c.deploy("follow_up", &[]);
    let input = json!({"user": "dee", "delay_secs": 2}).to_string();
    let run = c.json(&["run", "follow_up", "--input", &input]);
    let run = run["run_id"].as_str().unwrap();
    let out = c.json(&["cancel", run]);
    assert_eq!(out["previous"], "sleeping");
    std::thread::sleep(Duration::from_millis(2200));
    let resumed = c.json(&["resume"]);
    assert_eq!(resumed["resumed"].as_array().unwrap().len(), 0);
    let show = c.show(run);
    assert_eq!(show["status"], "cancelled");
    assert_eq!(show["error"]["code"], "cancelled");
}

#[test]
fn cancelling_a_run_with_a_step_in_flight_stops_it() {
    let fx = SideEffects::start();
    let c = Cairn::new();
    c.deploy("effects", &["--allow-http", &fx.host()]);
    fx.hold("/effect/0", Duration::from_secs(30));
    let input = json!({"url": fx.url(), "steps": 2}).to_string();
    let owner = c.spawn(&["run", "effects", "--wait", "--json", "--input", &input]);
    fx.wait_count("/effect/0", 1, 60);
    let run = c.newest_run();
    let out = c.json(&["cancel", &run]);
    assert_eq!(out["previous"], "running");
    // The owner notices, stops waiting for the step, and ends.
    let done = owner.wait_with_output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&done.stdout).unwrap();
    assert_eq!(report["status"], "cancelled", "{report:#}");
    assert_eq!(done.status.code(), Some(1));
    assert_eq!(c.show(&run)["status"], "cancelled");
    assert_eq!(fx.count("/effect/0"), 1, "the cancelled step was retried");
    assert_eq!(fx.count("/effect/1"), 0);
}
