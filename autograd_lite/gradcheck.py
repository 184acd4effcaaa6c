"""Checking reverse-mode gradients against float64 central differences.

    ∂f/∂x_i ≈ (f(x + ε·e_i) − f(x − ε·e_i)) / 2ε        (error O(ε²))

The analytic side runs the function once on fresh graph leaves and calls `backward()`; the
numeric side re-evaluates it under `no_grad` with the input nudged. Inputs are promoted to
float64 first, so float32 code is checked at float64 precision. Numpy arrays become Tensors,
Python and numpy scalars become Values. A non-scalar output y is checked through the scalar
⟨w, y⟩ with a fixed random w, which tests the whole vector-Jacobian product at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .gradmode import no_grad
from .graph import Node
from .tensor import Tensor
from .value import Value

__all__ = ["gradcheck", "GradcheckError", "central_difference"]

# inputs with more elements than this are checked along random directions, not element-wise
ELEMENTWISE_LIMIT = 64
RANDOM_DIRECTIONS = 6


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with its central-difference estimate."""


def _leaf(x: np.ndarray, is_array: bool, requires_grad: bool) -> Node:
    """The graph leaf `f` receives: a float64 Tensor for an array, a Value for a scalar."""
    return Tensor(x, requires_grad=requires_grad) if is_array else Value(float(x))


def _scalar(out: object, weights: np.ndarray | None) -> float:
    """f's result as the scalar that is differentiated: y itself, or ⟨w, y⟩ for a tensor."""
    if isinstance(out, Value):
        return out.data
    if isinstance(out, Tensor):
        data = out.data.astype(np.float64)
        return float(np.sum(data * weights)) if weights is not None else float(data.sum())
    raise TypeError(f"gradcheck: f must return a Value or Tensor built from its inputs, "
                    f"got {type(out).__name__}")


class _Problem:
    """f with its inputs as float64 arrays, and the output projection."""

    def __init__(self, f: Callable[..., Any], inputs: Sequence[Any]) -> None:
        if not inputs:
            raise TypeError("gradcheck: give at least one input to differentiate with respect to")
        self.f = f
        self.is_array = [isinstance(x, (np.ndarray, Tensor)) for x in inputs]
        self.xs = [np.array(x.data if isinstance(x, Tensor) else x, dtype=np.float64)
                   for x in inputs]
        for i, x in enumerate(self.xs):
            if not self.is_array[i] and x.ndim:
                raise TypeError(f"gradcheck: input {i} is a sequence; pass arrays as numpy arrays")
        self.weights: np.ndarray | None = None

    def analytic(self) -> list[np.ndarray]:
        """Gradients of the projected output by one backward pass."""
        leaves = [_leaf(x, a, True) for x, a in zip(self.xs, self.is_array, strict=True)]
        out = self.f(*leaves)
        _scalar(out, None)  # type check
        if isinstance(out, Tensor):
            self.weights = np.random.default_rng(0).standard_normal(out.shape)
            if out.requires_grad:
                out.backward(gradient=self.weights)
        else:
            out.backward()
        return [np.zeros(x.shape) if leaf.grad is None else
                np.asarray(leaf.grad, dtype=np.float64)
                for x, leaf in zip(self.xs, leaves, strict=True)]

    def value(self, xs: Sequence[np.ndarray]) -> float:
        with no_grad():
            leaves = [_leaf(x, a, False) for x, a in zip(xs, self.is_array, strict=True)]
            return _scalar(self.f(*leaves), self.weights)

    def difference(self, arg: int, direction: np.ndarray, eps: float) -> float:
        """(F(x + ε·d) − F(x − ε·d)) / 2ε for input `arg` moved along `direction`."""
        xs = list(self.xs)
        xs[arg] = self.xs[arg] + eps * direction
        plus = self.value(xs)
        xs[arg] = self.xs[arg] - eps * direction
        return (plus - self.value(xs)) / (2 * eps)


def central_difference(f: Callable[..., Any], *inputs: Any, arg: int = 0,
                       index: tuple[int, ...] = (), eps: float = 1e-6) -> float:
    """(f(…, x + ε·e_index, …) − f(…, x − ε·e_index, …)) / 2ε for input number `arg`.

    `f` returns a Value or a Tensor (a Tensor result is summed).
    """
    problem = _Problem(f, inputs)
    direction = np.zeros(problem.xs[arg].shape)
    direction[index] = 1.0
    return problem.difference(arg, direction, eps)


def gradcheck(f: Callable[..., Any], *inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-4) -> bool:
    """Check every input's gradient of `f` against central differences.

    Inputs: numpy arrays (f receives float64 Tensors) or numbers (f receives Values).
    Small inputs are checked element by element; inputs with more than 64 elements along
    6 random directions (analytic ⟨∇, d⟩ against the difference along d). Returns True, or
    raises `GradcheckError` naming the input, the element or direction, the analytic and
    the numeric value. A value passes when |analytic − numeric| ≤ atol + rtol·|numeric|
    (nan only matches nan).
    """
    problem = _Problem(f, inputs)
    grads = problem.analytic()
    rng = np.random.default_rng(1)
    for i, (x, grad) in enumerate(zip(problem.xs, grads, strict=True)):
        if x.size <= ELEMENTWISE_LIMIT:
            for index in np.ndindex(x.shape):
                direction = np.zeros(x.shape)
                direction[index] = 1.0
                where = f" at index {index}" if index else ""
                _compare(grad[index], problem.difference(i, direction, eps), i, where, atol,
                         rtol)
        else:
            for k in range(RANDOM_DIRECTIONS):
                direction = rng.standard_normal(x.shape)
                direction /= np.linalg.norm(direction)
                _compare(float(np.sum(grad * direction)), problem.difference(i, direction, eps),
                         i, f" along random direction {k}", atol, rtol)
    return True


def _compare(analytic: Any, numeric: float, i: int, where: str, atol: float,
             rtol: float) -> None:
    a = float(analytic)
    if not np.isclose(a, numeric, rtol=rtol, atol=atol, equal_nan=True):
        raise GradcheckError(
            f"gradcheck: gradient of input {i}{where} is wrong: analytic {a!r}, numeric "
            f"{numeric!r} (|difference| {abs(a - numeric):.3g} > atol {atol:g} + "
            f"rtol {rtol:g}·|numeric|)")
