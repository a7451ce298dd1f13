"""Running Python in a child process, for tests that watch what a load does from outside it."""

from __future__ import annotations

import os
from pathlib import Path

import traceable


def child_env() -> dict[str, str]:
    """This environment, with the traceable under test first on the child's path.

    The child may run in another directory (a test's tmp_path), where a relative
    PYTHONPATH would find nothing, or another checkout.
    """
    source = str(Path(traceable.__file__).resolve().parents[1])
    return dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")])))
