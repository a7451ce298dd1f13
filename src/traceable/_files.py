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
import sys
import tempfile
import zlib
from collections.abc import Callable, Iterator
from typing import Any, ParamSpec, TypeVar, Union

from traceable._policy import LoadPolicy
from traceable.exceptions import DecodeError, EncodeError

__all__ = ["PathLike", "compression_level", "payload_text", "write_payload"]

# Whatever open() takes as a file name (except a file descriptor).
PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
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
    if isinstance(fp, (str, bytes, os.PathLike)):
        with open(fp, "rb") as f:
            data: str | bytes = f.read(size)
        return data
    if hasattr(fp, "read"):
        result: str | bytes = fp.read(size)
        return result
    raise TypeError(f"fp must be a path or an open file, not {type(fp).__name__}")


def compression_level(compression: Any) -> int:
    """The gzip level ``dump_bytes``' ``compression`` asks for; 0 for none."""
    if compression is False or (type(compression) is int and compression == 0):
        return 0  # as NNI 3.0's dump_bytes, which then returns the text itself
    level = 9 if compression is True else compression
    if type(level) is not int or not 1 <= level <= 9:
        message = (
            f"dump_bytes got compression={compression!r}; it takes a gzip level from 1 to 9 (1 is fastest, "
            "9 smallest), True (level 9), or 0 or False (not compressed: the UTF-8 text); pass one of those"
        )
        raise EncodeError(message)
    return level


def write_payload(fp: Any, pieces: Iterator[str | bytes], caller: str = "dump") -> None:
    """Write the payload's pieces to ``fp``, never leaving half of it behind on an error.

    A path is written beside and renamed; a file that can seek is cut back to where it
    was; a pipe gets the payload only once all of it is encoded.
    """
    if isinstance(fp, (str, bytes, os.PathLike)):
        _write_path(fp, pieces)
        return
    if not hasattr(fp, "write"):
        raise TypeError(f"fp must be a path or an open file, not {type(fp).__name__}")
    _check_writable(fp, caller)
    binary = not isinstance(fp, io.TextIOBase) and "b" in getattr(fp, "mode", "b")
    start = fp.tell() if _seekable(fp) else None
    if start is None:
        # All of it encoded before anything is written, to UTF-8 too for a binary file: a
        # lone surrogate in the last piece then leaves a pipe without half a payload.
        pieces = iter([piece.encode("utf-8") if binary and isinstance(piece, str) else piece for piece in pieces])
    try:
        for piece in pieces:
            _write_chunks(fp, piece, binary=binary)
    except BaseException as err:
        if start is not None:
            try:
                fp.seek(start)
                fp.truncate()
            except (OSError, ValueError) as cleanup:  # the error that stopped the dump matters more
                if sys.version_info >= (3, 11):
                    err.add_note(f"{caller} could not cut the file back to where it was: {cleanup}")
        raise


def _check_writable(fp: Any, caller: str) -> None:
    # Before anything is written: a file open for reading would otherwise fail at the
    # first write, and the cut back after it at truncate(), which hides why.
    try:
        writable = fp.writable()
    except AttributeError:  # a file-like object without it: its write() decides
        return
    except ValueError as err:  # closed
        raise ValueError(f"{caller} cannot write to {_file_name(fp)}: {err}") from err
    if not writable:
        mode = "'wb'" if caller == "dump_bytes" else "'w' (or 'wb')"
        message = f"{caller} cannot write to {_file_name(fp)}: it is not open for writing; open it with mode {mode}"
        raise io.UnsupportedOperation(message)


def _file_name(fp: Any) -> str:
    name = getattr(fp, "name", None)
    return f"the file {name!r}" if isinstance(name, (str, bytes)) else f"the file {fp!r}"


def _seekable(fp: Any) -> bool:
    try:
        return bool(fp.seekable())
    except (AttributeError, ValueError, OSError):
        return False


def _write_path(path: PathLike, pieces: Iterator[str | bytes]) -> None:
    # Write beside the file and rename it over, so that a failure never leaves half a
    # file; errors name the path the caller gave (str or bytes, as open()'s do), never
    # the temporary file.
    name = os.fspath(path)
    target = os.fsdecode(name)  # one type for tempfile and os.path, whatever the caller gave
    if target.endswith(_SEPARATORS) and not os.path.isdir(target):
        _refuse_directory_path(name, target)
    try:
        status: os.stat_result | None = os.stat(target)  # through symlinks
    except FileNotFoundError:  # a new file, or a dangling symlink
        status = None
    except OSError as err:  # a symlink loop, a directory that may not be searched
        raise _naming(err, name, _UNWRITTEN) from err
    if status is not None and not stat.S_ISREG(status.st_mode):
        _write_special(name, target, status, pieces)
        return
    # The file a symlink (or a chain of them) ends at is replaced, and the link kept; a
    # dangling link gets the file it names, as open() makes it.
    real = os.path.realpath(target)
    if status is not None and not _may_write(real):
        # Renaming over a file needs only its directory to be writable; open() also needs
        # the file to be, and dump refuses as it would.
        message = f"{os.strerror(errno.EACCES)} (the file is read-only: make it writable to replace it); {_UNTOUCHED}"
        raise PermissionError(errno.EACCES, message, name)
    directory = os.path.dirname(real)
    note = _UNTOUCHED if status is not None else _UNWRITTEN
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".traceable-", suffix=".tmp")
    except OSError as err:
        raise _naming(err, name, note, hint=_BESIDE) from err
    try:
        f = os.fdopen(fd, "wb")
        try:
            _io(name, note, _take_metadata, f.fileno(), status)
            for piece in pieces:  # an error of the encoder's goes through as it is
                _io(name, note, _write_chunks, f, piece, binary=True)
            _io(name, note, _finish, f)
        except BaseException:
            with contextlib.suppress(OSError):
                f.close()
            raise
        _io(name, note, os.replace, tmp, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _sync_directory(directory)


_SEPARATORS = tuple(sep for sep in (os.sep, os.altsep) if sep)


def _refuse_directory_path(name: str | bytes, target: str) -> None:
    # A path ending in a separator names a directory: open() refuses to make a file of
    # it (and so does dump), where the rename would make one without the separator.
    parent = os.path.dirname(target.rstrip("".join(_SEPARATORS))) or os.curdir
    try:  # with a separator, so that a file there is refused as open() refuses it
        os.stat(os.path.join(parent, ""))
    except OSError as err:
        raise _naming(err, name, _UNWRITTEN) from err
    message = f"{os.strerror(errno.EISDIR)}: a path ending in a separator names a directory; {_NEEDS_FILE}"
    raise IsADirectoryError(errno.EISDIR, message, name)


def _may_write(path: str) -> bool:
    # As open() decides, for the ids the process runs with (root may write any file).
    if os.access in os.supports_effective_ids:
        return os.access(path, os.W_OK, effective_ids=True)
    return os.access(path, os.W_OK)


def _io(target: str | bytes, note: str, call: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
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
_NEEDS_FILE = f"dump needs the path of a file; {_UNWRITTEN}"


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


def _write_special(name: str | bytes, target: str, status: os.stat_result, pieces: Iterator[str | bytes]) -> None:
    # A device or a pipe (/dev/stdout, a FIFO) cannot be replaced: it is written to.
    if stat.S_ISDIR(status.st_mode):
        raise IsADirectoryError(errno.EISDIR, f"{os.strerror(errno.EISDIR)}; {_NEEDS_FILE}", name)
    try:
        f = open(target, "wb")  # noqa: SIM115 (closed below, its errors renamed)
    except OSError as err:
        raise _naming(err, name, "") from err
    with f:
        try:
            write_payload(f, pieces)
        except OSError as err:
            raise _naming(err, name, "") from err


def _naming(err: OSError, target: str | bytes, note: str, *, hint: str = "") -> OSError:
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
