//! The `counter` workflow: counts the runs of a session in session state.
//!
//! Input: `{"name": "x"}` or nothing (`null`). Reads `visits` from the
//! session, adds one, writes it back and returns `{"visits": n}` (plus
//! `"name"` when given). Started without `--session`, it fails with a
//! `WorkflowError` whose code is `no-session`.

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
    // `?` on a StateError::NoSession gives a WorkflowError with code
    // "no-session" and a message saying to start the run with --session.
    let visits: u64 = ctx.session().get("visits")?.unwrap_or(0) + 1;
    ctx.session().set("visits", &visits)?;
    let mut out = json!({ "visits": visits });
    if let Some(name) = name {
        out["name"] = json!(name);
    }
    Ok(out)
}
