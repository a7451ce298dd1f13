"""How the result of a traced function is given its record, without touching its class.

A built-in value (dict, list, int, ...) is re-created as an instance of a traced subclass
of its type, as NNI does. An instance of a Python class is moved to a traced subclass of
its own class (``obj.__class__ = ...``) with the same layout, made once per class; its
record sits in a side table keyed by the object's id, which that subclass's ``__del__``
clears when the object dies. Its class is not patched and its ``__dict__`` not written.
"""

from __future__ import annotations

import io
import threading
import types
from collections.abc import Callable, Mapping, Sequence, Set
from numbers import Number
from typing import Any

from traceable._pickle import MADE, REBUILD
from traceable._symbols import is_function
from traceable._traced import (
    TRACEABLE_MEMBERS,
    Record,
    Traced,
    TraceRecord,
    copy_identity,
    set_record,
    unpack_record,
)
from traceable.exceptions import TraceError

__all__ = ["attach"]

_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class defined in Python, whose instances can change class


# Records of objects moved to a traced result class, by id. A result class's __del__
# removes the entry when its object dies, before the id can be reused; that is cheaper
# than a weak reference with a callback, and works for objects without __weakref__.
# (An object moved off its result class by hand keeps its entry: nothing else leaves one.)
_SIDE_RECORDS: dict[int, Record] = {}


def _side_get(obj: Any) -> Record:
    try:
        return _SIDE_RECORDS[id(obj)]
    except KeyError:
        raise AttributeError("_traceable_record") from None


def _side_set(obj: Any, record: Record) -> None:
    _SIDE_RECORDS[id(obj)] = record


def _forgetting_del(original_del: Callable[[Any], None] | None) -> Callable[[Any], None]:
    """The __del__ of a result class: the original class's own, then the record goes."""
    forget = _SIDE_RECORDS.pop
    object_id = id  # module globals may be gone when objects die at interpreter exit

    if original_del is None:

        def __del__(self: Any) -> None:
            forget(object_id(self), None)

    else:

        def __del__(self: Any) -> None:
            try:
                original_del(self)
            finally:
                forget(object_id(self), None)

    return __del__


_TRACED_MEMBERS = (*TRACEABLE_MEMBERS, "__reduce_ex__")
# Strong references: these are classes of objects that traced functions returned, few
# and long-lived; a plain dict keeps the lookup on every traced call cheap.
_RESULT_CLASSES: dict[type, type] = {}
# The subset whose instances were moved to them once already, of classes that leave
# attribute assignment to object.__setattr__ (the others take the longer path each time).
_MOVABLE: dict[type, type] = {}
_set_attribute = object.__setattr__
# Taken only to make a result class, so that one class always gets one result class;
# reentrant, as making a class runs user code (__init_subclass__) that may trace results.
_MAKING = threading.RLock()


def _result_class(cls: type) -> type:
    """The traced subclass that results of class ``cls`` are given (made once per class)."""
    found = _RESULT_CLASSES.get(cls)
    if found is not None:
        return found
    with _MAKING:
        found = _RESULT_CLASSES.get(cls)
        if found is None:
            found = _RESULT_CLASSES[cls] = _make_result_class(cls)
    return found


def _make_result_class(cls: type) -> type:
    namespace: dict[str, Any] = {REBUILD: (_result_class, (cls,)), "__trace_original__": cls, **copy_identity(cls)}
    bases: tuple[type, ...] = (Traced, cls)
    if cls.__flags__ & _HEAPTYPE:
        # Same layout as ``cls``, so that an existing instance can be moved to it: that
        # takes ``cls`` as the first base, so our members are put first by hand.
        bases = (cls, Traced)
        namespace.update({name: Traced.__dict__[name] for name in _TRACED_MEMBERS})
        namespace["__slots__"] = ()
        namespace["_traceable_record"] = property(_side_get, _side_set)
        namespace["__del__"] = _forgetting_del(getattr(cls, "__del__", None))
    elif not cls.__itemsize__:
        namespace["__slots__"] = ("_traceable_record",)
    try:
        result_cls: type = type(cls)(cls.__name__, bases, namespace)
    except TypeError as err:
        raise TraceError(f"cannot trace results of type {cls.__qualname__}: {err}") from err
    type.__setattr__(result_cls, MADE, dict(vars(result_cls)))  # so that pickling sees what changes later
    return result_cls


def attach(result: Any, record: Record, func: Any = None) -> Any:
    """Give ``result`` the record ``record``; return the traced object (maybe a new one)."""
    moved = _MOVABLE.get(type(result))
    if moved is not None:  # the common case first: a class whose instances were moved before
        _SIDE_RECORDS[id(result)] = record
        result.__class__ = moved
        return result
    if result is None:
        return record if isinstance(record, TraceRecord) else TraceRecord(*unpack_record(record, None))
    if isinstance(result, Traced):
        set_record(result, record)
        return result
    cls = type(result)
    what = getattr(func, "__qualname__", "a traced function")
    if isinstance(result, (type, types.ModuleType, io.IOBase)) or is_function(result):
        raise TraceError(
            f"cannot trace the result of {what}: it returned {result!r}, and classes, functions, "
            "modules and files cannot carry a record; trace the call that uses it instead"
        )
    if cls.__flags__ & _HEAPTYPE:
        moved = _result_class(cls)
        _SIDE_RECORDS[id(result)] = record  # before the move: no one sees it traced without a record
        try:
            # Past the class's own __setattr__, which may refuse every assignment (frozen
            # dataclasses, attrs' frozen classes): the class, not an attribute, changes.
            _set_attribute(result, "__class__", moved)
        except TypeError as err:
            _SIDE_RECORDS.pop(id(result), None)
            raise TraceError(
                f"cannot trace the result of {what}: its {cls.__qualname__} instance cannot be "
                f"given a record ({err}); decorate {cls.__qualname__} with @trace instead"
            ) from err
        if getattr(cls, "__setattr__") is _set_attribute:  # noqa: B009  # mypy rejects cls.__setattr__
            _MOVABLE[cls] = moved  # the fast path above, which assigns __class__ as usual
        return result
    if isinstance(result, (Number, Sequence, Set, Mapping)) and cls is not bool:
        traced = _result_class(cls)(result)  # a built-in value: re-create it, as NNI does
        set_record(traced, record)
        return traced
    raise TraceError(
        f"cannot trace the result of {what}: it returned a {cls.__module__}.{cls.__qualname__}, "
        "a built-in type that cannot carry a record; decorate the class instead, or return "
        "an instance of a Python class"
    )
