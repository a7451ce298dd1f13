"""traceable.interop with the real jsonargparse: class_path/init_args configs, as LightningCLI reads them."""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Callable, Iterable

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: pip install -e '.[test]' installs the CPU build")
jsonargparse = pytest.importorskip("jsonargparse", reason="pip install -e '.[test]' installs jsonargparse")

from torch import nn  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402

import interop_models as im  # noqa: E402
import traceable  # noqa: E402
from traceable import trace  # noqa: E402
from traceable.interop import from_jsonargparse, to_jsonargparse, to_jsonargparse_yaml  # noqa: E402

# LightningCLI's OptimizerCallable: a class_path config without the parameters reads as a factory.
OptimizerCallable = Callable[[Iterable], torch.optim.Optimizer]


def make_model() -> nn.Module:
    return im.TinyNet(encoder=trace(nn.Linear)(1, 8), head=trace(nn.Linear)(8, 1), dropout=0.1)


def make_classifier() -> im.Classifier:
    tokenizer = im.Tokenizer(["the", "cat"], lowercase=False, specials={"<pad>": 0})
    return im.Classifier(tokenizer, im.Encoder(width=16, dropout=0.25), labels=["neg", "pos"], activation=math.erf)


def make_parser() -> jsonargparse.ArgumentParser:
    # As LightningCLI builds its parser: one argument per component, typed with a base class.
    parser = jsonargparse.ArgumentParser(exit_on_error=False)
    parser.add_argument("--model", type=nn.Module)
    parser.add_argument("--optimizer", type=OptimizerCallable)
    parser.add_argument("--data", type=im.SineData)
    parser.add_argument("--classifier", type=im.Classifier)
    return parser


def test_a_model_exports_as_class_path_and_init_args():
    assert to_jsonargparse(make_model()) == {
        "class_path": "interop_models.TinyNet",
        "init_args": {
            "encoder": {
                "class_path": "torch.nn.modules.linear.Linear",
                "init_args": {"in_features": 1, "out_features": 8},
            },
            "head": {
                "class_path": "torch.nn.modules.linear.Linear",
                "init_args": {"in_features": 8, "out_features": 1},
            },
            "dropout": 0.1,
        },
    }


def test_the_yaml_text_is_what_jsonargparse_writes():
    data = im.SineData(im.SineDataset(n=10), batch_size=2, collate_fn=im.stack_batch)
    assert to_jsonargparse_yaml({"data": data}) == (
        "data:\n"
        "  class_path: interop_models.SineData\n"
        "  init_args:\n"
        "    dataset:\n"
        "      class_path: interop_models.SineDataset\n"
        "      init_args:\n"
        "        n: 10\n"
        "    batch_size: 2\n"
        "    collate_fn: interop_models.stack_batch\n"
    )


def test_positional_arguments_are_named_after_their_parameters():
    assert to_jsonargparse(im.Pair(1, (2, 3))) == {
        "class_path": "interop_models.Pair",
        "init_args": {"first": 1, "second": [2, 3]},
    }


def test_the_parser_instantiates_the_exported_tree_as_lightningcli_does():
    torch.manual_seed(0)
    model = make_model()
    optimizer = trace(torch.optim.SGD)(model.parameters(), lr=0.1, momentum=0.9)
    data = im.SineData(im.SineDataset(n=10, scale=0.5), batch_size=4, collate_fn=im.stack_batch)
    classifier = make_classifier()
    tree = {"model": model, "optimizer": optimizer, "data": data, "classifier": classifier}
    assert to_jsonargparse(tree)["optimizer"] == {
        "class_path": "torch.optim.sgd.SGD",
        "init_args": {"lr": 0.1, "momentum": 0.9},
    }

    parser = make_parser()
    torch.manual_seed(0)
    init = parser.instantiate(parser.parse_string(to_jsonargparse_yaml(tree)))

    assert repr(init.model) == repr(model)
    for key, tensor in model.state_dict().items():
        assert torch.equal(init.model.state_dict()[key], tensor), key
    rebuilt_optimizer = init.optimizer(init.model.parameters())
    assert isinstance(rebuilt_optimizer, torch.optim.SGD)
    assert rebuilt_optimizer.defaults == optimizer.defaults
    loader = init.data.train_dataloader()
    assert [(x.tolist(), y.tolist()) for x, y in loader] == [
        (x.tolist(), y.tolist()) for x, y in data.train_dataloader()
    ]
    assert init.classifier == classifier
    assert init.classifier.activation is math.erf


def test_a_tree_dumps_the_same_after_jsonargparse_and_back():
    loader = trace(DataLoader)(im.SineDataset(n=10), batch_size=4, collate_fn=im.stack_batch)
    data = im.SineData(im.SineDataset(n=6), collate_fn=im.stack_batch)
    tree = {"model": make_model(), "loader": loader, "data": data, "classifier": make_classifier()}
    rebuilt = from_jsonargparse(to_jsonargparse_yaml(tree))
    assert traceable.dump(rebuilt) == traceable.dump(tree)
    assert rebuilt["classifier"] == tree["classifier"]
    # Strings given to Callable and type[...] parameters are imported, as jsonargparse does.
    assert rebuilt["loader"].collate_fn is im.stack_batch
    assert rebuilt["data"].collate_fn is im.stack_batch
    assert from_jsonargparse(to_jsonargparse(tree)).keys() == tree.keys()


def test_positional_arguments_come_back_by_name():
    # jsonargparse has no positional form: the same call, recorded by keyword.
    assert from_jsonargparse(to_jsonargparse(im.Pair(1, [2]))).trace_kwargs == {"first": 1, "second": [2]}


def test_a_config_without_required_arguments_gives_a_traced_partial():
    factory = from_jsonargparse("class_path: torch.optim.SGD\ninit_args:\n  lr: 1e-3\n")
    assert isinstance(factory, functools.partial)
    assert factory.keywords == {"lr": 0.001}  # 1e-3 is a float, as jsonargparse's YAML loader reads it
    model = nn.Linear(2, 1)
    optimizer = factory(model.parameters())
    assert optimizer.trace_kwargs == {"params": list(model.parameters()), "lr": 0.001}
    assert to_jsonargparse(factory) == {"class_path": "torch.optim.sgd.SGD", "init_args": {"lr": 0.001}}


def test_dict_kwargs_are_passed_as_keyword_arguments():
    built = from_jsonargparse({"class_path": "builtins.dict", "init_args": {"a": 1}, "dict_kwargs": {"b": 2}})
    assert built == {"a": 1, "b": 2}
    assert built.trace_kwargs == {"a": 1, "b": 2}


def test_a_string_for_a_parameter_that_also_takes_strings_stays_a_string():
    built = from_jsonargparse({"class_path": "interop_models.Tokenizer", "init_args": {"vocab": ["math.erf"]}})
    assert built.vocab == ["math.erf"]


# -- safe loading ---------------------------------------------------------------------------


def test_safe_from_jsonargparse_refuses_names_outside_allow_before_importing(tmp_path, monkeypatch):
    marker = tmp_path / "imported"
    monkeypatch.setenv("TRACEABLE_TEST_MARKER", str(marker))
    monkeypatch.delitem(sys.modules, "hostile_import", raising=False)
    text = "data:\n  class_path: interop_models.SineData\n  init_args:\n    dataset: {class_path: hostile_import.anything}\n"
    with pytest.raises(traceable.UnsafePayloadError) as info:
        from_jsonargparse(text, safe=True, allow=["interop_models"])
    assert (info.value.path, info.value.symbol, info.value.rule) == (
        "$.data.init_args.dataset.class_path",
        "hostile_import.anything",
        "allow",
    )
    assert not marker.exists()


def test_safe_from_jsonargparse_checks_imported_strings_too():
    text = "class_path: interop_models.SineData\ninit_args:\n  dataset: null\n  collate_fn: os.system\n"
    with pytest.raises(traceable.UnsafePayloadError) as info:
        from_jsonargparse(text, safe=True, allow=["interop_models"])
    assert (info.value.path, info.value.symbol) == ("$.init_args.collate_fn", "os.system")


def test_safe_from_jsonargparse_builds_what_allow_names():
    tree = from_jsonargparse(to_jsonargparse_yaml(make_model()), safe=True, allow=["interop_models", "torch.nn"])
    assert traceable.dump(tree) == traceable.dump(make_model())


# -- errors ---------------------------------------------------------------------------------


def test_star_args_cannot_be_expressed_and_the_error_says_what_to_do():
    model = im.TinyNet(encoder=trace(nn.Sequential)(trace(nn.Linear)(1, 8), trace(nn.Tanh)()), head=nn.Identity())
    with pytest.raises(traceable.EncodeError) as info:
        to_jsonargparse({"model": model})
    assert info.value.path == "$.model.init_args.encoder"
    assert str(info.value) == (
        "cannot export the call to torch.nn.modules.container.Sequential at $.model.init_args.encoder to a "
        "jsonargparse config: its positional argument 0 goes to *args, and class_path/init_args passes arguments "
        "by keyword only; trace a class or function that takes them by keyword (such as a subclass whose "
        "__init__(self, layers: list) calls super().__init__(*layers))"
    )


def test_an_untraced_object_is_an_error_naming_its_path():
    with pytest.raises(traceable.EncodeError) as info:
        to_jsonargparse({"model": im.TinyNet(encoder=nn.Identity(), head=nn.Identity())})
    assert info.value.path == "$.model.init_args.encoder"
    assert "cannot export a torch.nn.modules.linear.Identity at $.model.init_args.encoder to a jsonargparse" in str(
        info.value
    )


def test_an_omit_path_that_names_no_argument_is_an_error_with_the_nearest_path():
    # The Hydra spelling of the path, without init_args: nothing in this config.
    with pytest.raises(traceable.EncodeError) as info:
        to_jsonargparse_yaml({"model": im.Encoder(width=8)}, omit=["$.model.width"])
    assert str(info.value) == (
        "omit names no argument of a call in the jsonargparse config: '$.model.width' (did you mean "
        "'$.model.init_args.width'?); omit takes the paths of call arguments as the config writes them, such as "
        "'$.optimizer.init_args.params'"
    )
    assert to_jsonargparse({"model": im.Encoder(width=8)}, omit=["$.model.init_args.width"]) == {
        "model": {"class_path": "interop_models.Encoder"}
    }


def test_a_data_dict_that_reads_as_a_class_is_an_error():
    with pytest.raises(traceable.EncodeError, match=r"jsonargparse would read it as a class to build") as info:
        to_jsonargparse({"x": {"class_path": "a.b"}})
    assert info.value.path == "$.x"


@pytest.mark.parametrize(
    ("config", "path", "message"),
    [
        ({"m": {"class_path": "builtins.dict", "a": 1}}, "$.m", "beside class_path it takes only init_args"),
        ({"m": {"class_path": "builtins.dict", "init_args": [1]}}, "$.m", "init_args at $.m must be a mapping"),
        ({"m": {"class_path": "SGD"}}, "$.m.class_path", "must be a dotted import path such as 'torch.nn.Linear'"),
        ({"m": {"class_path": "interop_models.Encoder", "init_args": {"nope": 1}}}, "$.m", "raised TypeError"),
    ],
)
def test_a_bad_config_is_an_error_naming_where(config, path, message):
    with pytest.raises(traceable.DecodeError) as info:
        from_jsonargparse(config)
    assert info.value.path == path
    assert message in str(info.value)


def test_without_jsonargparse_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "jsonargparse", None)
    with pytest.raises(ImportError, match=r"^from_jsonargparse needs jsonargparse: pip install jsonargparse$"):
        from_jsonargparse("a: 1")


def test_a_scalar_is_not_a_config():
    with pytest.raises(traceable.DecodeError, match=r"^the config is not a YAML mapping or list, but 42$"):
        from_jsonargparse("42")
