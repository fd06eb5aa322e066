//! Test guest `compat`: the workflows of `tests/guests/compat_0_1_0` (the
//! same names and behaviour, bound there to a copy of the 0.1.0 WIT
//! without the SDK), built with today's SDK, so a test can compare a
//! component that declares input schemas with one that cannot.
//!
//! - `compat` takes `{"name": "ana", "pause_ms": 1500}`: a step, run
//!   state, a durable sleep of `pause_ms` (long enough to unload the run),
//!   then a second step. Returns `{"greeting", "farewell", "activation"}`.
//! - `compat_session` counts visits in session state, like
//!   `examples/counter`; without a session it fails with `no-session`.

use cairn_sdk::prelude::*;

/// The input of `compat`.
#[data]
struct Visit {
    name: String,
    #[serde(default)]
    pause_ms: u64,
}

#[step(max_attempts = 2)]
fn greet(name: String) -> Result<String, StepError> {
    Ok(format!("hello, {name}"))
}

#[step]
fn farewell(name: String) -> Result<String, StepError> {
    Ok(format!("goodbye, {name}"))
}

#[workflow]
fn compat(ctx: &Ctx, visit: Visit) -> Result<Value, WorkflowError> {
    let greeting = ctx.step(greet, visit.name.clone())?;
    ctx.state().set("greeting", &greeting)?;
    ctx.sleep(Duration::from_millis(visit.pause_ms))?;
    let goodbye = ctx.step(farewell, visit.name)?;
    Ok(json!({
        "greeting": greeting,
        "farewell": goodbye,
        "activation": ctx.run_info().activation,
    }))
}

#[workflow]
fn compat_session(ctx: &Ctx) -> Result<Value, WorkflowError> {
    let visits: u64 = ctx.session().get("visits")?.unwrap_or(0) + 1;
    ctx.session().set("visits", &visits)?;
    Ok(json!({ "visits": visits }))
}
