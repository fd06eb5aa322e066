//! Test guest `parallel`: spawned steps, joined, gathered, batched and
//! mapped.
//!
//! Every workflow takes the same input (all fields optional):
//!
//! ```json
//! {"n": 4, "url": "http://127.0.0.1:PORT", "max_concurrency": 2,
//!  "fail": [1, 3], "sleep_ms": [300, 200, 100, 0], "then_sleep_ms": 0}
//! ```
//!
//! and runs the step `item` on `0..n`. `item(i)` sleeps `sleep_ms[i]`
//! milliseconds in its own instance (`std::thread::sleep`, real inside a
//! step), POSTs `{"i": i}` to `{url}/item/{i}` when a URL is given (a
//! non-2xx answer is a retryable failure), fails for good when `i` is in
//! `fail` (code `item-failed`), and returns `{"i", "finished_ms", "attempt"}`.
//! With `then_sleep_ms` the body sleeps durably after collecting, so the
//! run is replayed from its journal before it returns.
//!
//! - `par_join`: `ctx.spawn` each item, then `ctx.join_all`; returns
//!   `{"outputs": [output or {"error": code}]}`.
//! - `par_batch`: `ctx.batch(item, .., max_concurrency)` (default 4);
//!   returns `{"outputs", "stats"}`.
//! - `par_map`: `ctx.map(item, ..)`; returns `{"outputs"}` or fails with
//!   `batch-failed`.
//! - `par_gather`: gathers item `i` under the name `item-{i}`; returns
//!   `{"results": {name: output or {"error": code}}}`.
//! - `par_drop`: spawns every item and returns without joining.
//! - `par_sleep`: spawns every item, sleeps `then_sleep_ms` while they
//!   run, then joins them.
//! - `par_patient`: like `par_join` with the step `patient`, which POSTs
//!   to `{url}/patient/{i}` and retries a failure after 3 s (a backoff
//!   long enough to kill the host in).
//! - `par_tour`: a run of every kind of bar the page's timeline draws:
//!   spawns every item and joins them, sleeps durably `then_sleep_ms`,
//!   waits for the signal `go`, asks a person `Ship it?` (approval), then
//!   runs `item` on `n`; returns `{"outputs", "go", "approved"}`.

use std::time::UNIX_EPOCH;

use cairn_sdk::prelude::*;

/// The runs' input.
#[data]
#[derive(Debug, Default)]
struct Input {
    #[serde(default = "four")]
    n: u32,
    #[serde(default)]
    url: Option<String>,
    #[serde(default = "four")]
    max_concurrency: u32,
    #[serde(default)]
    fail: Vec<u32>,
    #[serde(default)]
    sleep_ms: Vec<u64>,
    #[serde(default)]
    then_sleep_ms: u64,
}

fn four() -> u32 {
    4
}

/// What `item` is given.
#[data]
#[derive(Debug, Clone)]
struct ItemInput {
    i: u32,
    url: Option<String>,
    fail: bool,
    sleep_ms: u64,
}

/// What `item` returns.
#[data]
#[derive(Debug, Clone)]
struct ItemOutput {
    i: u32,
    finished_ms: u64,
    attempt: u32,
}

impl ItemOutput {
    /// Item `i`, finished now (real time: this runs in a step), in this
    /// attempt.
    fn now(i: u32) -> ItemOutput {
        let finished_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let attempt = cairn_sdk::step_context().map_or(0, |c| c.attempt);
        ItemOutput {
            i,
            finished_ms,
            attempt,
        }
    }
}

/// One item of work; see the crate docs.
#[step(max_attempts = 3, backoff = "100ms")]
fn item(input: ItemInput) -> Result<ItemOutput, StepError> {
    if input.sleep_ms > 0 {
        std::thread::sleep(Duration::from_millis(input.sleep_ms));
    }
    if let Some(url) = &input.url {
        let url = format!("{}/item/{}", url.trim_end_matches('/'), input.i);
        cairn_sdk::http::post_json(&url, &json!({ "i": input.i }))?.error_for_status()?;
    }
    if input.fail {
        return Err(StepError::fatal(format!("item {} failed", input.i)).with_code("item-failed"));
    }
    Ok(ItemOutput::now(input.i))
}

fn items(input: &Input) -> Vec<ItemInput> {
    (0..input.n)
        .map(|i| ItemInput {
            i,
            url: input.url.clone(),
            fail: input.fail.contains(&i),
            sleep_ms: input.sleep_ms.get(i as usize).copied().unwrap_or(0),
        })
        .collect()
}

fn show(r: Result<ItemOutput, StepError>) -> Value {
    match r {
        Ok(o) => json!(o),
        Err(e) => json!({ "error": e.code, "attempts": e.attempts() }),
    }
}

fn then_sleep(ctx: &Ctx, input: &Input) -> Result<(), WorkflowError> {
    if input.then_sleep_ms > 0 {
        ctx.sleep(Duration::from_millis(input.then_sleep_ms))?;
    }
    Ok(())
}

/// Spawns every item, then joins them all.
#[workflow]
fn par_join(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let handles: Vec<_> = items(&input)
        .into_iter()
        .map(|it| ctx.spawn(item, it))
        .collect();
    let outputs: Vec<Value> = ctx.join_all(handles).into_iter().map(show).collect();
    then_sleep(ctx, &input)?;
    Ok(json!({ "outputs": outputs }))
}

/// `ctx.batch` over the items.
#[workflow]
fn par_batch(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let r = ctx.batch(item, items(&input), input.max_concurrency);
    then_sleep(ctx, &input)?;
    let outputs: Vec<Value> = r.outputs.into_iter().map(show).collect();
    Ok(json!({ "outputs": outputs, "stats": r.stats }))
}

/// `ctx.map` over the items.
#[workflow]
fn par_map(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let outputs = ctx.map(item, items(&input))?;
    then_sleep(ctx, &input)?;
    Ok(json!({ "outputs": outputs }))
}

/// Gathers the items by name.
#[workflow]
fn par_gather(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let mut g = ctx.gather();
    for it in items(&input) {
        g = g.spawn(format!("item-{}", it.i), item, it);
    }
    let results = g.join();
    let mut out = cairn_sdk::serde_json::Map::new();
    for (name, _) in results.iter() {
        out.insert(name.to_owned(), show(results.get::<ItemOutput>(name)));
    }
    then_sleep(ctx, &input)?;
    Ok(json!({ "results": out }))
}

/// Spawns every item and returns without joining any.
#[workflow]
fn par_drop(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    for it in items(&input) {
        let _ = ctx.spawn(item, it);
    }
    Ok(json!({ "spawned": input.n }))
}

/// Spawns every item, sleeps while they run, then joins them.
#[workflow]
fn par_sleep(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let handles: Vec<_> = items(&input)
        .into_iter()
        .map(|it| ctx.spawn(item, it))
        .collect();
    then_sleep(ctx, &input)?;
    let outputs: Vec<Value> = ctx.join_all(handles).into_iter().map(show).collect();
    Ok(json!({ "outputs": outputs }))
}

/// POSTs to `{url}/patient/{i}`; a failed attempt is retried after 3 s.
#[step(max_attempts = 3, backoff = "3s")]
fn patient(url: String, i: u32) -> Result<ItemOutput, StepError> {
    let url = format!("{}/patient/{i}", url.trim_end_matches('/'));
    cairn_sdk::http::post_json(&url, &json!({ "i": i }))?.error_for_status()?;
    Ok(ItemOutput::now(i))
}

/// Spawns `patient` for every item, then joins them all.
#[workflow]
fn par_patient(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let url = input.url.clone().unwrap_or_default();
    let handles: Vec<_> = (0..input.n)
        .map(|i| ctx.spawn(patient, (url.clone(), i)))
        .collect();
    let outputs: Vec<Value> = ctx.join_all(handles).into_iter().map(show).collect();
    Ok(json!({ "outputs": outputs }))
}

/// Spawned items, a durable sleep, a signal, a prompt and a last step.
#[workflow]
fn par_tour(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let handles: Vec<_> = items(&input)
        .into_iter()
        .map(|it| ctx.spawn(item, it))
        .collect();
    let outputs: Vec<Value> = ctx.join_all(handles).into_iter().map(show).collect();
    then_sleep(ctx, &input)?;
    let go: Value = ctx.wait_for_event("go", None)?;
    let answer = ctx.wait_for_user(Prompt::approval("Ship it?"))?;
    let last = ItemInput {
        i: input.n,
        url: None,
        fail: false,
        sleep_ms: 0,
    };
    let last = ctx.step(item, last)?;
    Ok(json!({ "outputs": outputs, "go": go, "approved": answer.is_approved(), "last": last }))
}
