// The `order` example in JavaScript: validate, charge with retries, confirm.
//
// Build and deploy (from the repository root, after `npm ci` in guest-sdk-js):
//
//   node guest-sdk-js/bin/build.mjs examples/js/order/app.js -o order-js.wasm
//   cairn deploy order-js.wasm
//   cairn run order --input '{"orderId": "A-1", "amount": 42.5}'

import { StepError, event, http, step, stepContext, workflow } from "cairn-sdk";

export const validateOrder = step("validate_order", (orderId, amount) => {
  if (!orderId || !orderId.trim()) return { valid: false, reason: "the order id is empty" };
  if (!(amount > 0)) return { valid: false, reason: `the amount must be positive, got ${amount}` };
  return { valid: true };
});

export const chargeCustomer = step(
  "charge_customer",
  { maxAttempts: 3, initialBackoff: "200ms" },
  (orderId, amount, paymentUrl) => {
    const cx = stepContext();
    const chargeId = `ch_${cx.idempotencyKey.length.toString(16)}_${orderId}`;
    if (paymentUrl) {
      const reply = http.postJson(paymentUrl, { orderId, amount }).raiseForStatus();
      return { chargeId: reply.json().charge_id ?? chargeId, attempt: cx.attempt };
    }
    if (cx.attempt === 1) {
      throw new StepError("payment gateway timed out (simulated)", { code: "gateway-timeout" });
    }
    return { chargeId, attempt: cx.attempt };
  },
);

export const sendConfirmation = step("send_confirmation", (orderId, chargeId) => {
  return `order ${orderId} confirmed (${chargeId})`;
});

export const order = workflow(
  "order",
  {
    triggers: [event("order.created")],
    inputSchema: {
      type: "object",
      properties: {
        orderId: { type: "string" },
        amount: { type: "number" },
        paymentUrl: { type: "string" },
      },
      required: ["orderId", "amount"],
    },
  },
  (ctx, input) => {
    const check = ctx.step(validateOrder, input.orderId, input.amount);
    if (!check.valid) {
      ctx.state().set("status", "invalid");
      return { status: "invalid", reason: check.reason };
    }
    ctx.state().set("status", "charging");
    const charge = ctx.step(chargeCustomer, input.orderId, input.amount, input.paymentUrl ?? null);
    ctx.state().set("status", "charged");
    const note = ctx.step(sendConfirmation, input.orderId, charge.chargeId);
    ctx.state().set("status", "confirmed");
    return {
      status: "confirmed",
      chargeId: charge.chargeId,
      chargeAttempts: charge.attempt,
      note,
      // Journaled: the same on every replay of this run.
      confirmedAt: Date.now(),
      ticket: Math.floor(Math.random() * 1e6),
    };
  },
);
