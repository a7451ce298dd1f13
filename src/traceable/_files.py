"""Payload files: paths, open files, gzip, safe writes.

Reading takes a path or an open file (text or binary) within a load policy's size limits,
and gunzips gzipped bytes without inflating more than the policy allows. Writing streams
a payload's pieces to a path (beside it, then renamed) or an open file (cut back on an
error), so that a failed dump never leaves half a payload behind.
"""

from __future__ import annotations

import gzip
import io
import os
import tempfile
import zlib
from collections.abc import Iterator
from typing import Any, Union

from traceable._policy import LoadPolicy
from traceable.exceptions import DecodeError

__all__ = ["PathLike", "payload_text", "write_payload"]

PathLike = Union[str, "os.PathLike[str]"]
_GZIP_MAGIC = b"\x1f\x8b\x08"
_CHUNK = 1 << 20


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


def write_payload(fp: Any, pieces: Iterator[str | bytes]) -> None:
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
