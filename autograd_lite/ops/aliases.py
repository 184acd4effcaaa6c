"""PyTorch's names for ops the other families declare under numpy's names (`unsqueeze`,
`permute`, `view`, ...): composites, so each is one line over an op declared elsewhere.

numpy's names stay primary: no alias changes what a numpy name means (`max`/`min` return
values, `argmax`/`argmin` take `axis`; PyTorch's `dim` is accepted as its alias). PyTorch's
keyword `dim` is the only argument name added; the positional forms are PyTorch's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..opdef import Op, is_node
from ..validate import check_axis, check_int
from .selection import raw, where_of
from .shape import _shape_arg


def _dim(x: Any, dim: Any, op: str, extra: int = 0) -> int:
    """`dim` as a non-negative axis of x (of x with `extra` more axes, for unsqueeze)."""
    ndim = x.ndim + extra
    dim = check_int(dim, op, "dim")
    if not -ndim <= dim < max(ndim, 1):  # AxisError: both an IndexError (PyTorch's) and a
        raise np.exceptions.AxisError(  # ValueError (numpy's, and this library's rule)
            f"{op}: dim {dim} is out of range for a tensor of shape {x.shape} "
            f"(expected a dim in [{-ndim}, {max(ndim, 1) - 1}])")
    return int(dim) % max(ndim, 1)


def _unsqueeze(x: Any, dim: int) -> Any:
    d = _dim(x, dim, "unsqueeze", extra=1)
    return x.reshape(x.shape[:d] + (1,) + x.shape[d:])


def _expanded(x: Any, sizes: tuple[Any, ...]) -> tuple[int, ...]:
    """PyTorch's `expand` sizes as a shape: −1 keeps a size; new axes go in front."""
    sizes = _shape_arg(sizes)
    new = len(sizes) - x.ndim
    if new < 0:
        raise ValueError(f"expand: {len(sizes)} sizes {sizes} for a tensor of shape {x.shape}: "
                         f"give at least {x.ndim} (one per dimension)")
    if any(s == -1 for s in sizes[:new]):
        raise ValueError(f"expand: size -1 is not allowed for a new leading dimension "
                         f"(sizes {sizes}, shape {x.shape})")
    return sizes[:new] + tuple(n if s == -1 else s for n, s in zip(x.shape, sizes[new:],
                                                                   strict=True))


def _broadcasts_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def _masked_fill(x: Any, mask: Any, value: Any) -> Any:
    """`value` where `mask` (bool, broadcast to x's shape), x elsewhere: the gradient reaches
    only the entries kept (and a Tensor `value`, summed over the filled entries)."""
    m = np.array(raw(mask))  # a copy: the VJP reads it later
    if m.dtype != bool:
        raise TypeError(f"masked_fill: mask must be boolean, got dtype {m.dtype}")
    if not _broadcasts_to(m.shape, x.shape):
        raise ValueError(f"masked_fill: mask of shape {m.shape} does not broadcast to the "
                         f"tensor's shape {x.shape}")
    if not is_node(value):  # a number takes x's dtype (PyTorch)
        return where_of(m, x._lift(np.asarray(value, dtype=x.dtype)), x)
    if value.ndim:
        raise ValueError(f"masked_fill: value must be a number or a 0-d tensor, got shape "
                         f"{value.shape}")
    return where_of(m, value if value.dtype == x.dtype else value.astype(x.dtype), x)


def _chunk(x: Any, chunks: int, dim: int = 0) -> tuple[Any, ...]:
    """PyTorch's sizes: ⌈n/chunks⌉ each, the last smaller, and fewer chunks if n is small."""
    if isinstance(chunks, bool) or not isinstance(chunks, (int, np.integer)) or chunks < 1:
        raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
    d = _dim(x, dim, "chunk")
    n, lead = x.shape[d], (slice(None),) * d
    if n == 0:  # PyTorch: `chunks` empty pieces
        return tuple(x[lead + (slice(0, 0),)] for _ in range(int(chunks)))
    size = -(-n // int(chunks))
    return tuple(x[lead + (slice(i, i + size),)] for i in range(0, n, size))


def _arg_extreme(fn: Any, name: str) -> Any:
    def compose(x: Any, axis: Any = None, *, dim: Any = None, keepdims: bool = False,
                keepdim: bool | None = None) -> Any:
        if dim is not None:
            if axis is not None:
                raise TypeError(f"{name}: got axis={axis} and dim={dim}; give only one")
            axis = dim
        if isinstance(axis, (tuple, list)):
            raise TypeError(f"{name}: axis must be None or an int, got {axis!r}")
        axis = check_axis(axis, name, x.ndim)
        keep = bool(keepdims if keepdim is None else keepdim)
        return x._lift(fn(raw(x), axis=axis, keepdims=keep).astype(np.int64))  # a constant
    compose.__name__ = name
    return compose


UNSQUEEZE = Op("unsqueeze", "composite", "x with a size-1 axis inserted at `dim` (PyTorch's "
               "name for numpy's expand_dims): a reshape.", compose=_unsqueeze)


VIEW = Op("view", "composite", "PyTorch's name for reshape (`view(2, 3)` or `view((2, 3))`).",
          compose=lambda x, *shape: x.reshape(*shape), function=None)


EXPAND = Op("expand", "composite", "x broadcast to `sizes` (−1 keeps a size; new axes in "
            "front): broadcast_to, whose gradient sums back.",
            compose=lambda x, *sizes: x.broadcast_to(_expanded(x, sizes)), function=None)


PERMUTE = Op("permute", "composite", "x with its axes in the order `dims` (a permutation of "
             "all of them): transpose.",
             compose=lambda x, *dims: x.transpose(_shape_arg(dims)))


CLONE = Op("clone", "composite", "A recorded copy of x (new memory; the gradient flows "
           "through): astype to its own dtype.", compose=lambda x: x.astype(x.dtype))


MATMUL_METHOD = Op("matmul_method", "composite", "x @ other, as a method (PyTorch's name).",
                   compose=lambda x, other: x @ other, method="matmul", function=None)


POW = Op("pow", "composite", "x ** exponent (PyTorch's name for power).",
         compose=lambda x, exponent: x ** exponent)


MASKED_FILL = Op("masked_fill", "composite", "`value` where the boolean `mask` is true, else "
                 "x: where(mask, value, x); no gradient to the filled entries.",
                 compose=_masked_fill)


CHUNK = Op("chunk", "composite", "x split along `dim` into `chunks` pieces of ⌈n/chunks⌉ "
           "(the last smaller, fewer pieces if n is small), as torch.chunk: a tuple of slices.",
           compose=_chunk)


ARGMAX = Op("argmax", "composite", "Index of the max along `axis` (None: of the flattened "
            "tensor; `dim` is PyTorch's alias), first on ties: a constant int64 Tensor.",
            compose=_arg_extreme(np.argmax, "argmax"))


ARGMIN = Op("argmin", "composite", "Index of the min along `axis` (None: of the flattened "
            "tensor; `dim` is PyTorch's alias), first on ties: a constant int64 Tensor.",
            compose=_arg_extreme(np.argmin, "argmin"))
