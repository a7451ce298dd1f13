"""numpy arrays: NNI's nested-list form by default, json-tricks' compact form on request."""

from __future__ import annotations

import base64
import datetime
import json
import sys

import pytest

from traceable import DecodeError, EncodeError, UnsafePayloadError, dump, load

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


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (np.float32(1.5), '{"__ndarray__": 1.5, "dtype": "float32", "shape": [], "scalar": true}'),
        (np.int64(-7), '{"__ndarray__": -7, "dtype": "int64", "shape": [], "scalar": true}'),
        (np.uint8(255), '{"__ndarray__": 255, "dtype": "uint8", "shape": [], "scalar": true}'),
        (np.float16(0.5), '{"__ndarray__": 0.5, "dtype": "float16", "shape": [], "scalar": true}'),
        # "bool_": NNI 3.0 reads the scalar as getattr(numpy, dtype), and numpy 1.x has no numpy.bool.
        (np.bool_(True), '{"__ndarray__": true, "dtype": "bool_", "shape": [], "scalar": true}'),
        (
            np.complex64(1 - 2j),
            '{"__ndarray__": {"__complex__": [1.0, -2.0]}, "dtype": "complex64", "shape": [], "scalar": true}',
        ),
        (
            np.complex128(3j),
            '{"__ndarray__": {"__complex__": [0.0, 3.0]}, "dtype": "complex128", "shape": [], "scalar": true}',
        ),
        (
            np.datetime64("2024-01-02"),
            '{"__ndarray__": "2024-01-02", "dtype": "datetime64", "shape": [], "unit": "D", "scalar": true}',
        ),
        (
            np.datetime64(5, "ns"),
            '{"__ndarray__": "1970-01-01T00:00:00.000000005", "dtype": "datetime64", "shape": [], "unit": "ns", '
            '"scalar": true}',
        ),
        (
            np.datetime64("NaT", "ns"),
            '{"__ndarray__": "NaT", "dtype": "datetime64", "shape": [], "unit": "ns", "scalar": true}',
        ),
        (
            np.timedelta64(90, "s"),
            '{"__ndarray__": {"__timedelta__": null, "seconds": 90}, "dtype": "timedelta64", "shape": [], "unit": "s", "scalar": true}',
        ),
        (np.bytes_(b"ab"), '{"__ndarray__": {"__bytes_b64__": "YWI="}, "dtype": "|S2", "shape": [], "scalar": true}'),
    ],
)
def test_numpy_scalars_keep_their_dtype(value, text):
    assert dump(value) == text
    assert dump(value, compact_arrays=True) == text  # a scalar's data is a number even then
    loaded = load(text)
    assert type(loaded) is type(value)
    assert loaded.dtype == value.dtype
    assert loaded == value or (np.isnat(value) and np.isnat(loaded))
    assert load(text, safe=True) == loaded or np.isnat(loaded)


@pytest.mark.parametrize(
    "value",
    [
        np.timedelta64(-9223372036854775, "ms"),  # numpy's own conversion of it came back positive
        np.timedelta64(-9223372036854, "s"),
        np.timedelta64(-(2**62), "us"),
        np.timedelta64(3, "5ms"),
        np.array([[-106751991167, 3], [0, 106751991167]], dtype="timedelta64[s]"),
        np.array([-9223372036854775, 7, -1], dtype="timedelta64[ms]"),
    ],
    ids=repr,
)
def test_timedeltas_near_the_ends_of_int64_keep_their_sign_and_value(value):
    text = dump(value)
    assert "__timedelta__" in text  # written as Python timedeltas, which numpy reads inexactly
    loaded = load(text)
    assert loaded.dtype == value.dtype
    assert np.array_equal(loaded, value)


def test_a_timedelta_rounds_down_to_the_unit_and_one_out_of_range_is_an_error():
    def scalar(dtype, **fields):
        data = json.dumps({"__timedelta__": None, **fields})
        return f'{{"__ndarray__": {data}, "dtype": "{dtype}", "shape": [], "scalar": true}}'

    assert load(scalar("timedelta64[ms]", microseconds=-1500)) == np.timedelta64(-2, "ms")  # as numpy rounds
    with pytest.raises(DecodeError, match=r"at \$: .*out of the range of timedelta64\[ns\]"):
        load(scalar("timedelta64[ns]", days=999_999_999))  # numpy would wrap it round silently


def test_a_0d_array_stays_an_array_and_a_scalar_stays_a_scalar():
    zero_d = load(dump([np.array(2.5, dtype=np.float32), np.float32(2.5)]))
    assert [type(v) for v in zero_d] == [np.ndarray, np.float32]
    assert zero_d[0].shape == ()
    assert zero_d[0].dtype == np.float32


def test_float64_and_str_scalars_are_written_as_python_values():
    # Subclasses of float and str: the JSON writer takes them before any hook sees them.
    assert dump([np.float64(0.25), np.str_("a")]) == '[0.25, "a"]'
    assert load(dump([np.float64(0.25), np.str_("a")])) == [0.25, "a"]


def test_compact_0d_arrays_keep_their_data_a_number_for_json_tricks():
    # json-tricks (and NNI 3.0) read the data of shape [] only as a number.
    assert dump(np.array(7, dtype=np.int16), compact_arrays=True) == '{"__ndarray__": 7, "dtype": "int16", "shape": []}'


def test_long_doubles_are_written_as_bytes_to_keep_their_precision():
    value = np.longdouble(1) / np.longdouble(3)
    text = dump({"x": value, "a": np.array([value, -value])})
    loaded = load(text)
    assert type(loaded["x"]) is np.longdouble
    assert loaded["x"] == value
    assert loaded["a"].dtype == np.longdouble
    assert list(loaded["a"]) == [value, -value]
    assert '"b64:' in text


def test_a_scalar_marker_must_be_true_with_an_empty_shape():
    for bad in ('"scalar": 1, "shape": []', '"scalar": true, "shape": [1]'):
        text = '{"__ndarray__": [1.5], "dtype": "float32", %s}' % bad  # noqa: UP031
        with pytest.raises(ValueError, match='"scalar" is written only as true, with the shape'):
            load(text)
        with pytest.raises(UnsafePayloadError) as info:
            load(text, safe=True)
        assert info.value.rule == "array_form"


def test_a_scalar_of_a_numeric_dtype_must_be_a_json_number_under_the_safe_policy():
    text = '{"__ndarray__": {"__decimal__": "1e1000000"}, "dtype": "float64", "shape": [], "scalar": true}'
    with pytest.raises(UnsafePayloadError) as info:
        load(text, safe=True)
    assert info.value.rule == "array_form"


RECORD = np.dtype([("id", "<i4"), ("xy", "<f8", (2,)), ("tag", "<U3"), ("inner", [("flag", "?")])])
RECORDS = np.array([(1, (0.5, -1.0), "ab", (True,)), (2, (2.0, 3.0), "xyz", (False,))], dtype=RECORD)


def test_structured_arrays_are_written_as_bytes_with_their_descr():
    text = dump({"r": RECORDS[:1]})
    little = "AQAAAAAAAAAAAOA/AAAAAAAA8L9hAAAAYgAAAAAAAAAB"  # 1, (0.5, -1.0), "ab", (True,)
    data = little if sys.byteorder == "little" else base64.b64encode(native_bytes(RECORDS[:1])).decode()
    assert text == (
        f'{{"r": {{"__ndarray__": "b64:{data}", "dtype": [["id", "<i4"], ["xy", "<f8", [2]], ["tag", "<U3"], '
        f'["inner", [["flag", "|b1"]]]], "shape": [1], "endian": "{sys.byteorder}"}}}}'
    )


@pytest.mark.parametrize("compact", [False, True])
@pytest.mark.parametrize(
    "arr",
    [
        RECORDS,
        RECORDS.reshape(2, 1).T,
        np.zeros(3, dtype=np.dtype({"names": ["a", "b"], "formats": ["u1", "<f8"], "offsets": [0, 8], "itemsize": 24})),
        np.zeros(2, dtype=[(("Title", "t"), "<i2")]),
        np.zeros(2, dtype=">i4, >f4"),
        np.zeros(2, dtype="V3"),
        np.zeros((0, 2), dtype=RECORD),
    ],
    ids=["nested", "2-d", "aligned with padding", "titled", "big-endian", "raw void", "empty"],
)
def test_structured_arrays_round_trip_under_any_policy(arr, compact):
    for safe in (False, True):
        loaded = load(dump([arr], compact_arrays=compact), safe=safe)[0]
        assert loaded.dtype == arr.dtype.newbyteorder("=")
        assert loaded.shape == arr.shape
        assert loaded.tobytes() == native_bytes(arr)


def native_bytes(arr):
    # Field by field into zeros, as dump copies records: padding bytes are zeros.
    native = np.zeros(arr.shape, arr.dtype.newbyteorder("="))
    native[...] = arr
    return native.tobytes()


def test_a_record_scalar_round_trips():
    loaded = load(dump(RECORDS[1]))
    assert type(loaded) is np.void
    assert loaded.dtype == RECORD
    assert loaded.tobytes() == RECORDS[1].tobytes()


def test_structured_arrays_with_object_fields_are_an_error():
    arr = np.zeros(2, dtype=[("a", "O"), ("b", "<i4")])
    with pytest.raises(EncodeError) as info:
        dump({"x": arr})
    assert str(info.value) == (
        "cannot encode a numpy.ndarray at $.x: a structured array whose field(s) a hold Python objects has no "
        "byte form; split the object fields into an array of their own (dtype=object), which is written as lists"
    )


def test_object_arrays_round_trip_with_any_values():
    arr = np.array([1, "a", None, {"k": [1.5]}, datetime.date(2024, 1, 2)], dtype=object)
    loaded = load(dump(arr))
    assert loaded.dtype == object
    assert list(loaded) == list(arr)


STRUCTURED_FORMS = {
    "fields as an object": '[{"a": "<i4"}]',
    "a field of four parts": '[["a", "<i4", [1], 0]]',
    "a name that is a number": '[[1, "<i4"]]',
    "a format that is a number": '[["a", 4]]',
    "a negative field shape": '[["a", "<i4", [-1]]]',
    "too many fields": json.dumps([[f"f{i}", "u1"] for i in range(257)]),
    "nested too deep": '[["a", [["b", [["c", [["d", [["e", [["f", [["g", [["h", [["i", "u1"]]]]]]]]]]]]]]]]]]',
    "an unknown format": '[["a", "<q9"]]',
    "an object field": '[["a", "O"]]',
}


@pytest.mark.parametrize("name", list(STRUCTURED_FORMS))
def test_structured_dtypes_in_forms_dump_never_writes_are_refused(name):
    text = '{"__ndarray__": "b64:", "dtype": %s, "shape": [0], "endian": "little"}' % STRUCTURED_FORMS[name]  # noqa: UP031
    with pytest.raises(UnsafePayloadError) as info:
        load(text, safe=True)
    assert info.value.rule == "array_form"
    with pytest.raises(DecodeError):
        load(text)


def test_structured_arrays_count_their_record_size_against_the_limit():
    text = '{"__ndarray__": "b64:", "dtype": [["a", "<f8", [1000, 1000]]], "shape": [1000], "endian": "little"}'
    with pytest.raises(UnsafePayloadError) as info:
        load(text, safe=True)
    assert info.value.rule == "max_array_bytes"
    assert "(a structured dtype)" in str(info.value)


def test_structured_data_must_be_base64():
    text = '{"__ndarray__": [[1]], "dtype": [["a", "<i4"]], "shape": [1]}'
    with pytest.raises(DecodeError, match=r"the data of a \[\('a', '<i4'\)\] array must be written in base64"):
        load(text)
    with pytest.raises(UnsafePayloadError):
        load(text, safe=True)


def test_compact_data_of_the_wrong_size_is_refused():
    with pytest.raises(ValueError, match="8 bytes of data for shape \\[2\\] of float64, which needs 16"):
        load('{"__ndarray__": "b64:AAAAAAAA8D8=", "dtype": "float64", "shape": [2], "endian": "little"}')


@pytest.mark.parametrize(
    "value",
    [np.array("xy"), np.array("abc", dtype=object), np.array(b"ab"), np.array(["a", "bc"])],
    ids=["0-d text", "0-d object holding a string", "0-d bytes", "1-d text"],
)
def test_text_arrays_of_any_shape_round_trip(value):
    for compact in (False, True):
        loaded = load(dump(value, compact_arrays=compact))
        assert type(loaded) is np.ndarray
        assert (loaded.dtype, loaded.shape) == (value.dtype, value.shape)
        assert loaded.tolist() == value.tolist()


def test_the_lossless_mode_keeps_float64_and_str_scalars():
    text = dump([np.float64(0.25), np.str_("a")], lossless=True)
    assert (
        text
        == (
            '{"__lossless__": 1, "value": [{"__ndarray__": 0.25, "dtype": "float64", "shape": [], "scalar": true}, '
            f'{{"__ndarray__": "b64:YQAAAA==", "dtype": "<U1", "shape": [], "endian": "{sys.byteorder}", "scalar": true}}]}}'
        )
        or sys.byteorder == "big"
    )
    loaded = load(text)
    assert [type(v) for v in loaded] == [np.float64, np.str_]
    assert loaded == [0.25, "a"]


_HUGE = '{"__decimal__": "1e999999999"}'


@pytest.mark.parametrize(
    ("text", "path", "where"),
    [
        # int(Decimal("1e999999999")), which numpy calls for an int64, never returns.
        (f'{{"__ndarray__": [{_HUGE}], "dtype": "int64", "shape": [1]}}', "$", "[0]"),
        (
            '{"a": [{"__ndarray__": [[1], [{"__decimal__": "1e5000"}]], "dtype": "uint8", "shape": [2, 1]}]}',
            "$.a[0]",
            "[1][0]",
        ),
        (f'{{"__ndarray__": {_HUGE}, "dtype": "int16", "shape": [], "scalar": true}}', "$", "the data"),
        (
            f'{{"__lossless__": 1, "value": {{"__ndarray__": [{_HUGE}], "dtype": "int64", "shape": [1]}}}}',
            "$.value",
            "[0]",
        ),
    ],
    ids=["issue", "nested", "scalar", "lossless"],
)
def test_a_decimal_too_large_for_int_in_integer_array_data_is_refused_in_every_mode(text, path, where):
    with pytest.raises(DecodeError) as err:
        load(text)
    assert err.value.path == path
    assert f"{where} is a Decimal of about 10**" in str(err.value)
    assert "which would take too long to convert to an integer" in str(err.value)
    with pytest.raises(UnsafePayloadError):  # refused before anything is built (a form dump never writes)
        load(text, safe=True)


def test_large_decimals_still_load_where_no_integer_is_made():
    assert load(f'{{"__ndarray__": [{_HUGE}], "dtype": "float64", "shape": [1]}}').tolist() == [float("inf")]
    objects = np.array([__import__("decimal").Decimal("1e999999999"), 1], dtype=object)
    assert load(dump(objects)).tolist() == objects.tolist()
    assert load(dump(objects), safe=True).tolist() == objects.tolist()


def test_a_decimal_too_large_for_int_in_an_integer_column_is_refused():
    pytest.importorskip("pandas")
    series = f'{{"__pandas_series__": {{"name": "s", "type": "int64"}}, "index": [0], "data": [{_HUGE}]}}'
    frame = f'{{"__pandas_dataframe__": {{"column_order": ["a"], "types": ["int64"]}}, "index": [0], "a": [{_HUGE}]}}'
    for text in (series, frame):
        with pytest.raises(DecodeError, match=r"\[0\] is a Decimal of about 10\*\*999999999, which no int64 holds"):
            load(text)
    # Nullable columns too (object in numpy, Int64 in pandas, which converts with int() as well).
    nullable = (
        '{"__pandas_dataframe__": {"column_order": ["a"], "types": ["object"], "pandas_types": ["Int64"]}, '
        f'"index": [0, 1], "a": [{_HUGE}, null]}}'
    )
    nullable_series = (
        '{"__pandas_series__": {"name": "s", "type": "object", "pandas_type": "UInt8"}, '
        '"index": [0], "data": [{"__decimal__": "1e5000"}]}'
    )
    for text, dtype in ((nullable, "Int64"), (nullable_series, "UInt8")):
        with pytest.raises(DecodeError, match=rf"\[0\] is a Decimal of about 10\*\*\d+, which no {dtype} holds"):
            load(text)


# datetime64 and timedelta64 scalars: "dtype": "datetime64" (which NNI 3.0 can call), the unit beside.
TIME_SCALARS = [
    *(np.datetime64(7, unit) for unit in ["Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs", "as"]),
    np.datetime64(5, "10s"),
    np.datetime64(-(2**63) + 1, "us"),
    np.datetime64("NaT"),
    np.datetime64("NaT", "s"),
    *(np.timedelta64(-7, unit) for unit in ["Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs", "as"]),
    np.timedelta64(4),
    np.timedelta64(3, "25ms"),
    np.timedelta64(-9223372036854775, "ms"),
    np.timedelta64("NaT", "s"),
]


@pytest.mark.parametrize("value", TIME_SCALARS, ids=repr)
def test_datetime64_and_timedelta64_scalars_come_back_with_their_unit(value):
    for loaded in (load(dump(value)), load(dump(value), safe=True)):
        assert (type(loaded), loaded.dtype, loaded.tobytes()) == (type(value), value.dtype, value.tobytes())
    array = np.array(value)
    loaded = load(dump(array))
    assert (type(loaded), loaded.dtype, loaded.shape, loaded.tobytes()) == (
        np.ndarray,
        array.dtype,
        (),
        array.tobytes(),
    )


def test_a_datetime64_scalar_is_written_as_iso_text_with_its_unit_beside():
    assert dump(np.datetime64(5, "10s")) == (
        '{"__ndarray__": "1970-01-01T00:00:50", "dtype": "datetime64", "shape": [], "unit": "10s", "scalar": true}'
    )
    assert dump(np.array(np.datetime64("2024-01-02T03", "h"))) == (
        '{"__ndarray__": "2024-01-02T03", "dtype": "datetime64", "shape": [], "unit": "h"}'
    )
    assert dump(np.timedelta64(5, "ns")) == (
        '{"__ndarray__": 5, "dtype": "timedelta64", "shape": [], "unit": "ns", "scalar": true}'
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ('"dtype": "int64", "unit": "s"', 'written only with the dtype "datetime64" or "timedelta64", not int64'),
        ('"dtype": "datetime64[s]", "unit": "s"', "not datetime64\\[s\\]"),
        ('"dtype": "datetime64", "unit": 5', 'must be a numpy time unit such as "s" or "10ms", not 5'),
        ('"dtype": "datetime64", "unit": "s]"', "must be a numpy time unit"),
        ('"dtype": "datetime64", "unit": "parsec"', "'parsec' is not a numpy time unit"),
    ],
)
def test_a_bad_unit_is_a_decode_error_that_says_what_a_unit_is(fields, message):
    with pytest.raises(DecodeError, match=message):
        load(f'{{"__ndarray__": "2024-01-02", {fields}, "shape": [], "scalar": true}}')
