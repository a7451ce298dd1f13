"""A payload as a tree of typed nodes, read from its JSON without building anything.

``traceable show`` draws this tree and ``traceable diff`` compares two of them. Every
marker of the wire format is recognised from the JSON alone: nothing is imported,
called or unpickled, so any payload can be looked at.

Each node has a ``kind``, the JSON ``path`` of its value, a one-line ``summary``,
kind-specific ``fields`` and, for the kinds that hold values, ``children``. The kinds
and their fields are the documented form of ``traceable show --json``: the README's
"Command line" section lists them, and a change that breaks a reader bumps the
format's version.
"""

from __future__ import annotations

from typing import Any

from traceable import _registry, _wire
from traceable._audit import Pairs
from traceable._decode import parse_pairs
from traceable._node import Invalid, Key, Node, count, fold, scalar, to_json
from traceable._paths import format_path
from traceable._policy import LoadPolicy
from traceable._tree_kinds import KINDS, codec

__all__ = ["Node", "read_tree", "to_json"]


def read_tree(text: str, policy: LoadPolicy | None = None, *, ignore_comments: bool = True) -> Node:
    """Parse payload text into a :class:`Node` tree, importing, calling and unpickling nothing.

    Args:
        text: the payload's JSON text.
        policy: its ``max_depth`` bounds the nesting (the other limits apply when reading).
        ignore_comments: allow ``#`` and ``//`` comments outside strings, as ``load`` does.

    Raises:
        DecodeError: the text is not JSON.
        UnsafePayloadError: it nests deeper than ``policy.max_depth``.

    Example:
        >>> root = read_tree('{"net": {"__symbol__": "path:mod.Net", "__kwargs__": {"width": 8}}}')
        >>> [(node.path, node.summary) for node in root.children[0].children]
        [('$.net.__kwargs__.width', '8')]
        >>> root.children[0].summary
        'call mod.Net(width=8)'
    """
    parsed = parse_pairs(text, ignore_comments=ignore_comments)
    return _Reader(policy).node(parsed, (), None, 0)


class _Reader:
    def __init__(self, policy: LoadPolicy | None) -> None:
        self.policy = policy
        self.max_depth = None if policy is None else policy.max_depth
        self.shared: dict[int, Node] = {}  # lossless: the objects shared by number, read so far

    def node(self, value: Any, keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
        # depth: the containers around ``value``.
        if isinstance(value, (list, Pairs)) and self.policy is not None and depth == self.max_depth:
            self.policy.exceeded("max_depth", depth + 1, format_path(keys), "the nesting depth")
        if isinstance(value, Pairs):
            return fold(self.object(value, keys, key, depth))
        if isinstance(value, list):
            items = [self.node(item, (*keys, i), i, depth + 1) for i, item in enumerate(value)]
            return fold(Node("array", keys, key, count("array", len(items), "item"), children=items, raw=value))
        return scalar(value, keys, key)

    def object(self, pairs: Pairs, keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
        # The first marker key decides, as in the decoder; codecs' markers are the registry's.
        marker = next((name for name, _ in pairs if name in KINDS or name in _registry.MARKERS), None)
        if marker is None:
            return self.entries("object", pairs, keys, key, depth)
        obj = dict(pairs)
        try:
            node = KINDS.get(marker, codec)(self, obj, keys, key, depth)
        except Invalid as err:
            node = self.entries("invalid", pairs, keys, key, depth)
            node.fields = {"marker": marker, "error": str(err)}
            node.summary = f"invalid {marker} object: {err}"
        if marker != _wire.ID:  # (a shared value's node is its value's, raw JSON included)
            node.raw = pairs
        return node

    def entries(
        self, kind: str, pairs: list[tuple[str, Any]], keys: tuple[Key, ...], key: Key | None, depth: int
    ) -> Node:
        children = [self.node(value, (*keys, name), name, depth + 1) for name, value in pairs]
        last = {name: i for i, (name, _) in enumerate(pairs)}
        for i, (name, _) in enumerate(pairs):
            if last[name] != i:  # what dump never writes, and what a load would drop
                children[i].summary += " (repeated key: a load keeps only the last value)"
        return Node(kind, keys, key, count("object", len(children), "key"), children=children, raw=pairs)
