"""A ``traceable`` serialization family for Dask distributed: traced objects cross as JSON.

Dask moves data (values a client scatters, results it gathers) with the serialization
families the :class:`distributed.Client` lists, in order. :func:`register` adds the family
``"traceable"``; list it first, before ``"dask"`` and ``"pickle"``::

    from distributed import Client
    from traceable.contrib import dask as traceable_dask

    client = Client(cluster, serializers=["traceable", "dask", "pickle"],
                    deserializers=["traceable", "dask", "pickle"])
    traceable_dask.register(client, safe=True, allow=["mypkg.models"])  # here and on every worker

A value that holds a traced object (the value itself, or one in its dicts, lists, tuples
and sets), and that traceable encodes without any pickle, is sent as :func:`traceable.dump`
text in lossless mode (tuples, non-string keys, dict subclasses and shared references are
kept) and rebuilt by :func:`traceable.load` under the registered policy. Any other value
(plain data, numpy arrays, objects that would need the pickle fallback) is declined with
``NotImplementedError``, which makes Dask try the next family in the list: plain data
crosses exactly as before.

Dask pickles the task graph itself, functions and literal arguments included, whatever the
client's families: to ship a traced object to a task as JSON, scatter it
(``client.submit(task, client.scatter(config))``) or pass its dump text. Data that moves
from one worker to another goes by Dask's default families (``dask``, then ``pickle``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import traceable
from traceable._api import policy_for
from traceable._policy import LoadPolicy

if TYPE_CHECKING:
    from distributed import Client, WorkerPlugin

__all__ = ["FAMILY", "register", "worker_plugin"]

FAMILY = "traceable"
"""The family's name, to list in ``Client(serializers=..., deserializers=...)``."""

_MISSING = "traceable.contrib.dask needs Dask's distributed package: pip install distributed"


def register(
    client: Client | None = None,
    *,
    safe: bool = False,
    allow: Iterable[str] | None = None,
    policy: LoadPolicy | None = None,
) -> None:
    """Register the ``traceable`` serialization family in this process, and on ``client``'s workers.

    Registering again replaces the family's load policy; nothing is registered twice.

    Args:
        client: a synchronous client whose workers, those running now and any that start
            later, register the family too (through a worker plugin named ``"traceable"``);
            None for this process only. For an asynchronous client, await
            ``client.register_plugin(worker_plugin(...))``.
        safe: rebuild received payloads as ``traceable.load(..., safe=True)`` does: only
            natively encoded values and the symbols in ``allow``, no pickles, size limits.
        allow: with ``safe``, the exact names and module prefixes the payloads may use.
        policy: a :class:`traceable.LoadPolicy`, for finer control (instead of ``safe``/``allow``).
            Without any of these, each load applies the process's default policy then
            (trusting, unless changed by :func:`traceable.set_default_policy`).

    Raises:
        ImportError: ``distributed`` is not installed.
        TypeError: ``client`` is not a synchronous ``distributed.Client``, or the policy
            arguments conflict.

    Example:
        >>> import argparse
        >>> from distributed.protocol import deserialize, serialize
        >>> register(safe=True, allow=["argparse.Namespace"])
        >>> config = {"optimizer": traceable.trace(argparse.Namespace)(lr=0.1), "betas": (0.9, 0.99)}
        >>> header, frames = serialize(config, serializers=["traceable", "pickle"], iterate_collection=False)
        >>> header["serializer"]
        'traceable'
        >>> print(bytes(frames[0]).decode())  # doctest: +NORMALIZE_WHITESPACE
        {"__lossless__": 1, "value": {"optimizer": {"__symbol__": "path:argparse.Namespace", "__kwargs__": {"lr": 0.1}},
         "betas": {"__tuple__": [0.9, 0.99]}}}
        >>> back = deserialize(header, frames)
        >>> back, back["optimizer"].trace_kwargs
        ({'optimizer': Namespace(lr=0.1), 'betas': (0.9, 0.99)}, {'lr': 0.1})
        >>> serialize({"lr": 0.1}, serializers=["traceable", "pickle"])[0]["serializer"]  # no traced object
        'pickle'
    """
    active = _policy(safe, allow, policy)
    try:
        import distributed
        from distributed.protocol.serialize import register_serialization_family
    except ImportError as err:
        raise ImportError(_MISSING) from err
    if client is not None and not isinstance(client, distributed.Client):
        message = f"register() takes a distributed.Client, not {type(client).__name__}: Client(cluster) makes one"
        raise TypeError(message)
    if client is not None and client.asynchronous:
        message = (
            "register() cannot wait for an asynchronous client; call register() without it for this "
            "process, then: await client.register_plugin(worker_plugin(...), name='traceable')"
        )
        raise TypeError(message)
    # distributed leaves this function unannotated.
    register_serialization_family(FAMILY, dumps, functools.partial(loads, policy=active))  # type: ignore[no-untyped-call]
    if client is not None:
        client.register_plugin(_plugin(active), name=FAMILY)


def worker_plugin(
    *, safe: bool = False, allow: Iterable[str] | None = None, policy: LoadPolicy | None = None
) -> WorkerPlugin:
    """A Dask worker plugin that registers the family, with this policy, on every worker it reaches.

    :func:`register` with a client installs it for you; use this one for an asynchronous
    client (``await client.register_plugin(worker_plugin(safe=True), name="traceable")``).
    The arguments are those of :func:`register`.

    Raises:
        ImportError: ``distributed`` is not installed.

    Example:
        >>> worker_plugin(safe=True, allow=["mypkg"]).policy.allow
        ('mypkg',)
    """
    return _plugin(_policy(safe, allow, policy))


def dumps(value: Any) -> tuple[dict[str, Any], list[bytes]]:
    """The family's writer: ``value`` as lossless dump text, if it holds a traced object and needs no pickle.

    Raises:
        NotImplementedError: the value holds no traced object, or a part of it would need
            the pickle fallback or has no encoding; Dask then tries its next family.

    Example:
        >>> import argparse
        >>> dumps([traceable.trace(argparse.Namespace)(a=1)])
        ({}, [b'{"__lossless__": 1, "value": [{"__symbol__": "path:argparse.Namespace", "__kwargs__": {"a": 1}}]}'])
    """
    if not _holds_traced(value):
        raise NotImplementedError("it holds no traced object")
    try:
        # Lossless: a transport must give back what it was given, tuples included.
        # pickle_size_limit=0: every pickle is too large, so the text never holds one and a
        # worker's safe policy never has to refuse one; such values go to the next family.
        text = traceable.dump(value, lossless=True, pickle_size_limit=0)
    except traceable.EncodeError as err:
        raise NotImplementedError(str(err)) from err
    return {}, [text.encode("utf-8")]


def loads(header: dict[str, Any], frames: list[Any], *, policy: LoadPolicy | None = None) -> Any:
    """The family's reader: the frames' dump text, rebuilt with ``traceable.load`` under ``policy``.

    Raises:
        traceable.UnsafePayloadError: the policy refuses the payload; nothing it names was
            imported, called or unpickled.
        traceable.DecodeError: the payload is malformed, or a value in it cannot be rebuilt.

    Example:
        >>> loads({}, [b'{"__set__": [1, 2]}'], policy=traceable.LoadPolicy.safe())
        {1, 2}
    """
    return traceable.load(b"".join(frames), policy=policy)


def _holds_traced(value: Any) -> bool:
    # Iterative, so a deeply nested value cannot overflow the stack here; each container
    # once, so a value that contains itself ends the walk.
    stack = [value]
    seen: set[int] = set()
    while stack:
        item = stack.pop()
        if traceable.is_traceable(item, must_be_instance=True):
            return True
        if isinstance(item, (dict, list, tuple, set, frozenset)):
            if id(item) in seen:
                continue
            seen.add(id(item))
            stack.extend(item.values() if isinstance(item, dict) else item)
    return False


def _policy(safe: bool, allow: Iterable[str] | None, policy: LoadPolicy | None) -> LoadPolicy | None:
    # None, when nothing is asked for: each load then applies the default policy of its time.
    if not safe and allow is None and policy is None:
        return None
    return policy_for(safe, allow, policy)


def _plugin(policy: LoadPolicy | None) -> WorkerPlugin:
    try:
        from traceable.contrib._dask_plugin import TraceablePlugin
    except ImportError as err:
        raise ImportError(_MISSING) from err
    return TraceablePlugin(policy)
