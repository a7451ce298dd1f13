"""Payload files: paths, open files, gzip, safe writes.

Reading takes a path or an open file (text or binary) within a load policy's size limits,
and gunzips gzipped bytes without inflating more than the policy allows. Writing streams
a payload's pieces to a path (beside it, synced, then renamed over it, keeping its mode,
owner and symlinks) or an open file (cut back on an error), so that a failed dump, or a
crash, never leaves half a payload behind.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import io
import os
import stat
import tempfile
import zlib
from collections.abc import Callable, Iterator
from typing import Any, ParamSpec, TypeVar, Union

from traceable._policy import LoadPolicy
from traceable.exceptions import DecodeError

__all__ = ["PathLike", "payload_text", "write_payload"]

PathLike = Union[str, "os.PathLike[str]"]
_P = ParamSpec("_P")
_T = TypeVar("_T")
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
        # All of it encoded before anything is written, to UTF-8 too for a binary file: a
        # lone surrogate in the last piece then leaves a pipe without half a payload.
        pieces = iter([piece.encode("utf-8") if binary and isinstance(piece, str) else piece for piece in pieces])
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
    # Write beside the file and rename it over, so that a failure never leaves half a
    # file; errors name the path the caller gave, never the temporary file.
    target = os.fspath(path)
    try:
        status: os.stat_result | None = os.stat(target)  # through symlinks
    except FileNotFoundError:  # a new file, or a dangling symlink
        status = None
    except OSError as err:  # a symlink loop, a directory that may not be searched
        raise _naming(err, target, _UNWRITTEN) from err
    if status is not None and not stat.S_ISREG(status.st_mode):
        _write_special(target, status, pieces)
        return
    # The file a symlink (or a chain of them) ends at is replaced, and the link kept; a
    # dangling link gets the file it names, as open() makes it.
    real = os.path.realpath(target)
    directory = os.path.dirname(real)
    note = _UNTOUCHED if status is not None else _UNWRITTEN
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".traceable-", suffix=".tmp")
    except OSError as err:
        raise _naming(err, target, note, hint=_BESIDE) from err
    try:
        f = os.fdopen(fd, "wb")
        try:
            _io(target, note, _take_metadata, f.fileno(), status)
            for piece in pieces:  # an error of the encoder's goes through as it is
                _io(target, note, _write_chunks, f, piece, binary=True)
            _io(target, note, _finish, f)
        except BaseException:
            with contextlib.suppress(OSError):
                f.close()
            raise
        _io(target, note, os.replace, tmp, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _sync_directory(directory)


def _io(target: str, note: str, call: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
    # Errors name the path the caller gave, never the temporary file.
    try:
        return call(*args, **kwargs)
    except OSError as err:
        raise _naming(err, target, note) from err


def _finish(f: io.BufferedWriter) -> None:
    f.flush()
    # On disk before the rename: a crash then leaves the old file or the new one, never an empty one.
    os.fsync(f.fileno())
    f.close()


_BESIDE = (
    "dump writes a temporary file in its directory and renames it over the file, so the directory must be writable"
)
_UNTOUCHED = "the file was left as it was"
_UNWRITTEN = "no file was written"


def _take_metadata(fd: int, status: os.stat_result | None) -> None:
    # The new file takes the old one's owner and mode (a private 0600 file stays private);
    # a new file gets the mode open() would give it (mkstemp makes it 0600).
    if status is None:
        _chmod(fd, 0o666 & ~_umask())
        return
    if hasattr(os, "fchown"):
        own = os.fstat(fd)
        if (own.st_uid, own.st_gid) != (status.st_uid, status.st_gid):
            try:  # only a privileged process may give a file away; anyone may keep the group
                os.fchown(fd, status.st_uid, status.st_gid)
            except PermissionError:
                with contextlib.suppress(PermissionError):
                    os.fchown(fd, -1, status.st_gid)
    _chmod(fd, stat.S_IMODE(status.st_mode))  # after fchown, which may clear set-id bits


def _umask() -> int:
    # The only portable way to read the umask is to set it; do it once.
    global _UMASK
    if _UMASK is None:
        _UMASK = os.umask(0o022)
        os.umask(_UMASK)
    return _UMASK


_UMASK: int | None = None


def _chmod(fd: int, mode: int) -> None:
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)


def _sync_directory(directory: str) -> None:
    # Makes the rename itself durable. Windows cannot open a directory; some file systems
    # refuse to sync one: the file is in place either way, so this is best effort.
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_special(target: str, status: os.stat_result, pieces: Iterator[str | bytes]) -> None:
    # A device or a pipe (/dev/stdout, a FIFO) cannot be replaced: it is written to.
    if stat.S_ISDIR(status.st_mode):
        raise IsADirectoryError(errno.EISDIR, "Is a directory: dump needs the path of a file", target)
    try:
        f = open(target, "wb")  # noqa: SIM115 (closed below, its errors renamed)
    except OSError as err:
        raise _naming(err, target, "") from err
    with f:
        try:
            write_payload(f, pieces)
        except OSError as err:
            raise _naming(err, target, "") from err


def _naming(err: OSError, target: str, note: str, *, hint: str = "") -> OSError:
    """``err`` again (its class and errno), naming ``target`` and adding ``note`` on what became of it."""
    reason = err.strerror or str(err) or type(err).__name__
    if hint and err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason += f" ({hint})"
    if note:
        reason += f"; {note}"
    try:
        return type(err)(err.errno, reason, target)
    except TypeError:  # a subclass with a constructor of its own
        return OSError(err.errno, reason, target)


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
