"""The graph core shared by `Value` and `Tensor`: nodes, grad mode, topological order, backward.

A node is the result of one elementary op. It holds its forward `data`, its `grad`, its
`_parents` (an ordered tuple: `a + a` keeps both edges), the op name `_op`, and `_rule`: the
data needed to push an adjoint back to each parent (local derivatives for `Value`, read by the
sweep itself; saved arrays for `Tensor`, read by its `_backprop`). A rule never refers to the
node that owns it, and edges only point from a node to its parents, so a graph has no reference
cycles and is freed by reference counting alone as soon as the user drops its root.

Every walk over a graph is iterative (no recursion limit) and deterministic: parents are
visited in the order the op listed them.
"""

from __future__ import annotations

import copy
import gc
import itertools
import operator
import threading
from collections.abc import Callable, Sequence
from contextlib import ContextDecorator
from typing import Any, TypeVar

__all__ = [
    "Node",
    "toposort",
    "backward",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
]

F = TypeVar("F", bound=Callable[..., Any])


# --- grad mode ------------------------------------------------------------------------------

class _GradMode(threading.local):
    enabled = True  # per thread, like PyTorch's grad mode


_mode = _GradMode()
# One entry per thread whose grad mode is off right now. While it is empty, every thread
# records and an op can skip the thread-local lookup, the slowest step of recording it: ops
# test `not _threads_off or _mode.enabled`. Only `_set_mode` changes either; list appends and
# pops are atomic, so no lock is needed.
_threads_off: list[None] = []


def is_grad_enabled() -> bool:
    """True when new ops record their parents (the default)."""
    return _mode.enabled


def _set_mode(enabled: bool) -> None:
    """Turn grad mode on or off in this thread."""
    enabled = bool(enabled)
    if enabled != _mode.enabled:
        _mode.enabled = enabled
        if enabled:
            _threads_off.pop()
        else:
            _threads_off.append(None)


class _GradModeContext(ContextDecorator):
    """Sets grad mode inside a `with` block or a decorated function, then restores it."""

    mode: bool

    def __enter__(self) -> None:
        self._saved.append(_mode.enabled)
        _set_mode(self.mode)

    def __exit__(self, *exc: object) -> None:
        _set_mode(self._saved.pop())

    def _recreate_cm(self) -> _GradModeContext:
        fresh = copy.copy(self)  # a decorated function gets its own context on every call
        fresh._saved = []
        return fresh


class no_grad(_GradModeContext):
    """`with no_grad():` or `@no_grad()`: ops inside record nothing; results are constants."""

    mode = False

    def __init__(self) -> None:
        self._saved: list[bool] = []


class enable_grad(_GradModeContext):
    """`with enable_grad():` or `@enable_grad()`: record again inside a `no_grad` block."""

    mode = True

    def __init__(self) -> None:
        self._saved: list[bool] = []


class set_grad_enabled(_GradModeContext):
    """Set grad mode now (a plain call works as a statement, as in PyTorch), or for a block."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._saved = [_mode.enabled]
        _set_mode(self.mode)

    def __enter__(self) -> None:
        if not self._saved:  # a fresh context of a decorated call; otherwise saved by __init__
            self._saved.append(_mode.enabled)
        _set_mode(self.mode)

    def __call__(self, func: F) -> F:
        _set_mode(self._saved.pop())  # used as a decorator: undo the immediate set
        return super().__call__(func)


# --- nodes ----------------------------------------------------------------------------------

class _Freed:
    """Marks a node whose backward rule was released by `backward(retain_graph=False)`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<freed>"


FREED = _Freed()


next_seq = itertools.count(1).__next__  # numbers recorded ops in creation order (`_numbered`)
_seq_of = operator.attrgetter("_seq")


class Node:
    """One vertex of a computation graph; subclasses define `_backprop` and how grads are kept."""

    __slots__ = ("_parents", "_op", "_rule", "_adjoint", "label", "__weakref__")

    data: Any  # the forward value
    grad: Any  # the stored gradient (None before any backward reached the node)
    _parents: tuple[Node, ...]
    _op: str
    _rule: Any
    _adjoint: Any  # scratch: the adjoint gathered so far during a backward sweep, else None
    label: str

    def _backprop(self, g: Any) -> None:
        """Add this node's share of the chain rule to each parent: given this node's adjoint
        `g`, `parent._adjoint += ḡ·∂self/∂parent` (with `_accumulate`), in parent order."""
        raise NotImplementedError

    # Whether backward stores this node's adjoint in `.grad` (accumulating across calls):
    # every Value does (as micrograd); a Tensor only if it is a leaf or asked to retain it.
    _retains_grad: bool = True
    # Whether `_rule` is the tuple of local derivatives ∂node/∂parent (numbers), which the
    # sweep multiplies by the adjoint itself; otherwise `_backprop` interprets the rule.
    _local_rule: bool = False
    # Whether nodes carry `_seq`: a recorded op's creation number (from `next_seq`), 0 for
    # leaves. Tensor does, so its graphs sort by number; Value does not, as numbering every
    # scalar op costs more than the plain post-order saves on its many-times-shared nodes.
    _numbered: bool = False

    @property
    def is_leaf(self) -> bool:
        """A node no op produced (an input or parameter), or one made under `no_grad`."""
        return not self._parents


def toposort(root: Node) -> list[Node]:
    """Every node `root` depends on, parents before children, `root` last.

    The walk is iterative and the result the same on every run (nodes hash by identity).
    Nodes that carry creation numbers (`_numbered`: each recorded op numbers its result after
    its inputs exist, so creation order is a topological order) are found breadth first and
    sorted by number; leaves are numbered 0 and keep the order they were found in. Others are
    placed by a depth-first post-order: a node is pushed, then a `None` marker, then its
    parents; when the marker comes back off the stack, all its ancestors are placed, and so
    is the node. Ties follow the parents' order.
    """
    if root._numbered:
        return _by_number(root)
    order: list[Node] = []
    seen: set[Node] = set()
    stack: list[Node | None] = [root]
    push, pop, mark, place = stack.append, stack.pop, seen.add, order.append
    while stack:
        node = pop()
        if node is None:
            place(pop())  # type: ignore[arg-type]
        elif node not in seen:
            mark(node)
            push(node)
            push(None)
            for parent in reversed(node._parents):
                if parent not in seen:
                    push(parent)
    return order


def _by_number(root: Node) -> list[Node]:
    """`toposort` for numbered nodes: about half the work of the post-order on chains."""
    order, seen = [root], {root}
    mark, place = seen.add, order.append
    for node in order:  # the list grows while it is walked: each node is visited once
        for parent in node._parents:
            if parent not in seen:
                mark(parent)
                place(parent)
    order.sort(key=_seq_of)  # found roughly newest first: mostly reversed runs
    return order


def backward(root: Node, gradient: Any, retain_graph: bool = False, create_graph: bool = False,
             inputs: Sequence[Node] | None = None) -> list[Any] | None:
    """Reverse-mode sweep: seed `root` with `gradient` and apply the chain rule to the graph.

    Nodes are visited in reverse topological order, so each node's adjoint is complete before
    it is pushed to its parents. A node's rule is either its local derivatives ∂node/∂parent
    (numbers: each parent gets adjoint · derivative) or data its `_backprop` turns into the
    parents' adjoints. Adjoints of one sweep are gathered in `_adjoint`, apart from the stored
    `.grad`, so a second sweep over a retained graph adds exactly one more gradient. Unless
    `retain_graph` (implied by `create_graph`), each rule is released once used.

    With `create_graph`, the sweep itself is recorded (rules run with grad mode on), so the
    gradients are differentiable. With `inputs`, only the nodes that depend on an input are
    visited, nothing is stored in any `.grad`, and the inputs' adjoints are returned (None
    where nothing reached), as `torch.autograd.grad` does.
    """
    retain_graph = retain_graph or create_graph
    captured: dict[Node, Any] | None = None
    stop: frozenset[Node] = frozenset()
    # Sorting and sweeping free nothing the cyclic collector could find; pausing it avoids
    # rescanning the whole (live) graph several times, which otherwise costs half a backward.
    collecting = gc.isenabled()
    gc.disable()
    mode = _mode.enabled
    _set_mode(create_graph)
    try:
        order = toposort(root)
        if inputs is not None:
            order, stop = _paths_to(order, inputs)
            captured = dict.fromkeys(inputs)
        for node in order:
            if node._rule is FREED and node not in stop:
                raise RuntimeError(
                    f"backward: the graph through op {node._op!r} was already freed by an "
                    "earlier backward(). Pass retain_graph=True to the first backward() to "
                    "backpropagate through the same graph again, or recompute the forward pass.")
        root._adjoint = gradient
        _sweep(order, captured is None, retain_graph, stop, captured)
    finally:
        root._adjoint = None
        _set_mode(mode)
        if collecting:
            gc.enable()
    if captured is None:
        return None
    for node in order:  # parents off the paths may hold an adjoint that a rule gave them
        for parent in node._parents:
            parent._adjoint = None
    return [captured[x] for x in inputs]  # type: ignore[union-attr]


def _paths_to(order: list[Node], inputs: Sequence[Node]) -> tuple[list[Node], frozenset[Node]]:
    """The nodes of `order` that depend on some input, and the inputs to treat as leaves
    (those that depend on no other input: the sweep neither enters nor frees their history)."""
    reaching = set(inputs)
    for node in order:
        if node not in reaching and any(p in reaching for p in node._parents):
            reaching.add(node)
    bottom = frozenset(x for x in inputs if not any(p in reaching for p in x._parents))
    return [node for node in order if node in reaching], bottom


def _accumulate(node: Node, g: Any) -> None:
    """`node._adjoint += g` for one sweep (the first contribution is taken as it is)."""
    a = node._adjoint
    node._adjoint = g if a is None else a + g


def _sweep(order: list[Node], keep: bool, retain_graph: bool, stop: frozenset[Node],
           captured: dict[Node, Any] | None) -> None:
    try:
        for node in reversed(order):
            g = node._adjoint
            if g is None:  # nothing flows here (e.g. a non-differentiable input)
                continue
            node._adjoint = None
            if keep:
                if node._retains_grad:
                    node.grad = g if node.grad is None else node.grad + g
            else:  # backward(inputs=...): capture, and do not enter an input's own history
                if node in captured:  # type: ignore[operator]
                    captured[node] = g  # type: ignore[index]
                if node in stop:
                    continue
            parents = node._parents
            if not parents:
                continue  # a leaf: nothing to push, no rule to free
            if node._local_rule:  # scalar chain rule: adjoint(parent) += g · ∂node/∂parent
                for parent, d in zip(parents, node._rule):  # noqa: B905 (same length)
                    a = parent._adjoint
                    parent._adjoint = g * d if a is None else a + g * d
            else:
                node._backprop(g)
            if not retain_graph:
                node._rule = FREED
    except BaseException:
        for node in order:  # a failed sweep leaves no partial adjoints behind
            node._adjoint = None
            for parent in node._parents:
                parent._adjoint = None
        raise
