"""Classes and functions traced by the real NNI 3.0 (imported only by tests/compat)."""

from __future__ import annotations

from typing import Any

import nni
from nni.common.serializer import SerializableObject, _formulate_arguments


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


class NniStyleSpace:
    """Traceable per instance, as NNI 3.0's ModelSpace and NAS layers are (its TraceableMixin).

    The class has trace_symbol and trace_copy; trace_args and trace_kwargs are set on each
    instance by an __init__ wrapper that __init_subclass__ installs on every subclass.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        original = cls.__init__

        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            if not hasattr(self, "trace_args") and not hasattr(self, "trace_kwargs"):
                # As TraceableMixin.auto_save_init_arguments does.
                args, kwargs = _formulate_arguments(original, args, kwargs, True, True)
                self.trace_args = tuple(args)
                self.trace_kwargs = dict(kwargs)
            original(self, *args, **kwargs)

        cls.__init__ = __init__  # type: ignore[method-assign]

    @property
    def trace_symbol(self) -> Any:
        return self.__class__

    def trace_copy(self) -> Any:
        return SerializableObject(self.__class__, list(self.trace_args), self.trace_kwargs)


class NniStyleNet(NniStyleSpace):
    def __init__(self, width: int, depth: int = 2) -> None:
        self.width = width
        self.depth = depth

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NniStyleNet) and (self.width, self.depth) == (other.width, other.depth)
