//! Test guest `effects`: counts side effects against a test server.
//!
//! Workflow `effects`, input `{"url": "http://127.0.0.1:PORT", "steps": 3,
//! "sleep_secs": 0}`: for `i` in `0..steps` runs the step `effect` on
//! `(url, i)`, which POSTs `{"i": i}` to `{url}/effect/{i}` (with the
//! step's `Idempotency-Key` header, added by the SDK) and returns the
//! response text; a non-2xx answer is a retryable failure. With
//! `sleep_secs > 0` the body sleeps durably between steps. Returns
//! `{"outputs": [...]}`.

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
