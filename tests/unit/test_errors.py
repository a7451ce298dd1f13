"""Errors say what is wrong, where (the JSON path), and what to do."""

from __future__ import annotations

import io
import sys
import threading

import pytest

import samples
import traceable
from traceable import DecodeError, EncodeError, PayloadTooLarge, TraceableError, dump, dump_bytes, load


def test_error_hierarchy_subclasses_the_builtins_users_catch():
    assert issubclass(EncodeError, TypeError)
    assert issubclass(EncodeError, ValueError)
    assert issubclass(PayloadTooLarge, EncodeError)
    assert issubclass(DecodeError, ValueError)
    assert issubclass(traceable.TraceError, TypeError)
    for error in (EncodeError, DecodeError, traceable.TraceError):
        assert issubclass(error, TraceableError)


def test_unencodable_value_names_its_path_through_traced_kwargs():
    lock = threading.Lock()
    model = samples.Model([samples.Layer(1), samples.Layer(2, act=lock)])
    with pytest.raises(EncodeError) as info:
        dump({"model": model})
    assert info.value.path == "$.model.__kwargs__.layers[1].__kwargs__.act"
    message = str(info.value)
    assert message.startswith("cannot encode a _thread.lock at $.model.__kwargs__.layers[1].__kwargs__.act: ")
    assert "@traceable.trace" in message


def test_payload_too_large_says_size_limit_and_what_to_do():
    big = samples.Plain(list(range(5000)))
    with pytest.raises(PayloadTooLarge) as info:
        dump({"trainer": samples.Model([big])})
    error = info.value
    assert error.path == "$.trainer.__kwargs__.layers[0]"
    assert error.limit == 4096
    assert error.size > 4096
    assert f"its pickle is {error.size:,} bytes (limit 4,096)" in str(error)
    assert "pickle_size_limit=-1" in str(error)
    assert load(dump(big, pickle_size_limit=-1)) == big


def test_bad_dict_keys_are_reported_with_their_path():
    with pytest.raises(EncodeError, match=r"the dict at \$\.a\[0\]: its keys must be str"):
        dump({"a": [{(1, 2): "x"}]})


def test_cycles_are_reported_with_their_path():
    items: list = [1]
    items.append({"back": items})
    with pytest.raises(EncodeError, match=r"at \$\[1\]\.back: it contains itself"):
        dump(items)


@pytest.mark.parametrize("caught", [TypeError, ValueError, EncodeError])
def test_compression_for_dump_is_a_type_and_value_error_pointing_to_dump_bytes(caught):
    # NNI's dump raises ValueError here, and code written for it catches that.
    with pytest.raises(caught) as info:
        dump({}, compression=9)
    assert (type(info.value), str(info.value), info.value.path) == (
        EncodeError,
        "dump writes text and takes no compression=9; to compress, use dump_bytes(obj, compression=9), "
        "which writes the gzipped bytes that load reads",
        None,
    )


def test_compression_none_is_ignored_by_dump_as_by_nni():
    assert dump({"a": 1}, compression=None) == '{"a": 1}'


@pytest.mark.parametrize("compression", [-1, 10, 42, "gzip", "9", None, 1.0, 9.5])
def test_a_bad_compression_for_dump_bytes_is_an_encode_error_listing_the_levels(compression):
    with pytest.raises(EncodeError) as info:
        dump_bytes({"a": 1}, compression=compression)
    assert (isinstance(info.value, TypeError), isinstance(info.value, ValueError), info.value.path) == (
        True,
        True,
        None,
    )
    assert str(info.value) == (
        f"dump_bytes got compression={compression!r}; it takes a gzip level from 1 to 9 (1 is fastest, 9 smallest), "
        "True (level 9), or 0 or False (not compressed: the UTF-8 text); pass one of those"
    )


@pytest.mark.parametrize("compression", [0, False])
def test_compression_0_or_false_writes_the_text_uncompressed_as_nni_does(compression, tmp_path):
    # NNI 3.0's dump_bytes returns the text itself for these; dump_bytes returns its UTF-8 bytes.
    value = {"a": [1, "é"]}
    data = dump_bytes(value, compression=compression)
    path = tmp_path / "payload.json"
    dump_bytes(value, path, compression=compression)
    assert (data, path.read_bytes(), traceable.load_bytes(data)) == (dump(value).encode("utf-8"), data, value)


def _surrogate_message(what: str, path: str, char: str) -> str:
    return (
        f"cannot encode the {what} at {path}: its character U+{ord(char):04X}, a lone surrogate, cannot be "
        f"written in utf-8; remove it, or dump with ensure_ascii=True (the default), which writes it as the "
        f"escape \\u{ord(char):04x}"
    )


SURROGATE_WRITES = {
    "dump_bytes": lambda value, tmp_path: dump_bytes(value, ensure_ascii=False),
    "dump_bytes to a path": lambda value, tmp_path: dump_bytes(value, tmp_path / "p.json.gz", ensure_ascii=False),
    "dump to a path": lambda value, tmp_path: dump(value, tmp_path / "p.json", ensure_ascii=False),
    "dump to a binary file": lambda value, tmp_path: dump(value, io.BytesIO(), ensure_ascii=False),
}


@pytest.mark.parametrize("how", SURROGATE_WRITES)
@pytest.mark.parametrize(
    ("value", "culprit"),
    [
        ({"name": "caf\udce9"}, ("string", "$.name", "\udce9")),
        ({"model": samples.Layer(1, act=["ok", "\ud800"])}, ("string", "$.model.__kwargs__.act[1]", "\ud800")),
        ({"rows": [{"k\udfff": 1}]}, ("key", '$.rows[0]["k\\udfff"]', "\udfff")),
    ],
)
def test_a_lone_surrogate_without_ensure_ascii_is_an_encode_error_with_its_path(tmp_path, how, value, culprit):
    what, path, char = culprit
    with pytest.raises(EncodeError) as info:
        SURROGATE_WRITES[how](value, tmp_path)
    error = info.value
    assert (str(error), error.path, type(error.__cause__)) == (
        _surrogate_message(what, path, char),
        path,
        UnicodeEncodeError,
    )
    assert list(tmp_path.iterdir()) == []
    assert load(dump(value)) == load(dump(value, ensure_ascii=False))  # the default escapes it


class _Pipe(io.BytesIO):
    def seekable(self) -> bool:
        return False


def test_a_lone_surrogate_late_in_the_payload_leaves_a_pipe_without_half_of_it():
    pipe = _Pipe()
    with pytest.raises(EncodeError) as info:
        dump({"ok": "x" * 100, "bad": "\udc80"}, pipe, ensure_ascii=False)
    assert (info.value.path, pipe.getvalue()) == ("$.bad", b"")


def test_a_character_a_text_file_cannot_encode_is_an_encode_error_with_its_path():
    f = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    with pytest.raises(EncodeError) as info:
        dump({"a": [1, "é"]}, f, ensure_ascii=False)
    assert (str(info.value), info.value.path) == (
        "cannot encode the string at $.a[1]: its character U+00E9 cannot be written in ascii; write to a file "
        "opened with encoding='utf-8', or dump with ensure_ascii=True (the default), which writes it as the "
        "escape \\u00e9",
        "$.a[1]",
    )


def test_failing_dump_hook_is_wrapped_with_its_path():
    class Broken:
        def _dump(self):
            raise RuntimeError("boom")

        @staticmethod
        def _load(**kwargs):
            return Broken()

    with pytest.raises(EncodeError, match=r"at \$\.x: RuntimeError: boom") as info:
        dump({"x": Broken()})
    assert isinstance(info.value.__cause__, RuntimeError)


def test_malformed_json_says_line_and_column():
    with pytest.raises(DecodeError, match="not valid JSON: Expecting value at line 2 column 11"):
        load('{"a":\n  1, "b": }')


def test_unimportable_symbol_names_its_path_and_what_to_do():
    text = '{"model": {"__symbol__": "path:samples.Model", "__kwargs__": {"layers": [{"__symbol__": "path:nowhere.Net"}]}}}'
    with pytest.raises(DecodeError) as info:
        load(text)
    assert info.value.path == "$.model.__kwargs__.layers[0]"
    assert str(info.value).startswith(
        "cannot decode the __symbol__ object at $.model.__kwargs__.layers[0]: cannot import 'nowhere.Net'"
    )
    assert "installed and importable here" in str(info.value)


def test_constructor_failure_on_load_is_wrapped_with_its_path():
    with pytest.raises(DecodeError, match=r"at \$\.x: calling Layer with the recorded arguments raised TypeError"):
        load('{"x": {"__symbol__": "path:samples.Layer", "__kwargs__": {"nope": 1}}}')


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('{"__symbol__": 3}', "a symbol name must be a string, not int"),
        ('{"__symbol__": "noDots"}', "is not a dotted path"),
        ('{"__symbol__": "path:samples.Layer", "__args__": {}}', "__args__ must be a list, not dict"),
        ('{"__nni_obj__": "%%%"}', "is not valid base64"),
        ('{"__nni_obj__": "AAAA"}', "could not be unpickled"),
        ('{"__instance_type__": "path:samples.Plain"}', "has no _load()"),
        (
            '{"__ndarray__": [1, 2], "dtype": "int64", "shape": [3]}',
            "the data has shape [2] but the shape given is [3]",
        ),
        ('{"__complex__": [1]}', "a complex number must be written as [real, imag]"),
        ('{"__enum__": {"__enum_instance_type__": ["samples", "Plain"], "name": "X"}}', "is not an Enum class"),
    ],
)
def test_malformed_markers_are_decode_errors(text, fragment):
    pytest.importorskip("numpy")
    with pytest.raises(DecodeError) as info:
        load(text)
    assert info.value.path == "$"
    assert fragment in str(info.value)


def test_load_without_payload_or_with_a_file_positionally():
    with pytest.raises(TypeError, match="load needs a payload"):
        load()
    import io

    with pytest.raises(TypeError, match=r"pass it as load\(fp=file\)"):
        load(io.StringIO("{}"))


def test_paths_go_into_sets_and_object_arrays():
    with pytest.raises(EncodeError) as info:
        dump({"a": {threading.Lock()}})
    assert info.value.path == "$.a.__set__[0]"
    np = pytest.importorskip("numpy")
    with pytest.raises(EncodeError) as info:
        dump({"a": np.array([1, threading.Lock()], dtype=object)})
    assert info.value.path == "$.a.__ndarray__[1]"


def test_a_dict_with_keys_json_cannot_take_says_where_and_points_to_the_lossless_mode():
    with pytest.raises(EncodeError) as err:
        dump({"k": {object(): 1}})
    assert err.value.path == "$.k"
    assert str(err.value) == (
        "cannot encode the dict at $.k: its keys must be str, int, float, bool or None for JSON (keys must be "
        "str, int, float, bool or None, not object); convert the keys to strings, or dump with lossless=True, "
        "which keeps keys of any type"
    )


def test_sort_keys_on_keys_without_an_order_says_which_dict_and_what_to_do(tmp_path):
    value = {"cfg": {"layers": {1: "conv", "head": "linear"}}}
    for target in (None, tmp_path / "out.json"):
        with pytest.raises(EncodeError) as err:
            dump(value, target, sort_keys=True) if target else dump(value, sort_keys=True)
        assert err.value.path == "$.cfg.layers"
        assert str(err.value) == (
            "cannot encode the dict at $.cfg.layers with sort_keys=True: its keys are of types that have no "
            "order between them ('<' not supported between instances of 'str' and 'int'); make them all "
            "strings, dump without sort_keys, or dump with lossless=True, which keeps keys of any type"
        )
    assert not (tmp_path / "out.json").exists()
    # Without sort_keys, such a dict is fine, and is not blamed for another value's error.
    assert dump({"ok": {1: "x", "b": 2}}) == '{"ok": {"1": "x", "b": 2}}'
    pd = pytest.importorskip("pandas")
    hidden = pd.DataFrame({"c": [{(1, 2): 3}]})  # a bad key where no path reaches
    with pytest.raises(EncodeError) as err:
        dump({"ok": {1: "x", "b": 2}, "frame": hidden})
    assert "sort_keys" not in str(err.value)
    assert load(dump(value, sort_keys=True, lossless=True)) == value  # keys of any type, kept as items


def test_an_iterator_is_refused_in_one_sentence_that_says_what_to_pass():
    with pytest.raises(EncodeError) as err:
        dump({"data": [(i for i in range(3))]})
    assert str(err.value) == (
        "cannot encode a generator at $.data[0]: an iterator cannot be written without consuming it; "
        "pass a list of its items instead"
    )


def test_a_bad_marker_is_located_among_nested_markers_and_repeated_keys():
    # Marker objects are counted in the order they close: inner ones first, and the
    # values of a repeated key too (the parser builds them).
    text = (
        '{"a": [{"__tuple__": [{"__complex__": [1, 2]}]}, {"k": 1, "k": {"__complex__": [3, 4]}}],'
        ' "b": {"c": [0, {"__tuple__": [{"__complex__": 5}]}]}}'
    )
    with pytest.raises(DecodeError) as info:
        load(text)
    assert info.value.path == "$.b.c[1].__tuple__[0]"


def test_a_bad_marker_nearly_as_deep_as_the_parser_goes_is_located():
    # The walk back to it is a loop, not a recursion: no depth the parser takes is too deep.
    depth = sys.getrecursionlimit() - 60
    text = '{"k": ' * depth + '[0, {"__complex__": 5}]' + "}" * depth
    with pytest.raises(DecodeError) as info:
        load(text)
    assert info.value.path == "$" + ".k" * depth + "[1]"


def test_locating_a_bad_marker_builds_nothing_and_holds_one_path():
    # The parse that finds it makes no object (each parses into None, or a token on the
    # way to the one found): memory grows with the depth only, where the parsed tree and
    # a copied path per level grew with the size and with the depth's square.
    import tracemalloc

    from traceable._locate import path_of_marker

    depth = 900
    text = '{"k": ' * depth + "[" + '{"__complex__": [1, 2]}, ' * 5000 + '{"__complex__": 5}]' + "}" * depth
    tracemalloc.start()
    try:
        path = path_of_marker(text, 5001)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert path == "$" + ".k" * depth + "[5000]"
    assert peak < 1 << 20, f"{peak:,} bytes"


@pytest.mark.parametrize(
    ("text", "rank", "path"),
    [
        ('{"__complex__": 5}', 1, "$"),
        ('[[0, [{"a": {"__complex__": 5}}]]]', 1, "$[0][1][0].a"),
        ('[{"__set__": []}, [[{"__set__": []}], [1, {"x": [[{"__set__": []}]]}]]]', 3, "$[1][1][1].x[0][0]"),
        ('{"a": {"__set__": []}, "a": [{"__set__": []}]}', 2, "$.a[0]"),
        ('[{"__complex__": 5}, nonsense]', 1, "$"),
    ],
)
def test_a_marker_is_found_by_its_rank_through_objects_and_lists(text, rank, path):
    from traceable._locate import path_of_marker

    assert path_of_marker(text, rank) == path
