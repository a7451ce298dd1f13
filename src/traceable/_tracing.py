"""``trace`` and the ``Traceable`` interface: recording how objects were made.

No JSON and no pickle here. How a record is kept:

* A traced class is a subclass of the original (same name, qualname, module, doc and
  signature) whose ``__init__`` records the call. The record lives in a slot, out of
  ``__dict__``, so it never leaks into ``vars(obj)`` or ``state_dict``-style copies.
* The result of a traced function is given a record without touching its class: a
  built-in value (dict, list, int, ...) is re-created as an instance of a traced
  subclass, as NNI does; an instance of a Python class is moved to a traced subclass
  of its own class (``obj.__class__ = ...``), whose record sits in a side table keyed
  by the object's id and freed with it.
* Either kind pickles as "rebuild the object as its class would, then put the record
  back", referring to the traced class by name when it is importable and by
  ``trace(original)`` when it is not, so traced instances cross processes under
  every start method, with pickle and cloudpickle alike.
"""

from __future__ import annotations

import contextlib
import functools
import io
import types
import weakref
from collections.abc import Callable, Mapping, Sequence, Set
from numbers import Number
from typing import Any, TypeVar, overload

from traceable._arguments import Binder, call_value
from traceable._symbols import is_function, is_importable
from traceable.exceptions import TraceError

__all__ = ["TraceRecord", "Traceable", "get_record", "is_traceable", "is_wrapped_with_trace", "trace"]

T = TypeVar("T")

_OPTIONS = "__trace_options__"  # (kw_only, inheritable), in the own __dict__ of every traced symbol
_REBUILD = "__trace_rebuild__"  # (factory, args) that re-creates a traced class not importable by name
# NNI 3.0 marks its wrappers so, and unwraps ``__wrapped__`` of what has it: with it, NNI
# names our traced symbols by their path, and trace() leaves NNI's wrappers alone.
_NNI_FLAG = "_traced"
_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class defined in Python, whose instances can change class


class Traceable:
    """The interface of a traced object: what it was made from, and how to make another.

    Every instance of a traced class and every result of a traced function implements
    it. ``trace_args`` and ``trace_kwargs`` are mutable: change them on a
    :meth:`trace_copy` and call :meth:`get` to build a new object from the new record.
    """

    __slots__ = ()

    @property
    def trace_symbol(self) -> Any:
        """The class or function that made this object."""
        raise NotImplementedError

    @property
    def trace_args(self) -> list[Any]:
        """Positional arguments of the call; usually empty, as ``kw_only`` names them."""
        raise NotImplementedError

    @property
    def trace_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of the call."""
        raise NotImplementedError

    def trace_copy(self) -> Traceable:
        """A shallow copy of the record alone (none of the object's attributes), to mutate."""
        raise NotImplementedError

    def get(self) -> Any:
        """The object: itself for a live traced object, a newly built one for a record."""
        raise NotImplementedError


class TraceRecord(Traceable):
    """A call that has not been made: a symbol with its arguments.

    ``trace_copy()`` returns one, and so does a traced function that returns ``None``
    (as in NNI). ``get()`` makes the call, traced.

    Example:
        >>> import argparse
        >>> record = TraceRecord(argparse.Namespace, [], {"a": 1})
        >>> record.get()
        Namespace(a=1)
    """

    __slots__ = ("args", "kwargs", "symbol")

    def __init__(self, symbol: Any, args: list[Any], kwargs: dict[str, Any]) -> None:
        self.symbol = symbol
        self.args = args
        self.kwargs = kwargs

    @property
    def trace_symbol(self) -> Any:
        return self.symbol

    @trace_symbol.setter
    def trace_symbol(self, symbol: Any) -> None:
        self.symbol = symbol

    @property
    def trace_args(self) -> list[Any]:
        return self.args

    @trace_args.setter
    def trace_args(self, args: list[Any]) -> None:
        self.args = args

    @property
    def trace_kwargs(self) -> dict[str, Any]:
        return self.kwargs

    @trace_kwargs.setter
    def trace_kwargs(self, kwargs: dict[str, Any]) -> None:
        self.kwargs = kwargs

    def trace_copy(self) -> TraceRecord:
        return TraceRecord(self.symbol, list(self.args), dict(self.kwargs))

    def get(self) -> Any:
        return retrace(self.symbol)(*self.args, **self.kwargs)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TraceRecord):
            return NotImplemented
        return (self.symbol, self.args, self.kwargs) == (other.symbol, other.args, other.kwargs)

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        name = getattr(self.symbol, "__qualname__", repr(self.symbol))
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"TraceRecord({name}, {', '.join(parts)})" if parts else f"TraceRecord({name})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (TraceRecord, (self.symbol, self.args, self.kwargs))


class _Traced(Traceable):
    # Behaviour shared by every traced class; the record is ``_traceable_record``, a
    # slot on traced classes and a side-table property on traced result classes.
    __slots__ = ()
    _traceable_record: TraceRecord

    @property
    def trace_symbol(self) -> Any:
        return self._traceable_record.symbol

    @trace_symbol.setter
    def trace_symbol(self, symbol: Any) -> None:
        self._traceable_record.symbol = symbol

    @property
    def trace_args(self) -> list[Any]:
        return self._traceable_record.args

    @trace_args.setter
    def trace_args(self, args: list[Any]) -> None:
        self._traceable_record.args = args

    @property
    def trace_kwargs(self) -> dict[str, Any]:
        return self._traceable_record.kwargs

    @trace_kwargs.setter
    def trace_kwargs(self, kwargs: dict[str, Any]) -> None:
        self._traceable_record.kwargs = kwargs

    def trace_copy(self) -> TraceRecord:
        return self._traceable_record.trace_copy()

    def get(self, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:  # not ours: the traced class's own get(), such as dict.get(key)
            return _inherited(self, "get")(*args, **kwargs)
        self._traceable_record  # noqa: B018  # an untraced subclass instance has nothing to get
        return self

    def __reduce_ex__(self, protocol: Any) -> Any:
        # Rebuild the object as its own class would, then put the record back. A traced
        # class that pickle cannot find by name (trace(nn.Conv2d)) is made again by
        # trace() on the other side, standing in for it as _ThisClass in the arguments.
        reduced = _inherited(self, "__reduce_ex__")(protocol)
        if isinstance(reduced, str):
            return reduced
        func, args, *rest = reduced
        cls = type(self)
        rebuild = None if is_importable(cls) else cls.__dict__.get(_REBUILD)
        if rebuild is not None:
            func = _ThisClass if func is cls else func
            args = tuple(_ThisClass if arg is cls else arg for arg in args)
        record = get_record(self)
        if record is None and rebuild is None:
            return (func, args, *rest)
        return (_restore, (record, rebuild, func, args), *rest)


def _inherited(obj: Any, name: str) -> Any:
    # The attribute ``name`` as the traced object's own classes define it, past ours.
    for klass in type(obj).__mro__:
        if klass in (_Traced, Traceable) or _REBUILD in klass.__dict__:
            continue
        attr = klass.__dict__.get(name)
        if attr is not None:
            return attr.__get__(obj, type(obj))
    raise AttributeError(f"{type(obj).__qualname__!r} object has no attribute {name!r}")


class _ThisClass:
    """Stands for the traced class in the pickled arguments that rebuild an instance."""


def _restore(
    record: TraceRecord | None,
    rebuild: tuple[Callable[..., type], tuple[Any, ...]] | None,
    func: Callable[..., Any],
    args: tuple[Any, ...],
) -> Any:
    if rebuild is not None:
        factory, factory_args = rebuild
        cls = factory(*factory_args)
        func = cls if func is _ThisClass else func
        args = tuple(cls if arg is _ThisClass else arg for arg in args)
    obj = func(*args)
    return obj if record is None else attach(obj, record)


def _symbol_of(wrapper: Any, original: Any) -> Any:
    """What a record names as its symbol: the original if it is importable by name (an
    inline ``trace(nn.Conv2d)``), else the wrapper (a decorated class or function, which
    took the original's name)."""
    return original if is_importable(original) else wrapper


# Traced versions of each symbol, by options; weak both ways so that dynamically made
# symbols (lambdas, classes loaded from pickles) are freed when nothing uses them.
_WRAPPERS: weakref.WeakKeyDictionary[Any, dict[tuple[bool, bool], weakref.ref[Any]]] = weakref.WeakKeyDictionary()


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


def get_record(obj: Any) -> TraceRecord | None:
    """The record of a traced object, or None when ``obj`` is not one traceable made."""
    if isinstance(obj, _Traced):
        try:
            return obj._traceable_record
        except AttributeError:  # an instance of an undecorated subclass
            return None
    if isinstance(obj, TraceRecord):
        return obj
    return None


def is_traceable(obj: Any, must_be_instance: bool = False) -> bool:
    """Whether ``obj`` implements the :class:`Traceable` interface.

    True for traced instances and for traced classes themselves, unless
    ``must_be_instance`` is set. Like NNI, this checks the interface, so objects that
    implement it by other means count too.

    Example:
        >>> import collections
        >>> is_traceable(trace(collections.OrderedDict)(a=1))
        True
        >>> is_traceable(collections.OrderedDict(a=1))
        False
    """
    if must_be_instance and isinstance(obj, type):
        return False
    if isinstance(obj, (_Traced, TraceRecord)):
        return get_record(obj) is not None
    return all(hasattr(obj, name) for name in ("trace_copy", "trace_symbol", "trace_args", "trace_kwargs"))


def is_wrapped_with_trace(cls_or_func: Any) -> bool:
    """Whether ``cls_or_func`` itself was made by :func:`trace`.

    False for an undecorated subclass of a traced class.
    """
    if isinstance(cls_or_func, type):
        own = cls_or_func.__dict__
        return _OPTIONS in own or own.get(_NNI_FLAG) is True
    return getattr(cls_or_func, _OPTIONS, None) is not None or getattr(cls_or_func, _NNI_FLAG, None) is True


@overload
def trace(cls_or_func: T, *, kw_only: bool = True, inheritable: bool = False) -> T: ...


@overload
def trace(cls_or_func: None = None, *, kw_only: bool = True, inheritable: bool = False) -> Callable[[T], T]: ...


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
        wrapper: Any
        if isinstance(target, type):
            if any(c.__dict__.get(_OPTIONS, (True, False))[1] for c in target.__mro__[1:]):
                return target  # instances are traced already, by an inheritable superclass
            wrapper = _trace_class(target, kw_only, inheritable)
        elif is_function(target):
            wrapper = _trace_function(target, kw_only)
        else:
            raise TraceError(
                f"cannot trace {target!r}: trace takes a class or a function, not a {type(target).__name__} instance"
            )
        _remember_wrapper(target, options, wrapper)
        return wrapper

    if cls_or_func is None:
        return wrap
    return wrap(cls_or_func)


def _trace_class(base: type, kw_only: bool, inheritable: bool) -> type:
    metaclass = type(base)
    base_cls: type = base
    original_init: Callable[..., None] = getattr(base, "__init__")  # noqa: B009  # mypy rejects base.__init__
    binder = Binder(original_init, skip_self=True)
    # object.__init__ rejects arguments once a subclass defines __init__; classes that
    # only define __new__ (namedtuples) were given theirs already.
    base_init = original_init if original_init is not object.__init__ else _init_nothing

    symbol = None  # decided at the first instance, once the decorated name is bound

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        nonlocal symbol
        if type(self) is not wrapper and not inheritable:
            base_init(self, *args, **kwargs)  # an undecorated subclass: not traced
            return
        rec_args, rec_kwargs = binder.bind(args, kwargs, kw_only)
        base_init(self, *[call_value(a) for a in rec_args], **{k: call_value(v) for k, v in rec_kwargs.items()})
        if symbol is None:
            symbol = _symbol_of(wrapper, base)
        _set_record(self, TraceRecord(symbol, rec_args, rec_kwargs))

    def _guard_init(self: Any, *args: Any, **kwargs: Any) -> None:
        # Reached only by ``super(Name, self).__init__()`` inside the original class,
        # where ``Name`` now means the wrapper: carry on past the original class.
        super(base_cls, self).__init__(*args, **kwargs)  # type: ignore[arg-type]  # mypy wants a class literal

    with contextlib.suppress(AttributeError, TypeError):  # some C slots lack __name__ & co.
        functools.update_wrapper(__init__, original_init)
    namespace = _copy_identity(base)
    try:
        # A subclass of a traced class has our members already, in an order to keep.
        bases = (base,) if issubclass(base, _Traced) else (_Traced, base)
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
                _REBUILD: (_traced_class, (base, kw_only, inheritable)),
                **namespace,
            },
        )
    except TypeError as err:
        raise TraceError(f"cannot trace class {base.__qualname__}: subclassing it failed: {err}") from err
    return wrapper


def _init_nothing(self: Any, *args: Any, **kwargs: Any) -> None:
    pass


def _copy_identity(original: Any) -> dict[str, Any]:
    namespace = {}
    for attr in ("__module__", "__qualname__", "__doc__"):
        value = getattr(original, attr, None)
        if value is not None:
            namespace[attr] = value
    return namespace


def _traced_class(base: type, kw_only: bool, inheritable: bool) -> type:
    # Unpickling a traced class that is not importable by name.
    traced: type = trace(base, kw_only=kw_only, inheritable=inheritable)
    return traced


def _trace_function(func: Callable[..., Any], kw_only: bool) -> Callable[..., Any]:
    binder = Binder(func, skip_self=False)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        rec_args, rec_kwargs = binder.bind(args, kwargs, kw_only)
        result = func(*[call_value(a) for a in rec_args], **{k: call_value(v) for k, v in rec_kwargs.items()})
        return attach(result, TraceRecord(_symbol_of(wrapper, func), rec_args, rec_kwargs), func)

    wrapper.__trace_original__ = func  # type: ignore[attr-defined]
    setattr(wrapper, _OPTIONS, (kw_only, False))
    setattr(wrapper, _NNI_FLAG, True)
    return wrapper


def _set_record(obj: Any, record: TraceRecord) -> None:
    # Bypass the class's own __setattr__ (nn.Module's, frozen dataclasses'): the record
    # is ours, not an attribute of the object.
    object.__setattr__(obj, "_traceable_record", record)


# Records of objects moved to a traced result class: id -> (weak reference, record).
_SIDE_RECORDS: dict[int, tuple[weakref.ref[Any], TraceRecord]] = {}


def _side_get(obj: Any) -> TraceRecord:
    entry = _SIDE_RECORDS.get(id(obj))
    if entry is None or entry[0]() is not obj:
        raise AttributeError("_traceable_record")
    return entry[1]


def _side_set(obj: Any, record: TraceRecord) -> None:
    key = id(obj)

    def forget(_: object) -> None:
        _SIDE_RECORDS.pop(key, None)

    _SIDE_RECORDS[key] = (weakref.ref(obj, forget), record)


_TRACED_MEMBERS = ("trace_symbol", "trace_args", "trace_kwargs", "trace_copy", "get", "__reduce_ex__")
_RESULT_CLASSES: weakref.WeakKeyDictionary[type, type] = weakref.WeakKeyDictionary()


def _result_class(cls: type) -> type:
    """The traced subclass that results of class ``cls`` are given (made once per class)."""
    found = _RESULT_CLASSES.get(cls)
    if found is not None:
        return found
    namespace: dict[str, Any] = {_REBUILD: (_result_class, (cls,)), "__trace_original__": cls, **_copy_identity(cls)}
    bases: tuple[type, ...] = (_Traced, cls)
    if cls.__flags__ & _HEAPTYPE:
        # Same layout as ``cls``, so that an existing instance can be moved to it: that
        # takes ``cls`` as the first base, so our members are put first by hand.
        bases = (cls, _Traced)
        namespace.update({name: _Traced.__dict__[name] for name in _TRACED_MEMBERS})
        namespace["__slots__"] = ()
        namespace["_traceable_record"] = property(_side_get, _side_set)
    elif not cls.__itemsize__:
        namespace["__slots__"] = ("_traceable_record",)
    try:
        result_cls: type = type(cls)(cls.__name__, bases, namespace)
    except TypeError as err:
        raise TraceError(f"cannot trace results of type {cls.__qualname__}: {err}") from err
    _RESULT_CLASSES[cls] = result_cls
    return result_cls


def attach(result: Any, record: TraceRecord, func: Any = None) -> Any:
    """Give ``result`` the record ``record``; return the traced object (maybe a new one)."""
    if result is None:
        return record
    if isinstance(result, _Traced):
        _set_record(result, record)
        return result
    cls = type(result)
    what = getattr(func, "__qualname__", "a traced function")
    if isinstance(result, (type, types.ModuleType, io.IOBase)) or is_function(result):
        raise TraceError(
            f"cannot trace the result of {what}: it returned {result!r}, and classes, functions, "
            "modules and files cannot carry a record; trace the call that uses it instead"
        )
    if cls.__flags__ & _HEAPTYPE:
        try:
            _side_set(result, record)  # first, as it fails for objects without weak references
            try:
                result.__class__ = _result_class(cls)
            except TypeError:
                _SIDE_RECORDS.pop(id(result), None)
                raise
        except TypeError as err:
            raise TraceError(
                f"cannot trace the result of {what}: its {cls.__qualname__} instance cannot be "
                f"given a record ({err}); decorate {cls.__qualname__} with @trace instead"
            ) from err
        return result
    if isinstance(result, (Number, Sequence, Set, Mapping)) and cls is not bool:
        traced = _result_class(cls)(result)  # a built-in value: re-create it, as NNI does
        _set_record(traced, record)
        return traced
    raise TraceError(
        f"cannot trace the result of {what}: it returned a {cls.__module__}.{cls.__qualname__}, "
        "a built-in type that cannot carry a record; decorate the class instead, or return "
        "an instance of a Python class"
    )
