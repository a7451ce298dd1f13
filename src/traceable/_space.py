"""Search spaces in NNI's documented format: validation, and a seeded sampler.

A space maps each parameter name to ``{"_type": ..., "_value": [...]}``. Checking a space
compiles every parameter into a draw (a function of a ``random.Random``), so what is
validated is exactly what is sampled. The semantics are NNI 3.0's, from its search-space
documentation and its random tuner: ``randint`` is ``[lower, upper)``; quantized types are
``round(x / q) * q``, clipped to ``[low, high]`` for the uniform families; ``normal`` takes
``[mu, sigma]``; ``lognormal`` is ``exp(normal(mu, sigma))``; a choice whose options are dicts
with ``_name`` is a nested space, and draws ``{"_name": ..., **its parameters}``.
"""

from __future__ import annotations

import copy
import decimal
import difflib
import json
import math
import numbers
import random
import reprlib
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from traceable._paths import Keys, format_path
from traceable.exceptions import SearchSpaceError

__all__ = ["TYPES", "sample_parameters", "validate_search_space"]

TYPES = (
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
)
_FORMS = {
    "choice": "[option, ...]",
    "randint": "[lower, upper]",
    "uniform": "[low, high]",
    "quniform": "[low, high, q]",
    "loguniform": "[low, high]",
    "qloguniform": "[low, high, q]",
    "normal": "[mu, sigma]",
    "qnormal": "[mu, sigma, q]",
    "lognormal": "[mu, sigma]",
    "qlognormal": "[mu, sigma, q]",
}
# Names other libraries use for the same distributions (difflib catches the misspellings).
_ALIASES = {"gaussian": "normal", "categorical": "choice", "int": "randint", "integer": "randint", "float": "uniform"}
_SHAPE = '{"_type": ..., "_value": [...]}'

Draw = Callable[[random.Random], Any]


def validate_search_space(space: object) -> None:
    """Check that ``space`` is a search space in NNI's documented format.

    Every parameter is ``{"_type": ..., "_value": [...]}`` with one of the ten types and
    the ``_value`` it takes: ``choice`` ``[option, ...]`` (options that are dicts are nested
    spaces, each with its own ``_name``), ``randint`` ``[lower, upper]`` (integers),
    ``uniform``/``loguniform`` ``[low, high]``, ``quniform``/``qloguniform``
    ``[low, high, q]``, ``normal``/``lognormal`` ``[mu, sigma]``, ``qnormal``/``qlognormal``
    ``[mu, sigma, q]``; with finite numbers, ``low < high``, ``low > 0`` for the log
    uniform types, ``sigma > 0`` and ``q > 0``.

    Args:
        space: the search space, such as the parsed JSON of an experiment's search space.

    Raises:
        SearchSpaceError: the first thing wrong, with the JSON path of the parameter
            (``$.optimizer._value[1].lr`` inside a nested choice) and how to fix it.

    Example:
        >>> validate_search_space({"lr": {"_type": "loguniform", "_value": [1e-4, 0.1]}})
        >>> validate_search_space({"lr": {"_type": "loguniform", "_value": [0, 0.1]}})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        traceable.exceptions.SearchSpaceError: invalid search space at $.lr: loguniform needs low > 0, got [0, 0.1]; ...
    """
    _compile_space(space, ())


def sample_parameters(space: Mapping[str, Any], seed: int | random.Random | None = None) -> dict[str, Any]:
    """Draw one set of parameters from a search space, as NNI's random tuner would.

    Values follow NNI 3.0's semantics: ``choice`` returns one of its options;
    ``randint`` an int in ``[lower, upper)``; the uniform, log-uniform, normal and
    log-normal families floats, quantized ones to ``round(x / q) * q`` (and clipped to
    ``[low, high]`` for the uniform ones); a nested choice the chosen option's ``_name``
    with its own parameters drawn, ``{"_name": "adam", "lr": 0.001}``.

    Args:
        space: the search space; it is validated first.
        seed: an int for a reproducible draw (the same seed and space give the same
            parameters), a ``random.Random`` to draw a sequence from one generator, or None
            for a fresh random draw.

    Returns:
        A dict of parameter names to values, the ``Parameters`` a trial receives.

    Raises:
        SearchSpaceError: ``space`` is invalid (see :func:`validate_search_space`), or a
            log-normal draw overflows a float.
        TypeError: ``seed`` is of another type.

    Example:
        >>> space = {
        ...     "optimizer": {"_type": "choice", "_value": [
        ...         {"_name": "sgd", "momentum": {"_type": "quniform", "_value": [0.5, 0.9, 0.1]}},
        ...         {"_name": "adam", "lr": {"_type": "loguniform", "_value": [1e-4, 1e-2]}},
        ...     ]},
        ...     "batch_size": {"_type": "choice", "_value": [32, 64, 128]},
        ... }
        >>> sample_parameters(space, seed=1)
        {'optimizer': {'_name': 'sgd', 'momentum': 0.7}, 'batch_size': 32}
        >>> sample_parameters(space, seed=5)
        {'optimizer': {'_name': 'adam', 'lr': 0.003044906620847617}, 'batch_size': 128}
    """
    draws = _compile_space(space, ())
    if isinstance(seed, random.Random):
        rng = seed
    elif seed is None or isinstance(seed, int):
        rng = random.Random(seed)
    else:
        message = f"seed must be an int, a random.Random or None, not {_a(seed)}"
        raise TypeError(message)
    return {name: draw(rng) for name, draw in draws.items()}


def _compile_space(space: object, keys: Keys) -> dict[str, Draw]:
    if not isinstance(space, Mapping):
        _fail(keys, f"a search space is a dict of parameter names to {_SHAPE}, not {_a(space)}")
    draws = {}
    for name, spec in space.items():
        if not isinstance(name, str):
            _fail(keys, f"parameter name {name!r} is not a string; names are strings (the keys of the parameters)")
        if name == "_name":
            _fail((*keys, name), "_name names an option of a nested choice, and is allowed only there; rename it")
        draws[name] = _compile_parameter(spec, (*keys, name))
    return draws


def _compile_parameter(spec: object, keys: Keys) -> Draw:
    if not isinstance(spec, Mapping):
        fixed = f'{{"_type": "choice", "_value": [{_json(spec)}]}}'
        _fail(keys, f"a parameter is {_SHAPE}, not {_a(spec)}; for a fixed value write {fixed}")
    for key in ("_type", "_value"):
        if key not in spec:
            near = difflib.get_close_matches(key, [k for k in spec if isinstance(k, str)], n=1)
            fix = f'rename "{near[0]}" to "{key}"' if near else f"a parameter is {_SHAPE}"
            _fail(keys, f'"{key}" is missing; {fix}')
    type_ = spec["_type"]
    if type_ not in TYPES:
        name = type_ if isinstance(type_, str) else ""
        near = [_ALIASES[name]] if name in _ALIASES else difflib.get_close_matches(name, TYPES, n=1)
        guess = f" (did you mean {near[0]!r}?)" if near else ""
        _fail(keys, f"unknown _type {type_!r}{guess}; use one of {', '.join(TYPES)}")
    values = spec["_value"]
    if not isinstance(values, (list, tuple)):
        _fail(keys, f"{type_} takes a list {_FORMS[type_]} as _value, not {_a(values)}")
    if type_ == "choice":
        return _choice(values, keys)
    size = _FORMS[type_].count(",") + 1
    if len(values) != size:
        got = f"got {len(values)} value{'s' if len(values) != 1 else ''} {_show(values)}"
        _fail(keys, f"{type_} takes _value {_FORMS[type_]}, {got}{_size_hint(type_, len(values))}")
    if type_ == "randint":
        return _randint(values, keys)
    return _numeric(type_, values, keys)


def _size_hint(type_: str, size: int) -> str:
    if type_ == "randint":
        return "; NNI 1.x's [upper] is [0, upper] now, and upper is excluded" if size == 1 else ""
    if type_.startswith("q"):
        return f"; add the step q, or use {type_[1:]} for values off a grid" if size == 2 else ""
    return f"; for values on a grid of step q, use q{type_} {_FORMS['q' + type_]}" if size == 3 else ""


def _choice(options: list[Any] | tuple[Any, ...], keys: Keys) -> Draw:
    if not options:
        _fail(keys, "choice needs at least one option, got []")
    if not any(isinstance(option, Mapping) for option in options):
        plain = list(options)

        def pick(rng: random.Random) -> Any:
            option = plain[rng.randrange(len(plain))]
            # A copy of a list, so that a trial changing its parameters cannot change the space.
            return copy.deepcopy(option) if isinstance(option, list) else option

        return pick
    branches: list[tuple[str, dict[str, Draw]]] = []
    seen: dict[str, int] = {}
    for index, option in enumerate(options):
        at = (*keys, "_value", index)
        if not isinstance(option, Mapping):
            fix = f'make it one too, such as {{"_name": {_json(str(option))}}}'
            _fail(at, f"option {_show(option)} is a plain value, but other options are nested spaces; {fix}")
        if "_name" not in option:
            why = 'an option that is a dict is a nested search space, and "_name" says which one was chosen'
            _fail(at, f'this option has no "_name": {why}; add "_name": "..."')
        name = option["_name"]
        if not isinstance(name, str):
            _fail((*at, "_name"), f"_name must be a string, not {_a(name)}")
        if name in seen:
            _fail((*at, "_name"), f"{name!r} names option {seen[name]} already; give each option its own _name")
        seen[name] = index
        branches.append((name, _compile_space({k: v for k, v in option.items() if k != "_name"}, at)))

    def draw(rng: random.Random) -> dict[str, Any]:
        name, draws = branches[rng.randrange(len(branches))]
        return {"_name": name, **{key: sub(rng) for key, sub in draws.items()}}

    return draw


def _randint(values: list[Any] | tuple[Any, ...], keys: Keys) -> Draw:
    if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in values):
        fix = "write integers, or use uniform for a range of floats"
        _fail(keys, f"randint takes integers [lower, upper], got {_show(values)}; {fix}")
    lower, upper = int(values[0]), int(values[1])
    if lower >= upper:
        _fail(keys, f"randint needs lower < upper, got {_show(values)}{_order_hint(values)}")
    return lambda rng: rng.randrange(lower, upper)


def _numeric(type_: str, values: list[Any] | tuple[Any, ...], keys: Keys) -> Draw:
    normal = "normal" in type_
    names = ("mu", "sigma", "q") if normal else ("low", "high", "q")
    for name, value in zip(names, values, strict=False):  # names has a q that values may lack
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            _fail(keys, f"{name} of {type_} must be a number, not {_a(value)}")
        try:
            finite = math.isfinite(value)
        except OverflowError:  # an int beyond a float's range
            _fail(keys, f"{name} of {type_} is beyond a float's range (1.8e308), got {_show(values)}")
        if not finite:
            _fail(keys, f"{name} of {type_} must be finite, got {_show(values)}")
    first, second = float(values[0]), float(values[1])
    # Every draw (and every quantization step of one) must stay a finite float: the width
    # of a uniform range, the reach of a normal one.
    reach = abs(first) + _NORMAL_REACH * second if normal else second - first
    if not math.isfinite(reach):
        span = f"|mu| + {_NORMAL_REACH:g} * sigma" if normal else "high - low"
        _fail(keys, f"{type_} needs {span} within a float's range (1.8e308), got {_show(values)}; narrow it")
    if normal and second <= 0:
        _fail(keys, f"{type_} needs sigma > 0, got {_show(values)}; sigma is the standard deviation")
    if not normal and first >= second:
        _fail(keys, f"{type_} needs low < high, got {_show(values)}{_order_hint(values)}")
    if type_ in ("loguniform", "qloguniform") and first <= 0:
        fix = "use a small positive low (such as 1e-06), or uniform to include 0"
        _fail(keys, f"{type_} needs low > 0, got {_show(values)}; its logarithm is what is drawn: {fix}")
    q = float(values[2]) if len(values) == 3 else None
    if q is not None and q <= 0:
        _fail(keys, f"{type_} needs q > 0, got {_show(values)}; q is the step between values")
    largest = reach if normal else max(abs(first), abs(second))
    if q is not None and not math.isfinite(largest / q):
        message = (
            f"{type_} has q too small for its range (the largest value / q overflows a float), got {_show(values)}"
        )
        _fail(keys, f"{message}; use a larger q")

    log = "log" in type_
    low, high = (math.log(first), math.log(second)) if log and not normal else (first, second)
    # Clip the uniform families where rounding can leave [low, high]: exp(log(x)) can miss x
    # by an ulp, and a quantized value can round past a bound (NNI clips those too).
    clip = not normal and (log or q is not None)
    # round(x / q) * q is off the decimal grid by a rounding error (0.7000000000000001 for
    # 7 * 0.1): round it to q's decimals, the float nearest to the grid's point.
    decimals = _decimals(q) if q is not None else 0

    def draw(rng: random.Random) -> float:
        x = rng.normalvariate(first, second) if normal else rng.uniform(low, high)
        if log:
            x = _exp(x, type_, keys)
        if q is not None:
            x = round(round(x / q) * q, decimals)
        return min(max(x, first), second) if clip else x

    return draw


# Python's normalvariate (Kinderman-Monahan) draws within sqrt(4 * 53 * ln 2) = 12.1
# standard deviations of the mean: its uniform draws are multiples of 2**-53.
_NORMAL_REACH = 13.0


def _decimals(q: float) -> int:
    exponent = decimal.Decimal(repr(q)).as_tuple().exponent  # repr: the shortest text of q
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _exp(x: float, type_: str, keys: Keys) -> float:
    try:
        return math.exp(x)
    except OverflowError as err:
        hint = "mu and sigma are the mean and standard deviation of the value's logarithm (mu = log(100) is 4.6)"
        raise _error(keys, f"{type_} drew exp({x:.6g}), which overflows a float; {hint}") from err


def _order_hint(values: list[Any] | tuple[Any, ...]) -> str:
    if values[0] > values[1]:
        return "; swap them"
    return f"; for a single value use choice [{_json(values[0])}]"


def _error(keys: Keys, problem: str) -> SearchSpaceError:
    path = format_path(keys)
    return SearchSpaceError(f"invalid search space at {path}: {problem}", path)


def _fail(keys: Keys, problem: str) -> NoReturn:
    error = _error(keys, problem)
    raise error


def _a(value: object) -> str:
    """``a float (0.1)``: what a value is, for messages."""
    name = type(value).__name__
    article = "an" if name[0] in "aeiouAEIOU" else "a"
    return f"{article} {name} ({_show(value)})"


def _show(value: object) -> str:
    return reprlib.repr(list(value) if isinstance(value, tuple) else value)


def _json(value: object) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
