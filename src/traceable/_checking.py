"""Loading under a checking policy in one parse: the policy applied as the parser builds.

The parser's hook sees each JSON object as it closes, with every pair (repeated keys
included): it refuses a repeated key, and checks each marker object (its names, pickles and
arrays) before building it, so a refusal stops the parse before anything after it is made,
and nothing is imported or called before it is checked. What the hook cannot see, the
nesting depth and the length of strings and numbers, a pre-scan of the text bounds first,
with C-speed string methods; only a payload the pre-scan cannot clear pays for the full
check of :mod:`traceable._audit`. A refusal is reported by that full check too, so it names
the same rule and path as :func:`traceable.audit` would, whichever came first in the parse.

A payload without markers runs no code: the C parser builds its dicts itself, and a repeated
key shows, at the end, as fewer keys kept than the pre-scan counted in the text.
"""

from __future__ import annotations

import json
import operator
import re
from collections import OrderedDict
from collections.abc import Callable
from itertools import accumulate, chain
from json.decoder import WHITESPACE as _WHITESPACE  # type: ignore[attr-defined]
from typing import Any

from traceable._audit import ARRAY_MARKERS, Resources
from traceable._markers import HANDLERS, MARKERS, Decoder, MarkerFailure, decode_codec
from traceable._policy import LoadPolicy

__all__ = ["EXCEEDED", "NOT_COUNTED", "CheckingDecoder", "RepeatedKey", "fast_decode", "parse_plain", "scan"]

# For the depth and the keys: everything but quotes, brackets and colons deleted, then the
# quotes, and curly brackets made square (bytes.translate does both in one pass, at C speed).
_NOT_STRUCTURE = bytes(c for c in range(256) if c not in b'"[]{}:')
_NOT_NESTING = bytes(c for c in range(256) if c not in b'"[]{}')
_SQUARE = bytes.maketrans(b"{}", b"[]")
_STRINGS = re.compile(rb'"[^"]*"')  # (only quotes, brackets and colons are left: no escapes)
_STEPS = bytes.maketrans(b"[]", b"\x02\x00")  # an opening bracket counts 2, a closing one 0
# For numbers: digits kept (as "0"), everything else made a separator.
_DIGITS = bytes(48 if 48 <= c <= 57 else 46 for c in range(256))
_WINDOW = 64  # brackets counted at a time, for a bound on the depth
NOT_COUNTED = -1
EXCEEDED = -2


def scan(text: str, policy: LoadPolicy, *, count_keys: bool = True) -> int:
    """The number of keys in ``text`` if it surely keeps the limits the parser's hooks cannot see.

    Those are ``max_depth``, ``max_string_length`` (keys too) and ``max_number_length``.
    The bounds are conservative, and each is skipped where the text is too short to break
    it. The keys are counted (with ``count_keys``) with the depth, where no string holds a
    colon or a bracket.

    Returns:
        The number of keys (repeated ones included), :data:`NOT_COUNTED`, or
        :data:`EXCEEDED`: "maybe not within the limits", for the full check to say where.
    """
    size = len(text)
    strings = policy.max_string_length
    if strings is not None and size > strings and not _strings_within(text, strings):
        return EXCEEDED
    numbers = policy.max_number_length
    depth = policy.max_depth
    check_numbers = numbers is not None and size > numbers
    if depth is None or size <= 2 * depth + 1:  # d levels take 2d characters
        depth = None
    if not check_numbers and depth is None:
        return NOT_COUNTED
    # (Bytes: their translate is a table lookup per byte. UTF-8 never makes an ASCII byte
    # out of other characters, and surrogatepass keeps a lone surrogate from failing here.)
    data = text.encode("utf-8", "surrogatepass")
    if check_numbers and numbers is not None:
        # A JSON number has at most 4 characters besides its digits (-, ., e, and the
        # exponent's sign) in at most 3 runs of digits: one longer than the limit has a
        # run of at least this many.
        run = max(1, -(-(numbers - 3) // 3))
        if b"0" * run in data.translate(_DIGITS):
            return EXCEEDED
    return NOT_COUNTED if depth is None else _structure(data, depth, count_keys)


def _strings_within(text: str, limit: int) -> bool:
    # Escaped backslashes and quotes made two other characters: every quote left then
    # opens or closes a string, and no string decodes longer than its text.
    if "\\" in text:
        text = text.replace("\\\\", "__").replace('\\"', "__")
    return max(map(len, text.split('"')[1::2]), default=0) <= limit


def _structure(data: bytes, limit: int, count_keys: bool) -> int:
    # The number of keys, or EXCEEDED where the nesting may be deeper than ``limit``.
    if b"\\" in data:  # escaped backslashes, then escaped quotes, out (left to right, as JSON reads them)
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    marks = data.translate(None, _NOT_STRUCTURE if count_keys else _NOT_NESTING)
    # Each string shows as its quotes around the brackets and colons it holds. Usually it
    # holds none: every quote is then in a pair "" (an empty string, or two strings side by
    # side). What is left after the strings is the structure: a colon per key.
    keys = NOT_COUNTED
    quotes = marks.count(b'"')
    if quotes == 2 * marks.count(b'""'):
        keys = marks.count(b":") if count_keys else NOT_COUNTED
    else:  # strings hold colons (times, URLs, symbols' "path:"), or brackets (rare)
        marks = marks.translate(None, b":")
        if quotes != 2 * marks.count(b'""'):
            marks = _STRINGS.sub(b"", marks)  # (a call per string: only where they hold brackets)
    nest = marks.translate(_SQUARE, b'":')
    if len(nest) <= 2 * limit:  # (d levels take 2d brackets)
        return keys
    # The depth at the end of each window of brackets, from the opening ones it holds;
    # within a window the depth is at most that at its start plus its opening brackets.
    # Only where that bound is over the limit are the brackets counted one by one.
    window = _WINDOW
    opens = [nest.count(b"[", start, start + window) for start in range(0, len(nest), window)]
    ends = accumulate(2 * n - window for n in opens)  # (the last window may be short: a bound still)
    bound = max(map(operator.add, chain([0], ends), opens))
    if bound <= limit:
        return keys
    steps = nest.translate(_STEPS)
    deepest = max(map(operator.sub, accumulate(steps), range(1, len(steps) + 1)))
    return EXCEEDED if deepest > limit else keys


class RepeatedKey(Exception):
    """An object repeats a key (the full check says where)."""


def _refusing_repeats(mapping: type[dict[str, Any]]) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    # An object_pairs_hook building ``mapping``, that raises RepeatedKey where a key repeats.
    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = mapping(pairs)
        if len(obj) != len(pairs):
            raise RepeatedKey
        return obj

    return unique


def fast_decode(decoder: json.JSONDecoder, text: str) -> Any:
    """``decoder.decode(text)``, the same errors included, without its two regex calls where
    the text neither begins nor ends with whitespace (a fifth of a small message's parse)."""
    start = _WHITESPACE.match(text, 0).end() if text[:1] in _SPACE else 0
    try:
        value, end = decoder.scan_once(text, start)  # type: ignore[attr-defined]
    except StopIteration as err:
        raise json.JSONDecodeError("Expecting value", text, err.value) from None
    if end != len(text):
        end = _WHITESPACE.match(text, end).end()
        if end != len(text):
            raise json.JSONDecodeError("Extra data", text, end)
    return value


_SPACE = " \t\n\r"
_UNIQUE = json.JSONDecoder(object_pairs_hook=_refusing_repeats(dict))
_UNIQUE_ORDERED = json.JSONDecoder(object_pairs_hook=_refusing_repeats(OrderedDict))


def parse_plain(text: str, keys: int, preserve_order: bool) -> Any:
    """Parse ``text``, which holds no marker, refusing repeated keys (raising :class:`RepeatedKey`).

    ``keys`` is the number of keys in the text, or :data:`NOT_COUNTED`.

    Raises:
        json.JSONDecodeError, RecursionError, ValueError: as ``json.loads`` does.
    """
    if keys < 0 or preserve_order:
        return fast_decode(_UNIQUE_ORDERED if preserve_order else _UNIQUE, text)
    # Nothing in the text runs code: the parser builds the dicts itself, and the keys they
    # keep are counted against the text's. (A hook given every object's pairs would cost
    # this parse a quarter more.)
    kept = 0

    def count(obj: dict[str, Any]) -> dict[str, Any]:
        nonlocal kept
        kept += len(obj)
        return obj

    value = fast_decode(json.JSONDecoder(object_hook=count), text)
    if kept != keys:
        raise RepeatedKey
    return value


class CheckingDecoder(Decoder):
    """The parser's hook under a checking policy: each object checked, then built.

    Names are checked where they are imported (:class:`~traceable._markers.Decoder`),
    against the name and then what it resolves to; pickles where they would be unpickled;
    arrays here, against what they declare and the payload's total, before numpy allocates.
    """

    def __init__(self, policy: LoadPolicy, preserve_order: bool) -> None:
        super().__init__(policy)
        self.resources = Resources(policy, None)
        self.pairs_hook = self._hook(OrderedDict if preserve_order else dict)

    def _hook(self, mapping: Callable[[Any], dict[str, Any]]) -> Callable[[list[tuple[str, Any]]], Any]:
        # The hook, as a closure over what it reads for each object (it runs for every one).
        no_marker = MARKERS.isdisjoint
        no_array = ARRAY_MARKERS.isdisjoint
        handler = HANDLERS.get

        def pairs_hook(pairs: list[tuple[str, Any]]) -> Any:
            obj = mapping(pairs)
            if len(obj) != len(pairs):
                raise RepeatedKey
            if no_marker(obj):
                return obj
            # (Decoder.hook, inlined.)
            self.rank += 1
            for marker in obj:
                if marker in MARKERS:
                    break
            try:
                if not no_array(obj):
                    self.resources.inspect(obj, [])  # (its path is found if it fails)
                return handler(marker, decode_codec)(obj, self)
            except Exception as err:
                raise MarkerFailure(self.rank, marker, err) from err

        return pairs_hook
