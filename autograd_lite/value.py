"""`Value`: a scalar node of the computation graph (micrograd's engine on the shared core).

Each op computes its result and, next to it, the local derivatives ∂out/∂parent as plain
floats; the backward sweep multiplies them by the incoming adjoint. Storing numbers rather
than closures keeps graphs free of reference cycles, and reads the derivatives as they were
when the op ran (changing a parent's `.data` afterwards cannot make a gradient stale). A
Value has at most two parents, kept with their derivatives in four fields (`_p0 _d0 _p1
_d1`); `_parents` and `_rule` give them as tuples, as a Tensor's are. `-`, `/` and the
reflected forms are written with `+`, `*` and `**`, so a diagram shows the elementary ops that
were really recorded.

The elementwise functions (`exp log tanh sigmoid relu sin cos sqrt abs leaky_relu clip`) are
not written here: each is generated (`_unary`, at the end of this file) from its declaration
in `ops/`, the same one the Tensor op comes from, so a Value and a Tensor compute the same
function and derivative. `+`, `*` and `**` are written out for speed (they are most of a
scalar network's ops) and are checked against their declarations by the tests.

Numerics follow IEEE 754 as numpy does, where Python's `math` would raise: exp(1000) = inf,
log(0) = -inf, log(-1) = nan, 1/0 = inf, (-8)**(1/3) = nan. Conventions: relu'(0) = 0,
abs'(0) = 0, and d(a**b)/db = 0 at a = 0 for b >= 0 (as PyTorch).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from . import engine
from .graph import FREED, Node
from .opdef import as_function, ieee
from .ops import OPS, Op

__all__ = ["Value"]

Number = int | float
_pow = ieee(math.pow, np.power)
_dpow_base, _dpow_exponent = (as_function(p, 2) for p in OPS["power"].partials)


def _recip(x: float) -> float:
    """1/x with 1/±0 = ±inf."""
    return 1.0 / x if x else math.copysign(math.inf, x)


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

    `data` is the forward value (float); `grad` is ∂root/∂self after `backward()`, 0.0 before
    (micrograd's convention; a Tensor's is None). Every Value keeps its grad, as in micrograd,
    so diagrams can show them; grads accumulate across backward calls until `zero_grad()`.
    """

    __slots__ = ("data", "grad", "_p0", "_d0", "_p1", "_d1")
    _local_rule = True  # `_rule` holds ∂self/∂parent for each parent, as floats

    def __init__(self, data: float, label: str = "") -> None:
        self.data = _as_float(data, "Value")
        self.grad = 0.0
        self.label = label
        self._p0, self._d0, self._p1, self._d1 = None, 0.0, None, 0.0
        self._op = ""
        self._adjoint = None

    @property
    def _parents(self) -> tuple[Value, ...]:
        """The parents, in the op's order (`a + a` lists `a` twice); () for a leaf."""
        p0, p1 = self._p0, self._p1
        return () if p0 is None else (p0,) if p1 is None else (p0, p1)

    @property
    def _rule(self) -> tuple[float, ...] | Any:
        """∂self/∂parent per parent; None for a leaf, FREED once a backward released it."""
        if self._p0 is None:
            return None
        if self._d0 is FREED:
            return FREED
        return (self._d0,) if self._p1 is None else (self._d0, self._d1)

    @_rule.setter
    def _rule(self, rule: Any) -> None:
        if rule is not FREED:  # the engine only ever releases a rule
            raise ValueError(f"a Value's rule can only be released (set to FREED), not {rule!r}")
        self._d0 = FREED

    # --- primitives: forward value, then local derivatives ---------------------------------

    def __add__(self, other: Value | Number) -> Value:
        other = other if type(other) is Value else _lift(other)
        if other is NotImplemented:
            return NotImplemented
        return _record(Value, self.data + other.data, "+", self, 1.0, other, 1.0)

    def __mul__(self, other: Value | Number) -> Value:
        other = other if type(other) is Value else _lift(other)
        if other is NotImplemented:
            return NotImplemented
        a, b = self.data, other.data
        return _record(Value, a * b, "*", self, b, other, a)

    def __pow__(self, other: Value | Number) -> Value:
        a = self.data
        if isinstance(other, Value):  # a ** b: ∂/∂a = b·a^(b-1), ∂/∂b = a^b·ln a
            b = other.data
            out = _pow(a, b)
            return _record(Value, out, "**", self, _partials(_dpow_base, a, b, out),
                           other, _partials(_dpow_exponent, a, b, out))
        if not isinstance(other, numbers.Real):
            return NotImplemented
        n = other if type(other) is int else float(other)  # a ** n: one parent
        out = _pow(a, n)
        return _record(Value, out, f"**{other}", self, _partials(_dpow_base, a, n, out))

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
        engine.backward(self, _as_float(gradient, "Value.backward(gradient)"), retain_graph)

    def zero_grad(self) -> None:
        """Reset this Value's gradient to 0.0, as before any backward."""
        self.grad = 0.0

    def _backward(self) -> None:
        """micrograd's per-node step, for code that sorts the graph itself (its lecture's
        topological-sort cell): add this node's `grad` times each local derivative to the
        parents' `grad`. `backward()` does all of this in one sweep."""
        for parent, d in zip(self._parents, self._rule or (), strict=True):
            parent.grad += d * self.grad

    # --- Python's conversions and micrograd's names ----------------------------------------

    def __float__(self) -> float:
        return float(self.data)

    def __int__(self) -> int:
        return int(self.data)

    def __bool__(self) -> bool:
        return bool(self.data)

    def __format__(self, spec: str) -> str:
        """`f"{v:.4f}"` formats the value; no spec gives the repr."""
        return format(self.data, spec) if spec else repr(self)

    @property
    def _prev(self) -> set[Value]:
        """micrograd's name: the set of this Value's parents (the ordered tuple is `_parents`)."""
        return set(self._parents)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"


def _partials(partial: Callable[..., Any], a: float, b: float, out: float) -> float:
    """A declared partial derivative at floats, with IEEE results where Python raises."""
    try:
        return float(partial(a, b, out))
    except (ArithmeticError, ValueError):
        with np.errstate(all="ignore"):
            return float(partial(np.float64(a), np.float64(b), np.float64(out)))


# The output node of an op, recorded by the engine: `_record(Value, data, op, p0, d0, p1, d1)`
# with d = ∂data/∂parent (called directly: scalar networks make this call per op).
_record = engine.record_scalar


def _is_operand(x: object) -> bool:
    return isinstance(x, (Value, numbers.Real))


def _lift(x: object) -> Value:
    """Turn a Python or numpy real number into a constant leaf (NotImplemented otherwise)."""
    if isinstance(x, Value):
        return x
    if type(x) is float or type(x) is int or isinstance(x, numbers.Real):
        return _record(Value, float(x), "")  # no parents: a leaf, whatever the grad mode
    return NotImplemented


# --- the elementwise functions, generated from the op table --------------------------------------

def _unary(op: Op) -> Callable[..., Value]:
    """The Value method of elementwise `op`: its scalar forward and, beside it, its declared
    derivative at the same point (IEEE results where Python's float arithmetic raises)."""
    scalar, forward, symbol, params_of = op.scalar, op.forward, op.symbol, op.params
    derivative = as_function(op.derivative, 1)

    def ieee_point(x: float, params: dict[str, Any]) -> tuple[float, float]:
        with np.errstate(all="ignore"):  # exp(1000) = inf, log(0) = -inf, 1/0 = inf ...
            x64 = np.float64(x)
            out = forward(x64, **params)  # type: ignore[misc]
            return float(out), float(derivative(x64, out, **params))  # type: ignore[misc]

    if params_of is None:
        def method(self: Value) -> Value:
            x = self.data
            try:
                out = scalar(x)  # type: ignore[misc]
                d = derivative(x, out)  # type: ignore[misc]
            except (ArithmeticError, ValueError):
                out, d = ieee_point(x, {})
            return _record(Value, out, symbol, self, d)
    else:
        def method(self: Value, *args: Any, **kwargs: Any) -> Value:  # type: ignore[misc]
            params = params_of(self, *args, **kwargs)
            out, d = ieee_point(self.data, params)
            return _record(Value, out, symbol, self, d)

    method.__name__ = op.name
    method.__qualname__ = f"Value.{op.name}"
    method.__doc__ = op.doc
    return method


for _op in OPS.values():
    if _op.value and _op.kind == "unary":
        setattr(Value, _op.name, _unary(_op))
Value.__abs__ = Value.abs  # type: ignore[attr-defined]
