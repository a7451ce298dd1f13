"""Traced objects and payloads cross real process engines: multiprocessing, ProcessPoolExecutor, Dask.

tests/unit/test_pickling.py checks that a traced object comes back from a
``multiprocessing.Pool`` worker with its record. Here the worker also builds objects from
records and payloads and sends them back, under the spawn and forkserver start methods,
through both standard pools; and a real Dask ``LocalCluster`` with worker processes ships
traced objects through the ``traceable`` serialization family, under a safe load policy.
"""

from __future__ import annotations

import collections
import concurrent.futures
import multiprocessing
import os
import pickle

import pytest

import samples
import traceable
import worker_tasks
from traceable import TraceRecord, trace

TIMEOUT = 120  # seconds; generous, for 2 shared and loaded cores

# -- multiprocessing and concurrent.futures ---------------------------------------------


class _Engine:
    """One pool of one worker process: ``multiprocessing.Pool`` or ``ProcessPoolExecutor``."""

    def __init__(self, kind: str, method: str) -> None:
        context = multiprocessing.get_context(method)
        self.kind = kind
        if kind == "Pool":
            self.pool = context.Pool(1)
        else:
            self.pool = concurrent.futures.ProcessPoolExecutor(1, mp_context=context)

    def call(self, func, *args):
        if self.kind == "Pool":
            return self.pool.apply_async(func, args).get(timeout=TIMEOUT)
        return self.pool.submit(func, *args).result(timeout=TIMEOUT)

    def close(self) -> None:
        if self.kind == "Pool":
            self.pool.close()
            self.pool.join()
        else:
            self.pool.shutdown()


ENGINES = [
    pytest.param((kind, method), id=f"{kind}-{method}")
    for kind in ("Pool", "ProcessPoolExecutor")
    for method in ("spawn", "forkserver")
]


@pytest.fixture(scope="module", params=ENGINES)
def engine(request):
    kind, method = request.param
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"the {method} start method does not exist on this platform")
    pool = _Engine(kind, method)
    yield pool
    pool.close()


def _configs():
    return {
        "nested model": samples.Model(
            [samples.Layer(4, act="relu"), samples.Layer(2)], head=samples.Positional(1, 2), name="mlp"
        ),
        "traced library class": trace(collections.OrderedDict)(a=1),
        "keyword-only and positional-only": samples.PositionalOnly(1, 2, c=4),
        "traced function result": samples.make_plain(4),
    }


@pytest.mark.parametrize("name", list(_configs()))
def test_traced_objects_go_as_arguments_and_come_back_as_results_rebuilt_in_the_worker(engine, name):
    config = _configs()[name]
    received, rebuilt, pid = engine.call(worker_tasks.rebuild, config)
    assert pid != os.getpid()
    for back in (received, rebuilt):
        assert type(back) is type(config)
        assert back.trace_symbol is config.trace_symbol
        assert (back.trace_args, back.trace_kwargs) == (config.trace_args, config.trace_kwargs)
        assert traceable.dump(back) == traceable.dump(config)
        assert back == config


def test_payloads_go_as_arguments_load_safely_in_the_worker_and_come_back_as_payloads(engine):
    model = samples.Model([samples.Layer(4, act="relu")], head=samples.Positional(1), name="parent")
    payload = engine.call(worker_tasks.rename, traceable.dump(model), "renamed in a worker", ["samples"])
    expected = samples.Model([samples.Layer(4, act="relu")], head=samples.Positional(1), name="renamed in a worker")
    assert payload == traceable.dump(expected)
    back = traceable.load(payload, safe=True, allow=["samples"])
    assert type(back) is samples.Model
    assert back == expected
    assert back.trace_kwargs["name"] == "renamed in a worker"


def test_a_payload_the_worker_refuses_raises_unsafe_payload_error_here(engine, tmp_path):
    marker = tmp_path / "built"
    payload = traceable.dump(TraceRecord(worker_tasks.Tripwire, [], {"path": str(marker)}))
    with pytest.raises(traceable.UnsafePayloadError) as caught:
        engine.call(worker_tasks.rename, payload, "x", ["samples"])
    # The error crossed back with its data.
    assert (caught.value.symbol, caught.value.rule, caught.value.path) == ("worker_tasks.Tripwire", "allow", "$")
    assert "if you trust it, add it: load(..., safe=True, allow=['worker_tasks.Tripwire'])" in str(caught.value)
    assert not marker.exists()


# -- Dask distributed --------------------------------------------------------------------

ALLOW = ["torch.nn", "worker_tasks.Experiment", "worker_tasks.Outcome"]


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed", reason="pip install -e '.[test]' installs distributed")
    pytest.importorskip("torch", reason="pip install -e '.[test]' installs the CPU build of torch")
    import dask
    from distributed.protocol.serialize import families as registered

    from traceable.contrib import dask as traceable_dask

    saved = registered.get("traceable")
    families = ["traceable", "dask", "pickle"]
    with (
        dask.config.set({"distributed.comm.timeouts.connect": f"{TIMEOUT}s"}),
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            death_timeout=TIMEOUT,
        ) as cluster,
        distributed.Client(cluster, serializers=families, deserializers=families, timeout=TIMEOUT) as client,
    ):
        # Here and on every worker: what arrives as JSON may build only these.
        traceable_dask.register(client, safe=True, allow=ALLOW)
        yield client
    # The registry is process-wide: leave it as this module found it.
    if saved is None:
        registered.pop("traceable", None)
    else:
        registered["traceable"] = saved


def _experiment():
    from torch import nn

    model = trace(nn.Sequential)(trace(nn.Linear)(1, 8), trace(nn.Tanh)(), trace(nn.Linear)(8, 1))
    return worker_tasks.Experiment(model=model, lr=0.1, steps=20)


def test_every_worker_registers_the_family_with_the_clients_policy(client):
    policies = client.run(worker_tasks.family_policy)
    assert sorted(policies) == sorted(client.scheduler_info()["workers"])
    assert set(policies.values()) == {traceable.LoadPolicy.safe(allow=ALLOW)}


def test_a_worker_that_starts_later_registers_it_too(client):
    before = set(client.scheduler_info()["workers"])
    client.cluster.scale(len(before) + 1)
    client.wait_for_workers(len(before) + 1, timeout=TIMEOUT)
    policies = client.run(worker_tasks.family_policy)
    assert len(set(policies) - before) == 1
    assert set(policies.values()) == {traceable.LoadPolicy.safe(allow=ALLOW)}
    # The cluster keeps the new worker: scaling down would race with the tests that follow.


def test_a_traced_model_config_that_pickle_refuses_crosses_the_cluster_and_comes_back_traced(client):
    experiment = _experiment()
    with pytest.raises(TypeError, match=r"cannot pickle '_thread\.lock' object"):
        pickle.dumps(experiment)  # so the family carried it, both ways
    worker = sorted(client.scheduler_info()["workers"])[0]
    # Dask pickles the task graph itself: scattered data goes through the client's families.
    scattered = client.scatter(experiment, workers=[worker])
    outcome = client.submit(worker_tasks.train, scattered, workers=[worker]).result(timeout=TIMEOUT)

    assert type(outcome) is worker_tasks.Outcome
    assert outcome.pid != os.getpid()
    assert outcome.loss < 1
    assert type(outcome.experiment) is worker_tasks.Experiment
    assert type(outcome.experiment.model) is type(experiment.model)
    assert outcome.trace_kwargs == {"experiment": outcome.experiment, "loss": outcome.loss, "pid": outcome.pid}
    expected = worker_tasks.Outcome(experiment=experiment, loss=outcome.loss, pid=outcome.pid)
    assert traceable.dump(outcome) == traceable.dump(expected)
    assert traceable.dump(outcome.experiment) == traceable.dump(experiment)


def test_a_worker_refuses_a_payload_outside_its_allow_list_and_the_client_sees_why(client, tmp_path):
    marker = tmp_path / "built on a worker"
    record = TraceRecord(worker_tasks.Tripwire, [], {"path": str(marker)})
    # Dask reports a failure inside a worker's handler as a plain Exception with its text.
    with pytest.raises(Exception, match=r"UnsafePayloadError.*it would call worker_tasks\.Tripwire") as caught:
        client.scatter(record)
    assert "which the load policy does not allow" in str(caught.value)
    assert not marker.exists()
    assert client.submit(sum, [1, 2]).result(timeout=TIMEOUT) == 3  # the cluster is still serving


def test_the_client_refuses_a_result_outside_its_allow_list(client, tmp_path):
    marker = tmp_path / "built on the client"
    future = client.submit(worker_tasks.tripwire_record, str(marker))
    with pytest.raises(traceable.UnsafePayloadError) as caught:
        future.result(timeout=TIMEOUT)
    assert (caught.value.symbol, caught.value.rule) == ("worker_tasks.Tripwire", "allow")
    assert not marker.exists()


def test_plain_data_still_crosses_as_dask_sends_it(client):
    # The family declines values with no traced object: tuples and int keys are kept.
    assert client.submit(dict, [(1, (2, 3))]).result(timeout=TIMEOUT) == {1: (2, 3)}
    assert client.gather(client.scatter([(1, 2), {3: "a"}])) == [(1, 2), {3: "a"}]


def test_register_takes_a_client_not_its_cluster(client):
    from traceable.contrib import dask as traceable_dask

    with pytest.raises(TypeError, match=r"register\(\) takes a distributed\.Client, not LocalCluster"):
        traceable_dask.register(client.cluster, safe=True)


def test_an_asynchronous_client_installs_the_worker_plugin_itself(client):
    import asyncio

    import distributed

    from traceable.contrib import dask as traceable_dask

    allow = [*ALLOW, "samples"]

    async def main():
        async with distributed.Client(client.scheduler.address, asynchronous=True, timeout=TIMEOUT) as async_client:
            with pytest.raises(TypeError, match=r"await client\.register_plugin\(worker_plugin\(\.\.\.\)"):
                traceable_dask.register(async_client, safe=True, allow=allow)
            await async_client.register_plugin(traceable_dask.worker_plugin(safe=True, allow=allow), name="traceable")
            return await async_client.run(worker_tasks.family_policy)

    try:
        policies = asyncio.run(main())
        assert sorted(policies) == sorted(client.scheduler_info()["workers"])
        assert set(policies.values()) == {traceable.LoadPolicy.safe(allow=allow)}
    finally:
        traceable_dask.register(client, safe=True, allow=ALLOW)  # as the other tests expect
