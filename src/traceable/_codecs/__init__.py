"""Encoders and decoders by family of types; numpy, pandas and torch ones are imported lazily.

Importing this package registers the codecs of standard-library types (containers,
records) and says which module registers each optional library's codecs.
"""

from traceable import _registry, _wire
from traceable._codecs import containers, records

__all__ = ["containers", "records"]

for _marker in (_wire.TORCH_TENSOR, _wire.TORCH_DTYPE, _wire.TORCH_DEVICE):
    _registry.lazy(_marker, "traceable._codecs.torch")
del _marker
