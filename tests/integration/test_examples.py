"""The README runs the examples: keep them working, and check what they print."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import traceable
import traceable.typehint

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_quickstart_ships_mutates_and_rebuilds_a_config():
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "quickstart.py")],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert '"__symbol__": "path:tinynet.RandomSearchFit"' in result.stdout
    assert "rebuilt and fitted in another process" in result.stdout
    assert "the config came back with out_features=16" in result.stdout


def _load_example(name):
    # Examples import their neighbours (tinynet) by name, as when run from the folder.
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_random_search_runs_its_trials_on_dask_workers_and_reports_the_best():
    pytest.importorskip("distributed", reason="pip install -e '.[test]' installs distributed")
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "random_search.py")],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    example = _load_example("random_search")
    lines = result.stdout.splitlines()
    assert lines[0] == "trial  hidden  step_size  steps      loss"

    # Each row shows the parameters sampled for that trial, and the loss its worker reported.
    rows = [line.split() for line in lines[1 : example.TRIALS + 1]]
    assert [int(row[0]) for row in rows] == list(range(example.TRIALS))
    losses = {}
    for trial, hidden, step_size, steps, loss in rows:
        parameters = traceable.typehint.sample_parameters(example.SPACE, seed=example.SEED + int(trial))
        assert (int(hidden), float(step_size), int(steps)) == (
            parameters["hidden"],
            round(parameters["step_size"], 4),
            parameters["steps"],
        )
        losses[int(trial)] = float(loss)

    # The best trial, run again here, gives the loss and the config the workers sent back.
    best = min(losses, key=losses.get)
    parameters = traceable.typehint.sample_parameters(example.SPACE, seed=example.SEED + best)
    base = example.tinynet.RandomSearchFit(example.tinynet.make_model(hidden=4), steps=100, step_size=0.05, seed=0)
    again = example.run_trial(base, traceable.dump(parameters))
    assert round(again["metric"], 5) == losses[best]
    assert lines[example.TRIALS + 1 :] == [
        "",
        f"best: trial {best}, loss {again['metric']:.5f}, parameters {traceable.dump(parameters)}",
        f"its config, which came back traced: {traceable.dump(again['config'])}",
        f"fitted again here: loss {again['metric']:.5f}",
        lines[-1],
    ]
    assert lines[-1].startswith(f"{example.TRIALS} trials on 2 worker processes in ")
    assert result.stderr.endswith(f"] {example.TRIALS}/{example.TRIALS} trials, best loss {again['metric']:.4f}\n")
