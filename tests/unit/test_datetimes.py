"""Datetimes and times come back as they went: the same fold, instant, offset and zone name."""

from __future__ import annotations

import datetime as dt

import pytest

from traceable import DecodeError, dump, load

zoneinfo = pytest.importorskip("zoneinfo")
try:
    PARIS = zoneinfo.ZoneInfo("Europe/Paris")
    LONDON = zoneinfo.ZoneInfo("Europe/London")
except zoneinfo.ZoneInfoNotFoundError:  # pragma: no cover - depends on the machine
    pytest.skip("no IANA time zone data on this machine", allow_module_level=True)

IST = dt.timezone(dt.timedelta(hours=5, minutes=30), "IST")


def key(value: dt.datetime | dt.time) -> tuple[object, ...]:
    """All a datetime is: equality ignores fold, and compares aware ones only as instants."""
    return (type(value), value.replace(tzinfo=None), value.fold, value.utcoffset(), value.tzname(), type(value.tzinfo))


VALUES = {
    "utc": dt.datetime(2024, 5, 6, 7, 8, tzinfo=dt.timezone.utc),
    "fixed offset": dt.datetime(2024, 5, 6, 7, 8, tzinfo=dt.timezone(dt.timedelta(hours=-4))),
    "named fixed offset": dt.datetime(2024, 5, 6, 7, 8, tzinfo=IST),
    "named utc": dt.datetime(2024, 5, 6, 7, 8, tzinfo=dt.timezone(dt.timedelta(0), "GMT")),
    "offset named ''": dt.datetime(2024, 5, 6, 7, 8, tzinfo=dt.timezone(dt.timedelta(hours=1), "")),
    "ordinary winter": dt.datetime(2024, 1, 15, 9, 45, tzinfo=LONDON),
    "ordinary summer": dt.datetime(2024, 7, 15, 9, 45, tzinfo=LONDON),
    "ordinary, fold 1": dt.datetime(2024, 1, 15, 9, 45, tzinfo=LONDON, fold=1),
    "gap, fold 0": dt.datetime(2024, 3, 31, 2, 30, tzinfo=PARIS),
    "gap, fold 1": dt.datetime(2024, 3, 31, 2, 30, tzinfo=PARIS, fold=1),
    "ambiguous, fold 0": dt.datetime(2024, 10, 27, 2, 30, tzinfo=PARIS),
    "ambiguous, fold 1": dt.datetime(2024, 10, 27, 2, 30, tzinfo=PARIS, fold=1),
    "naive, fold 1": dt.datetime(2024, 10, 27, 2, 30, fold=1),
    "time, fold 1": dt.time(2, 30, fold=1),
    "time at a named offset": dt.time(2, 30, tzinfo=IST),
}


@pytest.mark.parametrize("lossless", [False, True], ids=["default", "lossless"])
@pytest.mark.parametrize("name", sorted(VALUES))
def test_datetimes_come_back_with_their_fold_offset_and_zone_name(name, lossless):
    value = VALUES[name]
    assert key(load(dump(value, lossless=lossless))) == key(value)


def test_an_aware_datetime_at_utc_loads_with_fold_0():
    text = dump(dt.datetime(2024, 5, 6, 7, 8, tzinfo=dt.timezone.utc))
    assert text == (
        '{"__datetime__": null, "year": 2024, "month": 5, "day": 6, "hour": 7, "minute": 8, '
        '"tzinfo": "UTC", "is_dst": false}'
    )
    assert load(text).fold == 0


def test_a_time_in_a_dst_gap_keeps_its_instant():
    value = dt.datetime(2024, 3, 31, 2, 30, tzinfo=PARIS)  # +01:00: clocks skip 02:00-03:00 that night
    text = dump(value)
    assert text == (
        '{"__datetime__": null, "year": 2024, "month": 3, "day": 31, "hour": 2, "minute": 30, '
        '"tzinfo": "Europe/Paris", "is_dst": false}'
    )
    assert load(text).utcoffset() == dt.timedelta(hours=1)
    assert load(text).fold == 0


def test_fold_1_is_written_as_a_key_nni_ignores():
    text = dump(dt.datetime(2024, 10, 27, 2, 30, tzinfo=PARIS, fold=1))
    assert text == (
        '{"__datetime__": null, "year": 2024, "month": 10, "day": 27, "hour": 2, "minute": 30, '
        '"tzinfo": "Europe/Paris", "is_dst": false, "fold": 1}'
    )


def test_a_named_fixed_offset_is_written_by_offset_with_its_name_beside():
    text = dump(dt.datetime(2024, 5, 6, 7, 8, tzinfo=IST))
    assert text == (
        '{"__datetime__": null, "year": 2024, "month": 5, "day": 6, "hour": 7, "minute": 8, '
        '"tzinfo": "UTC+05:30", "tzname": "IST", "is_dst": false}'
    )
    assert load(text).tzinfo == IST
    assert load(text).tzname() == "IST"
    assert dump(dt.time(1, tzinfo=IST)) == '{"__time__": null, "hour": 1, "tzinfo": "UTC+05:30", "tzname": "IST"}'


@pytest.mark.parametrize(
    ("is_dst", "offset", "fold"),
    [(True, dt.timedelta(hours=2), 0), (False, dt.timedelta(hours=1), 1), (None, dt.timedelta(hours=2), 0)],
)
def test_without_fold_is_dst_picks_between_the_two_instants_of_an_ambiguous_time(is_dst, offset, fold):
    # As NNI 3.0 (pytz) writes it: no fold, is_dst = whether that instant is summer time.
    extra = "" if is_dst is None else f', "is_dst": {"true" if is_dst else "false"}'
    text = '{"__datetime__": null, "year": 2024, "month": 10, "day": 27, "hour": 2, "tzinfo": "Europe/Paris"' + extra
    loaded = load(text + "}")
    assert (loaded.utcoffset(), loaded.fold) == (offset, fold)


@pytest.mark.parametrize(("is_dst", "offset", "fold"), [(False, 1, 0), (True, 2, 1)])
def test_without_fold_is_dst_picks_the_offset_of_a_time_in_a_gap(is_dst, offset, fold):
    # pytz's localize: is_dst=False takes the standard (winter) offset, +01:00.
    text = (
        '{"__datetime__": null, "year": 2024, "month": 3, "day": 31, "hour": 2, "minute": 30, '
        f'"tzinfo": "Europe/Paris", "is_dst": {"true" if is_dst else "false"}}}'
    )
    loaded = load(text)
    assert (loaded.utcoffset(), loaded.fold) == (dt.timedelta(hours=offset), fold)


def test_without_fold_is_dst_false_is_fold_0_where_there_is_one_instant():
    text = '{"__datetime__": null, "year": 2024, "month": 1, "day": 15, "tzinfo": "Europe/London", "is_dst": false}'
    assert load(text).fold == 0


@pytest.mark.parametrize("fold", ["2", "true", '"1"', "-1"])
def test_a_fold_other_than_0_or_1_is_a_decode_error(fold):
    with pytest.raises(DecodeError, match=r"at \$: ValueError: fold must be 0 or 1"):
        load(f'{{"__datetime__": null, "year": 2024, "month": 1, "day": 15, "fold": {fold}}}')


def test_a_tzname_that_is_not_a_string_is_a_decode_error():
    with pytest.raises(DecodeError, match="tzname must be a string"):
        load('{"__time__": null, "hour": 1, "tzinfo": "UTC+01:00", "tzname": 5}')


@pytest.mark.parametrize("lossless", [False, True])
def test_a_pytz_zone_attached_without_localize_keeps_its_instant_written_by_its_offset(lossless):
    pytz = pytest.importorskip("pytz")
    value = dt.datetime(2024, 6, 1, tzinfo=pytz.timezone("Europe/Paris"))  # Paris' local mean time, +00:09
    assert (
        dump(value)
        == '{"__datetime__": null, "year": 2024, "month": 6, "day": 1, "tzinfo": "UTC+00:09", "is_dst": false}'
    )
    loaded = load(dump(value, lossless=lossless))
    assert (loaded, loaded.utcoffset()) == (value, dt.timedelta(minutes=9))


@pytest.mark.parametrize(
    ("local", "is_dst"),
    [
        (dt.datetime(2024, 6, 1), True),
        (dt.datetime(2024, 10, 27, 2, 30), True),
        (dt.datetime(2024, 10, 27, 2, 30), False),
    ],
)
def test_a_localized_pytz_datetime_is_still_written_by_its_zone_name(local, is_dst):
    pytz = pytest.importorskip("pytz")
    value = pytz.timezone("Europe/Paris").localize(local, is_dst=is_dst)
    text = dump(value)
    assert f'"tzinfo": "Europe/Paris", "is_dst": {str(is_dst).lower()}}}' in text
    loaded = load(text)
    # (By UTC: datetimes in a fold of two zones never compare equal.)
    utc = dt.timezone.utc
    assert (loaded.astimezone(utc), loaded.utcoffset(), loaded.tzinfo) == (
        value.astimezone(utc),
        value.utcoffset(),
        PARIS,
    )
