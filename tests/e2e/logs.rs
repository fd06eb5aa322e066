//! `--log-format`: `serve`'s log lines as JSON objects, one a line, with
//! the run's span; text stays the default.

use std::io::Read;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Cairn, kill9, listening};

/// Runs one `chain` through `serve` with these extra flags; returns what
/// it wrote to standard error.
async fn serve_one_run(flags: &[&str]) -> String {
    let c = Cairn::new().env("RUST_LOG", "info");
    c.deploy("bench", &[]);
    let mut args = vec!["serve", "--listen", "127.0.0.1:0", "--json"];
    args.extend_from_slice(flags);
    let mut child = c.spawn(&args);
    let base = listening(&mut child);
    let http = reqwest::Client::new();
    let body = json!({"workflow": "chain", "input": {"steps": 2}});
    let started: Value = http
        .post(format!("{base}/v1/runs"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = started["run_id"].as_str().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let run: Value = http
            .get(format!("{base}/v1/runs/{id}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if run["status"] == "completed" {
            break;
        }
        assert!(Instant::now() < deadline, "{run:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    kill9(&mut child);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    stderr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_log_lines_are_objects_with_the_runs_span() {
    let stderr = serve_one_run(&["--log-format", "json"]).await;
    let lines: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let ended = lines
        .iter()
        .find(|l| l["fields"]["message"] == "activation ended")
        .unwrap_or_else(|| panic!("no `activation ended` line: {stderr}"));
    assert_eq!(ended["level"], "INFO");
    assert_eq!(ended["fields"]["status"], "completed");
    assert_eq!(ended["span"]["name"], "run");
    assert_eq!(ended["span"]["workflow"], "chain");
    assert!(ended["timestamp"].is_string(), "{ended}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_is_the_default_and_says_the_same() {
    let stderr = serve_one_run(&[]).await;
    let line = stderr
        .lines()
        .find(|l| l.contains("activation ended"))
        .unwrap_or_else(|| panic!("no `activation ended` line: {stderr}"));
    assert!(serde_json::from_str::<Value>(line).is_err(), "{line}");
    assert!(
        line.contains("INFO") && line.contains("workflow=chain"),
        "{line}"
    );
    assert!(line.contains("status=completed"), "{line}");
}
