//! The component's table of workflows and steps.
//!
//! Each `#[workflow]` and `#[step]` submits one entry with
//! `inventory::submit!`; the entries are linked into the component and
//! collected when its static constructors run (wit-bindgen's exports call
//! `__wasm_call_ctors` once before anything else). `guest.rs` looks names up
//! here. Entries hold monomorphised functions that move JSON in and out of
//! the typed [`Step`] and [`Workflow`] implementations.

use std::any::type_name;

use crate::bindings::types;
use crate::step::with_step_context;
use crate::{Ctx, RetryPolicy, Step, StepContext, Trigger, Workflow};

/// Not public API: one `#[step]`, as the registry holds it.
#[doc(hidden)]
pub struct StepEntry {
    pub(crate) name: &'static str,
    pub(crate) policy: fn() -> RetryPolicy,
    pub(crate) run: fn(&str, StepContext) -> Result<String, types::StepError>,
}

impl StepEntry {
    /// The entry for `S`.
    pub const fn of<S: Step>() -> Self {
        StepEntry {
            name: S::NAME,
            policy: S::policy,
            run: run_step::<S>,
        }
    }
}

/// Not public API: one `#[workflow]`, as the registry holds it.
#[doc(hidden)]
pub struct WorkflowEntry {
    pub(crate) name: &'static str,
    pub(crate) triggers: fn() -> Vec<Trigger>,
    pub(crate) input_schema: fn() -> Option<serde_json::Value>,
    pub(crate) needs_session: fn() -> bool,
    pub(crate) run: fn(&str) -> Result<String, types::WorkflowError>,
}

impl WorkflowEntry {
    /// The entry for `W`.
    pub const fn of<W: Workflow>() -> Self {
        WorkflowEntry {
            name: W::NAME,
            triggers: W::triggers,
            input_schema: W::input_schema,
            needs_session: W::needs_session,
            run: run_workflow::<W>,
        }
    }
}

inventory::collect!(StepEntry);
inventory::collect!(WorkflowEntry);

/// All registered steps, sorted by name.
pub(crate) fn steps() -> Vec<&'static StepEntry> {
    let mut all: Vec<_> = inventory::iter::<StepEntry>.into_iter().collect();
    all.sort_by_key(|e| e.name);
    all
}

/// All registered workflows, sorted by name.
pub(crate) fn workflows() -> Vec<&'static WorkflowEntry> {
    let mut all: Vec<_> = inventory::iter::<WorkflowEntry>.into_iter().collect();
    all.sort_by_key(|e| e.name);
    all
}

/// The manifest extension `describe-ext` returns: version 1 of the
/// document `wit/workflow.wit` describes.
pub(crate) fn manifest_ext() -> String {
    let workflows: Vec<serde_json::Value> = workflows()
        .into_iter()
        .map(|w| {
            let mut decl = serde_json::json!({ "name": w.name });
            if let Some(schema) = (w.input_schema)() {
                decl["input_schema"] = schema;
            }
            if (w.needs_session)() {
                decl["session"] = "required".into();
            }
            let schedules: Vec<serde_json::Value> = (w.triggers)()
                .iter()
                .filter_map(|t| match t {
                    Trigger::Cron(s) => Some(s.to_json()),
                    _ => None,
                })
                .collect();
            if !schedules.is_empty() {
                decl["schedules"] = schedules.into();
            }
            decl
        })
        .collect();
    serde_json::json!({ "version": 1, "workflows": workflows }).to_string()
}

pub(crate) fn find_step(name: &str) -> Option<&'static StepEntry> {
    inventory::iter::<StepEntry>
        .into_iter()
        .find(|e| e.name == name)
}

pub(crate) fn find_workflow(name: &str) -> Option<&'static WorkflowEntry> {
    inventory::iter::<WorkflowEntry>
        .into_iter()
        .find(|e| e.name == name)
}

fn run_step<S: Step>(input: &str, cx: StepContext) -> Result<String, types::StepError> {
    let input: S::Input = serde_json::from_str(input).map_err(|e| {
        types::StepError::BadInput(format!(
            "step `{}` expects input of type `{}`: {e}",
            S::NAME,
            short_type_name::<S::Input>()
        ))
    })?;
    let output = with_step_context(cx, || S::call(input)).map_err(|e| e.into_wit())?;
    serde_json::to_string(&output).map_err(|e| {
        types::StepError::Fatal(types::ErrorInfo {
            code: "serialize".to_owned(),
            message: format!("step `{}` returned a value JSON cannot hold: {e}", S::NAME),
            details: None,
        })
    })
}

fn run_workflow<W: Workflow>(input: &str) -> Result<String, types::WorkflowError> {
    // No input at all reads as JSON `null`, so `()` and `Option<T>` inputs
    // accept a run started without one.
    let input = if input.trim().is_empty() {
        "null"
    } else {
        input
    };
    let input: W::Input = serde_json::from_str(input).map_err(|e| {
        types::WorkflowError::BadInput(format!(
            "workflow `{}` expects input of type `{}`: {e}",
            W::NAME,
            short_type_name::<W::Input>()
        ))
    })?;
    let ctx = Ctx::new();
    let output = W::call(&ctx, input).map_err(|e| types::WorkflowError::Failed(e.into_wit()))?;
    serde_json::to_string(&output).map_err(|e| {
        types::WorkflowError::Failed(types::ErrorInfo {
            code: "serialize".to_owned(),
            message: format!(
                "workflow `{}` returned a value JSON cannot hold: {e}",
                W::NAME
            ),
            details: None,
        })
    })
}

/// `type_name` without module paths: `(String, Option<Order>)` rather than
/// `(alloc::string::String, core::option::Option<order::Order>)`.
pub(crate) fn short_type_name<T: ?Sized>() -> String {
    shorten(type_name::<T>())
}

fn shorten(full: &str) -> String {
    let mut out = String::with_capacity(full.len());
    let mut segment = String::new();
    let mut chars = full.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            segment.clear();
        } else if c.is_alphanumeric() || c == '_' {
            segment.push(c);
        } else {
            out.push_str(&segment);
            segment.clear();
            out.push(c);
        }
    }
    out.push_str(&segment);
    out
}

#[cfg(test)]
mod tests {
    use super::shorten;

    #[test]
    fn shortens_paths() {
        assert_eq!(
            shorten("(alloc::string::String, core::option::Option<order::Order>)"),
            "(String, Option<Order>)"
        );
        assert_eq!(shorten("u64"), "u64");
        assert_eq!(shorten("&str"), "&str");
    }
}
