"""Finding where a failed marker object is, from its rank among marker objects.

The decoder's hook knows no paths (it is called by the C parser on each object as it
closes); a failure carries its rank in closing order. A second parse, whose hook counts
marker objects in the same order, finds the object without building anything: each
object parses into None, the one found into a token, and each object that holds the
token (directly, or through nested lists) into a new token, noting the key. So it costs
no more than the load's own parse, whatever the payload's depth.
"""

from __future__ import annotations

import json
from itertools import repeat
from operator import is_, itemgetter
from typing import Any

from traceable._markers import MARKERS
from traceable._paths import format_path

__all__ = ["path_of_marker"]

_key = itemgetter(0)
_is_list = list.__instancecheck__


def path_of_marker(text: str, rank: int) -> str:
    """The JSON path of the ``rank``-th marker object of ``text`` in closing order.

    ``text`` is JSON (already parsed once). Objects are counted with all their pairs,
    repeated keys included, as the hooked parse that failed built them all.

    Example:
        >>> path_of_marker('{"a": [1, {"__tuple__": [{"__set__": []}]}]}', 2)
        '$.a[1]'
    """
    locator = _Locator(rank)
    try:
        root = json.JSONDecoder(object_pairs_hook=locator.hook).decode(text)
    except (ValueError, RecursionError):  # past the object, the text is no JSON (or too deep): from the top
        return "$"
    if locator.token is None:
        return "$"
    if root is not locator.token:  # the rest of the way is lists
        locator.keys += reversed(_indexes(root, locator.token) or [])
    return format_path(locator.keys[::-1])


class _Locator:
    def __init__(self, rank: int) -> None:
        self.rank = rank
        self.count = 0
        self.token: object | None = None  # what the object found, or its outermost container yet, parsed into
        self.keys: list[str | int] = []  # the path, from the object found outwards

    def hook(self, pairs: list[tuple[str, Any]]) -> object | None:
        token = self.token
        if token is None:
            if MARKERS.isdisjoint(map(_key, pairs)):
                return None
            self.count += 1
            if self.count < self.rank:
                return None
            self.token = object()
            return self.token
        # Found already: is this object one of its containers? (Only tokens, lists, None
        # and scalars are left to look through.)
        for key, value in pairs:
            if value is token:
                self.keys.append(key)
                break
            if type(value) is list and (indexes := _indexes(value, token)) is not None:
                self.keys += reversed(indexes)
                self.keys.append(key)
                break
        else:
            return None
        self.token = object()
        return self.token


def _indexes(items: Any, token: object) -> list[int] | None:
    """The indexes that lead to ``token`` through ``items`` and the lists inside it, or None."""
    if not _is_list(items):
        return None
    # A loop, not a recursion (lists nest as deep as the parser goes), and each list
    # noted by its parent and index, not by a copy of its whole path.
    parents: list[tuple[int, int]] = [(-1, -1)]  # per list seen: (its parent's entry, its index there)
    stack: list[tuple[list[Any], int]] = [(items, 0)]
    while stack:
        current, entry = stack.pop()
        if any(map(is_, current, repeat(token))):
            where = [next(i for i, item in enumerate(current) if item is token)]
            while entry > 0:
                entry, index = parents[entry]
                where.append(index)
            return where[::-1]
        if any(map(_is_list, current)):
            for index, item in enumerate(current):
                if _is_list(item):
                    parents.append((entry, index))
                    stack.append((item, len(parents) - 1))
    return None
