"""`traceable diff`'s comparison: by meaning, by JSON path, without loading anything."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from strategies import lossless_values, values
from traceable import dump
from traceable._diff import diff_trees
from traceable._tree import read_tree


def changes(a: str, b: str, **options) -> list[tuple[str, str, str]]:
    return [(c.change, c.path, c.detail) for c in diff_trees(read_tree(a), read_tree(b), **options)]


@settings(max_examples=100, deadline=None)
@given(values)
def test_a_payload_equals_itself_however_it_is_laid_out(value):
    assert changes(dump(value, pickle_size_limit=-1), dump(value, pickle_size_limit=-1, indent=2)) == []


@settings(max_examples=50, deadline=None)
@given(lossless_values)
def test_a_lossless_payload_equals_itself(value):
    assert changes(dump(value, lossless=True), dump(value, lossless=True, sort_keys=True)) == []


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(["int8", "uint64", "float16", "float32", "float64", "bool", "complex128"]).flatmap(
        lambda dtype: hnp.arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    )
)
def test_an_array_equals_itself_in_list_and_base64_forms_nan_included(array):
    assert changes(dump(array), dump(array, compact_arrays=True)) == []


def test_object_keys_in_any_order_are_equal_and_scalars_keep_their_type():
    assert changes('{"a": 1, "b": NaN}', '{"b": NaN, "a": 1}') == []
    assert changes("[1, true, 1.0]", "[1.0, 1, true]") == [
        ("changed", "$[0]", "1 -> 1.0"),
        ("changed", "$[1]", "true -> 1"),
        ("changed", "$[2]", "1.0 -> true"),
    ]


def test_lists_of_other_lengths_are_aligned_on_their_equal_items():
    assert changes("[64, 32, 16]", "[64, 48, 32, 16]") == [("added", "$[1]", "48")]
    assert changes("[64, 32, 16]", "[32, 16]") == [("removed", "$[0]", "64")]
    assert changes('[{"w": 1}, {"w": 2}]', '[{"w": 1}, {"w": 3}, {"w": 4}]') == [
        ("changed", "$[1].w", "2 -> 3"),
        ("added", "$[2]", "object (1 key)"),
    ]


def test_set_items_compare_as_a_multiset():
    assert changes('{"__set__": [1, 2, 3]}', '{"__set__": [3, 2, 1]}') == []
    assert changes('{"__set__": [1, 2]}', '{"__set__": [2, 4]}') == [
        ("item removed", "$", "item 1"),
        ("item added", "$", "item 4"),
    ]


def test_a_changed_symbol_is_reported_and_its_arguments_compared_all_the_same():
    a = '{"opt": {"__symbol__": "path:torch.optim.Adam", "__kwargs__": {"lr": 0.1, "eps": 1e-08}}}'
    b = '{"opt": {"__symbol__": "path:torch.optim.SGD", "__kwargs__": {"lr": 0.01}}}'
    assert changes(a, b) == [
        ("changed", "$.opt", "call torch.optim.Adam(lr=0.1, eps=1e-08) -> call torch.optim.SGD(lr=0.01)"),
        ("changed", "$.opt.__kwargs__.lr", "0.1 -> 0.01"),
        ("removed", "$.opt.__kwargs__.eps", "1e-08"),
    ]


def test_arrays_compare_by_dtype_and_shape_then_elements():
    x = np.arange(6, dtype=np.float64).reshape(2, 3)
    y = x.copy()
    y[0, 2], y[1, 1] = np.nan, -1
    assert changes(dump(x), dump(x.astype(np.float32))) == [
        (
            "changed",
            "$",
            "ndarray float64 [2, 3] = [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]] -> "
            "ndarray float32 [2, 3] = [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]",
        )
    ]
    detail = "ndarray float64 [2, 3]: 2 of 6 elements differ, first at [0, 2]: 2.0 -> nan"
    assert changes(dump(x), dump(y, compact_arrays=True)) == [("changed", "$", detail)]
    assert changes(dump(x), dump(y)) == [("changed", "$", detail.replace("nan", "NaN"))]


def test_large_compact_arrays_are_compared_within_the_byte_limit():
    x = np.zeros(100)
    y = x.copy()
    y[99] = 1
    a, b = dump(x, compact_arrays=True), dump(y, compact_arrays=True)
    assert changes(a, b, max_array_bytes=800) == [
        ("changed", "$", "ndarray float64 [100]: 1 of 100 elements differ, first at [99]: 0.0 -> 1.0")
    ]
    assert changes(a, b, max_array_bytes=799) == [
        (
            "changed",
            "$",
            "ndarray float64 [100]: the data differs (not compared element by element: over max_array_bytes=799)",
        )
    ]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ('{"__nni_obj__": "AAAA"}', '{"__nni_obj__": "AAAB"}', "pickled object (3 bytes), changed"),
        (
            '{"__datetime__": null, "year": 2024, "month": 1, "day": 2}',
            '{"__datetime__": null, "year": 2024, "month": 1, "day": 3}',
            "datetime 2024-01-02T00:00:00 -> datetime 2024-01-03T00:00:00",
        ),
        (
            '{"__uuid__": "00000000-0000-0000-0000-000000000001"}',
            '{"__deque__": [1]}',
            'uuid "00000000-0000-0000-0000-000000000001" -> deque [1]',
        ),
    ],
)
def test_leaves_compare_by_value(a, b, expected):
    assert changes(a, b) == [("changed", "$", expected)]


def test_the_same_datetime_written_two_ways_is_equal():
    a = {"__datetime__": None, "year": 2024, "month": 1, "day": 2}
    b = {"__datetime__": None, "year": 2024, "month": 1, "day": 2, "hour": 0}
    assert changes(json.dumps(a), json.dumps(b)) == []


def test_shared_values_of_a_lossless_payload_compare_by_their_value():
    shared, other = np.arange(3), np.arange(3)
    other[2] = 5
    a = dump({"x": shared, "y": shared}, lossless=True)
    b = dump({"x": other, "y": other}, lossless=True)
    assert changes(a, b) == [
        ("changed", "$.value.x.__value__", "ndarray int64 [3]: 1 of 3 elements differ, first at [2]: 2 -> 5")
    ]
    assert changes(a, dump({"x": shared, "y": np.arange(3)}, lossless=True)) == [
        ("changed", "$.value.y", "the same object as #1 -> ndarray int64 [3] = [0, 1, 2]")
    ]


def test_which_place_holds_a_shared_value_does_not_matter_only_which_places_share_it():
    inner = [0]
    shared = [inner, inner]
    value = {"k2": shared, "k1": shared, "loop": []}
    value["loop"].append(value["loop"])
    # sort_keys moves the value from k2 to k1, and k2 becomes the reference.
    assert changes(dump(value, lossless=True), dump(value, lossless=True, sort_keys=True)) == []
    apart = {"k2": [[0], [0]], "k1": [[0], [0]], "loop": value["loop"]}
    assert changes(dump(value, lossless=True), dump(apart, lossless=True)) == [
        ("changed", "$.value.k2[1]", "the same object as #1 -> [0]"),
        ("changed", "$.value.k1", "the same object as #2 -> array (2 items)"),
    ]
    assert changes(dump(apart, lossless=True), dump(value, lossless=True)) == [
        ("changed", "$.value.k2.__value__[1]", "[0] -> the same object as #1"),
        ("changed", "$.value.k1", "array (2 items) -> the same object as #2"),
    ]


def test_structured_arrays_are_named_by_their_fields_and_compared_by_record():
    a = np.zeros(2, dtype=[("x", "<i4"), ("y", "<f8", (2,))])
    b = a.copy()
    b["x"][1] = 5
    assert changes(dump({"a": a}), dump({"a": b})) == [
        (
            "changed",
            "$.a",
            "ndarray {x: <i4, y: <f8 [2]} [2]: 1 of 2 elements differ, first at [1]: (0, [0.0, 0.0]) -> (5, [0.0, 0.0])",
        )
    ]


def test_pairs_of_a_lossless_dict_compare_by_key_in_any_order():
    a = dump({1: "a", 2: "b"}, lossless=True)
    assert changes(a, dump({2: "b", 1: "a"}, lossless=True)) == []
    assert changes(a, dump({2: "b", 1: "c", (3,): None}, lossless=True)) == [
        ("changed", "$.value.__items__[1][1]", '"a" -> "c"'),
        ("added", "$.value.__items__[2]", "array (2 items)"),
    ]
    assert changes(a, dump({2: "b"}, lossless=True)) == [("removed", "$.value.__items__[0]", '[1, "a"]')]


def test_a_default_payload_and_a_lossless_one_compare_by_their_values():
    value = {"a": 1, "b": (1, 2)}
    assert changes(dump(value), dump({"a": 1, "b": [1, 2]}, lossless=True)) == []
    assert changes(dump(value, lossless=True), dump(value)) == [("changed", "$.b", "tuple (1, 2) -> [1, 2]")]
