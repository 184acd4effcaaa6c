"""Arithmetic: `add sub mul div power maximum minimum`, elementwise with numpy's broadcasting
(each declares its partials ∂out/∂x, ∂out/∂y), and `neg`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..opdef import Op, dual, ieee, is_node, piecewise
from .selection import raw, where_of

pow_of = ieee(math.pow, np.power)  # on floats: (−8) ** (1/3) is nan, not a complex number


log_of = dual("log", np.log, math.log)


def _dpow_base(x: Any, y: Any, out: Any) -> Any:
    """∂(x^y)/∂x = y·x^(y−1), taken as 0 where y = 0 (also at x = 0, where it is 0·inf)."""
    if type(y) is float or type(y) is int:  # a Value's exponent
        return y * pow_of(x, y - 1) if y != 0 else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        return where_of(raw(y) == 0, 0, y * x ** (y - 1))


def _dpow_exponent(x: Any, y: Any, out: Any) -> Any:
    """∂(x^y)/∂y = x^y·ln x; 0 at x = 0 (y ≥ 0, as PyTorch), nan for x < 0."""
    if type(x) is float:
        return 0.0 if x == 0 and y >= 0 else out * math.log(x)
    xr = raw(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_x = log_of(where_of(xr > 0, x, 1))
        return where_of(xr < 0, np.nan, out * log_x)


def _wins(d: np.ndarray) -> np.ndarray:
    return (d > 0) + 0.5 * (d == 0)


def _tie_share(x: Any, y: Any) -> Any:
    """Weight of x in maximum(x, y): 1 where x wins, ½ on a tie (the split sums to 1)."""
    if is_node(x) or is_node(y):
        return piecewise(_wins, x - y)  # x − y = 0 exactly when x = y
    xr, yr = raw(x), raw(y)
    return ((xr > yr) + 0.5 * (xr == yr)).astype(np.result_type(xr, yr))


ADD = Op("add", "binary", "x + y, elementwise with broadcasting.",
         forward=np.add, partials=(1, 1), symbol="+", method=None, value=True, numpy=np.add)


SUB = Op("sub", "binary", "x − y, elementwise with broadcasting.",
         forward=np.subtract, partials=(1, -1), symbol="-", method=None, value=True,
         numpy=np.subtract)


MUL = Op("mul", "binary", "x · y, elementwise with broadcasting.",
         forward=np.multiply, partials=("y", "x"),
         symbol="*", method=None, value=True, numpy=np.multiply)


DIV = Op("div", "binary", "x / y, elementwise with broadcasting; ∂/∂y = −x/y² = −out/y.",
         forward=np.true_divide, partials=(lambda x, y, out: 1 / y, lambda x, y, out: -out / y),
         symbol="/", method=None, value=True, numpy=np.divide)


POWER = Op("power", "binary",
           "x ** y, elementwise with broadcasting; ∂/∂x = y·x^(y−1) (0 where y = 0), "
           "∂/∂y = x^y·ln x (0 at x = 0, nan for x < 0).",
           forward=np.power, partials=(_dpow_base, _dpow_exponent), symbol="**", method=None,
           value=True, domain="positive", numpy=np.power)


MAXIMUM = Op("maximum", "binary",
             "Elementwise max of x and y; on a tie each input gets half the gradient.",
             forward=np.maximum, method=None,
             partials=(lambda x, y, out: _tie_share(x, y),
                       lambda x, y, out: 1 - _tie_share(x, y)), numpy=np.maximum)


MINIMUM = Op("minimum", "binary",
             "Elementwise min of x and y; on a tie each input gets half the gradient.",
             forward=np.minimum, method=None,
             partials=(lambda x, y, out: _tie_share(y, x),
                       lambda x, y, out: 1 - _tie_share(y, x)), numpy=np.minimum)


NEG = Op("neg", "unary", "−x.", forward=np.negative, derivative=-1.0,
         method=None, scalar=lambda x: -x, numpy=np.negative)
