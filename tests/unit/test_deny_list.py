"""The deny list: payloads that run code, load pickles or touch files under the allow lists
users really write (``["numpy"]``, ``["torch"]``, ``["pathlib"]``...) are refused before
anything is called, and ordinary uses of the same libraries still load.

Every hostile payload runs in a child process under a ``sys.addaudithook`` hook that
records process starts, unpickling and every ``open`` of a file in the test's directory;
the test then checks that the hook saw nothing and that no file appeared. A refusal that
comes after the call would leave a trace there.
"""

from __future__ import annotations

import base64
import json
import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from children import child_env
from traceable import LoadPolicy, audit, load
from traceable._denylist import DENIED, NEVER

CHILD = r"""
import json, os, sys
payload_path, allow, watched_dir = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
data = open(payload_path, "rb").read()
events = []
CALLS = ("os.system", "subprocess.Popen", "os.posix_spawn", "os.spawn", "os.exec", "os.fork",
         "pickle.find_class", "os.remove", "os.rename", "os.mkdir", "shutil.rmtree")

def hook(event, args):
    if event in CALLS:
        events.append([event, repr(args)[:200]])
    elif event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        target = os.path.abspath(os.fsdecode(args[0]))
        if target.startswith(watched_dir) and target != payload_path:
            events.append([event, target])

sys.addaudithook(hook)
import traceable
outcome = {"error": None, "events": events}
try:
    value = traceable.load_bytes(data, safe=True, allow=allow)
    outcome["result"] = type(value).__name__
except Exception as err:
    outcome.update(error=type(err).__name__, rule=getattr(err, "rule", None), path=getattr(err, "path", None),
                   symbol=getattr(err, "symbol", None), message=str(err))
print(json.dumps(outcome))
"""


class RunOnUnpickle:
    """Unpickling it runs a shell command (its reduce names os.system)."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> Any:
        return (os.system, (self.command,))


def run_child(tmp_path: Path, payload: Any, allow: list[str]) -> dict[str, Any]:
    """Load ``payload`` safely with ``allow`` in a child process; its outcome and the audit events."""
    text = payload if isinstance(payload, str) else json.dumps(payload)
    path = tmp_path / "payload.json"
    path.write_text(text)
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), json.dumps(allow), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
        env=child_env(),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def call(symbol: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"__symbol__": f"path:{symbol}"}
    if args:
        payload["__args__"] = list(args)
    if kwargs:
        payload["__kwargs__"] = kwargs
    return payload


def path_value(path: Path) -> dict[str, str]:
    return {"__pathlib__": str(path)}


def inner_pickle(marker: Path) -> str:
    """A traceable payload that runs ``touch marker`` when loaded by a trusting loader."""
    blob = base64.b64encode(pickle.dumps(RunOnUnpickle(f"touch {marker}"))).decode()
    return json.dumps({"__nni_obj__": blob})


def _pickle_b64(marker: Path) -> str:
    return base64.b64encode(pickle.dumps(RunOnUnpickle(f"touch {marker}"))).decode()


def evil_file(tmp_path: Path, kind: str, marker: Path) -> Path:
    """A file that runs ``touch marker`` when its loader unpickles it."""
    target = tmp_path / f"evil.{kind}"
    obj = RunOnUnpickle(f"touch {marker}")
    if kind == "npy":
        np = pytest.importorskip("numpy")
        array = np.empty(1, dtype=object)
        array[0] = obj
        np.save(target, array, allow_pickle=True)
    elif kind == "pt":
        torch = pytest.importorskip("torch")
        torch.save(obj, target)
    else:
        target.write_bytes(pickle.dumps(obj))
    return target


# A payload builder takes (tmp_path, marker, secret): marker is a file that running the
# payload would create; secret is an existing file that it would read.
Build = Callable[[Path, Path, Path], Any]

# name -> (allow list, builder, rule it is refused by, library it needs)
HOSTILE: dict[str, tuple[list[str], Build, str, str | None]] = {
    # numpy
    "numpy.load of a pickled array": (
        ["numpy"],
        lambda t, m, s: call("numpy.load", file=str(evil_file(t, "npy", m)), allow_pickle=True),
        "deny",
        "numpy",
    ),
    "numpy.load under its implementation's name": (
        ["numpy"],
        lambda t, m, s: call("numpy.lib._npyio_impl.load", str(evil_file(t, "npy", m)), allow_pickle=True),
        "deny",
        "numpy",
    ),
    "numpy.memmap creating a file": (
        ["numpy"],
        lambda t, m, s: call("numpy.memmap", filename=str(m), mode="w+", shape=4),
        "deny",
        "numpy",
    ),
    "numpy.lib.format.open_memmap": (
        ["numpy"],
        lambda t, m, s: call("numpy.lib.format.open_memmap", str(m), mode="w+", dtype="float64", shape=[4]),
        "deny",
        "numpy",
    ),
    "numpy.fromfile reading a file": (["numpy"], lambda t, m, s: call("numpy.fromfile", file=str(s)), "deny", "numpy"),
    "numpy.loadtxt": (["numpy"], lambda t, m, s: call("numpy.loadtxt", str(s)), "deny", "numpy"),
    "numpy.genfromtxt": (["numpy"], lambda t, m, s: call("numpy.genfromtxt", str(s)), "deny", "numpy"),
    "numpy.save": (["numpy"], lambda t, m, s: call("numpy.save", str(m), [1, 2]), "deny", "numpy"),
    "numpy.savetxt": (["numpy"], lambda t, m, s: call("numpy.savetxt", str(m), [1, 2]), "deny", "numpy"),
    "numpy.rec.fromfile": (["numpy"], lambda t, m, s: call("numpy.rec.fromfile", str(s)), "deny", "numpy"),
    "numpy.ndarray.tofile, a method through a class": (
        ["numpy"],
        lambda t, m, s: call("numpy.ndarray.tofile", {"__ndarray__": [1], "dtype": "int64", "shape": [1]}, str(m)),
        "deny",
        "numpy",
    ),
    # pandas
    "pandas.read_pickle": (
        ["pandas"],
        lambda t, m, s: call("pandas.read_pickle", str(evil_file(t, "pkl", m))),
        "deny",
        "pandas",
    ),
    "pandas.io.pickle.read_pickle": (
        ["pandas"],
        lambda t, m, s: call("pandas.io.pickle.read_pickle", str(evil_file(t, "pkl", m))),
        "deny",
        "pandas",
    ),
    "pandas.to_pickle": (["pandas"], lambda t, m, s: call("pandas.to_pickle", [1], str(m)), "deny", "pandas"),
    "pandas.read_csv": (["pandas"], lambda t, m, s: call("pandas.read_csv", str(s)), "deny", "pandas"),
    "pandas.read_json": (["pandas"], lambda t, m, s: call("pandas.read_json", str(s)), "deny", "pandas"),
    "pandas.DataFrame.to_csv, a method through a class": (
        ["pandas"],
        lambda t, m, s: call("pandas.DataFrame.to_csv", call("pandas.DataFrame", data={"a": [1]}), str(m)),
        "deny",
        "pandas",
    ),
    "pandas.eval": (["pandas"], lambda t, m, s: call("pandas.eval", "1 + 1"), "deny", "pandas"),
    # torch
    "torch.load of a pickle": (
        ["torch"],
        lambda t, m, s: call("torch.load", str(evil_file(t, "pt", m)), weights_only=False),
        "deny",
        "torch",
    ),
    "torch.serialization.load": (
        ["torch"],
        lambda t, m, s: call("torch.serialization.load", str(evil_file(t, "pt", m)), weights_only=False),
        "deny",
        "torch",
    ),
    "torch.save": (["torch"], lambda t, m, s: call("torch.save", [1], f=str(m)), "deny", "torch"),
    "torch.jit.load": (["torch"], lambda t, m, s: call("torch.jit.load", str(s)), "deny", "torch"),
    "torch.hub.load": (["torch"], lambda t, m, s: call("torch.hub.load", str(t), "x", source="local"), "deny", "torch"),
    "torch.from_file creating a file": (
        ["torch"],
        lambda t, m, s: call("torch.from_file", str(m), shared=True, size=4),
        "deny",
        "torch",
    ),
    # pathlib: methods reached through an allowed class
    "pathlib.Path.write_text": (
        ["pathlib"],
        lambda t, m, s: call("pathlib.Path.write_text", path_value(m), "x"),
        "allow",
        None,
    ),
    "pathlib.Path.touch": (["pathlib"], lambda t, m, s: call("pathlib.Path.touch", path_value(m)), "allow", None),
    "pathlib.Path.read_text": (
        ["pathlib"],
        lambda t, m, s: call("pathlib.Path.read_text", path_value(s)),
        "allow",
        None,
    ),
    "pathlib.PosixPath.write_bytes": (
        ["pathlib"],
        lambda t, m, s: call("pathlib.PosixPath.write_bytes", path_value(m), {"__bytes_b64__": "eA=="}),
        "allow",
        None,
    ),
    "pathlib.Path.touch as a value": (
        ["pathlib", "functools"],
        lambda t, m, s: call("functools.partial", {"__nni_type__": "path:pathlib.Path.touch"}, path_value(m)),
        "allow",
        None,
    ),
    # logging
    "logging.config.dictConfig importing a factory": (
        ["logging"],
        lambda t, m, s: call(
            "logging.config.dictConfig",
            {"version": 1, "handlers": {"h": {"()": "subprocess.getoutput", "cmd": f"touch {m}"}}},
        ),
        "deny",
        None,
    ),
    "logging.FileHandler": (["logging"], lambda t, m, s: call("logging.FileHandler", str(m)), "deny", None),
    "logging.handlers.RotatingFileHandler": (
        ["logging"],
        lambda t, m, s: call("logging.handlers.RotatingFileHandler", str(m)),
        "deny",
        None,
    ),
    "logging.basicConfig(filename=...)": (
        ["logging"],
        lambda t, m, s: call("logging.basicConfig", filename=str(m)),
        "deny",
        None,
    ),
    "logging.os.system, an alias": (
        ["logging"],
        lambda t, m, s: call("logging.os.system", f"touch {m}"),
        "deny",
        None,
    ),
    # traceable's own loaders and policy
    "traceable.load of an inner pickle": (
        ["traceable"],
        lambda t, m, s: call("traceable.load", inner_pickle(m)),
        "deny",
        None,
    ),
    "traceable.load, allowed exactly": (
        ["traceable.load"],
        lambda t, m, s: call("traceable.load", inner_pickle(m)),
        "deny",
        None,
    ),
    "traceable.load_bytes of an inner pickle": (
        ["traceable"],
        lambda t, m, s: call(
            "traceable.load_bytes", {"__bytes_b64__": base64.b64encode(inner_pickle(m).encode()).decode()}
        ),
        "deny",
        None,
    ),
    "traceable._api.load, a private name": (
        ["traceable"],
        lambda t, m, s: call("traceable._api.load", inner_pickle(m)),
        "deny",
        None,
    ),
    "traceable.set_default_policy": (
        ["traceable"],
        lambda t, m, s: call("traceable.set_default_policy", call("traceable.LoadPolicy")),
        "deny",
        None,
    ),
    "traceable.register_codec": (
        ["traceable", "builtins"],
        lambda t, m, s: call(
            "traceable.register_codec",
            {"__nni_type__": "path:builtins.complex"},
            name="x",
            encode={"__nni_type__": "path:builtins.str"},
            decode={"__nni_type__": "path:builtins.str"},
        ),
        "deny",
        None,
    ),
    "traceable.dump to a file": (
        ["traceable"],
        lambda t, m, s: call("traceable.dump", [1], str(m)),
        "deny",
        None,
    ),
    # nni
    "nni.load of an inner pickle": (["nni"], lambda t, m, s: call("nni.load", inner_pickle(m)), "deny", "nni"),
    "nni.common.serializer.load": (
        ["nni"],
        lambda t, m, s: call("nni.common.serializer.load", inner_pickle(m)),
        "deny",
        "nni",
    ),
    # builtins and friends
    "builtins.open": (["builtins"], lambda t, m, s: call("builtins.open", str(m), "w"), "deny", None),
    "builtins.eval": (
        ["builtins"],
        lambda t, m, s: call("builtins.eval", f"__import__('os').system('touch {m}')"),
        "deny",
        None,
    ),
    "builtins.__import__": (["builtins"], lambda t, m, s: call("builtins.__import__", "os"), "deny", None),
    "map over operator.methodcaller": (
        ["builtins", "operator", "pathlib"],
        lambda t, m, s: call(
            "builtins.list",
            call("builtins.map", call("operator.methodcaller", "touch"), [call("pathlib.Path", str(m))]),
        ),
        "deny",
        None,
    ),
    # Found by review: private names, and helpers in allowed libraries that load or run.
    "pandas.compat.pickle_compat.loads": (
        ["pandas"],
        lambda t, m, s: call("pandas.compat.pickle_compat.loads", {"__bytes_b64__": _pickle_b64(m)}),
        "deny",
        "pandas",
    ),
    "pandas._testing.round_trip_pickle": (
        ["pandas"],
        lambda t, m, s: call("pandas._testing.round_trip_pickle", [1, 2], str(m)),
        "deny",
        "pandas",
    ),
    "pandas.show_versions writing a file": (
        ["pandas"],
        lambda t, m, s: call("pandas.show_versions", as_json=str(m)),
        "deny",
        "pandas",
    ),
    "torch.fx's exec of a source string": (
        ["torch"],
        lambda t, m, s: call("torch.fx.graph_module._exec_with_source", f"open({str(m)!r}, 'w')", {}),
        "deny",
        "torch",
    ),
    "torch.utils.collect_env.run, a shell command": (
        ["torch"],
        lambda t, m, s: call("torch.utils.collect_env.run", f"touch {m}"),
        "deny",
        "torch",
    ),
    "a private torch._C reader": (
        ["torch"],
        lambda t, m, s: call("torch._C._get_model_bytecode_version", str(s)),
        "allow",
        "torch",
    ),
    "a DataLoader's worker iterator": (
        ["torch.utils.data"],
        lambda t, m, s: call(
            "torch.utils.data.dataloader._MultiProcessingDataLoaderIter",
            call("torch.utils.data.DataLoader", [1, 2, 3], num_workers=2),
        ),
        "allow",
        "torch",
    ),
    "a DataLoader with workers, iterated by list": (
        ["torch.utils.data", "builtins"],
        lambda t, m, s: call("builtins.list", call("torch.utils.data.DataLoader", [1, 2, 3], num_workers=1)),
        "deny",
        "torch",
    ),
    "nni.__main__._create_algo importing any class": (
        ["nni"],
        lambda t, m, s: call(
            "nni.__main__._create_algo",
            {"className": "subprocess.Popen", "classArgs": {"args": f"touch {m}", "shell": True}},
            "tuner",
        ),
        "allow",
        "nni",
    ),
    "nni.shortcut_module rewriting traceable": (
        ["nni"],
        lambda t, m, s: call("nni.shortcut_module", "traceable._policy", "json"),
        "deny",
        "nni",
    ),
    "numpy's private _dump": (
        ["numpy"],
        lambda t, m, s: call(
            "numpy._core._methods._dump", {"__ndarray__": [1], "dtype": "int64", "shape": [1]}, str(m)
        ),
        "deny",
        "numpy",
    ),
    "numpy.ma.mrecords.fromtextfile": (
        ["numpy"],
        lambda t, m, s: call("numpy.ma.mrecords.fromtextfile", str(s)),
        "deny",
        "numpy",
    ),
    "numpy's add_newdoc importing a module": (
        ["numpy"],
        lambda t, m, s: call("numpy._core._add_newdocs.add_newdoc", "this", "s", "x"),
        "deny",
        "numpy",
    ),
    "traceable.dump_bytes to a file": (
        ["traceable"],
        lambda t, m, s: call("traceable.dump_bytes", "x", str(m)),
        "deny",
        None,
    ),
    "traceable.trace filling the wrapper cache": (
        ["traceable", "collections"],
        lambda t, m, s: call("traceable.trace", {"__nni_type__": "path:collections.OrderedDict"}, inheritable=True),
        "deny",
        None,
    ),
    "functools.update_wrapper rewriting a function": (
        ["functools"],
        lambda t, m, s: call(
            "functools.update_wrapper",
            {"__nni_type__": "path:functools.total_ordering"},
            {"__nni_type__": "path:functools.wraps"},
            assigned=["__code__"],
            updated=[],
        ),
        "deny",
        None,
    ),
    "logging.disable silencing the process": (["logging"], lambda t, m, s: call("logging.disable", 50), "deny", None),
    "a dunder through an allowed class": (
        ["builtins"],
        lambda t, m, s: call("builtins.object.__subclasses__", {"__nni_type__": "path:builtins.object"}),
        "allow",
        None,
    ),
    # Found by a second review: modules whose import runs code, helpers in private modules.
    "a setup script inside numpy's tests": (
        ["numpy"],
        lambda t, m, s: {"__nni_type__": "path:numpy._core.tests.examples.limited_api.setup.X"},
        "allow",
        "numpy",
    ),
    "a typing test module that writes a temporary file": (
        ["numpy"],
        lambda t, m, s: {"__nni_type__": "path:numpy.typing.tests.data.pass.ndarray_conversion.nd"},
        "allow",
        "numpy",
    ),
    "a test that starts a process": (
        ["pandas"],
        lambda t, m, s: call("pandas.tests.util.test_hashing.test_interval_array_hash_stable_across_processes"),
        "allow",
        "pandas",
    ),
    "torch's xeon launcher configuring logging on import": (
        ["torch"],
        lambda t, m, s: {"__nni_type__": "path:torch.backends.xeon.run_cpu.X"},
        "deny",
        "torch",
    ),
    "nni's metis tuner editing sys.path on import": (
        ["nni"],
        lambda t, m, s: {"__nni_type__": "path:nni.algorithms.hpo.metis_tuner.Regression_GP.Prediction.X"},
        "deny",
        "nni",
    ),
    "torch._export's artifact loader, a pickle": (
        ["torch"],
        lambda t, m, s: call(
            "torch._export.serde.serialize.deserialize_torch_artifact", {"__bytes_b64__": _pickle_b64(m)}
        ),
        "deny",
        "torch",
    ),
    "nni.contrib's run_subprocess": (
        ["nni"],
        lambda t, m, s: call("nni.contrib.training_service.utils.run_subprocess", ["touch", str(m)], path_value(s)),
        "deny",
        "nni",
    ),
    "torch._functorch's get_inputs, a pickle file": (
        ["torch"],
        lambda t, m, s: call("torch._functorch.compilers.get_inputs", str(evil_file(t, "pkl", m))),
        "deny",
        "torch",
    ),
    "torch's memory flamegraph running an executable": (
        ["torch"],
        lambda t, m, s: call("torch.cuda._memory_viz.format_flamegraph", "x 1\n", "/usr/bin/id"),
        "deny",
        "torch",
    ),
    "hipify's openf writing a file": (
        ["torch"],
        lambda t, m, s: call("torch.utils.hipify.hipify_python.openf", str(m), "w"),
        "deny",
        "torch",
    ),
    "a Python helper in a private module": (
        ["torch.nn"],
        lambda t, m, s: call("torch.nn.utils._named_member_accessor.set_tensor", 1, "weight", 2),
        "allow",
        "torch",
    ),
    "enum.global_enum changing every enum's repr": (
        ["enum"],
        lambda t, m, s: call("enum.global_enum", {"__nni_type__": "path:enum.Enum"}),
        "deny",
        None,
    ),
    "decimal.setcontext": (
        ["decimal"],
        lambda t, m, s: call("decimal.setcontext", call("decimal.Context", prec=2)),
        "deny",
        None,
    ),
    "logging.warning configuring the root logger": (
        ["logging"],
        lambda t, m, s: call("logging.warning", "injected %s", "line"),
        "deny",
        None,
    ),
    "builtins.pow, a huge number": (["builtins"], lambda t, m, s: call("builtins.pow", 10, 10**11), "deny", None),
    "builtins.bytes, a huge allocation": (
        ["builtins"],
        lambda t, m, s: call("builtins.bytes", 1500000000),
        "deny",
        None,
    ),
    "builtins.hasattr running a property named by the payload": (
        ["builtins", "pathlib"],
        lambda t, m, s: call("builtins.hasattr", call("pathlib.PurePosixPath", "a"), "stem"),
        "deny",
        None,
    ),
    "builtins.type making a class under an allowed base": (
        ["builtins", "collections"],
        lambda t, m, s: call("builtins.type", "X", [{"__nni_type__": "path:collections.OrderedDict"}], {}),
        "deny",
        None,
    ),
    "os.system with allow=['os']": (["os"], lambda t, m, s: call("os.system", f"touch {m}"), "deny", None),
    "shutil.copy under allow=['shutil.copyfile'] prefix neighbour": (
        ["shutil.copyfile"],
        lambda t, m, s: call("shutil.copy", str(s), str(m)),
        "allow",
        None,
    ),
    "importlib.import_module": (
        ["importlib.util", "importlib.metadata"],
        lambda t, m, s: call("importlib.import_module", "os"),
        "allow",
        None,
    ),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_payloads_under_broad_allow_lists_are_refused_before_the_call(tmp_path, name):
    allow, build, rule, library = HOSTILE[name]
    if library is not None:
        pytest.importorskip(library)
    marker, secret = tmp_path / "marker", tmp_path / "secret.txt"
    secret.write_text("1 2\n3 4\n")
    payload = build(tmp_path, marker, secret)
    before = sorted([*tmp_path.iterdir(), tmp_path / "payload.json"])
    outcome = run_child(tmp_path, payload, allow)
    assert outcome["error"] == "UnsafePayloadError", outcome
    assert outcome["events"] == [], f"{name}: the hook saw {outcome['events']}"
    assert outcome["rule"] == rule, outcome
    assert outcome["path"].startswith("$"), outcome
    assert outcome["symbol"], outcome
    assert outcome["symbol"] in outcome["message"], outcome
    assert not marker.exists()
    assert sorted(tmp_path.iterdir()) == before


# name -> (allow list, payload, the type that comes back, library it needs)
CONTROLS: dict[str, tuple[list[str], Any, str, str | None]] = {
    "torch.nn.Linear under torch": (
        ["torch"],
        call("torch.nn.modules.linear.Linear", 2, 3),
        "Linear",
        "torch",
    ),
    "torch.nn.Sequential under torch.nn": (
        ["torch.nn"],
        call("torch.nn.Sequential", call("torch.nn.Linear", 2, 3), call("torch.nn.ReLU")),
        "Sequential",
        "torch",
    ),
    "torch.nn.Sequential under torch": (
        ["torch"],
        call("torch.nn.modules.container.Sequential", call("torch.nn.modules.linear.Linear", 2, 3)),
        "Sequential",
        "torch",
    ),
    "a function value under torch": (
        ["torch"],
        call("torch.nn.TransformerEncoderLayer", 8, 2, activation={"__nni_type__": "path:torch.nn.functional.gelu"}),
        "TransformerEncoderLayer",
        "torch",
    ),
    "pandas.DataFrame under pandas": (
        ["pandas"],
        call("pandas.DataFrame", data={"a": [1, 2], "b": [3, 4]}),
        "DataFrame",
        "pandas",
    ),
    "numpy.random.RandomState under numpy": (
        ["numpy"],
        call("numpy.random.RandomState", seed=0),
        "RandomState",
        "numpy",
    ),
    "numpy.add, a ufunc, under numpy": (["numpy"], {"__nni_type__": "path:numpy.add"}, "ufunc", "numpy"),
    "pathlib.PurePosixPath under pathlib": (["pathlib"], call("pathlib.PurePosixPath", "a/b"), "PurePosixPath", None),
    "logging.Formatter under logging": (
        ["logging"],
        call("logging.Formatter", fmt="%(levelname)s %(message)s"),
        "Formatter",
        None,
    ),
    "an exact collections.OrderedDict": (
        ["collections.OrderedDict"],
        call("collections.OrderedDict", [["a", 1]]),
        "OrderedDict",
        None,
    ),
    "a nested class by its qualified name": (["samples"], call("samples.Outer.Inner", 1), "Inner", None),
    "an exactly allowed method": (
        ["pathlib.PurePath.joinpath", "pathlib"],
        call("pathlib.PurePath.joinpath", call("pathlib.PurePosixPath", "a"), "b"),
        "PurePosixPath",
        None,
    ),
    "an exactly allowed name under a deny entry": (
        ["logging", "logging.handlers.QueueHandler", "queue"],
        call("logging.handlers.QueueHandler", call("queue.Queue")),
        "QueueHandler",
        None,
    ),
}


@pytest.mark.parametrize("name", list(CONTROLS))
def test_ordinary_uses_of_the_same_libraries_still_load(tmp_path, name):
    allow, payload, type_name, library = CONTROLS[name]
    if library is not None:
        pytest.importorskip(library)
    outcome = run_child(tmp_path, payload, allow)
    assert (outcome["error"], outcome.get("result"), outcome["events"]) == (None, type_name, []), outcome


def _names_under(entry: str) -> str:
    # A concrete name that the entry covers (a wildcard's stem made whole).
    return entry[:-1] + "x" if entry.endswith("*") else entry


CHECKABLE = [entry for entry in DENIED if "." in entry.rstrip("*")]


@pytest.mark.parametrize("entry", CHECKABLE)
def test_every_deny_entry_wins_over_its_top_level_prefix(entry):
    name = _names_under(entry)
    root = name.split(".")[0]
    verdict = LoadPolicy.safe(allow=[root]).judge(name)
    assert (verdict.allowed, verdict.rule, verdict.entry) == (False, "deny", entry)


def test_an_exact_allow_entry_lifts_one_deny_entry_but_never_traceables_own():
    assert LoadPolicy.safe(allow=["numpy", "numpy.load"]).judge("numpy.load").allowed
    assert not LoadPolicy.safe(allow=["numpy", "numpy.load"]).judge("numpy.save").allowed
    for entry in sorted(NEVER):
        name = _names_under(entry)
        verdict = LoadPolicy.safe(allow=["traceable", name]).judge(name)
        assert (verdict.allowed, verdict.rule) == (False, "deny"), entry


DENIED_IMPORTS = r"""
import json, sys
import traceable
from traceable._denylist import DENIED
results = {}
for entry in DENIED:
    name = entry[:-1] + "x" if entry.endswith("*") else entry
    root = name.split(".")[0]
    if "." not in name or root == "traceable":
        continue
    module = name.rpartition(".")[0]
    loaded = module in sys.modules
    try:
        traceable.load('{"__nni_type__": "path:' + name + '"}', safe=True, allow=[root])
        results[entry] = "loaded"
    except traceable.UnsafePayloadError as err:
        results[entry] = err.rule + ("" if loaded or module not in sys.modules else " after importing " + module)
print(json.dumps(results))
"""


def test_a_denied_name_is_refused_before_its_module_is_imported():
    result = subprocess.run(
        [sys.executable, "-c", DENIED_IMPORTS], capture_output=True, text=True, timeout=180, check=True
    )
    results = json.loads(result.stdout)
    assert results
    assert {entry: outcome for entry, outcome in results.items() if outcome != "deny"} == {}


def test_a_deny_entry_of_the_policys_own_applies_under_prefixes_and_with_no_allow_list():
    policy = LoadPolicy.safe(allow=["samples"], deny=["samples.square"])
    with pytest.raises(Exception, match=r"deny entry 'samples.square' \(this policy's deny list\)") as info:
        load('{"__symbol__": "path:samples.square", "__args__": [3]}', policy=policy)
    assert (info.value.rule, info.value.path) == ("deny", "$")
    assert (
        load('{"__symbol__": "path:samples.square", "__args__": [3]}', policy=LoadPolicy.safe(allow=["samples"])) == 9
    )
    trusting_but = LoadPolicy(deny=("samples.square",))
    assert not trusting_but.judge("samples.square").allowed
    assert trusting_but.judge("os.system").allowed  # no allow list: only the policy's own entries


def test_audit_names_the_entry_that_decides_each_finding():
    pytest.importorskip("torch")  # (loaded: the audit judges torch.nn.Linear itself, not by its name alone)
    text = json.dumps(
        {
            "layer": call("torch.nn.Linear", 2, 3),
            "loss": call("numpy.load", "x.npy"),
            "touch": call("pathlib.Path.touch", {"__pathlib__": "x"}),
            "exact": {"__nni_type__": "path:collections.OrderedDict"},
            "nothing": {"__nni_type__": "path:math.floor"},
            "never": call("traceable.load", "[]"),
        }
    )
    findings = audit(
        text, safe=True, allow=["torch.nn", "numpy", "pathlib", "collections.OrderedDict", "traceable.load"]
    )
    assert [(f.path, f.allowed, f.rule, f.reason) for f in findings] == [
        ("$.layer", True, "", "allow prefix 'torch.nn'"),
        ("$.loss", False, "deny", "deny entry 'numpy.load' (it unpickles or deserialises, which runs arbitrary code)"),
        ("$.touch", False, "allow", "reached through a class: only an exact allow entry covers it"),
        ("$.exact", True, "", "exact allow entry 'collections.OrderedDict'"),
        ("$.nothing", False, "allow", ""),
        (
            "$.never",
            False,
            "deny",
            "deny entry 'traceable' (a payload may never call traceable's own functions: loading, policy, registry, "
            "tracing, writing)",
        ),
    ]


def test_a_refusal_says_which_entry_refused_it_and_what_to_do():
    with pytest.raises(Exception) as info:
        load(json.dumps(call("numpy.save", "x.npy", [1])), safe=True, allow=["numpy"])
    assert str(info.value) == (
        "refused the payload at $: it would call numpy.save, which the load policy does not allow (deny: deny "
        "entry 'numpy.save*' (it reads or writes files, or opens connections)); the deny list wins over allow "
        "prefixes; only if you trust this payload, allow the exact name: load(..., safe=True, allow=['numpy.save'])"
    )
    with pytest.raises(Exception) as info:
        load(json.dumps(call("pathlib.Path.touch", {"__pathlib__": "x"})), safe=True, allow=["pathlib"])
    assert str(info.value) == (
        "refused the payload at $: it would call pathlib.Path.touch, which the load policy does not allow (allow: "
        "reached through a class: only an exact allow entry covers it); if you trust it, add it: load(..., "
        "safe=True, allow=['pathlib.Path.touch'])"
    )


def test_where_the_module_is_not_loaded_yet_the_import_decides_before_the_call(tmp_path):
    # The check before the parse sees names only; the object is checked once imported.
    code = (
        "import sys, traceable\n"
        "assert 'samples' not in sys.modules\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "try:\n"
        "    traceable.load('{\"__symbol__\": \"path:samples.Concrete.run\"}', safe=True, allow=['samples'])\n"
        "except traceable.UnsafePayloadError as err:\n"
        "    print(err.rule, err)\n"
    )
    tests = str(Path(__file__).parents[1])
    out = subprocess.run([sys.executable, "-c", code, tests], capture_output=True, text=True, check=True).stdout
    assert out == (
        "allow cannot decode the __symbol__ object at $: refused 'samples.Concrete.run' for a symbol: it is "
        "reached through a class, and an allow prefix covers a module's classes and module-level functions, not "
        "their methods or attributes; if you trust it, allow the exact name: load(..., safe=True, "
        "allow=['samples.Concrete.run'])\n"
    )


def test_a_module_is_not_a_symbol():
    with pytest.raises(
        Exception, match=r"import collections.abc, .* \(allow: a module, not a class or function\)"
    ) as info:
        load('{"__nni_type__": "path:collections.abc"}', safe=True, allow=["collections"])
    assert info.value.rule == "allow"


def test_policies_with_deny_entries_pickle_and_compare_by_their_fields():
    policy = LoadPolicy.safe(allow=["numpy"], deny=["numpy.random"])
    assert pickle.loads(pickle.dumps(policy)) == policy
    assert not pickle.loads(pickle.dumps(policy)).judge("numpy.random.RandomState").allowed
    with pytest.raises(TypeError, match="deny takes a list of names"):
        LoadPolicy.safe(deny="numpy.random")
    with pytest.raises(TypeError, match="allow takes a list of names"):
        LoadPolicy.safe(allow="numpy")
    with pytest.raises(ValueError, match="deny takes dotted names"):
        LoadPolicy(deny=("numpy.",))


def test_a_module_that_exits_on_import_is_a_decode_error_not_the_end_of_the_process(tmp_path):
    (tmp_path / "exits_on_import.py").write_text("import sys\nsys.exit(3)\n")
    code = (
        "import sys, traceable\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "try:\n"
        '    traceable.load(\'{"__nni_type__": "path:exits_on_import.X"}\')\n'
        "except traceable.DecodeError as err:\n"
        "    print(type(err).__name__, err)\n"
    )
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout) == (
        0,
        "DecodeError cannot decode the __nni_type__ object at $: cannot import 'exits_on_import.X' (SystemExit: 3); "
        "make sure the module that defines it is installed and importable here\n",
    )
