//! Parallel steps (`ctx.spawn`, `join_all`, `gather`, `batch`, `map`):
//! they really run at once, come back in submission order, respect their
//! concurrency limits, are journaled as they complete, replay from the
//! journal, survive a `kill -9` without re-running what had finished, and
//! stop on `cairn cancel`. The guest is `tests/guests/parallel`.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Cairn, SideEffects, entries, events, kill9};

fn deployed(fx: Option<&SideEffects>) -> Cairn {
    let c = Cairn::new();
    match fx {
        Some(fx) => c.deploy("parallel", &["--allow-http", &fx.host()]),
        None => c.deploy("parallel", &[]),
    };
    c
}

fn run(c: &Cairn, workflow: &str, input: Value) -> Value {
    c.json(&["run", workflow, "--wait", "--input", &input.to_string()])
}

fn run_id(out: &Value) -> &str {
    out["run_id"].as_str().unwrap()
}

/// The `i` of each journaled `item` step, in journal (completion) order.
fn journal_order(show: &Value) -> Vec<u64> {
    entries(show, "step")
        .iter()
        .map(|e| e["value"]["i"].as_u64().unwrap())
        .collect()
}

#[test]
fn join_all_returns_submission_order_when_later_steps_finish_first() {
    let c = deployed(None);
    // Item 0 sleeps longest in its own step instance, item 3 not at all.
    let out = run(
        &c,
        "par_join",
        json!({"n": 4, "sleep_ms": [900, 600, 300, 0]}),
    );
    assert_eq!(out["status"], "completed", "{out:#}");
    let outputs = out["output"]["outputs"].as_array().unwrap();
    let order: Vec<u64> = outputs.iter().map(|o| o["i"].as_u64().unwrap()).collect();
    assert_eq!(order, [0, 1, 2, 3]);
    // They ran at once: each later item finished before the earlier one
    // (in sequence they would finish in input order, 300 ms apart).
    let finished: Vec<u64> = outputs
        .iter()
        .map(|o| o["finished_ms"].as_u64().unwrap())
        .collect();
    for w in finished.windows(2) {
        assert!(w[0] > w[1], "not concurrent: finished at {finished:?}");
    }
    // Journaled as they completed, not as they were joined.
    let show = c.show(run_id(&out));
    assert_eq!(journal_order(&show), [3, 2, 1, 0], "{show:#}");
}

#[test]
fn batch_respects_max_concurrency_and_counts_failures() {
    let fx = SideEffects::start();
    let c = deployed(Some(&fx));
    fx.gather(3);
    let out = run(
        &c,
        "par_batch",
        json!({"n": 8, "url": fx.url(), "max_concurrency": 3, "fail": [2, 5]}),
    );
    assert_eq!(out["status"], "completed", "{out:#}");
    assert_eq!(out["output"]["stats"], json!({"completed": 6, "failed": 2}));
    let outputs = out["output"]["outputs"].as_array().unwrap();
    for (i, o) in outputs.iter().enumerate() {
        if i == 2 || i == 5 {
            assert_eq!(o["error"], "item-failed", "{o}");
        } else {
            assert_eq!(o["i"], i as u64, "{o}");
        }
    }
    assert_eq!(
        fx.max_in_flight(),
        3,
        "at most 3 at once, and 3 with every item held until 3 are in flight"
    );
    for i in 0..8 {
        assert_eq!(fx.count(&format!("/item/{i}")), 1, "{:?}", fx.hits());
    }
}

#[test]
fn the_host_wide_limit_bounds_spawned_steps() {
    let fx = SideEffects::start();
    let c = deployed(Some(&fx)).env("CAIRN_RUNTIME_MAX_CONCURRENT_STEPS", "2");
    fx.gather(2);
    let out = run(&c, "par_map", json!({"n": 6, "url": fx.url()}));
    assert_eq!(out["status"], "completed", "{out:#}");
    assert_eq!(out["output"]["outputs"].as_array().unwrap().len(), 6);
    assert_eq!(fx.max_in_flight(), 2);
}

#[test]
fn map_fails_naming_the_failed_items() {
    let c = deployed(None);
    let input = json!({"n": 5, "fail": [1, 3]}).to_string();
    let out = c
        .run(&["run", "par_map", "--input", &input, "--json"])
        .code(1)
        .json();
    assert_eq!(out["status"], "failed", "{out:#}");
    let error = &out["error"];
    assert_eq!(error["code"], "batch-failed", "{error:#}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.starts_with("2 of 5 items of step `item` failed"),
        "{message}"
    );
    assert!(message.contains("item 1: item-failed"), "{message}");
    assert!(message.contains("item 3: item-failed"), "{message}");
    let failed: Vec<u64> = error["details"]["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["index"].as_u64().unwrap())
        .collect();
    assert_eq!(failed, [1, 3]);
    // Every item ran to its end, failed or not.
    let show = c.show(run_id(&out));
    let steps = entries(&show, "step");
    assert_eq!(steps.len(), 5);
    assert_eq!(steps.iter().filter(|e| e["ok"] == false).count(), 2);
}

#[test]
fn gather_collects_results_by_name() {
    let c = deployed(None);
    let out = run(&c, "par_gather", json!({"n": 3, "fail": [1]}));
    assert_eq!(out["status"], "completed", "{out:#}");
    let results = &out["output"]["results"];
    assert_eq!(results["item-0"]["i"], 0);
    assert_eq!(results["item-1"]["error"], "item-failed");
    assert_eq!(results["item-2"]["i"], 2);
}

#[test]
fn a_dropped_handle_still_runs_and_is_journaled() {
    let c = deployed(None);
    let out = run(&c, "par_drop", json!({"n": 3, "sleep_ms": [200, 200, 200]}));
    assert_eq!(out["status"], "completed", "{out:#}");
    // The run waited for the steps nobody joined.
    let show = c.show(run_id(&out));
    assert_eq!(entries(&show, "step").len(), 3, "{show:#}");
}

#[test]
fn a_spawned_step_retries_with_its_own_policy() {
    let fx = SideEffects::start();
    let c = deployed(Some(&fx));
    fx.fail("/item/1", 1);
    let out = run(&c, "par_join", json!({"n": 3, "url": fx.url()}));
    assert_eq!(out["status"], "completed", "{out:#}");
    let outputs = &out["output"]["outputs"];
    assert_eq!(outputs[0]["attempt"], 1);
    assert_eq!(outputs[1]["attempt"], 2);
    assert_eq!(outputs[2]["attempt"], 1);
    let show = c.show(run_id(&out));
    let attempts = entries(&show, "step-attempt");
    assert_eq!(attempts.len(), 1, "{show:#}");
    assert_eq!(attempts[0]["occurrence"], 1);
    assert_eq!(fx.count("/item/1"), 2);
}

#[test]
fn spawned_results_replay_from_the_journal_after_a_suspension() {
    let fx = SideEffects::start();
    let c = deployed(Some(&fx));
    // The sleep after the batch suspends the run (1.5 s > the 1 s
    // threshold); the next activation replays the batch from the journal.
    let out = run(
        &c,
        "par_batch",
        json!({"n": 5, "url": fx.url(), "fail": [3], "then_sleep_ms": 1500}),
    );
    assert_eq!(out["status"], "completed", "{out:#}");
    assert_eq!(out["output"]["stats"], json!({"completed": 4, "failed": 1}));
    let show = c.show(run_id(&out));
    assert_eq!(show["activations"], 2, "{show:#}");
    assert!(events(&show, "divergence").is_empty(), "{show:#}");
    for i in 0..5 {
        assert_eq!(fx.count(&format!("/item/{i}")), 1, "{:?}", fx.hits());
    }
}

#[test]
fn a_sleep_with_steps_in_flight_waits_for_them_in_memory() {
    let c = deployed(None);
    // The body sleeps 1.5 s while three 400 ms steps run: the instance
    // stays loaded until they finish, then the rest of the sleep suspends.
    let out = run(
        &c,
        "par_sleep",
        json!({"n": 3, "sleep_ms": [400, 400, 400], "then_sleep_ms": 1500}),
    );
    assert_eq!(out["status"], "completed", "{out:#}");
    let show = c.show(run_id(&out));
    let kinds: Vec<&str> = show["journal"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["sleep", "step", "step", "step"], "{show:#}");
    assert_eq!(show["activations"], 2, "{show:#}");
    assert!(events(&show, "divergence").is_empty(), "{show:#}");
}

#[test]
fn kill_mid_batch_reruns_only_the_unfinished_items() {
    let fx = SideEffects::start();
    // Enough host-wide slots for the ten held items and the batch's limit.
    let c = deployed(Some(&fx)).env("CAIRN_RUNTIME_MAX_CONCURRENT_STEPS", "32");
    let held: Vec<u32> = (40..50).collect();
    for i in &held {
        fx.hold(&format!("/item/{i}"), Duration::from_secs(60));
    }
    let input = json!({"n": 50, "url": fx.url(), "max_concurrency": 10}).to_string();
    let mut first = c.spawn(&["run", "par_batch", "--wait", "--input", &input]);
    for i in &held {
        fx.wait_count(&format!("/item/{i}"), 1, 60);
    }
    let run = c.newest_run();
    c.wait_for(&run, 60, |v| entries(v, "step").len() == 40);
    kill9(&mut first);
    for i in &held {
        fx.hold(&format!("/item/{i}"), Duration::ZERO);
    }

    let resumed = c.json(&["resume"]);
    assert_eq!(resumed["resumed"][0]["status"], "completed", "{resumed:#}");
    let show = c.show(&run);
    assert_eq!(
        show["output"]["stats"],
        json!({"completed": 50, "failed": 0})
    );
    let mut order: Vec<u64> = journal_order(&show);
    order.sort();
    assert_eq!(
        order,
        (0..50).collect::<Vec<u64>>(),
        "each item journaled once"
    );
    for i in 0..50u32 {
        let path = format!("/item/{i}");
        let expected = if held.contains(&i) { 2 } else { 1 };
        assert_eq!(fx.count(&path), expected, "{path}: {:?}", fx.hits());
    }
    // The re-run items kept their idempotency keys.
    for i in &held {
        let keys: Vec<String> = fx
            .hits()
            .into_iter()
            .filter(|h| h.path == format!("/item/{i}"))
            .map(|h| h.idempotency_key.unwrap())
            .collect();
        assert_eq!(keys[0], keys[1]);
        assert_eq!(keys[0], format!("{run}/item/{i}"));
    }
}

#[test]
fn kill_during_a_spawned_steps_backoff_resumes_its_retry() {
    let fx = SideEffects::start();
    let c = deployed(Some(&fx));
    fx.fail("/patient/1", 1);
    let input = json!({"n": 2, "url": fx.url()}).to_string();
    let mut first = c.spawn(&["run", "par_patient", "--wait", "--input", &input]);
    fx.wait_count("/patient/1", 1, 60);
    let run = c.newest_run();
    // The failed attempt is journaled with its retry time; the host waits
    // 3 s in memory for it, and dies meanwhile.
    let show = c.wait_for(&run, 30, |v| !entries(v, "step-attempt").is_empty());
    let retry_at = entries(&show, "step-attempt")[0]["value"]["retry_at"]
        .as_u64()
        .unwrap();
    kill9(&mut first);
    assert_eq!(fx.count("/patient/1"), 1, "retried before the kill");

    let resumed = c.json(&["resume"]);
    assert_eq!(resumed["resumed"][0]["status"], "completed", "{resumed:#}");
    let show = c.show(&run);
    let outputs = &show["output"]["outputs"];
    assert_eq!(outputs[0]["attempt"], 1, "{show:#}");
    // The new process made the second attempt, not a first one again, and
    // not before the journaled retry time.
    assert_eq!(outputs[1]["attempt"], 2, "{show:#}");
    assert!(outputs[1]["finished_ms"].as_u64().unwrap() >= retry_at);
    assert_eq!(fx.count("/patient/0"), 1, "{:?}", fx.hits());
    assert_eq!(fx.count("/patient/1"), 2, "{:?}", fx.hits());
}

#[test]
fn cancel_stops_steps_in_flight_and_does_not_retry_them() {
    let fx = SideEffects::start();
    let c = deployed(Some(&fx));
    for i in 0..6 {
        fx.hold(&format!("/item/{i}"), Duration::from_secs(30));
    }
    let input = json!({"n": 6, "url": fx.url(), "max_concurrency": 4}).to_string();
    let owner = c.spawn(&["run", "par_batch", "--wait", "--json", "--input", &input]);
    // A batch starts its items in input order: 0 to 3 take the four places.
    for i in 0..4 {
        fx.wait_count(&format!("/item/{i}"), 1, 60);
    }
    let run = c.newest_run();
    let out = c.json(&["cancel", &run]);
    assert_eq!(out["previous"], "running");
    // The owner stops waiting for the held steps and ends at once: when it
    // has exited, the four requests it started are still held unanswered.
    let done = owner.wait_with_output().unwrap();
    assert_eq!(
        fx.in_flight(),
        4,
        "the owner waited for its steps in flight"
    );
    let report: Value = serde_json::from_slice(&done.stdout).unwrap();
    assert_eq!(report["status"], "cancelled", "{report:#}");
    let show = c.show(&run);
    assert_eq!(show["status"], "cancelled");
    assert!(entries(&show, "step").is_empty(), "{show:#}");
    // Each step in flight is recorded as cancelled, the two queued behind
    // the limit too, and nothing ran again.
    let cancelled: Vec<u64> = events(&show, "step")
        .iter()
        .filter(|e| e["data"]["state"] == "cancelled")
        .map(|e| e["data"]["occurrence"].as_u64().unwrap())
        .collect();
    assert_eq!(cancelled, [0, 1, 2, 3, 4, 5], "{show:#}");
    assert_eq!(c.json(&["resume"])["resumed"].as_array().unwrap().len(), 0);
    for i in 0..4 {
        assert_eq!(
            fx.count(&format!("/item/{i}")),
            1,
            "retried: {:?}",
            fx.hits()
        );
    }
    assert_eq!(fx.count("/item/4") + fx.count("/item/5"), 0);
}
