"""The exact text dump writes, per the NNI 3.0 wire format, and what load makes of it."""

from __future__ import annotations

import base64
import collections
import datetime as dt
import enum
import io
import json
import math
import pathlib
from decimal import Decimal
from fractions import Fraction

import pytest

import samples
from traceable import dump, load


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"a": 1, "b": [1, 2]}, '{"a": 1, "b": [1, 2]}'),
        ({1: "a"}, '{"1": "a"}'),
        ((1, 2), "[1, 2]"),
        (collections.OrderedDict([("b", 1), ("a", 2)]), '{"b": 1, "a": 2}'),
        (float("nan"), "NaN"),
        ([float("inf"), -float("inf")], "[Infinity, -Infinity]"),
        (
            dt.datetime(2024, 1, 2, 3, 4, 5, 6),
            '{"__datetime__": null, "year": 2024, "month": 1, "day": 2, "hour": 3, "minute": 4, '
            '"second": 5, "microsecond": 6}',
        ),
        (dt.datetime(2024, 1, 2, 3), '{"__datetime__": null, "year": 2024, "month": 1, "day": 2, "hour": 3}'),
        (
            dt.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=dt.timezone.utc),
            '{"__datetime__": null, "year": 2024, "month": 1, "day": 2, "hour": 3, "minute": 4, '
            '"second": 5, "microsecond": 6, "tzinfo": "UTC", "is_dst": false}',
        ),
        (dt.date(2024, 1, 2), '{"__date__": null, "year": 2024, "month": 1, "day": 2}'),
        (dt.time(3, 4, 5, 7), '{"__time__": null, "hour": 3, "minute": 4, "second": 5, "microsecond": 7}'),
        (dt.time(0, 0), '{"__time__": null}'),
        (dt.timedelta(days=1, seconds=2), '{"__timedelta__": null, "days": 1, "seconds": 2}'),
        (Decimal("1.10"), '{"__decimal__": "1.10"}'),
        (Fraction(1, 3), '{"__fraction__": true, "numerator": 1, "denominator": 3}'),
        (1 + 2j, '{"__complex__": [1.0, 2.0]}'),
        ({3, 1, 2}, '{"__set__": [1, 2, 3]}'),
        (pathlib.Path("runs/exp1"), '{"__pathlib__": "runs/exp1"}'),
        (samples.Color.RED, '{"__enum__": {"__enum_instance_type__": ["samples", "Color"], "name": "RED"}}'),
        (
            samples.Layer(3, dropout=0.1),
            '{"__symbol__": "path:samples.Layer", "__kwargs__": {"width": 3, "dropout": 0.1}}',
        ),
        (
            samples.varargs(1, 2, 3, k=4),
            '{"__symbol__": "path:samples.varargs", "__args__": [1, 2, 3], "__kwargs__": {"k": 4}}',
        ),
        (
            samples.Layer(samples.Layer(1), act="tanh"),
            '{"__symbol__": "path:samples.Layer", "__kwargs__": {"width": '
            '{"__symbol__": "path:samples.Layer", "__kwargs__": {"width": 1}}, "act": "tanh"}}',
        ),
        (math.floor, '{"__nni_type__": "path:math.floor"}'),
        (samples.Plain, '{"__nni_type__": "path:samples.Plain"}'),
        (samples.Layer, '{"__nni_type__": "path:samples.Layer"}'),
        (samples.Custom(5, "x"), '{"a": 5, "b": "x", "__instance_type__": "path:samples.Custom"}'),
        (samples.make_dict(1), '{"v": 1}'),
        (samples.make_ordered_dict(a=1, b=2), '{"a": 1, "b": 2}'),
        (samples.make_none(2), '{"__symbol__": "path:samples.make_none", "__kwargs__": {"v": 2}}'),
        (samples.make_plain(2), '{"__symbol__": "path:samples.make_plain", "__kwargs__": {"v": 2}}'),
    ],
)
def test_dump_writes_nni_text(value, text):
    assert dump(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (b"\x00ab", '{"__bytes_b64__": "AGFi"}'),
        (bytearray(b"ab"), '{"__bytearray_b64__": "YWI="}'),
        (frozenset({2, 1}), '{"__frozenset__": [1, 2]}'),
        (range(1, 10, 2), '{"__range__": [1, 10, 2]}'),
        (slice(1, None, 2), '{"__slice__": true, "start": 1, "stop": null, "step": 2}'),
    ],
)
def test_values_nni_cannot_encode_get_markers_of_their_own(value, text):
    assert dump(value) == text
    assert load(text) == value
    assert type(load(text)) is type(value)


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2024, 1, 2, 3, 4, 5, 6),
        dt.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=dt.timezone.utc),
        dt.datetime(2024, 1, 2, 3, 4, tzinfo=dt.timezone(dt.timedelta(hours=2, minutes=30))),
        dt.datetime(2024, 1, 2, tzinfo=dt.timezone(-dt.timedelta(hours=5))),
        dt.date(2024, 1, 2),
        dt.time(3, 4, 5, 7),
        dt.time(1, tzinfo=dt.timezone.utc),
        dt.timedelta(days=-1, microseconds=5),
        Decimal("1.10"),
        Decimal("NaN").copy_abs(),
        Fraction(-1, 3),
        1 + 2j,
        {1, 2, 3},
        {(1, 2), (3, 4)},
        pathlib.Path("runs/exp1"),
        samples.Color.GREEN,
        samples.Custom(5, "x"),
        samples.Slotted(3),
        math.floor,
        samples.square,
        samples.Layer,
    ],
)
def test_native_values_round_trip(value):
    loaded = load(dump(value))
    if isinstance(value, Decimal) and value.is_nan():
        assert loaded.is_nan()
        return
    assert loaded == value
    assert type(loaded) is type(value)


def test_zoneinfo_datetime_round_trips_by_zone_name():
    zoneinfo = pytest.importorskip("zoneinfo")
    try:
        paris = zoneinfo.ZoneInfo("Europe/Paris")
    except zoneinfo.ZoneInfoNotFoundError:
        pytest.skip("no IANA time zone data on this machine")
    value = dt.datetime(2024, 7, 1, 12, tzinfo=paris)
    text = dump(value)
    assert '"tzinfo": "Europe/Paris", "is_dst": true' in text
    assert load(text) == value


def test_traced_objects_load_traced_again():
    model = samples.Model([samples.Layer(4), samples.Layer(8, act="relu")], head=samples.Positional(1), name="m")
    loaded = load(dump(model))
    assert loaded == model
    assert type(loaded) is samples.Model
    assert loaded.trace_kwargs["layers"][1].trace_kwargs == {"width": 8, "act": "relu"}
    assert loaded.head.trace_args == [1]


def test_traced_function_results_load_as_the_call():
    loaded = load(dump({"p": samples.make_plain(3), "n": samples.make_none(1), "v": samples.varargs(1, 2)}))
    assert isinstance(loaded["p"], samples.Plain)
    assert vars(loaded["p"]) == {"v": 3}
    assert loaded["p"].trace_kwargs == {"v": 3}
    assert loaded["n"].trace_kwargs == {"v": 1}
    assert loaded["v"].v == {"a": 1, "rest": [2], "k": 4}


def test_symbols_without_import_path_are_pickled():
    local = trace_local_class()
    text = dump(local(3))
    assert text.startswith('{"__symbol__": "bytes:')
    loaded = load(text)
    assert loaded.trace_kwargs == {"q": 3}
    assert loaded.q == 3


def trace_local_class():
    from traceable import trace

    @trace
    class Local:
        def __init__(self, q):
            self.q = q

    return Local


def test_a_class_without_an_import_path_is_pickled_once_per_dump_and_anew_in_the_next(monkeypatch, tmp_path):
    from traceable import _symbols

    pickled = []
    real = _symbols.pickle_b64
    monkeypatch.setattr(_symbols, "pickle_b64", lambda obj: pickled.append(obj) or real(obj))
    local = trace_local_class()
    items = [local(i) for i in range(50)]
    for mode in ({}, {"lossless": True}):
        pickled.clear()
        assert [x.q for x in load(dump(items, **mode))] == list(range(50))
        assert pickled == [local]  # one pickle for 50 instances, however many times it is written
    pickled.clear()
    dump(items, tmp_path / "items.json")  # written item by item: still one dump
    assert pickled == [local]
    assert [x.q for x in load(fp=tmp_path / "items.json")] == list(range(50))

    local.unit = "centimetres"  # changed between dumps: the next dump pickles it as it is now
    assert "centimetres" in _pickled_class_text(dump(local(1)))


def _pickled_class_text(text: str) -> str:
    # What the pickle of the one class in ``text`` holds (a load in this process would give
    # the live class back, whatever the pickle says: cloudpickle keeps track of it).
    symbol = json.loads(text)["__symbol__"]
    return base64.b64decode(symbol.removeprefix("bytes:")).decode("latin-1")


def test_a_dump_in_another_thread_and_one_abandoned_half_way_leave_no_stale_pickle(tmp_path):
    import threading

    local = trace_local_class()
    first_piece_out, go_on = threading.Event(), threading.Event()

    class SlowFile(io.StringIO):  # holds the dump in the middle, with the class named already
        def write(self, text: str) -> int:
            if '"bytes:' in text and not first_piece_out.is_set():
                first_piece_out.set()
                go_on.wait(10)
            return super().write(text)

    other = threading.Thread(target=dump, args=([local(1), local(2)], SlowFile()))
    other.start()
    assert first_piece_out.wait(10)
    local.unit = "metres"  # while the other thread's dump is under way
    assert "metres" in _pickled_class_text(dump(local(3)))
    go_on.set()
    other.join(10)

    class FailingFile(io.StringIO):
        def write(self, text: str) -> int:
            if '"bytes:' in text:
                raise OSError("disk full")
            return super().write(text)

    with pytest.raises(OSError, match="disk full") as failed:
        dump([local(1), local(2)], FailingFile())
    local.unit = "inches"  # (the failed dump's error, and its traceback, are still alive)
    assert failed.value is not None
    assert "inches" in _pickled_class_text(dump(local(4)))


def test_a_dump_keeps_no_function_it_named_alive_once_it_has_ended():
    import gc
    import weakref

    def make(big):
        return lambda: len(big)

    function = make(bytearray(10**6))
    assert load(dump({"f": function, "g": function}, pickle_size_limit=-1))["g"]() == 10**6
    ref = weakref.ref(function)
    del function
    gc.collect()
    assert ref() is None


def test_lambda_as_a_value_is_pickled():
    text = dump({"f": lambda x: x + 1})
    assert text.startswith('{"f": {"__nni_type__": "bytes:')
    assert load(text)["f"](1) == 2


def test_untraced_objects_fall_back_to_cloudpickle():
    text = dump(samples.Plain([1, 2]))
    assert text.startswith('{"__nni_obj__": "')
    assert load(text) == samples.Plain([1, 2])


def test_use_trace_false_pickles_traced_objects():
    text = dump(samples.Layer(2), use_trace=False)
    assert text.startswith('{"__nni_obj__": "')
    assert load(text) == samples.Layer(2)


def test_load_accepts_bare_and_qualified_paths():
    assert load('{"__symbol__": "samples.Layer", "__kwargs__": {"width": 1}}') == samples.Layer(1)
    assert load('{"__symbol__": "path:samples.Outer.Inner", "__kwargs__": {"z": 1}}') == samples.Outer.Inner(1)
    assert load('{"__nni_type__": "collections.OrderedDict"}') is collections.OrderedDict


def test_marker_keys_written_with_unicode_escapes_are_still_markers():
    assert load('{"\\u005f_set__": [1]}') == {1}


def test_json_keyword_arguments_pass_through():
    assert dump({"b": 1, "a": [1]}, indent=2, sort_keys=True) == '{\n  "a": [\n    1\n  ],\n  "b": 1\n}'
    assert dump({"a": [1, 2]}, separators=(",", ":")) == '{"a":[1,2]}'
    assert dump("é", ensure_ascii=False) == '"é"'


def test_allow_nan_false_refuses_non_finite_floats():
    with pytest.raises(ValueError, match=r"at \$\.x\[1\]: allow_nan=False"):
        dump({"x": [1.0, float("nan")]}, allow_nan=False)


def test_preserve_order_gives_ordered_dicts():
    loaded = load('{"b": {"__set__": [1]}, "a": {"c": 1}}', preserve_order=True)
    assert type(loaded) is collections.OrderedDict
    assert type(loaded["a"]) is collections.OrderedDict
    assert list(loaded) == ["b", "a"]


def test_int_enum_is_written_as_its_value_like_nni():
    class Level(enum.IntEnum):
        LOW = 1

    assert dump(Level.LOW) == "1"


def test_named_fixed_offsets_are_written_by_offset_and_load_as_the_same_instant():
    value = dt.datetime(2020, 7, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=1), "CET"))
    text = dump(value)
    assert '"tzinfo": "UTC+01:00"' in text
    assert load(text) == value
    assert load(text).utcoffset() == dt.timedelta(hours=1)


class _ThreeHoursEast(dt.tzinfo):
    def utcoffset(self, when):
        return dt.timedelta(hours=3)

    def dst(self, when):
        return dt.timedelta(0)

    def tzname(self, when):
        return "Somewhere"  # not a zone name that would load


def test_a_datetime_with_any_other_tzinfo_is_written_by_its_offset_and_loads_as_the_same_instant():
    when = dt.datetime(2024, 1, 2, 3, tzinfo=_ThreeHoursEast())
    text = dump(when)
    assert text == (
        '{"__datetime__": null, "year": 2024, "month": 1, "day": 2, "hour": 3, "tzinfo": "UTC+03:00", "is_dst": false}'
    )
    assert load(text) == when
    assert load(text).utcoffset() == dt.timedelta(hours=3)
    assert dump(dt.time(1, tzinfo=_ThreeHoursEast())) == '{"__time__": null, "hour": 1, "tzinfo": "UTC+03:00"}'


def test_dateutil_zones_load_as_the_same_instant():
    tz = pytest.importorskip("dateutil.tz")
    summer = dt.datetime(2024, 7, 1, 12, tzinfo=tz.gettz("Europe/Paris"))
    assert load(dump(summer)) == summer
    assert load(dump(summer)).utcoffset() == dt.timedelta(hours=2)
