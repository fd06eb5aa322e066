"""The ``@workflow`` and ``@step`` decorators and the registry they fill.

A module's decorators run when the module is imported, which for a built
component is at build time (componentize-py pre-initialises the
interpreter with the app imported), so the registry is part of the
component's memory image and ``describe`` only reads it.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union

from . import _schema


@dataclass(frozen=True)
class Trigger:
    """What starts a workflow besides an explicit run: see :func:`event`
    and :func:`webhook`."""

    kind: str
    name: str
    event: str = ""
    #: A ``cron`` trigger's schedule, as the manifest extension carries it.
    schedule: Optional[dict] = None


def event(name: str) -> Trigger:
    """Start the workflow on the named event (``cairn emit NAME``,
    ``POST /v1/events/NAME``); the event's data is the input."""
    return Trigger("event", name)


def webhook(source: str, event: str = "*") -> Trigger:
    """Start the workflow on a verified webhook delivery from ``source``."""
    return Trigger("webhook", source, event)


def cron(expr: str, tz: Optional[str] = None, catch_up: str = "one", overlap: str = "skip") -> Trigger:
    """Start the workflow at each tick of the cron expression ``expr`` (five
    fields, or six with seconds first, or ``@daily`` and the like) in the
    IANA zone ``tz`` (UTC by default), with input ``None``. ``catch_up``:
    ``"skip"``, ``"one"`` (default) or ``"all"`` for ticks missed while no
    worker ran; ``overlap``: ``"skip"`` (default), ``"allow"`` or
    ``"cancel-previous"`` for a tick while the previous run is going. The
    host checks the expression and the zone at deploy."""
    if not isinstance(expr, str) or not expr.strip():
        raise ValueError("cron() takes the expression as a non-empty string")
    if catch_up not in ("skip", "one", "all"):
        raise ValueError(f'cron: catch_up is "skip", "one" or "all", not {catch_up!r}')
    if overlap not in ("skip", "allow", "cancel-previous"):
        raise ValueError(f'cron: overlap is "skip", "allow" or "cancel-previous", not {overlap!r}')
    schedule = {"cron": expr, "catch_up": catch_up, "overlap": overlap}
    if tz is not None:
        schedule["tz"] = tz
    return Trigger("cron", expr, schedule=schedule)


@dataclass
class RetryPolicy:
    max_attempts: int = 3
    initial_backoff_ms: int = 1000
    backoff_factor: float = 2.0
    max_backoff_ms: int = 60_000
    timeout_ms: int = 0


@dataclass
class StepEntry:
    name: str
    fn: Callable
    policy: RetryPolicy
    arity: int
    params: list
    returns: Any


@dataclass
class WorkflowEntry:
    name: str
    fn: Callable
    triggers: list
    session: str
    input_type: Any
    returns: Any
    takes_input: bool = True
    extra: dict = field(default_factory=dict)


STEPS: dict = {}
WORKFLOWS: dict = {}

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, None: 1000}


def duration_ms(value: Union[str, int, float, None], what: str) -> int:
    """``"30s"``, ``"500ms"``, ``"2m"``, ``"1h"``, or a number of seconds."""
    if value is None:
        return 0
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value * 1000)
    m = _DURATION.match(str(value))
    if not m:
        raise ValueError(f"{what}: `{value}` is not a duration (use e.g. \"30s\", \"500ms\", \"2m\")")
    return int(float(m.group(1)) * _UNIT_MS[m.group(2)])


def _check_unique(kind: str, table: dict, name: str) -> None:
    if name in table:
        raise ValueError(
            f"two {kind}s are named `{name}`; give one another name with @{kind}(name=\"...\")"
        )


def step(
    fn: Optional[Callable] = None,
    *,
    name: Optional[str] = None,
    max_attempts: int = 3,
    timeout: Union[str, int, float, None] = None,
    backoff: Union[str, int, float] = "1s",
    backoff_factor: float = 2.0,
    max_backoff: Union[str, int, float] = "60s",
):
    """Declares a step: a function with side effects the body runs through
    :meth:`Ctx.step`. It runs in its own instance with real time,
    randomness and allow-listed HTTP (:mod:`cairn.http`), and is retried
    per this policy. Its arguments and result are JSON values (or
    dataclasses / pydantic models, converted by their annotations)."""

    def register(f: Callable) -> Callable:
        step_name = name or f.__name__
        _check_unique("step", STEPS, step_name)
        policy = RetryPolicy(
            max_attempts=max(1, int(max_attempts)),
            initial_backoff_ms=duration_ms(backoff, f"backoff of step `{step_name}`"),
            backoff_factor=float(backoff_factor),
            max_backoff_ms=duration_ms(max_backoff, f"max_backoff of step `{step_name}`"),
            timeout_ms=duration_ms(timeout, f"timeout of step `{step_name}`"),
        )
        params = _positional(f)
        hints = _schema.hints(f)
        STEPS[step_name] = StepEntry(
            name=step_name,
            fn=f,
            policy=policy,
            arity=len(params),
            params=[hints.get(p.name, Any) for p in params],
            returns=hints.get("return", Any),
        )
        f.__cairn_step__ = step_name
        return f

    return register(fn) if fn is not None else register


def workflow(
    fn: Optional[Callable] = None,
    *,
    name: Optional[str] = None,
    triggers: Optional[list] = None,
    session: str = "optional",
):
    """Declares a workflow body: ``def name(ctx: Ctx, input: T) -> R``.

    The body is deterministic: everything it learns from outside comes
    through ``ctx`` and is journaled, so after a crash it is replayed and
    carries on. ``session="required"`` refuses runs started without a
    session id (use it when the body reads ``ctx.session``)."""
    if session not in ("optional", "required"):
        raise ValueError(f"session must be \"optional\" or \"required\", not {session!r}")

    def register(f: Callable) -> Callable:
        wf_name = name or f.__name__
        _check_unique("workflow", WORKFLOWS, wf_name)
        params = _positional(f)
        if not params:
            raise TypeError(f"workflow `{wf_name}` must take the context as its first argument")
        if len(params) > 2:
            raise TypeError(
                f"workflow `{wf_name}` takes one input besides the context "
                "(use a dataclass or a dict for several values)"
            )
        hints = _schema.hints(f)
        WORKFLOWS[wf_name] = WorkflowEntry(
            name=wf_name,
            fn=f,
            triggers=list(triggers or []),
            session=session,
            input_type=hints.get(params[1].name, Any) if len(params) == 2 else None,
            returns=hints.get("return", Any),
            takes_input=len(params) == 2,
        )
        f.__cairn_workflow__ = wf_name
        return f

    return register(fn) if fn is not None else register


def _positional(f: Callable) -> list:
    sig = inspect.signature(f)
    return [
        p
        for p in sig.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]


def step_name_of(f: Any) -> str:
    """The registered name of a step function (or a name given as text)."""
    if isinstance(f, str):
        return f
    name = getattr(f, "__cairn_step__", None)
    if name is None:
        raise TypeError(f"{getattr(f, '__name__', f)!r} is not a @step")
    return name
