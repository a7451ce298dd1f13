"""Types of the AutoML tuner/trial interface (as ``nni.typehint``), and search-space helpers.

The types are for static checking; :func:`validate_search_space` checks a search space at
run time, with errors that name the parameter, and :func:`sample_parameters` draws
parameters from one, seeded.

Example:
    >>> from traceable.typehint import SearchSpace, sample_parameters
    >>> space: SearchSpace = {"lr": {"_type": "loguniform", "_value": [1e-4, 1e-1]}}
    >>> sample_parameters(space, seed=0)
    {'lr': 0.03414016019207298}
"""

from __future__ import annotations

from typing import Any, Dict, List, Literal, Optional, TypedDict

from traceable._space import sample_parameters, validate_search_space

__all__ = [
    "ParameterRecord",
    "Parameters",
    "SearchSpace",
    "TrialMetric",
    "TrialRecord",
    "sample_parameters",
    "validate_search_space",
]

Parameters = Dict[str, Any]
"""What a trial receives: for built-in tuners a dict whose content the search space defines.

Customized tuners may use anything serializable.
"""


class _ParameterSearchSpace(TypedDict):
    _type: Literal[
        "choice",
        "randint",
        "uniform",
        "loguniform",
        "quniform",
        "qloguniform",
        "normal",
        "lognormal",
        "qnormal",
        "qlognormal",
    ]
    _value: List[Any]


SearchSpace = Dict[str, _ParameterSearchSpace]
"""An experiment's search space: parameter name to ``{"_type": ..., "_value": [...]}``.

Customized tuners may use anything serializable except None.
"""

TrialMetric = float
"""A metric a trial reports: for built-in tuners a number (float, int, numpy.float32...)."""


class TrialRecord(TypedDict):
    """One finished trial: the parameters it ran with and the metric it reported."""

    parameter: Parameters
    value: TrialMetric


class _ParameterRecordRequired(TypedDict):
    parameter_id: Optional[int]
    parameters: Parameters


class ParameterRecord(_ParameterRecordRequired, total=False):
    """How parameters are recorded on the manager side and handed to a trial.

    ``parameter_id`` and ``parameters`` are required; the other keys may be absent.
    Most users never build one.
    """

    parameter_source: Literal["algorithm", "customized", "resumed"]
    # Sometimes present; undocumented, and not for users.
    parameter_index: int
    trial_job_id: str
    version_info: Dict[str, Any]
