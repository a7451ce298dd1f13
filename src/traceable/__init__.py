"""Record how objects were made, and ship them between processes and machines as JSON.

``@trace`` makes every instance of a class (or result of a function) remember the call
that made it; ``dump`` writes any nested structure to JSON, wire-compatible with NNI
3.0's ``nni.dump``; ``load`` rebuilds it anywhere.

Example:
    >>> import argparse
    >>> Config = trace(argparse.Namespace)
    >>> text = dump({"model": Config(width=8)})
    >>> text
    '{"model": {"__symbol__": "path:argparse.Namespace", "__kwargs__": {"width": 8}}}'
    >>> load(text)["model"]
    Namespace(width=8)
    >>> load(text)["model"].trace_kwargs
    {'width': 8}
"""

from traceable._api import audit, dump, dump_bytes, load, load_bytes
from traceable._arguments import Translatable
from traceable._audit import Finding
from traceable._policy import LoadPolicy, get_default_policy, set_default_policy
from traceable._registry import register_codec
from traceable._traced import Traceable, TraceRecord, is_traceable
from traceable._tracing import is_wrapped_with_trace, trace
from traceable.exceptions import (
    DecodeError,
    EncodeError,
    PayloadTooLarge,
    SearchSpaceError,
    TraceableError,
    TraceError,
    UnsafePayloadError,
)

__version__ = "0.1.0"
"""The version of this package, as ``traceable --version`` prints it."""

__all__ = [
    "DecodeError",
    "EncodeError",
    "Finding",
    "LoadPolicy",
    "PayloadTooLarge",
    "SearchSpaceError",
    "TraceError",
    "TraceRecord",
    "Traceable",
    "TraceableError",
    "Translatable",
    "UnsafePayloadError",
    "__version__",
    "audit",
    "dump",
    "dump_bytes",
    "get_default_policy",
    "is_traceable",
    "is_wrapped_with_trace",
    "load",
    "load_bytes",
    "register_codec",
    "set_default_policy",
    "trace",
]

# Show the public path in reprs and tracebacks, not the private module.
for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("traceable._"):
        _obj.__module__ = __name__
del _name, _obj
