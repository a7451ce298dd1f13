"""Standard-library values: datetime, Decimal, Fraction, complex, set, Path, Enum, bytes...

Encoders return JSON-able data in NNI 3.0's (json-tricks') exact form, key order
included. Decoders take the marker object, whose inner values are already decoded.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import enum
import pathlib
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

from traceable import _wire
from traceable.exceptions import UnsafePayloadError

_DATETIME_FIELDS = ("year", "month", "day", "hour", "minute", "second", "microsecond")
_TIME_FIELDS = ("hour", "minute", "second", "microsecond")


def _tz_name(value: dt.datetime | dt.time) -> str | None:
    """The time zone of ``value`` as a name that loads again, or None if it has no offset."""
    tzinfo = value.tzinfo
    # pytz zones and zoneinfo keys are names pytz (which NNI loads with) understands.
    name = getattr(tzinfo, "zone", None) or getattr(tzinfo, "key", None)
    if isinstance(name, str) and _is_instant_kept(value, name):
        return name
    # Any other zone (a fixed offset, dateutil's, a tzinfo of one's own) by its offset at
    # that instant, as json-tricks writes an unnamed one ("UTC+02:00"): the same instant
    # loads again. (A name such as "CET" given to a fixed offset is no zone to load: it
    # goes in "tzname", beside.)
    offset = value.utcoffset()
    return None if offset is None else dt.timezone(offset).tzname(None)


def _is_instant_kept(value: dt.datetime | dt.time, name: str) -> bool:
    """Whether ``value`` loads at the same offset from its zone's name, as decode_datetime reads it.

    Not so for a pytz zone attached without ``localize`` (``tzinfo=pytz.timezone(...)``):
    it is the zone's first offset (Paris' local mean time, +00:09), not the one its name
    gives for that local time; written by its offset instead, the instant is kept.
    """
    if not isinstance(value, dt.datetime):  # (a time has no date, and a named zone no offset without one)
        return True
    try:
        zone = _parse_tz(name)
    except ValueError:  # a name this machine cannot read (no tzdata): written by name, as NNI writes it
        return True
    restored = value.replace(tzinfo=zone)
    if not value.fold:  # (as decode_datetime does without "fold")
        restored = _localize(restored, bool(value.dst()))
    return restored.utcoffset() == value.utcoffset()


def _zone_fields(value: dt.datetime | dt.time, out: dict[str, Any]) -> None:
    """Add the zone of ``value`` to ``out``; and its fold when 1 (NNI ignores the key).

    A fold of 0 is left out, as json-tricks leaves out zero fields: what is written
    without one is what NNI 3.0 writes, and what NNI and older versions wrote loads as before.
    """
    zone = _tz_name(value) if value.tzinfo else None
    if zone is not None:
        out["tzinfo"] = zone
        tzinfo = value.tzinfo
        if type(tzinfo) is dt.timezone and tzinfo.tzname(None) != zone:
            out["tzname"] = tzinfo.tzname(None)  # timezone(offset, "IST"): its own name
        if isinstance(value, dt.datetime):
            out["is_dst"] = bool(value.dst())
    if value.fold:
        out["fold"] = 1


def _drop_zero_fields(out: dict[str, Any]) -> dict[str, Any]:
    # json-tricks leaves out fields that are zero, after the marker. (A zone's name may be "".)
    return {k: v for k, v in out.items() if k.startswith("__") or k in ("is_dst", "tzname") or v}


def encode_datetime(obj: dt.datetime) -> dict[str, Any]:
    out: dict[str, Any] = {_wire.DATETIME: None}
    for field in _DATETIME_FIELDS:
        out[field] = getattr(obj, field)
    _zone_fields(obj, out)
    return _drop_zero_fields(out)


def encode_date(obj: dt.date) -> dict[str, Any]:
    return _drop_zero_fields({_wire.DATE: None, "year": obj.year, "month": obj.month, "day": obj.day})


def encode_time(obj: dt.time) -> dict[str, Any]:
    out: dict[str, Any] = {_wire.TIME: None}
    for field in _TIME_FIELDS:
        out[field] = getattr(obj, field)
    _zone_fields(obj, out)
    return _drop_zero_fields(out)


def encode_timedelta(obj: dt.timedelta) -> dict[str, Any]:
    return _drop_zero_fields(
        {_wire.TIMEDELTA: None, "days": obj.days, "seconds": obj.seconds, "microseconds": obj.microseconds}
    )


def _parse_tz(name: Any, own_name: Any = None) -> dt.tzinfo:
    if not isinstance(name, str):
        raise ValueError(f"tzinfo must be a string, not {type(name).__name__}")
    if own_name is not None and not isinstance(own_name, str):
        raise ValueError(f"tzname must be a string, not {type(own_name).__name__}")
    if name in ("UTC", "utc", "Z"):
        return dt.timezone.utc if own_name is None else dt.timezone(dt.timedelta(0), own_name)
    if name.startswith("UTC") and len(name) > 3:  # "UTC+02:00", as timezone(offset).tzname() writes
        sign = -1 if name[3] == "-" else 1
        hours, _, rest = name[4:].partition(":")
        minutes, _, seconds = rest.partition(":")
        offset = dt.timedelta(hours=int(hours), minutes=int(minutes or 0), seconds=float(seconds or 0))
        return dt.timezone(sign * offset) if own_name is None else dt.timezone(sign * offset, own_name)
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(f"unknown time zone {name!r}; install tzdata if it is an IANA name") from err


def _fold(d: dict[str, Any]) -> int:
    fold = d.get("fold", 0)
    if type(fold) is not int or fold not in (0, 1):
        raise ValueError(f"fold must be 0 or 1, not {fold!r}")
    return fold


def _localize(value: dt.datetime, is_dst: Any) -> dt.datetime:
    """``value`` (aware, fold 0) with the fold that ``is_dst`` picks, as pytz's localize does.

    Only where the two folds are two instants (a time repeated, or skipped, as clocks
    change) does ``is_dst`` choose: the one whose ``dst()`` it describes. Elsewhere
    there is one instant, and the fold is 0.
    """
    other = value.replace(fold=1)
    if value.utcoffset() == other.utcoffset():
        return value
    if is_dst is not None and bool(value.dst()) != bool(is_dst) and bool(other.dst()) == bool(is_dst):
        return other
    return value


def decode_datetime(d: dict[str, Any]) -> dt.datetime:
    value = dt.datetime(*(d.get(field, 0) for field in _DATETIME_FIELDS), fold=_fold(d))
    if "tzinfo" not in d:
        return value
    value = value.replace(tzinfo=_parse_tz(d["tzinfo"], d.get("tzname")))
    # With "fold", the value is exact; without it, written as NNI writes it, is_dst chooses.
    return value if "fold" in d else _localize(value, d.get("is_dst"))


def decode_date(d: dict[str, Any]) -> dt.date:
    return dt.date(d.get("year", 0), d.get("month", 0), d.get("day", 0))


def decode_time(d: dict[str, Any]) -> dt.time:
    tz = _parse_tz(d["tzinfo"], d.get("tzname")) if "tzinfo" in d else None
    hour, minute, second, microsecond = (d.get(field, 0) for field in _TIME_FIELDS)
    return dt.time(hour, minute, second, microsecond, tzinfo=tz, fold=_fold(d))


def decode_timedelta(d: dict[str, Any]) -> dt.timedelta:
    return dt.timedelta(days=d.get("days", 0), seconds=d.get("seconds", 0), microseconds=d.get("microseconds", 0))


def encode_decimal(obj: Decimal) -> dict[str, Any]:
    return {_wire.DECIMAL: str(obj.canonical())}


def decode_decimal(d: dict[str, Any]) -> Decimal:
    text = d[_wire.DECIMAL]
    if not isinstance(text, str):
        raise ValueError(f"a decimal must be written as a string, not {type(text).__name__}")
    return Decimal(text)


# int() of a Decimal takes time that grows faster than its exponent (10**100000: 0.25 s,
# 10**1000000: 28 s); one beyond as many digits as Python reads into an int from text is
# no integer a payload can mean.
INT_DIGITS_LIMIT = 4300


def is_huge_integer(value: Decimal) -> bool:
    """Whether ``int(value)`` would have over ``INT_DIGITS_LIMIT`` digits (and take long to make)."""
    return value.is_finite() and value.adjusted() >= INT_DIGITS_LIMIT


def encode_fraction(obj: Fraction) -> dict[str, Any]:
    return {_wire.FRACTION: True, "numerator": obj.numerator, "denominator": obj.denominator}


def decode_fraction(d: dict[str, Any]) -> Fraction:
    numerator, denominator = d["numerator"], d["denominator"]
    # Ints only: Fraction("1e300000000") would expand a huge power of ten.
    if type(numerator) is not int or type(denominator) is not int:
        raise ValueError("a fraction's numerator and denominator must be integers")
    return Fraction(numerator, denominator)


def encode_complex(obj: complex) -> dict[str, Any]:
    return {_wire.COMPLEX: [obj.real, obj.imag]}


def decode_complex(d: dict[str, Any]) -> complex:
    parts = d[_wire.COMPLEX]
    if not isinstance(parts, list) or len(parts) != 2:
        raise ValueError("a complex number must be written as [real, imag]")
    return complex(parts[0], parts[1])


def sorted_if_possible(items: Any) -> list[Any]:
    try:
        return sorted(items)
    except TypeError:  # mixed types: any order will do, as json-tricks does
        return list(items)


def encode_set(obj: set[Any]) -> dict[str, Any]:
    return {_wire.SET: sorted_if_possible(obj)}


def hashable(item: Any, _seen: set[int] | None = None) -> Any:
    """An item of a decoded set, or a decoded dict key, lists made tuples.

    Raises:
        ValueError: the same list is reached twice inside it (only the references of a
            lossless payload can do that; the tuple made of it would take exponential
            time to hash).
    """
    # JSON has no tuples: a set of tuples comes back as a set of lists, made tuples again.
    if not isinstance(item, list):
        return item
    seen = set() if _seen is None else _seen
    if id(item) in seen:
        message = (
            "a set item or dict key holds the same list twice (through __ref__), which would make hashing it "
            "exponentially slow; a payload written by dump never does this"
        )
        raise ValueError(message)
    seen.add(id(item))
    return tuple(hashable(x, seen) for x in item)


SAME_HASH_LIMIT = 64


def refuse_colliding(keys: list[Any]) -> None:
    """Refuse set items or dict keys of which many share one hash (``keys`` already hashable).

    Ints hash to themselves (modulo a prime), and so do the numbers inside tuples and
    complex numbers: a payload can make every key collide, and building the set or dict
    quadratic. Counting the hashes first is linear. (Strings' hashes are salted.)

    Raises:
        UnsafePayloadError: more than ``SAME_HASH_LIMIT`` keys share a hash (rule ``set_hashes``).
    """
    if len(keys) <= SAME_HASH_LIMIT:
        return
    counts: dict[int, int] = {}
    for key in keys:
        code = hash(key)
        counts[code] = counts.get(code, 0) + 1
        if counts[code] > SAME_HASH_LIMIT:
            message = (
                "refused the payload: a set or dict whose items share a hash, which makes building it slow; "
                "a payload written by dump never does this, do not load it"
            )
            raise UnsafePayloadError(message, rule="set_hashes")


def decode_set(d: dict[str, Any]) -> set[Any]:
    items = [hashable(item) for item in _items(d[_wire.SET])]
    refuse_colliding(items)
    return set(items)


def encode_frozenset(obj: frozenset[Any]) -> dict[str, Any]:
    return {_wire.FROZENSET: sorted_if_possible(obj)}


def decode_frozenset(d: dict[str, Any]) -> frozenset[Any]:
    items = [hashable(item) for item in _items(d[_wire.FROZENSET])]
    refuse_colliding(items)
    return frozenset(items)


def _items(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"expected a list of items, not {type(value).__name__}")
    return value


def encode_path(obj: pathlib.Path) -> dict[str, Any]:
    return {_wire.PATHLIB: str(obj)}


def decode_path(d: dict[str, Any]) -> pathlib.Path:
    return pathlib.Path(d[_wire.PATHLIB])


def encode_enum(obj: enum.Enum) -> dict[str, Any]:
    module = type(obj).__module__
    # json-tricks writes no module for __main__, and __name__ rather than __qualname__.
    where = [None if module == "__main__" else module, type(obj).__name__]
    name = obj.name
    if name is None and isinstance(obj, enum.Flag) and obj.value:
        # Bits no member names (a flag with boundary=KEEP) have no name: written by their
        # value, as Python names the bits beside named ones ("A|8"). (A zero flag is null.)
        name = str(obj.value)
    return {_wire.ENUM: {_wire.ENUM_TYPE: where, "name": name}}


def decode_enum(d: dict[str, Any], import_path: Callable[[str], Any]) -> enum.Enum:
    body = d[_wire.ENUM]
    module, name = body[_wire.ENUM_TYPE]
    cls = import_path(f"{module or '__main__'}.{name}")
    if not (isinstance(cls, type) and issubclass(cls, enum.Enum)):
        raise ValueError(f"{module}.{name} is not an Enum class")
    member = body["name"]
    if issubclass(cls, enum.Flag) and (member is None or (isinstance(member, str) and member not in cls.__members__)):
        return _flag(cls, member)
    return cls[member]


def _flag(cls: type[enum.Flag], name: str | None) -> enum.Flag:
    """The flag written as ``name``: null for no flag, or "A|B" for the members it combines.

    Raises:
        KeyError: a part of ``name`` is neither a member of ``cls`` nor a number.
    """
    value = cls(0)
    for part in () if name is None else name.split("|"):
        # (Bits no member names are written by their value: "A|8", as Python names them.)
        value |= cls(int(part)) if part.isascii() and part.isdigit() else cls[part]
    return value


def encode_bytes(obj: bytes) -> dict[str, Any]:
    return {_wire.BYTES: base64.b64encode(obj).decode("ascii")}


def _b64(value: Any) -> bytes:
    if not isinstance(value, str):
        raise ValueError(f"expected base64 text, not {type(value).__name__}")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as err:
        raise ValueError(f"invalid base64: {err}") from err


def decode_bytes(d: dict[str, Any]) -> bytes:
    return _b64(d[_wire.BYTES])


def decode_bytes_utf8(d: dict[str, Any]) -> bytes:
    text = d[_wire.BYTES_UTF8]
    if not isinstance(text, str):
        raise ValueError(f"expected a string, not {type(text).__name__}")
    return text.encode("utf-8")


def encode_bytearray(obj: bytearray) -> dict[str, Any]:
    return {_wire.BYTEARRAY: base64.b64encode(obj).decode("ascii")}


def decode_bytearray(d: dict[str, Any]) -> bytearray:
    return bytearray(_b64(d[_wire.BYTEARRAY]))


def encode_range(obj: range) -> dict[str, Any]:
    return {_wire.RANGE: [obj.start, obj.stop, obj.step]}


def decode_range(d: dict[str, Any]) -> range:
    start, stop, step = d[_wire.RANGE]
    return range(start, stop, step)


def encode_slice(obj: slice) -> dict[str, Any]:
    return {_wire.SLICE: True, "start": obj.start, "stop": obj.stop, "step": obj.step}


def decode_slice(d: dict[str, Any]) -> slice:
    return slice(d.get("start"), d.get("stop"), d.get("step"))


# Exact types encoded here, looked up by type(obj) before anything else.
ENCODERS: dict[type, Callable[[Any], Any]] = {
    dt.datetime: encode_datetime,
    dt.date: encode_date,
    dt.time: encode_time,
    dt.timedelta: encode_timedelta,
    Decimal: encode_decimal,
    Fraction: encode_fraction,
    complex: encode_complex,
    set: encode_set,
    frozenset: encode_frozenset,
    bytes: encode_bytes,
    bytearray: encode_bytearray,
    range: encode_range,
    slice: encode_slice,
    type(pathlib.Path()): encode_path,
}

# Subclasses, in NNI's (json-tricks') order of precedence.
SUBCLASS_ENCODERS: tuple[tuple[type, Callable[[Any], Any]], ...] = (
    (dt.datetime, encode_datetime),
    (dt.date, encode_date),
    (dt.time, encode_time),
    (dt.timedelta, encode_timedelta),
    (complex, encode_complex),
    (set, encode_set),
    (Decimal, encode_decimal),
    (Fraction, encode_fraction),
)

DECODERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    _wire.DATETIME: decode_datetime,
    _wire.DATE: decode_date,
    _wire.TIME: decode_time,
    _wire.TIMEDELTA: decode_timedelta,
    _wire.DECIMAL: decode_decimal,
    _wire.FRACTION: decode_fraction,
    _wire.COMPLEX: decode_complex,
    _wire.SET: decode_set,
    _wire.FROZENSET: decode_frozenset,
    _wire.PATHLIB: decode_path,
    _wire.BYTES: decode_bytes,
    _wire.BYTES_UTF8: decode_bytes_utf8,
    _wire.BYTEARRAY: decode_bytearray,
    _wire.RANGE: decode_range,
    _wire.SLICE: decode_slice,
}
