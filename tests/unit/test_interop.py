"""traceable.interop without the config libraries: what importing it costs, and its surface."""

from __future__ import annotations

import subprocess
import sys

import traceable.interop


def test_importing_interop_imports_no_config_library():
    code = (
        "import sys, traceable.interop, argparse, traceable\n"
        "traceable.interop.to_hydra(traceable.trace(argparse.Namespace)(a=[1]))\n"
        "traceable.interop.to_jsonargparse(traceable.trace(argparse.Namespace)(a=[1]))\n"
        "print(sorted(m for m in ('omegaconf', 'hydra', 'jsonargparse', 'yaml', 'torch', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_all_is_sorted_and_exactly_the_functions_defined_there():
    defined = [
        name
        for name, value in vars(traceable.interop).items()
        if callable(value) and not name.startswith("_") and value.__module__ == "traceable.interop"
    ]
    assert (
        traceable.interop.__all__
        == sorted(defined)
        == [
            "from_hydra",
            "from_jsonargparse",
            "to_hydra",
            "to_hydra_yaml",
            "to_jsonargparse",
            "to_jsonargparse_yaml",
        ]
    )
