//! Version 1 of the `evolve_*` test workflows: every one is
//! `a → park → b`. `nondet` is a body that is not deterministic (its step
//! input depends on the activation number), to exercise divergence.

use cairn_sdk::prelude::*;

#[path = "../../evolve_steps.rs"]
mod steps;

use steps::{Input, a, b};

fn v1(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let ra = ctx.step(a, input.x)?;
    input.park(ctx)?;
    let rb = ctx.step(b, input.x)?;
    Ok(json!({"version": "v1", "steps": [ra, rb]}))
}

macro_rules! v1_workflows {
    ($($name:ident),*) => {$(
        /// `a → park → b`.
        #[workflow]
        fn $name(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
            v1(ctx, input)
        }
    )*};
}

v1_workflows!(
    evolve_same,
    evolve_add_after,
    evolve_add_before,
    evolve_patched,
    evolve_remove,
    evolve_reorder,
    evolve_input,
    evolve_rename
);

/// Calls `a` with the activation number: a replay changes its input.
#[workflow]
fn nondet(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let ra = ctx.step(a, ctx.run_info().activation)?;
    input.park(ctx)?;
    let rb = ctx.step(b, input.x)?;
    Ok(json!({"version": "v1", "steps": [ra, rb]}))
}

/// `a → ask a person → b`: parks waiting for an answer.
#[workflow]
fn evolve_ask(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let ra = ctx.step(a, input.x)?;
    let answer = ctx.wait_for_user(Prompt::approval("Go on?"))?;
    let rb = ctx.step(b, input.x)?;
    Ok(json!({"version": "v1", "steps": [ra, rb], "approved": answer.is_approved()}))
}
