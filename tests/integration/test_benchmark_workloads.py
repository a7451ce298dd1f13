"""The benchmark's workloads round-trip (their timing is the benchmark's business, not CI's)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("numpy")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks import run, workloads


def test_every_benchmark_workload_round_trips():
    run.check_round_trips()


def test_traced_graph_has_the_advertised_size_and_depth():
    roots = workloads.traced_graph()

    def count(node):
        return 1 + sum(count(child) for child in node.children)

    def deepest(node):
        return 1 + max((deepest(child) for child in node.children), default=0)

    assert sum(count(root) for root in roots) >= 2000
    assert max(deepest(root) for root in roots) == 6
