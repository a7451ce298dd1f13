"""Seeded workloads for the benchmark runner: each built at a scale factor, the same every run."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from traceable import trace


class Block:
    """A node of a model-like tree, untraced (the pickle reference)."""

    def __init__(self, width: int, rate: float, name: str, children: list[Any]) -> None:
        self.width = width
        self.rate = rate
        self.name = name
        self.children = children

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Block) and (self.width, self.rate, self.name, self.children) == (
            other.width,
            other.rate,
            other.name,
            other.children,
        )

    __hash__ = None  # type: ignore[assignment]


TracedBlock = trace(Block)


class Leaf:
    """A small untraced object, for the pickle fallback."""

    def __init__(self, i: int) -> None:
        self.i = i
        self.tag = f"leaf-{i}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Leaf) and (self.i, self.tag) == (other.i, other.tag)

    __hash__ = None  # type: ignore[assignment]


class Small:
    """The untraced twin of TracedSmall, for construction costs."""

    def __init__(self, a: int, b: float, c: str, d: Any = None) -> None:
        self.a = a
        self.b = b
        self.c = c
        self.d = d


TracedSmall = trace(Small)


def small_function(a: int, b: float, c: str, d: Any = None) -> Small:
    return Small(a, b, c, d)


traced_small_function = trace(small_function)


def plain_config(scale: int = 1, seed: int = 0) -> dict[str, Any]:
    """A nested config of about 5,000 leaves per unit of scale."""
    rng = random.Random(seed)

    def section(n: int) -> dict[str, Any]:
        return {
            "lr": rng.random(),
            "epochs": rng.randrange(1, 100),
            "name": f"layer-{rng.randrange(10**6)}",
            "flags": [rng.random() < 0.5 for _ in range(4)],
            "shape": [rng.randrange(1, 512) for _ in range(3)],
            "extra": {"dropout": rng.random(), "activation": rng.choice(["relu", "tanh", "gelu"]), "bias": None},
            "id": n,
        }

    return {"experiment": "bench", "trials": [section(i) for i in range(370 * scale)]}


def trial_parameters(seed: int = 0) -> dict[str, Any]:
    """One small trial-parameters message."""
    rng = random.Random(seed)
    return {
        "parameter_id": 17,
        "parameter_source": "algorithm",
        "parameters": {
            "lr": rng.random() / 100,
            "batch_size": 64,
            "optimizer": "adam",
            "layers": [128, 64],
            "dropout": 0.25,
        },
        "parameter_index": 0,
    }


def traced_graph(scale: int = 1, seed: int = 0, traced: bool = True) -> Any:
    """2,000 or more traced instances per unit of scale (2,538 at scale 1), nested 6 deep."""
    rng = random.Random(seed)
    make = TracedBlock if traced else Block
    count = 0

    def node(depth: int) -> Any:
        nonlocal count
        count += 1
        n_children = rng.choice([2, 3, 4, 4, 5]) if depth < 5 else 0
        children = [node(depth + 1) for _ in range(n_children)]
        return make(width=rng.randrange(8, 1024), rate=rng.random(), name=f"b{count}", children=children)

    roots = []
    while count < 2000 * scale:
        roots.append(node(0))
    return roots


def numpy_payload(seed: int = 0, arrays_only: bool = False) -> dict[str, Any]:
    """Arrays plus the stdlib types NNI encodes natively."""
    import numpy as np

    rng = np.random.default_rng(seed)
    arrays = {
        "weights": rng.standard_normal((100, 100)).astype(np.float32),
        "ids": np.arange(10_000, dtype=np.int64),
    }
    if arrays_only:
        return arrays
    return {
        **arrays,
        "when": [dt.datetime(2024, 1, 1) + dt.timedelta(minutes=i) for i in range(50)],
        "amounts": [Decimal(i) / 7 for i in range(50)],
        "tags": {f"t{i}" for i in range(50)},
        "roots": [complex(i, -i) for i in range(50)],
    }


def small_objects(count: int = 155_000, seed: int = 0) -> list[dict[str, Any]]:
    """Many small plain objects: 15 MiB of JSON, near the safe policy's 16 MiB size limit."""
    rng = random.Random(seed)
    return [
        {"id": i, "name": f"item-{i}", "score": rng.random(), "tags": ["a", "b"], "ok": i % 2 == 0}
        for i in range(count)
    ]


def leaves(count: int = 200) -> list[Leaf]:
    """Small untraced objects, each going through the pickle fallback."""
    return [Leaf(i) for i in range(count)]
