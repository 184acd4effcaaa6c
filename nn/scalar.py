"""Scalar, micrograd-style networks on `Value`: `Neuron`, `Layer` and `MLP`.

Every weight is its own `Value`, so a whole network is a graph of scalar ops that
`draw_graph` can show node by node (the weights are labelled "w0", "w1", ... and the bias
"b"). Call a network on a list of Values or plain floats:

    model = MLP(2, [16, 16, 1])      # ReLU hidden layers, a linear last layer
    score = model([0.5, -1.0])       # a single Value, as the last layer has one neuron
    MLP(2, [8, 1], nonlin="tanh")    # tanh hidden layers (the last layer stays linear)

Conventions (micrograd's, apart from the initial scale): weights are drawn from
uniform(−1, 1)/√nin ("scaled by fan-in"), biases start at 0, and a `Layer` with one neuron
returns a single Value instead of a list. A neuron's `nonlin` is "relu", "tanh" or None
(linear); micrograd's True and False mean "relu" and None.

The parameters are Values, not Tensors, so these modules override `Module`'s bookkeeping:
`parameters()` is a list of Values (micrograd's), `named_parameters()` names each Value
("layers.0.neurons.1.w.0", "layers.0.neurons.1.b"), and `zero_grad()` sets every grad to
0.0 (micrograd's convention). Their state is `Module`'s: each weight vector or bias is one
state entry (`_state_entries`), so `state_dict()` / `load_state_dict()` (and `nn.save` /
`nn.load`) map "layers.0.neurons.1.w", "layers.0.neurons.1.b" to float64 arrays, checked as
for any Module (any real dtype loads, cast to float64). Sub-modules are registered, so
`train()`, `eval()` and `named_modules()` work as for any Module.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from functools import partial
from typing import Any

import numpy as np

from autograd_lite import Value
from autograd_lite.rng import resolve_rng

from .checks import check_count, check_rng
from .module import Module, ModuleList, StateEntry

# Scalar networks are for reading and drawing: each weight is a Python object (a Value of
# about 200 bytes with its graph), so a million of them is already 200 MB. A larger size is
# a mistake (2**40 would exhaust memory before failing); use the Tensor layers for it.
MAX_SCALAR_WEIGHTS = 1_000_000

__all__ = ["Neuron", "Layer", "MLP"]

Inputs = Sequence[Value | float] | Value | float
Group = list[Value] | Value  # one state_dict entry: a weight vector or a bias
Nonlin = str | bool | None
NONLINS = ("relu", "tanh", None)
_NAMES = {"relu": "ReLU", "tanh": "Tanh", None: "Linear"}  # repr: ReLUNeuron(2), ...


def _nonlin(nonlin: Nonlin, who: str) -> str | None:
    """"relu", "tanh" or None; micrograd's True means "relu" and False None."""
    if nonlin is True or nonlin is False:
        return "relu" if nonlin else None
    if not (nonlin is None or isinstance(nonlin, str)) or nonlin not in NONLINS:
        raise ValueError(f"{who}: nonlin must be 'relu', 'tanh' or None (True means 'relu', False "
                         f"None), got {nonlin!r}")
    return nonlin


class _ScalarModule(Module):
    """A Module whose parameters are Values, kept in per-module groups (see `_groups`)."""

    def _groups(self) -> Iterator[tuple[str, Group]]:
        """This module's own parameter groups, (name, Value or list of Values)."""
        return iter(())

    def _named_groups(self) -> Iterator[tuple[str, Group]]:
        for prefix, module in self.named_modules():
            if isinstance(module, _ScalarModule):
                for name, group in module._groups():
                    yield (f"{prefix}.{name}" if prefix else name), group

    def named_parameters(self) -> Iterator[tuple[str, Value]]:  # type: ignore[override]
        """(dotted name, Value) for every parameter: "….w.0", "….w.1", ..., "….b"."""
        for name, group in self._named_groups():
            if isinstance(group, Value):
                yield name, group
            else:
                for i, v in enumerate(group):
                    yield f"{name}.{i}", v

    def parameters(self) -> list[Value]:  # type: ignore[override]
        """Every parameter Value, in order (a list, as in micrograd)."""
        return [v for _, v in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0.0 (as before any backward, as in micrograd)."""
        for v in self.parameters():
            v.grad = 0.0

    def _state_entries(self) -> Iterator[tuple[str, StateEntry]]:
        """Module's entries, then one per group: a weight vector (shape (nin,)) or a bias
        (shape ()) as a float64 array."""
        yield from super()._state_entries()
        for name, group in self._groups():
            yield name, StateEntry(partial(_group_array, group), partial(_set_group, group),
                                   any_real=True)


def _group_array(group: Group) -> np.ndarray:
    if isinstance(group, Value):
        return np.array(group.data, dtype=np.float64)
    return np.array([v.data for v in group], dtype=np.float64)


def _set_group(group: Group, array: np.ndarray) -> None:
    """Store a checked float64 array (shaped like `_group_array(group)`) into the Values."""
    if isinstance(group, Value):
        group.data = float(array)
    else:
        for v, x in zip(group, array.tolist(), strict=True):
            v.data = float(x)


class _ModuleList(ModuleList):
    """A ModuleList printed as micrograd prints its lists: "[Neuron(2), ...]"."""

    def __repr__(self) -> str:
        return "[" + ", ".join(repr(m) for m in self) + "]"


def _as_list(xs: Inputs) -> list[Value | float]:
    """The inputs as a list: a single Value or number becomes a list of one."""
    if isinstance(xs, (Value, int, float)):
        return [xs]
    return list(xs)


class Neuron(_ScalarModule):
    """One unit: `relu(w·x + b)` (`nonlin="relu"`, or True as in micrograd), `tanh(w·x + b)`
    (`nonlin="tanh"`) or the linear `w·x + b` (`nonlin=None`, or False).

    Weights start uniform(−1, 1)/√nin, drawn from `rng` (default: the shared generator that
    `autograd_lite.manual_seed` seeds); the bias starts at 0.
    """

    def __init__(self, nin: int, nonlin: Nonlin = "relu",
                 rng: np.random.Generator | None = None) -> None:
        super().__init__()
        nin = check_count("Neuron", "nin", nin, 1, MAX_SCALAR_WEIGHTS)
        scale = 1.0 / math.sqrt(nin)
        init = resolve_rng(check_rng("Neuron", rng)).uniform(-1.0, 1.0, int(nin)) * scale
        self.w = [Value(float(x), label=f"w{i}") for i, x in enumerate(init)]
        self.b = Value(0.0, label="b")
        self.nonlin = nonlin

    @property
    def nonlin(self) -> str | None:
        """"relu", "tanh" or None (linear); setting True or False also works (micrograd)."""
        return self._nonlin

    @nonlin.setter
    def nonlin(self, value: Nonlin) -> None:
        object.__setattr__(self, "_nonlin", _nonlin(value, "Neuron"))

    @property
    def nin(self) -> int:
        return len(self.w)

    def _groups(self) -> Iterator[tuple[str, Group]]:
        yield "w", self.w
        yield "b", self.b

    def forward(self, xs: Inputs) -> Value:
        xs = _as_list(xs)
        if len(xs) != len(self.w):
            raise ValueError(f"Neuron: expected {len(self.w)} inputs, got {len(xs)}")
        act = self.b
        for w, x in zip(self.w, xs, strict=True):
            act = act + w * x
        if self._nonlin is None:
            return act
        return act.relu() if self._nonlin == "relu" else act.tanh()

    def __repr__(self) -> str:
        return f"{_NAMES[self._nonlin]}Neuron({len(self.w)})"


class Layer(_ScalarModule):
    """`nout` neurons on the same inputs; returns a list of Values, or a single Value when
    `nout == 1` (micrograd's convention). Keywords (`nonlin`, `rng`) go to each Neuron."""

    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        super().__init__()
        nin = check_count("Layer", "nin", nin, 1, MAX_SCALAR_WEIGHTS)
        nout = check_count("Layer", "nout", nout, 1, MAX_SCALAR_WEIGHTS // nin)
        self.neurons = _ModuleList([Neuron(nin, **kwargs) for _ in range(int(nout))])

    def forward(self, xs: Inputs) -> Value | list[Value]:
        xs = _as_list(xs)
        out = [neuron(xs) for neuron in self.neurons]
        return out[0] if len(out) == 1 else out

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(repr(n) for n in self.neurons)}]"


class MLP(_ScalarModule):
    """`MLP(nin, [n1, n2, ..., nk])`: layers nin→n1→...→nk, `nonlin` ("relu" by default,
    "tanh", or None) on every hidden layer, the last layer linear (micrograd's). Returns a
    single Value when nk == 1, else a list of nk Values."""

    def __init__(self, nin: int, nouts: Sequence[int],
                 rng: np.random.Generator | None = None, *, nonlin: Nonlin = "relu") -> None:
        super().__init__()
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence):
            raise TypeError(f"MLP: nouts must be a list of layer sizes such as [4, 1], got "
                            f"{type(nouts).__name__}")
        sizes = [check_count("MLP", "nin", nin, 1, MAX_SCALAR_WEIGHTS),
                 *(check_count("MLP", f"nouts[{i}]", n, 1, MAX_SCALAR_WEIGHTS)
                   for i, n in enumerate(nouts))]
        if len(sizes) < 2:
            raise ValueError("MLP: nouts must list at least one layer size")
        weights = sum((a + 1) * b for a, b in zip(sizes, sizes[1:], strict=False))
        if weights > MAX_SCALAR_WEIGHTS:
            raise ValueError(f"MLP: {sizes} would have {weights:,} scalar weights, more than "
                             f"MAX_SCALAR_WEIGHTS={MAX_SCALAR_WEIGHTS:,}; use nn.Linear "
                             "layers (Tensors) for networks this size")
        rng, hidden = resolve_rng(check_rng("MLP", rng)), _nonlin(nonlin, "MLP")
        last = len(sizes) - 2
        self.layers = _ModuleList([Layer(sizes[i], sizes[i + 1],
                                         nonlin=hidden if i != last else None, rng=rng)
                                   for i in range(len(sizes) - 1)])

    def forward(self, xs: Inputs) -> Value | list[Value]:
        out: Any = xs
        for layer in self.layers:
            out = layer(out)
        return out

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(repr(layer) for layer in self.layers)}]"
