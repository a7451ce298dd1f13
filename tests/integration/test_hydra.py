"""traceable.interop with the real hydra-core: traced trees to Hydra configs and back."""

from __future__ import annotations

import functools
import math
import sys

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: pip install -e '.[test]' installs the CPU build")
hydra_utils = pytest.importorskip("hydra.utils", reason="pip install -e '.[test]' installs hydra-core")
omegaconf = pytest.importorskip("omegaconf")

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402

import interop_models as im  # noqa: E402
import traceable  # noqa: E402
from traceable import trace  # noqa: E402
from traceable.interop import from_hydra, to_hydra, to_hydra_yaml  # noqa: E402

instantiate = hydra_utils.instantiate
OmegaConf = omegaconf.OmegaConf


def make_model() -> nn.Module:
    encoder = trace(nn.Sequential)(trace(nn.Linear)(1, 8), trace(nn.Tanh)())
    return im.TinyNet(encoder=encoder, head=trace(nn.Linear)(8, 1), dropout=0.1)


def make_loader() -> DataLoader:
    return trace(DataLoader)(im.SineDataset(n=10, scale=0.5), batch_size=4, collate_fn=im.stack_batch)


def make_classifier() -> im.Classifier:
    tokenizer = im.Tokenizer(["the", "cat"], lowercase=False, specials={"<pad>": 0, "<unk>": 1})
    return im.Classifier(tokenizer, im.Encoder(width=16, dropout=0.25), labels=["neg", "pos"], activation=math.erf)


MODEL_CONFIG = {
    "_target_": "interop_models.TinyNet",
    "encoder": {
        "_target_": "torch.nn.modules.container.Sequential",
        "_args_": [
            {"_target_": "torch.nn.modules.linear.Linear", "in_features": 1, "out_features": 8},
            {"_target_": "torch.nn.modules.activation.Tanh"},
        ],
    },
    "head": {"_target_": "torch.nn.modules.linear.Linear", "in_features": 8, "out_features": 1},
    "dropout": 0.1,
}


def assert_same_module(a: nn.Module, b: nn.Module) -> None:
    assert repr(a) == repr(b)
    state_a, state_b = a.state_dict(), b.state_dict()
    assert list(state_a) == list(state_b)
    for key, tensor in state_a.items():
        assert torch.equal(tensor, state_b[key]), key


# -- export: what the config looks like ----------------------------------------------------


def test_a_model_with_nested_submodules_exports_as_targets_args_and_fields():
    assert to_hydra(make_model()) == MODEL_CONFIG


def test_the_yaml_text_is_omegaconfs():
    assert to_hydra_yaml(make_loader()) == (
        "_target_: torch.utils.data.dataloader.DataLoader\n"
        "dataset:\n"
        "  _target_: interop_models.SineDataset\n"
        "  'n': 10\n"
        "  scale: 0.5\n"
        "batch_size: 4\n"
        "collate_fn:\n"
        "  _target_: hydra.utils.get_method\n"
        "  path: interop_models.stack_batch\n"
    )


def test_calls_with_list_or_dict_arguments_ask_hydra_for_plain_containers():
    assert to_hydra(make_classifier()) == {
        "_target_": "interop_models.Classifier",
        "_convert_": "all",
        "tokenizer": {
            "_target_": "interop_models.Tokenizer",
            "_convert_": "all",
            "vocab": ["the", "cat"],
            "lowercase": False,
            "specials": {"<pad>": 0, "<unk>": 1},
        },
        "encoder": {"_target_": "interop_models.Encoder", "width": 16, "dropout": 0.25},
        "labels": ["neg", "pos"],
        "activation": {"_target_": "hydra.utils.get_method", "path": "math.erf"},
    }


def test_positional_arguments_go_to_args_and_tuples_become_lists():
    pair = im.Pair((1, 2), im.Pair("x"))
    assert to_hydra(pair) == {
        "_target_": "interop_models.Pair",
        "_convert_": "all",
        "_args_": [[1, 2], {"_target_": "interop_models.Pair", "_args_": ["x"]}],
    }


def test_a_traced_function_and_a_class_as_a_value_export_as_hydra_spells_them():
    assert to_hydra({"clf": im.make_classifier(["a"], width=4), "kind": nn.ReLU}) == {
        "clf": {"_target_": "interop_models.make_classifier", "_convert_": "all", "labels": ["a"], "width": 4},
        "kind": {"_target_": "hydra.utils.get_class", "path": "torch.nn.modules.activation.ReLU"},
    }


# -- hydra.utils.instantiate builds an equal object ----------------------------------------


def test_instantiate_rebuilds_an_equal_model():
    torch.manual_seed(0)
    original = make_model()
    torch.manual_seed(0)
    rebuilt = instantiate(OmegaConf.create(to_hydra_yaml(original)))
    assert_same_module(rebuilt, original)
    assert rebuilt.trace_kwargs["dropout"] == 0.1  # TinyNet is traced where it is defined
    original.eval()
    rebuilt.eval()
    assert torch.equal(rebuilt(torch.ones(2, 1)), original(torch.ones(2, 1)))


def test_instantiate_rebuilds_an_equal_pure_python_tree_with_plain_containers():
    original = make_classifier()
    rebuilt = instantiate(to_hydra(original))
    assert rebuilt == original
    assert type(rebuilt.labels) is list
    assert type(rebuilt.tokenizer.specials) is dict
    # Traced where defined, so Hydra's objects are traced too, and dump as the original does.
    assert traceable.dump(rebuilt) == traceable.dump(original)


def test_instantiate_rebuilds_positional_calls():
    original = im.Pair([1, 2], im.Pair("x", {"k": [3]}))
    assert instantiate(OmegaConf.create(to_hydra_yaml(original))) == original


def test_instantiate_rebuilds_a_data_loader_over_a_dataset():
    original = make_loader()
    rebuilt = instantiate(OmegaConf.create(to_hydra_yaml(original)))
    assert isinstance(rebuilt, DataLoader)
    assert rebuilt.batch_size == 4
    assert rebuilt.collate_fn is im.stack_batch
    assert [(x.tolist(), y.tolist()) for x, y in rebuilt] == [(x.tolist(), y.tolist()) for x, y in original]


def test_an_optimizer_over_the_model_parameters_becomes_a_partial_the_program_completes():
    model = make_model()
    optimizer = trace(torch.optim.SGD)(model.parameters(), lr=0.1, momentum=0.9)
    config = to_hydra({"model": model, "optimizer": optimizer})
    assert config["optimizer"] == {"_target_": "torch.optim.sgd.SGD", "_partial_": True, "lr": 0.1, "momentum": 0.9}

    cfg = OmegaConf.create(to_hydra_yaml({"model": model, "optimizer": optimizer}))
    rebuilt_model = instantiate(cfg.model)
    rebuilt = instantiate(cfg.optimizer)(rebuilt_model.parameters())
    assert isinstance(rebuilt, torch.optim.SGD)
    assert rebuilt.defaults == optimizer.defaults
    assert rebuilt.param_groups[0]["params"] == list(rebuilt_model.parameters())


def test_param_groups_are_left_out_too():
    model = make_model()
    groups = [{"params": model.encoder.parameters(), "lr": 0.01}, {"params": model.head.parameters()}]
    optimizer = trace(torch.optim.Adam)(groups, lr=0.001)
    assert to_hydra(optimizer) == {"_target_": "torch.optim.adam.Adam", "_partial_": True, "lr": 0.001}


# -- from_hydra: configs back to traced trees -----------------------------------------------


def test_a_tree_dumps_the_same_after_hydra_and_back():
    tree = {"model": make_model(), "data": make_loader(), "classifier": make_classifier(), "pair": im.Pair([1], 2)}
    rebuilt = from_hydra(to_hydra_yaml(tree))
    assert traceable.dump(rebuilt) == traceable.dump(tree)
    assert traceable.is_traceable(rebuilt["model"].encoder[0])
    assert rebuilt["classifier"] == tree["classifier"]


def test_from_hydra_takes_text_dicts_and_dictconfigs():
    text = to_hydra_yaml(make_model())
    expected = traceable.dump(make_model())
    for cfg in (text, to_hydra(make_model()), OmegaConf.create(text)):
        assert traceable.dump(from_hydra(cfg)) == expected


def test_from_hydra_resolves_interpolations():
    text = """
    width: 8
    model:
      _target_: interop_models.Encoder
      width: ${width}
      depth: ${.width}
      dropout: 0.5
    note: \\\\\\${not an interpolation}
    """
    tree = from_hydra(text)
    assert tree == {"width": 8, "model": im.Encoder(8, 8, 0.5), "note": "${not an interpolation}"}
    assert tree["model"].trace_kwargs == {"width": 8, "depth": 8, "dropout": 0.5}
    # As instantiate reads it: resolved twice, so a literal ${ is escaped twice.
    assert instantiate(OmegaConf.create(text), _convert_="all") == tree


def test_from_hydra_resolves_as_instantiate_does_escapes_included():
    text = "a:\n  _target_: builtins.dict\n  x: \\${b}\nb: 1\n"
    assert from_hydra(text) == {"a": {"x": 1}, "b": 1} == instantiate(OmegaConf.create(text), _convert_="all")


def test_a_partial_config_gives_a_traced_partial_that_builds_a_traced_object():
    text = "_target_: torch.optim.SGD\n_partial_: true\nparams: ???\nlr: 0.1\n"
    factory = from_hydra(text)
    assert isinstance(factory, functools.partial)
    assert factory.keywords == {"lr": 0.1}
    assert traceable.dump(factory) == (
        '{"__symbol__": "path:functools.partial", "__args__": [{"__nni_type__": "path:torch.optim.sgd.SGD"}], '
        '"__kwargs__": {"lr": 0.1}}'
    )
    model = nn.Linear(2, 1)
    optimizer = factory(model.parameters())
    assert isinstance(optimizer, torch.optim.SGD)
    assert optimizer.trace_kwargs == {"params": list(model.parameters()), "lr": 0.1}
    # And back: the partial exports as the partial config it came from, by the canonical path.
    assert to_hydra(factory) == {"_target_": "torch.optim.sgd.SGD", "_partial_": True, "lr": 0.1}


def test_recursive_false_passes_nested_configs_as_data_and_exports_back_the_same():
    text = (
        "_target_: interop_models.Scheduled\n"
        "_recursive_: false\n"
        "optimizer:\n"
        "  _target_: torch.optim.SGD\n"
        "  lr: 0.1\n"
        "warmup: 3\n"
    )
    scheduled = from_hydra(text)
    assert scheduled.optimizer == {"_target_": "torch.optim.SGD", "lr": 0.1}
    assert to_hydra(scheduled) == {
        "_target_": "interop_models.Scheduled",
        "_recursive_": False,
        "_convert_": "all",
        "optimizer": {"_target_": "torch.optim.SGD", "lr": 0.1},
        "warmup": 3,
    }
    assert instantiate(to_hydra(scheduled)).optimizer == {"_target_": "torch.optim.SGD", "lr": 0.1}


def test_get_class_and_get_method_give_the_objects_themselves():
    text = (
        "kind: {_target_: hydra.utils.get_class, path: torch.nn.ReLU}\n"
        "fn: {_target_: hydra.utils.get_method, path: math.floor}\n"
    )
    assert from_hydra(text) == {"kind": nn.ReLU, "fn": math.floor}


@given(
    st.text().filter(lambda text: text != "???")
    | st.sampled_from(["${x}", "\\${x}", "a\\\\${x}", "???x", "\x85", "1e3", "n", "~"])
)
def test_any_string_survives_omegaconf(text):
    config = to_hydra(trace(dict)(value=text, values=[text]))
    assert instantiate(config) == {"value": text, "values": [text]}
    assert instantiate(OmegaConf.create(to_hydra_yaml(trace(dict)(value=text)))) == {"value": text}
    assert from_hydra(to_hydra_yaml(trace(dict)(value=text, values=[text]))).trace_kwargs == {
        "value": text,
        "values": [text],
    }
    # What to_hydra escapes is text to the resolver check too.
    assert from_hydra(to_hydra_yaml(trace(dict)(value=text)), safe=True, allow=["builtins.dict"]) == {"value": text}


# -- safe loading ---------------------------------------------------------------------------


def test_safe_from_hydra_refuses_targets_outside_allow_before_importing(tmp_path, monkeypatch):
    marker = tmp_path / "imported"
    monkeypatch.setenv("TRACEABLE_TEST_MARKER", str(marker))
    monkeypatch.delitem(sys.modules, "hostile_import", raising=False)
    text = "model:\n  _target_: interop_models.Encoder\n  width: 4\n  dropout: {_target_: hostile_import.anything}\n"
    with pytest.raises(traceable.UnsafePayloadError) as info:
        from_hydra(text, safe=True, allow=["interop_models"])
    assert info.value.path == "$.model.dropout"
    assert info.value.symbol == "hostile_import.anything"
    assert info.value.rule == "allow"
    assert "refused to import 'hostile_import.anything' for a Hydra call at $.model.dropout" in str(info.value)
    assert not marker.exists()
    assert "hostile_import" not in sys.modules


def test_safe_from_hydra_checks_what_get_class_imports():
    with pytest.raises(traceable.UnsafePayloadError) as info:
        from_hydra("{_target_: hydra.utils.get_method, path: os.system}", safe=True, allow=["math"])
    assert (info.value.path, info.value.symbol) == ("$.path", "os.system")


def test_safe_from_hydra_refuses_an_alias_that_resolves_outside_allow():
    with pytest.raises(traceable.UnsafePayloadError) as info:
        from_hydra(
            "_target_: interop_models.nn.Linear\nin_features: 1\nout_features: 1\n", safe=True, allow=["interop_models"]
        )
    assert info.value.symbol == "interop_models.nn.Linear"
    assert "imports as torch.nn.modules.linear.Linear" in str(info.value)


def test_safe_from_hydra_refuses_yaml_aliases():
    text = "a: &x [1, 2]\nb: *x\n"
    assert from_hydra(text) == {"a": [1, 2], "b": [1, 2]}
    with pytest.raises(traceable.UnsafePayloadError) as info:
        from_hydra(text, safe=True)
    assert info.value.rule == "yaml_alias"


@pytest.fixture
def hostile_setting(monkeypatch, tmp_path):
    # What the refusal guards: a secret in the environment, and a program that registered an
    # `eval` resolver (a common pattern), run in a directory where it would leave a file.
    monkeypatch.setenv("TRACEABLE_TEST_SECRET", "s3cret")
    monkeypatch.chdir(tmp_path)
    OmegaConf.register_new_resolver("test_eval", eval)
    yield
    OmegaConf.clear_resolver("test_eval")


@pytest.mark.parametrize(
    ("text", "path", "resolver", "value"),
    [
        ("a: ${oc.env:TRACEABLE_TEST_SECRET}", "$.a", "oc.env", "${oc.env:TRACEABLE_TEST_SECRET}"),
        ("a: {b: [1, 'run-${oc.env:USER}-x']}", "$.a.b[1]", "oc.env", "run-${oc.env:USER}-x"),
        ("a: 1\nb: ${oc.select:${a},2}", "$.b", "oc.select", "${oc.select:${a},2}"),
        (
            'a: ${test_eval:\'__import__("pathlib").Path("evaluated").touch()\'}',
            "$.a",
            "test_eval",
            '${test_eval:\'__import__("pathlib").Path("evaluated").touch()\'}',
        ),
        # Escaped once, it is text to the first resolution and an interpolation to the second
        # (instantiate's): refused as what the second would resolve.
        ("a: \\${oc.env:TRACEABLE_TEST_SECRET}", "$.a", "oc.env", "${oc.env:TRACEABLE_TEST_SECRET}"),
        ("a: \\${oc.env:TRACEABLE_TEST_SECRET}\nb: ${a}", "$.a", "oc.env", "${oc.env:TRACEABLE_TEST_SECRET}"),
    ],
)
@pytest.mark.usefixtures("hostile_setting")
def test_safe_from_hydra_refuses_resolvers_before_resolving_anything(text, path, resolver, value, tmp_path):
    with pytest.raises(traceable.UnsafePayloadError) as info:
        from_hydra(text, safe=True)
    assert str(info.value) == (
        f"refused the config: the value at {path} calls the OmegaConf resolver {resolver!r} ({value!r}), and a "
        "resolver runs code when the config is resolved (oc.env reads the environment; a program may have "
        "registered any other); write the value out, or load the config without safe=True only if you trust "
        "its source"
    )
    assert (info.value.path, info.value.symbol, info.value.rule) == (path, resolver, "resolver")
    assert not (tmp_path / "evaluated").exists()


def test_safe_from_hydra_refuses_resolvers_in_a_dictconfig_under_a_checking_policy(monkeypatch):
    monkeypatch.setenv("TRACEABLE_TEST_SECRET", "s3cret")
    cfg = OmegaConf.create({"model": {"name": "${oc.env:TRACEABLE_TEST_SECRET}"}})
    assert from_hydra(cfg) == {"model": {"name": "s3cret"}}
    with pytest.raises(traceable.UnsafePayloadError) as info:
        from_hydra(cfg, policy=traceable.LoadPolicy(allow=["builtins"]))
    assert (info.value.path, info.value.symbol) == ("$.model.name", "oc.env")


def test_safe_from_hydra_resolves_plain_references_and_keeps_escaped_text():
    text = (
        "k: a\na: 1\nb: ${a}\nc:\n  d: ${..a}\n  e: x-${a}-${c.d}\nf: ${${k}}\n"
        "g: \\\\\\${oc.env:TRACEABLE_TEST_SECRET}\n"
    )
    assert from_hydra(text, safe=True) == {
        "k": "a",
        "a": 1,
        "b": 1,
        "c": {"d": 1, "e": "x-1-1"},
        "f": 1,
        "g": "${oc.env:TRACEABLE_TEST_SECRET}",
    }


def test_safe_from_hydra_builds_what_allow_names():
    tree = from_hydra(to_hydra_yaml(make_model()), safe=True, allow=["interop_models", "torch.nn"])
    assert traceable.dump(tree) == traceable.dump(make_model())


# -- errors ---------------------------------------------------------------------------------


def test_a_tensor_in_a_config_is_an_error_naming_its_path_and_what_to_do():
    dataset = trace(torch.utils.data.TensorDataset)(torch.arange(3), torch.arange(3))
    loader = trace(DataLoader)(dataset, batch_size=2)
    with pytest.raises(traceable.EncodeError) as info:
        to_hydra({"data": loader})
    assert info.value.path == "$.data.dataset._args_[0]"
    assert str(info.value) == (
        "cannot export a torch.Tensor at $.data.dataset._args_[0] to a Hydra config, which holds only None, "
        "bool, int, float, str, lists, dicts and calls (_target_) of importable classes and functions; convert "
        "it to one of those, make it with a traced class or function (traceable.trace) so that it is written "
        "as a call, or leave it out with omit=['$.data.dataset._args_[0]'] to make the call that takes it a "
        "partial that your program completes"
    )


def test_omit_leaves_out_the_last_positional_arguments():
    dataset = trace(torch.utils.data.TensorDataset)(torch.arange(3), torch.arange(3))
    assert to_hydra(dataset, omit=["$._args_[0]", "$._args_[1]"]) == {
        "_target_": "torch.utils.data.dataset.TensorDataset",
        "_partial_": True,
    }
    with pytest.raises(traceable.EncodeError, match=r"only the last ones can be left out") as info:
        to_hydra(dataset, omit=["$._args_[0]"])
    assert info.value.path == "$._args_[0]"


def test_an_omit_path_that_names_no_argument_is_an_error_with_the_nearest_path():
    model = {"model": im.Encoder(width=8, dropout=0.5)}
    with pytest.raises(traceable.EncodeError) as info:
        to_hydra(model, omit=["$.model.widht", "$.model.dropout", "$.nothing"])
    assert str(info.value) == (
        "omit names no argument of a call in the Hydra config: '$.model.widht' (did you mean '$.model.width'?), "
        "'$.nothing'; omit takes the paths of call arguments as the config writes them, such as "
        "'$.optimizer.params'"
    )
    assert info.value.path == "$.model.widht"
    assert to_hydra(model, omit=["$.model.width"]) == {
        "model": {"_target_": "interop_models.Encoder", "_partial_": True, "dropout": 0.5}
    }


@pytest.mark.parametrize("omit", [["model.width"], ["$.model.width", 3]])
def test_an_omit_path_without_the_root_is_an_error(omit):
    with pytest.raises(traceable.EncodeError) as info:
        to_hydra_yaml({"model": im.Encoder(width=8)}, omit=omit)
    wrong = ", ".join(repr(path) for path in omit if path != "$.model.width")
    assert str(info.value) == f"omit takes config paths starting with '$', such as '$.optimizer.params', not {wrong}"


@pytest.mark.parametrize(
    ("value", "path", "message"),
    [
        ({"s": {1, 2}}, "$.s", "cannot export a set at $.s to a Hydra config"),
        ({"f": lambda x: x}, "$.f.path", "it is defined inside a function; define it at module level"),
        ({"m": "???"}, "$.m", "OmegaConf reads it as a missing value"),
        ({"d": {"_target_": "x.y"}}, "$.d", "Hydra would read its key(s) _target_ as instructions; rename them"),
        ({"d": {None: 1}}, "$.d", "its key None is a NoneType; configs take str, int, float and bool keys"),
        ([1, 2], "$", "the root must be a traced object or a dict"),
    ],
)
def test_what_hydra_cannot_hold_is_an_error(value, path, message):
    with pytest.raises(traceable.EncodeError) as info:
        to_hydra(value)
    assert info.value.path == path
    assert message in str(info.value)


def test_an_enum_error_suggests_its_value():
    import enum

    color = enum.Enum("Color", {"RED": 1})
    with pytest.raises(traceable.EncodeError, match=r"write its value \(1\) instead, convert it"):
        to_hydra({"c": color.RED})


def test_a_cycle_through_traced_objects_is_an_error():
    box = trace(dict)(inner=None)
    box.trace_kwargs["inner"] = box
    with pytest.raises(traceable.EncodeError, match=r"at \$\.inner: it contains itself"):
        to_hydra(box)


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        ("a: {_target_: interop_models.Encoder}", "$.a", "calling interop_models.Encoder at $.a with the config's"),
        ("a: {_target_: no_such_module.X}", "$.a", "cannot import 'no_such_module.X' for a Hydra call at $.a"),
        ("a: {_target_: 'not a path'}", "$.a", "a Hydra call at $.a must be a dotted import path"),
        ("a: {_target_: math.pi}", "$.a", "'math.pi' at $.a is not a class or function"),
        ("a: {_target_: builtins.dict, _args_: 3}", "$.a", "_args_ at $.a must be a list, not int"),
        ("a: {_target_: builtins.dict, _partial_: 1}", "$.a", "_partial_ at $.a must be true or false, not 1"),
        ("a: {_target_: builtins.dict, _convert_: some}", "$.a", "_convert_ at $.a must be one of all, none,"),
        ("a:\n  b: ???\n", "$.a.b", "the config has no value at $.a.b ('???', a missing value); set one"),
        ("a: ${nowhere}", "$.a", "cannot read the Hydra config at $.a: InterpolationKeyError"),
        ("a: [1", None, "cannot read the Hydra config: "),
    ],
)
def test_a_bad_config_is_an_error_naming_where(text, path, message):
    with pytest.raises(traceable.DecodeError) as info:
        from_hydra(text)
    assert info.value.path == path
    assert message in str(info.value)


def test_without_omegaconf_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "omegaconf", None)
    with pytest.raises(ImportError, match=r"^from_hydra needs omegaconf: pip install hydra-core$"):
        from_hydra("a: 1")


def test_a_read_only_dictconfig_is_read_without_being_changed():
    cfg = OmegaConf.create({"a": {"_target_": "builtins.dict", "x": "${b}"}, "b": 2})
    OmegaConf.set_readonly(cfg, True)
    assert from_hydra(cfg) == {"a": {"x": 2}, "b": 2}
    assert OmegaConf.to_container(cfg) == {"a": {"_target_": "builtins.dict", "x": "${b}"}, "b": 2}


def test_numpy_scalars_are_written_as_python_numbers_as_dump_writes_them():
    np = pytest.importorskip("numpy")
    config = to_hydra(im.Encoder(np.int64(8), dropout=np.float32(0.5)))
    assert config == {"_target_": "interop_models.Encoder", "width": 8, "dropout": 0.5}
    assert type(config["width"]) is int
    assert instantiate(config) == im.Encoder(8, dropout=0.5)


def test_a_scalar_is_not_a_config():
    with pytest.raises(traceable.DecodeError, match=r"^cannot read the Hydra config: AssertionError: it is not a YAML"):
        from_hydra("42")
