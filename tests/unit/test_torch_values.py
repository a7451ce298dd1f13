"""PyTorch values: dtypes, devices, tensors and parameters, with markers of their own."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: pip install -e '.[test]' installs the CPU build")
np = pytest.importorskip("numpy")

import traceable  # noqa: E402
from traceable import DecodeError, EncodeError, LoadPolicy, UnsafePayloadError, audit, dump, load  # noqa: E402


def assert_same_tensor(loaded, tensor):
    assert type(loaded) is type(tensor)
    assert (loaded.dtype, loaded.shape, loaded.device) == (tensor.dtype, tensor.shape, tensor.device)
    assert loaded.requires_grad == tensor.requires_grad
    assert loaded.is_leaf
    # Bit for bit (NaNs included), through a same-size integer view where equality is undefined.
    bits = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64, 16: torch.int64}[tensor.dtype.itemsize]
    expected = tensor.detach().resolve_conj().resolve_neg()
    if tensor.dtype.itemsize == 16:  # complex128: two int64 per item
        assert torch.equal(loaded.detach().view(torch.float64), expected.view(torch.float64))
    else:
        assert torch.equal(loaded.detach().contiguous().view(bits), expected.contiguous().view(bits))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (torch.float32, '{"__torch_dtype__": "float32"}'),
        (torch.bfloat16, '{"__torch_dtype__": "bfloat16"}'),
        (torch.int64, '{"__torch_dtype__": "int64"}'),
        (torch.device("cpu"), '{"__torch_device__": "cpu"}'),
        (torch.device("cuda", 1), '{"__torch_device__": "cuda:1"}'),
        (torch.device("cuda"), '{"__torch_device__": "cuda"}'),
    ],
)
def test_dtypes_and_devices_have_their_own_markers(value, text):
    assert dump(value) == text
    for safe in (False, True):
        loaded = load(text, safe=safe)
        assert loaded == value
        assert type(loaded) is type(value)


def test_dtypes_load_by_their_aliases_too():
    assert load('[{"__torch_dtype__": "float"}, {"__torch_dtype__": "half"}]') == [torch.float32, torch.float16]


def test_a_tensor_is_written_with_its_dtype_device_grad_flag_and_compact_data():
    text = dump({"w": torch.arange(6, dtype=torch.float32).reshape(2, 3)})
    endian = sys.byteorder
    data = {"little": "AAAAAAAAgD8AAABAAABAQAAAgEAAAKBA", "big": "AAAAAD+AAABAAAAAQEAAAECAAABAoAAA"}[endian]
    assert text == (
        '{"w": {"__torch_tensor__": {"dtype": "float32", "device": "cpu", "requires_grad": false, "data": '
        f'{{"__ndarray__": "b64:{data}", "dtype": "float32", "shape": [2, 3], "Corder": true, "endian": "{endian}"}}}}}}}}'
    )
    assert_same_tensor(load(text)["w"], torch.arange(6, dtype=torch.float32).reshape(2, 3))


def test_dtypes_numpy_lacks_travel_as_integers_of_their_size():
    value = torch.tensor([1.0, -2.0], dtype=torch.bfloat16)
    text = dump(value)
    assert text.startswith(
        '{"__torch_tensor__": {"dtype": "bfloat16", "device": "cpu", "requires_grad": false, '
        '"data": {"__ndarray__": "b64:'
    )
    assert '"dtype": "uint16", "shape": [2]' in text
    assert_same_tensor(load(text), value)


def test_a_parameter_stays_a_parameter():
    weight = torch.nn.Parameter(torch.tensor([0.5, 1.5]))
    text = dump(weight)
    assert '"requires_grad": true, "parameter": true, "data": ' in text
    loaded = load(text)
    assert isinstance(loaded, torch.nn.Parameter)
    assert_same_tensor(loaded, weight)
    frozen = load(dump(torch.nn.Parameter(torch.tensor([1, 2]), requires_grad=False)))
    assert type(frozen) is torch.nn.Parameter
    assert not frozen.requires_grad


def _tensors():
    base = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4) / 7
    values = {
        "non-contiguous": base.transpose(0, 2),
        "strided slice": base[:, ::2, 1:],
        "0-d": torch.tensor(3.25),
        "0-d bfloat16": torch.tensor(-1.5, dtype=torch.bfloat16),
        "empty": torch.zeros(0, 3),
        "requires grad": torch.ones(2, 2, requires_grad=True),
        "nan and infinity": torch.tensor([float("nan"), float("inf"), -0.0]),
        "conjugate view": torch.tensor([1 + 2j, -3j]).conj(),
        "negative view": torch.tensor([1 + 2j]).conj().imag,
        "bool": torch.tensor([[True, False]]),
    }
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "ComplexHalf support is experimental", UserWarning)
        values["complex32"] = torch.tensor([1 + 1j, -2], dtype=torch.complex64).to(torch.complex32)
    for dtype in sorted(
        {
            torch.uint8,
            torch.int8,
            torch.int16,
            torch.int32,
            torch.int64,
            torch.uint16,
            torch.uint32,
            torch.uint64,
            torch.float16,
            torch.bfloat16,
            torch.float64,
            torch.complex64,
            torch.complex128,
            torch.float8_e4m3fn,
            torch.float8_e5m2,
            torch.float8_e4m3fnuz,
            torch.float8_e5m2fnuz,
        },
        key=str,
    ):
        values[str(dtype)] = (torch.arange(-3, 3).reshape(2, 3) * 3).to(dtype)
    return values


TENSORS = _tensors()


@pytest.mark.filterwarnings("ignore:ComplexHalf support is experimental:UserWarning")
@pytest.mark.parametrize("name", list(TENSORS))
def test_tensors_round_trip_with_dtype_shape_device_and_grad_flag(name):
    tensor = TENSORS[name]
    for safe in (False, True):
        loaded = load(dump({"t": [tensor]}), safe=safe)["t"][0]
        assert_same_tensor(loaded, tensor)
        assert loaded.is_contiguous()


def test_a_tensor_with_grad_history_loads_as_a_leaf_that_requires_grad():
    leaf = torch.ones(3, requires_grad=True)
    made = leaf * 2
    loaded = load(dump(made))
    assert (loaded.is_leaf, loaded.requires_grad, loaded.grad_fn) == (True, True, None)
    assert torch.equal(loaded, made.detach())


def test_a_tensor_returned_by_a_traced_function_is_written_as_the_call():
    zeros = traceable.trace(torch.zeros)(2)
    assert dump(zeros) == '{"__symbol__": "path:torch.zeros", "__args__": [2]}'
    assert torch.equal(load(dump(zeros)), torch.zeros(2))
    # Without records, as its data.
    assert_same_tensor(load(dump(zeros, use_trace=False)), torch.zeros(2))


def test_loading_a_tensor_on_a_missing_device_says_which_and_what_to_do():
    text = dump({"w": torch.ones(1)}).replace('"device": "cpu"', '"device": "cuda:99"')
    with pytest.raises(DecodeError) as info:
        load(text)
    assert info.value.path == "$.w"
    message = str(info.value)
    assert message.startswith(
        "cannot decode the __torch_tensor__ object at $.w: ValueError: the tensor was dumped on cuda:99, "
        "which this process cannot use ("
    )
    assert message.endswith(
        "); load it where that device exists, or move tensors to the CPU before dumping them (tensor.cpu())"
    )


@pytest.mark.filterwarnings("ignore:Sparse invariant checks:UserWarning")
@pytest.mark.filterwarnings("ignore:torch.quantize_per_tensor:UserWarning")
@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: torch.sparse_coo_tensor([[0]], [1.0], (2,)),
            "traceable writes dense tensors, not one of layout torch.sparse_coo; dump tensor.to_dense()",
        ),
        (
            lambda: torch.quantize_per_tensor(torch.ones(2), 0.1, 0, torch.quint8),
            "a quantized tensor (quint8) has no plain data to write; dump tensor.dequantize()",
        ),
        (
            lambda: torch.zeros(2, device="meta"),
            "a tensor on the meta device has no data to write; dump its shape and dtype instead",
        ),
        (
            lambda: torch.nn.UninitializedParameter(),
            "an uninitialized parameter (of a lazy module) has no data yet; run a forward pass first",
        ),
        (
            lambda: torch.zeros(2).as_subclass(MyTensor),
            "traceable writes torch.Tensor and nn.Parameter, not their subclass test_torch_values.MyTensor; convert it "
            "with .as_subclass(torch.Tensor), or teach traceable the subclass with traceable.register_codec",
        ),
    ],
    ids=["sparse", "quantized", "meta", "lazy parameter", "subclass"],
)
def test_tensors_without_plain_data_are_a_clear_error(make, message):
    value = make()
    with pytest.raises(EncodeError) as info:
        dump({"model": {"buffers": [value]}})
    assert info.value.path == "$.model.buffers[0]"
    assert str(info.value).endswith(message.replace("test_torch_values.", f"{MyTensor.__module__}."))


class MyTensor(torch.Tensor):
    pass


TENSOR_FORMS = {
    "missing keys": ('{"__torch_tensor__": {"dtype": "float32"}}', "a tensor must be written as"),
    "unknown dtype": (
        '{"__torch_tensor__": {"dtype": "float99", "device": "cpu", "requires_grad": false, "data": null}}',
        "'float99' is not a dtype of this torch",
    ),
    "data of another dtype": (
        '{"__torch_tensor__": {"dtype": "float32", "device": "cpu", "requires_grad": false, '
        '"data": {"__ndarray__": [1, 2], "dtype": "int64", "shape": [2]}}}',
        "the data of a float32 tensor must be an __ndarray__ of float32, not a int64 array",
    ),
    "data as a list": (
        '{"__torch_tensor__": {"dtype": "float32", "device": "cpu", "requires_grad": false, "data": [1.0]}}',
        "the data of a float32 tensor must be an __ndarray__ of float32, not a list",
    ),
    "grad flag as a number": (
        '{"__torch_tensor__": {"dtype": "float32", "device": "cpu", "requires_grad": 1, '
        '"data": {"__ndarray__": [1.0], "dtype": "float32", "shape": [1]}}}',
        '"requires_grad" and "parameter" must be true or false',
    ),
    "unknown device": ('{"__torch_device__": "warp:9"}', "'warp:9' is not a torch device"),
    "device index out of range": ('{"__torch_device__": "cuda:999"}', "'cuda:999' is not a torch device: its index"),
}


@pytest.mark.parametrize("name", list(TENSOR_FORMS))
def test_malformed_torch_markers_are_a_decode_error(name):
    text, message = TENSOR_FORMS[name]
    for safe in (False, True):
        with pytest.raises(DecodeError, match=message.replace("(", r"\(").replace(")", r"\)")):
            load(text, safe=safe)


def test_tensor_data_counts_against_the_array_limits_before_anything_is_decoded():
    text = dump({"w": torch.zeros(1000, 1000)})
    with pytest.raises(UnsafePayloadError) as info:
        load(text, policy=LoadPolicy.safe(max_array_bytes=1_000_000))
    assert (info.value.path, info.value.rule) == ("$.w.__torch_tensor__.data", "max_array_bytes")
    assert [finding.rule for finding in audit(text, safe=True)] == []


def test_torch_is_imported_only_for_torch_values():
    code = textwrap.dedent(
        """
        import dataclasses, sys, traceable
        import numpy as np

        @dataclasses.dataclass
        class Config:
            lr: float

        payload = {"a": np.arange(3), "s": np.float32(1.5), "r": np.zeros(1, "i4, f8"), "f": frozenset({1})}
        traceable.load(traceable.dump([payload, traceable.dump(Config(0.1))]), safe=True)
        before = sorted(m for m in ("torch", "attrs", "pydantic") if m in sys.modules)
        loaded = traceable.load('{"__torch_dtype__": "bfloat16"}', safe=True)
        print(before, "torch" in sys.modules, loaded)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[] True torch.bfloat16"
