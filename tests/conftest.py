from __future__ import annotations

import os
import sys
from pathlib import Path

# tests/samples.py must be importable by name: pickles refer to it, and child
# processes (spawn, forkserver, subprocess) import it again.
TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))

collect_ignore = [
    "samples.py",
    "strategies.py",
    "nni_samples.py",
    "hostile.py",
    "hostile_import.py",
    "interop_models.py",
    "typing/typed_usage.py",
]
