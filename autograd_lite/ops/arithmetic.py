"""Arithmetic: `add sub mul div power maximum minimum` and `hypot arctan2 logaddexp logaddexp2
fmax fmin`, elementwise with numpy's broadcasting (each declares its partials ∂out/∂x,
∂out/∂y); `neg`; the composite `float_power`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..engine import apply
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


def _tie_share(x: Any, y: Any, wins: Any = np.greater) -> Any:
    """Weight of x in maximum(x, y) (`wins` np.greater; minimum: np.less): 1 where x wins,
    ½ on a tie (the split sums to 1). Where the result is nan (numpy's maximum propagates
    it) the gradient goes to the nan input, ½ each if both are nan. (PyTorch gives both
    inputs the whole gradient there, so its shares sum to 2; it agrees on the nan input's.)
    Computed on the raw values, as nan is lost in x − y; on Tensors recorded as a step of
    x − y, so it stays connected to both."""
    xr, yr = raw(x), raw(y)
    x_nan, y_nan = np.isnan(xr), np.isnan(yr)
    share = (wins(xr, yr) + 0.5 * (xr == yr) + x_nan * (1 - 0.5 * y_nan)).astype(
        np.result_type(xr, yr))
    if is_node(x) or is_node(y):
        return piecewise(lambda _: share, x - y)
    return share


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
             "Elementwise max of x and y; on a tie each input gets half the gradient; where the "
             "result is nan it goes to the nan input (half each if both are nan).",
             forward=np.maximum, method=None,
             partials=(lambda x, y, out: _tie_share(x, y),
                       lambda x, y, out: 1 - _tie_share(x, y)), numpy=np.maximum)


MINIMUM = Op("minimum", "binary",
             "Elementwise min of x and y; on a tie each input gets half the gradient; where the "
             "result is nan it goes to the nan input (half each if both are nan).",
             forward=np.minimum, method=None,
             partials=(lambda x, y, out: _tie_share(x, y, np.less),
                       lambda x, y, out: 1 - _tie_share(x, y, np.less)), numpy=np.minimum)


NEG = Op("neg", "unary", "−x.", forward=np.negative, derivative=-1.0,
         method=None, scalar=lambda x: -x, numpy=np.negative)


def _hypot_of(x: Any, y: Any) -> Any:
    """√(x² + y²) on arrays, recorded on Tensors (the hypot op)."""
    return apply(HYPOT.prim, x, y) if is_node(x) else np.hypot(x, y)


def _over_or_zero(a: Any, b: Any) -> Any:
    """a / b, and 0 where b = 0 (b is then replaced by 1, so no branch is 0/0)."""
    zero = raw(b) == 0
    return where_of(zero, 0, a / where_of(zero, 1, b))


HYPOT = Op("hypot", "binary",
           "√(x² + y²) without overflow; ∂/∂x = x/out, ∂/∂y = y/out, both 0 at the origin "
           "(as abs'(0) = 0; PyTorch gives nan there).",
           forward=np.hypot, partials=(lambda x, y, out: _over_or_zero(x, out),
                                       lambda x, y, out: _over_or_zero(y, out)),
           numpy=np.hypot)


def _atan2_partial(a: Any, x: Any, y: Any) -> Any:
    """a/r² as (a/r)/r with r = hypot(x, y) (no overflow or underflow of r²), 0 at r = 0."""
    r = _hypot_of(x, y)
    return _over_or_zero(_over_or_zero(a, r), r)


ARCTAN2 = Op("arctan2", "binary",
             "The angle of the point (x2, x1): arctan2(x1, x2) with numpy's quadrants; "
             "∂/∂x1 = x2/r², ∂/∂x2 = −x1/r² (r = hypot(x1, x2)), both 0 at the origin "
             "(as PyTorch).",
             forward=np.arctan2,
             partials=(lambda x, y, out: _atan2_partial(y, x, y),
                       lambda x, y, out: _atan2_partial(-x, x, y)),
             numpy=np.arctan2)


def _sigmoid_of(d: Any) -> Any:
    """σ(d) on arrays (as exp(−ln(1 + e^−d)): no overflow), recorded on Tensors."""
    return d.sigmoid() if is_node(d) else np.exp(-np.logaddexp(0, -d))


def _log_share(x: Any, y: Any, scale: float) -> Any:
    """∂/∂x of log_b(bˣ + bʸ) with ln b = scale: σ(scale·(x − y)); ½ where x = y, also
    where both are the same infinity (where x − y is nan)."""
    tie = raw(x) == raw(y)
    with np.errstate(invalid="ignore"):  # inf − inf, taken only where the tie replaces it
        d = where_of(tie, 0, x - y)
    return _sigmoid_of(d * scale if scale != 1 else d)


LOGADDEXP = Op("logaddexp", "binary",
               "ln(eˣ + eʸ) without overflow; ∂/∂x = σ(x − y), ∂/∂y = σ(y − x) (½ each on a "
               "tie, also when both are the same infinity).",
               forward=np.logaddexp,
               partials=(lambda x, y, out: _log_share(x, y, 1.0),
                         lambda x, y, out: _log_share(y, x, 1.0)),
               numpy=np.logaddexp)


LOGADDEXP2 = Op("logaddexp2", "binary",
                "log₂(2ˣ + 2ʸ) without overflow; ∂/∂x = σ((x − y)·ln 2), ∂/∂y = σ((y − x)·ln 2) "
                "(½ each on a tie).",
                forward=np.logaddexp2,
                partials=(lambda x, y, out: _log_share(x, y, math.log(2.0)),
                          lambda x, y, out: _log_share(y, x, math.log(2.0))),
                numpy=np.logaddexp2)


def _nan_ignoring_share(x: Any, y: Any, wins: Any) -> Any:
    """Weight of x in fmax/fmin: 1 where x wins or y is nan (the result is x), ½ on a tie, 0
    where y wins or only x is nan. Computed on the raw values (nan is lost in x − y), and on
    Tensors recorded as a step of x − y, so the gradient stays connected to both inputs."""
    xr, yr = raw(x), raw(y)
    share = (wins(xr, yr) + 0.5 * (xr == yr) + np.isnan(yr)).astype(np.result_type(xr, yr))
    if is_node(x) or is_node(y):
        return piecewise(lambda _: share, x - y)
    return share


FMAX = Op("fmax", "binary",
          "Elementwise max ignoring nan (the other input wins; nan only if both are); on a "
          "tie each input gets half the gradient; where y is nan x gets it all, where only x "
          "is nan y does.",
          forward=np.fmax,
          partials=(lambda x, y, out: _nan_ignoring_share(x, y, np.greater),
                    lambda x, y, out: 1 - _nan_ignoring_share(x, y, np.greater)),
          numpy=np.fmax)


FMIN = Op("fmin", "binary",
          "Elementwise min ignoring nan (the other input wins; nan only if both are); on a "
          "tie each input gets half the gradient; where y is nan x gets it all, where only x "
          "is nan y does.",
          forward=np.fmin,
          partials=(lambda x, y, out: _nan_ignoring_share(x, y, np.less),
                    lambda x, y, out: 1 - _nan_ignoring_share(x, y, np.less)),
          numpy=np.fmin)


def _float_power(x: Any, y: Any) -> Any:
    """x ** y in float64 whatever the inputs' dtypes (numpy's and PyTorch's float_power):
    both cast (recorded, so gradients return in the inputs' dtypes), then `power`."""
    x64 = x if x.dtype == np.float64 else x.astype(np.float64)
    y = y if is_node(y) else x64._lift(y, x64)
    return x64 ** (y if y.dtype == np.float64 else y.astype(np.float64))


FLOAT_POWER = Op("float_power", "composite",
                 "x ** y computed in float64 (the result is float64 for any input dtype, as "
                 "numpy and PyTorch); the gradients are power's, in the inputs' dtypes. (A "
                 "Python float as x becomes a float32 Tensor first, as for every composite: "
                 "give np.float64(x) for full precision.)",
                 compose=_float_power, numpy=np.float_power)


def _quotient_partial(rounding: Any) -> Any:
    """∂(x − y·round(x/y))/∂y = −round(x/y), a step function of x and y (constant between
    its jumps): computed on the raw values, so it is a constant of the derivative."""
    def partial(x: Any, y: Any, out: Any) -> Any:
        q = piecewise(lambda d: -rounding(d), x / y) if is_node(x) or is_node(y) else \
            -rounding(raw(x) / raw(y))
        return q
    return partial


REMAINDER = Op("remainder", "binary",
               "x mod y with the sign of y (Python's %, numpy's remainder/mod); ∂/∂x = 1, "
               "∂/∂y = −floor(x/y) (the jumps where x/y is an integer take the right side).",
               forward=np.remainder, partials=(1, _quotient_partial(np.floor)), method=None,
               numpy=(np.remainder, np.mod))
FMOD = Op("fmod", "binary",
          "x mod y with the sign of x (C's fmod); ∂/∂x = 1, ∂/∂y = −trunc(x/y).",
          forward=np.fmod, partials=(1, _quotient_partial(np.trunc)), method=None,
          numpy=np.fmod)
