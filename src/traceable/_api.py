"""``dump``, ``dump_bytes``, ``load``, ``load_bytes`` and ``audit``, and the policy their keywords ask for."""

from __future__ import annotations

import functools
import gzip
import json
from collections.abc import Iterable
from typing import IO, Any, overload

from traceable import _lossless
from traceable._audit import Finding
from traceable._decode import check, loads
from traceable._encode import Encoder, get_encoder
from traceable._files import PathLike, compression_level, payload_text, write_payload
from traceable._paths import format_path, locate
from traceable._policy import LoadPolicy, get_default_policy
from traceable.exceptions import EncodeError, UnsafePayloadError


@overload
def dump(
    obj: Any,
    fp: None = None,
    *,
    use_trace: bool = True,
    pickle_size_limit: int = 4096,
    allow_nan: bool = True,
    compact_arrays: bool = False,
    lossless: bool = False,
    **json_kwargs: Any,
) -> str: ...


@overload
def dump(
    obj: Any,
    fp: PathLike | IO[str] | IO[bytes],
    *,
    use_trace: bool = True,
    pickle_size_limit: int = 4096,
    allow_nan: bool = True,
    compact_arrays: bool = False,
    lossless: bool = False,
    **json_kwargs: Any,
) -> None: ...


def dump(
    obj: Any,
    fp: PathLike | IO[str] | IO[bytes] | None = None,
    *,
    use_trace: bool = True,
    pickle_size_limit: int = 4096,
    allow_nan: bool = True,
    compact_arrays: bool = False,
    lossless: bool = False,
    **json_kwargs: Any,
) -> str | None:
    """Write ``obj``, however nested, as JSON text that NNI 3.0's ``nni.load`` also reads.

    Traced objects are written as the call that made them; numpy, pandas, datetime,
    Decimal, Fraction, complex, sets, paths, enums, classes and functions natively;
    objects with ``_dump``/``_load`` by their fields; anything else with ``__dict__``
    or ``__slots__`` as a cloudpickle, up to ``pickle_size_limit`` bytes.

    Args:
        obj: the object to write.
        fp: a path (``str``, ``bytes`` or path-like) or a file open for writing (text or
            binary); None to return the text. The text is streamed; if encoding fails, a
            path is left as it was and a seekable file is cut back to where it was. A path is written beside, synced
            and renamed over, keeping its mode and owner; a symlink is followed.
        use_trace: write traced objects as their call (otherwise they are pickled).
        pickle_size_limit: the largest pickle, in bytes, of the fallback; -1 for no limit.
        allow_nan: write NaN and infinities (as ``NaN``, ``Infinity``) instead of raising.
        compact_arrays: write numpy arrays as their raw bytes in base64 (json-tricks'
            ``b64:`` form, which NNI 3.0 also reads): many times faster and smaller than
            the default nested lists, but not human-readable.
        lossless: keep what NNI's format loses: tuples, non-string dict keys, dict and
            tuple subclasses (OrderedDict, Counter, defaultdict, named tuples), shared
            references and cycles, and dicts whose keys look like markers. ``load``
            recognises such a payload by itself; NNI 3.0 cannot read it.
        **json_kwargs: ``indent``, ``sort_keys``, ``separators``, ``ensure_ascii``,
            ``check_circular`` or ``skipkeys``, passed to the JSON writer.

    Returns:
        The text, or None when written to ``fp``.

    Raises:
        EncodeError: a value cannot be encoded, ``path`` says where it is (a string that
            ``fp``'s encoding cannot write, with ``ensure_ascii=False``, is one); or
            ``compression`` was passed, which only :func:`dump_bytes` takes.
        PayloadTooLarge: the pickle fallback of a value is over ``pickle_size_limit``.
        OSError: ``fp`` cannot be written, and is left as it was: the error names it. As
            with ``open(fp, "w")``: ``PermissionError`` for a read-only file (or
            directory), ``IsADirectoryError`` for a directory or a path ending in a
            separator, ``io.UnsupportedOperation`` for a file not open for writing.

    Example:
        >>> dump({"lr": 0.1, "layers": (64, 32)})
        '{"lr": 0.1, "layers": [64, 32]}'
    """
    if json_kwargs and "compression" in json_kwargs:
        json_kwargs = _without_compression(json_kwargs)
    encoder = get_encoder(use_trace, pickle_size_limit, allow_nan, compact_arrays, json_kwargs)
    if lossless:
        obj = _lossless.write(obj, encoder, sort_keys=bool(json_kwargs.get("sort_keys")))
    if fp is None:
        return encoder.encode(obj)
    pieces = encoder.iter_encode(obj)
    try:
        write_payload(fp, pieces)
    except UnicodeEncodeError as err:
        raise _unwritable_text(obj, encoder, err) from err
    finally:
        pieces.close()  # ends the dump even when writing failed half way
    return None


def _without_compression(json_kwargs: dict[str, Any]) -> dict[str, Any]:
    # NNI's dump raises ValueError for compression=, and code written for it catches that;
    # an unknown keyword is a TypeError. EncodeError is both. NNI lets None through.
    level = json_kwargs["compression"]
    if level is not None:
        message = (
            f"dump writes text and takes no compression={level!r}; to compress, use "
            f"dump_bytes(obj, compression={level!r}), which writes the gzipped bytes that load reads"
        )
        raise EncodeError(message)
    return {key: value for key, value in json_kwargs.items() if key != "compression"}


def _unwritable_text(obj: Any, encoder: Encoder, err: UnicodeEncodeError) -> EncodeError:
    """The error for text that ``err.encoding`` cannot write, at the path of the string (or key) holding it."""
    encoding = err.encoding

    def first_bad(text: str) -> int | None:
        try:
            text.encode(encoding)
        except UnicodeEncodeError as failure:
            return failure.start
        return None

    found: list[tuple[str, str]] = []  # ("string" or "key", the text), once the walk meets it

    def holds_bad_text(value: Any) -> bool:
        if isinstance(value, str):
            found.extend([("string", value)] * (first_bad(value) is not None))
        elif isinstance(value, dict):
            found.extend(("key", key) for key in value if isinstance(key, str) and first_bad(key) is not None)
        return bool(found)

    path = locate(obj, holds_bad_text, use_trace=encoder.use_trace)
    if path is None:  # a string the encoder made itself
        message = f"cannot write the payload in {encoding}: {err.reason}; dump with ensure_ascii=True (the default)"
        return EncodeError(message)
    what, text = found[0]
    if what == "key":
        path += format_path((text,))[1:]  # the entry the key names, as it reads in the payload
    char = text[first_bad(text) or 0]
    escape = f"dump with ensure_ascii=True (the default), which writes it as the escape {json.dumps(char)[1:-1]}"
    if 0xD800 <= ord(char) <= 0xDFFF:  # from os.fsdecode of stray bytes, or text cut in two
        what_to_do = f"remove it, or {escape}"
        char_name = f"U+{ord(char):04X}, a lone surrogate,"
    else:
        what_to_do = f"write to a file opened with encoding='utf-8', or {escape}"
        char_name = f"U+{ord(char):04X}"
    message = (
        f"cannot encode the {what} at {path}: its character {char_name} cannot be written in {encoding}; {what_to_do}"
    )
    return EncodeError(message, path)


@overload
def dump_bytes(
    obj: Any,
    fp: None = None,
    *,
    compression: int | bool = 9,
    use_trace: bool = True,
    pickle_size_limit: int = 4096,
    allow_nan: bool = True,
    compact_arrays: bool = False,
    lossless: bool = False,
    **json_kwargs: Any,
) -> bytes: ...


@overload
def dump_bytes(
    obj: Any,
    fp: PathLike | IO[bytes],
    *,
    compression: int | bool = 9,
    use_trace: bool = True,
    pickle_size_limit: int = 4096,
    allow_nan: bool = True,
    compact_arrays: bool = False,
    lossless: bool = False,
    **json_kwargs: Any,
) -> None: ...


def dump_bytes(
    obj: Any,
    fp: PathLike | IO[bytes] | None = None,
    *,
    compression: int | bool = 9,
    use_trace: bool = True,
    pickle_size_limit: int = 4096,
    allow_nan: bool = True,
    compact_arrays: bool = False,
    lossless: bool = False,
    **json_kwargs: Any,
) -> bytes | None:
    """Like :func:`dump`, gzipped: the bytes that NNI 3.0's ``nni.load`` also reads.

    Args:
        obj: the object to write.
        fp: a path (``str``, ``bytes`` or path-like) or a binary file open for writing;
            None to return the bytes. A path is written as :func:`dump` writes one.
        compression: the gzip level, 1 (fastest) to 9 (smallest); ``True`` means 9.
            ``0`` or ``False`` means no compression, as in NNI 3.0: the plain UTF-8
            text, which :func:`load` and :func:`load_bytes` read too (NNI 3.0 returns
            the text as ``str`` there; this returns its bytes).
        use_trace: as for :func:`dump`.
        pickle_size_limit: as for :func:`dump`.
        allow_nan: as for :func:`dump`.
        compact_arrays: as for :func:`dump`.
        lossless: as for :func:`dump`.
        **json_kwargs: as for :func:`dump`.

    Returns:
        The gzipped UTF-8 text, or None when written to ``fp``.

    Raises:
        EncodeError: a value cannot be encoded, as for :func:`dump`; or ``compression``
            is none of the values above (say ``-1``, ``42`` or ``"gzip"``).
        OSError: ``fp`` cannot be written, as for :func:`dump`.

    Example:
        >>> load_bytes(dump_bytes({"a": 1}))
        {'a': 1}
    """
    level = compression_level(compression)  # before anything is encoded
    encoder = get_encoder(use_trace, pickle_size_limit, allow_nan, compact_arrays, json_kwargs)
    if lossless:
        obj = _lossless.write(obj, encoder, sort_keys=bool(json_kwargs.get("sort_keys")))
    text = encoder.encode(obj)
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError as err:  # a lone surrogate, with ensure_ascii=False
        raise _unwritable_text(obj, encoder, err) from err
    # mtime=0: the same object gives the same bytes.
    data = gzip.compress(encoded, compresslevel=level, mtime=0) if level else encoded
    if fp is None:
        return data
    write_payload(fp, iter([data]), "dump_bytes")
    return None


def load(
    string: str | bytes | None = None,
    *,
    fp: PathLike | IO[str] | IO[bytes] | None = None,
    preserve_order: bool = False,
    ignore_comments: bool = True,
    safe: bool = False,
    allow: Iterable[str] | None = None,
    policy: LoadPolicy | None = None,
) -> Any:
    """Rebuild an object from :func:`dump` text, NNI 3.0's ``nni.dump`` text, or gzipped bytes.

    .. warning:: By default, like ``pickle.load`` and NNI 3.0, this runs code chosen by
       the payload: it imports and calls the symbols it names and unpickles the blobs it
       carries. For a payload you did not write, pass ``safe=True``.

    Args:
        string: the text (or bytes, gzipped or not); None to read ``fp``.
        fp: a path (``str``, ``bytes`` or path-like) or an open file to read from.
        preserve_order: return ``OrderedDict`` for JSON objects (order is kept anyway).
        ignore_comments: allow ``#`` and ``//`` comments outside strings.
        safe: refuse everything but natively encoded values and the symbols in
            ``allow``: no pickles, no other imports, and limits on size and nesting.
        allow: with ``safe``, the exact names (``"mypkg.models.Net"``) and module
            prefixes (``"torch.nn"``) of the classes and functions the payload may use.
        policy: a :class:`LoadPolicy`, for finer control (instead of ``safe``/``allow``);
            without any of these, the process-wide default (trusting unless changed by
            :func:`set_default_policy`).

    Returns:
        The rebuilt object; traced objects are traced again.

    Raises:
        DecodeError: the payload is malformed, or a value in it cannot be rebuilt;
            ``path`` says where it is.
        UnsafePayloadError: the policy refuses the payload; nothing it names was
            imported, called or unpickled.

    Example:
        >>> load('{"a": {"__set__": [1, 2]}}  // a comment', safe=True)
        {'a': {1, 2}}
    """
    # The common case in the fewest calls: a per-message load costs a few microseconds.
    active = get_default_policy() if policy is None and not safe and allow is None else policy_for(safe, allow, policy)
    text = string if type(string) is str else payload_text(string, fp, active, "load")
    return loads(text, preserve_order=preserve_order, ignore_comments=ignore_comments, policy=active)


def load_bytes(
    data: bytes | None = None,
    *,
    fp: PathLike | IO[bytes] | None = None,
    preserve_order: bool = False,
    ignore_comments: bool = True,
    safe: bool = False,
    allow: Iterable[str] | None = None,
    policy: LoadPolicy | None = None,
) -> Any:
    """Rebuild an object from :func:`dump_bytes` output (or any bytes :func:`load` takes).

    Takes the same keywords as :func:`load`, and the same warning applies: without
    ``safe=True``, load only payloads you trust.

    Example:
        >>> load_bytes(dump_bytes([1, 2]), safe=True)
        [1, 2]
    """
    if data is not None and not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"load_bytes takes bytes, not {type(data).__name__}; use load() for text")
    return load(
        data,
        fp=fp,
        preserve_order=preserve_order,
        ignore_comments=ignore_comments,
        safe=safe,
        allow=allow,
        policy=policy,
    )


def audit(
    string: str | bytes | None = None,
    *,
    fp: PathLike | IO[str] | IO[bytes] | None = None,
    ignore_comments: bool = True,
    safe: bool = False,
    allow: Iterable[str] | None = None,
    policy: LoadPolicy | None = None,
) -> list[Finding]:
    """List what loading the payload would import, call and unpickle, executing none of it.

    Each :class:`Finding` gives the JSON path, the action (``"call"``, ``"import"``,
    ``"call _load"``, ``"unpickle"`` or ``"limit"``), the dotted name or the blob's size,
    whether the policy (chosen as for :func:`load`) allows it, and for a name the entry that
    decided: the ``allow`` entry that matched (exact or prefix), or the deny-list entry that
    refused it. Use it to decide what to allow.

    Raises:
        DecodeError: the payload is not JSON.

    Example:
        >>> text = '{"f": {"__nni_type__": "path:math.floor"}, "g": {"__nni_type__": "path:numpy.load"}}'
        >>> for finding in audit(text, safe=True, allow=["math.floor", "numpy"]):
        ...     print(finding)
        $.f: import math.floor - allowed (exact allow entry 'math.floor')
        $.g: import numpy.load - REFUSED (deny): deny entry 'numpy.load'
            (it unpickles or deserialises, which runs arbitrary code)
    """
    active = policy_for(safe, allow, policy)
    findings: list[Finding] = []
    try:
        text = payload_text(string, fp, active, "audit")
    except UnsafePayloadError as err:
        return [Finding("$", "limit", None, 0, False, err.rule, str(err))]
    check(text, active, ignore_comments=ignore_comments, findings=findings)
    return findings


def policy_for(safe: bool, allow: Iterable[str] | None, policy: LoadPolicy | None) -> LoadPolicy:
    """The policy that ``safe``, ``allow`` and ``policy`` ask for."""
    if policy is not None:
        if safe or allow is not None:
            raise TypeError("pass either policy= or safe=/allow=, not both")
        if not isinstance(policy, LoadPolicy):
            raise TypeError(f"policy must be a LoadPolicy, not {type(policy).__name__}")
        return policy
    if safe:
        if allow is None:
            return _safe_policy(())
        if type(allow) in (list, tuple) and all(type(name) is str for name in allow):
            return _safe_policy(tuple(allow))
        return LoadPolicy.safe(allow=allow)
    if allow is not None:
        raise TypeError("allow= extends the safe policy: pass safe=True as well")
    return get_default_policy()


@functools.lru_cache(maxsize=64)
def _safe_policy(allow: tuple[str, ...]) -> LoadPolicy:
    # Policies are immutable: one per allow list, instead of one per load (building one,
    # with its deny list, costs about a third of loading a small message).
    return LoadPolicy.safe(allow=allow)
