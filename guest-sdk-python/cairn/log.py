"""The run log: ``cairn.log.info("...")``. Lines written in the body are
not repeated on replay; ``print`` goes to the same log."""

from __future__ import annotations

from ._wit import context as _host
from ._wit import types as _t


def _log(level: str, message: str) -> None:
    _host.log(getattr(_t.LogLevel, level), str(message))


def trace(message: str) -> None:
    _log("TRACE", message)


def debug(message: str) -> None:
    _log("DEBUG", message)


def info(message: str) -> None:
    _log("INFO", message)


def warn(message: str) -> None:
    _log("WARN", message)


def error(message: str) -> None:
    _log("ERROR", message)
