//! Version 2 of the `evolve_*` test workflows: one edit each, relative to
//! v1's `a → park → b`.

use cairn_sdk::prelude::*;

#[path = "../../evolve_steps.rs"]
mod steps;

use steps::{Fetch, Input, a, a2, b, c, fails_once, fetch, n, or_gave_up};

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

/// The two steps swapped, across the parking point.
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

/// Two steps the run had both done, swapped.
#[workflow]
fn evolve_swap(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let rb = ctx.step(b, input.x)?;
    let ra = ctx.step(a, input.x)?;
    input.park(ctx)?;
    done(vec![rb, ra])
}

/// A sleep of the parking point's duration, and a step, added before it.
#[workflow]
fn evolve_sleep_same(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let ra = ctx.step(a, input.x)?;
    input.park(ctx)?;
    let rn = ctx.step(n, input.x)?;
    input.park(ctx)?;
    done(vec![ra, rn, ctx.step(b, input.x)?])
}

/// A spawned step added before the parking point, joined after it.
#[workflow]
fn evolve_spawn_before(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let hn = ctx.spawn(n, input.x);
    let ra = ctx.step(a, input.x)?;
    input.park(ctx)?;
    let rb = ctx.step(b, input.x)?;
    done(vec![ra, rb, hn.join()?])
}

/// A body that panics once the first step has run.
#[workflow]
fn evolve_trap(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let ra = ctx.step(a, input.x)?;
    panic!("v2 of evolve_trap cannot go on after {ra}");
}

/// A body that returns an error once the first step has run.
#[workflow]
fn evolve_refuse(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let ra = ctx.step(a, input.x)?;
    Err(WorkflowError::new(format!("v2 of evolve_refuse stops after {ra}")).with_code("refused"))
}

/// Only the step's body changed.
#[step]
fn d(x: u32) -> Result<String, StepError> {
    Ok(format!("d{x}-new"))
}

/// Unchanged; `d` is new inside.
#[workflow]
fn evolve_step_body(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let first = ctx.step(d, input.x)?;
    input.park(ctx)?;
    done(vec![first, ctx.step(d, input.x)?])
}

/// Only the retry policy changed: two attempts, the second succeeds.
#[step(max_attempts = 2, backoff = "10ms")]
fn e(x: u32) -> Result<String, StepError> {
    fails_once(x)
}

/// Unchanged; `e` has a new policy.
#[workflow]
fn evolve_retry(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let first = or_gave_up(ctx.step(e, input.x));
    input.park(ctx)?;
    done(vec![first, or_gave_up(ctx.step(e, input.x))])
}

/// `item`'s output with a new field that has a serde default. No schema:
/// schemars' derive names a closure argument `d` for a defaulted field,
/// which the step `d` above would capture as a unit-struct pattern.
#[data(no_schema)]
struct Item {
    name: String,
    #[serde(default)]
    qty: u32,
}

/// `item_req`'s output with a new required field.
#[data]
struct ItemReq {
    name: String,
    qty: u32,
}

#[step]
fn item(x: u32) -> Result<Item, StepError> {
    Ok(Item {
        name: format!("item{x}"),
        qty: 7,
    })
}

#[step]
fn item_req(x: u32) -> Result<ItemReq, StepError> {
    Ok(ItemReq {
        name: format!("item{x}"),
        qty: 7,
    })
}

/// Reads `item`'s new field.
#[workflow]
fn evolve_default_field(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let it = ctx.step(item, input.x)?;
    input.park(ctx)?;
    let rb = ctx.step(b, input.x)?;
    done(vec![it.name, rb, format!("qty{}", it.qty)])
}

/// Reads `item_req`'s new field.
#[workflow]
fn evolve_required_field(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let it = ctx.step(item_req, input.x)?;
    ctx.state().set("item", &it.name)?;
    input.park(ctx)?;
    let rb = ctx.step(b, input.x)?;
    done(vec![it.name, rb, format!("qty{}", it.qty)])
}

/// Reads `item_req`'s new field, a failure taken in stride.
#[workflow]
fn evolve_swallow(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let name = ctx
        .step(item_req, input.x)
        .map(|it| format!("{} x{}", it.name, it.qty))
        .unwrap_or_else(|_| "no item".into());
    input.park(ctx)?;
    done(vec![name, ctx.step(b, input.x)?])
}

/// Unchanged but for the version it reports.
#[workflow]
fn evolve_spawned(ctx: &Ctx, input: Fetch) -> Result<Value, WorkflowError> {
    let slow = ctx.spawn(fetch, format!("{}/slow", input.url));
    let fast = ctx.spawn(fetch, format!("{}/fast", input.url));
    let rf = fast.join()?;
    let rs = slow.join()?;
    done(vec![rs, rf])
}
