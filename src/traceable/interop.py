"""Traced object trees to and from Hydra and jsonargparse (LightningCLI) configs.

``to_hydra`` writes a traced tree as a Hydra config (``_target_``, ``_args_``, keyword
fields) that ``hydra.utils.instantiate`` builds again; ``from_hydra`` reads such a config
(interpolations resolved by OmegaConf) back into a traced tree, which ``traceable.dump``
writes as the same payload as the tree it came from. ``to_jsonargparse`` and
``from_jsonargparse`` do the same for the ``class_path`` / ``init_args`` form that
jsonargparse and LightningCLI read.

Configs hold plain data and calls. An argument that exists only at run time, such as the
model's parameters given to an optimizer, is left out, and its call becomes a partial
that the program completes, as Hydra and LightningCLI programs do:
``instantiate(cfg.optimizer)(model.parameters())``.

The config libraries are imported only by the functions that need them: OmegaConf (with
``pip install hydra-core``) for ``to_hydra_yaml`` and ``from_hydra``, jsonargparse for
``from_jsonargparse`` of text, PyYAML for ``to_jsonargparse_yaml``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from typing import Any

from traceable._api import policy_for
from traceable._interop_forms import HydraExporter, JsonargparseExporter
from traceable._interop_import import (
    HydraImporter,
    JsonargparseImporter,
    refuse_resolvers,
    refuse_yaml_aliases,
)
from traceable._policy import LoadPolicy
from traceable.exceptions import DecodeError, UnsafePayloadError

__all__ = ["from_hydra", "from_jsonargparse", "to_hydra", "to_hydra_yaml", "to_jsonargparse", "to_jsonargparse_yaml"]


def _require(module: str, package: str, purpose: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(f"{purpose} needs {module}: pip install {package}") from err


def to_hydra(obj: Any, *, omit: Iterable[str] = ()) -> dict[str, Any]:
    """Export a traced object tree as a Hydra config that ``hydra.utils.instantiate`` builds again.

    A traced call becomes ``{"_target_": "module.Qualname", "_args_": [...], **kwargs}``, its
    arguments exported in turn; a dict of traced objects becomes a dict of configs. Plain
    data passes (tuples as lists, as ``dump`` writes them; ``${`` escaped so that
    ``instantiate`` does not read it as an interpolation); a class or function as a value becomes
    ``{"_target_": "hydra.utils.get_class", "path": ...}`` (``get_method`` for functions); a
    ``functools.partial`` of a class or function becomes a ``_partial_: true`` call. A call
    whose arguments hold lists or dicts gets ``_convert_: all``, so the callee receives plain
    containers rather than OmegaConf's.

    Arguments that hold a model's parameters (torch Parameters, lists of them, param groups)
    are left out, and the call is written with ``_partial_: true``:
    ``instantiate(cfg.optimizer)(model.parameters())`` completes it.

    Args:
        obj: a traced object, or a dict of traced objects and plain data.
        omit: more arguments to leave out the same way, by their path in the config
            (``"$.scheduler.optimizer"``); their calls become partials.

    Returns:
        The config, as plain dicts and lists (``OmegaConf.create`` takes it as it is).

    Raises:
        EncodeError: a value has no place in a Hydra config (a tensor, a set, an object that
            is not traced); the error names its path in the config and what to do. Or a path
            in ``omit`` does not start with ``$`` or names no argument (with the nearest one).

    Example:
        >>> import argparse, traceable
        >>> to_hydra({"model": traceable.trace(argparse.Namespace)(width=8, act=abs)})
        {'model': {'_target_': 'argparse.Namespace', 'width': 8,
                   'act': {'_target_': 'hydra.utils.get_method', 'path': 'builtins.abs'}}}
    """
    return HydraExporter(omit).export(obj)


def to_hydra_yaml(obj: Any, *, omit: Iterable[str] = ()) -> str:
    """:func:`to_hydra` as YAML text, written by OmegaConf.

    Example:
        >>> import argparse, traceable
        >>> print(to_hydra_yaml(traceable.trace(argparse.Namespace)(sizes=(8, 4), name="${run}")), end="")
        _target_: argparse.Namespace
        _convert_: all
        sizes:
        - 8
        - 4
        name: \\\\\\${run}
    """
    omegaconf = _require("omegaconf", "hydra-core", "to_hydra_yaml")
    config = to_hydra(obj, omit=omit)
    text: str = omegaconf.OmegaConf.to_yaml(config)
    if _NEL in text:
        from omegaconf._utils import get_omega_conf_dumper  # OmegaConf's own quoting, without allow_unicode

        text = _require("yaml", "pyyaml", "to_hydra_yaml").dump(config, Dumper=get_omega_conf_dumper(), **_ASCII)
    return text


# PyYAML writes U+0085 (NEL) as it is when allowed Unicode, and reads it back as a line
# break: text with one is written in ASCII, which escapes it.
_NEL = "\x85"
_ASCII = {"default_flow_style": False, "sort_keys": False, "allow_unicode": False}


def from_hydra(
    cfg: Mapping[Any, Any] | str | Any,
    *,
    safe: bool = False,
    allow: Iterable[str] | None = None,
    policy: LoadPolicy | None = None,
) -> Any:
    """Build a traced object tree from a Hydra config, as ``hydra.utils.instantiate`` would.

    Interpolations are resolved by OmegaConf first, as ``instantiate`` resolves them: twice,
    so a literal ``${`` is written ``\\\\\\${`` in YAML (:func:`to_hydra` escapes it so). Each
    ``_target_`` is imported by its dotted path and called through :func:`traceable.trace`,
    so every object built is traced and ``traceable.dump`` writes it as the call that made
    it. ``_args_`` are passed positionally; ``_partial_: true`` gives a traced
    ``functools.partial`` (its ``'???'`` arguments left out, as Hydra does);
    ``_recursive_: false`` passes the arguments as plain data, nested configs included;
    ``hydra.utils.get_class`` / ``get_method`` / ``get_object`` give the object named by
    ``path``. ``_convert_`` is checked but changes nothing: the objects always receive plain
    lists and dicts, as a record must hold.

    Args:
        cfg: the config: YAML text, a dict, or an OmegaConf ``DictConfig``.
        safe: import and call only the classes and functions in ``allow`` (checked by name
            before the import, and on what the name resolves to), refuse YAML aliases
            (``*name``), refuse resolver interpolations (``${oc.env:HOME}``; plain references to
            other keys, ``${model.width}``, are resolved), and apply the safe policy's limits on size
            and depth. For a config you did not write.
        allow: with ``safe``, exact names (``"mypkg.models.Net"``) and module prefixes
            (``"torch.nn"``) to allow, as for :func:`traceable.load`.
        policy: a :class:`traceable.LoadPolicy` instead of ``safe``/``allow``.

    Returns:
        The traced object (or the dict or list of them) that the config describes.

    Raises:
        DecodeError: the config is malformed, a value is missing, or a call failed; the
            error names the path in the config.
        UnsafePayloadError: the policy refused a name (nothing it names was imported), or a
            resolver (rule ``"resolver"``, before anything was resolved).
        ImportError: OmegaConf is not installed (``pip install hydra-core``).

    Example:
        >>> text = "_target_: argparse.Namespace\\nwidth: ${height}\\nheight: 8"
        >>> net = from_hydra(text, safe=True, allow=["argparse"])
        >>> net, net.trace_kwargs
        (Namespace(width=8, height=8), {'width': 8, 'height': 8})
    """
    active = policy_for(safe, allow, policy)
    omegaconf = _require("omegaconf", "hydra-core", "from_hydra")
    OmegaConf = omegaconf.OmegaConf  # the library's own spelling
    if isinstance(cfg, str):
        refuse_yaml_aliases(cfg, active, _require("yaml", "pyyaml", "from_hydra"))
    elif not (OmegaConf.is_config(cfg) or isinstance(cfg, Mapping)):
        raise TypeError(f"from_hydra takes YAML text, a mapping or a DictConfig, not {type(cfg).__name__}")
    try:
        node = OmegaConf.create(cfg if isinstance(cfg, str) else cfg if OmegaConf.is_config(cfg) else dict(cfg))
        # A copy that can be resolved in place, as instantiate makes one.
        OmegaConf.set_readonly(node, False)
        OmegaConf.set_struct(node, False)
        refuse_resolvers(OmegaConf.to_container(node, resolve=False), active)
        # As hydra.utils.instantiate does: resolve the whole config, then read each value,
        # which resolves it once more (so a literal "${" is written escaped twice). The first
        # pass is to_container's, whose errors say where they are (OmegaConf.resolve's do not).
        OmegaConf.to_container(node, resolve=True, throw_on_missing=False)
        OmegaConf.resolve(node)
        # The second pass reads what the first one gave: a reference to an escaped "\\${oc.env:X}"
        # gives "${oc.env:X}", which it would resolve.
        refuse_resolvers(OmegaConf.to_container(node, resolve=False), active)
        plain = OmegaConf.to_container(node, resolve=True, throw_on_missing=False)
    except UnsafePayloadError:
        raise
    except Exception as err:  # OmegaConf's and PyYAML's errors share no base class
        key = getattr(err, "full_key", None)
        where = f" at $.{key}" if key else ""
        # OmegaConf asserts that YAML text holds a mapping or a list.
        reason = "it is not a YAML mapping or list" if isinstance(err, AssertionError) else _first_line(err)
        message = f"cannot read the Hydra config{where}: {type(err).__name__}: {reason}"
        raise DecodeError(message, f"$.{key}" if key else None) from err
    return HydraImporter(active).build(plain, ())


def to_jsonargparse(obj: Any, *, omit: Iterable[str] = ()) -> dict[str, Any]:
    """Export a traced object tree as a jsonargparse / LightningCLI config.

    A traced call becomes ``{"class_path": "module.Qualname", "init_args": {...}}``, the
    form that an ``ArgumentParser`` argument typed with a base class parses and
    ``parser.instantiate`` builds (LightningCLI's ``model:``, ``data:``, ``optimizer:``).
    jsonargparse passes arguments by keyword only: positional arguments are named after
    their parameters, and a call whose positional arguments fill ``*args`` (such as
    ``torch.nn.Sequential``'s) raises. A class or function as a value becomes its import
    path, which jsonargparse reads for ``type[...]`` and ``Callable`` parameters.

    Arguments that hold a model's parameters are left out, as in :func:`to_hydra`; the
    config, unchanged, is then what a ``Callable[[Iterable], Optimizer]`` parameter (the
    ``OptimizerCallable`` of LightningCLI) reads as a partial.

    Args:
        obj: a traced object, or a dict of traced objects and plain data.
        omit: more arguments to leave out, by their path in the config
            (``"$.model.init_args.optimizer"``).

    Returns:
        The config, as plain dicts and lists.

    Raises:
        EncodeError: a value has no place in such a config; the error names its path. Or a
            path in ``omit`` does not start with ``$`` or names no argument, as in :func:`to_hydra`.

    Example:
        >>> import argparse, traceable
        >>> to_jsonargparse({"model": traceable.trace(argparse.Namespace)(width=8)})
        {'model': {'class_path': 'argparse.Namespace', 'init_args': {'width': 8}}}
    """
    return JsonargparseExporter(omit).export(obj)


def to_jsonargparse_yaml(obj: Any, *, omit: Iterable[str] = ()) -> str:
    """:func:`to_jsonargparse` as YAML text, as jsonargparse writes it.

    Example:
        >>> import argparse, traceable
        >>> print(to_jsonargparse_yaml(traceable.trace(argparse.Namespace)(width=8)), end="")
        class_path: argparse.Namespace
        init_args:
          width: 8
    """
    yaml = _require("yaml", "pyyaml", "to_jsonargparse_yaml")
    config = to_jsonargparse(obj, omit=omit)
    text: str = yaml.safe_dump(config, default_flow_style=False, allow_unicode=True, sort_keys=False)
    if _NEL in text:
        text = yaml.safe_dump(config, **_ASCII)
    return text


def from_jsonargparse(
    cfg: Mapping[Any, Any] | str,
    *,
    safe: bool = False,
    allow: Iterable[str] | None = None,
    policy: LoadPolicy | None = None,
) -> Any:
    """Build a traced object tree from a jsonargparse / LightningCLI config.

    Every ``class_path`` is imported by its dotted path and called through
    :func:`traceable.trace` with its ``init_args`` and ``dict_kwargs``. A string given to a
    parameter annotated with a class (``type[...]``) or a ``Callable`` is imported, as
    jsonargparse reads it. A config that lacks required arguments of its class gives a
    traced ``functools.partial`` that takes them, as jsonargparse gives for a ``Callable``
    parameter (LightningCLI's optimizers). Unlike jsonargparse, nothing else is read from
    the signature: no defaults are filled in, no values converted, so the tree is the one
    the config says.

    Args:
        cfg: the config: YAML (or JSON) text, read by jsonargparse's YAML loader, or a dict.
        safe: import and call only what ``allow`` names; refuse YAML aliases; limits, as
            in :func:`from_hydra`.
        allow: with ``safe``, names and module prefixes to allow.
        policy: a :class:`traceable.LoadPolicy` instead of ``safe``/``allow``.

    Returns:
        The traced object (or the dict or list of them) that the config describes.

    Raises:
        DecodeError: the config is malformed or a call failed; the error names the path.
        UnsafePayloadError: the policy refused a name; nothing it names was imported.
        ImportError: jsonargparse is not installed (needed for text only).

    Example:
        >>> net = from_jsonargparse({"class_path": "argparse.Namespace", "init_args": {"width": 8}})
        >>> net, net.trace_kwargs
        (Namespace(width=8), {'width': 8})
    """
    active = policy_for(safe, allow, policy)
    if isinstance(cfg, str):
        jsonargparse = _require("jsonargparse", "jsonargparse", "from_jsonargparse")
        refuse_yaml_aliases(cfg, active, _require("yaml", "pyyaml", "from_jsonargparse"))
        try:
            cfg = jsonargparse.get_loader("yaml")(cfg)
        except Exception as err:  # PyYAML's errors
            raise DecodeError(f"the config is not valid YAML: {_first_line(err)}") from err
        if not isinstance(cfg, (dict, list)):
            raise DecodeError(f"the config is not a YAML mapping or list, but {cfg!r}", "$")
    elif not isinstance(cfg, Mapping):
        raise TypeError(f"from_jsonargparse takes YAML text or a mapping, not {type(cfg).__name__}")
    return JsonargparseImporter(active).build(dict(cfg) if isinstance(cfg, Mapping) else cfg, ())


def _first_line(err: Exception) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
