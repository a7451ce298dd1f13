"""The JSON Schemas of `show --json`, `audit --json` and `diff --json` describe the real output.

The schemas are in docs/reference/schemas/ and published with the docs. Each is checked
against what the command prints, in a child process, for payloads that hold every kind of
node and every kind of finding and change.
"""

from __future__ import annotations

import argparse
import collections
import copy
import dataclasses
import datetime
import decimal
import enum
import fractions
import json
import pathlib
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

import traceable

jsonschema = pytest.importorskip("jsonschema", reason="pip install -e '.[test]' installs jsonschema")
np = pytest.importorskip("numpy", reason="pip install -e '.[test]' installs numpy")
pd = pytest.importorskip("pandas", reason="pip install -e '.[test]' installs pandas")

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "reference" / "schemas"


class Color(enum.Enum):
    RED = 1


@dataclasses.dataclass
class Point:
    x: int
    y: int


Pair = collections.namedtuple("Pair", "a b")


class Loadable:
    def __init__(self, a: int) -> None:
        self.a = a

    def _dump(self) -> dict[str, int]:
        return {"a": self.a}

    @classmethod
    def _load(cls, **fields: int) -> Loadable:
        return cls(**fields)


class Plain:
    def __init__(self) -> None:
        self.v = 1


@traceable.trace
class Net:
    def __init__(self, width: int, inner: Any = None) -> None:
        self.width = width


def everything() -> dict[str, Any]:
    return {
        "call": Net(8, inner=Net(1)),
        "function": len,
        "class": argparse.Namespace,
        "instance": Loadable(3),
        "pickle": Plain(),
        "array": np.arange(6, dtype="float32").reshape(2, 3),
        "scalar": np.float32(1.5),
        "frame": pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}),
        "series": pd.Series([1.0, 2.0], name="n"),
        "set": {1, 2},
        "frozenset": frozenset({3}),
        "dataclass": Point(1, 2),
        "deque": collections.deque([1]),
        "uuid": uuid.UUID(int=1),
        "enum": Color.RED,
        "datetime": datetime.datetime(2024, 1, 2, 3),
        "date": datetime.date(2024, 1, 2),
        "time": datetime.time(3, 4),
        "timedelta": datetime.timedelta(1),
        "decimal": decimal.Decimal("1.5"),
        "fraction": fractions.Fraction(1, 3),
        "complex": 1j,
        "path": pathlib.Path("/tmp"),
        "range": range(3),
        "slice": slice(1, 2),
        "bytes": b"ab",
        "bytearray": bytearray(b"a"),
        "nan": float("nan"),
        "none": None,
        "true": True,
        "string": "s",
        "list": [1, "a"],
    }


def lossless() -> dict[str, Any]:
    shared = [1, 2]
    return {
        "tuple": (1, 2),
        "keys": {(1, 2): shared, "again": shared},
        "ordered": collections.OrderedDict(a=1),
        "namedtuple": Pair(1, 2),
        "defaultdict": collections.defaultdict(list, a=[1]),
        "counter": collections.Counter("aab"),
    }


def write_payloads(directory: Path) -> dict[str, Path]:
    local = type("Local", (), {"__init__": lambda self, a: None})  # no import path: a pickled symbol
    texts = {
        "everything": traceable.dump(everything()),
        "compact": traceable.dump(
            {"array": np.arange(3), "records": np.zeros(2, dtype=[("id", "<i4")])}, compact_arrays=True
        ),
        "lossless": traceable.dump(lossless(), lossless=True),
        "pickled-symbol": traceable.dump({"x": traceable.trace(local)(1)}),
        # A marker a load would fail on, and a repeated key.
        "invalid": '{"bad": {"__ndarray__": "x", "dtype": 3}, "dup": 1, "dup": 2, "symbol": {"__symbol__": 3}}',
    }
    changed = everything()
    changed["call"] = Net(16)
    changed["set"] = {1, 3}
    del changed["string"]
    changed["added"] = 1
    texts["changed"] = traceable.dump(changed)
    paths = {}
    for name, text in texts.items():
        paths[name] = directory / f"{name}.json"
        paths[name].write_text(text, encoding="utf-8")
    return paths


def run(*args: str) -> Any:
    result = subprocess.run(
        [sys.executable, "-m", "traceable", *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode in (0, 1, 5), result.stderr
    return json.loads(result.stdout)


def schema(name: str) -> Any:
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))


def kinds(node: dict[str, Any]) -> set[str]:
    found = {node["kind"]}
    for child in node.get("children") or []:
        found |= kinds(child)
    return found


@pytest.fixture(scope="module")
def payloads(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_payloads(tmp_path_factory.mktemp("payloads"))


@pytest.fixture(scope="module")
def shown(payloads: dict[str, Path]) -> dict[str, Any]:
    return {name: run("show", "--json", str(path)) for name, path in payloads.items()}


def test_the_schemas_are_valid_json_schemas():
    for name in ["show", "audit", "diff"]:
        jsonschema.Draft202012Validator.check_schema(schema(name))


def test_show_json_matches_its_schema_for_every_kind_of_node(shown):
    validator = jsonschema.Draft202012Validator(schema("show"))
    for name, output in shown.items():
        errors = [f"{name}: {error.json_path}: {error.message}" for error in validator.iter_errors(output)]
        assert errors == []
    seen = set().union(*(kinds(output["root"]) for output in shown.values()))
    assert seen == set(schema("show")["$defs"]["node"]["properties"]["kind"]["enum"])


def test_the_show_schema_refuses_a_field_it_does_not_document(shown):
    output = copy.deepcopy(shown["everything"])
    output["root"]["children"][0]["weight"] = 1
    with pytest.raises(jsonschema.ValidationError, match="'weight' was unexpected"):
        jsonschema.validate(output, schema("show"))
    del output["root"]["children"][0]["weight"]
    del output["root"]["children"][0]["symbol"]  # a call's symbol is required
    with pytest.raises(jsonschema.ValidationError, match="'symbol' is a required property"):
        jsonschema.validate(output, schema("show"))


def test_audit_json_matches_its_schema_for_every_action(payloads):
    validator = jsonschema.Draft202012Validator(schema("audit"))
    outputs = [run("audit", "--json", str(path)) for path in payloads.values()]
    outputs.append(run("audit", "--json", "--allow", "argparse", str(payloads["everything"])))
    outputs.append(run("audit", "--json", "--limit", "max_depth=1", str(payloads["everything"])))
    for output in outputs:
        assert [error.message for error in validator.iter_errors(output)] == []
    actions = {finding["action"] for output in outputs for finding in output["findings"]}
    assert actions == {"call", "import", "call _load", "unpickle", "limit"}  # "decode" needs a registered codec


def test_diff_json_matches_its_schema_for_every_change(payloads):
    validator = jsonschema.Draft202012Validator(schema("diff"))
    changed = run("diff", "--json", str(payloads["everything"]), str(payloads["changed"]))
    equal = run("diff", "--json", str(payloads["lossless"]), str(payloads["lossless"]))
    for output in (changed, equal):
        assert [error.message for error in validator.iter_errors(output)] == []
    assert {change["change"] for change in changed["changes"]} == {
        "added",
        "removed",
        "changed",
        "item added",
        "item removed",
    }
    assert (equal["equal"], equal["changes"]) == (True, [])
