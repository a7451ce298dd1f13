"""dump(..., lossless=True): what NNI's format loses, kept; load recognises it by itself."""

from __future__ import annotations

import collections
import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import samples
from strategies import equal, lossless_values, values
from traceable import DecodeError, EncodeError, UnsafePayloadError, dump, dump_bytes, load, load_bytes


def round_trip(value, **kwargs):
    return load(dump(value, lossless=True, **kwargs))


def test_a_lossless_payload_is_an_envelope_and_plain_values_are_plain_inside_it():
    assert dump({"lr": 0.1, "layers": [64, 32]}, lossless=True) == (
        '{"__lossless__": 1, "value": {"lr": 0.1, "layers": [64, 32]}}'
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ((1, "a"), '{"__tuple__": [1, "a"]}'),
        ({1: "one", (2, 3): None}, '{"__items__": [[1, "one"], [{"__tuple__": [2, 3]}, null]]}'),
        ({"__symbol__": "os.system"}, '{"__items__": [["__symbol__", "os.system"]]}'),
        (collections.OrderedDict(b=1, a=2), '{"__ordereddict__": [["b", 1], ["a", 2]]}'),
        (collections.Counter("aab"), '{"__counter__": [["a", 2], ["b", 1]]}'),
        (collections.defaultdict(list, {1: [2]}), '{"__defaultdict__": {"factory": "list", "items": [[1, [2]]]}}'),
        (
            samples.Point(1, (2, 3)),
            '{"__namedtuple__": {"type": {"__nni_type__": "path:samples.Point"}, '
            '"fields": {"x": 1, "y": {"__tuple__": [2, 3]}}}}',
        ),
    ],
)
def test_each_thing_the_default_loses_has_its_own_form(value, text):
    payload = dump(value, lossless=True)
    assert payload == f'{{"__lossless__": 1, "value": {text}}}'
    loaded = load(payload)
    assert loaded == value
    assert type(loaded) is type(value)


def test_the_default_mode_loses_exactly_what_the_docs_say():
    value = {"t": (1, 2), 3: "int key", "od": collections.OrderedDict(a=1), "p": samples.Point(1, 2)}
    assert load(dump(value)) == {"t": [1, 2], "3": "int key", "od": {"a": 1}, "p": [1, 2]}
    assert load(dump(value, lossless=True)) == value


def test_a_marker_like_user_dict_is_never_taken_for_a_marker(tmp_path):
    witness = tmp_path / "ran"
    value = {"__symbol__": "path:os.system", "__args__": [f"touch {witness}"]}
    assert load(dump(value, lossless=True)) == value
    assert not witness.exists()


def test_shared_references_survive():
    shared = [1, 2]
    layer = samples.Layer(3)
    loaded = round_trip({"a": shared, "b": shared, "c": [layer, layer]})
    assert loaded["a"] is loaded["b"]
    assert loaded["c"][0] is loaded["c"][1]
    assert loaded["a"] == [1, 2]
    assert loaded["c"][0].trace_kwargs == {"width": 3}


def test_an_object_reached_twice_is_written_once():
    shared = {"x": 1}
    assert dump([shared, shared], lossless=True) == (
        '{"__lossless__": 1, "value": [{"__id__": 1, "__value__": {"x": 1}}, {"__ref__": 1}]}'
    )


def test_a_class_or_function_without_an_import_path_is_written_once_and_referred_to_after():
    import dataclasses

    @dataclasses.dataclass
    class Point:  # local: pickled, as one defined in __main__ or a notebook is
        x: int

    scale = lambda value: 2 * value  # noqa: E731
    points = [Point(i) for i in range(100)]
    text = dump({"points": points, "fns": [scale, scale, len, len]}, lossless=True)
    assert text.count('"bytes:') == 2  # the class once, the function once, not 101 and 2 times
    assert text.count('"path:builtins.len"') == 2  # importable: written in full, loads the same anyway
    loaded = load(text)
    assert [p.x for p in loaded["points"]] == list(range(100))
    assert len({type(p) for p in loaded["points"]}) == 1
    assert loaded["fns"][0] is loaded["fns"][1]
    assert loaded["fns"][0](21) == 42
    assert loaded["fns"][2] is loaded["fns"][3] is len
    with pytest.raises(UnsafePayloadError, match="allow_pickle"):
        load(text, safe=True)  # the pickle is checked where it is written, once


def test_cycles_through_lists_and_dicts_survive():
    loop: list = [1]
    loop.append(loop)
    node: dict = {"name": "a"}
    node["self"] = node
    node["friends"] = [node]
    loaded = round_trip([loop, node])
    assert loaded[0][1] is loaded[0]
    assert loaded[1]["self"] is loaded[1]
    assert loaded[1]["friends"][0] is loaded[1]


def test_a_cycle_through_a_dict_with_any_keys_survives():
    node: dict = {1: "one"}
    node[2] = node
    loaded = round_trip(node)
    assert loaded[2] is loaded


def test_a_cycle_through_a_tuple_is_an_error_that_says_where():
    inner: list = []
    value = {"config": (inner,)}
    inner.append(value["config"])
    with pytest.raises(EncodeError) as err:
        dump(value, lossless=True)
    assert err.value.path == "$.config[0][0]"
    assert str(err.value) == (
        "cannot encode a tuple at $.config[0][0]: it contains itself, and a load could not make it before its "
        "contents; only lists and dicts may be part of a cycle"
    )


def test_traced_function_results_that_are_plain_values_keep_their_call():
    made = [samples.make_dict(5), samples.make_list(2), samples.make_int(4)]
    loaded = round_trip(made)
    assert loaded == made
    assert dump(made[2], lossless=True) == (
        '{"__lossless__": 1, "value": {"__symbol__": "path:samples.make_int", "__kwargs__": {"n": 4}}}'
    )
    assert [r.trace_kwargs for r in loaded] == [{"v": 5}, {"n": 2}, {"n": 4}]


def test_traced_objects_keep_tuple_arguments():
    loaded = round_trip(samples.Layer(3, act=(1, (2,))))
    assert loaded.act == (1, (2,))
    assert loaded.trace_kwargs == {"width": 3, "act": (1, (2,))}


def test_errors_inside_say_where_in_the_value():
    with pytest.raises(EncodeError) as err:
        dump({"k": [(1, object())]}, lossless=True)
    assert err.value.path == "$.k[0][1]"


def test_sort_keys_and_indent_keep_each_id_before_its_references():
    shared = [1]
    value = {"b": shared, "a": {"z": shared, "y": (shared,)}}
    text = dump(value, lossless=True, sort_keys=True, indent=2)
    assert text.index('"__id__"') < text.index('"__ref__"')
    loaded = load(text)
    assert loaded == value
    assert loaded["b"] is loaded["a"]["z"] is loaded["a"]["y"][0]


def test_files_bytes_and_streams(tmp_path):
    value = {(1, 2): collections.OrderedDict(a=(3,))}
    path = tmp_path / "x.json"
    dump(value, path, lossless=True)
    assert load(fp=path) == value
    assert load_bytes(dump_bytes(value, lossless=True)) == value
    stream = io.StringIO()
    dump(value, stream, lossless=True)
    assert stream.getvalue() == dump(value, lossless=True)


def test_the_safe_policy_loads_lossless_payloads_and_still_checks_symbols():
    value = {(1, 2): [samples.Layer(1), collections.Counter("ab")]}
    text = dump(value, lossless=True)
    with pytest.raises(UnsafePayloadError) as err:
        load(text, safe=True)
    assert err.value.symbol == "samples.Layer"
    assert load(text, safe=True, allow=["samples.Layer"]) == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"__lossless__": 2, "value": 1}', "written in lossless format 2, by a newer traceable"),
        ('{"__lossless__": 1, "value": 1, "x": 2}', 'a lossless payload is {"__lossless__": 1, "value": ...}'),
        ('{"__lossless__": 1, "value": [{"__ref__": 1}]}', r"at \$\.value\[0\]: __ref__ 1 refers to no object"),
        (
            '{"__lossless__": 1, "value": {"__id__": 1, "__value__": {"__tuple__": [{"__ref__": 1}]}}}',
            r"at \$\.value\.__value__\.__tuple__\[0\]: __ref__ 1 refers to no object made before it",
        ),
        (
            '{"__lossless__": 1, "value": [{"__id__": 1, "__value__": []}, {"__id__": 1, "__value__": []}]}',
            r'at \$\.value\[1\]: a shared object is {"__id__": <new number>',
        ),
        (
            '{"__lossless__": 1, "value": {"__items__": [[{"a": 1}, 2]]}}',
            r"at \$\.value\.__items__\[0\]\[0\]: this key cannot be a dict key: unhashable type: .dict.",
        ),
        ('{"__lossless__": 1, "value": {"__items__": [1]}}', r"a dict with any keys is"),
        (
            '{"__lossless__": 1, "value": {"a": {"__uuid__": 5}}}',
            r"cannot decode the __uuid__ object at \$\.value\.a: ValueError: a UUID must be written as a string",
        ),
    ],
)
def test_malformed_lossless_payloads_are_errors_that_say_where(text, message):
    with pytest.raises(DecodeError, match=message):
        load(text)


def test_lossless_markers_outside_an_envelope_are_an_error():
    with pytest.raises(DecodeError, match=r"__ref__ belongs to a payload written with dump\(\.\.\., lossless=True\)"):
        load('{"a": {"__ref__": 1}}')


def test_tuple_and_items_markers_load_anywhere():
    assert load('{"a": {"__tuple__": [1, 2]}, "b": {"__items__": [[1, 2], [[3, 4], 5]]}}') == {
        "a": (1, 2),
        "b": {1: 2, (3, 4): 5},
    }


@settings(max_examples=300, deadline=None)
@given(lossless_values)
def test_any_nested_value_round_trips_losslessly(value):
    loaded = round_trip(value)
    assert equal(loaded, value)
    assert json.loads(dump(value, lossless=True))["__lossless__"] == 1


@settings(max_examples=100, deadline=None)
@given(values)
def test_every_default_mode_value_round_trips_in_the_lossless_mode_too(value):
    assert equal(round_trip(value), value)


@settings(max_examples=100, deadline=None)
@given(st.lists(lossless_values, min_size=1, max_size=3))
def test_every_value_reached_twice_loads_as_one_object(items):
    text = dump([items, items], lossless=True)
    for loaded in (load(text), load(text, safe=True, allow=["samples"])):
        assert loaded[0] is loaded[1]
        assert equal(loaded[0], items)


def test_a_function_without_import_path_over_the_limit_says_where():
    with pytest.raises(EncodeError) as err:
        dump({"a": [lambda: 1]}, lossless=True, pickle_size_limit=0)
    assert err.value.path == "$.a[0]"
    assert str(err.value).startswith("cannot encode a function at $.a[0]: it has no import path")


def test_comments_before_and_inside_a_lossless_payload_are_ignored():
    text = dump({(1, 2): [1]}, lossless=True)
    assert load("# written by a job\n// twice\n" + text) == {(1, 2): [1]}
    assert load(text[:-1] + " // the end\n}") == {(1, 2): [1]}


def test_an_enum_loads_under_a_checking_policy_that_allows_its_module():
    text = dump([samples.Color.RED, samples.Color.RED], lossless=True)
    assert text == (
        '{"__lossless__": 1, "value": [{"__enum__": {"__enum_instance_type__": ["samples", "Color"], "name": "RED"}}, '
        '{"__enum__": {"__enum_instance_type__": ["samples", "Color"], "name": "RED"}}]}'
    )
    assert load(text, safe=True, allow=["samples"]) == [samples.Color.RED, samples.Color.RED]
    with pytest.raises(UnsafePayloadError) as err:
        load(text, safe=True)
    assert err.value.symbol == "samples.Color"


def test_array_items_that_the_payload_also_holds_are_written_in_the_array_and_load_safely():
    # b"a" is one object in CPython: in the array's data and beside it (found by Hypothesis).
    np = pytest.importorskip("numpy")
    value = [np.array([b"a", b"a"]), b"a", np.bytes_(b"")]
    text = dump([value, value], lossless=True)
    assert '{"__ndarray__": [{"__bytes_b64__": "YQ=="}, {"__bytes_b64__": "YQ=="}], "dtype": "|S1"' in text
    back = load(text, safe=True)
    assert back[0] is back[1]
    assert back[0][0].tolist() == [b"a", b"a"]
    assert back[0][1:] == [b"a", np.bytes_(b"")]
