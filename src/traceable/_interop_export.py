"""Exporting traced object trees as configs: the walk that the Hydra and jsonargparse forms share.

A traced object becomes a call node (Hydra's ``_target_``, jsonargparse's ``class_path``)
named by its import path, with its recorded arguments exported in turn. Plain data passes
(tuples as lists, as ``dump`` writes them); classes and functions as values take each
form's spelling; anything else has no place in a config and raises an ``EncodeError``
that names its path in the config and what to do.

An argument that only exists at run time, such as the model's parameters given to an
optimizer, is left out, and its call becomes a partial (Hydra's ``_partial_: true``;
in jsonargparse, the same config read by a ``Callable`` parameter): the program that
builds the config completes the call, as Hydra and LightningCLI programs do.

How each form spells a call, a symbol and its arguments is in ``_interop_forms``.
"""

from __future__ import annotations

import difflib
import enum
import functools
import sys
from collections.abc import Iterable
from typing import Any

from traceable._paths import Keys, format_path
from traceable._symbols import import_path, is_function, unwrap
from traceable._traced import is_traceable, record_parts
from traceable.exceptions import EncodeError

__all__ = ["Call", "Exporter", "import_name", "is_parameters"]


class Call:
    """A call to export: what was called, with what, and whether it is to be completed later."""

    __slots__ = ("args", "kwargs", "partial", "symbol")

    def __init__(self, symbol: Any, args: Iterable[Any], kwargs: dict[str, Any], partial: bool) -> None:
        self.symbol = symbol
        self.args = list(args)
        self.kwargs = dict(kwargs)
        self.partial = partial


def _call_of(obj: Any) -> Call | None:
    # A partial first: a traced partial (what from_hydra makes) is exported as the call it
    # defers, not as a call to functools.partial.
    if isinstance(obj, functools.partial):
        return Call(obj.func, obj.args, obj.keywords, partial=True)
    parts = record_parts(obj)
    if parts is not None:
        symbol, args, kwargs = parts
        return Call(symbol, args, kwargs, partial=False)
    if not isinstance(obj, type) and is_traceable(obj):  # traced by other means (nni.trace)
        return Call(obj.trace_symbol, obj.trace_args, obj.trace_kwargs, partial=False)
    return None


def _label(obj: Any) -> str:
    cls = type(obj)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def is_parameters(value: Any) -> bool:
    """Whether ``value`` is a model's parameters: a torch Parameter, a list of them, or param groups.

    These belong to a model that the program builds, so no config can hold them.
    """
    torch = sys.modules.get("torch")
    if torch is None:
        return False
    parameter = torch.nn.Parameter
    if isinstance(value, parameter):
        return True
    if not isinstance(value, (list, tuple)) or not value:
        return False
    if all(isinstance(item, parameter) for item in value):
        return True
    return all(isinstance(group, dict) and is_parameters(group.get("params")) for group in value)


def import_name(symbol: Any, keys: Keys, form: str) -> str:
    """``module.Qualname`` of a class or function, checked to import back to it.

    Raises:
        EncodeError: it cannot be imported by that name.
    """
    original = unwrap(symbol)
    module = getattr(original, "__module__", None)
    qualname = getattr(original, "__qualname__", None)
    path = format_path(keys)
    if not isinstance(module, str) or not isinstance(qualname, str):
        message = f"cannot export {original!r} at {path} to a {form} config: it has no module and qualified name"
        raise EncodeError(message, path)
    name = f"{module}.{qualname}"
    if "<locals>" in qualname or "<lambda>" in qualname:
        message = (
            f"cannot export {name} at {path} to a {form} config, which names what it calls by import "
            "path: it is defined inside a function; define it at module level"
        )
        raise EncodeError(message, path)
    try:
        found = unwrap(import_path(name))
    except Exception as err:  # importing user modules can raise anything
        message = (
            f"cannot export {name} at {path} to a {form} config: importing it failed ({type(err).__name__}: {err})"
        )
        raise EncodeError(message, path) from err
    if found is not original:
        message = (
            f"cannot export {name} at {path} to a {form} config: that name imports another object "
            f"({found!r}); define it at module level under its own name"
        )
        raise EncodeError(message, path)
    return name


class Exporter:
    """The walk shared by both forms; subclasses say how a call and a symbol are spelled."""

    form = ""
    call_word = ""  # how the form calls a class: "_target_", "class_path"
    example_path = ""  # an argument's path in the form, for messages
    primitives: tuple[type, ...] = (bool, int, float, str)

    def __init__(self, omit: Iterable[str]) -> None:
        if isinstance(omit, str):
            raise TypeError("omit takes a list of config paths, such as ['$.optimizer.params'], not one string")
        self.omit = tuple(dict.fromkeys(omit))  # in the order given, for messages
        wrong = [path for path in self.omit if not (isinstance(path, str) and path.startswith("$"))]
        if wrong:
            message = (
                f"omit takes config paths starting with '$', such as '$.optimizer.params', not "
                f"{', '.join(map(repr, wrong))}"
            )
            raise EncodeError(message)
        self._active: set[int] = set()  # ids of the calls being exported: a cycle would recur forever
        self._arguments: list[str] = []  # the path of every argument seen, which omit may name

    def export(self, obj: Any) -> dict[str, Any]:
        """The config of ``obj``, a traced object or a dict (of traced objects and data)."""
        result = self.value(obj, ())
        self._refuse_unused_omit()
        if not isinstance(result, dict):
            message = (
                f"cannot export a {_label(obj)} as a {self.form} config: the root must be a traced object "
                "or a dict (of traced objects and plain data)"
            )
            raise EncodeError(message, "$")
        return result

    def value(self, obj: Any, keys: Keys) -> Any:
        if obj is None or type(obj) in self.primitives:
            return self.string(obj, keys) if type(obj) is str else obj
        if isinstance(obj, type) or is_function(obj):
            return self.symbol(obj, keys)
        call = _call_of(obj)
        if call is not None:
            if id(obj) in self._active:
                path = format_path(keys)
                raise EncodeError(f"cannot export the value at {path}: it contains itself, and configs are trees", path)
            self._active.add(id(obj))
            try:
                return self.call(call, keys)
            finally:
                self._active.discard(id(obj))
        if isinstance(obj, enum.Enum):
            raise self.unexpressible(obj, keys, f"write its value ({obj.value!r}) instead, ")
        for kind in self.primitives:  # subclasses (numpy.float64...) as the plain value
            if isinstance(obj, kind):
                return self.value(kind(obj), keys)
        numpy = sys.modules.get("numpy")
        if numpy is not None and isinstance(obj, numpy.generic) and not isinstance(obj, numpy.void):
            return self.value(obj.item(), keys)  # the Python number, as dump writes it
        if isinstance(obj, (list, tuple)):
            return [self.value(item, (*keys, index)) for index, item in enumerate(obj)]
        if isinstance(obj, dict):
            return self.mapping(obj, keys)
        raise self.unexpressible(obj, keys)

    def mapping(self, obj: dict[Any, Any], keys: Keys) -> dict[Any, Any]:
        out = {}
        for key, item in obj.items():
            if key is None or type(key) not in (str, int, float, bool):
                path = format_path(keys)
                message = (
                    f"cannot export the dict at {path} to a {self.form} config: its key {key!r} is a "
                    f"{_label(key)}; configs take str, int, float and bool keys"
                )
                raise EncodeError(message, path)
            out[key] = self.value(item, (*keys, key if isinstance(key, (str, int)) else str(key)))
        self.check_data_dict(out, keys)
        return out

    def call(self, call: Call, keys: Keys) -> dict[str, Any]:
        name = import_name(call.symbol, keys, self.form)
        args, kwargs = self.arguments(call, name, keys)
        kept_args: list[Any] = []
        for index, value in enumerate(args):
            where = self.arg_keys(keys, index)
            if self.is_omitted(value, where):
                if any(not self.is_omitted(later, self.arg_keys(keys, i)) for i, later in enumerate(args) if i > index):
                    path = format_path(where)
                    message = (
                        f"cannot leave out the positional argument at {path}: a partial call takes the "
                        "arguments left out after the ones it has, so only the last ones can be left out"
                    )
                    raise EncodeError(message, path)
                call.partial = True
                break
            kept_args.append(value)
        kept_kwargs: dict[str, Any] = {}
        for key, value in kwargs.items():
            if self.is_omitted(value, self.kwarg_keys(keys, key)):
                call.partial = True
            else:
                kept_kwargs[key] = value
        return self.node(name, call, kept_args, kept_kwargs, keys)

    def arguments(self, call: Call, name: str, keys: Keys) -> tuple[list[Any], dict[str, Any]]:
        """The call's positional and keyword arguments, as the form can pass them."""
        return call.args, call.kwargs

    def is_omitted(self, value: Any, keys: Keys) -> bool:
        path = format_path(keys)
        self._arguments.append(path)
        return path in self.omit or is_parameters(value)

    def _refuse_unused_omit(self) -> None:
        # A typo in a path would otherwise leave the config unchanged, and the mistake unseen.
        seen = dict.fromkeys(self._arguments)
        unused = [path for path in self.omit if path not in seen]
        if not unused:
            return
        named = []
        for path in unused:
            near = difflib.get_close_matches(path, seen, n=1)
            named.append(f"{path!r} (did you mean {near[0]!r}?)" if near else repr(path))
        message = (
            f"omit names no argument of a call in the {self.form} config: {', '.join(named)}; omit takes the "
            f"paths of call arguments as the config writes them, such as {self.example_path!r}"
        )
        raise EncodeError(message, unused[0])

    def unexpressible(self, obj: Any, keys: Keys, advice: str = "") -> EncodeError:
        path = format_path(keys)
        message = (
            f"cannot export a {_label(obj)} at {path} to a {self.form} config, which holds only None, "
            f"bool, int, float, str, lists, dicts and calls ({self.call_word}) of importable classes and "
            f"functions; {advice}convert it to one of those, make it with a traced class or function "
            "(traceable.trace) so that it is written as a call, or leave it out with "
            f"omit=[{path!r}] to make the call that takes it a partial that your program completes"
        )
        return EncodeError(message, path)

    # -- what each form spells its own way --------------------------------------------------

    def string(self, text: str, keys: Keys) -> str:
        return text

    def symbol(self, obj: Any, keys: Keys) -> Any:
        raise NotImplementedError

    def check_data_dict(self, out: dict[Any, Any], keys: Keys) -> None:
        """Refuse a data dict that the form would read as something else."""

    def arg_keys(self, keys: Keys, index: int) -> Keys:
        raise NotImplementedError

    def kwarg_keys(self, keys: Keys, name: str) -> Keys:
        raise NotImplementedError

    def node(self, name: str, call: Call, args: list[Any], kwargs: dict[str, Any], keys: Keys) -> dict[str, Any]:
        raise NotImplementedError
