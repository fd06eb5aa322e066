"""What a workflow body can call: :class:`Ctx`.

Every method goes through the host's ``context`` import and is journaled
(or deterministic), so on replay it returns what it returned the first
time. Values cross as JSON text; see the guest contract in
``wit/workflow.wit``.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import json
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional

from . import _schema
from ._human import Answer, Prompt
from ._llm import LlmResponse, Message, llm_request, llm_response
from ._registry import STEPS, duration_ms, step_name_of
from ._wit import context as _host
from ._wit import types as _t
from ._wit import Err
from .errors import BatchError, LlmError, StateError, StepError, WaitError


def dumps(value: Any) -> str:
    """JSON text of ``value``, compact, in the form both SDKs send."""
    return json.dumps(_schema.to_json(value), separators=(",", ":"), ensure_ascii=False)


def encode_args(step: str, args: tuple) -> str:
    """One argument as itself, several as a JSON array, none as ``null``."""
    try:
        if not args:
            return "null"
        return dumps(args[0] if len(args) == 1 else list(args))
    except TypeError as e:
        raise StepError.fatal(f"the input of step `{step}` is not JSON: {e}", code="bad-input") from None


def decode_output(step: str, raw: str) -> Any:
    value = json.loads(raw)
    entry = STEPS.get(step)
    if entry is None:
        return value
    try:
        return _schema.convert(value, entry.returns)
    except (TypeError, ValueError) as e:
        raise StepError.fatal(
            f"the output of step `{step}` does not fit {entry.returns}: {e}", code="bad-output"
        ) from None


def step_error(step: str, failure) -> StepError:
    info = failure.error
    e = StepError(info.message, code=info.code, details=_details(info.details), retryable=False)
    e.step = step
    e.attempts = failure.attempts
    return e


def _details(raw: Optional[str]) -> Any:
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


@dataclass(frozen=True)
class RunInfo:
    """Facts about the current run."""

    run_id: str
    workflow: str
    version: str
    session_id: Optional[str]
    activation: int
    started_at: _dt.datetime


class Handle:
    """A step started with :meth:`Ctx.spawn`; :meth:`join` it for its result.

    A handle may be dropped without joining: the step still runs, its
    result is journaled, and the run waits for it before it completes."""

    def __init__(self, step: str, handle: Optional[int], error: Optional[StepError] = None):
        self.step = step
        self._handle = handle
        self._error = error
        self._result: Any = None
        self._done = False

    def join(self) -> Any:
        """The step's output, or raises its final :class:`StepError`."""
        if self._error is not None:
            raise self._error
        if not self._done:
            try:
                raw = _host.join(self._handle)
            except Err as f:
                self._error = step_error(self.step, f.value)
                raise self._error from None
            self._result = decode_output(self.step, raw)
            self._done = True
        return self._result


@dataclass
class BatchResult:
    """What :meth:`Ctx.batch` returns: every item's output (or its
    :class:`StepError`) in input order, and the counts."""

    outputs: list
    stats: dict

    def successes(self) -> list:
        return [o for o in self.outputs if not isinstance(o, StepError)]

    def failures(self) -> list:
        return [(i, o) for i, o in enumerate(self.outputs) if isinstance(o, StepError)]


class Gather:
    """Steps spawned under names, collected by name: see :meth:`Ctx.gather`."""

    def __init__(self, ctx: "Ctx"):
        self._ctx = ctx
        self._items: list = []
        self._max: Optional[int] = None

    def spawn(self, name: str, step: Callable, *args: Any) -> "Gather":
        self._items.append((name, step, args))
        return self

    def max_concurrency(self, n: int) -> "Gather":
        self._max = n
        return self

    def join(self) -> "Gathered":
        group = self._ctx._group("gather") if self._max is not None else None
        handles = [
            (name, self._ctx._spawn(step, args, group, self._max)) for name, step, args in self._items
        ]
        results = {}
        for name, h in handles:
            try:
                results[name] = h.join()
            except StepError as e:
                results[name] = e
        return Gathered(results)


class Gathered:
    """The results of a :class:`Gather`, by name, in the order added."""

    def __init__(self, results: dict):
        self._results = results

    def get(self, name: str) -> Any:
        """The output of ``name``, or raises its :class:`StepError`."""
        r = self._results[name]
        if isinstance(r, StepError):
            raise r
        return r

    def items(self):
        return self._results.items()

    def failures(self) -> list:
        return [(n, r) for n, r in self._results.items() if isinstance(r, StepError)]


class State:
    """Run or session state: JSON values by key (see :meth:`Ctx.state`)."""

    def __init__(self, scope):
        self._scope = scope

    def get(self, key: str, default: Any = None) -> Any:
        raw = _state(lambda: _host.state_get(self._scope, key))
        return default if raw is None else json.loads(raw)

    def set(self, key: str, value: Any) -> None:
        _state(lambda: _host.state_set(self._scope, key, dumps(value)))

    def delete(self, key: str) -> None:
        _state(lambda: _host.state_delete(self._scope, key))


def _state(call):
    try:
        return call()
    except Err as f:
        e = f.value
        if isinstance(e, _t.StateError_ReservedKey):
            raise StateError(
                f"state keys starting with `_` are reserved for cairn: `{e.value}`", code="reserved-key"
            ) from None
        raise StateError(
            "session state needs a session: start the run with --session ID", code="no-session"
        ) from None


class Ctx:
    """The workflow body's handle on the host. Every call is journaled."""

    _groups = itertools.count(1)

    # ---- steps ---------------------------------------------------------

    def step(self, step: Callable, *args: Any) -> Any:
        """Runs a ``@step`` with ``args`` and returns its output; its result
        is journaled once and replayed after. Raises the step's final
        :class:`StepError` when it failed for good."""
        name = step_name_of(step)
        raw_input = encode_args(name, args)
        try:
            raw = _host.step(name, raw_input)
        except Err as f:
            raise step_error(name, f.value) from None
        return decode_output(name, raw)

    def spawn(self, step: Callable, *args: Any) -> Handle:
        """Starts a step at once, concurrently with the body and the other
        spawned steps; :meth:`Handle.join` collects its result."""
        return self._spawn(step, args, None, None)

    def _spawn(self, step, args, group, max_concurrency) -> Handle:
        name = step_name_of(step)
        try:
            raw_input = encode_args(name, args)
        except StepError as e:
            e.step = name
            return Handle(name, None, e)
        opts = _t.SpawnOptions(group, max_concurrency)
        return Handle(name, _host.spawn(name, raw_input, opts))

    def _group(self, kind: str) -> str:
        return f"{kind}-{next(Ctx._groups)}"

    def join_all(self, handles: Iterable[Handle]) -> list:
        """Joins handles in order; raises the first failure."""
        return [h.join() for h in handles]

    def gather(self) -> Gather:
        """Spawns different steps under names and collects them by name."""
        return Gather(self)

    def batch(self, step: Callable, inputs: Iterable[Any], max_concurrency: int = 0) -> BatchResult:
        """One step per input, at most ``max_concurrency`` at once (0: the
        host's limit). Failures are counted, not raised."""
        group = self._group("batch")
        limit = max_concurrency if max_concurrency > 0 else None
        handles = [self._spawn(step, (i,), group, limit) for i in inputs]
        outputs = []
        for h in handles:
            try:
                outputs.append(h.join())
            except StepError as e:
                outputs.append(e)
        failed = sum(1 for o in outputs if isinstance(o, StepError))
        return BatchResult(outputs, {"completed": len(outputs) - failed, "failed": failed})

    def map(self, step: Callable, inputs: Iterable[Any]) -> list:
        """One step per input, concurrently; all outputs, or raises a
        :class:`BatchError` naming every failed item."""
        handles = [self.spawn(step, i) for i in inputs]
        ok, failed = [], []
        for i, h in enumerate(handles):
            try:
                ok.append(h.join())
            except StepError as e:
                failed.append((i, e))
        if failed:
            raise BatchError(step_name_of(step), len(handles), failed)
        return ok

    # ---- time ----------------------------------------------------------

    def sleep(self, duration: Any) -> None:
        """Durable sleep: seconds (a number), a ``timedelta`` or ``"2h"``.
        After a crash only the remaining time is slept."""
        if isinstance(duration, _dt.timedelta):
            ms = int(duration.total_seconds() * 1000)
        else:
            ms = duration_ms(duration, "ctx.sleep")
        _host.sleep(max(0, ms))

    def sleep_until(self, when: Any) -> None:
        """Durable sleep until a ``datetime`` (naive means UTC) or Unix seconds."""
        if isinstance(when, _dt.datetime):
            if when.tzinfo is None:
                when = when.replace(tzinfo=_dt.timezone.utc)
            ms = int(when.timestamp() * 1000)
        else:
            ms = int(float(when) * 1000)
        _host.sleep_until(max(0, ms))

    def now(self) -> _dt.datetime:
        """The current time (UTC), journaled."""
        return _dt.datetime.fromtimestamp(_host.now() / 1000, tz=_dt.timezone.utc)

    def random(self) -> float:
        """A float in [0, 1), journaled."""
        return (_host.random() >> 11) / float(1 << 53)

    def random_bits(self) -> int:
        """64 random bits, journaled."""
        return _host.random()

    def uuid(self) -> str:
        """A random (v4) UUID, journaled."""
        return format_uuid_v4(_host.random(), _host.random())

    # ---- state ---------------------------------------------------------

    def state(self) -> State:
        """State private to this run."""
        return State(_t.Scope.RUN)

    def session(self) -> State:
        """State shared by the runs of this run's session."""
        return State(_t.Scope.SESSION)

    # ---- people and signals --------------------------------------------

    def wait_for_user(self, prompt: Prompt) -> Answer:
        """Asks a person and waits, durably, for the answer."""
        try:
            a = _host.wait_for_user(prompt._wit())
        except Err as f:
            raise _wait_error(f.value) from None
        return Answer._from_wit(a)

    def wait_for_event(self, name: str, timeout: Any = None) -> Any:
        """Waits, durably, for the signal ``name`` (``cairn signal RUN NAME``)
        and returns its JSON payload. A signal sent earlier is kept."""
        ms = None if timeout is None else duration_ms(timeout, "wait_for_event timeout")
        try:
            raw = _host.wait_for_event(name, ms)
        except Err as f:
            raise _wait_error(f.value) from None
        return json.loads(raw)

    # ---- models --------------------------------------------------------

    def llm(
        self,
        model: str,
        messages: list,
        *,
        temperature: Optional[float] = None,
        max_tokens: Optional[int] = None,
        response_format: Any = None,
        tools: Optional[list] = None,
    ) -> LlmResponse:
        """Calls a model the host configures (``provider/model``); journaled,
        so a replay never calls again."""
        req = llm_request(model, messages, temperature, max_tokens, response_format, tools)
        try:
            r = _host.llm(req)
        except Err as f:
            e = f.value
            if isinstance(e, _t.LlmError_Provider):
                raise LlmError(e.value.message, code=e.value.code, details=_details(e.value.details)) from None
            code = "not-configured" if isinstance(e, _t.LlmError_NotConfigured) else "bad-request"
            raise LlmError(e.value, code=code) from None
        return llm_response(r)

    # ---- the rest ------------------------------------------------------

    def emit(self, kind: str, data: Any = None) -> None:
        """A progress event for watchers (``cairn runs watch``); not replayed."""
        _host.emit(kind, dumps(data))

    def patched(self, change_id: str) -> bool:
        """True for a run that reaches this marker after a version containing
        it was deployed, false when replaying history recorded before it."""
        return _host.patched(change_id)

    def run_info(self) -> RunInfo:
        i = _host.get_run_info()
        return RunInfo(
            run_id=i.run_id,
            workflow=i.workflow,
            version=i.version,
            session_id=i.session_id,
            activation=i.activation,
            started_at=_dt.datetime.fromtimestamp(i.started_at_ms / 1000, tz=_dt.timezone.utc),
        )


def _wait_error(e) -> WaitError:
    code = "timeout" if isinstance(e, _t.WaitError_Timeout) else "bad-prompt"
    return WaitError(e.value, code=code)


def format_uuid_v4(hi: int, lo: int) -> str:
    """The same layout as the Rust SDK's ``ctx.uuid()``."""
    hi = (hi & ~0xF000 & 0xFFFFFFFFFFFFFFFF) | 0x4000
    lo = (lo & ~(0b11 << 62) & 0xFFFFFFFFFFFFFFFF) | (0b10 << 62)
    return f"{hi >> 32:08x}-{(hi >> 16) & 0xFFFF:04x}-{hi & 0xFFFF:04x}-{lo >> 48:04x}-{lo & 0xFFFFFFFFFFFF:012x}"

