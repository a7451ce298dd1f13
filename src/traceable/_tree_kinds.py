"""How each marker of the wire format reads as a node of a payload tree.

Every handler takes the parsed marker object (its values still parsed JSON) and makes
its node, reading the values inside it with the reader; a marker object that a load
would fail on raises :class:`~traceable._node.Invalid`. Nothing is imported or run.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any, Protocol, Union

from traceable import _registry, _wire
from traceable._audit import Pairs, b64_size
from traceable._codecs import stdlib
from traceable._node import Invalid, Key, Node, count, json_type, mapping, plural, sized, symbol_name

__all__ = ["KINDS", "Reader", "codec"]


class Reader(Protocol):
    """What a handler reads the values inside a marker object with."""

    shared: dict[int, Node]  # lossless: the objects shared by number, read so far

    def node(self, value: Any, keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
        """The node of ``value``, inside ``depth`` containers."""

    def entries(self, kind: str, pairs: list[Any], keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
        """A node of ``kind`` whose children are the (name, value) ``pairs``."""


def _call(reader: Reader, obj: dict[str, Any], keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
    symbol, size = symbol_name(obj[_wire.SYMBOL])
    args, kwargs = obj.get(_wire.ARGS, []), obj.get(_wire.KWARGS, Pairs())
    where: tuple[Key, ...] = (*keys, _wire.ARGS)
    if isinstance(args, Pairs) and [name for name, _ in args] == [_wire.TUPLE]:  # the lossless form
        args, where, depth = dict(args)[_wire.TUPLE], (*where, _wire.TUPLE), depth + 1
    if type(args) is not list:
        raise Invalid(f"{_wire.ARGS} must be a list, not {json_type(args)}")
    if not isinstance(kwargs, Pairs):
        raise Invalid(f"{_wire.KWARGS} must be an object, not {json_type(kwargs)}")
    children = [reader.node(a, (*where, i), i, depth + 2) for i, a in enumerate(args)]
    children += [reader.node(v, (*keys, _wire.KWARGS, k), k, depth + 2) for k, v in kwargs]
    what = "call a pickled class or function" if symbol is None else f"call {symbol}"
    fields = {"symbol": symbol, "pickled_size": size}
    return Node("call", keys, key, sized(what, size), fields, children, token=obj[_wire.SYMBOL])


def _instance(reader: Reader, obj: dict[str, Any], keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
    symbol, _ = symbol_name(obj[_wire.INSTANCE_TYPE])
    if symbol is None:
        raise Invalid("a pickled class cannot have _load called on it")
    fields = [(name, value) for name, value in obj.items() if name != _wire.INSTANCE_TYPE]
    node = reader.entries("instance", fields, keys, key, depth)
    node.summary, node.fields, node.token = f"{symbol} via _load", {"symbol": symbol}, symbol
    return node


def _items(reader: Reader, obj: dict[str, Any], keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
    marker = next(name for name in obj if name in _ITEM_KINDS)
    kind, items = _ITEM_KINDS[marker], obj[marker]
    if type(items) is not list:
        raise Invalid(f"expected a list of items, not {json_type(items)}")
    children = [reader.node(item, (*keys, marker, i), i, depth + 2) for i, item in enumerate(items)]
    return Node(kind, keys, key, count(kind, len(children), "item"), children=children)


def _dataframe(reader: Reader, obj: dict[str, Any], keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
    meta = mapping(obj[_wire.DATAFRAME])
    names, types = meta.get("column_order"), meta.get("types")
    if type(names) is not list or type(types) is not list or len(names) != len(types):
        raise Invalid("column_order and types must be lists of the same length")
    if not all(isinstance(name, str) for name in names) or not all(isinstance(t, str) for t in types):
        raise Invalid("column names and types must be strings")
    index = obj.get("index", [])
    children = [reader.node(index, (*keys, "index"), "index", depth + 1)]
    children += [reader.node(obj.get(name), (*keys, name), name, depth + 1) for name in names]
    rows = len(index) if type(index) is list else 0
    columns = ", ".join(f"{name}: {dtype}" for name, dtype in zip(names, types, strict=True))
    summary = f"DataFrame ({plural(rows, 'row')}; {columns or 'no columns'})"
    fields = {"columns": names, "dtypes": types, "rows": rows}
    return Node("dataframe", keys, key, summary, fields, children, token=(tuple(names), tuple(types)))


def _series(reader: Reader, obj: dict[str, Any], keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
    meta = mapping(obj[_wire.SERIES])
    name, dtype = meta.get("name"), meta.get("type")
    if not isinstance(dtype, str):
        raise Invalid("a series' type must be a string")
    data = obj.get("data", [])
    children = [reader.node(obj.get("index", []), (*keys, "index"), "index", depth + 1)]
    children.append(reader.node(data, (*keys, "data"), "data", depth + 1))
    length = len(data) if type(data) is list else 0
    named = "" if name is None else f" {json.dumps(name, ensure_ascii=False)}"
    summary = f"Series{named} {dtype} ({plural(length, 'item')})"
    fields = {"name": name, "dtype": dtype, "length": length}
    return Node("series", keys, key, summary, fields, children, token=(json.dumps(name), dtype))


def _pairs(reader: Reader, obj: dict[str, Any], keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
    # A lossless dict whose keys are not all plain strings: its [key, value] pairs.
    pairs = obj[_wire.ITEMS]
    if type(pairs) is not list or not all(type(pair) is list and len(pair) == 2 for pair in pairs):
        raise Invalid("a dict with any keys must be written as [[key, value], ...]")
    children = [reader.node(pair, (*keys, _wire.ITEMS, i), i, depth + 1) for i, pair in enumerate(pairs)]
    return Node("items", keys, key, f"dict ({plural(len(pairs), 'pair')}, keys of any type)", children=children)


def _shared(reader: Reader, obj: dict[str, Any], keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
    # A lossless object reached more than once: here it is, numbered for its references.
    number = obj[_wire.ID]
    if type(number) is not int or _wire.VALUE not in obj:
        raise Invalid(f'a shared object is {{"{_wire.ID}": <number>, "{_wire.VALUE}": ...}}')
    node = reader.node(obj[_wire.VALUE], (*keys, _wire.VALUE), key, depth + 1)
    node.summary += f" (shared as #{number})"
    node.fields = {**node.fields, "id": number}
    reader.shared[number] = node
    return node


def _lossless(reader: Reader, obj: dict[str, Any], keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
    version = obj[_wire.LOSSLESS]
    if type(version) is not int or "value" not in obj:
        raise Invalid(f'a lossless payload is {{"{_wire.LOSSLESS}": <format>, "value": ...}}')
    value = reader.node(obj["value"], (*keys, "value"), "value", depth + 1)
    return Node("lossless", keys, key, f"lossless payload (format {version})", {"version": version}, [value])


def _record(reader: Reader, obj: dict[str, Any], keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
    # A dataclass or named tuple: its class (a class as a value) and its fields.
    marker = _wire.DATACLASS if _wire.DATACLASS in obj else _wire.NAMEDTUPLE
    data = mapping(obj[marker])
    cls, fields = data.get("type"), data.get("fields")
    if not isinstance(cls, Pairs) or not isinstance(fields, Pairs) or set(data) != {"type", "fields"}:
        raise Invalid(f'expected {{"type": <class>, "fields": {{...}}}} under {marker}')
    # The class is written in full, or (lossless, without an import path) shared by number.
    of = reader.node(cls, (*keys, marker, "type"), "type", depth + 2)
    of = reader.shared.get(of.fields["id"], of) if of.kind == "ref" else of
    if of.kind != "symbol":
        raise Invalid(f'the "type" under {marker} must be a class ({{"{_wire.TYPE}": ...}}), not {of.summary}')
    symbol, size, name = of.fields["symbol"], of.fields["pickled_size"], of.token
    node = reader.entries("record", fields, (*keys, marker, "fields"), key, depth + 2)
    node.keys, kind = keys, "dataclass" if marker == _wire.DATACLASS else "named tuple"
    node.summary = f"{kind} {symbol}" if symbol is not None else f"{kind} (pickled class, {plural(size or 0, 'byte')})"
    # Two pickled classes differ by their pickles.
    node.fields, node.token = {"codec": marker[2:-2], "symbol": symbol}, name if symbol is None else symbol
    return node


def codec(reader: Reader, obj: dict[str, Any], keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
    # A registered codec's one-key object: {"__name__": data}.
    marker = next(name for name in obj if name in _registry.MARKERS)
    if len(obj) != 1:
        raise Invalid(f"a {marker} object has that one key")
    data = reader.node(obj[marker], (*keys, marker), marker, depth + 1)
    name = marker[2:-2]
    if data.kind == "null":
        summary = name
    elif data.children is None or data.folded:
        summary = f"{name} {data.summary}"
    else:
        summary = f"{name} ({plural(len(data.children), 'key' if data.kind == 'object' else 'item')})"
    token = (marker, data.kind, data.token)
    node = Node("codec", keys, key, summary, {"codec": name}, data.children, token=token, folded=data.folded)
    return node


def dtype_label(dtype: Any) -> str:
    # A dtype name, or a structured dtype's descr ([[name, format(, shape)], ...]) as
    # {name: format, ...}, nested records likewise.
    if isinstance(dtype, str):
        return dtype
    if type(dtype) is list and dtype and all(type(f) is list and 2 <= len(f) <= 3 for f in dtype):
        fields = []
        for field in dtype:
            shape = f" {json.dumps(field[2])}" if len(field) == 3 else ""
            fields.append(f"{field[0]}: {dtype_label(field[1])}{shape}")
        return "{" + ", ".join(fields) + "}"
    raise Invalid(f"dtype must be a string or a structured dtype's descr, not {json_type(dtype)}")


def _ndarray(reader: Reader, obj: dict[str, Any], keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
    dtype, shape, data = obj.get("dtype"), obj.get("shape"), obj[_wire.NDARRAY]
    if type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape):
        raise Invalid("shape must be a list of non-negative integers")
    elements = math.prod(shape)
    unit = obj.get("unit")  # a 0-d datetime64 or timedelta64: "dtype": "datetime64", "unit": "s"
    described = f"ndarray {dtype_label(dtype)}{f'[{unit}]' if isinstance(unit, str) else ''} {shape}"
    if isinstance(data, str) and not (dtype == "datetime64" and not shape):  # (that one as ISO text)
        encoding = "b64.gz" if data.startswith("b64.gz:") else "b64" if data.startswith("b64:") else None
        if encoding is None:
            raise Invalid("compact array data must start with 'b64:' or 'b64.gz:'")
        size = b64_size(data[len(encoding) + 1 :])
        summary = f"{described} (base64{', gzipped' if encoding == 'b64.gz' else ''}, {size:,} bytes)"
    else:
        encoding, size = "list", None
        preview = json.dumps(data, ensure_ascii=False)
        summary = f"{described} = {preview}" if len(preview) <= 60 else f"{described} ({plural(elements, 'element')})"
    fields = {"dtype": dtype, "shape": shape, "elements": elements, "encoding": encoding, "data_bytes": size}
    return Node("ndarray", keys, key, summary, fields, token=(dtype, tuple(shape)))


def _reference(reader: Reader, obj: dict[str, Any], keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
    symbol, size = symbol_name(obj[_wire.TYPE])
    what = "pickled class or function" if symbol is None else f"class or function {symbol}"
    return Node("symbol", keys, key, sized(what, size), {"symbol": symbol, "pickled_size": size}, token=obj[_wire.TYPE])


def _pickled(reader: Reader, obj: dict[str, Any], keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
    blob = obj[_wire.PICKLED]
    if not isinstance(blob, str):
        raise Invalid(f"the pickle must be base64 text, not {json_type(blob)}")
    size = b64_size(blob)
    python, cloudpickle = obj.get("python"), obj.get("cloudpickle")
    made = "".join(
        f", {name} {version}" for name, version in (("Python", python), ("cloudpickle", cloudpickle)) if version
    )
    fields = {"size": size, "python": python, "cloudpickle": cloudpickle}
    return Node("pickle", keys, key, f"pickled object ({size:,} bytes{made})", fields, token=blob)


def _enum(reader: Reader, obj: dict[str, Any], keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
    body = mapping(obj[_wire.ENUM])
    where, member = body.get(_wire.ENUM_TYPE), body.get("name")
    if type(where) is not list or len(where) != 2 or not isinstance(where[1], str) or not isinstance(member, str):
        raise Invalid(f"expected {_wire.ENUM_TYPE}: [module, name] and a member name")
    symbol = f"{where[0] or '__main__'}.{where[1]}"
    return Node(
        "enum", keys, key, f"enum {symbol}.{member}", {"symbol": symbol, "member": member}, token=(symbol, member)
    )


def _native(kind: str, decode: Callable[[dict[str, Any]], Any], text: Callable[[Any], str] = str) -> _Handler:
    # The standard library's own decoders: pure functions of the JSON, nothing imported.
    def handler(reader: Reader, obj: dict[str, Any], keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
        try:
            value = decode(obj)
            shown = text(value)
        except Exception as err:  # whatever a load would raise on this marker
            raise Invalid(str(err) or type(err).__name__) from err
        if kind in ("bytes", "bytearray"):
            return Node(kind, keys, key, f"{kind} ({plural(len(value), 'byte')})", {"size": len(value)}, token=shown)
        summary = shown if text is repr else f"{kind} {shown}"  # a repr names its type already
        return Node(kind, keys, key, summary, {"value": shown}, token=shown)

    return handler


_Handler = Callable[[Reader, dict[str, Any], tuple[Key, ...], Union[Key, None], int], Node]


def _ref(reader: Reader, obj: dict[str, Any], keys: tuple[Key, ...], key: Key | None, depth: int) -> Node:
    number = obj[_wire.REF]
    if type(number) is not int or len(obj) != 1:
        raise Invalid(f'a reference is {{"{_wire.REF}": <number>}}')
    return Node("ref", keys, key, f"the same object as #{number}", {"id": number}, token=number)


_ITEM_KINDS = {_wire.SET: "set", _wire.FROZENSET: "frozenset", _wire.TUPLE: "tuple"}


def _iso(value: Any) -> str:
    return str(value.isoformat())


# Every marker a load acts on (tests check the set against the decoder's); the first
# marker key of an object decides what it is, as in the decoder.
KINDS: dict[str, _Handler] = {
    _wire.SYMBOL: _call,
    _wire.TYPE: _reference,
    _wire.INSTANCE_TYPE: _instance,
    _wire.PICKLED: _pickled,
    _wire.NDARRAY: _ndarray,
    _wire.DATAFRAME: _dataframe,
    _wire.SERIES: _series,
    _wire.SET: _items,
    _wire.FROZENSET: _items,
    _wire.TUPLE: _items,
    _wire.ITEMS: _pairs,
    _wire.ID: _shared,
    _wire.REF: _ref,
    _wire.LOSSLESS: _lossless,
    _wire.DATACLASS: _record,
    _wire.NAMEDTUPLE: _record,
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
