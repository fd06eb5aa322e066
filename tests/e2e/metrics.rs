//! `GET /metrics` through a real `cairn serve`: a known workload (a run
//! held in a step, a sleeping run, a batch with a retry, LLM calls that
//! succeed and fail against the fake provider, a run waiting for a
//! person), then every family's values, exact where the workload decides
//! them. And the token rule.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fake_llm::{FakeLlm, provider_config, write_config};
use crate::support::{Cairn, SideEffects};

const KEY_ENV: &str = "CAIRN_TEST_FAKE_LLM_KEY";

/// One scrape: each series (name and labels) and its value.
struct Scrape(HashMap<(String, BTreeMap<String, String>), f64>);

impl Scrape {
    fn parse(text: &str) -> Scrape {
        let mut series = HashMap::new();
        for line in text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let (key, value) = line.rsplit_once(' ').expect("a series and its value");
            let value: f64 = value.parse().unwrap_or_else(|_| panic!("a number: {line}"));
            let (name, labels) = match key.split_once('{') {
                None => (key.to_string(), BTreeMap::new()),
                Some((name, rest)) => {
                    let rest = rest.strip_suffix('}').expect("closing brace");
                    let labels = rest
                        .split("\",")
                        .filter(|kv| !kv.is_empty())
                        .map(|kv| {
                            let (k, v) = kv.split_once("=\"").expect("k=\"v\"");
                            (k.to_string(), v.trim_end_matches('"').to_string())
                        })
                        .collect();
                    (name.to_string(), labels)
                }
            };
            assert!(
                series.insert((name, labels), value).is_none(),
                "a series twice: {line}"
            );
        }
        Scrape(series)
    }

    /// The value of `name` with exactly `labels` (0 when absent).
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let labels = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.0
            .get(&(name.to_string(), labels))
            .copied()
            .unwrap_or(0.0)
    }

    /// The sum of every series of `name` whose labels include `labels`.
    fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.0
            .iter()
            .filter(|((n, l), _)| {
                n == name
                    && labels
                        .iter()
                        .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|(_, v)| v)
            .sum()
    }
}

/// The HTTP side of the test, tallying what it asked for by route pattern
/// and status, to compare with what the server counted.
struct Client {
    base: String,
    http: reqwest::Client,
    asked: HashMap<(&'static str, &'static str, u16), u64>,
}

impl Client {
    async fn send(
        &mut self,
        route: &'static str,
        method: &'static str,
        path: &str,
        body: Option<&Value>,
    ) -> (StatusCode, String) {
        let url = format!("{}{path}", self.base);
        let req = match body {
            Some(b) => self.http.post(url).json(b),
            None => self.http.get(url),
        };
        let r = req.send().await.unwrap();
        let status = r.status();
        *self
            .asked
            .entry((route, method, status.as_u16()))
            .or_default() += 1;
        (status, r.text().await.unwrap())
    }

    async fn start(&mut self, workflow: &str, input: Value) -> String {
        let body = json!({"workflow": workflow, "input": input});
        let (status, text) = self.send("/v1/runs", "POST", "/v1/runs", Some(&body)).await;
        assert!(status.is_success(), "{status} {text}");
        let v: Value = serde_json::from_str(&text).unwrap();
        v["run_id"].as_str().unwrap().to_string()
    }

    async fn wait_status(&mut self, id: &str, status: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let path = format!("/v1/runs/{id}");
            let (code, text) = self.send("/v1/runs/{id}", "GET", &path, None).await;
            assert_eq!(code, StatusCode::OK, "{text}");
            let v: Value = serde_json::from_str(&text).unwrap();
            if v["status"] == status {
                return v;
            }
            assert!(Instant::now() < deadline, "waited for {status}: {v:#}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn scrape(&mut self) -> Scrape {
        let (status, text) = self.send("/metrics", "GET", "/metrics", None).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        Scrape::parse(&text)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_family_counts_a_known_workload() {
    let effects = SideEffects::start();
    let fake = FakeLlm::openai();
    let c = Cairn::new().env(KEY_ENV, "sk-test");
    write_config(&c, &provider_config("fake", &fake, KEY_ENV));
    c.deploy("effects", &["--allow-http", &effects.host()]);
    c.deploy("human", &[]);
    let served = c.serve();
    let mut api = Client {
        base: served.base.clone(),
        http: reqwest::Client::new(),
        asked: HashMap::new(),
    };

    // A run held in its first step: one body and one step instance live.
    effects.hold("/effect/0", Duration::from_secs(3));
    let sleeper = api
        .start(
            "effects",
            json!({"url": effects.url(), "steps": 2, "sleep_secs": 3600}),
        )
        .await;
    effects.wait_count("/effect/0", 1, 30);
    let mid = api.scrape().await;
    assert_eq!(mid.get("cairn_instances", &[("kind", "body")]), 1.0);
    assert_eq!(mid.get("cairn_instances", &[("kind", "step")]), 1.0);
    assert_eq!(mid.get("cairn_active_runs", &[]), 1.0);
    let running = [("workflow", "effects"), ("status", "running")];
    assert_eq!(mid.get("cairn_runs", &running), 1.0);
    api.wait_status(&sleeper, "sleeping").await;

    // A batch of three with one retry.
    effects.fail("/hit/1", 1);
    let batch = api
        .start("fanout", json!({"url": effects.url(), "n": 3}))
        .await;
    api.wait_status(&batch, "completed").await;

    // An LLM call answered, one refused (a 400 is not retried), and a run
    // waiting for a person.
    fake.reply_with("hello");
    let chat = json!({"model": "fake/gpt-test", "prompt": "Say hello."});
    let answered = api.start("chat", chat.clone()).await;
    api.wait_status(&answered, "completed").await;
    fake.then(400, &[], r#"{"error": {"message": "no"}}"#);
    let refused = api.start("chat", chat).await;
    api.wait_status(&refused, "failed").await;
    let asking = api.start("ask", json!({"type": "approval"})).await;
    api.wait_status(&asking, "waiting").await;
    let (status, _) = api.send("unmatched", "GET", "/no/such/route", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let m = api.scrape().await;
    check_runs(&m);
    check_steps(&m);
    check_llm(&m, fake.count());
    check_journal(&m);
    assert_eq!(m.get("cairn_instances", &[("kind", "body")]), 0.0);
    assert_eq!(m.get("cairn_instances", &[("kind", "step")]), 0.0);
    assert_eq!(m.get("cairn_active_runs", &[]), 0.0);
    // Every request the test made, under its route pattern; the last
    // scrape counts after it answers, so it is not in its own text.
    let mut asked = api.asked.clone();
    *asked.get_mut(&("/metrics", "GET", 200)).unwrap() -= 1;
    for ((route, method, status), n) in &asked {
        let labels = [
            ("route", *route),
            ("method", *method),
            ("status", &status.to_string()),
        ];
        assert_eq!(
            m.get("cairn_http_requests_total", &labels),
            *n as f64,
            "{labels:?}"
        );
    }
    let all: u64 = asked.values().sum();
    assert_eq!(m.sum("cairn_http_requests_total", &[]), all as f64);
    let runs_route = [("route", "/v1/runs/{id}")];
    let polls: u64 = asked
        .iter()
        .filter(|((r, ..), _)| *r == "/v1/runs/{id}")
        .map(|(_, n)| n)
        .sum();
    assert_eq!(
        m.get("cairn_http_request_duration_seconds_count", &runs_route),
        polls as f64
    );
}

fn check_runs(m: &Scrape) {
    let runs =
        |workflow, status| m.get("cairn_runs", &[("workflow", workflow), ("status", status)]);
    assert_eq!(runs("effects", "sleeping"), 1.0);
    assert_eq!(runs("fanout", "completed"), 1.0);
    assert_eq!(runs("chat", "completed"), 1.0);
    assert_eq!(runs("chat", "failed"), 1.0);
    assert_eq!(runs("ask", "waiting"), 1.0);
    assert_eq!(m.sum("cairn_runs", &[]), 5.0);
    let act = |workflow, outcome| {
        m.get(
            "cairn_activations_total",
            &[("workflow", workflow), ("outcome", outcome)],
        )
    };
    assert_eq!(act("effects", "suspended"), 1.0);
    assert_eq!(act("fanout", "completed"), 1.0);
    assert_eq!(act("chat", "completed"), 1.0);
    assert_eq!(act("chat", "failed"), 1.0);
    assert_eq!(act("ask", "suspended"), 1.0);
    assert_eq!(m.sum("cairn_activations_total", &[]), 5.0);
}

fn check_steps(m: &Scrape) {
    let attempts = |workflow, step, outcome| {
        m.get(
            "cairn_step_attempts_total",
            &[("workflow", workflow), ("step", step), ("outcome", outcome)],
        )
    };
    assert_eq!(attempts("effects", "effect", "completed"), 1.0);
    assert_eq!(attempts("fanout", "hit", "completed"), 3.0);
    assert_eq!(attempts("fanout", "hit", "retrying"), 1.0);
    assert_eq!(attempts("fanout", "hit", "failed"), 0.0);
    let hit = [("workflow", "fanout"), ("step", "hit")];
    assert_eq!(m.get("cairn_step_retries_total", &hit), 1.0);
    assert_eq!(m.sum("cairn_step_retries_total", &[]), 1.0);
    let hist = "cairn_step_attempt_duration_seconds";
    assert_eq!(m.get(&format!("{hist}_count"), &hit), 4.0);
    let mut inf = hit.to_vec();
    inf.push(("le", "+Inf"));
    assert_eq!(m.get(&format!("{hist}_bucket"), &inf), 4.0);
    // The held attempt took the 3 s it was held, at least.
    let effect = [("workflow", "effects"), ("step", "effect")];
    assert!(m.get(&format!("{hist}_sum"), &effect) >= 3.0);
    let mut under_1s = effect.to_vec();
    under_1s.push(("le", "1"));
    assert_eq!(m.get(&format!("{hist}_bucket"), &under_1s), 0.0);
}

fn check_llm(m: &Scrape, requests: usize) {
    assert_eq!(requests, 2, "one request per call: a 400 is not retried");
    let model = [("provider", "fake"), ("model", "gpt-test")];
    let with = |extra: (&'static str, &'static str)| {
        let mut l = model.to_vec();
        l.push(extra);
        l
    };
    assert_eq!(
        m.get("cairn_llm_calls_total", &with(("outcome", "ok"))),
        1.0
    );
    assert_eq!(
        m.get("cairn_llm_calls_total", &with(("outcome", "error"))),
        1.0
    );
    // The fake's reply reports 21 prompt and 7 completion tokens.
    assert_eq!(
        m.get("cairn_llm_tokens_total", &with(("kind", "input"))),
        21.0
    );
    assert_eq!(
        m.get("cairn_llm_tokens_total", &with(("kind", "output"))),
        7.0
    );
}

fn check_journal(m: &Scrape) {
    let commits = m.get("cairn_journal_commits_total", &[]);
    let ops = m.get("cairn_journal_ops_total", &[]);
    assert!(
        commits >= 1.0 && ops >= commits,
        "{commits} commits, {ops} ops"
    );
    let latency = "cairn_journal_commit_duration_seconds";
    assert_eq!(m.get(&format!("{latency}_count"), &[]), commits);
    assert_eq!(
        m.get(&format!("{latency}_bucket"), &[("le", "+Inf")]),
        commits
    );
    assert!(m.get(&format!("{latency}_sum"), &[]) > 0.0);
    let batch = "cairn_journal_ops_per_commit";
    assert_eq!(m.get(&format!("{batch}_count"), &[]), commits);
    assert_eq!(m.get(&format!("{batch}_sum"), &[]), ops);
    assert_eq!(m.get("cairn_journal_queue_depth", &[]), 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_under_the_token_rule() {
    let c = Cairn::new().env("CAIRN_SERVER_TOKEN", "s3cret");
    let served = c.serve();
    let http = reqwest::Client::new();
    let url = format!("{}/metrics", served.base);
    let r = http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = http.get(&url).bearer_auth("s3cret").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = r.text().await.unwrap();
    let m = Scrape::parse(&text);
    let refused = [("route", "/metrics"), ("method", "GET"), ("status", "401")];
    assert_eq!(m.get("cairn_http_requests_total", &refused), 1.0);
}
