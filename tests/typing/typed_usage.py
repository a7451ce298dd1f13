"""Type-checked by mypy and pyright in test_type_checkers.py; never run.

Written as users write. Every ``reveal_type(...)`` has its expected text, for each
checker, in ``REVEALED`` in test_type_checkers.py.
"""

from __future__ import annotations

import argparse
import collections
import random
from typing import TYPE_CHECKING

from traceable import Traceable, TraceRecord, dump, dump_bytes, is_traceable, load, load_bytes, trace
from traceable.typehint import (
    ParameterRecord,
    Parameters,
    SearchSpace,
    TrialMetric,
    TrialRecord,
    sample_parameters,
    validate_search_space,
)

if TYPE_CHECKING:
    from typing_extensions import reveal_type  # typing's own from Python 3.11

space: SearchSpace = {
    "lr": {"_type": "loguniform", "_value": [1e-4, 0.1]},
    "layers": {"_type": "choice", "_value": [1, 2, 3]},
}
params: Parameters = {"lr": 0.01, "layers": 2}
metric: TrialMetric = 0.93
record: TrialRecord = {"parameter": params, "value": metric}
sent: ParameterRecord = {"parameter_id": 3, "parameters": params, "parameter_source": "algorithm"}
minimal: ParameterRecord = {"parameter_id": None, "parameters": {}}
validate_search_space(space)
validate_search_space(load('{"x": {"_type": "uniform", "_value": [0, 1]}}'))
reveal_type(sample_parameters(space, seed=0))
reveal_type(sample_parameters(space, random.Random(0)))


@trace
class Net:
    def __init__(self, width: int) -> None:
        self.width = width


@trace(kw_only=False)
def build(width: int, depth: int = 2) -> Net:
    return Net(width * depth)


# A traced class is still its class; a traced function keeps its signature.
reveal_type(Net)
reveal_type(Net(3))
reveal_type(build)
reveal_type(build(3, depth=4))
reveal_type(trace(argparse.Namespace))
reveal_type(trace(collections.OrderedDict)(a=1))
reveal_type(trace(inheritable=True))
reveal_type(trace(inheritable=True)(Net))
reveal_type(trace(kw_only=False)(build))

net = Net(3)
width: int = net.width
text: str = dump(net)
nothing: None = dump(net, "out.json")
data: bytes = dump_bytes(net)
reveal_type(dump(net, indent=2))
reveal_type(dump(net, "out.json"))
reveal_type(dump_bytes(net))
reveal_type(dump_bytes(net, "out.json.gz"))
reveal_type(load(text))
reveal_type(load_bytes(data))

# The record: narrowed by is_traceable, the object is its class and Traceable both.
reveal_type(is_traceable(net))
if is_traceable(net):
    reveal_type(net)
    reveal_type(net.width)
    reveal_type(net.trace_symbol)
    reveal_type(net.trace_args)
    reveal_type(net.trace_kwargs)
    reveal_type(net.trace_copy())
    reveal_type(net.trace_copy().get())

call: Traceable = TraceRecord(Net, [], {"width": 3})
reveal_type(TraceRecord(Net, [], {"width": 3}).trace_copy())
