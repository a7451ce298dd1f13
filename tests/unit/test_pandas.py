"""pandas frames and series come back as they went: missing text, names, nullable dtypes."""

from __future__ import annotations

import pytest

from traceable import DecodeError, EncodeError, dump, load

pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")

# pandas 3's text dtype; pandas 2 (without future.infer_string) has none, and "str" is numpy's.
HAS_STR_DTYPE = isinstance(pd.api.types.pandas_dtype("str"), pd.StringDtype)


def round_trip(value, **kwargs):
    loaded = load(dump(value), **kwargs)
    if isinstance(value, pd.DataFrame):
        pd.testing.assert_frame_equal(loaded, value)
    else:
        pd.testing.assert_series_equal(loaded, value)
    return loaded


def test_a_missing_value_in_a_text_column_comes_back_missing():
    frame = pd.DataFrame({"a": ["x", None]})  # pandas 3: dtype str; pandas 2: object
    loaded = round_trip(frame)
    assert loaded["a"].isna().tolist() == [False, True]


@pytest.mark.skipif(not HAS_STR_DTYPE, reason="pandas 3's str dtype (or pandas 2's future.infer_string)")
def test_a_str_column_with_a_missing_value_keeps_its_dtype():
    frame = pd.DataFrame({"a": pd.Series(["x", None], dtype="str"), "n": [1, 2]})
    assert dump(frame) == (
        '{"__pandas_dataframe__": {"column_order": ["a", "n"], "types": ["object", "int64"], '
        '"pandas_types": ["str", null]}, "index": [0, 1], "a": ["x", null], "n": [1, 2]}'
    )
    round_trip(frame)
    round_trip(frame["a"])


@pytest.mark.skipif(not HAS_STR_DTYPE, reason="pandas 3's str dtype (or pandas 2's future.infer_string)")
def test_a_str_column_without_missing_values_is_written_as_nni_writes_it():
    frame = pd.DataFrame({"a": pd.Series(["x", "y"], dtype="str")})
    assert dump(frame) == (
        '{"__pandas_dataframe__": {"column_order": ["a"], "types": ["str"]}, "index": [0, 1], "a": ["x", "y"]}'
    )
    round_trip(frame)


def test_a_text_column_with_nan_as_nni_writes_it_under_pandas_3_loads_missing():
    text = '{"__pandas_dataframe__": {"column_order": ["a"], "types": ["str"]}, "index": [0, 1], "a": ["x", NaN]}'
    assert load(text)["a"].isna().tolist() == [False, True]
    series = '{"__pandas_series__": {"name": "s", "type": "str"}, "index": [0, 1], "data": ["x", NaN]}'
    assert load(series).isna().tolist() == [False, True]


def test_an_object_column_of_text_stays_an_object_column():
    frame = pd.DataFrame({"a": pd.Series(["x", None], dtype=object)})
    loaded = round_trip(frame)
    assert loaded["a"].tolist() == ["x", None]


@pytest.mark.parametrize("name", [None, 3, 2.5, True, "s", ""])
def test_a_series_keeps_its_name(name):
    loaded = round_trip(pd.Series([1, 2], name=name))
    assert type(loaded.name) is type(name)


def test_a_series_named_by_another_value_is_named_by_its_text_as_json_tricks_does():
    assert load(dump(pd.Series([1], name=("a", 1)))).name == "('a', 1)"


NULLABLE = ["Int8", "Int64", "UInt16", "Float32", "Float64", "boolean", "string"]


def _nullable(dtype):
    values = {"boolean": [True, None, False], "string": ["x", None, "z"]}.get(dtype, [1, None, 3])
    return pd.array(values, dtype=dtype)


@pytest.mark.parametrize("dtype", NULLABLE)
def test_nullable_columns_round_trip_in_frames_and_series(dtype):
    frame = pd.DataFrame({"c": _nullable(dtype), "f": [0.5, 1.5, 2.5]}, index=["p", "q", "r"])
    round_trip(frame)
    round_trip(frame["c"])
    round_trip(frame, safe=True)


def test_a_nullable_column_is_written_as_object_with_its_pandas_type_beside():
    frame = pd.DataFrame({"i": pd.array([1, None], dtype="Int64")})
    assert dump(frame) == (
        '{"__pandas_dataframe__": {"column_order": ["i"], "types": ["object"], "pandas_types": ["Int64"]}, '
        '"index": [0, 1], "i": [1, null]}'
    )
    assert dump(frame["i"]) == (
        '{"__pandas_series__": {"name": "i", "type": "object", "pandas_type": "Int64"}, "index": [0, 1], '
        '"data": [1, null]}'
    )


@pytest.mark.parametrize(
    ("column", "dtype"),
    [
        (pd.Categorical(["a", "b"]), "category"),
        (pd.date_range("2024-01-01", periods=2, tz="UTC", unit="s"), "datetime64\\[s, UTC\\]"),
        (pd.period_range("2024-01", periods=2, freq="M"), "period\\[M\\]"),
    ],
)
def test_pandas_dtypes_that_cannot_be_written_are_refused_at_dump_with_what_to_do(column, dtype):
    frame = pd.DataFrame({"c": column})
    with pytest.raises(
        EncodeError, match=rf"at \$\.run\.data: its column 'c' has the pandas dtype {dtype}, "
    ) as caught:
        dump({"run": {"data": frame}})
    assert caught.value.path == "$.run.data"
    assert "convert it first, e.g. with .astype(object) or .astype(str)" in str(caught.value)
    with pytest.raises(EncodeError, match=rf"at \$\[0\]: it has the pandas dtype {dtype}, "):
        dump([frame["c"]])


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ('"pandas_types": ["category"]', "a pandas type must be one of .*, not 'category'"),
        ('"pandas_types": "Int64"', '"pandas_types" must be a list of one pandas type'),
        ('"pandas_types": ["Int64", null]', '"pandas_types" must be a list of one pandas type'),
    ],
)
def test_a_bad_pandas_type_is_a_decode_error(meta, message):
    text = f'{{"__pandas_dataframe__": {{"column_order": ["a"], "types": ["object"], {meta}}}, "index": [0], "a": [1]}}'
    with pytest.raises(DecodeError, match=message):
        load(text)


@pytest.mark.parametrize("lossless", [False, True])
@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (["a", "a"], "two columns are labelled 'a', and would come back with the wrong data; rename the columns"),
        (["index", "b"], "the form keeps its index under that key, and a column labelled 'index', and would come"),
        ([0, "0"], "its column label 0 is int, not str: "),
        ([0, 1], "its column label 0 is int, not str: "),  # numpy int64 labels, as pandas makes them
        (pd.Index([0, "a"], dtype=object), "its column label 0 is int, not str: "),
        ([True, False], "its column label True is bool, not str: "),
        ([1.5, np.nan], "its column label 1.5 is float, not str: "),
        (pd.MultiIndex.from_tuples([("a", "x"), ("a", "y")]), "its columns are a MultiIndex, which dump cannot"),
    ],
)
def test_column_labels_that_would_come_back_different_are_refused_at_dump_with_what_to_do(columns, message, lossless):
    frame = pd.DataFrame([[1, 2]], columns=columns)
    with pytest.raises(EncodeError, match=r"at \$(\.value)?\.run: ") as caught:
        dump({"run": frame}, lossless=lossless)
    assert message in str(caught.value)
    assert caught.value.path in ("$.run", "$.value.run")
    fix = "df.columns" if isinstance(columns, pd.MultiIndex) or "not str" not in message else "df.columns.astype(str)"
    assert fix in str(caught.value)


def test_a_frame_with_a_column_labelled_by_a_numpy_string_round_trips():
    frame = pd.DataFrame({"a": [1]})
    frame.columns = pd.Index(np.array(["a"]), dtype=object)
    loaded = load(dump(frame))
    assert (list(loaded.columns), [type(c) for c in loaded.columns], loaded.values.tolist()) == (["a"], [str], [[1]])


_INDEX_UNIT = "us" if int(pd.__version__.split(".")[0]) >= 3 else "ns"


@pytest.mark.parametrize("lossless", [False, True])
@pytest.mark.parametrize(
    "index",
    [
        pd.Index(["a", "b"], name="idx"),
        pd.Index([1, 2], name=0),
        pd.MultiIndex.from_tuples([("a", 1), ("b", 2)], names=["x", "y"]),
        pd.MultiIndex.from_tuples([("a", 1), ("b", 2)]),
        # (in the unit a rebuilt index gets: pandas 3's default, microseconds; pandas 2's, ns)
        pd.date_range("2024-01-01", periods=2, freq="D", unit=_INDEX_UNIT, name="day"),
        pd.timedelta_range("1s", periods=2, freq="s", unit=_INDEX_UNIT),
    ],
)
def test_index_names_levels_and_freq_round_trip(index, lossless):
    series = pd.Series([1, 2], index=index)
    frame = pd.DataFrame({"c": [1, 2]}, index=index)
    frame.columns.name = "field"
    for value, equal in ((series, pd.testing.assert_series_equal), (frame, pd.testing.assert_frame_equal)):
        loaded = load(dump(value, lossless=lossless))
        equal(loaded, value)
        assert (list(loaded.index.names), loaded.index.nlevels) == (list(index.names), index.nlevels)
        assert getattr(loaded.index, "freq", None) == getattr(index, "freq", None)
    assert load(dump(frame)).columns.name == "field"


def test_an_index_name_is_written_beside_and_an_unnamed_index_as_nni_writes_it():
    named = pd.Series([1], index=pd.Index(["a"], name="idx"))
    assert dump(named) == (
        '{"__pandas_series__": {"name": null, "type": "int64", "index_names": ["idx"]}, "index": ["a"], "data": [1]}'
    )
    assert dump(pd.Series([1], index=["a"])) == (
        '{"__pandas_series__": {"name": null, "type": "int64"}, "index": ["a"], "data": [1]}'
    )


def test_an_index_name_that_would_not_come_back_is_refused_at_dump():
    frame = pd.DataFrame({"c": [1]}, index=pd.Index(["a"], name=("x", "y")))
    with pytest.raises(EncodeError, match=r"at \$: its index's name \('x', 'y'\) would not come back as it is"):
        dump(frame)


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ('"index_names": "x"', '"index_names" must be a list of one name per level'),
        ('"index_names": ["x", "y"]', "each row of a MultiIndex must be a list of one value per name"),
        ('"index_freq": "D"', '"index_freq" is for an index of datetimes or timedeltas only'),
        ('"index_freq": 1', '"index_freq" must be a string, not int'),
    ],
)
def test_bad_index_fields_are_a_decode_error(meta, message):
    text = f'{{"__pandas_dataframe__": {{"column_order": ["a"], "types": ["int64"], {meta}}}, "index": [0], "a": [1]}}'
    with pytest.raises(DecodeError, match=message):
        load(text)


@pytest.mark.parametrize("lossless", [False, True])
def test_an_index_of_nanosecond_datetimes_comes_back_as_datetimes_not_integers(lossless):
    # pandas 2's default unit: its items were written as integers (a nanosecond datetime64's
    # .item()), and came back as an int index (and, with its freq written beside, failed).
    index = pd.date_range("2024-01-01", periods=2, freq="D", unit="ns", name="day")
    series = load(dump(pd.Series([1, 2], index=index), lossless=lossless))
    assert isinstance(series.index, pd.DatetimeIndex)
    assert (list(series.index), series.index.freqstr, series.index.name) == (list(index), "D", "day")
    deltas = pd.timedelta_range("1s", periods=2, freq="s", unit="ns")
    assert list(load(dump(pd.Series([1, 2], index=deltas), lossless=lossless)).index) == list(deltas)
