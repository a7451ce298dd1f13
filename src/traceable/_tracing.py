"""``trace``: making classes and functions record the calls that use them.

No JSON and no pickle here. A traced class is a subclass of the original (same name,
qualname, module, doc and signature) whose ``__init__`` records the call; a traced
function wraps the original and gives its result the record (see ``_results``).
"""

from __future__ import annotations

import contextlib
import functools
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar, overload

from traceable._arguments import NO_ARGS, PLAIN, Binder, is_plain, split_args, split_kwargs
from traceable._pickle import MADE, REBUILD
from traceable._results import attach
from traceable._symbols import is_function, is_importable
from traceable._traced import Traced, copy_identity, set_record
from traceable.exceptions import TraceError

__all__ = ["is_wrapped_with_trace", "retrace", "trace"]

# A class or a function: trace returns the same type, so a traced class is still the class
# (type[Net]) and a traced function keeps its parameters, overloads and return type.
_Symbol = TypeVar("_Symbol", bound=Callable[..., Any])

_OPTIONS = "__trace_options__"  # (kw_only, inheritable), in the own __dict__ of every traced symbol
# NNI 3.0 marks its wrappers so, and unwraps ``__wrapped__`` of what has it: with it, NNI
# names our traced symbols by their path, and trace() leaves NNI's wrappers alone.
_NNI_FLAG = "_traced"


def _symbol_of(wrapper: Any, original: Any) -> Any:
    """What a record names as its symbol: the original if it is importable by name (an
    inline ``trace(nn.Conv2d)``), else the wrapper (a decorated class or function, which
    took the original's name)."""
    return original if is_importable(original) else wrapper


# Traced versions of each symbol, by options; weak both ways so that dynamically made
# symbols (lambdas, classes loaded from pickles) are freed when nothing uses them.
_WRAPPERS: weakref.WeakKeyDictionary[Any, dict[tuple[bool, bool], weakref.ref[Any]]] = weakref.WeakKeyDictionary()


# Taken only to make a traced version, so that one symbol always gets one; reentrant,
# since making a class runs user code (a metaclass, __init_subclass__) that may trace.
_MAKING = threading.RLock()


def _cached_wrapper(symbol: Any, options: tuple[bool, bool]) -> Any:
    try:
        ref = _WRAPPERS.get(symbol, {}).get(options)
    except TypeError:  # not weakly referenceable (some builtins): never cached
        return None
    return None if ref is None else ref()


def _remember_wrapper(symbol: Any, options: tuple[bool, bool], wrapper: Any) -> None:
    with contextlib.suppress(TypeError):  # not weakly referenceable: never cached
        _WRAPPERS.setdefault(symbol, {})[options] = weakref.ref(wrapper)


def _preferred_wrapper(symbol: Any) -> Any:
    try:
        refs = _WRAPPERS.get(symbol)
    except TypeError:
        return None
    for ref in (refs or {}).values():
        wrapper = ref()
        if wrapper is not None:
            return wrapper
    return None


def retrace(symbol: Any) -> Any:
    """The traced version of ``symbol``: the one already made if any (whatever its options)."""
    if is_wrapped_with_trace(symbol):
        return symbol
    wrapper = _preferred_wrapper(symbol)
    return wrapper if wrapper is not None else trace(symbol)


def is_wrapped_with_trace(cls_or_func: Any) -> bool:
    """Whether ``cls_or_func`` itself was made by :func:`trace`.

    False for an undecorated subclass of a traced class, and for instances of traced
    classes (which find the flags on their class).
    """
    if isinstance(cls_or_func, type):
        own = cls_or_func.__dict__
        return _OPTIONS in own or own.get(_NNI_FLAG) is True
    if not is_function(cls_or_func):
        return False
    return getattr(cls_or_func, _OPTIONS, None) is not None or getattr(cls_or_func, _NNI_FLAG, None) is True


@overload
def trace(cls_or_func: _Symbol, *, kw_only: bool = True, inheritable: bool = False) -> _Symbol: ...


@overload
def trace(
    cls_or_func: None = None, *, kw_only: bool = True, inheritable: bool = False
) -> Callable[[_Symbol], _Symbol]: ...


def trace(cls_or_func: Any = None, *, kw_only: bool = True, inheritable: bool = False) -> Any:
    """Record how every instance of a class, or every result of a function, was made.

    Use it as a decorator (``@trace``, ``@trace(kw_only=False)``) or inline
    (``trace(torch.nn.Conv2d)(3, 8, 3)``). Instances and results behave as before and
    also implement :class:`Traceable`; :func:`traceable.dump` writes them as the call
    that made them, and :func:`traceable.load` makes that call again.

    Args:
        cls_or_func: the class or function to trace.
        kw_only: record positional arguments by parameter name, except positional-only
            ones and everything from a ``*args`` parameter on.
        inheritable: also trace instances of undecorated subclasses, recording the
            arguments that reach this class's ``__init__`` under this class.

    Returns:
        The traced class or function; ``cls_or_func`` itself if it is already traced.
        Type checkers see it with the type of ``cls_or_func`` (the class, or the function's
        signature); see :func:`is_traceable` to reach ``trace_kwargs`` on what it makes.

    Raises:
        TraceError: ``cls_or_func`` is neither a class nor a function.

    The callee receives shallow copies of mutable containers, so it cannot change
    what was recorded; generators are expanded into lists first. A traced function
    that returns ``None`` returns an empty :class:`TraceRecord` instead.

    Example:
        >>> import collections
        >>> d = trace(collections.OrderedDict)(a=1)
        >>> d.trace_kwargs
        {'a': 1}
    """
    options = (kw_only, inheritable)

    def wrap(target: Any) -> Any:
        if is_wrapped_with_trace(target):
            return target
        cached = _cached_wrapper(target, options)
        if cached is not None:
            return cached
        if isinstance(target, type):
            if any(c.__dict__.get(_OPTIONS, (True, False))[1] for c in target.__mro__[1:]):
                return target  # instances are traced already, by an inheritable superclass
        elif not is_function(target):
            traced = "; it is traced already: its record is in trace_kwargs" if isinstance(target, Traced) else ""
            raise TraceError(
                f"cannot trace {target!r}: trace takes a class or a function, not a "
                f"{type(target).__name__} instance{traced}"
            )
        with _MAKING:  # the first caller makes it, and every other waits for that one
            cached = _cached_wrapper(target, options)
            if cached is None:
                if isinstance(target, type):
                    cached = _trace_class(target, kw_only, inheritable)
                else:
                    cached = _trace_function(target, kw_only)
                _remember_wrapper(target, options, cached)
        return cached

    if cls_or_func is None:
        return wrap
    return wrap(cls_or_func)


def _trace_class(base: type, kw_only: bool, inheritable: bool) -> type:
    metaclass = type(base)
    base_cls: type = base
    original_init: Callable[..., None] = getattr(base, "__init__")  # noqa: B009  # mypy rejects base.__init__
    binder = Binder(original_init, skip_self=True, kw_only=kw_only)
    # object.__init__ rejects arguments once a subclass defines __init__; classes that
    # only define __new__ (namedtuples) were given theirs already.
    base_init = original_init if original_init is not object.__init__ else _init_nothing

    symbol = None  # decided at the first instance, once the decorated name is bound
    store = set_record  # the record slot's own setter, once the class exists
    plain_setattr = False  # whether `self._traceable_record = ...` does the same, faster

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        nonlocal symbol
        if type(self) is not wrapper and not inheritable:
            base_init(self, *args, **kwargs)  # an undecorated subclass: not traced
            return
        if symbol is None:
            symbol = _symbol_of(wrapper, base)
            type.__setattr__(wrapper, "__trace_symbol__", symbol)  # for records kept as a dict
        # The common case: immutable values, which the callee may share with the record.
        # A loop costs less than is_plain(map(...)) on a few values.
        for value in kwargs.values():
            if type(value) not in PLAIN:
                break
        else:
            if not args:
                base_init(self, **kwargs)
                # The record is the keyword dict alone when the class is the object's own.
                if plain_setattr:
                    self._traceable_record = kwargs
                else:
                    store(self, (symbol, NO_ARGS, kwargs) if inheritable else kwargs)
                return
            if is_plain(map(type, args)):  # named when the record is read
                base_init(self, *args, **kwargs)
                store(self, (symbol, args, kwargs, binder))
                return
        rec_args, rec_kwargs = binder.bind(args, kwargs) if args else (NO_ARGS, kwargs)
        call_kwargs = split_kwargs(rec_kwargs)
        if rec_args:
            base_init(self, *split_args(rec_args), **call_kwargs)
        else:
            base_init(self, **call_kwargs)
        store(self, (symbol, rec_args, rec_kwargs))

    def _guard_init(self: Any, *args: Any, **kwargs: Any) -> None:
        # Reached only by ``super(Name, self).__init__()`` inside the original class,
        # where ``Name`` now means the wrapper: carry on past the original class.
        super(base_cls, self).__init__(*args, **kwargs)  # type: ignore[arg-type]  # mypy wants a class literal

    with contextlib.suppress(AttributeError, TypeError):  # some C slots lack __name__ & co.
        functools.update_wrapper(__init__, original_init)
    namespace = copy_identity(base)
    try:
        # A subclass of a traced class has our members already, in an order to keep.
        bases = (base,) if issubclass(base, Traced) else (Traced, base)
        guard = metaclass(base.__name__, bases, {"__init__": _guard_init, "__slots__": (), **namespace})
        # Built-in variable-size types (int, str, tuple) cannot take a slot: their
        # instances get a __dict__, which is otherwise empty, to keep the record in.
        slots = {"__slots__": ("_traceable_record",)} if not base.__itemsize__ else {}
        wrapper = metaclass(
            base.__name__,
            (guard,),
            {
                "__init__": __init__,
                **slots,
                "__wrapped__": base,
                "__trace_original__": base,
                _OPTIONS: (kw_only, inheritable),
                _NNI_FLAG: True,
                REBUILD: (_traced_class, (base, kw_only, inheritable)),
                **namespace,
            },
        )
    except TypeError as err:
        raise TraceError(f"cannot trace class {base.__qualname__}: subclassing it failed: {err}") from err
    type.__setattr__(wrapper, MADE, dict(vars(wrapper)))  # so that pickling sees what changes later
    slot = wrapper.__dict__.get("_traceable_record")
    if slot is not None:
        store = slot.__set__
    plain_setattr = not inheritable and getattr(wrapper, "__setattr__") is object.__setattr__  # noqa: B009  # mypy
    return wrapper


def _init_nothing(self: Any, *args: Any, **kwargs: Any) -> None:
    pass


def _traced_class(base: type, kw_only: bool, inheritable: bool) -> type:
    # Unpickling a traced class that is not importable by name.
    traced: type = trace(base, kw_only=kw_only, inheritable=inheritable)
    return traced


def _trace_function(func: Callable[..., Any], kw_only: bool) -> Callable[..., Any]:
    binder = Binder(func, skip_self=False, kw_only=kw_only)
    symbol = None  # decided at the first call, once the decorated name is bound

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal symbol
        if symbol is None:
            symbol = _symbol_of(wrapper, func)
        for value in args:  # a loop costs less than is_plain(map(...)) on a few arguments
            if type(value) not in PLAIN:
                break
        else:
            if not kwargs:
                # The common case: immutable values, which the callee may share with the
                # record; positional arguments are named only when the record is read.
                return attach(func(*args), (symbol, args, kwargs, binder) if args else (symbol, NO_ARGS, kwargs), func)
            if is_plain(map(type, kwargs.values())):
                result = func(*args, **kwargs)
                return attach(result, (symbol, args, kwargs, binder) if args else (symbol, NO_ARGS, kwargs), func)
        rec_args, rec_kwargs = binder.bind(args, kwargs) if args else (NO_ARGS, kwargs)
        call_kwargs = split_kwargs(rec_kwargs)
        result = func(*split_args(rec_args), **call_kwargs) if rec_args else func(**call_kwargs)
        return attach(result, (symbol, rec_args, rec_kwargs), func)

    wrapper.__trace_original__ = func  # type: ignore[attr-defined]
    setattr(wrapper, _OPTIONS, (kw_only, False))
    setattr(wrapper, _NNI_FLAG, True)
    return wrapper
