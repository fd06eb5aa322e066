//! Test guest `triggers`: workflows started by events and webhooks.
//!
//! - `welcome`, subscribed to the event `user.signed_up`: returns
//!   `{"welcomed": input.email}`.
//! - `record_payment`, subscribed to the Stripe webhook event
//!   `payment_intent.succeeded`: returns `{"paid": input.data.object.amount}`.
//! - `audit`, subscribed to both `user.signed_up` and every Stripe event:
//!   returns its input.

use cairn_sdk::prelude::*;

#[workflow(triggers = [event("user.signed_up")])]
fn welcome(_ctx: &Ctx, input: Value) -> Result<Value, WorkflowError> {
    Ok(json!({ "welcomed": input["email"] }))
}

#[workflow(triggers = [webhook("stripe", event = "payment_intent.succeeded")])]
fn record_payment(_ctx: &Ctx, input: Value) -> Result<Value, WorkflowError> {
    Ok(json!({ "paid": input["data"]["object"]["amount"] }))
}

#[workflow(triggers = [event("user.signed_up"), webhook("stripe", event = "*")])]
fn audit(_ctx: &Ctx, input: Value) -> Result<Value, WorkflowError> {
    Ok(input)
}
