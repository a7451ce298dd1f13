"""Encoding: any object to JSON text, through the standard library's C encoder.

Plain data (dict, list, str, int, float, bool, None, tuple) never leaves the C
encoder; it calls its ``default`` hook, :meth:`Encoder._default`, only for other values,
which are turned into marker objects in NNI 3.0's order of precedence. The C encoder
knows no paths, so when something fails, a second, side-effect-free walk
(:mod:`traceable._paths`) finds where it is.
"""

from __future__ import annotations

import enum
import json
import pathlib
import sys
import threading
from collections.abc import Callable, Generator, Iterator
from typing import Any

from traceable import _registry, _wire
from traceable._codecs import stdlib
from traceable._paths import find_json_error, label, locate, located
from traceable._pickle import VERSIONS, pickle_b64
from traceable._symbols import is_function, symbol_name
from traceable._traced import NNI_MEMBERS, Traced, TraceRecord, is_traceable, record_parts
from traceable.exceptions import EncodeError, PayloadTooLarge

_JSON_KEYWORDS = frozenset({"skipkeys", "ensure_ascii", "check_circular", "sort_keys", "indent", "separators"})
_NATIVE_KEYS = (str, int, float, bool, type(None))


class _Failure(Exception):
    # Raised inside the C encoder's callback; turned into a public error with a path.
    def __init__(self, obj: Any, error: EncodeError) -> None:
        super().__init__(str(error))
        self.obj = obj
        self.error = error


class _DumpState(threading.local):
    """What one thread's dump under way remembers: the wire names it wrote, by identity."""

    def __init__(self) -> None:
        self.names: dict[int, tuple[Any, str]] | None = None


class Encoder:
    """Encodes with one set of options; made once per set and reused across calls and threads.

    Its only state for one dump is per thread (``_dump``), and is dropped when the dump ends.
    """

    def __init__(
        self,
        *,
        use_trace: bool,
        pickle_size_limit: int,
        allow_nan: bool,
        compact_arrays: bool = False,
        json_kwargs: dict[str, Any],
    ) -> None:
        unknown = set(json_kwargs) - _JSON_KEYWORDS
        if unknown:
            hint = "; to compress, use dump_bytes(obj, compression=...)" if "compression" in unknown else ""
            raise TypeError(
                f"unexpected keyword argument(s) {', '.join(sorted(unknown))}: dump passes only "
                f"{', '.join(sorted(_JSON_KEYWORDS))} to the JSON writer{hint}"
            )
        self.use_trace = use_trace
        self.pickle_size_limit = pickle_size_limit
        self.compact_arrays = compact_arrays
        self._handlers: dict[type, Callable[[Any], Any]] = {}
        # The wire names of the classes and functions one dump writes, each computed once:
        # a class without an import path (defined in __main__) is pickled once, not once per
        # instance. Per thread, and forgotten when the dump ends, so a class changed between
        # dumps (or by another thread) is pickled as it is then, and nothing named is kept alive.
        self._dump = _DumpState()
        self._generation = _registry.generation  # of the codecs the handlers were chosen from
        self._lock = threading.Lock()  # orders storing a handler and forgetting them all
        self._json = json.JSONEncoder(allow_nan=allow_nan, default=self._default, **json_kwargs)
        # Streaming to a file writes the outer containers piece by piece; it needs the
        # C encoder's own layout (no indent) and its item order (no sort_keys).
        self._streamable = not json_kwargs.get("indent") and not json_kwargs.get("sort_keys")

    def encode(self, obj: Any) -> str:
        """Encode ``obj`` to JSON text.

        Raises:
            EncodeError: a value cannot be encoded; the error names its path.
        """
        try:
            return self._encode(obj)
        finally:
            self.end_dump()

    def end_dump(self) -> None:
        """Forget what this thread's dump remembered (the wire names it wrote)."""
        state = self._dump
        if state.names is not None:
            state.names = None

    def _encode(self, obj: Any) -> str:
        if self._generation != _registry.generation:  # (refresh(), inlined: this is per call)
            self.refresh()
        try:
            return self._json.encode(obj)
        except _Failure as failure:
            culprit = failure.obj
            path = locate(obj, lambda value: value is culprit, use_trace=self.use_trace) or "$"
            error = located(failure.error, f"cannot encode {label(culprit)} at {path}: ", path)
            raise error from failure.error.__cause__
        except RecursionError as err:
            raise EncodeError(
                f"cannot encode the value: it nests deeper than Python's recursion limit "
                f"({sys.getrecursionlimit()}) or refers to itself through traced objects"
            ) from err
        except ValueError as err:
            found = find_json_error(obj, str(err), use_trace=self.use_trace)
            if found is None:
                raise EncodeError(f"cannot encode the value: {err}") from err
            where, message = found
            raise EncodeError(message, where) from err
        except TypeError as err:  # dict keys the JSON writer cannot take
            bad = locate(obj, _has_bad_key, use_trace=self.use_trace)
            if bad is None:
                unordered = None
                if self._json.sort_keys and "not supported between" in str(err):
                    unordered = locate(obj, _has_unordered_keys, use_trace=self.use_trace)
                if unordered is None:
                    raise EncodeError(f"cannot encode the value: {err}") from err
                raise EncodeError(
                    f"cannot encode the dict at {unordered} with sort_keys=True: its keys are of types "
                    f"that have no order between them ({err}); make them all strings, dump without "
                    "sort_keys, or dump with lossless=True, which keeps keys of any type",
                    unordered,
                ) from err
            raise EncodeError(
                f"cannot encode the dict at {bad}: its keys must be str, int, float, bool or None "
                f"for JSON ({err}); convert the keys to strings, or dump with lossless=True, which keeps keys "
                "of any type",
                bad,
            ) from err

    def refresh(self) -> None:
        """Forget the handlers chosen per class if a codec was registered since."""
        with self._lock:
            generation = _registry.generation
            if self._generation != generation:
                self._handlers.clear()
                self._generation = generation

    def expand(self, obj: Any) -> Any:
        """What ``obj``, a value the JSON writer does not take as it is, is written as.

        Raises:
            EncodeError: it cannot be encoded (the error does not know where it is).
        """
        handler = self._handlers.get(type(obj))
        if handler is None:
            handler = self._handler_for(type(obj))
        try:
            return handler(obj)
        except EncodeError:
            raise
        except Exception as err:  # a user's _dump() or codec raised
            raise EncodeError(f"{type(err).__name__}: {err}") from err

    def iter_encode(self, obj: Any, depth: int = 2) -> Generator[str, None, None]:
        """Encode ``obj`` in pieces, for writing to a file without holding all the text.

        The outer ``depth`` levels of plain dicts and lists are written item by item; the
        text is the same as :meth:`encode` gives. On failure, raises the error that
        :meth:`encode` raises (located from the root).
        """
        try:
            yield from self._pieces(obj, depth)
        except EncodeError:
            self._encode(obj)  # the error again, with the path from the root
            raise
        finally:
            self.end_dump()

    def _pieces(self, obj: Any, depth: int) -> Iterator[str]:
        if not self._streamable or depth <= 0 or type(obj) not in (dict, list) or not obj:
            yield self._encode(obj)
            return
        item_separator = self._json.item_separator
        if type(obj) is list:
            yield "["
            for index, value in enumerate(obj):
                if index:
                    yield item_separator
                yield from self._pieces(value, depth - 1)
            yield "]"
            return
        yield "{"
        first = True
        for key, value in obj.items():
            name = self._key_text(key)
            if name is None:  # skipkeys
                continue
            if not first:
                yield item_separator
            first = False
            yield name + self._json.key_separator
            yield from self._pieces(value, depth - 1)
        yield "}"

    def _key_text(self, key: Any) -> str | None:
        # As the C encoder writes dict keys: strings as they are, numbers and constants
        # as their JSON text, quoted.
        if not isinstance(key, str):
            if isinstance(key, float):
                key = self._json.encode(key)
            elif key is True or key is False or key is None:
                key = {True: "true", False: "false", None: "null"}[key]
            elif isinstance(key, int):
                key = int.__repr__(key)
            elif self._json.skipkeys:
                return None
            else:
                self._encode({key: None})  # raises the located error
        quote = json.encoder.encode_basestring_ascii if self._json.ensure_ascii else json.encoder.encode_basestring
        return quote(key)

    def _default(self, obj: Any) -> Any:
        try:
            handler = self._handlers.get(type(obj))
            if handler is None:
                handler = self._handler_for(type(obj))
            return handler(obj)
        except EncodeError as err:
            raise _Failure(obj, err) from err
        except Exception as err:  # a user's _dump() or trace_kwargs raised
            failure = EncodeError(f"{type(err).__name__}: {err}")
            failure.__cause__ = err
            raise _Failure(obj, failure) from err

    def _handler_for(self, cls: type) -> Callable[[Any], Any]:
        # What encodes instances of ``cls``, in NNI 3.0's order of precedence; decided
        # once per class. Handlers that depend on the instance (a traced class's
        # undecorated subclass, the pickle fallback) check it themselves.
        # A handler chosen while register_codec runs in another thread may predate the new
        # codec: it is kept only if no codec came since the encoder last forgot its choices
        # (register_codec counts a codec once it is in the tables, so none slips in between).
        if self._generation != _registry.generation:  # one came during this dump (torch's, on first use)
            self.refresh()
        generation = self._generation
        handler = self._resolve(cls)
        with self._lock:
            if generation == _registry.generation == self._generation:
                if len(self._handlers) > 4096:  # classes made on the fly: do not keep them all alive
                    self._handlers.clear()
                self._handlers[cls] = handler
        return handler

    def _resolve(self, cls: type) -> Callable[[Any], Any]:
        exact = stdlib.ENCODERS.get(cls)
        if exact is not None:
            return exact
        codec = _registry.by_type(cls)
        if codec is not None:
            return codec.write
        if issubclass(cls, pathlib.Path):
            return stdlib.encode_path
        library = _optional_library(cls, self.compact_arrays)
        if library is not None:
            return library
        if issubclass(cls, enum.Enum):
            return stdlib.encode_enum
        for base, encoder in stdlib.SUBCLASS_ENCODERS:
            if issubclass(cls, base):
                return encoder
        if self.use_trace and (
            issubclass(cls, (Traced, TraceRecord))
            or (not issubclass(cls, type) and all(hasattr(cls, name) for name in NNI_MEMBERS))
        ):
            return self._convert_traced
        codec = None
        if not (hasattr(cls, "_dump") and hasattr(cls, "_load")):  # NNI's custom form comes first
            codec = _registry.family_codec(cls)
        if self.use_trace and not issubclass(cls, type):
            # NNI's own Traceables (its NAS layers, ModelSpace) set trace_args and
            # trace_kwargs on each instance: what is_traceable() accepts is written as a call.
            probe = next(name for name in NNI_MEMBERS if not hasattr(cls, name))
            return self._traced_instance_or(probe, codec)
        return self._convert_untraced if codec is None else codec.write

    def _traced_instance_or(self, probe: str, codec: _registry.Codec | None) -> Callable[[Any], Any]:
        # ``probe``: a member the class lacks, so that one lookup rules out most instances.
        # The codec's work is inlined: a dataclass pays one lookup more, not a call more.
        convert_traced, convert_untraced = self._convert_traced, self._convert_untraced
        if codec is None:

            def encode(obj: Any) -> Any:
                if hasattr(obj, probe) and is_traceable(obj):
                    return convert_traced(obj)
                return convert_untraced(obj)

            return encode
        marker, write = codec.marker, codec.encode

        def encode_by_codec(obj: Any) -> Any:
            if hasattr(obj, probe) and is_traceable(obj):
                return convert_traced(obj)
            return {marker: write(obj)}

        return encode_by_codec

    def _convert_traced(self, obj: Any) -> Any:
        parts = record_parts(obj)
        if parts is not None:
            symbol, args, kwargs = parts
        elif is_traceable(obj):  # implemented elsewhere (NNI...)
            symbol, args, kwargs = obj.trace_symbol, obj.trace_args, obj.trace_kwargs
        else:  # an undecorated subclass of a traced class
            return self._convert_untraced(obj)
        out: dict[str, Any] = {_wire.SYMBOL: self._symbol_name(symbol)}
        if args:
            out[_wire.ARGS] = args
        if kwargs:
            out[_wire.KWARGS] = kwargs
        return out

    def _convert_untraced(self, obj: Any) -> Any:
        if hasattr(obj, "_dump") and hasattr(obj, "_load"):
            return self._convert_custom(obj)
        if isinstance(obj, type) or is_function(obj):
            return {_wire.TYPE: self._symbol_name(obj)}
        if hasattr(obj, "__dict__") or hasattr(obj, "__slots__"):
            return self._convert_pickled(obj)
        for cls, encoder in stdlib.ENCODERS.items():  # subclasses of bytes, range, ...
            if isinstance(obj, cls):
                return encoder(obj)
        if isinstance(obj, Iterator):
            raise EncodeError("an iterator cannot be written without consuming it; pass a list of its items instead")
        raise EncodeError(
            "traceable has no encoding for it, and it has neither __dict__ nor __slots__ for the "
            "pickle fallback; decorate the function that makes it with @traceable.trace, register a codec "
            "for its type with traceable.register_codec, or convert it to a supported type"
        )

    def _convert_custom(self, obj: Any) -> dict[str, Any]:
        fields = obj._dump()
        if not isinstance(fields, dict):
            raise EncodeError(f"its _dump() must return a dict, but it returned {label(fields)}")
        if _wire.INSTANCE_TYPE in fields:
            raise EncodeError(f"the dict its _dump() returns must not have the key {_wire.INSTANCE_TYPE!r}")
        return {**fields, _wire.INSTANCE_TYPE: self._symbol_name(type(obj))}

    def _symbol_name(self, obj: Any) -> str:
        names = self._dump.names
        if names is None:
            names = self._dump.names = {}
        cached = names.get(id(obj))
        if cached is not None and cached[0] is obj:
            return cached[1]
        name = symbol_name(obj, self.pickle_size_limit)
        names[id(obj)] = (obj, name)
        return name

    def _convert_pickled(self, obj: Any) -> dict[str, Any]:
        try:
            text, size = pickle_b64(obj)
        except Exception as err:
            raise EncodeError(
                f"it has no JSON encoding and cloudpickle cannot pickle it ({type(err).__name__}: {err}); "
                "decorate the function or class that makes it with @traceable.trace"
            ) from err
        if 0 <= self.pickle_size_limit < size:
            raise PayloadTooLarge(
                f"its pickle is {size:,} bytes (limit {self.pickle_size_limit:,}); decorate its class, or "
                "the function that makes it, with @traceable.trace, or pass pickle_size_limit=-1",
                size=size,
                limit=self.pickle_size_limit,
            )
        return {_wire.PICKLED: text, **VERSIONS}


def _optional_library(cls: type, compact_arrays: bool) -> Callable[[Any], Any] | None:
    # Only if numpy, pandas or torch is imported already: a value of theirs cannot exist otherwise.
    pd = sys.modules.get("pandas")
    if pd is not None and issubclass(cls, (pd.DataFrame, pd.Series)):
        from traceable._codecs import pandas as pandas_codec

        return pandas_codec.encode_dataframe if issubclass(cls, pd.DataFrame) else pandas_codec.encode_series
    np = sys.modules.get("numpy")
    if np is not None and issubclass(cls, (np.ndarray, np.generic)):
        from traceable._codecs import numpy as numpy_codec

        if not issubclass(cls, np.ndarray):
            return numpy_codec.encode_scalar
        if compact_arrays or issubclass(cls, numpy_codec.CompactArray):
            return numpy_codec.encode_ndarray_compact
        return numpy_codec.encode_ndarray
    torch = sys.modules.get("torch")
    if torch is not None and issubclass(cls, (torch.Tensor, torch.dtype, torch.device)):
        # Registers torch's codecs: dtype and device by type, and tensors as a family,
        # which comes after traced objects (a traced function may return a tensor).
        import traceable._codecs.torch  # noqa: F401

        codec = _registry.by_type(cls)
        return None if codec is None else codec.write
    return None


def _has_bad_key(obj: Any) -> bool:
    return isinstance(obj, dict) and not all(isinstance(k, _NATIVE_KEYS) for k in obj)


def _has_unordered_keys(obj: Any) -> bool:
    if not isinstance(obj, dict):
        return False
    try:
        sorted(obj)
    except TypeError:
        return True
    return False


_ENCODERS: dict[tuple[Any, ...], Encoder] = {}


def get_encoder(
    use_trace: bool, pickle_size_limit: int, allow_nan: bool, compact_arrays: bool, json_kwargs: dict[str, Any]
) -> Encoder:
    """The encoder for these options, made on first use."""
    try:
        key: tuple[Any, ...] = (use_trace, pickle_size_limit, allow_nan, compact_arrays)
        if json_kwargs:
            key += tuple(sorted(json_kwargs.items()))
        encoder = _ENCODERS.get(key)
    except TypeError:  # unhashable option values (a list of separators): no caching
        key, encoder = (), None
    if encoder is None:
        encoder = Encoder(
            use_trace=use_trace,
            pickle_size_limit=pickle_size_limit,
            allow_nan=allow_nan,
            compact_arrays=compact_arrays,
            json_kwargs=json_kwargs,
        )
        if key:
            if len(_ENCODERS) > 64:  # many option sets in one process: start over
                _ENCODERS.clear()
            _ENCODERS[key] = encoder
    return encoder
