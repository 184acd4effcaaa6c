"""Checking reverse-mode gradients against float64 central differences.

    ∂f/∂x_i ≈ (f(x + ε·e_i) − f(x − ε·e_i)) / 2ε        (error O(ε²))

The analytic side runs the function once on fresh graph leaves and calls `backward()`; the
numeric side re-evaluates it under `no_grad` with the input nudged. Inputs are promoted to
float64 first, so float32 code is checked at float64 precision. Numpy arrays and numpy
scalars become Tensors (0-d for a scalar), Python numbers become Values. A non-scalar output y
is checked through the scalar ⟨w, y⟩ with a fixed random w, which tests the whole
vector-Jacobian product at once.

Higher orders (`order=2`, as HIPS autograd's `check_grads`): the same check runs on
G(x) = ⟨∇F(x), d⟩ for a random direction d, whose gradient is H·d, computed by a second
reverse sweep through the recorded first one (`create_graph`), while its central
differences difference the first-order analytic gradient. A VJP that is right but not
differentiable correctly (it reads `.data`, or uses numpy where an op was needed) passes
order 1 and fails order 2. `modes=("fwd",)` also checks J·v from `jvp` against the difference
along v. `check_grads` takes HIPS autograd's and JAX's signatures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .functional import _constant_argument, grad, jvp
from .gradmode import no_grad
from .graph import Node
from .tensor import Tensor
from .validate import check_nonnegative_finite, check_positive_finite
from .value import Value

__all__ = ["gradcheck", "GradcheckError", "central_difference", "check_grads"]

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

    def __init__(self, f: Callable[..., Any], inputs: Sequence[Any],
                 name: str = "gradcheck") -> None:
        if not inputs:
            raise TypeError(f"{name}: give at least one input to differentiate with respect to")
        self.f = f
        self.is_array = [isinstance(x, (np.ndarray, np.generic, Tensor)) for x in inputs]
        self.xs = []
        for i, x in enumerate(inputs):
            given = np.array(x.data if isinstance(x, Tensor) else x)  # strings not parsed
            if given.dtype.kind not in "biuf":
                raise TypeError(f"{name}: input {i} must hold real numbers, got "
                                f"{type(x).__name__} of dtype {given.dtype}")
            if not self.is_array[i] and given.ndim:
                raise TypeError(f"{name}: input {i} is a sequence; pass arrays as numpy arrays")
            self.xs.append(given.astype(np.float64))
        self.weights: np.ndarray | None = None

    def analytic(self) -> list[np.ndarray]:
        """Gradients of the projected output by one backward pass."""
        leaves = [_leaf(x, a, True) for x, a in zip(self.xs, self.is_array, strict=True)]
        out = self.f(*leaves)
        _scalar(out, None)  # type check
        if isinstance(out, Tensor) and out.size != 1:
            # a fixed random projection tests the whole VJP; a one-element output is its
            # own scalar, so the values reported are f's own derivatives (unweighted)
            self.weights = np.random.default_rng(0).standard_normal(out.shape)
            if out.requires_grad:
                out.backward(gradient=self.weights)
        elif isinstance(out, Tensor):
            if out.requires_grad:
                out.backward()
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
    eps = check_positive_finite(eps, "central_difference", "eps")
    problem = _Problem(f, inputs, "central_difference")
    direction = np.zeros(problem.xs[arg].shape)
    direction[index] = 1.0
    return problem.difference(arg, direction, eps)


def gradcheck(f: Callable[..., Any], *inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-4, order: int = 1, modes: Sequence[str] = ("rev",)) -> bool:
    """Check every input's gradient of `f` against central differences.

    Inputs: numpy arrays or numpy scalars (f receives float64 Tensors) or Python numbers (f
    receives Values). Small inputs are checked element by element; inputs with more than 64
    elements along 6 random directions (analytic ⟨∇, d⟩ against the difference along d).
    Returns True, or raises `GradcheckError` naming the input, the element or direction, the
    analytic and the numeric value. A value passes when |analytic − numeric| ≤ atol +
    rtol·|numeric|; a non-finite value (nan, inf) on either side fails. `eps` must be a
    finite number > 0, `atol` and `rtol` finite and >= 0.

    `order=2` then checks the gradient of the gradient: the same check on ⟨∇f(x), d⟩ for a
    random direction d (Python numbers reach f as 0-d float64 Tensors there: a Value records
    its local derivatives as floats, so it has no second order), and so on for higher
    orders. `modes` lists "rev" (the gradient, by reverse mode) and/or "fwd" (J·v from `jvp`,
    along random directions v, against the difference along v).
    """
    if not isinstance(order, int) or isinstance(order, bool) or order < 1:
        raise ValueError(f"gradcheck: order must be a positive int, got {order!r}")
    eps = check_positive_finite(eps, "gradcheck", "eps")
    atol = check_nonnegative_finite(atol, "gradcheck", "atol")
    rtol = check_nonnegative_finite(rtol, "gradcheck", "rtol")
    if isinstance(modes, str):
        modes = (modes,)
    unknown = set(modes) - {"rev", "fwd"}
    if unknown or not modes:
        raise ValueError(f"gradcheck: modes must hold 'rev' and/or 'fwd', got {modes!r}")
    problem = _Problem(f, inputs)
    rng = np.random.default_rng(1)
    for k in range(1, order + 1):
        what = "" if k == 1 else (f"order {k} (the gradient of ⟨∇f, d⟩, d a random "
                                  "direction): ")
        _check_reverse(problem, eps, atol, rtol, rng, what, count="rev" in modes)
        if "fwd" in modes:
            _check_forward(problem, eps, atol, rtol, rng, what)
        if k < order:
            problem = _Problem(_directional_gradient(problem, rng),
                               [np.array(x) for x in problem.xs])
    return True


def _check_reverse(problem: _Problem, eps: float, atol: float, rtol: float,
                   rng: np.random.Generator, what: str, count: bool = True) -> None:
    grads = problem.analytic()  # also fixes the output projection the next order uses
    if not count:
        return
    for i, (x, grad_i) in enumerate(zip(problem.xs, grads, strict=True)):
        if x.size <= ELEMENTWISE_LIMIT:
            for index in np.ndindex(x.shape):
                direction = np.zeros(x.shape)
                direction[index] = 1.0
                where = f" at index {index}" if index else ""
                _compare(grad_i[index], problem.difference(i, direction, eps), i, where, atol,
                         rtol, what)
        else:
            for k in range(RANDOM_DIRECTIONS):
                direction = rng.standard_normal(x.shape)
                direction /= np.linalg.norm(direction)
                _compare(float(np.sum(grad_i * direction)),
                         problem.difference(i, direction, eps), i,
                         f" along random direction {k}", atol, rtol, what)


def _projected(problem: _Problem) -> Callable[..., Any]:
    """F(x) = ⟨w, f(x)⟩ on Tensor inputs (w: the projection the first-order check chose)."""
    weights = problem.weights

    def projected(*xs: Any) -> Any:
        out = problem.f(*xs)
        if not isinstance(out, Tensor):
            raise TypeError(f"gradcheck: beyond order 1 and in forward mode f is called on "
                            f"Tensors and must return a Tensor, got {type(out).__name__}")
        return (out * weights).sum() if weights is not None else out.sum()

    return projected


def _check_forward(problem: _Problem, eps: float, atol: float, rtol: float,
                   rng: np.random.Generator, what: str) -> None:
    """⟨w, J·v⟩ from `jvp` against the difference of ⟨w, f⟩ along v, for each input."""
    projected = _projected(problem)
    for i, x in enumerate(problem.xs):
        direction = rng.standard_normal(x.shape)
        tangents = [np.zeros(y.shape) for y in problem.xs]
        tangents[i] = direction
        _, jv = jvp(projected, [np.array(y) for y in problem.xs], tangents)
        _compare(float(jv), problem.difference(i, direction, eps), i,
                 " along a random tangent (forward mode)", atol, rtol, what)


def _directional_gradient(problem: _Problem, rng: np.random.Generator) -> Callable[..., Any]:
    """G(x) = ⟨∇F(x), d⟩ for one random direction d (one part per input): its gradient is
    H·d. Given graph leaves, ∇F is recorded (the transforms nest), so G's gradient is a
    second reverse sweep; given constants, G is the plain first-order gradient."""
    projected = _projected(problem)
    directions = [rng.standard_normal(x.shape) for x in problem.xs]
    every = tuple(range(len(problem.xs)))

    def directional(*xs: Any) -> Any:
        grads = grad(projected, argnums=every)(*xs)
        total: Any = 0.0
        for g, d in zip(grads, directions, strict=True):
            total = total + (g * d).sum()
        return total if isinstance(total, Tensor) else Tensor(np.float64(total))

    return directional


def _compare(analytic: Any, numeric: float, i: int, where: str, atol: float,
             rtol: float, what: str = "") -> None:
    a = float(analytic)
    if not (np.isfinite(a) and np.isfinite(numeric)):  # nan == nan proves nothing
        raise GradcheckError(
            f"gradcheck: {what}gradient of input {i}{where} is not finite: analytic {a!r}, "
            f"numeric {numeric!r}; check at a point where f and its derivative are finite "
            "(e.g. inside the domain of sqrt and log)")
    if not np.isclose(a, numeric, rtol=rtol, atol=atol):
        raise GradcheckError(
            f"gradcheck: {what}gradient of input {i}{where} is wrong: analytic {a!r}, numeric "
            f"{numeric!r} (|difference| {abs(a - numeric):.3g} > atol {atol:g} + "
            f"rtol {rtol:g}·|numeric|)")


# --- HIPS autograd's and JAX's spelling ---------------------------------------------------------

def check_grads(f: Callable[..., Any], *spec: Any, modes: Sequence[str] = ("fwd", "rev"),
                order: int = 2, argnum: int | None = None, eps: float | None = None,
                atol: float | None = None, rtol: float | None = None) -> Any:
    """`gradcheck` under the names programs written for HIPS autograd and JAX call:

        check_grads(f, argnum=0, modes=["fwd", "rev"], order=2)(*args)    HIPS autograd
        check_grads(f, args, order, modes=("fwd", "rev"))                 JAX

    (a tuple or list second argument is JAX's `args`). HIPS checks the argument `argnum`
    with the others held fixed (they reach f as constant Tensors, as in the transforms);
    JAX checks every argument. Raises `GradcheckError`; HIPS's form returns the checker.
    """
    tolerances = {"eps": 1e-6 if eps is None else eps, "atol": 1e-5 if atol is None else atol,
                  "rtol": 1e-4 if rtol is None else rtol}
    modes = tuple(modes)
    if spec and isinstance(spec[0], (tuple, list)):  # JAX: check_grads(f, args, order, ...)
        if len(spec) > 2:
            raise TypeError("check_grads(f, args, order, modes=...): too many positional "
                            "arguments")
        args = [a if isinstance(a, (np.ndarray, Tensor)) else np.array(a, dtype=np.float64)
                for a in spec[0]]
        gradcheck(f, *args, order=spec[1] if len(spec) > 1 else order, modes=modes,
                  **tolerances)
        return True
    if len(spec) > 1:
        raise TypeError("check_grads(f, argnum=0, modes=..., order=2)(*args): too many "
                        "positional arguments")
    which = spec[0] if spec else 0 if argnum is None else argnum

    def checker(*args: Any) -> bool:
        fixed = [_constant_argument(a) for a in args]
        position = which % len(args)

        def along(x: Any) -> Any:
            return f(*fixed[:position], x, *fixed[position + 1:])

        x = args[position]
        x = x if isinstance(x, (np.ndarray, Tensor)) else np.array(x, dtype=np.float64)
        return gradcheck(along, x, order=order, modes=modes, **tolerances)

    return checker
