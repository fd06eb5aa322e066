"""The errors a workflow author raises and catches.

Both carry a machine-readable ``code``, a ``message`` for people and
optional JSON ``details``: what the WIT ``error-info`` record holds.
"""

from __future__ import annotations

from typing import Any, Optional


class StepError(Exception):
    """Why a step attempt failed, or (as the body sees it) why a step failed
    for good.

    Raise it from a step: the host retries the attempt when ``retryable`` is
    true and the step's policy allows, otherwise the failure is final. Any
    other exception a step raises is a retryable ``StepError`` with code
    ``"error"``. In the body, :meth:`Ctx.step` raises the final failure,
    with ``step`` and ``attempts`` filled in; left uncaught, it fails the run
    with code ``"step-failed"``.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str = "error",
        details: Any = None,
        retryable: bool = True,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details
        self.retryable = retryable
        self.step: Optional[str] = None
        self.attempts: Optional[int] = None

    @classmethod
    def retryable_error(cls, message: str, *, code: str = "error", details: Any = None) -> "StepError":
        """A failure the host retries per the step's policy."""
        return cls(message, code=code, details=details, retryable=True)

    @classmethod
    def fatal(cls, message: str, *, code: str = "error", details: Any = None) -> "StepError":
        """A failure retrying cannot help."""
        return cls(message, code=code, details=details, retryable=False)

    def __str__(self) -> str:
        head = ""
        if self.step is not None:
            head = f"step `{self.step}` failed"
            if self.attempts is not None:
                head += f" after {self.attempts} attempt{'' if self.attempts == 1 else 's'}"
            head += ": "
        return f"{head}{self.code}: {self.message}"


class WorkflowError(Exception):
    """Why a workflow failed: raise it from the body.

    Any other exception the body raises fails the run too, with code
    ``"error"`` and the exception's type and message.
    """

    def __init__(self, message: str, *, code: str = "error", details: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class BatchError(WorkflowError):
    """:meth:`Ctx.map` had failed items; ``failed`` lists ``(index, StepError)``.

    Uncaught, it fails the run with code ``"batch-failed"``.
    """

    def __init__(self, step: str, total: int, failed: list) -> None:
        names = ", ".join(f"#{i} ({e.code}: {e.message})" for i, e in failed)
        super().__init__(
            f"{len(failed)} of {total} items of step `{step}` failed: {names}",
            code="batch-failed",
            details={
                "step": step,
                "total": total,
                "failed": [{"index": i, "code": e.code, "message": e.message} for i, e in failed],
            },
        )
        self.step = step
        self.total = total
        self.failed = failed


class StateError(WorkflowError):
    """A state call was refused: a reserved key (``_`` prefix, code
    ``"reserved-key"``) or session state in a run without a session
    (code ``"no-session"``)."""


class WaitError(WorkflowError):
    """A wait ended without a value: its timeout passed with no default
    (code ``"timeout"``), or the prompt is malformed (code ``"bad-prompt"``)."""


class LlmError(WorkflowError):
    """An LLM call failed: no such provider (code ``"not-configured"``), a
    malformed request (``"bad-request"``) or the provider's own code
    (``"rate-limited"``, ``"server-error"``, ...)."""
