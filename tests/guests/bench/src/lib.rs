//! Test guest `bench`: the per-step cost of the host.
//!
//! Workflow `chain`, input `{"steps": N}`: N sequential calls of the
//! trivial step `noop` (`i -> i + 1`); returns `{"steps": N, "sum": S}`.
//!
//! Workflow `chain_then_sleep`, input `{"steps": N, "sleep_ms": M}`: the
//! same chain, then a durable sleep of M ms (the replay benchmark).
//!
//! Workflow `batch`, input `{"steps": N, "max_concurrency": C}`: `noop` on
//! `0..N` with `ctx.batch`, at most C at once.

use cairn_sdk::prelude::*;

/// The run's input.
#[derive(Debug, Deserialize)]
#[serde(crate = "cairn_sdk::serde")]
struct ChainInput {
    steps: u64,
}

/// Returns `i + 1`.
#[step]
fn noop(i: u64) -> Result<u64, StepError> {
    Ok(i + 1)
}

/// Runs `noop` `steps` times in a row.
#[workflow]
fn chain(ctx: &Ctx, input: ChainInput) -> Result<Value, WorkflowError> {
    let mut sum = 0u64;
    for i in 0..input.steps {
        sum += ctx.step(noop, i)?;
    }
    Ok(json!({ "steps": input.steps, "sum": sum }))
}

/// The input of `chain_then_sleep`.
#[derive(Debug, Deserialize)]
#[serde(crate = "cairn_sdk::serde")]
struct ChainSleepInput {
    steps: u64,
    sleep_ms: u64,
}

/// Runs `noop` `steps` times, then sleeps durably for `sleep_ms`: with a
/// long sleep the run suspends holding a journal of `steps + 1` entries,
/// which the replay benchmark re-activates.
#[workflow]
fn chain_then_sleep(ctx: &Ctx, input: ChainSleepInput) -> Result<Value, WorkflowError> {
    let mut sum = 0u64;
    for i in 0..input.steps {
        sum += ctx.step(noop, i)?;
    }
    ctx.sleep(Duration::from_millis(input.sleep_ms))?;
    Ok(json!({ "steps": input.steps, "sum": sum }))
}

/// The input of `batch`.
#[derive(Debug, Deserialize)]
#[serde(crate = "cairn_sdk::serde")]
struct BatchInput {
    steps: u64,
    max_concurrency: u32,
}

/// Runs `noop` on `0..steps` with `ctx.batch`, at most `max_concurrency`
/// at once (the parallel-steps benchmark).
#[workflow]
fn batch(ctx: &Ctx, input: BatchInput) -> Result<Value, WorkflowError> {
    let r = ctx.batch(noop, 0..input.steps, input.max_concurrency);
    let sum: u64 = r.successes().sum();
    Ok(json!({ "steps": input.steps, "sum": sum, "failed": r.stats.failed }))
}
