//! The `counter` workflow: counts the runs of a session in session state.
//!
//! Input: `{"name": "x"}` or nothing (`null`). Reads `visits` from the
//! session, adds one, writes it back and returns `{"visits": n}` (plus
//! `"name"` when given). Its body calls `ctx.session()`, so the component
//! says its runs need a session, and `cairn run counter` without
//! `--session` is refused before a run is created.

use cairn_sdk::prelude::*;

/// The run's optional input.
#[data]
#[derive(Debug)]
struct CounterInput {
    #[serde(default)]
    name: Option<String>,
}

/// Counts this session's runs.
#[workflow]
fn counter(ctx: &Ctx, input: Option<CounterInput>) -> Result<Value, WorkflowError> {
    let name = input.and_then(|i| i.name);
    // Runs always have a session here (the host refuses to start one
    // without); `?` would turn a StateError::NoSession into a
    // WorkflowError with code "no-session".
    let visits: u64 = ctx.session().get("visits")?.unwrap_or(0) + 1;
    ctx.session().set("visits", &visits)?;
    let mut out = json!({ "visits": visits });
    if let Some(name) = name {
        out["name"] = json!(name);
    }
    Ok(out)
}
