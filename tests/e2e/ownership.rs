//! Two processes on one database never execute the same run.

use std::time::Duration;

use serde_json::json;

use crate::support::{Cairn, SideEffects, kill9};

#[test]
fn two_workers_share_due_runs_without_running_any_twice() {
    let fx = SideEffects::start();
    let c = Cairn::new();
    c.deploy("effects", &["--allow-http", &fx.host()]);
    let input = json!({"url": fx.url(), "steps": 2, "sleep_secs": 2}).to_string();
    let mut runs = Vec::new();
    for _ in 0..8 {
        let out = c.json(&["run", "effects", "--input", &input]);
        assert_eq!(out["status"], "sleeping", "{out:#}");
        runs.push(out["run_id"].as_str().unwrap().to_string());
    }
    let mut a = c.spawn(&["serve", "--listen", "127.0.0.1:0"]);
    let mut b = c.spawn(&["serve", "--listen", "127.0.0.1:0"]);
    for run in &runs {
        c.wait_for(run, 60, |v| v["status"] == "completed");
    }
    kill9(&mut a);
    kill9(&mut b);
    assert_eq!(fx.count("/effect/0"), 8, "{:?}", fx.hits());
    assert_eq!(
        fx.count("/effect/1"),
        8,
        "a step ran twice: {:?}",
        fx.hits()
    );
    let mut keys: Vec<String> = fx
        .hits()
        .into_iter()
        .filter(|h| h.path == "/effect/1")
        .map(|h| h.idempotency_key.unwrap())
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 8);
}

#[test]
fn a_run_owned_by_a_live_process_is_not_taken() {
    let fx = SideEffects::start();
    let c = Cairn::new();
    c.deploy("effects", &["--allow-http", &fx.host()]);
    fx.hold("/effect/0", Duration::from_secs(4));
    let input = json!({"url": fx.url(), "steps": 1, "sleep_secs": 0}).to_string();
    let mut owner = c.spawn(&["run", "effects", "--wait", "--input", &input]);
    fx.wait_count("/effect/0", 1, 60);
    let run = c.newest_run();
    // Another process looks for work while the owner is alive.
    let other = c.json(&["resume"]);
    assert_eq!(other["resumed"].as_array().unwrap().len(), 0, "{other:#}");
    let named = c.run(&["resume", &run]).code(2);
    assert!(named.stderr.contains("live worker"), "{named:?}");
    let status = owner.wait().unwrap();
    assert!(status.success());
    assert_eq!(c.show(&run)["status"], "completed");
    assert_eq!(fx.count("/effect/0"), 1);
}
