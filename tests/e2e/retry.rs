//! `cairn retry` and `POST /v1/runs/{id}/retry`: a run that failed for a
//! cause a person can fix (here a memory limit) gets a new activation from
//! its journal under the configuration now in force; the step it completed
//! before the failure is not run again.

use serde_json::{Value, json};

use crate::support::{Cairn, SideEffects, events};

/// A run of `step_then_grow` that touched the server once and then hit
/// `limits.memory_mb` (64 MiB against a 100 MiB body).
fn failed_run(c: &Cairn, fx: &SideEffects) -> String {
    c.deploy("limits", &["--allow-http", &fx.host()]);
    let input = json!({"url": fx.url(), "mb": 100}).to_string();
    let out = c
        .run(&["run", "step_then_grow", "--input", &input, "--json"])
        .code(1);
    let v = out.json();
    let run = v["run_id"].as_str().expect("run id").to_string();
    let show = c.show(&run);
    assert_eq!(show["status"], "failed", "{show:#}");
    assert!(
        show["error"]["message"]
            .as_str()
            .unwrap()
            .contains("limits.memory_mb"),
        "{show:#}"
    );
    assert_eq!(fx.count("/touch"), 1);
    run
}

fn mem(c: Cairn, mb: &str) -> Cairn {
    c.env("CAIRN_LIMITS_MEMORY_MB", mb)
}

#[test]
fn a_run_failed_on_a_limit_finishes_when_retried_with_the_limit_raised() {
    let fx = SideEffects::start();
    let c = mem(Cairn::new(), "64");
    let run = failed_run(&c, &fx);

    // The same limit: the new activation replays the step and fails again.
    let again = c.run(&["retry", &run]).code(1);
    assert!(
        again.stdout.contains("retried (failed before)"),
        "{again:?}"
    );
    assert_eq!(c.show(&run)["status"], "failed");

    // Raised: it completes, and the step it had done is not done again.
    let c = mem(c, "256");
    let v = c.json(&["retry", &run]);
    assert_eq!(v["status"], "completed", "{v:#}");
    assert_eq!(v["retry"]["previous"], "failed");
    let show = c.show(&run);
    assert_eq!(show["status"], "completed", "{show:#}");
    assert_eq!(show["output"]["mb"], 100);
    assert_eq!(fx.count("/touch"), 1, "the completed step ran again");
    assert_eq!(show["activations"], 3);
    let retried: Vec<&Value> = events(&show, "status")
        .into_iter()
        .filter(|e| e["data"]["retried"] == true)
        .collect();
    assert_eq!(retried.len(), 2, "each retry is an event: {show:#}");
    assert_eq!(retried[0]["data"]["previous"], "failed");
    assert_eq!(retried[0]["data"]["error"]["code"], "limit", "{show:#}");
}

#[test]
fn retry_refuses_runs_that_did_not_fail_unknown_runs_and_unknown_versions() {
    let fx = SideEffects::start();
    let c = mem(Cairn::new(), "64");
    let run = failed_run(&c, &fx);

    let unknown = c.run(&["retry", "no-such-run"]).code(3);
    assert!(
        unknown.stderr.contains("no run with id `no-such-run`"),
        "{unknown:?}"
    );
    let version = c.run(&["retry", &run, "--to", "ffffff"]).code(3);
    assert!(
        version
            .stderr
            .contains("no deployed version matches `ffffff`"),
        "{version:?}"
    );
    let force = c.run(&["retry", &run, "--force"]).code(2);
    assert!(force.stderr.contains("--to"), "{force:?}");
    // A version without the run's workflow.
    let other = c.deploy("effects", &[]);
    let no_wf = c.run(&["retry", &run, "--to", &other[..12]]).code(2);
    assert!(
        no_wf
            .stderr
            .contains("does not export workflow `step_then_grow`"),
        "{no_wf:?}"
    );
    assert_eq!(
        c.show(&run)["status"],
        "failed",
        "a refused retry changes nothing"
    );

    // `--to` its own version: no move, and it runs.
    let own = c.show(&run)["version"].as_str().unwrap().to_string();
    let c = mem(c, "256");
    let v = c.json(&["retry", &run, "--to", &own[..12]]);
    assert_eq!(v["status"], "completed", "{v:#}");
    assert!(v["retry"].get("moved_from").is_none(), "{v:#}");

    let done = c.run(&["retry", &run]).code(2);
    assert!(
        done.stderr.contains("completed: there is nothing to retry"),
        "{done:?}"
    );
    assert_eq!(fx.count("/touch"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_retries_a_failed_run_and_the_worker_finishes_it() {
    let fx = SideEffects::start();
    let c = mem(Cairn::new(), "64");
    let run = failed_run(&c, &fx);
    let c = mem(c, "256");
    let served = c.serve();
    let http = reqwest::Client::new();
    let post = |path: String| {
        let http = http.clone();
        let url = format!("{}{path}", served.base);
        async move {
            let r = http.post(url).send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };

    let (status, v) = post(format!("/v1/runs/{run}/retry")).await;
    assert_eq!(status, 200, "{v:#}");
    assert_eq!(v["status"], "pending");
    assert_eq!(v["previous"], "failed");
    let show = tokio::task::spawn_blocking({
        let run = run.clone();
        move || c.wait_for(&run, 60, |v| v["status"] == "completed")
    })
    .await
    .unwrap();
    assert_eq!(show["output"]["mb"], 100);
    assert_eq!(fx.count("/touch"), 1, "the completed step ran again");

    let (status, v) = post(format!("/v1/runs/{run}/retry")).await;
    assert_eq!(status, 409, "{v:#}");
    assert_eq!(v["error"]["code"], "conflict");
    let (status, v) = post("/v1/runs/nope/retry".into()).await;
    assert_eq!(status, 404, "{v:#}");
    assert_eq!(v["error"]["code"], "not-found");
    let (status, v) = post(format!("/v1/runs/{run}/retry?force=true")).await;
    assert_eq!(status, 400, "{v:#}");
    assert_eq!(v["error"]["code"], "bad-request");
}
