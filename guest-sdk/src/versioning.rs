//! `ctx.patched`: changing a workflow without breaking the runs in flight.

use crate::Ctx;
use crate::bindings::host;

impl Ctx {
    /// A versioning marker: `true` for a run that reaches this point after
    /// a version containing it was deployed, `false` for a run replaying
    /// history recorded before it. The answer is journaled, so a run takes
    /// the same branch forever.
    ///
    /// Wrap new code in it to change a workflow safely while runs are in
    /// flight: old runs keep the old path (and move to the new version),
    /// new runs take the new one.
    ///
    /// ```no_run
    /// # use cairn_sdk::prelude::*;
    /// # #[step] fn fraud_check(id: String) -> Result<bool, StepError> { Ok(true) }
    /// # fn f(ctx: &Ctx, order_id: String) -> Result<(), WorkflowError> {
    /// if ctx.patched("fraud-check") {
    ///     ctx.step(fraud_check, order_id)?;
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn patched(&self, change_id: &str) -> bool {
        host::patched(change_id)
    }
}
