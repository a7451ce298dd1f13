"""The command line, run as users run it: the installed `traceable` script and `python -m traceable`,
in a child process, with files, pipes, gzip and a terminal."""

from __future__ import annotations

import gzip
import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import traceable

SCRIPT = Path(sys.executable).parent / "traceable"
ENTRY_POINTS = {"script": [str(SCRIPT)], "module": [sys.executable, "-m", "traceable"]}

# A hand-written payload: every kind of value show draws, and things a safe load refuses.
PAYLOAD = (
    '{"model": {"__symbol__": "path:samples.Model", "__kwargs__": {"layers": ['
    '{"__symbol__": "path:samples.Layer", "__kwargs__": {"width": 64}}, '
    '{"__symbol__": "path:samples.Layer", "__kwargs__": {"width": 32, "act": '
    '{"__enum__": {"__enum_instance_type__": ["samples", "Color"], "name": "RED"}}}}], "name": "net"}}, '
    '"optimizer": {"__symbol__": "path:samples.Positional", "__args__": [1, 2]}, '
    '"weights": {"__ndarray__": [[0.0, 0.5], [1.0, 1.5]], "dtype": "float32", "shape": [2, 2], "Corder": true}, '
    '"started": {"__datetime__": null, "year": 2024, "month": 5, "day": 17, "hour": 9, "tzinfo": "UTC", '
    '"is_dst": false}, '
    '"tags": {"__set__": ["a", "b"]}, '
    '"rounding": {"__nni_type__": "path:math.floor"}, '
    '"cache": {"__nni_obj__": "gASVCAAAAAAAAACMBHRlc3SULg==", "python": "3.11", "cloudpickle": "3.1.1"}, '
    '"lr": 0.001, "note": null}'
)

SHOWN = """\
object (9 keys)
├── model: call samples.Model
│   ├── layers: array (2 items)
│   │   ├── [0]: call samples.Layer(width=64)
│   │   └── [1]: call samples.Layer
│   │       ├── width: 32
│   │       └── act: enum samples.Color.RED
│   └── name: "net"
├── optimizer: call samples.Positional(1, 2)
├── weights: ndarray float32 [2, 2] = [[0.0, 0.5], [1.0, 1.5]]
├── started: datetime 2024-05-17T09:00:00+00:00
├── tags: set {"a", "b"}
├── rounding: class or function math.floor
├── cache: pickled object (19 bytes, Python 3.11, cloudpickle 3.1.1)
├── lr: 0.001
└── note: null
"""

AUDITED = """\
$.model: call samples.Model - allowed (allow prefix 'samples')
$.model.__kwargs__.layers[0]: call samples.Layer - allowed (allow prefix 'samples')
$.model.__kwargs__.layers[1]: call samples.Layer - allowed (allow prefix 'samples')
$.model.__kwargs__.layers[1].__kwargs__.act: import samples.Color - allowed (allow prefix 'samples')
$.optimizer: call samples.Positional - allowed (allow prefix 'samples')
$.rounding: import math.floor - REFUSED (allow)
$.cache: unpickle a pickled object, 19 bytes - REFUSED (allow_pickle)
7 findings, 2 refused, under the safe policy (allowing samples)
"""


def run(
    *args: str,
    stdin: bytes | str | None = None,
    entry: str = "module",
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
):
    """The command's exit status, stdout and stderr (text)."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    environment = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    environment.update(env or {})
    result = subprocess.run(
        [*ENTRY_POINTS[entry], *args],
        input=data,
        capture_output=True,
        timeout=120,
        env=environment,
        cwd=cwd,
        check=False,
    )
    return result.returncode, result.stdout.decode(), result.stderr.decode()


@pytest.fixture
def payload(tmp_path: Path) -> Path:
    path = tmp_path / "payload.json"
    path.write_text(PAYLOAD)
    return path


def test_the_console_script_is_installed_next_to_the_interpreter():
    assert SCRIPT.is_file()
    assert os.access(SCRIPT, os.X_OK)


@pytest.mark.parametrize("entry", ["script", "module"])
def test_show_draws_a_payload_as_a_tree_from_a_file_and_from_stdin(payload, entry):
    assert run("show", str(payload), entry=entry) == (0, SHOWN, "")
    assert run("show", "-", stdin=PAYLOAD, entry=entry) == (0, SHOWN, "")


def test_show_reads_gzipped_payloads_from_files_and_pipes(tmp_path):
    path = tmp_path / "payload.json.gz"
    path.write_bytes(gzip.compress(PAYLOAD.encode()))
    assert run("show", str(path)) == (0, SHOWN, "")
    assert run("show", "-", stdin=gzip.compress(PAYLOAD.encode())) == (0, SHOWN, "")


def test_show_never_imports_calls_or_unpickles(tmp_path):
    hostile = {
        "touch": {"__symbol__": "path:pathlib.Path.touch", "__args__": ["ran"]},
        "imports": {"__nni_type__": "path:antigravity.fly"},
    }
    assert run("show", "-", stdin=json.dumps(hostile), cwd=tmp_path) == (
        0,
        'object (2 keys)\n├── touch: call pathlib.Path.touch("ran")\n└── imports: class or function antigravity.fly\n',
        "",
    )
    assert not (tmp_path / "ran").exists()


def test_show_json_is_the_documented_tree():
    text = '{"net": {"__symbol__": "path:m.Net", "__args__": [3], "__kwargs__": {"w": [1, 2]}}, "x": NaN}'
    code, out, err = run("show", "--json", "-", stdin=text)
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "format": "traceable.show",
        "version": 1,
        "source": "-",
        "root": {
            "key": None,
            "path": "$",
            "kind": "object",
            "summary": "object (2 keys)",
            "children": [
                {
                    "key": "net",
                    "path": "$.net",
                    "kind": "call",
                    "summary": "call m.Net",
                    "symbol": "m.Net",
                    "pickled_size": None,
                    "children": [
                        {"key": 0, "path": "$.net.__args__[0]", "kind": "number", "summary": "3", "value": 3},
                        {
                            "key": "w",
                            "path": "$.net.__kwargs__.w",
                            "kind": "array",
                            "summary": "[1, 2]",
                            "children": [
                                {
                                    "key": 0,
                                    "path": "$.net.__kwargs__.w[0]",
                                    "kind": "number",
                                    "summary": "1",
                                    "value": 1,
                                },
                                {
                                    "key": 1,
                                    "path": "$.net.__kwargs__.w[1]",
                                    "kind": "number",
                                    "summary": "2",
                                    "value": 2,
                                },
                            ],
                        },
                    ],
                },
                {"key": "x", "path": "$.x", "kind": "number", "summary": "NaN", "value": "NaN"},
            ],
        },
    }


def test_show_draws_what_the_library_writes_natively_and_in_the_lossless_mode():
    import collections
    import datetime as dt
    import uuid
    from fractions import Fraction

    import samples

    shared = [1, 2]
    value = {
        "pair": (1, "a"),
        "keys": {1: "one"},
        "twice": [shared, shared],
        "queue": collections.deque([3]),
        "id": uuid.UUID(int=7),
        "point": samples.Point(1, 2),
        "third": Fraction(1, 3),
        "span": dt.timedelta(days=1, seconds=2),
        "raw": b"\x00\x01",
        "array": np.arange(3, dtype=np.int16),
    }
    code, out, err = run("show", "-", stdin=traceable.dump(value, lossless=True, compact_arrays=True))
    assert (code, err) == (0, "")
    assert out == (
        "lossless payload (format 1)\n"
        "└── value: object (10 keys)\n"
        '    ├── pair: tuple (1, "a")\n'
        "    ├── keys: dict (1 pair, keys of any type)\n"
        '    │   └── [0]: [1, "one"]\n'
        "    ├── twice: array (2 items)\n"
        "    │   ├── [0]: [1, 2] (shared as #1)\n"
        "    │   └── [1]: the same object as #1\n"
        "    ├── queue: deque [3]\n"
        '    ├── id: uuid "00000000-0000-0000-0000-000000000007"\n'
        "    ├── point: named tuple samples.Point(x=1, y=2)\n"
        "    ├── third: fraction 1/3\n"
        "    ├── span: timedelta 1 day, 0:00:02\n"
        "    ├── raw: bytes (2 bytes)\n"
        "    └── array: ndarray int16 [3] (base64, 6 bytes)\n"
    )


def test_show_marks_what_a_load_would_fail_on_or_drop():
    text = '{"a": 1, "a": 2, "when": {"__datetime__": null, "year": "x"}, "f": {"__symbol__": 5}}'
    assert run("show", "-", stdin=text) == (
        0,
        "object (4 keys)\n"
        "├── a: 1 (repeated key: a load keeps only the last value)\n"
        "├── a: 2\n"
        "├── when: invalid __datetime__ object: 'str' object cannot be interpreted as an integer\n"
        "│   ├── __datetime__: null\n"
        '│   └── year: "x"\n'
        "└── f: invalid __symbol__ object: a symbol must be a name such as 'path:mod.Name', not a number\n"
        "    └── __symbol__: 5\n",
        "",
    )


def test_show_draws_at_most_max_items_of_a_list():
    text = json.dumps({"rows": [[i, "x" * 40] for i in range(5)]})
    code, out, _ = run("show", "--max-items", "2", "-", stdin=text)
    assert (code, out) == (
        0,
        'object (1 key)\n└── rows: array (5 items)\n    ├── [0]: [0, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"]\n'
        '    ├── [1]: [1, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"]\n    └── … 3 more\n',
    )
    assert run("show", "--max-items", "0", "-", stdin=text)[1].count("\n") == 7


def _on_a_terminal(*args: str, env: dict[str, str]) -> str:
    # stdout is a pseudo-terminal, as in an interactive shell.
    main, child = pty.openpty()
    environment = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    environment.update(env)
    command = [*ENTRY_POINTS["module"], *args]
    with subprocess.Popen(command, stdout=child, stderr=subprocess.PIPE, env=environment) as process:
        os.close(child)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the child closed its end
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(main)
        assert process.stderr is not None
        assert process.stderr.read() == b""
    assert process.returncode == 0
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_colour_on_a_terminal_only_and_never_with_no_color(payload):
    coloured = _on_a_terminal("show", str(payload), env={"TERM": "xterm"})
    assert "\x1b[36mcall samples.Model\x1b[0m" in coloured
    assert "\x1b[31mpickled object (19 bytes, Python 3.11, cloudpickle 3.1.1)\x1b[0m" in coloured
    plain = _on_a_terminal("show", str(payload), env={"TERM": "xterm", "NO_COLOR": "1"})
    assert plain == SHOWN
    assert run("show", str(payload)) == (0, SHOWN, "")  # piped
    forced = run("show", "--color", "always", str(payload))[1]
    assert forced != SHOWN
    assert "\x1b[1mmodel\x1b[0m" in forced


def test_audit_lists_what_a_load_would_run_and_exits_5_on_a_refusal(payload):
    assert run("audit", str(payload), "--allow", "samples") == (
        5,
        AUDITED,
        "hint: if you trust it, allow it: --allow math.floor\n"
        "hint: unpickling runs arbitrary code; only if you trust the payload's source, pass --trust\n",
    )
    code, out, err = run("audit", str(payload), "--trust")
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "7 findings, all allowed, under the trusting policy (any import, any pickle)"
    plain = '{"a": [1, {"__set__": [2]}]}'
    assert run("audit", "-", stdin=plain) == (
        0,
        "nothing to import, call or unpickle, and within the limits, under the safe policy "
        "(allowing nothing but natively encoded values)\n",
        "",
    )


def test_audit_json_gives_every_finding_and_the_policy(payload):
    code, out, err = run("audit", "--json", str(payload), "--allow", "samples", "--limit", "max_depth=50")
    assert (code, err) == (5, "")
    report = json.loads(out)
    assert report["policy"] == {
        "allow": ["samples"],
        "allow_pickle": False,
        "deny": [],
        "max_size": 16 << 20,
        "max_decompressed_size": 16 << 20,
        "max_depth": 50,
        "max_string_length": 16 << 20,
        "max_number_length": 1000,
        "max_array_elements": 100_000_000,
        "max_array_bytes": 256 << 20,
        "max_total_array_bytes": 256 << 20,
        "max_shared_copies": 1_000_000,
    }
    assert {key: report[key] for key in ("format", "version", "source", "allowed")} == {
        "format": "traceable.audit",
        "version": 1,
        "source": str(payload),
        "allowed": False,
    }
    assert report["findings"][-2:] == [
        {
            "path": "$.rounding",
            "action": "import",
            "name": "math.floor",
            "size": 0,
            "allowed": False,
            "rule": "allow",
            "detail": "import math.floor",
            "reason": "",
        },
        {
            "path": "$.cache",
            "action": "unpickle",
            "name": None,
            "size": 19,
            "allowed": False,
            "rule": "allow_pickle",
            "detail": "unpickle a pickled object, 19 bytes",
            "reason": "",
        },
    ]
    assert len(report["findings"]) == 7


def test_a_gzip_bomb_is_refused_without_being_inflated(tmp_path):
    bomb = tmp_path / "bomb.json.gz"
    bomb.write_bytes(gzip.compress(b"[" + b" " * (64 << 20) + b"1]", compresslevel=9))
    assert bomb.stat().st_size < 200_000
    code, out, err = run("audit", str(bomb))
    assert code == 5
    assert "REFUSED (max_decompressed_size)" in out
    assert err == (
        "hint: if the payload is legitimate, raise the limit: --limit max_decompressed_size=N "
        "(or max_decompressed_size=none)\n"
    )
    code, out, err = run("show", str(bomb))
    assert (code, out) == (5, "")
    assert err.startswith(f"traceable show: error: {bomb}: refused the payload: the unzipped payload's size is")
    assert run("show", str(bomb), "--limit", "max_decompressed_size=128MiB") == (0, "[1]\n", "")


def test_build_loads_safely_by_default_and_prints_the_object(tmp_path):
    import samples

    text = traceable.dump({"model": samples.Model([samples.Layer(3)], name="tiny"), "when": {1, 2}})
    assert run("build", "-", "--allow", "samples", stdin=text) == (
        0,
        "{'model': Model({'layers': [Layer({'width': 3, 'dropout': 0.1, 'act': None})], 'head': None, "
        "'name': 'tiny'}),\n 'when': {1, 2}}\n",
        "",
    )
    hostile = json.dumps({"x": {"__symbol__": "path:pathlib.Path.touch", "__args__": ["ran"]}})
    code, out, err = run("build", "-", "--allow", "samples", stdin=hostile, cwd=tmp_path)
    assert (code, out) == (5, "")
    assert err == (
        "traceable build: error: <stdin>: refused the payload at $.x: it would call pathlib.Path.touch, which the "
        "load policy does not allow (allow); if you trust it, add it: load(..., safe=True, "
        "allow=['pathlib.Path.touch'])\nhint: if you trust it, allow it: --allow pathlib.Path.touch\n"
    )
    assert not (tmp_path / "ran").exists()
    # Path.touch returns None: a traced function's None is the record of its call.
    assert run("build", "-", "--trust", stdin=hostile, cwd=tmp_path) == (
        0,
        "{'x': TraceRecord(Path.touch, self='ran')}\n",
        "",
    )
    assert (tmp_path / "ran").exists()


def test_build_names_the_file_and_path_of_a_value_that_cannot_be_rebuilt(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"layer": {"__symbol__": "path:samples.Layer", "__kwargs__": {"depth": 1}}}')
    code, out, err = run("build", str(path), "--allow", "samples")
    assert (code, out) == (4, "")
    assert err.startswith(
        f"traceable build: error: {path}: cannot decode the __symbol__ object at $.layer: calling Layer with the "
        "recorded arguments raised TypeError:"
    )
    assert "Traceback" not in err


def test_convert_writes_nni_and_lossless_payloads(tmp_path):
    import samples

    value = {"model": samples.Model([samples.Layer(3)]), "shape": (2, 3)}
    source = tmp_path / "run.json.gz"
    traceable.dump_bytes(value, source, lossless=True)
    out = tmp_path / "run.json"
    assert run("convert", str(source), "--to", "nni", "-o", str(out), "--allow", "samples") == (0, "", "")
    assert out.read_text() == traceable.dump(value) + "\n"
    assert traceable.load(fp=out) == {"model": samples.Model([samples.Layer(3)]), "shape": [2, 3]}
    code, text, err = run("convert", str(source), "--to", "lossless", "--indent", "1", "--allow", "samples")
    assert (code, err) == (0, "")
    assert text == traceable.dump(value, lossless=True, indent=1) + "\n"
    assert traceable.load(text) == value


def test_convert_writes_nothing_when_the_target_cannot_hold_the_object(tmp_path):
    source = tmp_path / "keys.json"
    traceable.dump({"grid": {(0, 1): "x"}}, source, lossless=True)
    out = tmp_path / "out.json"
    code, text, err = run("convert", str(source), "--to", "nni", "-o", str(out))
    assert (code, text) == (6, "")
    assert err.startswith(
        f"traceable convert: error: {source}: cannot write it as nni: cannot encode the dict at $.grid"
    )
    assert not out.exists()


HYDRA = """\
model:
  _target_: samples.Model
  _convert_: all
  layers:
  - _target_: samples.Layer
    width: 64
  - _target_: samples.Layer
    width: 32
    dropout: 0.5
  name: tiny
seed: 7
"""

JSONARGPARSE = """\
model:
  class_path: samples.Model
  init_args:
    layers:
    - class_path: samples.Layer
      init_args:
        width: 64
    - class_path: samples.Layer
      init_args:
        width: 32
        dropout: 0.5
    name: tiny
seed: 7
"""


def _config_value():
    import samples

    return {"model": samples.Model([samples.Layer(64), samples.Layer(32, dropout=0.5)], name="tiny"), "seed": 7}


def test_convert_writes_hydra_configs_that_hydra_instantiates_and_reads_them_back(tmp_path):
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    source = tmp_path / "run.json"
    traceable.dump(_config_value(), source)
    config = tmp_path / "model.yaml"
    assert run("convert", str(source), "--to", "hydra", "-o", str(config), "--allow", "samples") == (0, "", "")
    assert config.read_text() == HYDRA
    assert instantiate(OmegaConf.load(config).model) == _config_value()["model"]
    back = run("convert", str(config), "--from", "hydra", "--to", "nni", "--allow", "samples")
    assert back == (0, source.read_text() + "\n", "")
    code, out, err = run("convert", str(config), "--from", "hydra", "--to", "nni")
    assert (code, out) == (5, "")
    assert err.endswith("hint: if you trust it, allow it: --allow samples.Layer\n")


def test_convert_writes_jsonargparse_configs_and_reads_them_back(tmp_path):
    source = tmp_path / "run.json"
    traceable.dump(_config_value(), source)
    assert run("convert", str(source), "--to", "jsonargparse", "--allow", "samples") == (0, JSONARGPARSE, "")
    assert run("convert", "-", "--from", "jsonargparse", "--to", "nni", "--allow", "samples", stdin=JSONARGPARSE) == (
        0,
        source.read_text() + "\n",
        "",
    )


def test_convert_leaves_out_what_omit_names_making_its_call_a_partial(tmp_path):
    import samples

    source = tmp_path / "run.json"
    traceable.dump({"layer": samples.Layer(8, act=samples.Color.RED)}, source)
    code, out, err = run("convert", str(source), "--to", "hydra", "--allow", "samples")
    assert (code, out) == (6, "")
    assert err.startswith(
        f"traceable convert: error: {source}: cannot write it as hydra: cannot export a samples.Color"
    )
    assert err.endswith("hint: to leave a value out, --omit PATH (its call becomes a partial)\n")
    assert run("convert", str(source), "--to", "hydra", "--allow", "samples", "--omit", "$.layer.act") == (
        0,
        "layer:\n  _target_: samples.Layer\n  _partial_: true\n  width: 8\n",
        "",
    )


def test_diff_exits_0_when_equal_and_1_with_the_changes_by_path(tmp_path):
    import samples

    before = {"model": samples.Model([samples.Layer(64), samples.Layer(32)]), "lr": 0.1, "tags": {"a", "b"}}
    after = {
        "model": samples.Model([samples.Layer(64), samples.Layer(48), samples.Layer(32)], name="wide"),
        "tags": {"a", "c"},
        "seed": 7,
    }
    a, b = tmp_path / "a.json", tmp_path / "b.json.gz"
    traceable.dump(before, a)
    traceable.dump_bytes(after, b)
    assert run("diff", str(a), str(a)) == (0, "", "")
    assert run("diff", str(a), "-", stdin=traceable.dump(before, indent=2)) == (0, "", "")
    assert run("diff", str(a), str(b)) == (
        1,
        "+ $.model.__kwargs__.layers[1]: call samples.Layer(width=48)\n"
        '+ $.model.__kwargs__.name: "wide"\n'
        "- $.lr: 0.1\n"
        '- $.tags: item "b"\n'
        '+ $.tags: item "c"\n'
        "+ $.seed: 7\n",
        "",
    )


def test_diff_compares_arrays_by_content_whatever_their_form(tmp_path):
    weights = np.arange(6, dtype=np.float32).reshape(2, 3)
    changed = weights.copy()
    changed[1, 0] = 9.5
    a, b, c = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"
    traceable.dump({"w": weights}, a)
    traceable.dump({"w": weights}, b, compact_arrays=True)
    traceable.dump({"w": changed}, c, compact_arrays=True)
    assert run("diff", str(a), str(b)) == (0, "", "")
    assert run("diff", str(a), str(c)) == (
        1,
        "~ $.w: ndarray float32 [2, 3]: 1 of 6 elements differ, first at [1, 0]: 3.0 -> 9.5\n",
        "",
    )


def test_diff_json_lists_every_change(tmp_path):
    b = tmp_path / "b.json"
    b.write_text('{"a": 2, "c": [1]}')
    code, out, err = run("diff", "--json", "-", str(b), stdin='{"a": 1, "b": true}')
    assert (code, err) == (1, "")
    assert json.loads(out) == {
        "format": "traceable.diff",
        "version": 1,
        "a": "-",
        "b": str(b),
        "equal": False,
        "changes": [
            {"path": "$.a", "change": "changed", "old": "1", "new": "2", "detail": "1 -> 2"},
            {"path": "$.b", "change": "removed", "old": "true", "new": None, "detail": "true"},
            {"path": "$.c", "change": "added", "old": None, "new": "[1]", "detail": "[1]"},
        ],
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "the following arguments are required: COMMAND"),
        (("show",), "the following arguments are required: FILE"),
        (("frobnicate", "x"), "invalid choice: 'frobnicate'"),
        (("show", "x", "--limit", "depth"), "argument --limit: expected NAME=N with NAME one of max_size,"),
        (("show", "x", "--limit", "max_size=0"), "max_size takes a positive integer, optionally in KiB, MiB or GiB"),
        (("show", "x", "--max-items", "\u00b2"), "argument --max-items: expected a whole number, not '\u00b2'"),
        (("show", "x", "--max-items", "-1"), "argument --max-items: expected a whole number, not '-1'"),
        (("audit", "x", "--trust", "--allow", "m"), "--allow extends the safe policy; --trust allows everything"),
        (("audit", "x", "--trust", "--safe"), "argument --safe: not allowed with argument --trust"),
        (("convert", "x", "--to", "yaml"), "argument --to: invalid choice: 'yaml'"),
        (("convert", "x", "--to", "hydra", "--indent", "2"), "--indent applies to --to nni and lossless (JSON)"),
        (("convert", "x", "--to", "nni", "--omit", "$.a"), "--omit applies to --to hydra and --to jsonargparse"),
        (("diff", "-", "-"), "only one of A and B can be - (stdin)"),
    ],
)
def test_usage_errors_exit_2_with_the_usage(args, message):
    code, out, err = run(*args)
    assert (code, out) == (2, "")
    assert err.startswith("usage: traceable")
    assert message in err


@pytest.mark.parametrize("entry", ["script", "module"])
def test_unreadable_and_malformed_payloads_exit_3_and_4_without_a_traceback(tmp_path, entry):
    missing = tmp_path / "missing.json"
    assert run("show", str(missing), entry=entry) == (
        3,
        "",
        f"traceable show: error: cannot read {missing}: No such file or directory\n",
    )
    assert run("build", "-", stdin="{'a': 1}", entry=entry) == (
        4,
        "",
        "traceable build: error: <stdin>: the payload is not valid JSON: Expecting property name enclosed in "
        "double quotes at line 1 column 2\n",
    )
    assert run("show", "-", stdin=b"\x1f\x8b\x08 not gzip", entry=entry)[::2] == (
        4,
        "traceable show: error: <stdin>: the payload is not valid gzip: Error -3 while decompressing data: "
        "unknown header flags set\n",
    )


def test_a_reader_that_leaves_early_gets_no_traceback(tmp_path):
    path = tmp_path / "big.json"
    traceable.dump({"rows": [[i] for i in range(100_000)]}, path)
    command = [*ENTRY_POINTS["module"], "show", "--max-items", "0", str(path)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        assert process.stdout.readline() == b"object (1 key)\n"
        process.stdout.close()  # as `| head -1` does
        assert process.wait(timeout=120) == 141
        assert process.stderr.read() == b""


@pytest.mark.parametrize("command", ["show", "audit", "build", "convert", "diff"])
def test_every_command_has_help_with_examples_and_exit_statuses(command):
    code, out, err = run(command, "--help")
    assert (code, err) == (0, "")
    assert out.startswith(f"usage: traceable {command} ")
    assert f"\nexamples:\n  traceable {command} " in out
    assert "\nexit status:\n  0  success" in out
    assert "  5  the load policy refuses the payload" in out


def test_version():
    assert run("--version") == (0, f"traceable {traceable.__version__}\n", "")


# Names an attacker chose: a symbol, keyword arguments and an enum member that hide text on a terminal.
SPOOF = (
    '{"run": {"__symbol__": "path:os.system - allowed\\u001b[8m", "__args__": ["rm -rf ~"], '
    '"__kwargs__": {"shell\\u001b[8m": true, "mode": {"__enum__": '
    '{"__enum_instance_type__": ["m", "Mode"], "name": "A\\u001b[8m"}}}}, '
    '"fold": {"__symbol__": "path:m.f", "__kwargs__": {"a\\u009b8m": 1}}}'
)


@pytest.mark.parametrize("color", ["never", "always"])
def test_names_from_the_payload_are_printed_with_their_control_characters_escaped(tmp_path, color):
    path = tmp_path / "spoof.json"
    path.write_text(SPOOF)
    code, out, err = run("show", "--color", color, str(path))
    plain = (
        "object (2 keys)\n"
        "├── run: call os.system - allowed\\x1b[8m\n"
        '│   ├── [0]: "rm -rf ~"\n'
        '│   ├── "shell\\u001b[8m": true\n'
        "│   └── mode: enum m.Mode.A\\x1b[8m\n"
        "└── fold: call m.f(a\\x9b8m=1)\n"
    )
    if color == "never":
        assert (code, out, err) == (0, plain, "")
    else:
        assert (code, err) == (0, "")
        assert re.sub(r"\x1b\[[0-9;]*m", "", out) == plain  # the only escapes: the colours
        assert "\x1b[36mcall os.system - allowed\\x1b[8m\x1b[0m" in out
        assert '\x1b[1m"shell\\u001b[8m"\x1b[0m' in out
    code, out, err = run("audit", "--color", color, str(path))
    refused = "\x1b[31;1mREFUSED (allow)\x1b[0m" if color == "always" else "REFUSED (allow)"
    bold = ("\x1b[1m", "\x1b[0m") if color == "always" else ("", "")
    assert (code, out, err) == (
        5,
        f"{bold[0]}$.run{bold[1]}: call os.system - allowed\\x1b[8m - {refused}: not in the allow list, and denied as 'os'\n"
        f"{bold[0]}$.run.__kwargs__.mode{bold[1]}: import m.Mode - {refused}\n"
        f"{bold[0]}$.fold{bold[1]}: call m.f - {refused}\n"
        "3 findings, 3 refused, under the safe policy (allowing nothing but natively encoded values)\n",
        "hint: if you trust them, allow them: --allow os.system - allowed\\x1b[8m --allow m.Mode --allow m.f\n",
    )
    other = tmp_path / "other.json"
    other.write_text('{"run": 1, "fold": 2}')
    code, out, err = run("diff", "--color", color, str(path), str(other))
    lines = ["~ $.run: call os.system - allowed\\x1b[8m -> 1", "~ $.fold: call m.f(a\\x9b8m=1) -> 2"]
    if color == "always":
        lines = [f"\x1b[33m{line}\x1b[0m" for line in lines]
    assert (code, out, err) == (1, "".join(f"{line}\n" for line in lines), "")


def test_show_json_escapes_control_characters_as_json_does():
    code, out, err = run("show", "--json", "-", stdin='{"a\\u001b": "\\u009b\\u202e"}')
    assert (code, err) == (0, "")
    assert not re.search("[\x1b\x9b\u202e]", out)
    assert '"key": "a\\u001b"' in out
    assert '"value": "\\u009b\\u202e"' in out
    assert json.loads(out)["root"]["children"][0]["value"] == "\x9b\u202e"


def test_lone_surrogates_are_escaped_never_a_crash_nor_invalid_utf8(tmp_path):
    text = '{"\\ud800": 1, "v": "\\udcff", "\\udcff\\ud800": [2]}'
    shown = 'object (3 keys)\n├── "\\ud800": 1\n├── v: "\\udcff"\n└── "\\udcff\\ud800": [2]\n'
    assert run("show", "-", stdin=text) == (0, shown, "")  # (run decodes stdout as strict UTF-8)
    assert run("show", "-", stdin=text, env={"LC_ALL": "C"}) == (0, shown, "")  # (surrogateescape there)
    code, out, err = run("show", "--json", "-", stdin=text)
    assert (code, err) == (0, "")
    children = json.loads(out)["root"]["children"]
    assert [(child["key"], child["path"]) for child in children] == [
        ("\ud800", '$["\\ud800"]'),
        ("v", "$.v"),
        ("\udcff\ud800", '$["\\udcff\\ud800"]'),
    ]
    assert children[1]["value"] == "\udcff"
    other = tmp_path / "other.json"
    other.write_text('{"\\ud800": 2}')
    assert run("diff", str(other), "-", stdin=text) == (
        1,
        '~ $["\\ud800"]: 2 -> 1\n+ $.v: "\\udcff"\n+ $["\\udcff\\ud800"]: [2]\n',
        "",
    )


def test_a_closed_stdin_is_an_unreadable_file():
    script = 'exec "$0" "$@" <&-'  # fd 0 closed: Python starts with sys.stdin None
    result = subprocess.run(
        ["sh", "-c", script, *ENTRY_POINTS["module"], "show", "-"], capture_output=True, timeout=120, check=False
    )
    assert (result.returncode, result.stdout, result.stderr) == (
        3,
        b"",
        b"traceable show: error: cannot read <stdin>: it is closed\n",
    )


@pytest.mark.parametrize("command", ["show", "audit", "build", "convert"])
def test_an_empty_payload_is_named_as_empty(tmp_path, command):
    path = tmp_path / "empty.json"
    path.write_text("\n")
    extra = ["--to", "nni"] if command == "convert" else []
    assert run(command, str(path), *extra) == (4, "", f"traceable {command}: error: {path}: the payload is empty\n")
    assert run(command, "-", *extra, stdin=b"") == (
        4,
        "",
        f"traceable {command}: error: <stdin>: the payload is empty\n",
    )
    assert run("diff", str(path), "-", stdin="{}") == (4, "", f"traceable diff: error: {path}: the payload is empty\n")


def test_show_names_the_pickled_class_of_a_dataclass_by_its_size():
    text = '{"__dataclass__": {"type": {"__nni_type__": "bytes:AAAA"}, "fields": {"x": 1}}}'
    assert run("show", "-", stdin=text) == (0, "dataclass (pickled class, 3 bytes)\n└── x: 1\n", "")


def test_diff_compares_a_default_payload_with_a_lossless_one_by_value(tmp_path):
    default, lossless = tmp_path / "default.json", tmp_path / "lossless.json"
    default.write_text(traceable.dump({"a": 1, "b": (1, 2)}))
    lossless.write_text(traceable.dump({"a": 1, "b": (1, 2)}, lossless=True))
    assert run("diff", str(default), str(lossless)) == (1, "~ $.value.b: [1, 2] -> tuple (1, 2)\n", "")
    lossless.write_text(traceable.dump({"a": 1, "b": [1, 2]}, lossless=True))
    assert run("diff", str(default), str(lossless)) == (0, "", "")


def test_audit_names_the_deny_entry_and_hints_at_the_exact_name_that_lifts_it():
    text = (
        '{"w": {"__symbol__": "path:numpy.load", "__args__": ["w.npy"]}, '
        '"p": {"__symbol__": "path:traceable.set_default_policy", "__args__": []}}'
    )
    code, out, err = run("audit", "-", "--allow", "numpy", "--allow", "traceable", stdin=text)
    assert (code, out, err) == (
        5,
        "$.w: call numpy.load - REFUSED (deny): deny entry 'numpy.load' (it unpickles or deserialises, which "
        "runs arbitrary code)\n"
        "$.p: call traceable.set_default_policy - REFUSED (deny): deny entry 'traceable' (a payload may never "
        "call traceable's own functions: loading, policy, registry, tracing, writing)\n"
        "2 findings, 2 refused, under the safe policy (allowing numpy, traceable)\n",
        "hint: the deny list wins over --allow prefixes; only if you trust the payload, allow the exact name: "
        "--allow numpy.load\n",
    )
    never = '{"__symbol__": "path:traceable.set_default_policy", "__args__": []}'
    code, out, err = run("build", "-", "--allow", "traceable.set_default_policy", stdin=never)
    assert code == 5
    assert err.endswith("hint: no payload may call traceable's own functions\n")
