"""The graph itself, shared by `Value` and `Tensor`: the node type and topological order.

A node is the result of one elementary op. It holds its forward `data`, its `grad`, its
`_parents` (an ordered tuple: `a + a` keeps both edges), the op name `_op`, and `_rule`: the
data needed to push an adjoint back to each parent (local derivatives for `Value`; saved
arrays for `Tensor`, turned into adjoints by the op's VJPs). A rule never refers to the node
that owns it, and edges only point from a node to its parents, so a graph has no reference
cycles and is freed by reference counting alone as soon as the user drops its root.

Recording nodes and sweeping adjoints back through them is the engine's work (`engine.py`).
Every walk over a graph is iterative (no recursion limit) and deterministic: parents are
visited in the order the op listed them.
"""

from __future__ import annotations

import itertools
import operator
from typing import Any

__all__ = ["Node", "toposort", "FREED"]


class _Freed:
    """Marks a node whose backward rule was released by `backward(retain_graph=False)`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<freed>"


FREED = _Freed()


next_seq = itertools.count(1).__next__  # numbers recorded ops in creation order (`_numbered`)
_seq_of = operator.attrgetter("_seq")


class Node:
    """One vertex of a computation graph; `Value` and `Tensor` say how grads are kept."""

    # `_parents` and `_rule` are stored by each front end its own way (Tensor: fields;
    # Value: two parent and two derivative fields, read through properties)
    __slots__ = ("_op", "_adjoint", "label", "__weakref__")

    data: Any  # the forward value
    grad: Any  # the stored gradient (None before any backward reached the node)
    _parents: tuple[Node, ...]
    _op: str
    _rule: Any
    _adjoint: Any  # scratch: the adjoint gathered so far during a backward sweep, else None
    label: str

    # Whether backward stores this node's adjoint in `.grad` (accumulating across calls):
    # every Value does (as micrograd); a Tensor only if it is a leaf or asked to retain it.
    _retains_grad: bool = True
    # Whether `_rule` is the tuple of local derivatives ∂node/∂parent (numbers), which the
    # sweep multiplies by the adjoint itself (a Value: at most two parents, kept in the
    # fields `_p0 _d0 _p1 _d1`); otherwise the rule holds the arrays the op's VJPs read
    # (`engine.py`).
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
