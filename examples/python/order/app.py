"""The `order` example in Python: validate, charge with retries, confirm.

Build and deploy:

    python -m cairn build examples/python/order/app.py
    cairn deploy examples/python/order/app.wasm
    cairn run order --input '{"order_id": "A-1", "amount": 42.5}'
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Optional

import cairn
from cairn import Ctx, StepError, event, step, workflow


@dataclass
class OrderInput:
    order_id: str
    amount: float
    payment_url: Optional[str] = None


@dataclass
class Validation:
    valid: bool
    reason: Optional[str] = None


@dataclass
class Charge:
    charge_id: str
    attempt: int


@step
def validate_order(order_id: str, amount: float) -> Validation:
    if not order_id.strip():
        return Validation(False, "the order id is empty")
    if amount != amount or amount <= 0:
        return Validation(False, f"the amount must be positive, got {amount}")
    return Validation(True)


@step(max_attempts=3, backoff="200ms")
def charge_customer(order_id: str, amount: float, payment_url: Optional[str]) -> Charge:
    cx = cairn.step_context()
    charge_id = f"ch_{zlib.crc32(cx.idempotency_key.encode()):08x}"
    if payment_url is not None:
        reply = cairn.http.post_json(payment_url, {"order_id": order_id, "amount": amount})
        if not reply.ok:
            raise StepError(f"payment service answered {reply.status}", code="payment-failed")
        return Charge(reply.json().get("charge_id", charge_id), cx.attempt)
    if cx.attempt == 1:
        raise StepError("payment gateway timed out (simulated)", code="gateway-timeout")
    cairn.log.info(f"charged {amount} for order {order_id} on attempt {cx.attempt}")
    return Charge(charge_id, cx.attempt)


@step
def send_confirmation(order_id: str, charge_id: str) -> str:
    return f"order {order_id} confirmed ({charge_id})"


@workflow(triggers=[event("order.created")])
def order(ctx: Ctx, order: OrderInput) -> dict:
    check = ctx.step(validate_order, order.order_id, order.amount)
    if not check.valid:
        ctx.state().set("status", "invalid")
        return {"status": "invalid", "reason": check.reason}
    ctx.state().set("status", "charging")
    charge = ctx.step(charge_customer, order.order_id, order.amount, order.payment_url)
    ctx.state().set("status", "charged")
    note = ctx.step(send_confirmation, order.order_id, charge.charge_id)
    ctx.state().set("status", "confirmed")
    return {
        "status": "confirmed",
        "order_id": order.order_id,
        "charge_id": charge.charge_id,
        "charge_attempts": charge.attempt,
        "confirmation": note,
    }
