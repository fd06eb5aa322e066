//! Runs over HTTP: deploy, start, get, journal, events and cancel with their errors, idempotent
//! starts, cursor pagination, time ranges, entries' start times.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Cairn, wasm};

use super::{Server, assert_error};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_start_get_journal_events_cancel_and_their_errors() {
    let c = Cairn::new().env("CAIRN_SERVER_MAX_BODY_BYTES", "2000");
    let s = Server::start(&c);
    // Deploy: the component's bytes; again: same version, not new.
    let bytes = std::fs::read(wasm("counter")).unwrap();
    let (st, v) = s.post_raw("/v1/versions", bytes.clone(), &[]).await;
    assert_eq!(st, StatusCode::CREATED, "{v:#}");
    assert_eq!(v["workflows"], json!(["counter"]));
    let (st, again) = s.post_raw("/v1/versions", bytes, &[]).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(again["version"], v["version"]);
    let (st, body) = s
        .post_raw("/v1/versions", b"not wasm at all".to_vec(), &[])
        .await;
    assert_error(st, &body, StatusCode::BAD_REQUEST, "bad-request");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a WebAssembly file")
    );
    let (st, list) = s.get("/v1/versions").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(list["versions"][0]["active_for"], json!(["counter"]));

    // Start: a worker of the server runs it.
    let start = json!({"workflow": "counter", "input": {}, "session_id": "s1"});
    let (st, run) = s.post("/v1/runs", &start).await;
    assert_eq!(st, StatusCode::CREATED, "{run:#}");
    let id = run["run_id"].as_str().unwrap().to_string();
    let done = s.wait_run(&id, |v| v["status"] == "completed").await;
    assert_eq!(done["output"]["visits"], 1);
    assert_eq!(done["session_state"]["visits"], 1);
    let (st, journal) = s.get(&format!("/v1/runs/{id}/journal")).await;
    assert_eq!(st, StatusCode::OK);
    let kinds: Vec<&str> = journal["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["state-get", "state-set"]);

    // Events as server-sent events, ending with the run.
    let sse = s
        .http
        .get(s.url(&format!("/v1/runs/{id}/events")))
        .send()
        .await
        .unwrap();
    assert_eq!(sse.status(), StatusCode::OK);
    assert!(
        sse.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let text = sse.text().await.unwrap();
    assert!(text.contains("event: status"), "{text}");
    assert!(text.contains(r#""status":"completed""#), "{text}");

    // Errors.
    let (st, body) = s.get("/v1/runs/nope").await;
    assert_error(st, &body, StatusCode::NOT_FOUND, "not-found");
    let (st, body) = s.get("/v1/runs/nope/journal").await;
    assert_error(st, &body, StatusCode::NOT_FOUND, "not-found");
    let (st, body) = s.post("/v1/runs", &json!({"workflow": "nope"})).await;
    assert_error(st, &body, StatusCode::NOT_FOUND, "not-found");
    let (st, body) = s.post_raw("/v1/runs", b"{oops".to_vec(), &[]).await;
    assert_error(st, &body, StatusCode::BAD_REQUEST, "bad-request");
    let (st, body) = s
        .post("/v1/runs", &json!({"workflow": "counter", "surprise": 1}))
        .await;
    assert_error(st, &body, StatusCode::BAD_REQUEST, "bad-request");
    let big = json!({"workflow": "counter", "input": "x".repeat(3000)});
    let (st, body) = s.post("/v1/runs", &big).await;
    assert_error(st, &body, StatusCode::PAYLOAD_TOO_LARGE, "too-large");
    let (st, body) = s.post(&format!("/v1/runs/{id}/cancel"), &json!({})).await;
    assert_error(st, &body, StatusCode::CONFLICT, "conflict");
    let (st, body) = s.post("/v1/runs/nope/cancel", &json!({})).await;
    assert_error(st, &body, StatusCode::NOT_FOUND, "not-found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_start_cancel_and_cursor_pagination() {
    let c = Cairn::new();
    c.deploy("counter", &[]);
    c.deploy("follow_up", &[]);
    for _ in 0..5 {
        c.json(&["run", "counter", "--session", "p"]);
    }
    let s = Server::start(&c);
    // The same idempotency key returns the same run.
    let start = json!({"workflow": "follow_up", "input": {"user": "i", "delay_secs": 30}, "idempotency_key": "order-7"});
    let (st, first) = s.post("/v1/runs", &start).await;
    assert_eq!(st, StatusCode::CREATED);
    let (st, second) = s.post("/v1/runs", &start).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(first["run_id"], second["run_id"]);
    let id = first["run_id"].as_str().unwrap();
    s.wait_run(id, |v| v["status"] == "sleeping").await;
    let (st, cancelled) = s.post(&format!("/v1/runs/{id}/cancel"), &json!({})).await;
    assert_eq!(st, StatusCode::OK, "{cancelled:#}");
    assert_eq!(cancelled["previous"], "sleeping");
    assert_eq!(
        s.wait_run(id, |v| v["status"] == "cancelled").await["error"]["code"],
        "cancelled"
    );

    // Pages of two, newest first, through the cursor.
    let mut seen = Vec::new();
    let mut path = "/v1/runs?workflow=counter&limit=2".to_string();
    loop {
        let (st, page) = s.get(&path).await;
        assert_eq!(st, StatusCode::OK, "{page:#}");
        let runs = page["runs"].as_array().unwrap();
        assert!(runs.len() <= 2);
        seen.extend(runs.iter().map(|r| {
            (
                r["created_at"].as_i64().unwrap(),
                r["run_id"].as_str().unwrap().to_string(),
            )
        }));
        match page["next_cursor"].as_str() {
            Some(cur) => path = format!("/v1/runs?workflow=counter&limit=2&cursor={cur}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5, "{seen:?}");
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted, "newest first, no repeats");
    // A time range: created_after inclusive, created_before exclusive,
    // with the other filters and paging.
    let t = seen[2].0;
    let ids = |v: &Value| -> Vec<String> {
        v["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["run_id"].as_str().unwrap().to_string())
            .collect()
    };
    let want = |keep: &dyn Fn(i64) -> bool| -> Vec<String> {
        seen.iter()
            .filter(|(at, _)| keep(*at))
            .map(|(_, id)| id.clone())
            .collect()
    };
    let (st, before) = s
        .get(&format!("/v1/runs?workflow=counter&created_before={t}"))
        .await;
    assert_eq!(st, StatusCode::OK, "{before:#}");
    assert_eq!(ids(&before), want(&|at| at < t));
    let (_, since) = s
        .get(&format!("/v1/runs?workflow=counter&created_after={t}"))
        .await;
    assert_eq!(ids(&since), want(&|at| at >= t));
    let (_, first) = s
        .get(&format!(
            "/v1/runs?workflow=counter&limit=1&created_after={t}"
        ))
        .await;
    assert_eq!(ids(&first), want(&|at| at >= t)[..1]);
    let (_, range) = s
        .get(&format!(
            "/v1/runs?session=p&created_after={t}&created_before={}",
            seen[0].0 + 1
        ))
        .await;
    assert_eq!(ids(&range), want(&|at| at >= t));
    assert_eq!(range["next_cursor"], Value::Null);
    for q in [
        "created_after=-1",
        "created_before=-5",
        "created_after=soon",
    ] {
        let (st, body) = s.get(&format!("/v1/runs?{q}")).await;
        assert_error(st, &body, StatusCode::BAD_REQUEST, "bad-request");
    }
    let (st, filtered) = s.get("/v1/runs?status=cancelled").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(filtered["runs"].as_array().unwrap().len(), 1);
    let (st, body) = s.get("/v1/runs?cursor=garbage").await;
    assert_error(st, &body, StatusCode::BAD_REQUEST, "bad-request");
    let (st, body) = s.get("/v1/runs?status=snoozing").await;
    assert_error(st, &body, StatusCode::BAD_REQUEST, "bad-request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_pages_by_cursor() {
    let c = Cairn::new();
    c.deploy("bench", &[]);
    let run = c.json(&["run", "chain", "--input", r#"{"steps": 5}"#]);
    let id = run["run_id"].as_str().unwrap().to_string();
    let s = Server::start(&c);
    let (st, all) = s.get(&format!("/v1/runs/{id}/journal")).await;
    assert_eq!(st, StatusCode::OK, "{all:#}");
    let seqs = |v: &Value| -> Vec<u64> {
        v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(seqs(&all), [0, 1, 2, 3, 4]);
    assert_eq!(all["next_after"], Value::Null);
    // Each step says when its attempt began (from its event), no later
    // than its entry was written.
    for e in all["entries"].as_array().unwrap() {
        let started = e["started_at"].as_i64().expect("a step's started_at");
        assert!(started <= e["at"].as_i64().unwrap(), "{e:#}");
    }

    // Pages of two, each after the last seq of the one before.
    let mut got = Vec::new();
    let mut path = format!("/v1/runs/{id}/journal?limit=2");
    loop {
        let (st, page) = s.get(&path).await;
        assert_eq!(st, StatusCode::OK, "{page:#}");
        assert!(seqs(&page).len() <= 2);
        got.extend(seqs(&page));
        match page["next_after"].as_u64() {
            Some(after) => path = format!("/v1/runs/{id}/journal?limit=2&after={after}"),
            None => break,
        }
    }
    assert_eq!(got, [0, 1, 2, 3, 4]);
    // A live reader asks for what follows the last seq it has.
    let (_, tail) = s.get(&format!("/v1/runs/{id}/journal?after=3")).await;
    assert_eq!(seqs(&tail), [4]);
    let (_, none) = s.get(&format!("/v1/runs/{id}/journal?after=4")).await;
    assert_eq!(seqs(&none), Vec::<u64>::new());
    for q in [
        "limit=0",
        "limit=1001",
        "after=-1",
        "after=x",
        "after=2147483648",
    ] {
        let (st, body) = s.get(&format!("/v1/runs/{id}/journal?{q}")).await;
        assert_error(st, &body, StatusCode::BAD_REQUEST, "bad-request");
    }
}
