"""The generated bindings of the component's world, imported lazily.

componentize-py generates ``wit_world`` while it builds the component; it
exists only inside one. Outside (``python -m cairn build``, a type
checker, a unit test of a step function) the names below are stand-ins
that say so when called.
"""

from __future__ import annotations

try:
    from componentize_py_types import Err
    from wit_world.imports import cairn_types as types
    from wit_world.imports import context

    IN_COMPONENT = True
except ImportError:  # not inside a component
    IN_COMPONENT = False

    class Err(Exception):  # type: ignore[no-redef]
        """The failure case of a WIT ``result`` (componentize-py's ``Err``)."""

        def __init__(self, value):
            super().__init__(value)
            self.value = value

    class _Outside:
        def __init__(self, what: str):
            self._what = what

        def __getattr__(self, name: str):
            raise RuntimeError(
                f"{self._what}.{name} is only available inside a cairn component; "
                "build one with `python -m cairn build app.py`"
            )

    types = _Outside("cairn types")  # type: ignore[assignment]
    context = _Outside("ctx")  # type: ignore[assignment]
