//! Test guest `triggers`: workflows started by events and webhooks.
//!
//! - `welcome`, subscribed to the event `user.signed_up`: returns
//!   `{"welcomed": input.email}`.
//! - `record_payment`, subscribed to the Stripe webhook event
//!   `payment_intent.succeeded`: returns `{"paid": input.data.object.amount}`.
//! - `audit`, subscribed to both `user.signed_up` and every Stripe event:
//!   returns its input.
//! - `typed_signup`, input `{"email": "...", "plan"?: "..."}`, subscribed to
//!   the event `typed.signup` and the webhook event `signup` of the source
//!   `typed`; `typed_audit` (any input) to `typed.signup` too. A payload
//!   that does not fit `typed_signup` starts neither.

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

/// The payload `typed_signup` takes: a typed input, so the host checks it
/// against its JSON Schema before any run starts.
#[data]
struct Signup {
    email: String,
    #[serde(default)]
    plan: Option<String>,
}

#[workflow(triggers = [event("typed.signup"), webhook("typed", event = "signup")])]
fn typed_signup(_ctx: &Ctx, signup: Signup) -> Result<Value, WorkflowError> {
    Ok(json!({ "email": signup.email, "plan": signup.plan }))
}

#[workflow(triggers = [event("typed.signup")])]
fn typed_audit(_ctx: &Ctx, input: Value) -> Result<Value, WorkflowError> {
    Ok(input)
}
