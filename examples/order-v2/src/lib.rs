//! Version 2 of the `order` workflow: the same pipeline with a fraud check
//! added before the charge — the way to change a workflow safely while
//! runs are in flight.
//!
//! The new step sits behind `ctx.patched("fraud-check")`. A run started on
//! this version reaches the marker live and runs the check; a run that
//! started on version 1 and moves here at its next activation replays its
//! history, reaches the marker while the journal still holds entries, gets
//! `false`, and goes on exactly as version 1 would have. Deploying it over
//! `order` therefore moves every run in flight instead of stranding any.
//! Orders above 10,000 are held for review.
//!
//! Everything below is version 1's documentation:
//!
//!
//! Input: `{"order_id": "A-1", "amount": 42.5}` (both required), and
//! optionally `"payment_url": "http://..."`. Output on success:
//! `{"status": "confirmed", "order_id", "amount", "charge_id", "confirmation"}`;
//! for an empty id or a non-positive amount:
//! `{"status": "invalid", "order_id", "reason"}`.
//!
//! `charge_customer` shows retries: without a `payment_url` its first
//! attempt fails with a simulated gateway timeout and the second succeeds;
//! with one, it POSTs `{order_id, amount}` there (the SDK adds the
//! `Idempotency-Key` header) and any non-2xx answer is a retryable failure.
//! The run state holds `order_id`, `status` and `charge_id`.

use cairn_sdk::prelude::*;

/// The run's input.
#[data]
#[derive(Debug)]
struct OrderInput {
    order_id: String,
    amount: f64,
    #[serde(default)]
    payment_url: Option<String>,
}

/// What `validate_order` decides.
#[data]
#[derive(Debug)]
struct Validation {
    valid: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// What `charge_customer` returns.
#[data]
#[derive(Debug)]
struct Charge {
    charge_id: String,
    attempt: u32,
}

/// Rejects an empty order id or a non-positive amount.
#[step]
fn validate_order(order_id: String, amount: f64) -> Result<Validation, StepError> {
    let reason = if order_id.trim().is_empty() {
        Some("the order id is empty".to_owned())
    } else if amount.is_nan() || amount <= 0.0 {
        Some(format!("the amount must be positive, got {amount}"))
    } else {
        None
    };
    Ok(Validation {
        valid: reason.is_none(),
        reason,
    })
}

/// Charges the customer; see the crate docs for the simulated failure.
#[step(max_attempts = 3, backoff = "200ms")]
fn charge_customer(
    order_id: String,
    amount: f64,
    payment_url: Option<String>,
) -> Result<Charge, StepError> {
    let cx = cairn_sdk::step_context().expect("steps run with a step context");
    let charge_id = format!("ch_{:016x}", fnv1a(&cx.idempotency_key));
    match payment_url {
        Some(url) => {
            let reply = cairn_sdk::http::post_json(
                &url,
                &json!({ "order_id": order_id, "amount": amount }),
            )?;
            if !reply.is_success() {
                return Err(StepError::retryable(format!(
                    "payment service answered {}",
                    reply.status()
                ))
                .with_code("payment-failed"));
            }
            // A service that returns its own charge id wins.
            let body: Value = reply.json().unwrap_or(Value::Null);
            let charge_id = body["charge_id"].as_str().map_or(charge_id, str::to_owned);
            Ok(Charge {
                charge_id,
                attempt: cx.attempt,
            })
        }
        None if cx.attempt == 1 => Err(StepError::retryable(
            "payment gateway timed out (simulated)",
        )
        .with_code("gateway-timeout")),
        None => {
            cairn_sdk::log::info(format_args!(
                "charged {amount} for order {order_id} on attempt {}",
                cx.attempt
            ));
            Ok(Charge {
                charge_id,
                attempt: cx.attempt,
            })
        }
    }
}

/// What `fraud_check` decides.
#[data]
#[derive(Debug)]
struct FraudVerdict {
    flagged: bool,
    reason: Option<String>,
}

/// Flags orders above 10,000 for a person to review (simulated rule).
#[step]
fn fraud_check(order_id: String, amount: f64) -> Result<FraudVerdict, StepError> {
    let flagged = amount > 10_000.0;
    cairn_sdk::log::info(format_args!(
        "fraud check of {order_id}: flagged = {flagged}"
    ));
    Ok(FraudVerdict {
        flagged,
        reason: flagged.then(|| format!("amount {amount} is above the review threshold")),
    })
}

/// Sends the confirmation (simulated: logs it).
#[step]
fn send_confirmation(order_id: String, charge_id: String) -> Result<String, StepError> {
    let message = format!("order {order_id} confirmed, charge {charge_id}");
    cairn_sdk::log::info(&message);
    Ok(message)
}

/// Validates, charges and confirms one order.
#[workflow]
fn order(ctx: &Ctx, input: OrderInput) -> Result<Value, WorkflowError> {
    let OrderInput {
        order_id,
        amount,
        payment_url,
    } = input;
    cairn_sdk::log::info(format_args!("order {order_id}: validating"));
    ctx.state().set("order_id", &order_id)?;
    ctx.state().set("status", "validating")?;

    let validation = ctx.step(validate_order, (order_id.clone(), amount))?;
    if !validation.valid {
        ctx.state().set("status", "invalid")?;
        ctx.emit("invalid", &validation);
        return Ok(json!({
            "status": "invalid",
            "order_id": order_id,
            "reason": validation.reason,
        }));
    }
    ctx.emit("validated", &json!({ "order_id": order_id }));

    if ctx.patched("fraud-check") {
        let verdict = ctx.step(fraud_check, (order_id.clone(), amount))?;
        if verdict.flagged {
            ctx.state().set("status", "held-for-review")?;
            return Ok(json!({
                "status": "held-for-review",
                "order_id": order_id,
                "reason": verdict.reason,
            }));
        }
    }

    ctx.state().set("status", "charging")?;
    let charge = ctx.step(charge_customer, (order_id.clone(), amount, payment_url))?;
    ctx.state().set("charge_id", &charge.charge_id)?;
    ctx.emit("charged", &charge);
    cairn_sdk::log::info(format_args!(
        "order {order_id}: charged {amount} as {} (attempt {})",
        charge.charge_id, charge.attempt
    ));

    let confirmation = ctx.step(
        send_confirmation,
        (order_id.clone(), charge.charge_id.clone()),
    )?;
    ctx.state().set("status", "confirmed")?;
    ctx.emit("confirmed", &json!({ "order_id": order_id }));

    Ok(json!({
        "status": "confirmed",
        "order_id": order_id,
        "amount": amount,
        "charge_id": charge.charge_id,
        "confirmation": confirmation,
    }))
}

/// 64-bit FNV-1a: a stable id from the idempotency key, without a crate.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
