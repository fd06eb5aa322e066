"""cairn-sdk for Python: durable workflows whose body runs in cairn's
sandbox, with every clock read, random draw, step result and human answer
journaled.

.. code-block:: python

    from cairn import Ctx, Prompt, event, step, workflow

    @step(max_attempts=5, timeout="30s")
    def charge_customer(order_id: str, amount: float) -> dict: ...

    @workflow(triggers=[event("order.created")])
    def order(ctx: Ctx, order_id: str) -> dict:
        charge = ctx.step(charge_customer, order_id, 42.5)
        ctx.sleep(24 * 3600)
        answer = ctx.wait_for_user(Prompt.approval("Ship it?"))
        return {"charged": charge, "shipped": answer.approved}

Build a component with ``python -m cairn build app.py`` and deploy it with
``cairn deploy app.wasm``.
"""

from ._agent import Agent, AgentError, AgentOutput, ToolCallRecord, tool
from ._ctx import BatchResult, Ctx, Gathered, Handle, RunInfo, State
from ._guest import SDK_VERSION, StepContext, step_context
from ._human import Answer, Prompt
from ._llm import LlmResponse, Message, ToolCall
from ._registry import cron, event, step, webhook, workflow
from . import http, log  # noqa: F401 - cairn.http, cairn.log
from .errors import BatchError, LlmError, StateError, StepError, WaitError, WorkflowError

__version__ = "0.1.0"

__all__ = [
    "Agent", "AgentError", "AgentOutput", "Answer", "BatchError", "BatchResult", "Ctx", "Gathered", "Handle", "LlmError",
    "LlmResponse", "Message", "Prompt", "RunInfo", "SDK_VERSION", "State", "StateError",
    "StepContext", "StepError", "ToolCall", "WaitError", "WorkflowError", "cron", "event",
    "step", "step_context", "ToolCallRecord", "tool", "webhook", "workflow",
]
