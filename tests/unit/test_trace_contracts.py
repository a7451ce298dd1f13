"""The contracts of trace() and of traced objects at their edges: what trace refuses, what
results it traces, what the encoder writes as a call, and how a local traced class is named."""

from __future__ import annotations

import base64
import dataclasses
import inspect
import json
import subprocess
import sys
from typing import Any

import cloudpickle
import pytest

import samples
import traceable
from traceable import TraceError, TraceRecord, dump, is_traceable, load, trace


@trace
def make_frozen(name: str, size: int = 1) -> samples.Frozen:
    return samples.Frozen(name, size)


class Guarded:
    """Refuses every assignment after __init__, as read-only proxies do."""

    def __init__(self, v: int) -> None:
        object.__setattr__(self, "v", v)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")


@trace
def make_guarded(v: int) -> Guarded:
    return Guarded(v)


def test_a_traced_function_returning_a_frozen_dataclass_traces_the_result_and_leaves_the_class_alone():
    frozen_dict = dict(vars(samples.Frozen))
    result = make_frozen("n", size=2)
    again = make_frozen("m")  # the second takes the path of classes seen before
    assert (result.name, result.size, again.name, again.size) == ("n", 2, "m", 1)
    assert isinstance(result, samples.Frozen)
    assert (result.trace_symbol, result.trace_args, result.trace_kwargs) == (make_frozen, [], {"name": "n", "size": 2})
    assert again.trace_kwargs == {"name": "m"}
    assert dump(result) == (
        '{"__symbol__": "path:tests.unit.test_trace_contracts.make_frozen", "__kwargs__": {"name": "n", "size": 2}}'
    )
    back = load(dump(result))
    assert (back.name, back.size, back.trace_kwargs) == ("n", 2, {"name": "n", "size": 2})
    assert dict(vars(samples.Frozen)) == frozen_dict  # the class is not patched
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.name = "changed"  # and its instances stay frozen
    with pytest.raises(dataclasses.FrozenInstanceError):
        samples.Frozen("x").name = "changed"


def test_a_traced_function_returning_an_instance_of_a_class_that_refuses_assignments_traces_it():
    results = [make_guarded(1), make_guarded(2)]
    assert [(r.v, r.trace_kwargs, isinstance(r, Guarded)) for r in results] == [
        (1, {"v": 1}, True),
        (2, {"v": 2}, True),
    ]
    assert Guarded.__setattr__ is vars(Guarded)["__setattr__"]
    with pytest.raises(AttributeError, match="read-only"):
        results[0].v = 3


def test_trace_refuses_an_instance_of_a_traced_class_as_it_refuses_other_instances():
    instances = [samples.Layer(3), trace(dict)(a=1), samples.make_plain(1), samples.Plain(2)]
    for obj in instances:
        with pytest.raises(TraceError, match=r"trace takes a class or a function, not a .* instance"):
            trace(obj)
    with pytest.raises(TraceError, match="it is traced already"):
        trace(samples.Layer(3))
    assert not traceable.is_wrapped_with_trace(samples.Layer(3))
    assert traceable.is_wrapped_with_trace(samples.Layer)
    assert traceable.is_wrapped_with_trace(samples.make_plain)


def test_translatable_is_abstract_as_in_nni():
    with pytest.raises(
        TypeError, match="Can't instantiate abstract class Translatable with abstract method _translate"
    ):
        traceable.Translatable()

    class Missing(traceable.Translatable):
        pass

    class Given(traceable.Translatable):
        def _translate(self) -> int:
            return 1

    with pytest.raises(TypeError, match="Can't instantiate abstract class Missing"):
        Missing()
    assert Given()._translate() == 1
    assert (inspect.isabstract(traceable.Translatable), inspect.isabstract(Given)) == (True, False)


def test_a_record_gets_the_untraced_object_with_traceable_false():
    record = TraceRecord(samples.Layer, [], {"width": 4})
    untraced = record.get(traceable=False)
    assert type(untraced) is samples.Layer.__trace_original__
    assert vars(untraced) == {"width": 4, "dropout": 0.1, "act": None}
    assert not is_traceable(untraced)
    assert record.get(traceable=True).trace_kwargs == {"width": 4}
    plain = TraceRecord(samples.make_plain, [], {"v": 5}).get(traceable=False)
    assert (type(plain), vars(plain), is_traceable(plain)) == (samples.Plain, {"v": 5}, False)
    # NNI 3.0's space.py: model.trace_copy().get(traceable=False)
    layer = samples.Layer(6)
    rebuilt = layer.trace_copy().get(traceable=False)
    assert (type(rebuilt), vars(rebuilt)) == (samples.Layer.__trace_original__, vars(layer))


def test_a_live_traced_object_gets_itself_with_either_traceable():
    layer = samples.Layer(2)
    assert layer.get(traceable=False) is layer
    assert layer.get(traceable=True) is layer
    assert layer.get() is layer
    assert trace(dict)(a=1).get("a") == 1  # the class's own get() still answers
    with pytest.raises(AttributeError, match="'Layer' object has no attribute 'get'"):
        layer.get(other=1)


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


def make_local_class() -> type:
    @trace
    class Local:
        """A class of a function's own."""

        def __init__(self, q: int = 0) -> None:
            self.q = q

        def doubled(self) -> int:
            return 2 * self.q

    return Local


def _symbol_pickle(text: str) -> bytes:
    return base64.b64decode(json.loads(text)["__symbol__"].removeprefix("bytes:"))


def test_a_traced_local_class_is_named_by_a_pickle_of_its_original_class_alone():
    local = make_local_class()
    text = dump(local(q=3))
    pickled = _symbol_pickle(text)
    # The original class and the call that traces it again; not the tracing closures.
    assert b"_traced_class" in pickled
    assert b"Binder" not in pickled
    # Was 4.3 KB, the traced class with its closures (NNI's pickle of its own is 1.0 KB).
    assert len(pickled) < len(cloudpickle.dumps(local.__trace_original__)) + 100
    back = load(text)
    assert (type(back) is local, back.q, back.doubled(), back.trace_kwargs) == (True, 3, 6, {"q": 3})
    local.unit = "cm"  # set on the traced class: pickled too
    assert b"unit" in _symbol_pickle(dump(local(q=1)))
    # In a new interpreter, where the class is unknown, it is traced again from its original.
    code = (
        "import traceable, sys; objs = traceable.load(sys.stdin.read()); "
        "print([[type(o).__name__, o.q, o.doubled(), o.trace_kwargs, type(o).unit] for o in objs]); "
        "print(type(objs[0]) is type(objs[1]) is traceable.trace(type(objs[0]).__trace_original__))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], input=dump([local(q=4), local(q=5)]), capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines() == [
        "[['Local', 4, 8, {'q': 4}, 'cm'], ['Local', 5, 10, {'q': 5}, 'cm']]",
        "True",
    ]
