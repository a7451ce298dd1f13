"""The lossless mode: what the default, NNI-compatible JSON cannot say, kept.

``dump(obj, lossless=True)`` writes ``{"__lossless__": 1, "value": ...}``, in which

- tuples are ``{"__tuple__": [...]}``, so they stay tuples;
- a dict with a key that is not a string, or a string key starting with ``__`` (which
  the default would take for a marker), is ``{"__items__": [[key, value], ...]}``;
- dict and tuple subclasses with a codec (``OrderedDict``, ``Counter``, ``defaultdict``,
  named tuples) and the results of traced functions that are dicts, lists, strings or
  numbers get their own marker, or their call;
- an object reached more than once is written once, as ``{"__id__": n, "__value__": ...}``,
  and then as ``{"__ref__": n}``: shared references survive, and so do cycles through
  lists and dicts (whose empty shells exist before their items do).

It takes one walk in Python, which writes plain data that the standard library's encoder
then turns into text (and refuses cycles that cannot be rebuilt). ``load`` recognises the envelope and
reads it top-down, which is what lets a reference reach an object still being filled.
"""

from __future__ import annotations

import collections
import enum
import sys
from collections.abc import Callable
from typing import Any

from traceable import _wire
from traceable._codecs import stdlib
from traceable._encode import Encoder
from traceable._hash_cost import HashCost, is_hashed_by_contents
from traceable._markers import MARKERS, Decoder, MarkerFailure
from traceable._paths import format_path, label, located
from traceable._symbols import is_function, path_name
from traceable.exceptions import DecodeError, EncodeError, UnsafePayloadError

__all__ = ["VERSION", "read", "write"]

VERSION = 1
_ATOMS = frozenset({str, int, float, bool, type(None)})
# Containers whose empty shell a load makes before their items: the only ones a cycle may
# pass through. (A tuple, or a traced object, exists only once its items do.)
_SHELLS = frozenset({list, dict})


def _is_singleton(obj: Any) -> bool:
    # Values that load as the very same object anyway: written in full each time. A class
    # or function without an import path is pickled: written once, and referred to after.
    if isinstance(obj, type) or is_function(obj):
        return path_name(obj) is not None
    return isinstance(obj, enum.Enum) or obj is ...


def write(obj: Any, encoder: Encoder, *, sort_keys: bool = False) -> dict[str, Any]:
    """``obj`` as the plain data of a lossless payload, envelope included.

    Raises:
        EncodeError: a value cannot be encoded, or a cycle passes through a value that
            cannot be rebuilt before its items; ``path`` says where.
    """
    if _is_plain(obj):  # what the walk would copy as it is: the C encoder writes it alone
        return {_wire.LOSSLESS: VERSION, "value": obj}
    encoder.refresh()
    writer = _Writer(encoder, sort_keys)
    envelope: dict[str, Any] = {_wire.LOSSLESS: VERSION}
    try:
        envelope["value"] = writer.emit(obj, envelope, "value")
    except RecursionError as err:
        message = f"cannot encode the value: it nests deeper than Python's recursion limit ({sys.getrecursionlimit()})"
        raise EncodeError(message) from err
    finally:
        encoder.end_dump()
    return envelope


def _is_plain(obj: Any) -> bool:
    """Whether ``obj`` is JSON as the walk would write it: lists, dicts with string keys that
    no marker could be, and atoms, each container reached once (no sharing, no cycle).

    One pass in Python that builds nothing: a third of the walk's cost, so the common
    payload of plain data (a config, trial parameters) is written at the default mode's speed.
    """
    if type(obj) in _ATOMS:
        return True
    seen: set[int] = set()
    stack = [obj]
    atoms, visit, pop, push = _ATOMS, seen.add, stack.pop, stack.append
    while stack:
        node = pop()
        if id(node) in seen:
            return False
        visit(id(node))
        values: Any
        if type(node) is dict:
            for key in node:
                if type(key) is not str or key.startswith("__"):
                    return False
            values = node.values()
        elif type(node) is list:
            values = node
        else:
            return False
        for value in values:
            kind = type(value)
            if kind in atoms:
                continue
            if kind is dict or kind is list:
                push(value)
            else:
                return False
    return True


class _Seen:
    """Where an object was first written, so that reaching it again can name it there."""

    __slots__ = ("done", "holder", "number", "slot")

    def __init__(self, holder: Any, slot: Any) -> None:
        self.holder = holder  # the written container that holds it...
        self.slot = slot  # ...at this index or key
        self.number = 0  # its __id__, once reached twice
        self.done = False  # written in full (otherwise: reached again from inside itself)


class _Writer:
    """One walk, writing plain data; an object reached again is given an ``__id__`` where
    it was first written (its slot rewritten in place) and written as a ``__ref__``."""

    def __init__(self, encoder: Encoder, sort_keys: bool) -> None:
        self.encoder = encoder
        self.sort_keys = sort_keys
        self.seen: dict[int, _Seen] = {}
        # Everything walked stays alive until the end, so that no id is reused (a codec's
        # data is made on the fly, and would otherwise be freed once written).
        self.alive: list[Any] = []
        self.keys: list[Any] = []  # the path to the value being written
        self.count = 0
        self.inline = 0  # > 0 inside an array's data: nothing there is shared

    def emit(self, obj: Any, holder: Any, slot: Any) -> Any:
        cls = type(obj)
        if cls in _ATOMS:
            return obj
        if _is_singleton(obj):
            # Its marker object holds names only, under the format's own keys: written as
            # it is (an enum's __enum_instance_type__ made __items__ would hide it from checks).
            return self._expand(obj)
        if self.inline:  # an array's data: fresh lists and immutable items, written in place
            return self._emit_value(obj, cls)
        seen = self.seen.get(id(obj))
        if seen is not None:
            return self._reference(obj, cls, seen)
        seen = self.seen[id(obj)] = _Seen(holder, slot)
        self.alive.append(obj)
        node = self._emit_value(obj, cls)
        seen.done = True
        if seen.number:  # reached from inside itself: the id goes on now
            return {_wire.ID: seen.number, _wire.VALUE: node}
        return node

    def _reference(self, obj: Any, cls: type, seen: _Seen) -> dict[str, int]:
        if not seen.done and cls not in _SHELLS:
            path = format_path(self.keys)
            message = (
                f"cannot encode {label(obj)} at {path}: it contains itself, and a load could not make it "
                "before its contents; only lists and dicts may be part of a cycle"
            )
            raise EncodeError(message, path)
        if not seen.number:
            self.count += 1
            seen.number = self.count
            if seen.done:  # written already: wrap it where it is
                seen.holder[seen.slot] = {_wire.ID: seen.number, _wire.VALUE: seen.holder[seen.slot]}
        return {_wire.REF: seen.number}

    def _emit_value(self, obj: Any, cls: type) -> Any:
        if cls is list:
            return self._emit_list(obj, [])
        if cls is tuple:
            return {_wire.TUPLE: self._emit_list(obj, [])}
        if cls is dict:
            if all(type(k) is str and not k.startswith("__") for k in obj):
                return self._emit_dict(obj)
            pairs: list[list[Any]] = []
            for index, (key, value) in enumerate(obj.items()):
                pair: list[Any] = [None, None]
                pairs.append(pair)
                self.keys += [index, 0]
                pair[0] = self.emit(key, pair, 0)
                self.keys[-1] = 1
                pair[1] = self.emit(value, pair, 1)
                del self.keys[-2:]
            return {_wire.ITEMS: pairs}
        return self._emit_expanded(self._expand(obj))

    def _emit_list(self, items: Any, out: list[Any]) -> list[Any]:
        keys = self.keys
        for index, item in enumerate(items):
            if type(item) in _ATOMS:  # (most items: no call, no path)
                out.append(item)
                continue
            keys.append(index)
            out.append(self.emit(item, out, index))
            keys.pop()
        return out

    def _emit_dict(self, obj: dict[Any, Any]) -> dict[str, Any]:
        # With sort_keys the text lists keys sorted; an __id__ must come before its
        # __ref__s in the text, so the walk goes in that order too.
        out: dict[str, Any] = {}
        keys = self.keys
        for key, value in sorted(obj.items()) if self.sort_keys else obj.items():
            if type(value) in _ATOMS:
                out[key] = value
                continue
            keys.append(key)
            out[key] = self.emit(value, out, key)
            keys.pop()
        return out

    def _emit_expanded(self, expanded: Any) -> Any:
        self.alive.append(expanded)
        if type(expanded) is dict and _wire.NDARRAY in expanded and expanded.get("dtype") not in ("object", "O", "|O"):
            # An array's data is made by the codec, and its items (b"" in an "S" array) may be
            # the very objects the payload holds elsewhere; a load checks array data as data,
            # and never as a reference (a shared list would be copied by every array around it).
            # An object array holds the payload's own objects, which keep their identity.
            self.inline += 1
            try:
                return self._emit_dict(expanded)
            finally:
                self.inline -= 1
        if type(expanded) is dict:  # a marker object: its keys are the format's own
            return self._emit_dict(expanded)
        box = [expanded]
        box[0] = self.emit(expanded, box, 0)
        return box[0]

    def _expand(self, obj: Any) -> Any:
        try:
            return self.encoder.expand(obj)
        except EncodeError as err:
            path = format_path(self.keys)
            raise located(err, f"cannot encode {label(obj)} at {path}: ", path) from err.__cause__


def read(tree: Any, policy: Any, *, preserve_order: bool = False, size: int = 0, plain: bool = False) -> Any:
    """Rebuild the parsed lossless payload ``tree`` (of ``size`` characters), top-down.

    With ``plain``, its value holds no marker and no key starting with ``__`` (its text
    says so): it is the parsed value itself, as the walk would rebuild it.

    Raises:
        DecodeError: the payload is malformed; ``path`` says where.
        UnsafePayloadError: the policy refuses something in it.
    """
    version = tree.get(_wire.LOSSLESS)
    if set(tree) != {_wire.LOSSLESS, "value"} or type(version) is not int:
        message = f'a lossless payload is {{"{_wire.LOSSLESS}": {VERSION}, "value": ...}} and nothing else'
        raise DecodeError(message, "$")
    if version > VERSION:
        message = (
            f"this payload was written in lossless format {version}, by a newer traceable; this one reads "
            f"format {VERSION}: upgrade traceable to load it"
        )
        raise DecodeError(message, "$")
    if plain:
        return tree["value"]
    reader = _Reader(Decoder(policy), collections.OrderedDict if preserve_order else dict)
    reader.hash_budget = max(HASH_BUDGET_FLOOR, HASH_BUDGET_PER_CHARACTER * size)
    try:
        return reader.read(tree["value"])
    except RecursionError as err:
        message = f"the payload nests deeper than Python's recursion limit ({sys.getrecursionlimit()})"
        raise DecodeError(message) from err


_PENDING = object()  # an __id__ whose object is being made, and cannot be referred to yet
# Under a checking policy, the shared values hashed by their contents may together cost
# hashing this many items per character of the payload (and this many in any case).
HASH_BUDGET_PER_CHARACTER = 16
HASH_BUDGET_FLOOR = 1 << 20


class _Reader:
    def __init__(self, decoder: Decoder, mapping: Callable[[], Any]) -> None:
        self.decoder = decoder
        self.mapping = mapping
        self.objects: dict[Any, Any] = {}  # __id__ -> object
        self.keys: list[str | int] = ["value"]
        self.hash_costs = HashCost()
        self.hash_work = 0  # what the shared values hashed by their contents cost so far
        self.hash_budget = HASH_BUDGET_FLOOR

    def read(self, node: Any) -> Any:
        cls = type(node)
        if cls is list:
            return self._fill_list([], node)
        if cls is not dict or not node:
            return self.mapping() if cls is dict else node
        if MARKERS.isdisjoint(node):
            return self._fill_dict(self.mapping(), node.items())
        if _wire.ID in node:
            return self._read_shared(node)
        if _wire.REF in node:
            return self._read_ref(node)
        if _wire.TUPLE in node and len(node) == 1 and type(node[_wire.TUPLE]) is list:
            self.keys.append(_wire.TUPLE)
            items = self._fill_list([], node[_wire.TUPLE])
            self.keys.pop()
            return tuple(items)
        if _wire.ITEMS in node and len(node) == 1:
            return self._fill_items(self.mapping(), node)
        values = self._fill_dict({}, node.items())
        try:
            return self.decoder.hook(values)
        except MarkerFailure as failure:
            raise failure.located(format_path(self.keys)) from failure.error

    def _fill_list(self, out: list[Any], items: list[Any]) -> list[Any]:
        for index, item in enumerate(items):
            self.keys.append(index)
            out.append(self.read(item))
            self.keys.pop()
        return out

    def _fill_dict(self, out: Any, pairs: Any) -> Any:
        for key, value in pairs:
            self.keys.append(key)
            out[key] = self.read(value)
            self.keys.pop()
        return out

    def _fill_items(self, out: Any, node: dict[str, Any]) -> Any:
        # Key, then value, pair after pair: the order they were written in, which an
        # __id__ and its __ref__s depend on.
        pairs = node[_wire.ITEMS]
        if type(pairs) is not list or not all(type(p) is list and len(p) == 2 for p in pairs):
            raise self._malformed(f'a dict with any keys is {{"{_wire.ITEMS}": [[key, value], ...]}}')
        self.keys.append(_wire.ITEMS)
        read: list[tuple[Any, Any]] = []
        for index, (raw_key, raw_value) in enumerate(pairs):
            self.keys += [index, 0]
            try:
                key = stdlib.hashable(self.read(raw_key))
                hash(key)
            except (TypeError, ValueError) as err:
                raise self._malformed(f"this key cannot be a dict key: {err}") from err
            self.keys[-1] = 1
            read.append((key, self.read(raw_value)))
            del self.keys[-2:]
        self.keys.pop()
        # Checked before any is inserted: colliding keys would make filling quadratic.
        stdlib.refuse_colliding([key for key, _ in read])
        out.update(read)
        return out

    def _read_shared(self, node: dict[str, Any]) -> Any:
        number, value = node[_wire.ID], node.get(_wire.VALUE, _PENDING)
        if set(node) != {_wire.ID, _wire.VALUE} or type(number) is not int or number in self.objects:
            raise self._malformed(f'a shared object is {{"{_wire.ID}": <new number>, "{_wire.VALUE}": ...}}')
        self.keys.append(_wire.VALUE)
        # Lists and dicts exist, empty, before their items: a cycle can reach them.
        out: Any
        if type(value) is list:
            out = self.objects[number] = []
            self._fill_list(out, value)
        elif type(value) is dict and MARKERS.isdisjoint(value):
            out = self.objects[number] = self.mapping()
            self._fill_dict(out, value.items())
        elif type(value) is dict and set(value) == {_wire.ITEMS}:
            out = self.objects[number] = self.mapping()
            self._fill_items(out, value)
        else:
            self.objects[number] = _PENDING
            out = self.objects[number] = self.read(value)
        self.keys.pop()
        return out

    def _read_ref(self, node: dict[str, Any]) -> Any:
        number = node[_wire.REF]
        found = self.objects.get(number, _PENDING) if len(node) == 1 and type(number) is int else _PENDING
        if found is _PENDING:
            raise self._malformed(
                f"{_wire.REF} {number!r} refers to no object made before it (the {_wire.ID} it names must come "
                "first, and be a list or a dict if the reference is inside it)"
            )
        if self.decoder.policy is not None and is_hashed_by_contents(found):
            self._count_hashing(found, number)
        return found

    def _count_hashing(self, found: Any, number: int) -> None:
        # Python caches no tuple's hash: a shared tuple is hashed again through each of its
        # references, and tuples of the same tuple twice... hash in time exponential in
        # their depth. What sharing adds is counted, and bounded by the payload's size: a
        # value dump shares costs about its own size per reference.
        cost = self.hash_costs.of(found)
        self.hash_work += cost
        if self.hash_work <= self.hash_budget:
            return
        path = format_path(self.keys)
        message = (
            f"refused the payload at {path}: {_wire.REF} {number} shares a {type(found).__name__} whose hash "
            f"visits {cost:,} items; with the values shared before it, hashing would visit over "
            f"{self.hash_budget:,} ({HASH_BUDGET_PER_CHARACTER} per character of the payload, at least "
            f"{HASH_BUDGET_FLOOR:,}), which a hostile payload reaches by nesting shared values into an "
            "exponentially slow hash; load it without a checking policy only if you trust it"
        )
        raise UnsafePayloadError(message, path, rule="shared_hashable")

    def _malformed(self, reason: str) -> DecodeError:
        path = format_path(self.keys)
        return DecodeError(f"cannot decode the lossless payload at {path}: {reason}", path)
