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

/// The input of `evolve_spawned`: where its `fetch` steps go.
#[data]
pub struct Fetch {
    pub url: String,
}

/// GETs `url` (a loopback server of the test).
#[step]
pub fn fetch(url: String) -> Result<String, StepError> {
    Ok(cairn_sdk::http::get(&url)?.error_for_status()?.text()?)
}

/// The body of `e` in both versions (only its retry policy differs): its
/// first attempt fails, retryably; later ones succeed.
pub fn fails_once(x: u32) -> Result<String, StepError> {
    match cairn_sdk::step_context().map(|cx| cx.attempt) {
        Some(1) => Err(StepError::retryable("the first attempt always fails")),
        _ => Ok(format!("e{x}")),
    }
}

/// What a body makes of `e`'s outcome: its output, or how it gave up.
pub fn or_gave_up(r: Result<String, StepError>) -> String {
    r.unwrap_or_else(|e| format!("gave up after {} attempt(s)", e.attempts().unwrap_or(0)))
}
