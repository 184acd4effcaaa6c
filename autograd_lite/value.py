"""`Value`: a scalar node of the computation graph (micrograd's engine on the shared core).

Each op computes its result and, next to it, the local derivatives ∂out/∂parent as plain
floats; the backward sweep multiplies them by the incoming adjoint. Storing numbers rather
than closures keeps graphs free of reference cycles. `-`, `/` and the reflected forms are written
with `+`, `*` and `**`, so a diagram shows the elementary ops that were really recorded.

Numerics follow IEEE 754 as numpy does, where Python's `math` would raise: exp(1000) = inf,
log(0) = -inf, log(-1) = nan, 1/0 = inf, (-8)**(1/3) = nan. Conventions: relu'(0) = 0,
abs'(0) = 0, and d(a**b)/db = 0 at a = 0 for b >= 0 (as PyTorch).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import numpy as np

from . import graph
from .graph import Node

__all__ = ["Value"]

Number = int | float
_new = object.__new__


# --- IEEE-754 versions of the math functions (inf and nan instead of exceptions) -------------

def _ieee(math_fn: Callable[..., float], np_fn: Callable[..., np.floating]) -> Callable[..., float]:
    """`math_fn`, falling back to numpy's IEEE answer where `math` raises."""

    def fn(*args: float) -> float:
        try:
            return math_fn(*args)
        except (OverflowError, ValueError, ZeroDivisionError):
            with np.errstate(all="ignore"):
                return float(np_fn(*args))

    fn.__name__ = math_fn.__name__
    return fn


_exp = _ieee(math.exp, np.exp)
_log = _ieee(math.log, np.log)
_sqrt = _ieee(math.sqrt, np.sqrt)
_sin = _ieee(math.sin, np.sin)
_cos = _ieee(math.cos, np.cos)
_pow = _ieee(math.pow, np.power)


def _recip(x: float) -> float:
    """1/x with 1/±0 = ±inf."""
    return 1.0 / x if x else math.copysign(math.inf, x)


def _dpow(a: float, n: float) -> float:
    """∂(a^n)/∂a = n·a^(n-1), taken as 0 for n = 0 (even at a = 0, where 0·inf is nan)."""
    return n * _pow(a, n - 1) if n != 0 else 0.0


def _sigmoid(x: float) -> float:
    """σ(x) = 1/(1 + e^-x), evaluated without overflow for either sign of x."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)  # x < 0 (or nan): e <= 1, no overflow
    return e / (1.0 + e)


def _as_float(x: object, op: str) -> float:
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real) or (isinstance(x, np.ndarray) and x.shape == () and
                                      np.issubdtype(x.dtype, np.number) and
                                      not np.iscomplexobj(x)):
        return float(x)
    raise TypeError(f"{op}: expected a real number (int, float, numpy scalar), "
                    f"got {type(x).__name__} {x!r:.60}")


class Value(Node):
    """A scalar that records the ops applied to it, for reverse-mode differentiation.

    `data` is the forward value (float); `grad` is ∂root/∂self after `backward()` (None before
    any backward reached this node). Every Value keeps its grad, as in micrograd, so diagrams
    can show them; grads accumulate across backward calls until `zero_grad()`.
    """

    __slots__ = ("data", "grad")
    _local_rule = True  # `_rule` holds ∂self/∂parent for each parent, as floats

    def __init__(self, data: float, label: str = "") -> None:
        self.data = _as_float(data, "Value")
        self.grad = None
        self.label = label
        self._parents = ()
        self._op = ""
        self._rule = None
        self._adjoint = None

    # --- primitives: forward value, then local derivatives ---------------------------------

    def __add__(self, other: Value | Number) -> Value:
        other = other if type(other) is Value else _lift(other)
        if other is NotImplemented:
            return NotImplemented
        return _result(self.data + other.data, (self, other), "+", (1.0, 1.0))

    def __mul__(self, other: Value | Number) -> Value:
        other = other if type(other) is Value else _lift(other)
        if other is NotImplemented:
            return NotImplemented
        a, b = self.data, other.data
        return _result(a * b, (self, other), "*", (b, a))

    def __pow__(self, other: Value | Number) -> Value:
        a = self.data
        if isinstance(other, Value):  # a ** b: ∂/∂a = b·a^(b-1), ∂/∂b = a^b·ln a
            b = other.data
            out = _pow(a, b)
            dlog = 0.0 if a == 0 and b >= 0 else out * _log(a)
            return _result(out, (self, other), "**", (_dpow(a, b), dlog))
        if not isinstance(other, numbers.Real):
            return NotImplemented
        n = other if type(other) is int else float(other)  # a ** n: one parent
        return _result(_pow(a, n), (self,), f"**{other}", (_dpow(a, n),))

    def exp(self) -> Value:
        out = _exp(self.data)  # d/dx e^x = e^x
        return _result(out, (self,), "exp", (out,))

    def log(self) -> Value:
        return _result(_log(self.data), (self,), "log", (_recip(self.data),))

    def tanh(self) -> Value:
        t = math.tanh(self.data)  # d/dx tanh x = 1 - tanh²x
        return _result(t, (self,), "tanh", (1.0 - t * t,))

    def sigmoid(self) -> Value:
        s = _sigmoid(self.data)  # σ' = σ(1 - σ)
        return _result(s, (self,), "sigmoid", (s * (1.0 - s),))

    def relu(self) -> Value:
        a = self.data  # relu'(0) = 0
        return _result(a if a > 0 else 0.0, (self,), "relu", (1.0 if a > 0 else 0.0,))

    def sin(self) -> Value:
        return _result(_sin(self.data), (self,), "sin", (_cos(self.data),))

    def cos(self) -> Value:
        return _result(_cos(self.data), (self,), "cos", (-_sin(self.data),))

    def sqrt(self) -> Value:
        out = _sqrt(self.data)  # d/dx √x = 1/(2√x)
        return _result(out, (self,), "sqrt", (0.5 * _recip(out),))

    def abs(self) -> Value:
        a = self.data  # abs'(x) = sign(x), with abs'(0) = 0
        return _result(abs(a), (self,), "abs", (float((a > 0) - (a < 0)),))

    __abs__ = abs

    # --- composites, written with the primitives ----------------------------------------

    def __neg__(self) -> Value:
        return self * -1.0

    def __sub__(self, other: Value | Number) -> Value:
        return self + (-other) if _is_operand(other) else NotImplemented

    def __truediv__(self, other: Value | Number) -> Value:
        if isinstance(other, Value):
            return self * other ** -1
        return self * _recip(float(other)) if _is_operand(other) else NotImplemented

    def __radd__(self, other: Number) -> Value:
        return self.__add__(other)

    def __rmul__(self, other: Number) -> Value:
        return self.__mul__(other)

    def __rsub__(self, other: Number) -> Value:
        return other + (-self) if _is_operand(other) else NotImplemented

    def __rtruediv__(self, other: Number) -> Value:
        return other * self ** -1 if _is_operand(other) else NotImplemented

    def __rpow__(self, other: Number) -> Value:
        return _lift(other) ** self if _is_operand(other) else NotImplemented

    # --- backward and housekeeping --------------------------------------------------------

    def backward(self, gradient: float = 1.0, retain_graph: bool = False) -> None:
        """Accumulate ∂self/∂v · gradient into `v.grad` for every Value v this one depends on.

        The graph's saved derivatives are released afterwards unless `retain_graph=True`.
        """
        graph.backward(self, _as_float(gradient, "Value.backward(gradient)"), retain_graph)

    def zero_grad(self) -> None:
        """Forget this Value's gradient (`grad` becomes None, as before any backward)."""
        self.grad = None

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"


def _result(data: float, parents: tuple[Value, ...], op: str,
            local: tuple[float, ...]) -> Value:
    """The output node of `op`; `local` holds ∂data/∂parent for each parent."""
    out = _new(Value)
    out.data, out.grad, out.label, out._adjoint = data, None, "", None
    if not graph._threads_off or graph._mode.enabled:  # see graph._threads_off
        out._parents, out._op, out._rule = parents, op, local
    else:  # no_grad: a constant, with no history
        out._parents, out._op, out._rule = (), "", None
    return out


def _is_operand(x: object) -> bool:
    return isinstance(x, (Value, numbers.Real))


def _lift(x: object) -> Value:
    """Turn a Python or numpy real number into a constant leaf (NotImplemented otherwise)."""
    if isinstance(x, Value):
        return x
    if type(x) is float or type(x) is int or isinstance(x, numbers.Real):
        return _result(float(x), (), "", None)  # no parents: a leaf, whatever the grad mode
    return NotImplemented
