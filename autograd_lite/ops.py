"""The Tensor ops: a table of primitives, each forward next to its VJPs, and the composites.

Primitives (forward on numpy arrays; VJP per input, in the notation ḡ = ∂L/∂out):

    add  sub  mul  div  neg  power  matmul                    arithmetic, with broadcasting
    exp  log  tanh  sigmoid  relu  leaky_relu  sin  cos  sqrt  abs  clip  cast   elementwise
    sum  mean  max  min  logsumexp  softmax  log_softmax        reductions along axes
    cross_entropy                                               softmax + NLL, fused
    reshape  transpose  broadcast_to  getitem  scatter  concat  stack  where  maximum  minimum

Composites built from them (no backward of their own): `var`. `mean` and the softmax family
are primitives with dedicated rules: fewer nodes, and the softmax family stays exact and finite
for inputs offset by ±1000.

A VJP only ever uses operators (`+ - * / @`), the methods ndarray and Tensor share (`sum`,
`reshape`, `transpose`, `swapaxes`, `astype`, indexing) and the dual helpers below, so the
one rule runs on arrays in a plain backward and records itself under `create_graph=True`.
Masks (where relu passes, which entry was the max) are computed on raw arrays: they are
constants of the derivative. Conventions: relu'(0) = 0, abs'(0) = 0, ties in max/min/maximum/
minimum split the gradient evenly, clip passes the gradient at its bounds.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from .tensor import Primitive, Tensor, apply, as_tensor

__all__ = [
    "concat", "stack", "where", "maximum", "minimum", "logsumexp", "softmax", "log_softmax",
    "cross_entropy",
]

Axis = int | tuple[int, ...] | None


# --- dual helpers: numpy on arrays, recorded ops on Tensors -------------------------------------

def _raw(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x


def _cos(x: Any) -> Any:
    return x.cos() if isinstance(x, Tensor) else np.cos(x)


def _sin(x: Any) -> Any:
    return x.sin() if isinstance(x, Tensor) else np.sin(x)


def _exp(x: Any) -> Any:
    return x.exp() if isinstance(x, Tensor) else np.exp(x)


def _where(cond: np.ndarray, a: Any, b: Any) -> Any:
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        like = a if isinstance(a, Tensor) else b
        return apply(WHERE, as_tensor(a, like), as_tensor(b, like), cond=cond)
    return np.where(cond, a, b)


def _broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
    if isinstance(x, Tensor):
        return apply(BROADCAST_TO, x, shape=shape)
    if x.size == 1:  # a full reduction's gradient: filling is several times faster here
        return np.full(shape, x.reshape(()), dtype=x.dtype)
    return np.broadcast_to(x, shape)


def _scatter(g: Any, index: Any, shape: tuple[int, ...]) -> Any:
    if isinstance(g, Tensor):
        return apply(SCATTER, g, index=index, shape=shape)
    return _scatter_forward(g, index, shape)


def _piecewise(fn: Any, x: Any) -> Any:
    """`fn(x)`: masks and weights that are constant almost everywhere (where relu passes,
    which entries tie for the max). On arrays it is just `fn`; on Tensors it is recorded as
    `step`, whose derivative is 0, so a gradient built from it stays connected to x and its
    own derivative is 0 there (as in PyTorch), not missing."""
    return apply(STEP, x, fn=fn) if isinstance(x, Tensor) else fn(x)


def _kept(g: Any, shape: tuple[int, ...], axis: Axis, keepdims: bool) -> Any:
    """`g` of a reduction over `axis` reshaped to keep the reduced axes (size 1)."""
    return g if keepdims else g.reshape(_kept_shape(shape, axis))


def _kept_shape(shape: tuple[int, ...], axis: Axis) -> tuple[int, ...]:
    if axis is None:
        return (1,) * len(shape)
    axes = {a % len(shape) for a in ((axis,) if isinstance(axis, int) else axis)}
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


# --- arithmetic ---------------------------------------------------------------------------------

ADD = Primitive("+", np.add,
                lambda g, out, x, y: g,
                lambda g, out, x, y: g)
SUB = Primitive("-", np.subtract,
                lambda g, out, x, y: g,
                lambda g, out, x, y: -g)
MUL = Primitive("*", np.multiply,
                lambda g, out, x, y: g * y,
                lambda g, out, x, y: g * x)
DIV = Primitive("/", np.true_divide,
                lambda g, out, x, y: g / y,
                lambda g, out, x, y: -g * out / y)  # ∂(x/y)/∂y = -x/y² = -out/y
NEG = Primitive("neg", np.negative,
                lambda g, out, x: -g)


def _power_vjp_base(g: Any, out: Any, x: Any, y: Any) -> Any:
    """∂(x^y)/∂x = y·x^(y-1), taken as 0 where y = 0 (also at x = 0, where it is 0·inf)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return g * _where(_raw(y) == 0, 0, y * x ** (y - 1))


def _power_vjp_exponent(g: Any, out: Any, x: Any, y: Any) -> Any:
    """∂(x^y)/∂y = x^y·ln x; 0 at x = 0 (y ≥ 0, as PyTorch), nan for x < 0."""
    xr = _raw(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_x = np.log(np.where(xr > 0, xr, 1)) if not isinstance(x, Tensor) else \
            _where(xr > 0, x, 1).log()
        return _where(xr < 0, np.nan, g * out * log_x)


POWER = Primitive("**", np.power, _power_vjp_base, _power_vjp_exponent)


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


MATMUL = Primitive("@", _matmul_forward, _matmul_vjp_x, _matmul_vjp_y)


# --- elementwise --------------------------------------------------------------------------------

def _sigmoid_forward(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1/(1 + e^-x) from e^-|x| ≤ 1, so no exp ever overflows."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _clip_forward(x: np.ndarray, lo: float | None, hi: float | None) -> np.ndarray:
    if lo is None and hi is None:
        raise ValueError("give lo, hi or both")
    return np.clip(x, lo, hi)


def _clip_vjp(g: Any, out: Any, x: Any, lo: float | None, hi: float | None) -> Any:
    def inside(xr: np.ndarray) -> np.ndarray:  # the bounds included: the gradient passes there
        mask = np.ones(xr.shape, dtype=bool)
        if lo is not None:
            mask &= xr >= lo
        if hi is not None:
            mask &= xr <= hi
        return mask

    return g * _piecewise(inside, x)


def _leaky_relu_forward(x: np.ndarray, negative_slope: float) -> np.ndarray:
    return np.where(x > 0, x, x * negative_slope)


def _leaky_relu_vjp(g: Any, out: Any, x: Any, negative_slope: float) -> Any:
    return g * _piecewise(lambda xr: np.where(xr > 0, 1, negative_slope).astype(xr.dtype), x)


def _positive(x: np.ndarray) -> np.ndarray:
    return x > 0


EXP = Primitive("exp", np.exp, lambda g, out, x: g * out)
LOG = Primitive("log", np.log, lambda g, out, x: g / x)
TANH = Primitive("tanh", np.tanh, lambda g, out, x: g * (1 - out * out))
SIGMOID = Primitive("sigmoid", _sigmoid_forward, lambda g, out, x: g * (out * (1 - out)))
RELU = Primitive("relu", lambda x: np.maximum(x, 0),
                 lambda g, out, x: g * _piecewise(_positive, x))
LEAKY_RELU = Primitive("leaky_relu", _leaky_relu_forward, _leaky_relu_vjp)
SIN = Primitive("sin", np.sin, lambda g, out, x: g * _cos(x))
COS = Primitive("cos", np.cos, lambda g, out, x: -g * _sin(x))
SQRT = Primitive("sqrt", np.sqrt, lambda g, out, x: g / (2 * out))
ABS = Primitive("abs", np.abs, lambda g, out, x: g * _piecewise(np.sign, x))
CLIP = Primitive("clip", _clip_forward, _clip_vjp)
STEP = Primitive("step", lambda x, fn: np.asarray(fn(x)).astype(x.dtype),
                 lambda g, out, x, fn: as_tensor(np.zeros_like(_raw(x))) if isinstance(x, Tensor)
                 else np.zeros_like(x))  # piecewise constant: derivative 0
CAST = Primitive("cast", lambda x, dtype: x.astype(dtype),
                 lambda g, out, x, dtype: g.astype(x.dtype), floating=False)  # to int: no grad


# --- reductions ---------------------------------------------------------------------------------

def _extreme_vjp(g: Any, out: Any, x: Any, axis: Axis, keepdims: bool) -> Any:
    """The gradient goes to the entries equal to the max (min), split evenly among ties."""
    extreme = _kept(_raw(out), x.shape, axis, keepdims)

    def share(xr: np.ndarray) -> np.ndarray:
        hit = xr == extreme
        return (hit / hit.sum(axis=axis, keepdims=True)).astype(xr.dtype)

    return _kept(g, x.shape, axis, keepdims) * _piecewise(share, x)


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
    if isinstance(logits, Tensor):  # create_graph: softmax as a recorded function of logits
        onehot = np.zeros(logits.shape, dtype=logits.dtype)
        onehot[rows, targets] = 1
        return g * (logits.softmax(axis=1) - onehot) * (1 / n)
    scale = g / n
    p = saved * scale  # a fresh array (the saved softmax serves every backward through here)
    p[rows, targets] -= scale
    return p


CROSS_ENTROPY = Primitive("cross_entropy", _cross_entropy_forward, _cross_entropy_vjp,
                          saves=True)
SUM = Primitive("sum", lambda x, axis, keepdims: np.sum(x, axis=axis, keepdims=keepdims),
                lambda g, out, x, axis, keepdims:
                _broadcast_to(_kept(g, x.shape, axis, keepdims), x.shape))
MEAN = Primitive("mean", lambda x, axis, keepdims: np.mean(x, axis=axis, keepdims=keepdims),
                 lambda g, out, x, axis, keepdims:
                 _broadcast_to(_kept(g, x.shape, axis, keepdims) * (out.size / builtins.max(
                     x.size, 1)), x.shape))  # 1/n per element (nothing to share if empty)
MAX = Primitive("max", lambda x, axis, keepdims: np.max(x, axis=axis, keepdims=keepdims),
                _extreme_vjp)
MIN = Primitive("min", lambda x, axis, keepdims: np.min(x, axis=axis, keepdims=keepdims),
                _extreme_vjp)
LOGSUMEXP = Primitive("logsumexp", _logsumexp_forward,  # ∂/∂x = softmax(x)
                      lambda g, out, x, axis, keepdims: _kept(g, x.shape, axis, keepdims)
                      * _exp(x - _kept(out, x.shape, axis, keepdims)))
SOFTMAX = Primitive("softmax", _softmax_forward,  # x̄ = s ⊙ (ḡ − Σ ḡ⊙s)
                    lambda g, out, x, axis: out * (g - (g * out).sum(axis=axis, keepdims=True)))
LOG_SOFTMAX = Primitive("log_softmax", _log_softmax_forward,  # x̄ = ḡ − softmax·Σ ḡ
                        lambda g, out, x, axis: g - _exp(out) * g.sum(axis=axis, keepdims=True))


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


def _concat_vjp(g: Any, out: Any, *xs: Any, axis: int, i: int) -> Any:
    axis = axis % out.ndim
    start = builtins.sum(x.shape[axis] for x in xs[:i])
    return g[(slice(None),) * axis + (slice(start, start + xs[i].shape[axis]),)]


def _stack_vjp(g: Any, out: Any, *xs: Any, axis: int, i: int) -> Any:
    return g[(slice(None),) * (axis % out.ndim) + (i,)]


def _wins(d: np.ndarray) -> np.ndarray:
    return ((d > 0) + 0.5 * (d == 0)).astype(d.dtype)


def _tie_share(x: Any, y: Any) -> Any:
    """Weight of x in maximum(x, y): 1 where x wins, ½ on a tie (the split sums to 1)."""
    if isinstance(x, Tensor) or isinstance(y, Tensor):
        return _piecewise(_wins, x - y)  # x − y = 0 exactly when x = y
    xr, yr = _raw(x), _raw(y)
    return ((xr > yr) + 0.5 * (xr == yr)).astype(np.result_type(xr, yr))


RESHAPE = Primitive("reshape", lambda x, shape: np.reshape(x, shape),
                    lambda g, out, x, shape: g.reshape(x.shape))
TRANSPOSE = Primitive("transpose", lambda x, axes: np.transpose(x, axes),
                      lambda g, out, x, axes: g.transpose(
                          None if axes is None else tuple(np.argsort(axes))))
BROADCAST_TO = Primitive("broadcast_to", lambda x, shape: np.broadcast_to(x, shape),
                         lambda g, out, x, shape: g)  # the engine sums g back to x's shape
GETITEM = Primitive("getitem", lambda x, index: x[index],
                    lambda g, out, x, index: _scatter(g, index, x.shape))
SCATTER = Primitive("scatter", _scatter_forward,
                    lambda g, out, x, index, shape: g[index])
CONCAT = Primitive("concat", lambda *xs, axis: np.concatenate(xs, axis=axis), _concat_vjp,
                   variadic=True)
STACK = Primitive("stack", lambda *xs, axis: np.stack(xs, axis=axis), _stack_vjp,
                  variadic=True)
WHERE = Primitive("where", lambda a, b, cond: np.where(cond, a, b),
                  lambda g, out, a, b, cond: _where(cond, g, 0),
                  lambda g, out, a, b, cond: _where(cond, 0, g))
MAXIMUM = Primitive("maximum", np.maximum,
                    lambda g, out, x, y: g * _tie_share(x, y),
                    lambda g, out, x, y: g * (1 - _tie_share(x, y)))
MINIMUM = Primitive("minimum", np.minimum,
                    lambda g, out, x, y: g * _tie_share(y, x),
                    lambda g, out, x, y: g * (1 - _tie_share(y, x)))


# --- the functions behind Tensor methods that take arguments, and the public functions -----------

def _pair(x: Any, y: Any) -> tuple[Tensor, Tensor]:
    if isinstance(x, Tensor):
        return x, y if isinstance(y, Tensor) else as_tensor(y, x)
    return as_tensor(x, y if isinstance(y, Tensor) else None), y


_COMPARISONS = {f: Primitive(f.__name__, f) for f in (
    np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal)}


def compare(ufunc: np.ufunc, x: Any, y: Any) -> Tensor:
    """Elementwise comparison: a bool Tensor, with no gradient (bool outputs are not recorded)."""
    return apply(_COMPARISONS[ufunc], *_pair(x, y))


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    return apply(LEAKY_RELU, x, negative_slope=negative_slope)


def clip(x: Tensor, lo: float | None = None, hi: float | None = None) -> Tensor:
    return apply(CLIP, x, lo=lo, hi=hi)


def cast(x: Tensor, dtype: Any) -> Tensor:
    return apply(CAST, x, dtype=np.dtype(dtype))


def _axis(axis: Any, op: str, ndim: int) -> Axis:
    """`axis` checked against the tensor's dimensions (None: all axes)."""
    if axis is None:
        return None
    if isinstance(axis, (int, np.integer)):
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


def sum(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    return apply(SUM, x, axis=_axis(axis, "sum", x.ndim), keepdims=bool(keepdims))


def mean(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    return apply(MEAN, x, axis=_axis(axis, "mean", x.ndim), keepdims=bool(keepdims))


def max(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    return apply(MAX, x, axis=_axis(axis, "max", x.ndim), keepdims=bool(keepdims))


def min(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    return apply(MIN, x, axis=_axis(axis, "min", x.ndim), keepdims=bool(keepdims))


def var(x: Tensor, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Tensor:
    """Σ (x − mean)² / (n − ddof), a composite of mean, sub, mul and sum."""
    axis = _axis(axis, "var", x.ndim)
    reduced = range(x.ndim) if axis is None else (axis,) if isinstance(axis, int) else axis
    n = int(np.prod([x.shape[a] for a in reduced]))
    if n - ddof <= 0:
        raise ValueError(f"var: ddof={ddof} leaves no degrees of freedom for {n} values")
    d = x - x.mean(axis=axis, keepdims=True)
    return (d * d).sum(axis=axis, keepdims=keepdims) / (n - ddof)


def logsumexp(t: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """log Σ exp(t) along `axis`, computed stably."""
    t = as_tensor(t)
    return apply(LOGSUMEXP, t, axis=_axis(axis, "logsumexp", t.ndim), keepdims=bool(keepdims))


def softmax(t: Any, axis: int = -1) -> Tensor:
    """exp(t) / Σ exp(t) along `axis`, computed stably."""
    return apply(SOFTMAX, as_tensor(t), axis=int(axis))


def log_softmax(t: Any, axis: int = -1) -> Tensor:
    """t − logsumexp(t) along `axis`, computed stably."""
    return apply(LOG_SOFTMAX, as_tensor(t), axis=int(axis))


def cross_entropy(logits: Tensor, targets: Any) -> Tensor:
    """Softmax cross-entropy of (N, C) logits against N integer class labels, averaged over
    the batch, as one op: exact and finite for logits offset by ±1000."""
    logits = as_tensor(logits)
    t = np.asarray(targets._data if isinstance(targets, Tensor) else targets)
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy: logits must have shape (N, C), got {logits.shape}")
    if t.shape != logits.shape[:1] or t.dtype.kind not in "iu":
        raise ValueError(f"cross_entropy: targets must be {logits.shape[0]} integer class "
                         f"labels (shape ({logits.shape[0]},)), got shape {t.shape} dtype "
                         f"{t.dtype}")
    if t.size and (np.minimum.reduce(t) < 0 or np.maximum.reduce(t) >= logits.shape[1]):
        raise ValueError(f"cross_entropy: targets must lie in [0, {logits.shape[1]}), got "
                         f"values from {t.min()} to {t.max()}")
    return apply(CROSS_ENTROPY, logits, targets=t)


def _shape_arg(shape: tuple[Any, ...]) -> tuple[int, ...]:
    """`reshape(2, 3)` and `reshape((2, 3))` both mean (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(n) for n in shape)


def reshape(x: Tensor, *shape: Any) -> Tensor:
    return apply(RESHAPE, x, shape=_shape_arg(shape))


def transpose(x: Tensor, *axes: Any) -> Tensor:
    """Permute axes (no axes: reverse them, like `.T`); negative axes count from the end."""
    if not axes or axes == (None,):
        return apply(TRANSPOSE, x, axes=None)
    order = _shape_arg(axes)
    if sorted(a % x.ndim if -x.ndim <= a < x.ndim else a for a in order) != list(range(x.ndim)):
        raise ValueError(f"transpose: axes {order} are not a permutation of the {x.ndim} axes "
                         f"of a tensor of shape {x.shape}")
    return apply(TRANSPOSE, x, axes=tuple(a % x.ndim for a in order))


def broadcast_to(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    return apply(BROADCAST_TO, x, shape=tuple(shape))


def _index(index: Any) -> Any:
    """Tensors inside an index become their arrays; lists become arrays (numpy's rules)."""
    if isinstance(index, tuple):
        return tuple(_index(i) for i in index)
    if isinstance(index, Tensor):
        return index._data
    if isinstance(index, list):
        return np.asarray(index)
    return index


def getitem(x: Tensor, index: Any) -> Tensor:
    return apply(GETITEM, x, index=_index(index))


def concat(ts: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (numpy.concatenate)."""
    tensors = _tensors(ts, "concat")
    return apply(CONCAT, *tensors, axis=int(axis))


def stack(ts: Sequence[Any], axis: int = 0) -> Tensor:
    """Join same-shaped tensors along a new axis (numpy.stack)."""
    tensors = _tensors(ts, "stack")
    return apply(STACK, *tensors, axis=int(axis))


def _tensors(ts: Sequence[Any], op: str) -> list[Tensor]:
    if isinstance(ts, Tensor) or not isinstance(ts, (list, tuple)) or not ts:
        raise TypeError(f"{op}: expected a non-empty list or tuple of tensors")
    like = next((t for t in ts if isinstance(t, Tensor)), None)
    return [as_tensor(t, like) for t in ts]


def where(cond: Any, a: Any, b: Any) -> Tensor:
    """Elementwise `a` where `cond` is true, else `b` (no gradient to `cond`)."""
    c = np.asarray(cond._data if isinstance(cond, Tensor) else cond)
    if c.dtype != bool:
        raise TypeError(f"where: cond must be boolean, got dtype {c.dtype}")
    a, b = _pair(a, b)
    try:
        np.broadcast_shapes(c.shape, a.shape, b.shape)
    except ValueError:
        raise ValueError(f"where: cond of shape {c.shape}, a of shape {a.shape} and b of shape "
                         f"{b.shape} cannot be broadcast together") from None
    return apply(WHERE, a, b, cond=c)


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise max; on a tie each input gets half the gradient."""
    return apply(MAXIMUM, *_pair(a, b))


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise min; on a tie each input gets half the gradient."""
    return apply(MINIMUM, *_pair(a, b))
