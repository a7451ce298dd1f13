"""Hypothesis strategies for values of every type traceable encodes, and equality for them."""

from __future__ import annotations

import collections
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
    st.uuids(),
    st.just(...),
    st.builds(collections.deque, st.lists(st.integers() | st.text(), max_size=4)),
    st.builds(collections.deque, st.lists(st.integers(), max_size=4), st.integers(0, 5)),
    st.builds(samples.Hyper, st.floats(0, 1), st.lists(st.integers(), max_size=3)),
    st.builds(samples.Frozen, st.text(max_size=5), st.integers()),
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
    if isinstance(a, (list, tuple)) and not hasattr(a, "_fields"):
        return type(a) is type(b) and len(a) == len(b) and all(map(equal, a, b))
    if isinstance(a, dict):
        return type(a) is type(b) and list(a) == list(b) and all(equal(a[k], b[k]) for k in a)
    if isinstance(a, samples.Plain):
        return isinstance(b, samples.Plain) and equal(a.v, b.v) and b.trace_kwargs.keys() == {"v"}
    if hasattr(a, "trace_kwargs"):
        return type(a) is type(b) and equal(a.trace_args, b.trace_args) and equal(a.trace_kwargs, b.trace_kwargs)
    return type(a) is type(b) and a == b


# What only the lossless mode keeps: tuples, keys of any type, dict and tuple subclasses,
# and dicts whose keys look like markers.
hashable_keys = st.text(max_size=5) | st.integers() | st.tuples(st.integers(), st.text(max_size=3)) | st.none()
marker_like_keys = st.sampled_from(["__symbol__", "__nni_obj__", "__ref__", "__id__", "__tuple__", "__lossless__"])

lossless_values = st.recursive(
    leaves | traced_values,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.tuples(children, children) | st.lists(children, max_size=3).map(tuple),
        st.dictionaries(hashable_keys | marker_like_keys, children, max_size=4),
        st.dictionaries(st.text(max_size=5), children, max_size=3).map(collections.OrderedDict),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=3).map(collections.Counter),
        st.dictionaries(st.integers(), st.lists(st.integers(), max_size=2), max_size=3).map(
            lambda d: collections.defaultdict(list, d)
        ),
        st.builds(samples.Point, children, children),
        st.builds(samples.Pair, children, children),
    ),
    max_leaves=12,
)
