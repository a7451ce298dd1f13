"""Live, against the real nni==3.0: objects traceable by NNI's other means, and classes
traced without an import path, written as NNI writes them and loaded both ways."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import warnings
from typing import Any

import pytest

nni = pytest.importorskip(
    "nni", reason="nni==3.0 is not installed: pip install -e '.[test]' to run the compatibility tests"
)

from nni.common.serializer import SerializableObject  # noqa: E402

import nni_samples  # noqa: E402  # needs nni
import samples  # noqa: E402
import traceable  # noqa: E402
from traceable import TraceRecord, trace  # noqa: E402


def nni_dump(obj: Any, **kwargs: Any) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # json-tricks' warnings about __main__
        return nni.dump(obj, **kwargs)


def nni_load(text: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nni.load(text)


def test_objects_traceable_per_instance_as_nni_model_spaces_are_dumped_as_nni_dumps_them():
    value = {"net": nni_samples.NniStyleNet(3), "nets": [nni_samples.NniStyleNet(1, depth=4)]}
    assert traceable.is_traceable(value["net"])
    text = traceable.dump(value)
    assert text == nni_dump(value)
    assert text == (
        '{"net": {"__symbol__": "path:nni_samples.NniStyleNet", "__kwargs__": {"width": 3}}, '
        '"nets": [{"__symbol__": "path:nni_samples.NniStyleNet", "__kwargs__": {"width": 1, "depth": 4}}]}'
    )
    assert nni_load(text) == value
    loaded = traceable.load(nni_dump(value))
    assert loaded == value
    assert [net.trace_kwargs for net in (loaded["net"], *loaded["nets"])] == [{"width": 3}, {"width": 1, "depth": 4}]
    assert traceable.dump(loaded) == text  # loaded here, the call it records is the same


def test_a_model_space_defined_in_main_is_dumped_as_nni_dumps_it(tmp_path):
    # A class in __main__ has no import path: it is named by a pickle of it, as in NNI,
    # and not refused as too large.
    script = tmp_path / "space.py"
    script.write_text(
        textwrap.dedent(
            """
            import json, sys, warnings
            import nni, nni_samples, traceable

            class MainNet(nni_samples.NniStyleSpace):
                def __init__(self, width, depth=2):
                    self.width, self.depth = width, depth

            warnings.simplefilter("ignore")
            net = MainNet(5, depth=3)
            ours, theirs = traceable.dump(net), nni.dump(net)
            back, nni_back = nni.load(ours), traceable.load(theirs)
            print(json.dumps([
                ours == theirs,
                json.loads(ours)["__kwargs__"],
                json.loads(ours)["__symbol__"][:6],
                [back.width, back.depth, type(back).__name__],
                [nni_back.width, nni_back.depth, nni_back.trace_kwargs],
            ]))
            """
        )
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == [
        True,
        {"width": 5, "depth": 3},
        "bytes:",
        [5, 3, "MainNet"],
        [5, 3, {"width": 5, "depth": 3}],
    ]


def test_a_record_gets_the_untraced_object_as_nni_s_records_do():
    ours = TraceRecord(nni_samples.NniStyleNet, [], {"width": 2}).get(traceable=False)
    theirs = SerializableObject(nni_samples.NniStyleNet, [], {"width": 2}).get(traceable=False)
    assert (type(ours), ours) == (type(theirs), theirs)
    assert type(ours) is nni_samples.NniStyleNet
    # NNI's space.py: model.trace_copy().get(traceable=False), on a model loaded here.
    model = traceable.load(nni_dump(nni_samples.NniStyleNet(7, depth=1)))
    rebuilt = model.trace_copy().get(traceable=False)
    assert (type(rebuilt), rebuilt.width, rebuilt.depth) == (nni_samples.NniStyleNet, 7, 1)
    layer = samples.Layer(4).trace_copy().get(traceable=False)
    assert (type(layer), vars(layer)) == (samples.Layer.__trace_original__, {"width": 4, "dropout": 0.1, "act": None})


def _local_classes() -> tuple[type, type]:
    @trace
    class Local:
        def __init__(self, x: int = 1) -> None:
            self.x = x

    @nni.trace
    class NniLocal:
        def __init__(self, x: int = 1) -> None:
            self.x = x

    return Local, NniLocal


def test_a_traced_local_class_is_named_by_a_pickle_about_as_small_as_nni_s():
    local, nni_local = _local_classes()
    ours, theirs = traceable.dump(local(x=2)), nni_dump(nni_local(x=2))
    symbol, nni_symbol = json.loads(ours)["__symbol__"], json.loads(theirs)["__symbol__"]
    assert symbol.startswith("bytes:")
    assert len(symbol) < 1.2 * len(nni_symbol)  # was 4.7 times NNI's
    back = nni_load(ours)
    assert (back.x, back.trace_kwargs) == (2, {"x": 2})
    nni_back = traceable.load(theirs)
    assert (nni_back.x, nni_back.trace_kwargs) == (2, {"x": 2})
