"""The only user of cloudpickle: the size-limited, base64 pickle fallback."""

from __future__ import annotations

import base64
import binascii
import sys
from typing import Any

import cloudpickle

from traceable.exceptions import DecodeError

# Written beside each pickled object, so that a load elsewhere can say why it fails.
VERSIONS = {"python": f"{sys.version_info.major}.{sys.version_info.minor}", "cloudpickle": cloudpickle.__version__}


def pickle_b64(obj: Any) -> tuple[str, int]:
    """Pickle ``obj`` with cloudpickle; return its base64 text and the pickle's size in bytes."""
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
