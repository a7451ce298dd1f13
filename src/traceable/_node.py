"""The nodes of a payload tree, and what is said about them in one line."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any, Union

from traceable import _wire
from traceable._audit import Pairs, b64_size
from traceable._paths import format_path

__all__ = [
    "SCALARS",
    "Invalid",
    "Key",
    "Node",
    "count",
    "fold",
    "json_type",
    "mapping",
    "plural",
    "quote",
    "scalar",
    "sized",
    "symbol_name",
    "to_json",
]

Key = Union[str, int]
SCALARS = frozenset({"string", "number", "boolean", "null"})


@dataclasses.dataclass
class Node:
    """One value of a payload, as the payload describes it.

    Attributes:
        kind: what the value is (the README lists the kinds).
        keys: the keys from the root to the value, as in its JSON path.
        key: how its parent names it: an object key, a keyword argument's name, an index
            (a list item, a positional argument, a set item), or None for the root.
        summary: one line for people. A short container of scalars is written whole
            (``[1, 2]``, ``call mod.Net(width=8)``) and ``folded``.
        fields: kind-specific facts, JSON-able.
        children: the values inside it, or None for a leaf.
        token: what the value is apart from its children: two nodes of one kind are
            equal when their tokens and their children are (the symbol of a call, a
            leaf's value...).
        raw: the parsed JSON of the value.
        folded: whether ``summary`` holds the children already (``show`` draws no lines
            for them).
    """

    kind: str
    keys: tuple[Key, ...]
    key: Key | None
    summary: str
    fields: dict[str, Any] = dataclasses.field(default_factory=dict)
    children: list[Node] | None = None
    token: Any = None
    raw: Any = None
    folded: bool = False

    @property
    def path(self) -> str:
        """The JSON path of the value, such as ``$.model.__kwargs__.width``."""
        return format_path(self.keys)


def to_json(node: Node) -> dict[str, Any]:
    """The node as JSON-able data: ``key``, ``path``, ``kind``, ``summary``, its fields, ``children``.

    ``children`` is there for the kinds that hold other values (and only for them).

    Example:
        >>> to_json(scalar(1.5, ("lr",), "lr"))
        {'key': 'lr', 'path': '$.lr', 'kind': 'number', 'summary': '1.5', 'value': 1.5}
    """
    out: dict[str, Any] = {"key": node.key, "path": node.path, "kind": node.kind, "summary": node.summary}
    out.update(node.fields)
    if node.children is not None:
        out["children"] = [to_json(child) for child in node.children]
    return out


class Invalid(Exception):
    """A marker object that a load would refuse or fail on."""


def scalar(value: Any, keys: tuple[Key, ...], key: Key | None) -> Node:
    """The node of a JSON string, number, boolean or null."""
    if value is None:
        return Node("null", keys, key, "null", {"value": None}, token=None, raw=value)
    if isinstance(value, bool):
        text = "true" if value else "false"
        return Node("boolean", keys, key, text, {"value": value}, token=value, raw=value)
    if isinstance(value, str):
        return Node("string", keys, key, quote(value), {"value": value}, token=value, raw=value)
    text = json.dumps(value)
    shown = value if math.isfinite(value) else text  # JSON has no NaN: machines get the name
    # ints and floats apart (1 and 1.0 load as different objects); NaN equal to itself.
    return Node("number", keys, key, text, {"value": shown}, token=(type(value).__name__, text), raw=value)


_FOLD_WIDTH = 80  # the longest container written on one line


def fold(node: Node) -> Node:
    # A container of scalars only, on one line when it is short.
    children = node.children
    if node.folded:
        return node
    if children is None or not all(child.kind in SCALARS for child in children):
        return node
    items = ", ".join(
        child.summary if isinstance(child.key, int) else f"{child.key}={child.summary}" for child in children
    )
    if node.kind == "array":
        text = f"[{items}]"
    elif node.kind in ("set", "frozenset"):
        text = f"{node.kind} {{{items}}}"
    elif node.kind == "tuple":
        text = f"tuple ({items})"
    elif node.kind == "record" and children and node.fields["symbol"] is not None:
        text = f"{node.summary}({items})"
    elif node.kind == "call" and node.fields["symbol"] is not None:
        text = f"call {node.fields['symbol']}({items})"
    elif node.kind == "instance":
        text = f"{node.fields['symbol']}._load({items})"
    elif node.kind == "object" and not children:
        text = "{}"
    else:
        return node
    if len(text) <= _FOLD_WIDTH:
        node.summary, node.folded = text, True
    return node


def symbol_name(name: Any) -> tuple[str | None, int | None]:
    # (dotted name, None) or (None, size of the pickle) for a "bytes:" name.
    if not isinstance(name, str) or not name:
        raise Invalid(f"a symbol must be a name such as 'path:mod.Name', not {json_type(name)}")
    if name.startswith(_wire.BYTES_PREFIX):
        return None, b64_size(name[len(_wire.BYTES_PREFIX) :])
    return name.removeprefix(_wire.PATH_PREFIX), None


def mapping(value: Any) -> dict[str, Any]:
    """The object inside a marker object, as a dict."""
    if not isinstance(value, Pairs):
        raise Invalid(f"expected an object, not {json_type(value)}")
    items = value[0][1] if len(value) == 1 and value[0][0] == _wire.ITEMS else None
    if type(items) is list and all(type(pair) is list and len(pair) == 2 and type(pair[0]) is str for pair in items):
        return dict(items)  # the lossless form of a dict with keys like markers ("__enum_instance_type__")
    return dict(value)


def json_type(value: Any) -> str:
    if isinstance(value, Pairs):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return {str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")


def quote(text: str) -> str:
    if len(text) <= 60:
        return json.dumps(text, ensure_ascii=False)
    return f'{json.dumps(text[:50], ensure_ascii=False)[:-1]}…" ({len(text):,} characters)'


def count(kind: str, n: int, noun: str) -> str:
    return f"{kind} ({plural(n, noun)})"


def plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def sized(what: str, size: int | None) -> str:
    return what if size is None else f"{what} ({size:,} bytes)"
