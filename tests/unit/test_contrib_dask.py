"""The ``traceable`` serialization family for Dask, in this process (the cluster is in tests/integration)."""

from __future__ import annotations

import collections
import pickle
import re
import sys

import pytest

pytest.importorskip("distributed", reason="distributed is not installed: pip install -e '.[test]' installs it")

from distributed.protocol.serialize import deserialize, families, serialize

import samples
import traceable
import worker_tasks
from traceable import trace
from traceable.contrib import dask as traceable_dask

ORDER = ["traceable", "dask", "pickle"]


@pytest.fixture(autouse=True)
def _restore_the_family():
    # The registry is process-wide: leave it as the test found it.
    saved = families.get("traceable")
    yield
    if saved is None:
        families.pop("traceable", None)
    else:
        families["traceable"] = saved


def test_a_traced_object_is_written_as_its_dump_text_and_rebuilt_traced():
    traceable_dask.register()
    model = samples.Model([samples.Layer(4, act="relu")], head=samples.Positional(1), name="mlp")
    header, frames = serialize(model, serializers=ORDER)
    assert header == {"serializer": "traceable"}
    assert frames == [traceable.dump(model, lossless=True).encode()]
    back = deserialize(header, frames)
    assert type(back) is samples.Model
    assert back == model
    assert back.trace_kwargs == model.trace_kwargs
    assert traceable.dump(back) == traceable.dump(model)


def test_an_object_pickle_refuses_crosses_when_it_is_traced():
    traceable_dask.register()
    experiment = worker_tasks.Experiment(model=samples.Layer(3), lr=0.1, steps=2)
    with pytest.raises(TypeError, match=r"cannot pickle '_thread\.lock' object"):
        pickle.dumps(experiment)
    header, frames = serialize(experiment, serializers=ORDER)
    assert (header["serializer"], bytes(frames[0])) == (
        "traceable",
        b'{"__lossless__": 1, "value": {"__symbol__": "path:worker_tasks.Experiment", "__kwargs__": '
        b'{"model": {"__symbol__": "path:samples.Layer", "__kwargs__": {"width": 3}}, "lr": 0.1, "steps": 2}}}',
    )
    back = deserialize(header, frames)
    assert type(back) is worker_tasks.Experiment
    assert (back.model, back.lr, back.steps) == (samples.Layer(3), 0.1, 2)


def test_values_holding_traced_objects_come_back_whole_tuples_keys_and_shared_references_kept():
    traceable_dask.register()
    layer = samples.Layer((3, 4))
    value = {"trials": [(1, {2: "a"}), layer, layer], "ordered": collections.OrderedDict(b=1)}
    header, frames = serialize(value, serializers=ORDER, iterate_collection=False)
    assert header["serializer"] == "traceable"
    back = deserialize(header, frames)
    assert back == value
    assert type(back["trials"][0]) is tuple
    assert type(back["ordered"]) is collections.OrderedDict
    assert back["trials"][1] is back["trials"][2]
    assert back["trials"][1].trace_kwargs == {"width": (3, 4)}


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(trace(collections.OrderedDict)(a=1), id="a traced dict subclass"),
        pytest.param(samples.make_dict(5), id="a traced function's dict result"),
        pytest.param(samples.make_tuple(3), id="a traced function's tuple result"),
    ],
)
def test_traced_builtin_values_keep_their_type_and_record(value):
    traceable_dask.register()
    header, frames = serialize(value, serializers=ORDER, iterate_collection=False)
    assert header["serializer"] == "traceable"
    back = deserialize(header, frames)
    assert back == value
    assert isinstance(back, type(value).__mro__[1])
    assert (back.trace_symbol, back.trace_kwargs) == (value.trace_symbol, value.trace_kwargs)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param((1, {2: "a"}), id="plain data: tuples and int keys stay as they are"),
        pytest.param(samples.Plain(3), id="an untraced object"),
        pytest.param(samples.Layer(samples.Plain(1)), id="a traced object holding what only a pickle encodes"),
        pytest.param(trace(samples.Layer), id="a traced class, not an instance"),
    ],
)
def test_values_the_family_declines_go_to_the_next_family(value):
    traceable_dask.register()
    header, frames = serialize(value, serializers=ORDER, iterate_collection=False)
    assert header["serializer"] == "pickle"
    back = deserialize(header, frames)
    assert type(back) is type(value)
    assert back == value


def test_plain_data_that_contains_itself_is_declined_not_walked_forever():
    traceable_dask.register()
    loop: dict = {"x": 1}
    loop["self"] = [loop]
    header, frames = serialize(loop, serializers=ORDER, iterate_collection=False)
    assert header["serializer"] == "pickle"
    back = deserialize(header, frames)
    assert back["self"][0] is back


def test_a_traced_object_inside_a_cycle_of_lists_crosses_through_the_family():
    traceable_dask.register()
    loop: list = [samples.Layer(2)]
    loop.append(loop)
    header, frames = serialize(loop, serializers=ORDER, iterate_collection=False)
    assert header["serializer"] == "traceable"
    back = deserialize(header, frames)
    assert back[1] is back
    assert back[0].trace_kwargs == {"width": 2}


def test_a_declined_value_with_no_next_family_fails_as_dask_reports_it():
    traceable_dask.register()
    with pytest.raises(TypeError, match="Could not serialize object of type Layer"):
        serialize(samples.Layer(lambda x: x), serializers=["traceable"], on_error="raise")


def test_the_writer_says_why_it_declines():
    with pytest.raises(NotImplementedError, match="it holds no traced object"):
        traceable_dask.dumps({"lr": 0.1})
    with pytest.raises(NotImplementedError) as caught:
        traceable_dask.dumps(samples.Layer(samples.Plain(1)))
    assert re.fullmatch(
        r"cannot encode a samples\.Plain at \$\.__kwargs__\.width: its pickle is \d+ bytes \(limit 0\); decorate its "
        r"class, or the function that makes it, with @traceable\.trace, or pass pickle_size_limit=-1",
        str(caught.value),
    )
    assert type(caught.value.__cause__) is traceable.PayloadTooLarge


def test_the_safe_policy_refuses_what_the_allow_list_does_not_name(tmp_path):
    marker = tmp_path / "built"
    traceable_dask.register(safe=True, allow=["samples"])
    header, frames = serialize(
        traceable.TraceRecord(worker_tasks.Tripwire, [], {"path": str(marker)}), serializers=ORDER
    )
    assert header["serializer"] == "traceable"
    with pytest.raises(traceable.UnsafePayloadError) as caught:
        deserialize(header, frames)
    assert (caught.value.symbol, caught.value.rule, caught.value.path) == ("worker_tasks.Tripwire", "allow", "$.value")
    assert not marker.exists()
    assert deserialize(*serialize(samples.Layer(1), serializers=ORDER)) == samples.Layer(1)


def test_registering_again_replaces_the_policy_and_nothing_else():
    traceable_dask.register(safe=True, allow=["samples.Layer"])
    traceable_dask.register(safe=True, allow=["samples.Layer"])
    assert families["traceable"][0] is traceable_dask.dumps
    assert families["traceable"][1].keywords == {"policy": traceable.LoadPolicy.safe(allow=["samples.Layer"])}
    payload = serialize(samples.Positional(1), serializers=ORDER)
    with pytest.raises(traceable.UnsafePayloadError, match=r"samples\.Positional"):
        deserialize(*payload)
    traceable_dask.register(policy=traceable.LoadPolicy.safe(allow=["samples"]))
    assert deserialize(*payload) == samples.Positional(1)


def test_without_a_policy_each_load_applies_the_default_of_its_time():
    traceable_dask.register()
    assert families["traceable"][1].keywords == {"policy": None}
    payload = serialize(samples.Layer(1), serializers=ORDER)
    previous = traceable.set_default_policy(traceable.LoadPolicy.safe())
    try:
        with pytest.raises(traceable.UnsafePayloadError, match=r"samples\.Layer"):
            deserialize(*payload)
    finally:
        traceable.set_default_policy(previous)
    assert deserialize(*payload) == samples.Layer(1)


def test_conflicting_policy_arguments_are_refused_before_registering():
    families.pop("traceable", None)
    with pytest.raises(TypeError, match="pass either policy= or safe=/allow=, not both"):
        traceable_dask.register(safe=True, policy=traceable.LoadPolicy.safe())
    with pytest.raises(TypeError, match="allow= extends the safe policy: pass safe=True as well"):
        traceable_dask.worker_plugin(allow=["samples"])
    assert "traceable" not in families


def test_the_worker_plugin_registers_its_policy_and_pickles_by_reference():
    plugin = traceable_dask.worker_plugin(safe=True, allow=["samples"])
    clone = pickle.loads(pickle.dumps(plugin))
    assert type(clone).__module__ == "traceable.contrib._dask_plugin"
    clone.setup(worker=None)
    assert families["traceable"][1].keywords == {"policy": traceable.LoadPolicy.safe(allow=["samples"])}


def test_without_distributed_register_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed.protocol.serialize", None)
    monkeypatch.delitem(sys.modules, "traceable.contrib._dask_plugin", raising=False)
    monkeypatch.setitem(sys.modules, "distributed", None)
    message = r"traceable.contrib.dask needs Dask's distributed package: pip install distributed"
    with pytest.raises(ImportError, match=message):
        traceable_dask.register()
    with pytest.raises(ImportError, match=message):
        traceable_dask.worker_plugin()


def test_importing_the_module_imports_no_dask():
    import subprocess

    code = "import sys, traceable.contrib.dask; print(sorted(m for m in ('dask', 'distributed') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]"
