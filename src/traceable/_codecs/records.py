"""Classes whose instances are their fields: dataclasses and named tuples, by field.

Written as ``{"__dataclass__": {"type": <the class>, "fields": {...}}}``: the class is
an ordinary class value (``__nni_type__``), so a load policy checks it like any other
import, and the fields are ordinary values. Loading calls the class with its ``__init__``
fields, as ``dataclasses.replace`` does, then sets the others.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from traceable import _registry, _wire


def _parts(data: Any, kind: str, is_kind: Any) -> tuple[type, dict[str, Any]]:
    if not isinstance(data, dict) or set(data) != {"type", "fields"}:
        message = f'a {kind} must be written as {{"type": <class>, "fields": {{...}}}}'
        raise ValueError(message)
    cls, fields = data["type"], data["fields"]
    if not isinstance(cls, type) or not is_kind(cls):
        message = f"{cls!r} is not a {kind} class"
        raise ValueError(message)
    if not isinstance(fields, dict):
        message = f"a {kind}'s fields must be an object, not {type(fields).__name__}"
        raise ValueError(message)
    return cls, fields


def is_dataclass_type(cls: type) -> bool:
    return dataclasses.is_dataclass(cls)


def encode_dataclass(obj: Any) -> dict[str, Any]:
    fields = {field.name: getattr(obj, field.name) for field in dataclasses.fields(obj) if hasattr(obj, field.name)}
    return {"type": type(obj), "fields": fields}


def decode_dataclass(data: Any) -> Any:
    cls, fields = _parts(data, "dataclass", is_dataclass_type)
    known = {field.name: field for field in dataclasses.fields(cls)}
    unknown = set(fields) - set(known)
    if unknown:
        message = f"{cls.__qualname__} has no field(s) {', '.join(sorted(unknown))}; was the class changed?"
        raise ValueError(message)
    obj = cls(**{name: value for name, value in fields.items() if known[name].init})
    for name, value in fields.items():
        if not known[name].init:
            object.__setattr__(obj, name, value)  # (frozen dataclasses too)
    return obj


def is_namedtuple_type(cls: type) -> bool:
    return issubclass(cls, tuple) and isinstance(getattr(cls, "_fields", None), tuple) and hasattr(cls, "_make")


def encode_namedtuple(obj: Any) -> dict[str, Any]:
    return {"type": type(obj), "fields": dict(zip(obj._fields, obj, strict=True))}


def decode_namedtuple(data: Any) -> Any:
    cls, fields = _parts(data, "named tuple", is_namedtuple_type)
    return cls(**fields)


_registry.builtin_family(is_dataclass_type, _wire.DATACLASS, encode_dataclass, decode_dataclass)
_registry.builtin_family(is_namedtuple_type, _wire.NAMEDTUPLE, encode_namedtuple, decode_namedtuple)
