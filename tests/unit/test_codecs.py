"""Values with markers of their own (one-key codec objects) and register_codec."""

from __future__ import annotations

import collections
import enum
import sys
import uuid

import pytest

import samples
from traceable import DecodeError, EncodeError, PayloadTooLarge, UnsafePayloadError, audit, dump, load, register_codec
from traceable._registry import unregister

ID = uuid.UUID("12345678-1234-5678-1234-567812345678")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (ID, '{"__uuid__": "12345678-1234-5678-1234-567812345678"}'),
        (..., '{"__ellipsis__": null}'),
        (collections.deque([1, "a"]), '{"__deque__": [1, "a"]}'),
        (collections.deque([1], maxlen=4), '{"__deque__": {"items": [1], "maxlen": 4}}'),
        (
            samples.Hyper(0.1, [8, 4]),
            '{"__dataclass__": {"type": {"__nni_type__": "path:samples.Hyper"}, '
            '"fields": {"lr": 0.1, "layers": [8, 4], "steps": 20}}}',
        ),
        (
            samples.Frozen("a"),
            '{"__dataclass__": {"type": {"__nni_type__": "path:samples.Frozen"}, "fields": {"name": "a", "size": 1}}}',
        ),
    ],
)
def test_each_value_has_its_own_marker_and_round_trips_to_its_type(value, text):
    assert dump(value) == text
    loaded = load(text)
    assert loaded == value
    assert type(loaded) is type(value)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (samples.Point(1, 2), "[1, 2]"),
        (collections.Counter("aab"), '{"a": 2, "b": 1}'),
        (collections.defaultdict(list, {"k": [1]}), '{"k": [1]}'),
        (collections.OrderedDict(b=1, a=2), '{"b": 1, "a": 2}'),
    ],
)
def test_tuple_and_dict_subclasses_are_plain_containers_in_the_default_mode(value, text):
    # The JSON writer takes them before any hook sees them, as NNI's does (the lossless
    # mode keeps their types); they load as equal plain values.
    assert dump(value) == text
    assert load(text) == (list(value) if isinstance(value, tuple) else value)


def test_a_deque_keeps_its_maxlen():
    assert load(dump(collections.deque([1, 2, 3], maxlen=2))).maxlen == 2


def test_a_dataclass_is_rebuilt_through_its_init_and_keeps_later_changes():
    hyper = samples.Hyper(0.5, [1])
    hyper.steps = 99  # changed after construction: written as it is now
    loaded = load(dump(hyper))
    assert (loaded.lr, loaded.layers, loaded.steps) == (0.5, [1], 99)


def test_dataclass_fields_that_the_class_no_longer_has_are_an_error():
    text = '{"__dataclass__": {"type": {"__nni_type__": "path:samples.Frozen"}, "fields": {"name": "a", "colour": 1}}}'
    with pytest.raises(DecodeError) as err:
        load(text)
    assert str(err.value) == (
        "cannot decode the __dataclass__ object at $: ValueError: Frozen has no field(s) colour; was the class changed?"
    )


def test_a_class_that_is_not_a_dataclass_is_refused():
    text = '{"a": [{"__dataclass__": {"type": {"__nni_type__": "path:samples.Plain"}, "fields": {}}}]}'
    with pytest.raises(DecodeError, match=r"at \$\.a\[0\]: ValueError: <class 'samples\.Plain'> is not a dataclass"):
        load(text)


def test_codec_objects_take_exactly_one_key():
    with pytest.raises(DecodeError, match="a __uuid__ object has that one key, but this one also has 'x'"):
        load('{"__uuid__": "12345678-1234-5678-1234-567812345678", "x": 1}')


def test_the_safe_policy_loads_builtin_codecs_and_checks_the_classes_they_name():
    assert load(dump([ID, collections.deque([1])]), safe=True) == [ID, collections.deque([1])]
    text = dump(samples.Frozen("a"))
    with pytest.raises(UnsafePayloadError) as err:
        load(text, safe=True)
    assert err.value.symbol == "samples.Frozen"
    assert load(text, safe=True, allow=["samples.Frozen"]) == samples.Frozen("a")


@pytest.fixture
def celsius():
    register_codec(samples.Celsius, name="celsius", encode=lambda c: c.degrees, decode=samples.Celsius)
    yield
    unregister(samples.Celsius)


@pytest.mark.usefixtures("celsius")
def test_a_registered_codec_is_used_by_dump_and_load():
    text = dump({"t": [samples.Celsius(21.5)]})
    assert text == '{"t": [{"__celsius__": 21.5}]}'
    assert load(text) == {"t": [samples.Celsius(21.5)]}


@pytest.mark.usefixtures("celsius")
def test_a_registered_codec_runs_under_a_policy_only_if_its_class_is_allowed():
    text = '{"t": {"__celsius__": 3}}'
    with pytest.raises(UnsafePayloadError) as err:
        load(text, safe=True)
    assert (err.value.path, err.value.symbol, err.value.rule) == ("$.t", "samples.Celsius", "allow")
    assert load(text, safe=True, allow=["samples"]) == {"t": samples.Celsius(3)}
    [finding] = audit(text, safe=True)
    assert (finding.path, finding.action, finding.name, finding.allowed) == ("$.t", "decode", "samples.Celsius", False)


@pytest.mark.usefixtures("celsius")
def test_a_registered_codec_data_may_hold_any_value_dump_writes():
    register_codec(
        samples.Celsius, name="celsius", encode=lambda c: {"at": c.degrees}, decode=lambda d: samples.Celsius(d["at"])
    )
    value = samples.Celsius(samples.Layer(3))
    assert dump(value) == '{"__celsius__": {"at": {"__symbol__": "path:samples.Layer", "__kwargs__": {"width": 3}}}}'
    assert load(dump(value)) == value


@pytest.mark.usefixtures("celsius")
@pytest.mark.parametrize(
    ("cls", "name", "message"),
    [
        (samples.Plain, "celsius", "the name 'celsius' is taken by samples.Celsius; choose another name"),
        (samples.Celsius, "celsius2", "Celsius is registered already, under the name 'celsius'"),
        (samples.Plain, "set", r"the name 'set' is taken by a built-in marker \(__set__\)"),
        (samples.Plain, "uuid", r"the name 'uuid' is taken by a built-in marker \(__uuid__\)"),
        (samples.Plain, "tuple", r"the name 'tuple' is taken by a built-in marker \(__tuple__\)"),
        (samples.Plain, "_x", "the name '_x' must start with a letter"),
        (samples.Plain, "a b", "the name 'a b' must start with a letter"),
    ],
)
def test_register_codec_refuses_clashing_or_malformed_names(cls, name, message):
    with pytest.raises(ValueError, match=message):
        register_codec(cls, name=name, encode=str, decode=str)


def test_register_codec_takes_a_class_and_callables():
    with pytest.raises(TypeError, match="register_codec takes a class, not int"):
        register_codec(3, name="three", encode=str, decode=str)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="encode and decode must be callables"):
        register_codec(samples.Plain, name="plain", encode="str", decode=str)  # type: ignore[arg-type]


def test_an_unregistered_marker_is_plain_data():
    assert load('{"__celsius__": 3}') == {"__celsius__": 3}


def test_an_error_inside_a_dataclass_or_a_deque_says_where_in_the_text():
    with pytest.raises(PayloadTooLarge) as err:
        dump({"cfg": samples.Hyper(0.1, [1, samples.Plain(bytes(8000))])})
    assert err.value.path == "$.cfg.__dataclass__.fields.layers[1]"
    with pytest.raises(EncodeError) as err:
        dump({"queue": collections.deque([1, object()])})
    assert err.value.path == "$.queue.__deque__[1]"


class _Meters(float):
    pass


class _Bag(dict):
    pass


@pytest.mark.parametrize(
    ("cls", "message"),
    [
        (_Meters, "_Meters is a subclass of float, whose instances the JSON writer takes as they are"),
        (_Bag, "_Bag is a subclass of dict, whose instances the JSON writer takes as they are"),
        (uuid.UUID, "traceable encodes UUID already, as __uuid__"),
        (__import__("datetime").date, "traceable encodes date already, with a marker of its own"),
        (__import__("pathlib").PosixPath, "traceable encodes PosixPath already, with a marker of its own"),
    ],
)
def test_register_codec_refuses_types_it_could_never_be_used_for(cls, message):
    with pytest.raises(ValueError, match=message):
        register_codec(cls, name="mine", encode=str, decode=str)


_FLAGS = [(samples.Perm.R | samples.Perm.W, '"R|W"'), (samples.Perm(0), "null"), (samples.Perm.R, '"R"')]
if hasattr(enum, "KEEP"):  # a flag that keeps bits no member names: Python 3.11+ (3.10 refuses Bits(8))
    _FLAGS += [(samples.Bits(8), '"8"'), (samples.Bits(9), '"LOW|8"')]


@pytest.mark.parametrize(("flag", "name"), _FLAGS)
def test_composite_and_zero_flags_round_trip_in_every_mode(flag, name):
    if sys.version_info < (3, 11):  # (there, a composite flag has no name: it is written by its value)
        name = f'"{flag.value}"' if flag.value and "|" in name else name
    text = dump(flag)
    assert text == f'{{"__enum__": {{"__enum_instance_type__": ["samples", "{type(flag).__name__}"], "name": {name}}}}}'
    assert load(text) is flag
    assert load(dump(flag, lossless=True)) is flag
    assert load(text, safe=True, allow=["samples"]) is flag
    assert load(dump([flag, flag], lossless=True), safe=True, allow=["samples"]) == [flag, flag]


def test_a_flag_name_that_is_no_member_is_a_decode_error():
    text = '{"__enum__": {"__enum_instance_type__": ["samples", "Perm"], "name": "R|Q"}}'
    with pytest.raises(DecodeError, match="KeyError: 'Q'"):
        load(text)
