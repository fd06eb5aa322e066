//! Versions and hot swap: runs parked in durable sleeps on v1 meet a
//! deploy of v2; a run moves only when its journal replays cleanly on v2,
//! and is never stranded.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Cairn, entries, events, step_names, wasm};

pub const PARK: u64 = 2;

/// A database with v1 deployed and one run of `workflow` parked in its sleep.
pub fn parked(workflow: &str) -> (Cairn, String, String) {
    let c = Cairn::new();
    let v1 = c.deploy("evolve_v1", &[]);
    let input = json!({"x": 1, "park_secs": PARK}).to_string();
    let out = c.json(&["run", workflow, "--input", &input]);
    assert_eq!(out["status"], "sleeping", "{out:#}");
    (c, v1, out["run_id"].as_str().unwrap().to_string())
}

/// Waits out the park and resumes the run in a new process.
pub fn finish(c: &Cairn, run: &str) -> Value {
    std::thread::sleep(Duration::from_millis(PARK * 1000 + 100));
    let out = c.json(&["resume", run]);
    assert_eq!(out["resumed"][0]["status"], "completed", "{out:#}");
    c.show(run)
}

pub fn version_events(show: &Value) -> Vec<&Value> {
    events(show, "version")
}

pub fn assert_moved(show: &Value, v2: &str, steps: Value) {
    assert_eq!(show["version"], v2, "{show:#}");
    assert_eq!(show["output"]["version"], "v2");
    assert_eq!(show["output"]["steps"], steps);
    let moved = entries(show, "moved");
    assert_eq!(moved.len(), 1, "the move is journaled: {show:#}");
    assert_eq!(moved[0]["value"]["to"], v2);
    assert_eq!(moved[0]["value"]["forced"], false);
}

pub fn assert_stayed(show: &Value, v1: &str, expected: &str, found: &str) {
    assert_eq!(show["version"], v1, "{show:#}");
    assert_eq!(
        show["output"]["version"], "v1",
        "finished on its version: {show:#}"
    );
    assert_eq!(show["output"]["steps"], json!(["a1", "b1"]));
    let ev = version_events(show);
    assert_eq!(ev.len(), 1, "{show:#}");
    let d = &ev[0]["data"];
    assert_eq!(d["moved"], false);
    assert_eq!(d["check"]["result"], "divergent", "{d:#}");
    assert_eq!(d["check"]["expected"], expected, "{d:#}");
    assert_eq!(d["check"]["found"], found, "{d:#}");
    assert!(entries(show, "moved").is_empty());
}

#[test]
fn a_step_added_after_the_parking_point_moves_the_run() {
    let (c, _v1, run) = parked("evolve_add_after");
    let v2 = c.deploy("evolve_v2", &[]);
    let show = finish(&c, &run);
    assert_moved(&show, &v2, json!(["a1", "b1", "c1"]));
}

#[test]
fn an_unchanged_workflow_moves() {
    let (c, _v1, run) = parked("evolve_same");
    let v2 = c.deploy("evolve_v2", &[]);
    assert_moved(&finish(&c, &run), &v2, json!(["a1", "b1"]));
}

#[test]
fn a_step_added_before_the_parking_point_keeps_the_run_on_its_version() {
    let (c, v1, run) = parked("evolve_add_before");
    c.deploy("evolve_v2", &[]);
    let show = finish(&c, &run);
    assert_stayed(&show, &v1, "sleep `sleep` #0", "step `n` #0");
}

#[test]
fn a_step_added_behind_patched_moves_and_old_runs_skip_it() {
    let (c, _v1, run) = parked("evolve_patched");
    let v2 = c.deploy("evolve_v2", &[]);
    let show = finish(&c, &run);
    assert_moved(&show, &v2, json!(["a1", "b1"]));
    let marker = entries(&show, "patched");
    assert_eq!(marker[0]["value"], false, "{show:#}");
    // A run started on v2 takes the new path.
    let input = json!({"x": 2, "park_secs": 0}).to_string();
    let fresh = c.json(&["run", "evolve_patched", "--input", &input]);
    assert_eq!(
        fresh["output"]["steps"],
        json!(["a2", "n2", "b2"]),
        "{fresh:#}"
    );
}

#[test]
fn a_removed_step_keeps_the_run_on_its_version() {
    let (c, v1, run) = parked("evolve_remove");
    c.deploy("evolve_v2", &[]);
    assert_stayed(&finish(&c, &run), &v1, "step `a` #0", "step `b` #0");
}

#[test]
fn a_step_moved_across_the_parking_point_keeps_the_run_on_its_version() {
    // `a → park → b` became `b → park → a`: the run has done `a` only, and
    // the new code asks for `b` first.
    let (c, v1, run) = parked("evolve_reorder");
    c.deploy("evolve_v2", &[]);
    assert_stayed(&finish(&c, &run), &v1, "step `a` #0", "step `b` #0");
}

#[test]
fn a_changed_step_input_keeps_the_run_on_its_version() {
    let (c, v1, run) = parked("evolve_input");
    c.deploy("evolve_v2", &[]);
    let show = finish(&c, &run);
    let d = &version_events(&show)[0]["data"]["check"];
    assert!(
        d["expected"]
            .as_str()
            .unwrap()
            .starts_with("step `a` #0 with input hash"),
        "{d:#}"
    );
    assert_eq!(show["version"], v1);
    assert_eq!(show["output"]["version"], "v1");
}

#[test]
fn a_renamed_step_keeps_the_run_on_its_version() {
    let (c, v1, run) = parked("evolve_rename");
    c.deploy("evolve_v2", &[]);
    assert_stayed(&finish(&c, &run), &v1, "step `a` #0", "step `a2` #0");
}

#[test]
fn deploy_pin_keeps_runs_in_flight_where_they_are() {
    let (c, v1, run) = parked("evolve_add_after");
    c.deploy("evolve_v2", &["--pin"]);
    let show = finish(&c, &run);
    assert_eq!(show["version"], v1);
    assert_eq!(show["output"]["version"], "v1");
    assert!(
        version_events(&show).is_empty(),
        "no check was made: {show:#}"
    );
    let versions = c.json(&["versions"]);
    assert!(
        versions["versions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["pin"] == true)
    );
}

#[test]
fn a_strict_version_fails_a_run_whose_journal_diverges() {
    // `nondet` passes the activation number to a step, so its replay differs.
    let tolerant = Cairn::new();
    tolerant.deploy("evolve_v1", &[]);
    let input = json!({"x": 1, "park_secs": PARK}).to_string();
    let run = tolerant.json(&["run", "nondet", "--input", &input])["run_id"]
        .as_str()
        .unwrap()
        .to_string();
    let show = finish(&tolerant, &run);
    assert_eq!(show["status"], "completed");
    assert_eq!(
        events(&show, "divergence").len(),
        1,
        "recorded, tolerated: {show:#}"
    );

    let strict = Cairn::new();
    strict.deploy("evolve_v1", &["--strict"]);
    let run = strict.json(&["run", "nondet", "--input", &input])["run_id"]
        .as_str()
        .unwrap()
        .to_string();
    std::thread::sleep(Duration::from_millis(PARK * 1000 + 100));
    let out = strict.run(&["resume", &run, "--json"]).code(1).json();
    assert_eq!(out["resumed"][0]["status"], "diverged", "{out:#}");
    let show = strict.show(&run);
    assert_eq!(show["status"], "diverged");
    assert!(
        show["error"]["message"]
            .as_str()
            .unwrap()
            .contains("step `a` #0"),
        "{show:#}"
    );
}

#[test]
fn upgrade_dry_run_prints_the_check_and_moves_nothing() {
    let (c, v1, run) = parked("evolve_add_before");
    let v2 = c.deploy("evolve_v2", &["--pin"]);
    let out = c
        .run(&["upgrade", &run, "--to", &v2[..10], "--dry-run", "--json"])
        .code(1)
        .json();
    assert_eq!(out["check"]["result"], "divergent", "{out:#}");
    assert_eq!(out["moved"], false);
    let text = c.run(&["upgrade", &run, "--to", &v2[..10]]).code(1);
    assert!(
        text.stdout
            .contains("expected sleep `sleep` #0, found step `n` #0"),
        "{text:?}"
    );
    assert_eq!(c.show(&run)["version"], v1);
    // --force moves it anyway and says so in the journal.
    let forced = c.json(&["upgrade", &run, "--to", &v2, "--force"]);
    assert_eq!(forced["moved"], true);
    assert_eq!(forced["forced"], true);
    let show = c.show(&run);
    assert_eq!(show["version"], v2);
    assert_eq!(entries(&show, "moved")[0]["value"]["forced"], true);
}

#[test]
fn upgrade_moves_a_clean_run() {
    let (c, _v1, run) = parked("evolve_add_after");
    let v2 = c.deploy("evolve_v2", &["--pin"]);
    let dry = c.json(&["upgrade", &run, "--to", &v2, "--dry-run"]);
    assert_eq!(dry["check"]["result"], "clean");
    assert_eq!(dry["moved"], false);
    let out = c.json(&["upgrade", &run, "--to", &v2]);
    assert_eq!(out["moved"], true);
    let show = finish(&c, &run);
    assert_moved(&show, &v2, json!(["a1", "b1", "c1"]));
    let out = c.run(&["upgrade", "nope", "--to", &v2]).code(3);
    assert!(out.stderr.contains("no run with id"), "{out:?}");
}

#[test]
fn replay_with_a_file_reports_clean_or_the_first_divergence() {
    let (c, _v1, same) = parked("evolve_same");
    let input = json!({"x": 1, "park_secs": PARK}).to_string();
    let changed = c.json(&["run", "evolve_input", "--input", &input]);
    let changed = changed["run_id"].as_str().unwrap();
    let v2 = wasm("evolve_v2");
    let v2 = v2.to_str().unwrap();
    let ok = c.run(&["replay", &same, "--with", v2]).code(0);
    assert!(ok.stdout.starts_with("clean"), "{ok:?}");
    let bad = c.run(&["replay", changed, "--with", v2]).code(1);
    assert!(bad.stdout.contains("divergent"), "{bad:?}");
    assert!(
        bad.stdout.contains("expected: step `a` #0 with input hash"),
        "{bad:?}"
    );
    // Against its own version the journal replays cleanly.
    c.run(&["replay", changed]).code(0);
    // Nothing was deployed by replaying.
    assert_eq!(
        c.json(&["versions"])["versions"].as_array().unwrap().len(),
        1
    );
}

#[test]
fn a_deploy_during_a_live_serve_moves_the_runs_in_flight() {
    // The runs wait for a person, so they wake only once v2 is deployed,
    // however long the deploy takes on a loaded machine.
    let c = Cairn::new();
    c.deploy("evolve_v1", &[]);
    let input = json!({"x": 1, "park_secs": 0}).to_string();
    let runs: Vec<String> = (0..3)
        .map(|_| {
            let out = c.json(&["run", "evolve_ask", "--input", &input]);
            assert_eq!(out["status"], "waiting", "{out:#}");
            out["run_id"].as_str().unwrap().to_string()
        })
        .collect();
    let _serve = c.serve();
    let v2 = c.deploy("evolve_v2", &[]);
    for run in &runs {
        c.json(&["respond", run, "approve"]);
    }
    for run in &runs {
        let show = c.wait_for(run, 60, |v| v["status"] == "completed");
        assert_moved(&show, &v2, json!(["a1", "b1", "c1"]));
    }
    // New runs start on the new version.
    let fresh = json!({"x": 5, "park_secs": 0}).to_string();
    let out = c.json(&["run", "evolve_add_after", "--input", &fresh]);
    assert_eq!(out["output"]["version"], "v2");
}

#[test]
fn gc_removes_only_versions_that_hold_no_runs_and_are_not_active() {
    let c = Cairn::new();
    let v2 = c.deploy("evolve_v2", &[]);
    let v1 = c.deploy("evolve_v1", &[]);
    // v2 is active for nothing now and holds no run.
    let out = c.json(&["versions", "gc"]);
    assert_eq!(out["removed"], json!([v2]));
    let input = json!({"x": 1, "park_secs": 0}).to_string();
    c.json(&["run", "evolve_same", "--input", &input]);
    let v2 = c.deploy("evolve_v2", &[]);
    // v1 holds a run; v2 is active: both stay.
    let out = c.json(&["versions", "gc"]);
    assert_eq!(out["removed"], json!([]));
    let versions = c.json(&["versions"]);
    let shas: Vec<&str> = versions["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["sha"].as_str().unwrap())
        .collect();
    assert!(shas.contains(&v1.as_str()) && shas.contains(&v2.as_str()));
}

#[test]
fn order_v2_adds_a_fraud_check_without_stranding_runs_in_flight() {
    // Retry backoffs of 100 ms or more unload the run, so an order parks
    // in its charge retry (the first charge attempt fails, simulated).
    let c = Cairn::new().env("CAIRN_RUNTIME_SUSPEND_THRESHOLD_MS", "100");
    let v1 = c.deploy("order", &[]);
    let input = json!({"order_id": "A-9", "amount": 20000.0}).to_string();
    // A finished v1 order replays cleanly against v2.
    let done = c.json(&["run", "order", "--wait", "--input", &input]);
    let done = done["run_id"].as_str().unwrap();
    let v2_file = wasm("order_v2");
    c.run(&["replay", done, "--with", v2_file.to_str().unwrap()])
        .code(0);
    let parked = c.json(&["run", "order", "--input", &input]);
    assert_eq!(parked["status"], "sleeping", "{parked:#}");
    let parked = parked["run_id"].as_str().unwrap().to_string();

    let v2 = c.deploy("order_v2", &[]);
    assert_ne!(v1, v2);
    // The deploy is quick when `replay --with` compiled the file already.
    c.wait_until_due(&parked);
    let out = c.json(&["resume", &parked]);
    assert_eq!(out["resumed"][0]["status"], "completed", "{out:#}");
    let show = c.show(&parked);
    // It moved, skipped the check its history never had, and was charged.
    assert_eq!(show["version"], v2);
    assert_eq!(show["output"]["status"], "confirmed", "{show:#}");
    assert_eq!(entries(&show, "patched")[0]["value"], false);
    let steps = step_names(&show);
    assert_eq!(
        steps,
        ["validate_order", "charge_customer", "send_confirmation"]
    );

    // A new order of the same amount runs the check and is held.
    let fresh = c.json(&["run", "order", "--wait", "--input", &input]);
    assert_eq!(fresh["output"]["status"], "held-for-review", "{fresh:#}");
}

#[test]
fn a_run_waiting_for_a_person_moves_when_it_resumes() {
    let c = Cairn::new();
    c.deploy("evolve_v1", &[]);
    let input = json!({"x": 1, "park_secs": 0}).to_string();
    let out = c.json(&["run", "evolve_ask", "--input", &input]);
    assert_eq!(out["status"], "waiting", "{out:#}");
    let run = out["run_id"].as_str().unwrap().to_string();
    // Dry-run the v2 file against the waiting run: it replays up to the
    // unanswered prompt.
    let v2_file = wasm("evolve_v2");
    c.run(&["replay", &run, "--with", v2_file.to_str().unwrap()])
        .code(0);
    let v2 = c.deploy("evolve_v2", &[]);
    c.json(&["respond", &run, "approve"]);
    let out = c.json(&["resume", &run]);
    assert_eq!(out["resumed"][0]["status"], "completed", "{out:#}");
    let show = c.show(&run);
    assert_eq!(show["version"], v2);
    assert_eq!(show["output"]["steps"], json!(["a1", "b1", "c1"]));
    assert_eq!(show["output"]["approved"], true);
}
