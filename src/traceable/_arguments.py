"""Binding the arguments of a traced call, with the signature inspected once per symbol.

With ``kw_only`` (the default), positional arguments are recorded by parameter name;
positional-only parameters stay positional, and as soon as a call reaches a ``*args``
parameter every positional argument stays positional (NNI 3.0's rule). The callee
receives what was recorded, minus two protections: containers are shallow-copied so
the callee cannot mutate the record, and ``_unwrap_parameter()`` is applied.
"""

from __future__ import annotations

import copy
import inspect
import types
import warnings
from collections.abc import Callable, MutableMapping, MutableSequence, MutableSet
from typing import Any

# Values passed to the callee unchanged: immutable and common.
_PLAIN = frozenset({int, float, str, bool, type(None), tuple, bytes, complex, frozenset})
_MUTABLE = (MutableMapping, MutableSequence, MutableSet)


class Translatable:
    """Deprecated (NNI 3.0): give a parameter ``_unwrap_parameter()`` instead.

    A parameter that subclasses ``Translatable`` is recorded as given and replaced by
    ``_translate()`` in the call the traced symbol receives.
    """

    def _translate(self) -> Any:
        raise NotImplementedError

    @staticmethod
    def _translate_argument(value: Any) -> Any:
        warnings.warn(
            "Translatable is deprecated: define _unwrap_parameter() on the parameter instead",
            DeprecationWarning,
            stacklevel=4,
        )
        if isinstance(value, Translatable):
            return value._translate()
        return value


def _record_value(value: Any) -> Any:
    # Generators are consumed by the call, so record (and pass) their items instead.
    if isinstance(value, types.GeneratorType):
        return list(value)
    return value


def call_value(value: Any) -> Any:
    """What the callee receives for a recorded ``value``."""
    if type(value) in _PLAIN:
        return value
    unwrap = getattr(type(value), "_unwrap_parameter", None)
    if unwrap is not None:
        value = unwrap(value)
    if isinstance(value, Translatable):
        value = Translatable._translate_argument(value)
    if isinstance(value, _MUTABLE):
        value = copy.copy(value)
    return value


class Binder:
    """Splits the positional arguments of calls to one symbol into recorded args and kwargs."""

    __slots__ = ("_func", "_plan", "_skip_self")

    def __init__(self, func: Callable[..., Any], *, skip_self: bool) -> None:
        self._func = func
        self._skip_self = skip_self
        self._plan: tuple[int, tuple[str, ...]] | None = None

    def _make_plan(self) -> tuple[int, tuple[str, ...]]:
        try:
            params = list(inspect.signature(self._func).parameters.values())
        except (TypeError, ValueError):  # some C callables have no signature: keep positional
            params = [inspect.Parameter("args", inspect.Parameter.VAR_POSITIONAL)]
        if self._skip_self and params and params[0].kind != inspect.Parameter.VAR_POSITIONAL:
            params = params[1:]
        n_positional_only = 0
        while n_positional_only < len(params) and params[n_positional_only].kind == inspect.Parameter.POSITIONAL_ONLY:
            n_positional_only += 1
        names = []
        for param in params[n_positional_only:]:
            if param.kind != inspect.Parameter.POSITIONAL_OR_KEYWORD:
                break
            names.append(param.name)
        return n_positional_only, tuple(names)

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any], kw_only: bool) -> tuple[list[Any], dict[str, Any]]:
        """Return the ``(args, kwargs)`` to record for a call."""
        if args and kw_only:
            plan = self._plan
            if plan is None:
                plan = self._plan = self._make_plan()
            n_positional_only, names = plan
            n = len(args)
            if n_positional_only < n <= n_positional_only + len(names) and (
                not kwargs or kwargs.keys().isdisjoint(names[: n - n_positional_only])
            ):
                named = dict(zip(names, args[n_positional_only:], strict=False))
                named.update(kwargs)
                return [_record_value(a) for a in args[:n_positional_only]], {
                    k: _record_value(v) for k, v in named.items()
                }
        # Nothing to name (no positional args, all positional-only, a *args reached, or a
        # call that Python itself will reject): record the call as it was made.
        return [_record_value(a) for a in args], {k: _record_value(v) for k, v in kwargs.items()}
