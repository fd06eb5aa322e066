//! The web page in headless Chromium: a waiting run is seen, approved and
//! seen completing; number and JSON prompts are answered through their
//! controls, refused first; a 300-step run is watched live with a bounded
//! number of API calls, its retries grouped under their step, times shown
//! as times and each step's duration. Screenshots go to
//! `target/browser-screenshots/`.
//!
//! Needs Debian's `chromium` (`.ci/run` installs it) and Node.js; the
//! driver, playwright-core, is installed from `tests/browser/package-lock.json`.
//! Without Chromium the test fails, naming what to install, unless
//! `CAIRN_SKIP_BROWSER_TESTS=1` says to skip it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::json;

use crate::fake_llm::{FakeLlm, provider_config, write_config};
use crate::support::{Cairn, SideEffects, repo};

fn chromium() -> Option<PathBuf> {
    let path =
        PathBuf::from(std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    path.exists().then_some(path)
}

/// Chromium, or `None` when it is missing and `CAIRN_SKIP_BROWSER_TESTS=1`
/// says to skip; panics, naming what to install, when it is missing else.
pub fn chromium_or_skip() -> Option<PathBuf> {
    if let Some(path) = chromium() {
        return Some(path);
    }
    if std::env::var("CAIRN_SKIP_BROWSER_TESTS").as_deref() == Ok("1") {
        eprintln!("browser test skipped: CAIRN_SKIP_BROWSER_TESTS=1 and no Chromium");
        return None;
    }
    panic!(
        "the browser test needs Chromium at /usr/bin/chromium (Debian: `apt-get install \
         chromium`; .ci/run installs it) or $CHROMIUM; set CAIRN_SKIP_BROWSER_TESTS=1 to skip"
    );
}

/// Installs the driver once (`npm ci` from the lockfile).
pub fn driver() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = repo().join("tests/browser");
        if !dir.join("node_modules/playwright-core").exists() {
            let status = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir)
                .status()
                .expect("run npm (Node.js is needed for the browser tests)");
            assert!(status.success(), "npm ci in tests/browser failed");
        }
        dir
    })
    .clone()
}

/// A completed run of the `agent` guest: one `fetch`, then the answer.
fn agent_run(c: &Cairn, fx: &SideEffects) -> String {
    let fake = FakeLlm::openai();
    let url = format!("{}/agent-page", fx.url());
    fake.then_call(&[("c1", "fetch", json!({"url": url}))]);
    fake.then_say("The page says ok.");
    write_config(
        c,
        &provider_config("fake", &fake, "CAIRN_TEST_FAKE_LLM_KEY"),
    );
    c.deploy("agent", &["--allow-http", &fx.host()]);
    let input = json!({"model": "fake/m", "input": "What does the page say?"});
    let out = c.json(&["run", "agent", "--input", &input.to_string()]);
    assert_eq!(out["status"], "completed", "{out:#}");
    out["run_id"].as_str().unwrap().to_string()
}

fn waiting_run(c: &Cairn, workflow: &str, input: serde_json::Value) -> String {
    let out = c.json(&["run", workflow, "--input", &input.to_string()]);
    assert_eq!(out["status"], "waiting", "{out:#}");
    out["run_id"].as_str().unwrap().to_string()
}

#[test]
fn the_page_shows_a_waiting_run_approves_it_and_answers_prompts() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let driver = driver();
    let c = Cairn::new().env("CAIRN_TEST_FAKE_LLM_KEY", "k");
    c.deploy("approval", &[]);
    c.deploy("human", &[]);
    // The many-step run: effect 3 fails twice, then succeeds.
    let fx = SideEffects::start();
    fx.fail("/effect/3", 2);
    c.deploy("effects", &["--allow-http", &fx.host()]);
    let runs = json!({
        "approval": waiting_run(&c, "approval", json!({"order_id": "W-1", "amount": 120.0, "customer": "ana"})),
        "number": waiting_run(&c, "ask", json!({"type": "number", "question": "How many crates?", "min": 1, "max": 10})),
        "json": waiting_run(&c, "ask", json!({
            "type": "json",
            "question": "The shipment, as JSON",
            "schema": {"type": "object", "required": ["qty"], "properties": {"qty": {"type": "integer"}}}
        })),
        "agent": agent_run(&c, &fx),
        "effects_url": fx.url(),
    });

    let served = c.serve();
    let base = served.base.clone();

    let shots = repo().join("target/browser-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let out = Command::new("node")
        .arg("page.mjs")
        .arg(&base)
        .arg(runs.to_string())
        .arg(&shots)
        .env("CHROMIUM", &chromium)
        .current_dir(&driver)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("ok"),
        "the page test failed:\n{stdout}\n{stderr}"
    );
    // How many API calls the run page made (checked against its bound by
    // page.mjs), for the log.
    for line in stdout
        .lines()
        .filter(|l| l.starts_with("api-calls:") || l.starts_with("other-journals:"))
    {
        eprintln!("{line}");
    }
    assert_eq!(fx.count("/effect/3"), 3, "two failures, then the success");

    let approval = c.wait_for(runs["approval"].as_str().unwrap(), 30, |v| {
        v["status"] == "completed"
    });
    assert_eq!(approval["output"]["status"], "fulfilled", "{approval:#}");
    assert_eq!(approval["output"]["approved_by"], "web");
    let number = c.wait_for(runs["number"].as_str().unwrap(), 30, |v| {
        v["status"] == "completed"
    });
    assert_eq!(number["output"]["value"], 7.0);
    let json_run = c.wait_for(runs["json"].as_str().unwrap(), 30, |v| {
        v["status"] == "completed"
    });
    assert_eq!(json_run["output"]["value"], json!({"qty": 3}));
    drop(served);
    for name in [
        "1-runs-list",
        "2-prompts",
        "3-run-completed",
        "5-json-invalid",
        "7-json-accepted",
        "8-many-steps",
        "9-retries-grouped",
    ] {
        let file = shots.join(format!("{name}.png"));
        assert!(
            Path::new(&file).exists(),
            "{} was not written",
            file.display()
        );
    }
}
