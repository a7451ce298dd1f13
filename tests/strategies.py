"""Hypothesis strategies for values of every type traceable encodes, and equality for them."""

from __future__ import annotations

import datetime as dt
import math
import pathlib
from decimal import Decimal

from hypothesis import strategies as st

import samples

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


def equal(a, b) -> bool:
    """Deep equality that treats NaN as equal to NaN and traced objects by their record."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, Decimal):
        return isinstance(b, Decimal) and (a == b or (a.is_nan() and b.is_nan()))
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(equal, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(equal(a[k], b[k]) for k in a)
    if isinstance(a, samples.Plain):
        return isinstance(b, samples.Plain) and equal(a.v, b.v) and b.trace_kwargs.keys() == {"v"}
    if hasattr(a, "trace_kwargs"):
        return type(a) is type(b) and equal(a.trace_args, b.trace_args) and equal(a.trace_kwargs, b.trace_kwargs)
    return type(a) is type(b) and a == b
