"""LLM requests and replies (``ctx.llm``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Optional

from ._wit import types as _t


@dataclass
class Message:
    """One chat message; a plain ``{"role": ..., "content": ...}`` dict works too."""

    role: str
    content: str
    tool_calls: list = field(default_factory=list)
    tool_call_id: Optional[str] = None

    @classmethod
    def system(cls, content: str) -> "Message":
        return cls("system", content)

    @classmethod
    def user(cls, content: str) -> "Message":
        return cls("user", content)

    @classmethod
    def assistant(cls, content: str) -> "Message":
        return cls("assistant", content)


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: Any


@dataclass(frozen=True)
class LlmResponse:
    content: str
    tool_calls: list
    finish_reason: str
    input_tokens: int
    output_tokens: int
    model: str

    def json(self) -> Any:
        """The content parsed as JSON."""
        return json.loads(self.content)


def _message(m) -> Any:
    if isinstance(m, dict):
        m = Message(m["role"], m.get("content", ""), m.get("tool_calls", []), m.get("tool_call_id"))
    calls = [
        _t.ToolCall(c["id"], c["name"], c["arguments"] if isinstance(c["arguments"], str) else json.dumps(c["arguments"]))
        if isinstance(c, dict)
        else _t.ToolCall(c.id, c.name, c.arguments if isinstance(c.arguments, str) else json.dumps(c.arguments))
        for c in m.tool_calls
    ]
    return _t.Message(getattr(_t.Role, m.role.upper()), m.content, calls, m.tool_call_id)


def _format(f) -> Any:
    if f is None or f == "text":
        return _t.ResponseFormat_Text()
    if f == "json":
        return _t.ResponseFormat_Json()
    return _t.ResponseFormat_JsonSchema(f if isinstance(f, str) else json.dumps(f))


def llm_request(model, messages, temperature, max_tokens, response_format, tools):
    defs = [
        _t.ToolDef(t["name"], t.get("description", ""), json.dumps(t.get("parameters", {"type": "object"})))
        for t in (tools or [])
    ]
    return _t.LlmRequest(
        model=model,
        messages=[_message(m) for m in messages],
        temperature=temperature,
        max_tokens=max_tokens,
        response_format=_format(response_format),
        tools=defs,
    )


def llm_response(r) -> LlmResponse:
    calls = []
    for c in r.tool_calls:
        try:
            args = json.loads(c.arguments)
        except ValueError:
            args = c.arguments
        calls.append(ToolCall(c.id, c.name, args))
    return LlmResponse(
        content=r.content,
        tool_calls=calls,
        finish_reason=r.finish_reason,
        input_tokens=r.usage.input_tokens,
        output_tokens=r.usage.output_tokens,
        model=r.model,
    )
