"""Loading untrusted payloads: the safe policy refuses every hostile payload, runs none of it,
and stays within time and memory; the default policy's behaviour on the same corpus is pinned.

Each hostile payload is built so that running it leaves a marker file behind, and each is
loaded in a child process that reports the error, the time and the memory it took.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

import cloudpickle
import pytest

import hostile
import samples
import traceable
from traceable import DecodeError, LoadPolicy, UnsafePayloadError, audit, dump, load, load_bytes

CHILD = r"""
import json, os, resource, sys, time
mode, path, allow = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
import traceable
data = open(path, "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
outcome = {"error": None}
try:
    kwargs = {"safe": True, "allow": allow} if mode == "safe" else {}
    value = traceable.load_bytes(data, **kwargs)
    outcome["result"] = type(value).__name__
except Exception as err:
    outcome.update(error=type(err).__name__, rule=getattr(err, "rule", None), message=str(err)[:300])
outcome["seconds"] = time.perf_counter() - start
outcome["mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps(outcome))
"""


def touch(marker: str) -> dict:
    return {"__symbol__": "path:pathlib.Path.touch", "__args__": [{"__pathlib__": marker}]}


def pickled(obj: object) -> str:
    return base64.b64encode(cloudpickle.dumps(obj)).decode()


def nest(payload: dict, depth: int = 40) -> dict:
    """Bury a payload deep inside lists and traced kwargs."""
    for level in range(depth):
        payload = (
            [{"x": payload}] if level % 2 else {"__symbol__": "path:samples.Layer", "__kwargs__": {"width": payload}}
        )
    return {"config": payload}


# name -> (payload builder, allow list, does the default policy run it?)
CODE_PAYLOADS = {
    "call a function": (lambda m: touch(m), [], True),
    "call subprocess": (lambda m: {"__symbol__": "path:subprocess.check_output", "__args__": [["touch", m]]}, [], True),
    "call os.system": (lambda m: {"__symbol__": "path:os.system", "__args__": [f"touch {m}"]}, [], True),
    "open a file": (lambda m: {"__symbol__": "path:builtins.open", "__args__": [m, "w"]}, [], True),
    "deep inside lists and kwargs": (lambda m: nest(touch(m)), ["samples"], True),
    "unicode-escaped marker key": (
        lambda m: '{"\\u005f_symbol__": "path:pathlib.Path.touch", "__args__": [{"__pathlib__": "M"}]}'.replace("M", m),
        [],
        True,
    ),
    "duplicate keys, the last one wins": (
        lambda m: (
            '{"__symbol__": "path:samples.square", "__symbol__": "path:pathlib.Path.touch", "__args__": [{"__pathlib__": "M"}]}'.replace(
                "M", m
            )
        ),
        ["samples"],
        True,
    ),
    "alias of a dangerous function": (
        lambda m: {"__symbol__": "path:logging.os.system", "__args__": [f"touch {m}"]},
        ["logging"],
        True,
    ),
    "re-export of a dangerous function": (
        lambda m: {"__symbol__": "path:hostile.run_command", "__args__": [f"touch {m}"]},
        ["hostile"],
        True,
    ),
    "lazy dispatcher: functools.partial": (
        lambda m: {
            "__symbol__": "path:functools.partial",
            "__args__": [{"__nni_type__": "path:pathlib.Path.touch"}, {"__pathlib__": m}],
        },
        [],
        False,
    ),
    "lazy dispatcher: map": (
        lambda m: {
            "__symbol__": "path:builtins.map",
            "__args__": [{"__nni_type__": "path:pathlib.Path.touch"}, [{"__pathlib__": m}]],
        },
        [],
        False,
    ),
    "lazy dispatcher: operator.methodcaller": (
        lambda m: {"__symbol__": "path:operator.methodcaller", "__args__": ["touch"]},
        [],
        False,
    ),
    "class whose _load has side effects": (
        lambda m: {"marker": m, "__instance_type__": "path:hostile.SideEffectOnLoad"},
        [],
        True,
    ),
    "module whose import has side effects": (lambda m: {"__nni_type__": "path:hostile_import.anything"}, [], True),
    "enum type in a module whose import has side effects": (
        lambda m: {"__enum__": {"__enum_instance_type__": ["hostile_import", "Color"], "name": "RED"}},
        [],
        True,
    ),
    # Under the allow lists users really write: the deny list, and prefixes that cover a
    # module's classes and functions but not methods reached through them.
    "Path.write_text under allow=['pathlib']": (
        lambda m: {"__symbol__": "path:pathlib.Path.write_text", "__args__": [{"__pathlib__": m}, "x"]},
        ["pathlib"],
        True,
    ),
    "logging.FileHandler under allow=['logging']": (
        lambda m: {"__symbol__": "path:logging.FileHandler", "__args__": [m]},
        ["logging"],
        True,
    ),
    "logging.config.dictConfig naming a factory": (
        lambda m: {
            "__symbol__": "path:logging.config.dictConfig",
            "__args__": [{"version": 1, "handlers": {"h": {"()": "subprocess.getoutput", "cmd": f"touch {m}"}}}],
        },
        ["logging"],
        True,
    ),
    "traceable.load of an inner pickle under allow=['traceable']": (
        lambda m: {
            "__symbol__": "path:traceable.load",
            "__args__": [json.dumps({"__nni_obj__": pickled(hostile.TouchOnUnpickle(m))})],
        },
        ["traceable"],
        True,
    ),
    "pickled object": (lambda m: {"__nni_obj__": pickled(hostile.TouchOnUnpickle(m))}, [], True),
    "pickled symbol": (lambda m: {"__nni_type__": "bytes:" + pickled(hostile.TouchOnUnpickle(m))}, [], True),
    "pickled symbol, called": (lambda m: {"__symbol__": "bytes:" + pickled(hostile.TouchOnUnpickle(m))}, [], True),
}


def _gzip_bomb(size: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b" " * (1 << 20)
    parts = [compressor.compress(b"[" + b" " * ((1 << 20) - 1))]
    parts += [compressor.compress(chunk) for _ in range(size >> 20)]
    parts.append(compressor.compress(b"1]") + compressor.flush())
    return b"".join(parts)


# name -> (payload builder giving bytes, rule the safe policy refuses it by)
RESOURCE_PAYLOADS = {
    "nesting 100,000 deep": (lambda: b"[" * 100_000 + b"]" * 100_000, "max_depth"),
    "array declaring a huge shape with tiny data": (
        lambda: (
            b'{"__ndarray__": "b64:AAAAAAAA8D8=", "dtype": "float64", "shape": [100000, 100000, 100000], "endian": "little"}'
        ),
        "max_array_elements",
    ),
    "100,000-digit integer": (lambda: b"1" * 100_000, "max_number_length"),
    "50 MB string": (lambda: b'"' + b"a" * (50 << 20) + b'"', "max_size"),
    "gzip bomb": (lambda: _gzip_bomb(256 << 20), "max_decompressed_size"),
}


def _run(tmp_path: Path, data: bytes, marker: Path, mode: str, allow: list[str]) -> dict:
    payload = tmp_path / "payload.bin"
    payload.write_bytes(data)
    env = dict(os.environ, TRACEABLE_TEST_MARKER=str(marker))
    result = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(payload), json.dumps(allow)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _code_payload(name: str, marker: Path) -> tuple[bytes, list[str]]:
    build, allow, _ = CODE_PAYLOADS[name]
    payload = build(str(marker))
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return text.encode(), allow


@pytest.mark.parametrize("name", list(CODE_PAYLOADS))
def test_safe_policy_refuses_payloads_that_run_code_and_runs_none_of_it(tmp_path, name):
    marker = tmp_path / "marker"
    data, allow = _code_payload(name, marker)
    outcome = _run(tmp_path, data, marker, "safe", allow)
    assert outcome["error"] == "UnsafePayloadError", outcome
    assert outcome["rule"] in ("allow", "deny", "allow_pickle", "unique_keys")
    assert not marker.exists()
    assert outcome["seconds"] < 2
    assert outcome["mb"] < 200


@pytest.mark.parametrize("name", list(CODE_PAYLOADS))
def test_default_policy_runs_code_as_nni_does(tmp_path, name):
    marker = tmp_path / "marker"
    data, _ = _code_payload(name, marker)
    _run(tmp_path, data, marker, "default", [])
    runs = CODE_PAYLOADS[name][2]
    assert marker.exists() == runs, f"{name}: the default policy {'runs' if runs else 'does not run'} it"


@pytest.mark.parametrize("name", list(RESOURCE_PAYLOADS))
def test_safe_policy_refuses_resource_exhaustion_quickly_and_in_little_memory(tmp_path, name):
    build, rule = RESOURCE_PAYLOADS[name]
    outcome = _run(tmp_path, build(), tmp_path / "marker", "safe", [])
    assert outcome["error"] == "UnsafePayloadError", outcome
    assert outcome["rule"] == rule
    assert outcome["seconds"] < 2
    assert outcome["mb"] < 200


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("nesting 100,000 deep", "DecodeError"),
        ("array declaring a huge shape with tiny data", "DecodeError"),
        ("100,000-digit integer", "DecodeError"),
    ],
)
def test_default_policy_on_resource_payloads(tmp_path, name, error):
    # The 50 MB string and the gzip bomb load in full under the default policy: that is
    # what it means to trust a payload.
    outcome = _run(tmp_path, RESOURCE_PAYLOADS[name][0](), tmp_path / "marker", "default", [])
    assert outcome["error"] == error, outcome


def test_refusal_names_the_path_the_symbol_and_the_rule():
    text = dump({"trainer": samples.Model([samples.Layer(1)])})
    with pytest.raises(UnsafePayloadError) as info:
        load(text, safe=True)
    error = info.value
    assert error.path == "$.trainer"
    assert error.symbol == "samples.Model"
    assert error.rule == "allow"
    assert "allow=['samples.Model']" in str(error)
    assert isinstance(error, DecodeError)


def test_allow_takes_exact_names_and_module_prefixes():
    text = dump(samples.Model([samples.Layer(1)]))
    assert load(text, safe=True, allow=["samples"]) == samples.Model([samples.Layer(1)])
    assert load(text, safe=True, allow=["samples.Model", "samples.Layer"]) == samples.Model([samples.Layer(1)])
    with pytest.raises(UnsafePayloadError, match=r"samples\.Layer"):
        load(text, safe=True, allow=["samples.Model"])
    with pytest.raises(UnsafePayloadError):
        load(text, safe=True, allow=["sample"])  # a prefix ends at a dot


def test_an_alias_is_refused_after_import_by_what_it_resolves_to():
    with pytest.raises(UnsafePayloadError, match=r"imports as (posix|nt)\.system") as info:
        load('{"f": {"__nni_type__": "path:logging.os.system"}}', safe=True, allow=["logging"])
    assert info.value.path == "$.f"


def test_safe_policy_allows_natively_encoded_values_without_any_allow():
    import datetime as dt
    from decimal import Decimal

    value = {"when": dt.datetime(2024, 1, 2, 3), "d": Decimal("1.5"), "s": {1, 2}, "b": b"x", "r": range(3)}
    assert load(dump(value), safe=True) == value
    np = pytest.importorskip("numpy")
    arr = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert np.array_equal(load(dump(arr), safe=True), arr)
    assert np.array_equal(load(dump(arr, compact_arrays=True), safe=True), arr)


def test_enums_need_their_type_allowed():
    text = dump(samples.Color.RED)
    with pytest.raises(UnsafePayloadError, match=r"samples\.Color"):
        load(text, safe=True)
    assert load(text, safe=True, allow=["samples.Color"]) is samples.Color.RED


def test_limits_can_be_raised_and_a_policy_object_used():
    text = json.dumps([[[[1]]]])
    with pytest.raises(UnsafePayloadError, match="max_depth=3"):
        load(text, policy=LoadPolicy.safe(max_depth=3))
    assert load(text, policy=LoadPolicy.safe(max_depth=4)) == [[[[1]]]]
    with pytest.raises(TypeError, match="unknown limit"):
        LoadPolicy.safe(max_fun=1)
    with pytest.raises(TypeError, match="pass safe=True as well"):
        load("1", allow=["x"])
    with pytest.raises(TypeError, match="either policy= or safe="):
        load("1", safe=True, policy=LoadPolicy.safe())


def test_process_wide_default_policy():
    text = dump(samples.Layer(2))
    previous = traceable.set_default_policy(LoadPolicy.safe(allow=["samples.Layer"]))
    try:
        assert load(text) == samples.Layer(2)
        with pytest.raises(UnsafePayloadError):
            load(dump(samples.Plain(1)))
    finally:
        traceable.set_default_policy(previous)
    assert traceable.get_default_policy() is previous


def test_file_payloads_are_read_no_further_than_the_size_limit(tmp_path):
    path = tmp_path / "big.json"
    path.write_text(json.dumps(["x" * 1000] * 100))
    with pytest.raises(UnsafePayloadError, match="max_size=1,000"):
        load(fp=path, policy=LoadPolicy.safe(max_size=1000))


def test_gzipped_payloads_load_safely_within_the_limit():
    data = traceable.dump_bytes({"a": [1, 2, 3]})
    assert load_bytes(data, safe=True) == {"a": [1, 2, 3]}
    multi = gzip.compress(b'{"a": ') + gzip.compress(b"[1]}")
    assert load_bytes(multi, safe=True) == {"a": [1]}
    with pytest.raises(UnsafePayloadError, match="max_decompressed_size"):
        load_bytes(gzip.compress(b"[" + b" " * 5000 + b"]"), policy=LoadPolicy.safe(max_decompressed_size=1000))


def test_audit_lists_everything_a_load_would_do_without_doing_it(tmp_path):
    marker = tmp_path / "marker"
    payload = {
        "model": {"__symbol__": "path:samples.Layer", "__kwargs__": {"width": 1}},
        "run": [touch(str(marker))],
        "blob": {"__nni_obj__": pickled(hostile.TouchOnUnpickle(str(marker)))},
        "kind": {"__enum__": {"__enum_instance_type__": ["samples", "Color"], "name": "RED"}},
        "plain": [1, 2, {"x": "y"}],
    }
    findings = audit(json.dumps(payload), safe=True, allow=["samples"])
    assert not marker.exists()
    summary = [(f.path, f.action, f.name, f.allowed, f.rule) for f in findings]
    assert summary == [
        ("$.model", "call", "samples.Layer", True, ""),
        ("$.run[0]", "call", "pathlib.Path.touch", False, "allow"),
        ("$.blob", "unpickle", None, False, "allow_pickle"),
        ("$.kind", "import", "samples.Color", True, ""),
    ]
    blob = next(f for f in findings if f.action == "unpickle")
    assert blob.size > 50
    assert str(findings[1]) == "$.run[0]: call pathlib.Path.touch - REFUSED (allow)"
    trusting = audit(json.dumps(payload))
    assert all(f.allowed for f in trusting)
    assert len(trusting) == 4


def test_audit_reports_broken_limits():
    findings = audit("[" * 300 + "]" * 300, safe=True)
    assert [(f.action, f.rule) for f in findings] == [("limit", "max_depth")]


def test_pickles_record_the_versions_that_made_them():
    text = dump(samples.Plain(1))
    body = json.loads(text)
    assert body["python"] == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert body["cloudpickle"] == cloudpickle.__version__
    broken = json.dumps(
        {"__nni_obj__": base64.b64encode(b"\x80\x05garbage").decode(), "python": "2.7", "cloudpickle": "0.1"}
    )
    with pytest.raises(DecodeError, match=r"it was made with python 2\.7 and cloudpickle 0\.1, and this is python"):
        load(broken)


def test_repeated_keys_are_refused_by_the_safe_policy_and_reported_by_audit():
    hidden = '{"a": {"__ndarray__": [], "dtype": "O", "shape": [15000, 15000]}, "a": 1}'
    with pytest.raises(UnsafePayloadError) as info:
        load(hidden, safe=True)
    assert info.value.rule == "unique_keys"
    findings = audit('{"a": {"__symbol__": "path:os.system"}, "a": 1}', safe=True)
    assert [(f.path, f.rule) for f in findings] == [("$", "unique_keys"), ("$.a", "allow")]


def test_error_paths_count_objects_under_repeated_keys():
    text = '{"a": {"__symbol__": "path:samples.Layer", "__kwargs__": {"width": 1}}, "a": 1, "b": {"__symbol__": "path:nowhere.X"}}'
    with pytest.raises(DecodeError) as info:
        load(text)
    assert info.value.path == "$.b"


def test_compressed_array_data_is_inflated_no_further_than_its_declared_size():
    bomb = base64.b64encode(gzip.compress(bytes(64 << 20))).decode()
    with pytest.raises(DecodeError, match="bytes of data for shape"):
        load(json.dumps({"__ndarray__": "b64.gz:" + bomb, "dtype": "uint8", "shape": [1]}))


@pytest.mark.parametrize(
    "payload",
    [
        '{"__ndarray__": [""], "dtype": "U200000000", "shape": [1]}',
        '{"__ndarray__": [0, 0, 0, 0], "dtype": "(8000,8000)f8", "shape": [4]}',
        '{"__pandas_series__": {"name": "s", "type": "U200000000"}, "index": [0], "data": ["a"]}',
        '{"__pandas_dataframe__": {"column_order": ["a"], "types": ["U200000000"]}, "index": [0], "a": ["x"]}',
    ],
)
def test_arrays_declaring_huge_items_are_refused_by_their_size_in_bytes(payload):
    with pytest.raises(UnsafePayloadError) as info:
        load(payload, safe=True)
    assert info.value.rule == "max_array_bytes"


def test_huge_shapes_are_refused_without_computing_their_product():
    n = "9" * 999
    payload = '{"__ndarray__": [], "dtype": "uint8", "shape": [%s]}' % ",".join([n] * 5)  # noqa: UP031
    with pytest.raises(UnsafePayloadError) as info:
        load(payload, safe=True)
    assert info.value.rule == "max_array_elements"
    assert [f.rule for f in audit(payload, safe=True)] == ["max_array_elements"]


@pytest.mark.parametrize("numerator", ['"1e300000000"', '{"__decimal__": "1e300000000"}'])
def test_fractions_take_integers_only(numerator):
    payload = '{"__fraction__": true, "numerator": %s, "denominator": 1}' % numerator  # noqa: UP031
    for safe in (False, True):
        with pytest.raises(DecodeError, match="must be integers"):
            load(payload, safe=safe)


def test_sets_of_colliding_numbers_are_refused():
    items = [k * (2**61 - 1) for k in range(1, 5000)]
    with pytest.raises(UnsafePayloadError) as info:
        load(json.dumps({"__set__": items}), safe=True)
    assert info.value.rule == "set_hashes"
    assert load(json.dumps({"__set__": list(range(5000))}), safe=True) == set(range(5000))


def test_the_check_keeps_only_the_current_path_in_memory():
    # Deep and wide at once: the walk must not hold a path per value.
    text = "[" * 150 + "0," * 200_000 + "0" + "]" * 150
    value = load(text, safe=True)
    for _ in range(149):
        value = value[0]
    assert len(value) == 200_001


# Found by a second review: each was slow or huge under the safe policy before.
FORM_PAYLOADS = {
    "decimal in an int array": '{"__ndarray__": [{"__decimal__": "1e1000000"}], "dtype": "int64", "shape": [1]}',
    "decimal in an int series": '{"__pandas_series__": {"name": "s", "type": "int64"}, "index": [0], "data": [{"__decimal__": "1e1000000"}]}',
    "range as series index": '{"__pandas_series__": {"name": "x", "type": "float64"}, "index": {"__range__": [0, 100000000, 1]}, "data": 0}',
    "range as series data": '{"__pandas_series__": {"name": "x", "type": "float64"}, "data": {"__range__": [0, 100000000, 1]}}',
    "range as a frame column": '{"__pandas_dataframe__": {"column_order": ["a"], "types": ["float64"]}, "a": {"__range__": [0, 100000000, 1]}}',
    "dtype as an object": '{"__ndarray__": [0], "dtype": {"names": ["a"], "formats": ["(10000,10000)f8"]}, "shape": [1]}',
    "true in a shape": '{"__ndarray__": "b64:AAAA", "dtype": "f8", "shape": [true, 100000000]}',
    "long dtype string": '{"__ndarray__": [], "dtype": "%s", "shape": [0]}' % ",".join(["u1"] * 1000),  # noqa: UP031
    "malformed frame columns": '{"__pandas_dataframe__": {"column_order": 5, "types": ["f8"]}}',
    "malformed frame types": '{"__pandas_dataframe__": {"column_order": ["a"], "types": true}, "a": [1]}',
}


@pytest.mark.parametrize("name", list(FORM_PAYLOADS))
def test_arrays_in_forms_dump_never_writes_are_refused(name):
    with pytest.raises(UnsafePayloadError) as info:
        load(FORM_PAYLOADS[name], safe=True)
    assert info.value.rule == "array_form"
    assert [f.rule for f in audit(FORM_PAYLOADS[name], safe=True)] == ["array_form"]


def test_unsized_text_arrays_count_their_longest_item():
    payload = json.dumps({"__ndarray__": ["a" * 1_000_000] + [""] * 199, "dtype": "U", "shape": [200]})
    with pytest.raises(UnsafePayloadError) as info:
        load(payload, safe=True)
    assert info.value.rule == "max_array_bytes"
    frame = traceable.dump(__import__("pandas").DataFrame({"s": ["a", "bb"]}))
    assert list(load(frame, safe=True)["s"]) == ["a", "bb"]


@pytest.mark.parametrize(
    "items",
    [
        [{"__complex__": [-1000003 * k, k]} for k in range(1, 3000)],
        [k * (2**61 - 1) for k in range(1, 7000)] + list(range(1001)),
    ],
    ids=["complex numbers", "a few distinct among many colliding"],
)
def test_sets_whose_items_share_hashes_are_refused(items):
    with pytest.raises(UnsafePayloadError) as info:
        load(json.dumps({"__set__": items}), safe=True)
    assert info.value.rule == "set_hashes"


def test_comments_are_stripped_in_linear_time(tmp_path):
    data = ('#\n"' + '\\"' * 200_000).encode()
    outcome = _run(tmp_path, data, tmp_path / "marker", "safe", [])
    assert outcome["error"] == "DecodeError", outcome
    assert outcome["seconds"] < 2


# Found by review: hostile payloads through the new markers, each refused quickly.
_COLLIDING = [i * (2**61 - 1) for i in range(5000)]  # every one hashes to 0


@pytest.mark.parametrize(
    "payload",
    [
        json.dumps({"__items__": [[k, 0] for k in _COLLIDING]}),
        json.dumps({"__counter__": [[k, 1] for k in _COLLIDING]}),
        json.dumps({"__ordereddict__": [[k, 1] for k in _COLLIDING]}),
        json.dumps({"__defaultdict__": {"factory": "list", "items": [[k, []] for k in _COLLIDING]}}),
        json.dumps({"__lossless__": 1, "value": {"__items__": [[k, 0] for k in _COLLIDING]}}),
    ],
    ids=["items", "counter", "ordereddict", "defaultdict", "lossless items"],
)
def test_dicts_whose_keys_all_collide_are_refused_before_they_are_built(payload):
    with pytest.raises(UnsafePayloadError) as err:
        load(payload, safe=True)
    assert err.value.rule == "set_hashes"


def _ref_chain(depth: int, shared: str) -> str:
    # Each level holds the previous one twice: 2**depth paths through a few hundred bytes.
    items = [f'{{"__id__": 1, "__value__": {shared}}}']
    for level in range(2, depth + 1):
        items.append(f'{{"__id__": {level}, "__value__": [{{"__ref__": {level - 1}}}, {{"__ref__": {level - 1}}}]}}')
    return "[" + ", ".join(items) + "]"


def test_a_key_made_of_a_list_shared_exponentially_is_refused():
    chain = _ref_chain(60, "[1]")
    text = f'{{"__lossless__": 1, "value": {{"chain": {chain}, "set": {{"__set__": [{{"__ref__": 60}}]}}}}}}'
    with pytest.raises(DecodeError, match="holds the same list twice"):
        load(text)
    with pytest.raises(DecodeError, match="holds the same list twice"):
        load(text, safe=True)


def test_a_shared_tuple_is_refused_under_a_checking_policy():
    items = ['{"__id__": 1, "__value__": {"__tuple__": [1]}}']
    for level in range(2, 61):
        pair = f'[{{"__ref__": {level - 1}}}, {{"__ref__": {level - 1}}}]'
        items.append(f'{{"__id__": {level}, "__value__": {{"__tuple__": {pair}}}}}')
    text = '{"__lossless__": 1, "value": [' + ", ".join(items) + "]}"
    with pytest.raises(UnsafePayloadError) as err:
        load(text, safe=True)
    assert err.value.rule == "shared_hashable"


def test_dump_shares_a_tuple_and_a_safe_load_keeps_it_shared():
    inner = (1, 2)
    text = dump([inner, inner], lossless=True)
    assert text == '{"__lossless__": 1, "value": [{"__id__": 1, "__value__": {"__tuple__": [1, 2]}}, {"__ref__": 1}]}'
    loaded = load(text, safe=True)
    assert loaded == [(1, 2), (1, 2)]
    assert loaded[0] is loaded[1]


def _shared_hashables() -> list[object]:
    import datetime as dt
    import decimal
    import fractions

    values = [decimal.Decimal("1.5"), frozenset({1, 2}), fractions.Fraction(1, 3), dt.date(2024, 5, 6), b"ab"]
    values += [range(3), 1j, ((1, 2), ("a",)), samples.Point(1, 2), samples.Frozen("a"), samples.AttrsPoint(3)]
    return values


@pytest.mark.parametrize("value", _shared_hashables(), ids=lambda v: type(v).__name__)
def test_a_value_hashed_by_its_contents_shared_twice_loads_under_a_checking_policy(value):
    loaded = load(dump([value, value], lossless=True), safe=True, allow=["samples"])
    assert loaded == [value, value]
    assert loaded[0] is loaded[1]


def test_a_numpy_scalar_shared_twice_loads_under_a_checking_policy():
    np = pytest.importorskip("numpy")
    value = np.int64(3)
    loaded = load(dump([value, value], lossless=True), safe=True)
    assert loaded == [value, value]
    assert type(loaded[0]) is np.int64
    assert loaded[0] is loaded[1]


def test_a_tuple_shared_many_times_within_the_payloads_size_loads_under_a_checking_policy():
    inner = tuple(range(1000))
    value = [inner] * 16 + [(inner, inner)] * 4
    loaded = load(dump(value, lossless=True), safe=True)
    assert loaded == value
    assert all(item is loaded[0] for item in loaded[:16])
    assert loaded[16][0] is loaded[0]


def test_references_that_together_make_hashing_costly_are_refused_under_a_checking_policy():
    # Each reference alone hashes 2**15 items, far below the payload's budget of 2**20;
    # a set of 64 of them would hash 2**21 (and 10,000 of them, 300 million).
    chain = ['{"__id__": 1, "__value__": {"__tuple__": [1]}}']
    chain += [
        f'{{"__id__": {n}, "__value__": {{"__tuple__": [{{"__ref__": {n - 1}}}, {{"__ref__": {n - 1}}}]}}}}'
        for n in range(2, 16)
    ]
    refs = ", ".join(['{"__ref__": 15}'] * 64)
    text = f'{{"__lossless__": 1, "value": [[{", ".join(chain)}], {{"__set__": [{refs}]}}]}}'
    assert load(text)[1] == {load(text)[0][-1]}  # trusted: the same tuple 64 times
    with pytest.raises(UnsafePayloadError) as err:
        load(text, safe=True)
    assert err.value.rule == "shared_hashable"
    assert err.value.path.startswith("$.value[1].__set__[")
    assert "hashing would visit over 1,048,576" in str(err.value)


def test_records_nested_through_shared_fields_count_what_their_hash_visits():
    # A frozen dataclass hashes its fields: 40 levels of Frozen((f, f)) hash 2**40 items.
    # dump writes it in 7 kB; a trusted load rebuilds it, a checking policy refuses it.
    value = samples.Frozen("a")
    for _ in range(40):
        value = samples.Frozen((value, value))
    text = dump(value, lossless=True)
    loaded = load(text)
    assert loaded.name[0] is loaded.name[1]
    with pytest.raises(UnsafePayloadError) as err:
        load(text, policy=LoadPolicy.safe(allow=["samples"], max_depth=1000))
    assert err.value.rule == "shared_hashable"


def test_safe_loads_with_one_allow_list_share_one_policy_and_later_edits_to_the_list_do_not_leak():
    from traceable._api import policy_for

    allow = ["samples"]
    first = policy_for(True, allow, None)
    assert policy_for(True, ["samples"], None) is first
    allow.append("os")
    assert first.allow == ("samples",)
    assert policy_for(True, allow, None).allow == ("samples", "os")
    assert policy_for(True, ("samples",), None) is first
