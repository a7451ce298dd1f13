"""Type-checked by mypy and pyright in test_type_checkers.py; never run."""

from __future__ import annotations

from traceable import dump, dump_bytes, load, trace
from traceable.typehint import ParameterRecord, Parameters, SearchSpace, TrialMetric, TrialRecord

space: SearchSpace = {
    "lr": {"_type": "loguniform", "_value": [1e-4, 0.1]},
    "layers": {"_type": "choice", "_value": [1, 2, 3]},
}
params: Parameters = {"lr": 0.01, "layers": 2}
metric: TrialMetric = 0.93
record: TrialRecord = {"parameter": params, "value": metric}
sent: ParameterRecord = {"parameter_id": 3, "parameters": params, "parameter_source": "algorithm"}
minimal: ParameterRecord = {"parameter_id": None, "parameters": {}}


@trace
class Net:
    def __init__(self, width: int) -> None:
        self.width = width


net: Net = Net(3)
width: int = net.width
text: str = dump(net)
nothing: None = dump(net, "out.json")
data: bytes = dump_bytes(net)
loaded = load(text)
