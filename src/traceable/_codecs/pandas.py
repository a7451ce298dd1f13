"""pandas DataFrame and Series, in json-tricks' form.

Imported only when a pandas value is dumped or a pandas marker is loaded.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from traceable import _wire
from traceable._codecs import numpy as numpy_codec


def encode_dataframe(obj: pd.DataFrame) -> dict[str, Any]:
    out: dict[str, Any] = {
        _wire.DATAFRAME: {
            "column_order": _items(obj.columns.values),
            "types": [str(t) for t in obj.dtypes],
        },
        "index": _items(obj.index.values),
    }
    for k, name in enumerate(obj.columns.values):
        out[name] = _items(obj.iloc[:, k].values)
    return out


def encode_series(obj: pd.Series) -> dict[str, Any]:
    return {
        _wire.SERIES: {"name": str(obj.name), "type": str(obj.dtype)},
        "index": _items(obj.index.values),
        "data": _items(obj.values),
    }


def _items(values: Any) -> list[Any]:
    # Numpy scalars as Python values, as json-tricks writes them here (dump writes a numpy
    # scalar elsewhere with its dtype); the column's dtype is written beside them.
    return [value.item() if isinstance(value, np.generic) else value for value in values]


def decode_dataframe(d: dict[str, Any], *, check_decimals: bool = False) -> pd.DataFrame:
    body = dict(d)
    meta = body.pop(_wire.DATAFRAME)
    index = body.pop("index", None)
    dtypes = dict(zip(meta["column_order"], meta["types"], strict=True))
    if check_decimals:  # (see numpy_codec.decode_ndarray)
        for name, column in body.items():
            numpy_codec.refuse_huge_decimals(column, np.dtype(dtypes[name]))
    data = {name: np.array(column, dtype=np.dtype(dtypes[name])) for name, column in body.items()}
    return pd.DataFrame(data=data, index=index, columns=meta["column_order"])


def decode_series(d: dict[str, Any], *, check_decimals: bool = False) -> pd.Series:
    meta = d[_wire.SERIES]
    if check_decimals:  # (see numpy_codec.decode_ndarray)
        numpy_codec.refuse_huge_decimals(d["data"], np.dtype(meta["type"]))
    return pd.Series(data=d["data"], index=d.get("index"), name=meta["name"], dtype=np.dtype(meta["type"]))
