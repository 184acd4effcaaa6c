"""Checking reverse-mode gradients against float64 central differences.

    ∂f/∂x_i ≈ (f(x + ε·e_i) − f(x − ε·e_i)) / 2ε        (error O(ε²))

The analytic side runs the function once on fresh graph leaves and calls `backward()`; the
numeric side re-evaluates it under `no_grad` with one element nudged at a time. Inputs are
promoted to float64 first, so float32 code is checked at float64 precision.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .graph import Node, no_grad
from .value import Value

__all__ = ["gradcheck", "GradcheckError", "central_difference"]


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with its central-difference estimate."""


def _leaf(x: np.ndarray, index: int) -> Node:
    """The graph leaf `f` receives for a float64 input array."""
    if x.ndim == 0:
        return Value(float(x))
    raise TypeError(f"gradcheck: input {index} has shape {x.shape}; scalar functions take "
                    "floats or 0-d arrays (array inputs are differentiated with Tensor)")


def _output(out: object) -> float:
    """The scalar value of `f`'s result."""
    if isinstance(out, Value):
        return out.data
    raise TypeError(f"gradcheck: f must return a Value built from its inputs, "
                    f"got {type(out).__name__}")


def _grad(leaf: Node, shape: tuple[int, ...]) -> np.ndarray:
    """The leaf's gradient as a float64 array (zeros if no gradient reached it)."""
    return np.zeros(shape) if leaf.grad is None else np.asarray(leaf.grad, dtype=np.float64)


def _evaluate(f: Callable[..., Any], xs: Sequence[np.ndarray]) -> float:
    with no_grad():
        return _output(f(*(_leaf(x, i) for i, x in enumerate(xs))))


def central_difference(f: Callable[..., Any], *inputs: Any, arg: int = 0,
                       index: tuple[int, ...] = (), eps: float = 1e-6) -> float:
    """(f(…, x + ε·e_index, …) − f(…, x − ε·e_index, …)) / 2ε for input number `arg`."""
    xs = [np.array(x, dtype=np.float64) for x in inputs]
    x = xs[arg]
    original = x[index]
    x[index] = original + eps
    f_plus = _evaluate(f, xs)
    x[index] = original - eps
    f_minus = _evaluate(f, xs)
    x[index] = original
    return (f_plus - f_minus) / (2 * eps)


def gradcheck(f: Callable[..., Any], *inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-4) -> bool:
    """Check every input's gradient of scalar `f` against central differences.

    Returns True, or raises `GradcheckError` naming the input, the element, the analytic and
    the numeric value. An element passes when |analytic − numeric| ≤ atol + rtol·|numeric|
    (nan only matches nan).
    """
    if not inputs:
        raise TypeError("gradcheck: give at least one input to differentiate with respect to")
    xs = [np.array(x, dtype=np.float64) for x in inputs]
    leaves = [_leaf(x, i) for i, x in enumerate(xs)]
    out = f(*leaves)
    _output(out)
    out.backward()
    for i, (x, leaf) in enumerate(zip(xs, leaves, strict=True)):
        analytic = _grad(leaf, x.shape)
        for index in np.ndindex(x.shape):
            numeric = central_difference(f, *xs, arg=i, index=index, eps=eps)
            a = float(analytic[index])
            if not np.isclose(a, numeric, rtol=rtol, atol=atol, equal_nan=True):
                where = f" at index {index}" if index else ""
                raise GradcheckError(
                    f"gradcheck: gradient of input {i}{where} is wrong: analytic {a!r}, "
                    f"numeric {numeric!r} (|difference| {abs(a - numeric):.3g} > "
                    f"atol {atol:g} + rtol {rtol:g}·|numeric|)")
    return True
