"""What a safe load may allocate: each hostile payload here is small and inside every
per-value limit, yet once took many times its declared size, or a budget's worth per value.

Each is loaded in a child process that reports the outcome and its peak memory (ru_maxrss,
which counts the pages the load touched).
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from children import child_env
from traceable import LoadPolicy, UnsafePayloadError, audit, dump, load

np = pytest.importorskip("numpy")

CHILD = r"""
import json, resource, sys
import numpy, traceable
data, allow = open(sys.argv[1], "rb").read(), json.loads(sys.argv[2])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
outcome = {"error": None}
try:
    value = traceable.load_bytes(data, safe=True, allow=allow)
    if isinstance(value, numpy.ndarray):
        outcome.update(dtype=str(value.dtype), shape=list(value.shape), sum=float(value.sum()))
    else:
        outcome["result"] = type(value).__name__
except Exception as err:
    outcome.update(error=type(err).__name__, rule=getattr(err, "rule", None), path=getattr(err, "path", None))
outcome["mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps(outcome))
"""

_MiB = 1 << 20
# A load's own cost besides the arrays it makes: the parse, and numpy's import.
_OVERHEAD_MB = 64


def _load_in_child(tmp_path: Path, text: str, allow: tuple[str, ...] = ()) -> dict:
    payload = tmp_path / "payload.json"
    payload.write_text(text)
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(payload), json.dumps(allow)],
        capture_output=True,
        text=True,
        timeout=120,
        env=child_env(),
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    outcome: dict = json.loads(result.stdout)
    return outcome


def _compressed_array(count: int, dtype: str, endian: str) -> dict:
    # count float64s, a 1 then 1,023 zeros, over and over: gzip makes 256 MiB of them 0.3 MiB.
    pattern = np.zeros(1024, dtype=dtype)
    pattern[0] = 1
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [compressor.compress(pattern.tobytes() * 1024) for _ in range(count // (1024 * 1024))]
    blob = b"".join([*parts, compressor.flush()])
    text = "b64.gz:" + base64.b64encode(blob).decode()
    return {"__ndarray__": text, "dtype": dtype.lstrip("<>"), "shape": [count], "endian": endian}


_COUNT = 32 * _MiB  # float64s: 256 MiB, the most max_array_bytes allows one array


@pytest.mark.parametrize(("dtype", "endian"), [("<f8", "little"), (">f8", "big")], ids=["little-endian", "big-endian"])
def test_a_compressed_array_takes_one_copy_of_its_size(tmp_path, dtype, endian):
    text = json.dumps(_compressed_array(_COUNT, dtype, endian))
    assert len(text) < _MiB
    outcome = _load_in_child(tmp_path, text)
    mb = outcome.pop("mb")
    assert outcome == {
        "error": None,
        "dtype": "float64",
        "shape": [_COUNT],
        "sum": _COUNT / 1024,
    }
    assert mb < 256 + _OVERHEAD_MB  # the array, not the inflated bytes and the array (and a swapped copy)


def test_the_arrays_of_one_load_share_one_budget(tmp_path):
    text = json.dumps([_compressed_array(_COUNT, "<f8", "little")] * 4)  # 1.3 MiB
    outcome = _load_in_child(tmp_path, text)
    mb = outcome.pop("mb")
    assert outcome == {"error": "UnsafePayloadError", "rule": "max_total_array_bytes", "path": "$[1]"}
    assert mb < _OVERHEAD_MB


def test_the_budget_can_be_raised_and_counts_a_shared_array_once():
    arr = np.zeros(1000)  # 8,000 bytes
    shared = dump([arr, arr], lossless=True)
    assert '"__ref__": 1' in shared
    back = load(shared, policy=LoadPolicy.safe(max_total_array_bytes=8000))
    assert back[0] is back[1]
    assert np.array_equal(back[0], arr)
    two = dump({"a": arr, "b": arr.copy(), "c": arr.copy()})
    with pytest.raises(UnsafePayloadError) as info:
        load(two, policy=LoadPolicy.safe(max_total_array_bytes=15_999))
    assert (info.value.path, info.value.rule) == ("$.b", "max_total_array_bytes")
    assert "16,000, over max_total_array_bytes=15,999" in str(info.value)
    findings = audit(two, policy=LoadPolicy.safe(max_total_array_bytes=15_999))
    assert [(f.path, f.rule) for f in findings] == [("$.b", "max_total_array_bytes")]  # reported once
    assert np.array_equal(load(two, policy=LoadPolicy.safe(max_total_array_bytes=24_000))["c"], arr)


def test_pandas_columns_count_in_the_budget():
    pd = pytest.importorskip("pandas")
    text = dump({"a": pd.DataFrame({"x": [1.0] * 100, "y": [2.0] * 100}), "b": np.zeros(10)})
    # Each column and the index take 800 bytes, the frame 16 KiB and each column 4 KiB more
    # (what pandas allocates beside the data); the array 80.
    frame = 3 * 800 + (16 << 10) + 2 * (4 << 10)
    with pytest.raises(UnsafePayloadError) as info:
        load(text, policy=LoadPolicy.safe(max_total_array_bytes=frame + 79))
    assert (info.value.path, info.value.rule) == ("$.b", "max_total_array_bytes")
    assert load(text, policy=LoadPolicy.safe(max_total_array_bytes=frame + 80))["a"].shape == (100, 2)


def test_unsized_text_given_more_items_than_its_shape_is_refused_before_numpy_sizes_it(tmp_path):
    # Sized by its one declared item, 960 KB; numpy would make 2,001 items of that width.
    text = json.dumps({"__ndarray__": ["a" * 240_000] + [""] * 2000, "dtype": "U", "shape": [1]})
    outcome = _load_in_child(tmp_path, text)
    mb = outcome.pop("mb")
    assert outcome == {"error": "UnsafePayloadError", "rule": "array_form", "path": "$"}
    assert mb < _OVERHEAD_MB


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ('{"__ndarray__": [0], "dtype": "U60000000", "shape": [1]}', "array_form"),  # a number in a text array
        ('{"__ndarray__": [""], "dtype": "U60000000", "shape": [1]}', "max_string_length"),
        ('{"__ndarray__": [""], "dtype": "S200000000", "shape": [1]}', "max_string_length"),
    ],
    ids=["number", "empty string, U", "empty string, S"],
)
def test_a_fixed_width_text_dtype_is_no_wider_than_a_string_may_be(tmp_path, text, rule):
    outcome = _load_in_child(tmp_path, text)
    mb = outcome.pop("mb")
    assert outcome == {"error": "UnsafePayloadError", "rule": rule, "path": "$"}
    assert mb < _OVERHEAD_MB


@pytest.mark.parametrize(
    "text",
    [
        '{"__ndarray__": [[1, 2], [3]], "dtype": "int64", "shape": [2, 2]}',
        '{"__ndarray__": [1, 2, 3], "dtype": "int64", "shape": [2]}',
        '{"__ndarray__": [[1, 2, 3]], "dtype": "float64", "shape": [1]}',
        '{"__ndarray__": [1, 2], "dtype": "float64", "shape": [], "scalar": true}',
        '{"__ndarray__": [[1], [2]], "dtype": "object", "shape": [3]}',
        '{"__ndarray__": [1, 2, 3, 4], "dtype": "(8000,8000)f8", "shape": [0]}',
        '{"__ndarray__": ["a", 1], "dtype": "U1", "shape": [2]}',
        '{"__ndarray__": ["a", {"__bytes_b64__": "YQ=="}], "dtype": "U", "shape": [2]}',
        '{"__pandas_series__": {"name": "s", "type": "float64"}, "index": [0], "data": [[1.0, 2.0]]}',
    ],
    ids=[
        "ragged",
        "too many items",
        "deeper than its shape",
        "a list as a scalar",
        "object items too few",
        "items of a huge dtype, none declared",
        "a number as text",
        "bytes as unicode text",
        "a series of lists",
    ],
)
def test_list_data_must_fill_its_declared_shape_with_items_of_its_dtype(text):
    with pytest.raises(UnsafePayloadError) as info:
        load(text, safe=True)
    assert (info.value.path, info.value.rule) == ("$", "array_form")


def test_arrays_as_dump_writes_them_still_load_safely():
    pd = pytest.importorskip("pandas")
    values = [
        np.array(["a", "bbbbbbbbbb"])[:1],  # wider than its longest item
        np.array([b"ab", b"c"]),
        np.array(["", ""], dtype="U"),
        np.zeros((2, 0, 3)),
        np.array([[1, "y"], [None, "x"]], dtype=object),
        np.array([1 + 2j, 3j]),
        np.array([1, 2], dtype="datetime64[D]"),
        np.float32(1.5),
    ]
    for value in values:
        for compact in (False, True):
            back = load(dump(value, compact_arrays=compact), safe=True)
            assert back.dtype == value.dtype
            assert back.shape == value.shape
            assert back.tolist() == value.tolist()
    frame = pd.DataFrame({"s": ["a", "bb"], "n": [1, 2]})
    assert load(dump(frame), safe=True).equals(frame)


def _wrapping_a_shared_list(wrapper: str, items: str, copies: int) -> str:
    shared = f'{{"__id__": 1, "__value__": [{items}]}}'
    return '{"__lossless__": 1, "value": [' + ", ".join([shared] + [wrapper] * copies) + "]}"


def test_lossless_wrappers_around_one_shared_list_are_refused_before_copying_it(tmp_path):
    # 300 tuples around one list of a million items: 2.3 GiB from 2 MiB of text.
    text = _wrapping_a_shared_list('{"__tuple__": {"__ref__": 1}}', ", ".join(["0"] * 1_000_000), 300)
    outcome = _load_in_child(tmp_path, text)
    mb = outcome.pop("mb")
    assert outcome == {"error": "UnsafePayloadError", "rule": "shared_items", "path": "$.value[1]"}
    assert mb < _OVERHEAD_MB


@pytest.mark.parametrize(
    ("wrapper", "rule"),
    [
        ('{"__tuple__": {"__ref__": 1}}', "shared_items"),
        ('{"__set__": {"__ref__": 1}}', "shared_items"),
        ('{"__frozenset__": {"__ref__": 1}}', "shared_items"),
        ('{"__deque__": {"__ref__": 1}}', "shared_items"),
        ('{"__deque__": {"items": {"__ref__": 1}, "maxlen": null}}', "shared_items"),
        ('{"__counter__": {"__ref__": 1}}', "shared_items"),
        ('{"__ordereddict__": {"__ref__": 1}}', "shared_items"),
        ('{"__defaultdict__": {"factory": "list", "items": {"__ref__": 1}}}', "shared_items"),
        ('{"__tuple__": {"__id__": 2, "__value__": {"__ref__": 1}}}', "shared_items"),
        ('{"__deque__": {"__id__": 2, "__value__": {"items": {"__ref__": 1}}}}', "shared_items"),
        ('{"__ndarray__": {"__ref__": 1}, "dtype": "int64", "shape": [3]}', "array_form"),
        ('{"__ndarray__": {"__ref__": 1}, "dtype": "object", "shape": [3]}', "array_form"),
        ('{"__ndarray__": [{"__ref__": 1}], "dtype": "U", "shape": [1, 3]}', "array_form"),
    ],
    ids=[
        "tuple",
        "set",
        "frozenset",
        "deque",
        "deque with maxlen",
        "counter",
        "ordereddict",
        "defaultdict",
        "id of a ref",
        "id of a deque's items",
        "array",
        "object array",
        "rows",
    ],
)
def test_every_wrapper_that_would_copy_a_shared_list_is_refused(wrapper, rule):
    text = _wrapping_a_shared_list(wrapper, '"a", "b", "c"', 2)
    with pytest.raises(UnsafePayloadError) as info:
        load(text, safe=True)
    assert (info.value.path, info.value.rule) == ("$.value[1]", rule)
    assert [f.rule for f in audit(text, safe=True)] == [rule, rule]


def test_shared_lists_inside_wrappers_still_load():
    inner = [1, 2]
    holder = np.empty(2, dtype=object)
    holder[0] = holder[1] = inner
    value = [inner, (inner, inner), {frozenset({3})}, holder]
    text = dump(value, lossless=True)
    back = load(text, safe=True)
    assert back[0] is back[1][0] is back[1][1] is back[3][0]
    assert back[:3] == value[:3]


def test_calls_given_one_shared_dict_as_their_kwargs_copy_it_only_within_a_budget(tmp_path):
    # Each call keeps its own **kwargs: 50 calls on one dict of 200,000 keys would copy 10^7 items.
    shared = '{"__id__": 1, "__value__": {' + ", ".join(f'"k{i}": 0' for i in range(200_000)) + "}}"
    call = '{"__symbol__": "path:samples.make_ordered_dict", "__kwargs__": {"__ref__": 1}}'
    text = '{"__lossless__": 1, "value": [' + ", ".join([shared] + [call] * 50) + "]}"
    outcome = _load_in_child(tmp_path, text, ("samples",))
    mb = outcome.pop("mb")
    assert outcome == {"error": "UnsafePayloadError", "rule": "max_shared_copies", "path": "$.value[6]"}
    assert mb < _OVERHEAD_MB


def test_traced_objects_sharing_their_arguments_load_within_the_copy_budget():
    import copy

    import samples

    model = samples.Model([samples.Layer(1)], name="a")  # two arguments: a copy of them is 2 items
    text = dump([model, copy.copy(model), copy.copy(model)], lossless=True)
    assert text.count('"__kwargs__": {"__ref__": 1}') == 2
    assert load(text, policy=LoadPolicy.safe(allow=["samples"], max_shared_copies=4)) == [model] * 3
    policy = LoadPolicy.safe(allow=["samples"], max_shared_copies=3)
    with pytest.raises(UnsafePayloadError) as info:
        load(text, policy=policy)
    assert (info.value.path, info.value.rule) == ("$.value[2]", "max_shared_copies")
    assert [(f.path, f.rule) for f in audit(text, policy=policy) if not f.allowed] == [
        ("$.value[2]", "max_shared_copies")
    ]


def _pandas_payload(kind: str, count: int) -> str:
    if kind == "columns of one frame":
        names = [f"c{i}" for i in range(count)]
        frame: dict = {"__pandas_dataframe__": {"column_order": names, "types": ["int8"] * count}}
        frame.update({name: [] for name in names})
        frame["index"] = []
        return json.dumps(frame, separators=(",", ":"))
    one = (
        '{"__pandas_dataframe__":{"column_order":["a"],"types":["int8"]},"a":[],"index":[]}'
        if kind == "empty frames"
        else '{"__pandas_series__":{"type":"int8","name":null},"data":[],"index":[]}'
    )
    return "[" + ",".join([one] * count) + "]"


@pytest.mark.parametrize(
    ("kind", "count", "path"),
    [
        ("columns of one frame", 550_000, "$"),
        ("empty frames", 195_000, "$[13107]"),
        ("empty series", 230_000, "$[16384]"),
    ],
)
def test_many_pandas_objects_count_what_pandas_allocates_beside_their_data(tmp_path, kind, count, path):
    pytest.importorskip("pandas")
    # 16 MiB of empty frames took 32 s and 680 MB; 550,000 empty columns 1.5 GB: nothing was
    # charged for pandas' own overhead (found by review).
    text = _pandas_payload(kind, count)
    assert len(text) < 16 << 20
    outcome = _load_in_child(tmp_path, text)
    mb = outcome.pop("mb")
    assert outcome == {"error": "UnsafePayloadError", "rule": "max_total_array_bytes", "path": path}
    assert mb < _OVERHEAD_MB * 4


def test_a_thousand_small_frames_still_load_safely():
    pd = pytest.importorskip("pandas")
    frames = [pd.DataFrame({"a": [i], "b": [float(i)]}) for i in range(1000)]
    back = load(dump(frames), safe=True)
    assert all(a.equals(b) for a, b in zip(back, frames, strict=True))
