//! Test guest `effects`: counts side effects against a test server.
//!
//! Workflow `effects`, input `{"url": "http://127.0.0.1:PORT", "steps": 3,
//! "sleep_secs": 0}`: for `i` in `0..steps` runs the step `effect` on
//! `(url, i)`, which POSTs `{"i": i}` to `{url}/effect/{i}` (with the
//! step's `Idempotency-Key` header, added by the SDK) and returns the
//! response text; a non-2xx answer is a retryable failure. With
//! `sleep_secs > 0` the body sleeps durably between steps. Returns
//! `{"outputs": [...]}`.
//!
//! Workflow `fanout`, input `{"url": "http://127.0.0.1:PORT", "n": 20,
//! "max_concurrency": 8}`: `ctx.batch` of the step `hit` over `0..n`.
//! `hit(url, i)` POSTs `{"i": i, "worker": W}` to `{url}/hit/{i}`, where W
//! is the step's environment variable `CAIRN_TEST_WORKER` (configure it
//! with `[workflows.fanout] env`), and returns `{"i", "worker", "reply"}`
//! (the reply is the server's text). Returns `{"completed", "failed"}`.

use cairn_sdk::prelude::*;

/// The run's input.
#[data]
#[derive(Debug)]
struct EffectsInput {
    url: String,
    #[serde(default = "one")]
    steps: u32,
    #[serde(default)]
    sleep_secs: u64,
}

fn one() -> u32 {
    1
}

/// POSTs to `{url}/effect/{i}` and returns the response text.
#[step]
fn effect(url: String, i: u32) -> Result<String, StepError> {
    let url = format!("{}/effect/{i}", url.trim_end_matches('/'));
    let reply = cairn_sdk::http::post_json(&url, &json!({ "i": i }))?.error_for_status()?;
    Ok(reply.text()?)
}

/// Runs `effect` `steps` times, sleeping `sleep_secs` between.
#[workflow]
fn effects(ctx: &Ctx, input: EffectsInput) -> Result<Value, WorkflowError> {
    let mut outputs = Vec::new();
    for i in 0..input.steps {
        if i > 0 && input.sleep_secs > 0 {
            ctx.sleep(Duration::from_secs(input.sleep_secs))?;
        }
        outputs.push(ctx.step(effect, (input.url.clone(), i))?);
    }
    Ok(json!({ "outputs": outputs }))
}

/// The input of `fanout`.
#[data]
#[derive(Debug)]
struct FanoutInput {
    url: String,
    n: u32,
    #[serde(default = "eight")]
    max_concurrency: u32,
}

fn eight() -> u32 {
    8
}

/// POSTs to `{url}/hit/{i}`, saying which worker process runs it.
#[step(max_attempts = 3, backoff = "100ms")]
fn hit(url: String, i: u32) -> Result<Value, StepError> {
    let worker = std::env::var("CAIRN_TEST_WORKER").unwrap_or_default();
    let url = format!("{}/hit/{i}", url.trim_end_matches('/'));
    let reply = cairn_sdk::http::post_json(&url, &json!({ "i": i, "worker": worker }))?
        .error_for_status()?
        .text()?;
    Ok(json!({ "i": i, "worker": worker, "reply": reply }))
}

/// A batch of `hit` over `0..n`.
#[workflow]
fn fanout(ctx: &Ctx, input: FanoutInput) -> Result<Value, WorkflowError> {
    let inputs: Vec<(String, u32)> = (0..input.n).map(|i| (input.url.clone(), i)).collect();
    let all = ctx.batch(hit, inputs, input.max_concurrency);
    Ok(json!({ "completed": all.stats.completed, "failed": all.stats.failed }))
}
