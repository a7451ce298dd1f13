"""Reading a payload without executing anything: what it would import, call and unpickle.

One walk over the parsed JSON serves two callers: a load under a checking policy, which
stops at the first thing the policy refuses, and :func:`audit`, which lists everything.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from traceable import _wire
from traceable._encode import format_path
from traceable._policy import LoadPolicy
from traceable.exceptions import UnsafePayloadError

__all__ = ["Finding", "inspect_tree"]

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
            ``"unpickle"``, or ``"limit"``.
        name: the dotted name imported, or None (a pickled blob, a limit).
        size: the size in bytes of a pickled blob; 0 otherwise.
        allowed: whether the policy audited against allows it.
        rule: what refuses it (``"allow"``, ``"allow_pickle"``, ``"max_depth"``...), or "".
        detail: one sentence for people.
    """

    path: str
    action: str
    name: str | None
    size: int
    allowed: bool
    rule: str
    detail: str

    def __str__(self) -> str:
        verdict = "allowed" if self.allowed else f"REFUSED ({self.rule})"
        return f"{self.path}: {self.detail} - {verdict}"


def inspect_tree(tree: Any, policy: LoadPolicy, findings: list[Finding] | None = None) -> None:
    """Check the parsed payload ``tree`` against ``policy``, importing nothing.

    With ``findings``, record every finding there instead of raising at the first refusal.

    Raises:
        UnsafePayloadError: the policy refuses something (only without ``findings``).
    """
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(tree, ())]
    while stack:
        node, keys = stack.pop()
        if isinstance(node, str):
            if policy.max_string_length is not None and len(node) > policy.max_string_length:
                _report(findings, _limit(policy, "max_string_length", len(node), keys, "a string's length"))
        elif isinstance(node, list):
            _check_depth(policy, keys, findings)
            stack.extend((value, (*keys, index)) for index, value in reversed(list(enumerate(node))))
        elif isinstance(node, dict):
            _check_depth(policy, keys, findings)
            _inspect_object(node, keys, policy, findings)
            for key in node:
                if policy.max_string_length is not None and len(key) > policy.max_string_length:
                    _report(findings, _limit(policy, "max_string_length", len(key), keys, "a key's length"))
            stack.extend((value, (*keys, key)) for key, value in reversed(list(node.items())))


def _check_depth(policy: LoadPolicy, keys: tuple[str | int, ...], findings: list[Finding] | None) -> None:
    # A container at ``keys`` is nested len(keys) + 1 deep (the root is 1); each branch
    # that goes too deep is reported once, where it crosses the limit.
    if policy.max_depth is not None and len(keys) == policy.max_depth:  # the first level too deep
        _report(findings, _limit(policy, "max_depth", len(keys) + 1, keys, "the nesting depth"))


def _inspect_object(obj: dict[str, Any], keys: tuple[str | int, ...], policy: LoadPolicy, findings: Any) -> None:
    path = format_path(keys)
    for marker, action in _NAMED.items():
        if marker in obj:
            _report(findings, _named(obj[marker], action, marker, path, policy))
    if _wire.ENUM in obj:
        body = obj[_wire.ENUM]
        where = body.get(_wire.ENUM_TYPE) if isinstance(body, dict) else None
        if isinstance(where, list) and len(where) == 2 and all(isinstance(p, (str, type(None))) for p in where):
            name = f"{where[0] or '__main__'}.{where[1]}"
        else:
            name = repr(where)
        _report(findings, _named(name, "import", "the enum type", path, policy))
    if _wire.PICKLED in obj:
        blob = obj[_wire.PICKLED]
        size = len(blob) * 3 // 4 if isinstance(blob, str) else 0
        _report(findings, _pickle(size, path, policy, "a pickled object"))
    if _wire.NDARRAY in obj:
        shape = obj.get("shape")
        if isinstance(shape, list) and all(isinstance(n, int) and n >= 0 for n in shape):
            count = 1
            for n in shape:
                count *= n
            if policy.max_array_elements is not None and count > policy.max_array_elements:
                _report(findings, _limit(policy, "max_array_elements", count, keys, "the array's declared size"))


def _named(name: Any, action: str, what: str, path: str, policy: LoadPolicy) -> Finding:
    if isinstance(name, str) and name.startswith(_wire.BYTES_PREFIX):
        size = (len(name) - len(_wire.BYTES_PREFIX)) * 3 // 4
        return _pickle(size, path, policy, f"a pickled class or function ({what})")
    dotted = name[len(_wire.PATH_PREFIX) :] if isinstance(name, str) and name.startswith(_wire.PATH_PREFIX) else name
    if not isinstance(dotted, str):
        dotted = repr(dotted)
    allowed = policy.allows_name(dotted)
    return Finding(path, action, dotted, 0, allowed, "" if allowed else "allow", f"{action} {dotted}")


def _pickle(size: int, path: str, policy: LoadPolicy, what: str) -> Finding:
    allowed = policy.allow_pickle
    return Finding(
        path, "unpickle", None, size, allowed, "" if allowed else "allow_pickle", f"unpickle {what}, {size:,} bytes"
    )


def _limit(policy: LoadPolicy, limit: str, value: int, keys: tuple[str | int, ...], what: str) -> Finding:
    bound = getattr(policy, limit)
    return Finding(format_path(keys), "limit", None, 0, False, limit, f"{what} is {value:,}, over {limit}={bound:,}")


def _report(findings: list[Finding] | None, finding: Finding) -> None:
    if findings is not None:
        findings.append(finding)
        return
    if finding.allowed:
        return
    if finding.action == "unpickle":
        policy_advice = "unpickling runs arbitrary code; load it with the default policy only if you trust its source"
    elif finding.action == "limit":
        policy_advice = f"raise it with LoadPolicy.safe({finding.rule}=...) if the payload is legitimate"
    else:
        policy_advice = f"if you trust it, add it: load(..., safe=True, allow=[{finding.name!r}])"
    raise UnsafePayloadError(
        f"refused the payload at {finding.path}: it would {finding.detail}, which the load policy does not "
        f"allow ({finding.rule}); {policy_advice}",
        finding.path,
        symbol=finding.name,
        rule=finding.rule,
    )
