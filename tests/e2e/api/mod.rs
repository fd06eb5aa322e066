//! The HTTP API through a real `cairn serve` on a loopback port: every
//! endpoint, every error code, pagination, idempotent starts, webhook
//! signatures, the token rule. One file per resource; the server handle
//! and the request helpers are here.

mod auth;
mod errors;
mod human;
mod openapi;
mod runs;
mod triggers;

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{Cairn, Served};

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
