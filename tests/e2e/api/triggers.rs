//! Events and webhooks over HTTP: subscribed workflows start once, signatures are checked.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::Cairn;

use super::{Server, assert_error};

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
