"""attrs classes and pydantic models, by field, like dataclasses."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import attrs
import pydantic
import pytest

import samples
from traceable import DecodeError, UnsafePayloadError, dump, load


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (
            samples.AttrsRun("a", 5, ["x"]),
            '{"__attrs__": {"type": {"__nni_type__": "path:samples.AttrsRun"}, '
            '"fields": {"name": "a", "_seed": 5, "tags": ["x"], "steps": 10}}}',
        ),
        (
            samples.AttrsPoint(3),
            '{"__attrs__": {"type": {"__nni_type__": "path:samples.AttrsPoint"}, "fields": {"x": 3, "y": 0}}}',
        ),
        (
            samples.TrainConfig(batchSize=4, shape=(2, 3), optim=samples.Optim(lr=0.1), note="hi"),
            '{"__pydantic__": {"type": {"__nni_type__": "path:samples.TrainConfig"}, "fields": {"batch_size": 4, '
            '"shape": [2, 3], "optim": {"__pydantic__": {"type": {"__nni_type__": "path:samples.Optim"}, '
            '"fields": {"name": "adam", "lr": 0.1}}}, "note": "hi"}}}',
        ),
        (
            samples.Widths([1, 2]),
            '{"__pydantic__": {"type": {"__nni_type__": "path:samples.Widths"}, "fields": {"root": [1, 2]}}}',
        ),
    ],
    ids=["attrs", "attrs frozen", "pydantic", "pydantic root model"],
)
def test_records_are_written_by_field_and_round_trip_to_their_type(value, text):
    assert dump(value) == text
    for loaded in (load(text), load(text, safe=True, allow=["samples"])):
        assert loaded == value
        assert type(loaded) is type(value)


def test_attrs_private_attributes_go_to_init_by_their_alias_and_later_changes_are_kept():
    run = samples.AttrsRun("b", seed=7, tags=["p", "q"])
    run.steps = 99  # set after construction: written as it is now
    loaded = load(dump(run))
    assert (loaded.name, loaded._seed, loaded.tags, loaded.steps) == ("b", 7, ["p", "q"], 99)


def test_frozen_attrs_classes_get_their_non_init_fields_back():
    point = samples.AttrsPoint(1)
    object.__setattr__(point, "y", 7)
    loaded = load(dump(point))
    assert (loaded.x, loaded.y) == (1, 7)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        loaded.x = 2


def test_pydantic_models_are_validated_again_by_field_name_and_keep_nested_models_and_extras():
    config = samples.TrainConfig(batchSize=8, shape=(4, 4), optim=samples.Optim(name="sgd"), seed=3)
    loaded = load(dump({"config": config}))["config"]
    assert loaded == config
    assert type(loaded.optim) is samples.Optim
    assert loaded.shape == (4, 4)  # a tuple again, although the model is strict and JSON wrote a list
    assert loaded.__pydantic_extra__ == {"seed": 3}


def test_a_pydantic_model_that_no_longer_validates_is_a_decode_error_at_its_path():
    text = dump({"c": [samples.Optim()]}).replace('"lr": 0.001', '"lr": "fast"')
    with pytest.raises(DecodeError) as info:
        load(text)
    assert info.value.path == "$.c[0]"
    assert "cannot decode the __pydantic__ object at $.c[0]: ValidationError: 1 validation error for Optim\nlr\n" in (
        str(info.value)
    )


def test_attrs_fields_that_the_class_no_longer_has_are_an_error():
    text = '{"__attrs__": {"type": {"__nni_type__": "path:samples.AttrsPoint"}, "fields": {"x": 1, "z": 2}}}'
    with pytest.raises(DecodeError) as info:
        load(text)
    assert str(info.value) == (
        "cannot decode the __attrs__ object at $: ValueError: AttrsPoint has no field(s) z; was the class changed?"
    )


@pytest.mark.parametrize(
    ("marker", "cls", "message"),
    [
        ("__attrs__", "samples.Optim", "<class 'samples.Optim'> is not an attrs class"),
        ("__pydantic__", "samples.AttrsPoint", "<class 'samples.AttrsPoint'> is not a pydantic model class"),
    ],
)
def test_a_class_of_another_kind_is_refused(marker, cls, message):
    text = '{"%s": {"type": {"__nni_type__": "path:%s"}, "fields": {}}}' % (marker, cls)  # noqa: UP031
    with pytest.raises(DecodeError, match=message):
        load(text)


def test_the_safe_policy_checks_the_record_class_like_any_import():
    text = dump(samples.AttrsPoint(1))
    with pytest.raises(UnsafePayloadError) as info:
        load(text, safe=True)
    assert (info.value.path, info.value.symbol) == ("$.__attrs__.type", "samples.AttrsPoint")


def test_an_old_pydantic_without_by_name_is_named_with_what_to_do():
    class OldStyle(pydantic.BaseModel):
        x: int = 0

        @classmethod
        def model_validate(cls, obj, *, strict=None):  # pydantic < 2.11 has no by_alias/by_name
            return super().model_validate(obj, strict=strict)

    from traceable._codecs.records import decode_pydantic

    with pytest.raises(ValueError, match=r"rebuilding a pydantic model needs pydantic 2\.11 or newer \(this is 2\."):
        decode_pydantic({"type": OldStyle, "fields": {"x": 1}})


def test_attrs_and_pydantic_are_never_imported_by_traceable():
    code = textwrap.dedent(
        """
        import dataclasses, sys, traceable

        @dataclasses.dataclass
        class Config:
            lr: float

        traceable.load(traceable.dump({"c": Config(0.1), "s": {1, 2}}))
        print(sorted(m for m in ("attr", "attrs", "pydantic") if m in sys.modules))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
