"""Prompts for a person and their answers (``ctx.wait_for_user``)."""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field
from typing import Any, Optional

from ._registry import duration_ms
from ._wit import types as _t


@dataclass
class Prompt:
    """A question for a person. Build one with :meth:`approval`, :meth:`text`,
    :meth:`choice`, :meth:`number` or :meth:`json`; an approval's options
    are ``approve`` and ``reject`` unless given."""

    question: str
    input_type: str = "approval"
    options: list = field(default_factory=list)
    min: Optional[float] = None
    max: Optional[float] = None
    schema: Any = None
    timeout: Any = None
    default: Any = None
    context: Any = None
    _has_default: bool = False

    @classmethod
    def approval(cls, question: str, **kw) -> "Prompt":
        return cls._make(question, "approval", kw)

    @classmethod
    def text(cls, question: str, **kw) -> "Prompt":
        return cls._make(question, "text", kw)

    @classmethod
    def choice(cls, question: str, options: list, **kw) -> "Prompt":
        return cls._make(question, "choice", dict(kw, options=options))

    @classmethod
    def number(cls, question: str, **kw) -> "Prompt":
        return cls._make(question, "number", kw)

    @classmethod
    def json(cls, question: str, **kw) -> "Prompt":
        return cls._make(question, "json", kw)

    @classmethod
    def _make(cls, question: str, kind: str, kw: dict) -> "Prompt":
        has_default = "default" in kw
        p = cls(question, kind, **kw)
        p._has_default = has_default
        return p

    def _wit(self):
        from ._ctx import dumps

        options = []
        for o in self.options:
            if isinstance(o, (tuple, list)):
                options.append(_t.PromptOption(str(o[0]), str(o[1])))
            else:
                options.append(_t.PromptOption(str(o), str(o)))
        kind = getattr(_t.InputType, self.input_type.upper())
        timeout = None if self.timeout is None else duration_ms(self.timeout, "prompt timeout")
        return _t.Prompt(
            question=self.question,
            input_type=kind,
            options=options,
            min=None if self.min is None else float(self.min),
            max=None if self.max is None else float(self.max),
            schema=None if self.schema is None else dumps(self.schema),
            timeout_ms=timeout,
            default=dumps(self.default) if self._has_default else None,
            context=None if self.context is None else dumps(self.context),
        )


@dataclass(frozen=True)
class Answer:
    """A person's answer (or the prompt's default after its timeout)."""

    value: Any
    by: str
    at: _dt.datetime
    timed_out: bool

    @property
    def approved(self) -> bool:
        """True when the answer is the option ``approve``."""
        return self.value == "approve"

    @classmethod
    def _from_wit(cls, a) -> "Answer":
        try:
            value = json.loads(a.value)
        except ValueError:
            value = a.value
        at = _dt.datetime.fromtimestamp(a.at_ms / 1000, tz=_dt.timezone.utc)
        return cls(value, a.by, at, a.timed_out)
