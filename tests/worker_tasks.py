"""Traced configs and the tasks that worker processes (process pools, Dask workers) run on them.

Importable by name (tests/conftest.py puts this folder on PYTHONPATH), as worker processes
import it again to unpickle the tasks.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import traceable
from traceable import trace


@trace
class Experiment:
    """A model config and its training settings. It holds a lock, so pickle refuses it."""

    def __init__(self, model: Any, lr: float, steps: int) -> None:
        self.model = model
        self.lr = lr
        self.steps = steps
        self.lock = threading.Lock()


@trace
class Outcome:
    """What a trial sends back: the experiment it ran, its loss and the process it ran in."""

    def __init__(self, experiment: Any, loss: float, pid: int) -> None:
        self.experiment = experiment
        self.loss = loss
        self.pid = pid
        self.lock = threading.Lock()


@trace
class Tripwire:
    """Building one touches a file: proof of whether a payload naming it was obeyed."""

    def __init__(self, path: str) -> None:
        Path(path).touch()


def rebuild(obj: Any) -> tuple[Any, Any, int]:
    """What arrived, the same object built again here from its record, and this process's id."""
    return obj, obj.trace_copy().get(), os.getpid()


def rename(payload: str, name: str, allow: list[str]) -> str:
    """Load a model payload safely, rebuild it with another name, and send back its payload."""
    model = traceable.load(payload, safe=True, allow=allow)
    record = model.trace_copy()
    record.trace_kwargs["name"] = name
    return traceable.dump(record.get())


def train(experiment: Any) -> Any:
    """Fit the experiment's torch model to y = x^2 for its steps; report the last loss, traced."""
    import torch

    torch.manual_seed(0)
    model = experiment.model
    optimizer = torch.optim.SGD(model.parameters(), lr=experiment.lr)
    x = torch.linspace(-1, 1, 32).unsqueeze(1)
    for _ in range(experiment.steps):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), x**2)
        loss.backward()
        optimizer.step()
    return Outcome(experiment=experiment, loss=float(loss), pid=os.getpid())


def family_policy() -> Any:
    """Run on Dask workers: the load policy of the ``traceable`` family registered there."""
    from distributed.protocol.serialize import families

    return families["traceable"][1].keywords["policy"]


def tripwire_record(path: str) -> Any:
    """A record of a Tripwire call, not made: its payload names Tripwire."""
    return traceable.TraceRecord(Tripwire, [], {"path": path})
