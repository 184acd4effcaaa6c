"""Reductions along axes (`sum mean max min logsumexp softmax log_softmax`, composite `var`)
and the fused loss `cross_entropy`, with the axis checks they share."""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..opdef import Op, dual, is_node, piecewise
from .selection import Lift, broadcast_to_of, raw

Axis = int | tuple[int, ...] | None


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


def reduce_params(op: str) -> Callable[..., dict[str, Any]]:
    def params(x: Any, axis: Axis = None, keepdims: bool = False) -> dict[str, Any]:
        return {"axis": check_axis(axis, op, x.ndim), "keepdims": bool(keepdims)}
    params.__name__ = f"{op}_params"
    return params


def _axis_param(x: Any, axis: int = -1) -> dict[str, Any]:
    return {"axis": int(axis)}


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
    """The gradient goes to the entries equal to the max (min), split evenly among ties."""
    extreme = kept(raw(out), x.shape, axis, keepdims)

    def share(xr: np.ndarray) -> np.ndarray:
        hit = xr == extreme
        return hit / hit.sum(axis=axis, keepdims=True)

    return kept(g, x.shape, axis, keepdims) * piecewise(share, x)


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
               broadcast_to_of(kept(g, x.shape, axis, keepdims), x.shape),),
         params=reduce_params("sum"), numpy=np.sum)


MEAN = Op("mean", "reduction", "The mean of x over `axis` (None: all); x̄ = ḡ/n everywhere.",
          forward=lambda x, axis, keepdims: np.mean(x, axis=axis, keepdims=keepdims),
          vjps=(lambda g, out, x, axis, keepdims:
                broadcast_to_of(kept(g, x.shape, axis, keepdims) * (out.size / builtins.max(
                    x.size, 1)), x.shape),),  # 1/n per element (nothing to share if empty)
          params=reduce_params("mean"), numpy=np.mean)


MAX = Op("max", "reduction", "The max of x over `axis`; ties split the gradient evenly.",
         forward=lambda x, axis, keepdims: np.max(x, axis=axis, keepdims=keepdims),
         vjps=(_extreme_vjp,), params=reduce_params("max"), numpy=np.max)


MIN = Op("min", "reduction", "The min of x over `axis`; ties split the gradient evenly.",
         forward=lambda x, axis, keepdims: np.min(x, axis=axis, keepdims=keepdims),
         vjps=(_extreme_vjp,), params=reduce_params("min"), numpy=np.min)


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
             params=_axis_param)


LOG_SOFTMAX = Op("log_softmax", "reduction",
                 "x − logsumexp(x) along `axis`, computed stably; x̄ = ḡ − softmax·Σ ḡ.",
                 forward=_log_softmax_forward,
                 vjps=(lambda g, out, x, axis: g - exp_of(out) * g.sum(axis=axis, keepdims=True),),
                 params=_axis_param)


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


def _var(x: Any, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Any:
    """Σ (x − mean)² / (n − ddof), a composite of mean, sub, mul and sum."""
    axis = check_axis(axis, "var", x.ndim)
    reduced = range(x.ndim) if axis is None else (axis,) if isinstance(axis, int) else axis
    n = int(np.prod([x.shape[a] for a in reduced]))
    if n - ddof <= 0:
        raise ValueError(f"var: ddof={ddof} leaves no degrees of freedom for {n} values")
    d = x - x.mean(axis=axis, keepdims=True)
    return (d * d).sum(axis=axis, keepdims=keepdims) / (n - ddof)


VAR = Op("var", "composite", "Σ (x − mean)² / (n − ddof) over `axis`.", compose=_var, numpy=np.var)
