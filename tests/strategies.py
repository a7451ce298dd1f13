"""Hypothesis strategies for values of every type traceable encodes, and equality for them."""

from __future__ import annotations

import collections
import datetime as dt
import importlib
import math
import pathlib
import zoneinfo
from decimal import Decimal
from types import ModuleType

from hypothesis import strategies as st

import samples


def _zone(key: str) -> dt.tzinfo | None:
    try:
        return zoneinfo.ZoneInfo(key)
    except zoneinfo.ZoneInfoNotFoundError:  # no IANA data on this machine
        return None


# Local times that clocks skip (a gap) or repeat (ambiguous) as they change: the zone, the
# start of that window and its length in minutes. Each is drawn with fold 0 and 1, which
# pick the offset before or after the change; Dublin's winter is a negative DST.
_CLOCK_CHANGES = [
    ("Europe/Paris", dt.datetime(2024, 3, 31, 2), 60),  # gap
    ("Europe/Paris", dt.datetime(2024, 10, 27, 2), 60),  # ambiguous
    ("America/New_York", dt.datetime(2024, 3, 10, 2), 60),
    ("America/New_York", dt.datetime(2024, 11, 3, 1), 60),
    ("Australia/Lord_Howe", dt.datetime(2024, 4, 7, 1, 30), 30),  # half an hour of DST
    ("Australia/Lord_Howe", dt.datetime(2024, 10, 6, 2), 30),
    ("Europe/Dublin", dt.datetime(2024, 10, 27, 1), 60),
    ("Pacific/Apia", dt.datetime(2011, 12, 30, 12), 60),  # a day skipped: no DST either side
]
_CHANGES = [(zone, start, minutes) for key, start, minutes in _CLOCK_CHANGES if (zone := _zone(key)) is not None]


def _at_a_clock_change(change: tuple[dt.tzinfo, dt.datetime, int], microseconds: int, fold: int) -> dt.datetime:
    zone, start, minutes = change
    local = start + dt.timedelta(microseconds=microseconds % (minutes * 60 * 10**6))
    return local.replace(tzinfo=zone, fold=fold)


_fixed_offsets = st.builds(
    lambda offset, name: dt.timezone(offset) if name is None else dt.timezone(offset, name),
    st.timedeltas(min_value=dt.timedelta(hours=-23, minutes=-59), max_value=dt.timedelta(hours=23, minutes=59)),
    st.none() | st.text(max_size=5),
)
# (Not zoneinfo's "UTC": written "UTC", as timezone.utc is, it loads as timezone.utc.)
_zones = st.timezones().filter(lambda zone: zone.key != "UTC") if _zone("Europe/Paris") is not None else st.nothing()

# Aware datetimes: at clock changes, anywhere in any IANA zone (Hypothesis draws the fold
# too), at fixed offsets with and without a name; naive ones with either fold.
datetimes = st.one_of(
    st.builds(_at_a_clock_change, st.sampled_from(_CHANGES), st.integers(0, 2**40), st.integers(0, 1))
    if _CHANGES
    else st.nothing(),
    st.datetimes(timezones=_zones | _fixed_offsets | st.none() | st.just(dt.timezone.utc)),
    st.builds(lambda when, fold: when.replace(fold=fold), st.datetimes(), st.integers(0, 1)),
)
times = st.builds(
    lambda when, fold: when.replace(fold=fold), st.times(timezones=st.none() | _fixed_offsets), st.integers(0, 1)
)

# JSON itself keeps these as they are (tuples excepted: see below).
json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()

native_values = st.one_of(
    datetimes,
    st.dates(),
    times,
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

records = st.one_of(
    st.builds(samples.AttrsRun, st.text(max_size=5), st.integers(), st.lists(st.text(max_size=3), max_size=3)),
    st.builds(samples.AttrsPoint, st.integers()),
    st.builds(
        lambda size, shape, lr, extra: samples.TrainConfig(
            batchSize=size, shape=shape, optim=samples.Optim(lr=lr), **extra
        ),
        st.integers(),
        st.tuples(st.integers(), st.integers()),
        st.floats(allow_nan=False),
        st.dictionaries(st.sampled_from(["note", "seed"]), json_scalars, max_size=2),
    ),
    st.builds(samples.Widths, st.lists(st.integers(), max_size=3)),
)


def _optional(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


np = _optional("numpy")
torch = _optional("torch")

# numpy scalars (float64 excepted: a float, written as one) and structured arrays.
SCALAR_DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint64", "float16", "float32", "complex64"]
SCALAR_DTYPES += ["complex128", "bool", "S3"]
SCALAR_DTYPES += [f"{kind}64[{unit}]" for kind in ("datetime", "timedelta") for unit in ("Y", "D", "s", "ms", "ns")]
RECORD_DTYPE = "<i4, (2,)<f8, <U2"
numpy_values = numpy_scalars = st.nothing()
if np is not None:
    from hypothesis.extra import numpy as hnp

    numpy_scalars = st.sampled_from(SCALAR_DTYPES).flatmap(lambda name: hnp.from_dtype(np.dtype(name)))
    numpy_values = st.one_of(
        numpy_scalars,
        hnp.arrays(np.dtype(RECORD_DTYPE), hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3)),
    )

# Tensors and parameters of several dtypes, some requiring grad; dtypes and devices.
TENSOR_DTYPES = ["float32", "float64", "float16", "bfloat16", "float8_e4m3fn", "int64", "uint8", "bool", "complex64"]
tensor_values = st.nothing()
if np is not None and torch is not None:

    def _tensor(arr: object, dtype: str, grad: bool, parameter: bool) -> object:
        tensor = torch.from_numpy(arr).to(getattr(torch, dtype))
        grad = grad and (tensor.is_floating_point() or tensor.is_complex())
        if parameter:
            return torch.nn.Parameter(tensor, requires_grad=grad)
        return tensor.requires_grad_(grad)

    tensor_values = st.one_of(
        st.builds(
            _tensor,
            hnp.arrays(
                np.float32,
                hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3),
                elements=st.floats(-1e3, 1e3, width=32),
            ),
            st.sampled_from(TENSOR_DTYPES),
            st.booleans(),
            st.booleans(),
        ),
        st.sampled_from(TENSOR_DTYPES).map(lambda name: getattr(torch, name)),
        st.sampled_from(["cpu", "cuda", "cuda:1", "meta"]).map(torch.device),
    )

library_values = records | numpy_values | tensor_values

traced_values = st.deferred(
    lambda: st.one_of(
        st.builds(samples.Layer, width=leaves, dropout=st.floats(0, 1), act=leaves),
        st.builds(samples.Positional, leaves, leaves),
        st.builds(samples.make_plain, leaves),
    )
)

leaves = json_scalars | native_values | library_values

values = st.recursive(
    leaves | traced_values,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=12,
)


def equal(a, b) -> bool:
    """Deep equality that treats NaN as equal to NaN and traced objects by their record."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, (dt.datetime, dt.time)):  # == ignores fold, and compares aware values as instants
        return type(a) is type(b) and _moment(a) == _moment(b)
    if isinstance(a, Decimal):
        return isinstance(b, Decimal) and (a == b or (a.is_nan() and b.is_nan()))
    if isinstance(a, (list, tuple)):  # named tuples too: by item (an item may be an array)
        return type(a) is type(b) and len(a) == len(b) and all(map(equal, a, b))
    if isinstance(a, dict):
        return type(a) is type(b) and list(a) == list(b) and all(equal(a[k], b[k]) for k in a)
    if np is not None and isinstance(a, np.generic | np.ndarray):
        return _equal_numpy(a, b)
    if torch is not None and isinstance(a, torch.Tensor):
        return (
            type(a) is type(b)
            and (a.dtype, a.shape, a.device, a.requires_grad) == (b.dtype, b.shape, b.device, b.requires_grad)
            and torch.equal(a.detach(), b.detach())
        )
    if isinstance(a, samples.Plain):
        return isinstance(b, samples.Plain) and equal(a.v, b.v) and b.trace_kwargs.keys() == {"v"}
    if hasattr(a, "trace_kwargs"):
        return type(a) is type(b) and equal(a.trace_args, b.trace_args) and equal(a.trace_kwargs, b.trace_kwargs)
    return type(a) is type(b) and a == b


def _moment(value: dt.datetime | dt.time) -> tuple[object, ...]:
    return (value.replace(tzinfo=None), value.fold, value.utcoffset(), value.tzname(), type(value.tzinfo))


def _equal_numpy(a, b) -> bool:
    if type(a) is not type(b) or a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind in "fc":  # NaN is NaN, whatever its bits
        return bool(np.array_equal(a, b, equal_nan=True))
    return a.tobytes() == b.tobytes()  # records, integers, datetimes (NaT included)


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


# Hashable values dump writes by value (not as a call), and tuples of them: shared twice
# in the lossless mode, they load as one object, under a checking policy too.
hashable_leaves = st.one_of(
    st.datetimes(timezones=st.none() | st.just(dt.timezone.utc)),
    st.dates(),
    st.times(),
    st.timedeltas(),
    st.decimals(allow_nan=False),
    st.fractions(),
    st.complex_numbers(allow_nan=False),
    st.frozensets(st.integers() | st.text(max_size=3), max_size=5),
    st.binary(max_size=20),
    st.builds(range, st.integers(-5, 5), st.integers(-5, 5), st.integers(1, 3)),
    st.builds(pathlib.Path, st.text(alphabet="abc/._-", min_size=1)),
    st.sampled_from(samples.Color),
    st.uuids(),
    st.builds(samples.Frozen, st.text(max_size=5), st.integers()),
    st.builds(samples.AttrsPoint, st.integers()),
    numpy_scalars,
)
# (JSON's own scalars only inside: alone, they are values, written again each time.)
hashable_values = st.recursive(
    hashable_leaves,
    lambda children: st.one_of(
        st.tuples(children | json_scalars, children | json_scalars),
        st.lists(children | json_scalars, max_size=3).map(tuple),
        st.builds(samples.Point, children | json_scalars, children),
    ),
    max_leaves=6,
)
