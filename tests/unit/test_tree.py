"""The payload tree behind `traceable show` and `traceable diff`: read from the JSON alone."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings

from strategies import lossless_values, values
from traceable import UnsafePayloadError, dump
from traceable._markers import MARKERS
from traceable._node import Node, to_json
from traceable._policy import LoadPolicy
from traceable._tree import read_tree


def _walk(node: Node):
    yield node
    for child in node.children or []:
        yield from _walk(child)


@pytest.mark.parametrize("marker", sorted(MARKERS))
def test_every_marker_a_load_acts_on_is_recognised(marker):
    node = read_tree(json.dumps({marker: None}))
    assert node.kind != "object"
    assert node.path == "$"


def _check_read(text: str) -> None:
    tree = read_tree(text)
    nodes = list(_walk(tree))
    assert [node.summary for node in nodes if node.kind == "invalid"] == []
    parsed = json.loads(text)
    for node in nodes:
        found = parsed
        for key in node.keys:
            found = found[key]  # every path leads to a value of the payload
    json.dumps(to_json(tree), allow_nan=False)  # the --json form is strict JSON


@settings(max_examples=100, deadline=None)
@given(values)
def test_what_dump_writes_reads_as_valid_nodes_with_paths_into_the_payload(value):
    _check_read(dump(value, pickle_size_limit=-1))


@settings(max_examples=100, deadline=None)
@given(lossless_values)
def test_what_the_lossless_mode_writes_reads_as_valid_nodes_too(value):
    _check_read(dump(value, lossless=True, pickle_size_limit=-1))


def test_paths_of_arguments_items_and_shared_values():
    text = (
        '{"net": {"__symbol__": "path:m.Net", "__args__": [1], "__kwargs__": {"w": 2}}, '
        '"s": {"__set__": [3]}, "t": {"__lossless__": 1, "value": {"__id__": 1, "__value__": {"__tuple__": [4]}}}}'
    )
    paths = [(node.path, node.kind, node.key) for node in _walk(read_tree(text))]
    assert paths == [
        ("$", "object", None),
        ("$.net", "call", "net"),
        ("$.net.__args__[0]", "number", 0),
        ("$.net.__kwargs__.w", "number", "w"),
        ("$.s", "set", "s"),
        ("$.s.__set__[0]", "number", 0),
        ("$.t", "lossless", "t"),
        ("$.t.value.__value__", "tuple", "value"),
        ("$.t.value.__value__.__tuple__[0]", "number", 0),
    ]


def test_a_record_of_a_pickled_class_is_named_by_the_pickle_size():
    text = '{"__dataclass__": {"type": {"__nni_type__": "bytes:AAAA"}, "fields": {"x": 1}}}'
    tree = read_tree(text)
    assert (tree.kind, tree.summary, tree.fields) == (
        "record",
        "dataclass (pickled class, 3 bytes)",
        {"codec": "dataclass", "symbol": None},
    )


def test_a_lossless_record_names_its_pickled_class_where_it_is_shared_and_where_it_is_referred_to():
    import dataclasses

    @dataclasses.dataclass
    class Point:  # local: pickled, written once in the lossless mode
        x: int

    tree = read_tree(dump([Point(1), Point(2)], lossless=True))
    records = (tree.children or [])[0].children or []
    size = records[0].summary.removeprefix("dataclass (pickled class, ").removesuffix(" bytes)")
    assert int(size.replace(",", "")) > 100
    assert [(node.kind, node.summary) for node in records] == [
        ("record", f"dataclass (pickled class, {size} bytes)")
    ] * 2
    assert records[0].token == records[1].token  # the same class, for diff


def test_a_record_whose_type_is_not_a_class_is_invalid():
    tree = read_tree('{"__dataclass__": {"type": {"x": 1}, "fields": {"x": 1}}}')
    assert tree.kind == "invalid"
    assert 'the "type" under __dataclass__ must be a class ({"__nni_type__": ...})' in tree.summary


def test_node_fields_for_machines():
    tree = read_tree(
        '{"f": {"__nni_type__": "bytes:AAAA"}, "o": {"__nni_obj__": "AAA=", "python": "3.11"}, '
        '"a": {"__ndarray__": "b64.gz:AAAA", "dtype": "int8", "shape": [2, 3]}, '
        '"e": {"__enum__": {"__enum_instance_type__": [null, "Color"], "name": "RED"}}}'
    )
    assert [(node.kind, node.fields) for node in tree.children or []] == [
        ("symbol", {"symbol": None, "pickled_size": 3}),
        ("pickle", {"size": 2, "python": "3.11", "cloudpickle": None}),
        ("ndarray", {"dtype": "int8", "shape": [2, 3], "elements": 6, "encoding": "b64.gz", "data_bytes": 3}),
        ("enum", {"symbol": "__main__.Color", "member": "RED"}),
    ]


def test_nesting_is_bounded_by_the_policy():
    deep = "[" * 30 + "]" * 30
    assert read_tree(deep, LoadPolicy.safe(max_depth=30)).kind == "array"
    with pytest.raises(UnsafePayloadError, match=r"the nesting depth is 30, over max_depth=29") as caught:
        read_tree(deep, LoadPolicy.safe(max_depth=29))
    assert caught.value.path == "$" + "[0]" * 29


def test_a_datetime64_scalar_is_drawn_with_its_unit_and_iso_text():
    np = pytest.importorskip("numpy")
    tree = read_tree(dump([np.datetime64(5, "10s"), np.timedelta64(5, "ns")]))
    assert [(node.kind, node.summary) for node in tree.children or []] == [
        ("ndarray", 'ndarray datetime64[10s] [] = "1970-01-01T00:00:50"'),
        ("ndarray", "ndarray timedelta64[ns] [] = 5"),
    ]
