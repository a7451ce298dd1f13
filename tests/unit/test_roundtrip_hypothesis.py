"""Hypothesis round trips over nested structures of every supported type."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from strategies import datetimes, equal, hashable_values, json_scalars, times, values
from traceable import dump, dump_bytes, load, load_bytes


@settings(max_examples=300, deadline=None)
@given(values)
def test_any_nested_value_round_trips(value):
    assert equal(load(dump(value)), value)


@settings(max_examples=50, deadline=None)
@given(values)
def test_any_nested_value_round_trips_through_gzip_bytes(value):
    assert equal(load_bytes(dump_bytes(value)), value)


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


@settings(max_examples=400, deadline=None)
@given(datetimes | times, st.booleans())
def test_datetimes_and_times_keep_their_fold_offset_and_zone_name(value, lossless):
    # (== ignores fold, and compares aware datetimes only as instants: each part is compared.)
    loaded = load(dump(value, lossless=lossless))
    assert (type(loaded), loaded.replace(tzinfo=None), loaded.fold, loaded.utcoffset(), loaded.tzname()) == (
        type(value),
        value.replace(tzinfo=None),
        value.fold,
        value.utcoffset(),
        value.tzname(),
    )


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

    texts = st.none() | st.text(max_size=4)
    counts = st.none() | st.integers(-(2**40), 2**40)
    names = st.none() | st.integers(-5, 5) | st.text(max_size=3)

    @settings(max_examples=50, deadline=None)
    @given(
        st.lists(st.tuples(st.integers(-(2**40), 2**40), st.floats(allow_nan=False), texts, counts), max_size=6),
        names,
    )
    def check(rows, name):
        frame = pd.DataFrame(
            {
                "i": pd.array([r[0] for r in rows], dtype="int64"),
                "f": pd.array([r[1] for r in rows], dtype="float64"),
                "t": pd.Series([r[2] for r in rows], dtype=object),
                "n": pd.array([r[3] for r in rows], dtype="Int64"),
            }
        )
        if isinstance(pd.api.types.pandas_dtype("str"), pd.StringDtype):  # pandas 3's text dtype
            frame["t"] = frame["t"].astype("str")
        series = pd.Series([r[2] for r in rows], name=name, dtype=object)
        loaded = load(dump({"frame": frame, "series": series}))
        pd.testing.assert_frame_equal(loaded["frame"], frame, check_index_type=False)  # (an empty index: [])
        pd.testing.assert_series_equal(loaded["series"], series, check_index_type=False)

    check()


@settings(max_examples=200, deadline=None)
@given(hashable_values)
def test_a_hashable_value_shared_twice_loads_as_one_object_under_a_checking_policy(value):
    text = dump([value, value], lossless=True)
    for loaded in (load(text), load(text, safe=True, allow=["samples"])):
        assert equal(loaded[0], value)
        assert loaded[0] is loaded[1]
