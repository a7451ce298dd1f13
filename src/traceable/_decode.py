"""Decoding: JSON text to objects, rebuilding every marker object.

The standard library's C parser reads the text. Text in which no key can be a marker
(no ``"__`` and no escaped underscore) is returned as parsed. Otherwise the parser calls
a hook for each JSON object as it closes, so marker objects are rebuilt bottom-up, as
in NNI 3.0, without a second pass over the data. The hook knows no paths: when a marker
fails, a side-effect-free re-parse finds where it is, by its rank among marker objects.
"""

from __future__ import annotations

import gc
import json
import re
import sys
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

from traceable import _registry, _wire
from traceable._audit import Finding, Pairs, inspect_tree
from traceable._codecs import stdlib
from traceable._paths import format_path
from traceable._pickle import unpickle_b64
from traceable._policy import LoadPolicy
from traceable._symbols import import_path, import_symbol
from traceable._tracing import retrace
from traceable.exceptions import DecodeError, UnsafePayloadError

_OUTSIDE = re.compile(r'["#/]')  # what can start a string or a comment
_INSIDE = re.compile(r'["\\\n]')  # what can end a string (JSON strings hold no raw newline)
_PLAIN_DECODER = json.JSONDecoder()
# How dump(..., lossless=True) begins, after any comment lines.
_LOSSLESS_HEAD = re.compile(r'(?:\s*(?:#|//)[^\n]*\n)*\s*\{\s*"__lossless__"\s*:')
_ORDERED_DECODER = json.JSONDecoder(object_pairs_hook=OrderedDict)


def strip_comments(text: str) -> str:
    """Remove ``#`` and ``//`` comments outside strings, in one pass (linear time)."""
    pieces: list[str] = []
    kept = pos = 0
    while (found := _OUTSIDE.search(text, pos)) is not None:
        start = found.start()
        if found.group() == '"':  # skip the string, escapes included
            pos = start + 1
            while (end := _INSIDE.search(text, pos)) is not None and end.group() == "\\":
                pos = end.end() + 1
            pos = len(text) if end is None else end.end()
        elif found.group() == "#" or text.startswith("//", start):
            line_end = text.find("\n", start)
            pos = len(text) if line_end < 0 else line_end
            pieces.append(text[kept:start])
            kept = pos
        else:  # a lone "/"
            pos = start + 1
    pieces.append(text[kept:])
    return "".join(pieces)


def _is_json(text: str) -> bool:
    try:
        _PLAIN_DECODER.decode(text)
    except (ValueError, RecursionError):
        return False
    return True


def _parse_with(decoder: json.JSONDecoder, text: str, ignore_comments: bool) -> Any:
    try:
        return decoder.decode(text)
    except json.JSONDecodeError as err:
        if ignore_comments and ("#" in text or "//" in text):
            try:
                return decoder.decode(strip_comments(text))
            except json.JSONDecodeError:
                pass
        raise DecodeError(f"the payload is not valid JSON: {err.msg} at line {err.lineno} column {err.colno}") from err
    except RecursionError as err:
        raise DecodeError(
            f"the payload nests deeper than Python's recursion limit ({sys.getrecursionlimit()})"
        ) from err
    except ValueError as err:  # e.g. an int longer than sys.get_int_max_str_digits() digits
        if isinstance(err, DecodeError):
            raise
        raise DecodeError(f"the payload has a value Python refuses to read: {err}") from err


def loads(
    text: str, *, preserve_order: bool = False, ignore_comments: bool = True, policy: LoadPolicy | None = None
) -> Any:
    """Parse JSON text and rebuild every marker object in it, as ``policy`` allows.

    Raises:
        DecodeError: the text is not JSON, or a marker object cannot be rebuilt.
        UnsafePayloadError: the policy refuses the payload; nothing was imported or run.
    """
    if policy is not None and policy.is_trusting:
        policy = None
    if len(text) < _GC_PAUSE_SIZE:
        return _checked_loads(text, preserve_order, ignore_comments, policy)
    # A large payload makes many containers at once, and each automatic collection
    # meanwhile would walk every live object again: the time would grow faster than the
    # payload. The collector runs as usual once the payload is built.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _checked_loads(text, preserve_order, ignore_comments, policy)
    finally:
        if paused:
            gc.enable()


def _checked_loads(text: str, preserve_order: bool, ignore_comments: bool, policy: LoadPolicy | None) -> Any:
    if policy is not None:
        check(text, policy, ignore_comments=ignore_comments)
    return _loads(text, preserve_order, ignore_comments, policy)


_GC_PAUSE_SIZE = 1 << 16


def check(
    text: str, policy: LoadPolicy, *, ignore_comments: bool = True, findings: list[Finding] | None = None
) -> None:
    """Refuse what ``policy`` refuses, importing, calling and unpickling nothing.

    With ``findings``, record everything there (what the payload would import, call and
    unpickle, allowed or not) instead of raising at the first refusal.

    Raises:
        UnsafePayloadError: the policy refuses the payload (only without ``findings``).
    """
    try:
        tree = _parse_within_limits(text, policy, ignore_comments)
    except UnsafePayloadError as err:
        if findings is None:
            raise
        findings.append(Finding(err.path or "$", "limit", None, 0, False, err.rule, str(err)))
        return
    inspect_tree(tree, policy, findings)


def _parse_within_limits(text: str, policy: LoadPolicy, ignore_comments: bool) -> Any:
    policy.exceeded("max_size", len(text), None, "the payload's length")
    limit = policy.max_number_length

    def parse_number(convert: Callable[[str], Any]) -> Callable[[str], Any]:
        def parse(digits: str) -> Any:
            if limit is not None and len(digits) > limit:
                policy.exceeded("max_number_length", len(digits), None, "the length of a number")
            return convert(digits)

        return parse

    decoder = json.JSONDecoder(object_pairs_hook=Pairs, parse_int=parse_number(int), parse_float=parse_number(float))
    try:
        return _parse_with(decoder, text, ignore_comments)
    except DecodeError as err:
        # Deeper than the parser can go at all; shallower excesses are found by the walk.
        if policy.max_depth is not None and isinstance(err.__cause__, RecursionError):
            policy.exceeded("max_depth", sys.getrecursionlimit(), None, "its nesting depth (at least)")
        raise


def _loads(text: str, preserve_order: bool, ignore_comments: bool, policy: LoadPolicy | None) -> Any:
    # No key can be a marker without '"__' or an escaped underscore: the parse alone will do.
    if '"__' not in text and "\\u005f" not in text and "\\u005F" not in text:
        return _parse_with(_ORDERED_DECODER if preserve_order else _PLAIN_DECODER, text, ignore_comments)
    if _LOSSLESS_HEAD.match(text):
        from traceable import _lossless

        # A plain parse builds nothing: it can strip comments after a failure, unlike the hooked one.
        tree = _parse_with(_PLAIN_DECODER, text, ignore_comments)
        return _lossless.read(tree, policy, preserve_order=preserve_order)
    if ignore_comments and ("#" in text or "//" in text) and not _is_json(text):
        # Before the hooked parse, not on its failure: a retry would build again the
        # objects that came before the comment. ("//" is common in base64 and URLs, so a
        # quick plain parse tells first whether there is any comment to strip.)
        text = strip_comments(text)
    state = _Decoder(policy)
    if preserve_order:
        decoder = json.JSONDecoder(object_pairs_hook=lambda pairs: state.hook(OrderedDict(pairs)))
    else:
        decoder = json.JSONDecoder(object_hook=state.hook)
    try:
        return _parse_with(decoder, text, ignore_comments=False)
    except _Failure as failure:
        tree = _parse_with(_PAIRS_DECODER, text, ignore_comments=False)
        try:
            path = _path_of_marker(tree, failure.rank)
        except RecursionError:  # too deep to walk back to: say where from the top
            path = "$"
        raise failure.located(path) from failure.error


class _Failure(Exception):
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


class _Decoder:
    """The per-payload state of the parser's hook."""

    def __init__(self, policy: LoadPolicy | None) -> None:
        self.policy = policy  # None: trust the payload
        self.rank = 0  # marker objects closed so far
        self.symbols: dict[Any, Any] = {}  # name -> symbol: each imported or unpickled once
        self.callables: dict[Any, Any] = {}  # name -> its traced version, for __symbol__

    def hook(self, obj: dict[str, Any]) -> Any:
        if _MARKERS.isdisjoint(obj):
            return obj
        self.rank += 1
        for marker in obj:
            if marker in _MARKERS:
                break
        try:
            return _HANDLERS.get(marker, _decode_codec)(obj, self)
        except Exception as err:
            raise _Failure(self.rank, marker, err) from err

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


# Every pair, repeated keys included: the hooked parse builds their values too, so
# counting them keeps the ranks aligned.
_PAIRS_DECODER = json.JSONDecoder(object_pairs_hook=Pairs)


def parse_pairs(text: str, *, ignore_comments: bool = True) -> Any:
    """Parse ``text`` into lists, scalars and :class:`Pairs` (every key kept), building nothing.

    Raises:
        DecodeError: the text is not JSON.
    """
    return _parse_with(_PAIRS_DECODER, text, ignore_comments)


def _path_of_marker(tree: Any, rank: int) -> str:
    """The path of the ``rank``-th marker object of ``tree`` in closing (post-)order."""
    count = 0
    for keys, obj in _post_order(tree, []):
        if isinstance(obj, Pairs) and any(key in _MARKERS for key, _ in obj):
            count += 1
            if count == rank:
                return format_path(keys)
    return "$"


def _post_order(obj: Any, keys: list[str | int]) -> Iterator[tuple[list[str | int], Any]]:
    if isinstance(obj, Pairs):
        for key, value in obj:
            yield from _post_order(value, [*keys, key])
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            yield from _post_order(value, [*keys, index])
    yield keys, obj


def _decode_traced(obj: dict[str, Any], decoder: _Decoder) -> Any:
    traced = decoder.traced(obj[_wire.SYMBOL])
    args = obj.get(_wire.ARGS, ())
    kwargs = obj.get(_wire.KWARGS, _NO_KWARGS)
    if type(args) not in (list, tuple):  # (a tuple in the lossless mode)
        raise DecodeError(f"{_wire.ARGS} must be a list, not {type(args).__name__}")
    if type(kwargs) is not dict and not isinstance(kwargs, dict):
        raise DecodeError(f"{_wire.KWARGS} must be an object, not {type(kwargs).__name__}")
    try:
        return traced(*args, **kwargs)
    except Exception as err:
        name = getattr(traced, "__qualname__", repr(traced))
        raise DecodeError(f"calling {name} with the recorded arguments raised {type(err).__name__}: {err}") from err


_NO_KWARGS: dict[str, Any] = {}


def _decode_type(obj: dict[str, Any], decoder: _Decoder) -> Any:
    return decoder.symbol(obj[_wire.TYPE])


def _decode_custom(obj: dict[str, Any], decoder: _Decoder) -> Any:
    cls = decoder.symbol(obj[_wire.INSTANCE_TYPE])
    load = getattr(cls, "_load", None)
    if load is None:
        raise DecodeError(f"{cls!r} has no _load() to rebuild it from its fields")
    return load(**{k: v for k, v in obj.items() if k != _wire.INSTANCE_TYPE})


def _decode_pickled(obj: dict[str, Any], decoder: _Decoder) -> Any:
    if decoder.policy is not None:
        decoder.policy.check_pickle(None, len(str(obj[_wire.PICKLED])) * 3 // 4, "a pickled object")
    return unpickle_b64(obj[_wire.PICKLED], what="the pickled object", made_with=obj)


def _decode_set(obj: dict[str, Any], decoder: _Decoder) -> Any:
    marker = _wire.SET if _wire.SET in obj else _wire.FROZENSET
    decode = stdlib.decode_set if marker == _wire.SET else stdlib.decode_frozenset
    return decode(obj)


def _decode_enum(obj: dict[str, Any], decoder: _Decoder) -> Any:
    return stdlib.decode_enum(obj, decoder.import_path)


def _decode_ndarray(obj: dict[str, Any], decoder: _Decoder) -> Any:
    from traceable._codecs import numpy as codec

    return codec.decode_ndarray(obj)


def _decode_dataframe(obj: dict[str, Any], decoder: _Decoder) -> Any:
    from traceable._codecs import pandas as codec

    return codec.decode_dataframe(obj)


def _decode_series(obj: dict[str, Any], decoder: _Decoder) -> Any:
    from traceable._codecs import pandas as codec

    return codec.decode_series(obj)


def _decode_codec(obj: dict[str, Any], decoder: _Decoder) -> Any:
    markers = [key for key in obj if key in _MARKERS]
    codec = _registry.by_marker(markers[0])
    if codec is None:  # unregistered since the parse began
        raise DecodeError(f"no codec is registered for {markers[0]}; register it with traceable.register_codec")
    if len(obj) != 1:
        others = ", ".join(repr(key) for key in obj if key != codec.marker)
        raise DecodeError(f"a {codec.marker} object has that one key, but this one also has {others}")
    if not codec.trusted and decoder.policy is not None:
        decoder.policy.check_name(codec.symbol, None, f"its registered codec ({codec.marker})")
    return codec.decode(obj[codec.marker])


def _decode_tuple(obj: dict[str, Any], decoder: _Decoder) -> Any:
    items = obj[_wire.TUPLE]
    if len(obj) != 1 or type(items) is not list:
        raise DecodeError(f'a tuple must be written as {{"{_wire.TUPLE}": [...]}}')
    return tuple(items)


def _decode_items(obj: dict[str, Any], decoder: _Decoder) -> Any:
    pairs = obj[_wire.ITEMS]
    if len(obj) != 1 or type(pairs) is not list or not all(type(p) is list and len(p) == 2 for p in pairs):
        raise DecodeError(f'a dict with any keys must be written as {{"{_wire.ITEMS}": [[key, value], ...]}}')
    keys = [stdlib.hashable(key) for key, _ in pairs]
    stdlib.refuse_colliding(keys)
    return dict(zip(keys, (value for _, value in pairs), strict=True))


def _lossless_only(obj: dict[str, Any], decoder: _Decoder) -> Any:
    raise DecodeError(
        f"{', '.join(key for key in obj if key in _LOSSLESS_ONLY)} belongs to a payload written with "
        f"dump(..., lossless=True), and only inside its top-level {_wire.LOSSLESS} object; "
        "this payload is not one"
    )


def _plain(decode: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any], _Decoder], Any]:
    def handler(obj: dict[str, Any], decoder: _Decoder) -> Any:
        return decode(obj)

    return handler


# In NNI 3.0's order of precedence, for the rare object that carries two markers.
_HANDLERS: dict[str, Callable[[dict[str, Any], _Decoder], Any]] = {
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
_LOSSLESS_ONLY = frozenset({_wire.LOSSLESS, _wire.ID, _wire.REF})
# Registered codecs' markers join this set (it is the registry's own).
_MARKERS = _registry.MARKERS
_MARKERS.update(_HANDLERS)
