"""Collections and small standard values with their own markers: deque, Counter,
defaultdict, OrderedDict, UUID and Ellipsis.

The JSON writer takes dict subclasses (Counter, defaultdict, OrderedDict) as plain
dicts before any hook sees them, as NNI does: these three keep their type in the
lossless mode. deque, UUID and Ellipsis keep it in both modes.
"""

from __future__ import annotations

import collections
import uuid
from typing import Any

from traceable import _registry, _wire
from traceable._codecs import stdlib


def _items(data: Any, what: str) -> list[Any]:
    if type(data) is not list:
        message = f"{what} must be written as a list, not {type(data).__name__}"
        raise ValueError(message)
    return data


def encode_deque(obj: collections.deque[Any]) -> Any:
    items = list(obj)
    return items if obj.maxlen is None else {"items": items, "maxlen": obj.maxlen}


def decode_deque(data: Any) -> collections.deque[Any]:
    if isinstance(data, dict):
        maxlen = data.get("maxlen")
        if maxlen is not None and (type(maxlen) is not int or maxlen < 0):
            message = f"a deque's maxlen must be a non-negative integer or null, not {maxlen!r}"
            raise ValueError(message)
        return collections.deque(_items(data.get("items"), "a deque's items"), maxlen)
    return collections.deque(_items(data, "a deque"))


def _pairs(data: Any, what: str) -> list[tuple[Any, Any]]:
    # [[key, value], ...]: keys of any type (ints, tuples) survive; a JSON object would not.
    pairs = _items(data, what)
    if not all(type(pair) in (list, tuple) and len(pair) == 2 for pair in pairs):
        message = f"{what} must be written as [[key, value], ...]"
        raise ValueError(message)
    # A key that was a tuple reads back as a list in the default mode.
    keys = [stdlib.hashable(key) for key, _ in pairs]
    stdlib.refuse_colliding(keys)
    return list(zip(keys, (value for _, value in pairs), strict=True))


def encode_counter(obj: collections.Counter[Any]) -> list[list[Any]]:
    return [[key, count] for key, count in obj.items()]


def decode_counter(data: Any) -> collections.Counter[Any]:
    return collections.Counter(dict(_pairs(data, "a Counter")))


# Factories written by name rather than as an import, so that the safe policy, which
# imports nothing unasked, still loads a defaultdict(list).
_FACTORIES: dict[Any, str] = {
    factory: factory.__name__ for factory in (list, dict, set, int, float, str, bytes, tuple, frozenset, bool)
}
_FACTORIES.update({collections.Counter: "Counter", collections.OrderedDict: "OrderedDict", collections.deque: "deque"})
_FACTORY_NAMES = {name: factory for factory, name in _FACTORIES.items()}


def encode_defaultdict(obj: collections.defaultdict[Any, Any]) -> dict[str, Any]:
    factory = obj.default_factory
    try:
        named: Any = _FACTORIES.get(factory, factory)
    except TypeError:  # an unhashable factory (a functools.partial of a list...)
        named = factory
    return {"factory": named, "items": [[key, value] for key, value in obj.items()]}


def decode_defaultdict(data: Any) -> collections.defaultdict[Any, Any]:
    if not isinstance(data, dict) or "items" not in data:
        message = 'a defaultdict must be written as {"factory": ..., "items": [[key, value], ...]}'
        raise ValueError(message)
    factory = data.get("factory")
    if isinstance(factory, str):
        if factory not in _FACTORY_NAMES:
            message = f"unknown defaultdict factory {factory!r}; known by name: {', '.join(_FACTORY_NAMES)}"
            raise ValueError(message)
        factory = _FACTORY_NAMES[factory]
    elif factory is not None and not callable(factory):
        message = f"a defaultdict's factory must be callable or null, not {type(factory).__name__}"
        raise ValueError(message)
    return collections.defaultdict(factory, _pairs(data["items"], "a defaultdict's items"))


def encode_ordereddict(obj: collections.OrderedDict[Any, Any]) -> list[list[Any]]:
    return [[key, value] for key, value in obj.items()]


def decode_ordereddict(data: Any) -> collections.OrderedDict[Any, Any]:
    return collections.OrderedDict(_pairs(data, "an OrderedDict"))


def decode_uuid(data: Any) -> uuid.UUID:
    if not isinstance(data, str):
        message = f"a UUID must be written as a string, not {type(data).__name__}"
        raise ValueError(message)
    return uuid.UUID(data)


def decode_ellipsis(data: Any) -> Any:
    return ...


_registry.builtin(collections.deque, _wire.DEQUE, encode_deque, decode_deque)
_registry.builtin(collections.Counter, _wire.COUNTER, encode_counter, decode_counter)
_registry.builtin(collections.defaultdict, _wire.DEFAULTDICT, encode_defaultdict, decode_defaultdict)
_registry.builtin(collections.OrderedDict, _wire.ORDEREDDICT, encode_ordereddict, decode_ordereddict)
_registry.builtin(uuid.UUID, _wire.UUID, str, decode_uuid)
_registry.builtin(type(...), _wire.ELLIPSIS, lambda obj: None, decode_ellipsis)
