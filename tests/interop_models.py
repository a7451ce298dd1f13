"""Traced classes and functions for the Hydra and jsonargparse tests: importable by name, as
config targets must be, and annotated, as jsonargparse needs."""

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from traceable import trace

# -- pure Python ---------------------------------------------------------------------------


@trace
@dataclasses.dataclass
class Tokenizer:
    vocab: list[str]
    lowercase: bool = True
    specials: dict[str, int] = dataclasses.field(default_factory=dict)


@trace
@dataclasses.dataclass
class Encoder:
    width: int
    depth: int = 2
    dropout: float = 0.0


@trace
@dataclasses.dataclass
class Classifier:
    tokenizer: Tokenizer
    encoder: Encoder
    labels: list[str]
    activation: Callable[[float], float] = math.tanh


@trace
def make_classifier(labels: list[str], width: int = 16) -> Classifier:
    return Classifier(Tokenizer(["a", "b"]), Encoder(width), labels)


@trace(kw_only=False)
class Pair:
    """Records its arguments as given, positionally."""

    def __init__(self, first: Any, second: Any = None) -> None:
        self.first, self.second = first, second

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Pair) and (self.first, self.second) == (other.first, other.second)

    __hash__ = None  # type: ignore[assignment]


@trace
class Scheduled:
    """Takes a sub-config as data, to build it later (Hydra's `_recursive_: false` pattern)."""

    def __init__(self, optimizer: dict[str, Any], warmup: int = 0) -> None:
        self.optimizer, self.warmup = optimizer, warmup


# -- torch ------------------------------------------------------------------------------------


@trace
class TinyNet(nn.Module):
    def __init__(self, encoder: nn.Module, head: nn.Module, dropout: float = 0.0) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = head
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(torch.relu(self.encoder(x))))


@trace
class SineDataset(Dataset[tuple[torch.Tensor, torch.Tensor]]):
    """``n`` points of y = sin(x) on [-2, 2], made from its arguments alone."""

    def __init__(self, n: int, scale: float = 1.0) -> None:
        self.x = torch.linspace(-2, 2, n).unsqueeze(1)
        self.y = scale * torch.sin(self.x)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.x[index], self.y[index]


def stack_batch(items: list[tuple[torch.Tensor, torch.Tensor]]) -> tuple[torch.Tensor, torch.Tensor]:
    """A collate function, given to the data loader by name."""
    xs, ys = zip(*items, strict=True)
    return torch.stack(xs), torch.stack(ys)


@trace
class SineData:
    """A data module, as LightningCLI configures data: the dataset and how to load it."""

    def __init__(
        self, dataset: Dataset, batch_size: int = 4, collate_fn: Callable[[list[Any]], Any] | None = None
    ) -> None:
        self.dataset, self.batch_size, self.collate_fn = dataset, batch_size, collate_fn

    def train_dataloader(self) -> DataLoader:
        return trace(DataLoader)(self.dataset, batch_size=self.batch_size, collate_fn=self.collate_fn)
