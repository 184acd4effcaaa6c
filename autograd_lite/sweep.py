"""`replay_backward`: the reverse sweep re-run on the side, every step kept for display.

The engine's `backward` gathers adjoints in scratch slots and keeps only the leaves' sums.
The step view (`steps.py`) and the evaluation-trace tables (`trace.py`) need every step:
which node the sweep visits, in which order, and what each edge carries. This module
replays the sweep the way `engine.backward` runs it — the same order (`graph.toposort`,
reversed), the same rule per node (a Value's local derivatives multiplied by the adjoint;
a Tensor's recorded VJPs, fitted by `engine.fit`) — into a record of its own. Nothing on
the graph changes: no `.grad`, no `_adjoint`, no rule is freed.

Numbering follows Baydin et al.'s survey and Hjorth-Jensen's notes: the n inputs are
v₁₋ₙ … v₀ and the intermediate values v₁ … vₗ, both in the order the forward pass made
them, so the sweep visits vₗ first. A Tensor leaf that does not require grad is a
constant (c₁, c₂, … or its label): no adjoint reaches it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import engine
from .gradmode import no_grad
from .graph import FREED, Node, toposort
from .tensor import Tensor
from .value import Value

__all__ = ["EdgeFlow", "SweepStep", "Sweep", "format_value", "replay_backward", "subscript"]

_SUBSCRIPTS = str.maketrans("-0123456789", "₋₀₁₂₃₄₅₆₇₈₉")


def subscript(i: int) -> str:
    """`-1` -> `₋₁`: the index of v₋₁ as the textbooks print it."""
    return str(i).translate(_SUBSCRIPTS)


@dataclass(frozen=True)
class EdgeFlow:
    """What one edge carries back in one step: the child's adjoint `upstream` times the local
    derivative ∂child/∂parent gives `contribution`, added to the parent's adjoint (`total`
    after this step). `local` is the number ∂child/∂parent for Values and None for Tensors
    (whose VJP applies the Jacobian without forming it). `position` is the input slot."""

    parent: int  # index into Sweep.nodes
    child: int
    position: int
    upstream: Any
    local: float | None
    contribution: Any
    total: Any
    first: bool  # the parent's first contribution (`=`), not a later one (`+=`)


@dataclass(frozen=True)
class SweepStep:
    """One visit of the sweep: node `node`'s adjoint is complete (`adjoint`), and, unless it
    is a leaf, pushed to its parents along `edges` in input order."""

    number: int  # 1 for the root, the first node the sweep visits
    node: int
    adjoint: Any
    edges: tuple[EdgeFlow, ...]


@dataclass(frozen=True)
class Sweep:
    """A replayed backward pass: the nodes in forward (topological) order with their names,
    the steps in the order the sweep takes them, and every node's final adjoint (None where
    no adjoint arrives)."""

    nodes: tuple[Node, ...]
    names: tuple[str, ...]
    steps: tuple[SweepStep, ...]
    adjoints: tuple[Any, ...]
    seed: Any
    inputs: tuple[int, ...]  # the inputs' indices in numbering order: v₁₋ₙ … v₀
    _step_of: dict[int, int] = field(default_factory=dict, repr=False, compare=False)

    @property
    def root(self) -> Node:
        return self.nodes[-1]

    def step_of(self, index: int) -> int | None:
        """The step in which node `index` is visited (None: the sweep never visits it)."""
        if len(self._step_of) != len(self.steps):  # built on first use (frozen: no setattr)
            self._step_of.update((step.node, step.number) for step in self.steps)
        return self._step_of.get(index)

    def is_input(self, index: int) -> bool:
        """A leaf the adjoint can reach (Tensor constants are not inputs)."""
        return index in self.inputs


def _differentiable(node: Node) -> bool:
    return not isinstance(node, Tensor) or bool(node.requires_grad)


def _names(order: Sequence[Node], first_inputs: Sequence[Node], caller: str
           ) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """v₁₋ₙ … v₀ for the inputs (`first_inputs` first, in that order, then the others in
    graph order), v₁ … vₗ for the rest, cₖ (or the label) for constants."""
    leaves = [n for n in order if not n._parents and _differentiable(n)]
    listed = {id(n) for n in first_inputs}
    for k, node in enumerate(first_inputs):
        if not any(node is leaf for leaf in leaves):
            raise ValueError(f"{caller}: inputs[{k}] is not an input of this graph (a leaf "
                             "that the result depends on and that receives a gradient)")
    if len(listed) != len(first_inputs):
        raise ValueError(f"{caller}: inputs lists the same input twice")
    ordered = [*first_inputs, *(n for n in leaves if id(n) not in listed)]
    number = {id(n): k - len(ordered) + 1 for k, n in enumerate(ordered)}
    position = {id(n): i for i, n in enumerate(order)}
    names, interior, constants = [], 0, 0
    for node in order:
        if node._parents:
            interior += 1
            names.append("v" + subscript(interior))
        elif id(node) in number:
            names.append("v" + subscript(number[id(node)]))
        else:
            constants += 1
            names.append(node.label or "c" + subscript(constants))
    return tuple(names), tuple(position[id(n)] for n in ordered)


def _seed(root: Node, gradient: Any, caller: str) -> Any:
    if isinstance(root, Value):
        if gradient is None:
            return 1.0
        try:
            return float(gradient)
        except (TypeError, ValueError):
            raise TypeError(f"{caller}: gradient must be a real number for a Value root, "
                            f"got {type(gradient).__name__}") from None
    if not root.requires_grad:
        raise ValueError(f"{caller}: the root does not require grad, so there is no backward "
                         "pass to show: give some input requires_grad=True")
    data = root._data
    if gradient is None:
        if data.size != 1:
            raise ValueError(f"{caller}: the root has shape {data.shape}, so it needs a "
                             "gradient of that shape (gradient=...), or reduce it first, "
                             "e.g. out.sum()")
        return np.ones(data.shape, data.dtype)
    seed = np.array(gradient._data if isinstance(gradient, Tensor) else gradient,
                    dtype=data.dtype)
    if seed.shape != data.shape:
        raise ValueError(f"{caller}: gradient has shape {seed.shape} but the root has shape "
                         f"{data.shape}; they must match")
    return seed


def _contributions(node: Node, g: Any) -> list[tuple[int, float | None, Any]]:
    """(input position, local derivative or None, adjoint share) for each input of `node`
    that receives one, as `engine._sweep_into_grads` and `engine._pull_back` compute them."""
    if node._local_rule:  # a Value: adjoint(parent) += g · ∂node/∂parent
        return [(i, d, g * d) for i, d in enumerate(node._rule)]
    prim, out, inputs, params = node._prim, node._data, node._rule, node._params
    parents = node._parents
    if prim.vjps:
        raw = [vjp(g, out, *inputs, **params) if parent.requires_grad else None
               for parent, vjp in zip(parents, prim.vjps)]  # noqa: B905 (one per input)
    else:
        raw = list(prim.joint(g, out, *inputs, **params))
        if len(raw) != len(parents):
            raise ValueError(f"replay_backward: the joint VJP of {prim.name} returned "
                             f"{len(raw)} adjoint(s) for {len(parents)} input(s)")
    shares = []
    for i, (parent, gi) in enumerate(zip(parents, raw)):  # noqa: B905
        if parent.requires_grad and gi is not None:
            fitted = engine.fit(gi, parent, prim, i)
            if fitted is not None:
                shares.append((i, None, fitted))
    return shares


def replay_backward(root: Node, gradient: Any = None, max_nodes: int = 1000,
                    inputs: Sequence[Node] = (), caller: str = "replay_backward") -> Sweep:
    """Replay `root.backward(gradient)` step by step without changing the graph.

    The graph must still hold its rules: call this before `backward()`, or after
    `backward(retain_graph=True)`. `inputs` fixes the numbering of the inputs it lists
    (v₁₋ₙ, v₂₋ₙ, … in that order, as a textbook numbers x₁, x₂ …); the others follow in
    graph order. Graphs of more than `max_nodes` values are refused (a step-by-step
    account of them is not readable).
    """
    if not isinstance(root, (Value, Tensor)):
        raise TypeError(f"{caller}: expected a Value or Tensor, got {type(root).__name__}")
    if not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"{caller}: max_nodes must be a positive integer, got {max_nodes!r}")
    order = toposort(root)
    if len(order) > max_nodes:
        raise ValueError(f"{caller}: the graph has {len(order)} values, more than "
                         f"max_nodes={max_nodes}; show a smaller part (call it on an "
                         "intermediate result) or pass a larger max_nodes")
    freed = [node._op for node in order if node._rule is FREED]
    if freed:
        raise RuntimeError(f"{caller}: the graph through op {freed[0]!r} was freed by an "
                           "earlier backward(); call this before backward(), or pass "
                           "retain_graph=True to backward()")
    if isinstance(inputs, Node) or not all(isinstance(x, Node) for x in inputs):
        raise TypeError(f"{caller}: inputs must be a sequence of Values or Tensors")
    names, numbered_inputs = _names(order, tuple(inputs), caller)
    seed = _seed(root, gradient, caller)
    index = {id(node): i for i, node in enumerate(order)}
    adjoints: list[Any] = [None] * len(order)
    adjoints[-1] = seed
    steps = []
    with no_grad():  # the VJPs run on arrays; nothing is to be recorded
        for node in reversed(order):  # the engine's order: see engine._sweep_into_grads
            i = index[id(node)]
            g = adjoints[i]
            if g is None:
                continue  # no adjoint reaches it (a constant, or off every path)
            edges = []
            if node._parents:
                for position, local, share in _contributions(node, g):
                    p = index[id(node._parents[position])]
                    before = adjoints[p]
                    adjoints[p] = share if before is None else before + share
                    edges.append(EdgeFlow(p, i, position, g, local, share, adjoints[p],
                                          before is None))
            steps.append(SweepStep(len(steps) + 1, i, g, tuple(edges)))
    return Sweep(tuple(order), names, tuple(steps), tuple(adjoints), seed, numbered_inputs)


def format_value(x: Any, small: int = 6, shape: bool = True) -> str:
    """A number as the traces print it (6 significant digits); an array of at most `small`
    elements in full, a larger one as its range (after its shape, if `shape`)."""
    if isinstance(x, Tensor):
        x = x._data
    if isinstance(x, np.ndarray) and x.ndim:
        if x.size <= small:
            body = np.array2string(x, separator=", ", formatter={"all": _number})
            return " ".join(body.split())
        extent = f"[{_number(x.min())} … {_number(x.max())}]"
        return f"{x.shape} {extent}" if shape else extent
    return _number(x)


def _number(x: Any) -> str:
    x = float(x)
    return "0" if x == 0 else f"{x:.6g}"  # 0, never -0: a learner reads "-0" as a sign error
