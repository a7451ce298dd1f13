"""The two config forms the export walk writes, and the keys each form reads.

Hydra: ``_target_``, ``_args_`` and keyword fields, with ``_partial_``, ``_convert_`` and
``_recursive_`` as needed, and strings escaped from OmegaConf's interpolation.
jsonargparse (as LightningCLI writes it): ``class_path`` and ``init_args``, positional
arguments named after their parameters. Each form refuses the data it would misread.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable
from typing import Any

from traceable._interop_export import Call, Exporter, import_name
from traceable._paths import Keys, format_path
from traceable._symbols import unwrap
from traceable._traced import record_parts
from traceable.exceptions import EncodeError

__all__ = ["HYDRA_KEYS", "JSONARGPARSE_KEYS", "HydraExporter", "JsonargparseExporter"]

# What Hydra reads in a config node; a data dict with one of these would be misread.
HYDRA_KEYS = ("_target_", "_partial_", "_recursive_", "_convert_", "_args_")
# What jsonargparse reads in a dict beside class_path.
JSONARGPARSE_KEYS = frozenset({"class_path", "init_args", "dict_kwargs", "__path__"})
_INTERPOLATION = re.compile(r"(\\*)\$\{")


class HydraExporter(Exporter):
    """``_target_``, ``_args_`` and keyword fields; ``_partial_``, ``_convert_`` and ``_recursive_`` as needed."""

    form = "Hydra"
    call_word = "_target_"
    example_path = "$.optimizer.params"
    primitives = (bool, int, float, str, bytes)  # OmegaConf holds bytes too

    def __init__(self, omit: Iterable[str]) -> None:
        super().__init__(omit)
        self._raw_depth = 0  # > 0 inside the arguments of a `_recursive_: false` call

    def string(self, text: str, keys: Keys) -> str:
        if text == "???":
            path = format_path(keys)
            message = (
                f"cannot export the string '???' at {path} to a Hydra config: OmegaConf reads it as a "
                "missing value, and has no way to write it as a string; use another value"
            )
            raise EncodeError(message, path)
        if "${" not in text:
            return text
        # OmegaConf reads ${...} as an interpolation; \${ is a literal "${", and the
        # backslashes before it are escaped in turn (\\${ is a backslash, then an interpolation).
        # Escaped twice: hydra.utils.instantiate resolves the config (OmegaConf.resolve), then
        # reads each value, resolving it again (and from_hydra does the same).
        for _ in range(2):
            text = _INTERPOLATION.sub(lambda found: found.group(1) * 2 + "\\${", text)
        return text

    def symbol(self, obj: Any, keys: Keys) -> Any:
        self._refuse_in_raw(keys, "a class or function")
        getter = "hydra.utils.get_class" if isinstance(obj, type) else "hydra.utils.get_method"
        return {"_target_": getter, "path": import_name(obj, (*keys, "path"), self.form)}

    def check_data_dict(self, out: dict[Any, Any], keys: Keys) -> None:
        if self._raw_depth:
            return  # passed as it is: Hydra reads nothing in it
        reserved = [key for key in HYDRA_KEYS if key in out]
        if reserved:
            path = format_path(keys)
            message = (
                f"cannot export the dict at {path} to a Hydra config: Hydra would read its key(s) "
                f"{', '.join(reserved)} as instructions; rename them"
            )
            raise EncodeError(message, path)

    def arg_keys(self, keys: Keys, index: int) -> Keys:
        return (*keys, "_args_", index)

    def kwarg_keys(self, keys: Keys, name: str) -> Keys:
        return (*keys, name)

    def call(self, call: Call, keys: Keys) -> dict[str, Any]:
        self._refuse_in_raw(keys, "a call")
        return super().call(call, keys)

    def node(self, name: str, call: Call, args: list[Any], kwargs: dict[str, Any], keys: Keys) -> dict[str, Any]:
        for key in kwargs:
            if key in HYDRA_KEYS:
                path = format_path(keys)
                message = (
                    f"cannot export the call to {name} at {path} to a Hydra config: its argument {key!r} "
                    "has the name of a Hydra instruction"
                )
                raise EncodeError(message, path)
        # Arguments holding dicts with a `_target_` (configs passed as data, as from a
        # `_recursive_: false` call) must reach the callee as they are.
        raw = any(_holds_target(value) for value in [*args, *kwargs.values()])
        self._raw_depth += raw
        try:
            out_args = [self.value(value, self.arg_keys(keys, i)) for i, value in enumerate(args)]
            out_kwargs = {key: self.value(value, self.kwarg_keys(keys, key)) for key, value in kwargs.items()}
        finally:
            self._raw_depth -= raw
        out: dict[str, Any] = {"_target_": name}
        if call.partial:
            out["_partial_"] = True
        if raw:
            out["_recursive_"] = False
        # Without it, Hydra passes lists and dicts as OmegaConf containers, which would end
        # up in the objects (and in their records, when the class is traced).
        if any(
            isinstance(value, list) or (isinstance(value, dict) and (raw or "_target_" not in value))
            for value in [*out_args, *out_kwargs.values()]
        ):
            out["_convert_"] = "all"
        if out_args:
            out["_args_"] = out_args
        out.update(out_kwargs)
        return out

    def _refuse_in_raw(self, keys: Keys, what: str) -> None:
        if self._raw_depth:
            path = format_path(keys)
            message = (
                f"cannot export {what} at {path} to a Hydra config: the call that takes it also takes a "
                "dict with a `_target_` key, which only `_recursive_: false` passes as it is, and that "
                "keeps Hydra from building anything in its arguments; pass one or the other"
            )
            raise EncodeError(message, path)


def _holds_target(value: Any) -> bool:
    """Whether plain data ``value`` (not looking into calls) has a dict with a ``_target_`` key."""
    if isinstance(value, dict):
        if record_parts(value) is None and "_target_" in value:
            return True
        return any(_holds_target(item) for item in value.values())
    if isinstance(value, (list, tuple)) and record_parts(value) is None:
        return any(_holds_target(item) for item in value)
    return False


class JsonargparseExporter(Exporter):
    """``class_path`` and ``init_args``, as LightningCLI writes them; keyword arguments only."""

    form = "jsonargparse"
    call_word = "class_path"
    example_path = "$.optimizer.init_args.params"

    def symbol(self, obj: Any, keys: Keys) -> Any:
        # What jsonargparse parses for a `type[...]` or `Callable` parameter.
        return import_name(obj, keys, self.form)

    def check_data_dict(self, out: dict[Any, Any], keys: Keys) -> None:
        if "class_path" in out and JSONARGPARSE_KEYS.issuperset(out):
            path = format_path(keys)
            message = (
                f"cannot export the dict at {path} to a jsonargparse config: jsonargparse would read it as "
                "a class to build (it has a 'class_path' key); rename the key"
            )
            raise EncodeError(message, path)

    def arg_keys(self, keys: Keys, index: int) -> Keys:
        return (*keys, "init_args", index)  # reported only when naming the argument fails

    def kwarg_keys(self, keys: Keys, name: str) -> Keys:
        return (*keys, "init_args", name)

    def arguments(self, call: Call, name: str, keys: Keys) -> tuple[list[Any], dict[str, Any]]:
        if not call.args:
            return [], call.kwargs
        # jsonargparse passes init_args by keyword: name each positional argument after its parameter.
        path = format_path(keys)
        try:
            params = list(inspect.signature(unwrap(call.symbol)).parameters.values())
        except (TypeError, ValueError) as err:
            message = (
                f"cannot export the call to {name} at {path} to a jsonargparse config: it has positional "
                f"arguments, and its signature, which would name them, cannot be read ({err})"
            )
            raise EncodeError(message, path) from err
        named: dict[str, Any] = {}
        for index, value in enumerate(call.args):
            param = params[index] if index < len(params) else None
            if param is None or param.kind not in (param.POSITIONAL_OR_KEYWORD, param.POSITIONAL_ONLY):
                what = "more positional arguments than it has parameters" if param is None else f"*{param.name}"
                message = (
                    f"cannot export the call to {name} at {path} to a jsonargparse config: its positional "
                    f"argument {index} goes to {what}, and class_path/init_args passes arguments by keyword "
                    "only; trace a class or function that takes them by keyword (such as a subclass whose "
                    "__init__(self, layers: list) calls super().__init__(*layers))"
                )
                raise EncodeError(message, path)
            if param.kind is param.POSITIONAL_ONLY:
                message = (
                    f"cannot export the call to {name} at {path} to a jsonargparse config: its parameter "
                    f"{param.name!r} is positional-only, and class_path/init_args passes arguments by keyword only"
                )
                raise EncodeError(message, path)
            named[param.name] = value
        return [], {**named, **call.kwargs}

    def node(self, name: str, call: Call, args: list[Any], kwargs: dict[str, Any], keys: Keys) -> dict[str, Any]:
        out: dict[str, Any] = {"class_path": name}
        if kwargs:
            out["init_args"] = {key: self.value(value, self.kwarg_keys(keys, key)) for key, value in kwargs.items()}
        return out
