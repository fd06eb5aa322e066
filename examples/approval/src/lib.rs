//! The `approval` workflow: an order that ships only once a person
//! approves it.
//!
//! Input: `{"order_id": "A-1", "amount": 42.5}`, optionally
//! `"customer": "ana"` and `"timeout_secs": N` (after which the order is
//! rejected by default). The step `prepare_summary` writes the summary a
//! person sees; the body asks `approve` / `reject` and waits, durably:
//! the run is `waiting` and unloaded until someone answers with
//! `cairn respond RUN approve` (or `reject`). Approved, `fulfil_order`
//! ships it:
//! `{"status": "fulfilled", "order_id", "shipment", "approved_by"}`;
//! rejected (or timed out): `{"status": "rejected", "order_id", "by", "timed_out"}`.
//! The run state holds `status`.

use cairn_sdk::prelude::*;

/// The run's input.
#[data]
#[derive(Debug)]
struct ApprovalInput {
    order_id: String,
    amount: f64,
    #[serde(default)]
    customer: Option<String>,
    #[serde(default)]
    timeout_secs: Option<u64>,
}

/// What the approver sees.
#[data]
#[derive(Debug)]
struct Summary {
    order_id: String,
    amount: f64,
    customer: String,
    text: String,
}

/// Writes the order's summary for the approver.
#[step]
fn prepare_summary(
    order_id: String,
    amount: f64,
    customer: Option<String>,
) -> Result<Summary, StepError> {
    if order_id.trim().is_empty() {
        return Err(StepError::fatal("the order id is empty").with_code("bad-order"));
    }
    let customer = customer.unwrap_or_else(|| "a walk-in customer".to_owned());
    let text = format!("Order {order_id}: {amount:.2} for {customer}");
    Ok(Summary {
        order_id,
        amount,
        customer,
        text,
    })
}

/// Ships the order (simulated: a shipment id derived from the idempotency
/// key, so a retry ships the same parcel).
#[step(max_attempts = 3)]
fn fulfil_order(order_id: String) -> Result<String, StepError> {
    let cx = cairn_sdk::step_context().expect("steps run with a step context");
    let shipment = format!("shp_{:08x}", fnv1a(&cx.idempotency_key) as u32);
    cairn_sdk::log::info(format_args!("order {order_id} shipped as {shipment}"));
    Ok(shipment)
}

/// Prepares, asks, and fulfils or stops.
#[workflow]
fn approval(ctx: &Ctx, input: ApprovalInput) -> Result<Value, WorkflowError> {
    let summary = ctx.step(
        prepare_summary,
        (input.order_id.clone(), input.amount, input.customer),
    )?;
    ctx.state().set("status", "awaiting approval")?;
    let mut prompt = Prompt::approval(format!("Approve {}?", summary.text)).context(&summary);
    if let Some(secs) = input.timeout_secs {
        prompt = prompt.timeout(Duration::from_secs(secs)).default("reject");
    }
    let answer = ctx.wait_for_user(prompt)?;
    if !answer.is_approved() {
        ctx.state().set("status", "rejected")?;
        return Ok(json!({
            "status": "rejected",
            "order_id": input.order_id,
            "by": answer.by,
            "timed_out": answer.timed_out,
        }));
    }
    let shipment = ctx.step(fulfil_order, input.order_id.clone())?;
    ctx.state().set("status", "fulfilled")?;
    Ok(json!({
        "status": "fulfilled",
        "order_id": input.order_id,
        "shipment": shipment,
        "approved_by": answer.by,
    }))
}

/// 64-bit FNV-1a: a stable id from the idempotency key, without a crate.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
