"""Shape ops: `reshape transpose concat stack` and the cast `astype`; composites `flatten`
and `swapaxes`."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..opdef import Op, is_node
from .selection import Lift


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


RESHAPE = Op("reshape", "shape", "The same values in a new shape (`reshape(2, 3)` or "
             "`reshape((2, 3))`, one size may be −1); x̄ = ḡ reshaped back.",
             forward=lambda x, shape: np.reshape(x, shape),
             vjps=(lambda g, out, x, shape: g.reshape(x.shape),), params=_reshape_params,
             numpy=np.reshape)


TRANSPOSE = Op("transpose", "shape", "Axes permuted (no axes: reversed, like `.T`); x̄ = ḡ with "
               "the inverse permutation.",
               forward=lambda x, axes: np.transpose(x, axes),
               vjps=(lambda g, out, x, axes: g.transpose(
                   None if axes is None else tuple(np.argsort(axes))),),
               params=_transpose_params, numpy=np.transpose)


CONCAT = Op("concat", "shape", "Tensors joined along an existing axis (numpy.concatenate); "
            "each input's gradient is its slice of ḡ.",
            forward=lambda *xs, axis: np.concatenate(xs, axis=axis), joint=_concat_vjp,
            front=lambda lift, ts, axis=0: (_tensors(lift, ts, "concat"), {"axis": int(axis)}),
            method=None, numpy=np.concatenate)


STACK = Op("stack", "shape", "Same-shaped tensors joined along a new axis (numpy.stack).",
           forward=lambda *xs, axis: np.stack(xs, axis=axis), joint=_stack_vjp,
           front=lambda lift, ts, axis=0: (_tensors(lift, ts, "stack"), {"axis": int(axis)}),
           method=None, numpy=np.stack)


CAST = Op("cast", "internal", "x as `dtype`; to an integer or bool dtype the result is a "
          "constant (no gradient).",
          forward=lambda x, dtype: x.astype(dtype),
          vjps=(lambda g, out, x, dtype: g.astype(x.dtype),),
          params=lambda x, dtype: {"dtype": np.dtype(dtype)}, method="astype", function=None,
          floating=False)


def _swapaxes(x: Any, axis1: int, axis2: int) -> Any:
    axes = list(range(x.ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return x.transpose(axes)


FLATTEN = Op("flatten", "composite", "x as one axis: reshape(−1).",
             compose=lambda x: x.reshape(-1), function=None, numpy=np.ravel)


SWAPAXES = Op("swapaxes", "composite", "x with axes `axis1` and `axis2` exchanged.",
              compose=_swapaxes, numpy=np.swapaxes)
