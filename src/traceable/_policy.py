"""What a load may do: which symbols it may import and call, whether it may unpickle, and
how large a payload may be.

The default policy trusts the payload, as NNI 3.0 does (and as ``pickle.load`` does).
``LoadPolicy.safe()`` trusts nothing but the values traceable encodes natively, plus the
symbols the caller names.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from traceable.exceptions import UnsafePayloadError

__all__ = ["LoadPolicy", "get_default_policy", "set_default_policy"]

_MiB = 1 << 20


@dataclasses.dataclass(frozen=True)
class LoadPolicy:
    """What a load may do. Every limit is None (no limit) or a positive number.

    Attributes:
        allow: exact names (``"mypkg.models.Net"``) and module prefixes (``"torch.nn"``)
            of the classes and functions a payload may import and call, as ``__symbol__``,
            ``__nni_type__``, ``__instance_type__`` or an enum's type; None allows any.
            Both the name in the payload and the object it imports as must match, so an
            alias (``logging.os.system``) or a re-export cannot reach a forbidden object.
        allow_pickle: whether ``__nni_obj__`` blobs and ``bytes:`` symbols may be unpickled.
        max_size: the longest payload, in characters of text (or bytes, before unzipping).
        max_decompressed_size: the largest gzipped payload once unzipped, in bytes.
        max_depth: the deepest nesting of JSON arrays and objects.
        max_string_length: the longest string, in characters.
        max_number_length: the longest number, in characters of text.
        max_array_elements: the most elements a numpy array may declare in its shape.
        max_array_bytes: the most bytes a numpy array (or pandas column) may declare,
            its shape times its dtype's item size.
        max_total_array_bytes: the most bytes all the numpy arrays (and pandas columns and
            indexes, and tensors' data) of one payload may declare together. Every array is
            counted once (a lossless ``__ref__`` to one is not counted again), so this bounds
            what one load allocates for arrays, however small its text.
        max_shared_copies: the most items that the calls of one lossless payload may copy,
            together, out of lists and dicts it shares: a traced call given a shared
            ``__args__`` list or ``__kwargs__`` dict (``{"__ref__": 1}``) keeps a copy of it.

    Example:
        >>> policy = LoadPolicy.safe(allow=["collections.OrderedDict"])
        >>> policy.allow_pickle, policy.allows_name("collections.OrderedDict"), policy.allows_name("os.system")
        (False, True, False)
    """

    allow: tuple[str, ...] | None = None
    allow_pickle: bool = True
    max_size: int | None = None
    max_decompressed_size: int | None = None
    max_depth: int | None = None
    max_string_length: int | None = None
    max_number_length: int | None = None
    max_array_elements: int | None = None
    max_array_bytes: int | None = None
    max_total_array_bytes: int | None = None
    max_shared_copies: int | None = None

    def __post_init__(self) -> None:
        if self.allow is not None:
            if isinstance(self.allow, str):
                raise TypeError("allow takes a list of names, such as ['mypkg.models'], not one string")
            object.__setattr__(self, "allow", tuple(self.allow))
            for name in self.allow:
                if not isinstance(name, str) or not name or name.startswith(".") or name.endswith("."):
                    raise ValueError(f"allow takes dotted names such as 'torch.nn' or 'mypkg.Net', not {name!r}")
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name.startswith("max_") and value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"{field.name} must be None or a positive integer, not {value!r}")

    @classmethod
    def trusting(cls) -> LoadPolicy:
        """NNI 3.0's behaviour: any symbol, any pickle, no limits. For your own payloads only."""
        return cls()

    @classmethod
    def safe(cls, allow: Iterable[str] = (), **limits: Any) -> LoadPolicy:
        """Only natively encoded values, plus the symbols in ``allow``; no pickles; limits.

        Args:
            allow: exact names and module prefixes of the classes and functions to allow.
            **limits: any ``max_*`` attribute, to change a default limit.
        """
        settings: dict[str, Any] = {
            "max_size": 16 * _MiB,
            "max_decompressed_size": 16 * _MiB,
            "max_depth": 200,
            "max_string_length": 16 * _MiB,
            "max_number_length": 1000,
            "max_array_elements": 100_000_000,
            "max_array_bytes": 256 * _MiB,
            "max_total_array_bytes": 256 * _MiB,
            "max_shared_copies": 1_000_000,
        }
        unknown = set(limits) - set(settings)
        if unknown:
            raise TypeError(f"unknown limit(s) {', '.join(sorted(unknown))}; the limits are {', '.join(settings)}")
        settings.update(limits)
        return cls(allow=tuple(allow), allow_pickle=False, **settings)

    @property
    def is_trusting(self) -> bool:
        """Whether this policy checks nothing (the default)."""
        return self is _TRUSTING or self == _TRUSTING

    def allows_name(self, dotted: str) -> bool:
        """Whether the payload may name ``dotted`` (checked before importing anything)."""
        if self.allow is None:
            return True
        return any(dotted == rule or dotted.startswith(rule + ".") for rule in self.allow)

    def check_name(self, dotted: str, path: str | None, what: str) -> None:
        """Refuse to import ``dotted`` unless allowed.

        Raises:
            UnsafePayloadError: not allowed.
        """
        if not self.allows_name(dotted):
            raise UnsafePayloadError(
                f"refused to import {dotted!r} for {what}{_at(path)}: it is not in the allow list "
                f"{list(self.allow or ())}; if you trust it, add it: load(..., safe=True, allow=[{dotted!r}])",
                path,
                symbol=dotted,
                rule="allow",
            )

    def check_resolved(self, dotted: str, obj: Any, path: str | None, what: str) -> None:
        """Refuse an imported object whose own name is not allowed (an alias or re-export).

        Raises:
            UnsafePayloadError: the object's canonical name is not allowed, or unknown.
        """
        if self.allow is None:
            return
        module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
        canonical = f"{module}.{qualname}" if isinstance(module, str) and isinstance(qualname, str) else None
        if canonical is None or not self.allows_name(canonical):
            raise UnsafePayloadError(
                f"refused {dotted!r} for {what}{_at(path)}: it imports as {canonical or repr(obj)}, which is not "
                f"in the allow list {list(self.allow)}; allow that name if you trust it",
                path,
                symbol=dotted,
                rule="allow",
            )

    def check_pickle(self, path: str | None, size: int, what: str) -> None:
        """Refuse to unpickle unless pickles are allowed.

        Raises:
            UnsafePayloadError: pickles are not allowed.
        """
        if not self.allow_pickle:
            raise UnsafePayloadError(
                f"refused to unpickle {what} ({size:,} bytes){_at(path)}: unpickling runs arbitrary code, and "
                "this policy allows no pickles; load it with the default policy only if you trust its source",
                path,
                rule="allow_pickle",
            )

    def exceeded(self, limit: str, value: int, path: str | None, what: str) -> None:
        """Refuse a payload over the limit named ``limit`` (an attribute, such as ``max_depth``).

        Raises:
            UnsafePayloadError: ``value`` is over the limit.
        """
        bound = getattr(self, limit)
        if bound is not None and value > bound:
            raise UnsafePayloadError(
                f"refused the payload{_at(path)}: {what} is {value:,}, over {limit}={bound:,}; "
                f"raise it with LoadPolicy.safe({limit}=...) if the payload is legitimate",
                path,
                rule=limit,
            )


def _at(path: str | None) -> str:
    return f" at {path}" if path else ""


_TRUSTING = LoadPolicy()
_default = _TRUSTING


def get_default_policy() -> LoadPolicy:
    """The policy ``load`` applies when given none (trusting, unless changed)."""
    return _default


def set_default_policy(policy: LoadPolicy) -> LoadPolicy:
    """Make ``policy`` the one ``load`` applies when given none, for the whole process.

    Returns:
        The previous default, to restore later.

    Example:
        >>> previous = set_default_policy(LoadPolicy.safe())
        >>> _ = set_default_policy(previous)
    """
    global _default
    if not isinstance(policy, LoadPolicy):
        raise TypeError(f"set_default_policy takes a LoadPolicy, not {type(policy).__name__}")
    previous, _default = _default, policy
    return previous
