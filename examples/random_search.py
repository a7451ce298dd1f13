"""A random search on a Dask cluster: sampled parameters go out as payloads, traced configs come back.

The client samples each trial's parameters from a search space and sends them to a worker
process as ``traceable.dump`` text. The worker loads them safely, rebuilds the traced model
config with them, fits it and reports a ``TrialMetric`` with the config it ran. The base
config and the trials' configs cross as traceable's JSON (the ``traceable`` serialization
family), never as pickles, and only tinynet's classes may be built from them on either side.

Run: pip install ".[dask]" && python examples/random_search.py
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import tinynet
from distributed import Client, LocalCluster, as_completed

import traceable
from traceable.contrib import dask as traceable_dask
from traceable.typehint import Parameters, SearchSpace, TrialMetric, sample_parameters

SPACE: SearchSpace = {
    "hidden": {"_type": "choice", "_value": [2, 4, 8, 16]},
    "step_size": {"_type": "loguniform", "_value": [0.01, 0.5]},
    "steps": {"_type": "choice", "_value": [100, 200, 300]},
}
TRIALS = 8
SEED = 2024
FAMILIES = ["traceable", "dask", "pickle"]


def run_trial(base: tinynet.RandomSearchFit, payload: str) -> dict[str, Any]:
    """On a worker: load the parameters, rebuild the base config with them, fit it."""
    parameters: Parameters = traceable.load(payload, safe=True)  # plain JSON: nothing to allow
    config = base.trace_copy()  # the record of the base config, to change
    config.trace_kwargs["model"] = tinynet.make_model(hidden=parameters["hidden"])
    config.trace_kwargs["step_size"] = parameters["step_size"]
    config.trace_kwargs["steps"] = parameters["steps"]
    fit = config.get()  # built again from the changed record, traced
    metric: TrialMetric = fit.run()
    return {"metric": metric, "config": fit}


def progress(done: int, total: int, best: float | None) -> None:
    """Redraw a one-line progress bar on stderr (on a terminal; elsewhere, one line at the end)."""
    if not sys.stderr.isatty() and done < total:
        return
    width = 30
    filled = width * done // total
    best_text = "" if best is None else f", best loss {best:.4f}"
    start = "\r" if sys.stderr.isatty() else ""
    sys.stderr.write(f"{start}[{'#' * filled}{'.' * (width - filled)}] {done}/{total} trials{best_text}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def main() -> None:
    base = tinynet.RandomSearchFit(tinynet.make_model(hidden=4), steps=100, step_size=0.05, seed=0)
    trials = {trial: sample_parameters(SPACE, seed=SEED + trial) for trial in range(TRIALS)}
    start = time.perf_counter()
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
        ) as cluster,
        Client(cluster, serializers=FAMILIES, deserializers=FAMILIES) as client,
    ):
        # Here and on every worker: what arrives as JSON may build tinynet's classes, nothing else.
        traceable_dask.register(client, safe=True, allow=["tinynet"])
        # One copy of the base config per worker, sent as JSON.
        shared = client.scatter(base, broadcast=True)
        futures = {
            client.submit(run_trial, shared, traceable.dump(trials[trial]), pure=False): trial for trial in trials
        }
        results: dict[int, dict[str, Any]] = {}
        progress(0, TRIALS, None)
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            progress(len(results), TRIALS, min(result["metric"] for result in results.values()))
    elapsed = time.perf_counter() - start

    print(f"{'trial':>5}  {'hidden':>6}  {'step_size':>9}  {'steps':>5}  {'loss':>8}")
    for trial in sorted(results):
        parameters, metric = trials[trial], results[trial]["metric"]
        print(
            f"{trial:>5}  {parameters['hidden']:>6}  {parameters['step_size']:>9.4f}  "
            f"{parameters['steps']:>5}  {metric:>8.5f}"
        )
    best = min(results, key=lambda trial: results[trial]["metric"])
    config = results[best]["config"]
    print(f"\nbest: trial {best}, loss {results[best]['metric']:.5f}, parameters {traceable.dump(trials[best])}")
    print(f"its config, which came back traced: {traceable.dump(config)}")
    # It was rebuilt here from its record (fresh weights, same seeds): fitting it again gives the same loss.
    print(f"fitted again here: loss {config.run():.5f}")
    print(f"{TRIALS} trials on 2 worker processes in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
