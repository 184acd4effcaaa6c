"""The op table: every op declared once, its forward next to its derivative or VJPs.

`OPS` maps each name to its `Op` (see `opdef.py` for what a declaration holds and what is
derived from it: the primitive, the Tensor and Value methods, the module-level function,
the command line's whitelist and the table-driven tests). Notation: ḡ = ∂L/∂out, x̄ = ∂L/∂x.

    binary      add sub mul div power maximum minimum           elementwise, broadcasting
    unary       neg exp log tanh sigmoid relu leaky_relu sin cos sqrt abs clip
    reduction   sum mean max min logsumexp softmax log_softmax
    linalg      matmul
    loss        cross_entropy                                    softmax + NLL, fused
    shape       reshape transpose broadcast_to getitem concat stack
    selection   where, the comparisons (bool outputs, never recorded)
    internal    cast scatter (the adjoint of getitem)
    composite   var flatten swapaxes                             written with the ops above

A VJP or derivative uses only operators (`+ - * / @`), the methods ndarray and Tensor share
(`sum`, `reshape`, `transpose`, `swapaxes`, `astype`, indexing) and the dual math of
`opdef.py`, so the one rule runs on arrays in a plain backward, on floats for Values, and
records itself under `create_graph=True`. Masks (where relu passes, which entry was the max)
are constants of the derivative (`piecewise`). Conventions: relu'(0) = 0, abs'(0) = 0, ties
in max/min/maximum/minimum split the gradient evenly, clip passes the gradient at its bounds.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .engine import apply
from .opdef import Op, dual, ieee, is_node, piecewise

__all__ = ["OPS", "Op"]

Axis = int | tuple[int, ...] | None
Lift = Callable[..., Any]

_cos = dual("cos", np.cos, math.cos)
_sin = dual("sin", np.sin, math.sin)
_exp = dual("exp", np.exp, math.exp)
_log = dual("log", np.log, math.log)
_pow = ieee(math.pow, np.power)  # on floats: (−8) ** (1/3) is nan, not a complex number


def _raw(x: Any) -> Any:
    """The array behind a Tensor (masks and conditions are computed on raw values)."""
    return x._data if is_node(x) else x


def _where(cond: Any, a: Any, b: Any) -> Any:
    """`a` where `cond`, else `b`: numpy on arrays and floats, recorded on Tensors."""
    like = a if is_node(a) else b if is_node(b) else None
    if like is None:
        out = np.where(cond, a, b)
        return float(out) if isinstance(cond, (bool, np.bool_)) and out.ndim == 0 else out
    return apply(WHERE.prim, like._lift(a, like), like._lift(b, like), cond=cond)


def _broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
    if is_node(x):
        return apply(BROADCAST_TO.prim, x, shape=shape)
    if x.size == 1:  # a full reduction's gradient: filling is several times faster here
        return np.full(shape, x.reshape(()), dtype=x.dtype)
    return np.broadcast_to(x, shape)


# --- argument checks shared by several ops ------------------------------------------------------

def check_axis(axis: Any, op: str, ndim: int) -> Axis:
    """`axis` checked against the tensor's dimensions (None: all axes)."""
    if axis is None:
        return None
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        axes: tuple[int, ...] = (int(axis),)
    elif isinstance(axis, (tuple, list)) and all(isinstance(a, (int, np.integer)) for a in axis):
        axes = tuple(int(a) for a in axis)
    else:
        raise TypeError(f"{op}: axis must be None, an int or a tuple of ints, got {axis!r}")
    for a in axes:
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(f"{op}: axis {a} is out of bounds for array of "
                                          f"dimension {ndim}")
    if len({a % ndim for a in axes}) != len(axes):
        raise ValueError(f"{op}: axis {axis} repeats an axis")
    return axes[0] if isinstance(axis, (int, np.integer)) else axes


def _reduce_params(op: str) -> Callable[..., dict[str, Any]]:
    def params(x: Any, axis: Axis = None, keepdims: bool = False) -> dict[str, Any]:
        return {"axis": check_axis(axis, op, x.ndim), "keepdims": bool(keepdims)}
    params.__name__ = f"{op}_params"
    return params


def _axis_param(x: Any, axis: int = -1) -> dict[str, Any]:
    return {"axis": int(axis)}


def _kept(g: Any, shape: tuple[int, ...], axis: Axis, keepdims: bool) -> Any:
    """`g` of a reduction over `axis` reshaped to keep the reduced axes (size 1)."""
    return g if keepdims else g.reshape(_kept_shape(shape, axis))


def _kept_shape(shape: tuple[int, ...], axis: Axis) -> tuple[int, ...]:
    if axis is None:
        return (1,) * len(shape)
    axes = {a % len(shape) for a in ((axis,) if isinstance(axis, int) else axis)}
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


# --- binary: elementwise with broadcasting; partials ∂out/∂x, ∂out/∂y ---------------------------

def _dpow_base(x: Any, y: Any, out: Any) -> Any:
    """∂(x^y)/∂x = y·x^(y−1), taken as 0 where y = 0 (also at x = 0, where it is 0·inf)."""
    if type(y) is float or type(y) is int:  # a Value's exponent
        return y * _pow(x, y - 1) if y != 0 else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        return _where(_raw(y) == 0, 0, y * x ** (y - 1))


def _dpow_exponent(x: Any, y: Any, out: Any) -> Any:
    """∂(x^y)/∂y = x^y·ln x; 0 at x = 0 (y ≥ 0, as PyTorch), nan for x < 0."""
    if type(x) is float:
        return 0.0 if x == 0 and y >= 0 else out * math.log(x)
    xr = _raw(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_x = _log(_where(xr > 0, x, 1))
        return _where(xr < 0, np.nan, out * log_x)


def _wins(d: np.ndarray) -> np.ndarray:
    return (d > 0) + 0.5 * (d == 0)


def _tie_share(x: Any, y: Any) -> Any:
    """Weight of x in maximum(x, y): 1 where x wins, ½ on a tie (the split sums to 1)."""
    if is_node(x) or is_node(y):
        return piecewise(_wins, x - y)  # x − y = 0 exactly when x = y
    xr, yr = _raw(x), _raw(y)
    return ((xr > yr) + 0.5 * (xr == yr)).astype(np.result_type(xr, yr))


ADD = Op("add", "binary", "x + y, elementwise with broadcasting.",
         forward=np.add, partials=(1, 1), symbol="+", method=None, value=True)
SUB = Op("sub", "binary", "x − y, elementwise with broadcasting.",
         forward=np.subtract, partials=(1, -1), symbol="-", method=None, value=True)
MUL = Op("mul", "binary", "x · y, elementwise with broadcasting.",
         forward=np.multiply, partials=("y", "x"),
         symbol="*", method=None, value=True)
DIV = Op("div", "binary", "x / y, elementwise with broadcasting; ∂/∂y = −x/y² = −out/y.",
         forward=np.true_divide, partials=(lambda x, y, out: 1 / y, lambda x, y, out: -out / y),
         symbol="/", method=None, value=True)
POWER = Op("power", "binary",
           "x ** y, elementwise with broadcasting; ∂/∂x = y·x^(y−1) (0 where y = 0), "
           "∂/∂y = x^y·ln x (0 at x = 0, nan for x < 0).",
           forward=np.power, partials=(_dpow_base, _dpow_exponent), symbol="**", method=None,
           value=True, domain="positive")
MAXIMUM = Op("maximum", "binary",
             "Elementwise max of x and y; on a tie each input gets half the gradient.",
             forward=np.maximum, method=None,
             partials=(lambda x, y, out: _tie_share(x, y),
                       lambda x, y, out: 1 - _tie_share(x, y)))
MINIMUM = Op("minimum", "binary",
             "Elementwise min of x and y; on a tie each input gets half the gradient.",
             forward=np.minimum, method=None,
             partials=(lambda x, y, out: _tie_share(y, x),
                       lambda x, y, out: 1 - _tie_share(y, x)))


# --- unary: elementwise; derivative f'(x) (as a function of x and out = f(x)) ---------------------

def _sigmoid_forward(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1/(1 + e^-x) from e^-|x| ≤ 1, so no exp ever overflows."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _sigmoid_scalar(x: float) -> float:
    """σ(x) for a float, without overflow for either sign of x."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)  # x < 0 (or nan): e <= 1, no overflow
    return e / (1.0 + e)


def _positive(x: Any) -> Any:
    return x > 0


def _leaky_relu_forward(x: np.ndarray, negative_slope: float) -> np.ndarray:
    return np.where(x > 0, x, x * negative_slope)


def _leaky_relu_derivative(x: Any, out: Any, negative_slope: float) -> Any:
    return piecewise(lambda xr: np.where(xr > 0, 1.0, negative_slope), x)


def _leaky_relu_params(x: Any, negative_slope: float = 0.01) -> dict[str, Any]:
    return {"negative_slope": float(negative_slope)}


def _clip_params(x: Any, lo: float | None = None, hi: float | None = None) -> dict[str, Any]:
    if lo is None and hi is None:
        raise ValueError("clip: give lo, hi or both")
    return {"lo": lo, "hi": hi}


def _clip_derivative(x: Any, out: Any, lo: float | None, hi: float | None) -> Any:
    def inside(xr: Any) -> Any:  # the bounds included: the gradient passes there
        mask = np.ones(np.shape(xr), dtype=bool)
        if lo is not None:
            mask &= xr >= lo
        if hi is not None:
            mask &= xr <= hi
        return mask

    return piecewise(inside, x)


NEG = Op("neg", "unary", "−x.", forward=np.negative, derivative=-1.0,
         method=None, scalar=lambda x: -x)
EXP = Op("exp", "unary", "eˣ; derivative eˣ (the output itself).",
         forward=np.exp, derivative="out", scalar=ieee(math.exp, np.exp),
         value=True)
LOG = Op("log", "unary", "ln x; derivative 1/x.",
         forward=np.log, derivative=lambda x, out: 1 / x, scalar=ieee(math.log, np.log),
         value=True, domain="positive")
LOG1P = Op("log1p", "unary", "ln(1 + x), exact for tiny x; derivative 1/(1 + x).",
           forward=np.log1p, derivative=lambda x, out: 1 / (1 + x),
           scalar=ieee(math.log1p, np.log1p), value=True, domain="positive")
TANH = Op("tanh", "unary", "tanh x; derivative 1 − tanh²x.",
          forward=np.tanh, derivative=lambda x, out: 1 - out * out, scalar=math.tanh,
          value=True)
SIGMOID = Op("sigmoid", "unary", "σ(x) = 1/(1 + e⁻ˣ), without overflow; derivative σ(1 − σ).",
             forward=_sigmoid_forward, derivative=lambda x, out: out * (1 - out),
             scalar=_sigmoid_scalar, value=True)
RELU = Op("relu", "unary", "max(x, 0); derivative 1 for x > 0, else 0 (relu'(0) = 0).",
          forward=lambda x: np.maximum(x, 0), derivative=lambda x, out: piecewise(_positive, x),
          scalar=lambda x: 0.0 if x <= 0 else x, value=True)
LEAKY_RELU = Op("leaky_relu", "unary",
                "x for x > 0, else negative_slope·x; derivative 1 or negative_slope (at 0).",
                forward=_leaky_relu_forward, derivative=_leaky_relu_derivative,
                params=_leaky_relu_params, value=True)
SIN = Op("sin", "unary", "sin x; derivative cos x.",
         forward=np.sin, derivative=lambda x, out: _cos(x), scalar=ieee(math.sin, np.sin),
         value=True)
COS = Op("cos", "unary", "cos x; derivative −sin x.",
         forward=np.cos, derivative=lambda x, out: -_sin(x), scalar=ieee(math.cos, np.cos),
         value=True)
SQRT = Op("sqrt", "unary", "√x; derivative 1/(2√x).",
          forward=np.sqrt, derivative=lambda x, out: 0.5 / out, scalar=ieee(math.sqrt, np.sqrt),
          value=True, domain="positive")
ABS = Op("abs", "unary", "|x|; derivative sign x (abs'(0) = 0).",
         forward=np.abs, derivative=lambda x, out: piecewise(np.sign, x), scalar=abs,
         value=True)
CLIP = Op("clip", "unary",
          "x limited to [lo, hi] (either may be None); the gradient passes inside and at the "
          "bounds (as PyTorch), 0 outside.",
          forward=lambda x, lo, hi: np.clip(x, lo, hi), derivative=_clip_derivative,
          params=_clip_params, value=True)


# --- reductions ---------------------------------------------------------------------------------

def _extreme_vjp(g: Any, out: Any, x: Any, axis: Axis, keepdims: bool) -> Any:
    """The gradient goes to the entries equal to the max (min), split evenly among ties."""
    extreme = _kept(_raw(out), x.shape, axis, keepdims)

    def share(xr: np.ndarray) -> np.ndarray:
        hit = xr == extreme
        return hit / hit.sum(axis=axis, keepdims=True)

    return _kept(g, x.shape, axis, keepdims) * piecewise(share, x)


def _logsumexp_forward(x: np.ndarray, axis: Axis, keepdims: bool) -> np.ndarray:
    """log Σ e^x = m + log Σ e^(x-m) with m = max x (finite for inputs offset by ±1000)."""
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _softmax_forward(x: np.ndarray, axis: int) -> np.ndarray:
    """e^(x-m) / Σ e^(x-m) with m = max x, in one fresh array (the exponent is overwritten)."""
    e = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(e, out=e) if e.dtype.kind == "f" else np.exp(e)
    e /= np.sum(e, axis=axis, keepdims=True)
    return e


def _log_softmax_forward(x: np.ndarray, axis: int) -> np.ndarray:
    return x - _logsumexp_forward(x, axis, True)


SUM = Op("sum", "reduction", "Σ x over `axis` (None: all), keeping the reduced axes as size 1 "
         "with `keepdims`; x̄ = ḡ broadcast back to x's shape.",
         forward=lambda x, axis, keepdims: np.sum(x, axis=axis, keepdims=keepdims),
         vjps=(lambda g, out, x, axis, keepdims:
               _broadcast_to(_kept(g, x.shape, axis, keepdims), x.shape),),
         params=_reduce_params("sum"))
MEAN = Op("mean", "reduction", "The mean of x over `axis` (None: all); x̄ = ḡ/n everywhere.",
          forward=lambda x, axis, keepdims: np.mean(x, axis=axis, keepdims=keepdims),
          vjps=(lambda g, out, x, axis, keepdims:
                _broadcast_to(_kept(g, x.shape, axis, keepdims) * (out.size / builtins.max(
                    x.size, 1)), x.shape),),  # 1/n per element (nothing to share if empty)
          params=_reduce_params("mean"))
MAX = Op("max", "reduction", "The max of x over `axis`; ties split the gradient evenly.",
         forward=lambda x, axis, keepdims: np.max(x, axis=axis, keepdims=keepdims),
         vjps=(_extreme_vjp,), params=_reduce_params("max"))
MIN = Op("min", "reduction", "The min of x over `axis`; ties split the gradient evenly.",
         forward=lambda x, axis, keepdims: np.min(x, axis=axis, keepdims=keepdims),
         vjps=(_extreme_vjp,), params=_reduce_params("min"))
LOGSUMEXP = Op("logsumexp", "reduction",
               "log Σ exp(x) over `axis`, computed stably; x̄ = ḡ · softmax(x).",
               forward=_logsumexp_forward,
               vjps=(lambda g, out, x, axis, keepdims: _kept(g, x.shape, axis, keepdims)
                     * _exp(x - _kept(out, x.shape, axis, keepdims)),),
               params=_reduce_params("logsumexp"))
SOFTMAX = Op("softmax", "reduction",
             "exp(x) / Σ exp(x) along `axis`, computed stably; x̄ = s ⊙ (ḡ − Σ ḡ⊙s).",
             forward=_softmax_forward,
             vjps=(lambda g, out, x, axis: out * (g - (g * out).sum(axis=axis, keepdims=True)),),
             params=_axis_param)
LOG_SOFTMAX = Op("log_softmax", "reduction",
                 "x − logsumexp(x) along `axis`, computed stably; x̄ = ḡ − softmax·Σ ḡ.",
                 forward=_log_softmax_forward,
                 vjps=(lambda g, out, x, axis: g - _exp(out) * g.sum(axis=axis, keepdims=True),),
                 params=_axis_param)


# --- the fused loss -----------------------------------------------------------------------------

def _cross_entropy_forward(logits: np.ndarray, targets: np.ndarray) -> tuple[Any, np.ndarray]:
    """mean over the batch of −log softmax(logits)[target] = logsumexp(row) − row[target]
    (finite for logits offset by ±1000); saves softmax(logits) for the VJP."""
    m = np.maximum.reduce(logits, axis=1, keepdims=True)  # np.max, without its Python layer
    loss, softmax = _cross_entropy_shifted(logits, targets, m)
    if not np.isfinite(loss):  # a row whose max is ±inf: shift it by 0, as _logsumexp_forward
        loss, softmax = _cross_entropy_shifted(logits, targets, np.where(np.isfinite(m), m, 0))
    return loss, softmax


def _cross_entropy_shifted(logits: np.ndarray, targets: np.ndarray,
                           m: np.ndarray) -> tuple[Any, np.ndarray]:
    e = np.exp(logits - m)
    total = np.add.reduce(e, axis=1, keepdims=True)
    n = len(targets)
    losses = (np.log(total) + m)[:, 0] - logits[np.arange(n), targets]
    e /= total
    return (np.add.reduce(losses) / n if n else np.mean(losses)), e  # the mean, one call less


def _cross_entropy_vjp(g: Any, out: Any, logits: Any, targets: np.ndarray,
                       saved: np.ndarray) -> Any:
    """ḡ · (softmax(logits) − onehot(targets)) / N, from the forward's softmax (`saved`)."""
    n, rows = len(targets), np.arange(len(targets))
    if is_node(logits):  # create_graph: softmax as a recorded function of logits
        onehot = np.zeros(logits.shape, dtype=logits.dtype)
        onehot[rows, targets] = 1
        return g * (logits.softmax(axis=1) - onehot) * (1 / n)
    scale = g / n
    p = saved * scale  # a fresh array (the saved softmax serves every backward through here)
    p[rows, targets] -= scale
    return p


def _cross_entropy_front(lift: Lift, logits: Any, targets: Any) -> Any:
    logits = lift(logits)
    t = np.asarray(_raw(targets))
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy: logits must have shape (N, C), got {logits.shape}")
    if t.shape != logits.shape[:1] or t.dtype.kind not in "iu":
        raise ValueError(f"cross_entropy: targets must be {logits.shape[0]} integer class "
                         f"labels (shape ({logits.shape[0]},)), got shape {t.shape} dtype "
                         f"{t.dtype}")
    if t.size and (np.minimum.reduce(t) < 0 or np.maximum.reduce(t) >= logits.shape[1]):
        raise ValueError(f"cross_entropy: targets must lie in [0, {logits.shape[1]}), got "
                         f"values from {t.min()} to {t.max()}")
    return (logits,), {"targets": t}


CROSS_ENTROPY = Op("cross_entropy", "loss",
                   "Softmax cross-entropy of (N, C) logits against N integer class labels, "
                   "averaged over the batch, as one op: mean_i(logsumexp(z_i) − z_i[k_i]), "
                   "exact and finite for logits offset by ±1000; z̄ = ḡ·(softmax − onehot)/N.",
                   forward=_cross_entropy_forward, vjps=(_cross_entropy_vjp,),
                   front=_cross_entropy_front, method=None, saves=True)


# --- linear algebra -----------------------------------------------------------------------------

def _matmul_forward(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    try:
        return np.matmul(x, y)
    except ValueError:
        pass  # say which dimensions disagree (numpy's message names none)
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(f"shapes {x.shape} and {y.shape}: both operands need at least one "
                         "dimension (use * to multiply by a scalar)")
    k_x, k_y = x.shape[-1], y.shape[-2 if y.ndim > 1 else 0]
    if k_x != k_y:
        where_y = "second-to-last" if y.ndim > 1 else "only"
        raise ValueError(f"shapes {x.shape} and {y.shape} do not align: the last dimension of "
                         f"the first ({k_x}) must equal the {where_y} dimension of the second "
                         f"({k_y})")
    try:
        np.broadcast_shapes(x.shape[:-2], y.shape[:-2])
    except ValueError:
        raise ValueError(f"shapes {x.shape} and {y.shape}: the batch dimensions {x.shape[:-2]} "
                         f"and {y.shape[:-2]} cannot be broadcast together") from None
    return np.matmul(x, y)  # numpy's own error, if it still refuses


def _matmul_vjp_x(g: Any, out: Any, x: Any, y: Any) -> Any:
    """x̄ = ḡ·yᵀ (1-D operands are treated as a row / a column, then summed back)."""
    if y.ndim == 1:
        return g.reshape(g.shape + (1,)) * y if x.ndim > 1 else g * y
    if x.ndim == 1:
        g = g.reshape(g.shape[:-1] + (1,) + g.shape[-1:])
    return g @ y.swapaxes(-1, -2)


def _matmul_vjp_y(g: Any, out: Any, x: Any, y: Any) -> Any:
    """ȳ = xᵀ·ḡ (1-D operands as for x̄)."""
    if x.ndim == 1:
        return x.reshape(-1, 1) * g.reshape(g.shape[:-1] + (1,) + g.shape[-1:]) \
            if y.ndim > 1 else g * x
    if y.ndim == 1:
        return x * g.reshape(g.shape + (1,))
    return x.swapaxes(-1, -2) @ g


MATMUL = Op("matmul", "linalg",
            "x @ y (1-D, 2-D and batched, numpy's rules); x̄ = ḡ·yᵀ, ȳ = xᵀ·ḡ, batch axes "
            "summed back.",
            forward=_matmul_forward, vjps=(_matmul_vjp_x, _matmul_vjp_y), symbol="@",
            method=None, front=lambda lift, x, y: ((lift(x), lift(y)), {}),
            broadcasts=True)  # batch dimensions broadcast: the engine sums them back


# --- shape and selection ------------------------------------------------------------------------

def _is_unique_index(index: Any) -> bool:
    """True when no element can be selected twice (basic slicing or a boolean mask)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice)) or
               (isinstance(p, np.ndarray) and p.dtype == bool) for p in parts)


def _scatter_forward(g: np.ndarray, index: Any, shape: tuple[int, ...]) -> np.ndarray:
    """zeros(shape) with `g` added at `index`; repeated indices accumulate."""
    z = np.zeros(shape, dtype=g.dtype)
    if _is_unique_index(index):
        z[index] = g
    else:
        np.add.at(z, index, g)
    return z


def _getitem_vjp(g: Any, out: Any, x: Any, index: Any) -> Any:
    if is_node(g):
        return apply(SCATTER.prim, g, index=index, shape=x.shape)
    return _scatter_forward(g, index, x.shape)


def _index(index: Any) -> Any:
    """Tensors inside an index become their arrays; lists become arrays (numpy's rules)."""
    if isinstance(index, tuple):
        return tuple(_index(i) for i in index)
    if is_node(index):
        return index._data
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _shape_arg(shape: tuple[Any, ...]) -> tuple[int, ...]:
    """`reshape(2, 3)` and `reshape((2, 3))` both mean (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(n) for n in shape)


def _reshape_params(x: Any, *shape: Any) -> dict[str, Any]:
    return {"shape": _shape_arg(shape)}


def _transpose_params(x: Any, *axes: Any) -> dict[str, Any]:
    """Permute axes (no axes: reverse them, like `.T`); negative axes count from the end."""
    if not axes or axes == (None,):
        return {"axes": None}
    order = _shape_arg(axes)
    if sorted(a % x.ndim if -x.ndim <= a < x.ndim else a for a in order) != list(range(x.ndim)):
        raise ValueError(f"transpose: axes {order} are not a permutation of the {x.ndim} axes "
                         f"of a tensor of shape {x.shape}")
    return {"axes": tuple(a % x.ndim for a in order)}


def _tensors(lift: Lift, ts: Any, op: str) -> tuple[Any, ...]:
    if is_node(ts) or not isinstance(ts, (list, tuple)) or not ts:
        raise TypeError(f"{op}: expected a non-empty list or tuple of tensors")
    like = next((t for t in ts if is_node(t)), None)
    return tuple(lift(t, like) for t in ts)


def _concat_vjp(g: Any, out: Any, *xs: Any, axis: int) -> list[Any]:
    """Each input's slice of ḡ along `axis`."""
    axis = axis % out.ndim
    lead, start, grads = (slice(None),) * axis, 0, []
    for x in xs:
        grads.append(g[lead + (slice(start, start + x.shape[axis]),)])
        start += x.shape[axis]
    return grads


def _stack_vjp(g: Any, out: Any, *xs: Any, axis: int) -> list[Any]:
    lead = (slice(None),) * (axis % out.ndim)
    return [g[lead + (i,)] for i in range(len(xs))]


def _where_front(lift: Lift, cond: Any, a: Any, b: Any) -> Any:
    c = np.asarray(_raw(cond))
    if c.dtype != bool:
        raise TypeError(f"where: cond must be boolean, got dtype {c.dtype}")
    (a, b), _ = ADD.front(lift, a, b)
    try:
        np.broadcast_shapes(c.shape, a.shape, b.shape)
    except ValueError:
        raise ValueError(f"where: cond of shape {c.shape}, a of shape {a.shape} and b of shape "
                         f"{b.shape} cannot be broadcast together") from None
    return (a, b), {"cond": c}


RESHAPE = Op("reshape", "shape", "The same values in a new shape (`reshape(2, 3)` or "
             "`reshape((2, 3))`, one size may be −1); x̄ = ḡ reshaped back.",
             forward=lambda x, shape: np.reshape(x, shape),
             vjps=(lambda g, out, x, shape: g.reshape(x.shape),), params=_reshape_params)
TRANSPOSE = Op("transpose", "shape", "Axes permuted (no axes: reversed, like `.T`); x̄ = ḡ with "
               "the inverse permutation.",
               forward=lambda x, axes: np.transpose(x, axes),
               vjps=(lambda g, out, x, axes: g.transpose(
                   None if axes is None else tuple(np.argsort(axes))),),
               params=_transpose_params)
BROADCAST_TO = Op("broadcast_to", "shape", "x repeated along new or size-1 axes to `shape`; "
                  "x̄ = ḡ summed back (by the engine).",
                  forward=lambda x, shape: np.broadcast_to(x, shape),
                  vjps=(lambda g, out, x, shape: g,),
                  params=lambda x, shape: {"shape": tuple(shape)}, broadcasts=True)
GETITEM = Op("getitem", "shape", "x[index] (ints, slices, None, int arrays, masks); x̄ = ḡ "
             "scattered back, repeated indices accumulating.",
             forward=lambda x, index: x[index], vjps=(_getitem_vjp,),
             params=lambda x, index: {"index": _index(index)}, method=None, function=None)
SCATTER = Op("scatter", "internal", "zeros(shape) with g added at `index` (getitem's adjoint).",
             forward=_scatter_forward, vjps=(lambda g, out, x, index, shape: g[index],),
             method=None, function=None)
CONCAT = Op("concat", "shape", "Tensors joined along an existing axis (numpy.concatenate); "
            "each input's gradient is its slice of ḡ.",
            forward=lambda *xs, axis: np.concatenate(xs, axis=axis), joint=_concat_vjp,
            front=lambda lift, ts, axis=0: (_tensors(lift, ts, "concat"), {"axis": int(axis)}),
            method=None)
STACK = Op("stack", "shape", "Same-shaped tensors joined along a new axis (numpy.stack).",
           forward=lambda *xs, axis: np.stack(xs, axis=axis), joint=_stack_vjp,
           front=lambda lift, ts, axis=0: (_tensors(lift, ts, "stack"), {"axis": int(axis)}),
           method=None)
WHERE = Op("where", "selection", "Elementwise `a` where `cond` is true, else `b` (no gradient "
           "to `cond`).",
           forward=lambda a, b, cond: np.where(cond, a, b),
           vjps=(lambda g, out, a, b, cond: _where(cond, g, 0),
                 lambda g, out, a, b, cond: _where(cond, 0, g)),
           front=_where_front, method=None, broadcasts=True)
CAST = Op("cast", "internal", "x as `dtype`; to an integer or bool dtype the result is a "
          "constant (no gradient).",
          forward=lambda x, dtype: x.astype(dtype),
          vjps=(lambda g, out, x, dtype: g.astype(x.dtype),),
          params=lambda x, dtype: {"dtype": np.dtype(dtype)}, method="astype", function=None,
          floating=False)

COMPARISONS = {f.__name__: Op(f.__name__, "selection", f"x {sym} y elementwise: a bool Tensor, "
                              "never recorded.", forward=f, method=None,
                              front=lambda lift, x, y: ADD.front(lift, x, y))
               for f, sym in ((np.less, "<"), (np.less_equal, "<="), (np.greater, ">"),
                              (np.greater_equal, ">="), (np.equal, "=="), (np.not_equal, "!="))}


# --- composites: written with the ops above, no VJP of their own ---------------------------------

def _var(x: Any, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Any:
    """Σ (x − mean)² / (n − ddof), a composite of mean, sub, mul and sum."""
    axis = check_axis(axis, "var", x.ndim)
    reduced = range(x.ndim) if axis is None else (axis,) if isinstance(axis, int) else axis
    n = int(np.prod([x.shape[a] for a in reduced]))
    if n - ddof <= 0:
        raise ValueError(f"var: ddof={ddof} leaves no degrees of freedom for {n} values")
    d = x - x.mean(axis=axis, keepdims=True)
    return (d * d).sum(axis=axis, keepdims=keepdims) / (n - ddof)


def _swapaxes(x: Any, axis1: int, axis2: int) -> Any:
    axes = list(range(x.ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return x.transpose(axes)


VAR = Op("var", "composite", "Σ (x − mean)² / (n − ddof) over `axis`.", compose=_var)
FLATTEN = Op("flatten", "composite", "x as one axis: reshape(−1).",
             compose=lambda x: x.reshape(-1), function=None)
SWAPAXES = Op("swapaxes", "composite", "x with axes `axis1` and `axis2` exchanged.",
              compose=_swapaxes)


# The table: every declaration above, in the order written (a new op needs no entry here).
OPS: dict[str, Op] = {op.name: op for op in globals().values() if isinstance(op, Op)}
OPS.update((op.name, op) for op in COMPARISONS.values())
