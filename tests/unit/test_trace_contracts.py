"""The contracts of trace() and of traced objects at their edges: what trace refuses, what
results it traces, what the encoder writes as a call, and how a local traced class is named."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import samples
from traceable import TraceRecord, dump, is_traceable, load


class PerInstance:
    """Implements NNI's Traceable as NNI's NAS layers do: trace_args/trace_kwargs on the instance."""

    def __init__(self, width: int, name: str = "x") -> None:
        self.trace_args: tuple[Any, ...] = ()
        self.trace_kwargs = {"width": width, "name": name}
        self.width, self.name = width, name

    @property
    def trace_symbol(self) -> type:
        return type(self)

    def trace_copy(self) -> TraceRecord:
        return TraceRecord(type(self), list(self.trace_args), dict(self.trace_kwargs))


@dataclasses.dataclass
class PerInstanceConfig:
    """A dataclass (which has a codec of its own) made traceable per instance."""

    lr: float

    def __post_init__(self) -> None:
        self.trace_symbol, self.trace_args, self.trace_kwargs = PerInstanceConfig, [], {"lr": self.lr}
        self.trace_copy = lambda: TraceRecord(PerInstanceConfig, [], {"lr": self.lr})


def test_objects_traceable_per_instance_are_written_as_calls():
    layer = PerInstance(3)
    config = PerInstanceConfig(0.5)
    assert (is_traceable(layer), is_traceable(config)) == (True, True)
    module = "path:tests.unit.test_trace_contracts"
    assert dump({"layer": layer, "config": config}) == (
        f'{{"layer": {{"__symbol__": "{module}.PerInstance", "__kwargs__": {{"width": 3, "name": "x"}}}}, '
        f'"config": {{"__symbol__": "{module}.PerInstanceConfig", "__kwargs__": {{"lr": 0.5}}}}}}'
    )
    back = load(dump([layer, config]))
    assert [(type(b).__trace_original__, b.trace_kwargs) for b in back] == [
        (PerInstance, {"width": 3, "name": "x"}),
        (PerInstanceConfig, {"lr": 0.5}),
    ]
    # The same classes, not traceable on an instance: as before, the pickle and the dataclass codec.
    bare = PerInstance.__new__(PerInstance)
    bare.width = 1
    assert json.loads(dump(bare)).keys() == {"__nni_obj__", "python", "cloudpickle"}
    assert dump(samples.Hyper(0.1)) == (
        '{"__dataclass__": {"type": {"__nni_type__": "path:samples.Hyper"}, '
        '"fields": {"lr": 0.1, "layers": [], "steps": 0}}}'
    )
    assert dump(layer, use_trace=False).startswith('{"__nni_obj__": ')
