"""Codecs: one marker per type, for the built-in types and for ``register_codec`` alike.

A codec writes a value as a one-key object, ``{"__name__": data}``, where ``data`` is
whatever its ``encode`` returns (any value ``dump`` can write, traced objects and
classes included) and ``decode`` gets that data back already rebuilt. Built-in codecs
for libraries that may not be installed (torch) are registered when their module is
first needed: by the encoder when a value of theirs appears, by the decoder when their
marker does.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import pathlib
import re
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from traceable import _wire

__all__ = ["Codec", "by_marker", "by_type", "family_codec", "register_codec"]

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Codec:
    """How one type is written and rebuilt.

    Attributes:
        marker: the key of the one-key object it writes, such as ``"__uuid__"``.
        encode: the value to JSON-able data.
        decode: that data, rebuilt, to the value.
        cls: the type it encodes, or None for a family chosen by a test (dataclasses...).
        trusted: a codec of traceable's own, which every load policy accepts; a codec
            from ``register_codec`` runs only where the policy allows its type by name.
    """

    marker: str
    encode: Callable[[Any], Any]
    decode: Callable[[Any], Any]
    cls: type | None = None
    trusted: bool = True

    @property
    def symbol(self) -> str:
        """The dotted name of the type, as a load policy's allow list names it."""
        cls = self.cls
        return "" if cls is None else f"{cls.__module__}.{cls.__qualname__}"

    def write(self, obj: Any) -> dict[str, Any]:
        """``obj`` as its marker object."""
        return {self.marker: self.encode(obj)}


_BY_TYPE: dict[type, Codec] = {}
_BY_MARKER: dict[str, Codec] = {}
# Families: codecs chosen by a test on the class, tried in order after exact types.
_FAMILIES: list[tuple[Callable[[type], bool], Codec]] = []
# Built-in codecs of optional libraries: marker -> the module that registers it.
_LAZY: dict[str, str] = {}
_LOCK = threading.Lock()

MARKERS: set[str] = set()
"""Every key that makes an object a marker object on load (the decoder adds its own)."""

# Every marker key of the wire format, registered or not: no codec may take one.
_RESERVED = frozenset(value for value in vars(_wire).values() if isinstance(value, str) and value.startswith("__"))

# Types the JSON writer takes as they are, subclasses included, before any hook runs.
_JSON_NATIVE = (str, int, float, list, tuple, dict)
_NAME = re.compile(r"[A-Za-z](?:[A-Za-z0-9_.]*[A-Za-z0-9])?\Z")


def register_codec(cls: type[T], *, name: str, encode: Callable[[T], Any], decode: Callable[[Any], T]) -> None:
    """Teach ``dump`` and ``load`` a type: written as ``{"__<name>__": encode(obj)}``.

    ``encode(obj)`` returns data that ``dump`` can write (plain JSON, or anything else it
    encodes: nested values of other codecs, traced objects, classes); ``decode(data)`` gets
    that data rebuilt and returns the object. Only instances of exactly ``cls`` use the
    codec, in both the default and the lossless mode; subclasses of str, int, float, list,
    tuple and dict, and types traceable encodes itself, cannot have one. Under a load policy with an allow
    list, the codec runs only if the list allows ``cls`` by name, as for traced symbols.
    Registering the same type under the same name again replaces the functions.

    Args:
        cls: the type to encode.
        name: the marker's name: letters, digits, ``_`` and ``.``, starting with a letter.
        encode: the object to JSON-able data.
        decode: the rebuilt data to the object.

    Raises:
        TypeError: ``cls`` is not a class, or ``encode``/``decode`` are not callable.
        ValueError: the name is malformed, or taken by a built-in marker or another type.

    Example:
        >>> import traceable
        >>> class Kelvin:
        ...     def __init__(self, degrees): self.degrees = degrees
        >>> register_codec(Kelvin, name="kelvin", encode=lambda k: k.degrees, decode=Kelvin)
        >>> traceable.dump({"t": Kelvin(294.6)})
        '{"t": {"__kelvin__": 294.6}}'
        >>> traceable.load('{"t": {"__kelvin__": 294.6}}')["t"].degrees
        294.6
    """
    if not isinstance(cls, type):
        message = f"register_codec takes a class, not {type(cls).__name__}"
        raise TypeError(message)
    if not callable(encode) or not callable(decode):
        message = f"register_codec for {cls.__qualname__}: encode and decode must be callables"
        raise TypeError(message)
    if not isinstance(name, str) or not _NAME.match(name):
        message = (
            f"register_codec for {cls.__qualname__}: the name {name!r} must start with a letter, end with a "
            "letter or digit, and hold only letters, digits, '_' and '.' (it is written as '__<name>__')"
        )
        raise ValueError(message)
    if issubclass(cls, _JSON_NATIVE):
        base = next(b for b in _JSON_NATIVE if issubclass(cls, b)).__name__
        message = (
            f"register_codec: {cls.__qualname__} is a subclass of {base}, whose instances the JSON writer takes "
            "as they are before any codec runs; wrap the value in a class of its own, or dump with lossless=True "
            "and pickle_size_limit=-1 to keep its type"
        )
        raise ValueError(message)
    from traceable._codecs import stdlib  # (here: that package registers its codecs through this module)

    native = (*(base for base, _ in stdlib.SUBCLASS_ENCODERS), pathlib.PurePath, enum.Enum)
    if cls in stdlib.ENCODERS or issubclass(cls, native):
        message = f"register_codec: traceable encodes {cls.__qualname__} already, with a marker of its own"
        raise ValueError(message)
    marker = f"__{name}__"
    with _LOCK:
        taken = _BY_MARKER.get(marker)
        if (taken is None and (marker in MARKERS or marker in _RESERVED)) or (taken is not None and taken.trusted):
            message = f"register_codec: the name {name!r} is taken by a built-in marker ({marker}); choose another"
            raise ValueError(message)
        if taken is not None and taken.cls is not cls:
            message = f"register_codec: the name {name!r} is taken by {taken.symbol}; choose another name"
            raise ValueError(message)
        old = _BY_TYPE.get(cls)
        if old is not None and old.trusted:
            message = f"register_codec: traceable encodes {cls.__qualname__} already, as {old.marker}"
            raise ValueError(message)
        if old is not None and old.marker != marker:
            message = (
                f"register_codec: {cls.__qualname__} is registered already, under the name {old.marker[2:-2]!r}; "
                "payloads written with that name would no longer load"
            )
            raise ValueError(message)
        _add(Codec(marker, encode, decode, cls, trusted=False))


USER_MARKERS: set[str] = set()
"""The markers of codecs from ``register_codec``, which a load policy checks."""


generation = 0
"""Counts changes to the registry, so that encoders know when to forget their choices."""


def _add(codec: Codec) -> None:
    global generation
    if codec.cls is not None:
        _BY_TYPE[codec.cls] = codec
    _BY_MARKER[codec.marker] = codec
    MARKERS.add(codec.marker)
    if not codec.trusted:
        USER_MARKERS.add(codec.marker)
    # Counted last: an encoder that saw the count before this could not have seen the
    # codec, and forgets what it chose then (see Encoder._handler_for).
    generation += 1


def builtin(cls: type, marker: str, encode: Callable[[Any], Any], decode: Callable[[Any], Any]) -> None:
    """Register one of traceable's own codecs, for exactly ``cls``."""
    _add(Codec(marker, encode, decode, cls))


def builtin_family(test: Callable[[type], bool], marker: str, encode: Callable[[Any], Any], decode: Any) -> None:
    """Register one of traceable's own codecs, for every class that passes ``test``."""
    codec = Codec(marker, encode, decode)
    _FAMILIES.append((test, codec))
    _add(codec)


def lazy(marker: str, module: str) -> None:
    """Say that importing ``module`` registers the codec of ``marker`` (an optional library's)."""
    _LAZY[marker] = module
    MARKERS.add(marker)


def by_type(cls: type) -> Codec | None:
    """The codec registered for exactly ``cls``, if any."""
    return _BY_TYPE.get(cls)


def family_codec(cls: type) -> Codec | None:
    """The built-in family codec (dataclass, named tuple...) for ``cls``, if any."""
    for test, codec in _FAMILIES:
        if test(cls):
            return codec
    return None


def by_marker(marker: str) -> Codec | None:
    """The codec that writes ``marker``, importing the module that registers it if needed."""
    codec = _BY_MARKER.get(marker)
    if codec is None and marker in _LAZY:
        importlib.import_module(_LAZY[marker])
        codec = _BY_MARKER.get(marker)
    return codec


def unregister(cls: type) -> None:
    """Forget the codec registered for ``cls`` with ``register_codec`` (for tests)."""
    with _LOCK:
        codec = _BY_TYPE.get(cls)
        if codec is not None and not codec.trusted:
            global generation
            del _BY_TYPE[cls]
            del _BY_MARKER[codec.marker]
            MARKERS.discard(codec.marker)
            USER_MARKERS.discard(codec.marker)
            generation += 1  # last, as in _add
