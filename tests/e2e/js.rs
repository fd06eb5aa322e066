//! The end-to-end scenarios on guests written in JavaScript (cairn-sdk for
//! JavaScript, `guest-sdk-js/`, on QuickJS through componentize-qjs):
//! completion with a retried step, a `kill -9` mid-run, the body's clock
//! and randomness journaled, a rebuild replaying a run, and the HTTP rule
//! of `context.http`.
//!
//! Each guest is built once per source (`support::js`, cached under
//! `target/js-guests`). `CAIRN_SKIP_JS_TESTS=1` skips these tests on a
//! machine without Node.js (or without the npm registry for the first
//! install of componentize-qjs); otherwise a missing tool fails them with
//! a message saying what to install.

use std::time::Duration;

use serde_json::json;

use crate::support::{Cairn, SideEffects, entries, events, js, kill9, repo, step_names};

const EFFECTS: &str = "tests/guests/js/effects";

fn skip() -> bool {
    let skip = std::env::var_os("CAIRN_SKIP_JS_TESTS").is_some_and(|v| v == "1");
    if skip {
        eprintln!("CAIRN_SKIP_JS_TESTS=1: JavaScript guest tests skipped");
    }
    skip
}

#[test]
fn js_cron_trigger_is_a_schedule() {
    if skip() {
        return;
    }
    let c = Cairn::new();
    c.deploy_file(&js(EFFECTS), &[]);
    crate::schedules::assert_yearly_listed(&c);
}

#[test]
fn js_order_completes_with_a_retried_step() {
    if skip() {
        return;
    }
    let c = Cairn::new();
    let deployed = c.json(&["deploy", js("examples/js/order").to_str().unwrap()]);
    assert_eq!(deployed["workflows"], json!(["order"]), "{deployed:#}");
    assert_eq!(
        deployed["steps"],
        json!(["charge_customer", "send_confirmation", "validate_order"])
    );

    let input = json!({"orderId": "A-1", "amount": 42.5}).to_string();
    let out = c.json(&["run", "order", "--input", &input, "--wait"]);
    assert_eq!(out["status"], "completed", "{out:#}");
    assert_eq!(out["output"]["status"], "confirmed");
    assert_eq!(
        out["output"]["chargeAttempts"], 2,
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
    assert_eq!(retrying, 1, "{show:#}");
    // `Date.now()` and `Math.random()` in the body are journaled calls.
    assert_eq!(entries(&show, "now").len(), 1, "{show:#}");
    assert_eq!(entries(&show, "random").len(), 1, "{show:#}");

    // The workflow's `inputSchema` is checked before a run exists.
    let runs = c.json(&["runs"])["runs"].as_array().unwrap().len();
    let bad = json!({"orderId": "A-2"}).to_string();
    let v = c
        .run(&["run", "order", "--input", &bad, "--json"])
        .code(2)
        .json();
    assert_eq!(v["error"]["code"], "bad-input", "{v:#}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("amount"),
        "{v:#}"
    );
    assert_eq!(c.json(&["runs"])["runs"].as_array().unwrap().len(), runs);
}

#[test]
fn js_kill_9_mid_run_repeats_no_completed_step() {
    if skip() {
        return;
    }
    let fx = SideEffects::start();
    let c = Cairn::new();
    c.deploy_file(&js(EFFECTS), &["--allow-http", &fx.host()]);
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
    let output = show["output"]
        .as_array()
        .expect("an array of replies")
        .clone();
    assert_eq!(output.len(), 4, "{show:#}");
    assert_eq!(entries(&show, "step").len(), 4, "{show:#}");
}

#[test]
fn js_body_clock_and_randomness_replay_from_the_journal() {
    if skip() {
        return;
    }
    let c = Cairn::new().env("CAIRN_RUNTIME_SUSPEND_THRESHOLD_MS", "100");
    c.deploy_file(&js(EFFECTS), &[]);
    let input = json!({"sleepMs": 400}).to_string();
    let first = c.json(&["run", "clock", "--input", &input, "--wait"]);
    assert_eq!(first["status"], "completed", "{first:#}");
    let out = &first["output"];
    assert_eq!(
        out["activation"], 2,
        "the sleep unloaded the run and a replay finished it: {first:#}"
    );
    let show = c.show(first["run_id"].as_str().unwrap());
    assert_eq!(
        show["state"]["before"], out["before"],
        "the replay drew the journaled values again: {show:#}"
    );
    assert!(out["after"]["now"].as_i64() >= out["before"]["now"].as_i64().map(|t| t + 400));
    assert_eq!(entries(&show, "now").len(), 3, "{show:#}");
    assert_eq!(
        entries(&show, "random").len(),
        1,
        "one draw seeds the run's generator: {show:#}"
    );
    let second = c.json(&["run", "clock", "--input", &input, "--wait"]);
    assert_ne!(
        second["output"]["before"]["random"], out["before"]["random"],
        "each run draws its own numbers (QuickJS's own Math.random repeats per instance)"
    );
}

#[test]
fn js_http_goes_out_from_a_step_to_allowed_hosts_only() {
    if skip() {
        return;
    }
    let fx = SideEffects::start();
    let c = Cairn::new();
    c.deploy_file(&js(EFFECTS), &["--allow-http", &fx.host()]);
    let from_body = c.json(&[
        "run",
        "body_http",
        "--input",
        &json!({"url": fx.url()}).to_string(),
    ]);
    assert_eq!(from_body["output"]["code"], "http-denied", "{from_body:#}");
    assert!(
        from_body["output"]["message"]
            .as_str()
            .unwrap()
            .contains("only allowed inside a step"),
        "{from_body:#}"
    );
    // A host not on the list: refused, and not retried.
    let other = "http://127.0.0.1:9";
    let out = c
        .run(&[
            "run",
            "chain",
            "--json",
            "--input",
            &json!({"url": other, "n": 1}).to_string(),
        ])
        .code(1)
        .json();
    assert_eq!(out["error"]["details"]["code"], "http-denied", "{out:#}");
    assert_eq!(out["error"]["details"]["attempts"], 1, "{out:#}");
    assert!(
        out["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--allow-http 127.0.0.1:9`"),
        "{out:#}"
    );
    assert!(fx.hits().is_empty(), "{:?}", fx.hits());
}

#[test]
fn the_js_sdk_ships_the_repository_wit() {
    let shipped = repo().join("guest-sdk-js/wit/workflow.wit");
    let wit = std::fs::read_to_string(repo().join("wit/workflow.wit")).unwrap();
    assert_eq!(
        std::fs::read_to_string(&shipped).unwrap(),
        wit,
        "{} is out of date: copy wit/workflow.wit there",
        shipped.display()
    );
}

#[test]
fn js_rebuild_of_the_same_source_replays_its_runs() {
    if skip() {
        return;
    }
    let c = Cairn::new().env("CAIRN_RUNTIME_SUSPEND_THRESHOLD_MS", "100");
    let v1 = c.deploy_file(&js(EFFECTS), &[]);
    let out = c.json(&["run", "clock", "--input", r#"{"sleepMs": 1000}"#]);
    assert_eq!(out["status"], "sleeping", "{out:#}");
    let run = out["run_id"].as_str().unwrap().to_string();

    // A second build of the same file differs in its bytes (componentize-qjs
    // snapshots an engine seeded from the build's clock), so it is a new
    // version, and the run parked on the first must replay on it.
    let second = repo().join("target/js-guests/effects-rebuild.wasm");
    let _ = std::fs::remove_file(&second);
    cairn::guests::js::build_to(&repo().join(EFFECTS), &second).unwrap_or_else(|e| panic!("{e}"));
    let checked = c.run(&["replay", &run, "--with", second.to_str().unwrap(), "--json"]);
    assert_eq!(checked.code, 0, "the rebuild replays the run: {checked:?}");
    let v2 = c.deploy_file(&second, &[]);
    assert_ne!(v1, v2, "two builds are two versions (their bytes differ)");

    c.wait_until_due(&run);
    let resumed = c.json(&["resume", &run]);
    assert_eq!(resumed["resumed"][0]["status"], "completed", "{resumed:#}");
    let show = c.show(&run);
    assert_eq!(show["version"], v2, "moved to the rebuild: {show:#}");
    assert!(events(&show, "divergence").is_empty(), "{show:#}");
    assert_eq!(
        show["output"]["before"], show["state"]["before"],
        "{show:#}"
    );
}
