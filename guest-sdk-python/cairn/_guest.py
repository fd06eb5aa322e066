"""The component's exports: ``describe``, ``describe-ext``, ``run`` and
``run-step``, dispatched through the registry the decorators fill.

``python -m cairn build`` makes an entry module that imports the app and
this class, which componentize-py binds to the world's exports.
"""

from __future__ import annotations

import json
import traceback
from typing import Any, Optional

from . import _determinism, _schema
from ._ctx import Ctx, dumps
from ._registry import STEPS, WORKFLOWS
from ._wit import Err
from ._wit import types as _t
from .errors import StepError, WorkflowError

SDK_VERSION = "cairn-sdk-python/0.1.0"

_step_context: Optional["StepContext"] = None


class StepContext:
    """What a step attempt knows about itself (see :func:`cairn.step_context`)."""

    def __init__(self, c) -> None:
        self.run_id: str = c.run_id
        self.workflow: str = c.workflow
        self.step: str = c.step
        self.occurrence: int = c.occurrence
        self.attempt: int = c.attempt
        #: ``<run-id>/<step>/<occurrence>``: the same for every attempt.
        self.idempotency_key: str = c.idempotency_key


def step_context() -> Optional[StepContext]:
    """The current step attempt's context; ``None`` outside a step."""
    return _step_context


def _info(code: str, message: str, details: Any = None):
    d = None
    if details is not None:
        try:
            d = dumps(details)
        except TypeError:
            d = json.dumps(repr(details))
    return _t.ErrorInfo(code, message, d)


def _exception_info(e: BaseException):
    tb = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    return _info("error", f"{type(e).__name__}: {e}", {"traceback": tb})


def _retry_policy(p):
    return _t.RetryPolicy(p.max_attempts, p.initial_backoff_ms, p.backoff_factor, p.max_backoff_ms, p.timeout_ms)


def _trigger(t):
    if t.kind == "event":
        return _t.Trigger_Event(t.name)
    return _t.Trigger_Webhook(_t.WebhookTrigger(t.name, t.event))


def manifest_ext() -> str:
    """The 0.1.1 manifest extension: input (and output) schemas, session need."""
    workflows = []
    for w in sorted(WORKFLOWS.values(), key=lambda w: w.name):
        doc: dict = {"name": w.name, "session": w.session}
        if w.takes_input and w.input_type is not None:
            s = _schema.schema(w.input_type)
            if s:
                doc["input_schema"] = s
        elif not w.takes_input:
            doc["input_schema"] = {}
        schedules = [t.schedule for t in w.triggers if t.kind == "cron"]
        if schedules:
            doc["schedules"] = schedules
        out = _schema.schema(w.returns) if w.returns is not None else {}
        if out:
            doc["output_schema"] = out
        workflows.append(doc)
    return json.dumps({"version": 1, "sdk": SDK_VERSION, "workflows": workflows})


class WitWorld:
    def describe(self):
        workflows = [
            # A schedule rides in the manifest extension: WIT's trigger
            # variant has no case for it.
            _t.WorkflowDecl(w.name, [_trigger(t) for t in w.triggers if t.kind != "cron"])
            for w in sorted(WORKFLOWS.values(), key=lambda w: w.name)
        ]
        steps = [
            _t.StepDecl(s.name, _retry_policy(s.policy))
            for s in sorted(STEPS.values(), key=lambda s: s.name)
        ]
        return _t.Manifest(SDK_VERSION, workflows, steps)

    def describe_ext(self) -> str:
        return manifest_ext()

    def run(self, workflow: str, input: str) -> str:
        entry = WORKFLOWS.get(workflow)
        if entry is None:
            raise Err(_t.WorkflowError_UnknownWorkflow(workflow))
        args = []
        if entry.takes_input:
            try:
                args.append(_schema.convert(json.loads(input), entry.input_type))
            except (TypeError, ValueError) as e:
                raise Err(_t.WorkflowError_BadInput(
                    f"the input of workflow `{workflow}` does not fit {_name(entry.input_type)}: {e}"
                )) from None
        # componentize-py's `Err` is a frozen dataclass, and a context
        # manager's exit assigns `__traceback__` to what passes through it:
        # so the failure is raised after the `with`, not through it.
        failure = None
        with _determinism.body():
            try:
                out = entry.fn(Ctx(), *args)
            except StepError as e:
                details = {"step": e.step, "attempts": e.attempts, "code": e.code, "details": e.details}
                failure = _info("step-failed", str(e), details)
            except WorkflowError as e:
                failure = _info(e.code, e.message, e.details)
            except Exception as e:
                failure = _exception_info(e)
        if failure is not None:
            raise Err(_t.WorkflowError_Failed(failure))
        try:
            return dumps(out)
        except TypeError as e:
            raise Err(_t.WorkflowError_Failed(_info("bad-output", f"the output of workflow `{workflow}` is not JSON: {e}"))) from None

    def run_step(self, step: str, input: str, ctx) -> str:
        global _step_context
        entry = STEPS.get(step)
        if entry is None:
            raise Err(_t.StepError_UnknownStep(step))
        try:
            args = _decode_args(entry, json.loads(input))
        except (TypeError, ValueError) as e:
            raise Err(_t.StepError_BadInput(f"the input of step `{step}` does not fit its parameters: {e}")) from None
        _step_context = StepContext(ctx)
        try:
            out = entry.fn(*args)
        except StepError as e:
            info = _info(e.code, e.message, e.details)
            raise Err(_t.StepError_Retryable(info) if e.retryable else _t.StepError_Fatal(info)) from None
        except Exception as e:
            raise Err(_t.StepError_Retryable(_exception_info(e))) from None
        finally:
            _step_context = None
        try:
            return dumps(out)
        except TypeError as e:
            raise Err(_t.StepError_Fatal(_info("bad-output", f"the output of step `{step}` is not JSON: {e}"))) from None


def _decode_args(entry, value) -> list:
    if entry.arity == 0:
        return []
    if entry.arity == 1:
        return [_schema.convert(value, entry.params[0])]
    if not isinstance(value, list) or len(value) != entry.arity:
        raise TypeError(f"expected an array of {entry.arity} arguments")
    return [_schema.convert(v, t) for v, t in zip(value, entry.params)]


def _name(t) -> str:
    return getattr(t, "__name__", None) or str(t)
