"""Agents: an LLM loop with tools, durable at every turn (the Python twin
of cairn-sdk's ``Agent`` in Rust, with the same journal and events).

.. code-block:: python

    from cairn import Agent, tool, workflow

    @tool(max_attempts=3, timeout="10s")
    def lookup_order(order_id: str) -> dict:
        \"\"\"Looks an order up by its id.\"\"\"
        ...

    @tool(approval=True)
    def refund(order_id: str, reason: str) -> str:
        \"\"\"Refunds an order in full.\"\"\"
        ...

    @workflow
    def support(ctx, message: str) -> dict:
        out = Agent("openai/gpt-4o-mini", name="support",
                    instructions="You help customers with their orders.",
                    tools=[lookup_order, refund], max_turns=8).run(ctx, message)
        return {"answer": out.output, "turns": out.turns}

Each turn is one ``ctx.llm`` call (one journaled ``llm`` entry); each tool
call is a step (its own retries, timeout and idempotency key; with
``parallel_tools=True`` the calls of one turn are spawned and joined in
call order). A crash resumes at the turn it reached by replay: journaled
replies and finished tool calls are not made again. An unknown tool or
arguments that do not fit are sent back to the model as the tool's result
(up to ``max_repairs`` turns in a row), as are a tool's final failure and a
person's refusal; a typed answer (``output=SomeDataclass``) that does not
fit gets one repair turn. Turns and tool results are ``agent.turn`` and
``agent.tool`` events, which ``cairn runs watch`` shows as a conversation.
"""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union

from . import _schema
from ._ctx import Ctx, dumps
from ._human import Prompt
from ._llm import Message
from ._registry import step, step_name_of
from .errors import StepError, WorkflowError

DEFAULT_MAX_TURNS = 10
DEFAULT_MAX_REPAIRS = 2


class AgentError(WorkflowError):
    """Why an agent stopped without an answer: ``agent-max-turns``,
    ``agent-budget``, ``agent-bad-output`` or ``agent-bad-tool-calls``.
    Uncaught, it fails the run with that code."""


@dataclass
class ToolSpec:
    """What the model is told about a tool, and how to run it."""

    name: str
    description: str
    parameters: dict
    approval: bool = False
    step: Optional[Callable] = None
    params: list = field(default_factory=list)
    agent: Optional["Agent"] = None

    def definition(self) -> dict:
        return {"name": self.name, "description": self.description, "parameters": self.parameters}


def _description(f: Callable, given: Optional[str]) -> str:
    if given:
        return given
    doc = inspect.getdoc(f) or ""
    return doc.split("\n\n")[0].replace("\n", " ").strip() or f.__name__


def _parameters(f: Callable) -> tuple:
    hints = _schema.hints(f)
    props, required, params = {}, [], []
    for p in inspect.signature(f).parameters.values():
        if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            continue
        t = hints.get(p.name, Any)
        props[p.name] = _schema.schema(t) if t is not Any else {}
        if p.default is inspect.Parameter.empty:
            required.append(p.name)
        params.append((p.name, t, p.default))
    return {"type": "object", "properties": props, "required": required}, params


def tool(
    fn: Optional[Callable] = None,
    *,
    name: Optional[str] = None,
    description: Optional[str] = None,
    approval: bool = False,
    max_attempts: int = 3,
    timeout: Union[str, int, float, None] = None,
    backoff: Union[str, int, float] = "1s",
):
    """Declares a tool an :class:`Agent` may call: a ``@step`` whose
    arguments, by name, are its JSON Schema (from the annotations) and
    whose docstring's first paragraph is its description unless
    ``description`` is given. ``approval=True`` asks a person (an approval
    prompt naming the tool and its arguments) before each call."""

    def register(f: Callable) -> Callable:
        step(f, name=name, max_attempts=max_attempts, timeout=timeout, backoff=backoff)
        parameters, params = _parameters(f)
        f.__cairn_tool__ = ToolSpec(
            name=step_name_of(f),
            description=_description(f, description),
            parameters=parameters,
            approval=approval,
            step=f,
            params=params,
        )
        return f

    return register(fn) if fn is not None else register


def _spec(t: Any) -> ToolSpec:
    if isinstance(t, ToolSpec):
        return t
    spec = getattr(t, "__cairn_tool__", None)
    if spec is None:
        raise TypeError(f"{getattr(t, '__name__', t)!r} is not a @tool (or agent.as_tool(..))")
    return spec


@dataclass
class ToolCallRecord:
    """One tool call the model asked for, and what came of it: ``status`` is
    ``done``, ``failed``, ``refused`` or ``invalid``."""

    turn: int
    id: str
    name: str
    arguments: Any
    status: str
    result: str


@dataclass
class AgentOutput:
    """What :meth:`Agent.run` returns."""

    output: Any
    turns: int
    tool_calls: list
    input_tokens: int
    output_tokens: int
    transcript: list


class _Progress:
    def __init__(self, agent: "Agent", input: str) -> None:
        self.transcript = []
        if agent.instructions:
            self.transcript.append(Message.system(agent.instructions))
        self.transcript.append(Message.user(input))
        self.turns = 0
        self.input_tokens = 0
        self.output_tokens = 0
        self.tool_calls: list = []
        self.repaired = False
        self.bad_turns = 0


class Agent:
    """An LLM loop with tools: ``Agent("provider/model", ...).run(ctx, input)``."""

    def __init__(
        self,
        model: str,
        *,
        name: str = "agent",
        instructions: Optional[str] = None,
        tools: Optional[list] = None,
        max_turns: int = DEFAULT_MAX_TURNS,
        temperature: Optional[float] = None,
        max_tokens: Optional[int] = None,
        parallel_tools: bool = False,
        budget_tokens: Optional[int] = None,
        max_repairs: int = DEFAULT_MAX_REPAIRS,
        output: Any = None,
        approval_timeout: Any = None,
    ) -> None:
        self.model = model
        self.name = name
        self.instructions = instructions
        self.tools = [_spec(t) for t in (tools or [])]
        self.max_turns = max_turns
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.parallel_tools = parallel_tools
        self.budget_tokens = budget_tokens
        self.max_repairs = max_repairs
        self.output = output
        self.approval_timeout = approval_timeout

    # ---- the loop ------------------------------------------------------

    def run(self, ctx: Ctx, input: str) -> AgentOutput:
        """Runs the loop until the model answers without asking for a tool."""
        run = _Progress(self, input)
        schema = _schema.schema(self.output) if self.output is not None else None
        while True:
            self._check_guards(run)
            reply = ctx.llm(
                self.model,
                run.transcript,
                temperature=self.temperature,
                max_tokens=self.max_tokens,
                response_format=schema,
                tools=[t.definition() for t in self.tools],
            )
            run.turns += 1
            run.input_tokens += reply.input_tokens
            run.output_tokens += reply.output_tokens
            self._emit_turn(ctx, run.turns, reply)
            run.transcript.append(Message("assistant", reply.content, list(reply.tool_calls)))
            if not reply.tool_calls:
                ok, value = self._parse(reply.content)
                if ok:
                    return AgentOutput(value, run.turns, run.tool_calls, run.input_tokens,
                                       run.output_tokens, run.transcript)
                if run.repaired:
                    raise AgentError(f"the final answer does not fit: {value}", code="agent-bad-output",
                                     details={"content": reply.content})
                run.repaired = True
                run.transcript.append(Message.user(
                    f"Your final answer does not fit the required JSON Schema ({value}). "
                    "Reply again with only a JSON value matching the schema."))
                continue
            self._take(ctx, run, self._calls(ctx, run.turns, reply.tool_calls))

    def _check_guards(self, run: _Progress) -> None:
        if run.turns >= self.max_turns:
            raise AgentError(f"agent `{self.name}` reached its {self.max_turns} turns without a final answer",
                             code="agent-max-turns", details={"turns": self.max_turns})
        used = run.input_tokens + run.output_tokens
        if self.budget_tokens is not None and used >= self.budget_tokens:
            raise AgentError(f"agent `{self.name}` used {used} tokens, reaching its budget of {self.budget_tokens}",
                             code="agent-budget", details={"used": used, "budget": self.budget_tokens})

    def _parse(self, content: str) -> tuple:
        if self.output is None:
            return True, content
        text = content.strip()
        if text.startswith("```"):
            text = text.split("\n", 1)[1] if "\n" in text else ""
            text = text.rsplit("```", 1)[0]
        try:
            return True, _schema.convert(json.loads(text), self.output)
        except (TypeError, ValueError) as e:
            return False, str(e)

    # ---- tool calls ----------------------------------------------------

    def _calls(self, ctx: Ctx, turn: int, calls: list) -> list:
        results: list = [None] * len(calls)
        spawned = []
        for i, call in enumerate(calls):
            spec, args, invalid = self._prepare(call)
            if invalid is not None:
                results[i] = ("invalid", f"error: {invalid}")
                continue
            if spec.approval:
                refused = self._ask(ctx, spec, call)
                if refused is not None:
                    results[i] = ("refused", refused)
                    continue
            if spec.agent is not None:
                results[i] = self._run_agent(ctx, spec, args)
            elif self.parallel_tools:
                spawned.append((i, spec, ctx.spawn(spec.step, *args)))
            else:
                results[i] = self._step(lambda: ctx.step(spec.step, *args), spec)
        for i, spec, handle in spawned:
            results[i] = self._step(handle.join, spec)
        return [
            ToolCallRecord(turn, c.id, c.name, c.arguments, status, text)
            for c, (status, text) in zip(calls, results)
        ]

    def _prepare(self, call) -> tuple:
        spec = _spec_of(self.tools, call.name)
        if spec is None:
            names = ", ".join(t.name for t in self.tools)
            return None, None, (f"there is no tool named `{call.name}`; the tools are: {names}"
                                if names else f"there is no tool named `{call.name}`: no tools are offered")
        args = call.arguments
        if not isinstance(args, dict):
            return spec, None, f"the arguments do not fit tool `{call.name}`: expected a JSON object"
        if spec.agent is not None:
            if not isinstance(args.get("input"), str):
                return spec, None, f"the arguments do not fit tool `{call.name}`: expected {{\"input\": \"...\"}}"
            return spec, [args["input"]], None
        known = {n for n, _, _ in spec.params}
        extra = sorted(set(args) - known)
        if extra:
            return spec, None, f"the arguments do not fit tool `{call.name}`: unknown argument `{extra[0]}`"
        values = []
        for pname, hint, default in spec.params:
            if pname not in args:
                if default is inspect.Parameter.empty:
                    return spec, None, f"the arguments do not fit tool `{call.name}`: `{pname}` is missing"
                values.append(default)
                continue
            try:
                values.append(_schema.convert(args[pname], hint))
            except (TypeError, ValueError) as e:
                return spec, None, f"the arguments do not fit tool `{call.name}`: `{pname}`: {e}"
        return spec, values, None

    def _ask(self, ctx: Ctx, spec: ToolSpec, call) -> Optional[str]:
        arguments = json.dumps(call.arguments, separators=(",", ":"), ensure_ascii=False)
        kw: dict = {"context": {"agent": self.name, "tool": call.name,
                                "arguments": call.arguments, "call_id": call.id}}
        if self.approval_timeout is not None:
            kw.update(timeout=self.approval_timeout, default="reject")
        answer = ctx.wait_for_user(Prompt.approval(
            f"Agent `{self.name}` wants to call `{call.name}` with {arguments}. Allow it?", **kw))
        if answer.approved:
            return None
        return f"refused: {answer.by} did not allow `{call.name}` to run"

    @staticmethod
    def _step(call: Callable, spec: ToolSpec) -> tuple:
        try:
            out = call()
        except StepError as e:
            n = e.attempts
            tries = f"failed after {n} attempt{'' if n == 1 else 's'}: " if n else "failed: "
            return "failed", f"error: tool `{spec.name}` {tries}{e.message} ({e.code})"
        return "done", out if isinstance(out, str) else dumps(out)

    @staticmethod
    def _run_agent(ctx: Ctx, spec: ToolSpec, args: list) -> tuple:
        try:
            out = spec.agent.run(ctx, args[0])
        except (AgentError, WorkflowError) as e:
            return "failed", f"error: tool `{spec.name}` failed: {e.message} ({e.code})"
        value = out.output
        return "done", value if isinstance(value, str) else dumps(value)

    def _take(self, ctx: Ctx, run: _Progress, records: list) -> None:
        last_invalid = None
        for r in records:
            self._emit_tool(ctx, r)
            if r.status == "invalid":
                last_invalid = r.result
            run.transcript.append(Message("tool", r.result, [], r.id))
            run.tool_calls.append(r)
        if last_invalid is None:
            run.bad_turns = 0
            return
        run.bad_turns += 1
        if run.bad_turns > self.max_repairs:
            raise AgentError(f"{run.bad_turns} turns in a row asked for tools wrongly; the last: {last_invalid}",
                             code="agent-bad-tool-calls", details={"turns": run.bad_turns})

    # ---- events --------------------------------------------------------

    def _emit_turn(self, ctx: Ctx, turn: int, reply) -> None:
        calls = [{"id": c.id, "name": c.name,
                  "arguments": c.arguments if isinstance(c.arguments, str) else json.dumps(c.arguments)}
                 for c in reply.tool_calls]
        ctx.emit("agent.turn", {
            "agent": self.name, "turn": turn, "content": reply.content, "tool_calls": calls,
            "finish_reason": reply.finish_reason, "input_tokens": reply.input_tokens,
            "output_tokens": reply.output_tokens,
        })

    def _emit_tool(self, ctx: Ctx, r: ToolCallRecord) -> None:
        ctx.emit("agent.tool", {
            "agent": self.name, "turn": r.turn, "call_id": r.id, "tool": r.name,
            "arguments": r.arguments, "status": r.status, "result": r.result,
        })

    def as_tool(self, name: str, description: str) -> ToolSpec:
        """This agent as a tool of another: it takes ``{"input": "..."}``."""
        return ToolSpec(
            name=name,
            description=description,
            parameters={"type": "object",
                        "properties": {"input": {"type": "string", "description": "What to ask the agent."}},
                        "required": ["input"]},
            agent=self,
        )


def _spec_of(tools: list, name: str) -> Optional[ToolSpec]:
    return next((t for t in tools if t.name == name), None)
