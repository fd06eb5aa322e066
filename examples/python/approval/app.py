"""The `approval` example in Python: an order ships once a person approves it.

    python -m cairn build examples/python/approval/app.py
    cairn deploy examples/python/approval/app.wasm
    cairn run approval --input '{"order_id": "A-7", "amount": 99.0}'
    cairn prompts
    cairn respond RUN approve
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Optional

import cairn
from cairn import Ctx, Prompt, StepError, step, workflow


@dataclass
class ApprovalInput:
    order_id: str
    amount: float
    customer: Optional[str] = None
    timeout_secs: Optional[int] = None


@dataclass
class Summary:
    order_id: str
    amount: float
    customer: str
    text: str


@step
def prepare_summary(order_id: str, amount: float, customer: Optional[str]) -> Summary:
    if not order_id.strip():
        raise StepError.fatal("the order id is empty", code="bad-order")
    customer = customer or "a walk-in customer"
    return Summary(order_id, amount, customer, f"Order {order_id}: {amount:.2f} for {customer}")


@step(max_attempts=3)
def fulfil_order(order_id: str) -> str:
    cx = cairn.step_context()
    shipment = f"shp_{zlib.crc32(cx.idempotency_key.encode()):08x}"
    cairn.log.info(f"order {order_id} shipped as {shipment}")
    return shipment


@workflow
def approval(ctx: Ctx, input: ApprovalInput) -> dict:
    summary = ctx.step(prepare_summary, input.order_id, input.amount, input.customer)
    ctx.state().set("status", "awaiting approval")
    prompt = Prompt.approval(f"Approve {summary.text}?", context=summary)
    if input.timeout_secs is not None:
        prompt = Prompt.approval(
            f"Approve {summary.text}?", context=summary, timeout=input.timeout_secs, default="reject"
        )
    answer = ctx.wait_for_user(prompt)
    if not answer.approved:
        ctx.state().set("status", "rejected")
        return {"order_id": input.order_id, "status": "rejected", "by": answer.by,
                "timed_out": answer.timed_out}
    shipment = ctx.step(fulfil_order, input.order_id)
    ctx.state().set("status", "shipped")
    return {"order_id": input.order_id, "status": "shipped", "shipment": shipment, "by": answer.by}
