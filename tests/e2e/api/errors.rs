//! Every error the API returns has the documented shape and names the setting to change.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{Cairn, wasm};

use super::{Server, assert_error, send};

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
