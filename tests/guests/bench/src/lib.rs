//! Test guest `bench`: the per-step cost of the host.
//!
//! Workflow `chain`, input `{"steps": N}`: N sequential calls of the
//! trivial step `noop` (`i -> i + 1`); returns `{"steps": N, "sum": S}`.

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
