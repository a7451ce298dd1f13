"""Hypothesis round trips over nested structures of every supported type."""

from __future__ import annotations

import datetime as dt
import math
import pathlib
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

import samples
from traceable import dump, dump_bytes, load, load_bytes

# JSON itself keeps these as they are (tuples excepted: see below).
json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()

native_values = st.one_of(
    st.datetimes(timezones=st.none() | st.just(dt.timezone.utc)),
    st.dates(),
    st.times(),
    st.timedeltas(),
    st.decimals(allow_nan=False),
    st.fractions(),
    st.complex_numbers(allow_nan=False),
    st.sets(st.integers() | st.text(), max_size=5),
    st.frozensets(st.integers(), max_size=5),
    st.binary(max_size=20),
    st.builds(bytearray, st.binary(max_size=20)),
    st.builds(range, st.integers(-5, 5), st.integers(-5, 5), st.integers(1, 3)),
    st.builds(slice, st.none() | st.integers(), st.none() | st.integers(), st.none() | st.integers(1, 3)),
    st.builds(pathlib.Path, st.text(alphabet="abc/._-", min_size=1)),
    st.sampled_from(samples.Color),
)

traced_values = st.deferred(
    lambda: st.one_of(
        st.builds(samples.Layer, width=leaves, dropout=st.floats(0, 1), act=leaves),
        st.builds(samples.Positional, leaves, leaves),
        st.builds(samples.make_plain, leaves),
    )
)

leaves = json_scalars | native_values

values = st.recursive(
    leaves | traced_values,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=12,
)


def _equal(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, Decimal):
        return isinstance(b, Decimal) and (a == b or (a.is_nan() and b.is_nan()))
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_equal, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, samples.Plain):
        return isinstance(b, samples.Plain) and _equal(a.v, b.v) and b.trace_kwargs.keys() == {"v"}
    if hasattr(a, "trace_kwargs"):
        return type(a) is type(b) and _equal(a.trace_args, b.trace_args) and _equal(a.trace_kwargs, b.trace_kwargs)
    return type(a) is type(b) and a == b


@settings(max_examples=300, deadline=None)
@given(values)
def test_any_nested_value_round_trips(value):
    assert _equal(load(dump(value)), value)


@settings(max_examples=50, deadline=None)
@given(values)
def test_any_nested_value_round_trips_through_gzip_bytes(value):
    assert _equal(load_bytes(dump_bytes(value)), value)


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(json_scalars, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=5), c, max_size=4))
)
def test_plain_json_is_written_as_the_json_module_writes_it(value):
    import json

    assert dump(value) == json.dumps(value)


@settings(max_examples=50, deadline=None)
@given(st.fractions(), st.decimals(allow_nan=False, allow_infinity=False), st.datetimes())
def test_numeric_and_time_types_keep_their_type(fraction, decimal, when):
    loaded = load(dump([fraction, decimal, when]))
    assert [type(v) for v in loaded] == [Fraction, Decimal, dt.datetime]
    assert loaded == [fraction, decimal, when]


def test_numpy_arrays_round_trip_with_dtype_shape_and_order():
    np = __import__("pytest").importorskip("numpy")
    from hypothesis.extra import numpy as hnp

    dtypes = st.sampled_from(
        ["int8", "int16", "int32", "int64", "uint8", "uint64", "float16", "float32", "float64", "bool", "complex128"]
    )

    @settings(max_examples=150, deadline=None)
    @given(
        dtypes.flatmap(lambda d: hnp.arrays(d, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))),
        st.booleans(),
    )
    def check(arr, fortran):
        if fortran:
            arr = np.asfortranarray(arr)
        loaded = load(dump({"x": [arr]}))["x"][0]
        assert loaded.dtype == arr.dtype
        assert loaded.shape == arr.shape
        assert np.array_equal(loaded, arr, equal_nan=arr.dtype.kind in "fc")
        if arr.ndim > 1 and arr.size > 1:
            assert loaded.flags["C_CONTIGUOUS"] == arr.flags["C_CONTIGUOUS"]

    check()


def test_pandas_frames_round_trip():
    pd = __import__("pytest").importorskip("pandas")

    @settings(max_examples=50, deadline=None)
    @given(st.lists(st.tuples(st.integers(-(2**40), 2**40), st.floats(allow_nan=False)), max_size=6))
    def check(rows):
        frame = pd.DataFrame({"i": [r[0] for r in rows], "f": [r[1] for r in rows]}).astype(
            {"i": "int64", "f": "float64"}
        )
        series = pd.Series([r[1] for r in rows], name="s", dtype="float64")
        loaded = load(dump({"frame": frame, "series": series}))
        assert loaded["frame"].equals(frame)
        assert loaded["series"].equals(series)

    check()
