//! Determinism: a body that reads the clock, randomness, a file, the
//! environment or the network gets logical or seeded values or a clear
//! error, never the host's; a step gets the real ones.

use crate::support::{Cairn, SideEffects, entries, events, now_ms};

#[test]
fn the_body_sees_logical_time_no_files_no_environment_and_no_network() {
    let c = Cairn::new().env("CAIRN_TEST_SECRET", "host-only");
    c.deploy("probe", &[]);
    let out = c.json(&["run", "probe"]);
    assert_eq!(out["status"], "completed", "{out:#}");
    let o = &out["output"];
    let show = c.show(out["run_id"].as_str().unwrap());
    let created = show["created_at"].as_i64().unwrap();

    // The wall clock reads the run's logical time: its creation, since
    // nothing was journaled before the read. The monotonic clock stands still.
    assert_eq!(o["system_time_ms"].as_i64().unwrap(), created, "{o:#}");
    assert_eq!(o["instant_elapsed_ns"], 0, "{o:#}");
    // No file, no environment, no arguments.
    assert!(o["fs_read"].as_str().unwrap().starts_with("error"), "{o:#}");
    assert_eq!(o["env_vars_count"], 0);
    assert!(o["env_home"].is_null());
    assert_eq!(o["args_count"], 0);
    // HTTP fails with the rule's message.
    let http = o["http"].as_str().unwrap();
    assert!(
        http.contains("outbound HTTP is only allowed inside a step"),
        "{http}"
    );
    // ctx.now / ctx.random are journaled: the output is what the journal holds.
    let now = entries(&show, "now");
    assert_eq!(now.len(), 1);
    assert_eq!(now[0]["value"], o["ctx_now_ms"]);
    let random = entries(&show, "random");
    assert_eq!(random.len(), 3, "random + the two halves of uuid: {show:#}");
    assert_eq!(random[0]["value"], o["ctx_random"]);
    assert_eq!(o["step_context_in_body"], false);
}

#[test]
fn a_step_sees_real_time_and_only_its_configured_environment() {
    let c = Cairn::new()
        .env("CAIRN_TEST_SECRET", "for-steps")
        .env("CAIRN_TEST_OTHER", "not-passed");
    std::fs::write(
        c.dir.path().join("cairn.toml"),
        "[workflows.probe_with_step]\nenv = [\"CAIRN_TEST_SECRET\"]\n",
    )
    .unwrap();
    c.deploy("probe", &[]);
    let before = now_ms();
    let out = c.json(&["run", "probe_with_step"]);
    let step = &out["output"]["step"];
    let t = step["system_time_ms"].as_i64().unwrap();
    assert!(
        t >= before && t <= now_ms(),
        "a step reads the real clock: {step:#}"
    );
    assert!(step["instant_elapsed_ns"].as_u64().unwrap() > 0, "{step:#}");
    assert_eq!(
        step["env_vars_count"], 1,
        "only the configured variable: {step:#}"
    );
    assert!(step["env_home"].is_null());
    assert_eq!(step["attempt"], 1);
    let run = out["run_id"].as_str().unwrap();
    assert_eq!(step["idempotency_key"], format!("{run}/probe_step/0"));
    // A host not on the allow-list is refused, naming how to allow it.
    let http = step["http"].as_str().unwrap();
    assert!(
        http.contains("is not allowed") && http.contains("--allow-http"),
        "{http}"
    );
}

#[test]
fn a_step_reaches_an_allow_listed_host() {
    let fx = SideEffects::start();
    let c = Cairn::new();
    c.deploy("effects", &["--allow-http", &fx.host()]);
    let input = serde_json::json!({"url": fx.url(), "steps": 1}).to_string();
    let out = c.json(&["run", "effects", "--input", &input]);
    assert_eq!(out["output"]["outputs"][0], "ok /effect/0", "{out:#}");
    assert_eq!(fx.count("/effect/0"), 1);
}

#[test]
fn blocking_on_the_clock_in_the_body_is_refused() {
    let c = Cairn::new();
    c.deploy("probe", &[]);
    let out = c.run(&["run", "probe_sleep", "--json"]).code(1).json();
    let msg = out["error"]["message"].as_str().unwrap();
    assert!(msg.contains("use ctx.sleep"), "{msg}");
}

#[test]
fn a_replay_sees_the_same_time_randomness_and_hash_order() {
    // probe_replay observes, stores the observations in run state,
    // sleeps past the suspend threshold, and observes again after the
    // replay; any difference would be a divergence of the state write.
    let c = Cairn::new();
    c.deploy("probe", &[]);
    let out = c.json(&["run", "probe_replay", "--wait"]);
    assert_eq!(out["status"], "completed", "{out:#}");
    let run = out["run_id"].as_str().unwrap();
    let show = c.show(run);
    assert_eq!(
        show["activations"], 2,
        "the sleep suspended the run: {show:#}"
    );
    assert!(events(&show, "divergence").is_empty(), "{show:#}");
    // What the first activation stored equals what the replay computed.
    assert_eq!(show["state"]["before"], out["output"]["before"]);
}
