//! The replay check that decides whether a run moves: a body that fails on
//! the new version, a value it cannot read, a spawn the history never had,
//! and `cairn replay --with`'s compiled-artefact cache.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Cairn, SideEffects, entries, events, kill9, step_names, wasm};
use crate::versions::{assert_stayed, finish, parked, version_events};

fn v2_file() -> String {
    wasm("evolve_v2").to_str().unwrap().to_string()
}

/// `cairn replay RUN --with evolve_v2.wasm --json`, expected to be not clean.
fn replay_not_clean(c: &Cairn, run: &str) -> Value {
    let out = c
        .run(&["replay", run, "--with", &v2_file(), "--json"])
        .code(1);
    out.json()["check"].clone()
}

/// The run stayed on v1 and finished there; returns the `version` event's
/// reason.
fn stayed_with_reason(show: &Value, v1: &str, steps: Value) -> String {
    assert_eq!(show["version"], v1, "{show:#}");
    assert_eq!(show["output"]["version"], "v1", "{show:#}");
    assert_eq!(show["output"]["steps"], steps, "{show:#}");
    assert!(entries(show, "moved").is_empty(), "{show:#}");
    let ev = version_events(show);
    assert_eq!(ev.len(), 1, "{show:#}");
    assert_eq!(ev[0]["data"]["moved"], false);
    assert_eq!(ev[0]["data"]["check"]["result"], "failed", "{show:#}");
    ev[0]["data"]["reason"].as_str().unwrap().to_string()
}

#[test]
fn a_step_output_that_no_longer_decodes_keeps_the_run_on_its_version() {
    // v2 gives `item_req`'s output a required field; the run is parked
    // after the step and a state write.
    let (c, v1, run) = parked("evolve_required_field");
    let check = replay_not_clean(&c, &run);
    let message = check["message"].as_str().unwrap();
    assert!(message.contains("output of step `item_req`"), "{check:#}");
    assert!(message.contains("missing field `qty`"), "{check:#}");
    let text = c.run(&["replay", &run, "--with", &v2_file()]).code(1);
    assert!(text.stdout.contains("missing field `qty`"), "{text:?}");

    c.deploy("evolve_v2", &[]);
    let show = finish(&c, &run);
    let reason = stayed_with_reason(&show, &v1, json!(["item1", "b1"]));
    assert!(reason.contains("missing field `qty`"), "{reason}");
    assert!(!reason.contains("ended without asking"), "{reason}");
}

#[test]
fn a_decode_failure_the_body_takes_in_stride_keeps_the_run_on_its_version() {
    // v2's body turns the failure to read `item_req`'s journaled output
    // into a fallback: moved, the run would take a branch its history
    // contradicts.
    let (c, v1, run) = parked("evolve_swallow");
    let check = replay_not_clean(&c, &run);
    assert!(
        check["message"]
            .as_str()
            .unwrap()
            .contains("missing field `qty`"),
        "{check:#}"
    );
    c.deploy("evolve_v2", &[]);
    let show = finish(&c, &run);
    let reason = stayed_with_reason(&show, &v1, json!(["item1", "b1"]));
    assert!(reason.contains("output of step `item_req`"), "{reason}");
}

#[test]
fn a_body_that_panics_on_the_new_version_keeps_the_run_on_its_version() {
    let (c, v1, run) = parked("evolve_trap");
    let check = replay_not_clean(&c, &run);
    assert!(
        check["message"]
            .as_str()
            .unwrap()
            .contains("cannot go on after a1"),
        "{check:#}"
    );
    c.deploy("evolve_v2", &[]);
    let show = finish(&c, &run);
    let reason = stayed_with_reason(&show, &v1, json!(["a1", "b1"]));
    assert!(reason.contains("panicked"), "{reason}");
}

#[test]
fn a_body_that_returns_an_error_on_the_new_version_keeps_the_run_on_its_version() {
    let (c, v1, run) = parked("evolve_refuse");
    let check = replay_not_clean(&c, &run);
    assert_eq!(
        check["message"],
        "the workflow fails on this version (refused): v2 of evolve_refuse stops after a1",
        "{check:#}"
    );
    c.deploy("evolve_v2", &[]);
    let show = finish(&c, &run);
    let reason = stayed_with_reason(&show, &v1, json!(["a1", "b1"]));
    assert!(reason.contains("stops after a1"), "{reason}");
}

#[test]
fn a_failed_run_replays_cleanly_to_the_failure_it_recorded() {
    // A finished run that failed replays to the same failure on its own
    // version: clean, so `cairn replay` in CI over past runs is quiet.
    let c = Cairn::new();
    c.deploy("evolve_v2", &[]);
    let input = json!({"x": 1, "park_secs": 0}).to_string();
    let out = c
        .run(&["run", "evolve_trap", "--input", &input, "--json"])
        .code(1);
    let run = out.json()["run_id"].as_str().unwrap().to_string();
    let ok = c.run(&["replay", &run]).code(0);
    assert!(ok.stdout.contains("fails as it did"), "{ok:?}");
}

#[test]
fn a_spawn_added_before_the_parking_point_keeps_the_run_on_its_version() {
    // v2 spawns `n` before `a` and joins it after `b`. Moved, `n` would run
    // after the run's whole history (after the sleep); it stays instead.
    let (c, v1, run) = parked("evolve_spawn_before");
    let check = replay_not_clean_divergent(&c, &run);
    assert_eq!(check["expected"], "step `a` #0", "{check:#}");
    assert_eq!(check["found"], "step `n` #0", "{check:#}");
    c.deploy("evolve_v2", &[]);
    let show = finish(&c, &run);
    assert_stayed(&show, &v1, "step `a` #0", "step `n` #0");
    assert_eq!(step_names(&show), ["a", "b"], "`n` never ran: {show:#}");
}

fn replay_not_clean_divergent(c: &Cairn, run: &str) -> Value {
    let check = replay_not_clean(c, run);
    assert_eq!(check["result"], "divergent", "{check:#}");
    check
}

#[test]
fn a_run_killed_with_a_spawned_step_in_flight_still_moves() {
    // Crash recovery's tolerance stays: the run's own version also spawned
    // the step missing from the journal, so it is no new spawn.
    let fx = SideEffects::start();
    fx.hold("/slow", Duration::from_secs(60));
    let c = Cairn::new();
    c.deploy("evolve_v1", &["--allow-http", &fx.host()]);
    let input = json!({"url": fx.url()}).to_string();
    let mut first = c.spawn(&["run", "evolve_spawned", "--wait", "--input", &input]);
    fx.wait_count("/slow", 1, 60);
    let run = c.newest_run();
    // The later spawn is journaled; the earlier one is still held.
    c.wait_for(&run, 60, |v| !entries(v, "step").is_empty());
    kill9(&mut first);
    fx.hold("/slow", Duration::ZERO);
    let v2 = c.deploy("evolve_v2", &["--allow-http", &fx.host()]);

    let out = c.json(&["resume", &run]);
    assert_eq!(out["resumed"][0]["status"], "completed", "{out:#}");
    let show = c.show(&run);
    assert_eq!(show["version"], v2, "{show:#}");
    assert_eq!(show["output"]["version"], "v2", "{show:#}");
    assert_eq!(show["output"]["steps"], json!(["ok /slow", "ok /fast"]));
    assert_eq!(fx.count("/fast"), 1, "{:?}", fx.hits());
    assert!(events(&show, "divergence").is_empty(), "{show:#}");
}

#[test]
fn replay_with_a_file_compiles_it_once() {
    let (c, _v1, run) = parked("evolve_same");
    let replay = || {
        let out = c
            .cmd(&["replay", &run, "--with", &v2_file()])
            .env("RUST_LOG", "cairn=info")
            .env("CAIRN_ENGINE_COMPILE_CACHE", "off") // the database's cache alone
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let first = replay();
    assert_eq!(first.matches("compiling component").count(), 1, "{first}");
    let second = replay();
    assert!(
        !second.contains("compiling component"),
        "compiled again: {second}"
    );
    // Deploying the same file reuses the artefact too.
    let out = c
        .cmd(&["deploy", &v2_file()])
        .env("RUST_LOG", "cairn=info")
        .env("CAIRN_ENGINE_COMPILE_CACHE", "off")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("compiling component"), "{stderr}");
}

#[test]
fn a_component_is_compiled_once_per_machine_whatever_the_database() {
    let cache = tempfile::tempdir().unwrap();
    let deploy = |c: &Cairn| {
        let out = c
            .cmd(&["deploy", &v2_file()])
            .env("RUST_LOG", "cairn=info")
            .env("CAIRN_ENGINE_COMPILE_CACHE", cache.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let first = deploy(&Cairn::new());
    assert_eq!(first.matches("compiling component").count(), 1, "{first}");
    // Another database on the same machine: the artefact is the cache's.
    let second = deploy(&Cairn::new());
    assert!(
        !second.contains("compiling component"),
        "compiled again: {second}"
    );
    let off = Cairn::new().env("CAIRN_ENGINE_COMPILE_CACHE", "off");
    let out = off
        .cmd(&["deploy", &v2_file()])
        .env("RUST_LOG", "cairn=info")
        .output()
        .unwrap();
    let third = String::from_utf8_lossy(&out.stderr);
    assert!(
        third.contains("compiling component"),
        "`off` compiles: {third}"
    );
}
