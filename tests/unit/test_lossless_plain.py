"""A lossless payload whose value is plain data is read as parsed, without the walk (issue 19)."""

from __future__ import annotations

from collections import OrderedDict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(_json)
def test_plain_data_is_written_by_the_encoder_alone_as_the_walk_would_write_it(value):
    fast = dump(value, lossless=True)
    original = _lossless._is_plain
    _lossless._is_plain = lambda obj: False  # (the walk, for comparison; restored below)
    try:
        walked = dump(value, lossless=True)
    finally:
        _lossless._is_plain = original
    assert fast == walked
    assert load(fast) == value


def test_what_the_walk_must_see_is_not_taken_for_plain_data():
    shared = [1]
    cyclic: list = []
    cyclic.append(cyclic)
    for value in ([shared, shared], cyclic, {"t": (1,)}, {1: "a"}, {"__x": 1}, [b"x"], {"a": {"b": [1.5, {2}]}}):
        assert not _lossless._is_plain(value), value
    assert _lossless._is_plain({"a": [1, 2.5, "x", None, {"b": True}], "c": []})
    back = load(dump([shared, shared], lossless=True))
    assert back[0] is back[1]
