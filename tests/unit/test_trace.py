"""trace(): what a traced class or function records, and how it still behaves."""

from __future__ import annotations

import abc
import collections
import inspect
import warnings

import pytest

import samples
import traceable
from traceable import TraceError, TraceRecord, is_traceable, is_wrapped_with_trace, trace


def test_traced_class_records_keyword_arguments_by_name():
    layer = samples.Layer(3, dropout=0.2)
    assert layer.trace_symbol is samples.Layer
    assert layer.trace_args == []
    assert layer.trace_kwargs == {"width": 3, "dropout": 0.2}
    assert (layer.width, layer.dropout, layer.act) == (3, 0.2, None)


def test_traced_class_keeps_the_identity_of_the_original():
    original = samples.Layer
    assert samples.Layer.__name__ == "Layer"
    assert samples.Layer.__qualname__ == "Layer"
    assert samples.Layer.__module__ == "samples"
    assert samples.Layer.__doc__ == "A layer with a width."
    assert samples.Layer is original
    assert (
        str(inspect.signature(samples.Layer)) == "(width: 'int', dropout: 'float' = 0.1, act: 'Any' = None) -> 'None'"
    )
    assert str(inspect.signature(samples.Layer.__init__)) == str(inspect.signature(original.__init__))
    assert issubclass(samples.Layer, original)
    assert isinstance(samples.Layer(1), original)


def test_record_stays_out_of_the_instance_dict():
    layer = samples.Layer(3)
    assert vars(layer) == {"width": 3, "dropout": 0.1, "act": None}
    assert samples.Layer(3) == layer


def test_calls_by_keyword_record_the_same_whatever_the_class_does_with_attributes():
    # Each is read first by dump (which changes nothing), then through the interface.
    frozen = trace(samples.Frozen)
    cases = [
        (samples.Layer(width=3, act="relu"), samples.Layer, {"width": 3, "act": "relu"}),
        (frozen(name="n", size=2), samples.Frozen, {"name": "n", "size": 2}),
        (trace(samples.UndecoratedChild)(width=6), samples.UndecoratedChild, {"width": 6}),
        (samples.InheritableChild(v=4), samples.Inheritable, {"v": 4}),
    ]
    for obj, symbol, kwargs in cases:
        back = traceable.load(traceable.dump(obj))
        assert (back.trace_symbol, back.trace_args, back.trace_kwargs) == (symbol, [], kwargs)
        assert (obj.trace_symbol, obj.trace_args, obj.trace_kwargs) == (symbol, [], kwargs)
        obj.trace_kwargs["extra"] = 1
        assert obj.trace_copy().trace_kwargs == {**kwargs, "extra": 1}


def test_tracing_a_traced_symbol_returns_it_unchanged():
    assert trace(samples.Layer) is samples.Layer
    assert trace(samples.varargs) is samples.varargs


def test_tracing_the_same_class_twice_gives_the_same_wrapper():
    assert trace(collections.OrderedDict) is trace(collections.OrderedDict)


def test_kw_only_false_keeps_positional_arguments():
    obj = samples.Positional(1, b=5)
    assert obj.trace_args == [1]
    assert obj.trace_kwargs == {"b": 5}


def test_positional_only_parameters_stay_positional():
    obj = samples.PositionalOnly(1, 2, c=4)
    assert obj.trace_args == [1]
    assert obj.trace_kwargs == {"b": 2, "c": 4}
    assert (obj.a, obj.b, obj.c) == (1, 2, 4)


def test_everything_from_star_args_on_stays_positional():
    result = samples.varargs(1, 2, 3, k=5)
    assert result.trace_args == [1, 2, 3]
    assert result.trace_kwargs == {"k": 5}
    assert result.v == {"a": 1, "rest": [2, 3], "k": 5}


def test_calls_that_python_rejects_still_raise_pythons_error():
    with pytest.raises(TypeError, match="positional argument"):
        samples.Layer(1, 2, 3, 4)
    with pytest.raises(TypeError, match="multiple values"):
        samples.Layer(1, width=2)


def test_generators_are_expanded_into_lists_before_the_call():
    result = samples.consume(x * 2 for x in range(3))
    assert result == [0, 2, 4]
    assert result.trace_kwargs == {"items": [0, 2, 4]}


def test_callee_gets_shallow_copies_so_the_record_cannot_change():
    traced = trace(samples.Mutating)
    items, options = [1], {"a": 1}
    obj = traced(items, options)
    assert obj.items == [1, 99]
    assert obj.options == {"a": 1, "added": 1}
    assert obj.trace_kwargs == {"items": [1], "options": {"a": 1}}
    assert obj.trace_kwargs["items"] is items


def test_unwrap_parameter_is_applied_for_the_callee_only():
    param = samples.Unwrappable(4)
    layer = samples.Layer(param)
    assert layer.width == 40
    assert layer.trace_kwargs["width"] is param


def test_translatable_still_works_with_a_deprecation_warning():
    class Doubled(traceable.Translatable):
        def _translate(self):
            return 21

    with pytest.warns(DeprecationWarning, match="Translatable is deprecated"):
        layer = samples.Layer(Doubled())
    assert layer.width == 21
    assert isinstance(layer.trace_kwargs["width"], Doubled)


def test_trace_args_and_kwargs_are_settable():
    layer = samples.Layer(3)
    layer.trace_kwargs = {"width": 7}
    layer.trace_args = [1]
    layer.trace_symbol = samples.Model
    assert (layer.trace_symbol, layer.trace_args, layer.trace_kwargs) == (samples.Model, [1], {"width": 7})


def test_trace_copy_is_a_mutable_record_and_get_rebuilds_from_it():
    layer = samples.Layer(3, dropout=0.5)
    copy = layer.trace_copy()
    assert isinstance(copy, TraceRecord)
    copy.trace_kwargs["width"] = 10
    assert layer.trace_kwargs == {"width": 3, "dropout": 0.5}
    rebuilt = copy.get()
    assert type(rebuilt) is samples.Layer
    assert rebuilt == samples.Layer(10, dropout=0.5)
    assert rebuilt.trace_kwargs == {"width": 10, "dropout": 0.5}


def test_get_on_a_live_object_returns_it():
    layer = samples.Layer(3)
    assert layer.get() is layer


def test_inline_trace_of_a_library_class():
    od = trace(collections.OrderedDict)(a=1, b=2)
    assert od == collections.OrderedDict(a=1, b=2)
    assert isinstance(od, collections.OrderedDict)
    assert od.trace_symbol is collections.OrderedDict
    assert od.trace_kwargs == {"a": 1, "b": 2}
    # The class's own get() still works, next to Traceable.get().
    assert od.get("a") == 1
    assert od.get() is od


def test_custom_metaclass_is_kept():
    assert type(samples.Abstract) is abc.ABCMeta
    with pytest.raises(TypeError, match="abstract"):
        samples.Abstract(1)
    obj = samples.Concrete(5)
    assert obj.run() == 5
    assert obj.trace_symbol is samples.Concrete
    assert obj.trace_kwargs == {"a": 5}


def test_old_style_super_call_works():
    obj = samples.Py2Super(3)
    assert obj.x == 3
    assert obj.trace_kwargs == {"x": 3}


def test_nested_class():
    obj = samples.Outer.Inner(2)
    assert obj.trace_kwargs == {"z": 2}
    assert samples.Outer.Inner.__qualname__ == "Outer.Inner"


def test_undecorated_subclass_is_not_traced_but_is_an_instance():
    obj = samples.UndecoratedChild(4)
    assert isinstance(obj, samples.Layer)
    assert issubclass(samples.UndecoratedChild, samples.Layer)
    assert not is_traceable(obj)
    assert not is_wrapped_with_trace(samples.UndecoratedChild)
    assert is_wrapped_with_trace(samples.Layer)
    assert vars(obj) == {"width": 4, "dropout": 0.1, "act": None}


def test_inheritable_subclass_carries_the_superclass_record():
    obj = samples.InheritableChild(3)
    assert is_traceable(obj)
    assert obj.trace_symbol is samples.Inheritable
    assert obj.trace_kwargs == {"v": 3}
    assert trace(samples.InheritableChild) is samples.InheritableChild


def test_tracing_a_subclass_of_a_traced_class_records_the_subclass():
    traced_child = trace(samples.UndecoratedChild)
    obj = traced_child(6)
    assert obj.trace_symbol is samples.UndecoratedChild
    assert obj.trace_kwargs == {"width": 6}
    assert isinstance(obj, samples.Layer)


def test_function_returning_none_gives_an_empty_traceable_record():
    result = samples.make_none(1)
    assert result == TraceRecord(samples.make_none, [], {"v": 1})
    assert result.get() == TraceRecord(samples.make_none, [], {"v": 1})


@pytest.mark.parametrize(
    ("factory", "arg", "expected"),
    [
        (samples.make_dict, 1, {"v": 1}),
        (samples.make_list, 3, [0, 1, 2]),
        (samples.make_int, 4, 8),
        (samples.make_str, "a", "a!"),
        (samples.make_float, 3.0, 1.5),
        (samples.make_tuple, 2, (0, 1)),
    ],
)
def test_function_returning_a_primitive_gives_a_traced_equal_value(factory, arg, expected):
    result = factory(arg)
    assert result == expected
    assert isinstance(result, type(expected))
    assert result.trace_symbol is factory
    assert list(result.trace_kwargs.values()) == [arg]


def test_function_returning_a_plain_object_does_not_patch_its_class():
    result = samples.make_plain(3)
    assert result.trace_kwargs == {"v": 3}
    assert isinstance(result, samples.Plain)
    assert vars(result) == {"v": 3}
    other = samples.Plain(5)
    assert not is_traceable(other)
    assert not hasattr(samples.Plain, "trace_symbol")
    assert traceable.dump(other).startswith('{"__nni_obj__": ')


def test_function_returning_a_traced_instance_records_the_function():
    result = samples.make_layer(2)
    assert result.trace_symbol is samples.make_layer
    assert result.trace_kwargs == {"width": 2}


def test_function_returning_a_class_is_refused_with_advice():
    @trace
    def returns_class():
        return int

    with pytest.raises(TraceError, match="classes, functions, modules and files cannot carry a record"):
        returns_class()


def test_trace_refuses_what_is_not_a_class_or_function():
    with pytest.raises(TraceError, match="trace takes a class or a function, not a int instance"):
        trace(3)


def test_decorator_with_options_and_inline_use():
    @trace(kw_only=False)
    def f(a, b):
        return [a, b]

    assert f(1, 2).trace_args == [1, 2]
    assert trace(samples.square)(x=3) == 9


def test_is_traceable_on_types_and_instances():
    assert is_traceable(samples.Layer)
    assert not is_traceable(samples.Layer, must_be_instance=True)
    assert is_traceable(samples.Layer(1), must_be_instance=True)
    assert not is_traceable(1)


def test_tracing_a_builtin_class():
    traced = trace(collections.Counter)
    counter = traced("aab")
    assert counter == collections.Counter("aab")
    assert counter.trace_args == ["aab"]


def test_namedtuple_with_only_new_can_be_traced():
    Point = collections.namedtuple("Point", "x y")
    point = trace(Point)(1, 2)
    assert point == (1, 2)
    assert point.trace_args == [1, 2]


def test_tracing_emits_no_warning_for_positional_arguments():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert samples.varargs(1, 2).trace_args == [1, 2]


def test_records_of_function_results_are_freed_with_the_results():
    import gc

    from traceable import _results

    gc.collect()  # results that earlier tests left in cycles go first, not during the count
    before = len(_results._SIDE_RECORDS)
    results = [samples.make_plain(i) for i in range(100)]
    assert len(_results._SIDE_RECORDS) == before + 100
    # Reading the record through the interface stores it again, for the same object.
    assert [r.trace_kwargs["v"] for r in results] == list(range(100))
    assert len(_results._SIDE_RECORDS) == before + 100
    del results
    gc.collect()
    assert len(_results._SIDE_RECORDS) == before


def test_a_million_dropped_function_results_leave_the_side_table_as_it_was():
    from traceable import _results

    before = len(_results._SIDE_RECORDS)
    kept = samples.make_plain(-1)
    for i in range(1_000_000):
        result = samples.make_plain(i)
    assert result.trace_kwargs == {"v": 999_999}
    assert len(_results._SIDE_RECORDS) == before + 2
    del result
    assert len(_results._SIDE_RECORDS) == before + 1
    assert kept.trace_kwargs == {"v": -1}


def test_records_of_function_results_in_reference_cycles_are_freed_by_the_collector():
    import gc

    from traceable import _results

    before = len(_results._SIDE_RECORDS)
    results = [samples.make_plain(None) for _ in range(10)]
    for result in results:
        result.v = result  # a cycle: only the collector frees it
    del results, result
    gc.collect()
    assert len(_results._SIDE_RECORDS) == before


def test_a_function_result_class_with_its_own_del_still_runs_it():
    deleted = []

    class Noted:
        def __init__(self, v):
            self.v = v

        def __del__(self):
            deleted.append(self.v)

    @trace
    def make_noted(v):
        return Noted(v)

    result = make_noted(7)
    assert result.trace_kwargs == {"v": 7}
    del result
    assert deleted == [7]


def test_function_results_without_weak_references_can_be_traced():
    @trace
    def make_slotted(x):
        return samples.Slotted(x)

    result = make_slotted(3)
    assert result == samples.Slotted(3)
    assert isinstance(result, samples.Slotted)
    assert result.trace_kwargs == {"x": 3}
    assert traceable.load(traceable.dump(result)).trace_kwargs == {"x": 3}


def test_threads_reading_a_new_record_at_once_share_one_mutable_record():
    import sys
    import threading

    objects = [samples.Layer(i) for i in range(300)] + [samples.make_plain(i) for i in range(300)]
    barrier = threading.Barrier(6)
    seen: list[list[int]] = []

    def read() -> None:
        barrier.wait()
        seen.append([id(obj.trace_kwargs) for obj in objects])

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, to meet the race if there is one
    try:
        threads = [threading.Thread(target=read) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert len(seen) == 6
    assert all(ids == seen[0] for ids in seen)
    assert [id(obj.trace_kwargs) for obj in objects] == seen[0]
