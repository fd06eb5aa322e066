//! The end-to-end scenarios on guests written in Python (cairn-sdk for
//! Python, `guest-sdk-python/`): completion and retries, a `kill -9`
//! mid-run, a person's approval, a hot swap behind `ctx.patched`, and a
//! run replayed on a rebuild of its own source.
//!
//! Each guest is built once per source (`support::python`, cached under
//! `target/python-guests`) and compiled once per run of the suite (the
//! shared compile cache), since one Python component takes tens of
//! seconds to build and to compile. `CAIRN_SKIP_PYTHON_TESTS=1` skips
//! these tests on a machine without Python 3 (or without PyPI for the
//! first install of componentize-py); otherwise a missing tool fails them
//! with a message saying what to install.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Cairn, SideEffects, entries, events, kill9, python, repo, step_names};

const EFFECTS: &str = "tests/guests/python/effects";

fn skip() -> bool {
    let skip = std::env::var_os("CAIRN_SKIP_PYTHON_TESTS").is_some_and(|v| v == "1");
    if skip {
        eprintln!("CAIRN_SKIP_PYTHON_TESTS=1: Python guest tests skipped");
    }
    skip
}

fn deploy(c: &Cairn, guest: &str, extra: &[&str]) -> String {
    c.deploy_file(&python(guest), extra)
}

#[test]
fn python_cron_trigger_is_a_schedule() {
    if skip() {
        return;
    }
    let c = Cairn::new();
    deploy(&c, EFFECTS, &[]);
    crate::schedules::assert_yearly_listed(&c);
}

#[test]
fn python_order_completes_with_a_retried_step() {
    if skip() {
        return;
    }
    let c = Cairn::new();
    let deployed = c.json(&["deploy", python("examples/python/order").to_str().unwrap()]);
    assert_eq!(deployed["workflows"], json!(["order"]), "{deployed:#}");
    assert_eq!(
        deployed["steps"],
        json!(["charge_customer", "send_confirmation", "validate_order"])
    );

    let input = json!({"order_id": "A-1", "amount": 42.5}).to_string();
    let out = c.json(&["run", "order", "--input", &input, "--wait"]);
    assert_eq!(out["status"], "completed", "{out:#}");
    assert_eq!(out["output"]["status"], "confirmed");
    assert_eq!(
        out["output"]["charge_attempts"], 2,
        "the simulated gateway timeout was retried: {out:#}"
    );
    let run = out["run_id"].as_str().unwrap();
    let show = c.show(run);
    assert_eq!(
        step_names(&show),
        ["validate_order", "charge_customer", "send_confirmation"],
        "{show:#}"
    );
    assert_eq!(show["state"]["status"], "confirmed", "{show:#}");
    let attempts = entries(&show, "step-attempt");
    assert_eq!(attempts.len(), 1, "{show:#}");
    assert_eq!(attempts[0]["value"]["error"]["code"], "gateway-timeout");
    let retrying = events(&show, "step")
        .into_iter()
        .filter(|e| e["data"]["state"] == "retrying")
        .count();
    assert_eq!(
        retrying, 1,
        "the failed first attempt is an event: {show:#}"
    );

    // The input's annotation (a dataclass) is the workflow's input schema
    // (describe-ext): the host refuses what does not fit before a run exists.
    let runs = c.json(&["runs"])["runs"].as_array().unwrap().len();
    for (bad, expected) in [
        (json!({"order_id": "A-2", "amount": "lots"}), "/amount"),
        (json!({"order_idx": "A-2", "amount": 1}), "order_id"),
    ] {
        let out = c
            .run(&["run", "order", "--input", &bad.to_string(), "--json"])
            .code(2);
        let v = out.json();
        assert_eq!(v["error"]["code"], "bad-input", "{v:#}");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(message.contains(expected), "{v:#}");
    }
    assert_eq!(c.json(&["runs"])["runs"].as_array().unwrap().len(), runs);
}

#[test]
fn python_kill_9_mid_run_repeats_no_completed_step() {
    if skip() {
        return;
    }
    let fx = SideEffects::start();
    let c = Cairn::new();
    deploy(&c, EFFECTS, &["--allow-http", &fx.host()]);
    fx.hold("/2", Duration::from_secs(120));
    let input = json!({"url": fx.url(), "n": 4}).to_string();
    let mut first = c.spawn(&["run", "chain", "--wait", "--input", &input]);
    fx.wait_count("/2", 1, 300);
    kill9(&mut first);
    fx.hold("/2", Duration::ZERO);

    let run = c.newest_run();
    let resumed = c.json(&["resume", &run]);
    assert_eq!(resumed["resumed"][0]["status"], "completed", "{resumed:#}");
    assert_eq!(fx.count("/0"), 1, "{:?}", fx.hits());
    assert_eq!(fx.count("/1"), 1, "{:?}", fx.hits());
    assert_eq!(fx.count("/2"), 2, "in flight at the kill: {:?}", fx.hits());
    assert_eq!(fx.count("/3"), 1, "{:?}", fx.hits());
    let keys: Vec<_> = fx
        .hits()
        .into_iter()
        .filter(|h| h.path == "/2")
        .map(|h| h.idempotency_key.unwrap())
        .collect();
    assert_eq!(keys, [format!("{run}/hit/2"), format!("{run}/hit/2")]);
    let show = c.show(&run);
    assert_eq!(show["output"], json!(["ok /0", "ok /1", "ok /2", "ok /3"]));
    assert_eq!(entries(&show, "step").len(), 4, "{show:#}");
}

#[test]
fn python_approval_waits_for_a_person() {
    if skip() {
        return;
    }
    let c = Cairn::new();
    deploy(&c, "examples/python/approval", &[]);
    let input = json!({"order_id": "A-7", "amount": 99.0, "customer": "ana"}).to_string();
    let out = c.json(&["run", "approval", "--input", &input]);
    assert_eq!(out["status"], "waiting", "{out:#}");
    let run = out["run_id"].as_str().unwrap();

    let prompts = c.json(&["prompts"]);
    let p = &prompts["prompts"][0];
    assert_eq!(p["run_id"], run, "{prompts:#}");
    assert_eq!(p["question"], "Approve Order A-7: 99.00 for ana?");
    // An answer that does not fit is refused; the prompt stays.
    let refused = c.run(&["respond", run, "maybe"]);
    assert_eq!(refused.code, 2, "{refused:?}");
    c.run(&["respond", run, "approve", "--by", "lead"]).code(0);
    let resumed = c.json(&["resume", run]);
    assert_eq!(resumed["resumed"][0]["status"], "completed", "{resumed:#}");
    let show = c.show(run);
    assert_eq!(show["output"]["status"], "shipped", "{show:#}");
    assert_eq!(show["output"]["by"], "lead");
    assert_eq!(show["state"]["status"], "shipped");
}

#[test]
fn python_hot_swap_behind_patched_moves_the_parked_run() {
    if skip() {
        return;
    }
    let c = Cairn::new().env("CAIRN_RUNTIME_SUSPEND_THRESHOLD_MS", "100");
    deploy(&c, EFFECTS, &[]);
    let input = json!({"x": 1, "park_secs": 1}).to_string();
    let out = c.json(&["run", "evolve_patched", "--input", &input]);
    assert_eq!(out["status"], "sleeping", "{out:#}");
    let run = out["run_id"].as_str().unwrap().to_string();

    let v2 = deploy(&c, "tests/guests/python/effects_v2", &[]);
    std::thread::sleep(Duration::from_millis(1100));
    let resumed = c.json(&["resume", &run]);
    assert_eq!(resumed["resumed"][0]["status"], "completed", "{resumed:#}");
    let show = c.show(&run);
    assert_eq!(show["version"], v2, "{show:#}");
    assert_eq!(show["output"]["version"], "v2");
    assert_eq!(show["output"]["steps"], json!(["a1", "b1"]), "{show:#}");
    assert_eq!(entries(&show, "patched")[0]["value"], false, "{show:#}");
    assert_eq!(entries(&show, "moved").len(), 1, "{show:#}");

    // A run started on v2 takes the patched path.
    let input = json!({"x": 2, "park_secs": 0}).to_string();
    let fresh = c.json(&["run", "evolve_patched", "--input", &input]);
    assert_eq!(
        fresh["output"]["steps"],
        json!(["a2", "n2", "b2"]),
        "{fresh:#}"
    );
}

/// A second build of `EFFECTS`, made afresh (not the cached one).
fn rebuild() -> PathBuf {
    let out = repo().join("target/python-guests/effects-rebuild.wasm");
    let _ = std::fs::remove_file(&out);
    cairn::guests::python::build_to(&repo().join(EFFECTS), &out, None)
        .unwrap_or_else(|e| panic!("{e}"));
    out
}

#[test]
fn python_rebuild_of_the_same_source_replays_its_runs() {
    if skip() {
        return;
    }
    let c = Cairn::new().env("CAIRN_RUNTIME_SUSPEND_THRESHOLD_MS", "100");
    let first = python(EFFECTS);
    let v1 = c.deploy_file(&first, &[]);
    let out = c.json(&["run", "determinism", "--input", "1"]);
    assert_eq!(out["status"], "sleeping", "{out:#}");
    let run = out["run_id"].as_str().unwrap().to_string();
    let shown = c.show(&run);
    let tags_before = step_inputs(&shown);

    let second = rebuild();
    let checked = c.run(&["replay", &run, "--with", second.to_str().unwrap(), "--json"]);
    assert_eq!(checked.code, 0, "the rebuild replays the run: {checked:?}");

    let v2 = c.deploy_file(&second, &[]);
    assert_ne!(v1, v2, "two builds are two versions (their bytes differ)");
    std::thread::sleep(Duration::from_millis(1100));
    let resumed = c.json(&["resume", &run]);
    assert_eq!(resumed["resumed"][0]["status"], "completed", "{resumed:#}");
    let show = c.show(&run);
    assert_eq!(show["version"], v2, "moved to the rebuild: {show:#}");
    assert!(events(&show, "divergence").is_empty(), "{show:#}");
    assert_eq!(step_inputs(&show), tags_before, "{show:#}");
    let out = &show["output"];
    assert_eq!(out["slept"], true, "{show:#}");
    // The body's random, uuid and time come from the journal.
    assert!(!entries(&show, "random").is_empty(), "{show:#}");
    assert!(!entries(&show, "now").is_empty(), "{show:#}");
    assert_eq!(out["hash_order"].as_array().unwrap().len(), 8);

    // A new run on the rebuild iterates the set the same way.
    let fresh = c.json(&["run", "determinism", "--input", "0"]);
    assert_eq!(
        fresh["output"]["hash_order"], out["hash_order"],
        "{fresh:#}"
    );
}

/// The input hashes and outputs of a run's journaled steps, in order.
fn step_inputs(show: &Value) -> Vec<String> {
    entries(show, "step")
        .iter()
        .map(|e| format!("{} {}", e["input_hash"], e["value"]))
        .collect()
}

#[test]
fn the_python_sdk_ships_the_repository_wit() {
    let shipped = repo().join("guest-sdk-python/cairn/wit/deps/cairn-workflow/workflow.wit");
    let wit = std::fs::read_to_string(repo().join("wit/workflow.wit")).unwrap();
    assert_eq!(
        std::fs::read_to_string(&shipped).unwrap(),
        wit,
        "{} is out of date: copy wit/workflow.wit there",
        shipped.display()
    );
}
