"""The safe loader on mutated and invented payloads: a value or traceable's own error, never
another exception, never a hang; and everything that round-trips without pickles round-trips
under the safe policy once its symbols are allowed."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import samples
from strategies import equal, values
from traceable import TraceableError, dump, load

SEEDS = [
    dump({"model": samples.Model([samples.Layer(3, act="relu")], head=samples.Positional(1, 2)), "lr": 0.1}),
    dump([samples.varargs(1, 2, k=3), samples.make_none(1), samples.Color.GREEN, {"s": {1, 2}}]),
    dump({"t": __import__("datetime").datetime(2024, 1, 2, 3), "d": __import__("decimal").Decimal("1.5"), "b": b"xy"}),
    '{"__ndarray__": [[1, 2], [3, 4]], "dtype": "int64", "shape": [2, 2], "Corder": true}',
    '{"__ndarray__": "b64:AAAAAAAA8D8=", "dtype": "float64", "shape": [1], "endian": "little"}',
    '{"a": 5, "b": "x", "__instance_type__": "path:samples.Custom"}',
    '{"__pandas_series__": {"name": "s", "type": "int64"}, "index": [0, 1], "data": [1, 2]}',
]
MARKERS = [
    "__symbol__",
    "__args__",
    "__kwargs__",
    "__nni_type__",
    "__instance_type__",
    "__nni_obj__",
    "__ndarray__",
    "__datetime__",
    "__date__",
    "__time__",
    "__timedelta__",
    "__decimal__",
    "__fraction__",
    "__complex__",
    "__set__",
    "__pathlib__",
    "__enum__",
    "__pandas_dataframe__",
    "__pandas_series__",
    "__bytes_b64__",
    "__frozenset__",
    "__range__",
    "__slice__",
    "dtype",
    "shape",
    "name",
    "year",
    "numerator",
]
ALPHABET = '{}[]":,0123456789.-eE tfnul_abcdefghijklmnopqrstuvwxyz\\/'

json_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=10)
    | st.sampled_from(
        [
            "path:samples.Layer",
            "path:os.system",
            "bytes:gAR9lC4=",
            "b64:AAAA",
            "float64",
            "object",
            "samples",
            "UTC",
            # deny-list entries, and methods through allowed classes (see BROAD_ALLOW)
            "path:numpy.load",
            "path:numpy.memmap",
            "path:pathlib.Path.touch",
            "path:logging.FileHandler",
            "path:logging.config.dictConfig",
            "path:traceable.load",
            "path:traceable.set_default_policy",
            "path:builtins.open",
        ]
    )
)
invented = st.recursive(
    json_leaves,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(MARKERS) | st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=15,
)


@st.composite
def mutated(draw: st.DrawFn, seeds: list[str] = SEEDS) -> str:
    text = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, 6))):
        position = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        char = draw(st.sampled_from(ALPHABET))
        if action == "insert":
            text = text[:position] + char + text[position:]
        elif action == "delete":
            text = text[:position] + text[position + 1 :]
        else:
            text = text[:position] + char + text[position + 1 :]
    return text


# The allow lists users really write: whole libraries.
BROAD_ALLOW = ["samples", "numpy", "pathlib", "logging", "traceable", "builtins", "collections", "functools"]
# Payloads that would touch "fuzz-marker" (in the current directory) if they ran.
HOSTILE_SEEDS = [
    '{"__symbol__": "path:pathlib.Path.touch", "__args__": [{"__pathlib__": "fuzz-marker"}]}',
    '{"__symbol__": "path:numpy.memmap", "__kwargs__": {"filename": "fuzz-marker", "mode": "w+", "shape": 1}}',
    '{"__symbol__": "path:logging.FileHandler", "__args__": ["fuzz-marker"]}',
    '{"__symbol__": "path:builtins.open", "__args__": ["fuzz-marker", "w"]}',
    '{"__symbol__": "path:traceable.dump", "__args__": [1, "fuzz-marker"]}',
    '{"__symbol__": "path:functools.partial", "__args__": [{"__nni_type__": "path:pathlib.Path.touch"}, "fuzz-marker"]}',
    '{"__symbol__": "path:logging.config.dictConfig", "__args__": [{"version": 1, "handlers": {"h": '
    '{"()": "subprocess.getoutput", "cmd": "touch fuzz-marker"}}}]}',
]


def _load_or_refuse(text: str, allow: list[str] | None = None) -> None:
    # Any other exception, or a hang past the deadline, fails the test.
    with contextlib.suppress(TraceableError):
        load(text, safe=True, allow=["samples"] if allow is None else allow)


@settings(max_examples=400, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_payloads_give_a_value_or_traceables_own_error(text):
    _load_or_refuse(text)


@settings(max_examples=400, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(invented)
def test_invented_marker_payloads_give_a_value_or_traceables_own_error(tree):
    _load_or_refuse(json.dumps(tree))


@settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(SEEDS + HOSTILE_SEEDS))
def test_mutated_payloads_under_broad_allow_lists_touch_no_file(text):
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)  # (contextlib.chdir is Python 3.11+)
        try:
            _load_or_refuse(text, BROAD_ALLOW)
        finally:
            os.chdir(here)
        assert os.listdir(folder) == []


@settings(max_examples=200, deadline=None)
@given(values)
def test_what_round_trips_without_pickles_round_trips_safely_when_allowed(value):
    text = dump(value)
    assert '"__nni_obj__"' not in text
    assert '"bytes:' not in text
    assert equal(load(text, safe=True, allow=["samples"]), value)
