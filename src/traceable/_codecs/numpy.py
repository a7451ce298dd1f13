"""numpy arrays and scalars, in json-tricks' ``__ndarray__`` form.

Imported only when a numpy value is dumped or an ``__ndarray__`` marker is loaded.

* Arrays: nested lists (NNI's form), or raw bytes in base64 (json-tricks' compact form).
  Items that Python values cannot hold (structured and raw ``void`` records, long
  doubles) are always written as bytes, with a structured dtype written as its
  ``descr`` (``[["a", "<i4"], ["b", "<f8", [2]]]``), as ``.npy`` files record it.
* Scalars: the 0-d array form plus ``"scalar": true``. json-tricks (and so NNI 3.0)
  reads any ``__ndarray__`` of shape ``[]`` as ``getattr(numpy, dtype)(data)``, a numpy
  scalar of that dtype; traceable reads the key to tell a scalar from a 0-d array.
"""

from __future__ import annotations

import base64
import math
import sys
import zlib
from datetime import timedelta
from decimal import Decimal
from typing import Any, Literal

import numpy as np

from traceable import _wire
from traceable._codecs import stdlib
from traceable.exceptions import EncodeError

# Bounds on a structured dtype as a payload writes it, checked before numpy parses it:
# fields (counted through nested records), characters of a name or format, nesting.
_MAX_FIELDS = 256
_MAX_NAME = 256
_MAX_NESTING = 8


def _is_bytes_only(dtype: np.dtype[Any]) -> bool:
    # Records have no Python value that converts back exactly (tolist() gives tuples of
    # anything); a long double's item() is a numpy scalar again, not a Python float.
    return dtype.kind == "V" or (dtype.kind in "fc" and dtype.itemsize > (8 if dtype.kind == "f" else 16))


def _is_compact_only(obj: np.ndarray[Any, Any]) -> bool:
    # The data of a 0-d text array would be a bare string, which reads as base64.
    return _is_bytes_only(obj.dtype) or (obj.ndim == 0 and obj.dtype.kind == "U")


def encode_ndarray(obj: np.ndarray[Any, Any]) -> dict[str, Any]:
    if _is_compact_only(obj):
        return encode_ndarray_compact(obj)
    if obj.ndim == 0 and obj.dtype.kind in "mM":
        return _encode_time_scalar(obj)
    out: dict[str, Any] = {_wire.NDARRAY: obj.tolist(), "dtype": str(obj.dtype), "shape": list(obj.shape)}
    if obj.ndim > 1:
        out["Corder"] = bool(obj.flags["C_CONTIGUOUS"])
    return out


def _encode_time_scalar(obj: np.ndarray[Any, Any]) -> dict[str, Any]:
    """A 0-d ``datetime64`` or ``timedelta64``, in a form NNI 3.0 reads, and its unit beside.

    NNI reads the data of shape ``[]`` as ``getattr(numpy, dtype)(data)``: the dtype must
    be ``"datetime64"`` or ``"timedelta64"`` (there is no ``numpy.datetime64[s]``), and the
    unit goes in ``"unit"``, which NNI ignores. A datetime is written as numpy's ISO text,
    which NNI parses in the unit of its precision (``"2024-01-02T03"``: hours); a timedelta
    as ``tolist()`` gives it, a ``datetime.timedelta`` (NNI: microseconds) or a count
    (finer units, months and years: NNI gives a count without unit).
    """
    kind = "datetime64" if obj.dtype.kind == "M" else "timedelta64"
    data = str(np.datetime_as_string(obj)) if kind == "datetime64" else obj.tolist()
    out: dict[str, Any] = {_wire.NDARRAY: data, "dtype": kind, "shape": []}
    unit, count = np.datetime_data(obj.dtype)
    if unit != "generic":
        out["unit"] = unit if count == 1 else f"{count}{unit}"
    return out


def encode_ndarray_compact(obj: np.ndarray[Any, Any]) -> dict[str, Any]:
    """json-tricks' compact form (raw bytes in base64), which NNI 3.0 also reads."""
    dtype = obj.dtype
    if dtype.kind == "O" or (obj.ndim == 0 and not _is_compact_only(obj)):
        # Python objects have no bytes to write; and json-tricks reads the data of a 0-d
        # array only as a number (NNI 3.0 would fail on base64 there).
        return encode_ndarray(obj)
    if dtype.hasobject:
        fields = ", ".join(name for name in dtype.names or () if dtype.fields[name][0].hasobject)
        message = (
            f"a structured array whose field(s) {fields} hold Python objects has no byte form; "
            "split the object fields into an array of their own (dtype=object), which is written as lists"
        )
        raise EncodeError(message)
    # In C order and this machine's byte order, which the "endian" key then names.
    if dtype.names is None:
        data = np.ascontiguousarray(obj).astype(dtype.newbyteorder("="), copy=False)
    else:  # copied field by field into zeros: padding between fields never holds stale memory
        data = np.zeros(obj.shape, dtype.newbyteorder("="))
        data[...] = obj
    out: dict[str, Any] = {
        _wire.NDARRAY: "b64:" + base64.b64encode(data.reshape(-1).view(np.uint8).data).decode("ascii"),
        "dtype": _dtype_text(data.dtype),
        "shape": list(obj.shape),
    }
    if obj.ndim > 1:
        out["Corder"] = True  # written in C order whatever the array's own
    out["endian"] = sys.byteorder
    return out


class CompactArray(np.ndarray[Any, Any]):
    """An array that ``dump`` writes in the compact form whatever ``compact_arrays`` says.

    Codecs that hold an array (a tensor's data) return ``arr.view(CompactArray)``, not its
    marker object: the encoder writes it as an array in every mode (the lossless mode
    would keep a ready-made marker object as a user's dict).
    """


def encode_scalar(obj: np.generic) -> dict[str, Any]:
    """A numpy scalar: its 0-d array with ``"scalar": true``, which NNI 3.0 reads as the scalar."""
    out = encode_ndarray(np.asarray(obj))
    if obj.dtype.kind == "b":
        out["dtype"] = "bool_"  # NNI calls getattr(numpy, dtype): numpy 1.x has no numpy.bool
    out["scalar"] = True
    return out


def _dtype_text(dtype: np.dtype[Any]) -> Any:
    # A structured dtype's str() is a repr numpy cannot parse back; its descr rebuilds it.
    return str(dtype) if dtype.names is None else _lists(dtype.descr)


def _lists(descr: Any) -> Any:
    # Tuples as lists, as JSON writes them (and so that the lossless mode does too).
    return [_lists(part) for part in descr] if isinstance(descr, (list, tuple)) else descr


def structured_dtype(descr: Any) -> np.dtype[Any]:
    """The structured dtype whose ``descr`` a payload wrote as lists, checked before numpy reads it.

    Raises:
        ValueError: ``descr`` is not a list of ``[name, format]`` or ``[name, format, shape]``
            fields, or it exceeds the bounds (256 fields, names and formats of 256
            characters, records nested 8 deep).

    Example:
        >>> structured_dtype([["x", "<i4"], ["y", "<f8", [2]]])
        dtype([('x', '<i4'), ('y', '<f8', (2,))])
    """
    budget = [_MAX_FIELDS]
    fields = _descr(descr, budget, 0)
    dtype: np.dtype[Any] = np.lib.format.descr_to_dtype(fields)
    if dtype.hasobject:  # data written as bytes cannot hold Python objects
        message = f"a structured dtype written as bytes cannot have object fields: {dtype}"
        raise ValueError(message)
    return dtype


def _descr(descr: Any, budget: list[int], depth: int) -> list[tuple[Any, ...]]:
    what = "a structured dtype must be written as [[name, format], [name, format, shape], ...]"
    if type(descr) is not list or not descr or depth >= _MAX_NESTING:
        raise ValueError(what if depth < _MAX_NESTING else f"a structured dtype nests over {_MAX_NESTING} deep")
    fields: list[tuple[Any, ...]] = []
    for field in descr:
        budget[0] -= 1
        if budget[0] < 0:
            raise ValueError(f"a structured dtype has over {_MAX_FIELDS} fields")
        if type(field) is not list or len(field) not in (2, 3):
            raise ValueError(what)
        name, fmt = field[0], field[1]
        if type(name) is list and len(name) == 2 and all(_is_text(part) for part in name):
            name = tuple(name)  # (title, name)
        elif not _is_text(name):
            raise ValueError(f"a structured dtype's field name must be a string, not {name!r}")
        if type(fmt) is list:
            fmt = _descr(fmt, budget, depth + 1)
        elif not _is_text(fmt):
            raise ValueError(f"a structured dtype's field format must be a string, not {fmt!r}")
        if len(field) == 3:
            shape = field[2]
            if type(shape) is not list or len(shape) > 32 or not all(type(n) is int and 0 <= n < 2**31 for n in shape):
                raise ValueError(f"a structured dtype's field shape must be a short list of sizes, not {shape!r}")
            fields.append((name, fmt, tuple(shape)))
        else:
            fields.append((name, fmt))
    return fields


def _is_text(value: Any) -> bool:
    return type(value) is str and len(value) <= _MAX_NAME


def parse_dtype(spec: Any) -> np.dtype[Any]:
    """The dtype a payload names: a string, or a structured dtype's ``descr`` as lists.

    Raises:
        ValueError: neither, or a descr out of bounds (see :func:`structured_dtype`).
    """
    if isinstance(spec, list):
        return structured_dtype(spec)
    if not isinstance(spec, str):
        raise ValueError(f"dtype must be a string or a structured dtype's descr, not {type(spec).__name__}")
    return np.dtype(spec)


def decode_ndarray(d: dict[str, Any], *, check_decimals: bool = False) -> Any:
    """The array (or numpy scalar) of the marker object ``d``, its data already decoded.

    With ``check_decimals`` (the payload holds a Decimal too large for ``int()``), data
    an integer dtype would convert is searched for it first.

    Raises:
        ValueError: ``d`` is not an array as ``dump`` writes one.
    """
    data = d[_wire.NDARRAY]
    shape = d.get("shape")
    if not isinstance(shape, list) or not all(type(n) is int and n >= 0 for n in shape):
        raise ValueError(f"shape must be a list of non-negative integers, not {shape!r}")
    scalar = "scalar" in d
    if scalar and (d["scalar"] is not True or shape):
        raise ValueError(f'"scalar" is written only as true, with the shape [], not {d["scalar"]!r} with {shape}')
    dtype = parse_dtype(d.get("dtype"))
    if "unit" in d:
        dtype = _with_unit(dtype, d["unit"])
    if check_decimals:
        refuse_huge_decimals(data, dtype)
    if isinstance(data, str) and dtype.kind != "O" and not (dtype.kind == "M" and not shape):
        # (A 0-d object array may hold a string; a 0-d datetime is written as its ISO text.)
        arr = _from_base64(data, dtype, tuple(shape), d.get("endian"))
    elif _is_bytes_only(dtype):
        raise ValueError(f"the data of a {dtype} array must be written in base64 ('b64:...'), not as lists")
    else:
        arr = _from_lists(data, dtype, shape, d)
    return arr[()] if scalar else arr


def _with_unit(dtype: np.dtype[Any], unit: Any) -> np.dtype[Any]:
    # "unit" beside the dtype "datetime64" or "timedelta64" (see _encode_time_scalar).
    if dtype.kind not in "mM" or np.datetime_data(dtype)[0] != "generic":
        raise ValueError(f'"unit" is written only with the dtype "datetime64" or "timedelta64", not {dtype}')
    if not isinstance(unit, str) or not (unit.isascii() and unit.isalnum()) or len(unit) > 16:
        raise ValueError(f'"unit" must be a numpy time unit such as "s" or "10ms", not {unit!r}')
    try:
        return np.dtype(f"{dtype.name}[{unit}]")
    except TypeError as err:
        raise ValueError(f"{unit!r} is not a numpy time unit: {err}") from err


def _from_lists(data: Any, dtype: np.dtype[Any], shape: list[int], d: dict[str, Any]) -> Any:
    order: Literal["C", "F"] | None = None if "Corder" not in d else ("C" if d["Corder"] else "F")
    if dtype.kind == "O":
        _check_nesting(data, shape)  # before allocating: the data must fill the shape
        arr = np.empty(tuple(shape), dtype=object)
        for index in np.ndindex(*shape):
            item: Any = data
            for i in index:
                item = item[i]
            arr[index] = item  # one by one: an item may itself be a list
        return arr
    if dtype.kind == "m":
        data = _timedelta_counts(data, dtype, len(shape))
    arr = np.asarray(data, dtype=dtype, order=order)
    if arr.shape != tuple(shape):
        if arr.size == 0 and 0 in shape:
            return arr.reshape(shape)
        raise ValueError(f"the data has shape {list(arr.shape)} but the shape given is {shape}")
    return arr


# A unit's length in attoseconds, numpy's finest unit: exact integer arithmetic for all.
_ATTOSECONDS = {
    "W": 604_800 * 10**18, "D": 86_400 * 10**18, "h": 3_600 * 10**18, "m": 60 * 10**18, "s": 10**18,
    "ms": 10**15, "us": 10**12, "ns": 10**9, "ps": 10**6, "fs": 10**3, "as": 1,
}  # fmt: skip
_INT64 = range(-(2**63) + 1, 2**63)  # -2**63 is NaT


def _timedelta_counts(data: Any, dtype: np.dtype[Any], depth: int) -> Any:
    """Turn the ``datetime.timedelta`` items of ``data`` into counts of the dtype's unit.

    ``tolist()`` gives timedeltas for the units from weeks to microseconds, and numpy
    converts them back through an intermediate that overflows near the ends of int64
    (``timedelta64(-9223372036854775, "ms")`` came back positive). Python ints are exact;
    a count out of int64's range is an error, where numpy would wrap it silently.
    """
    if isinstance(data, timedelta):
        unit, multiple = np.datetime_data(dtype)
        if unit not in _ATTOSECONDS:  # months, years, generic: numpy says what it accepts
            return data
        microseconds = (data.days * 86_400 + data.seconds) * 10**6 + data.microseconds
        count = microseconds * 10**12 // (_ATTOSECONDS[unit] * multiple)  # floor, as numpy rounds
        if count not in _INT64:
            raise ValueError(f"{data!r} is out of the range of {dtype} (a 64-bit count of {multiple} {unit})")
        return count
    if isinstance(data, list) and depth > 0:
        return [_timedelta_counts(item, dtype, depth - 1) for item in data]
    return data


def refuse_huge_decimals(data: Any, dtype: Any) -> None:
    """Refuse a Decimal in ``data`` whose conversion to the integer ``dtype`` would not end.

    numpy converts a Decimal to an integer with ``int()``, whose time grows faster than
    the exponent: ``1e999999999`` never returns. No such number fits an integer dtype;
    ``dump`` writes integers there.

    Raises:
        ValueError: ``data`` holds a Decimal of over ``stdlib.INT_DIGITS_LIMIT`` digits
            and ``dtype`` (numpy's, or a pandas dtype) is an integer dtype; the message says
            at which index.
    """
    if dtype.kind not in "iu":  # floats, text, objects...: no int() is made
        return
    stack: list[tuple[Any, tuple[int, ...]]] = [(data, ())]
    while stack:
        item, index = stack.pop()
        if type(item) is list:
            stack.extend((child, (*index, i)) for i, child in enumerate(item))
        elif isinstance(item, Decimal) and stdlib.is_huge_integer(item):
            where = "".join(f"[{i}]" for i in index) or "the data"
            message = (
                f"{where} is a Decimal of about 10**{item.adjusted()}, which no {dtype} holds and which would take "
                "too long to convert to an integer; the data of an integer array holds integers"
            )
            raise ValueError(message)


def _check_nesting(data: Any, shape: list[int]) -> None:
    level = [data]
    for depth, size in enumerate(shape):
        for item in level:
            if not isinstance(item, list) or len(item) != size:
                raise ValueError(f"the data does not match the shape {shape} at depth {depth}")
        level = [child for item in level for child in item]


def _from_base64(data: str, dtype: np.dtype[Any], shape: tuple[int, ...], endian: Any) -> Any:
    if endian in ("little", "big"):
        dtype = dtype.newbyteorder("<" if endian == "little" else ">")
    expected = dtype.itemsize * math.prod(shape)  # exact: Python ints cannot overflow
    if data.startswith("b64.gz:"):
        arr = _inflated(base64.b64decode(data[7:]), dtype, shape, expected)
    elif data.startswith("b64:"):
        raw = base64.b64decode(data[4:])  # as json-tricks reads it: no larger than the text
        if len(raw) != expected:
            raise ValueError(_size_mismatch(len(raw), dtype, shape, expected))
        arr = np.empty(shape, dtype)
        _bytes_of(arr)[:] = np.frombuffer(raw, np.uint8)  # the one copy: the array owns its memory
    else:
        raise ValueError("compact array data must start with 'b64:' or 'b64.gz:'")
    if endian and endian != sys.byteorder:  # swapped where it lies: no second array
        arr = arr.byteswap(inplace=True).view(arr.dtype.newbyteorder("="))
    return arr


_CHUNK = 1 << 20  # bytes inflated at a time, straight into the array


def _inflated(compressed: bytes, dtype: np.dtype[Any], shape: tuple[int, ...], expected: int) -> Any:
    """The array whose bytes ``compressed`` (gzip) inflates to, made without a copy of them.

    The array is allocated at its declared size and filled chunk by chunk: memory is taken
    only as the data fills it, and the data is inflated no further than the declared size
    (a small payload cannot unzip to more).
    """
    arr = np.empty(shape, dtype)
    target = _bytes_of(arr)
    inflater = zlib.decompressobj(wbits=31)
    pending, filled = compressed, 0
    while not inflater.eof and filled <= expected:
        chunk = inflater.decompress(pending, min(_CHUNK, expected + 1 - filled))
        pending = inflater.unconsumed_tail
        if not chunk:
            break
        if filled + len(chunk) > expected:
            filled += len(chunk)
            break
        target[filled : filled + len(chunk)] = np.frombuffer(chunk, np.uint8)
        filled += len(chunk)
    if filled != expected:
        raise ValueError(_size_mismatch(filled, dtype, shape, expected))
    return arr


def _bytes_of(arr: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    # The array's memory as bytes, to write into. An item size of 0 has no bytes to view.
    if arr.dtype.itemsize == 0:
        raise ValueError(f"a {arr.dtype} array has items of no size, which base64 data cannot fill")
    return arr.reshape(-1).view(np.uint8)


def _size_mismatch(size: int, dtype: np.dtype[Any], shape: tuple[int, ...], expected: int) -> str:
    return f"{size:,} bytes of data for shape {list(shape)} of {dtype}, which needs {expected:,}"
