"""numpy arrays and scalars, in json-tricks' ``__ndarray__`` form.

Imported only when a numpy value is dumped or an ``__ndarray__`` marker is loaded.
"""

from __future__ import annotations

import base64
import gzip
import sys
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
    if not isinstance(shape, list) or not all(isinstance(n, int) and n >= 0 for n in shape):
        raise ValueError(f"shape must be a list of non-negative integers, not {shape!r}")
    dtype = np.dtype(d["dtype"])
    order: Literal["C", "F"] | None = None if "Corder" not in d else ("C" if d["Corder"] else "F")
    if isinstance(data, str):
        return _from_base64(data, dtype, tuple(shape), d.get("endian"))
    if dtype.kind == "O":
        arr = np.empty(len(data), dtype=object) if len(shape) == 1 else None
        if arr is not None:
            arr[:] = data
        else:
            arr = np.empty(tuple(shape), dtype=object)
            for index in np.ndindex(*shape):
                item: Any = data
                for i in index:
                    item = item[i]
                arr[index] = item
        return arr
    arr = np.asarray(data, dtype=dtype, order=order)
    if arr.shape != tuple(shape):
        if arr.size == 0 and 0 in shape:
            return arr.reshape(shape)
        raise ValueError(f"the data has shape {list(arr.shape)} but the shape given is {shape}")
    return arr


def _from_base64(data: str, dtype: np.dtype[Any], shape: tuple[int, ...], endian: Any) -> Any:
    if data.startswith("b64.gz:"):
        raw = gzip.decompress(base64.b64decode(data[7:]))
    elif data.startswith("b64:"):
        raw = base64.b64decode(data[4:])  # as json-tricks reads it; the size is checked below
    else:
        raise ValueError("compact array data must start with 'b64:' or 'b64.gz:'")
    if endian in ("little", "big"):
        dtype = dtype.newbyteorder("<" if endian == "little" else ">")
    expected = dtype.itemsize * int(np.prod(shape, dtype=np.int64))
    if len(raw) != expected:
        raise ValueError(f"{len(raw):,} bytes of data for shape {list(shape)} of {dtype}, which needs {expected:,}")
    arr = np.frombuffer(bytearray(raw), dtype=dtype).reshape(shape)
    return arr.astype(arr.dtype.newbyteorder("=")) if endian and endian != sys.byteorder else arr
