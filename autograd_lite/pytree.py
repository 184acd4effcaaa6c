"""Pytrees: nested dicts, lists and tuples of arrays and numbers, taken apart and rebuilt.

    flatten(tree) -> (vector, unflatten)     HIPS autograd's `autograd.misc.flatten`
    tree_flatten(tree) -> (leaves, treedef)  JAX's: the leaves in order, and the structure
    tree_unflatten(treedef, leaves)          the inverse: the same structure, new leaves
    tree_map(fn, tree, *rest)                fn applied leaf by leaf (rest: same structure)

Containers are dicts (visited in sorted key order, as JAX and HIPS do, so two dicts with the
same keys flatten alike whatever order they were built in; rebuilt in their own order),
lists, tuples and namedtuples, and None (an empty container, as in JAX). Anything else is a
leaf: an array, a number, a Tensor, or any other object.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .functions import concat, reshape
from .graph import Node
from .tensor import Tensor

__all__ = ["TreeDef", "tree_flatten", "tree_unflatten", "tree_leaves", "tree_map", "flatten"]


class TreeDef:
    """The shape of a pytree without its leaves: `kind` is "leaf", "none", "dict", "list",
    "tuple" or "namedtuple"; `meta` the dict keys (flattening order, then the dict's own
    order) or the namedtuple class; `children` the subtrees' TreeDefs."""

    __slots__ = ("kind", "meta", "children", "num_leaves")

    def __init__(self, kind: str, meta: Any = None, children: tuple[TreeDef, ...] = ()) -> None:
        self.kind, self.meta, self.children = kind, meta, children
        self.num_leaves = 1 if kind == "leaf" else sum(c.num_leaves for c in children)

    def unflatten(self, leaves: Sequence[Any]) -> Any:
        """The tree of this shape holding `leaves`, in flattening order."""
        leaves = list(leaves)
        if len(leaves) != self.num_leaves:
            raise ValueError(f"unflatten: this structure holds {self.num_leaves} leaves, "
                             f"got {len(leaves)}")
        return self._build(iter(leaves))

    def _build(self, leaves: Any) -> Any:
        if self.kind == "leaf":
            return next(leaves)
        if self.kind == "none":
            return None
        built = [child._build(leaves) for child in self.children]
        if self.kind == "dict":
            flat_order, own_order, cls = self.meta
            by_key = dict(zip(flat_order, built, strict=True))
            return cls((k, by_key[k]) for k in own_order)
        if self.kind == "list":
            return built
        if self.kind == "namedtuple":
            return self.meta(*built)
        return tuple(built)

    def __eq__(self, other: object) -> bool:
        """Same containers, keys and leaf count (a dict's own key order does not matter)."""
        return (isinstance(other, TreeDef) and self.kind == other.kind
                and self._meta_key() == other._meta_key() and self.children == other.children)

    def _meta_key(self) -> Any:
        return (self.meta[0], self.meta[2]) if self.kind == "dict" else self.meta

    def __hash__(self) -> int:
        return hash((self.kind, self.children))

    def __repr__(self) -> str:
        if self.kind == "leaf":
            return "*"
        if self.kind == "none":
            return "None"
        inner = ", ".join(map(repr, self.children))
        if self.kind == "dict":
            return "{" + ", ".join(f"{k!r}: {c!r}" for k, c in
                                   zip(self.meta[0], self.children, strict=True)) + "}"
        if self.kind == "list":
            return f"[{inner}]"
        if self.kind == "namedtuple":
            return f"{self.meta.__name__}({inner})"
        return f"({inner},)" if len(self.children) == 1 else f"({inner})"


def _sorted_keys(d: dict[Any, Any]) -> list[Any]:
    if isinstance(d, OrderedDict):
        return list(d)  # an OrderedDict's order is part of its value (JAX keeps it too)
    try:
        return sorted(d)
    except TypeError:  # keys of mixed types: their insertion order is the only order
        return list(d)


def _flatten_into(tree: Any, leaves: list[Any]) -> TreeDef:
    if tree is None:
        return TreeDef("none")
    if isinstance(tree, dict):
        keys = _sorted_keys(tree)
        children = tuple(_flatten_into(tree[k], leaves) for k in keys)
        cls = OrderedDict if isinstance(tree, OrderedDict) else dict
        return TreeDef("dict", (tuple(keys), tuple(tree), cls), children)
    if isinstance(tree, list):
        return TreeDef("list", None, tuple(_flatten_into(x, leaves) for x in tree))
    if isinstance(tree, tuple):
        children = tuple(_flatten_into(x, leaves) for x in tree)
        if hasattr(type(tree), "_fields"):  # a namedtuple
            return TreeDef("namedtuple", type(tree), children)
        return TreeDef("tuple", None, children)
    leaves.append(tree)
    return TreeDef("leaf")


def tree_flatten(tree: Any) -> tuple[list[Any], TreeDef]:
    """The leaves of `tree` in order (dict keys sorted), and its structure."""
    leaves: list[Any] = []
    treedef = _flatten_into(tree, leaves)
    return leaves, treedef


def tree_unflatten(treedef: TreeDef, leaves: Sequence[Any]) -> Any:
    """The tree shaped like `treedef` holding `leaves` (JAX's argument order)."""
    return treedef.unflatten(leaves)


def tree_leaves(tree: Any) -> list[Any]:
    return tree_flatten(tree)[0]


def tree_map(fn: Callable[..., Any], tree: Any, *rest: Any) -> Any:
    """`fn` applied to each leaf of `tree` (and the matching leaves of `rest`, which must
    have the same structure): `tree_map(lambda p, g: p - 0.1 * g, params, grads)`."""
    leaves, treedef = tree_flatten(tree)
    others = []
    for other in rest:
        other_leaves, other_def = tree_flatten(other)
        if other_def != treedef:
            raise ValueError(f"tree_map: the trees differ in structure: {treedef!r} and "
                             f"{other_def!r}")
        others.append(other_leaves)
    return treedef.unflatten([fn(*xs) for xs in zip(leaves, *others, strict=True)])


def flatten(tree: Any) -> tuple[Any, Callable[[Any], Any]]:
    """`(vector, unflatten)`: every leaf of `tree` ravelled and concatenated into one float64
    1-D array, and the function that maps such a vector back to the structure (HIPS
    autograd's `flatten`).

    `unflatten(v)` gives arrays shaped like the leaves (a floating leaf keeps its dtype) and
    Python floats for Python numbers. Both directions are differentiable: a tree holding
    Tensors flattens to a Tensor, and `unflatten` of a Tensor gives Tensors, so
    `grad(lambda v: f(unflatten(v)))(vector)` differentiates `f` with respect to all its
    parameters as one vector.
    """
    leaves, treedef = tree_flatten(tree)
    specs = []
    for leaf in leaves:
        array = np.asarray(leaf._data if isinstance(leaf, Tensor) else leaf)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"flatten: a leaf of type {type(leaf).__name__} is not a number "
                            "or an array of numbers")
        dtype = array.dtype if array.dtype.kind == "f" else np.dtype(np.float64)
        specs.append((array.shape, array.size, dtype, isinstance(leaf, (int, float))))
    offsets = np.cumsum([0] + [size for _, size, _, _ in specs])
    size = int(offsets[-1])

    if any(isinstance(leaf, Tensor) for leaf in leaves):
        pieces = [reshape(leaf if isinstance(leaf, Tensor) else Tensor(np.float64(leaf)), (-1,))
                  for leaf in leaves]
        pieces = [p if p.dtype == np.float64 else p.astype(np.float64) for p in pieces]
        vector: Any = concat(pieces)
    elif leaves:
        vector = np.concatenate([np.ravel(np.asarray(leaf, dtype=np.float64))
                                 for leaf in leaves])
    else:
        vector = np.zeros(0)

    def unflatten(v: Any) -> Any:
        on_graph = isinstance(v, Node)
        if not on_graph:
            v = np.asarray(v)
        if v.shape != (size,):
            raise ValueError(f"unflatten: expected a vector of shape ({size},), the size of "
                             f"the flattened structure, got shape {v.shape}")
        rebuilt = []
        for (shape, _, dtype, is_number), start, stop in zip(specs, offsets[:-1], offsets[1:],
                                                            strict=True):
            piece = v[int(start):int(stop)]
            if on_graph:
                rebuilt.append(reshape(piece, shape))
            elif is_number:
                rebuilt.append(float(piece[0]))
            else:
                rebuilt.append(piece.reshape(shape).astype(dtype))
        return treedef.unflatten(rebuilt)

    return vector, unflatten
