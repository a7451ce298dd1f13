"""Traced objects pickle, copy, and cross process boundaries, staying traced."""

from __future__ import annotations

import collections
import copy
import multiprocessing
import pickle
import subprocess
import sys

import cloudpickle
import pytest

import samples
import traceable
from traceable import is_traceable, trace

PICKLERS = [pytest.param(pickle, id="pickle"), pytest.param(cloudpickle, id="cloudpickle")]


def _traced_objects():
    return {
        "decorated class": samples.Layer(3, act="relu"),
        "nested": samples.Model([samples.Layer(1)], head=samples.Positional(2)),
        "inline library class": trace(collections.OrderedDict)(a=1),
        "function result object": samples.make_plain(4),
        "function result dict": samples.make_dict(5),
        "function result tuple": samples.make_tuple(3),
        "function returning None": samples.make_none(6),
        "old-style super": samples.Py2Super(7),
        "nested class": samples.Outer.Inner(8),
        "inheritable child": samples.InheritableChild(9),
        "positional only": samples.PositionalOnly(1, 2),
        "keywords only": samples.Layer(width=3, act="relu"),
        "keywords only, frozen class": trace(samples.Frozen)(name="n", size=2),
        "keywords only, traced subclass": trace(samples.UndecoratedChild)(width=6),
    }


OBJECTS = _traced_objects()


def _assert_same_trace(a, b):
    assert is_traceable(b)
    assert type(b).__name__ == type(a).__name__
    assert isinstance(b, type(a).__mro__[-2]) or type(b) is type(a)
    assert b.trace_symbol is a.trace_symbol
    assert b.trace_args == a.trace_args
    assert b.trace_kwargs == a.trace_kwargs


@pytest.mark.parametrize("pickler", PICKLERS)
@pytest.mark.parametrize("name", list(OBJECTS))
def test_traced_objects_pickle_and_stay_traced(pickler, name):
    obj = OBJECTS[name]
    loaded = pickler.loads(pickler.dumps(obj))
    _assert_same_trace(obj, loaded)
    assert type(loaded) is type(obj)
    if not isinstance(obj, traceable.TraceRecord):
        assert loaded == obj or vars(loaded) == vars(obj)


@pytest.mark.parametrize("name", list(OBJECTS))
def test_copy_and_deepcopy_keep_the_record(name):
    obj = OBJECTS[name]
    for copier in (copy.copy, copy.deepcopy):
        _assert_same_trace(obj, copier(obj))


def test_deepcopy_copies_the_record_too():
    layer = samples.Layer([1, 2])
    clone = copy.deepcopy(layer)
    clone.trace_kwargs["width"].append(3)
    assert layer.trace_kwargs == {"width": [1, 2]}


def test_inline_traced_local_class_pickles_with_cloudpickle():
    class Local:
        def __init__(self, a):
            self.a = a

    obj = trace(Local)(a=1)
    loaded = cloudpickle.loads(cloudpickle.dumps(obj))
    assert loaded.a == 1
    assert loaded.trace_kwargs == {"a": 1}


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_traced_objects_cross_processes_under_every_start_method(method):
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"the {method} start method does not exist on this platform")
    context = multiprocessing.get_context(method)
    objects = [
        OBJECTS[name] for name in ("decorated class", "nested", "inline library class", "function result object")
    ]
    with context.Pool(1) as pool:
        # The worker function lives in an importable module: a test module may not be
        # importable by name in a spawned child.
        results = pool.map_async(samples.describe_traced, objects).get(timeout=120)
    for obj, (symbol, args, kwargs, type_name, back) in zip(objects, results, strict=True):
        assert (symbol, args, kwargs, type_name) == (
            obj.trace_symbol,
            obj.trace_args,
            obj.trace_kwargs,
            type(obj).__name__,
        )
        _assert_same_trace(obj, back)


CHILD = """
import sys, traceable
obj = traceable.load(sys.stdin.read())
assert traceable.is_traceable(obj), obj
copy = obj.trace_copy()
copy.trace_kwargs["layers"][0] = copy.trace_kwargs["layers"][0].trace_copy().get()
copy.trace_kwargs["name"] = "mutated in " + str(sys.argv[1])
print(traceable.dump(copy.get()))
"""


def test_payload_round_trips_through_a_child_interpreter():
    model = samples.Model([samples.Layer(4)], name="parent")
    result = subprocess.run(
        [sys.executable, "-c", CHILD, "child"],
        input=traceable.dump(model),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    back = traceable.load(result.stdout)
    assert back == samples.Model([samples.Layer(4)], name="mutated in child")
    assert back.trace_kwargs["name"] == "mutated in child"


def test_a_class_traced_again_after_its_wrapper_died_pickles_to_the_new_wrapper():
    import gc

    class Temporary:
        def __init__(self, a):
            self.a = a

    first = trace(Temporary)
    del first
    gc.collect()
    obj = trace(Temporary)(a=1)
    assert trace(Temporary) is type(obj)
    clone = cloudpickle.loads(cloudpickle.dumps(obj))
    assert clone.trace_kwargs == {"a": 1}
    assert copy.copy(obj).trace_kwargs == {"a": 1}
    assert type(copy.copy(obj)) is type(obj)


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_every_pickle_protocol(protocol):
    loaded = pickle.loads(pickle.dumps(samples.Layer(3), protocol))
    assert loaded.trace_kwargs == {"width": 3}
    assert loaded == samples.Layer(3)


def test_traced_containers_that_copy_through_their_own_class_copy_once():
    d = trace(collections.defaultdict)(list, a=[1])
    assert dict(copy.copy(d)) == {"a": [1]}
    assert dict(copy.deepcopy(d)) == {"a": [1]}
    q = trace(collections.deque)(trace(collections.deque)([1]))
    assert list(q) == [1]
    assert list(copy.copy(q)) == [1]
