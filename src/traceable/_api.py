"""``dump``, ``dump_bytes``, ``load`` and ``load_bytes``: text, bytes, paths and files."""

from __future__ import annotations

import gzip
import io
import os
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from typing import IO, Any, Union, overload

from traceable import _lossless
from traceable._audit import Finding
from traceable._decode import check, loads
from traceable._encode import get_encoder
from traceable._policy import LoadPolicy, get_default_policy
from traceable.exceptions import DecodeError, UnsafePayloadError

PathLike = Union[str, "os.PathLike[str]"]
_GZIP_MAGIC = b"\x1f\x8b\x08"
_CHUNK = 1 << 20


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
        fp: a path or an open file (text or binary) to write to; None to return the text.
            The text is streamed; if encoding fails, a path is left as it was and a
            seekable file is cut back to where it was.
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
        EncodeError: a value cannot be encoded; ``path`` says where it is.
        PayloadTooLarge: the pickle fallback of a value is over ``pickle_size_limit``.

    Example:
        >>> dump({"lr": 0.1, "layers": (64, 32)})
        '{"lr": 0.1, "layers": [64, 32]}'
    """
    encoder = get_encoder(use_trace, pickle_size_limit, allow_nan, compact_arrays, json_kwargs)
    if lossless:
        obj = _lossless.write(obj, encoder, sort_keys=bool(json_kwargs.get("sort_keys")))
    if fp is None:
        return encoder.encode(obj)
    _write(fp, encoder.iter_encode(obj))
    return None


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
        fp: a path or a binary file to write to; None to return the bytes.
        compression: the gzip level, 1 to 9 (``True`` means 9).
        use_trace, pickle_size_limit, allow_nan, compact_arrays, lossless, **json_kwargs: as for :func:`dump`.

    Returns:
        The gzipped UTF-8 text, or None when written to ``fp``.

    Example:
        >>> load_bytes(dump_bytes({"a": 1}))
        {'a': 1}
    """
    level = 9 if compression is True else compression
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 9:
        raise ValueError(f"compression must be True or a gzip level from 1 to 9, not {compression!r}")
    encoder = get_encoder(use_trace, pickle_size_limit, allow_nan, compact_arrays, json_kwargs)
    if lossless:
        obj = _lossless.write(obj, encoder, sort_keys=bool(json_kwargs.get("sort_keys")))
    text = encoder.encode(obj)
    # mtime=0: the same object gives the same bytes.
    data = gzip.compress(text.encode("utf-8"), compresslevel=level, mtime=0)
    if fp is None:
        return data
    _write(fp, iter([data]))
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
        fp: a path or an open file to read from.
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
    and whether the policy (chosen as for :func:`load`) allows it. Use it to decide what
    to allow.

    Raises:
        DecodeError: the payload is not JSON.

    Example:
        >>> text = '{"f": {"__nni_type__": "path:os.system"}, "n": [1, 2]}'
        >>> [str(finding) for finding in audit(text, safe=True)]
        ['$.f: import os.system - REFUSED (allow)']
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
        return LoadPolicy.safe(allow=() if allow is None else allow)
    if allow is not None:
        raise TypeError("allow= extends the safe policy: pass safe=True as well")
    return get_default_policy()


def payload_text(string: Any, fp: Any, policy: LoadPolicy, caller: str) -> str:
    """The payload as text, read from ``string`` or ``fp`` within the policy's size limits."""
    if type(string) is str:  # the common case first
        return string
    if string is None:
        if fp is None:
            raise TypeError(f"{caller} needs a payload: pass the text, or fp= a path or an open file")
        string = _read(fp, policy.max_size)
    elif isinstance(string, io.IOBase):
        raise TypeError(f"{caller} got a file as its first argument; pass it as {caller}(fp=file)")
    if isinstance(string, (bytes, bytearray, memoryview)):
        data = bytes(string)
        policy.exceeded("max_size", len(data), None, "the payload's size in bytes")
        if data[:3] == _GZIP_MAGIC:
            data = _gunzip(data, policy)
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise DecodeError(f"the payload is not UTF-8 text: {err}") from err
    if not isinstance(string, str):
        raise TypeError(f"{caller} takes str or bytes, not {type(string).__name__}")
    return string


def _gunzip(data: bytes, policy: LoadPolicy) -> bytes:
    limit = policy.max_decompressed_size
    if limit is None:
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as err:
            raise DecodeError(f"the payload is not valid gzip: {err}") from err
    # Never more than the limit in memory: a gzip bomb is refused, not inflated.
    out = bytearray()
    while data[:3] == _GZIP_MAGIC:
        inflater = zlib.decompressobj(wbits=31)
        try:
            out += inflater.decompress(data, limit + 1 - len(out))
        except zlib.error as err:
            raise DecodeError(f"the payload is not valid gzip: {err}") from err
        policy.exceeded("max_decompressed_size", len(out), None, "the unzipped payload's size")
        if not inflater.eof:
            if inflater.unconsumed_tail:  # stopped at the limit
                policy.exceeded("max_decompressed_size", limit + 1, None, "the unzipped payload's size")
            raise DecodeError("the payload is truncated gzip")
        data = inflater.unused_data
    return bytes(out)


def _read(fp: Any, limit: int | None) -> str | bytes:
    # With a limit, read one more than it: enough to refuse a payload that is too large.
    size = -1 if limit is None else limit + 1
    if isinstance(fp, (str, os.PathLike)):
        with open(fp, "rb") as f:
            data: str | bytes = f.read(size)
        return data
    if hasattr(fp, "read"):
        result: str | bytes = fp.read(size)
        return result
    raise TypeError(f"fp must be a path or an open file, not {type(fp).__name__}")


def _write(fp: Any, pieces: Iterator[str | bytes]) -> None:
    """Write the payload's pieces to ``fp``, never leaving half of it behind on an error.

    A path is written beside and renamed; a file that can seek is cut back to where it
    was; a pipe gets the payload only once all of it is encoded.
    """
    if isinstance(fp, (str, os.PathLike)):
        _write_path(fp, pieces)
        return
    if not hasattr(fp, "write"):
        raise TypeError(f"fp must be a path or an open file, not {type(fp).__name__}")
    binary = not isinstance(fp, io.TextIOBase) and "b" in getattr(fp, "mode", "b")
    start = fp.tell() if _seekable(fp) else None
    if start is None:
        pieces = iter(list(pieces))  # all of it encoded before anything is written
    try:
        for piece in pieces:
            _write_chunks(fp, piece, binary=binary)
    except BaseException:
        if start is not None:
            fp.seek(start)
            fp.truncate()
        raise


def _seekable(fp: Any) -> bool:
    try:
        return bool(fp.seekable())
    except (AttributeError, ValueError, OSError):
        return False


def _write_path(path: PathLike, pieces: Iterator[str | bytes]) -> None:
    # Write beside the target and rename, so that a failure never leaves half a file.
    target = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(target))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".traceable-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            for piece in pieces:
                _write_chunks(f, piece, binary=True)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; give it the usual mode
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise


def _umask() -> int:
    # The only portable way to read the umask is to set it; do it once.
    global _UMASK
    if _UMASK is None:
        _UMASK = os.umask(0o022)
        os.umask(_UMASK)
    return _UMASK


_UMASK: int | None = None


def _write_chunks(f: Any, payload: str | bytes, *, binary: bool) -> None:
    # Chunks: encoding a large text to UTF-8 for a binary file never makes a full copy.
    for start in range(0, len(payload), _CHUNK):
        chunk = payload[start : start + _CHUNK]
        if binary and isinstance(chunk, str):
            f.write(chunk.encode("utf-8"))
        elif not binary and isinstance(chunk, bytes):
            raise TypeError("dump_bytes needs a binary file; open it with mode 'wb'")
        else:
            f.write(chunk)
