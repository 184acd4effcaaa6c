"""Shape and indexing ops, under numpy's names and signatures.

Primitives: `reshape transpose concat stack` and the cast `astype`. Every other op here is a
composite of those and of selection's `getitem`, `scatter`, `setitem`, `where` and
`broadcast_to`, so none has a VJP of its own to get wrong, and all are differentiable to any
order:

    reshaping     squeeze expand_dims ravel flatten atleast_1d/2d/3d
    axes          swapaxes moveaxis rollaxis
    reordering    flip fliplr flipud roll rot90
    repeating     tile repeat broadcast_arrays pad
    splitting     split array_split hsplit vsplit dsplit           (lists of slices)
    joining       concatenate hstack vstack dstack column_stack    (concat after atleast_nd)
    diagonals     diag diagonal triu tril
    indexing      take take_along_axis put_along_axis sort partition

Integer indices are computed on the values (constants of the gradient): `sort` and
`partition` are a gather along the permutation numpy's stable sort finds, so a tied value's
gradient goes to the input that numpy's stable order puts in that place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..engine import apply
from ..opdef import Op, is_node
from ..validate import check_axis, check_dtype, check_int, check_shape
from . import selection
from .selection import Lift, raw, where_of

# --- arguments --------------------------------------------------------------------------------


def _shape_arg(shape: tuple[Any, ...], op: str = "reshape") -> tuple[int, ...]:
    """`reshape(2, 3)` and `reshape((2, 3))` both mean (2, 3); sizes must be integers, at
    most one of them -1."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, np.ndarray)):
        shape = tuple(shape[0])
    return check_shape(shape, op, unknown=True)


def _axis(axis: Any, op: str, ndim: int) -> int:
    """One axis as a non-negative int; numpy's AxisError, naming the op, if out of range."""
    if axis is None or isinstance(axis, (tuple, list)):
        raise TypeError(f"{op}: axis must be an int, got {axis!r}")
    return check_axis(axis, op, ndim) % ndim  # type: ignore[operator]


def _axes(axis: Any, op: str, ndim: int) -> tuple[int, ...]:
    """An int or a sequence of distinct ints as non-negative axes of `ndim` axes."""
    axes = check_axis(tuple(axis) if isinstance(axis, (list, tuple)) else axis, op, ndim)
    return tuple(a % ndim for a in ((axes,) if isinstance(axes, int) else axes))  # type: ignore[union-attr]


def _along(axis: int, index: Any) -> tuple[Any, ...]:
    """The index that applies `index` to axis `axis` (every earlier axis whole)."""
    return (slice(None),) * axis + (index,)


def _int_array(values: Any, op: str, what: str = "indices") -> np.ndarray:
    """Integer indices as an array (a copy: the VJP reads it later); a Tensor gives its values."""
    array = np.array(raw(values))
    if array.dtype.kind not in "iu" and array.size:  # (an empty list is float64 in numpy)
        raise TypeError(f"{op}: {what} must be integers, got dtype {array.dtype}")
    return array.astype(np.intp)


def _lifted(like: Any, x: Any) -> Any:
    """`x` as a Tensor (arrays and numbers as constants, lists through numpy); a Python
    number takes the dtype of the tensor `like`."""
    if is_node(x):
        return x
    return like._lift(np.asarray(x) if isinstance(x, (list, tuple)) else x, like)


# --- primitives -------------------------------------------------------------------------------


def _reshape_params(x: Any, *shape: Any, order: str = "C", copy: Any = None,
                    **named: Any) -> dict[str, Any]:
    """numpy's `reshape(a, shape, order)` and ndarray's `reshape(*shape, order)`; order "F"
    reads and writes in Fortran order ("A": as x's memory), and so does the VJP."""
    if named:
        shape = (named.pop("shape", named.pop("newshape", None)),) + shape
        if named or shape[0] is None:
            raise TypeError(f"reshape: unexpected arguments {sorted(named) or 'None'}")
    if order != "C" and _memory_order(x, order, "reshape", allow_k=False) == "F":
        return {"shape": _shape_arg(shape), "order": "F"}
    return {"shape": _shape_arg(shape)}


def _transpose_params(x: Any, *args: Any, axes: Any = None) -> dict[str, Any]:
    """Permute axes (no axes: reverse them, like `.T`); negative axes count from the end."""
    if args and axes is not None:
        raise TypeError("transpose: give the axes positionally or as axes=, not both")
    if axes is not None:
        args = (axes,)
    if not args or args == (None,):
        return {"axes": None}
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    order = tuple(check_int(a, "transpose", "axes entry") for a in args)
    if sorted(a % x.ndim if -x.ndim <= a < x.ndim else a for a in order) != list(range(x.ndim)):
        raise ValueError(f"transpose: axes {order} are not a permutation of the {x.ndim} axes "
                         f"of a tensor of shape {x.shape}")
    return {"axes": tuple(a % x.ndim for a in order)}


def _tensors(lift: Lift, ts: Any, op: str) -> tuple[Any, ...]:
    if is_node(ts) or not isinstance(ts, (list, tuple)) or not ts:
        raise TypeError(f"{op}: expected a non-empty list or tuple of tensors")
    like = next((t for t in ts if is_node(t)), None)
    return tuple(lift(np.asarray(t) if isinstance(t, (list, tuple)) else t, like) for t in ts)


def _cast_all(ts: tuple[Any, ...], dtype: Any, casting: str, op: str) -> tuple[Any, ...]:
    """numpy's `dtype=` and `casting=` of the joining functions: each input cast (recorded)."""
    if dtype is None:
        return ts
    dtype = check_dtype(dtype, op)
    for t in ts:
        if not np.can_cast(t.dtype, dtype, casting):  # type: ignore[arg-type]
            raise TypeError(f"{op}: cannot cast dtype {t.dtype} to {dtype} according to the "
                            f"rule {casting!r}")
    return tuple(t if t.dtype == dtype else t.astype(dtype) for t in ts)


def _concat_front(lift: Lift, arrays: Any, axis: Any = 0, *, dtype: Any = None,
                  casting: str = "same_kind") -> tuple[tuple[Any, ...], dict[str, Any]]:
    """numpy.concatenate's arguments: axis=None joins the flattened inputs."""
    ts = _cast_all(_tensors(lift, arrays, "concat"), dtype, casting, "concat")
    if axis is None:
        return tuple(t.reshape(-1) for t in ts), {"axis": 0}
    return ts, {"axis": check_int(axis, "concat", "axis")}


def _stack_front(lift: Lift, arrays: Any, axis: Any = 0, *, dtype: Any = None,
                 casting: str = "same_kind") -> tuple[tuple[Any, ...], dict[str, Any]]:
    return _cast_all(_tensors(lift, arrays, "stack"), dtype, casting, "stack"), \
        {"axis": check_int(axis, "stack", "axis")}


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
             "`reshape((2, 3))`, one size may be −1; `order=\"F\"` reads and writes in Fortran "
             "order); x̄ = ḡ reshaped back.",
             forward=lambda x, shape, order="C": np.reshape(x, shape, order=order),
             vjps=(lambda g, out, x, shape, order="C": g.reshape(x.shape, order=order),),
             params=_reshape_params, numpy=np.reshape)


TRANSPOSE = Op("transpose", "shape", "Axes permuted (no axes: reversed, like `.T`); x̄ = ḡ with "
               "the inverse permutation.",
               forward=lambda x, axes: np.transpose(x, axes),
               vjps=(lambda g, out, x, axes: g.transpose(
                   None if axes is None else tuple(np.argsort(axes))),),
               params=_transpose_params, numpy=np.transpose)


CONCAT = Op("concat", "shape", "Tensors joined along an existing axis (numpy.concatenate; "
            "axis=None joins them flattened); each input's gradient is its slice of ḡ.",
            forward=lambda *xs, axis: np.concatenate(xs, axis=axis), joint=_concat_vjp,
            front=_concat_front, method=None, numpy=np.concatenate)


STACK = Op("stack", "shape", "Same-shaped tensors joined along a new axis (numpy.stack).",
           forward=lambda *xs, axis: np.stack(xs, axis=axis), joint=_stack_vjp,
           front=_stack_front, method=None, numpy=np.stack)


CAST = Op("cast", "internal", "x as `dtype`; to an integer or bool dtype the result is a "
          "constant (no gradient).",
          forward=lambda x, dtype: x.astype(dtype),
          vjps=(lambda g, out, x, dtype: g.astype(x.dtype),),
          params=lambda x, dtype: {"dtype": check_dtype(dtype, "astype")}, method="astype",
          function=None,
          floating=False)


def _concat(parts: Sequence[Any], axis: int) -> Any:
    return apply(CONCAT.prim, *parts, axis=axis)


def _joined(name: str, doc: str, front: Callable[..., Any], numpy: Any) -> Op:
    """A join whose inputs are first reshaped (atleast_nd): concat's own primitive, so it is
    recorded, drawn and differentiated as `concat` (a sequence comes first, which a composite,
    whose first argument is lifted to a Tensor, cannot take)."""
    op = Op(name, "shape", doc, forward=CONCAT.forward, joint=_concat_vjp, front=front,
            method=None, numpy=numpy, symbol="concat")
    op.prim = CONCAT.prim
    return op


# --- reshaping ----------------------------------------------------------------------------------


def _memory_order(x: Any, order: Any, op: str, allow_k: bool = True) -> str:
    """numpy's order "C", "F", "A" (F if x's array is Fortran- and not C-contiguous) or "K"."""
    if order is None:  # numpy's None is "C"
        order = "C"
    if order not in ("C", "F", "A", "K") or (order == "K" and not allow_k):
        allowed = "'C', 'F', 'A', or 'K'" if allow_k else "'C', 'F' or 'A'"
        raise ValueError(f"{op}: order must be one of {allowed} (got {order!r})")
    if order == "A":
        data = raw(x)
        return "F" if data.flags.f_contiguous and not data.flags.c_contiguous else "C"
    return order


def _ravel(x: Any, order: str = "C", op: str = "ravel") -> Any:
    order = _memory_order(x, order, op)
    if order == "F":
        return x.transpose().reshape(-1)
    if order == "K":  # the order of x's memory: axes by decreasing |stride| (numpy keeps
        # axes of size 1 or stride 0 in place, and reads negative strides forwards)
        data = raw(x)
        movable = [i for i, n in enumerate(data.shape) if n > 1 and data.strides[i]]
        by_stride = sorted(movable, key=lambda i: -abs(data.strides[i]))
        perm = list(range(data.ndim))
        for place, axis in zip(movable, by_stride, strict=True):
            perm[place] = axis
        if perm != sorted(perm):
            return x.transpose(perm).reshape(-1)
    return x.reshape(-1)


def _squeeze(a: Any, axis: Any = None) -> Any:
    if axis is None:
        return a.reshape(tuple(n for n in a.shape if n != 1))
    if a.ndim == 0:  # numpy lets a 0-d array squeeze its "axis" 0 (or -1)
        for ax in axis if isinstance(axis, (tuple, list)) else (axis,):
            if ax not in (0, -1):
                raise np.exceptions.AxisError(f"squeeze: axis {ax} is out of bounds for "
                                              "array of dimension 0")
        return a.reshape(())
    axes = _axes(axis, "squeeze", a.ndim)
    for ax in axes:
        if a.shape[ax] != 1:
            raise ValueError(f"squeeze: cannot select an axis to squeeze out which has size not "
                             f"equal to one (axis {ax} of a tensor of shape {a.shape})")
    return a.reshape(tuple(n for i, n in enumerate(a.shape) if i not in axes))


def _expand_dims(a: Any, axis: Any) -> Any:
    ndim = a.ndim + (len(axis) if isinstance(axis, (tuple, list)) else 1)
    axes = _axes(axis, "expand_dims", ndim)
    sizes = iter(a.shape)
    return a.reshape(tuple(1 if i in axes else next(sizes) for i in range(ndim)))


def _atleast(t: Any, n: int) -> Any:
    """numpy's atleast_nd shapes: (N,) becomes (1, N) and (1, N, 1); (M, N) becomes (M, N, 1)."""
    if t.ndim >= n:
        return t
    s = t.shape
    shape = {1: {0: (1,)}, 2: {0: (1, 1), 1: (1,) + s},
             3: {0: (1, 1, 1), 1: (1,) + s + (1,), 2: s + (1,)}}[n][t.ndim]
    return t.reshape(shape)


def _atleast_nd(n: int) -> Callable[..., Any]:
    def compose(*arys: Any) -> Any:
        """One tensor for one argument, else a tuple (numpy 2); a tensor that already has
        enough axes comes back as it is (as numpy returns the array itself)."""
        out = tuple(_atleast(_lifted(arys[0], a), n) for a in arys)
        return out[0] if len(out) == 1 else out
    compose.__name__ = f"atleast_{n}d"
    return compose


RAVEL = Op("ravel", "composite", "x as one axis (numpy.ravel): reshape(−1); order \"F\" reads "
           "it in Fortran order, \"A\" and \"K\" in the order of x's memory as numpy does.",
           compose=lambda a, order="C": _ravel(a, order), numpy=np.ravel)


FLATTEN = Op("flatten", "composite", "x as one axis (ndarray.flatten; the same as ravel: a "
             "Tensor result never shares memory with x).",
             compose=lambda x, order="C": _ravel(x, order, "flatten"), function=None)


SQUEEZE = Op("squeeze", "composite", "x without its size-1 axes (or only those in `axis`, "
             "which must have size 1): a reshape.", compose=_squeeze, numpy=np.squeeze)


EXPAND_DIMS = Op("expand_dims", "composite", "x with size-1 axes inserted at the positions "
                 "`axis` (an int or a tuple) of the result: a reshape.",
                 compose=_expand_dims, method=None, numpy=np.expand_dims)


ATLEAST_1D = Op("atleast_1d", "composite", "Each input with at least one axis (a 0-d tensor "
                "becomes shape (1,)); one tensor, or a tuple for several.",
                compose=_atleast_nd(1), method=None, numpy=np.atleast_1d)


ATLEAST_2D = Op("atleast_2d", "composite", "Each input with at least two axes ((N,) becomes "
                "(1, N)); one tensor, or a tuple for several.",
                compose=_atleast_nd(2), method=None, numpy=np.atleast_2d)


ATLEAST_3D = Op("atleast_3d", "composite", "Each input with at least three axes ((N,) becomes "
                "(1, N, 1), (M, N) becomes (M, N, 1)); one tensor, or a tuple for several.",
                compose=_atleast_nd(3), method=None, numpy=np.atleast_3d)


# --- axes ---------------------------------------------------------------------------------------


def _swapaxes(a: Any, axis1: int, axis2: int) -> Any:
    axes = list(range(a.ndim))
    i, j = _axis(axis1, "swapaxes", a.ndim), _axis(axis2, "swapaxes", a.ndim)
    axes[i], axes[j] = axes[j], axes[i]
    return a.transpose(axes)


def _moveaxis(a: Any, source: Any, destination: Any) -> Any:
    src = _axes(source, "moveaxis", a.ndim)
    dst = _axes(destination, "moveaxis", a.ndim)
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: `source` {source!r} and `destination` {destination!r} "
                         "arguments must have the same number of elements")
    order = [n for n in range(a.ndim) if n not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        order.insert(d, s)
    return a.transpose(order)


def _rollaxis(a: Any, axis: int, start: int = 0) -> Any:
    n = a.ndim
    axis = _axis(axis, "rollaxis", n)
    if start < 0:
        start += n
    if not 0 <= start < n + 1:
        raise np.exceptions.AxisError(f"rollaxis: 'start' arg requires {-n} <= start < {n + 1}, "
                                      f"but {start} was passed in")
    if axis < start:
        start -= 1
    order = list(range(n))
    order.remove(axis)
    order.insert(start, axis)
    return a.transpose(order)


SWAPAXES = Op("swapaxes", "composite", "x with axes `axis1` and `axis2` exchanged: a transpose.",
              compose=_swapaxes, numpy=np.swapaxes)


MOVEAXIS = Op("moveaxis", "composite", "x with the axes `source` moved to the positions "
              "`destination` (ints or sequences), the others in their order: a transpose.",
              compose=_moveaxis, method=None, numpy=np.moveaxis)


ROLLAXIS = Op("rollaxis", "composite", "x with axis `axis` moved to lie before `start` "
              "(numpy.rollaxis): a transpose.", compose=_rollaxis, method=None,
              numpy=np.rollaxis)


# --- reordering ---------------------------------------------------------------------------------


def _flip(m: Any, axis: Any = None) -> Any:
    axes = range(m.ndim) if axis is None else _axes(axis, "flip", m.ndim)
    return m[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(m.ndim))]


def _fliplr(m: Any) -> Any:
    if m.ndim < 2:
        raise ValueError(f"fliplr: input must be >= 2-d, got shape {m.shape}")
    return m[:, ::-1]


def _flipud(m: Any) -> Any:
    if m.ndim < 1:
        raise ValueError("flipud: input must be >= 1-d, got a 0-d tensor")
    return m[::-1]


def _roll(a: Any, shift: Any, axis: Any = None) -> Any:
    """Slices joined in the other order along each axis (no gather, no scatter-add)."""
    if axis is None:
        return _roll(a.reshape(-1), shift, 0).reshape(a.shape)
    shifts = np.asarray(raw(shift))
    if shifts.dtype.kind not in "iub":
        raise TypeError(f"roll: shift must be integers, got {shift!r}")
    axes = np.asarray(_axes_repeatable(axis, a.ndim))
    try:
        pairs = np.broadcast(shifts, axes)
    except ValueError:
        raise ValueError(f"roll: shift {shift!r} and axis {axis!r} must have the same length "
                         "(or one of them be a single number)") from None
    if pairs.nd > 1:
        raise ValueError("roll: 'shift' and 'axis' should be scalars or 1D sequences")
    total = dict.fromkeys(range(a.ndim), 0)
    for s, ax in pairs:
        total[int(ax)] += int(s)
    for ax, s in total.items():
        n = a.shape[ax]
        if n and s % n:
            cut = n - s % n
            a = _concat([a[_along(ax, slice(cut, None))], a[_along(ax, slice(None, cut))]], ax)
    return a


def _axes_repeatable(axis: Any, ndim: int) -> tuple[int, ...]:
    """Axes that may repeat (roll adds the shifts of a repeated axis)."""
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    return tuple(_axis(a, "roll", ndim) for a in axes)


def _rot90(m: Any, k: int = 1, axes: Any = (0, 1)) -> Any:
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError(f"rot90: len(axes) must be 2, got axes={axes}")
    if axes[0] == axes[1] or abs(axes[0] - axes[1]) == m.ndim:
        raise ValueError(f"rot90: axes must be different, got axes={axes}")
    if not all(-m.ndim <= ax < m.ndim for ax in axes):
        raise ValueError(f"rot90: axes={axes} out of range for a tensor of shape {m.shape}")
    k %= 4
    if k == 0:
        return m[...]
    if k == 2:
        return _flip(_flip(m, axes[0]), axes[1])
    order = list(range(m.ndim))
    order[axes[0]], order[axes[1]] = order[axes[1]], order[axes[0]]
    if k == 1:
        return _flip(m, axes[1]).transpose(order)
    return _flip(m.transpose(order), axes[1])


FLIP = Op("flip", "composite", "x with the order of its entries reversed along `axis` (an int, "
          "a tuple, or None: every axis): a reversing slice.",
          compose=_flip, method=None, numpy=np.flip)


FLIPLR = Op("fliplr", "composite", "x reversed along axis 1 (left/right): x[:, ::-1].",
            compose=_fliplr, method=None, numpy=np.fliplr)


FLIPUD = Op("flipud", "composite", "x reversed along axis 0 (up/down): x[::-1].",
            compose=_flipud, method=None, numpy=np.flipud)


ROLL = Op("roll", "composite", "x shifted cyclically by `shift` along `axis` (ints or "
          "sequences; None: the flattened tensor, shape kept): two slices, joined.",
          compose=_roll, method=None, numpy=np.roll)


ROT90 = Op("rot90", "composite", "x rotated by 90° `k` times in the plane of `axes`, from the "
           "first axis towards the second: flips and a transpose.",
           compose=_rot90, method=None, numpy=np.rot90)


# --- repeating ----------------------------------------------------------------------------------


def _tile(A: Any, reps: Any) -> Any:
    """Each axis i of size s tiled r times: (1, s) broadcast to (r, s), then merged (r·s): the
    gradient sums the copies back (broadcast_to's)."""
    reps = check_shape(raw(reps), "tile", "reps")
    ndim = max(len(reps), A.ndim)
    shape = (1,) * (ndim - A.ndim) + A.shape
    reps = (1,) * (ndim - len(reps)) + reps
    pairs = [(r, s) for r, s in zip(reps, shape, strict=True)]
    x = A.reshape(tuple(v for _, s in pairs for v in (1, s)))
    x = x.broadcast_to(tuple(v for p in pairs for v in p))
    return x.reshape(tuple(r * s for r, s in pairs))


def _repeat(a: Any, repeats: Any, axis: Any = None) -> Any:
    """One count for all: a broadcast (the gradient sums the copies); counts per entry: a
    gather of each index repeated (the gradient accumulates)."""
    if axis is None:
        a, ax = a.reshape(-1), 0
    else:
        ax = _axis(axis, "repeat", a.ndim)
    counts = _int_array(repeats, "repeat", "repeats")
    if (counts < 0).any():
        raise ValueError(f"repeat: repeats may not contain negative values, got {repeats!r}")
    n = a.shape[ax]
    if counts.size == 1:
        r, s = int(counts.reshape(())), a.shape
        x = a.reshape(s[:ax + 1] + (1,) + s[ax + 1:]).broadcast_to(s[:ax + 1] + (r,) + s[ax + 1:])
        return x.reshape(s[:ax] + (n * r,) + s[ax + 1:])
    if counts.shape != (n,):
        raise ValueError(f"repeat: {counts.size} repeats for an axis of length {n} (shape "
                         f"{a.shape}); give one count, or one per entry")
    return a[_along(ax, np.repeat(np.arange(n), counts))]


def _broadcast_arrays(*args: Any, subok: bool = False) -> tuple[Any, ...]:
    ts = tuple(_lifted(args[0], a) for a in args)
    try:
        shape = np.broadcast_shapes(*(t.shape for t in ts))
    except ValueError:
        raise ValueError("broadcast_arrays: shapes " + ", ".join(str(t.shape) for t in ts) +
                         " cannot be broadcast together") from None
    return tuple(t.broadcast_to(shape) for t in ts)


_PAD_BY_INDEX = ("edge", "reflect", "symmetric", "wrap")


def _holds_node(x: Any) -> bool:
    return is_node(x) or isinstance(x, (list, tuple)) and any(_holds_node(i) for i in x)


def _pad(array: Any, pad_width: Any, mode: Any = "constant", **kwargs: Any) -> Any:
    """"constant": x scattered into zeros of the padded shape, the constants put around it
    (where): no gradient to the constants. "edge", "reflect", "symmetric", "wrap": a gather
    along each axis of the index numpy's pad gives an arange (repeated entries accumulate)."""
    x, shape = array, array.shape
    widths = np.asarray(raw(pad_width))
    if widths.dtype.kind not in "iu":
        raise TypeError(f"pad: pad_width must be of integral type, got {pad_width!r}")
    try:
        widths = np.broadcast_to(widths, (x.ndim, 2))
    except ValueError:
        raise ValueError(f"pad: pad_width {pad_width!r} does not fit a tensor of shape {shape}: "
                         "give an int, one (before, after) pair, or a pair per axis") from None
    if (widths < 0).any():
        raise ValueError(f"pad: pad_width {pad_width!r} can't contain negative values")
    if mode == "constant":
        extra = set(kwargs) - {"constant_values"}
        if extra:
            raise ValueError(f"pad: unsupported keyword arguments for mode 'constant': {extra}")
        values = kwargs.get("constant_values", 0)
        if _holds_node(values):
            raise TypeError("pad: constant_values must be numbers (they get no gradient)")
        inner = tuple(slice(b, b + n) for (b, _), n in zip(widths, shape, strict=True))
        out_shape = tuple(int(n + b + e) for (b, e), n in zip(widths, shape, strict=True))
        out = apply(selection.SCATTER.prim, x, index=inner, shape=out_shape)
        if np.any(np.asarray(values) != 0):
            filled = np.pad(np.zeros(shape, dtype=x.dtype), widths, constant_values=values)
            border = np.ones(out_shape, dtype=bool)
            border[inner] = False
            out = where_of(border, filled, out)
        return out
    if mode in _PAD_BY_INDEX:
        if kwargs.get("reflect_type", "even") != "even":
            raise TypeError(f"pad: reflect_type={kwargs['reflect_type']!r} is not supported on "
                            "Tensors (only 'even')")
        for ax, (n, pair) in enumerate(zip(shape, widths, strict=True)):
            if pair.any():
                try:
                    index = np.pad(np.arange(n), pair, mode=mode, **kwargs)
                except ValueError as e:
                    raise ValueError(f"pad: {e} (axis {ax} of shape {shape})") from None
                x = x[_along(ax, index)]
        return x[...] if x is array else x
    raise TypeError(f"pad: mode {mode!r} is not supported on Tensors (supported: 'constant', "
                    f"{', '.join(repr(m) for m in _PAD_BY_INDEX)})")


TILE = Op("tile", "composite", "x repeated `reps` times along each axis (numpy.tile): a "
          "broadcast, whose gradient sums the copies.", compose=_tile, method=None,
          numpy=np.tile)


REPEAT = Op("repeat", "composite", "Each entry repeated `repeats` times along `axis` (None: "
            "of the flattened tensor), numpy's meaning (PyTorch's Tensor.repeat is tile): the "
            "gradient sums each entry's copies.", compose=_repeat, numpy=np.repeat)


BROADCAST_ARRAYS = Op("broadcast_arrays", "composite", "The inputs broadcast to their common "
                      "shape: a tuple of broadcast_to.", compose=_broadcast_arrays, method=None,
                      numpy=np.broadcast_arrays)


PAD = Op("pad", "composite", "x padded by `pad_width` (an int, (before, after), or a pair per "
         "axis): mode \"constant\" with `constant_values` (no gradient to them), or \"edge\", "
         "\"reflect\", \"symmetric\", \"wrap\"; other modes raise TypeError.",
         compose=_pad, method=None, numpy=np.pad)


# --- splitting ----------------------------------------------------------------------------------


def _array_split(ary: Any, indices_or_sections: Any, axis: int = 0, op: str = "array_split",
                 equal: bool = False) -> list[Any]:
    ax = _axis(axis, op, ary.ndim)
    n = ary.shape[ax]
    cuts = raw(indices_or_sections)
    if np.ndim(cuts) == 0:
        sections = check_int(cuts, op, "sections")
        if sections <= 0:
            raise ValueError(f"{op}: number sections must be larger than 0, got {sections}")
        if equal and n % sections:
            raise ValueError(f"{op}: array split does not result in an equal division ("
                             f"{n} entries along axis {ax} into {sections} sections)")
        each, extra = divmod(n, sections)
        bounds = np.cumsum([0] + extra * [each + 1] + (sections - extra) * [each]).tolist()
    else:
        bounds = [0, *_int_array(cuts, op).reshape(-1).tolist(), n]
    return [ary[_along(ax, slice(start, stop))]
            for start, stop in zip(bounds[:-1], bounds[1:], strict=True)]


def _split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Any]:
    return _array_split(ary, indices_or_sections, axis, "split", equal=True)


def _split_along(op: str, least: int, axis: Callable[[int], int]) -> Callable[..., list[Any]]:
    def compose(ary: Any, indices_or_sections: Any) -> list[Any]:
        if ary.ndim < least:
            raise ValueError(f"{op} only works on arrays of {least} or more dimensions, got "
                             f"shape {ary.shape}")
        return _array_split(ary, indices_or_sections, axis(ary.ndim), op, equal=True)
    compose.__name__ = op
    return compose


SPLIT = Op("split", "composite", "x split along `axis` into `indices_or_sections` equal "
           "sections, or at the given indices: a list of slices.", compose=_split,
           method=None, numpy=np.split)


ARRAY_SPLIT = Op("array_split", "composite", "split that allows unequal sections (the first "
                 "n % sections one longer): a list of slices.",
                 compose=lambda ary, indices_or_sections, axis=0: _array_split(
                     ary, indices_or_sections, axis),
                 method=None, numpy=np.array_split)


HSPLIT = Op("hsplit", "composite", "split along axis 1 (axis 0 for 1-d tensors).",
            compose=_split_along("hsplit", 1, lambda ndim: 1 if ndim > 1 else 0), method=None,
            numpy=np.hsplit)


VSPLIT = Op("vsplit", "composite", "split along axis 0 (at least 2-d).",
            compose=_split_along("vsplit", 2, lambda ndim: 0), method=None, numpy=np.vsplit)


DSPLIT = Op("dsplit", "composite", "split along axis 2 (at least 3-d).",
            compose=_split_along("dsplit", 3, lambda ndim: 2), method=None, numpy=np.dsplit)


# --- joining (concat's primitive after atleast_nd) ----------------------------------------------


def _join_front(op: str, n: int, axis: Callable[[tuple[Any, ...]], int]) -> Callable[..., Any]:
    def front(lift: Lift, tup: Any, *, dtype: Any = None,
              casting: str = "same_kind") -> tuple[tuple[Any, ...], dict[str, Any]]:
        ts = _cast_all(_tensors(lift, tup, op), dtype, casting, op)
        ts = tuple(_atleast(t, n) if n else t.reshape(-1, 1) if t.ndim < 2 else t for t in ts)
        return ts, {"axis": axis(ts)}
    return front


CONCATENATE = _joined("concatenate", "numpy's name for concat (axis=None: the inputs "
                      "flattened).", _concat_front, None)


HSTACK = _joined("hstack", "Tensors joined along axis 1 (axis 0 if they are 1-d; a 0-d tensor "
                 "counts as 1-d): concat.",
                 _join_front("hstack", 1, lambda ts: 0 if ts[0].ndim == 1 else 1), np.hstack)


VSTACK = _joined("vstack", "Tensors joined along axis 0 after atleast_2d ((N,) is a row): "
                 "concat.", _join_front("vstack", 2, lambda ts: 0), np.vstack)


DSTACK = _joined("dstack", "Tensors joined along axis 2 after atleast_3d: concat.",
                 _join_front("dstack", 3, lambda ts: 2), np.dstack)


COLUMN_STACK = _joined("column_stack", "1-d tensors as columns (and 2-d ones as they are) "
                       "joined along axis 1: concat.",
                       _join_front("column_stack", 0, lambda ts: 1), np.column_stack)


# --- diagonals ----------------------------------------------------------------------------------


def _diagonal_index(n1: int, n2: int, offset: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of the diagonal `offset` of an n1 × n2 matrix."""
    length = max(0, min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2))
    i = np.arange(length)
    return (i, i + offset) if offset >= 0 else (i - offset, i)


def _diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """A gather of (i, i + offset) over the two axes, moved last: the diagonal is the last
    axis of the result, as numpy's."""
    if a.ndim < 2:
        raise ValueError(f"diagonal: requires a tensor of at least two dimensions, got shape "
                         f"{a.shape}")
    i, j = _axis(axis1, "diagonal", a.ndim), _axis(axis2, "diagonal", a.ndim)
    if i == j:
        raise ValueError(f"diagonal: axis1 and axis2 cannot be the same (both {i})")
    rows, cols = _diagonal_index(a.shape[i], a.shape[j], check_int(offset, "diagonal", "offset"))
    x = a.transpose([n for n in range(a.ndim) if n not in (i, j)] + [i, j])
    return x[..., rows, cols]


def _diag(v: Any, k: int = 0) -> Any:
    """A 1-d v: zeros with v scattered onto the diagonal k (the gradient is ḡ's diagonal);
    a 2-d v: its diagonal k."""
    if v.ndim == 1:
        k = check_int(k, "diag", "k")
        n = v.shape[0] + abs(k)
        index = _diagonal_index(n, n, k)
        return apply(selection.SCATTER.prim, v, index=index, shape=(n, n))
    if v.ndim == 2:
        return _diagonal(v, k)
    raise ValueError(f"diag: input must be 1-d or 2-d, got shape {v.shape}")


def _triangle(name: str, upper: bool) -> Callable[..., Any]:
    def compose(m: Any, k: int = 0) -> Any:
        if m.ndim < 1:
            raise ValueError(f"{name}: input must be at least 1-d, got a 0-d tensor")
        k = check_int(k, name, "k")
        below = np.tri(*m.shape[-2:], k=k - 1 if upper else k, dtype=bool)
        return where_of(below, 0, m) if upper else where_of(below, m, 0)
    compose.__name__ = name
    return compose


DIAGONAL = Op("diagonal", "composite", "The diagonal `offset` of the planes of `axis1` and "
              "`axis2`, as the last axis: a gather (the gradient goes to the diagonal).",
              compose=_diagonal, numpy=np.diagonal)


DIAG = Op("diag", "composite", "A 1-d v: the square matrix with v on the diagonal `k`; a 2-d "
          "v: its diagonal `k`.", compose=_diag, method=None, numpy=np.diag)


TRIU = Op("triu", "composite", "x with the entries below the diagonal `k` zeroed (over the "
          "last two axes; a 1-d x is broadcast to a square): where, no gradient to them.",
          compose=_triangle("triu", True), method=None, numpy=np.triu)


TRIL = Op("tril", "composite", "x with the entries above the diagonal `k` zeroed (over the "
          "last two axes; a 1-d x is broadcast to a square): where, no gradient to them.",
          compose=_triangle("tril", False), method=None, numpy=np.tril)


# --- indexing -----------------------------------------------------------------------------------


def _take(a: Any, indices: Any, axis: Any = None, mode: str = "raise") -> Any:
    """A gather; repeated indices accumulate their gradients. mode "wrap" and "clip" map the
    indices first (clip: an index past the end takes the last entry, and its gradient)."""
    index = _int_array(indices, "take")
    x, ax = (a.reshape(-1), 0) if axis is None else (a, _axis(axis, "take", a.ndim))
    n = x.shape[ax]
    if mode in ("wrap", "clip"):
        if n == 0 and index.size:
            raise IndexError("take: cannot do a non-empty take from an empty axis")
        index = index % n if mode == "wrap" else np.clip(index, 0, max(n - 1, 0))
    elif mode != "raise":
        raise ValueError(f"take: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    return x[_along(ax, index)]


def _along_axis(arr: Any, indices: Any, axis: Any, op: str) -> tuple[Any, tuple[Any, ...]]:
    """`arr` (flattened for axis=None) and the fancy index that takes `indices` along the
    axis and every other axis in place (numpy's _make_along_axis_idx)."""
    index = _int_array(indices, op)
    if axis is None:
        if index.ndim != 1:
            raise ValueError(f"{op}: when axis=None, indices must have a single dimension, "
                             f"got shape {index.shape}")
        arr, ax = arr.reshape(-1), 0
    else:
        ax = _axis(axis, op, arr.ndim)
        if index.ndim != arr.ndim:
            raise ValueError(f"{op}: indices of shape {index.shape} and the tensor of shape "
                             f"{arr.shape} must have the same number of dimensions")
    ones = (1,) * arr.ndim
    return arr, tuple(index if i == ax else np.arange(n).reshape(ones[:i] + (-1,) + ones[i + 1:])
                      for i, n in enumerate(arr.shape))


def _take_along_axis(arr: Any, indices: Any, axis: Any = -1) -> Any:
    x, fancy = _along_axis(arr, indices, axis, "take_along_axis")
    return x[fancy]


def _put_along_axis(arr: Any, indices: Any, values: Any, axis: Any) -> Any:
    """A new tensor: arr with `values` (broadcast to the indices' shape) put at `indices`
    along `axis`. Where an index repeats, the value numpy keeps (the last one) wins, and only
    it gets a gradient; arr's gradient is ḡ where it was not overwritten."""
    x, fancy = _along_axis(arr, indices, axis, "put_along_axis")
    full = np.broadcast_shapes(*(f.shape for f in fancy))
    ax = 0 if axis is None else _axis(axis, "put_along_axis", arr.ndim)
    n, index = x.shape[ax], fancy[ax]
    if index.size and ((index < -n) | (index >= n)).any():
        bad = index[(index < -n) | (index >= n)].reshape(-1)[0]
        raise IndexError(f"put_along_axis: index {bad} is out of bounds for axis {ax} with "
                         f"size {n} (tensor of shape {arr.shape})")
    fancy = tuple(np.broadcast_to(f % n if i == ax and n else f, full)
                  for i, f in enumerate(fancy))
    v = _lifted(arr, values)
    try:
        v = v.broadcast_to(full)
    except ValueError:
        raise ValueError(f"put_along_axis: values of shape {v.shape} do not broadcast to the "
                         f"indices' shape {full}") from None
    where_to = np.ravel_multi_index(fancy, x.shape).reshape(-1) if x.size else np.zeros(0, int)
    winners = np.zeros(where_to.size, dtype=bool)  # the last write to each place
    winners[where_to.size - 1 - np.unique(where_to[::-1], return_index=True)[1]] = True
    if not winners.all():
        keep = winners.reshape(full)
        fancy, v = tuple(f[keep] for f in fancy), v[keep]
    return apply(selection.SETITEM.prim, x, v, index=fancy).reshape(arr.shape)


def _sort(a: Any, axis: Any = -1, kind: Any = None, order: Any = None, *,
          stable: Any = None) -> Any:
    """A gather along numpy's stable argsort (whatever `kind`: the values are the same)."""
    if order is not None:
        raise TypeError("sort: order= names fields of structured arrays; a Tensor holds numbers")
    x, ax = (a.reshape(-1), 0) if axis is None else (a, _axis(axis, "sort", a.ndim))
    x, fancy = _along_axis(x, np.argsort(raw(x), axis=ax, kind="stable"), ax, "sort")
    return x[fancy]


def _partition(a: Any, kth: Any, axis: Any = -1, kind: str = "introselect",
               order: Any = None) -> Any:
    """numpy's partitioned values exactly, as a gather: the permutation that maps the input
    onto them matches equal values in stable order (the i-th of a tied value in the output is
    the i-th in the input)."""
    if order is not None:
        raise TypeError("partition: order= names fields of structured arrays; a Tensor holds "
                        "numbers")
    x, ax = (a.reshape(-1), 0) if axis is None else (a, _axis(axis, "partition", a.ndim))
    data = raw(x)
    try:
        values = np.partition(data, _int_array(kth, "partition", "kth"), axis=ax, kind=kind)
    except ValueError as e:
        raise ValueError(f"partition: {e} (a tensor of shape {a.shape})") from None
    perm = np.empty(data.shape, dtype=np.intp)
    np.put_along_axis(perm, np.argsort(values, axis=ax, kind="stable"),
                      np.argsort(data, axis=ax, kind="stable"), axis=ax)
    x, fancy = _along_axis(x, perm, ax, "partition")
    return x[fancy]


TAKE = Op("take", "composite", "Entries at `indices` along `axis` (None: of the flattened "
          "tensor; mode \"raise\", \"wrap\" or \"clip\"): a gather, repeated indices "
          "accumulating their gradients.", compose=_take, numpy=np.take)


TAKE_ALONG_AXIS = Op("take_along_axis", "composite", "arr[..., indices, ...] matched along "
                     "`axis` (numpy.take_along_axis, e.g. with argsort's indices): a gather.",
                     compose=_take_along_axis, method=None, numpy=np.take_along_axis)


PUT_ALONG_AXIS = Op("put_along_axis", "composite", "A new tensor: arr with `values` put at "
                    "`indices` along `axis` (numpy's put_along_axis changes arr in place "
                    "instead, so np.put_along_axis on a Tensor is refused). Where an index "
                    "repeats, the last value wins and alone gets a gradient; arr's gradient is "
                    "ḡ where it was not overwritten.", compose=_put_along_axis, method=None)


SORT = Op("sort", "composite", "x sorted along `axis` (None: flattened; nan last): a gather "
          "along numpy's stable argsort, so among tied values the gradient of each place goes "
          "to the input numpy's stable order puts there. Tensor.sort returns the sorted tensor "
          "(ndarray.sort sorts in place and returns None).", compose=_sort, numpy=np.sort)


PARTITION = Op("partition", "composite", "numpy's partition of x around `kth` (the same values "
               "in the same places): a gather, tied values matched in stable order. "
               "Tensor.partition returns the result (ndarray.partition works in place).",
               compose=_partition, numpy=np.partition)
