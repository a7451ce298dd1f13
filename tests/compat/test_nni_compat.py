"""Live compatibility with the real nni==3.0, both ways, over a broad corpus.

For every value NNI 3.0 can encode, traceable writes the same text NNI writes; what
either writes, the other loads to an equal object.
"""

from __future__ import annotations

import collections
import datetime as dt
import math
import pathlib
import warnings
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

nni = pytest.importorskip(
    "nni", reason="nni==3.0 is not installed: pip install -e '.[test]' to run the compatibility tests"
)
np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")

from nni.common.serializer import dump_bytes as nni_dump_bytes  # noqa: E402

import nni_samples  # noqa: E402  # needs nni
import samples  # noqa: E402
import traceable  # noqa: E402
from traceable import trace  # noqa: E402


def nni_dump(obj: Any, **kwargs: Any) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # json-tricks' warnings about numpy scalars and __main__
        return nni.dump(obj, **kwargs)


def nni_load(text: Any = None, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nni.load(text, **kwargs)


def assert_same(a: Any, b: Any) -> None:
    """Deep equality that understands numpy arrays and pandas objects."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype, (a.dtype, b.dtype)
        assert a.shape == b.shape
        assert np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    elif isinstance(a, (pd.DataFrame, pd.Series)):
        assert a.equals(b), (a, b)
    elif isinstance(a, dict):
        assert isinstance(b, dict)
        assert list(a) == list(b)
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple))
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_same(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float)
        assert math.isnan(b)
    else:
        assert a == b, (a, b)
        if traceable.is_traceable(a, must_be_instance=True):
            assert traceable.is_traceable(b, must_be_instance=True)
            assert_same(a.trace_args, b.trace_args)
            assert_same(a.trace_kwargs, b.trace_kwargs)


def _corpus() -> dict[str, Any]:
    Concat = trace(collections.OrderedDict)  # an inline-traced library class
    return {
        "plain config": {
            "lr": 0.01,
            "layers": [64, 32],
            "name": "exp",
            "flag": True,
            "none": None,
            "nested": {"a": [1, {"b": 2}]},
        },
        "traced nested several deep": samples.Model(
            [samples.Layer(4), samples.Layer(samples.Layer(2, act="tanh"), dropout=0.0)],
            head=samples.Model([samples.Layer(1)], name="head"),
        ),
        "positional-only": samples.PositionalOnly(1, 2, c=5),
        "star args": samples.varargs(1, 2, 3, k=7),
        "kw_only=False": samples.Positional(1, 2),
        "traced function results": [samples.make_plain(3), samples.make_layer(5)],
        "inline traced class": Concat(a=1),
        "float32 matrix": np.arange(6, dtype=np.float32).reshape(2, 3),
        "fortran order": np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3)),
        "transposed": np.arange(6, dtype=np.int16).reshape(2, 3).T,
        "1-d int64": np.arange(3),
        "uint8 and bool": [np.array([1, 255], dtype=np.uint8), np.array([True, False])],
        "3-d": np.arange(24, dtype=np.int32).reshape(2, 3, 4),
        "complex array": np.array([1 + 2j, 3.5 - 1j]),
        "float16 with nan": np.array([1.5, np.nan], dtype=np.float16),
        "numpy float64 scalar": [np.float64(2.25)],  # a float: written as one, as NNI does
        "datetimes": [
            dt.datetime(2024, 1, 2, 3, 4, 5, 6),
            dt.datetime(2024, 1, 2),
            dt.date(2024, 1, 2),
            dt.time(3, 4, 5, 7),
            dt.timedelta(days=1, seconds=2),
        ],
        "datetime utc": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
        "decimal fraction complex": [Decimal("1.10"), Fraction(1, 3), 1 + 2j],
        "set": {3, 1, 2},
        "path": pathlib.Path("runs/exp1"),
        "enum": samples.Color.RED,
        "dataframe": pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5]}),
        "series": pd.Series([1, 2], name="s"),
        "classes and functions": [math.floor, samples.Plain, samples.square, samples.Layer],
        "custom _dump/_load": samples.Custom(5, "x"),
        "nan and infinity": [float("nan"), float("inf"), -float("inf")],
        "tuples and int keys": {"t": (1, 2)},
    }


CORPUS = _corpus()


@pytest.mark.parametrize("name", list(CORPUS))
def test_traceable_writes_the_text_nni_writes(name):
    value = CORPUS[name]
    assert traceable.dump(value) == nni_dump(value)


@pytest.mark.parametrize("name", list(CORPUS))
def test_nni_loads_what_traceable_writes(name):
    value = CORPUS[name]
    assert_same(nni_load(traceable.dump(value)), _as_nni_loads(value))


@pytest.mark.parametrize("name", list(CORPUS))
def test_traceable_loads_what_nni_writes(name):
    value = CORPUS[name]
    assert_same(traceable.load(nni_dump(value)), _as_nni_loads(value))


def _as_nni_loads(value: Any) -> Any:
    # What the JSON format itself cannot keep, in both libraries: tuples become lists.
    if isinstance(value, tuple):
        return [_as_nni_loads(v) for v in value]
    if isinstance(value, dict) and not traceable.is_traceable(value):
        return {k: _as_nni_loads(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_nni_loads(v) for v in value]
    return value


NUMPY_SCALARS = [
    np.float32(1.5),
    np.float16(-0.25),
    np.int32(7),
    np.int64(-3),
    np.uint8(200),
    np.uint64(2**64 - 1),
    np.bool_(True),
    np.complex64(1 + 2j),
    np.complex128(-3j),
]


def test_nni_loads_numpy_scalars_to_the_same_numpy_type():
    # traceable writes them with their dtype, which NNI (json-tricks) reads as that scalar.
    loaded = nni_load(traceable.dump({"s": NUMPY_SCALARS}))["s"]
    assert [type(v) for v in loaded] == [type(v) for v in NUMPY_SCALARS]
    assert loaded == NUMPY_SCALARS


def test_traceable_loads_the_python_values_nni_writes_for_numpy_scalars():
    text = nni_dump(NUMPY_SCALARS)
    assert text == "[1.5, -0.25, 7, -3, 200, 18446744073709551615, true, " + (
        '{"__complex__": [1.0, 2.0]}, {"__complex__": [-0.0, -3.0]}]'
    )
    assert traceable.load(text) == [value.item() for value in NUMPY_SCALARS]


def test_nni_loads_a_0d_array_as_a_scalar_of_its_dtype():
    # json-tricks reads every shape [] as a scalar; traceable keeps the array unless "scalar".
    text = traceable.dump(np.array(4, dtype=np.int16), compact_arrays=True)
    assert type(nni_load(text)) is np.int16
    assert type(traceable.load(text)) is np.ndarray


def test_pickle_fallback_both_ways():
    value = samples.Plain([1, 2])
    assert traceable.load(nni_dump(value)) == value
    assert nni_load(traceable.dump(value)) == value


def test_lambdas_and_local_classes_both_ways():
    fn = traceable.load(nni_dump({"f": lambda x: x * 3}))["f"]
    assert fn(2) == 6
    fn = nni_load(traceable.dump({"f": lambda x: x * 4}))["f"]
    assert fn(2) == 8


def test_objects_traced_by_nni_dump_the_same_and_load_here():
    value = {"layer": nni_samples.NniLayer(3, act="relu"), "made": nni_samples.nni_make(1, 2, k=3)}
    text = nni_dump(value)
    assert traceable.dump(value) == text
    loaded = traceable.load(text)
    assert loaded["layer"] == nni_samples.NniLayer(3, act="relu")
    assert loaded["layer"].trace_kwargs == {"width": 3, "act": "relu"}
    assert loaded["made"] == nni_samples.NniLayer(6)
    assert loaded["made"].trace_args == [1, 2]


def test_objects_traced_here_load_in_nni_traced():
    text = traceable.dump(samples.Model([samples.Layer(2)]))
    loaded = nni_load(text)
    assert loaded == samples.Model([samples.Layer(2)])
    assert loaded.trace_kwargs["layers"][0].trace_kwargs == {"width": 2}


def test_gzip_bytes_both_ways():
    value = {"a": [1, 2, 3], "layer": samples.Layer(3)}
    assert traceable.load(nni_dump_bytes(value, compression=9)) == value
    assert traceable.load_bytes(nni_dump_bytes(value, compression=1)) == value
    assert nni_load(traceable.dump_bytes(value)) == value


def test_files_both_ways(tmp_path):
    value = {"layer": samples.Layer(3), "when": dt.date(2024, 1, 2)}
    path = tmp_path / "nni.json"
    nni.dump(value, fp=str(path))
    assert traceable.load(fp=path) == value
    with open(path, "w") as f:
        traceable.dump(value, f)
    assert nni_load(fp=str(path)) == value


def test_comments_are_stripped_like_nni():
    text = '{"a": 1, // c\n "b": "x # not a comment", # tail\n "c": [1, 2]}'
    assert traceable.load(text) == nni_load(text) == {"a": 1, "b": "x # not a comment", "c": [1, 2]}


def test_compact_numpy_arrays_written_by_json_tricks_load():
    text = '{"__ndarray__": "b64:AAAAAAAA8D8=", "dtype": "float64", "shape": [1], "endian": "little"}'
    assert_same(traceable.load(text), nni_load(text))
    import json_tricks

    arr = np.arange(1000, dtype=np.float32).reshape(10, 100)
    for compression in (False, True):
        text = json_tricks.dumps(arr, properties={"ndarray_compact": True}, compression=compression)
        assert_same(traceable.load(text), arr)


@pytest.mark.parametrize(
    "arr",
    [
        np.arange(6, dtype=np.float32).reshape(2, 3),
        np.asfortranarray(np.arange(6, dtype=np.int64).reshape(3, 2)),
        np.array([1 + 2j]),
        np.array([True, False]),
    ],
    ids=["float32", "fortran int64", "complex", "bool"],
)
def test_nni_reads_compact_arrays(arr):
    assert_same(nni_load(traceable.dump({"a": arr}, compact_arrays=True))["a"], arr)


# Values NNI 3.0 cannot encode get markers of their own. NNI still loads such a payload,
# each marker object as the plain dict it is, and the rest of the payload as it should.
BEYOND_NNI = {
    "bytes": (b"ab", {"__bytes_b64__": "YWI="}),
    "uuid": (
        __import__("uuid").UUID(int=1),
        {"__uuid__": "00000000-0000-0000-0000-000000000001"},
    ),
    "ellipsis": (..., {"__ellipsis__": None}),
    "deque": (collections.deque([1, 2]), {"__deque__": [1, 2]}),
}


@pytest.mark.parametrize("name", sorted(BEYOND_NNI))
def test_nni_loads_payloads_with_markers_it_does_not_know(name):
    value, as_nni_sees_it = BEYOND_NNI[name]
    text = traceable.dump({"lr": 0.1, "layer": samples.Layer(2), "extra": value})
    loaded = nni_load(text)
    assert loaded["lr"] == 0.1
    assert loaded["layer"].width == 2
    assert loaded["extra"] == as_nni_sees_it
    assert traceable.load(text)["extra"] == value


def test_nni_loads_a_dataclass_as_its_class_and_fields():
    text = traceable.dump(samples.Frozen("a", 2))
    assert nni_load(text) == {"__dataclass__": {"type": samples.Frozen, "fields": {"name": "a", "size": 2}}}


def test_nni_loads_torch_values_and_records_as_plain_dicts():
    torch = pytest.importorskip("torch")
    extra = {
        "dtype": torch.float16,
        "device": torch.device("cpu"),
        "w": torch.nn.Parameter(torch.ones(2)),
        "run": samples.AttrsPoint(1),
        "optim": samples.Optim(),
    }
    loaded = nni_load(traceable.dump({"layer": samples.Layer(2), "extra": extra}))
    assert loaded["layer"].width == 2
    seen = loaded["extra"]
    tensor = seen.pop("w")["__torch_tensor__"]
    assert_same(tensor.pop("data"), np.ones(2, dtype=np.float32))
    assert tensor == {"dtype": "float32", "device": "cpu", "requires_grad": True, "parameter": True}
    assert seen == {
        "dtype": {"__torch_dtype__": "float16"},
        "device": {"__torch_device__": "cpu"},
        "run": {"__attrs__": {"type": samples.AttrsPoint, "fields": {"x": 1, "y": 0}}},
        "optim": {"__pydantic__": {"type": samples.Optim, "fields": {"name": "adam", "lr": 0.001}}},
    }
