//! `kill -9` the host mid-run: a new process finishes the run, and no step
//! that had completed before the kill runs again.

use std::time::Duration;

use serde_json::json;

use crate::support::{Cairn, SideEffects, entries, kill9};

fn effects_input(fx: &SideEffects, steps: u32, sleep_secs: u32) -> String {
    json!({"url": fx.url(), "steps": steps, "sleep_secs": sleep_secs}).to_string()
}

#[test]
fn kill_while_a_step_is_in_flight() {
    let fx = SideEffects::start();
    let c = Cairn::new();
    c.deploy("effects", &["--allow-http", &fx.host()]);
    // The second step's request hangs, so the kill lands while it is in flight.
    fx.hold("/effect/1", Duration::from_secs(60));
    let mut first = c.spawn(&[
        "run",
        "effects",
        "--wait",
        "--input",
        &effects_input(&fx, 3, 0),
    ]);
    fx.wait_count("/effect/1", 1, 60);
    kill9(&mut first);
    fx.hold("/effect/1", Duration::ZERO);

    let run = c.newest_run();
    assert_eq!(c.show(&run)["status"], "running");
    let resumed = c.json(&["resume"]);
    assert_eq!(resumed["resumed"][0]["status"], "completed", "{resumed:#}");

    // Completed before the kill: exactly once. In flight: at least once
    // more, with the same idempotency key both times.
    assert_eq!(fx.count("/effect/0"), 1, "{:?}", fx.hits());
    assert_eq!(fx.count("/effect/1"), 2, "{:?}", fx.hits());
    assert_eq!(fx.count("/effect/2"), 1, "{:?}", fx.hits());
    let keys: Vec<_> = fx
        .hits()
        .into_iter()
        .filter(|h| h.path == "/effect/1")
        .map(|h| h.idempotency_key.unwrap())
        .collect();
    assert_eq!(keys[0], keys[1]);
    assert_eq!(keys[0], format!("{run}/effect/1"));
    let show = c.show(&run);
    assert_eq!(show["status"], "completed");
    assert_eq!(entries(&show, "step").len(), 3);
}

#[test]
fn kill_right_after_a_step_completed() {
    let fx = SideEffects::start();
    // Keep the 2 s sleep between steps in memory, so the process is busy
    // (not suspended) when it dies.
    let c = Cairn::new().env("CAIRN_RUNTIME_SUSPEND_THRESHOLD_MS", "10000");
    c.deploy("effects", &["--allow-http", &fx.host()]);
    let mut first = c.spawn(&[
        "run",
        "effects",
        "--wait",
        "--input",
        &effects_input(&fx, 2, 2),
    ]);
    fx.wait_count("/effect/0", 1, 60);
    let run = c.newest_run();
    // Wait until the step's result is journaled, then kill at once.
    c.wait_for(&run, 30, |v| !entries(v, "step").is_empty());
    kill9(&mut first);
    assert_eq!(
        fx.count("/effect/1"),
        0,
        "the second step ran before the kill"
    );

    let resumed = c.json(&["resume", &run]);
    assert_eq!(resumed["resumed"][0]["status"], "completed", "{resumed:#}");
    assert_eq!(
        fx.count("/effect/0"),
        1,
        "a completed step ran again: {:?}",
        fx.hits()
    );
    assert_eq!(fx.count("/effect/1"), 1, "{:?}", fx.hits());
}
