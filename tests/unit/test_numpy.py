"""numpy arrays: NNI's nested-list form by default, json-tricks' compact form on request."""

from __future__ import annotations

import sys

import pytest

from traceable import dump, load

np = pytest.importorskip("numpy")

ARRAYS = [
    np.arange(6, dtype=np.float32).reshape(2, 3),
    np.asfortranarray(np.arange(6, dtype=np.int16).reshape(2, 3)),
    np.arange(24, dtype=np.uint8).reshape(2, 3, 4).transpose(2, 0, 1),
    np.array([1 + 2j, -3j], dtype=np.complex64),
    np.array([True, False]),
    np.array(5.0),
    np.zeros((0, 3), dtype=np.float64),
    np.array([1.5, 2.5], dtype=">f8"),
    np.array(["ab", "c"]),
    np.array(["2024-01-01", "2024-06-30"], dtype="datetime64[D]"),
]


def test_compact_arrays_write_json_tricks_b64_form():
    text = dump(np.array([1.0]), compact_arrays=True)
    endian = sys.byteorder
    expected = {"little": "AAAAAAAA8D8=", "big": "P/AAAAAAAAA="}[endian]
    assert text == f'{{"__ndarray__": "b64:{expected}", "dtype": "float64", "shape": [1], "endian": "{endian}"}}'
    matrix = dump(np.zeros((2, 2), dtype=np.int8), compact_arrays=True)
    assert (
        matrix
        == f'{{"__ndarray__": "b64:AAAAAA==", "dtype": "int8", "shape": [2, 2], "Corder": true, "endian": "{endian}"}}'
    )


@pytest.mark.parametrize("compact", [False, True])
@pytest.mark.parametrize("index", range(len(ARRAYS)))
def test_arrays_round_trip_with_dtype_shape_and_values(compact, index):
    arr = ARRAYS[index]
    loaded = load(dump({"x": arr}, compact_arrays=compact))["x"]
    assert loaded.shape == arr.shape
    assert loaded.dtype == arr.dtype.newbyteorder("=") if compact else loaded.dtype == arr.dtype
    assert np.array_equal(loaded, arr)
    if compact:
        assert loaded.flags["WRITEABLE"]


def test_object_arrays_fall_back_to_nested_lists_in_compact_mode():
    arr = np.array([1, "a", None], dtype=object)
    text = dump(arr, compact_arrays=True)
    assert text == '{"__ndarray__": [1, "a", null], "dtype": "object", "shape": [3]}'
    assert list(load(text)) == [1, "a", None]


def test_numpy_scalars_are_written_as_python_numbers_like_nni():
    assert dump([np.float32(1.5), np.int64(7), np.bool_(True)]) == "[1.5, 7, true]"


def test_compact_data_of_the_wrong_size_is_refused():
    with pytest.raises(ValueError, match="8 bytes of data for shape \\[2\\] of float64, which needs 16"):
        load('{"__ndarray__": "b64:AAAAAAAA8D8=", "dtype": "float64", "shape": [2], "endian": "little"}')
