"""pandas DataFrame and Series, in json-tricks' form.

Imported only when a pandas value is dumped or a pandas marker is loaded.

NNI 3.0 (json-tricks) rebuilds each column as ``numpy.array(data, dtype=numpy.dtype(type))``,
so every type written is one numpy reads right. Columns of pandas' own dtypes that hold
missing values (``str``, pandas 3's text default, with a missing value: numpy would make
it ``"nan"``; ``string``, ``boolean``, ``Int64`` and kin, always) are written as
``"object"``, their missing values as ``null``, and their pandas dtype beside, in
``"pandas_types"`` (``"pandas_type"`` for a Series), which NNI ignores: NNI loads an
object column, traceable the column as it was. Other pandas dtypes (categories, time
zones, periods, intervals, sparse) are refused at dump time.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from traceable import _wire
from traceable._codecs import numpy as numpy_codec
from traceable.exceptions import EncodeError

# pandas dtypes written as "object" with their name beside: they hold Python values
# (strings, ints, bools, floats) and a missing value, which np.dtype cannot hold.
_PANDAS_TYPES = frozenset(
    {"str", "string", "boolean", "Float32", "Float64"}
    | {f"{sign}Int{bits}" for sign in ("", "U") for bits in (8, 16, 32, 64)}
)
# Names a Series keeps as they are; any other is written as its str(), as json-tricks does.
_PLAIN_NAMES = (str, int, float, bool, type(None))


def _column_types(dtype: Any, has_missing: Any, what: str) -> tuple[str, str | None]:
    """The numpy type written for a column of ``dtype``, and its pandas dtype if it has one.

    Raises:
        EncodeError: the dtype is one of pandas' own that neither form holds.
    """
    if isinstance(dtype, np.dtype):
        return str(dtype), None
    name = str(dtype)
    if name == "str" and not has_missing:  # (as NNI writes it: its load is right without a missing value)
        return "str", None
    if name in _PANDAS_TYPES:
        return "object", name
    message = (
        f"{what} has the pandas dtype {name}, which dump cannot write (it writes numpy dtypes and pandas' str, "
        "string, boolean, Int8-64, UInt8-64 and Float32/64); convert it first, e.g. with .astype(object) or "
        ".astype(str), or .cat.codes for a category's codes"
    )
    raise EncodeError(message)


def encode_dataframe(obj: pd.DataFrame) -> dict[str, Any]:
    types: list[str] = []
    pandas_types: list[str | None] = []
    for k, name in enumerate(obj.columns.values):
        column = obj.iloc[:, k]
        numpy_type, pandas_type = _column_types(column.dtype, _has_missing(column), f"its column {name!r}")
        types.append(numpy_type)
        pandas_types.append(pandas_type)
    meta: dict[str, Any] = {"column_order": _items(obj.columns.values), "types": types}
    if any(pandas_types):  # (only then: frames of numpy dtypes are written as NNI writes them)
        meta["pandas_types"] = pandas_types
    out: dict[str, Any] = {_wire.DATAFRAME: meta, "index": _items(obj.index.values)}
    for k, name in enumerate(obj.columns.values):
        column = obj.iloc[:, k]
        out[name] = _items(column.values) if pandas_types[k] is None else _nullable_items(column)
    return out


def encode_series(obj: pd.Series) -> dict[str, Any]:
    numpy_type, pandas_type = _column_types(obj.dtype, _has_missing(obj), "it")
    name = obj.name if isinstance(obj.name, _PLAIN_NAMES) else str(obj.name)
    meta: dict[str, Any] = {"name": name, "type": numpy_type}
    if pandas_type is not None:
        meta["pandas_type"] = pandas_type
    data = _items(obj.values) if pandas_type is None else _nullable_items(obj)
    return {_wire.SERIES: meta, "index": _items(obj.index.values), "data": data}


def _has_missing(column: pd.Series) -> Any:
    # (Asked of pandas' own dtypes only: a numpy column is written as NNI writes it.)
    return not isinstance(column.dtype, np.dtype) and column.isna().any()


def _items(values: Any) -> list[Any]:
    # Numpy scalars as Python values, as json-tricks writes them here (dump writes a numpy
    # scalar elsewhere with its dtype); the column's dtype is written beside them.
    return [value.item() if isinstance(value, np.generic) else value for value in values]


def _nullable_items(column: pd.Series) -> list[Any]:
    # A missing value (pd.NA, or NaN in a "str" column) as null: NNI reads null into an
    # object column, and pd.NA has no form of its own (it would be pickled).
    missing = column.isna()
    return [None if gone else value for value, gone in zip(_items(column.astype(object)), missing, strict=True)]


def _pandas_dtype(name: Any) -> Any:
    if name not in _PANDAS_TYPES:
        raise ValueError(f"a pandas type must be one of {', '.join(sorted(_PANDAS_TYPES))}, not {name!r}")
    dtype = pd.api.types.pandas_dtype(name)
    # "str" is pandas 3's text dtype; pandas 2 reads it as numpy's fixed-width text, which
    # would turn a missing value into "None": there, a text column is an object column.
    return object if name == "str" and isinstance(dtype, np.dtype) else dtype


def _pandas_types(meta: dict[str, Any], key: str, count: int) -> list[Any]:
    types = meta.get(key, [None] * count)
    if type(types) is not list or len(types) != count:
        raise ValueError(f'"{key}" must be a list of one pandas type (or null) per column')
    return [None if name is None else _pandas_dtype(name) for name in types]


def _column(data: Any, numpy_type: Any, pandas_type: Any, index: Any, check_decimals: bool) -> pd.Series:
    if pandas_type is None and numpy_type == "str":
        pandas_type = _pandas_dtype("str")  # as NNI and former versions write pandas 3's text columns
    if check_decimals:  # (see numpy_codec.decode_ndarray)
        numpy_codec.refuse_huge_decimals(data, np.dtype(numpy_type) if pandas_type is None else pandas_type)
    if pandas_type is not None:
        return pd.Series(pd.array(data, dtype=pandas_type), index=index)
    values = np.array(data, dtype=np.dtype(numpy_type))
    # An object column stays one: pandas 3 would infer "str" from text in it.
    return pd.Series(values, index=index, dtype=object if values.dtype.kind == "O" else None)


def decode_dataframe(d: dict[str, Any], *, check_decimals: bool = False) -> pd.DataFrame:
    body = dict(d)
    meta = body.pop(_wire.DATAFRAME)
    index = body.pop("index", None)
    order, types = meta["column_order"], meta["types"]
    pandas_types = dict(zip(order, _pandas_types(meta, "pandas_types", len(order)), strict=True))
    numpy_types = dict(zip(order, types, strict=True))
    if index is None:  # (json-tricks always writes one)
        index = range(len(next(iter(body.values()), [])))
    shared = pd.Index(index)  # one Index for all the columns: they align by position
    data = {
        name: _column(column, numpy_types[name], pandas_types[name], shared, check_decimals)
        for name, column in body.items()
    }
    return pd.DataFrame(data=data, index=shared, columns=order)


def decode_series(d: dict[str, Any], *, check_decimals: bool = False) -> pd.Series:
    meta = d[_wire.SERIES]
    pandas_type = meta.get("pandas_type")
    if pandas_type is None and meta["type"] == "str":  # as NNI and former versions write pandas 3's text
        pandas_type = "str"
    dtype = np.dtype(meta["type"]) if pandas_type is None else _pandas_dtype(pandas_type)
    if check_decimals:  # (see numpy_codec.decode_ndarray)
        numpy_codec.refuse_huge_decimals(d["data"], dtype)
    return pd.Series(data=d["data"], index=d.get("index"), name=meta["name"], dtype=dtype)
