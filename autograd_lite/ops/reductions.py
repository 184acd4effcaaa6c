"""Reductions along axes (`sum mean max min prod std logsumexp softmax log_softmax`), the scans
`cumsum cumprod` (with `scan`, the linear recurrence their adjoints are written with), the
norms of numpy.linalg.norm (`pnorm`, `svd_norm`), the fused loss `cross_entropy`, and the
composites `var average ptp nansum nanmean trace diff norm`, with the axis checks they share."""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..engine import apply
from ..opdef import Op, dual, is_node, piecewise
from ..validate import check_axis, check_int
from .selection import SCATTER, Lift, broadcast_to_of, raw, where_of

Axis = int | tuple[int, ...] | None


def reduce_params(op: str) -> Callable[..., dict[str, Any]]:
    def params(x: Any, axis: Axis = None, keepdims: bool = False) -> dict[str, Any]:
        return {"axis": check_axis(axis, op, x.ndim), "keepdims": bool(keepdims)}
    params.__name__ = f"{op}_params"
    return params


def axis_param(op: str) -> Callable[..., dict[str, Any]]:
    """The one-axis parameter of `op` (softmax, log_softmax): an int in range."""
    def params(x: Any, axis: int = -1) -> dict[str, Any]:
        return {"axis": check_axis(check_int(axis, op, "axis"), op, x.ndim)}
    params.__name__ = f"{op}_params"
    return params


def kept(g: Any, shape: tuple[int, ...], axis: Axis, keepdims: bool) -> Any:
    """`g` of a reduction over `axis` reshaped to keep the reduced axes (size 1)."""
    return g if keepdims else g.reshape(kept_shape(shape, axis))


def kept_shape(shape: tuple[int, ...], axis: Axis) -> tuple[int, ...]:
    if axis is None:
        return (1,) * len(shape)
    axes = {a % len(shape) for a in ((axis,) if isinstance(axis, int) else axis)}
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


exp_of = dual("exp", np.exp, math.exp)


def _extreme_vjp(g: Any, out: Any, x: Any, axis: Axis, keepdims: bool) -> Any:
    """The gradient goes to the entries equal to the max (min), split evenly among ties; in a
    slice holding nan (whose max is nan) it goes to the nan entries."""
    extreme = kept(raw(out), x.shape, axis, keepdims)

    def share(xr: np.ndarray) -> np.ndarray:
        hit = xr == extreme
        if np.isnan(extreme).any():
            hit |= np.isnan(xr) & np.isnan(extreme)
        return hit / hit.sum(axis=axis, keepdims=True)

    return kept(g, x.shape, axis, keepdims) * piecewise(share, x)


# --- along a short last axis: the forward kernels of softmax-like ops -------------------------

# numpy reduces a C-ordered array along its last axis one row at a time; on many short rows
# (softmax over 16 attention scores, 27 characters) that per-row loop is most of the cost:
# the max of (32, 2, 16, 16) float32 took 90 µs, 9.5 µs as a contiguous (16, 1024) copy
# reduced over its first axis, and its sum 19 µs as np.add.reduce, 5 µs as a GEMV.
_SHORT, _MANY = 64, 4096


def last_max(x: np.ndarray) -> np.ndarray:
    """max over the last axis, kept as size 1 (np.max(x, axis=-1, keepdims=True), nan
    propagating alike)."""
    n = x.shape[-1] if x.ndim else 0
    if x.ndim < 2 or not 0 < n <= _SHORT or x.size < _MANY:
        return np.maximum.reduce(x, axis=-1, keepdims=True)
    columns = np.ascontiguousarray(x.reshape(-1, n).T)  # (n, rows): reduce across rows
    return np.maximum.reduce(columns, axis=0).reshape(*x.shape[:-1], 1)


def last_sum(x: np.ndarray) -> np.ndarray:
    """Σ over the last axis, kept as size 1: a GEMV x @ 1 for floating x with short rows."""
    n = x.shape[-1] if x.ndim else 0
    if x.dtype.kind != "f" or x.ndim < 2 or not 0 < n <= _SHORT or x.size < _MANY:
        return np.add.reduce(x, axis=-1, keepdims=True)
    return (x @ np.ones(n, dtype=x.dtype))[..., None]


def _logsumexp_forward(x: np.ndarray, axis: Axis, keepdims: bool) -> np.ndarray:
    """log Σ e^x = m + log Σ e^(x-m) with m = max x (finite for inputs offset by ±1000)."""
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _softmax_forward(x: np.ndarray, axis: int) -> np.ndarray:
    """e^(x-m) / Σ e^(x-m) with m = max x, in one fresh array (the exponent is overwritten)."""
    last = axis in (-1, x.ndim - 1)
    e = x - (last_max(x) if last else np.max(x, axis=axis, keepdims=True))
    e = np.exp(e, out=e) if e.dtype.kind == "f" else np.exp(e)
    e /= last_sum(e) if last else np.sum(e, axis=axis, keepdims=True)
    return e


def _log_softmax_forward(x: np.ndarray, axis: int) -> np.ndarray:
    """(x − m) − log Σ e^(x−m) with m = max x. Not x − logsumexp(x): logsumexp is rounded at
    the magnitude of m, so three equal float32 logits at 1e6 would give −1.125 (the spacing
    of float32 there is 0.0625) instead of −log 3 = −1.098612; x − m is exact near the max."""
    last = axis in (-1, x.ndim - 1)
    m = last_max(x) if last else np.max(x, axis=axis, keepdims=True)
    shifted = x - np.where(np.isfinite(m), m, 0)
    e = np.exp(shifted)
    return shifted - np.log(last_sum(e) if last else np.sum(e, axis=axis, keepdims=True))


SUM = Op("sum", "reduction", "Σ x over `axis` (None: all), keeping the reduced axes as size 1 "
         "with `keepdims`; x̄ = ḡ broadcast back to x's shape.",
         forward=lambda x, axis, keepdims: np.sum(x, axis=axis, keepdims=keepdims),
         vjps=(lambda g, out, x, axis, keepdims:
               broadcast_to_of(kept(g, x.shape, axis, keepdims), x.shape),),
         params=reduce_params("sum"), numpy=np.sum)


MEAN = Op("mean", "reduction", "The mean of x over `axis` (None: all); x̄ = ḡ/n everywhere.",
          forward=lambda x, axis, keepdims: np.mean(x, axis=axis, keepdims=keepdims),
          vjps=(lambda g, out, x, axis, keepdims:
                broadcast_to_of(kept(g, x.shape, axis, keepdims) * (out.size / builtins.max(
                    x.size, 1)), x.shape),),  # 1/n per element (nothing to share if empty)
          params=reduce_params("mean"), numpy=np.mean)


MAX = Op("max", "reduction", "The max of x over `axis` (numpy.max, numpy.amax); ties split "
         "the gradient evenly; a slice holding nan has max nan and its gradient goes to its nan "
         "entries (split evenly).",
         forward=lambda x, axis, keepdims: np.max(x, axis=axis, keepdims=keepdims),
         vjps=(_extreme_vjp,), params=reduce_params("max"), numpy=(np.max, np.amax))


MIN = Op("min", "reduction", "The min of x over `axis` (numpy.min, numpy.amin); ties split "
         "the gradient evenly; a slice holding nan has min nan and its gradient goes to its nan "
         "entries (split evenly).",
         forward=lambda x, axis, keepdims: np.min(x, axis=axis, keepdims=keepdims),
         vjps=(_extreme_vjp,), params=reduce_params("min"), numpy=(np.min, np.amin))


LOGSUMEXP = Op("logsumexp", "reduction",
               "log Σ exp(x) over `axis`, computed stably; x̄ = ḡ · softmax(x).",
               forward=_logsumexp_forward,
               vjps=(lambda g, out, x, axis, keepdims: kept(g, x.shape, axis, keepdims)
                     * exp_of(x - kept(out, x.shape, axis, keepdims)),),
               params=reduce_params("logsumexp"))


SOFTMAX = Op("softmax", "reduction",
             "exp(x) / Σ exp(x) along `axis`, computed stably; x̄ = s ⊙ (ḡ − Σ ḡ⊙s).",
             forward=_softmax_forward,
             vjps=(lambda g, out, x, axis: out * (g - (g * out).sum(axis=axis, keepdims=True)),),
             params=axis_param("softmax"))


LOG_SOFTMAX = Op("log_softmax", "reduction",
                 "x − logsumexp(x) along `axis`, computed stably; x̄ = ḡ − softmax·Σ ḡ.",
                 forward=_log_softmax_forward,
                 vjps=(lambda g, out, x, axis: g - exp_of(out) * g.sum(axis=axis, keepdims=True),),
                 params=axis_param("log_softmax"))


def _cross_entropy_forward(logits: np.ndarray, targets: np.ndarray) -> tuple[Any, np.ndarray]:
    """mean over the batch of −log softmax(logits)[target] = logsumexp(row) − row[target]
    (finite for logits offset by ±1000); saves softmax(logits) for the VJP."""
    m = last_max(logits)
    loss, softmax = _cross_entropy_shifted(logits, targets, m)
    if not np.isfinite(loss):  # a row whose max is ±inf: shift it by 0, as _logsumexp_forward
        loss, softmax = _cross_entropy_shifted(logits, targets, np.where(np.isfinite(m), m, 0))
    return loss, softmax


def _cross_entropy_shifted(logits: np.ndarray, targets: np.ndarray,
                           m: np.ndarray) -> tuple[Any, np.ndarray]:
    e = np.exp(logits - m)
    total = last_sum(e)
    n = len(targets)
    # log Σ e^(z−m) − (z[k] − m), not (log Σ e^(z−m) + m) − z[k]: adding m first rounds at
    # its magnitude (−1.125 instead of −1.098612 for equal float32 logits at 1e6)
    losses = np.log(total)[:, 0] - (logits[np.arange(n), targets] - m[:, 0])
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
    t = np.array(raw(targets))  # a copy: the VJP reads it later
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


def _ddof(op: str, ddof: int, correction: int | None) -> int:
    """numpy's `ddof`, or its other name `correction` (numpy 2, PyTorch)."""
    if correction is None:
        return ddof
    if ddof != 0:
        raise ValueError(f"{op}: give ddof or correction, not both")
    return correction


def _var(x: Any, axis: Axis = None, ddof: int = 0, keepdims: bool = False, *,
         dtype: Any = None, correction: int | None = None) -> Any:
    """Σ (x − mean)² / (n − ddof), a composite of mean, sub, mul and sum."""
    x = _cast(x, dtype)
    ddof = _ddof("var", ddof, correction)
    axis = check_axis(axis, "var", x.ndim)
    reduced = range(x.ndim) if axis is None else (axis,) if isinstance(axis, int) else axis
    n = int(np.prod([x.shape[a] for a in reduced]))
    if n - ddof <= 0:
        raise ValueError(f"var: ddof={ddof} leaves no degrees of freedom for {n} values")
    d = x - x.mean(axis=axis, keepdims=True)
    return (d * d).sum(axis=axis, keepdims=keepdims) / (n - ddof)


VAR = Op("var", "composite", "Σ (x − mean)² / (n − ddof) over `axis`.", compose=_var, numpy=np.var)


# --- helpers of the ops below: counts, casts, and moves along an axis (arrays or Tensors) --------

def _count(shape: tuple[int, ...], axis: Axis) -> int:
    """How many entries a reduction over `axis` combines into each result."""
    if axis is None:
        return math.prod(shape)
    return math.prod(shape[a] for a in ((axis,) if isinstance(axis, int) else axis))


def _axes(axis: Axis, ndim: int) -> tuple[int, ...]:
    """`axis` (checked) as a tuple of non-negative axes (None: all)."""
    if axis is None:
        return tuple(range(ndim))
    return tuple(a % ndim for a in ((axis,) if isinstance(axis, int) else axis))


def _cast(x: Any, dtype: Any) -> Any:
    """x as `dtype` (numpy's `dtype=` argument): a recorded cast, or x itself."""
    return x if dtype is None or np.dtype(dtype) == x.dtype else x.astype(dtype)


def _dropped(x: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    """A result that kept the reduced `axes` (size 1), without them unless `keepdims`."""
    return x if keepdims else x.reshape(tuple(n for i, n in enumerate(x.shape) if i not in axes))


def _flip(x: Any, axis: int) -> Any:
    """x reversed along `axis` (an index, so recorded on Tensors)."""
    return x[(slice(None),) * (axis % x.ndim) + (slice(None, None, -1),)]


def _shift(x: Any, axis: int, fill: float) -> Any:
    """x moved one step along `axis`: x[k − 1] at k, and `fill` at 0 (recorded on Tensors)."""
    lead = (slice(None),) * (axis % x.ndim)
    src, dst, first = lead + (slice(None, -1),), lead + (slice(1, None),), lead + (slice(0, 1),)
    if is_node(x):
        moved = apply(SCATTER.prim, x[src], index=dst, shape=x.shape)
        if not fill:
            return moved
        ends = np.zeros(x.shape, dtype=x.dtype)
        ends[first] = fill
        return moved + ends
    out = np.empty_like(x)
    out[first] = fill
    out[dst] = x[src]
    return out


def _reduced_last(x: Any, axis: Axis) -> tuple[Any, Callable[[Any], Any]]:
    """x with the axes of a reduction moved to the end as one axis, and the map back."""
    if axis is None:
        return x.reshape(-1), lambda y: y.reshape(x.shape)
    axes = sorted(_axes(axis, x.ndim))
    rest = [i for i in range(x.ndim) if i not in axes]
    perm = tuple(rest + axes)
    moved = x if perm == tuple(range(x.ndim)) else x.transpose(perm)
    shape = moved.shape
    inverse = tuple(int(i) for i in np.argsort(perm))
    flat = moved.reshape(shape[:len(rest)] + (math.prod(shape[len(rest):]),))
    return flat, lambda y: y.reshape(shape).transpose(inverse)


# --- products and scans ---------------------------------------------------------------------------

def _linear_scan(b: np.ndarray, a: np.ndarray) -> np.ndarray:
    """s[k] = b[k] + a[k]·s[k−1] along the last axis (s[−1] = 0, so a[0] is not used), exactly
    (no division, zeros welcome) in about 2√n vectorized steps: a sequential scan inside
    blocks of √n entries, then each block adds the previous block's last value times its
    running product of coefficients. (Where such a product overflows to inf against a previous
    value of exactly 0, a step-by-step scan would give 0 and this one nan.)"""
    n = b.shape[-1]
    dtype = np.result_type(b, a)
    if n == 0:
        return np.empty(b.shape, dtype)
    block = math.isqrt(n - 1) + 1  # ⌈√n⌉
    blocks = -(-n // block)
    pad = blocks * block - n
    if pad:  # zeros to add, coefficients 1
        b = np.concatenate([b, np.zeros(b.shape[:-1] + (pad,), b.dtype)], axis=-1)
        a = np.concatenate([a, np.ones(a.shape[:-1] + (pad,), a.dtype)], axis=-1)
    b = b.reshape(b.shape[:-1] + (blocks, block))
    a = a.reshape(a.shape[:-1] + (blocks, block))
    s = np.empty(b.shape, dtype)
    s[..., 0] = b[..., 0]
    for k in range(1, block):
        s[..., k] = b[..., k] + a[..., k] * s[..., k - 1]
    running = np.cumprod(a, axis=-1, dtype=dtype)  # a[start]·…·a[k] within each block
    for j in range(1, blocks):  # block j − 1 is final by now
        s[..., j, :] += running[..., j, :] * s[..., j - 1, -1:]
    return s.reshape(s.shape[:-2] + (blocks * block,))[..., :n]


def _scan_forward(b: np.ndarray, a: np.ndarray, axis: int, reverse: bool) -> np.ndarray:
    b, a = np.moveaxis(b, axis, -1), np.moveaxis(a, axis, -1)
    if not reverse:
        return np.moveaxis(_linear_scan(b, a), -1, axis)
    # s[k] = b[k] + a[k+1]·s[k+1] is the forward recurrence on the reversed sequence, whose
    # coefficient at position j (counted from the end) is a[n − j]
    a = np.concatenate([np.ones_like(a[..., :1]), a[..., :0:-1]], axis=-1)
    return np.moveaxis(_linear_scan(b[..., ::-1], a)[..., ::-1], -1, axis)


def _scan_of(b: Any, a: Any, axis: int, reverse: bool) -> Any:
    if is_node(b) or is_node(a):
        like = b if is_node(b) else a
        return apply(SCAN.prim, like._lift(b, like), like._lift(a, like), axis=axis,
                     reverse=reverse)
    return _scan_forward(b, a, axis, reverse)


def _scan_vjp(g: Any, out: Any, b: Any, a: Any, axis: int, reverse: bool) -> list[Any]:
    """s = M(a)·b with M lower triangular (upper when `reverse`), M[k, j] = a[j+1]·…·a[k]:
    b̄ = Mᵀ·ḡ is the scan of ḡ the other way; ā[k] = b̄[k]·s[k−1] (reverse: s[k]·b̄[k−1])."""
    back = _scan_of(g, a, axis, not reverse)
    if reverse:
        return [back, out * _shift(back, axis, 0)]
    return [back, back * _shift(out, axis, 0)]


SCAN = Op("scan", "internal",
          "The linear recurrence s[k] = b[k] + a[k]·s[k−1] along `axis` (s[−1] = 0), or with "
          "`reverse` s[k] = b[k] + a[k+1]·s[k+1]: the adjoint of cumprod, exact with zeros; its "
          "own adjoints are scans again, so every order is exact.",
          forward=_scan_forward, joint=_scan_vjp, method=None, function=None)


def _cumsum_of(x: Any, axis: int | None) -> Any:
    return apply(CUMSUM.prim, x, axis=axis) if is_node(x) else np.cumsum(x, axis=axis)


def _cumprod_of(x: Any, axis: int | None) -> Any:
    return apply(CUMPROD.prim, x, axis=axis) if is_node(x) else np.cumprod(x, axis=axis)


def _scan_front(op: str) -> Callable[..., Any]:
    def front(lift: Lift, x: Any, axis: int | None = None, dtype: Any = None) -> Any:
        x = _cast(lift(x), dtype)
        if isinstance(axis, bool) or (axis is not None and
                                      not isinstance(axis, (int, np.integer))):
            raise TypeError(f"{op}: axis must be None or an int, got {axis!r}")
        return (x,), {"axis": None if axis is None else check_axis(axis, op, x.ndim)}
    front.__name__ = f"{op}_front"
    return front


def _cumsum_vjp(g: Any, out: Any, x: Any, axis: int | None) -> Any:
    """x̄ = ḡ summed from the end (the reversed cumsum of the reversed ḡ)."""
    if axis is None:
        return _flip(_cumsum_of(_flip(g, 0), 0), 0).reshape(x.shape)
    return _flip(_cumsum_of(_flip(g, axis), axis), axis)


def _cumprod_vjp(g: Any, out: Any, x: Any, axis: int | None) -> Any:
    """x̄[i] = Σ_{k≥i} ḡ[k]·Π_{j≤k, j≠i} x[j] = (product before i)·s[i], with s[i] =
    ḡ[i] + x[i+1]·s[i+1] (a reverse scan): no division, so exact with zeros."""
    if axis is None:
        return (_shift(out, 0, 1) * _scan_of(g, x.reshape(-1), 0, True)).reshape(x.shape)
    return _shift(out, axis, 1) * _scan_of(g, x, axis, True)


CUMSUM = Op("cumsum", "reduction",
            "Running sums along `axis` (None: of the flattened x), as numpy.cumsum; x̄ = ḡ "
            "summed from the end.",
            forward=lambda x, axis: np.cumsum(x, axis=axis), vjps=(_cumsum_vjp,),
            front=_scan_front("cumsum"), numpy=np.cumsum)


CUMPROD = Op("cumprod", "reduction",
             "Running products along `axis` (None: of the flattened x), as numpy.cumprod; "
             "x̄[i] = Σ_{k≥i} ḡ[k]·Π_{j≤k, j≠i} x[j], computed without dividing by x, so exact "
             "with any number of zeros (a nan makes every later product, and the gradient of "
             "every other entry they hold, nan).",
             forward=lambda x, axis: np.cumprod(x, axis=axis), vjps=(_cumprod_vjp,),
             front=_scan_front("cumprod"), numpy=np.cumprod)


def _prod_front(lift: Lift, x: Any, axis: Axis = None, dtype: Any = None,
                keepdims: bool = False) -> Any:
    x = _cast(lift(x), dtype)
    return (x,), {"axis": check_axis(axis, "prod", x.ndim), "keepdims": bool(keepdims)}


def _prod_vjp(g: Any, out: Any, x: Any, axis: Axis, keepdims: bool) -> Any:
    """x̄ = ḡ · Π of the other entries, as (product of those before)·(product of those after):
    no division by x, so exact with one zero (its entry gets the product of the others)
    and with several (all get 0); both products are cumprods, recorded on Tensors."""
    flat, back = _reduced_last(x, axis)
    before = _shift(_cumprod_of(flat, -1), -1, 1)
    after = _flip(_shift(_cumprod_of(_flip(flat, -1), -1), -1, 1), -1)
    return kept(g, x.shape, axis, keepdims) * back(before * after)


PROD = Op("prod", "reduction",
          "Π x over `axis` (None: all), as numpy.prod; x̄ = ḡ·Π of the other entries of the "
          "slice, computed without dividing by x: exact with zeros (one zero: its entry gets "
          "the product of the others, the rest 0; several: all 0) and to every order. A nan "
          "makes the product nan and the gradient of every other entry nan.",
          forward=lambda x, axis, keepdims: np.prod(x, axis=axis, keepdims=keepdims),
          vjps=(_prod_vjp,), front=_prod_front, numpy=np.prod)


# --- spread: std (var is composite) ----------------------------------------------------------

def _std_front(lift: Lift, x: Any, axis: Axis = None, dtype: Any = None, ddof: int = 0,
               keepdims: bool = False, *, correction: int | None = None) -> Any:
    x = _cast(lift(x), dtype)
    ddof = _ddof("std", ddof, correction)
    axis = check_axis(axis, "std", x.ndim)
    n = _count(x.shape, axis)
    if n - ddof <= 0:
        raise ValueError(f"std: ddof={ddof} leaves no degrees of freedom for {n} values")
    return (x,), {"axis": axis, "ddof": ddof, "keepdims": bool(keepdims)}


def _std_vjp(g: Any, out: Any, x: Any, axis: Axis, ddof: int, keepdims: bool) -> Any:
    """x̄ = ḡ·(x − mean)/((n − ddof)·std); 0 where std = 0 (to every order)."""
    s = kept(out, x.shape, axis, keepdims)
    flat = np.asarray(raw(s) == 0)  # all entries of the slice equal
    safe = where_of(flat, 1, s) if flat.any() else s
    grad = kept(g, x.shape, axis, keepdims) * (x - x.mean(axis=axis, keepdims=True)) / (
        safe * (_count(x.shape, axis) - ddof))
    return where_of(flat, 0, grad) if flat.any() else grad


STD = Op("std", "reduction",
         "√(Σ (x − mean)² / (n − ddof)) over `axis`, as numpy.std; x̄ = ḡ·(x − mean)/((n − "
         "ddof)·std). Where the entries of a slice are all equal (std = 0, not differentiable) "
         "the gradient is 0, the minimum-norm subgradient (PyTorch 2.13 gives 0 too; a "
         "composite √var would give nan), and its derivatives there are 0. nan propagates.",
         forward=lambda x, axis, ddof, keepdims: np.std(x, axis=axis, ddof=ddof,
                                                         keepdims=keepdims),
         vjps=(_std_vjp,), front=_std_front, numpy=np.std)


# --- composites: average, ptp, nansum, nanmean, trace, diff -----------------------------------

def _average(x: Any, axis: Axis = None, weights: Any = None, returned: bool = False, *,
             keepdims: bool = False) -> Any:
    """Σ w·x / Σ w over `axis` (numpy.average; no weights: the mean)."""
    if returned:
        raise TypeError("average: returned=True is not supported (it returns a pair); "
                        "compute the sum of the weights separately")
    axis = check_axis(axis, "average", x.ndim)
    if weights is None:
        return x.mean(axis=axis, keepdims=keepdims)
    w = weights if is_node(weights) else np.asarray(weights)
    if w.shape != x.shape:  # numpy's rule: weights along `axis` only
        if axis is None:
            raise TypeError(f"average: weights of shape {w.shape} differ from x's shape "
                            f"{x.shape}, so axis must be given")
        axes = _axes(axis, x.ndim)
        if w.shape != tuple(x.shape[a] for a in axes):
            raise ValueError(f"average: weights of shape {w.shape} must have x's shape "
                             f"{x.shape} or its sizes along axis {axis}")
        w = w.transpose(tuple(int(i) for i in np.argsort(axes)))
        w = w.reshape(tuple(n if i in axes else 1 for i, n in enumerate(x.shape)))
    total = w.sum(axis=axis, keepdims=keepdims)
    if np.any(raw(total) == 0):
        raise ZeroDivisionError("average: the weights sum to zero, can't be normalized")
    return (x * w).sum(axis=axis, keepdims=keepdims) / total


AVERAGE = Op("average", "composite",
             "Σ w·x / Σ w over `axis` (numpy.average; no weights: the mean); gradients reach x "
             "and, if they are a Tensor, the weights. Weights of x's shape, or 1-D (a tuple "
             "axis: shaped like x along it) with `axis`; returned=True is not supported.",
             compose=_average, method=None, numpy=np.average)


def _ptp(x: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    """max − min over `axis`."""
    return x.max(axis=axis, keepdims=keepdims) - x.min(axis=axis, keepdims=keepdims)


PTP = Op("ptp", "composite",
         "max − min over `axis` (numpy.ptp, \"peak to peak\"); the gradients of max and min: "
         "ties split evenly (a constant slice: 0), nan entries take the gradient.",
         compose=_ptp, method=None, numpy=np.ptp)


def _nan_free(x: Any) -> tuple[Any, np.ndarray]:
    """x with its nan entries replaced by 0 (a `where`, so they get gradient 0), and the mask
    of the entries that are numbers."""
    numbers = ~np.isnan(raw(x))
    return (where_of(numbers, x, 0) if not numbers.all() else x), numbers


def _nansum(x: Any, axis: Axis = None, dtype: Any = None, keepdims: bool = False) -> Any:
    """Σ x over `axis`, nan entries counted as 0."""
    axis = check_axis(axis, "nansum", x.ndim)
    clean, _ = _nan_free(_cast(x, dtype))
    return clean.sum(axis=axis, keepdims=keepdims)


def _nanmean(x: Any, axis: Axis = None, dtype: Any = None, keepdims: bool = False) -> Any:
    """The mean over `axis` of the entries that are not nan."""
    axis = check_axis(axis, "nanmean", x.ndim)
    clean, numbers = _nan_free(_cast(x, dtype))
    count = np.asarray(numbers.sum(axis=axis, keepdims=keepdims))
    dtype = clean.dtype if clean.dtype.kind == "f" else np.float64
    scale = np.full(count.shape, np.nan, dtype=dtype)  # 1/count, nan for an all-nan slice
    np.divide(1, count, out=scale, where=count > 0)
    return clean.sum(axis=axis, keepdims=keepdims) * scale


NANSUM = Op("nansum", "composite",
            "Σ x over `axis` with nan entries counted as 0 (numpy.nansum); nan entries get "
            "gradient 0, the others ḡ.",
            compose=_nansum, method=None, numpy=np.nansum)


NANMEAN = Op("nanmean", "composite",
             "The mean over `axis` of the entries that are not nan (numpy.nanmean; an all-nan "
             "slice gives nan, without numpy's warning); nan entries get gradient 0, the others "
             "ḡ/count.",
             compose=_nanmean, method=None, numpy=np.nanmean)


def _trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None) -> Any:
    """Σ of the diagonal `offset` of the planes (axis1, axis2)."""
    if x.ndim < 2:
        raise ValueError(f"trace: x needs at least 2 dimensions, got shape {x.shape}")
    a1, a2 = check_axis((axis1, axis2), "trace", x.ndim)
    a1, a2 = a1 % x.ndim, a2 % x.ndim
    perm = tuple(i for i in range(x.ndim) if i not in (a1, a2)) + (a1, a2)
    planes = _cast(x, dtype).transpose(perm)
    rows, cols = planes.shape[-2:]
    offset = check_int(offset, "trace", "offset")
    i = np.arange(max(0, min(rows + min(offset, 0), cols - max(offset, 0))))
    return planes[..., i - min(offset, 0), i + max(offset, 0)].sum(axis=-1)


TRACE = Op("trace", "composite",
           "The sum of the diagonal `offset` (above the main one if positive) of the planes "
           "(axis1, axis2), as numpy.trace; x̄ = ḡ on that diagonal, 0 elsewhere.",
           compose=_trace, numpy=np.trace)


def _diff(x: Any, n: int = 1, axis: int = -1, prepend: Any = None, append: Any = None) -> Any:
    """The n-th differences x[i+1] − x[i] along `axis`."""
    if x.ndim == 0:
        raise ValueError("diff: x must have at least one dimension")
    if n < 0:
        raise ValueError(f"diff: order n must be non-negative, got {n}")
    axis = check_axis(axis, "diff", x.ndim) % x.ndim
    if prepend is not None or append is not None:
        from .shape import CONCAT  # here: shape.py imports this module's axis checks
        parts = []
        for extra in (prepend, x, append):
            if extra is None:
                continue
            extra = x._lift(extra, x)
            if extra.ndim == 0:  # a scalar is one slice of x along `axis`
                extra = extra.reshape((1,) * x.ndim).broadcast_to(
                    x.shape[:axis] + (1,) + x.shape[axis + 1:])
            parts.append(extra)
        x = apply(CONCAT.prim, *parts, axis=axis)
    lead = (slice(None),) * axis
    for _ in range(n):
        x = x[lead + (slice(1, None),)] - x[lead + (slice(None, -1),)]
    return x


DIFF = Op("diff", "composite",
          "The n-th differences x[i+1] − x[i] along `axis` (numpy.diff, with prepend/append); "
          "linear, so x̄ is the differences' adjoint (ḡ[i−1] − ḡ[i], n times).",
          compose=_diff, method=None, numpy=np.diff)


# --- norms: numpy.linalg.norm ---------------------------------------------------------------------

def _pnorm_forward(x: np.ndarray, p: float, axis: Axis, keepdims: bool) -> np.ndarray:
    """(Σ |x|^p)^(1/p) over `axis`, computed as numpy.linalg.norm does."""
    if p == 2:
        return np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))
    with np.errstate(divide="ignore"):  # p < 0: |0|^p = inf, and the norm is 0 (its limit)
        return np.sum(np.abs(x) ** p, axis=axis, keepdims=keepdims) ** (1 / p)


def _pnorm_vjp(g: Any, out: Any, x: Any, p: float, axis: Axis, keepdims: bool) -> Any:
    """x̄ = ḡ·sign(x)·|x|^(p−1)/‖x‖^(p−1) (ḡ·x/‖x‖ for p = 2); 0 where ‖x‖ = 0 and, for
    other p, at entries equal to 0 (where |x|^(p−1) is infinite for p < 1), as PyTorch."""
    norm = kept(out, x.shape, axis, keepdims)
    zero = np.asarray(raw(norm) == 0)
    safe = where_of(zero, 1, norm) if zero.any() else norm
    if p == 2:
        grad = x / safe
    else:
        at0 = np.asarray(raw(x) == 0)
        size = abs(x)
        size = where_of(at0, 1, size) if at0.any() else size
        grad = piecewise(np.sign, x) * size ** (p - 1) / safe ** (p - 1)
    grad = kept(g, x.shape, axis, keepdims) * grad
    return where_of(zero, 0, grad) if zero.any() else grad


PNORM = Op("pnorm", "internal",
           "The vector p-norm (Σ |x|^p)^(1/p) over `axis` (2: the Euclidean and Frobenius "
           "norms); x̄ = ḡ·x/‖x‖ for p = 2, ḡ·sign(x)·|x|^(p−1)/‖x‖^(p−1) otherwise; 0 where "
           "‖x‖ = 0 and at zero entries (as PyTorch), to every order.",
           forward=_pnorm_forward, vjps=(_pnorm_vjp,), method=None, function=None)


def _svd(x: np.ndarray, which: str, axes: tuple[int, int]) -> tuple[np.ndarray, ...]:
    """U, s, Vᵀ of the matrices in the planes `axes`, and the weight w of each singular value
    in the norm: 1 for the nuclear norm, the max (min) shared evenly among its ties."""
    u, s, vh = np.linalg.svd(np.moveaxis(x, axes, (-2, -1)), full_matrices=False)
    if which == "nuc":
        return u, s, vh, np.ones_like(s)
    pick = s == (np.max if which == "max" else np.min)(s, axis=-1, keepdims=True)
    return u, s, vh, (pick / pick.sum(axis=-1, keepdims=True)).astype(s.dtype)


def _svd_grad_forward(x: np.ndarray, which: str, axes: tuple[int, int]) -> Any:
    """U·diag(w)·Vᵀ, the gradient of Σ wᵢσᵢ(x); saves the SVD for the VJP."""
    u, s, vh, w = parts = _svd(x, which, axes)
    return np.moveaxis((u * w[..., None, :]) @ vh, (-2, -1), axes), parts


def _svd_grad_vjp(g: Any, out: Any, x: Any, which: str, axes: tuple[int, int],
                  saved: Any) -> Any:
    """The adjoint of G = U·diag(w)·Vᵀ (the second derivative of the nuclear and spectral
    norms). With B = UᵀḠV: x̄ = U·(P∘B + (R∘B)ᵀ)·Vᵀ + (I − UUᵀ)·Ḡ·V·D·Vᵀ + U·D·Uᵀ·Ḡ·(I − VVᵀ),
    where P[i,j] = (σⱼwⱼ − σᵢwᵢ)/(σⱼ² − σᵢ²), R[i,j] = (σᵢwⱼ − σⱼwᵢ)/(σⱼ² − σᵢ²) (for wᵢ = wⱼ:
    ±wᵢ/(σᵢ + σⱼ)) and D = diag(w/σ); terms whose denominator is 0 (repeated or zero singular
    values, where the norm has no second derivative) are taken as 0."""
    if is_node(g):
        raise NotImplementedError(
            "norm: third and higher derivatives of the nuclear and spectral norms (ord='nuc', "
            "2, -2) are not supported; first and second derivatives are")
    u, s, vh, w = saved
    gm = np.moveaxis(g, axes, (-2, -1))
    v, ut = vh.swapaxes(-1, -2), u.swapaxes(-1, -2)
    b = ut @ gm @ v
    si, sj, wi, wj = s[..., :, None], s[..., None, :], w[..., :, None], w[..., None, :]

    def ratio(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
        top, bottom = np.broadcast_arrays(top, bottom)
        return np.divide(top, bottom, out=np.zeros(top.shape, s.dtype), where=bottom != 0)

    same = wi == wj
    p = np.where(same, ratio(wi, si + sj), ratio(sj * wj - si * wi, sj * sj - si * si))
    r = np.where(same, -ratio(wi, si + sj), ratio(si * wj - sj * wi, sj * sj - si * si))
    d = ratio(w, s)
    grad = u @ (p * b + (r * b).swapaxes(-1, -2)) @ vh
    gv, utg = gm @ v, ut @ gm
    grad += ((gv - u @ (ut @ gv)) * d[..., None, :]) @ vh
    grad += u @ (d[..., :, None] * (utg - (utg @ v) @ vh))
    return np.moveaxis(grad, (-2, -1), axes)


SVD_GRAD = Op("svd_grad", "internal",
              "U·diag(w)·Vᵀ over the planes `axes`: the gradient of the nuclear norm (w = 1) or "
              "of the extreme singular value (w picks it, ties sharing), recorded so that those "
              "norms have second derivatives.",
              forward=_svd_grad_forward, vjps=(_svd_grad_vjp,), method=None, function=None,
              saves=True)


def _svd_norm_forward(x: np.ndarray, which: str, axes: tuple[int, int],
                      keepdims: bool) -> np.ndarray:
    s = np.linalg.svd(np.moveaxis(x, axes, (-2, -1)), compute_uv=False)
    out = {"nuc": np.sum, "max": np.max, "min": np.min}[which](s, axis=-1)
    return np.reshape(out, kept_shape(x.shape, axes)) if keepdims else out


def _svd_norm_vjp(g: Any, out: Any, x: Any, which: str, axes: tuple[int, int],
                  keepdims: bool) -> Any:
    """x̄ = ḡ·U·diag(w)·Vᵀ (a recorded `svd_grad` on Tensors)."""
    grad = apply(SVD_GRAD.prim, x, which=which, axes=axes) if is_node(x) else \
        _svd_grad_forward(x, which, axes)[0]
    return kept(g, x.shape, axes, keepdims) * grad


SVD_NORM = Op("svd_norm", "internal",
              "A norm of the singular values σ of the matrices in the planes `axes`: Σσ "
              "(nuclear), max σ (spectral, numpy's ord=2) or min σ (ord=-2); x̄ = ḡ·U·diag(w)·Vᵀ "
              "with w = 1 (nuclear: U·Vᵀ, a subgradient where x is rank-deficient) or w = 1 at "
              "the extreme σ, ties sharing it evenly (as PyTorch).",
              forward=_svd_norm_forward, vjps=(_svd_norm_vjp,), method=None, function=None)


def _norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """numpy.linalg.norm: a vector norm over one axis, a matrix norm over two."""
    if x.dtype.kind != "f":  # numpy computes the norms of integers in float64
        x = x.astype(np.float64)
    if axis is None:
        if ord is None:  # the 2-norm of all entries, any number of dimensions
            return apply(PNORM.prim, x, p=2.0, axis=None, keepdims=bool(keepdims))
        if x.ndim not in (1, 2):
            raise ValueError(f"norm: ord={ord!r} needs a vector or a matrix (or axis), got "
                             f"shape {x.shape}")
        axis = tuple(range(x.ndim))
    axes = _axes(check_axis(axis, "norm", x.ndim), x.ndim)
    if len(axes) == 1:
        return _vector_norm(x, ord, axes[0], bool(keepdims))
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, bool(keepdims))  # type: ignore[arg-type]
    raise ValueError(f"norm: axis {axis!r} must name one axis (a vector norm) or two (a "
                     "matrix norm)")


def _vector_norm(x: Any, ord: Any, axis: int, keepdims: bool) -> Any:
    if isinstance(ord, str):
        raise ValueError(f"norm: invalid norm order {ord!r} for vectors")
    if ord is None or ord == 2:
        return apply(PNORM.prim, x, p=2.0, axis=axis, keepdims=keepdims)
    if ord == math.inf:
        return abs(x).max(axis=axis, keepdims=keepdims)
    if ord == -math.inf:
        return abs(x).min(axis=axis, keepdims=keepdims)
    if ord == 0:  # how many entries are not 0: piecewise constant, gradient 0
        return piecewise(lambda xr: xr != 0, x).sum(axis=axis, keepdims=keepdims)
    if ord == 1:
        return abs(x).sum(axis=axis, keepdims=keepdims)
    return apply(PNORM.prim, x, p=float(ord), axis=axis, keepdims=keepdims)


def _matrix_norm(x: Any, ord: Any, axes: tuple[int, int], keepdims: bool) -> Any:
    row, col = axes
    if ord in (None, "fro", "f"):
        return apply(PNORM.prim, x, p=2.0, axis=axes, keepdims=keepdims)
    if ord in ("nuc", 2, -2):
        which = {"nuc": "nuc", 2: "max", -2: "min"}[ord]
        return apply(SVD_NORM.prim, x, which=which, axes=axes, keepdims=keepdims)
    if ord in (1, -1, math.inf, -math.inf):  # the max (min) absolute column (row) sum
        summed, over = (row, col) if ord in (1, -1) else (col, row)
        sums = abs(x).sum(axis=summed, keepdims=True)
        out = sums.max(axis=over, keepdims=True) if ord > 0 else \
            sums.min(axis=over, keepdims=True)
        return _dropped(out, axes, keepdims)
    raise ValueError(f"norm: invalid norm order {ord!r} for matrices")


NORM = Op("norm", "composite",
          "numpy.linalg.norm(x, ord, axis, keepdims). Vectors (one axis, or x 1-D): ord None/2 "
          "(Euclidean; x̄ = ḡ·x/‖x‖, 0 at x = 0 as PyTorch), 1 (Σ|x|, abs'(0) = 0), inf/-inf "
          "(max/min |x|, ties split evenly), 0 (the count of nonzero entries, gradient 0) or "
          "any p (0 at zero entries and at ‖x‖ = 0). Matrices (two axes, or x 2-D): 'fro' "
          "(as 2 for vectors), 'nuc' (Σσ; x̄ = ḡ·U·Vᵀ), 2/-2 (max/min σ; x̄ = ḡ·u·vᵀ of that "
          "singular value, ties sharing it evenly), 1/-1/inf/-inf (max/min absolute column/row "
          "sum, ties split evenly). No axis and no ord: the 2-norm of all entries. Second "
          "derivatives everywhere; third and higher of 'nuc' and ±2 are not supported.",
          compose=_norm, function="norm", method=None, numpy=np.linalg.norm)


def _gradient(f: Any, *varargs: Any, axis: Any = None, edge_order: int = 1) -> Any:
    """numpy.gradient with scalar spacings: central differences (f[i+1] − f[i−1]) / 2h inside,
    one-sided (f[1] − f[0]) / h and (f[−1] − f[−2]) / h at the ends (edge_order=1)."""
    if edge_order != 1:
        raise TypeError("gradient: only edge_order=1 is supported on Tensors")
    axes = list(range(f.ndim)) if axis is None else \
        [a % f.ndim for a in ((axis,) if isinstance(axis, int) else axis)]
    spacings = varargs if len(varargs) == len(axes) else (varargs * len(axes) if varargs
                                                          else (1.0,) * len(axes))
    if len(spacings) != len(axes) or any(np.ndim(h) for h in spacings):
        raise TypeError("gradient: on Tensors the spacing must be one number per axis")
    pieces = []
    for a, h in zip(axes, spacings, strict=True):
        if f.shape[a] < 2:
            raise ValueError(f"gradient: axis {a} has {f.shape[a]} element(s); at least 2 "
                             "are needed")
        lead = (slice(None),) * a
        first = (f[lead + (slice(1, 2),)] - f[lead + (slice(0, 1),)]) / h
        last = (f[lead + (slice(-1, None),)] - f[lead + (slice(-2, -1),)]) / h
        parts = [first, last] if f.shape[a] == 2 else \
            [first, (f[lead + (slice(2, None),)] - f[lead + (slice(None, -2),)]) / (2 * h), last]
        pieces.append(_concat_parts(parts, a))
    return pieces[0] if len(pieces) == 1 else tuple(pieces)


def _concat_parts(parts: list[Any], axis: int) -> Any:
    from .shape import CONCAT  # noqa: PLC0415 (shape imports this module's axis checks)
    return apply(CONCAT.prim, *parts, axis=axis)


GRADIENT = Op("gradient", "composite", "numpy.gradient (scalar spacings, edge_order=1): "
              "differences of slices, so its gradient is theirs.", compose=_gradient,
              method=None, numpy=np.gradient)
