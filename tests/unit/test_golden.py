"""Golden payloads: files written once that every later version must load, and write again.

Each file in tests/golden/ pins a marker's exact text. If a change to the format is
intended, regenerate with ``PYTHONPATH=tests python tests/unit/test_golden.py`` and say so in the changelog:
payloads already written by users look like these files.
"""

from __future__ import annotations

import collections
import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest

import samples
from strategies import equal
from traceable import dump, load

GOLDEN = Path(__file__).parent.parent / "golden"


def beyond_nni() -> dict[str, Any]:
    """Values NNI 3.0 cannot encode, with markers of their own in the default mode."""
    return {
        "bytes": b"\x00\xffab",
        "bytearray": bytearray(b"xy"),
        "frozenset": frozenset({3, 1}),
        "range": range(0, 10, 3),
        "slice": slice(None, 5, None),
        "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "ellipsis": ...,
        "deque": collections.deque(["a", 1]),
        "bounded deque": collections.deque([1, 2], maxlen=2),
        "dataclass": samples.Hyper(0.5, [2, 1]),
        "frozen dataclass": samples.Frozen("f", 3),
        "datetime at an offset": dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone(dt.timedelta(hours=-4))),
    }


def libraries() -> dict[str, Any]:
    """numpy scalars and records, attrs and pydantic records (written on a little-endian machine)."""
    np = pytest.importorskip("numpy")
    return {
        "numpy scalars": [np.float32(1.5), np.int64(-2), np.bool_(True), np.complex64(1j), np.datetime64("2024-01-02")],
        "numpy 0-d array": np.array(2, dtype=np.uint8),
        "numpy records": np.array([(1, (0.5, -1.0), "ab")], dtype=[("id", "<i4"), ("xy", "<f8", (2,)), ("tag", "<U2")]),
        "attrs": samples.AttrsRun("run", 7, ["a"]),
        "pydantic": samples.TrainConfig(batchSize=8, shape=(2, 3), note="extra"),
    }


def torch_values() -> dict[str, Any]:
    """torch dtypes, devices, tensors and parameters (apart, so the rest runs without torch)."""
    torch = pytest.importorskip("torch")
    return {
        "torch dtype": torch.bfloat16,
        "torch device": torch.device("cuda", 1),
        "tensor": torch.arange(4, dtype=torch.float32).reshape(2, 2),
        "bfloat16 tensor": torch.tensor([1.5, -2.0], dtype=torch.bfloat16),
        "parameter": torch.nn.Parameter(torch.tensor([0.5])),
    }


def lossless() -> Any:
    """Everything the lossless mode keeps, in one value."""
    shared = [1, 2]
    loop: list[Any] = ["loop"]
    loop.append(loop)
    return {
        "tuple": (1, ("nested",)),
        "keys": {1: "int", 2.5: "float", None: "none", (1, 2): "tuple", frozenset({1}): "frozenset"},
        "marker-like": {"__symbol__": "path:os.system", "__args__": ["echo"]},
        "ordered": collections.OrderedDict([("b", 1), ("a", 2)]),
        "counter": collections.Counter({"x": 2}),
        "defaultdict": collections.defaultdict(list, {"k": [1]}),
        "namedtuple": samples.Point(1, 2),
        "collections namedtuple": samples.Pair("l", ("r",)),
        "shared": [shared, shared],
        "cycle": loop,
        "traced": samples.Layer(4, act=(3, 4)),
        "traced result": samples.make_dict(3),
    }


CASES = {
    "beyond-nni.json": (beyond_nni, {}),
    "libraries.json": (libraries, {}),
    "lossless-v1.json": (lossless, {"lossless": True}),
    "torch.json": (torch_values, {}),
}


def _text(name: str) -> str:
    make, kwargs = CASES[name]
    return dump(make(), indent=1, **kwargs) + "\n"


@pytest.mark.parametrize("name", sorted(CASES))
def test_dump_writes_the_golden_text(name):
    assert _text(name) == (GOLDEN / name).read_text()


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_golden_payload_loads_to_the_value(name):
    expected = CASES[name][0]()  # (first: it skips when an optional library is missing)
    loaded = load(fp=GOLDEN / name)
    if name in ("libraries.json", "torch.json"):  # arrays and tensors compare by value, not with ==
        assert equal(loaded, expected)
        return
    if name.startswith("lossless"):
        assert loaded["cycle"][1] is loaded["cycle"]
        assert loaded["shared"][0] is loaded["shared"][1]
        loaded["cycle"] = expected["cycle"] = None  # (cycles do not compare)
        assert {k: type(v) for k, v in loaded.items()} == {k: type(v) for k, v in expected.items()}
    assert loaded == expected


# Golden files of formats since changed, kept as users' payloads: each must still load to
# the value its case makes now (the current file pins the new text).
FORMER = {
    # numpy datetime64 and timedelta64 scalars as "dtype": "datetime64[D]", which NNI 3.0
    # cannot read (now "dtype": "datetime64", "unit": "D").
    "former/libraries-0.json": "libraries.json",
}


@pytest.mark.parametrize("name", sorted(FORMER))
def test_a_golden_payload_of_a_former_format_still_loads_to_the_value(name):
    expected = CASES[FORMER[name]][0]()
    assert equal(load(fp=GOLDEN / name), expected)


if __name__ == "__main__":  # regenerate the files
    for name in CASES:
        (GOLDEN / name).write_text(_text(name))
        print("wrote", GOLDEN / name)
