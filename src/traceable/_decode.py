"""Decoding: JSON text to objects, within a policy's limits.

The standard library's C parser reads the text. Text in which no key can be a marker
(no ``"__`` and no escaped underscore) is returned as parsed. Otherwise the parser calls
a hook (:class:`~traceable._markers.Decoder`) for each JSON object as it closes, so
marker objects are rebuilt bottom-up, as in NNI 3.0, without a second pass over the data.
The hook knows no paths: when a marker fails, a side-effect-free re-parse finds where it
is, by its rank among marker objects. Under a checking policy the same single parse checks
each object before building it (:mod:`traceable._checking`); only a failure, or a payload
the pre-scan cannot clear, runs the full check (:func:`check`), which names the refusal.
This module also strips comments and pauses the collector on large payloads.
"""

from __future__ import annotations

import gc
import json
import re
import sys
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from traceable._audit import Finding, Pairs, inspect_tree
from traceable._checking import EXCEEDED, NOT_COUNTED, CheckingDecoder, RepeatedKey, fast_decode, parse_plain, scan
from traceable._locate import path_of_marker
from traceable._markers import Decoder, MarkerFailure
from traceable._policy import LoadPolicy
from traceable.exceptions import DecodeError, UnsafePayloadError

_OUTSIDE = re.compile(r'["#/]')  # what can start a string or a comment
_INSIDE = re.compile(r'["\\\n]')  # what can end a string (JSON strings hold no raw newline)
_PLAIN_DECODER = json.JSONDecoder()
# How dump(..., lossless=True) begins, after any comment lines.
_LOSSLESS_HEAD = re.compile(r'(?:\s*(?:#|//)[^\n]*\n)*\s*\{\s*"__lossless__"\s*:')
_ORDERED_DECODER = json.JSONDecoder(object_pairs_hook=OrderedDict)
_GC_PAUSE_SIZE = 1 << 16  # characters: a larger payload loads with the cyclic GC paused


def strip_comments(text: str) -> str:
    """Remove ``#`` and ``//`` comments outside strings, in one pass (linear time)."""
    pieces: list[str] = []
    kept = pos = 0
    while (found := _OUTSIDE.search(text, pos)) is not None:
        start = found.start()
        if found.group() == '"':  # skip the string, escapes included
            pos = start + 1
            while (end := _INSIDE.search(text, pos)) is not None and end.group() == "\\":
                pos = end.end() + 1
            pos = len(text) if end is None else end.end()
        elif found.group() == "#" or text.startswith("//", start):
            line_end = text.find("\n", start)
            pos = len(text) if line_end < 0 else line_end
            pieces.append(text[kept:start])
            kept = pos
        else:  # a lone "/"
            pos = start + 1
    pieces.append(text[kept:])
    return "".join(pieces)


def _is_json(text: str) -> bool:
    try:
        _PLAIN_DECODER.decode(text)
    except (ValueError, RecursionError):
        return False
    return True


def _parse_with(decoder: json.JSONDecoder, text: str, ignore_comments: bool) -> Any:
    try:
        return decoder.decode(text)
    except json.JSONDecodeError as err:
        if ignore_comments and ("#" in text or "//" in text):
            try:
                return decoder.decode(strip_comments(text))
            except json.JSONDecodeError:
                pass
        _parse_error(err)
        raise
    except (ValueError, RecursionError) as err:
        _parse_error(err)
        raise


def _parse_error(err: ValueError | RecursionError) -> None:
    # The DecodeError for what the parser raised (raised from it), or nothing: raise it as it is.
    if isinstance(err, json.JSONDecodeError):
        raise DecodeError(f"the payload is not valid JSON: {err.msg} at line {err.lineno} column {err.colno}") from err
    if isinstance(err, RecursionError):
        raise DecodeError(
            f"the payload nests deeper than Python's recursion limit ({sys.getrecursionlimit()})"
        ) from err
    if not isinstance(err, DecodeError):  # e.g. an int longer than sys.get_int_max_str_digits() digits
        raise DecodeError(f"the payload has a value Python refuses to read: {err}") from err


def loads(
    text: str, *, preserve_order: bool = False, ignore_comments: bool = True, policy: LoadPolicy | None = None
) -> Any:
    """Parse JSON text and rebuild every marker object in it, as ``policy`` allows.

    Raises:
        DecodeError: the text is not JSON, or a marker object cannot be rebuilt.
        UnsafePayloadError: the policy refuses the payload; nothing was imported or run.
    """
    if policy is not None and policy.is_trusting:
        policy = None
    if len(text) < _GC_PAUSE_SIZE:
        return _checked_loads(text, preserve_order, ignore_comments, policy)
    # A large payload makes many containers at once, and each automatic collection
    # meanwhile would walk every live object again: the time would grow faster than the
    # payload. The collector runs as usual once the payload is built.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _checked_loads(text, preserve_order, ignore_comments, policy)
    finally:
        if paused:
            gc.enable()


def _markers_in(text: str) -> int:
    """How many places in ``text`` could start a marker key (``"__``): 0 means no marker
    is in it; -1, any number (an escaped underscore, ``"\\u005f_symbol__"``, hides one).
    """
    if "\\" in text and ("\\u005f" in text or "\\u005F" in text):
        return -1
    return text.count('"__')


def _checked_loads(text: str, preserve_order: bool, ignore_comments: bool, policy: LoadPolicy | None) -> Any:
    if policy is None:
        return _loads(text, preserve_order, ignore_comments, None)
    if policy.max_size is not None and len(text) > policy.max_size:
        policy.exceeded("max_size", len(text), None, "the payload's length")
    loaded = len(sys.modules)  # (modules are added at the end: those the parse imports come after)
    try:
        return _checking_loads(text, preserve_order, ignore_comments, policy)
    except (DecodeError, MarkerFailure, RepeatedKey) as failure:
        # What the full check refuses first (in the payload's order, as audit lists it) is
        # what is reported, whatever the parse met first, and judged as before the parse
        # imported anything; else the parse's own error.
        unloaded = frozenset(list(sys.modules)[loaded:])
        check(text, policy, ignore_comments=ignore_comments, unloaded=unloaded)
        if isinstance(failure, RepeatedKey):  # (the full check refuses these: never reached)
            raise UnsafePayloadError("refused the payload: an object repeats a key", "$", rule="unique_keys") from None
        if isinstance(failure, MarkerFailure):
            raise failure.located(path_of_marker(text, failure.rank)) from failure.error
        raise


def _checking_loads(text: str, preserve_order: bool, ignore_comments: bool, policy: LoadPolicy) -> Any:
    # One parse, checked as it builds; the full check first only where a limit the hooks
    # cannot see may be broken (it raises, or finds nothing and the parse goes on).
    if _markers_in(text) == 0:
        # No marker: nothing in it runs code, so a parse that fails on a comment is simply
        # done again without comments, as the default load does.
        try:
            return _parse_plain(text, preserve_order, policy)
        except DecodeError as err:
            if not (ignore_comments and ("#" in text or "//" in text) and isinstance(err.__cause__, ValueError)):
                raise
            try:
                return _parse_plain(strip_comments(text), preserve_order, policy)
            except DecodeError:
                raise err from err.__cause__
    if _LOSSLESS_HEAD.match(text):  # read top-down by its own walk, after the full check
        check(text, policy, ignore_comments=ignore_comments)
        return _loads(text, preserve_order, ignore_comments, policy)
    if ignore_comments and ("#" in text or "//" in text) and not _is_json(text):
        text = strip_comments(text)  # (before the parse, as the default load does: see _loads)
    if scan(text, policy, count_keys=False) == EXCEEDED:  # (the hook sees every pair)
        check(text, policy, ignore_comments=False)
    state = CheckingDecoder(policy, preserve_order)
    try:
        return fast_decode(json.JSONDecoder(object_pairs_hook=state.pairs_hook), text)
    except (ValueError, RecursionError) as err:
        _parse_error(err)
        raise


def _parse_plain(text: str, preserve_order: bool, policy: LoadPolicy) -> Any:
    keys = scan(text, policy)
    if keys == EXCEEDED:
        check(text, policy, ignore_comments=False)
        keys = NOT_COUNTED
    try:
        return parse_plain(text, keys, preserve_order)
    except (ValueError, RecursionError) as err:
        _parse_error(err)
        raise


def check(
    text: str,
    policy: LoadPolicy,
    *,
    ignore_comments: bool = True,
    findings: list[Finding] | None = None,
    unloaded: frozenset[str] = frozenset(),
) -> None:
    """Refuse what ``policy`` refuses, importing, calling and unpickling nothing.

    With ``findings``, record everything there (what the payload would import, call and
    unpickle, allowed or not) instead of raising at the first refusal. Modules named in
    ``unloaded`` are judged as if not loaded yet.

    Raises:
        UnsafePayloadError: the policy refuses the payload (only without ``findings``).
    """
    try:
        tree = _parse_within_limits(text, policy, ignore_comments)
    except UnsafePayloadError as err:
        if findings is None:
            raise
        findings.append(Finding(err.path or "$", "limit", None, 0, False, err.rule, str(err)))
        return
    inspect_tree(tree, policy, findings, unloaded)


def _parse_within_limits(text: str, policy: LoadPolicy, ignore_comments: bool) -> Any:
    policy.exceeded("max_size", len(text), None, "the payload's length")
    limit = policy.max_number_length

    def parse_number(convert: Callable[[str], Any]) -> Callable[[str], Any]:
        def parse(digits: str) -> Any:
            if limit is not None and len(digits) > limit:
                policy.exceeded("max_number_length", len(digits), None, "the length of a number")
            return convert(digits)

        return parse

    decoder = json.JSONDecoder(object_pairs_hook=Pairs, parse_int=parse_number(int), parse_float=parse_number(float))
    try:
        return _parse_with(decoder, text, ignore_comments)
    except DecodeError as err:
        # Deeper than the parser can go at all; shallower excesses are found by the walk.
        if policy.max_depth is not None and isinstance(err.__cause__, RecursionError):
            policy.exceeded("max_depth", sys.getrecursionlimit(), None, "its nesting depth (at least)")
        raise


def _loads(text: str, preserve_order: bool, ignore_comments: bool, policy: LoadPolicy | None) -> Any:
    # No key can be a marker without '"__' or an escaped underscore: the parse alone will do.
    if _markers_in(text) == 0:
        return _parse_with(_ORDERED_DECODER if preserve_order else _PLAIN_DECODER, text, ignore_comments)
    if _LOSSLESS_HEAD.match(text):
        from traceable import _lossless

        # Only the envelope's key starts with "__": its value is plain data, read as parsed.
        plain = _markers_in(text) == 1
        # A plain parse builds nothing: it can strip comments after a failure, unlike the hooked one.
        tree = _parse_with(_ORDERED_DECODER if plain and preserve_order else _PLAIN_DECODER, text, ignore_comments)
        return _lossless.read(tree, policy, preserve_order=preserve_order, size=len(text), plain=plain)
    if ignore_comments and ("#" in text or "//" in text) and not _is_json(text):
        # Before the hooked parse, not on its failure: a retry would build again the
        # objects that came before the comment. ("//" is common in base64 and URLs, so a
        # quick plain parse tells first whether there is any comment to strip.)
        text = strip_comments(text)
    state = Decoder(policy)
    if preserve_order:
        decoder = json.JSONDecoder(object_pairs_hook=lambda pairs: state.hook(OrderedDict(pairs)))
    else:
        decoder = json.JSONDecoder(object_hook=state.hook)
    try:
        return _parse_with(decoder, text, ignore_comments=False)
    except MarkerFailure as failure:
        raise failure.located(path_of_marker(text, failure.rank)) from failure.error


# Every pair, repeated keys included (a dict would keep only the last value of a key).
_PAIRS_DECODER = json.JSONDecoder(object_pairs_hook=Pairs)


def parse_pairs(text: str, *, ignore_comments: bool = True) -> Any:
    """Parse ``text`` into lists, scalars and :class:`Pairs` (every key kept), building nothing.

    Raises:
        DecodeError: the text is not JSON.
    """
    return _parse_with(_PAIRS_DECODER, text, ignore_comments)
