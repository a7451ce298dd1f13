"""PyTorch tensors, dtypes and devices, with markers of their own.

Imported only when a torch value is dumped (the encoder checks ``sys.modules`` first)
or a torch marker is loaded: a payload without torch values never imports torch.

* ``torch.dtype``: ``{"__torch_dtype__": "float32"}``; ``torch.device``:
  ``{"__torch_device__": "cuda:1"}``.
* ``torch.Tensor`` and ``nn.Parameter``: their dtype, device and ``requires_grad``, and
  their data as a compact numpy array (raw bytes in base64), so that a load policy's
  array limits apply to it unchanged::

      {"__torch_tensor__": {"dtype": "bfloat16", "device": "cpu", "requires_grad": false,
                            "data": {"__ndarray__": "b64:...", "dtype": "uint16", "shape": [2, 3], ...}}}

  Dtypes that numpy lacks (bfloat16, float8, complex32...) travel as unsigned integers
  of the same size, viewed back on load. A tensor loads contiguous (strides are not
  kept), as a leaf (its autograd graph and ``.grad`` are not kept, as with ``torch.save``),
  on the device it was on: loading a CUDA tensor where CUDA is missing is an error.
"""

from __future__ import annotations

from typing import Any

try:
    import numpy as np
    import torch
except ImportError as err:  # pragma: no cover - torch and numpy come with the test extra
    message = f"dumping or loading torch values needs PyTorch and numpy ({err}): pip install torch numpy"
    raise ImportError(message) from err

from traceable import _registry, _wire
from traceable._codecs import numpy as numpy_codec
from traceable._traced import Traced
from traceable.exceptions import EncodeError

# Every dtype by the names torch gives it (float32, and aliases such as float or half):
# read from the module's namespace, as getattr could import torch's lazy submodules.
_DTYPES: dict[str, torch.dtype] = {name: value for name, value in vars(torch).items() if isinstance(value, torch.dtype)}

# The dtypes whose tensors convert to numpy arrays; the others travel as unsigned
# integers of their size.
_NUMPY_TWINS = frozenset(
    {
        torch.bool,
        torch.uint8,
        torch.int8,
        torch.int16,
        torch.int32,
        torch.int64,
        torch.uint16,
        torch.uint32,
        torch.uint64,
        torch.float16,
        torch.float32,
        torch.float64,
        torch.complex64,
        torch.complex128,
    }
)
_BITS = {1: torch.uint8, 2: torch.uint16, 4: torch.uint32, 8: torch.uint64}
# (A dtype of another item size, should torch add one, is left to .numpy() to refuse.)
_CARRIERS = {
    dtype: dtype if dtype in _NUMPY_TWINS else _BITS[dtype.itemsize]
    for dtype in _DTYPES.values()
    if dtype in _NUMPY_TWINS or dtype.itemsize in _BITS
}
_NUMPY_DTYPES = {dtype: torch.empty(0, dtype=dtype).numpy().dtype for dtype in {*_NUMPY_TWINS, *_BITS.values()}}

_TENSOR_KEYS = ("dtype", "device", "requires_grad", "data")
_TENSOR_FORM = (
    'a tensor must be written as {"dtype": ..., "device": ..., "requires_grad": ..., "data": {"__ndarray__": ...}}'
    ' (and "parameter": true for an nn.Parameter)'
)


def _name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def decode_dtype(data: Any) -> torch.dtype:
    if not isinstance(data, str) or data not in _DTYPES:
        message = f"{data!r} is not a dtype of this torch ({torch.__version__})"
        raise ValueError(message)
    return _DTYPES[data]


def decode_device(data: Any) -> torch.device:
    if not isinstance(data, str) or len(data) > 64:
        message = f"a torch device must be written as a short string such as 'cuda:1', not {data!r}"
        raise ValueError(message)
    try:
        device = torch.device(data)
    except RuntimeError as err:
        message = f"{data!r} is not a torch device: {err}"
        raise ValueError(message) from err
    index = data.partition(":")[2]
    if index and (not index.isdigit() or int(index) != device.index):  # torch wraps 999 round to -25
        message = f"{data!r} is not a torch device: its index is out of range"
        raise ValueError(message)
    return device


def is_tensor_type(cls: type) -> bool:
    return issubclass(cls, torch.Tensor)


def encode_tensor(obj: torch.Tensor) -> dict[str, Any]:
    _check_encodable(obj)
    data = obj.detach()
    if data.device.type != "cpu":
        data = data.cpu()
    data = data.resolve_conj().resolve_neg()  # lazy conjugate and negative views, made real
    carrier = _CARRIERS.get(data.dtype, data.dtype)
    if carrier is not data.dtype:
        data = data.view(carrier)
    out: dict[str, Any] = {"dtype": _name(obj.dtype), "device": str(obj.device), "requires_grad": obj.requires_grad}
    if isinstance(obj, torch.nn.Parameter):
        out["parameter"] = True
    out["data"] = data.numpy().view(numpy_codec.CompactArray)
    return out


def _check_encodable(obj: torch.Tensor) -> None:
    cls = type(obj)
    # A traced tensor (a traced function's result) arrives here only with use_trace=False.
    if cls not in (torch.Tensor, torch.nn.Parameter) and not issubclass(cls, Traced):
        if torch.nn.parameter.is_lazy(obj):
            message = "an uninitialized parameter (of a lazy module) has no data yet; run a forward pass first"
        else:
            message = (
                f"traceable writes torch.Tensor and nn.Parameter, not their subclass {cls.__module__}."
                f"{cls.__qualname__}; convert it with .as_subclass(torch.Tensor), or teach traceable the "
                "subclass with traceable.register_codec"
            )
        raise EncodeError(message)
    if obj.is_quantized:
        message = f"a quantized tensor ({_name(obj.dtype)}) has no plain data to write; dump tensor.dequantize()"
        raise EncodeError(message)
    if obj.is_nested:
        message = "a nested tensor has no single shape; dump tensor.unbind() (a list of tensors)"
        raise EncodeError(message)
    if obj.layout != torch.strided:
        message = f"traceable writes dense tensors, not one of layout {obj.layout}; dump tensor.to_dense()"
        raise EncodeError(message)
    if obj.is_meta:
        message = "a tensor on the meta device has no data to write; dump its shape and dtype instead"
        raise EncodeError(message)


def decode_tensor(data: Any) -> torch.Tensor:
    if not isinstance(data, dict) or not set(_TENSOR_KEYS) <= data.keys() <= {*_TENSOR_KEYS, "parameter"}:
        raise ValueError(_TENSOR_FORM)
    dtype = decode_dtype(data["dtype"])
    device = decode_device(data["device"])
    requires_grad, parameter, arr = data["requires_grad"], data.get("parameter", False), data["data"]
    if type(requires_grad) is not bool or type(parameter) is not bool:
        message = '"requires_grad" and "parameter" must be true or false'
        raise ValueError(message)
    carrier = _CARRIERS.get(dtype)
    expected = None if carrier is None else _NUMPY_DTYPES[carrier]
    if not isinstance(arr, np.ndarray) or arr.dtype != expected:
        found = f"{arr.dtype} array" if isinstance(arr, np.ndarray) else type(arr).__name__
        message = f"the data of a {data['dtype']} tensor must be an __ndarray__ of {expected}, not a {found}"
        raise ValueError(message)
    tensor = torch.from_numpy(arr if arr.flags.writeable else arr.copy())
    if dtype is not carrier:
        tensor = tensor.view(dtype)
    if device.type != "cpu":
        tensor = _to_device(tensor, device)
    if parameter:
        return torch.nn.Parameter(tensor, requires_grad=requires_grad)
    return tensor.requires_grad_(requires_grad)


def _to_device(tensor: torch.Tensor, device: torch.device) -> torch.Tensor:
    try:
        return tensor.to(device)
    except Exception as err:  # AssertionError from a torch built without CUDA, RuntimeError otherwise
        message = (
            f"the tensor was dumped on {device}, which this process cannot use ({type(err).__name__}: {err}); "
            "load it where that device exists, or move tensors to the CPU before dumping them (tensor.cpu())"
        )
        raise ValueError(message) from err


_registry.builtin(torch.dtype, _wire.TORCH_DTYPE, _name, decode_dtype)
_registry.builtin(torch.device, _wire.TORCH_DEVICE, str, decode_device)
# A family, tried after traced objects: a tensor returned by a traced function is written
# as that call, and only the subclasses _check_encodable accepts are written as data.
_registry.builtin_family(is_tensor_type, _wire.TORCH_TENSOR, encode_tensor, decode_tensor)
