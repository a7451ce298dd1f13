"""What hashing a loaded value costs, counted without hashing it.

A lossless payload can share a value (``__ref__``). Python caches the hash of a string,
bytes or frozenset, but not of a tuple (nor of a record whose ``__hash__`` hashes its
fields): a tuple holding the same tuple twice, which holds the same tuple twice... is a
few hundred bytes whose hash takes time exponential in its depth. :class:`HashCost` counts
the items such a hash visits, once per distinct object, so that a load can bound the sum
over its shared values instead of refusing to share them at all.
"""

from __future__ import annotations

import datetime as dt
import enum
import pathlib
import sys
import uuid
from decimal import Decimal
from fractions import Fraction
from typing import Any

__all__ = ["HashCost", "is_hashed_by_contents"]

# Hashed in constant time, or once and then cached by the object itself (str, bytes,
# frozenset: a frozenset's hash combines the hashes its table already holds).
_FLAT: tuple[type, ...] = (str, bytes, frozenset, float, complex, type(None), dt.date, dt.time, dt.timedelta)
_FLAT += (range, uuid.UUID, pathlib.PurePath, enum.Enum)
_WORD_BITS = 64
_IN_PROGRESS = -1


def is_hashed_by_contents(obj: Any) -> bool:
    """Whether ``obj`` is hashable and its hash depends on its contents (not its identity)."""
    method: Any = type(obj).__hash__
    return method is not None and method is not object.__hash__


class HashCost:
    """One load's counts, each object counted once (and kept alive, so that no id is reused)."""

    def __init__(self) -> None:
        self._counted: dict[int, tuple[Any, int]] = {}

    def of(self, obj: Any) -> int:
        """About how many items ``hash(obj)`` visits.

        An int's or Decimal's 64-bit words; 1 for what hashes in constant time or caches
        its hash; for a tuple, or a record hashed by its contents, 1 plus the count of each
        item or attribute (a shared one each time it is reached).
        """
        counted = self._counted
        flat = _flat_cost(obj)
        if flat is not None:
            return flat
        if id(obj) in counted:
            return max(counted[id(obj)][1], 1)
        # A loop, not a recursion: a tuple nested as deep as the parser goes is counted too.
        counted[id(obj)] = (obj, _IN_PROGRESS)
        frames: list[tuple[Any, Any, list[int]]] = [(obj, iter(_parts(obj)), [1])]
        while frames:
            current, parts, total = frames[-1]
            for part in parts:
                cost = _flat_cost(part)
                if cost is None:
                    known = counted.get(id(part))
                    if known is None:
                        counted[id(part)] = (part, _IN_PROGRESS)
                        frames.append((part, iter(_parts(part)), [1]))
                        break
                    cost = max(known[1], 1)  # (in progress: a cycle, which no hash follows twice)
                total[0] += cost
            else:
                frames.pop()
                counted[id(current)] = (current, total[0])
                if frames:
                    frames[-1][2][0] += total[0]
        return counted[id(obj)][1]


def _flat_cost(obj: Any) -> int | None:
    """The cost of ``obj`` if no item of it is hashed with it, else None."""
    cls = type(obj)
    if cls is int or cls is bool:
        return 1 + int(obj.bit_length()) // _WORD_BITS
    if isinstance(obj, _FLAT) or not is_hashed_by_contents(obj):
        return 1
    if isinstance(obj, Decimal):  # its size in memory, a word per 19 digits, is had without counting them
        return sys.getsizeof(obj) // 8
    if isinstance(obj, Fraction):
        return 1 + (obj.numerator.bit_length() + obj.denominator.bit_length()) // _WORD_BITS
    if isinstance(obj, int):
        return 1 + obj.bit_length() // _WORD_BITS
    if cls.__module__ == "numpy":  # a numpy scalar: one value of a fixed size
        return 1
    return None


def _parts(obj: Any) -> Any:
    # What a hash by contents hashes: a tuple's items; a record's fields (a dataclass's or
    # attrs' generated __hash__ hashes a tuple of them), by its __dict__ or __slots__.
    if isinstance(obj, tuple):
        return obj
    fields = getattr(obj, "__dict__", None)
    if isinstance(fields, dict):
        return list(fields.values())
    slots = [name for klass in type(obj).__mro__ for name in getattr(klass, "__slots__", ())]
    return [getattr(obj, name) for name in slots if isinstance(name, str) and hasattr(obj, name)]
