"""Reading a payload without executing anything: what it would import, call and unpickle.

One walk over the parsed JSON serves two callers: a load under a checking policy, which
stops at the first thing the policy refuses, and :func:`audit`, which lists everything.
"""

from __future__ import annotations

import dataclasses
import sys
import types
from collections.abc import Iterator
from typing import Any

from traceable import _registry, _wire
from traceable._denylist import NEVER_REASON
from traceable._paths import format_path
from traceable._policy import LoadPolicy, Verdict
from traceable.exceptions import UnsafePayloadError

__all__ = ["ARRAY_MARKERS", "Finding", "Pairs", "Resources", "b64_size", "inspect_tree"]


class Pairs(list):  # type: ignore[type-arg]
    """A JSON object as all its (key, value) pairs, repeated keys included.

    Parsed with ``object_pairs_hook=Pairs``, a payload shows every value that a load
    builds: a dict would keep only the last value of a repeated key, yet the parser
    builds the earlier ones too.
    """


_NAMED = {
    _wire.SYMBOL: "call",
    _wire.TYPE: "import",
    _wire.INSTANCE_TYPE: "call _load",
}


@dataclasses.dataclass(frozen=True)
class Finding:
    """One thing a load would do that runs code, or one limit a payload breaks.

    Attributes:
        path: JSON path of the value, such as ``$.model.__kwargs__.optimizer``.
        action: ``"call"`` (a ``__symbol__``), ``"import"`` (a class or function as a
            value, an enum's type), ``"call _load"`` (``__instance_type__``),
            ``"decode"`` (a codec from ``register_codec``), ``"unpickle"``, or ``"limit"``.
        name: the dotted name imported, or None (a pickled blob, a limit).
        size: the size in bytes of a pickled blob; 0 otherwise.
        allowed: whether the policy audited against allows it.
        rule: what refuses it (``"allow"``, ``"deny"``, ``"allow_pickle"``, ``"max_depth"``...), or "".
        detail: one sentence for people.
        reason: for a name, which entry decided: ``"allow prefix 'torch.nn'"``,
            ``"exact allow entry 'numpy.load'"``, ``"deny entry 'numpy.save*' (why)"``, or why
            a prefix did not cover it; "" for pickles, limits and names no entry covers.
    """

    path: str
    action: str
    name: str | None
    size: int
    allowed: bool
    rule: str
    detail: str
    reason: str = ""

    def __str__(self) -> str:
        if self.allowed:
            verdict = f"allowed ({self.reason})" if self.reason else "allowed"
        else:
            verdict = f"REFUSED ({self.rule})" + (f": {self.reason}" if self.reason else "")
        return f"{self.path}: {self.detail} - {verdict}"


_ROOT = object()  # the key of the whole payload, left out of paths
# The keys _inspect_object looks at: objects without any are only walked through.
_ANY_MARKER = frozenset({*_NAMED, _wire.ENUM, _wire.PICKLED})
# Markers whose decoder copies the list it holds into a container of its own.
_COPIERS = frozenset(
    {_wire.TUPLE, _wire.SET, _wire.FROZENSET, _wire.DEQUE, _wire.COUNTER, _wire.ORDEREDDICT, _wire.DEFAULTDICT}
)
# The keys Resources looks at: what allocates by a declared size, or copies what is shared.
ARRAY_MARKERS = frozenset({_wire.NDARRAY, _wire.DATAFRAME, _wire.SERIES})
_SIZED = frozenset({*_COPIERS, *ARRAY_MARKERS, _wire.ID, _wire.SYMBOL})
_DONE = object()


def inspect_tree(
    tree: Any, policy: LoadPolicy, findings: list[Finding] | None = None, unloaded: frozenset[str] = frozenset()
) -> None:
    """Check the parsed payload ``tree`` against ``policy``, importing nothing.

    With ``findings``, record every finding there instead of raising at the first refusal.
    The walk keeps only the path to the current value: memory grows with depth, not size.
    Modules named in ``unloaded`` are judged as if not loaded yet (a load that checked as
    it built loaded them: its refusal is judged as a check before it would have).

    Raises:
        UnsafePayloadError: the policy refuses something (only without ``findings``).
    """
    verdicts = _Verdicts(unloaded)  # name -> verdict, for this walk (modules may load between walks)
    keys: list[Any] = []  # the keys of the open containers, _ROOT first
    stack: list[Iterator[tuple[Any, Any]]] = [iter([(_ROOT, tree)])]
    max_string = policy.max_string_length
    resources = Resources(policy, findings)
    while stack:
        item: Any = next(stack[-1], _DONE)
        if item is _DONE:
            stack.pop()
            if stack:
                keys.pop()
            continue
        key: Any = item[0]
        node: Any = item[1]
        if isinstance(node, str):
            if max_string is not None and len(node) > max_string:
                _report(findings, _limit(policy, "max_string_length", len(node), _path(keys, key), "a string's length"))
            continue
        if not isinstance(node, (list, dict)):  # Pairs is a list
            continue
        keys.append(key)
        if policy.max_depth is not None and len(keys) == policy.max_depth + 1:  # reported once per branch
            _report(findings, _limit(policy, "max_depth", len(keys), _path(keys), "the nesting depth"))
        if isinstance(node, (dict, Pairs)):
            pairs = list(node.items()) if isinstance(node, dict) else node
            if pairs:  # (an empty object has nothing to check)
                obj = dict(pairs)
                if len(obj) != len(pairs):
                    repeated = "repeat a key in one object"
                    _report(findings, Finding(_path(keys), "limit", None, 0, False, "unique_keys", repeated))
                if not _ANY_MARKER.isdisjoint(obj):  # the path is made only where it is needed
                    _inspect_object(obj, _path(keys), policy, findings, verdicts)
                if _registry.USER_MARKERS and not _registry.USER_MARKERS.isdisjoint(obj):
                    _inspect_codec(obj, _path(keys), policy, findings, verdicts)
                if max_string is not None:
                    for name in obj:
                        if len(name) > max_string:
                            what = "a key's length"
                            _report(findings, _limit(policy, "max_string_length", len(name), _path(keys), what))
                if not _SIZED.isdisjoint(obj):
                    resources.inspect(obj, keys)
            stack.append(iter(pairs))
        else:
            stack.append(enumerate(node))


def _path(keys: list[Any], last: Any = _ROOT) -> str:
    return format_path([k for k in (*keys, last) if k is not _ROOT])


def _as_dict(value: Any) -> Any:
    return dict(value) if isinstance(value, Pairs) else value


def _inspect_object(obj: dict[str, Any], path: str, policy: LoadPolicy, findings: Any, verdicts: _Verdicts) -> None:
    for marker, action in _NAMED.items():
        if marker in obj:
            _report(findings, _named(obj[marker], action, marker, path, policy, verdicts=verdicts))
    if _wire.ENUM in obj:
        body = _as_dict(obj[_wire.ENUM])
        where = body.get(_wire.ENUM_TYPE) if isinstance(body, dict) else None
        if isinstance(where, list) and len(where) == 2 and all(isinstance(p, (str, type(None))) for p in where):
            name = f"{where[0] or '__main__'}.{where[1]}"
        else:
            name = repr(where)
        _report(findings, _named(name, "import", "the enum type", path, policy, verdicts=verdicts))
    if _wire.PICKLED in obj:
        blob = obj[_wire.PICKLED]
        size = b64_size(blob) if isinstance(blob, str) else 0
        _report(findings, _pickle(size, path, policy, "a pickled object"))


_SHARED_COPY = (
    "copy a shared list (a lossless __ref__) into a new container, which a payload can repeat to copy one "
    "list any number of times"
)


def _unwrapped(value: Any) -> Any:
    # The value an __id__ is given to (which may be a __ref__, naming the same object again).
    while type(value) is Pairs and len(value) == 2 and {value[0][0], value[1][0]} == _SHARED:
        value = value[0][1] if value[0][0] == _wire.VALUE else value[1][1]
    return value


_SHARED = frozenset({_wire.ID, _wire.VALUE})


def _is_ref(value: Any) -> bool:
    return type(value) is Pairs and len(value) == 1 and value[0][0] == _wire.REF


def _inspect_codec(obj: dict[str, Any], path: str, policy: LoadPolicy, findings: Any, verdicts: _Verdicts) -> None:
    # A codec from register_codec runs the loading process's own code, on a type the
    # allow list must name, as a traced symbol must be named.
    for marker in _registry.USER_MARKERS.intersection(obj):
        codec = _registry.by_marker(marker)
        if codec is not None:
            _report(findings, _named(codec.symbol, "decode", "a registered codec", path, policy, verdicts=verdicts))


# What dump writes for arrays: these forms only, under a checking policy.
_FORM = "give an array, series or frame in a form dump never writes (dtype, shape or data)"


def _refuse_form(findings: Any, path: str) -> None:
    _report(findings, Finding(path, "limit", None, 0, False, "array_form", _FORM))


def _plain_lists(findings: Any, path: str, *values: Any) -> bool:
    # Pandas data and indexes as plain lists (None: absent), not markers that expand.
    if all(value is None or type(value) is list for value in values):
        return True
    _refuse_form(findings, path)
    return False


# What each pandas frame or series, and each column of a frame, counts against
# max_total_array_bytes beyond its data (see Resources.inspect).
PANDAS_OBJECT_BYTES = 16 << 10
PANDAS_COLUMN_BYTES = 4 << 10


class Resources:
    """What one payload's arrays declare and its calls copy, against the policy's limits.

    Each array is checked against the data it is given, and added to the payload's total;
    each ``__id__``'s size is kept, to charge the calls that copy what it names. The data
    is the parsed payload (:class:`Pairs`), or, for a load checking as it builds, the
    array's marker object with its items built already.
    """

    def __init__(self, policy: LoadPolicy, findings: list[Finding] | None) -> None:
        self.policy = policy
        self.findings = findings
        self.totals: dict[str, int] = {}  # a limit's name -> what the payload has used of it so far
        self.sizes: dict[int, int] = {}  # __id__ -> the items of the list or dict it is given to

    def inspect(self, obj: dict[str, Any], keys: list[Any]) -> None:
        """Check the marker object ``obj``, at the path ``keys``."""
        # (The path is made only where it is needed: a payload may hold many of these.)
        if _wire.ID in obj and type(obj[_wire.ID]) is int:
            self.sizes[obj[_wire.ID]] = self._size(obj.get(_wire.VALUE))
        if _wire.SYMBOL in obj:
            # A call given a shared list or dict as its arguments keeps a copy of it (its
            # **kwargs, its record), however often the payload names it.
            for key in (_wire.ARGS, _wire.KWARGS):
                value = _unwrapped(obj.get(key))
                if _is_ref(value):
                    what = "the items that calls copy out of shared lists and dicts so far, these included,"
                    self._add("max_shared_copies", self._size(value), _path(keys), what)
        if not _COPIERS.isdisjoint(obj) and self._copies_shared(obj):
            _report(self.findings, Finding(_path(keys), "limit", None, 0, False, "shared_items", _SHARED_COPY))
        if ARRAY_MARKERS.isdisjoint(obj):
            return
        path = _path(keys)
        if _wire.NDARRAY in obj:
            self._ndarray(obj, path)
        if _wire.DATAFRAME in obj or _wire.SERIES in obj:
            # pandas allocates, and takes time, beside the data: about 3 KiB and 30 us for each
            # column of a frame, 4 KiB and 160 us for each frame or series (measured on empty
            # ones). Charged to the arrays' total, many empty frames are bounded too.
            meta = _as_dict(obj.get(_wire.DATAFRAME))
            names = meta.get("column_order") if isinstance(meta, dict) else None
            columns = len(names) if type(names) is list else 0
            what = "the size in bytes of the payload's arrays so far (16 KiB a frame or series, 4 KiB a column),"
            self._add("max_total_array_bytes", PANDAS_OBJECT_BYTES + PANDAS_COLUMN_BYTES * columns, path, what)
        if _wire.DATAFRAME in obj:
            self._dataframe(obj, path)
        if _wire.SERIES in obj:
            meta = _as_dict(obj[_wire.SERIES])
            data, index = obj.get("data"), obj.get("index")
            dtype = meta.get("type") if isinstance(meta, dict) else None
            if _plain_lists(self.findings, path, data, index):
                self._array([len(data or [])], dtype, data, path)
                self._array([len(index or [])], "int64", None, path)

    def _add(self, limit: str, amount: int, path: str, what: str) -> None:
        # Add to the total that limit bounds; refuse it once over (audit: once, where first over).
        before = self.totals.get(limit, 0)
        total = self.totals[limit] = before + amount
        bound = getattr(self.policy, limit)
        if bound is not None and total > bound >= before:
            _report(self.findings, _limit(self.policy, limit, total, path, what))

    def _size(self, value: Any) -> int:
        # The items of a list, or pairs of an object (of what a __ref__ names); 0 for the rest.
        value = _unwrapped(value)
        if _is_ref(value):
            number = value[0][1]
            return self.sizes.get(number, 0) if type(number) is int else 0
        return len(value) if isinstance(value, list) else 0  # (Pairs is a list)

    @staticmethod
    def _copies_shared(obj: dict[str, Any]) -> bool:
        # dump writes the items of a tuple, set, deque... inline, in a list of their own; only
        # a hand-made payload names a list shared elsewhere, which each wrapper would copy.
        for marker in _COPIERS.intersection(obj):
            body = obj[marker]
            if type(body) is list:  # (inline items: what dump writes)
                continue
            body = _unwrapped(body)
            if isinstance(body, Pairs) and not _is_ref(body):  # {"items": ..., ...}: a deque's, a defaultdict's
                body = _unwrapped(dict(body).get("items"))
            if _is_ref(body):
                return True
        return False

    def _ndarray(self, obj: dict[str, Any], path: str) -> None:
        shape, data = obj.get("shape"), obj[_wire.NDARRAY]
        if (
            not isinstance(shape, list)
            or not all(type(n) is int and n >= 0 for n in shape)
            or ("scalar" in obj and (obj["scalar"] is not True or shape))  # a numpy scalar: true, with shape []
        ):
            _refuse_form(self.findings, path)
            return
        self._array(shape, obj.get("dtype"), data, path)

    def _dataframe(self, obj: dict[str, Any], path: str) -> None:
        meta = _as_dict(obj[_wire.DATAFRAME])
        names = meta.get("column_order") if isinstance(meta, dict) else None
        types = meta.get("types") if isinstance(meta, dict) else None
        if (
            type(names) is not list
            or type(types) is not list
            or len(names) != len(types)
            or not all(isinstance(name, str) for name in names)
        ):
            _refuse_form(self.findings, path)
            return
        if not _plain_lists(self.findings, path, obj.get("index"), *(obj.get(name) for name in names)):
            return
        for name, dtype in zip(names, types, strict=True):
            column = obj.get(name) or []
            self._array([len(column)], dtype, column, path)
        self._array([len(obj.get("index") or [])], "int64", None, path)

    def _array(self, shape: list[int], dtype: Any, data: Any, path: str) -> None:
        # One array of shape and dtype, given data: lists, base64 text, or None (pandas).
        policy, findings = self.policy, self.findings
        bound = policy.max_array_elements
        count = 1
        for n in shape:
            count *= n
            if bound is not None and count > bound:  # stop before the product grows huge
                what = "the array's declared size (at least)"
                _report(findings, _limit(policy, "max_array_elements", bound + 1, path, what))
                return
        parsed = _parse_dtype(dtype, data)
        if parsed is None:
            _refuse_form(findings, path)
            return
        itemsize = parsed.itemsize
        if data is not None and not isinstance(data, str):  # (base64: its size is checked on load)
            # Lists must fill the declared shape exactly: numpy allocates for the data given.
            widest = _widest_item(data, shape, parsed)
            if widest is None:
                _refuse_form(findings, path)
                return
            if itemsize == 0 and parsed.kind in "SU":  # unsized text: every item takes the widest one's room
                itemsize = widest
        elif itemsize == 0 and count:
            _refuse_form(findings, path)
            return
        size = count * itemsize
        if policy.max_array_bytes is not None and size > policy.max_array_bytes:
            what = f"the array's size in bytes ({dtype if isinstance(dtype, str) else 'a structured dtype'})"
            _report(findings, _limit(policy, "max_array_bytes", size, path, what))
            return
        if parsed.kind in "SU" and policy.max_string_length is not None:
            # A fixed width costs its room in every item, whatever the data holds: as wide as
            # the longest string a payload may hold, no wider.
            width = itemsize // (4 if parsed.kind == "U" else 1)
            if width > policy.max_string_length:
                what = f"the width in characters of its text dtype {dtype}"
                _report(findings, _limit(policy, "max_string_length", width, path, what))
                return
        what = "the size in bytes of the payload's arrays so far, this one included,"
        self._add("max_total_array_bytes", size, path, what)


def _parse_dtype(dtype: Any, data: Any) -> Any:
    # dtypes as dump writes them: short strings, or a structured dtype's descr (checked
    # field by field, with base64 data). A dict dtype, or a long string, can describe any
    # amount of memory per item.
    if isinstance(dtype, list) and not isinstance(dtype, Pairs) and isinstance(data, str):
        from traceable._codecs.numpy import structured_dtype  # numpy, fair to import for an array

        try:
            return structured_dtype(dtype)
        except Exception:
            return None
    if not isinstance(dtype, str) or len(dtype) > 256:
        return None
    import numpy as np  # an array's dtype, natively encoded: numpy is fair to import

    try:
        return np.dtype(dtype)
    except Exception:
        return None


def _rows(data: Any, shape: list[int]) -> Iterator[list[Any] | None]:
    """The innermost lists of ``data`` (its items, for a shape ``[]``), then None if it does
    not fill ``shape`` exactly."""
    if not shape:
        yield [data]
        return
    if type(data) is not list or len(data) != shape[0]:
        yield None
        return
    depth = len(shape)
    stack = [iter([data])]
    while stack:
        item = next(stack[-1], _DONE)
        if item is _DONE:
            stack.pop()
        elif type(item) is not list or len(item) != shape[len(stack) - 1]:
            yield None
            return
        elif len(stack) == depth:
            yield item
        else:
            stack.append(iter(item))


_NUMBERS = frozenset({int, float, bool})


def _widest_item(data: Any, shape: list[int], dtype: Any) -> int | None:
    """The bytes the widest text item of ``data`` takes in ``dtype`` (0 for other kinds), or
    None where the data is not what dump writes for that dtype and shape."""
    kind = dtype.kind
    widest = 0
    for row in _rows(data, shape):
        if row is None:
            return None
        if kind == "O":  # (an object array's item may be anything, a list too)
            continue
        types = set(map(type, row))  # (row by row, at the speed of C: arrays are long)
        if kind in "biuf":  # numbers as JSON numbers: a Decimal would convert slowly
            if not types <= _NUMBERS:
                return None
        elif kind == "c":  # (complex: what a load checking as it builds has made of a marker already)
            complex_marker = [_wire.COMPLEX]
            if not types <= {*_NUMBERS, Pairs, complex} or (
                Pairs in types and any(type(x) is Pairs and [k for k, _ in x] != complex_marker for x in row)
            ):
                return None
        elif kind == "U":
            if not types <= {str}:
                return None
            widest = max(widest, 4 * max(map(len, row), default=0))
        elif kind == "S":  # bytes, as dump writes them
            for item in row:
                if type(item) is str or type(item) is bytes:  # (bytes: built already, as complex above)
                    widest = max(widest, len(item))
                elif type(item) is Pairs and len(item) == 1 and item[0][0] == _wire.BYTES and type(item[0][1]) is str:
                    widest = max(widest, b64_size(item[0][1]))
                else:
                    return None
        elif list in types:
            return None
    return widest


def _named(name: Any, action: str, what: str, path: str, policy: LoadPolicy, *, verdicts: _Verdicts) -> Finding:
    if isinstance(name, str) and name.startswith(_wire.BYTES_PREFIX):
        size = b64_size(name[len(_wire.BYTES_PREFIX) :])
        return _pickle(size, path, policy, f"a pickled class or function ({what})")
    dotted = name[len(_wire.PATH_PREFIX) :] if isinstance(name, str) and name.startswith(_wire.PATH_PREFIX) else name
    if not isinstance(dotted, str):
        dotted = repr(dotted)
    verdict = verdicts.get(dotted)
    if verdict is None:
        verdict = verdicts[dotted] = _judge_loaded(policy, dotted, verdicts.unloaded)
    return Finding(path, action, dotted, 0, verdict.allowed, verdict.rule, f"{action} {dotted}", str(verdict))


class _Verdicts(dict[str, Verdict]):
    # The verdicts of one walk, and the modules it takes for not loaded.
    def __init__(self, unloaded: frozenset[str]) -> None:
        super().__init__()
        self.unloaded = unloaded


def _judge_loaded(policy: LoadPolicy, dotted: str, unloaded: frozenset[str]) -> Verdict:
    # The name's verdict; and, where the object is in a module already loaded, the
    # object's too (an alias, a method through a class): what the load would decide.
    verdict = policy.judge(dotted)
    if not verdict.allowed or policy.allow is None:
        return verdict
    found = _find_loaded(dotted, unloaded)
    if found is _MISSING:
        if verdict.how == "prefix" and "." in dotted.partition(".")[2]:
            return verdict._replace(how="prefix, if it names a class or a module-level function")
        return verdict
    return policy.judge_resolved(dotted, found)


_MISSING = object()


def _find_loaded(dotted: str, unloaded: frozenset[str]) -> Any:
    # The object named ``dotted`` if its module is loaded, else _MISSING; imports nothing
    # and runs no module __getattr__ (which may import).
    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        name = ".".join(parts[:split])
        module = sys.modules.get(name)
        if not isinstance(module, types.ModuleType) or name in unloaded:
            continue
        obj = vars(module).get(parts[split], _MISSING)
        for attr in parts[split + 1 :]:
            if not isinstance(obj, type):
                return _MISSING
            obj = next((vars(base)[attr] for base in obj.__mro__ if attr in vars(base)), _MISSING)
            if isinstance(obj, (staticmethod, classmethod)):
                obj = obj.__func__
        return obj
    return _MISSING


def b64_size(text: str) -> int:
    """The number of bytes that the base64 ``text`` decodes to, without decoding it.

    Example:
        >>> b64_size("AAAA"), b64_size("AAA="), b64_size("AA==")
        (3, 2, 1)
    """
    return len(text) * 3 // 4 - (text[-2:].count("=") if len(text) % 4 == 0 else 0)


def _pickle(size: int, path: str, policy: LoadPolicy, what: str) -> Finding:
    allowed = policy.allow_pickle
    return Finding(
        path, "unpickle", None, size, allowed, "" if allowed else "allow_pickle", f"unpickle {what}, {size:,} bytes"
    )


def _limit(policy: LoadPolicy, limit: str, value: int, path: str, what: str) -> Finding:
    bound = getattr(policy, limit)
    return Finding(path, "limit", None, 0, False, limit, f"{what} is {value:,}, over {limit}={bound:,}")


def _report(findings: list[Finding] | None, finding: Finding) -> None:
    if findings is not None:
        findings.append(finding)
        return
    if finding.allowed:
        return
    if finding.action == "unpickle":
        policy_advice = "unpickling runs arbitrary code; load it with the default policy only if you trust its source"
    elif finding.rule in ("unique_keys", "array_form", "set_hashes", "shared_items"):
        policy_advice = "a payload written by dump never does this; do not load it"
    elif finding.action == "limit":
        policy_advice = f"raise it with LoadPolicy.safe({finding.rule}=...) if the payload is legitimate"
    elif finding.rule == "deny" and finding.reason.endswith(NEVER_REASON):
        policy_advice = "no allow entry lifts it"
    elif finding.rule == "deny":
        policy_advice = (
            "the deny list wins over allow prefixes; only if you trust this payload, allow the exact name: "
            f"load(..., safe=True, allow=[{finding.name!r}])"
        )
    else:
        policy_advice = f"if you trust it, add it: load(..., safe=True, allow=[{finding.name!r}])"
    because = f": {finding.reason}" if finding.reason else ""
    raise UnsafePayloadError(
        f"refused the payload at {finding.path}: it would {finding.detail}, which the load policy does not "
        f"allow ({finding.rule}{because}); {policy_advice}",
        finding.path,
        symbol=finding.name,
        rule=finding.rule,
    )
