"""Tracing PyTorch constructors: modules, optimizers, datasets and data loaders."""

from __future__ import annotations

import copy
import pickle

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: pip install -e '.[test]' installs the CPU build")

from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

import traceable  # noqa: E402
from traceable import dump, load, trace  # noqa: E402


def test_traced_conv2d_dumps_loads_and_runs():
    conv = trace(nn.Conv2d)(3, 8, kernel_size=3, padding=1)
    assert isinstance(conv, nn.Conv2d)
    assert conv.trace_kwargs == {"in_channels": 3, "out_channels": 8, "kernel_size": 3, "padding": 1}
    assert list(conv.state_dict()) == ["weight", "bias"]
    assert "_traceable_record" not in vars(conv)
    text = dump(conv)
    assert text == (
        '{"__symbol__": "path:torch.nn.modules.conv.Conv2d", "__kwargs__": '
        '{"in_channels": 3, "out_channels": 8, "kernel_size": 3, "padding": 1}}'
    )
    rebuilt = load(text)
    assert isinstance(rebuilt, nn.Conv2d)
    assert rebuilt.trace_kwargs == conv.trace_kwargs
    assert rebuilt(torch.zeros(1, 3, 5, 5)).shape == (1, 8, 5, 5)


def test_lstm_with_star_args_keeps_arguments_positional():
    lstm = trace(nn.LSTM)(2, 2)
    assert lstm.trace_args == [2, 2]
    assert lstm.trace_kwargs == {}
    rebuilt = load(dump(lstm))
    assert (rebuilt.input_size, rebuilt.hidden_size) == (2, 2)
    assert rebuilt.trace_args == [2, 2]


def test_adam_over_a_parameter_generator_records_the_parameters():
    model = trace(nn.Linear)(4, 2)
    optimizer = trace(torch.optim.Adam)(model.parameters(), lr=0.01)
    params = optimizer.trace_kwargs["params"]
    assert isinstance(params, list)
    assert [p.shape for p in params] == [(2, 4), (2,)]
    assert optimizer.param_groups[0]["params"][0] is model.weight
    rebuilt = load(dump(optimizer))
    assert isinstance(rebuilt, torch.optim.Adam)
    assert rebuilt.param_groups[0]["lr"] == 0.01
    assert [p.shape for p in rebuilt.param_groups[0]["params"]] == [(2, 4), (2,)]
    rebuilt.step()


@trace
def make_training(width: int, lr: float):
    model = trace(nn.Sequential)(trace(nn.Linear)(4, width), trace(nn.ReLU)(), trace(nn.Linear)(width, 1))
    return {"model": model, "optimizer": trace(torch.optim.SGD)(model.parameters(), lr=lr)}


def test_model_and_optimizer_config_round_trip_and_mutate():
    model = trace(nn.Sequential)(trace(nn.Linear)(4, 8), trace(nn.ReLU)(), trace(nn.Linear)(8, 1))
    text = dump(model)
    assert '"__symbol__": "path:torch.nn.modules.container.Sequential", "__args__": [' in text
    rebuilt = load(text)
    assert rebuilt(torch.zeros(3, 4)).shape == (3, 1)
    record = rebuilt.trace_copy()
    first = record.trace_args[0].trace_copy()
    first.trace_kwargs["out_features"] = 16
    record.trace_args[0] = first.get()
    record.trace_args[2] = trace(nn.Linear)(16, 1)
    wider = record.get()
    assert wider[0].out_features == 16
    assert wider(torch.zeros(2, 4)).shape == (2, 1)


def test_dataloader_over_a_traced_tensor_dataset():
    dataset = trace(TensorDataset)(torch.arange(10.0), torch.arange(10))
    loader = trace(DataLoader)(dataset, batch_size=4, shuffle=False)
    assert loader.trace_kwargs["batch_size"] == 4
    rebuilt = load(dump(loader))
    assert isinstance(rebuilt, DataLoader)
    batches = [batch for batch, _ in rebuilt]
    assert [b.tolist() for b in batches] == [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0], [8.0, 9.0]]
    assert traceable.is_traceable(rebuilt.dataset)


def test_traced_modules_pickle_and_deepcopy_staying_traced():
    conv = trace(nn.Conv2d)(1, 2, 3)
    for clone in (pickle.loads(pickle.dumps(conv)), copy.deepcopy(conv)):
        assert type(clone) is type(conv)
        assert clone.trace_kwargs == {"in_channels": 1, "out_channels": 2, "kernel_size": 3}
        assert torch.equal(clone.weight, conv.weight)


def test_function_returning_a_module_is_traced_without_patching_torch():
    @trace
    def build(width):
        return nn.Linear(2, width)

    layer = build(3)
    assert isinstance(layer, nn.Linear)
    assert layer.trace_kwargs == {"width": 3}
    assert not traceable.is_traceable(nn.Linear(2, 3))
    assert layer(torch.zeros(1, 2)).shape == (1, 3)
