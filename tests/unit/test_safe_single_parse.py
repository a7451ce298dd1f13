"""A load under a checking policy parses once, checking as it builds (issue 19).

The full check (the walk :func:`traceable.audit` makes) runs only where the pre-scan of the
text cannot clear a limit, or something failed; a refusal is the one the full check names.
These tests pin that the single parse refuses exactly what the full check refuses.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import samples
import traceable
from traceable import LoadPolicy, UnsafePayloadError, _decode, audit, dump, load


def _clean_payloads() -> list[tuple[str, list[str]]]:
    import datetime as dt
    from decimal import Decimal

    np = pytest.importorskip("numpy")
    return [
        (json.dumps({"a": [1, 2.5, "x:y", "[", {"b": None}], "c": {"d": '\\"]'}}), []),
        (json.dumps([{"k": i, "v": [i] * 3} for i in range(300)]), []),  # long enough to count keys
        (dump({"model": samples.Model([samples.Layer(3, act="relu")]), "lr": 0.1}), ["samples"]),
        (dump({"t": dt.datetime(2024, 1, 2, 3), "d": Decimal("1.5"), "s": {1, 2}, "b": b"xy"}), []),
        (dump({"w": np.arange(12, dtype=np.float32).reshape(3, 4), "c": np.array([1 + 2j])}), []),
        (dump({"w": np.arange(1000, dtype=np.int64)}, compact_arrays=True), []),
    ]


def test_a_payload_within_the_policy_loads_in_one_parse_without_the_full_check(monkeypatch):
    payloads = _clean_payloads()

    def full_check(*args, **kwargs):
        raise AssertionError("the full check ran")

    monkeypatch.setattr(_decode, "check", full_check)
    for text, allow in payloads:
        assert repr(load(text, safe=True, allow=allow)) == repr(load(text))


# Each: a payload, the policy, and the rule the safe load refuses it by (None: it loads).
LIMIT_CASES = {
    "brackets in strings do not count as depth": ('["[[[[", "]]]]", [[1]]]', {"max_depth": 3}, None),
    "closing brackets in strings do not hide depth": ('["]]]]", [[[1]]]]', {"max_depth": 3}, "max_depth"),
    "escaped quotes keep brackets inside their string": ('["\\"]]]]\\"", [[[1]]]]', {"max_depth": 3}, "max_depth"),
    "an escaped backslash ends its string": ('["\\\\", [[[1]]]]', {"max_depth": 3}, "max_depth"),
    "deep and wide, at the limit": ("[" + "[[[[]]]]," * 200 + "[[[[1]]]]]", {"max_depth": 5}, None),
    "deep and wide, one over the limit": ("[" + "[[[[]]]]," * 200 + "[[[[[1]]]]]]", {"max_depth": 5}, "max_depth"),
    "a number at the limit": ("[" + "1" * 20 + "]", {"max_number_length": 20}, None),
    "a number over the limit": (
        "[-" + "1" * 10 + "." + "1" * 10 + "e-1]",
        {"max_number_length": 20},
        "max_number_length",
    ),
    "digits in a string are no number": ('["' + "1" * 50 + '"]', {"max_number_length": 20}, None),
    "a string at the limit": ('["' + "a" * 20 + '"]', {"max_string_length": 20}, None),
    "a string over the limit, escapes included": (
        '["' + 'a\\"' * 11 + '"]',
        {"max_string_length": 20},
        "max_string_length",
    ),
    "a key over the limit": ('{"' + "k" * 21 + '": 1}', {"max_string_length": 20}, "max_string_length"),
}


@pytest.mark.parametrize("name", list(LIMIT_CASES))
def test_limits_the_parser_cannot_see_are_kept_by_the_pre_scan(name):
    text, limits, rule = LIMIT_CASES[name]
    policy = LoadPolicy.safe(**limits)
    if rule is None:
        assert load(text, policy=policy) == json.loads(text)
        return
    with pytest.raises(UnsafePayloadError) as info:
        load(text, policy=policy)
    assert info.value.rule == rule
    assert next(f.rule for f in audit(text, policy=policy) if not f.allowed) == rule


REPEATED = {
    "plain, short": '{"a": 1, "a": 2}',
    "plain, long enough for the key count": "[" + ", ".join(['{"x": 1}'] * 300) + ', {"a": 1, "a": 2}]',
    "colons in strings": "[" + ", ".join(['{"t": "12:30"}'] * 300) + ', {"a": "x:y", "a": 2}]',
    "space before the colon": "[" + ", ".join(['{"x" : 1}'] * 300) + ', {"a" : 1, "a" : 2}]',
    "an escaped quote and colon in a string": "[" + ", ".join(['{"x": "\\":"}'] * 300) + ', {"a": 1, "a": 2}]',
    "inside a marker's arguments": '{"__symbol__": "path:samples.Layer", "__kwargs__": {"width": 1, "width": 2}}',
}


@pytest.mark.parametrize("name", list(REPEATED))
def test_repeated_keys_are_refused_however_the_text_is_laid_out(name):
    with pytest.raises(UnsafePayloadError) as info:
        load(REPEATED[name], safe=True, allow=["samples"])
    assert info.value.rule == "unique_keys"


def test_a_refusal_found_late_in_the_parse_is_reported_as_the_full_check_reports_it():
    # The parse builds bottom-up and meets the inner array first; the full check, top-down,
    # meets the repeated key of the outer object first, and that is what is reported.
    text = '{"a": {"__symbol__": "path:os.system", "__args__": ["x"]}, "a": 1}'
    with pytest.raises(UnsafePayloadError) as info:
        load(text, safe=True)
    assert (info.value.rule, info.value.path) == ("unique_keys", "$")


def test_comments_are_stripped_before_the_checks_of_a_safe_load():
    text = '# a comment with "quotes and [brackets\n{"a": [1, 2]} // and "another]]]]\n'
    assert load(text, policy=LoadPolicy.safe(max_depth=2)) == {"a": [1, 2]}
    with pytest.raises(UnsafePayloadError) as info:
        load(text, policy=LoadPolicy.safe(max_depth=1))
    assert info.value.rule == "max_depth"


_KEYS = st.sampled_from(["a", "b", "x:y", "[", "]", '"', "\\", "{}", "__x", "k" * 12])
_STRINGS = st.sampled_from(["", "s", "[[", "]]", "}", "a:b", '"]', "\\", "\\]", "9" * 14, "z" * 15])


def _text(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def obj(pairs: list[tuple[str, str]]) -> str:
        return "{" + ", ".join(f"{json.dumps(k)}{sep}{v}" for (k, sep), v in pairs) + "}"

    pairs = st.lists(st.tuples(st.tuples(_KEYS, st.sampled_from([": ", ":", " : "])), children), max_size=4)
    return st.lists(children, max_size=4).map(lambda items: "[" + ", ".join(items) + "]") | pairs.map(obj)


_LEAVES = (
    st.integers(-(10**14), 10**14).map(str)
    | st.floats(allow_nan=False, allow_infinity=False).map(repr)
    | _STRINGS.map(json.dumps)
    | st.just("null")
)
_TEXTS = st.recursive(_LEAVES, _text, max_leaves=40)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(text=_TEXTS, depth=st.integers(1, 6), numbers=st.integers(3, 20), strings=st.integers(1, 14))
def test_the_single_parse_refuses_what_the_full_check_refuses(text, depth, numbers, strings):
    policy = LoadPolicy.safe(max_depth=depth, max_number_length=numbers, max_string_length=strings)
    refused = [f.rule for f in audit(text, policy=policy) if not f.allowed]
    if refused:
        with pytest.raises(UnsafePayloadError) as info:
            load(text, policy=policy)
        assert info.value.rule == refused[0]
    else:
        assert repr(load(text, policy=policy)) == repr(traceable.load(text))
