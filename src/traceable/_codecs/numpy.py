"""numpy arrays and scalars, in json-tricks' ``__ndarray__`` form.

Imported only when a numpy value is dumped or an ``__ndarray__`` marker is loaded.
"""

from __future__ import annotations

import base64
import math
import sys
import zlib
from typing import Any, Literal

import numpy as np

from traceable import _wire


def encode_ndarray(obj: np.ndarray[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {_wire.NDARRAY: obj.tolist(), "dtype": str(obj.dtype), "shape": list(obj.shape)}
    if obj.ndim > 1:
        out["Corder"] = bool(obj.flags["C_CONTIGUOUS"])
    return out


def encode_ndarray_compact(obj: np.ndarray[Any, Any]) -> dict[str, Any]:
    """json-tricks' compact form (raw bytes in base64), which NNI 3.0 also reads."""
    if obj.dtype.hasobject:
        return encode_ndarray(obj)  # Python objects have no bytes to write
    # In C order and this machine's byte order, which the "endian" key then names.
    data = np.ascontiguousarray(obj).astype(obj.dtype.newbyteorder("="), copy=False)
    out: dict[str, Any] = {
        _wire.NDARRAY: "b64:" + base64.b64encode(data.reshape(-1).view(np.uint8).data).decode("ascii"),
        "dtype": str(data.dtype),
        "shape": list(obj.shape),
    }
    if obj.ndim > 1:
        out["Corder"] = True  # written in C order whatever the array's own
    out["endian"] = sys.byteorder
    return out


def encode_scalar(obj: np.generic) -> Any:
    # NNI writes numpy scalars as the Python value (the dtype is lost).
    return obj.item()


def decode_ndarray(d: dict[str, Any]) -> Any:
    data = d[_wire.NDARRAY]
    shape = d.get("shape")
    if not isinstance(shape, list) or not all(type(n) is int and n >= 0 for n in shape):
        raise ValueError(f"shape must be a list of non-negative integers, not {shape!r}")
    dtype = np.dtype(d["dtype"])
    order: Literal["C", "F"] | None = None if "Corder" not in d else ("C" if d["Corder"] else "F")
    if isinstance(data, str):
        return _from_base64(data, dtype, tuple(shape), d.get("endian"))
    if dtype.kind == "O":
        _check_nesting(data, shape)  # before allocating: the data must fill the shape
        arr = np.empty(tuple(shape), dtype=object)
        for index in np.ndindex(*shape):
            item: Any = data
            for i in index:
                item = item[i]
            arr[index] = item  # one by one: an item may itself be a list
        return arr
    arr = np.asarray(data, dtype=dtype, order=order)
    if arr.shape != tuple(shape):
        if arr.size == 0 and 0 in shape:
            return arr.reshape(shape)
        raise ValueError(f"the data has shape {list(arr.shape)} but the shape given is {shape}")
    return arr


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
        # Inflated no further than the declared size: a small payload cannot unzip to more.
        inflater = zlib.decompressobj(wbits=31)
        raw = inflater.decompress(base64.b64decode(data[7:]), expected + 1)
    elif data.startswith("b64:"):
        raw = base64.b64decode(data[4:])  # as json-tricks reads it; the size is checked below
    else:
        raise ValueError("compact array data must start with 'b64:' or 'b64.gz:'")
    if len(raw) != expected:
        raise ValueError(f"{len(raw):,} bytes of data for shape {list(shape)} of {dtype}, which needs {expected:,}")
    arr = np.frombuffer(bytearray(raw), dtype=dtype).reshape(shape)
    return arr.astype(arr.dtype.newbyteorder("=")) if endian and endian != sys.byteorder else arr
