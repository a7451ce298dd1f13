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

__all__ = ["Finding", "Pairs", "b64_size", "inspect_tree"]


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
_ANY_MARKER = frozenset(
    {*_NAMED, _wire.ENUM, _wire.PICKLED, _wire.NDARRAY, _wire.DATAFRAME, _wire.SERIES, _wire.SET, _wire.FROZENSET}
)
_DONE = object()


def inspect_tree(tree: Any, policy: LoadPolicy, findings: list[Finding] | None = None) -> None:
    """Check the parsed payload ``tree`` against ``policy``, importing nothing.

    With ``findings``, record every finding there instead of raising at the first refusal.
    The walk keeps only the path to the current value: memory grows with depth, not size.

    Raises:
        UnsafePayloadError: the policy refuses something (only without ``findings``).
    """
    verdicts: dict[str, Verdict] = {}  # name -> verdict, for this walk (modules may load between walks)
    keys: list[Any] = []  # the keys of the open containers, _ROOT first
    stack: list[Iterator[tuple[Any, Any]]] = [iter([(_ROOT, tree)])]
    max_string = policy.max_string_length
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
            stack.append(iter(pairs))
        else:
            stack.append(enumerate(node))


def _path(keys: list[Any], last: Any = _ROOT) -> str:
    return format_path([k for k in (*keys, last) if k is not _ROOT])


def _as_dict(value: Any) -> Any:
    return dict(value) if isinstance(value, Pairs) else value


def _inspect_object(
    obj: dict[str, Any], path: str, policy: LoadPolicy, findings: Any, verdicts: dict[str, Verdict]
) -> None:
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
    if _wire.NDARRAY in obj:
        _inspect_ndarray(obj, path, policy, findings)
    if _wire.DATAFRAME in obj:
        _inspect_dataframe(obj, path, policy, findings)
    if _wire.SERIES in obj:
        meta = _as_dict(obj[_wire.SERIES])
        data, index = obj.get("data"), obj.get("index")
        dtype = meta.get("type") if isinstance(meta, dict) else None
        if _plain_lists(findings, path, data, index):
            _inspect_array([len(data or [])], dtype, data, path=path, policy=policy, findings=findings)
            _inspect_array([len(index or [])], "int64", None, path=path, policy=policy, findings=findings)


def _inspect_codec(
    obj: dict[str, Any], path: str, policy: LoadPolicy, findings: Any, verdicts: dict[str, Verdict]
) -> None:
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


def _inspect_ndarray(obj: dict[str, Any], path: str, policy: LoadPolicy, findings: Any) -> None:
    shape, data = obj.get("shape"), obj[_wire.NDARRAY]
    if (
        not isinstance(shape, list)
        or not all(type(n) is int and n >= 0 for n in shape)
        or ("scalar" in obj and (obj["scalar"] is not True or shape))  # a numpy scalar: true, with shape []
    ):
        _refuse_form(findings, path)
        return
    _inspect_array(shape, obj.get("dtype"), data, path=path, policy=policy, findings=findings)


def _inspect_dataframe(obj: dict[str, Any], path: str, policy: LoadPolicy, findings: Any) -> None:
    meta = _as_dict(obj[_wire.DATAFRAME])
    names = meta.get("column_order") if isinstance(meta, dict) else None
    types = meta.get("types") if isinstance(meta, dict) else None
    if (
        type(names) is not list
        or type(types) is not list
        or len(names) != len(types)
        or not all(isinstance(name, str) for name in names)
    ):
        _refuse_form(findings, path)
        return
    if not _plain_lists(findings, path, obj.get("index"), *(obj.get(name) for name in names)):
        return
    for name, dtype in zip(names, types, strict=True):
        column = obj.get(name) or []
        _inspect_array([len(column)], dtype, column, path=path, policy=policy, findings=findings)
    _inspect_array([len(obj.get("index") or [])], "int64", None, path=path, policy=policy, findings=findings)


def _inspect_array(shape: list[int], dtype: Any, data: Any, *, path: str, policy: LoadPolicy, findings: Any) -> None:
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
    if itemsize == 0 and parsed.kind in "SU" and isinstance(data, list):
        # Unsized text ("U", "str"): every item takes the longest one's room.
        longest = max((len(x) for x in _leaves(data) if isinstance(x, str)), default=0)
        itemsize = longest * (4 if parsed.kind == "U" else 1)
    elif itemsize == 0 and count:
        _refuse_form(findings, path)
        return
    if (
        data is not None  # (pandas: no data given)
        and not isinstance(data, str)  # (base64: its size is checked against the shape on load)
        and parsed.kind in "biufc"
        and not _numeric_leaves(data if type(data) is list else [data], parsed.kind == "c")
    ):
        _refuse_form(findings, path)  # numbers as JSON numbers: a Decimal would convert slowly
        return
    if policy.max_array_bytes is not None and count * itemsize > policy.max_array_bytes:
        what = f"the array's size in bytes ({dtype if isinstance(dtype, str) else 'a structured dtype'})"
        _report(findings, _limit(policy, "max_array_bytes", count * itemsize, path, what))


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


def _leaves(data: list[Any]) -> Iterator[Any]:
    stack = [iter(data)]
    while stack:
        item = next(stack[-1], _DONE)
        if item is _DONE:
            stack.pop()
        elif type(item) is list:
            stack.append(iter(item))
        else:
            yield item


def _numeric_leaves(data: list[Any], complex_allowed: bool) -> bool:
    for item in _leaves(data):
        if type(item) in (int, float, bool):
            continue
        if complex_allowed and isinstance(item, Pairs) and [key for key, _ in item] == [_wire.COMPLEX]:
            continue
        return False
    return True


def _named(
    name: Any, action: str, what: str, path: str, policy: LoadPolicy, *, verdicts: dict[str, Verdict]
) -> Finding:
    if isinstance(name, str) and name.startswith(_wire.BYTES_PREFIX):
        size = b64_size(name[len(_wire.BYTES_PREFIX) :])
        return _pickle(size, path, policy, f"a pickled class or function ({what})")
    dotted = name[len(_wire.PATH_PREFIX) :] if isinstance(name, str) and name.startswith(_wire.PATH_PREFIX) else name
    if not isinstance(dotted, str):
        dotted = repr(dotted)
    verdict = verdicts.get(dotted)
    if verdict is None:
        verdict = verdicts[dotted] = _judge_loaded(policy, dotted)
    return Finding(path, action, dotted, 0, verdict.allowed, verdict.rule, f"{action} {dotted}", str(verdict))


def _judge_loaded(policy: LoadPolicy, dotted: str) -> Verdict:
    # The name's verdict; and, where the object is in a module already loaded, the
    # object's too (an alias, a method through a class): what the load would decide.
    verdict = policy.judge(dotted)
    if not verdict.allowed or policy.allow is None:
        return verdict
    found = _find_loaded(dotted)
    if found is _MISSING:
        if verdict.how == "prefix" and "." in dotted.partition(".")[2]:
            return verdict._replace(how="prefix, if it names a class or a module-level function")
        return verdict
    return policy.judge_resolved(dotted, found)


_MISSING = object()


def _find_loaded(dotted: str) -> Any:
    # The object named ``dotted`` if its module is loaded, else _MISSING; imports nothing
    # and runs no module __getattr__ (which may import).
    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        module = sys.modules.get(".".join(parts[:split]))
        if not isinstance(module, types.ModuleType):
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
    elif finding.rule in ("unique_keys", "array_form", "set_hashes"):
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
