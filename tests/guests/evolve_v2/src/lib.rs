//! Version 2 of the `evolve_*` test workflows: one edit each, relative to
//! v1's `a → park → b`.

use cairn_sdk::prelude::*;

#[path = "../../evolve_steps.rs"]
mod steps;

use steps::{Input, a, a2, b, c, n};

fn done(steps: Vec<String>) -> Result<Value, WorkflowError> {
    Ok(json!({"version": "v2", "steps": steps}))
}

/// Unchanged.
#[workflow]
fn evolve_same(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let ra = ctx.step(a, input.x)?;
    input.park(ctx)?;
    done(vec![ra, ctx.step(b, input.x)?])
}

/// A step added after the parking point.
#[workflow]
fn evolve_add_after(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let ra = ctx.step(a, input.x)?;
    input.park(ctx)?;
    let rb = ctx.step(b, input.x)?;
    done(vec![ra, rb, ctx.step(c, input.x)?])
}

/// A step added before the parking point, without `patched`.
#[workflow]
fn evolve_add_before(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let ra = ctx.step(a, input.x)?;
    let rn = ctx.step(n, input.x)?;
    input.park(ctx)?;
    done(vec![ra, rn, ctx.step(b, input.x)?])
}

/// The same step added before the parking point, behind `patched`.
#[workflow]
fn evolve_patched(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let mut steps = vec![ctx.step(a, input.x)?];
    if ctx.patched("add-n") {
        steps.push(ctx.step(n, input.x)?);
    }
    input.park(ctx)?;
    steps.push(ctx.step(b, input.x)?);
    done(steps)
}

/// The step before the parking point removed.
#[workflow]
fn evolve_remove(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    input.park(ctx)?;
    done(vec![ctx.step(b, input.x)?])
}

/// The two steps swapped.
#[workflow]
fn evolve_reorder(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let rb = ctx.step(b, input.x)?;
    input.park(ctx)?;
    done(vec![rb, ctx.step(a, input.x)?])
}

/// The first step's input changed.
#[workflow]
fn evolve_input(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let ra = ctx.step(a, input.x + 1)?;
    input.park(ctx)?;
    done(vec![ra, ctx.step(b, input.x)?])
}

/// The first step renamed.
#[workflow]
fn evolve_rename(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let ra = ctx.step(a2, input.x)?;
    input.park(ctx)?;
    done(vec![ra, ctx.step(b, input.x)?])
}

/// A step added after the person's answer.
#[workflow]
fn evolve_ask(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let ra = ctx.step(a, input.x)?;
    let answer = ctx.wait_for_user(Prompt::approval("Go on?"))?;
    let rb = ctx.step(b, input.x)?;
    let rc = ctx.step(c, input.x)?;
    Ok(json!({"version": "v2", "steps": [ra, rb, rc], "approved": answer.is_approved()}))
}
