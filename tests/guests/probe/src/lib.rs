//! Test guest `probe`: what std can observe inside the sandbox.
//!
//! Workflows:
//! - `probe` (no input): std observations from the body (clock, monotonic
//!   clock, `HashMap` order, `RandomState`, filesystem, environment,
//!   arguments, HTTP) next to `ctx.now()`, `ctx.random()` and `ctx.uuid()`.
//!   In a body instance the clocks are logical, the hash seed is fixed per
//!   run, there is no file, no environment and no HTTP.
//! - `probe_sleep`: calls `std::thread::sleep(10ms)`, which the host traps
//!   with a message pointing to `ctx.sleep`.
//! - `probe_replay` (input `null` or `{"sleep_ms": N}`, default 1500):
//!   observes (std and ctx) into run state `before`, sleeps past the
//!   suspend threshold, observes again, and returns `{"before", "after"}`.
//!   The activation after the sleep recomputes `before` while replaying,
//!   so any difference shows up as a divergence of the state write.
//! - `probe_with_step`: returns `{"step": ...}`, the same std observations
//!   made by the step `probe_step`, which runs with a real clock, its
//!   configured environment and allow-listed HTTP.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::time::{Instant, UNIX_EPOCH};

use cairn_sdk::prelude::*;

/// What std sees, wherever it runs.
fn observe_std() -> Value {
    let system_time_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .ok();

    let start = Instant::now();
    let mut acc = 0u64;
    for i in 0..100_000u64 {
        acc = std::hint::black_box(acc.wrapping_mul(31).wrapping_add(i));
    }
    let instant_elapsed_ns = start.elapsed().as_nanos() as u64;

    let map: HashMap<String, u32> = (0..20).map(|i| (format!("k{i}"), i)).collect();
    let hashmap_order: Vec<&String> = map.keys().collect();

    // std's only public window on randomness: RandomState keys come from
    // the WASI insecure seed.
    let random_state_hashes = [
        RandomState::new().hash_one("cairn"),
        RandomState::new().hash_one("cairn"),
    ];

    let fs_read = match std::fs::read_to_string("/etc/passwd") {
        Ok(text) => format!("read {} bytes", text.len()),
        Err(e) => format!("error: {e}"),
    };
    let http = match cairn_sdk::http::get("http://127.0.0.1:9/") {
        Ok(resp) => format!("status {}", resp.status()),
        Err(e) => format!("error: {e}"),
    };

    json!({
        "system_time_ms": system_time_ms,
        "instant_elapsed_ns": instant_elapsed_ns,
        "loop_result": acc,
        "hashmap_order": hashmap_order,
        "random_state_hashes": random_state_hashes,
        "fs_read": fs_read,
        "env_vars_count": std::env::vars().count(),
        "env_home": std::env::var("HOME").ok(),
        "args_count": std::env::args().count(),
        "http": http,
    })
}

/// Std observations from inside a step attempt, plus its step context.
#[step(max_attempts = 1)]
fn probe_step() -> Result<Value, StepError> {
    let mut v = observe_std();
    let cx = cairn_sdk::step_context().expect("inside a step");
    v["idempotency_key"] = json!(cx.idempotency_key);
    v["attempt"] = json!(cx.attempt);
    Ok(v)
}

/// Std observations from the body, and the journaled ctx values.
fn observe_body(ctx: &Ctx) -> Value {
    let mut v = observe_std();
    v["ctx_now_ms"] = json!(
        ctx.now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .ok()
    );
    v["ctx_random"] = json!(ctx.random());
    v["ctx_uuid"] = json!(ctx.uuid());
    v["step_context_in_body"] = json!(cairn_sdk::step_context().is_some());
    v
}

/// Std observations from the body, and the journaled ctx values.
#[workflow]
fn probe(ctx: &Ctx) -> Result<Value, WorkflowError> {
    Ok(observe_body(ctx))
}

/// `probe_replay`'s optional input.
#[data]
#[derive(Debug)]
struct ReplayInput {
    #[serde(default = "default_sleep_ms")]
    sleep_ms: u64,
}

fn default_sleep_ms() -> u64 {
    1500
}

/// Observes, stores the observations, sleeps durably, observes again.
#[workflow]
fn probe_replay(ctx: &Ctx, input: Option<ReplayInput>) -> Result<Value, WorkflowError> {
    let sleep_ms = input.map_or_else(default_sleep_ms, |i| i.sleep_ms);
    let before = observe_body(ctx);
    ctx.state().set("before", &before)?;
    ctx.sleep(Duration::from_millis(sleep_ms))?;
    let after = observe_body(ctx);
    Ok(json!({ "before": before, "after": after }))
}

/// Calls `std::thread::sleep`, which a body may not do.
#[workflow]
fn probe_sleep(_ctx: &Ctx) -> Result<Value, WorkflowError> {
    std::thread::sleep(Duration::from_millis(10));
    Ok(json!({ "slept": true }))
}

/// Runs `probe_step` and returns its observations.
#[workflow]
fn probe_with_step(ctx: &Ctx) -> Result<Value, WorkflowError> {
    let step = ctx.step(probe_step, ())?;
    Ok(json!({ "step": step }))
}
