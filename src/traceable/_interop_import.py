"""Importing Hydra and jsonargparse configs as traced object trees, under a load policy.

Each call node is imported by its dotted path (checked by the policy before the import,
and on what it resolves to, as ``load`` checks a ``__symbol__``) and called through
:func:`traceable.trace`, so the tree that comes back is traced and dumps as the same
NNI-compatible payload as the tree the config was exported from.
"""

from __future__ import annotations

import collections.abc
import functools
import inspect
import re
import types
import typing
from typing import Any

from traceable._interop_forms import JSONARGPARSE_KEYS
from traceable._paths import Keys, format_path
from traceable._policy import LoadPolicy
from traceable._symbols import import_path, unwrap
from traceable._tracing import retrace
from traceable.exceptions import DecodeError, UnsafePayloadError

__all__ = ["HydraImporter", "JsonargparseImporter", "refuse_resolvers", "refuse_yaml_aliases"]


_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+\Z")
# Hydra's own helpers that turn a dotted path into the object it names, rather than call it.
HYDRA_GETTERS = {
    "hydra.utils.get_class": "a class",
    "hydra.utils.get_method": "a function",
    "hydra.utils.get_object": "an object",
    "hydra.utils.get_static_method": "a function",
}
HYDRA_CONVERT_MODES = frozenset({"none", "partial", "object", "all"})
MISSING = "???"  # OmegaConf's missing value


def refuse_yaml_aliases(text: str, policy: LoadPolicy, yaml: Any) -> None:
    """Refuse YAML aliases (``*name``) under a checking policy: a few lines of them can stand
    for a tree of exponential size, which building would walk in full.

    Raises:
        UnsafePayloadError: the text has an alias.
    """
    if policy.is_trusting:
        return
    policy.exceeded("max_size", len(text), None, "the config's length")
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                message = (
                    "refused the config: it has a YAML alias (*name), and a few aliases can stand for a "
                    "tree of exponential size; write the values out, or load it without safe=True if you "
                    "trust its source"
                )
                raise UnsafePayloadError(message, "$", rule="yaml_alias")
    except yaml.YAMLError as err:
        raise DecodeError(f"the config is not valid YAML: {err}") from err


def refuse_resolvers(config: Any, policy: LoadPolicy, keys: Keys = ()) -> None:
    """Refuse OmegaConf resolver interpolations (``${oc.env:HOME}``) in ``config`` under a checking policy.

    A resolver is a function that runs when the config is resolved: ``oc.env`` reads the
    environment, and a program may have registered any other (an ``eval`` resolver runs
    code). Plain references to other keys (``${model.width}``, ``${..lr}``, nested ones)
    only copy values, so they pass. Strings are read with OmegaConf's own grammar, so an
    escaped ``\\${`` is text, as OmegaConf reads it.

    Args:
        config: the unresolved config as plain containers (``OmegaConf.to_container(cfg)``).
        policy: the load policy; a trusting one refuses nothing.
        keys: where ``config`` is in the whole config.

    Raises:
        UnsafePayloadError: a string calls a resolver (rule ``"resolver"``).
    """
    if policy.is_trusting:
        return
    if isinstance(config, dict):
        for key, value in config.items():
            refuse_resolvers(value, policy, (*keys, key if isinstance(key, (str, int)) else str(key)))
    elif isinstance(config, list):
        for index, value in enumerate(config):
            refuse_resolvers(value, policy, (*keys, index))
    elif isinstance(config, str) and "${" in config:
        from omegaconf.grammar_parser import parse  # only called once OmegaConf is imported

        resolver = _first_resolver(parse(config))
        if resolver is not None:
            path = format_path(keys)
            message = (
                f"refused the config: the value at {path} calls the OmegaConf resolver {resolver!r} "
                f"({config!r}), and a resolver runs code when the config is resolved (oc.env reads the "
                "environment; a program may have registered any other); write the value out, or load the "
                "config without safe=True only if you trust its source"
            )
            raise UnsafePayloadError(message, path, symbol=resolver, rule="resolver")


def _first_resolver(tree: Any) -> str | None:
    """The name of the first resolver called in an OmegaConf parse tree, if any."""
    from omegaconf.grammar.gen.OmegaConfGrammarParser import OmegaConfGrammarParser

    if isinstance(tree, OmegaConfGrammarParser.InterpolationResolverContext):
        context: Any = tree  # the generated parser has no annotations
        name: str = context.resolverName().getText()
        return name
    for child in getattr(tree, "children", None) or ():
        found = _first_resolver(child)
        if found is not None:
            return found
    return None


class _Importer:
    """The walk shared by both forms; subclasses say what a call node looks like."""

    form = ""

    def __init__(self, policy: LoadPolicy) -> None:
        self.policy = policy

    def build(self, value: Any, keys: Keys) -> Any:
        limit = self.policy.max_depth
        if limit is not None and len(keys) > limit:
            self.policy.exceeded("max_depth", len(keys), format_path(keys), "the config's nesting depth")
        if isinstance(value, dict):
            if self.is_call(value):
                return self.call_node(value, keys)
            return {key: self.build(item, (*keys, key)) for key, item in value.items()}
        if isinstance(value, list):
            return [self.build(item, (*keys, index)) for index, item in enumerate(value)]
        return value

    def import_symbol(self, name: Any, keys: Keys, what: str) -> Any:
        """The object named ``name``, as the policy allows."""
        path = format_path(keys)
        if not isinstance(name, str) or not _DOTTED.match(name):
            message = f"{what} at {path} must be a dotted import path such as 'torch.nn.Linear', not {name!r}"
            raise DecodeError(message, path)
        self.policy.check_name(name, path, what)
        try:
            obj = import_path(name)
        except Exception as err:  # importing user modules can raise anything
            message = (
                f"cannot import {name!r} for {what} at {path} ({type(err).__name__}: {err}); make sure the "
                "module that defines it is installed and importable here"
            )
            raise DecodeError(message, path) from err
        self.policy.check_resolved(name, obj, path, what)
        return obj

    def call(self, name: str, args: list[Any], kwargs: dict[str, Any], partial: bool | None, keys: Keys) -> Any:
        """Call the traced version of ``name``; with ``partial``, a traced ``functools.partial`` of it.

        ``partial=None`` leaves it to the target's signature: partial if required arguments are missing
        (and the ones given are valid).
        """
        path = format_path(keys)
        symbol = self.import_symbol(name, keys, f"a {self.form} call")
        if not callable(symbol):
            raise DecodeError(f"{name!r} at {path} is not a class or function, so it cannot be called", path)
        try:
            traced = retrace(symbol)
        except Exception as err:
            raise DecodeError(f"cannot trace {name} at {path}: {err}", path) from err
        if partial is None:
            partial = is_incomplete(symbol, args, kwargs)
        try:
            if partial:
                return retrace(functools.partial)(traced, *args, **kwargs)
            return traced(*args, **kwargs)
        except Exception as err:
            message = f"calling {name} at {path} with the config's arguments raised {type(err).__name__}: {err}"
            raise DecodeError(message, path) from err

    def is_call(self, value: dict[Any, Any]) -> bool:
        raise NotImplementedError

    def call_node(self, value: dict[Any, Any], keys: Keys) -> Any:
        raise NotImplementedError


def _keyword_names(node: dict[Any, Any], keys: Keys, form: str) -> None:
    for key in node:
        if not isinstance(key, str):
            path = format_path(keys)
            message = f"the {form} call at {path} has the key {key!r}; the arguments of a call are named by strings"
            raise DecodeError(message, path)


class HydraImporter(_Importer):
    """``_target_`` nodes, with ``_args_``, ``_partial_``, ``_recursive_`` and ``_convert_``."""

    form = "Hydra"

    def is_call(self, value: dict[Any, Any]) -> bool:
        return "_target_" in value

    def build(self, value: Any, keys: Keys) -> Any:
        if value == MISSING:
            path = format_path(keys)
            raise DecodeError(f"the config has no value at {path} ('???', a missing value); set one", path)
        return super().build(value, keys)

    def call_node(self, node: dict[Any, Any], keys: Keys) -> Any:
        path = format_path(keys)
        target = node["_target_"]
        partial = node.get("_partial_", False)
        recursive = node.get("_recursive_", True)
        convert = node.get("_convert_", "none")
        args = node.get("_args_", [])
        for flag, value in (("_partial_", partial), ("_recursive_", recursive)):
            if not isinstance(value, bool):
                raise DecodeError(f"{flag} at {path} must be true or false, not {value!r}", path)
        if not isinstance(convert, str) or convert.lower() not in HYDRA_CONVERT_MODES:
            modes = ", ".join(sorted(HYDRA_CONVERT_MODES))
            raise DecodeError(f"_convert_ at {path} must be one of {modes}, not {convert!r}", path)
        if not isinstance(args, list):
            raise DecodeError(f"_args_ at {path} must be a list, not {type(args).__name__}", path)
        # Hydra leaves out the missing arguments of a partial call, for its caller to give.
        kwargs = {
            key: value
            for key, value in node.items()
            if key not in ("_target_", "_partial_", "_recursive_", "_convert_", "_args_")
            and not (partial and value == MISSING)
        }
        _keyword_names(kwargs, keys, self.form)
        getter = HYDRA_GETTERS.get(target) if isinstance(target, str) else None
        if getter is not None:
            return self._get(target, getter, args, kwargs, keys)
        # _convert_ only decides which containers Hydra passes (OmegaConf's or plain ones); a
        # record must hold plain data to be dumped, so they are always plain here.
        if recursive:
            args = [self.build(value, (*keys, "_args_", index)) for index, value in enumerate(args)]
            kwargs = {key: self.build(value, (*keys, key)) for key, value in kwargs.items()}
        return self.call(self._target_name(target, keys), args, kwargs, partial, keys)

    def _target_name(self, target: Any, keys: Keys) -> str:
        if not isinstance(target, str):
            path = format_path((*keys, "_target_"))
            raise DecodeError(f"_target_ at {path} must be a dotted import path, not {target!r}", path)
        return target

    def _get(self, target: str, what: str, args: list[Any], kwargs: dict[str, Any], keys: Keys) -> Any:
        # {_target_: hydra.utils.get_class, path: torch.nn.ReLU}: the class itself, as a value.
        if len(args) + len(kwargs) != 1 or (kwargs and "path" not in kwargs):
            path = format_path(keys)
            raise DecodeError(f"{target} at {path} takes one argument, path", path)
        name = args[0] if args else kwargs["path"]
        where = (*keys, "_args_", 0) if args else (*keys, "path")
        obj = self.import_symbol(name, where, what)
        if what == "a class" and not isinstance(obj, type):
            path = format_path(where)
            raise DecodeError(f"{target} at {path}: {name!r} is not a class", path)
        if what == "a function" and not callable(obj):
            path = format_path(where)
            raise DecodeError(f"{target} at {path}: {name!r} is not callable", path)
        return obj


class JsonargparseImporter(_Importer):
    """``class_path`` nodes with ``init_args`` and ``dict_kwargs``, as LightningCLI reads them."""

    form = "jsonargparse"

    def is_call(self, value: dict[Any, Any]) -> bool:
        return "class_path" in value

    def call_node(self, node: dict[Any, Any], keys: Keys) -> Any:
        path = format_path(keys)
        extra = [key for key in node if key not in JSONARGPARSE_KEYS]
        if extra:
            message = (
                f"the class_path config at {path} has the key(s) {', '.join(map(repr, extra))}; beside "
                "class_path it takes only init_args and dict_kwargs: move the arguments under init_args"
            )
            raise DecodeError(message, path)
        kwargs: dict[str, Any] = {}
        for section in ("init_args", "dict_kwargs"):
            given = node.get(section) or {}
            if not isinstance(given, dict):
                raise DecodeError(f"{section} at {path} must be a mapping, not {type(given).__name__}", path)
            _keyword_names(given, (*keys, section), self.form)
            kwargs.update(given)
        name = node["class_path"]
        symbol = self.import_symbol(name, (*keys, "class_path"), "a jsonargparse class_path")
        wants_symbol = _symbol_parameters(symbol)
        built: dict[str, Any] = {}
        for key, value in kwargs.items():
            where = (*keys, "init_args", key)
            if key in wants_symbol and isinstance(value, str):
                # A `type[...]` or `Callable` parameter: jsonargparse reads a string as the import path.
                built[key] = self.import_symbol(value, where, "a class or function")
            else:
                built[key] = self.build(value, where)
        # jsonargparse reads a config that lacks required arguments as a partial call, for a
        # `Callable[..., Cls]` parameter (LightningCLI's optimizers); so does this, from the signature.
        return self.call(name, [], built, None, keys)


def is_incomplete(symbol: Any, args: list[Any], kwargs: dict[str, Any]) -> bool:
    """Whether the call gives ``symbol`` valid arguments but not all the required ones."""
    try:
        signature = inspect.signature(unwrap(symbol))
        signature.bind_partial(*args, **kwargs)
    except (TypeError, ValueError):  # no signature, or wrong arguments: the call itself will say
        return False
    try:
        signature.bind(*args, **kwargs)
    except TypeError:
        return True
    return False


def _symbol_parameters(symbol: Any) -> frozenset[str]:
    """Names of the parameters annotated with a class (``type[...]``) or a ``Callable``."""
    original = unwrap(symbol)
    try:
        params = inspect.signature(original).parameters.values()
    except (TypeError, ValueError):
        return frozenset()
    function = inspect.unwrap(getattr(original, "__init__") if isinstance(original, type) else original)  # noqa: B009  # mypy rejects .__init__
    namespace = getattr(function, "__globals__", {})
    names = []
    for param in params:
        # One at a time: a single annotation that does not resolve (a name imported only
        # for type checkers) would otherwise hide every other.
        holder = types.SimpleNamespace(__annotations__={param.name: param.annotation})
        try:
            hint = typing.get_type_hints(holder, globalns=namespace)[param.name]
        except Exception:  # an annotation that does not resolve: read the value as it is
            continue
        if _wants_symbol(hint):
            names.append(param.name)
    return frozenset(names)


def _wants_symbol(hint: Any) -> bool:
    # A class or a callable, and not also a string (which a string would then be).
    origin = typing.get_origin(hint)
    if hint is type or origin is type or hint is collections.abc.Callable or origin is collections.abc.Callable:
        return True
    if origin is typing.Union or origin is types.UnionType:
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return str not in options and any(_wants_symbol(arg) for arg in options)
    return False
