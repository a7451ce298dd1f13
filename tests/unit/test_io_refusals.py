"""Writing refuses what open() refuses, names the file, and leaves it as it was; bytes paths work."""

from __future__ import annotations

import errno
import io
import json
import os
import subprocess
import sys
import textwrap

import pytest

from traceable import audit, dump, dump_bytes, load, load_bytes

VALUE = {"a": [1, "é"]}
NOBODY = 65534  # the uid of "nobody" on Linux


def _listing(directory):
    return sorted((p.name, p.read_text()) for p in directory.iterdir())


def _open_error(path):
    try:
        open(path, "w").close()
    except OSError as err:
        return (type(err), err.errno, err.filename)
    raise AssertionError(f"open({path!r}, 'w') succeeded")


_READ_ONLY_CHILD = textwrap.dedent(
    """
    import io, json, os, sys, tempfile
    import traceable
    traceable.dump({"a": 1}, io.StringIO())  # imports what dump needs while the stdlib may be read
    if os.geteuid() == 0:  # root may write any file: run as nobody, as a user's process would
        os.setgid(int(sys.argv[1]))
        os.setuid(int(sys.argv[1]))
    path = os.path.join(tempfile.mkdtemp(), "payload.json")
    with open(path, "w") as f:
        f.write("old")
    os.chmod(path, 0o444)
    def outcome(write, given):
        try:
            write({"a": 1}, given)
        except OSError as err:
            return [type(err).__name__, err.errno, err.filename == given, str(err).replace(repr(given), "PATH")]
        return "written"
    result = {
        "open": outcome(lambda value, given: open(given, "w").close(), path)[:3],
        "dump": outcome(traceable.dump, path),
        "dump_bytes": outcome(traceable.dump_bytes, path.encode()),
    }
    result["left"] = sorted(os.listdir(os.path.dirname(path)))
    with open(path) as f:
        result["text"] = f.read()
    result["mode"] = oct(os.stat(path).st_mode & 0o777)
    print(json.dumps(result))
    """
)


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
def test_a_read_only_file_is_refused_as_open_refuses_it_and_left_as_it_was():
    # As root (as these tests often run) every file is writable: the child then drops to
    # nobody, so that the file is read-only for it, as it is for a user.
    if os.geteuid() == 0 and not hasattr(os, "setuid"):
        pytest.skip("cannot drop root privileges")
    child = subprocess.run(
        [sys.executable, "-c", _READ_ONLY_CHILD, str(NOBODY)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert child.returncode == 0, child.stderr
    refused = [
        "PermissionError",
        errno.EACCES,
        True,
        f"[Errno {errno.EACCES}] {os.strerror(errno.EACCES)} (the file is read-only: make it writable to replace "
        "it); the file was left as it was: PATH",
    ]
    assert json.loads(child.stdout) == {
        "open": ["PermissionError", errno.EACCES, True],
        "dump": refused,
        "dump_bytes": refused,
        "left": ["payload.json"],
        "text": "old",
        "mode": "0o444",
    }


@pytest.mark.parametrize("kind", [str, bytes])
@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("new/", IsADirectoryError),  # a file that does not exist
        ("old/", IsADirectoryError),  # a file that does
        ("missing/new/", FileNotFoundError),
        ("old/new/", NotADirectoryError),
    ],
)
def test_a_path_ending_in_a_separator_is_refused_as_open_refuses_it(tmp_path, name, error, kind):
    (tmp_path / "old").write_text("old")
    path = str(tmp_path / name) + os.sep
    given = os.fsencode(path) if kind is bytes else path
    for write in (dump, dump_bytes):
        with pytest.raises(OSError) as info:
            write(VALUE, given)
        assert (type(info.value), info.value.errno, info.value.filename) == _open_error(given)
        assert (type(info.value), _listing(tmp_path)) == (error, [("old", "old")])


def test_a_path_ending_in_a_separator_says_it_names_a_directory(tmp_path):
    path = str(tmp_path / "new") + os.sep
    with pytest.raises(IsADirectoryError) as info:
        dump(VALUE, path)
    assert str(info.value) == (
        f"[Errno {errno.EISDIR}] {os.strerror(errno.EISDIR)}: a path ending in a separator names a directory; "
        f"dump needs the path of a file; no file was written: {path!r}"
    )


@pytest.mark.parametrize(("write", "mode", "hint"), [(dump, "r", "'w' (or 'wb')"), (dump_bytes, "rb", "'wb'")])
def test_a_file_open_for_reading_is_refused_by_name_and_left_as_it_was(tmp_path, write, mode, hint):
    path = tmp_path / "payload.json"
    path.write_text("old")
    with open(path, mode) as f, pytest.raises(io.UnsupportedOperation) as info:
        write(VALUE, f)
    assert str(info.value) == (
        f"{write.__name__} cannot write to the file {str(path)!r}: it is not open for writing; open it with mode {hint}"
    )
    assert _listing(tmp_path) == [("payload.json", "old")]


class _FullDisk(io.BytesIO):
    """A file whose writes fail, and which cannot be cut back."""

    def write(self, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def truncate(self, size=None):
        raise io.UnsupportedOperation("truncate")


def test_a_failed_cut_back_does_not_hide_why_the_dump_failed():
    with pytest.raises(OSError) as info:
        dump_bytes(VALUE, _FullDisk())
    notes = (
        ["dump_bytes could not cut the file back to where it was: truncate"] if sys.version_info >= (3, 11) else None
    )
    assert (type(info.value), info.value.errno, getattr(info.value, "__notes__", None)) == (
        OSError,
        errno.ENOSPC,
        notes,
    )


def test_bytes_paths_are_written_and_read_as_open_takes_them(tmp_path):
    text_path = os.fsencode(tmp_path / "payload.json")
    gz_path = os.fsencode(tmp_path / "payload.json.gz")
    dump(VALUE, text_path)
    dump_bytes(VALUE, gz_path)
    assert (load(fp=text_path), load(fp=gz_path), load_bytes(fp=gz_path), load_bytes(fp=text_path)) == (VALUE,) * 4
    with open(text_path) as f:
        assert (f.read(), audit(fp=text_path)) == (dump(VALUE), [])


def test_an_error_names_a_bytes_path_as_given(tmp_path):
    path = os.fsencode(tmp_path / "missing" / "payload.json")
    with pytest.raises(FileNotFoundError) as info:
        dump(VALUE, path)
    assert (info.value.filename, list(tmp_path.iterdir())) == (path, [])
