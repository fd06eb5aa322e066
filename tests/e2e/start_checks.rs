//! The checks every way of starting a run shares (issue 9, items 6 and
//! 10): an input that does not fit the workflow's input type, or a
//! workflow that needs a session started without one, is refused before a
//! run exists — from `cairn run`, `POST /v1/runs`, `cairn emit`, `POST
//! /v1/events/…` and webhooks alike — naming the path in the input and
//! what was expected there.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Cairn, wasm};

fn run_count(c: &Cairn) -> usize {
    c.json(&["runs"])["runs"].as_array().unwrap().len()
}

async fn post(base: &str, path: &str, body: &Value) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_refuses_a_bad_input_or_a_missing_session_with_400_and_creates_nothing() {
    let c = Cairn::new();
    c.deploy("order", &[]);
    c.deploy("counter", &[]);
    let s = c.serve();

    let bad = json!({"workflow": "order", "input": {"order_id": "A-1", "amount": "lots"}});
    let (st, body) = post(&s.base, "/v1/runs", &bad).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{body:#}");
    assert_eq!(body["error"]["code"], "bad-request", "{body:#}");
    assert!(
        message(&body).contains("at /amount: \"lots\" is not of type \"number\""),
        "{body:#}"
    );

    let (st, body) = post(&s.base, "/v1/runs", &json!({"workflow": "order"})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "no input at all: {body:#}");

    let (st, body) = post(&s.base, "/v1/runs", &json!({"workflow": "counter"})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{body:#}");
    assert!(message(&body).contains("uses session state"), "{body:#}");
    assert_eq!(run_count(&c), 0, "nothing was created");

    // What fits starts.
    let good = json!({"workflow": "order", "input": {"order_id": "A-1", "amount": 4.5}});
    let (st, body) = post(&s.base, "/v1/runs", &good).await;
    assert_eq!(st, StatusCode::CREATED, "{body:#}");
    let with_session = json!({"workflow": "counter", "session_id": "s-1"});
    let (st, body) = post(&s.base, "/v1/runs", &with_session).await;
    assert_eq!(st, StatusCode::CREATED, "{body:#}");
    assert_eq!(run_count(&c), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_and_webhooks_whose_payload_does_not_fit_start_no_run() {
    let c = Cairn::new();
    std::fs::write(
        c.dir.path().join("cairn.toml"),
        "[webhooks.typed]\nevent_field = \"type\"\n",
    )
    .unwrap();
    c.deploy("triggers", &[]);

    // `cairn emit`: two subscribers; the payload does not fit one of
    // them, so neither starts.
    let out = c
        .run(&["emit", "typed.signup", r#"{"mail": "ana@example.com"}"#])
        .code(2);
    assert!(
        out.stderr.contains("does not fit workflow `typed_signup`"),
        "{out:?}"
    );
    assert!(
        out.stderr.contains("\"email\" is a required property"),
        "{out:?}"
    );
    assert_eq!(run_count(&c), 0);
    let out = c.json(&["emit", "typed.signup", r#"{"email": "ana@example.com"}"#]);
    assert_eq!(out["runs"].as_array().unwrap().len(), 2, "{out:#}");

    let s = c.serve();
    let (st, body) = post(&s.base, "/v1/events/typed.signup", &json!({"email": 7})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{body:#}");
    assert!(
        message(&body).contains("at /email: 7 is not of type \"string\""),
        "{body:#}"
    );
    let (st, body) = post(
        &s.base,
        "/v1/webhooks/typed",
        &json!({"type": "signup", "id": "d-1", "plan": 3}),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{body:#}");
    assert!(
        message(&body).contains("\"email\" is a required property"),
        "{body:#}"
    );
    assert_eq!(run_count(&c), 2, "only the fitting emit started runs");

    let (st, body) = post(
        &s.base,
        "/v1/webhooks/typed",
        &json!({"type": "signup", "id": "d-2", "email": "bo@example.com"}),
    )
    .await;
    assert!(st.is_success(), "{st}: {body:#}");
    assert_eq!(run_count(&c), 3);
}

#[test]
fn a_component_built_against_0_1_0_has_no_schema_and_starts_as_before() {
    let c = Cairn::new();
    let old = wasm("compat_0_1_0");
    c.json(&["deploy", old.to_str().unwrap()]);
    // No schema: the run is created and fails when the body decodes its
    // input, as every run did before 0.1.1.
    let out = c
        .run(&["run", "compat", "--input", r#"{"nom": 1}"#, "--json"])
        .code(2);
    assert_eq!(out.json()["status"], "failed", "{out:?}");
    // No session need either: the body's session call fails instead.
    let out = c.run(&["run", "compat_session", "--json"]).code(1);
    assert_eq!(out.json()["error"]["code"], "no-session", "{out:?}");
    assert_eq!(run_count(&c), 2);

    // The same source built today is checked at start.
    c.json(&["deploy", wasm("compat").to_str().unwrap()]);
    let out = c
        .run(&["run", "compat", "--input", r#"{"nom": 1}"#])
        .code(2);
    assert!(
        out.stderr.contains("\"name\" is a required property"),
        "{out:?}"
    );
    let out = c.run(&["run", "compat_session"]).code(2);
    assert!(out.stderr.contains("--session"), "{out:?}");
    assert_eq!(run_count(&c), 2);
}
