//! `cairn runs restart RUN --from SEQ` and `POST /v1/runs/{id}/restart`: a
//! new run whose journal is a copy of the original's entries before SEQ.
//! What came before replays without side effects (the side-effect server
//! counts), the run state and the body's randomness are as they were, the
//! rest runs live, and the original is left as it was.

use serde_json::{Value, json};

use crate::support::{Cairn, SideEffects, entries, events};

/// The seq of the `step` entry of `name`'s `occurrence`.
fn step_seq(show: &Value, name: &str, occurrence: u64) -> u64 {
    entries(show, "step")
        .into_iter()
        .find(|e| e["name"] == name && e["occurrence"] == occurrence)
        .unwrap_or_else(|| panic!("no step {name}#{occurrence}: {show:#}"))["seq"]
        .as_u64()
        .unwrap()
}

#[test]
fn a_failed_step_reruns_from_its_position_and_nothing_before_it_does() {
    let fx = SideEffects::start();
    let c = Cairn::new();
    c.deploy("effects", &["--allow-http", &fx.host()]);
    // The third step fails every attempt it gets (three): the run fails.
    fx.fail("/effect/2", 3);
    let input = json!({"url": fx.url(), "steps": 4}).to_string();
    let failed = c
        .run(&["run", "effects", "--wait", "--json", "--input", &input])
        .code(1);
    let original = failed.json()["run_id"].as_str().unwrap().to_string();
    let before = c.show(&original);
    assert_eq!(before["status"], "failed", "{before:#}");
    let from = step_seq(&before, "effect", 2);

    // The cause is gone (the server answers now): rerun from that step.
    let out = c.json(&[
        "runs",
        "restart",
        &original,
        "--from",
        &from.to_string(),
        "--wait",
    ]);
    assert_eq!(out["status"], "completed", "{out:#}");
    let outputs = out["output"]["outputs"].as_array().unwrap();
    assert_eq!(outputs.len(), 4, "{out:#}");
    // Steps 0 and 1 were copied, not rerun; step 2 ran once more (after
    // its three failed attempts), step 3 once.
    assert_eq!(fx.count("/effect/0"), 1, "{:?}", fx.hits());
    assert_eq!(fx.count("/effect/1"), 1, "{:?}", fx.hits());
    assert_eq!(fx.count("/effect/2"), 4, "{:?}", fx.hits());
    assert_eq!(fx.count("/effect/3"), 1, "{:?}", fx.hits());

    // The new run is linked to the original, which is left as it was.
    let new = out["run_id"].as_str().unwrap();
    assert_ne!(new, original);
    let shown = c.show(new);
    assert_eq!(
        shown["restarted_from"],
        json!({"run_id": original, "seq": from}),
        "{shown:#}"
    );
    let after = c.show(&original);
    assert_eq!(after["status"], "failed");
    assert_eq!(after["journal"], before["journal"]);
    // The copy keeps the completed steps' values, without the failed
    // attempts (the step at `from` starts its attempts afresh).
    let copied = |show: &Value| -> Vec<Value> {
        entries(show, "step")
            .into_iter()
            .filter(|e| e["occurrence"].as_u64() < Some(2))
            .map(|e| json!([e["name"], e["occurrence"], e["value"]]))
            .collect()
    };
    assert_eq!(copied(&shown), copied(&before));
    assert!(entries(&shown, "step-attempt").is_empty(), "{shown:#}");
}

#[test]
fn a_restart_rebuilds_the_run_state_and_replays_the_body_s_observations() {
    let c = Cairn::new();
    c.deploy("probe", &[]);
    let input = json!({"sleep_ms": 300}).to_string();
    let done = c.json(&["run", "probe_replay", "--wait", "--input", &input]);
    assert_eq!(done["status"], "completed", "{done:#}");
    let original = done["run_id"].as_str().unwrap();
    let show = c.show(original);
    // From the sleep: the observations and the state write before it are
    // copied and replay; what comes after runs live.
    let sleep = entries(&show, "sleep")[0]["seq"].as_u64().unwrap();
    let out = c.json(&[
        "runs",
        "restart",
        original,
        "--from",
        &sleep.to_string(),
        "--wait",
    ]);
    assert_eq!(out["status"], "completed", "{out:#}");
    assert_eq!(out["output"]["before"], done["output"]["before"], "{out:#}");
    let new = c.show(out["run_id"].as_str().unwrap());
    assert_eq!(new["state"]["before"], show["state"]["before"], "{new:#}");
    assert!(events(&new, "divergence").is_empty(), "{new:#}");
}

#[test]
fn a_bad_position_or_run_is_refused_and_the_api_restarts_for_the_worker() {
    let c = Cairn::new();
    c.deploy("probe", &[]);
    let done = c.json(&["run", "probe_with_step", "--wait"]);
    let run = done["run_id"].as_str().unwrap();
    let len = c.show(run)["journal"].as_array().unwrap().len();
    let past = (len + 1).to_string();
    let out = c.run(&["runs", "restart", run, "--from", &past]).code(2);
    assert!(
        out.stderr
            .contains(&format!("has {len} entries: --from takes 0 to {len}")),
        "{}",
        out.stderr
    );
    let out = c.run(&["runs", "restart", "nope", "--from", "0"]).code(3);
    assert!(
        out.stderr.contains("no run with id `nope`"),
        "{}",
        out.stderr
    );
    let runs = c.json(&["runs"])["runs"].as_array().unwrap().len();
    assert_eq!(runs, 1, "nothing was created");

    // Through the API the new run is left to the server's worker.
    let served = c.serve();
    let url = format!("{}/v1/runs/{run}/restart?from=0", served.base);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (status, body) = rt.block_on(async {
        let r = reqwest::Client::new().post(&url).send().await.unwrap();
        (r.status(), r.json::<Value>().await.unwrap())
    });
    assert_eq!(status, 201, "{body:#}");
    assert_eq!(body["restarted_from"], json!({"run_id": run, "seq": 0}));
    let new = body["run_id"].as_str().unwrap();
    let shown = c.wait_for(new, 60, |v| v["status"] == "completed");
    assert!(shown["output"]["step"].is_object(), "{shown:#}");
}
