"""The public surface: what is exported, what importing costs, what type checkers see."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import traceable
import traceable.typehint


def test_all_is_sorted_and_exactly_what_is_exported():
    assert traceable.__all__ == sorted(traceable.__all__)
    # Subpackages and submodules appear as attributes once imported (by this or another test).
    public = {name for name in vars(traceable) if not name.startswith("_")} - {"contrib", "exceptions", "typehint"}
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


def test_typehint_exports_nni_names():
    assert traceable.typehint.__all__ == ["ParameterRecord", "Parameters", "SearchSpace", "TrialMetric", "TrialRecord"]
    record: traceable.typehint.ParameterRecord = {"parameter_id": 1, "parameters": {"lr": 0.1}}
    assert record["parameters"] == {"lr": 0.1}
    assert traceable.typehint.TrialMetric is float
