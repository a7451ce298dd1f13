"""Live against the real nni==3.0: datetimes, numpy datetime64 and pandas values both ways."""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

import pytest

nni = pytest.importorskip(
    "nni", reason="nni==3.0 is not installed: pip install -e '.[test]' to run the compatibility tests"
)
np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")
pytz = pytest.importorskip("pytz")  # NNI reads zones with pytz
zoneinfo = pytest.importorskip("zoneinfo")

import traceable  # noqa: E402


def nni_dump(obj: Any) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nni.dump(obj)


def nni_load(text: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nni.load(text)


PARIS = zoneinfo.ZoneInfo("Europe/Paris")
DATETIMES = {
    "utc": dt.datetime(2024, 5, 6, 7, 8, tzinfo=dt.timezone.utc),
    "ordinary": dt.datetime(2024, 1, 15, 9, 45, tzinfo=zoneinfo.ZoneInfo("Europe/London")),
    "ordinary, fold 1": dt.datetime(2024, 1, 15, 9, 45, tzinfo=PARIS, fold=1),
    "gap, fold 0": dt.datetime(2024, 3, 31, 2, 30, tzinfo=PARIS),
    "gap, fold 1": dt.datetime(2024, 3, 31, 2, 30, tzinfo=PARIS, fold=1),
    "ambiguous, fold 0": dt.datetime(2024, 10, 27, 2, 30, tzinfo=PARIS),
    "ambiguous, fold 1": dt.datetime(2024, 10, 27, 2, 30, tzinfo=PARIS, fold=1),
}


@pytest.mark.parametrize("name", sorted(DATETIMES))
def test_nni_loads_what_traceable_writes_for_a_datetime_as_the_same_instant(name):
    value = DATETIMES[name]
    loaded = nni_load(traceable.dump(value))
    assert (loaded.replace(tzinfo=None), loaded.utcoffset()) == (value.replace(tzinfo=None), value.utcoffset())


@pytest.mark.parametrize("is_dst", [True, False])
def test_traceable_loads_the_ambiguous_times_nni_writes_as_the_same_instant(is_dst):
    value = pytz.timezone("Europe/Paris").localize(dt.datetime(2024, 10, 27, 2, 30), is_dst=is_dst)
    loaded = traceable.load(nni_dump(value))
    assert (loaded.replace(tzinfo=None), loaded.utcoffset(), loaded.fold) == (
        value.replace(tzinfo=None),
        value.utcoffset(),
        0 if is_dst else 1,
    )


TIME_SCALARS = {
    "datetime64[D]": (np.datetime64("2024-01-02"), np.datetime64("2024-01-02")),
    "datetime64[h]": (np.datetime64("2024-01-02T03", "h"), np.datetime64("2024-01-02T03", "h")),
    "datetime64[ns]": (np.datetime64(5, "ns"), np.datetime64(5, "ns")),
    "datetime64[10s]": (np.datetime64(5, "10s"), np.datetime64(50, "s")),  # NNI: the unit of the text
    "timedelta64[ms]": (np.timedelta64(5, "ms"), np.timedelta64(5000, "us")),  # NNI: via datetime.timedelta
    "timedelta64[ns]": (np.timedelta64(5, "ns"), np.timedelta64(5)),  # NNI: a count without unit
}


@pytest.mark.parametrize("name", sorted(TIME_SCALARS))
def test_nni_loads_datetime64_and_timedelta64_scalars(name):
    value, in_nni = TIME_SCALARS[name]
    loaded = nni_load(traceable.dump(value))
    assert (type(loaded), loaded.dtype, loaded.tobytes()) == (type(in_nni), in_nni.dtype, in_nni.tobytes())


def test_nni_loads_a_text_column_with_a_missing_value_as_missing():
    frame = pd.DataFrame({"a": pd.Series(["x", None], dtype=object), "n": [1, 2]})
    if isinstance(pd.api.types.pandas_dtype("str"), pd.StringDtype):
        frame["a"] = frame["a"].astype("str")
    loaded = nni_load(traceable.dump(frame))
    assert (list(loaded.columns), loaded["a"].isna().tolist(), loaded["a"][0], loaded["n"].tolist()) == (
        ["a", "n"],
        [False, True],
        "x",
        [1, 2],
    )


def test_nni_loads_a_nullable_column_as_an_object_column():
    frame = pd.DataFrame({"i": pd.array([1, None], dtype="Int64"), "b": pd.array([True, None], dtype="boolean")})
    loaded = nni_load(traceable.dump(frame))
    assert (loaded["i"].tolist(), loaded["b"].tolist(), str(loaded["i"].dtype)) == ([1, None], [True, None], "object")


@pytest.mark.parametrize("name", [None, 3, "s"])
def test_nni_loads_a_series_with_its_name(name):
    loaded = nni_load(traceable.dump(pd.Series([1, 2], name=name)))
    assert (loaded.name, loaded.tolist()) == (name, [1, 2])


def test_traceable_loads_the_text_column_with_a_missing_value_nni_writes():
    frame = pd.DataFrame({"a": ["x", None]})
    loaded = traceable.load(nni_dump(frame))
    assert (loaded["a"].isna().tolist(), loaded["a"][0]) == ([False, True], "x")


def test_nni_loads_frames_and_series_whose_index_names_and_freq_are_written_beside():
    index = pd.date_range("2024-01-01", periods=2, freq="D", name="day")
    frame = pd.DataFrame({"c": [1, 2]}, index=index)
    frame.columns.name = "field"
    loaded = nni_load(traceable.dump(frame))
    assert (loaded["c"].tolist(), list(loaded.columns), len(loaded.index)) == ([1, 2], ["c"], 2)
    series = nni_load(traceable.dump(pd.Series([1], index=pd.Index(["a"], name="idx"))))
    assert (series.tolist(), list(series.index)) == ([1], ["a"])
