"""Functional transforms, as in HIPS autograd and JAX: `grad`, `value_and_grad`,
`elementwise_grad`, `jacobian` (`jacrev`), `jacfwd`, `hessian`, `vjp`, `jvp`, `hvp`.

A transform takes a function of Tensors and returns a function of numpy arrays or floats
(floats become float64, as `numpy.asarray` makes them). Any argument may be a pytree — dicts,
lists and tuples of arrays and numbers, nested (`pytree.py`) — and a derivative with respect
to it has the same structure. Arguments that are not differentiated reach `f` as constant
Tensors (numbers and arrays, also inside pytrees; ints and bools stay as they are: counts,
indices and flags), so numpy code and Tensor methods work on them alike; other objects pass
unchanged. Given Tensors that carry a graph — which is what an outer transform passes in — a
transform differentiates with `create_graph=True` and returns Tensors, so transforms nest to
any order: `grad(grad(f))`, `hessian = jacobian(jacobian(f))`. No transform touches any
`.grad`: each asks the engine for the adjoints of its own inputs.

    vjp:  u ↦ uᵀ J          one reverse sweep
    jvp:  v ↦ J v           the double-VJP trick: J v = ∂/∂u ⟨uᵀ J, v⟩, two reverse sweeps
    hvp:  v ↦ H v           reverse over reverse: ∇ₓ ⟨∇f(x), v⟩
    jacobian (jacrev): one vjp per output element;  jacfwd: one jvp per input element
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import engine
from .functions import reshape, stack
from .gradmode import enable_grad
from .pytree import TreeDef, tree_flatten, tree_leaves
from .tensor import Tensor, _constant
from .validate import check_real_array

__all__ = ["grad", "value_and_grad", "elementwise_grad", "jacobian", "jacrev", "jacfwd",
           "hessian", "vjp", "jvp", "hvp"]

ArgNums = int | Sequence[int]


def _as_constant(leaf: Any) -> Any:
    """A leaf of a non-differentiated argument as `f` sees it: numbers and numeric arrays
    become constant Tensors (a Python float a float64 one, as numpy.asarray makes it);
    Tensors, ints, bools and any other object stay as they are."""
    if isinstance(leaf, (Tensor, bool, int)):
        return leaf
    if isinstance(leaf, (float, np.ndarray, np.generic)):
        array = np.array(leaf)  # a copy: a pullback kept for later must not see it change
        if array.dtype.kind in "biuf":
            return _constant(array)
    return leaf


def _constant_argument(x: Any) -> Any:
    leaves, treedef = tree_flatten(x)
    converted = [_as_constant(leaf) for leaf in leaves]
    if all(a is b for a, b in zip(converted, leaves, strict=True)):
        return x  # nothing to convert: the very object the caller passed
    return treedef.unflatten(converted)


class _Args:
    """The positional arguments of one call: the differentiated ones rebuilt around graph
    leaves (one per pytree leaf), the others as constants."""

    def __init__(self, name: str, args: Sequence[Any], argnums: ArgNums) -> None:
        self.name = name
        self.single = isinstance(argnums, int)
        self.argnums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
        for i in self.argnums:
            if not -len(args) <= i < len(args):
                raise ValueError(f"{name}: argnums {i} is out of range for {len(args)} "
                                 "positional arguments")
        # a graph-carrying Tensor anywhere in the arguments (from an outer transform) means
        # the result must stay differentiable, so that mixed derivatives like ∂²f/∂w∂x are
        # not lost
        self.nested = any(isinstance(a, Tensor) and a.requires_grad for a in tree_leaves(args))
        self.args = list(args)
        self.trees: list[tuple[TreeDef, list[bool]]] = []
        self.leaves: list[Tensor] = []
        positions = {i % len(args) for i in self.argnums}
        for i in self.argnums:
            leaves, treedef = tree_flatten(args[i])
            tensors = [self._leaf(i, x) for x in leaves]
            self.trees.append((treedef, [isinstance(x, (float, int)) for x in leaves]))
            self.leaves.extend(tensors)
            self.args[i] = treedef.unflatten(tensors)
        for j, x in enumerate(args):
            if j not in positions:
                self.args[j] = _constant_argument(x)

    def _leaf(self, i: int, x: Any) -> Tensor:
        if isinstance(x, Tensor) and x.requires_grad:
            return x  # from an outer transform: differentiate through its graph
        array = np.asarray(x._data if isinstance(x, Tensor) else x)
        if array.dtype.kind != "f":
            raise TypeError(f"{self.name}: argument {i} holds {type(x).__name__} of dtype "
                            f"{array.dtype}; differentiation needs floating-point inputs "
                            "(e.g. 3.0 rather than 3)")
        return Tensor(array, requires_grad=True)

    def adjoints(self, outs: Sequence[Tensor], seeds: Sequence[Any],
                 retain_graph: bool = False) -> list[Any]:
        """Σₖ ∂⟨seedₖ, outₖ⟩/∂leaf for every leaf of the differentiated arguments (zeros
        where nothing reaches): one reverse sweep per output that depends on them."""
        live = [(out, seed) for out, seed in zip(outs, seeds, strict=True) if out.requires_grad]
        total: list[Any] = [None] * len(self.leaves)
        for k, (out, seed) in enumerate(live):
            found = engine.backward(out, _constant(seed) if self.nested else seed,
                                    retain_graph or k < len(live) - 1,
                                    create_graph=self.nested, inputs=self.leaves)
            total = [g if t is None else t if g is None else t + g
                     for t, g in zip(total, found, strict=True)]
        return [_zeros_like(leaf, self.nested) if g is None else g
                for g, leaf in zip(total, self.leaves, strict=True)]

    def result(self, values: Sequence[Any]) -> Any:
        """One value per leaf, rebuilt into the differentiated arguments' structures: Tensors
        when nested; else arrays shaped like the inputs (floats for Python numbers)."""
        rebuilt, start = [], 0
        for treedef, floats in self.trees:
            part = list(values[start:start + treedef.num_leaves])
            start += treedef.num_leaves
            if not self.nested:
                part = [float(v) if is_float and np.ndim(v) == 0 else np.asarray(v)
                        for v, is_float in zip(part, floats, strict=True)]
            rebuilt.append(treedef.unflatten(part))
        return rebuilt[0] if self.single else tuple(rebuilt)


def _zeros_like(leaf: Tensor, nested: bool) -> Any:
    zeros = np.zeros_like(leaf.data)
    return _constant(zeros) if nested else zeros


def _call(f: Callable[..., Any], args: _Args) -> Any:
    """f on the call's arguments, recorded even inside `no_grad` (a transform needs its graph)."""
    with enable_grad():
        return f(*args.args)


def _outputs(name: str, out: Any) -> tuple[list[Tensor], TreeDef]:
    """f's result as its Tensor leaves and its structure (a Tensor, or a pytree of them)."""
    leaves, treedef = tree_flatten(out)
    for leaf in leaves:
        if not isinstance(leaf, Tensor):
            raise TypeError(f"{name}: f must return a Tensor computed from its inputs (or a "
                            f"pytree of Tensors), got {type(leaf).__name__}")
    return leaves, treedef


def _scalar_output(name: str, out: Any) -> Tensor:
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}: f must return a scalar Tensor computed from its inputs, got "
                        f"{type(out).__name__}")
    if out.size != 1:
        raise TypeError(f"{name}: f must return a scalar, got shape {out.shape}; use jacobian "
                        "for vector outputs, elementwise_grad for the gradient of their sum, "
                        "or reduce with .sum()")
    return out


def _plain(out: Tensor, nested: bool) -> Any:
    """A value of f: the Tensor when nested, else a float (0-d) or an array."""
    if nested:
        return out
    data = out.data if isinstance(out, Tensor) else np.asarray(out)
    return float(data) if data.ndim == 0 else data.copy()


# --- gradients --------------------------------------------------------------------------------

def value_and_grad(f: Callable[..., Tensor], argnums: ArgNums = 0) -> Callable[..., Any]:
    """A function returning (f(*args), ∇f) with respect to the arguments in `argnums`."""

    def value_and_grad_f(*call_args: Any) -> tuple[Any, Any]:
        args = _Args("grad", call_args, argnums)
        out = _scalar_output("grad", _call(f, args))
        seed = np.ones_like(out.data)
        return _plain(out, args.nested), args.result(args.adjoints([out], [seed]))

    return value_and_grad_f


def grad(f: Callable[..., Tensor], argnums: ArgNums = 0) -> Callable[..., Any]:
    """The gradient of scalar-valued `f` with respect to the arguments in `argnums`."""
    value_and_grad_f = value_and_grad(f, argnums)

    def grad_f(*call_args: Any) -> Any:
        return value_and_grad_f(*call_args)[1]

    return grad_f


def elementwise_grad(f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
    """The gradient of sum(f(x)) (HIPS autograd): one VJP with a seed of ones. For an
    elementwise f the Jacobian is diagonal, so this is the derivative at every element."""

    def elementwise_grad_f(*call_args: Any) -> Any:
        args = _Args("elementwise_grad", call_args, argnums)
        outs, _ = _outputs("elementwise_grad", _call(f, args))
        return args.result(args.adjoints(outs, [np.ones_like(o.data) for o in outs]))

    return elementwise_grad_f


# --- Jacobians and Hessians -------------------------------------------------------------------

def jacobian(f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
    """∂f/∂x shaped `out.shape + x.shape`, one reverse sweep per output element. For a pytree
    output or input, the result nests the output's structure around the input's (JAX)."""

    def jacobian_f(*call_args: Any) -> Any:
        args = _Args("jacobian", call_args, argnums)
        outs, out_def = _outputs("jacobian", _call(f, args))
        blocks = []
        for out in outs:
            rows: list[list[Any]] = [[] for _ in args.leaves]
            for k in range(out.size):
                seed = np.zeros(out.size, dtype=out.dtype)
                seed[k] = 1
                found = args.adjoints([out], [seed.reshape(out.shape)], retain_graph=True)
                for row, g in zip(rows, found, strict=True):
                    row.append(g)
            blocks.append(args.result([_assemble(row, 0, out.shape, leaf.shape, args.nested)
                                       for row, leaf in zip(rows, args.leaves, strict=True)]))
        return out_def.unflatten(blocks)

    return jacobian_f


jacrev = jacobian


def jacfwd(f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
    """∂f/∂x like `jacobian`, built column by column from J·eⱼ (one `jvp` per input
    element): the cheaper way when f has more outputs than inputs."""

    def jacfwd_f(*call_args: Any) -> Any:
        args = _Args("jacfwd", call_args, argnums)
        outs, out_def = _outputs("jacfwd", _call(f, args))
        push = _linearize(args, outs)
        columns: list[list[list[Any]]] = [[[] for _ in args.leaves] for _ in outs]
        for j, leaf in enumerate(args.leaves):
            for k in range(leaf.size):
                unit = np.zeros(leaf.size, dtype=leaf.dtype)
                unit[k] = 1
                tangents: list[Any] = [None] * len(args.leaves)
                tangents[j] = unit.reshape(leaf.shape)
                for per_leaf, column in zip(columns, push(tangents), strict=True):
                    per_leaf[j].append(column)
        blocks = [args.result([_assemble(cols, out.ndim, out.shape, leaf.shape, args.nested)
                               for cols, leaf in zip(per_leaf, args.leaves, strict=True)])
                  for per_leaf, out in zip(columns, outs, strict=True)]
        return out_def.unflatten(blocks)

    return jacfwd_f


def _assemble(parts: list[Any], axis: int, out_shape: tuple[int, ...],
              in_shape: tuple[int, ...], nested: bool) -> Any:
    """Rows (axis 0: one per output element) or columns (axis out.ndim: one per input
    element) stacked into the block shaped `out_shape + in_shape`."""
    shape = out_shape + in_shape
    if not parts:
        return _constant(np.zeros(shape)) if nested else np.zeros(shape)
    if nested:
        parts = [p if isinstance(p, Tensor) else _constant(np.asarray(p)) for p in parts]
        return reshape(stack(parts, axis=axis), shape)
    return np.stack(parts, axis=axis).reshape(shape)


def hessian(f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
    """Second derivatives, `jacobian(jacobian(f))`: shaped `x.shape + x.shape` for scalar f,
    `out.shape + x.shape + x.shape` for a vector-valued one (JAX's `hessian`)."""
    return jacobian(jacobian(f, argnums), argnums)


# --- vector products --------------------------------------------------------------------------

def vjp(f: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    """(f(*primals), u ↦ (uᵀ ∂f/∂x for each primal)): reverse mode, one sweep per call. The
    cotangent u has the structure of f's output; each result that of its primal."""
    args = _Args("vjp", primals, tuple(range(len(primals))))
    outs, out_def = _outputs("vjp", _call(f, args))

    def vjp_fn(cotangent: Any) -> tuple[Any, ...]:
        given = [cotangent] if out_def.kind == "leaf" else _matching_leaves(
            "vjp", "cotangent", cotangent, out_def)
        seeds = []
        for u, out in zip(given, outs, strict=True):
            seeds.append(_direction("vjp", "cotangent", u, "f's output", out.shape, out.dtype))
        return args.result(args.adjoints(outs, seeds, retain_graph=True))

    return out_def.unflatten([_plain(o, args.nested) for o in outs]), vjp_fn


def _direction(name: str, what: str, u: Any, of: str, shape: tuple[int, ...],
               dtype: Any) -> np.ndarray:
    """A cotangent, tangent or direction `u` as an array shaped exactly like `of` (`shape`),
    cast to `dtype` (None: its own floating dtype): real numbers only, never broadcast."""
    try:
        array = np.array(u._data if isinstance(u, Tensor) else u)  # strings are not parsed
    except (TypeError, ValueError) as e:
        raise TypeError(f"{name}: {what} must be an array of numbers, got "
                        f"{type(u).__name__} ({e})") from None
    check_real_array(array, name, what)
    if array.shape != tuple(shape):
        raise ValueError(f"{name}: {what} has shape {array.shape}, {of} has shape "
                         f"{tuple(shape)}; they must match (no broadcasting)")
    return array.astype(dtype if dtype is not None else np.result_type(array, np.float32))


def _matching_leaves(name: str, what: str, tree: Any, treedef: TreeDef) -> list[Any]:
    leaves, given = tree_flatten(tree)
    if given != treedef:
        raise ValueError(f"{name}: the {what} has structure {given!r}, expected {treedef!r}")
    return leaves


def _linearize(args: _Args, outs: Sequence[Tensor]) -> Callable[[Sequence[Any]], list[Any]]:
    """The map v ↦ J·v at the current point (v: one tangent per leaf, None for zero), by
    the double-VJP trick: uᵀJ is linear in the cotangent u, so J v = ∂/∂u ⟨uᵀ J, v⟩. The
    sweep with a symbolic u is recorded once; each call is one sweep back to u."""
    us = [Tensor(np.zeros_like(out.data), requires_grad=True) for out in outs]
    pulled: list[Any] = [None] * len(args.leaves)
    for out, u in zip(outs, us, strict=True):
        if out.requires_grad:
            found = engine.backward(out, u, create_graph=True, inputs=args.leaves)
            pulled = [g if t is None else t if g is None else t + g
                      for t, g in zip(pulled, found, strict=True)]

    def push(tangents: Sequence[Any]) -> list[Any]:
        total: Any = None
        for g, v in zip(pulled, tangents, strict=True):
            if g is not None and v is not None:
                term = (g * v).sum()
                total = term if total is None else total + term
        if total is None or not total.requires_grad:
            found: list[Any] = [None] * len(us)
        else:
            seed = np.ones_like(total.data)
            found = engine.backward(total, _constant(seed) if args.nested else seed,
                                    retain_graph=True, create_graph=args.nested, inputs=us)
        return [_zeros_like(u, args.nested) if jv is None else jv
                for jv, u in zip(found, us, strict=True)]

    return push


def jvp(f: Callable[..., Any], primals: Sequence[Any],
        tangents: Sequence[Any]) -> tuple[Any, Any]:
    """(f(*primals), J·tangents): forward mode by the double-VJP trick (`_linearize`). Each
    tangent has the structure of its primal; the result has that of f's output."""
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    args = _Args("jvp", primals, tuple(range(len(primals))))
    outs, out_def = _outputs("jvp", _call(f, args))
    vs: list[Any] = []
    for (treedef, _), tangent in zip(args.trees, tangents, strict=True):
        vs.extend([tangent] if treedef.kind == "leaf" else
                  _matching_leaves("jvp", "tangent", tangent, treedef))
    for k, (v, leaf) in enumerate(zip(vs, args.leaves, strict=True)):
        if isinstance(v, Tensor) and v.requires_grad:
            continue  # a tangent from an outer transform: J·v stays differentiable in v
        vs[k] = _direction("jvp", "tangent", v, "its primal", leaf.shape, leaf.dtype)
    # a graph-carrying tangent (from an outer transform): J·v must stay differentiable in it
    args.nested = args.nested or any(isinstance(v, Tensor) and v.requires_grad for v in vs)
    jvs = _linearize(args, outs)(vs)
    return (out_def.unflatten([_plain(o, args.nested) for o in outs]),
            out_def.unflatten([_plain(jv, args.nested) for jv in jvs]))


def hvp(f: Callable[..., Tensor], x: Any, v: Any) -> Any:
    """H(x)·v for scalar `f`, without forming H: the gradient of ⟨∇f(x), v⟩. `v` has the
    structure of `x`, and so has the result."""
    x_leaves, x_def = tree_flatten(x)
    given = [v] if x_def.kind == "leaf" else _matching_leaves("hvp", "direction", v, x_def)
    # v is shaped like x, never broadcast against it (a (1,) or (3, 3) v for a (3,) x is a
    # mistake, not a direction); a graph-carrying v (an outer transform's) passes as it is
    directions = [d if isinstance(d, Tensor) and d.requires_grad else
                  _direction("hvp", "v", d, "x", np.shape(getattr(p, "_data", p)), None)
                  for d, p in zip(given, x_leaves, strict=True)]

    def inner(t: Any) -> Any:
        total: Any = 0.0
        for g, d in zip(tree_leaves(grad(f)(t)), directions, strict=True):
            total = total + (g * d).sum()
        return total

    return grad(inner)(x)
