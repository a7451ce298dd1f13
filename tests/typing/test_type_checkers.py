"""traceable's types as mypy and pyright see them, in a file written as users write."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

USAGE = Path(__file__).with_name("typed_usage.py")
BAD = """
from traceable.typehint import SearchSpace, ParameterRecord
space: SearchSpace = {"lr": {"_type": "gaussian", "_value": [0, 1]}}
record: ParameterRecord = {"parameters": {}}
"""


def test_mypy_accepts_typed_usage():
    api = pytest.importorskip("mypy.api")
    out, _, status = api.run(["--strict", "--no-incremental", "--cache-dir=/dev/null", str(USAGE)])
    assert status == 0, out


def test_mypy_rejects_a_wrong_search_space_and_an_incomplete_record(tmp_path):
    api = pytest.importorskip("mypy.api")
    bad = tmp_path / "bad.py"
    bad.write_text(BAD)
    out, _, status = api.run(["--strict", "--no-incremental", "--cache-dir=/dev/null", str(bad)])
    assert status == 1
    assert "bad.py:3: error: Incompatible types" in out
    assert 'Missing key "parameter_id"' in out


def _pyright(path: Path) -> dict:
    executable = shutil.which("pyright", path=str(Path(sys.executable).parent)) or shutil.which("pyright")
    if executable is None:
        pytest.skip("pyright is not installed: pip install -e '.[test]' installs it")
    result = subprocess.run(
        [executable, "--outputjson", str(path)], check=False, capture_output=True, text=True, timeout=300
    )
    return json.loads(result.stdout)


def test_pyright_accepts_typed_usage():
    report = _pyright(USAGE)
    errors = [d for d in report["generalDiagnostics"] if d["severity"] == "error"]
    assert errors == []
    assert report["summary"]["filesAnalyzed"] == 1


def test_pyright_rejects_a_wrong_search_space_and_an_incomplete_record(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(BAD)
    report = _pyright(bad)
    messages = [d["message"] for d in report["generalDiagnostics"] if d["severity"] == "error"]
    assert len(messages) == 2, messages
    assert any("gaussian" in m for m in messages)
    assert any("parameter_id" in m for m in messages)
