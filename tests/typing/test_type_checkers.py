"""traceable's types as mypy and pyright see them: revealed types, and the errors users should get.

``typed_usage.py`` is written as users write; each of its ``reveal_type(...)`` lines has the
exact text each checker must print in ``REVEALED``. ``ERRORS`` holds code that must fail,
each failing line marked ``# E: <mypy error code> <pyright rule>[,<pyright rule>]``, and
each checker must report exactly those errors.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

USAGE = Path(__file__).with_name("typed_usage.py")

# The argument of each reveal_type in typed_usage.py -> (mypy's text, pyright's text).
REVEALED = {
    "sample_parameters(space, seed=0)": ("dict[str, Any]", "dict[str, Any]"),
    "sample_parameters(space, random.Random(0))": ("dict[str, Any]", "dict[str, Any]"),
    # mypy prints a class object as its constructor; both keep the class and its signature.
    "Net": ("def (width: int) -> typed_usage.Net", "type[Net]"),
    "Net(3)": ("typed_usage.Net", "Net"),
    "build": ("def (width: int, depth: int =) -> typed_usage.Net", "(width: int, depth: int = 2) -> Net"),
    "build(3, depth=4)": ("typed_usage.Net", "Net"),
    "trace(argparse.Namespace)": ("def (**kwargs: Any) -> argparse.Namespace", "type[Namespace]"),
    "trace(collections.OrderedDict)(a=1)": ("collections.OrderedDict[str, int]", "OrderedDict[Unknown, int]"),
    "trace(inheritable=True)": (
        "def [_Symbol <: def (*Any, **Any) -> Any] (_Symbol) -> _Symbol",
        "(_Symbol@trace) -> _Symbol@trace",
    ),
    "trace(inheritable=True)(Net)": ("def (width: int) -> typed_usage.Net", "type[Net]"),
    "trace(kw_only=False)(build)": (
        "def (width: int, depth: int =) -> typed_usage.Net",
        "(width: int, depth: int = 2) -> Net",
    ),
    "dump(net, indent=2)": ("str", "str"),
    'dump(net, "out.json")': ("None", "None"),
    "dump_bytes(net)": ("bytes", "bytes"),
    'dump_bytes(net, "out.json.gz")': ("None", "None"),
    "load(text)": ("Any", "Any"),
    "load_bytes(data)": ("Any", "Any"),
    "is_traceable(net)": ("bool", "TypeIs[Traceable]"),
    # Narrowed by is_traceable (a TypeIs): the object's class and Traceable both.
    "net": (
        'typed_usage.<subclass of "typed_usage.Net" and "traceable._traced.Traceable">',
        "<subclass of Net and Traceable>",
    ),
    "net.width": ("int", "int"),
    "net.trace_symbol": ("Any", "Any"),
    "net.trace_args": ("list[Any]", "list[Any]"),
    "net.trace_kwargs": ("dict[str, Any]", "dict[str, Any]"),
    "net.trace_copy()": ("traceable._traced.Traceable", "Traceable"),
    "net.trace_copy().get()": ("Any", "Any"),
    'TraceRecord(Net, [], {"width": 3}).trace_copy()': ("traceable._traced.TraceRecord", "TraceRecord"),
}

ERRORS = """\
from traceable import dump, trace
from traceable.typehint import ParameterRecord, SearchSpace


@trace
class Net:
    def __init__(self, width: int) -> None:
        self.width = width


@trace
def build(width: int, depth: int = 2) -> Net:
    return Net(width * depth)


build("wide")  # E: arg-type reportArgumentType
build(3, height=1)  # E: call-arg reportCallIssue
Net(width="wide")  # E: arg-type reportArgumentType
trace(kw_only=False)(build)("wide")  # E: arg-type reportArgumentType
trace(3)  # E: call-overload reportCallIssue,reportArgumentType
trace(kw_only=False)("build")  # E: type-var reportArgumentType
text: str = dump(Net(3), "out.json")  # E: assignment reportAssignmentType
Net(3).trace_kwargs  # E: attr-defined reportAttributeAccessIssue
space: SearchSpace = {"lr": {"_type": "gaussian", "_value": [0, 1]}}  # E: typeddict-item reportAssignmentType
record: ParameterRecord = {"parameters": {}}  # E: typeddict-item reportAssignmentType
"""


def reveal_lines(source: str) -> dict[int, str]:
    """Line number -> the argument of the reveal_type call on that line."""
    found = {}
    for number, line in enumerate(source.splitlines(), 1):
        match = re.search(r"reveal_type\((.*)\)\s*$", line)
        if match:
            found[number] = match.group(1)
    return found


def expected_errors(source: str) -> tuple[set[tuple[int, str]], set[tuple[int, str]]]:
    """(line, mypy code) and (line, pyright rule) pairs from the ``# E:`` marks."""
    mypy, pyright = set(), set()
    for number, line in enumerate(source.splitlines(), 1):
        match = re.search(r"# E: (\S+) (\S+)$", line)
        if match:
            mypy.add((number, match.group(1)))
            pyright.update((number, rule) for rule in match.group(2).split(","))
    return mypy, pyright


def run_mypy(path: Path) -> tuple[list[tuple[int, str]], dict[int, str]]:
    """mypy --strict on ``path``: its (line, error code) pairs and its revealed types by line."""
    api = pytest.importorskip("mypy.api")
    out, err, _ = api.run(["--strict", "--no-incremental", "--cache-dir=/dev/null", "--show-error-codes", str(path)])
    errors, revealed = [], {}
    for line in out.splitlines():
        match = re.match(r".*?:(\d+): (error|note): (.*)$", line)
        if match is None:
            continue
        number, kind, message = int(match.group(1)), match.group(2), match.group(3)
        if kind == "error":
            code = re.search(r"\[([a-z-]+)\]$", message)
            errors.append((number, code.group(1) if code else message))
        elif reveal := re.fullmatch(r'Revealed type is "(.*)"', message):
            revealed[number] = reveal.group(1)
    assert out.strip(), err
    return errors, revealed


def run_pyright(path: Path) -> tuple[list[tuple[int, str]], dict[int, str]]:
    """pyright on ``path``: its (line, rule) errors and its revealed types by line."""
    executable = shutil.which("pyright", path=str(Path(sys.executable).parent)) or shutil.which("pyright")
    if executable is None:
        pytest.skip("pyright is not installed: pip install -e '.[test]' installs it")
    result = subprocess.run(
        [executable, "--outputjson", "--pythonpath", sys.executable, str(path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(result.stdout)
    assert report["summary"]["filesAnalyzed"] == 1
    errors, revealed = [], {}
    for diagnostic in report["generalDiagnostics"]:
        number = diagnostic["range"]["start"]["line"] + 1
        if diagnostic["severity"] == "error":
            errors.append((number, diagnostic.get("rule", diagnostic["message"])))
        elif reveal := re.fullmatch(r'Type of ".*" is "(.*)"', diagnostic["message"], re.DOTALL):
            revealed[number] = reveal.group(1)
    return errors, revealed


@pytest.fixture(scope="module")
def errors_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("typing") / "typed_errors.py"
    path.write_text(ERRORS)
    return path


@pytest.mark.parametrize("checker", ["mypy", "pyright"])
def test_typed_usage_has_no_errors_and_reveals_the_expected_types(checker):
    errors, revealed = (run_mypy if checker == "mypy" else run_pyright)(USAGE)
    assert errors == []
    expressions = reveal_lines(USAGE.read_text())
    assert sorted(expressions.values()) == sorted(REVEALED)  # every reveal has its expectation
    column = 0 if checker == "mypy" else 1
    assert {expressions[number]: text for number, text in revealed.items()} == {
        expression: texts[column] for expression, texts in REVEALED.items()
    }


@pytest.mark.parametrize("checker", ["mypy", "pyright"])
def test_each_misuse_is_an_error_and_nothing_else_is(checker, errors_file):
    errors, _ = (run_mypy if checker == "mypy" else run_pyright)(errors_file)
    expected_mypy, expected_pyright = expected_errors(ERRORS)
    assert set(errors) == (expected_mypy if checker == "mypy" else expected_pyright)
