"""A tiny pure-Python network, traced: the model config of examples/quickstart.py."""

from __future__ import annotations

import math
import random

from traceable import trace


@trace
class Linear:
    def __init__(self, in_features: int, out_features: int, seed: int = 0) -> None:
        rng = random.Random(seed)
        scale = 1 / math.sqrt(in_features)
        self.weight = [[rng.uniform(-scale, scale) for _ in range(in_features)] for _ in range(out_features)]
        self.bias = [0.0] * out_features

    def __call__(self, x: list[float]) -> list[float]:
        return [
            sum(w * v for w, v in zip(row, x, strict=True)) + b for row, b in zip(self.weight, self.bias, strict=True)
        ]


@trace
class Tanh:
    def __call__(self, x: list[float]) -> list[float]:
        return [math.tanh(v) for v in x]


@trace
class Sequential:
    def __init__(self, *layers: object) -> None:
        self.layers = layers

    def __call__(self, x: list[float]) -> list[float]:
        for layer in self.layers:
            x = layer(x)  # type: ignore[operator]
        return x


@trace
class RandomSearchFit:
    """Fits a model to y = sin(x) by perturbing its last layer: slow, but dependency-free."""

    def __init__(self, model: Sequential, steps: int = 200, step_size: float = 0.05, seed: int = 0) -> None:
        self.model = model
        self.steps = steps
        self.step_size = step_size
        self.rng = random.Random(seed)

    def loss(self) -> float:
        points = [i / 10 for i in range(-20, 21)]
        return sum((self.model([x])[0] - math.sin(x)) ** 2 for x in points) / len(points)

    def run(self) -> float:
        head = self.model.layers[-1]
        best = self.loss()
        for _ in range(self.steps):
            row = self.rng.randrange(len(head.weight))
            col = self.rng.randrange(len(head.weight[row]))
            delta = self.rng.gauss(0, self.step_size)
            head.weight[row][col] += delta
            current = self.loss()
            if current < best:
                best = current
            else:
                head.weight[row][col] -= delta
        return best


def make_model(hidden: int) -> Sequential:
    return Sequential(Linear(1, hidden, seed=1), Tanh(), Linear(hidden, 1, seed=2))
