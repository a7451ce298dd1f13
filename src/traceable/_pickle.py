"""The only user of cloudpickle: the size-limited, base64 pickle fallback."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import cloudpickle

from traceable.exceptions import DecodeError


def pickle_b64(obj: Any) -> tuple[str, int]:
    """Pickle ``obj`` with cloudpickle; return its base64 text and the pickle's size in bytes."""
    data = cloudpickle.dumps(obj)
    return base64.b64encode(data).decode("ascii"), len(data)


def unpickle_b64(text: Any, *, what: str) -> Any:
    """Rebuild an object from :func:`pickle_b64` text.

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
        raise DecodeError(
            f"{what} ({len(data):,} bytes of pickle) could not be unpickled: "
            f"{type(err).__name__}: {err}. Pickles only load under the same Python and "
            "library versions that made them, with the same modules importable"
        ) from err
