//! The `support_agent` workflow: a customer-support agent that looks
//! orders up and refunds them, a person approving every refund.
//!
//! Input: `{"message": "Where is my order A-1001?"}`, optionally
//! `"model": "provider/model"` (default `local/llama3.2`, a
//! `[llm.providers.local]` of the host's `cairn.toml`).
//!
//! The agent has two tools, each a step:
//! - `lookup_order(order_id)`: the order's status, items and total, from
//!   the demo shop's table below (a real one would ask a database or an
//!   API over allow-listed HTTP).
//! - `refund(order_id, reason)`: refunds an order in full; it needs a
//!   person's approval (`cairn prompts`, `cairn respond RUN approve` or
//!   `reject`, then the reason the model is told), and its refund id is
//!   derived from the step's idempotency key, so a retried refund is the
//!   same refund.
//!
//! Output: the agent's `AgentOutput` whose `output` is a `Resolution`
//! (`{"reply", "refunded"}`), with the turns, tool calls, tokens and
//! transcript.

use cairn_sdk::prelude::*;

/// The run's input.
#[data]
#[derive(Debug)]
struct SupportInput {
    message: String,
    #[serde(default = "default_model")]
    model: String,
}

fn default_model() -> String {
    "local/llama3.2".to_owned()
}

/// What the agent settles on.
#[data]
#[derive(Debug)]
struct Resolution {
    /// The reply to the customer.
    reply: String,
    /// Whether a refund was issued.
    refunded: bool,
}

/// An order of the demo shop.
#[data]
#[derive(Debug, Clone)]
struct Order {
    order_id: String,
    status: String,
    items: Vec<String>,
    total_cents: u64,
}

/// The demo shop's orders.
fn orders() -> Vec<Order> {
    let order = |id: &str, status: &str, items: &[&str], total_cents| Order {
        order_id: id.to_owned(),
        status: status.to_owned(),
        items: items.iter().map(|s| s.to_string()).collect(),
        total_cents,
    };
    vec![
        order("A-1001", "delivered", &["kettle"], 3_900),
        order("A-1002", "in transit", &["teapot", "cups"], 5_450),
        order("A-1003", "delivered, damaged", &["mug"], 1_200),
    ]
}

/// Looks an order up by its id (such as A-1001): its status, items and
/// total in cents.
#[tool(max_attempts = 3, timeout = "10s")]
fn lookup_order(order_id: String) -> Result<Order, StepError> {
    orders()
        .into_iter()
        .find(|o| o.order_id.eq_ignore_ascii_case(order_id.trim()))
        .ok_or_else(|| {
            StepError::fatal(format!("there is no order {order_id}")).with_code("no-such-order")
        })
}

/// Refunds an order in full; a person approves every refund first.
#[tool(approval = true, max_attempts = 3)]
fn refund(order_id: String, reason: String) -> Result<Value, StepError> {
    let order = lookup_order::call(LookupOrderArgs { order_id })?;
    let cx = cairn_sdk::step_context().expect("inside a step");
    // The idempotency key is the same for every attempt: a payment
    // provider given it refunds once however often the step is retried.
    let refund_id = format!("rf-{:08x}", fnv1a(&cx.idempotency_key));
    Ok(json!({
        "refund_id": refund_id,
        "order_id": order.order_id,
        "amount_cents": order.total_cents,
        "reason": reason,
    }))
}

fn fnv1a(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

const INSTRUCTIONS: &str = "You are the support agent of a small tea shop. \
Look orders up before you answer questions about them. Refund an order only \
when it arrived damaged or the customer asks for it and it was delivered. \
When you are done, answer with the reply to the customer and whether a \
refund was issued.";

#[workflow]
fn support_agent(ctx: &Ctx, input: SupportInput) -> Result<AgentOutput<Resolution>, WorkflowError> {
    let agent = Agent::new(input.model)
        .name("support")
        .instructions(INSTRUCTIONS)
        .tools((lookup_order, refund))
        .max_turns(8)
        .budget_tokens(40_000)
        .ask_refusal_reason(true)
        .temperature(0.0)
        .output::<Resolution>();
    Ok(agent.run(ctx, input.message)?)
}
