//! People and runs over HTTP: prompts, answers, signals, sessions and subscribers in the CLI's
//! vocabulary.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::Cairn;

use super::{Server, assert_error};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompts_respond_and_signal() {
    let c = Cairn::new();
    c.deploy("human", &[]);
    let asked = c.json(&[
        "run",
        "ask",
        "--input",
        r#"{"type": "approval", "question": "Ship?"}"#,
    ]);
    let asked = asked["run_id"].as_str().unwrap().to_string();
    let waits = c.json(&["run", "await_signal", "--input", r#"{"name": "go"}"#]);
    let waits = waits["run_id"].as_str().unwrap().to_string();
    let s = Server::start(&c);

    let (st, prompts) = s.get("/v1/prompts").await;
    assert_eq!(st, StatusCode::OK);
    let p = &prompts["prompts"][0];
    assert_eq!(p["run_id"], asked.as_str());
    assert_eq!(p["question"], "Ship?");
    assert_eq!(p["input_type"], "approval");
    assert_eq!(p["options"][0]["id"], "approve");

    let path = format!("/v1/runs/{asked}/respond");
    let (st, body) = s.post(&path, &json!({"value": "maybe"})).await;
    assert_error(st, &body, StatusCode::BAD_REQUEST, "bad-request");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("approve"),
        "says what fits: {body:#}"
    );
    let (st, ok) = s
        .post(&path, &json!({"value": "approve", "by": "ops"}))
        .await;
    assert_eq!(st, StatusCode::OK, "{ok:#}");
    assert_eq!(ok["by"], "ops");
    let (st, body) = s.post(&path, &json!({"value": "reject"})).await;
    assert_error(st, &body, StatusCode::CONFLICT, "conflict");
    let done = s.wait_run(&asked, |v| v["status"] == "completed").await;
    assert_eq!(done["output"]["approved"], true);
    let (st, body) = s.post("/v1/runs/nope/respond", &json!({"value": 1})).await;
    assert_error(st, &body, StatusCode::NOT_FOUND, "not-found");

    let (st, sent) = s
        .post(&format!("/v1/runs/{waits}/signals/go"), &json!({"n": 1}))
        .await;
    assert_eq!(st, StatusCode::OK, "{sent:#}");
    let done = s.wait_run(&waits, |v| v["status"] == "completed").await;
    assert_eq!(done["output"]["payloads"], json!([{"n": 1}]));
    let (st, body) = s
        .post(&format!("/v1/runs/{waits}/signals/go"), &json!({}))
        .await;
    assert_error(st, &body, StatusCode::CONFLICT, "conflict");
    let (st, body) = s.post("/v1/runs/nope/signals/go", &json!({})).await;
    assert_error(st, &body, StatusCode::NOT_FOUND, "not-found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_speaks_the_cli_vocabulary_sessions_prompts_and_subscribers() {
    let c = Cairn::new();
    c.deploy("counter", &[]);
    c.deploy("human", &[]);
    c.deploy("triggers", &[]);
    let asked = c.json(&[
        "run",
        "ask",
        "--input",
        r#"{"type": "approval", "question": "Ship?"}"#,
    ]);
    let asked = asked["run_id"].as_str().unwrap().to_string();
    let s = Server::start(&c);

    // `session`, as `cairn run --session` calls it; `session_id` too.
    for (field, session) in [("session", "s-new"), ("session_id", "s-old")] {
        let (st, run) = s
            .post("/v1/runs", &json!({"workflow": "counter", field: session}))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{run:#}");
        assert_eq!(run["session_id"], session, "{run:#}");
        let id = run["run_id"].as_str().unwrap();
        let done = s.wait_run(id, |v| v["status"] == "completed").await;
        assert_eq!(done["session_state"]["visits"], 1, "{done:#}");
    }
    let both = json!({"workflow": "counter", "session": "a", "session_id": "b"});
    let (st, body) = s.post("/v1/runs", &both).await;
    assert_error(st, &body, StatusCode::BAD_REQUEST, "bad-request");

    // `/v1/prompts` entries carry what `cairn prompts --json` gives.
    let (st, api) = s.get("/v1/prompts").await;
    assert_eq!(st, StatusCode::OK);
    let cli = c.json(&["prompts"]);
    let (a, b) = (&api["prompts"][0], &cli["prompts"][0]);
    assert_eq!(a["run_id"], asked.as_str());
    assert_eq!(a["occurrence"], 0);
    assert_eq!(a["status"], "waiting");
    assert!(a["age_ms"].as_i64().is_some_and(|ms| ms >= 0), "{a:#}");
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(a), keys(b), "API {a:#}\nCLI {b:#}");

    // An event nobody subscribes to says so.
    let (st, none) = s.post("/v1/events/nobody.listens", &json!({})).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(none["subscribers"], 0, "{none:#}");
    assert_eq!(none["runs"], json!([]));
    assert!(
        none["note"].as_str().unwrap().contains("nobody.listens"),
        "{none:#}"
    );
    let (_, two) = s
        .post("/v1/events/user.signed_up", &json!({"email": "a@b.c"}))
        .await;
    assert_eq!(two["subscribers"], 2, "{two:#}");
}
