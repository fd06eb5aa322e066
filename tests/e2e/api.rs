//! The HTTP API through a real `cairn serve` on a loopback port: every
//! endpoint, every error code, pagination, idempotent starts, webhook
//! signatures, the token rule.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Cairn, Served, kill9, listening, wasm};

/// A `cairn serve` on an ephemeral loopback port.
struct Server {
    served: Served,
    http: reqwest::Client,
}

impl Server {
    fn start(c: &Cairn) -> Server {
        Server {
            served: c.serve(),
            http: reqwest::Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.served.base)
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let r = self.http.get(self.url(path)).send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.post_raw(path, body.to_string().into_bytes(), &[])
            .await
    }

    async fn post_raw(
        &self,
        path: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let mut req = self.http.post(self.url(path)).body(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Polls `GET /v1/runs/{id}` until `pred` holds.
    async fn wait_run(&self, id: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (status, v) = self.get(&format!("/v1/runs/{id}")).await;
            assert_eq!(status, StatusCode::OK, "{v:#}");
            if pred(&v) {
                return v;
            }
            assert!(Instant::now() < deadline, "timed out: {v:#}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn assert_error(status: StatusCode, body: &Value, want: StatusCode, code: &str) {
    assert_eq!(status, want, "{body:#}");
    assert_eq!(body["error"]["code"], code, "{body:#}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body:#}"
    );
}

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
    let (st, filtered) = s.get("/v1/runs?status=cancelled").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(filtered["runs"].as_array().unwrap().len(), 1);
    let (st, body) = s.get("/v1/runs?cursor=garbage").await;
    assert_error(st, &body, StatusCode::BAD_REQUEST, "bad-request");
    let (st, body) = s.get("/v1/runs?status=snoozing").await;
    assert_error(st, &body, StatusCode::BAD_REQUEST, "bad-request");
}

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

fn stripe_config(c: &Cairn) {
    std::fs::write(
        c.dir.path().join("cairn.toml"),
        "[webhooks.stripe]\nscheme = \"stripe\"\nsecret_env = \"TEST_STRIPE_SECRET\"\n",
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_and_webhooks_start_subscribed_workflows_once() {
    let c = Cairn::new().env("TEST_STRIPE_SECRET", "whsec_test");
    stripe_config(&c);
    c.deploy("triggers", &[]);
    let s = Server::start(&c);

    // An event starts every subscribed workflow with the payload as input.
    let (st, started) = s
        .post(
            "/v1/events/user.signed_up",
            &json!({"email": "ana@example.com"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{started:#}");
    let runs = started["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "welcome and audit: {started:#}");
    for id in runs {
        let done = s
            .wait_run(id.as_str().unwrap(), |v| v["status"] == "completed")
            .await;
        let out = &done["output"];
        assert!(
            out["welcomed"] == "ana@example.com" || out["email"] == "ana@example.com",
            "{done:#}"
        );
    }
    let (_, none) = s.post("/v1/events/nobody.listens", &json!({})).await;
    assert_eq!(none["runs"], json!([]));

    // A Stripe delivery: good, bad, missing, replayed.
    let body = json!({"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": {"amount": 4200}}}).to_string();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let good = cairn::server::signature::sign("stripe", b"whsec_test", body.as_bytes(), now);
    let bad = cairn::server::signature::sign("stripe", b"wrong", body.as_bytes(), now);
    let before = c.json(&["runs"])["runs"].as_array().unwrap().len();
    let (st, e) = s
        .post_raw(
            "/v1/webhooks/stripe",
            body.clone().into_bytes(),
            &[("Stripe-Signature", &bad)],
        )
        .await;
    assert_error(st, &e, StatusCode::UNAUTHORIZED, "unauthorized");
    let (st, e) = s
        .post_raw("/v1/webhooks/stripe", body.clone().into_bytes(), &[])
        .await;
    assert_error(st, &e, StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(
        c.json(&["runs"])["runs"].as_array().unwrap().len(),
        before,
        "nothing started"
    );

    let (st, first) = s
        .post_raw(
            "/v1/webhooks/stripe",
            body.clone().into_bytes(),
            &[("Stripe-Signature", &good)],
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{first:#}");
    let runs = first["runs"].as_array().unwrap().clone();
    assert_eq!(runs.len(), 2, "record_payment and audit: {first:#}");
    let (st, replayed) = s
        .post_raw(
            "/v1/webhooks/stripe",
            body.clone().into_bytes(),
            &[("Stripe-Signature", &good)],
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(replayed["duplicate"], true);
    assert_eq!(replayed["runs"], json!(runs));
    let mut paid = false;
    for id in &runs {
        let done = s
            .wait_run(id.as_str().unwrap(), |v| v["status"] == "completed")
            .await;
        paid |= done["output"]["paid"] == 4200;
    }
    assert!(paid);
    assert_eq!(
        c.json(&["runs"])["runs"].as_array().unwrap().len(),
        before + 2,
        "the replay started nothing"
    );
    let (st, e) = s
        .post_raw("/v1/webhooks/unknown", body.into_bytes(), &[])
        .await;
    assert_error(st, &e, StatusCode::NOT_FOUND, "not-found");

    // `cairn emit` does what the endpoint does.
    let out = c.json(&["emit", "user.signed_up", r#"{"email": "bo@example.com"}"#]);
    assert_eq!(out["runs"].as_array().unwrap().len(), 2, "{out:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn off_loopback_a_token_is_required() {
    let c = Cairn::new();
    let refused = c.run(&["serve", "--listen", "0.0.0.0:0"]).code(2);
    assert!(refused.stderr.contains("without a token"), "{refused:?}");

    let c = Cairn::new()
        .env("CAIRN_SERVER_TOKEN", "s3cret")
        .env("TEST_STRIPE_SECRET", "k");
    std::fs::write(
        c.dir.path().join("cairn.toml"),
        "[webhooks.gh]\nsecret_env = \"TEST_STRIPE_SECRET\"\n",
    )
    .unwrap();
    c.deploy("triggers", &[]);
    let mut child = c.spawn(&["serve", "--listen", "0.0.0.0:0", "--json"]);
    // Listening on every address; reach it through loopback.
    let base = listening(&mut child).replace("0.0.0.0", "127.0.0.1");
    let http = reqwest::Client::new();
    let r = http.get(format!("{base}/v1/runs")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = http
        .get(format!("{base}/v1/runs"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = http
        .get(format!("{base}/v1/runs"))
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Webhooks carry signatures instead; the page's files carry no data.
    let body = br#"{"id": "d1", "type": "push"}"#.to_vec();
    let sig = cairn::server::signature::sign("hmac-sha256", b"k", &body, 0);
    let r = http
        .post(format!("{base}/v1/webhooks/gh"))
        .header("X-Signature-256", sig)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = http.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    kill9(&mut child);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_lists_every_endpoint() {
    let c = Cairn::new();
    let s = Server::start(&c);
    let (st, doc) = s.get("/v1/openapi.json").await;
    assert_eq!(st, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/v1/versions",
        "/v1/runs",
        "/v1/runs/{id}",
        "/v1/runs/{id}/journal",
        "/v1/runs/{id}/events",
        "/v1/runs/{id}/cancel",
        "/v1/runs/{id}/retry",
        "/v1/prompts",
        "/v1/runs/{id}/respond",
        "/v1/runs/{id}/signals/{name}",
        "/v1/events/{name}",
        "/v1/webhooks/{source}",
    ] {
        assert!(
            paths.contains_key(p),
            "{p} is missing from the OpenAPI document"
        );
    }
    assert!(doc["components"]["schemas"]["RunView"].is_object());
}

/// Sends `method path` with a body and headers; the status, the headers
/// and the body parsed as JSON (`Null` when it is not JSON).
async fn send(
    s: &Server,
    method: reqwest::Method,
    path: &str,
    body: Vec<u8>,
    headers: &[(&str, &str)],
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut req = s.http.request(method, s.url(path)).body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_has_the_documented_shape_and_names_its_setting() {
    // The component limit below the JSON one: a body over it was refused
    // by the framework, in plain text, before any handler saw it.
    let c = Cairn::new()
        .env("CAIRN_SERVER_MAX_BODY_BYTES", "2000")
        .env("CAIRN_SERVER_MAX_COMPONENT_BYTES", "1000");
    c.deploy("counter", &[]);
    let s = Server::start(&c);
    use reqwest::Method;
    let big = json!({"workflow": "counter", "input": "x".repeat(3000)}).to_string();
    let (st, _, body) = send(&s, Method::POST, "/v1/runs", big.into_bytes(), &[]).await;
    assert_error(st, &body, StatusCode::PAYLOAD_TOO_LARGE, "too-large");
    let m = body["error"]["message"].as_str().unwrap();
    assert!(
        m.contains("server.max_body_bytes") && m.contains("2000"),
        "{m}"
    );
    let wasm = std::fs::read(wasm("counter")).unwrap();
    let (st, _, body) = send(&s, Method::POST, "/v1/versions", wasm, &[]).await;
    assert_error(st, &body, StatusCode::PAYLOAD_TOO_LARGE, "too-large");
    let m = body["error"]["message"].as_str().unwrap();
    assert!(m.contains("server.max_component_bytes"), "{m}");

    // Bad JSON, a body that is not JSON at all, a wrong content type.
    let json_ct = [("content-type", "application/json")];
    let (st, _, body) = send(&s, Method::POST, "/v1/runs", b"{oops".to_vec(), &json_ct).await;
    assert_error(st, &body, StatusCode::BAD_REQUEST, "bad-request");
    let (st, _, body) = send(&s, Method::POST, "/v1/runs", vec![], &json_ct).await;
    assert_error(st, &body, StatusCode::BAD_REQUEST, "bad-request");
    let start = json!({"workflow": "counter", "session": "s"})
        .to_string()
        .into_bytes();
    for ct in ["text/plain", "application/x-www-form-urlencoded"] {
        let headers = [("content-type", ct)];
        let (st, _, body) = send(&s, Method::POST, "/v1/runs", start.clone(), &headers).await;
        assert_error(
            st,
            &body,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
        );
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("application/json"),
            "{body:#}"
        );
    }
    let headers = [("content-type", "application/json; charset=utf-8")];
    let (st, _, body) = send(&s, Method::POST, "/v1/runs", start.clone(), &headers).await;
    assert_eq!(st, StatusCode::CREATED, "{body:#}");
    let (st, _, body) = send(&s, Method::POST, "/v1/versions", b"x".to_vec(), &json_ct).await;
    assert_error(
        st,
        &body,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
    );

    // Bad query parameters, unknown routes, methods a route does not take.
    let (st, _, body) = send(&s, Method::GET, "/v1/runs?limit=many", vec![], &[]).await;
    assert_error(st, &body, StatusCode::BAD_REQUEST, "bad-request");
    let (st, _, body) = send(&s, Method::GET, "/v1/nothing-here", vec![], &[]).await;
    assert_error(st, &body, StatusCode::NOT_FOUND, "not-found");
    let (st, headers, body) = send(&s, Method::DELETE, "/v1/runs", vec![], &[]).await;
    assert_error(
        st,
        &body,
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
    );
    let allow = headers["allow"].to_str().unwrap();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    let (st, _, body) = send(&s, Method::PUT, "/v1/prompts", vec![], &[]).await;
    assert_error(
        st,
        &body,
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
    );

    // The codes are one list, documented in the OpenAPI document.
    let (_, doc) = s.get("/v1/openapi.json").await;
    let codes = &doc["components"]["schemas"]["ErrorCode"]["enum"];
    for code in [
        "bad-request",
        "not-found",
        "method-not-allowed",
        "too-large",
        "unsupported-media-type",
    ] {
        assert!(
            codes.as_array().unwrap().contains(&json!(code)),
            "{codes:#}"
        );
    }
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

/// What schemathesis (`.ci/fuzz-api`) found the document and the handlers
/// disagreeing on, each pinned here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_says_what_the_handlers_do() {
    let c = Cairn::new();
    c.deploy("counter", &[]);
    let s = Server::start(&c);
    let (_, doc) = s.get("/v1/openapi.json").await;
    let schemas = &doc["components"]["schemas"];

    // A run started without input has `input: null`: the schema admits
    // any JSON there (it said `object`), and in the outputs and events.
    let start = json!({"workflow": "counter", "session": "s"});
    let (st, run) = s.post("/v1/runs", &start).await;
    assert_eq!(st, StatusCode::CREATED, "{run:#}");
    assert_eq!(run["input"], Value::Null);
    for (schema, field) in [
        ("RunView", "input"),
        ("RunView", "output"),
        ("EventView", "data"),
        ("EntryView", "value"),
    ] {
        let s = &schemas[schema]["properties"][field];
        assert!(
            s.get("type").is_none(),
            "{schema}.{field} must admit any JSON: {s:#}"
        );
    }

    // Events and signals take any JSON, as documented; nothing at all too.
    for path in ["/v1/events/{name}", "/v1/runs/{id}/signals/{name}"] {
        let body = &doc["paths"][path]["post"]["requestBody"];
        assert!(
            body["content"]["application/json"]["schema"]
                .get("type")
                .is_none(),
            "{body:#}"
        );
        assert_ne!(body["required"], true, "{path}: {body:#}");
    }
    let (st, v) = s.post("/v1/events/nobody.listens", &json!([1, 2])).await;
    assert_eq!(st, StatusCode::OK, "{v:#}");

    // `GET /v1/runs` refuses what its parameters' schemas exclude.
    let params = doc["paths"]["/v1/runs"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let param = |n: &str| params.iter().find(|p| p["name"] == n).unwrap()["schema"].clone();
    assert_eq!(param("limit")["minimum"], 1);
    assert_eq!(param("limit")["maximum"], 500);
    assert!(
        param("status")["enum"]
            .as_array()
            .unwrap()
            .contains(&json!("waiting"))
    );
    assert!(param("cursor")["pattern"].is_string());
    for q in [
        "limit=0",
        "limit=501",
        "cursor=",
        "cursor=%E2%B0%AF",
        "status=",
        "surprise=1",
    ] {
        let (st, body) = s.get(&format!("/v1/runs?{q}")).await;
        assert_error(st, &body, StatusCode::BAD_REQUEST, "bad-request");
    }
    let (st, page) = s.get("/v1/runs?limit=1").await;
    assert_eq!(st, StatusCode::OK);
    let cursor = page["next_cursor"].as_str();
    assert!(
        cursor.is_none() || regex_like_cursor(cursor.unwrap()),
        "{page:#}"
    );

    // A server-sent event is documented as the frame a client reads.
    let sse = &doc["paths"]["/v1/runs/{id}/events"]["get"]["responses"]["200"]["content"]["text/event-stream"]
        ["schema"];
    assert_eq!(sse["$ref"], "#/components/schemas/SseFrame", "{sse:#}");
    assert_eq!(schemas["SseFrame"]["properties"]["data"]["type"], "string");

    // A deploy takes the bytes as octet-stream (a fuzzer can send that)
    // and application/wasm.
    let body = &doc["paths"]["/v1/versions"]["post"]["requestBody"]["content"];
    assert!(body["application/octet-stream"].is_object(), "{body:#}");
    let bytes = std::fs::read(wasm("counter")).unwrap();
    for ct in ["application/octet-stream", "application/wasm"] {
        let (st, v) = s
            .post_raw("/v1/versions", bytes.clone(), &[("content-type", ct)])
            .await;
        assert_eq!(st, StatusCode::OK, "{ct}: {v:#}");
    }

    // Every operation documents the error shape for the statuses it does
    // not list one by one.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let default = &op["responses"]["default"]["content"]["application/json"]["schema"];
            assert_eq!(
                default["$ref"], "#/components/schemas/ErrorBody",
                "{method} {path}"
            );
        }
    }
}

/// `AT:ID`, as the cursor's documented pattern says.
fn regex_like_cursor(c: &str) -> bool {
    c.split_once(':').is_some_and(|(at, id)| {
        !at.is_empty()
            && at.bytes().all(|b| b.is_ascii_digit())
            && !id.is_empty()
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
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
