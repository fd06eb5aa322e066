//! Version 1 of the `evolve_*` test workflows: most are `a → park → b`;
//! the rest say what they do. `nondet` is a body that is not deterministic
//! (its step input depends on the activation number), to exercise
//! divergence.

use cairn_sdk::prelude::*;

#[path = "../../evolve_steps.rs"]
mod steps;

use steps::{Fetch, Input, a, b, fails_once, fetch, or_gave_up};

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
    evolve_rename,
    evolve_sleep_same,
    evolve_spawn_before,
    evolve_trap,
    evolve_refuse
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

/// `a → b → park`: both steps done before the parking point.
#[workflow]
fn evolve_swap(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let ra = ctx.step(a, input.x)?;
    let rb = ctx.step(b, input.x)?;
    input.park(ctx)?;
    Ok(json!({"version": "v1", "steps": [ra, rb]}))
}

/// A step whose body v2 changes.
#[step]
fn d(x: u32) -> Result<String, StepError> {
    Ok(format!("d{x}"))
}

/// `d → park → d`.
#[workflow]
fn evolve_step_body(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let first = ctx.step(d, input.x)?;
    input.park(ctx)?;
    let second = ctx.step(d, input.x)?;
    Ok(json!({"version": "v1", "steps": [first, second]}))
}

/// A step whose retry policy v2 changes: one attempt here, which fails.
#[step(max_attempts = 1)]
fn e(x: u32) -> Result<String, StepError> {
    fails_once(x)
}

/// `e → park → e`, each failure taken in stride.
#[workflow]
fn evolve_retry(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let first = or_gave_up(ctx.step(e, input.x));
    input.park(ctx)?;
    let second = or_gave_up(ctx.step(e, input.x));
    Ok(json!({"version": "v1", "steps": [first, second]}))
}

/// The output of `item` and `item_req`; v2 adds a field to each.
#[data]
struct Item {
    name: String,
}

#[step]
fn item(x: u32) -> Result<Item, StepError> {
    Ok(Item {
        name: format!("item{x}"),
    })
}

#[step]
fn item_req(x: u32) -> Result<Item, StepError> {
    Ok(Item {
        name: format!("item{x}"),
    })
}

/// `item → park → b`; v2 gives `item`'s output a field with a default.
#[workflow]
fn evolve_default_field(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let it = ctx.step(item, input.x)?;
    input.park(ctx)?;
    let rb = ctx.step(b, input.x)?;
    Ok(json!({"version": "v1", "steps": [it.name, rb]}))
}

/// `item_req → state-set → park → b`; v2 gives `item_req`'s output a
/// required field.
#[workflow]
fn evolve_required_field(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let it = ctx.step(item_req, input.x)?;
    ctx.state().set("item", &it.name)?;
    input.park(ctx)?;
    let rb = ctx.step(b, input.x)?;
    Ok(json!({"version": "v1", "steps": [it.name, rb]}))
}

/// `item_req → park → b`, a failure of `item_req` taken in stride.
#[workflow]
fn evolve_swallow(ctx: &Ctx, input: Input) -> Result<Value, WorkflowError> {
    let name = ctx
        .step(item_req, input.x)
        .map(|it| it.name)
        .unwrap_or_else(|_| "no item".into());
    input.park(ctx)?;
    let rb = ctx.step(b, input.x)?;
    Ok(json!({"version": "v1", "steps": [name, rb]}))
}

/// Spawns `fetch` of `{url}/slow` and of `{url}/fast`, joins the fast one
/// first: a process killed while the slow one is held has journaled only
/// the later spawn.
#[workflow]
fn evolve_spawned(ctx: &Ctx, input: Fetch) -> Result<Value, WorkflowError> {
    let slow = ctx.spawn(fetch, format!("{}/slow", input.url));
    let fast = ctx.spawn(fetch, format!("{}/fast", input.url));
    let rf = fast.join()?;
    let rs = slow.join()?;
    Ok(json!({"version": "v1", "steps": [rs, rf]}))
}
