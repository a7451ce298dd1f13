"""pandas DataFrame and Series, in json-tricks' form.

Imported only when a pandas value is dumped or a pandas marker is loaded.

NNI 3.0 (json-tricks) rebuilds each column as ``numpy.array(data, dtype=numpy.dtype(type))``,
so every type written is one numpy reads right. Columns of pandas' own dtypes that hold
missing values (``str``, pandas 3's text default, with a missing value: numpy would make
it ``"nan"``; ``string``, ``boolean``, ``Int64`` and kin, always) are written as
``"object"``, their missing values as ``null``, and their pandas dtype beside, in
``"pandas_types"`` (``"pandas_type"`` for a Series), which NNI ignores: NNI loads an
object column, traceable the column as it was. Other pandas dtypes (categories, time
zones, periods, intervals, sparse) are refused at dump time, and so are column labels that
would not come back as they went (not strings, repeated, or ``"index"``). An index's names
(a MultiIndex's levels), its freq and the columns' name go beside as well, when there are
any (``"index_names"``, ``"index_freq"``, ``"columns_name"``).
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
# Keys of a frame's form that no column may be written under.
_FORM_KEYS = frozenset({"index", _wire.DATAFRAME})


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
    names = _column_labels(obj.columns)
    types: list[str] = []
    pandas_types: list[str | None] = []
    for k, name in enumerate(names):
        column = obj.iloc[:, k]
        numpy_type, pandas_type = _column_types(column.dtype, _has_missing(column), f"its column {name!r}")
        types.append(numpy_type)
        pandas_types.append(pandas_type)
    meta: dict[str, Any] = {"column_order": names, "types": types}
    if any(pandas_types):  # (only then: frames of numpy dtypes are written as NNI writes them)
        meta["pandas_types"] = pandas_types
    if obj.columns.name is not None:
        meta["columns_name"] = _plain_name(obj.columns.name, "its columns' name", "df.columns.name")
    _index_fields(obj.index, meta)
    out: dict[str, Any] = {_wire.DATAFRAME: meta, "index": _index_items(obj.index)}
    for k, name in enumerate(names):
        column = obj.iloc[:, k]
        out[name] = _items(column.values) if pandas_types[k] is None else _nullable_items(column)
    return out


def _column_labels(columns: pd.Index) -> list[str]:
    """The labels of a frame's columns, each a distinct string that is not a key of the form.

    Each column is written under its label, as a JSON key, and found again by it (as NNI
    finds it): a label that is no string would come back as its text (or not be found), and
    two labels alike would come back with one column's data in both.

    Raises:
        EncodeError: a label is not a string, is there twice, or is a key the form uses.
    """
    if columns.nlevels > 1:
        message = (
            "its columns are a MultiIndex, which dump cannot write (each column is written under one string); "
            "flatten them first, e.g. df.columns = ['_'.join(map(str, c)) for c in df.columns]"
        )
        raise EncodeError(message)
    labels = _items(columns.values)
    seen: set[str] = set()
    for label in labels:
        if type(label) is not str:
            message = (
                f"its column label {label!r} is {type(label).__name__}, not str: dump writes each column under "
                "its label as a JSON key, and it would not come back as it went in; make the labels strings "
                "first, e.g. df.columns = df.columns.astype(str)"
            )
            raise EncodeError(message)
        if label in seen or label in _FORM_KEYS:
            why = "two columns are" if label in seen else f"the form keeps its {label} under that key, and a column"
            message = (
                f"{why} labelled {label!r}, and would come back with the wrong data; rename the columns so that "
                "each label is unique and none is 'index', e.g. df.columns = [f'{c}_{k}' for k, c in "
                "enumerate(df.columns)]"
            )
            raise EncodeError(message)
        seen.add(label)
    return labels


def _plain_name(name: Any, what: str, where: str) -> Any:
    # A name as a JSON value that loads as the very same one (numpy scalars as Python ones).
    value = name.item() if isinstance(name, np.generic) else name
    if type(value) in _PLAIN_NAMES:
        return value
    message = f"{what} {name!r} would not come back as it is; make it a string first, e.g. {where} = str(...)"
    raise EncodeError(message)


def _index_fields(index: pd.Index, meta: dict[str, Any]) -> None:
    """Add what ``index`` has beyond its values to ``meta``: its names, and its freq.

    Only when it has them: an unnamed index of one level is written as NNI writes it (NNI
    ignores the keys; it loads a frame's index as a plain one).
    """
    names = list(index.names)
    if index.nlevels > 1 or names != [None]:
        meta["index_names"] = [_plain_name(name, "its index's name", "df.index.names") for name in names]
    freq = getattr(index, "freqstr", None) if isinstance(index, (pd.DatetimeIndex, pd.TimedeltaIndex)) else None
    if freq is not None:
        meta["index_freq"] = freq


def encode_series(obj: pd.Series) -> dict[str, Any]:
    numpy_type, pandas_type = _column_types(obj.dtype, _has_missing(obj), "it")
    name = obj.name if isinstance(obj.name, _PLAIN_NAMES) else str(obj.name)
    meta: dict[str, Any] = {"name": name, "type": numpy_type}
    if pandas_type is not None:
        meta["pandas_type"] = pandas_type
    _index_fields(obj.index, meta)
    data = _items(obj.values) if pandas_type is None else _nullable_items(obj)
    return {_wire.SERIES: meta, "index": _index_items(obj.index), "data": data}


def _has_missing(column: pd.Series) -> Any:
    # (Asked of pandas' own dtypes only: a numpy column is written as NNI writes it.)
    return not isinstance(column.dtype, np.dtype) and column.isna().any()


def _items(values: Any) -> list[Any]:
    # Numpy scalars as Python values, as json-tricks writes them here (dump writes a numpy
    # scalar elsewhere with its dtype); the column's dtype is written beside them.
    return [value.item() if isinstance(value, np.generic) else value for value in values]


def _index_items(index: pd.Index) -> list[Any]:
    # An index of datetimes or timedeltas in nanoseconds (pandas 2's default) would be
    # written as integers, whose .item() a nanosecond datetime64 is, and load as an int
    # index: in microseconds its items are datetimes and timedeltas (nanoseconds are lost,
    # as with any datetime).
    values = index.values
    if isinstance(index, (pd.DatetimeIndex, pd.TimedeltaIndex)) and values.dtype.kind in "mM":
        values = values.astype("datetime64[us]" if values.dtype.kind == "M" else "timedelta64[us]")
    return _items(values)


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


def _index(values: Any, meta: dict[str, Any], length: int) -> pd.Index:
    """The index written as ``values``, with the names and freq ``meta`` has beside."""
    if values is None:  # (json-tricks always writes one)
        values = range(length)
    names = meta.get("index_names")
    if names is None:
        index = pd.Index(values)
    elif type(names) is not list or not names:
        raise ValueError('"index_names" must be a list of one name per level of the index')
    elif len(names) == 1:
        index = pd.Index(values, name=names[0])
    else:  # a MultiIndex: one list (a tuple in lossless mode) per row, of one value per level
        if not all(isinstance(row, (list, tuple)) and len(row) == len(names) for row in values):
            raise ValueError('each row of a MultiIndex must be a list of one value per name in "index_names"')
        index = pd.MultiIndex.from_tuples([tuple(row) for row in values], names=names)
    freq = meta.get("index_freq")
    if freq is None:
        return index
    if not isinstance(freq, str):
        raise ValueError(f'"index_freq" must be a string, not {type(freq).__name__}')
    if isinstance(index, pd.DatetimeIndex):
        return pd.DatetimeIndex(index, freq=freq)
    if isinstance(index, pd.TimedeltaIndex):
        return pd.TimedeltaIndex(index, freq=freq)
    raise ValueError('"index_freq" is for an index of datetimes or timedeltas only')


def decode_dataframe(d: dict[str, Any], *, check_decimals: bool = False) -> pd.DataFrame:
    body = dict(d)
    meta = body.pop(_wire.DATAFRAME)
    index = body.pop("index", None)
    order, types = meta["column_order"], meta["types"]
    pandas_types = dict(zip(order, _pandas_types(meta, "pandas_types", len(order)), strict=True))
    numpy_types = dict(zip(order, types, strict=True))
    shared = _index(index, meta, len(next(iter(body.values()), [])))  # one Index for all: they align by position
    data = {
        name: _column(column, numpy_types[name], pandas_types[name], shared, check_decimals)
        for name, column in body.items()
    }
    frame = pd.DataFrame(data=data, index=shared, columns=order)
    if "columns_name" in meta:
        frame.columns.name = meta["columns_name"]
    return frame


def decode_series(d: dict[str, Any], *, check_decimals: bool = False) -> pd.Series:
    meta = d[_wire.SERIES]
    pandas_type = meta.get("pandas_type")
    if pandas_type is None and meta["type"] == "str":  # as NNI and former versions write pandas 3's text
        pandas_type = "str"
    dtype = np.dtype(meta["type"]) if pandas_type is None else _pandas_dtype(pandas_type)
    if check_decimals:  # (see numpy_codec.decode_ndarray)
        numpy_codec.refuse_huge_decimals(d["data"], dtype)
    data = d["data"]
    index = _index(d.get("index"), meta, len(data) if isinstance(data, list) else 0)
    return pd.Series(data=data, index=index, name=meta["name"], dtype=dtype)
