"""Classes whose instances are their fields: dataclasses, named tuples, attrs classes and
pydantic models, by field.

Written as ``{"__dataclass__": {"type": <the class>, "fields": {...}}}`` (and likewise
``__namedtuple__``, ``__attrs__``, ``__pydantic__``): the class is an ordinary class
value (``__nni_type__``), so a load policy checks it like any other import, and the
fields are ordinary values, keyed by attribute name. Loading calls the class with its
``__init__`` fields, as ``dataclasses.replace`` does, then sets the others; a pydantic
model is validated again, by field name whatever its aliases.

attrs and pydantic are never imported here: an attrs class is known by the
``__attrs_attrs__`` it carries, and a pydantic model can exist only once pydantic has
loaded its ``BaseModel``.
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

from traceable import _registry, _wire


def _parts(data: Any, kind: str, is_kind: Any) -> tuple[type, dict[str, Any]]:
    a = "an" if kind[0] in "aeiou" else "a"
    if not isinstance(data, dict) or set(data) != {"type", "fields"}:
        message = f'{a} {kind} must be written as {{"type": <class>, "fields": {{...}}}}'
        raise ValueError(message)
    cls, fields = data["type"], data["fields"]
    if not isinstance(cls, type) or not is_kind(cls):
        message = f"{cls!r} is not {a} {kind} class"
        raise ValueError(message)
    if not isinstance(fields, dict):
        message = f"{a} {kind}'s fields must be an object, not {type(fields).__name__}"
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
    _check_known(cls, fields, known)
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


def _check_known(cls: type, fields: dict[str, Any], known: Any) -> None:
    unknown = set(fields) - set(known)
    if unknown:
        message = f"{cls.__qualname__} has no field(s) {', '.join(sorted(unknown))}; was the class changed?"
        raise ValueError(message)


def is_attrs_type(cls: type) -> bool:
    return isinstance(getattr(cls, "__attrs_attrs__", None), tuple)


def encode_attrs(obj: Any) -> dict[str, Any]:
    names = [attribute.name for attribute in type(obj).__attrs_attrs__]
    return {"type": type(obj), "fields": {name: getattr(obj, name) for name in names if hasattr(obj, name)}}


def decode_attrs(data: Any) -> Any:
    cls, fields = _parts(data, "attrs", is_attrs_type)
    known = {attribute.name: attribute for attribute in cls.__attrs_attrs__}  # type: ignore[attr-defined]
    _check_known(cls, fields, known)
    # __init__ takes a private attribute "_x" as "x" (attrs 22.2 and later name it the alias).
    init = {
        getattr(known[name], "alias", None) or name.lstrip("_"): value
        for name, value in fields.items()
        if known[name].init
    }
    obj = cls(**init)
    for name, value in fields.items():
        if not known[name].init:
            object.__setattr__(obj, name, value)  # (frozen classes too)
    return obj


def is_pydantic_type(cls: type) -> bool:
    main = sys.modules.get("pydantic.main")
    base = getattr(main, "BaseModel", None)
    # pydantic 2's models (1's, which have no model_validate, are pickled like other objects).
    return base is not None and hasattr(base, "model_validate") and issubclass(cls, base)


def encode_pydantic(obj: Any) -> dict[str, Any]:
    cls = type(obj)
    if getattr(cls, "__pydantic_root_model__", False):
        return {"type": cls, "fields": {"root": obj.root}}
    names = cls.model_fields
    fields = {name: value for name, value in vars(obj).items() if name in names}  # (not cached properties)
    fields.update(obj.__pydantic_extra__ or {})
    return {"type": cls, "fields": fields}


def decode_pydantic(data: Any) -> Any:
    cls, fields = _parts(data, "pydantic model", is_pydantic_type)
    model: Any = cls
    if getattr(cls, "__pydantic_root_model__", False):
        _check_known(cls, fields, ["root"])
        return model.model_validate(fields.get("root"), strict=False)
    try:
        # strict=False: JSON has given a tuple back as a list, which a strict model refuses.
        return model.model_validate(fields, strict=False, by_alias=False, by_name=True)
    except TypeError as err:
        if "unexpected keyword argument" not in str(err):
            raise
        version = getattr(sys.modules.get("pydantic.version"), "VERSION", "older")
        message = (
            f"rebuilding a pydantic model needs pydantic 2.11 or newer (this is {version}): pip install -U pydantic"
        )
        raise ValueError(message) from err


_registry.builtin_family(is_dataclass_type, _wire.DATACLASS, encode_dataclass, decode_dataclass)
_registry.builtin_family(is_namedtuple_type, _wire.NAMEDTUPLE, encode_namedtuple, decode_namedtuple)
_registry.builtin_family(is_attrs_type, _wire.ATTRS, encode_attrs, decode_attrs)
_registry.builtin_family(is_pydantic_type, _wire.PYDANTIC, encode_pydantic, decode_pydantic)
