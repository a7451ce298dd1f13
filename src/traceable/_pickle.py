"""The only user of cloudpickle: the size-limited, base64 pickle fallback."""

from __future__ import annotations

import base64
import binascii
import io
import sys
from typing import Any

import cloudpickle

from traceable.exceptions import DecodeError

# Written beside each pickled object, so that a load elsewhere can say why it fails.
VERSIONS = {"python": f"{sys.version_info.major}.{sys.version_info.minor}", "cloudpickle": cloudpickle.__version__}


REBUILD = "__trace_rebuild__"
"""In the own ``__dict__`` of a class that ``trace`` made: ``(factory, args)`` that makes it again."""
MADE = "__trace_made__"
"""Beside it: the class's ``__dict__`` as made, to tell what was set on the class since."""
# Set on a traced class by tracing itself, after it was made: never pickled.
_SET_BY_TRACING = frozenset({MADE, "__trace_symbol__"})


class _Recursive(Exception):
    # A class made by trace is reached again while the arguments that rebuild it are
    # pickled (its original's methods name it): rebuilding it would trace a class not
    # yet complete, so it is pickled whole instead.
    pass


class _ClassPickler(cloudpickle.Pickler):  # type: ignore[misc]  # cloudpickle ships no type hints
    """Pickles a class that ``trace`` made and pickle cannot find by name as the call that
    makes it again (``trace(original)``), not as itself: the original class alone, about
    a quarter of the size, without the tracing closures and their references."""

    def __init__(self, file: io.BytesIO) -> None:
        super().__init__(file)
        self._rebuilding: set[int] = set()

    def reducer_override(self, obj: Any) -> Any:
        reduced = super().reducer_override(obj)
        if reduced is NotImplemented or not isinstance(obj, type):  # found by name, or not a class
            return reduced
        rebuild = vars(obj).get(REBUILD)
        if rebuild is None:
            return reduced
        if id(obj) in self._rebuilding:  # an object is memoized once pickled: this is a cycle
            raise _Recursive
        self._rebuilding.add(id(obj))
        made = vars(obj).get(MADE, {})
        changed = {
            name: value
            for name, value in vars(obj).items()
            if made.get(name, _changed) is not value and name not in _SET_BY_TRACING
        }
        if changed:  # attributes set on the class after trace made it (Net.unit = "cm")
            return (_remake, (*rebuild, changed))
        return rebuild


_changed = object()  # what no attribute of a class is


def _remake(factory: Any, args: tuple[Any, ...], changed: dict[str, Any]) -> type:
    # Unpickling a traced class with attributes set after trace made it.
    cls: type = factory(*args)
    for name, value in changed.items():
        setattr(cls, name, value)
    return cls


def pickle_b64(obj: Any) -> tuple[str, int]:
    """Pickle ``obj`` with cloudpickle; return its base64 text and the pickle's size in bytes."""
    # Only for a traced class itself (instances of one rebuild theirs in __reduce_ex__):
    # a reducer of our own costs every other pickle a Python call per object.
    if isinstance(obj, type) and REBUILD in vars(obj):
        with io.BytesIO() as file:
            try:
                _ClassPickler(file).dump(obj)
                data = file.getvalue()
            except _Recursive:
                data = cloudpickle.dumps(obj)
    else:
        data = cloudpickle.dumps(obj)
    return base64.b64encode(data).decode("ascii"), len(data)


def unpickle_b64(text: Any, *, what: str, made_with: dict[str, Any] | None = None) -> Any:
    """Rebuild an object from :func:`pickle_b64` text.

    ``made_with`` holds the versions written beside the pickle (see ``VERSIONS``), if any.

    Raises:
        DecodeError: the text is not base64, or the pickle does not load here (for
            example because it was made by another Python or cloudpickle version).
    """
    if not isinstance(text, str):
        raise DecodeError(f"{what} must be a base64 string, got {type(text).__name__}")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as err:
        raise DecodeError(f"{what} is not valid base64: {err}") from err
    try:
        return cloudpickle.loads(data)
    except Exception as err:
        made = {key: value for key, value in (made_with or {}).items() if key in VERSIONS}
        differs = {key: value for key, value in made.items() if value != VERSIONS[key]}
        if differs:
            then = " and ".join(f"{key} {value}" for key, value in made.items())
            now = " and ".join(f"{key} {VERSIONS[key]}" for key in made)
            cause = f"it was made with {then}, and this is {now}: load it where the versions match"
        else:
            cause = "pickles load only where the modules they refer to are importable, at compatible versions"
        raise DecodeError(
            f"{what} ({len(data):,} bytes of pickle) could not be unpickled ({type(err).__name__}: {err}); {cause}"
        ) from err
