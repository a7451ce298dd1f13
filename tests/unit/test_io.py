"""Paths, open files, bytes, gzip and comments."""

from __future__ import annotations

import gzip
import io
import os
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


@pytest.mark.parametrize("compression", [0, 10, "9", None])
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
