"""The errors traceable raises.

Every error subclasses :class:`TraceableError` and the builtin that users already
catch for that kind of failure::

    TraceableError(Exception)
    ├── TraceError(TraceableError, TypeError)       trace() given something it cannot wrap
    ├── EncodeError(TraceableError, TypeError, ValueError)  cannot encode the value at $.path
    │   └── PayloadTooLarge(EncodeError)            fallback pickle over pickle_size_limit
    ├── DecodeError(TraceableError, ValueError)     malformed or unknown payload at $.path
    │   └── UnsafePayloadError(DecodeError)         refused by the load policy
    └── SearchSpaceError(TraceableError, ValueError)  invalid search space at $.parameter

Encode, decode and search-space errors carry ``path``, the JSON path of the value at fault
(``$.model.__kwargs__.layers[3]``), and say what to do about it.
"""

from __future__ import annotations

__all__ = [
    "DecodeError",
    "EncodeError",
    "PayloadTooLarge",
    "SearchSpaceError",
    "TraceError",
    "TraceableError",
    "UnsafePayloadError",
]


class TraceableError(Exception):
    """Base class of every error raised by traceable."""


class TraceError(TraceableError, TypeError):
    """``trace`` was given something it cannot wrap, or a traced call cannot be recorded."""


class EncodeError(TraceableError, TypeError, ValueError):
    """A value cannot be encoded.

    Both a ``TypeError`` and a ``ValueError``, as the standard ``json`` module raises
    one or the other for what cannot be encoded (a type; NaN or a cycle).

    Attributes:
        path: JSON path of the value, such as ``$.trainer.__kwargs__.sampler``, or None
            when the error concerns no single value.
    """

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class PayloadTooLarge(EncodeError):
    """The pickle fallback for a value is larger than ``pickle_size_limit``.

    Attributes:
        path: JSON path of the value.
        size: size of its pickle, in bytes.
        limit: the limit in force.
    """

    def __init__(self, message: str, path: str | None = None, *, size: int = 0, limit: int = 0) -> None:
        super().__init__(message, path)
        self.size = size
        self.limit = limit


class DecodeError(TraceableError, ValueError):
    """A payload is malformed, or a value in it cannot be rebuilt.

    Attributes:
        path: JSON path of the value, such as ``$.model.__kwargs__``, or None when the
            error concerns no single value (malformed JSON: the message gives line and column).
    """

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class UnsafePayloadError(DecodeError):
    """The load policy refused the payload: nothing it names was imported, called or unpickled.

    Attributes:
        path: JSON path of the refused value (``$`` for the payload as a whole).
        symbol: the dotted name the payload asked for, or None (a pickle, a limit).
        rule: what refused it: ``"allow"``, ``"allow_pickle"`` or a limit such as ``"max_depth"``.
    """

    def __init__(self, message: str, path: str | None = None, *, symbol: str | None = None, rule: str = "") -> None:
        super().__init__(message, path)
        self.symbol = symbol
        self.rule = rule


class SearchSpaceError(TraceableError, ValueError):
    """A search space breaks the documented format (see :func:`traceable.typehint.validate_search_space`).

    Attributes:
        path: JSON path of the parameter at fault, such as ``$.optimizer._value[1].lr``.
    """

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path
