"""The README's first command runs examples/quickstart.py: keep it working."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_quickstart_ships_mutates_and_rebuilds_a_config():
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "quickstart.py")],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert '"__symbol__": "path:tinynet.RandomSearchFit"' in result.stdout
    assert "rebuilt and fitted in another process" in result.stdout
    assert "the config came back with out_features=16" in result.stdout
