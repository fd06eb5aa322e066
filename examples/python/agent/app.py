"""The `support_agent` example in Python: a customer-support agent that
looks orders up and refunds them, a person approving every refund (the
twin of examples/support_agent in Rust).

Input: ``{"message": "Where is my order A-1001?"}``, optionally
``"model": "provider/model"`` (default ``local/llama3.2``, a
``[llm.providers.local]`` of the host's ``cairn.toml``).

Build and deploy:

    python -m cairn build examples/python/agent/app.py
    cairn deploy examples/python/agent/app.wasm
    cairn run support_agent --input '{"message": "My mug from A-1003 arrived broken."}'
    cairn prompts; cairn respond RUN approve
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import cairn
from cairn import Agent, Ctx, StepError, tool, workflow


@dataclass
class SupportInput:
    message: str
    model: str = "local/llama3.2"


@dataclass
class Resolution:
    reply: str
    refunded: bool


ORDERS = {
    "A-1001": {"order_id": "A-1001", "status": "delivered", "items": ["kettle"], "total_cents": 3900},
    "A-1002": {"order_id": "A-1002", "status": "in transit", "items": ["teapot", "cups"], "total_cents": 5450},
    "A-1003": {"order_id": "A-1003", "status": "delivered, damaged", "items": ["mug"], "total_cents": 1200},
}


def _find(order_id: str) -> dict:
    order = ORDERS.get(order_id.strip().upper())
    if order is None:
        raise StepError.fatal(f"there is no order {order_id}", code="no-such-order")
    return order


@tool(max_attempts=3, timeout="10s")
def lookup_order(order_id: str) -> dict:
    """Looks an order up by its id (such as A-1001): its status, items and
    total in cents."""
    return _find(order_id)


@tool(approval=True, max_attempts=3)
def refund(order_id: str, reason: str) -> dict:
    """Refunds an order in full; a person approves every refund first."""
    order = _find(order_id)
    # The same key for every attempt: a payment provider given it refunds once.
    key = cairn.step_context().idempotency_key
    return {
        "refund_id": f"rf-{zlib.crc32(key.encode()):08x}",
        "order_id": order["order_id"],
        "amount_cents": order["total_cents"],
        "reason": reason,
    }


INSTRUCTIONS = (
    "You are the support agent of a small tea shop. Look orders up before you answer "
    "questions about them. Refund an order only when it arrived damaged or the customer "
    "asks for it and it was delivered. When you are done, answer with the reply to the "
    "customer and whether a refund was issued."
)


@workflow
def support_agent(ctx: Ctx, input: SupportInput) -> dict:
    agent = Agent(
        input.model,
        name="support",
        instructions=INSTRUCTIONS,
        tools=[lookup_order, refund],
        max_turns=8,
        budget_tokens=40_000,
        temperature=0.0,
        output=Resolution,
    )
    out = agent.run(ctx, input.message)
    return {
        "output": out.output,
        "turns": out.turns,
        "tool_calls": [
            {"name": c.name, "arguments": c.arguments, "status": c.status, "result": c.result}
            for c in out.tool_calls
        ],
        "input_tokens": out.input_tokens,
        "output_tokens": out.output_tokens,
    }
