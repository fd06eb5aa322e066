//! Test guest `schedules_bad`: a schedule whose expression has a weekday
//! out of range, which the host refuses at deploy (the SDK cannot check
//! it at compile time).

use cairn_sdk::prelude::*;

#[workflow(triggers = [cron("0 9 * * 8")])]
fn nightly(_ctx: &Ctx) -> Result<(), WorkflowError> {
    Ok(())
}
