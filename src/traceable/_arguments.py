"""Binding the arguments of a traced call, with the signature inspected once per symbol.

With ``kw_only`` (the default), positional arguments are recorded by parameter name;
positional-only parameters stay positional, and as soon as a call reaches a ``*args``
parameter every positional argument stays positional (NNI 3.0's rule). The callee
receives what was recorded, minus two protections: containers are shallow-copied so
the callee cannot mutate the record, and ``_unwrap_parameter()`` is applied.
"""

from __future__ import annotations

import abc
import copy
import inspect
import types
import warnings
from collections.abc import Callable, MutableMapping, MutableSequence, MutableSet
from typing import Any

from traceable._traced import Traced

# Values passed to the callee as they are: immutable and common.
PLAIN = frozenset({int, float, str, bool, type(None), tuple, bytes, complex, frozenset})
is_plain = PLAIN.issuperset  # is_plain(map(type, values)): one C call for a whole call's values
_MUTABLE = (MutableMapping, MutableSequence, MutableSet)


class Translatable:
    """Deprecated (NNI 3.0): give a parameter ``_unwrap_parameter()`` instead.

    A parameter that subclasses ``Translatable`` is recorded as given and replaced by
    ``_translate()`` in the call the traced symbol receives. As in NNI, it is abstract:
    only a subclass that defines ``_translate`` can be instantiated.
    """

    # Abstract as abc.ABC makes a class, without ABCMeta: every traced call checks its
    # arguments against this class, and isinstance() against an ABC costs about three
    # times as much. Python refuses to instantiate a class whose __abstractmethods__ is
    # not empty, whatever its metaclass; this recomputes it for each subclass, as ABCMeta does.
    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _set_abstract_methods(cls)

    @abc.abstractmethod
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


def _set_abstract_methods(cls: type) -> None:
    abstract = frozenset(name for name in ("_translate",) if getattr(getattr(cls, name), "__isabstractmethod__", False))
    type.__setattr__(cls, "__abstractmethods__", abstract)


_set_abstract_methods(Translatable)


def call_value(value: Any) -> Any:
    """What the callee receives for a recorded ``value``."""
    copy_exact = _COPY.get(type(value))
    if copy_exact is not None:  # the common containers, without the ABC checks below
        return copy_exact(value)
    if isinstance(value, Traced):
        # A traced container is a recorded object itself; copying it would call its traced
        # __init__ again (deque and defaultdict copy through type(self)(self)), endlessly.
        return value
    unwrap = getattr(type(value), "_unwrap_parameter", None)
    if unwrap is not None:
        value = unwrap(value)
    if isinstance(value, Translatable):
        value = Translatable._translate_argument(value)
    if isinstance(value, _MUTABLE):
        value = copy.copy(value)
    return value


_COPY: dict[type, Callable[[Any], Any]] = {list: list.copy, dict: dict.copy, set: set.copy}
NO_ARGS: tuple[()] = ()  # recorded for calls without positional arguments; read as []


def split_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Expand generators in ``kwargs`` (a dict of our own) in place; return the callee's kwargs.

    When every value is a plain immutable, ``kwargs`` itself is returned: unpacking it
    into the call copies it, so the callee cannot change it.
    """
    if PLAIN.issuperset(map(type, kwargs.values())):
        return kwargs
    call: dict[str, Any] | None = None
    for key, value in kwargs.items():
        kind = type(value)
        if kind in PLAIN:
            continue
        if call is None:
            call = dict(kwargs)
        if kind is types.GeneratorType:
            items = kwargs[key] = list(value)  # consumed by the call: record the items
            call[key] = items.copy()
        else:
            call[key] = call_value(value)
    return kwargs if call is None else call


def split_args(args: list[Any]) -> list[Any]:
    """Like :func:`split_kwargs`, for positional arguments (a list of our own)."""
    call = list(args)
    for index, value in enumerate(args):
        if type(value) in PLAIN:
            continue
        if type(value) is types.GeneratorType:
            items = args[index] = list(value)
            call[index] = items.copy()
        else:
            call[index] = call_value(value)
    return call


class Binder:
    """Splits the positional arguments of calls to one symbol into recorded args and kwargs."""

    __slots__ = ("_func", "_kw_only", "_plan", "_skip_self")

    def __init__(self, func: Callable[..., Any], *, skip_self: bool, kw_only: bool) -> None:
        self._func = func
        self._skip_self = skip_self
        self._kw_only = kw_only
        self._plan: tuple[int, tuple[str, ...]] | None = None

    def _make_plan(self) -> tuple[int, tuple[str, ...]]:
        self._plan = self._compute_plan()
        return self._plan

    def _compute_plan(self) -> tuple[int, tuple[str, ...]]:
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

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
        """Return the ``(args, kwargs)`` to record for a call with positional arguments.

        Both are new containers; ``kwargs`` may be the one given (a call's own dict).
        """
        if self._kw_only:
            plan = self._plan or self._make_plan()
            n_positional_only, names = plan
            if n_positional_only < len(args) <= n_positional_only + len(names):
                # zip stops at the shorter: the names of the arguments given.
                if n_positional_only:
                    named = dict(zip(names, args[n_positional_only:]))  # noqa: B905
                    positional: list[Any] = list(args[:n_positional_only])
                else:
                    named = dict(zip(names, args))  # noqa: B905
                    positional = []
                if not kwargs:
                    return positional, named
                if kwargs.keys().isdisjoint(named):
                    named.update(kwargs)
                    return positional, named
        # Nothing to name (all positional-only, a *args reached, or a call that Python
        # itself will reject): record the call as it was made.
        return list(args), kwargs
