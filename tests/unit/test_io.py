"""Paths, open files, bytes, gzip and comments."""

from __future__ import annotations

import errno
import gzip
import io
import os
import stat
import tempfile
import threading

import pytest

import samples
import traceable
from traceable import EncodeError, dump, dump_bytes, load, load_bytes

VALUE = {"layer": samples.Layer(3), "values": [1.5, None, "é"]}


def test_dump_to_a_path_and_load_from_it(tmp_path):
    path = tmp_path / "payload.json"
    assert dump(VALUE, path) is None
    assert path.read_text(encoding="utf-8") == dump(VALUE)
    assert load(fp=path) == VALUE
    assert load(fp=str(path)) == VALUE


def test_dump_to_text_and_binary_files(tmp_path):
    text_file = io.StringIO()
    dump(VALUE, text_file)
    assert text_file.getvalue() == dump(VALUE)
    binary_file = io.BytesIO()
    dump(VALUE, binary_file)
    assert binary_file.getvalue() == dump(VALUE).encode("utf-8")
    assert load(fp=io.BytesIO(binary_file.getvalue())) == VALUE
    assert load(fp=io.StringIO(text_file.getvalue())) == VALUE


def test_a_failed_dump_leaves_an_existing_file_untouched(tmp_path):
    path = tmp_path / "payload.json"
    path.write_text('{"old": true}')
    with pytest.raises(TypeError):
        dump({"bad": threading.Lock()}, path)
    assert path.read_text() == '{"old": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["payload.json"]


def test_dumped_files_get_the_usual_permissions(tmp_path):
    path = tmp_path / "payload.json"
    dump({"a": 1}, path)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_dump_bytes_is_gzipped_utf8_and_deterministic():
    data = dump_bytes(VALUE)
    assert data[:3] == b"\x1f\x8b\x08"
    assert gzip.decompress(data).decode("utf-8") == dump(VALUE)
    assert dump_bytes(VALUE) == data
    assert len(dump_bytes(VALUE, compression=1)) > 0


@pytest.mark.parametrize("compression", [10, "9", None])
def test_dump_bytes_rejects_bad_levels(compression):
    with pytest.raises(ValueError, match="gzip level from 1 to 9"):
        dump_bytes({}, compression=compression)


def test_load_takes_gzipped_and_plain_bytes():
    assert load(dump_bytes(VALUE)) == VALUE
    assert load(dump(VALUE).encode("utf-8")) == VALUE
    assert load_bytes(dump_bytes(VALUE)) == VALUE
    assert load_bytes(dump(VALUE).encode()) == VALUE


def test_dump_bytes_to_files(tmp_path):
    path = tmp_path / "payload.json.gz"
    dump_bytes(VALUE, path)
    assert load_bytes(fp=path) == VALUE
    assert load(fp=path) == VALUE
    buffer = io.BytesIO()
    dump_bytes(VALUE, buffer)
    assert load_bytes(fp=io.BytesIO(buffer.getvalue())) == VALUE
    with pytest.raises(TypeError, match="binary file"):
        dump_bytes(VALUE, io.StringIO())


def test_load_bytes_refuses_text():
    with pytest.raises(TypeError, match="use load"):
        load_bytes("{}")


def test_comments_outside_strings_are_ignored():
    text = '# header\n{"a": 1, // one\n "url": "http://x#y", "b": [2] # two\n}'
    assert load(text) == {"a": 1, "url": "http://x#y", "b": [2]}


def test_comments_can_be_refused():
    with pytest.raises(ValueError, match="not valid JSON"):
        load('{"a": 1} // c', ignore_comments=False)


def test_large_text_round_trips_through_a_file_in_chunks(tmp_path):
    value = {"rows": [{"i": i, "s": "é" * 50} for i in range(30000)]}
    path = tmp_path / "big.json"
    dump(value, path)
    assert path.stat().st_size > 2 << 20
    assert load(fp=path) == value


@pytest.mark.parametrize(
    ("value", "options"),
    [
        ({"a": [1, {"b": [2, 3]}, []], "c": {}, "d": "é"}, {}),
        ({3: "int key", 2.5: "float key", True: "bool", None: "none", "s": [[1], [2]]}, {}),
        ({"a": [1, 2]}, {"separators": (",", ":")}),
        ({"é": ["ü"]}, {"ensure_ascii": False}),
        ({"b": 1, "a": [2]}, {"sort_keys": True}),
        ({"a": [1, {"b": 2}]}, {"indent": 2}),
        ({(1, 2): "skipped", "kept": [1]}, {"skipkeys": True}),
        ([samples.Layer(1), {"n": float("nan")}, [samples.make_plain(2)]], {}),
        ([], {}),
        ("just a string", {}),
    ],
)
def test_dump_to_a_path_is_streamed_and_writes_the_same_text(tmp_path, value, options):
    path = tmp_path / "streamed.json"
    dump(value, path, **options)
    assert path.read_text(encoding="utf-8") == dump(value, **options)


def test_a_streamed_dump_that_fails_reports_the_path_from_the_root_and_writes_nothing(tmp_path):
    path = tmp_path / "payload.json"
    path.write_text("old")
    with pytest.raises(EncodeError) as info:
        dump({"rows": [1, 2, [3, threading.Lock()]]}, path)
    assert info.value.path == "$.rows[2][1]"
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["payload.json"]


@pytest.mark.parametrize("safe", [False, True])
@pytest.mark.parametrize("data", [b"\xff\xfe{}", b"\x1f\x8b\x08garbage", gzip.compress(b"[1, 2]")[:-6]])
def test_bad_bytes_are_decode_errors(data, safe):
    with pytest.raises(traceable.DecodeError):
        load_bytes(data, safe=safe)


def test_dump_to_an_open_file_streams_and_cuts_back_on_error(tmp_path):
    path = tmp_path / "payload.json"
    with open(path, "w", encoding="utf-8") as f:
        f.write("kept ")
        dump({"a": [1, 2], "b": "é"}, f)
        with pytest.raises(EncodeError, match=r"at \$\.rows\[1\]"):
            dump({"rows": [[1] * 1000, threading.Lock()]}, f)
    assert path.read_text(encoding="utf-8") == 'kept {"a": [1, 2], "b": "\\u00e9"}'
    buffer = io.BytesIO(b"x")
    buffer.seek(1)
    dump([1, {"c": None}], buffer)
    assert buffer.getvalue() == b'x[1, {"c": null}]'


def test_objects_before_a_comment_are_built_once():
    text = dump({"a": samples.make_counted(1)})[:-1] + ', // a comment\n "b": "http://x"}'
    samples.BUILT.clear()
    loaded = load(text)
    assert samples.BUILT == [1]
    assert loaded["b"] == "http://x"


# -- writing over a file: kept mode, owner and links, fsync, errors naming the path ----

DUMPS = {  # how a test writes a path: text, or gzipped bytes (a .gz target goes the same way)
    "dump": (lambda value, path: dump(value, path), "payload.json", lambda data: data.decode("utf-8")),
    "dump_bytes": (lambda value, path: dump_bytes(value, path), "payload.json.gz", lambda data: load_bytes(data)),
}
NEW = {"new": [1, 2]}


def _umask_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _written(kind: str, path) -> object:
    return DUMPS[kind][2](path.read_bytes())


def _expected(kind: str) -> object:
    return dump(NEW) if kind == "dump" else NEW


@pytest.mark.parametrize("kind", DUMPS)
def test_dump_over_a_private_file_keeps_it_private(tmp_path, kind):
    write, name, _ = DUMPS[kind]
    path = tmp_path / name
    path.write_text("old")
    path.chmod(0o600)
    write(NEW, path)
    assert (stat.S_IMODE(path.stat().st_mode), _written(kind, path)) == (0o600, _expected(kind))


@pytest.mark.parametrize("kind", DUMPS)
def test_a_new_file_gets_the_mode_the_umask_gives(tmp_path, kind):
    write, name, _ = DUMPS[kind]
    path = tmp_path / name
    write(NEW, path)
    assert (stat.S_IMODE(path.stat().st_mode), _written(kind, path)) == (_umask_mode(), _expected(kind))


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root may give a file away")
def test_dump_over_a_file_keeps_its_owner(tmp_path):
    path = tmp_path / "payload.json"
    path.write_text("old")
    os.chown(path, 12345, 23456)
    dump(NEW, path)
    assert (path.stat().st_uid, path.stat().st_gid, path.read_text()) == (12345, 23456, dump(NEW))


@pytest.mark.parametrize("kind", DUMPS)
def test_dump_through_a_symlink_chain_writes_the_file_it_ends_at(tmp_path, kind):
    write, name, _ = DUMPS[kind]
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / name
    real.write_text("old")
    real.chmod(0o640)
    first = tmp_path / "first"
    first.symlink_to(os.path.join("real", name))  # relative, as links often are
    second = tmp_path / "second"
    second.symlink_to(first)
    write(NEW, second)
    assert [os.readlink(second), os.readlink(first)] == [str(first), os.path.join("real", name)]
    assert (_written(kind, real), stat.S_IMODE(real.stat().st_mode)) == (_expected(kind), 0o640)
    assert sorted(p.name for p in tmp_path.rglob("*")) == sorted(["first", "second", "real", name])


def test_dump_through_a_dangling_symlink_makes_the_file_it_names(tmp_path):
    link = tmp_path / "link.json"
    link.symlink_to("missing.json")
    dump(NEW, link)
    target = tmp_path / "missing.json"
    assert (os.readlink(link), target.read_text(), stat.S_IMODE(target.stat().st_mode)) == (
        "missing.json",
        dump(NEW),
        _umask_mode(),
    )


def test_dump_through_a_symlink_loop_is_an_error_naming_the_path(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.symlink_to("second")
    second.symlink_to("first")
    with pytest.raises(OSError) as info:
        dump(NEW, first)
    assert (info.value.errno, info.value.filename) == (errno.ELOOP, str(first))
    assert str(info.value) == f"[Errno {errno.ELOOP}] {os.strerror(errno.ELOOP)}; no file was written: {str(first)!r}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first", "second"]


def test_dump_over_a_hard_link_replaces_this_name_only(tmp_path):
    path, other = tmp_path / "payload.json", tmp_path / "other.json"
    path.write_text("old")
    os.link(path, other)
    dump(NEW, path)
    assert (path.read_text(), other.read_text(), path.stat().st_nlink, other.stat().st_nlink) == (
        dump(NEW),
        "old",
        1,
        1,
    )


def test_dump_syncs_the_file_before_the_rename_and_the_directory_after(tmp_path, monkeypatch):
    path = tmp_path / "payload.json"
    path.write_text("old")
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        info = os.fstat(fd)
        events.append(("fsync", "directory" if stat.S_ISDIR(info.st_mode) else "file", info.st_ino))
        real_fsync(fd)

    def replace(source, destination):
        events.append(("replace", os.path.basename(source).startswith(".traceable-"), str(destination)))
        real_replace(source, destination)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    dump(NEW, path)
    monkeypatch.undo()
    assert events == [
        ("fsync", "file", path.stat().st_ino),
        ("replace", True, str(path)),
        ("fsync", "directory", tmp_path.stat().st_ino),
    ]


class _FullDisk:
    """A file object whose disk fills up after ``room`` bytes."""

    def __init__(self, f, room: int) -> None:
        self._f = f
        self._room = room

    def write(self, data: bytes) -> int:
        self._room -= len(data)
        if self._room < 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self._f.write(data)

    def __getattr__(self, name: str):
        return getattr(self._f, name)


def _full_disk(*args):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("exists", [True, False])
@pytest.mark.parametrize("kind", DUMPS)
@pytest.mark.parametrize("failing", ["write", "fsync", "replace"])
def test_a_full_disk_leaves_the_file_as_it_was_and_names_it(tmp_path, monkeypatch, failing, kind, exists):
    write, name, _ = DUMPS[kind]
    path = tmp_path / name
    if exists:
        path.write_text("old")
    if failing == "write":
        real_fdopen = os.fdopen
        monkeypatch.setattr(os, "fdopen", lambda *args, **kwargs: _FullDisk(real_fdopen(*args, **kwargs), 10))
    else:
        monkeypatch.setattr(os, failing, _full_disk)
    with pytest.raises(OSError) as info:
        write({"rows": list(range(1000))}, path)
    monkeypatch.undo()
    note = "the file was left as it was" if exists else "no file was written"
    assert (info.value.errno, info.value.filename) == (errno.ENOSPC, str(path))
    assert str(info.value) == f"[Errno {errno.ENOSPC}] {os.strerror(errno.ENOSPC)}; {note}: {str(path)!r}"
    assert [(p.name, p.read_text()) for p in tmp_path.iterdir()] == ([(name, "old")] if exists else [])


def test_a_directory_that_refuses_the_temporary_file_is_an_error_naming_the_target(tmp_path, monkeypatch):
    path = tmp_path / "payload.json"
    path.write_text("old")

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(tmp_path / ".traceable-x.tmp"))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(PermissionError) as info:
        dump(NEW, path)
    monkeypatch.undo()
    assert str(info.value) == (
        f"[Errno {errno.EACCES}] {os.strerror(errno.EACCES)} (dump writes a temporary file in its directory and "
        "renames it over the file, so the directory must be writable); the file was left as it was: "
        f"{str(path)!r}"
    )
    assert [(p.name, p.read_text()) for p in tmp_path.iterdir()] == [("payload.json", "old")]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes in read-only directories")
def test_a_read_only_directory_is_an_error_naming_the_target(tmp_path):
    path = tmp_path / "payload.json"
    path.write_text("old")
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(PermissionError) as info:
            dump(NEW, path)
    finally:
        tmp_path.chmod(0o755)
    assert info.value.filename == str(path)
    assert [(p.name, p.read_text()) for p in tmp_path.iterdir()] == [("payload.json", "old")]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_dump_to_a_named_pipe_writes_into_it(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # so that opening it to write does not block
    try:
        dump(NEW, fifo)
        received = os.read(reader, 1 << 16)
    finally:
        os.close(reader)
    assert (received, stat.S_ISFIFO(fifo.stat().st_mode)) == (dump(NEW).encode("utf-8"), True)


def test_dump_to_a_directory_is_an_error_naming_it(tmp_path):
    with pytest.raises(IsADirectoryError) as info:
        dump(NEW, tmp_path)
    assert (info.value.filename, list(tmp_path.iterdir())) == (str(tmp_path), [])
