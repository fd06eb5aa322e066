//! Test guest `schedules`: workflows started by `cron(...)` triggers, each
//! firing every second (six fields: seconds first) so a test sees ticks
//! within seconds.
//!
//! - `every_second`: returns at once; `overlap = "allow"`.
//! - `slow`: sleeps 2.5 s (a durable sleep); the default overlap, `skip`,
//!   so ticks while it sleeps start nothing.
//! - `replaced`: sleeps a minute; `overlap = "cancel-previous"`, so each
//!   tick cancels the run before it.
//! - `catch_all`: every two seconds with `catch_up = "all"` and
//!   `overlap = "allow"`: after downtime, one run per missed tick (with the
//!   default `skip`, the first caught-up run, not yet finished, would make
//!   the later ticks skip).

use std::time::Duration;

use cairn_sdk::prelude::*;

#[workflow(triggers = [cron("* * * * * *", overlap = "allow")])]
fn every_second(_ctx: &Ctx) -> Result<(), WorkflowError> {
    Ok(())
}

#[workflow(triggers = [cron("* * * * * *")])]
fn slow(ctx: &Ctx) -> Result<(), WorkflowError> {
    ctx.sleep(Duration::from_millis(2500))?;
    Ok(())
}

#[workflow(triggers = [cron("* * * * * *", tz = "Europe/Paris", overlap = "cancel-previous")])]
fn replaced(ctx: &Ctx) -> Result<(), WorkflowError> {
    ctx.sleep(Duration::from_secs(60))?;
    Ok(())
}

#[workflow(triggers = [cron("*/2 * * * * *", catch_up = "all", overlap = "allow")])]
fn catch_all(_ctx: &Ctx) -> Result<(), WorkflowError> {
    Ok(())
}
