"""Decoding: JSON text to objects, rebuilding every marker object.

The standard library's C parser reads the text. Text in which no key can be a
marker (no ``"__`` and no escaped underscore) is returned as parsed; otherwise one
walk over the parsed tree rebuilds marker objects bottom-up, as NNI 3.0 does,
keeping the JSON path for errors.
"""

from __future__ import annotations

import json
import re
import sys
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from traceable import _wire
from traceable._codecs import stdlib
from traceable._encode import format_path
from traceable._pickle import unpickle_b64
from traceable._symbols import import_path, import_symbol
from traceable._tracing import retrace
from traceable.exceptions import DecodeError

# One alternation, so that a "#" or "//" inside a string is part of the string match.
_COMMENT = re.compile(r'"(?:\\.|[^"\\])*"|(?:#|//)[^\n]*')


def strip_comments(text: str) -> str:
    """Remove ``#`` and ``//`` comments outside strings."""
    return _COMMENT.sub(lambda m: m.group(0) if m.group(0)[0] == '"' else "", text)


def _may_have_markers(text: str) -> bool:
    return '"__' in text or "\\u005f" in text or "\\u005F" in text


def parse(text: str, *, preserve_order: bool = False, ignore_comments: bool = True) -> Any:
    """Parse JSON text (with comments, if allowed) into plain dicts and lists.

    Raises:
        DecodeError: the text is not JSON.
    """
    hook = OrderedDict if preserve_order else None
    try:
        return json.loads(text, object_pairs_hook=hook)
    except json.JSONDecodeError as err:
        if ignore_comments and ("#" in text or "//" in text):
            try:
                return json.loads(strip_comments(text), object_pairs_hook=hook)
            except json.JSONDecodeError:
                pass
        raise DecodeError(f"the payload is not valid JSON: {err.msg} at line {err.lineno} column {err.colno}") from err
    except RecursionError as err:
        raise DecodeError(
            f"the payload nests deeper than Python's recursion limit ({sys.getrecursionlimit()})"
        ) from err


def loads(text: str, *, preserve_order: bool = False, ignore_comments: bool = True) -> Any:
    """Parse JSON text and rebuild every marker object in it."""
    tree = parse(text, preserve_order=preserve_order, ignore_comments=ignore_comments)
    if not _may_have_markers(text):
        return tree
    try:
        return _Decoder().decode(tree)
    except RecursionError as err:
        raise DecodeError(
            f"the payload nests deeper than Python's recursion limit ({sys.getrecursionlimit()})"
        ) from err


class _Located(DecodeError):
    # A DecodeError that already names its path: passed through by outer markers.
    pass


class _Decoder:
    def __init__(self) -> None:
        self.keys: list[str | int] = []
        self.symbols: dict[str, Any] = {}  # bytes: symbols, unpickled once per payload

    def decode(self, obj: Any) -> Any:
        if isinstance(obj, dict):
            if _MARKERS.isdisjoint(obj):
                for key, value in obj.items():
                    if isinstance(value, (dict, list)):
                        obj[key] = self.child(value, key)
                return obj
            return self._marker(obj)
        if isinstance(obj, list):
            for i, value in enumerate(obj):
                if isinstance(value, (dict, list)):
                    obj[i] = self.child(value, i)
        return obj

    def child(self, value: Any, key: str | int) -> Any:
        """Decode ``value``, found under ``key`` of the object being decoded."""
        self.keys.append(key)
        try:
            return self.decode(value)
        finally:
            self.keys.pop()

    def _marker(self, obj: dict[str, Any]) -> Any:
        marker = next(key for key in obj if key in _MARKERS)
        handler = _HANDLERS[marker]
        try:
            return handler(obj, self)
        except _Located:
            raise
        except Exception as err:
            path = format_path(self.keys)
            reason = str(err) if isinstance(err, DecodeError) else f"{type(err).__name__}: {err}"
            raise _Located(f"cannot decode the {marker} object at {path}: {reason}", path) from err

    def fields(self, obj: dict[str, Any], *skip: str) -> dict[str, Any]:
        """The decoded values of ``obj``, except the keys ``skip``."""
        return {k: (self.child(v, k) if isinstance(v, (dict, list)) else v) for k, v in obj.items() if k not in skip}

    def symbol(self, name: Any) -> Any:
        if isinstance(name, str) and name.startswith(_wire.BYTES_PREFIX):
            if name not in self.symbols:
                self.symbols[name] = import_symbol(name)
            return self.symbols[name]
        return import_symbol(name)


def _decode_traced(obj: dict[str, Any], decoder: _Decoder) -> Any:
    symbol = decoder.symbol(obj[_wire.SYMBOL])
    args = decoder.child(obj.get(_wire.ARGS, []), _wire.ARGS)
    kwargs = decoder.child(obj.get(_wire.KWARGS, {}), _wire.KWARGS)
    if not isinstance(args, list):
        raise DecodeError(f"{_wire.ARGS} must be a list, not {type(args).__name__}")
    if not isinstance(kwargs, dict):
        raise DecodeError(f"{_wire.KWARGS} must be an object, not {type(kwargs).__name__}")
    if not callable(symbol):
        raise DecodeError(f"{symbol!r} is not a class or function")
    try:
        return retrace(symbol)(*args, **kwargs)
    except Exception as err:
        name = getattr(symbol, "__qualname__", repr(symbol))
        raise DecodeError(f"calling {name} with the recorded arguments raised {type(err).__name__}: {err}") from err


def _decode_type(obj: dict[str, Any], decoder: _Decoder) -> Any:
    return decoder.symbol(obj[_wire.TYPE])


def _decode_custom(obj: dict[str, Any], decoder: _Decoder) -> Any:
    cls = decoder.symbol(obj[_wire.INSTANCE_TYPE])
    load = getattr(cls, "_load", None)
    if load is None:
        raise DecodeError(f"{cls!r} has no _load() to rebuild it from its fields")
    return load(**decoder.fields(obj, _wire.INSTANCE_TYPE))


def _decode_pickled(obj: dict[str, Any], decoder: _Decoder) -> Any:
    return unpickle_b64(obj[_wire.PICKLED], what="the pickled object")


def _decode_enum(obj: dict[str, Any], decoder: _Decoder) -> Any:
    return stdlib.decode_enum(obj, import_path)


def _decode_ndarray(obj: dict[str, Any], decoder: _Decoder) -> Any:
    from traceable._codecs import numpy as codec

    return codec.decode_ndarray(obj, lambda data: decoder.child(data, _wire.NDARRAY))


def _decode_dataframe(obj: dict[str, Any], decoder: _Decoder) -> Any:
    from traceable._codecs import pandas as codec

    return codec.decode_dataframe(decoder.fields(obj))


def _decode_series(obj: dict[str, Any], decoder: _Decoder) -> Any:
    from traceable._codecs import pandas as codec

    return codec.decode_series(decoder.fields(obj))


def _plain(decode: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any], _Decoder], Any]:
    def handler(obj: dict[str, Any], decoder: _Decoder) -> Any:
        return decode(decoder.fields(obj))

    return handler


# In NNI 3.0's order of precedence, for the rare object that carries two markers.
_HANDLERS: dict[str, Callable[[dict[str, Any], _Decoder], Any]] = {
    _wire.PATHLIB: _plain(stdlib.decode_path),
    _wire.DATAFRAME: _decode_dataframe,
    _wire.SERIES: _decode_series,
    _wire.NDARRAY: _decode_ndarray,
    _wire.ENUM: _decode_enum,
    **{marker: _plain(decode) for marker, decode in stdlib.DECODERS.items() if marker != _wire.PATHLIB},
    _wire.SYMBOL: _decode_traced,
    _wire.INSTANCE_TYPE: _decode_custom,
    _wire.TYPE: _decode_type,
    _wire.PICKLED: _decode_pickled,
}
_MARKERS = frozenset(_HANDLERS)
