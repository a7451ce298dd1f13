"""Traced objects: the ``Traceable`` interface, and how a record is kept, found and pickled.

* An instance of a traced class keeps its record in a slot, out of ``__dict__``, so it
  never leaks into ``vars(obj)`` or ``state_dict``-style copies. (The results of traced
  functions get theirs by other means: see ``_results``.)
* Every traced object pickles as "rebuild the object as its class would, then put the
  record back", referring to the traced class by name when it is importable and by
  ``trace(original)`` when it is not, so traced instances cross processes under
  every start method, with pickle and cloudpickle alike.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from traceable._pickle import REBUILD
from traceable._symbols import is_importable, unwrap

if TYPE_CHECKING:
    from typing_extensions import TypeIs  # typing.TypeIs from Python 3.13; type checkers ship it

__all__ = [
    "TRACEABLE_MEMBERS",
    "TraceRecord",
    "Traceable",
    "Traced",
    "copy_identity",
    "get_record",
    "is_traceable",
    "record_parts",
    "set_record",
    "unpack_record",
]


@runtime_checkable
class Traceable(Protocol):
    """The interface of a traced object: what it was made from, and how to make another.

    Every instance of a traced class, every result of a traced function and every
    :class:`TraceRecord` implements it, as do objects traced by NNI: it is a protocol,
    matched by structure, not by inheritance. ``trace_args`` and ``trace_kwargs`` are
    mutable: change them on a :meth:`trace_copy` and call :meth:`get` to build a new object
    from the new record.

    Type checkers see a traced instance as an instance of its own class; narrow it with
    :func:`is_traceable` to reach these members (``if is_traceable(net): net.trace_kwargs``).
    ``isinstance(obj, Traceable)`` checks only that the members exist; :func:`is_traceable`
    also checks that a record is there.
    """

    @property
    def trace_symbol(self) -> Any:
        """The class or function that made this object."""

    @property
    def trace_args(self) -> list[Any]:
        """Positional arguments of the call; usually empty, as ``kw_only`` names them."""

    @property
    def trace_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of the call."""

    def trace_copy(self) -> Traceable:
        """A shallow copy of the record alone (none of the object's attributes), to mutate."""

    def get(self) -> Any:
        """The object: itself for a live traced object, a newly built one for a record."""


# What NNI 3.0 (and so is_traceable, and the encoder) checks for; the protocol adds get().
NNI_MEMBERS = ("trace_symbol", "trace_args", "trace_kwargs", "trace_copy")
TRACEABLE_MEMBERS = (*NNI_MEMBERS, "get")


def _subclasshook(cls: type, other: type) -> Any:
    # issubclass() by structure too (a protocol with properties would refuse it): traced
    # classes and TraceRecord are subclasses, as in NNI, where Traceable is their base.
    if cls is Traceable and all(any(name in vars(base) for base in other.__mro__) for name in TRACEABLE_MEMBERS):
        return True
    return NotImplemented


# Set after the class is made, where type checkers do not take it for a protocol member.
type.__setattr__(Traceable, "__subclasshook__", classmethod(_subclasshook))


# TraceRecord and Traced implement Traceable without subclassing it: a protocol's metaclass
# would make every isinstance check against them slower, and would clash with the
# metaclasses of the classes that traced classes subclass.
class TraceRecord:
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

    def __init__(self, symbol: Any, args: list[Any] | tuple[()], kwargs: dict[str, Any]) -> None:
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
        if type(self.args) is not list:  # NO_ARGS, shared by calls without positional arguments
            self.args = list(self.args)
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

    def get(self, traceable: bool = True) -> Any:
        """Make the call.

        Args:
            traceable: trace the object made (the default); if False, call the original,
                untraced class or function, as NNI 3.0's ``get(traceable=False)`` does.

        Returns:
            The object made.
        """
        if not traceable:
            return unwrap(self.symbol)(*self.args, **self.kwargs)
        from traceable._tracing import retrace  # tracing builds on records, not the reverse

        return retrace(self.symbol)(*self.args, **self.kwargs)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TraceRecord):
            return NotImplemented
        return (self.symbol, list(self.args), self.kwargs) == (other.symbol, list(other.args), other.kwargs)

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        name = getattr(self.symbol, "__qualname__", repr(self.symbol))
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"TraceRecord({name}, {', '.join(parts)})" if parts else f"TraceRecord({name})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (TraceRecord, (self.symbol, self.args, self.kwargs))


class Traced:
    # Behaviour shared by every traced class; the record is ``_traceable_record``, a
    # slot on traced classes and a side-table property on traced result classes. A
    # new instance gets a plain tuple (see ``unpack_record``), which is cheaper to make; it
    # becomes a TraceRecord when first read through the Traceable interface.
    __slots__ = ()
    _traceable_record: Record

    @property
    def trace_symbol(self) -> Any:
        return _record(self).symbol

    @trace_symbol.setter
    def trace_symbol(self, symbol: Any) -> None:
        _writable_record(self).symbol = symbol

    @property
    def trace_args(self) -> list[Any]:
        return _record(self).trace_args

    @trace_args.setter
    def trace_args(self, args: list[Any]) -> None:
        _writable_record(self).args = args

    @property
    def trace_kwargs(self) -> dict[str, Any]:
        return _record(self).kwargs

    @trace_kwargs.setter
    def trace_kwargs(self, kwargs: dict[str, Any]) -> None:
        _writable_record(self).kwargs = kwargs

    def trace_copy(self) -> TraceRecord:
        return _record(self).trace_copy()

    def get(self, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:  # not ours: the traced class's own get(), such as dict.get(key)
            try:
                inherited = _inherited(self, "get")
            except AttributeError:
                # NNI 3.0's get(traceable=...) on a live object: itself, either way.
                if args or list(kwargs) != ["traceable"]:
                    raise
            else:
                return inherited(*args, **kwargs)
        self._traceable_record  # noqa: B018  # an untraced subclass instance has nothing to get
        return self

    def __reduce_ex__(self, protocol: Any) -> Any:
        # Rebuild the object as its own class would, then put the record back. A traced
        # class that pickle cannot find by name (trace(nn.Conv2d)) is made again by
        # trace() on the other side, standing in for it as _ThisClass in the arguments.
        # Protocols 0 and 1 refuse classes with __slots__; protocol 2's recipe loads under any.
        reduced = _inherited(self, "__reduce_ex__")(max(protocol, 2))
        if isinstance(reduced, str):
            return reduced
        func, args, *rest = reduced
        cls = type(self)
        rebuild = None if is_importable(cls) else cls.__dict__.get(REBUILD)
        if rebuild is not None:
            func = _ThisClass if func is cls else func
            args = tuple(_ThisClass if arg is cls else arg for arg in args)
        record = getattr(self, "_traceable_record", None)
        if record is None and rebuild is None:
            return (func, args, *rest)
        if record is not None and not isinstance(record, TraceRecord):  # pickled as the call it records
            record = unpack_record(record, self)
            if rest:
                rest[0] = _with_record(rest[0], record)
        return (_restore, (record, rebuild, func, args), *rest)


# The record of a new traced object: a TraceRecord once read through the Traceable
# interface, before that a cheaper form that unpack_record() reads:
# - a dict: the keyword arguments of a call to the object's own traced class without
#   positional arguments (the common case, kept as small as it can be); the symbol is
#   the class's ``__trace_symbol__``, set when its first instance is made;
# - (symbol, args, kwargs): the call as recorded, args a list or NO_ARGS;
# - (symbol, args, kwargs, binder): a call whose positional arguments (a tuple of
#   immutable values) are named by ``binder.bind`` only when read. Binding depends on
#   the call alone, and most records are never read.
Record = TraceRecord | tuple[Any, ...] | dict[str, Any]


def _with_record(state: Any, record: Any) -> Any:
    # The default state of a traced object, its __dict__ or (__dict__, slots), holds the record too.
    if type(state) is dict and "_traceable_record" in state:
        return {**state, "_traceable_record": record}
    if type(state) is tuple and len(state) == 2:
        return (_with_record(state[0], record), _with_record(state[1], record))
    return state


def unpack_record(record: Record, owner: Any) -> tuple[Any, Any, Any]:
    """``(symbol, args, kwargs)`` of the record of ``owner``, whatever its form."""
    if isinstance(record, TraceRecord):
        return record.symbol, record.args, record.kwargs
    if isinstance(record, dict):
        return type(owner).__trace_symbol__, (), record
    if len(record) == 3:
        return record[0], record[1], record[2]
    symbol, args, kwargs, binder = record
    rec_args, rec_kwargs = binder.bind(args, kwargs)
    return symbol, rec_args, rec_kwargs


# Makes each record kept in a cheaper form into one TraceRecord, even when threads read it
# at once: what one caller mutates, every other sees. Taken once per object at most; reentrant because
# binding may run user code (a __signature__) that reads another record.
_CONVERTING = threading.RLock()


def _record(obj: Traced) -> TraceRecord:
    record = obj._traceable_record
    if type(record) is TraceRecord:
        return record
    with _CONVERTING:
        record = obj._traceable_record
        if not isinstance(record, TraceRecord):
            record = TraceRecord(*unpack_record(record, obj))
            set_record(obj, record)
    return record


def _writable_record(obj: Traced) -> TraceRecord:
    # The record, to assign a member of. A class that keeps its own trace_args and
    # trace_kwargs (NNI's ModelSpace) assigns them in __init__, before trace() records the
    # call: they go to a record of their own, which the recorded call then replaces.
    try:
        return _record(obj)
    except AttributeError:
        record = TraceRecord(type(obj), [], {})
        set_record(obj, record)
        return record


def _inherited(obj: Any, name: str) -> Any:
    # The attribute ``name`` as the traced object's own classes define it, past ours.
    for klass in type(obj).__mro__:
        if klass is Traced or REBUILD in klass.__dict__:
            continue
        attr = klass.__dict__.get(name)
        if attr is not None:
            return attr.__get__(obj, type(obj))
    raise AttributeError(f"{type(obj).__qualname__!r} object has no attribute {name!r}")


class _ThisClass:
    """Stands for the traced class in the pickled arguments that rebuild an instance."""


def _restore(
    record: Record | None,
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
    if record is None:
        return obj
    from traceable._results import attach  # results build on records, not the reverse

    return attach(obj, record)


def get_record(obj: Any) -> TraceRecord | None:
    """The record of a traced object, or None when ``obj`` is not one traceable made."""
    if isinstance(obj, Traced):
        try:
            return _record(obj)
        except AttributeError:  # an instance of an undecorated subclass
            return None
    if isinstance(obj, TraceRecord):
        return obj
    return None


def record_parts(obj: Any) -> tuple[Any, Any, Any] | None:
    """``(symbol, args, kwargs)`` of a traced object, or None: :func:`get_record` for readers
    that change nothing, such as the encoder."""
    if isinstance(obj, Traced):
        record = getattr(obj, "_traceable_record", None)
        if record is None:
            return None
        return unpack_record(record, obj)
    if isinstance(obj, TraceRecord):
        return obj.symbol, obj.args, obj.kwargs
    return None


def is_traceable(obj: object, must_be_instance: bool = False) -> TypeIs[Traceable]:
    """Whether ``obj`` implements the :class:`Traceable` interface.

    True for traced instances and for traced classes themselves, unless
    ``must_be_instance`` is set. Like NNI, this checks the interface, so objects that
    implement it by other means count too. For type checkers it narrows ``obj`` to its
    own type and :class:`Traceable` both, so ``trace_kwargs`` and the object's own
    attributes type-check in the same branch.

    Example:
        >>> import collections
        >>> is_traceable(trace(collections.OrderedDict)(a=1))
        True
        >>> is_traceable(collections.OrderedDict(a=1))
        False
    """
    if must_be_instance and isinstance(obj, type):
        return False
    if isinstance(obj, (Traced, TraceRecord)):
        return get_record(obj) is not None
    return all(hasattr(obj, name) for name in NNI_MEMBERS)


def copy_identity(original: Any) -> dict[str, Any]:
    namespace = {}
    for attr in ("__module__", "__qualname__", "__doc__"):
        value = getattr(original, attr, None)
        if value is not None:
            namespace[attr] = value
    return namespace


def set_record(obj: Any, record: Record) -> None:
    # Bypass the class's own __setattr__ (nn.Module's, frozen dataclasses'): the record
    # is ours, not an attribute of the object.
    object.__setattr__(obj, "_traceable_record", record)
