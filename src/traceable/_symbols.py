"""Classes and functions <-> their names on the wire; the only place that imports by name.

A symbol is named ``path:module.name`` when importing that path gives back the same
object (ignoring trace wrappers), and ``bytes:<base64 cloudpickle>`` otherwise, exactly
as NNI 3.0 names it. Loading also accepts a bare dotted path and, beyond NNI, nested
qualified names (``path:mod.Outer.Inner``).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

from traceable import _wire
from traceable._pickle import pickle_b64, unpickle_b64
from traceable.exceptions import DecodeError, PayloadTooLarge

_FUNCTION_TYPES = (
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.BuiltinMethodType,
)

# Names found to import back to their symbol. Only importable, module-level objects
# get in, so holding them strongly keeps nothing alive that would otherwise die.
_NAME_CACHE: dict[int, tuple[Any, str]] = {}
_IMPORT_CACHE: dict[str, Any] = {}


def is_function(obj: Any) -> bool:
    """Whether ``obj`` is a function or method (what NNI treats as a function symbol)."""
    return isinstance(obj, _FUNCTION_TYPES)


def unwrap(obj: Any) -> Any:
    """The original class or function behind a trace wrapper (ours or NNI's); else ``obj``."""
    original = getattr(obj, "__trace_original__", None)
    if original is None and getattr(obj, "_traced", False) is True:  # nni.trace's wrapper
        original = getattr(obj, "__wrapped__", None)
    return obj if original is None else original


def import_path(path: str) -> Any:
    """Import ``module.name`` (or ``module.Outer.Inner``) and return the object.

    Raises:
        ImportError: nothing importable has that name.
    """
    cached = _IMPORT_CACHE.get(path)
    if cached is not None:
        return cached
    parts = path.split(".")
    # Try the longest module prefix first: "a.b.C" is module "a.b", attribute "C".
    for split in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:split])
        try:
            obj: Any = sys.modules.get(module_name) or importlib.import_module(module_name)
        except ImportError:
            continue
        try:
            for attr in parts[split:]:
                obj = getattr(obj, attr)
        except AttributeError:
            continue
        _IMPORT_CACHE[path] = obj
        return obj
    raise ImportError(f"cannot import {path!r}: no module of that path has that attribute")


def lookup(module_name: str, qualname: str) -> Any:
    """The object at ``module_name.qualname`` among loaded modules, or None (never imports)."""
    obj: Any = sys.modules.get(module_name)
    for attr in qualname.split("."):
        obj = getattr(obj, attr, None)
        if obj is None:
            return None
    return obj


def is_importable(obj: Any) -> bool:
    """Whether pickle can find ``obj`` by its ``__module__`` and ``__qualname__``."""
    module_name = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not isinstance(module_name, str) or not isinstance(qualname, str):
        return False
    return lookup(module_name, qualname) is obj


def path_name(obj: Any) -> str | None:
    """``module.__name__`` if importing it gives ``obj`` back (modulo trace wrappers), else None.

    NNI 3.0 names symbols by ``__name__``, not ``__qualname__``, and refuses ``__main__``;
    we do the same so that NNI reads every path we write.
    """
    cached = _NAME_CACHE.get(id(obj))
    if cached is not None and cached[0] is obj:
        return cached[1]
    module_name = getattr(obj, "__module__", None)
    name = getattr(obj, "__name__", None)
    if not isinstance(module_name, str) or not isinstance(name, str) or module_name == "__main__":
        return None
    full = f"{module_name}.{name}"
    try:
        imported = import_path(full)
    except Exception:  # importing user modules can raise anything
        return None
    if unwrap(imported) is not unwrap(obj):
        return None
    _NAME_CACHE[id(obj)] = (obj, full)
    return full


def symbol_name(obj: Any, pickle_size_limit: int) -> str:
    """The wire name of a class or function: ``path:...`` or ``bytes:...``.

    Raises:
        PayloadTooLarge: the symbol has no import path and its pickle is over the limit.
    """
    name = path_name(obj)
    if name is not None:
        return _wire.PATH_PREFIX + name
    text, size = pickle_b64(obj)
    if 0 <= pickle_size_limit < size:
        raise PayloadTooLarge(
            f"it has no import path (it is defined in __main__, locally or dynamically) and its "
            f"pickle is {size:,} bytes (limit {pickle_size_limit:,}); define it at module level "
            "or pass pickle_size_limit=-1",
            size=size,
            limit=pickle_size_limit,
        )
    return _wire.BYTES_PREFIX + text


def import_symbol(name: Any) -> Any:
    """The class or function named ``name`` (``path:...``, ``bytes:...`` or a bare dotted path).

    Raises:
        DecodeError: the name is malformed or does not import.
    """
    if not isinstance(name, str):
        raise DecodeError(f"a symbol name must be a string, not {type(name).__name__}")
    if name.startswith(_wire.BYTES_PREFIX):
        return unpickle_b64(name[len(_wire.BYTES_PREFIX) :], what="the pickled symbol")
    dotted = name[len(_wire.PATH_PREFIX) :] if name.startswith(_wire.PATH_PREFIX) else name
    if "." not in dotted:
        raise DecodeError(f"symbol {name!r} is not a dotted path such as 'mymod.MyClass'")
    try:
        return import_path(dotted)
    except (Exception, SystemExit) as err:  # a module's import-time code may call sys.exit()
        raise DecodeError(
            f"cannot import {dotted!r} ({type(err).__name__}: {err}); make sure the module that "
            "defines it is installed and importable here"
        ) from err
