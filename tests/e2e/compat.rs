//! Components built against an older WIT keep loading and running: each
//! `tests/guests/compat_X_Y_Z` binds a verbatim copy of that WIT version
//! without the SDK (see its crate docs), is built from source with the
//! other test guests, and is deployed here into today's host and run
//! across a suspension, so its imports are linked, its exports called, and
//! its run replayed in a second activation.

use serde_json::json;

use crate::support::{Cairn, entries, repo, step_names, wasm};

#[test]
fn a_component_built_against_wit_0_1_0_deploys_and_runs_across_a_suspension() {
    let wit = std::fs::read_to_string(repo().join("tests/guests/compat_0_1_0/wit/workflow.wit"));
    assert!(
        wit.unwrap().starts_with("package cairn:workflow@0.1.0;"),
        "the guest must stay bound to its copy of the 0.1.0 WIT"
    );
    let c = Cairn::new().env("CAIRN_RUNTIME_SUSPEND_THRESHOLD_MS", "100");
    let deployed = c.json(&["deploy", wasm("compat_0_1_0").to_str().unwrap()]);
    assert_eq!(
        deployed["workflows"],
        json!(["compat", "compat_session"]),
        "{deployed:#}"
    );

    let input = json!({"name": "ana", "pause_ms": 400}).to_string();
    let out = c.json(&["run", "compat", "--input", &input, "--wait"]);
    assert_eq!(out["status"], "completed", "{out:#}");
    assert_eq!(out["output"]["greeting"], "hello, ana");
    assert_eq!(out["output"]["farewell"], "goodbye, ana");
    assert_eq!(
        out["output"]["activation"], 2,
        "the sleep unloaded the run and a replay finished it: {out:#}"
    );

    let show = c.show(out["run_id"].as_str().unwrap());
    assert_eq!(step_names(&show), ["greet", "farewell"], "{show:#}");
    assert_eq!(entries(&show, "sleep").len(), 1, "{show:#}");
    assert_eq!(show["state"]["greeting"], "hello, ana", "{show:#}");

    // Session state, through the same old imports.
    for visits in [1, 2] {
        let out = c.json(&["run", "compat_session", "--session", "s-1"]);
        assert_eq!(out["output"]["visits"], visits, "{out:#}");
    }
}
