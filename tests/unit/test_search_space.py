"""traceable.typehint's search-space helpers: validation, seeded sampling, and NNI 3.0's semantics.

The sampler is tested statistically: many seeded draws per type, checked against the
distribution NNI documents (Kolmogorov-Smirnov for continuous ones, chi-square for discrete
ones, at a significance of 0.001 with tolerances computed from the sample size), so a wrong
formula fails while a correct one passes for any seed.
"""

from __future__ import annotations

import logging
import math
import random
import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from traceable import SearchSpaceError, TraceableError
from traceable.typehint import sample_parameters, validate_search_space

N = 10_000  # draws per statistical test
KS_CRITICAL = math.sqrt(-math.log(0.001 / 2) / 2)  # D * sqrt(n) beyond this: p < 0.001
Z_CRITICAL = 3.29  # two-sided p < 0.001 for a normal statistic


# ----------------------------------------------------------------------------- helpers


def draws(spec: dict[str, Any], n: int = N, seed: int = 20240601) -> list[Any]:
    rng = random.Random(seed)
    return [sample_parameters({"x": spec}, rng)["x"] for _ in range(n)]


def ks_distance(sample: Iterable[float], cdf: Callable[[float], float]) -> float:
    """Kolmogorov-Smirnov distance between a sample's empirical CDF and ``cdf``."""
    xs = sorted(sample)
    n = len(xs)
    return max(max(cdf(x) - i / n, (i + 1) / n - cdf(x)) for i, x in enumerate(xs))


def assert_follows(sample: list[float], cdf: Callable[[float], float]) -> None:
    distance = ks_distance(sample, cdf)
    assert distance * math.sqrt(len(sample)) < KS_CRITICAL, distance


def chi_square_critical(df: int, z: float = 3.09) -> float:
    """Upper critical value of chi-square (Wilson-Hilferty), p < 0.001 for z = 3.09."""
    return df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3


def assert_frequencies(sample: list[Any], expected: dict[Any, float]) -> None:
    """The sample takes exactly the expected values, at the expected frequencies."""
    counts = Counter(sample)
    assert set(counts) == set(expected)
    assert math.isclose(sum(expected.values()), 1.0)
    n = len(sample)
    chi2 = sum((counts[v] - n * p) ** 2 / (n * p) for v, p in expected.items())
    assert chi2 < chi_square_critical(len(expected) - 1), (chi2, counts)


def assert_moments(sample: list[float], mean: float, variance: float, fourth_moment: float) -> None:
    """Sample mean and variance within Z_CRITICAL standard errors of the true ones."""
    n = len(sample)
    assert abs(statistics.fmean(sample) - mean) < Z_CRITICAL * math.sqrt(variance / n)
    assert abs(statistics.variance(sample) - variance) < Z_CRITICAL * math.sqrt((fourth_moment - variance**2) / n)


def on_grid(value: float, q: float) -> bool:
    return math.isclose(value / q, round(value / q), abs_tol=1e-9)


def in_support(spec: dict[str, Any], value: Any) -> bool:
    """Whether NNI's semantics allow ``value`` to be drawn from ``spec``."""
    type_, args = spec["_type"], spec["_value"]
    if type_ == "choice":
        if isinstance(args[0], dict):
            options = {option["_name"]: option for option in args}
            if not isinstance(value, dict) or value.get("_name") not in options:
                return False
            option = options[value["_name"]]
            subs = {k: v for k, v in option.items() if k != "_name"}
            return value.keys() == {"_name", *subs} and all(in_support(subs[k], value[k]) for k in subs)
        return value in args
    if type_ == "randint":
        return type(value) is int and args[0] <= value < args[1]
    if type(value) is not float or not math.isfinite(value):
        return False
    if type_ in ("uniform", "loguniform"):
        return args[0] <= value <= args[1]
    if type_ in ("quniform", "qloguniform"):
        return args[0] <= value <= args[1] and (value in (args[0], args[1]) or on_grid(value, args[2]))
    if type_ == "lognormal":
        return value > 0
    if type_ == "qnormal":
        return on_grid(value, args[2])
    if type_ == "qlognormal":
        return value >= 0 and on_grid(value, args[2])
    return type_ == "normal"


# Every type, with a nested choice inside a nested choice.
EVERY_TYPE: dict[str, Any] = {
    "optimizer": {
        "_type": "choice",
        "_value": [
            {"_name": "sgd", "momentum": {"_type": "quniform", "_value": [0.5, 0.9, 0.1]}},
            {
                "_name": "adam",
                "lr": {"_type": "loguniform", "_value": [1e-5, 1e-2]},
                "schedule": {
                    "_type": "choice",
                    "_value": [
                        {"_name": "constant"},
                        {"_name": "cosine", "warmup": {"_type": "randint", "_value": [0, 5]}},
                    ],
                },
            },
        ],
    },
    "activation": {"_type": "choice", "_value": ["relu", "tanh", 0.5, None, [64, 64]]},
    "seed": {"_type": "randint", "_value": [-3, 4]},
    "dropout": {"_type": "uniform", "_value": [0.1, 0.5]},
    "width": {"_type": "quniform", "_value": [2, 10, 5]},
    "lr": {"_type": "loguniform", "_value": [1e-4, 0.1]},
    "batch": {"_type": "qloguniform", "_value": [1, 1000, 10]},
    "shift": {"_type": "normal", "_value": [3, 2]},
    "offset": {"_type": "qnormal", "_value": [0, 1, 0.5]},
    "scale": {"_type": "lognormal", "_value": [0, 0.5]},
    "count": {"_type": "qlognormal", "_value": [2, 0.5, 1]},
}


# ----------------------------------------------------------------------------- validation


def test_every_type_and_nested_choices_validate():
    validate_search_space(EVERY_TYPE)
    validate_search_space({})


def test_tuples_and_any_real_numbers_are_accepted():
    from fractions import Fraction

    validate_search_space(
        {
            "a": {"_type": "uniform", "_value": (0, 1)},
            "b": {"_type": "quniform", "_value": [Fraction(1, 2), 3, Fraction(1, 4)]},
            "c": {"_type": "choice", "_value": ("x",), "_comment": "extra keys are ignored, as NNI does"},
        }
    )


def nested(option: Any) -> dict[str, Any]:
    return {"layer": {"_type": "choice", "_value": [{"_name": "conv"}, option]}}


TYPES_LIST = "choice, randint, uniform, quniform, loguniform, qloguniform, normal, qnormal, lognormal, qlognormal"
SHAPE = '{"_type": ..., "_value": [...]}'
LOG_FIX = "its logarithm is what is drawn: use a small positive low (such as 1e-06), or uniform to include 0"

# (space, path, message after "invalid search space at {path}: ", whether NNI 3.0's validator rejects it too)
INVALID = {
    "space is a list": (
        [1, 2],
        "$",
        f"a search space is a dict of parameter names to {SHAPE}, not a list ([1, 2])",
        True,
    ),
    "name not a string": (
        {3: {"_type": "choice", "_value": [1]}},
        "$",
        "parameter name 3 is not a string; names are strings (the keys of the parameters)",
        False,
    ),
    "_name at the top": (
        {"_name": "x"},
        "$._name",
        "_name names an option of a nested choice, and is allowed only there; rename it",
        True,
    ),
    "bare value": (
        {"lr": 0.1},
        "$.lr",
        f'a parameter is {SHAPE}, not a float (0.1); for a fixed value write {{"_type": "choice", "_value": [0.1]}}',
        True,
    ),
    "bare string": (
        {"lr": "adam"},
        "$.lr",
        f'a parameter is {SHAPE}, not a str (\'adam\'); for a fixed value write {{"_type": "choice", "_value": ["adam"]}}',
        True,
    ),
    "no _value": ({"lr": {"_type": "uniform"}}, "$.lr", f'"_value" is missing; a parameter is {SHAPE}', True),
    "_values typo": (
        {"lr": {"_type": "uniform", "_values": [0, 1]}},
        "$.lr",
        '"_value" is missing; rename "_values" to "_value"',
        True,
    ),
    "_typ typo": (
        {"lr": {"_typ": "uniform", "_value": [0, 1]}},
        "$.lr",
        '"_type" is missing; rename "_typ" to "_type"',
        True,
    ),
    "gaussian": (
        {"lr": {"_type": "gaussian", "_value": [0, 1]}},
        "$.lr",
        f"unknown _type 'gaussian' (did you mean 'normal'?); use one of {TYPES_LIST}",
        True,
    ),
    "misspelt type": (
        {"lr": {"_type": "loguniforms", "_value": [0, 1]}},
        "$.lr",
        f"unknown _type 'loguniforms' (did you mean 'loguniform'?); use one of {TYPES_LIST}",
        True,
    ),
    "unknown type": (
        {"lr": {"_type": "beta", "_value": [0, 1]}},
        "$.lr",
        f"unknown _type 'beta'; use one of {TYPES_LIST}",
        True,
    ),
    "type None": (
        {"lr": {"_type": None, "_value": [0, 1]}},
        "$.lr",
        f"unknown _type None; use one of {TYPES_LIST}",
        True,
    ),
    "_value a number": (
        {"lr": {"_type": "uniform", "_value": 0.5}},
        "$.lr",
        "uniform takes a list [low, high] as _value, not a float (0.5)",
        True,
    ),
    "choice _value a string": (
        {"act": {"_type": "choice", "_value": "relu"}},
        "$.act",
        "choice takes a list [option, ...] as _value, not a str ('relu')",
        True,
    ),
    "uniform with q": (
        {"lr": {"_type": "uniform", "_value": [0, 1, 0.1]}},
        "$.lr",
        "uniform takes _value [low, high], got 3 values [0, 1, 0.1]; for values on a grid of step q, use quniform [low, high, q]",
        True,
    ),
    "quniform without q": (
        {"lr": {"_type": "quniform", "_value": [0, 1]}},
        "$.lr",
        "quniform takes _value [low, high, q], got 2 values [0, 1]; add the step q, or use uniform for values off a grid",
        True,
    ),
    "normal with one value": (
        {"lr": {"_type": "normal", "_value": [0]}},
        "$.lr",
        "normal takes _value [mu, sigma], got 1 value [0]",
        True,
    ),
    "randint of NNI 1.x": (
        {"seed": {"_type": "randint", "_value": [10]}},
        "$.seed",
        "randint takes _value [lower, upper], got 1 value [10]; NNI 1.x's [upper] is [0, upper] now, and upper is excluded",
        True,
    ),
    "randint of floats": (
        {"seed": {"_type": "randint", "_value": [0, 10.5]}},
        "$.seed",
        "randint takes integers [lower, upper], got [0, 10.5]; write integers, or use uniform for a range of floats",
        True,
    ),
    "randint of a bool": (
        {"seed": {"_type": "randint", "_value": [True, 10]}},
        "$.seed",
        "randint takes integers [lower, upper], got [True, 10]; write integers, or use uniform for a range of floats",
        False,
    ),
    "randint reversed": (
        {"seed": {"_type": "randint", "_value": [10, 0]}},
        "$.seed",
        "randint needs lower < upper, got [10, 0]; swap them",
        True,
    ),
    "randint empty": (
        {"seed": {"_type": "randint", "_value": [3, 3]}},
        "$.seed",
        "randint needs lower < upper, got [3, 3]; for a single value use choice [3]",
        True,
    ),
    "string bound": (
        {"lr": {"_type": "uniform", "_value": ["0", 1]}},
        "$.lr",
        "low of uniform must be a number, not a str ('0')",
        True,
    ),
    "bool bound": (
        {"lr": {"_type": "normal", "_value": [0, True]}},
        "$.lr",
        "sigma of normal must be a number, not a bool (True)",
        False,
    ),
    "infinite bound": (
        {"lr": {"_type": "uniform", "_value": [0, math.inf]}},
        "$.lr",
        "high of uniform must be finite, got [0, inf]",
        False,
    ),
    "nan bound": (
        {"lr": {"_type": "uniform", "_value": [math.nan, 1]}},
        "$.lr",
        "low of uniform must be finite, got [nan, 1]",
        False,
    ),
    "int bound beyond a float": (
        {"lr": {"_type": "uniform", "_value": [0, 10**400]}},
        "$.lr",
        "high of uniform is beyond a float's range (1.8e308), got [0, 100000000000000000...0000000000000000000]",
        False,
    ),
    "int q beyond a float": (
        {"lr": {"_type": "quniform", "_value": [0, 1, -(10**400)]}},
        "$.lr",
        "q of quniform is beyond a float's range (1.8e308), got [0, 1, -10000000000000000...0000000000000000000]",
        False,
    ),
    "uniform wider than a float": (
        {"lr": {"_type": "uniform", "_value": [-1.7e308, 1.7e308]}},
        "$.lr",
        "uniform needs high - low within a float's range (1.8e308), got [-1.7e+308, 1.7e+308]; narrow it",
        False,
    ),
    "quniform wider than a float": (
        {"lr": {"_type": "quniform", "_value": [-1e308, 1e308, 1e307]}},
        "$.lr",
        "quniform needs high - low within a float's range (1.8e308), got [-1e+308, 1e+308, 1e+307]; narrow it",
        False,
    ),
    "quniform with more steps than a float": (
        {"lr": {"_type": "quniform", "_value": [0, 1e308, 1e-10]}},
        "$.lr",
        "quniform has q too small for its range (the largest value / q overflows a float), got [0, 1e+308, 1e-10]; "
        "use a larger q",
        False,
    ),
    "normal reaching past a float": (
        {"lr": {"_type": "normal", "_value": [1e308, 1e307]}},
        "$.lr",
        "normal needs |mu| + 13 * sigma within a float's range (1.8e308), got [1e+308, 1e+307]; narrow it",
        False,
    ),
    "qnormal with more steps than a float": (
        {"lr": {"_type": "qnormal", "_value": [0, 1e300, 1e-10]}},
        "$.lr",
        "qnormal has q too small for its range (the largest value / q overflows a float), got [0, 1e+300, 1e-10]; "
        "use a larger q",
        False,
    ),
    "uniform reversed": (
        {"lr": {"_type": "uniform", "_value": [1, 0]}},
        "$.lr",
        "uniform needs low < high, got [1, 0]; swap them",
        True,
    ),
    "uniform empty": (
        {"lr": {"_type": "uniform", "_value": [0.5, 0.5]}},
        "$.lr",
        "uniform needs low < high, got [0.5, 0.5]; for a single value use choice [0.5]",
        True,
    ),
    "quniform reversed": (
        {"lr": {"_type": "quniform", "_value": [9, 1, 1]}},
        "$.lr",
        "quniform needs low < high, got [9, 1, 1]; swap them",
        True,
    ),
    "loguniform from 0": (
        {"lr": {"_type": "loguniform", "_value": [0, 0.1]}},
        "$.lr",
        f"loguniform needs low > 0, got [0, 0.1]; {LOG_FIX}",
        True,
    ),
    "qloguniform from -1": (
        {"lr": {"_type": "qloguniform", "_value": [-1, 10, 1]}},
        "$.lr",
        f"qloguniform needs low > 0, got [-1, 10, 1]; {LOG_FIX}",
        True,
    ),
    "q zero": (
        {"lr": {"_type": "quniform", "_value": [0, 10, 0]}},
        "$.lr",
        "quniform needs q > 0, got [0, 10, 0]; q is the step between values",
        False,
    ),
    "q negative": (
        {"lr": {"_type": "qlognormal", "_value": [0, 1, -0.5]}},
        "$.lr",
        "qlognormal needs q > 0, got [0, 1, -0.5]; q is the step between values",
        False,
    ),
    "sigma zero": (
        {"lr": {"_type": "normal", "_value": [0, 0]}},
        "$.lr",
        "normal needs sigma > 0, got [0, 0]; sigma is the standard deviation",
        True,
    ),
    "sigma negative": (
        {"lr": {"_type": "qnormal", "_value": [0, -1, 1]}},
        "$.lr",
        "qnormal needs sigma > 0, got [0, -1, 1]; sigma is the standard deviation",
        True,
    ),
    "lognormal sigma": (
        {"lr": {"_type": "lognormal", "_value": [0, -1]}},
        "$.lr",
        "lognormal needs sigma > 0, got [0, -1]; sigma is the standard deviation",
        True,
    ),
    "empty choice": (
        {"act": {"_type": "choice", "_value": []}},
        "$.act",
        "choice needs at least one option, got []",
        False,
    ),
    "plain option among nested": (
        nested("relu"),
        "$.layer._value[1]",
        'option \'relu\' is a plain value, but other options are nested spaces; make it one too, such as {"_name": "relu"}',
        False,
    ),
    "nested option without _name": (
        nested({"k": {"_type": "choice", "_value": [1]}}),
        "$.layer._value[1]",
        'this option has no "_name": an option that is a dict is a nested search space, and "_name" says which one '
        'was chosen; add "_name": "..."',
        False,
    ),
    "_name not a string": (
        nested({"_name": 3}),
        "$.layer._value[1]._name",
        "_name must be a string, not an int (3)",
        False,
    ),
    "_name repeated": (
        nested({"_name": "conv"}),
        "$.layer._value[1]._name",
        "'conv' names option 0 already; give each option its own _name",
        False,
    ),
    "inside a nested option": (
        nested({"_name": "pool", "size": {"_type": "randint", "_value": [5, 1]}}),
        "$.layer._value[1].size",
        "randint needs lower < upper, got [5, 1]; swap them",
        False,
    ),
    "two levels down": (
        {
            "opt": {
                "_type": "choice",
                "_value": [
                    {"_name": "sgd"},
                    {
                        "_name": "adam",
                        "decay": {
                            "_type": "choice",
                            "_value": [{"_name": "exp", "rate": {"_type": "loguniform", "_value": [0, 1]}}],
                        },
                    },
                ],
            }
        },
        "$.opt._value[1].decay._value[0].rate",
        f"loguniform needs low > 0, got [0, 1]; {LOG_FIX}",
        False,
    ),
    "name that is no identifier": (
        {"my param": {"_type": "uniform", "_value": [1, 0]}},
        '$["my param"]',
        "uniform needs low < high, got [1, 0]; swap them",
        True,
    ),
}


@pytest.mark.parametrize(("space", "path", "problem", "nni_rejects"), INVALID.values(), ids=INVALID.keys())
def test_an_invalid_space_is_refused_with_the_path_and_the_fix(space, path, problem, nni_rejects):
    with pytest.raises(SearchSpaceError) as caught:
        validate_search_space(space)
    assert str(caught.value) == f"invalid search space at {path}: {problem}"
    assert caught.value.path == path
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, TraceableError)


@pytest.mark.parametrize(("space", "path", "problem", "nni_rejects"), INVALID.values(), ids=INVALID.keys())
def test_sampling_an_invalid_space_raises_the_same_error(space, path, problem, nni_rejects):
    with pytest.raises(SearchSpaceError, match=r"^invalid search space at ") as caught:
        sample_parameters(space, seed=0)
    assert caught.value.path == path


def test_the_widest_valid_ranges_draw_finite_values_within_them():
    space = {
        "u": {"_type": "uniform", "_value": [-8e307, 8e307]},
        "q": {"_type": "quniform", "_value": [-8e307, 8e307, 1e292]},
        "n": {"_type": "normal", "_value": [0, 1.3e307]},
    }
    validate_search_space(space)
    for seed in range(200):
        params = sample_parameters(space, seed=seed)
        assert -8e307 <= params["u"] <= 8e307
        assert -8e307 <= params["q"] <= 8e307
        assert math.isfinite(params["n"])


def test_a_lognormal_draw_that_overflows_says_what_mu_means():
    space = {"size": {"_type": "lognormal", "_value": [800, 1]}}
    validate_search_space(space)  # finite numbers: only a draw tells
    with pytest.raises(SearchSpaceError) as caught:
        sample_parameters(space, seed=0)
    assert caught.value.path == "$.size"
    assert str(caught.value).startswith("invalid search space at $.size: lognormal drew exp(")
    assert str(caught.value).endswith(
        "), which overflows a float; mu and sigma are the mean and standard deviation of the value's logarithm "
        "(mu = log(100) is 4.6)"
    )
    assert isinstance(caught.value.__cause__, OverflowError)


@pytest.mark.parametrize("seed", ["1", 1.5, [1]])
def test_a_seed_of_another_type_is_a_type_error(seed):
    with pytest.raises(TypeError) as caught:
        sample_parameters({}, seed=seed)
    assert str(caught.value) == f"seed must be an int, a random.Random or None, not a {type(seed).__name__} ({seed!r})"


# ----------------------------------------------------------------------------- determinism


def test_a_seed_gives_the_same_parameters_every_time():
    first = [sample_parameters(EVERY_TYPE, seed=seed) for seed in range(50)]
    again = [sample_parameters(EVERY_TYPE, seed=seed) for seed in range(50)]
    assert first == again
    assert len({repr(p) for p in first}) == 50  # and different seeds, different draws


def test_a_random_generator_draws_a_reproducible_sequence():
    one, two = random.Random(7), random.Random(7)
    sequence = [sample_parameters(EVERY_TYPE, one) for _ in range(20)]
    assert sequence == [sample_parameters(EVERY_TYPE, two) for _ in range(20)]
    assert len({repr(p) for p in sequence}) == 20


def test_without_a_seed_draws_differ():
    space = {"x": {"_type": "uniform", "_value": [0, 1]}}
    assert len({sample_parameters(space)["x"] for _ in range(20)}) == 20


def test_a_pinned_draw_stays_the_same():
    # Pins the sampler's use of the generator: changing it changes every user's seeded draws.
    assert sample_parameters(EVERY_TYPE, seed=2024) == {
        "optimizer": {"_name": "adam", "lr": 3.508472826490664e-05, "schedule": {"_name": "cosine", "warmup": 1}},
        "activation": None,
        "seed": 3,
        "dropout": 0.38664575743265706,
        "width": 5.0,
        "lr": 0.0005438760660750181,
        "batch": 270.0,
        "shift": 2.990022642926363,
        "offset": -1.0,
        "scale": 1.0637353362979136,
        "count": 11.0,
    }


def test_list_options_are_copies():
    space = {"sizes": {"_type": "choice", "_value": [[64, 64]]}}
    drawn = sample_parameters(space, seed=0)["sizes"]
    drawn.append(32)
    assert space["sizes"]["_value"] == [[64, 64]]


# ----------------------------------------------------------------------------- distributions


def test_every_draw_is_in_the_support_of_its_type():
    rng = random.Random(1)
    for _ in range(2000):
        parameters = sample_parameters(EVERY_TYPE, rng)
        assert parameters.keys() == EVERY_TYPE.keys()
        for name, value in parameters.items():
            assert in_support(EVERY_TYPE[name], value), (name, value)


def test_choice_draws_each_option_equally_often():
    options = ["relu", "tanh", 0.5, None, [64, 64]]
    sample = [repr(v) for v in draws({"_type": "choice", "_value": options})]
    assert_frequencies(sample, {repr(o): 1 / 5 for o in options})


def test_randint_draws_ints_from_lower_to_upper_excluded():
    sample = draws({"_type": "randint", "_value": [-3, 4]})
    assert {type(v) for v in sample} == {int}
    assert_frequencies(sample, dict.fromkeys(range(-3, 4), 1 / 7))


def test_uniform_fills_its_range_evenly():
    low, high = 0.1, 0.5
    sample = draws({"_type": "uniform", "_value": [low, high]})
    assert low <= min(sample)
    assert max(sample) <= high
    assert_follows(sample, lambda x: (x - low) / (high - low))
    width = high - low
    assert_moments(sample, (low + high) / 2, width**2 / 12, width**4 / 80)


def test_quniform_draws_nni_grid_points_clipped_to_the_range():
    # NNI's documentation: [0, 10, 2.5] gives 0, 2.5, 5.0, 7.5, 10.0 (ends half as often,
    # as they round from half an interval); [2, 10, 5] gives 2, 5, 10.
    sample = draws({"_type": "quniform", "_value": [0, 10, 2.5]})
    assert_frequencies(sample, {0.0: 0.125, 2.5: 0.25, 5.0: 0.25, 7.5: 0.25, 10.0: 0.125})
    sample = draws({"_type": "quniform", "_value": [2, 10, 5]})
    assert_frequencies(sample, {2.0: 0.5 / 8, 5.0: 5 / 8, 10.0: 2.5 / 8})


def test_quantized_values_are_the_floats_nearest_the_decimal_grid():
    sample = draws({"_type": "quniform", "_value": [0.5, 0.9, 0.1]}, n=2000)
    assert set(sample) == {0.5, 0.6, 0.7, 0.8, 0.9}  # not 0.7000000000000001


def test_loguniform_is_uniform_in_log_space():
    low, high = 1e-4, 1e-1
    sample = draws({"_type": "loguniform", "_value": [low, high]})
    assert low <= min(sample)
    assert max(sample) <= high
    logs = [math.log10(v) for v in sample]
    assert_follows(logs, lambda x: (x + 4) / 3)
    assert_moments(logs, -2.5, 3**2 / 12, 3**4 / 80)


def test_qloguniform_rounds_a_loguniform_draw_and_clips_it():
    sample = draws({"_type": "qloguniform", "_value": [1, 1000, 10]})
    assert all(v == 1.0 or (v % 10 == 0 and 10 <= v <= 1000) for v in sample)
    # Draws below 5 round to 0 and are clipped to 1: P = log(5) / log(1000).
    p = math.log(5) / math.log(1000)
    ones = sum(v == 1.0 for v in sample)
    assert abs(ones - N * p) < Z_CRITICAL * math.sqrt(N * p * (1 - p))
    # Above that, log-uniform: P(value <= 100) = P(draw < 105).
    p = math.log(105) / math.log(1000)
    at_most_100 = sum(v <= 100 for v in sample)
    assert abs(at_most_100 - N * p) < Z_CRITICAL * math.sqrt(N * p * (1 - p))


def test_normal_takes_mu_and_sigma():
    mu, sigma = 3.0, 2.0
    sample = draws({"_type": "normal", "_value": [mu, sigma]})
    assert_follows(sample, statistics.NormalDist(mu, sigma).cdf)
    assert_moments(sample, mu, sigma**2, 3 * sigma**4)


def test_qnormal_rounds_a_normal_draw_to_the_grid():
    mu, sigma, q = 0.0, 1.0, 0.5
    sample = draws({"_type": "qnormal", "_value": [mu, sigma, q]})
    assert all(on_grid(v, q) for v in sample)
    cdf = statistics.NormalDist(mu, sigma).cdf
    # Value k*q comes from draws in [(k - 1/2) q, (k + 1/2) q); the tails beyond 1.5 pooled.
    expected = {k * q: cdf((k + 0.5) * q) - cdf((k - 0.5) * q) for k in range(-3, 4)}
    expected["low tail"] = cdf(-3.5 * q)
    expected["high tail"] = 1 - cdf(3.5 * q)
    pooled = [v if abs(v) <= 1.5 else ("low tail" if v < 0 else "high tail") for v in sample]
    assert_frequencies(pooled, expected)


def test_lognormal_is_exp_of_a_normal_draw():
    mu, sigma = 0.0, 0.5
    sample = draws({"_type": "lognormal", "_value": [mu, sigma]})
    assert min(sample) > 0
    logs = [math.log(v) for v in sample]
    assert_follows(logs, statistics.NormalDist(mu, sigma).cdf)
    assert_moments(logs, mu, sigma**2, 3 * sigma**4)


def test_qlognormal_rounds_a_lognormal_draw_to_the_grid():
    mu, sigma, q = 2.0, 0.5, 1.0
    sample = draws({"_type": "qlognormal", "_value": [mu, sigma, q]})
    assert all(v >= 0 and v == int(v) for v in sample)
    log_cdf = statistics.NormalDist(mu, sigma).cdf
    cdf = lambda x: log_cdf(math.log(x)) if x > 0 else 0.0  # noqa: E731
    # Value k comes from draws in [k - 1/2, k + 1/2); pooled below 4 and above 12.
    expected: dict[Any, float] = {float(k): cdf(k + 0.5) - cdf(k - 0.5) for k in range(4, 13)}
    expected["low"] = cdf(3.5)
    expected["high"] = 1 - cdf(12.5)
    pooled = [v if 4 <= v <= 12 else ("low" if v < 4 else "high") for v in sample]
    assert_frequencies(pooled, expected)


def test_a_nested_choice_draws_the_chosen_options_parameters_only():
    spec = EVERY_TYPE["optimizer"]
    sample = draws(spec)
    assert_frequencies([v["_name"] for v in sample], {"sgd": 0.5, "adam": 0.5})
    assert {tuple(v) for v in sample} == {("_name", "momentum"), ("_name", "lr", "schedule")}
    schedules = [v["schedule"] for v in sample if v["_name"] == "adam"]
    assert_frequencies([s["_name"] for s in schedules], {"constant": 0.5, "cosine": 0.5})
    assert_frequencies([s["warmup"] for s in schedules if s["_name"] == "cosine"], dict.fromkeys(range(5), 1 / 5))
    assert all(in_support(spec, v) for v in sample)


# ----------------------------------------------------------------------------- Hypothesis

finite = st.floats(-1e6, 1e6, allow_nan=False)
positive = st.floats(1e-3, 1e3)


@st.composite
def bounds(draw: Any, low: st.SearchStrategy[float]) -> tuple[float, float]:
    a = draw(low)
    return a, a + draw(positive) * max(1.0, abs(a))


@st.composite
def parameter_specs(draw: Any, depth: int = 0) -> dict[str, Any]:
    type_ = draw(
        st.sampled_from(
            [
                "choice",
                "randint",
                "uniform",
                "quniform",
                "loguniform",
                "qloguniform",
                "normal",
                "qnormal",
                "lognormal",
                "qlognormal",
            ]
        )
    )
    q = [draw(positive)] if type_.startswith("q") else []
    if type_ == "choice":
        if depth < 2 and draw(st.booleans()):
            names = draw(st.lists(st.text(min_size=1, max_size=5), min_size=1, max_size=3, unique=True))
            options = [{"_name": name, **draw(spaces(depth + 1))} for name in names]
        else:
            options = draw(
                st.lists(
                    st.none() | st.booleans() | st.integers() | finite | st.text(max_size=5), min_size=1, max_size=5
                )
            )
        return {"_type": "choice", "_value": options}
    if type_ == "randint":
        low = draw(st.integers(-(10**6), 10**6))
        return {"_type": type_, "_value": [low, low + draw(st.integers(1, 10**6))]}
    if "normal" in type_:
        mu = draw(st.floats(-3, 3) if "log" in type_ else finite)
        return {"_type": type_, "_value": [mu, draw(st.floats(1e-3, 2)), *q]}
    low, high = draw(bounds(positive if "log" in type_ else finite))
    return {"_type": type_, "_value": [low, high, *q]}


def spaces(depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    names = st.text(min_size=1, max_size=8).filter(lambda name: name != "_name")
    return st.dictionaries(names, parameter_specs(depth), max_size=4)


@settings(max_examples=200, deadline=None)
@given(space=spaces(), seed=st.integers(0, 2**64))
def test_any_valid_space_validates_and_draws_reproducibly_within_its_support(space, seed):
    validate_search_space(space)
    parameters = sample_parameters(space, seed=seed)
    assert parameters == sample_parameters(space, seed=seed)
    assert parameters.keys() == space.keys()
    for name, value in parameters.items():
        assert in_support(space[name], value), (space[name], value)


@settings(max_examples=100, deadline=None)
@given(
    type_=st.sampled_from(["uniform", "quniform", "loguniform", "qloguniform"]),
    values=st.lists(positive, min_size=2, max_size=2, unique=True).map(sorted),
    name=st.text(alphabet="abc_", min_size=1, max_size=5).filter(lambda name: name != "_name"),
)
def test_reversed_bounds_are_refused_at_their_path(type_, values, name):
    high, low = values[1], values[0]
    spec = {"_type": type_, "_value": [high, low, 0.5] if type_.startswith("q") else [high, low]}
    with pytest.raises(SearchSpaceError) as caught:
        validate_search_space({"outer": {"_type": "choice", "_value": [{"_name": "n", name: spec}]}})
    shown = [high, low, 0.5] if type_.startswith("q") else [high, low]
    assert (
        str(caught.value)
        == f"invalid search space at $.outer._value[0].{name}: {type_} needs low < high, got {shown}; swap them"
    )


# ----------------------------------------------------------------------------- against NNI 3.0


@pytest.fixture(scope="module")
def nni_hpo():
    pytest.importorskip("nni", reason="nni==3.0 is not installed: pip install -e '.[test]'")
    from nni.algorithms.hpo.random_tuner import RandomTuner
    from nni.common.hpo_utils import validation

    logging.getLogger("nni").setLevel(logging.CRITICAL)  # its tuner logs every seed
    return RandomTuner, validation.validate_search_space


# What NNI 3.0 itself handles: its validator, when it raises, refuses choice options other
# than numbers and strings (its documentation allows them), and its random tuner fails with
# a KeyError on a choice nested two deep; this sampler handles both (see EVERY_TYPE).
NNI_SPACE = {
    **EVERY_TYPE,
    "optimizer": {
        "_type": "choice",
        "_value": [
            {"_name": "sgd", "momentum": {"_type": "quniform", "_value": [0.5, 0.9, 0.1]}},
            {
                "_name": "adam",
                "lr": {"_type": "loguniform", "_value": [1e-5, 1e-2]},
                "warmup": {"_type": "randint", "_value": [0, 5]},
            },
            {"_name": "none"},
        ],
    },
    "activation": {"_type": "choice", "_value": ["relu", "tanh", 0.5]},
}


def test_nni_accepts_what_validates_here(nni_hpo):
    _, nni_validate = nni_hpo
    validate_search_space(NNI_SPACE)
    assert nni_validate(NNI_SPACE, raise_exception=True)


@pytest.mark.parametrize(
    ("space", "path", "problem"),
    [case[:3] for case in INVALID.values() if case[3]],
    ids=[k for k, case in INVALID.items() if case[3]],
)
def test_nni_rejects_these_invalid_spaces_too(nni_hpo, space, path, problem):
    _, nni_validate = nni_hpo
    with pytest.raises(ValueError):  # NNI's message is its own
        nni_validate(space, raise_exception=True)


def test_nni_random_tuner_draws_what_this_sampler_draws(nni_hpo):
    random_tuner, _ = nni_hpo
    tuner = random_tuner(seed=5)
    tuner.update_search_space(NNI_SPACE)
    ours = [sample_parameters(NNI_SPACE, seed=i) for i in range(500)]
    theirs = [tuner.generate_parameters(i) for i in range(500)]

    def shape(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: shape(v) for k, v in value.items()}
        return type(value).__name__

    # The same structures (keys, nested _name and sub-parameters) with the same value types...
    assert {repr(shape(p)) for p in theirs} == {repr(shape(p)) for p in ours}
    # ... in the same supports: NNI's values are ones this sampler can draw, and the reverse.
    for parameters in theirs + ours:
        for name, value in parameters.items():
            assert in_support(NNI_SPACE[name], value), (name, value)
    # ... on the same grids.
    for name in ("width", "seed", "activation"):
        assert {p[name] for p in theirs} == {p[name] for p in ours}
