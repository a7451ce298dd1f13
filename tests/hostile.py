"""Helpers for the hostile payloads of test_safe_loading: each leaves a file behind if run."""

from __future__ import annotations

from os import system as run_command  # noqa: F401  # a re-export of a dangerous function
from pathlib import Path
from typing import Any


class SideEffectOnLoad:
    """``_load`` touches the file named by its ``marker`` field."""

    @staticmethod
    def _load(**fields: Any) -> SideEffectOnLoad:
        Path(fields["marker"]).touch()
        return SideEffectOnLoad()


class TouchOnUnpickle:
    """Unpickling it touches a file (its __reduce__ names Path.touch)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> Any:
        return (Path.touch, (Path(self.marker),))
