"""Where in a payload: JSON paths, and finding where an encoding failed.

A path reads ``$.model.__kwargs__.layers[3]``. The standard library's C encoder knows no
paths, so after it fails, a second, side-effect-free walk over the value (expanding traced
objects, ``_dump()`` and codecs as they are written) finds where the culprit is.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from typing import Any

from traceable import _registry, _wire
from traceable._codecs import stdlib
from traceable._traced import record_parts
from traceable.exceptions import EncodeError, PayloadTooLarge

__all__ = ["IDENTIFIER", "Keys", "find_json_error", "format_path", "label", "locate", "located"]

Keys = tuple[str | int, ...]  # a place in a payload: the keys and indexes from its root
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")  # a key written .key, not ["key"]


def format_path(keys: Keys | list[str | int]) -> str:
    """``("model", "__kwargs__", "layers", 3)`` -> ``$.model.__kwargs__.layers[3]``."""
    parts = ["$"]
    for key in keys:
        if isinstance(key, int) and not isinstance(key, bool):
            parts.append(f"[{key}]")
        elif isinstance(key, str) and IDENTIFIER.match(key):
            parts.append(f".{key}")
        else:
            parts.append(f"[{json.dumps(str(key))}]")
    return "".join(parts)


def label(obj: Any) -> str:
    """What an error calls ``obj``: ``a mymod.Sampler``, or ``class mymod.Sampler`` (builtins unqualified)."""
    cls = obj if isinstance(obj, type) else type(obj)
    module = cls.__module__
    name = cls.__qualname__ if module in ("builtins", "__main__") else f"{module}.{cls.__qualname__}"
    return f"class {name}" if isinstance(obj, type) else f"a {name}"


def located(error: EncodeError, prefix: str, path: str) -> EncodeError:
    """``error`` again, its message after ``prefix`` and carrying ``path`` (a PayloadTooLarge stays one)."""
    if isinstance(error, PayloadTooLarge):
        return PayloadTooLarge(prefix + str(error), path, size=error.size, limit=error.limit)
    return EncodeError(prefix + str(error), path)


# -- finding where a failure is (only ever run after one) ------------------------------


def locate(root: Any, match: Callable[[Any], bool], *, use_trace: bool) -> str | None:
    """The JSON path of the first value in ``root`` (depth first) that ``match`` accepts."""
    seen: set[int] = set()
    stack: list[tuple[Any, Keys]] = [(root, ())]
    while stack:
        obj, keys = stack.pop()
        if match(obj):
            return format_path(keys)
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        children = list(_children(obj, use_trace))
        stack.extend((child, (*keys, key)) for key, child in reversed(children))
    return None


def find_json_error(root: Any, message: str, *, use_trace: bool) -> tuple[str, str] | None:
    """The path and the message of the JSON writer's ``ValueError`` (a cycle, a NaN), if found."""
    if "Circular reference" in message:
        path = _locate_cycle(root, use_trace)
        if path is not None:
            return path, (
                f"cannot encode the value at {path}: it contains itself, and JSON cannot "
                "represent a cycle; break the cycle before dumping"
            )
    elif "Out of range float" in message:
        path = locate(root, lambda v: isinstance(v, float) and not math.isfinite(v), use_trace=use_trace)
        if path is not None:
            return path, f"cannot encode the float at {path}: allow_nan=False forbids NaN and infinities"
    return None


def _locate_cycle(root: Any, use_trace: bool) -> str | None:
    def visit(obj: Any, keys: Keys, ancestors: set[int]) -> str | None:
        if id(obj) in ancestors:
            return format_path(keys)
        if not isinstance(obj, (dict, list, tuple)) and record_parts(obj) is None:
            return None
        ancestors.add(id(obj))
        for key, child in _children(obj, use_trace):
            found = visit(child, (*keys, key), ancestors)
            if found is not None:
                return found
        ancestors.discard(id(obj))
        return None

    try:
        return visit(root, (), set())
    except RecursionError:
        return None


def _children(obj: Any, use_trace: bool) -> Iterator[tuple[str | int, Any]]:
    if isinstance(obj, dict):
        yield from obj.items()
    elif isinstance(obj, (list, tuple)):
        yield from enumerate(obj)
    elif isinstance(obj, (set, frozenset)):  # as written: {"__set__": [sorted items]}
        marker = _wire.SET if isinstance(obj, set) else _wire.FROZENSET
        yield marker, stdlib.sorted_if_possible(obj)
    elif type(obj).__module__ == "numpy" and type(obj).__name__ == "ndarray":
        yield _wire.NDARRAY, obj.tolist()
    elif not isinstance(obj, (str, int, float, type(None))):
        try:  # expand what expands cheaply and without side effects
            parts = record_parts(obj) if use_trace else None
            if parts is not None:
                _, args, kwargs = parts
                yield from [(_wire.ARGS, args)] * bool(args) + [(_wire.KWARGS, kwargs)] * bool(kwargs)
            elif hasattr(obj, "_dump") and hasattr(obj, "_load"):
                yield from obj._dump().items()
            else:  # a codec's value: as written, {"__marker__": data}
                codec = _registry.by_type(type(obj)) or _registry.family_codec(type(obj))
                if codec is not None:
                    yield from codec.write(obj).items()
        except Exception:
            return
