"""``dump``, ``dump_bytes``, ``load`` and ``load_bytes``: text, bytes, paths and files."""

from __future__ import annotations

import gzip
import io
import os
import tempfile
from collections.abc import Iterator
from typing import IO, Any, Union, overload

from traceable._decode import loads
from traceable._encode import get_encoder

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
        use_trace: write traced objects as their call (otherwise they are pickled).
        pickle_size_limit: the largest pickle, in bytes, of the fallback; -1 for no limit.
        allow_nan: write NaN and infinities (as ``NaN``, ``Infinity``) instead of raising.
        compact_arrays: write numpy arrays as their raw bytes in base64 (json-tricks'
            ``b64:`` form, which NNI 3.0 also reads): many times faster and smaller than
            the default nested lists, but not human-readable.
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
    if fp is None:
        return encoder.encode(obj)
    if isinstance(fp, (str, os.PathLike)):
        # Streamed: a file on disk never needs all the text in memory at once.
        _write_path(fp, encoder.iter_encode(obj))
    else:
        _write(fp, encoder.encode(obj))  # all of it first: an error leaves the file untouched
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
    **json_kwargs: Any,
) -> bytes | None:
    """Like :func:`dump`, gzipped: the bytes that NNI 3.0's ``nni.load`` also reads.

    Args:
        obj: the object to write.
        fp: a path or a binary file to write to; None to return the bytes.
        compression: the gzip level, 1 to 9 (``True`` means 9).
        use_trace, pickle_size_limit, allow_nan, compact_arrays, **json_kwargs: as for :func:`dump`.

    Returns:
        The gzipped UTF-8 text, or None when written to ``fp``.

    Example:
        >>> load_bytes(dump_bytes({"a": 1}))
        {'a': 1}
    """
    level = 9 if compression is True else compression
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 9:
        raise ValueError(f"compression must be True or a gzip level from 1 to 9, not {compression!r}")
    text = get_encoder(use_trace, pickle_size_limit, allow_nan, compact_arrays, json_kwargs).encode(obj)
    # mtime=0: the same object gives the same bytes.
    data = gzip.compress(text.encode("utf-8"), compresslevel=level, mtime=0)
    if fp is None:
        return data
    _write(fp, data)
    return None


def load(
    string: str | bytes | None = None,
    *,
    fp: PathLike | IO[str] | IO[bytes] | None = None,
    preserve_order: bool = False,
    ignore_comments: bool = True,
) -> Any:
    """Rebuild an object from :func:`dump` text, NNI 3.0's ``nni.dump`` text, or gzipped bytes.

    .. warning:: Like ``pickle.load``, this runs code chosen by the payload: it imports
       and calls the symbols it names and unpickles the blobs it carries. Load only
       payloads you trust.

    Args:
        string: the text (or bytes, gzipped or not); None to read ``fp``.
        fp: a path or an open file to read from.
        preserve_order: return ``OrderedDict`` for JSON objects (order is kept anyway).
        ignore_comments: allow ``#`` and ``//`` comments outside strings.

    Returns:
        The rebuilt object; traced objects are traced again.

    Raises:
        DecodeError: the payload is malformed, or a value in it cannot be rebuilt;
            ``path`` says where it is.

    Example:
        >>> load('{"a": {"__set__": [1, 2]}}  // a comment')
        {'a': {1, 2}}
    """
    if string is None:
        if fp is None:
            raise TypeError("load needs a payload: pass the text, or fp= a path or an open file")
        string = _read(fp)
    elif isinstance(string, io.IOBase):
        raise TypeError("load got a file as its first argument; pass it as load(fp=file)")
    if isinstance(string, (bytes, bytearray, memoryview)):
        string = _text_of(bytes(string))
    elif not isinstance(string, str):
        raise TypeError(f"load takes str or bytes, not {type(string).__name__}")
    return loads(string, preserve_order=preserve_order, ignore_comments=ignore_comments)


def load_bytes(
    data: bytes | None = None,
    *,
    fp: PathLike | IO[bytes] | None = None,
    preserve_order: bool = False,
    ignore_comments: bool = True,
) -> Any:
    """Rebuild an object from :func:`dump_bytes` output (or any bytes :func:`load` takes).

    The same warning as for :func:`load` applies: load only payloads you trust.

    Example:
        >>> load_bytes(dump_bytes([1, 2]))
        [1, 2]
    """
    if data is None:
        if fp is None:
            raise TypeError("load_bytes needs a payload: pass the bytes, or fp= a path or an open file")
        raw = _read(fp)
        data = raw.encode("utf-8") if isinstance(raw, str) else raw
    elif not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"load_bytes takes bytes, not {type(data).__name__}; use load() for text")
    return load(bytes(data), preserve_order=preserve_order, ignore_comments=ignore_comments)


def _text_of(data: bytes) -> str:
    if data[:3] == _GZIP_MAGIC:
        data = gzip.decompress(data)
    return data.decode("utf-8-sig")


def _read(fp: Any) -> str | bytes:
    if isinstance(fp, (str, os.PathLike)):
        with open(fp, "rb") as f:
            data: str | bytes = f.read()
        return data
    if hasattr(fp, "read"):
        result: str | bytes = fp.read()
        return result
    raise TypeError(f"fp must be a path or an open file, not {type(fp).__name__}")


def _write(fp: Any, payload: str | bytes) -> None:
    if isinstance(fp, (str, os.PathLike)):
        _write_path(fp, iter([payload]))
        return
    if not hasattr(fp, "write"):
        raise TypeError(f"fp must be a path or an open file, not {type(fp).__name__}")
    _write_chunks(fp, payload, binary=not isinstance(fp, io.TextIOBase) and "b" in getattr(fp, "mode", "b"))


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
