"""Type annotations as JSON Schemas (for the manifest) and as converters
of JSON values (for inputs and outputs).

Understood: ``str``, ``int``, ``float``, ``bool``, ``None``, ``list[T]``,
``tuple[...]``, ``dict[str, T]``, ``Optional[T]`` / ``T | None``,
``Union``, ``Literal``, ``Any``, dataclasses, ``TypedDict`` and pydantic
models (through their own ``model_json_schema`` / ``model_validate``).
Anything else is described as any value and passed through unchanged.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from typing import Any

_NONE = type(None)


def hints(f) -> dict:
    """The resolved annotations of ``f``; unresolvable ones are dropped."""
    try:
        return typing.get_type_hints(f)
    except Exception:
        return {}


def _is_pydantic(t) -> bool:
    return isinstance(t, type) and hasattr(t, "model_json_schema") and hasattr(t, "model_validate")


def _is_typeddict(t) -> bool:
    return isinstance(t, type) and issubclass(t, dict) and hasattr(t, "__annotations__") and hasattr(t, "__total__")


def schema(t, defs: dict | None = None) -> dict:
    """A JSON Schema (draft 2020-12) for the annotation ``t``."""
    top = defs is None
    defs = {} if defs is None else defs
    out = _schema(t, defs)
    if top and defs:
        out = dict(out)
        out["$defs"] = defs
    return out


def _schema(t, defs: dict) -> dict:
    if t is Any:
        return {}
    if t is None or t is _NONE:
        return {"type": "null"}
    if t is str:
        return {"type": "string"}
    if t is bool:
        return {"type": "boolean"}
    if t is int:
        return {"type": "integer"}
    if t is float:
        return {"type": "number"}
    origin = typing.get_origin(t)
    args = typing.get_args(t)
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [_schema(a, defs) for a in args]}
    if origin is typing.Literal:
        return {"enum": list(args)}
    if origin in (list, set, frozenset) or t in (list, set, frozenset):
        item = _schema(args[0], defs) if args else {}
        return {"type": "array", "items": item} if item else {"type": "array"}
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": _schema(args[0], defs)}
        return {
            "type": "array",
            "prefixItems": [_schema(a, defs) for a in args],
            "minItems": len(args),
            "maxItems": len(args),
        }
    if origin is dict or t is dict:
        if len(args) == 2:
            return {"type": "object", "additionalProperties": _schema(args[1], defs) or True}
        return {"type": "object"}
    if isinstance(t, type) and issubclass(t, enum.Enum):
        return {"enum": [m.value for m in t]}
    if _is_pydantic(t):
        return _ref(t, defs, lambda: t.model_json_schema(ref_template="#/$defs/{model}"))
    if dataclasses.is_dataclass(t) and isinstance(t, type):
        return _ref(t, defs, lambda: _object(t, defs, _dataclass_fields(t)))
    if _is_typeddict(t):
        required = getattr(t, "__required_keys__", set(typing.get_type_hints(t)))
        return _ref(t, defs, lambda: _object(t, defs, [(k, v, k in required) for k, v in typing.get_type_hints(t).items()]))
    return {}


def _ref(t, defs: dict, make) -> dict:
    name = t.__name__
    if name not in defs:
        defs[name] = {}  # a placeholder breaks cycles
        made = make()
        nested = made.pop("$defs", None) if isinstance(made, dict) else None
        if nested:
            defs.update(nested)
        defs[name] = made
    return {"$ref": f"#/$defs/{name}"}


def _dataclass_fields(t) -> list:
    h = typing.get_type_hints(t)
    out = []
    for f in dataclasses.fields(t):
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        out.append((f.name, h.get(f.name, Any), required))
    return out


def _object(t, defs: dict, fields: list) -> dict:
    props = {name: _schema(ft, defs) for name, ft, _ in fields}
    # Unknown fields are refused by `convert` (a dataclass cannot hold
    # them), so the schema says so, and the host refuses them at start.
    out: dict = {"type": "object", "title": t.__name__, "properties": props, "additionalProperties": False}
    required = [name for name, _, req in fields if req]
    if required:
        out["required"] = required
    return out


# ---- values ----------------------------------------------------------------


def to_json(value: Any) -> Any:
    """``value`` as plain JSON data: dataclasses, pydantic models, enums,
    tuples and sets become objects, strings and lists."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, enum.Enum):
        return to_json(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "model_dump") and callable(value.model_dump):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, (set, frozenset)):
        items = [to_json(v) for v in value]
        try:
            return sorted(items)  # a set's order depends on hashing: sort it
        except TypeError:
            return items
    raise TypeError(f"a {type(value).__name__} is not a JSON value")


def convert(value: Any, t) -> Any:
    """Builds the annotated type ``t`` from the JSON data ``value``;
    raises ``TypeError``/``ValueError`` when it does not fit."""
    if t is Any or t is None or value is None and _optional(t):
        return value
    if _is_pydantic(t):
        return t.model_validate(value)
    if dataclasses.is_dataclass(t) and isinstance(t, type):
        if not isinstance(value, dict):
            raise TypeError(f"expected an object for {t.__name__}, got {_kind(value)}")
        h = typing.get_type_hints(t)
        names = {f.name for f in dataclasses.fields(t)}
        unknown = set(value) - names
        if unknown:
            raise TypeError(f"{t.__name__} has no field {', '.join(sorted(unknown))}")
        return t(**{k: convert(v, h.get(k, Any)) for k, v in value.items()})
    if isinstance(t, type) and issubclass(t, enum.Enum):
        return t(value)
    origin = typing.get_origin(t)
    args = typing.get_args(t)
    if origin in (typing.Union, types.UnionType):
        last: Exception | None = None
        for a in args:
            try:
                return convert(value, a)
            except (TypeError, ValueError) as e:
                last = e
        raise TypeError(f"{_kind(value)} fits none of {t}") from last
    if origin is list and args:
        _expect(value, list, t)
        return [convert(v, args[0]) for v in value]
    if origin is tuple and args:
        _expect(value, list, t)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(convert(v, args[0]) for v in value)
        if len(value) != len(args):
            raise TypeError(f"expected {len(args)} items, got {len(value)}")
        return tuple(convert(v, a) for v, a in zip(value, args))
    if origin is dict and len(args) == 2:
        _expect(value, dict, t)
        return {k: convert(v, args[1]) for k, v in value.items()}
    if t is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if t in (str, int, float, bool, list, dict):
        _expect(value, t, t)
        if t is int and isinstance(value, bool):
            raise TypeError("expected an integer, got a boolean")
    return value


def _optional(t) -> bool:
    return _NONE in typing.get_args(t)


def _expect(value, cls, t) -> None:
    if not isinstance(value, cls):
        raise TypeError(f"expected {getattr(t, '__name__', t)}, got {_kind(value)}")


def _kind(value) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            int: "an integer", float: "a number", _NONE: "null"}.get(type(value), type(value).__name__)
