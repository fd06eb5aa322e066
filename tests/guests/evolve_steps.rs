//! Steps shared by `evolve_v1` and `evolve_v2`, and the input of every
//! `evolve` workflow: `{"x": 1, "park_secs": 3}`. Each workflow runs a
//! step, parks in a durable sleep of `park_secs`, and goes on; the two
//! crates differ in what surrounds the parking point, one edit per
//! workflow, so the tests can deploy v2 over runs parked in v1.

use cairn_sdk::prelude::*;

/// The input of every `evolve` workflow.
#[data]
pub struct Input {
    pub x: u32,
    pub park_secs: u64,
}

impl Input {
    pub fn park(&self, ctx: &Ctx) -> Result<(), WorkflowError> {
        ctx.sleep(Duration::from_secs(self.park_secs))
    }
}

#[step]
pub fn a(x: u32) -> Result<String, StepError> {
    Ok(format!("a{x}"))
}

#[step]
pub fn b(x: u32) -> Result<String, StepError> {
    Ok(format!("b{x}"))
}

#[step]
pub fn c(x: u32) -> Result<String, StepError> {
    Ok(format!("c{x}"))
}

#[step]
pub fn n(x: u32) -> Result<String, StepError> {
    Ok(format!("n{x}"))
}

#[step]
pub fn a2(x: u32) -> Result<String, StepError> {
    Ok(format!("a2-{x}"))
}
