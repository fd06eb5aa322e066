//! The component's exports: `describe`, `describe-ext`, `run` and
//! `run-step`.
//!
//! The SDK implements wit-bindgen's `Guest` trait once, here, and exports
//! it from the SDK's own code, so a workflow crate needs no export line:
//! every `#[workflow]` and `#[step]` is found through the registry. Each
//! export first installs a panic hook that forwards the panic message to
//! the host's `log` import (a panic is a trap on wasm, so this is the only
//! way its message reaches the run log).

use std::sync::Once;

use crate::bindings::{Guest, types};
use crate::registry;
use crate::step::StepContext;

/// The type the world's exports are implemented on.
pub(crate) struct Component;

impl Guest for Component {
    fn describe() -> types::Manifest {
        install_panic_hook();
        let workflows = registry::workflows();
        let steps = registry::steps();
        refuse_duplicates("workflow", workflows.iter().map(|w| w.name));
        refuse_duplicates("step", steps.iter().map(|s| s.name));
        types::Manifest {
            sdk_version: crate::SDK_VERSION.to_owned(),
            workflows: workflows
                .into_iter()
                .map(|w| types::WorkflowDecl {
                    name: w.name.to_owned(),
                    triggers: (w.triggers)()
                        .into_iter()
                        .filter_map(|t| t.into_wit())
                        .collect(),
                })
                .collect(),
            steps: steps
                .into_iter()
                .map(|s| types::StepDecl {
                    name: s.name.to_owned(),
                    policy: (s.policy)().into_wit(),
                })
                .collect(),
        }
    }

    fn describe_ext() -> String {
        install_panic_hook();
        crate::registry::manifest_ext()
    }

    fn run(workflow: String, input: String) -> Result<String, types::WorkflowError> {
        install_panic_hook();
        match registry::find_workflow(&workflow) {
            Some(entry) => (entry.run)(&input),
            None => Err(types::WorkflowError::UnknownWorkflow(workflow)),
        }
    }

    fn run_step(
        step: String,
        input: String,
        ctx: types::StepContext,
    ) -> Result<String, types::StepError> {
        install_panic_hook();
        match registry::find_step(&step) {
            Some(entry) => (entry.run)(&input, StepContext::from(ctx)),
            None => Err(types::StepError::UnknownStep(step)),
        }
    }
}

/// Two entries with one name would make `run`/`run-step` ambiguous; fail
/// the deployment (which calls `describe`) with a message that says how to
/// fix it.
fn refuse_duplicates<'a>(kind: &str, sorted_names: impl Iterator<Item = &'a str>) {
    let mut previous = None;
    for name in sorted_names {
        assert!(
            previous != Some(name),
            "two {kind}s are named `{name}`; give one another name with #[{kind}(name = \"...\")]"
        );
        previous = Some(name);
    }
}

/// Sends panic messages to the run log at level `error`, prefixed
/// `panic: `, with the source location.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(non-string panic payload)".to_owned());
            let location = info
                .location()
                .map(|l| format!(" at {}:{}", l.file(), l.line()))
                .unwrap_or_default();
            crate::log::error(format_args!("panic: {message}{location}"));
        }));
    });
}
