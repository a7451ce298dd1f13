"""Classes and functions traced by the real NNI 3.0 (imported only by tests/compat)."""

from __future__ import annotations

from typing import Any

import nni


@nni.trace
class NniLayer:
    def __init__(self, width: int, act: Any = None) -> None:
        self.width = width
        self.act = act

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NniLayer) and (self.width, self.act) == (other.width, other.act)


@nni.trace
def nni_make(a: int, *rest: int, k: int = 1) -> Any:
    return NniLayer(a + sum(rest) + k)
