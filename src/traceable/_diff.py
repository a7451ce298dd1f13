"""Comparing two payloads by meaning: which symbol, argument or value changed, by JSON path.

Both payloads are read as :mod:`traceable._tree` trees, so nothing is built. Objects and
keyword arguments are matched by key (their order does not matter), lists and positional
arguments by position (aligned on equal items when their lengths differ), set items as
a multiset, and numpy arrays by dtype, shape and elements, whichever form they are in.
Shared values of lossless payloads compare as the objects they are: which place holds
the value and which ones refer to it does not matter, only which places are one object.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
from collections import Counter
from collections.abc import Iterator
from typing import Any, NamedTuple

from traceable import _wire
from traceable._audit import Pairs
from traceable._node import Node
from traceable._tree_kinds import dtype_label

__all__ = ["Change", "diff_trees"]

# Aligning lists of different lengths on their equal items is quadratic at worst: longer
# lists are compared position by position.
_ALIGN_LIMIT = 2000


@dataclasses.dataclass(frozen=True)
class Change:
    """One difference between two payloads.

    Attributes:
        path: the JSON path of the value: in the second payload, or in the first for a
            removed value.
        change: ``"added"``, ``"removed"``, ``"changed"``, or ``"item added"`` and
            ``"item removed"`` for the items of a set (``path`` is then the set's).
        old: the summary of the value in the first payload, or None (added).
        new: the summary of the value in the second payload, or None (removed).
        detail: one line for people.
    """

    path: str
    change: str
    old: str | None
    new: str | None
    detail: str


def diff_trees(a: Node, b: Node, *, max_array_bytes: int | None = None) -> list[Change]:
    """The differences between two payload trees, in the order of the first.

    Args:
        a: the first payload's tree.
        b: the second payload's tree.
        max_array_bytes: compact (base64) arrays larger than this are compared as text
            only, not element by element.

    Example:
        >>> from traceable._tree import read_tree
        >>> old = read_tree('{"net": {"__symbol__": "path:m.Net", "__kwargs__": {"width": 8}}}')
        >>> new = read_tree('{"net": {"__symbol__": "path:m.Net", "__kwargs__": {"width": 16}}}')
        >>> [change.detail for change in diff_trees(old, new)]
        ['8 -> 16']
    """
    changes: list[Change] = []
    _Differ(changes, max_array_bytes, _shared_values(a), _shared_values(b)).compare(a, b)
    return changes


class _Differ:
    def __init__(
        self, changes: list[Change], max_array_bytes: int | None, shared_a: dict[int, Node], shared_b: dict[int, Node]
    ) -> None:
        self.changes = changes
        self.max_array_bytes = max_array_bytes
        self.shared = (shared_a, shared_b)
        # Which shared object of one payload each shared object of the other is, as met so far.
        self.pairs: tuple[dict[int, int | None], dict[int, int | None]] = ({}, {})

    def compare(self, a: Node, b: Node) -> None:
        if (a.kind == "lossless") != (b.kind == "lossless"):
            # One payload in the default form, one in the lossless: their values compare.
            self.compare(_unwrapped(a), _unwrapped(b))
            return
        id_a, id_b = a.fields.get("id"), b.fields.get("id")
        if id_a is not None or id_b is not None:
            met = self.pair(id_a, id_b)
            if met is None:  # one object in a place of one payload, another in the other
                self.changed(a, b)
            if not met:  # (or this pair of objects was compared when first met)
                return
            a = self.shared[0].get(id_a, a) if id_a is not None else a
            b = self.shared[1].get(id_b, b) if id_b is not None else b
        if a.kind != b.kind or a.token != b.token:
            self.changed(a, b)
            if a.kind != b.kind or a.children is None:
                return  # a call's symbol changed: its arguments are compared below all the same
        if a.kind == "ndarray":
            self.compare_arrays(a, b)
        elif a.kind in ("set", "frozenset"):
            self.compare_items(a, b)
        elif a.kind == "items":
            self.compare_pairs(a.children or [], b.children or [])
        elif a.children is not None and b.children is not None:
            self.compare_children(a.children, b.children)

    def pair(self, id_a: int | None, id_b: int | None) -> bool | None:
        """Whether to compare two places, one of them holding a shared object (``id_a`` or
        ``id_b``; None for an unshared value): True the first time their objects meet, False
        when these two met before, None when either met another one before (the places are
        one object in one payload and not in the other)."""
        pairs_a, pairs_b = self.pairs
        new_a = id_a is None or id_a not in pairs_a
        new_b = id_b is None or id_b not in pairs_b
        if new_a and new_b:
            if id_a is not None:
                pairs_a[id_a] = id_b
            if id_b is not None:
                pairs_b[id_b] = id_a
            return True
        if id_a is not None and id_b is not None and pairs_a.get(id_a) == id_b and pairs_b.get(id_b) == id_a:
            return False
        return None  # (an unshared value is never met twice)

    def changed(self, a: Node, b: Node, detail: str | None = None) -> None:
        if detail is None:
            detail = f"{a.summary} -> {b.summary}" if a.summary != b.summary else f"{a.summary}, changed"
        self.changes.append(Change(b.path, "changed", a.summary, b.summary, detail))

    def added(self, b: Node) -> None:
        self.changes.append(Change(b.path, "added", None, b.summary, b.summary))

    def removed(self, a: Node) -> None:
        self.changes.append(Change(a.path, "removed", a.summary, None, a.summary))

    def compare_children(self, xs: list[Node], ys: list[Node]) -> None:
        # Positional children (list items, positional arguments) by position, named ones
        # (object keys, keyword arguments) by name; a repeated key loads as its last value.
        self.compare_sequences([x for x in xs if isinstance(x.key, int)], [y for y in ys if isinstance(y.key, int)])
        named_x = {x.key: x for x in xs if isinstance(x.key, str)}
        named_y = {y.key: y for y in ys if isinstance(y.key, str)}
        for key, x in named_x.items():
            if key in named_y:
                self.compare(x, named_y[key])
            else:
                self.removed(x)
        for key, y in named_y.items():
            if key not in named_x:
                self.added(y)

    def compare_pairs(self, xs: list[Node], ys: list[Node]) -> None:
        # A lossless dict's [key, value] pairs, matched by key in any order, as object keys
        # are; a repeated key loads as its last value.
        by_key_x = {_fingerprint(x.raw[0]): x for x in xs}
        by_key_y = {_fingerprint(y.raw[0]): y for y in ys}
        for key, x in by_key_x.items():
            if key in by_key_y:
                self.compare(x, by_key_y[key])
            else:
                self.removed(x)
        for key, y in by_key_y.items():
            if key not in by_key_x:
                self.added(y)

    def compare_sequences(self, xs: list[Node], ys: list[Node]) -> None:
        if len(xs) == len(ys) or len(xs) + len(ys) > _ALIGN_LIMIT:
            blocks: Iterator[tuple[int, int, int, int]] = iter([(0, len(xs), 0, len(ys))])
        else:
            old, new = [_fingerprint(x.raw) for x in xs], [_fingerprint(y.raw) for y in ys]
            matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
            blocks = ((i1, i2, j1, j2) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal")
        for i1, i2, j1, j2 in blocks:
            paired = min(i2 - i1, j2 - j1)
            for k in range(paired):
                self.compare(xs[i1 + k], ys[j1 + k])
            for x in xs[i1 + paired : i2]:
                self.removed(x)
            for y in ys[j1 + paired : j2]:
                self.added(y)

    def compare_items(self, a: Node, b: Node) -> None:
        kept = Counter(_fingerprint(y.raw) for y in b.children or [])
        for x in a.children or []:
            if kept[_fingerprint(x.raw)] > 0:
                kept[_fingerprint(x.raw)] -= 1
            else:
                self.changes.append(Change(a.path, "item removed", x.summary, None, f"item {x.summary}"))
        left = Counter(_fingerprint(x.raw) for x in a.children or [])
        for y in b.children or []:
            if left[_fingerprint(y.raw)] > 0:
                left[_fingerprint(y.raw)] -= 1
            else:
                self.changes.append(Change(b.path, "item added", None, y.summary, f"item {y.summary}"))

    def compare_arrays(self, a: Node, b: Node) -> None:
        # Same dtype and shape here (they are the token): compare the elements.
        obj_a, obj_b = dict(a.raw), dict(b.raw)
        data_a, data_b = obj_a[_wire.NDARRAY], obj_b[_wire.NDARRAY]
        if _fingerprint(data_a) == _fingerprint(data_b) and obj_a.get("endian") == obj_b.get("endian"):
            return
        if isinstance(data_a, list) and isinstance(data_b, list):
            found = _list_mismatch(data_a, data_b, a.fields["shape"])
        else:
            found = self.decoded_mismatch(obj_a, obj_b, a.fields["elements"])
        described = f"ndarray {dtype_label(a.fields['dtype'])} {a.fields['shape']}"
        if isinstance(found, str):
            self.changed(a, b, f"{described}: the data differs{found}")
        elif found.differing:
            what = f"{found.differing:,} of {a.fields['elements']:,} elements differ"
            self.changed(a, b, f"{described}: {what}, first at {found.first}: {found.old} -> {found.new}")

    def decoded_mismatch(self, obj_a: dict[str, Any], obj_b: dict[str, Any], elements: int) -> _Mismatch | str:
        try:
            import numpy as np

            from traceable._codecs import numpy as codec
        except ImportError:
            return " (install numpy to compare compact arrays element by element)"
        try:
            itemsize = codec.parse_dtype(obj_a["dtype"]).itemsize
            if self.max_array_bytes is not None and itemsize * elements > self.max_array_bytes:
                return f" (not compared element by element: over max_array_bytes={self.max_array_bytes:,})"
            x, y = codec.decode_ndarray(_decoded(obj_a)), codec.decode_ndarray(_decoded(obj_b))
        except Exception as err:  # what a load would fail on: say so, and go on with the diff
            return f" (cannot decode it: {err})"
        equal = np.asarray(x == y)
        if x.dtype.kind in "fc":
            equal |= np.isnan(x) & np.isnan(y)
        count = int(equal.size - np.count_nonzero(equal))
        if not count:
            return _Mismatch(0, [], "", "")
        index = [int(i) for i in np.argwhere(~equal)[0]]
        return _Mismatch(count, index, str(x[tuple(index)]), str(y[tuple(index)]))


def _shared_values(root: Node) -> dict[int, Node]:
    # The value of each shared object of a lossless payload, by number.
    found: dict[int, Node] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        number = node.fields.get("id")
        if number is not None and node.kind != "ref":
            found.setdefault(number, node)
        stack.extend(node.children or ())
    return found


def _unwrapped(node: Node) -> Node:
    # The value inside a lossless payload's envelope ({"__lossless__": 1, "value": ...}).
    return node.children[0] if node.kind == "lossless" and node.children else node


class _Mismatch(NamedTuple):
    differing: int  # how many elements differ
    first: list[int]  # the index of the first
    old: str
    new: str


def _list_mismatch(data_a: Any, data_b: Any, shape: list[int]) -> _Mismatch | str:
    xs, ys = list(_leaves(data_a)), list(_leaves(data_b))
    if len(xs) != len(ys):
        return " (one of them does not fill its shape)"
    count, first = 0, -1
    for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
        if not _same_element(x, y):
            count += 1
            first = i if first < 0 else first
    if not count:
        return _Mismatch(0, [], "", "")
    return _Mismatch(count, _unravel(first, shape), _text(xs[first]), _text(ys[first]))


def _same_element(x: Any, y: Any) -> bool:
    # As loaded into one dtype: 1 and 1.0 are equal, and so are two NaNs.
    if isinstance(x, (int, float)) and isinstance(y, (int, float)):
        return bool(x == y or (math.isnan(x) and math.isnan(y)))
    return _fingerprint(x) == _fingerprint(y)


def _unravel(flat: int, shape: list[int]) -> list[int]:
    index = []
    for size in reversed(shape):
        flat, position = divmod(flat, size)
        index.append(position)
    return index[::-1]


def _leaves(data: Any) -> Iterator[Any]:
    if type(data) is list:
        for item in data:
            yield from _leaves(item)
    else:
        yield data


def _text(value: Any) -> str:
    return json.dumps(_canonical(value), ensure_ascii=False)


def _decoded(obj: dict[str, Any]) -> dict[str, Any]:
    # The array's object as the decoder's hook sees it: inner complex markers decoded.
    def value(item: Any) -> Any:
        if isinstance(item, Pairs):
            inner = dict(item)
            parts = inner.get(_wire.COMPLEX)
            return complex(*parts) if isinstance(parts, list) and len(parts) == 2 else inner
        return [value(x) for x in item] if type(item) is list else item

    return {key: value(item) for key, item in obj.items()}


def _canonical(raw: Any) -> Any:
    if isinstance(raw, Pairs):
        return {key: _canonical(value) for key, value in raw}
    if isinstance(raw, list):
        return [_canonical(value) for value in raw]
    return raw


def _fingerprint(raw: Any) -> str:
    return json.dumps(_canonical(raw), sort_keys=True)
