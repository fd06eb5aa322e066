//! The web page's operations views in headless Chromium
//! (`tests/browser/operations.mjs`): a run's timeline with spawned steps
//! side by side, a step's retries as segments, a sleep, a signal sent and
//! a prompt answered from the page; the workflows and versions views;
//! search by run id and the runs list's filters (status, session, time);
//! cancel and retry; and a 10,000-entry run's timeline, scrolled. The
//! screenshots go to `target/browser-screenshots/` (the path is printed).

use std::path::Path;
use std::process::Command;

use serde_json::json;

use crate::browser::{chromium_or_skip, driver};
use crate::support::{Cairn, SideEffects, repo};

/// Entries in the big run: `chain` journals one per step.
const BIG: u32 = 10_000;

/// `cairn run ... --json`, ending in `status` (a failed run exits 1).
fn run(c: &Cairn, args: &[&str], status: &str) -> String {
    let mut args = args.to_vec();
    args.push("--json");
    let code = if status == "failed" { 1 } else { 0 };
    let out = c.run(&args).code(code).json();
    assert_eq!(out["status"], status, "{out:#}");
    out["run_id"].as_str().unwrap().to_string()
}

#[test]
fn the_timeline_views_filters_and_actions_work_in_a_browser() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let driver = driver();
    let c = Cairn::new();
    // Item 1 of the tour fails twice, then succeeds.
    let fx = SideEffects::start();
    fx.fail("/item/1", 2);
    c.deploy("parallel", &["--allow-http", &fx.host()]);
    c.deploy("human", &[]);
    c.deploy("bench", &[]);
    let failed = run(
        &c,
        &[
            "run",
            "par_map",
            "--input",
            &json!({"n": 2, "fail": [0]}).to_string(),
        ],
        "failed",
    );
    let session = "s-page";
    let waiting = json!({"name": "never"}).to_string();
    let session_run = run(
        &c,
        &[
            "run",
            "await_signal",
            "--session",
            session,
            "--input",
            &waiting,
        ],
        "waiting",
    );
    let big_input = json!({ "steps": BIG }).to_string();
    let big = run(&c, &["run", "chain", "--input", &big_input], "completed");
    let runs = json!({
        "tour_input": {"n": 4, "url": fx.url(), "sleep_ms": [400, 250, 150, 600], "then_sleep_ms": 1500},
        "failed": failed,
        "session_run": session_run,
        "session": session,
        "big": big,
        "big_steps": BIG,
    });
    let activations = c.show(&failed)["activations"].as_u64().unwrap();

    let served = c.serve();
    let shots = repo().join("target/browser-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    eprintln!("screenshots: {}", shots.display());
    let out = Command::new("node")
        .arg("operations.mjs")
        .arg(&served.base)
        .arg(runs.to_string())
        .arg(&shots)
        .env("CHROMIUM", &chromium)
        .current_dir(&driver)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.lines().any(|l| l == "ok"),
        "the operations page test failed:\n{stdout}\n{stderr}"
    );
    let tour = stdout
        .lines()
        .find_map(|l| l.strip_prefix("tour: "))
        .expect("the tour's run id");
    // What the page did, seen from the store.
    let tour = c.show(tour);
    assert_eq!(tour["status"], "completed", "{tour:#}");
    assert_eq!(tour["output"]["go"], json!({"from": "the page"}));
    assert_eq!(tour["output"]["approved"], true);
    assert_eq!(fx.count("/item/1"), 3, "two failures, then the success");
    assert_eq!(c.show(&session_run)["status"], "cancelled");
    let retried = c.show(&failed);
    assert_eq!(retried["status"], "failed");
    assert!(retried["activations"].as_u64().unwrap() > activations);
    drop(served);
    for name in [
        "10-timeline",
        "12-workflows",
        "13-runs-filtered",
        "14-cancelled",
        "15-retried",
        "16-big-timeline",
    ] {
        let file = shots.join(format!("{name}.png"));
        assert!(
            Path::new(&file).exists(),
            "{} was not written",
            file.display()
        );
    }
}
