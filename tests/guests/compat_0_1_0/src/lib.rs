//! Test guest `compat_0_1_0`: a component of `cairn:workflow@0.1.0`, built
//! from source on every test run.
//!
//! It does not use cairn-sdk. `wit/workflow.wit` is a verbatim copy of the
//! WIT file as it was at 0.1.0 (commit f3491cf), and this crate binds it
//! with wit-bindgen directly, so the component imports
//! `cairn:workflow/context@0.1.0` and exports `describe`, `run` and
//! `run-step` exactly as a component built then did, however the SDK and
//! the repository's WIT change. `tests/e2e/compat.rs` deploys it into
//! today's host and runs it across a suspension. Never edit the WIT copy;
//! add a guest for a newer version instead.
//!
//! Its workflows are those of `tests/guests/compat` (which the SDK builds
//! against today's WIT):
//! - `compat` takes `{"name": "ana", "pause_ms": 1500}`: a step, run
//!   state, a durable sleep of `pause_ms`, then a second step. Returns
//!   `{"greeting", "farewell", "activation"}`.
//! - `compat_session` counts visits in session state; without a session it
//!   fails with `no-session`.

use serde::Deserialize;
use serde_json::{Value, json};

mod bindings {
    // wit-bindgen's generated glue is `unsafe` by nature (raw
    // canonical-ABI pointers); this module is the only place allowing it.
    #![allow(unsafe_code, missing_docs, clippy::all, dead_code)]
    wit_bindgen::generate!({ world: "workflow", path: "wit" });
    use super::Component;
    export!(Component);
}

use bindings::cairn::workflow::context as host;
use bindings::cairn::workflow::types::{
    ErrorInfo, Manifest, RetryPolicy, Scope, StepContext, StepDecl, StepError, StepFailure,
    WorkflowDecl, WorkflowError,
};

/// The type the world's exports are implemented on.
struct Component;

/// The input of `compat`.
#[derive(Deserialize)]
struct Visit {
    name: String,
    #[serde(default)]
    pause_ms: u64,
}

fn policy(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        initial_backoff_ms: 200,
        backoff_factor: 2.0,
        max_backoff_ms: 60_000,
        timeout_ms: 0,
    }
}

impl bindings::Guest for Component {
    fn describe() -> Manifest {
        let workflow = |name: &str| WorkflowDecl {
            name: name.to_owned(),
            triggers: Vec::new(),
        };
        Manifest {
            sdk_version: "0.1.0".to_owned(),
            workflows: vec![workflow("compat"), workflow("compat_session")],
            steps: vec![
                StepDecl {
                    name: "farewell".to_owned(),
                    policy: policy(3),
                },
                StepDecl {
                    name: "greet".to_owned(),
                    policy: policy(2),
                },
            ],
        }
    }

    fn run(workflow: String, input: String) -> Result<String, WorkflowError> {
        match workflow.as_str() {
            "compat" => {
                let visit: Visit = serde_json::from_str(&input)
                    .map_err(|e| WorkflowError::BadInput(e.to_string()))?;
                compat(visit).map(|v| v.to_string())
            }
            "compat_session" => compat_session().map(|v| v.to_string()),
            _ => Err(WorkflowError::UnknownWorkflow(workflow)),
        }
    }

    fn run_step(step: String, input: String, _ctx: StepContext) -> Result<String, StepError> {
        let name: String =
            serde_json::from_str(&input).map_err(|e| StepError::BadInput(e.to_string()))?;
        let out = match step.as_str() {
            "greet" => format!("hello, {name}"),
            "farewell" => format!("goodbye, {name}"),
            _ => return Err(StepError::UnknownStep(step)),
        };
        Ok(json!(out).to_string())
    }
}

fn compat(visit: Visit) -> Result<Value, WorkflowError> {
    let name = json!(visit.name).to_string();
    let greeting = host::step("greet", &name).map_err(step_failed)?;
    host::state_set(Scope::Run, "greeting", &greeting).map_err(|e| failed(&e))?;
    host::sleep(visit.pause_ms);
    let farewell = host::step("farewell", &name).map_err(step_failed)?;
    Ok(json!({
        "greeting": decode(&greeting)?,
        "farewell": decode(&farewell)?,
        "activation": host::get_run_info().activation,
    }))
}

fn compat_session() -> Result<Value, WorkflowError> {
    let visits = match host::state_get(Scope::Session, "visits").map_err(|e| failed(&e))? {
        Some(text) => decode(&text)?.as_u64().unwrap_or(0),
        None => 0,
    } + 1;
    host::state_set(Scope::Session, "visits", &json!(visits).to_string())
        .map_err(|e| failed(&e))?;
    Ok(json!({ "visits": visits }))
}

fn decode(text: &str) -> Result<Value, WorkflowError> {
    serde_json::from_str(text).map_err(|e| error("bad-output", e.to_string()))
}

fn step_failed(f: StepFailure) -> WorkflowError {
    WorkflowError::Failed(f.error)
}

fn failed(e: &bindings::cairn::workflow::types::StateError) -> WorkflowError {
    use bindings::cairn::workflow::types::StateError;
    match e {
        StateError::NoSession => error(
            "no-session",
            "session state needs a run started with --session".to_owned(),
        ),
        StateError::ReservedKey(key) => error("reserved-key", format!("`{key}` is reserved")),
    }
}

fn error(code: &str, message: String) -> WorkflowError {
    WorkflowError::Failed(ErrorInfo {
        code: code.to_owned(),
        message,
        details: None,
    })
}
