"""A lossless payload whose value is plain data is read as parsed, without the walk (issue 19)."""

from __future__ import annotations

from collections import OrderedDict

import pytest

from traceable import _lossless, dump, load


def test_a_lossless_payload_of_plain_data_is_read_as_parsed(monkeypatch):
    value = {"a": [1, 2.5, "x", None, {"b": True}], "c": {"d": "a __tuple__ in a string"}}
    text = dump(value, lossless=True)

    def walk(*args, **kwargs):
        raise AssertionError("the lossless walk ran")

    monkeypatch.setattr(_lossless, "_Reader", walk)
    assert load(text) == value
    assert load(text, safe=True) == value
    ordered = load(text, preserve_order=True)
    assert ordered == value
    assert (type(ordered), type(ordered["a"][4]), type(ordered["c"])) == (OrderedDict, OrderedDict, OrderedDict)
    with pytest.raises(AssertionError, match="the lossless walk ran"):  # a marker inside: walked
        load(dump({"t": (1, 2)}, lossless=True))


@pytest.mark.parametrize(
    "value",
    [{"t": (1, 2)}, {"__k": 1}, [[1], [1]], {1: "a"}],
    ids=["tuple", "marker-like key", "equal lists", "int key"],
)
def test_a_lossless_payload_with_markers_is_still_walked(value):
    assert load(dump(value, lossless=True)) == value
    assert type(load(dump(value, lossless=True))) is type(value)


def test_an_escaped_marker_key_is_not_taken_for_plain_data():
    text = '{"__lossless__": 1, "value": {"\\u005f_tuple__": [1, 2]}}'
    assert load(text) == (1, 2)
