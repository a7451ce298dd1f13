"""Markers: rebuilding objects from marker dicts, as a policy allows.

A :class:`Decoder` holds one payload's state: it is the hook the JSON parser calls on
each object as it closes, dispatching a marker object to its handler (in NNI 3.0's order
of precedence), importing each symbol once and checking it against the load policy.
A handler that fails raises :class:`MarkerFailure`, which carries the object's rank so that
the caller can find and name its path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from traceable import _registry, _wire
from traceable._codecs import stdlib
from traceable._pickle import unpickle_b64
from traceable._policy import LoadPolicy
from traceable._symbols import import_path, import_symbol
from traceable._tracing import retrace
from traceable.exceptions import DecodeError, UnsafePayloadError

__all__ = ["HANDLERS", "MARKERS", "Decoder", "MarkerFailure", "decode_codec"]


class MarkerFailure(Exception):
    # A marker handler failed: carries the marker object's rank in closing order.
    def located(self, path: str) -> DecodeError:
        """The public error, once the marker object is found at ``path``."""
        error = self.error
        reason = str(error) if isinstance(error, DecodeError) else f"{type(error).__name__}: {error}"
        message = f"cannot decode the {self.marker} object at {path}: {reason}"
        if isinstance(error, UnsafePayloadError):
            return UnsafePayloadError(message, path, symbol=error.symbol, rule=error.rule)
        return DecodeError(message, path)

    def __init__(self, rank: int, marker: str, error: Exception) -> None:
        super().__init__(str(error))
        self.rank = rank
        self.marker = marker
        self.error = error


class Decoder:
    """The per-payload state of the parser's hook."""

    def __init__(self, policy: LoadPolicy | None) -> None:
        self.policy = policy  # None: trust the payload
        self.rank = 0  # marker objects closed so far
        self.symbols: dict[Any, Any] = {}  # name -> symbol: each imported or unpickled once
        self.callables: dict[Any, Any] = {}  # name -> its traced version, for __symbol__
        # A Decimal int() would take long to convert was decoded: arrays of integers then
        # search their data for it (a search every array would otherwise pay for).
        self.huge_decimals = False

    def hook(self, obj: dict[str, Any]) -> Any:
        if MARKERS.isdisjoint(obj):
            return obj
        self.rank += 1
        for marker in obj:
            if marker in MARKERS:
                break
        try:
            return HANDLERS.get(marker, decode_codec)(obj, self)
        except Exception as err:
            raise MarkerFailure(self.rank, marker, err) from err

    def symbol(self, name: Any) -> Any:
        try:
            return self.symbols[name]
        except (KeyError, TypeError):  # TypeError: an unhashable name, refused below
            symbol = self.symbols[name] = self._import(name)
            return symbol

    def _import(self, name: Any) -> Any:
        policy = self.policy
        if policy is None or not isinstance(name, str):
            return import_symbol(name)
        # Checked again here, where the import happens, and on what it resolves to.
        if name.startswith(_wire.BYTES_PREFIX):
            policy.check_pickle(None, len(name) * 3 // 4, "a pickled class or function")
            return import_symbol(name)
        dotted = name[len(_wire.PATH_PREFIX) :] if name.startswith(_wire.PATH_PREFIX) else name
        return _checked_import(policy, dotted, lambda: import_symbol(name), "a symbol")

    def import_path(self, dotted: str) -> Any:
        """Import a dotted path (an enum's type), as the policy allows."""
        if self.policy is None:
            return import_path(dotted)
        return _checked_import(self.policy, dotted, lambda: import_path(dotted), "an enum type")

    def traced(self, name: Any) -> Any:
        """The traced version of the symbol named ``name``, to call."""
        try:
            return self.callables[name]
        except (KeyError, TypeError):
            symbol = self.symbol(name)
            if not callable(symbol):
                raise DecodeError(f"{symbol!r} is not a class or function") from None
            traced = self.callables[name] = retrace(symbol)
            return traced


def _checked_import(policy: LoadPolicy, dotted: str, load: Callable[[], Any], what: str) -> Any:
    # The name is checked before the import, and what it resolves to after it.
    policy.check_name(dotted, None, what)
    obj = load()
    policy.check_resolved(dotted, obj, None, what)
    return obj


def _decode_traced(obj: dict[str, Any], decoder: Decoder) -> Any:
    traced = decoder.traced(obj[_wire.SYMBOL])
    args = obj.get(_wire.ARGS, ())
    kwargs = obj.get(_wire.KWARGS, _NO_KWARGS)
    if type(args) not in (list, tuple):  # (a tuple in the lossless mode)
        raise DecodeError(f"{_wire.ARGS} must be a list, not {type(args).__name__}")
    if type(kwargs) is not dict and not isinstance(kwargs, dict):
        raise DecodeError(f"{_wire.KWARGS} must be an object, not {type(kwargs).__name__}")
    try:
        return traced(*args, **kwargs)
    except (Exception, SystemExit) as err:  # (a payload's call must not end the loading process)
        name = getattr(traced, "__qualname__", repr(traced))
        raise DecodeError(f"calling {name} with the recorded arguments raised {type(err).__name__}: {err}") from err


_NO_KWARGS: dict[str, Any] = {}


def _decode_type(obj: dict[str, Any], decoder: Decoder) -> Any:
    return decoder.symbol(obj[_wire.TYPE])


def _decode_custom(obj: dict[str, Any], decoder: Decoder) -> Any:
    cls = decoder.symbol(obj[_wire.INSTANCE_TYPE])
    load = getattr(cls, "_load", None)
    if load is None:
        raise DecodeError(f"{cls!r} has no _load() to rebuild it from its fields")
    return load(**{k: v for k, v in obj.items() if k != _wire.INSTANCE_TYPE})


def _decode_pickled(obj: dict[str, Any], decoder: Decoder) -> Any:
    if decoder.policy is not None:
        decoder.policy.check_pickle(None, len(str(obj[_wire.PICKLED])) * 3 // 4, "a pickled object")
    return unpickle_b64(obj[_wire.PICKLED], what="the pickled object", made_with=obj)


def _decode_set(obj: dict[str, Any], decoder: Decoder) -> Any:
    marker = _wire.SET if _wire.SET in obj else _wire.FROZENSET
    decode = stdlib.decode_set if marker == _wire.SET else stdlib.decode_frozenset
    return decode(obj)


def _decode_enum(obj: dict[str, Any], decoder: Decoder) -> Any:
    return stdlib.decode_enum(obj, decoder.import_path)


def _decode_decimal(obj: dict[str, Any], decoder: Decoder) -> Any:
    value = stdlib.decode_decimal(obj)
    if stdlib.is_huge_integer(value):
        decoder.huge_decimals = True
    return value


def _decode_ndarray(obj: dict[str, Any], decoder: Decoder) -> Any:
    from traceable._codecs import numpy as codec

    return codec.decode_ndarray(obj, check_decimals=decoder.huge_decimals)


def _decode_dataframe(obj: dict[str, Any], decoder: Decoder) -> Any:
    from traceable._codecs import pandas as codec

    return codec.decode_dataframe(obj, check_decimals=decoder.huge_decimals)


def _decode_series(obj: dict[str, Any], decoder: Decoder) -> Any:
    from traceable._codecs import pandas as codec

    return codec.decode_series(obj, check_decimals=decoder.huge_decimals)


def decode_codec(obj: dict[str, Any], decoder: Decoder) -> Any:
    """Rebuild an object of a registered codec's marker (the handler of markers without their own)."""
    markers = [key for key in obj if key in MARKERS]
    codec = _registry.by_marker(markers[0])
    if codec is None:  # unregistered since the parse began
        raise DecodeError(f"no codec is registered for {markers[0]}; register it with traceable.register_codec")
    if len(obj) != 1:
        others = ", ".join(repr(key) for key in obj if key != codec.marker)
        raise DecodeError(f"a {codec.marker} object has that one key, but this one also has {others}")
    if not codec.trusted and decoder.policy is not None:
        what = f"its registered codec ({codec.marker})"
        decoder.policy.check_name(codec.symbol, None, what)
        decoder.policy.check_resolved(codec.symbol, codec.cls, None, what)  # (as audit judges a loaded class)
    return codec.decode(obj[codec.marker])


def _decode_tuple(obj: dict[str, Any], decoder: Decoder) -> Any:
    items = obj[_wire.TUPLE]
    if len(obj) != 1 or type(items) is not list:
        raise DecodeError(f'a tuple must be written as {{"{_wire.TUPLE}": [...]}}')
    return tuple(items)


def _decode_items(obj: dict[str, Any], decoder: Decoder) -> Any:
    pairs = obj[_wire.ITEMS]
    if len(obj) != 1 or type(pairs) is not list or not all(type(p) is list and len(p) == 2 for p in pairs):
        raise DecodeError(f'a dict with any keys must be written as {{"{_wire.ITEMS}": [[key, value], ...]}}')
    keys = [stdlib.hashable(key) for key, _ in pairs]
    stdlib.refuse_colliding(keys)
    return dict(zip(keys, (value for _, value in pairs), strict=True))


def _lossless_only(obj: dict[str, Any], decoder: Decoder) -> Any:
    raise DecodeError(
        f"{', '.join(key for key in obj if key in _LOSSLESS_ONLY)} belongs to a payload written with "
        f"dump(..., lossless=True), and only inside its top-level {_wire.LOSSLESS} object; "
        "this payload is not one"
    )


def _plain(decode: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any], Decoder], Any]:
    def handler(obj: dict[str, Any], decoder: Decoder) -> Any:
        return decode(obj)

    return handler


# In NNI 3.0's order of precedence, for the rare object that carries two markers.
HANDLERS: dict[str, Callable[[dict[str, Any], Decoder], Any]] = {
    _wire.PATHLIB: _plain(stdlib.decode_path),
    _wire.DATAFRAME: _decode_dataframe,
    _wire.SERIES: _decode_series,
    _wire.NDARRAY: _decode_ndarray,
    _wire.ENUM: _decode_enum,
    **{marker: _plain(decode) for marker, decode in stdlib.DECODERS.items() if marker != _wire.PATHLIB},
    _wire.SET: _decode_set,
    _wire.FROZENSET: _decode_set,
    _wire.SYMBOL: _decode_traced,
    _wire.INSTANCE_TYPE: _decode_custom,
    _wire.TYPE: _decode_type,
    _wire.PICKLED: _decode_pickled,
    _wire.TUPLE: _decode_tuple,
    _wire.ITEMS: _decode_items,
    **dict.fromkeys((_wire.LOSSLESS, _wire.ID, _wire.REF), _lossless_only),
}
HANDLERS[_wire.DECIMAL] = _decode_decimal  # (in its place in the order above)
_LOSSLESS_ONLY = frozenset({_wire.LOSSLESS, _wire.ID, _wire.REF})
# Registered codecs' markers join this set (it is the registry's own).
MARKERS = _registry.MARKERS
MARKERS.update(HANDLERS)
