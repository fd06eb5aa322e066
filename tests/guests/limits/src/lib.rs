//! Test guest `limits`: guests that break the host's limits, and one that
//! does not.
//!
//! Workflows (no input): `spin` loops forever in the body, `hog` allocates
//! 1 MiB chunks forever, `huge` returns a 100 MiB string, `huge_step` calls
//! the step `huge_step` that returns one, `spin_step` calls the step
//! `spin_step` (`timeout = "1s"`, `max_attempts = 1`) that loops forever,
//! `panic` panics with the message `boom (test panic)` (the SDK's panic
//! hook logs it at level error as `panic: boom (test panic) at ...`), and
//! `ok` returns `{"ok": true}` to show the host still serves.
//!
//! Workflow `step_then_grow`, input `{"url": "http://127.0.0.1:PORT",
//! "mb": 100}`: runs the step `touch`, which POSTs to `{url}/touch` (a
//! counted side effect) and returns the reply text, then allocates `mb` MiB
//! in the body and returns `{"touched": reply, "mb": mb}` — a run that
//! breaches `limits.memory_mb` after a completed step (`cairn retry`).

use std::hint::black_box;

use cairn_sdk::prelude::*;

const HUGE: usize = 100 << 20;

/// The steps, in their own module because each shares its name with the
/// workflow that calls it.
mod steps {
    use super::*;

    /// Returns a 100 MiB string.
    #[step(max_attempts = 1)]
    pub fn huge_step() -> Result<String, StepError> {
        Ok("x".repeat(HUGE))
    }

    /// POSTs to `{url}/touch` and returns the reply.
    #[step(max_attempts = 1)]
    pub fn touch(url: String) -> Result<String, StepError> {
        let url = format!("{}/touch", url.trim_end_matches('/'));
        let reply = cairn_sdk::http::post_json(&url, &json!({}))?.error_for_status()?;
        Ok(reply.text()?)
    }

    /// Loops until the host's step timeout stops it.
    #[step(timeout = "1s", max_attempts = 1)]
    pub fn spin_step() -> Result<Value, StepError> {
        let mut n = 0u64;
        loop {
            n = black_box(n.wrapping_add(1));
        }
    }
}

/// Loops forever in the body.
#[workflow]
fn spin(_ctx: &Ctx) -> Result<Value, WorkflowError> {
    let mut n = 0u64;
    loop {
        n = black_box(n.wrapping_add(1));
    }
}

/// Allocates 1 MiB chunks forever and keeps them.
#[workflow]
fn hog(_ctx: &Ctx) -> Result<Value, WorkflowError> {
    let mut kept: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut chunk = vec![0u8; 1 << 20];
        chunk[0] = 1;
        kept.push(black_box(chunk));
    }
}

/// Returns a 100 MiB string as the output.
#[workflow]
fn huge(_ctx: &Ctx) -> Result<String, WorkflowError> {
    Ok("x".repeat(HUGE))
}

/// Calls the step that returns 100 MiB.
#[workflow]
fn huge_step(ctx: &Ctx) -> Result<usize, WorkflowError> {
    Ok(ctx.step(steps::huge_step, ())?.len())
}

/// Calls the step that never ends.
#[workflow]
fn spin_step(ctx: &Ctx) -> Result<Value, WorkflowError> {
    Ok(ctx.step(steps::spin_step, ())?)
}

/// Panics in the body.
#[workflow]
fn panic(_ctx: &Ctx) -> Result<Value, WorkflowError> {
    panic!("boom (test panic)");
}

/// Returns `{"ok": true}`.
#[workflow]
fn ok(_ctx: &Ctx) -> Result<Value, WorkflowError> {
    Ok(json!({ "ok": true }))
}

/// The input of `step_then_grow`.
#[data]
#[derive(Debug)]
struct GrowInput {
    url: String,
    mb: usize,
}

/// A completed step, then `mb` MiB held in the body.
#[workflow]
fn step_then_grow(ctx: &Ctx, input: GrowInput) -> Result<Value, WorkflowError> {
    let touched = ctx.step(steps::touch, input.url.clone())?;
    let mut kept: Vec<Vec<u8>> = Vec::new();
    for _ in 0..input.mb {
        let mut chunk = vec![0u8; 1 << 20];
        chunk[0] = 1;
        kept.push(black_box(chunk));
    }
    Ok(json!({ "touched": touched, "mb": black_box(kept).len() }))
}
