"""Importable classes and functions that the tests trace, pickle and send to other processes."""

from __future__ import annotations

import abc
import collections
import dataclasses
import enum
import typing
from typing import Any

import attrs
import pydantic

from traceable import trace


class Color(enum.Enum):
    RED = 1
    GREEN = 2


class Perm(enum.Flag):
    R = 4
    W = 2
    X = 1


# A flag that keeps bits no member names (Python 3.11+, boundary=KEEP; 3.10 refuses such bits).
Bits = enum.Flag("Bits", {"LOW": 1}, module=__name__, **({"boundary": enum.KEEP} if hasattr(enum, "KEEP") else {}))


class _Eq:
    # Equality by class and attributes, so that round trips can be compared whole.
    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({vars(self)})"


@trace
class Layer(_Eq):
    """A layer with a width."""

    def __init__(self, width: int, dropout: float = 0.1, act: Any = None) -> None:
        self.width = width
        self.dropout = dropout
        self.act = act


@trace
class Model(_Eq):
    def __init__(self, layers: list[Any], head: Any = None, name: str = "net") -> None:
        self.layers = layers
        self.head = head
        self.name = name


@trace(kw_only=False)
class Positional(_Eq):
    def __init__(self, a: int, b: int = 2) -> None:
        self.a = a
        self.b = b


@trace
class PositionalOnly(_Eq):
    def __init__(self, a: int, /, b: int, *, c: int = 3) -> None:
        self.a, self.b, self.c = a, b, c


@trace
class Py2Super(_Eq):
    def __init__(self, x: int) -> None:
        super(Py2Super, self).__init__()  # noqa: UP008  # the old spelling is the point
        self.x = x


@trace
class Abstract(abc.ABC, _Eq):
    def __init__(self, a: int) -> None:
        self.a = a

    @abc.abstractmethod
    def run(self) -> int: ...


@trace
class Concrete(Abstract):
    def run(self) -> int:
        return self.a


@trace(inheritable=True)
class Inheritable(_Eq):
    def __init__(self, v: int) -> None:
        self.v = v


class InheritableChild(Inheritable):
    pass


class UndecoratedChild(Layer):
    pass


class Outer:
    @trace
    class Inner(_Eq):
        def __init__(self, z: int) -> None:
            self.z = z


class Plain(_Eq):
    """An undecorated class: results of traced functions are made of it."""

    def __init__(self, v: Any) -> None:
        self.v = v


@trace
def varargs(a: int, *rest: int, k: int = 4) -> Plain:
    return Plain({"a": a, "rest": list(rest), "k": k})


@trace
def make_plain(v: Any) -> Plain:
    return Plain(v)


@trace
def make_none(v: Any) -> None:
    return None


@trace
def make_dict(v: Any) -> dict[str, Any]:
    return {"v": v}


@trace
def make_list(n: int) -> list[int]:
    return list(range(n))


@trace
def make_int(n: int) -> int:
    return n * 2


@trace
def make_str(s: str) -> str:
    return s + "!"


@trace
def make_float(x: float) -> float:
    return x / 2


@trace
def make_tuple(n: int) -> tuple[int, ...]:
    return tuple(range(n))


@trace
def make_ordered_dict(**kwargs: Any) -> collections.OrderedDict[str, Any]:
    return collections.OrderedDict(kwargs)


@trace
def make_layer(width: int) -> Any:
    return Layer(width)


@trace
def consume(items: Any) -> list[Any]:
    return list(items)


class Custom:
    """An object with NNI's _dump/_load protocol."""

    def __init__(self, a: int, b: str) -> None:
        self.a = a
        self.b = b

    def _dump(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b}

    @staticmethod
    def _load(**fields: Any) -> Custom:
        return Custom(**fields)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Custom) and (self.a, self.b) == (other.a, other.b)


class Slotted:
    __slots__ = ("x",)

    def __init__(self, x: int) -> None:
        self.x = x

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Slotted) and self.x == other.x


class Mutating(_Eq):
    """A class whose __init__ mutates the containers it receives."""

    def __init__(self, items: list[int], options: dict[str, int]) -> None:
        items.append(99)
        options["added"] = 1
        self.items = items
        self.options = options


class Unwrappable:
    """A parameter that hands the callee something else than what is recorded."""

    def __init__(self, value: int) -> None:
        self.value = value

    def _unwrap_parameter(self) -> int:
        return self.value * 10

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unwrappable) and other.value == self.value


def square(x: int) -> int:
    return x * x


def describe_traced(obj: Any) -> tuple[Any, Any, Any, str, Any]:
    """Run in worker processes: what arrived, and the object itself to send back."""
    return obj.trace_symbol, obj.trace_args, obj.trace_kwargs, type(obj).__name__, obj


BUILT: list[Any] = []


@trace
def make_counted(i: Any) -> Plain:
    """Records each call in BUILT, to count how often a load builds it."""
    BUILT.append(i)
    return Plain(i)


@dataclasses.dataclass
class Hyper:
    """A dataclass config, with a derived field and a mutable default."""

    lr: float
    layers: list[int] = dataclasses.field(default_factory=list)
    steps: int = dataclasses.field(init=False, default=0)

    def __post_init__(self) -> None:
        self.steps = len(self.layers) * 10


@dataclasses.dataclass(frozen=True)
class Frozen:
    name: str
    size: int = 1


class Point(typing.NamedTuple):
    x: int
    y: int = 0


Pair = collections.namedtuple("Pair", ["left", "right"])


@attrs.define
class AttrsRun:
    """An attrs class: a private attribute (its __init__ argument is "seed"), a derived field."""

    name: str
    _seed: int = 0
    tags: list[str] = attrs.Factory(list)
    steps: int = attrs.field(init=False, default=0)

    def __attrs_post_init__(self) -> None:
        self.steps = len(self.tags) * 10


@attrs.frozen
class AttrsPoint:
    x: int
    y: int = attrs.field(init=False, default=0)


class Optim(pydantic.BaseModel):
    name: str = "adam"
    lr: float = 1e-3


class TrainConfig(pydantic.BaseModel):
    """A pydantic model with an alias it must be built by, a tuple, a nested model, extra fields."""

    model_config = pydantic.ConfigDict(extra="allow", frozen=True, strict=True)

    batch_size: int = pydantic.Field(alias="batchSize")
    shape: tuple[int, int] = (1, 1)
    optim: Optim = Optim()


class Widths(pydantic.RootModel[list[int]]):
    pass


class Celsius:
    """A type taught to dump and load with register_codec in the tests."""

    def __init__(self, degrees: float) -> None:
        self.degrees = degrees

    def __eq__(self, other: object) -> bool:
        return type(other) is Celsius and other.degrees == self.degrees

    __hash__ = None  # type: ignore[assignment]
