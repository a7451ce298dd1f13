"""The README's interop snippet runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("torch", reason="torch is not installed: pip install -e '.[test]' installs the CPU build")
pytest.importorskip("hydra", reason="pip install -e '.[test]' installs hydra-core")

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_interop_snippet_runs_and_prints_the_config_it_shows(capsys):
    section = README.read_text(encoding="utf-8").split("## Interop", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert code is not None
    exec(compile(code.group(1), str(README), "exec"), {"__name__": "readme"})
    shown = re.search(r"print\(text\)\n((?:# .*\n)+)", code.group(1))
    assert shown is not None
    expected = "".join(line[2:] + "\n" for line in shown.group(1).splitlines())
    assert capsys.readouterr().out == expected + "\n"
