//! A run suspended in a durable sleep resumes after its process is gone,
//! and sleeps only the time that remained.

use std::time::Duration;

use serde_json::json;

use crate::support::{Cairn, SideEffects, entries, events, kill9, now_ms};

#[test]
fn a_sleeping_run_resumes_in_a_new_process_with_only_the_remaining_time() {
    let fx = SideEffects::start();
    let c = Cairn::new();
    c.deploy("follow_up", &["--allow-http", &fx.host()]);
    let input = json!({"user": "ana", "delay_secs": 4, "notify_url": fx.url()}).to_string();
    // The first process runs the welcome step, reaches the 4 s sleep,
    // suspends the run and exits.
    let out = c.json(&["run", "follow_up", "--input", &input]);
    assert_eq!(out["status"], "sleeping", "{out:#}");
    let run = out["run_id"].as_str().unwrap().to_string();
    let show = c.show(&run);
    let sleep = entries(&show, "sleep")[0];
    let wake_at = sleep["value"]["wake_at"].as_i64().unwrap();
    assert_eq!(wake_at - sleep["at"].as_i64().unwrap(), 4000);
    assert_eq!(show["wake_at"], wake_at);

    // Two seconds later a new worker starts; only ~2 s remain.
    std::thread::sleep(Duration::from_secs(2));
    assert!(now_ms() < wake_at);
    let resumed_at = now_ms();
    let mut serve = c.spawn(&["serve", "--listen", "127.0.0.1:0"]);
    let done = c.wait_for(&run, 20, |v| v["status"] == "completed");
    kill9(&mut serve);

    let steps = entries(&done, "step");
    assert_eq!(steps.len(), 2);
    let follow_up_at = steps[1]["at"].as_i64().unwrap();
    // It woke when the original timer fired, not 4 s after the new worker began.
    assert!(
        follow_up_at >= wake_at,
        "woke early: {follow_up_at} < {wake_at}"
    );
    assert!(
        follow_up_at < resumed_at + 4000,
        "slept the whole duration again: resumed at {resumed_at}, woke at {follow_up_at}"
    );
    // The welcome step ran once; its journaled result was replayed.
    assert_eq!(fx.count_body("send_welcome"), 1, "{:?}", fx.hits());
    assert_eq!(fx.count_body("send_follow_up"), 1, "{:?}", fx.hits());
    assert_eq!(done["activations"], 2);
    assert!(events(&done, "divergence").is_empty(), "{done:#}");
}

#[test]
fn resume_runs_what_is_due_and_says_when_nothing_is() {
    let c = Cairn::new();
    c.deploy("follow_up", &[]);
    let input = json!({"user": "cy", "delay_secs": 2}).to_string();
    let run = c.json(&["run", "follow_up", "--input", &input]);
    let run = run["run_id"].as_str().unwrap();
    let early = c.json(&["resume"]);
    assert_eq!(early["resumed"].as_array().unwrap().len(), 0, "{early:#}");
    std::thread::sleep(Duration::from_millis(2200));
    let later = c.json(&["resume"]);
    assert_eq!(later["resumed"][0]["run_id"], run);
    assert_eq!(later["resumed"][0]["status"], "completed", "{later:#}");
}
