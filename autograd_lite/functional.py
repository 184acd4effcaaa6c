"""Functional transforms, as in HIPS autograd and JAX: `grad`, `value_and_grad`, `jacobian`,
`hessian`, `vjp`, `jvp`, `hvp`.

A transform takes a function of Tensors and returns a function of numpy arrays or floats
(floats become float64, as `numpy.asarray` makes them). Given Tensors that carry a graph —
which is what an outer transform passes in — it differentiates with `create_graph=True` and
returns Tensors, so transforms nest to any order: `grad(grad(f))`, `hessian = jacobian(grad(f))`.
No transform touches any `.grad`: each asks the engine for the adjoints of its own inputs.

    vjp:  u ↦ uᵀ J          one reverse sweep
    jvp:  v ↦ J v           the double-VJP trick: J v = ∂/∂u ⟨uᵀ J, v⟩, two reverse sweeps
    hvp:  v ↦ H v           reverse over reverse: ∇ₓ ⟨∇f(x), v⟩
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import engine
from .functions import reshape, stack
from .gradmode import enable_grad
from .tensor import Tensor, _constant

__all__ = ["grad", "value_and_grad", "jacobian", "hessian", "vjp", "jvp", "hvp"]

ArgNums = int | Sequence[int]


class _Args:
    """The positional arguments of one call, with the differentiated ones as graph leaves."""

    def __init__(self, name: str, args: Sequence[Any], argnums: ArgNums) -> None:
        self.single = isinstance(argnums, int)
        self.argnums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
        for i in self.argnums:
            if not -len(args) <= i < len(args):
                raise ValueError(f"{name}: argnums {i} is out of range for {len(args)} "
                                 "positional arguments")
        self.args = list(args)
        # a graph-carrying Tensor in any argument (from an outer transform) means the result
        # must stay differentiable, so that mixed derivatives like ∂²f/∂w∂x are not lost
        self.nested = any(isinstance(a, Tensor) and a.requires_grad for a in args)
        self.floats = [isinstance(args[i], (float, int)) for i in self.argnums]
        self.leaves = [self._leaf(name, i) for i in self.argnums]
        for i, leaf in zip(self.argnums, self.leaves, strict=True):
            self.args[i] = leaf

    def _leaf(self, name: str, i: int) -> Tensor:
        x = self.args[i]
        if isinstance(x, Tensor) and x.requires_grad:
            return x  # from an outer transform: differentiate through its graph
        array = np.asarray(x.data if isinstance(x, Tensor) else x)
        if array.dtype.kind != "f":
            raise TypeError(f"{name}: argument {i} has dtype {array.dtype}; differentiation "
                            "needs floating-point inputs (e.g. 3.0 rather than 3)")
        return Tensor(array, requires_grad=True)

    def adjoints(self, out: Tensor, seed: Any, retain_graph: bool = False) -> list[Any]:
        """∂⟨seed, out⟩/∂leaf for every differentiated argument (zeros where unreached)."""
        if not out.requires_grad:
            found: list[Any] = [None] * len(self.leaves)
        else:
            found = engine.backward(out, _constant(seed) if self.nested else seed,
                                   retain_graph, create_graph=self.nested, inputs=self.leaves)
        return [_zeros_like(leaf, self.nested) if g is None else g
                for g, leaf in zip(found, self.leaves, strict=True)]

    def result(self, values: list[Any]) -> Any:
        """Tensors when nested; else arrays shaped like the inputs (floats for floats)."""
        if not self.nested:
            values = [float(v) if is_float and np.ndim(v) == 0 else np.asarray(v)
                      for v, is_float in zip(values, self.floats, strict=True)]
        return values[0] if self.single else tuple(values)


def _zeros_like(leaf: Tensor, nested: bool) -> Any:
    zeros = np.zeros_like(leaf.data)
    return _constant(zeros) if nested else zeros


def _call(name: str, f: Callable[..., Any], args: _Args) -> Tensor:
    with enable_grad():
        out = f(*args.args)
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}: f must return a Tensor computed from its inputs, got "
                        f"{type(out).__name__}")
    return out


def _scalar_output(name: str, out: Tensor) -> None:
    if out.size != 1:
        raise TypeError(f"{name}: f must return a scalar, got shape {out.shape}; use jacobian "
                        "for vector outputs, or reduce with .sum()")


def _plain(out: Tensor, nested: bool) -> Any:
    """f's value: the Tensor when nested, else a float (scalar) or an array."""
    if nested:
        return out
    return float(out.data) if out.ndim == 0 else out.data.copy()


def value_and_grad(f: Callable[..., Tensor], argnums: ArgNums = 0) -> Callable[..., Any]:
    """A function returning (f(*args), ∇f) with respect to the arguments in `argnums`."""

    def value_and_grad_f(*call_args: Any) -> tuple[Any, Any]:
        args = _Args("grad", call_args, argnums)
        out = _call("grad", f, args)
        _scalar_output("grad", out)
        seed = np.ones_like(out.data)
        return _plain(out, args.nested), args.result(args.adjoints(out, seed))

    return value_and_grad_f


def grad(f: Callable[..., Tensor], argnums: ArgNums = 0) -> Callable[..., Any]:
    """The gradient of scalar-valued `f` with respect to the arguments in `argnums`."""
    value_and_grad_f = value_and_grad(f, argnums)

    def grad_f(*call_args: Any) -> Any:
        return value_and_grad_f(*call_args)[1]

    return grad_f


def jacobian(f: Callable[..., Tensor], argnums: ArgNums = 0) -> Callable[..., Any]:
    """∂f/∂x shaped `out.shape + x.shape`, one reverse sweep per output element."""

    def jacobian_f(*call_args: Any) -> Any:
        args = _Args("jacobian", call_args, argnums)
        out = _call("jacobian", f, args)
        rows: list[list[Any]] = [[] for _ in args.leaves]
        for k in range(out.size):
            seed = np.zeros(out.size, dtype=out.dtype)
            seed[k] = 1
            for row, g in zip(rows, args.adjoints(out, seed.reshape(out.shape), True),
                              strict=True):
                row.append(g)
        jacobians = [_assemble(row, out.shape, leaf.shape, args.nested)
                     for row, leaf in zip(rows, args.leaves, strict=True)]
        return args.result(jacobians)

    return jacobian_f


def _assemble(rows: list[Any], out_shape: tuple[int, ...], in_shape: tuple[int, ...],
              nested: bool) -> Any:
    shape = out_shape + in_shape
    if nested:
        return reshape(stack(rows), shape)
    return np.stack(rows).reshape(shape)


def hessian(f: Callable[..., Tensor], argnums: int = 0) -> Callable[..., Any]:
    """The matrix of second derivatives of scalar `f`, shaped `x.shape + x.shape`."""
    return jacobian(grad(f, argnums), argnums)


def vjp(f: Callable[..., Tensor], *primals: Any) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    """(f(*primals), u ↦ (uᵀ ∂f/∂x for each primal)): reverse mode, one sweep per call."""
    args = _Args("vjp", primals, tuple(range(len(primals))))
    out = _call("vjp", f, args)

    def vjp_fn(cotangent: Any) -> tuple[Any, ...]:
        seed = np.asarray(cotangent._data if isinstance(cotangent, Tensor) else cotangent,
                          dtype=out.dtype)
        if seed.shape != out.shape:
            raise ValueError(f"vjp: cotangent has shape {seed.shape}, f's output has shape "
                             f"{out.shape}")
        return args.result(args.adjoints(out, seed, retain_graph=True))

    return _plain(out, args.nested), vjp_fn


def jvp(f: Callable[..., Tensor], primals: Sequence[Any],
        tangents: Sequence[Any]) -> tuple[Any, Any]:
    """(f(*primals), J·tangents): forward mode by the double-VJP trick.

    uᵀJ is linear in the cotangent u, so J v = ∂/∂u ⟨uᵀ J, v⟩: one sweep with a symbolic u
    (recorded), then one sweep from ⟨uᵀ J, v⟩ back to u.
    """
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    args = _Args("jvp", primals, tuple(range(len(primals))))
    out = _call("jvp", f, args)
    u = Tensor(np.zeros_like(out.data), requires_grad=True)
    if not out.requires_grad:
        return _plain(out, args.nested), np.zeros_like(out.data)
    adjoints = engine.backward(out, u, create_graph=True, inputs=args.leaves)
    total: Any = None
    for g, v, leaf in zip(adjoints, tangents, args.leaves, strict=True):
        if g is not None:
            v = np.asarray(v._data if isinstance(v, Tensor) else v, dtype=leaf.dtype)
            if v.shape != leaf.shape:
                raise ValueError(f"jvp: tangent has shape {v.shape}, primal has shape "
                                 f"{leaf.shape}")
            term = (g * v).sum()
            total = term if total is None else total + term
    if total is None or not total.requires_grad:
        return _plain(out, args.nested), np.zeros_like(out.data)
    seed = np.ones_like(total.data)
    (jv,) = engine.backward(total, _constant(seed) if args.nested else seed,
                           create_graph=args.nested, inputs=[u])
    return _plain(out, args.nested), np.zeros_like(out.data) if jv is None else jv


def hvp(f: Callable[..., Tensor], x: Any, v: Any) -> Any:
    """H(x)·v for scalar `f`, without forming H: the gradient of ⟨∇f(x), v⟩."""
    direction = np.asarray(v._data if isinstance(v, Tensor) else v)
    return grad(lambda t: (grad(f)(t) * direction).sum())(x)
