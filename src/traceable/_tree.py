"""A payload as a tree of typed nodes, read from its JSON without building anything.

``traceable show`` draws this tree and ``traceable diff`` compares two of them. Every
marker of the wire format is recognised from the JSON alone: nothing is imported,
called or unpickled, so any payload can be looked at.

Each node has a ``kind``, the JSON ``path`` of its value, a one-line ``summary`` and
kind-specific ``fields`` (see :func:`to_json` for the documented form):

============================ ================================================== ==========================
kind                         what it is                                         fields
============================ ================================================== ==========================
object, array                a plain JSON object or array                       (children)
string, number, boolean,     a JSON scalar (non-finite numbers as the strings    value
null                         ``"NaN"``, ``"Infinity"``, ``"-Infinity"``)
call                         ``__symbol__``: a traced call; children are the    symbol, pickled_size
                             positional (int keys) then keyword arguments
symbol                       ``__nni_type__``: a class or function as a value   symbol, pickled_size
instance                     ``__instance_type__``: ``cls._load(**fields)``     symbol (children: fields)
pickle                       ``__nni_obj__``: a cloudpickled object             size, python, cloudpickle
ndarray                      a numpy array                                      dtype, shape, elements,
                                                                                encoding, data_bytes
dataframe, series            pandas values; children are the index and data     columns, dtypes, rows /
                                                                                name, dtype, length
set, frozenset               children are the items                             (children)
enum                         an enum member                                     symbol, member
datetime, date, time,        natively encoded values, as Python's ``str``       value
timedelta, decimal,          writes them (``isoformat`` for dates and times)
fraction, complex, path,
range, slice
bytes, bytearray             binary data                                        size
invalid                      a marker object that a load would fail on          marker, error (children:
                                                                                its entries)
============================ ================================================== ==========================

``symbol`` is the dotted name, or None for a pickled class or function, whose size in
bytes is then ``pickled_size`` (None otherwise).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from typing import Any, Union

from traceable import _wire
from traceable._audit import Pairs, b64_size
from traceable._codecs import stdlib
from traceable._decode import parse_pairs
from traceable._encode import format_path
from traceable._policy import LoadPolicy

__all__ = ["SCALARS", "Node", "read_tree", "to_json"]

Key = Union[str, int]
SCALARS = frozenset({"string", "number", "boolean", "null"})


@dataclasses.dataclass
class Node:
    """One value of a payload, as the payload describes it.

    Attributes:
        kind: what the value is (see the module's table).
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


def to_json(node: Node) -> dict[str, Any]:
    """The node as JSON-able data: ``key``, ``path``, ``kind``, ``summary``, its fields, ``children``.

    ``children`` is there for the kinds that hold other values (and only for them).

    Example:
        >>> to_json(read_tree('{"tags": {"__set__": [1]}}').children[0])["children"]
        [{'key': 0, 'path': '$.tags.__set__[0]', 'kind': 'number', 'summary': '1', 'value': 1}]
    """
    out: dict[str, Any] = {"key": node.key, "path": node.path, "kind": node.kind, "summary": node.summary}
    out.update(node.fields)
    if node.children is not None:
        out["children"] = [to_json(child) for child in node.children]
    return out


class _Invalid(Exception):
    """A marker object that a load would refuse or fail on."""


class _Reader:
    def __init__(self, policy: LoadPolicy | None) -> None:
        self.policy = policy
        self.max_depth = None if policy is None else policy.max_depth

    def node(self, value: Any, keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
        # depth: the containers around ``value``.
        if isinstance(value, (list, Pairs)) and self.policy is not None and depth == self.max_depth:
            self.policy.exceeded("max_depth", depth + 1, format_path(keys), "the nesting depth")
        if isinstance(value, Pairs):
            return _fold(self.object(value, keys, key, depth))
        if isinstance(value, list):
            items = [self.node(item, (*keys, i), i, depth + 1) for i, item in enumerate(value)]
            return _fold(Node("array", keys, key, _count("array", len(items), "item"), children=items, raw=value))
        return scalar(value, keys, key)

    def object(self, pairs: Pairs, keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
        marker = next((name for name, _ in pairs if name in _KINDS), None)
        if marker is None:
            return self.entries("object", pairs, keys, key, depth)
        obj = dict(pairs)
        try:
            node = _KINDS[marker](self, obj, keys, key, depth)
        except _Invalid as err:
            node = self.entries("invalid", pairs, keys, key, depth)
            node.fields = {"marker": marker, "error": str(err)}
            node.summary = f"invalid {marker} object: {err}"
        node.raw = pairs
        return node

    def entries(
        self, kind: str, pairs: list[tuple[str, Any]], keys: tuple[Key, ...], key: Key | None, depth: int
    ) -> Node:
        children = [self.node(value, (*keys, name), name, depth + 1) for name, value in pairs]
        last = {name: i for i, (name, _) in enumerate(pairs)}
        for i, child in enumerate(children):
            if last[child.key] != i:  # what dump never writes, and what a load would drop
                child.summary += " (repeated key: a load keeps only the last value)"
        return Node(kind, keys, key, _count("object", len(children), "key"), children=children, raw=pairs)

    def call(self, obj: dict[str, Any], keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
        symbol, size = _symbol(obj[_wire.SYMBOL])
        args, kwargs = obj.get(_wire.ARGS, []), obj.get(_wire.KWARGS, Pairs())
        if type(args) is not list:
            raise _Invalid(f"{_wire.ARGS} must be a list, not {_json_type(args)}")
        if not isinstance(kwargs, Pairs):
            raise _Invalid(f"{_wire.KWARGS} must be an object, not {_json_type(kwargs)}")
        children = [self.node(a, (*keys, _wire.ARGS, i), i, depth + 2) for i, a in enumerate(args)]
        children += [self.node(v, (*keys, _wire.KWARGS, k), k, depth + 2) for k, v in kwargs]
        what = "call a pickled class or function" if symbol is None else f"call {symbol}"
        fields = {"symbol": symbol, "pickled_size": size}
        return Node("call", keys, key, _sized(what, size), fields, children, token=obj[_wire.SYMBOL])

    def instance(self, obj: dict[str, Any], keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
        symbol, _ = _symbol(obj[_wire.INSTANCE_TYPE])
        if symbol is None:
            raise _Invalid("a pickled class cannot have _load called on it")
        fields = [(name, value) for name, value in obj.items() if name != _wire.INSTANCE_TYPE]
        node = self.entries("instance", fields, keys, key, depth)
        node.summary, node.fields, node.token = f"{symbol} via _load", {"symbol": symbol}, symbol
        return node

    def items(self, obj: dict[str, Any], keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
        kind, marker = ("set", _wire.SET) if _wire.SET in obj else ("frozenset", _wire.FROZENSET)
        items = obj[marker]
        if type(items) is not list:
            raise _Invalid(f"expected a list of items, not {_json_type(items)}")
        children = [self.node(item, (*keys, marker, i), i, depth + 2) for i, item in enumerate(items)]
        return Node(kind, keys, key, _count(kind, len(children), "item"), children=children)

    def dataframe(self, obj: dict[str, Any], keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
        meta = _mapping(obj[_wire.DATAFRAME])
        names, types = meta.get("column_order"), meta.get("types")
        if type(names) is not list or type(types) is not list or len(names) != len(types):
            raise _Invalid("column_order and types must be lists of the same length")
        if not all(isinstance(name, str) for name in names) or not all(isinstance(t, str) for t in types):
            raise _Invalid("column names and types must be strings")
        index = obj.get("index", [])
        children = [self.node(index, (*keys, "index"), "index", depth + 1)]
        children += [self.node(obj.get(name), (*keys, name), name, depth + 1) for name in names]
        rows = len(index) if type(index) is list else 0
        columns = ", ".join(f"{name}: {dtype}" for name, dtype in zip(names, types, strict=True))
        summary = f"DataFrame ({_plural(rows, 'row')}; {columns or 'no columns'})"
        fields = {"columns": names, "dtypes": types, "rows": rows}
        return Node("dataframe", keys, key, summary, fields, children, token=(tuple(names), tuple(types)))

    def series(self, obj: dict[str, Any], keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
        meta = _mapping(obj[_wire.SERIES])
        name, dtype = meta.get("name"), meta.get("type")
        if not isinstance(dtype, str):
            raise _Invalid("a series' type must be a string")
        data = obj.get("data", [])
        children = [self.node(obj.get("index", []), (*keys, "index"), "index", depth + 1)]
        children.append(self.node(data, (*keys, "data"), "data", depth + 1))
        length = len(data) if type(data) is list else 0
        named = "" if name is None else f" {json.dumps(name, ensure_ascii=False)}"
        summary = f"Series{named} {dtype} ({_plural(length, 'item')})"
        fields = {"name": name, "dtype": dtype, "length": length}
        return Node("series", keys, key, summary, fields, children, token=(json.dumps(name), dtype))


def scalar(value: Any, keys: tuple[Key, ...], key: Key | None) -> Node:
    """The node of a JSON string, number, boolean or null."""
    if value is None:
        return Node("null", keys, key, "null", {"value": None}, token=None, raw=value)
    if isinstance(value, bool):
        text = "true" if value else "false"
        return Node("boolean", keys, key, text, {"value": value}, token=value, raw=value)
    if isinstance(value, str):
        return Node("string", keys, key, _quote(value), {"value": value}, token=value, raw=value)
    text = json.dumps(value)
    shown = value if math.isfinite(value) else text  # JSON has no NaN: machines get the name
    # ints and floats apart (1 and 1.0 load as different objects); NaN equal to itself.
    return Node("number", keys, key, text, {"value": shown}, token=(type(value).__name__, text), raw=value)


def _ndarray(reader: _Reader, obj: dict[str, Any], keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
    dtype, shape, data = obj.get("dtype"), obj.get("shape"), obj[_wire.NDARRAY]
    if not isinstance(dtype, str):
        raise _Invalid(f"dtype must be a string, not {_json_type(dtype)}")
    if type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape):
        raise _Invalid("shape must be a list of non-negative integers")
    elements = math.prod(shape)
    described = f"ndarray {dtype} {shape}"
    if isinstance(data, str):
        encoding = "b64.gz" if data.startswith("b64.gz:") else "b64" if data.startswith("b64:") else None
        if encoding is None:
            raise _Invalid("compact array data must start with 'b64:' or 'b64.gz:'")
        size = b64_size(data[len(encoding) + 1 :])
        summary = f"{described} (base64{', gzipped' if encoding == 'b64.gz' else ''}, {size:,} bytes)"
    else:
        encoding, size = "list", None
        preview = json.dumps(data, ensure_ascii=False)
        summary = f"{described} = {preview}" if len(preview) <= 60 else f"{described} ({_plural(elements, 'element')})"
    fields = {"dtype": dtype, "shape": shape, "elements": elements, "encoding": encoding, "data_bytes": size}
    return Node("ndarray", keys, key, summary, fields, token=(dtype, tuple(shape)))


def _reference(reader: _Reader, obj: dict[str, Any], keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
    symbol, size = _symbol(obj[_wire.TYPE])
    what = "pickled class or function" if symbol is None else f"class or function {symbol}"
    return Node(
        "symbol", keys, key, _sized(what, size), {"symbol": symbol, "pickled_size": size}, token=obj[_wire.TYPE]
    )


def _pickled(reader: _Reader, obj: dict[str, Any], keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
    blob = obj[_wire.PICKLED]
    if not isinstance(blob, str):
        raise _Invalid(f"the pickle must be base64 text, not {_json_type(blob)}")
    size = b64_size(blob)
    python, cloudpickle = obj.get("python"), obj.get("cloudpickle")
    made = "".join(
        f", {name} {version}" for name, version in (("Python", python), ("cloudpickle", cloudpickle)) if version
    )
    fields = {"size": size, "python": python, "cloudpickle": cloudpickle}
    return Node("pickle", keys, key, f"pickled object ({size:,} bytes{made})", fields, token=blob)


def _enum(reader: _Reader, obj: dict[str, Any], keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
    body = _mapping(obj[_wire.ENUM])
    where, member = body.get(_wire.ENUM_TYPE), body.get("name")
    if type(where) is not list or len(where) != 2 or not isinstance(where[1], str) or not isinstance(member, str):
        raise _Invalid(f"expected {_wire.ENUM_TYPE}: [module, name] and a member name")
    symbol = f"{where[0] or '__main__'}.{where[1]}"
    return Node(
        "enum", keys, key, f"enum {symbol}.{member}", {"symbol": symbol, "member": member}, token=(symbol, member)
    )


def _native(kind: str, decode: Callable[[dict[str, Any]], Any], text: Callable[[Any], str] = str) -> _Handler:
    # The standard library's own decoders: pure functions of the JSON, nothing imported.
    def handler(reader: _Reader, obj: dict[str, Any], keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
        try:
            value = decode(obj)
            shown = text(value)
        except Exception as err:  # whatever a load would raise on this marker
            raise _Invalid(str(err) or type(err).__name__) from err
        if kind in ("bytes", "bytearray"):
            return Node(kind, keys, key, f"{kind} ({_plural(len(value), 'byte')})", {"size": len(value)}, token=shown)
        summary = shown if text is repr else f"{kind} {shown}"  # a repr names its type already
        return Node(kind, keys, key, summary, {"value": shown}, token=shown)

    return handler


_Handler = Callable[[_Reader, dict[str, Any], tuple[Key, ...], Union[Key, None], int], Node]


def _iso(value: Any) -> str:
    return str(value.isoformat())


# Every marker a load acts on (tests check the set against the decoder's); the first
# marker key of an object decides what it is, as in the decoder.
_KINDS: dict[str, _Handler] = {
    _wire.SYMBOL: _Reader.call,
    _wire.TYPE: _reference,
    _wire.INSTANCE_TYPE: _Reader.instance,
    _wire.PICKLED: _pickled,
    _wire.NDARRAY: _ndarray,
    _wire.DATAFRAME: _Reader.dataframe,
    _wire.SERIES: _Reader.series,
    _wire.SET: _Reader.items,
    _wire.FROZENSET: _Reader.items,
    _wire.ENUM: _enum,
    _wire.DATETIME: _native("datetime", stdlib.decode_datetime, _iso),
    _wire.DATE: _native("date", stdlib.decode_date, _iso),
    _wire.TIME: _native("time", stdlib.decode_time, _iso),
    _wire.TIMEDELTA: _native("timedelta", stdlib.decode_timedelta),
    _wire.DECIMAL: _native("decimal", stdlib.decode_decimal),
    _wire.FRACTION: _native("fraction", stdlib.decode_fraction),
    _wire.COMPLEX: _native("complex", stdlib.decode_complex),
    _wire.PATHLIB: _native("path", stdlib.decode_path),
    _wire.RANGE: _native("range", stdlib.decode_range, repr),
    _wire.SLICE: _native("slice", stdlib.decode_slice, repr),
    _wire.BYTES: _native("bytes", stdlib.decode_bytes, repr),
    _wire.BYTES_UTF8: _native("bytes", stdlib.decode_bytes_utf8, repr),
    _wire.BYTEARRAY: _native("bytearray", stdlib.decode_bytearray, repr),
}


_FOLD_WIDTH = 80  # the longest container written on one line


def _fold(node: Node) -> Node:
    # A container of scalars only, on one line when it is short.
    children = node.children
    if children is None or not all(child.kind in SCALARS for child in children):
        return node
    items = ", ".join(
        child.summary if isinstance(child.key, int) else f"{child.key}={child.summary}" for child in children
    )
    if node.kind == "array":
        text = f"[{items}]"
    elif node.kind in ("set", "frozenset"):
        text = f"{node.kind} {{{items}}}"
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


def _symbol(name: Any) -> tuple[str | None, int | None]:
    # (dotted name, None) or (None, size of the pickle) for a "bytes:" name.
    if not isinstance(name, str) or not name:
        raise _Invalid(f"a symbol must be a name such as 'path:mod.Name', not {_json_type(name)}")
    if name.startswith(_wire.BYTES_PREFIX):
        return None, b64_size(name[len(_wire.BYTES_PREFIX) :])
    return name.removeprefix(_wire.PATH_PREFIX), None


def _mapping(value: Any) -> dict[str, Any]:
    if not isinstance(value, Pairs):
        raise _Invalid(f"expected an object, not {_json_type(value)}")
    return dict(value)


def _json_type(value: Any) -> str:
    if isinstance(value, Pairs):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return {str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")


def _quote(text: str) -> str:
    if len(text) <= 60:
        return json.dumps(text, ensure_ascii=False)
    return f'{json.dumps(text[:50], ensure_ascii=False)[:-1]}…" ({len(text):,} characters)'


def _count(kind: str, n: int, noun: str) -> str:
    return f"{kind} ({_plural(n, noun)})"


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _sized(what: str, size: int | None) -> str:
    return what if size is None else f"{what} ({size:,} bytes)"
