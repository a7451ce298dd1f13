"""The public surface: what is exported, what importing costs, what type checkers see."""

from __future__ import annotations

import argparse
import subprocess
import sys
import textwrap
import typing
from pathlib import Path

import traceable
import traceable.typehint


def test_all_is_sorted_and_exactly_what_is_exported():
    assert traceable.__all__ == sorted(traceable.__all__)
    # Subpackages and submodules appear as attributes once imported (by this or another test).
    public = {name for name in vars(traceable) if not name.startswith("_")} - {
        "contrib",
        "exceptions",
        "interop",
        "typehint",
    }
    assert public == set(traceable.__all__) - {"__version__"}


def test_public_objects_show_the_public_module():
    for name in ("trace", "dump", "load", "Traceable", "TraceRecord", "DecodeError"):
        assert getattr(traceable, name).__module__ in ("traceable", "traceable.exceptions")


def test_py_typed_is_shipped():
    assert (Path(traceable.__file__).parent / "py.typed").exists()


def test_importing_traceable_imports_no_optional_library():
    code = "import sys, traceable; print(sorted(m for m in ('numpy', 'pandas', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_dumping_plain_and_stdlib_values_imports_no_optional_library():
    code = textwrap.dedent(
        """
        import sys, datetime, decimal, traceable
        traceable.load(traceable.dump({"a": [1, {2, 3}], "t": datetime.date(2024, 1, 1), "d": decimal.Decimal(1)}))
        print(sorted(m for m in ('numpy', 'pandas', 'torch') if m in sys.modules))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_typehint_exports_nni_names_and_the_search_space_helpers():
    assert traceable.typehint.__all__ == [
        "ParameterRecord",
        "Parameters",
        "SearchSpace",
        "TrialMetric",
        "TrialRecord",
        "sample_parameters",
        "validate_search_space",
    ]
    record: traceable.typehint.ParameterRecord = {"parameter_id": 1, "parameters": {"lr": 0.1}}
    assert record["parameters"] == {"lr": 0.1}
    assert traceable.typehint.TrialMetric is float


class _WithoutGet:
    """Four of the protocol's five members."""

    @property
    def trace_symbol(self) -> type:
        return dict

    @property
    def trace_args(self) -> list[object]:
        return []

    @property
    def trace_kwargs(self) -> dict[str, object]:
        return {}

    def trace_copy(self) -> _WithoutGet:
        return self


class _Foreign(_WithoutGet):
    """Implements Traceable by other means, as objects traced by NNI do."""

    def get(self) -> dict[str, object]:
        return {}


def test_traceable_is_a_runtime_checkable_protocol_matched_by_structure():
    assert typing.Protocol in traceable.Traceable.__bases__
    config = traceable.trace(argparse.Namespace)(a=1)
    record = traceable.TraceRecord(argparse.Namespace, [], {"a": 1})
    for obj in (config, record, _Foreign()):
        assert isinstance(obj, traceable.Traceable)
        assert traceable.is_traceable(obj)
    for obj in (argparse.Namespace(a=1), _WithoutGet()):
        assert not isinstance(obj, traceable.Traceable)
    # is_traceable checks the four members NNI 3.0 checks, as the encoder does: an object
    # without get() is still written as its call.
    assert not traceable.is_traceable(argparse.Namespace(a=1))
    assert traceable.is_traceable(_WithoutGet())


def test_traced_classes_and_records_are_subclasses_of_traceable_as_in_nni():
    traced = traceable.trace(argparse.Namespace)
    assert issubclass(traced, traceable.Traceable)
    assert issubclass(traceable.TraceRecord, traceable.Traceable)
    assert issubclass(_Foreign, traceable.Traceable)
    assert not issubclass(argparse.Namespace, traceable.Traceable)
    assert not issubclass(_WithoutGet, traceable.Traceable)


def test_traced_classes_keep_their_metaclass():
    # The protocol is not a base of traced classes: its metaclass would clash with theirs.
    class Meta(type):
        pass

    class WithMeta(metaclass=Meta):
        pass

    assert type(traceable.trace(WithMeta)) is Meta
    assert type(traceable.trace(argparse.Namespace)) is type
    assert type(traceable.TraceRecord) is type


def test_an_object_with_the_four_nni_members_dumps_as_its_call():
    assert traceable.dump(_WithoutGet()) == '{"__symbol__": "path:builtins.dict"}'
