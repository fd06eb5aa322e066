//! The token rule: off loopback, every request needs the API token.

use reqwest::StatusCode;

use crate::support::{Cairn, kill9, listening};

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
