//! The OpenAPI document: it lists every endpoint and says what the handlers do.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Cairn, wasm};

use super::{Server, assert_error};

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
