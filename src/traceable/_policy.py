"""What a load may do: which symbols it may import and call, whether it may unpickle, and
how large a payload may be.

The default policy trusts the payload, as NNI 3.0 does (and as ``pickle.load`` does).
``LoadPolicy.safe()`` trusts nothing but the values traceable encodes natively, plus the
symbols the caller names.
"""

from __future__ import annotations

import dataclasses
import keyword
import sys
import types
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from traceable._denylist import DENY_LIST, DenyList
from traceable.exceptions import UnsafePayloadError

__all__ = ["LoadPolicy", "Verdict", "get_default_policy", "set_default_policy"]

_MiB = 1 << 20


class Verdict(NamedTuple):
    """A policy's decision on one name, and the entry that made it.

    Attributes:
        allowed: whether the name (or the object it imports as) may be used.
        rule: ``""`` when allowed; ``"allow"`` (no allow entry covers it) or ``"deny"``.
        entry: the allow entry that matched, or the deny entry that refused; ``""`` if none.
        how: ``"exact"`` or ``"prefix"`` for an allow entry; why, for a deny entry.
        canonical: the name the object imports as, where that decided it.
    """

    allowed: bool
    rule: str
    entry: str
    how: str
    canonical: str | None = None

    def __str__(self) -> str:
        if self.allowed:
            if not self.entry:
                return self.how
            if self.how == "exact":
                return f"exact allow entry {self.entry!r}"
            kind, _, condition = self.how.partition(", ")  # ("prefix", "if it names a class...")
            return f"allow {kind} {self.entry!r}" + (f", {condition}" if condition else "")
        if self.rule == "deny":
            return f"deny entry {self.entry!r} ({self.how})"
        if self.how == "through":
            return "reached through a class: only an exact allow entry covers it"
        if self.how == "imports as":
            return f"imports as {self.canonical}, which no allow entry covers"
        if self.how == "module":
            return "a module, not a class or function"
        if self.how == "private":
            return "a private or special name, or not a library's API: only an exact allow entry covers it"
        if self.how == "private helper":
            return "a Python function in a private module: only an exact allow entry covers it"
        return f"not in the allow list, {self.how}" if self.how.startswith("and ") else ""


# Functions implemented in C: what a name through a private module may reach, with classes.
_NATIVE_FUNCTIONS = (types.BuiltinFunctionType, types.BuiltinMethodType)
# Modules of a package that are not its API: importing them runs test, build or demo code.
_NOT_API = frozenset(
    {"tests", "test", "testing", "conftest", "setup", "examples", "benchmarks", "benchmark", "scripts"}
)


def _is_api_component(part: str) -> bool:
    return (
        part.isidentifier()
        and not keyword.iskeyword(part)
        and not (part.startswith("__") and part.endswith("__"))
        and part not in _NOT_API
        and not part.startswith(("test_", "_test"))
        and not part.endswith(("_test", "_tests"))
    )


def _depth_below_module(dotted: str) -> int:
    # How many attribute steps ``dotted`` takes below the deepest module it names, among
    # the modules loaded (after its import): 1 for a module-level name.
    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        if isinstance(sys.modules.get(".".join(parts[:split])), types.ModuleType):
            return len(parts) - split
    return len(parts)


@dataclasses.dataclass(frozen=True)
class LoadPolicy:
    """What a load may do. Every limit is None (no limit) or a positive number.

    Attributes:
        allow: exact names (``"mypkg.models.Net"``) and module prefixes (``"torch.nn"``)
            of the classes and functions a payload may import and call, as ``__symbol__``,
            ``__nni_type__``, ``__instance_type__`` or an enum's type; None allows any.
            A prefix covers the module's public classes and module-level functions, not
            methods reached through a class (``pathlib.Path.write_text`` needs its own exact
            entry), private names (``mod._helper``) or special ones (``__main__``).
            Both the name in the payload and the object it imports as must match, so an
            alias (``logging.os.system``) or a re-export cannot reach a forbidden object.
        deny: names to refuse beyond the built-in deny list (``traceable._denylist.DENIED``:
            pickle loaders, ``numpy.load``, ``torch.load``, ``pandas.read_*``, ``os``,
            ``subprocess``, file writers...), which wins over every allow prefix; an exact
            ``allow`` entry lifts it for that one name, except for traceable's own functions.
            The built-in list applies whenever ``allow`` is not None.
        allow_pickle: whether ``__nni_obj__`` blobs and ``bytes:`` symbols may be unpickled.
        max_size: the longest payload, in characters of text (or bytes, before unzipping).
        max_decompressed_size: the largest gzipped payload once unzipped, in bytes.
        max_depth: the deepest nesting of JSON arrays and objects.
        max_string_length: the longest string, in characters.
        max_number_length: the longest number, in characters of text.
        max_array_elements: the most elements a numpy array may declare in its shape.
        max_array_bytes: the most bytes a numpy array (or pandas column) may declare,
            its shape times its dtype's item size.
        max_total_array_bytes: the most bytes all the numpy arrays (and pandas columns and
            indexes, and tensors' data) of one payload may declare together. Every array is
            counted once (a lossless ``__ref__`` to one is not counted again), and each
            pandas frame or series 16 KiB more, each column 4 KiB (pandas' own overhead), so
            this bounds what one load allocates for arrays, however small its text.
        max_shared_copies: the most items that the calls of one lossless payload may copy,
            together, out of lists and dicts it shares: a traced call given a shared
            ``__args__`` list or ``__kwargs__`` dict (``{"__ref__": 1}``) keeps a copy of it.

    Example:
        >>> policy = LoadPolicy.safe(allow=["collections.OrderedDict"])
        >>> policy.allow_pickle, policy.allows_name("collections.OrderedDict"), policy.allows_name("os.system")
        (False, True, False)
    """

    allow: tuple[str, ...] | None = None
    allow_pickle: bool = True
    deny: tuple[str, ...] = ()
    max_size: int | None = None
    max_decompressed_size: int | None = None
    max_depth: int | None = None
    max_string_length: int | None = None
    max_number_length: int | None = None
    max_array_elements: int | None = None
    max_array_bytes: int | None = None
    max_total_array_bytes: int | None = None
    max_shared_copies: int | None = None

    if TYPE_CHECKING:  # derived in __post_init__, not fields
        _exact: ClassVar[frozenset[str]]
        _deny_list: ClassVar[DenyList]
        _trusting: ClassVar[bool]

    def __post_init__(self) -> None:
        for attribute, examples in (("allow", "'torch.nn' or 'mypkg.Net'"), ("deny", "'mypkg.io' or 'mypkg.read_*'")):
            names = getattr(self, attribute)
            if names is None:  # (allow only: any name)
                continue
            if isinstance(names, str):
                raise TypeError(f"{attribute} takes a list of names, such as [{names!r}], not one string")
            object.__setattr__(self, attribute, tuple(names))
            for name in getattr(self, attribute):
                if not isinstance(name, str) or not name or name.startswith(".") or name.endswith("."):
                    raise ValueError(f"{attribute} takes dotted names such as {examples}, not {name!r}")
        # Derived once: the policy is frozen, and these are read for every symbol.
        object.__setattr__(self, "_exact", frozenset(self.allow or ()))
        if self.allow is None:
            deny_list = DenyList(dict.fromkeys(self.deny, "this policy's deny list"))
        else:
            deny_list = DENY_LIST.extended(self.deny, "this policy's deny list") if self.deny else DENY_LIST
        object.__setattr__(self, "_deny_list", deny_list)
        trusting = True
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name.startswith("max_") and value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"{field.name} must be None or a positive integer, not {value!r}")
            trusting = trusting and value == field.default
        # (Read on every load: comparing the fields each time would cost a safe load 0.3 µs.)
        object.__setattr__(self, "_trusting", trusting)

    def __getstate__(self) -> dict[str, Any]:
        # The fields alone: what __post_init__ derives (the deny list's index of loaded
        # objects) is rebuilt on the other side.
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)
        self.__post_init__()

    @classmethod
    def trusting(cls) -> LoadPolicy:
        """NNI 3.0's behaviour: any symbol, any pickle, no limits. For your own payloads only."""
        return cls()

    @classmethod
    def safe(cls, allow: Iterable[str] = (), deny: Iterable[str] = (), **limits: Any) -> LoadPolicy:
        """Only natively encoded values, plus the symbols in ``allow``; no pickles; limits.

        Args:
            allow: exact names and module prefixes of the classes and functions to allow.
            deny: names to refuse beyond the built-in deny list, even under an allowed prefix.
            **limits: any ``max_*`` attribute, to change a default limit.
        """
        settings: dict[str, Any] = {
            "max_size": 16 * _MiB,
            "max_decompressed_size": 16 * _MiB,
            "max_depth": 200,
            "max_string_length": 16 * _MiB,
            "max_number_length": 1000,
            "max_array_elements": 100_000_000,
            "max_array_bytes": 256 * _MiB,
            "max_total_array_bytes": 256 * _MiB,
            "max_shared_copies": 1_000_000,
        }
        unknown = set(limits) - set(settings)
        if unknown:
            raise TypeError(f"unknown limit(s) {', '.join(sorted(unknown))}; the limits are {', '.join(settings)}")
        settings.update(limits)
        # (__post_init__ refuses a lone string, then makes each a tuple)
        return cls(allow=allow, allow_pickle=False, deny=deny, **settings)  # type: ignore[arg-type]

    @property
    def is_trusting(self) -> bool:
        """Whether this policy checks nothing (the default)."""
        return self._trusting

    def allows_name(self, dotted: str) -> bool:
        """Whether the payload may name ``dotted`` (checked before importing anything)."""
        return self.judge(dotted).allowed

    def judge(self, dotted: str) -> Verdict:
        """Whether the payload may name ``dotted``, and which entry decides it.

        An exact ``allow`` entry allows its name even where the deny list covers it
        (except traceable's own functions); a prefix allows the public names under it that
        no deny entry covers: not a name whose last component is private (``_dump``), nor
        one with a special component (``__main__``). Nothing is imported.

        Example:
            >>> policy = LoadPolicy.safe(allow=["numpy", "numpy.load"])
            >>> str(policy.judge("numpy.zeros")), str(policy.judge("numpy.load"))
            ("allow prefix 'numpy'", "exact allow entry 'numpy.load'")
            >>> str(policy.judge("numpy.save"))
            "deny entry 'numpy.save*' (it reads or writes files, or opens connections)"
        """
        deny = self._deny_list
        denied = deny.match(dotted)
        if denied is not None and (denied in deny.never or self.allow is None):
            return Verdict(False, "deny", denied, deny.reasons[denied])
        if self.allow is None:
            return Verdict(True, "", "", "the policy allows any name")
        if dotted in self._exact:  # (an exact entry lifts the deny entry that covers it)
            return Verdict(True, "", dotted, "exact")
        prefix = next((rule for rule in self.allow if dotted.startswith(rule + ".")), None)
        if prefix is None:
            why = "" if denied is None else f"and denied as {denied!r}"
            return Verdict(False, "allow", "", why)
        if denied is not None:
            return Verdict(False, "deny", denied, deny.reasons[denied])
        parts = dotted[len(prefix) + 1 :].split(".")
        if parts[-1].startswith("_") or any(not _is_api_component(part) for part in parts):
            # A private name (_exec_with_source, _dump), a dunder (__main__, __class__), a
            # test suite, script or example (numpy.tests, setup, examples), or no identifier
            # at all: a prefix covers a library's public API only, and importing the others
            # runs their top-level code.
            return Verdict(False, "allow", "", "private")
        return Verdict(True, "", prefix, "prefix")

    @property
    def deny_list(self) -> DenyList:
        """The deny entries in force: the built-in list plus ``deny`` (just ``deny`` without an allow list)."""
        return self._deny_list

    def check_name(self, dotted: str, path: str | None, what: str) -> None:
        """Refuse to import ``dotted`` unless allowed.

        Raises:
            UnsafePayloadError: not allowed, or denied.
        """
        verdict = self.judge(dotted)
        if not verdict.allowed:
            raise UnsafePayloadError(
                f"refused to import {dotted!r} for {what}{_at(path)}: {self._refusal(dotted, verdict)}",
                path,
                symbol=dotted,
                rule=verdict.rule,
            )

    def judge_resolved(self, dotted: str, obj: Any) -> Verdict:
        """Whether ``obj``, imported for the allowed name ``dotted``, may be used.

        It must not be a module, nor an object on the deny list under another name; its own
        name (``__module__`` and ``__qualname__``) must be allowed too, so an alias
        (``logging.os.system``) or a re-export cannot reach a forbidden object; and a name
        allowed only by a prefix must reach a class, or something at module level:
        ``pathlib.Path.write_text`` (a method reached through an allowed class) needs its
        own exact entry.
        """
        if self.allow is None and not self.deny:
            return Verdict(True, "", "", "the policy allows any name")
        named = self.judge(dotted)
        if isinstance(obj, types.ModuleType):
            return Verdict(False, "allow", "", "module")
        deny = self._deny_list
        module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
        canonical = f"{module}.{qualname}" if isinstance(module, str) and isinstance(qualname, str) else None
        denied = deny.match_object(obj) or (deny.match(canonical) if canonical is not None else None)
        if denied is not None and (denied in deny.never or named.how != "exact"):
            return Verdict(False, "deny", denied, deny.reasons[denied], canonical)
        if self.allow is None:
            return named
        if named.how == "prefix" and not isinstance(obj, type):
            if _depth_below_module(dotted) > 1:
                return Verdict(False, "allow", "", "through", canonical)
            if not isinstance(obj, _NATIVE_FUNCTIONS) and any(part.startswith("_") for part in dotted.split(".")):
                # Private modules hold a library's helpers; what dump names through them is a
                # class or a function written in C (torch._C._nn.gelu), not a Python helper.
                return Verdict(False, "allow", "", "private helper", canonical)
        if canonical is None or not self._in_allow(canonical):
            return Verdict(False, "allow", "", "imports as", canonical or repr(obj))
        return named

    def check_resolved(self, dotted: str, obj: Any, path: str | None, what: str) -> None:
        """Refuse an imported object that :meth:`judge_resolved` refuses.

        Raises:
            UnsafePayloadError: refused.
        """
        verdict = self.judge_resolved(dotted, obj)
        if not verdict.allowed:
            raise UnsafePayloadError(
                f"refused {dotted!r} for {what}{_at(path)}: {self._refusal(dotted, verdict)}",
                path,
                symbol=dotted,
                rule=verdict.rule,
            )

    def _in_allow(self, dotted: str) -> bool:
        return dotted in self._exact or any(dotted.startswith(rule + ".") for rule in self.allow or ())

    def _refusal(self, dotted: str, verdict: Verdict) -> str:
        # Why, and what to do, for a refused verdict.
        if verdict.rule == "deny" and verdict.entry in self._deny_list.never:
            return f"{verdict.how} (deny list entry {verdict.entry!r}); no allow entry lifts it"
        if verdict.rule == "deny":
            seen = f"it imports as {verdict.canonical}, and " if verdict.canonical not in (None, dotted) else ""
            return (
                f"{seen}the deny list refuses {verdict.entry!r} whatever allow prefix covers it ({verdict.how}); "
                f"only if you trust this payload, allow that exact name: load(..., safe=True, allow=[{dotted!r}])"
            )
        if verdict.how == "through":
            return (
                f"it is reached through a class, and an allow prefix covers a module's classes and module-level "
                f"functions, not their methods or attributes; if you trust it, allow the exact name: "
                f"load(..., safe=True, allow=[{dotted!r}])"
            )
        if verdict.how == "private":
            return (
                "an allow prefix covers a library's public API, not private names (a last component starting "
                "with '_'), special ones (__main__, __class__), its tests, scripts or examples, or what is not "
                f"an identifier; if you trust it, allow the exact name: load(..., safe=True, allow=[{dotted!r}])"
            )
        if verdict.how == "private helper":
            return (
                "it is a Python function in a private module, and an allow prefix reaches through private "
                "modules only classes and functions written in C; if you trust it, allow the exact name: "
                f"load(..., safe=True, allow=[{dotted!r}])"
            )
        if verdict.how == "imports as":
            return (
                f"it imports as {verdict.canonical}, which is not in the allow list {list(self.allow or ())}; "
                "allow that name if you trust it"
            )
        if verdict.how == "module":
            return f"{dotted!r} is a module, not a class or function; name the class or function itself"
        return (
            f"it is not in the allow list {list(self.allow or ())}; if you trust it, add it: "
            f"load(..., safe=True, allow=[{dotted!r}])"
        )

    def check_pickle(self, path: str | None, size: int, what: str) -> None:
        """Refuse to unpickle unless pickles are allowed.

        Raises:
            UnsafePayloadError: pickles are not allowed.
        """
        if not self.allow_pickle:
            raise UnsafePayloadError(
                f"refused to unpickle {what} ({size:,} bytes){_at(path)}: unpickling runs arbitrary code, and "
                "this policy allows no pickles; load it with the default policy only if you trust its source",
                path,
                rule="allow_pickle",
            )

    def exceeded(self, limit: str, value: int, path: str | None, what: str) -> None:
        """Refuse a payload over the limit named ``limit`` (an attribute, such as ``max_depth``).

        Raises:
            UnsafePayloadError: ``value`` is over the limit.
        """
        bound = getattr(self, limit)
        if bound is not None and value > bound:
            raise UnsafePayloadError(
                f"refused the payload{_at(path)}: {what} is {value:,}, over {limit}={bound:,}; "
                f"raise it with LoadPolicy.safe({limit}=...) if the payload is legitimate",
                path,
                rule=limit,
            )


def _at(path: str | None) -> str:
    return f" at {path}" if path else ""


_TRUSTING = LoadPolicy()
_default = _TRUSTING


def get_default_policy() -> LoadPolicy:
    """The policy ``load`` applies when given none (trusting, unless changed)."""
    return _default


def set_default_policy(policy: LoadPolicy) -> LoadPolicy:
    """Make ``policy`` the one ``load`` applies when given none, for the whole process.

    Returns:
        The previous default, to restore later.

    Example:
        >>> previous = set_default_policy(LoadPolicy.safe())
        >>> _ = set_default_policy(previous)
    """
    global _default
    if not isinstance(policy, LoadPolicy):
        raise TypeError(f"set_default_policy takes a LoadPolicy, not {type(policy).__name__}")
    previous, _default = _default, policy
    return previous
