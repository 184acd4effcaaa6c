"""The module-level functions, one per op of the table: `autograd_lite.exp(x)`, `sum(t, axis)`.

Each is generated from its declaration in `ops/` (`_function`): the op's argument checks,
then the engine's `apply`. A `Value` argument goes to the Value method of the same op, so
`exp(v)` is `v.exp()` for scalars and tensors alike; arrays and numbers become constant
Tensors. Composites (`var`, `swapaxes`) call their composition.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from .engine import apply
from .opdef import ARGUMENT_ERRORS, named
from .ops import OPS, Op
from .tensor import Tensor, as_tensor
from .value import Value, _lift

__all__ = [op.function for op in OPS.values() if op.function]

# Value's operators for the binary ops it has (a Value op is a Python operator there)
_VALUE_OPERATORS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
                    "div": operator.truediv, "power": operator.pow}


def _function(op: Op) -> Callable[..., Any]:
    prim, front, name = op.prim, op.front, op.function
    on_value = _VALUE_OPERATORS.get(op.name) or (
        (lambda x, *args, **kwargs: getattr(x, op.name)(*args, **kwargs)) if op.value else None)

    if op.kind == "composite":
        compose = op.compose

        def function(x: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return compose(x if isinstance(x, Tensor) else as_tensor(x), *args, **kwargs)  # type: ignore[misc]
            except ARGUMENT_ERRORS as e:
                raise named(e, name) from None  # type: ignore[arg-type]
    else:
        def function(*args: Any, **kwargs: Any) -> Any:
            if on_value is not None and any(isinstance(a, Value) for a in args):
                return on_value(*args, **kwargs)
            try:
                inputs, params = front(as_tensor, *args, **kwargs)
            except ARGUMENT_ERRORS as e:  # the argument checks: errors name the op
                raise named(e, name) from None  # type: ignore[arg-type]
            return apply(prim, *inputs, **params)

    function.__name__ = function.__qualname__ = name  # type: ignore[assignment]
    function.__doc__ = op.doc
    return function


def where(cond: Any, a: Any, b: Any) -> Any:
    """Elementwise `a` where `cond` is true, else `b` (no gradient to `cond`). With Values,
    `cond` is one bool and the chosen operand comes back (a number as a constant Value)."""
    if isinstance(a, Value) or isinstance(b, Value):
        chosen = a if bool(cond.data if isinstance(cond, Value) else cond) else b
        return chosen if isinstance(chosen, Value) else _lift(chosen)
    inputs, params = OPS["where"].front(as_tensor, cond, a, b)
    return apply(OPS["where"].prim, *inputs, **params)


for _op in OPS.values():
    if _op.function and _op.function != "where":
        globals()[_op.function] = _function(_op)
