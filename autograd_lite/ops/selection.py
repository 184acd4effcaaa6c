"""Selection and the structural ops other ops' VJPs are written with: `where`, `getitem`
(with `scatter`, its adjoint, and `setitem`, what `t[index] = v` records), `broadcast_to`, and
the comparisons (bool outputs, never recorded); with the dual helpers `raw`, `where_of` and
`broadcast_to_of`, which compute on arrays and record on Tensors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..engine import apply
from ..opdef import Op, is_node, pair_front
from ..validate import check_shape

Lift = Callable[..., Any]


def raw(x: Any) -> Any:
    """The array behind a Tensor (masks and conditions are computed on raw values)."""
    return x._data if is_node(x) else x


def where_of(cond: Any, a: Any, b: Any) -> Any:
    """`a` where `cond`, else `b`: numpy on arrays and floats, recorded on Tensors."""
    like = a if is_node(a) else b if is_node(b) else None
    if like is None:
        out = np.where(cond, a, b)
        return float(out) if isinstance(cond, (bool, np.bool_)) and out.ndim == 0 else out
    return apply(WHERE.prim, like._lift(a, like), like._lift(b, like), cond=cond)


def broadcast_to_of(x: Any, shape: tuple[int, ...]) -> Any:
    if is_node(x):
        return apply(BROADCAST_TO.prim, x, shape=shape)
    if x.size == 1:  # a full reduction's gradient: filling is several times faster here
        return np.full(shape, x.reshape(()), dtype=x.dtype)
    return np.broadcast_to(x, shape)


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


def index_of(index: Any) -> Any:
    """Tensors inside an index become their arrays; lists become arrays (numpy's rules)."""
    if isinstance(index, tuple):
        return tuple(index_of(i) for i in index)
    if is_node(index):
        return index._data.copy()
    if isinstance(index, (list, np.ndarray)):
        return np.array(index)  # a copy: the VJP reads it later
    return index


def _where_front(lift: Lift, cond: Any, a: Any, b: Any) -> Any:
    c = np.array(raw(cond))  # a copy: the VJP reads it later
    if c.dtype != bool:
        raise TypeError(f"where: cond must be boolean, got dtype {c.dtype}")
    (a, b), _ = pair_front(lift, a, b)
    try:
        np.broadcast_shapes(c.shape, a.shape, b.shape)
    except ValueError:
        raise ValueError(f"where: cond of shape {c.shape}, a of shape {a.shape} and b of shape "
                         f"{b.shape} cannot be broadcast together") from None
    return (a, b), {"cond": c}


def _broadcast_params(x: Any, shape: Any, subok: bool = False) -> dict[str, Any]:
    """numpy's arguments: a shape or one int (`subok` has no meaning for Tensors)."""
    return {"shape": check_shape(raw(shape), "broadcast_to")}


BROADCAST_TO = Op("broadcast_to", "shape", "x repeated along new or size-1 axes to `shape`; "
                  "x̄ = ḡ summed back (by the engine).",
                  forward=lambda x, shape: np.broadcast_to(x, shape),
                  vjps=(lambda g, out, x, shape: g,),
                  params=_broadcast_params, broadcasts=True,
                  numpy=np.broadcast_to)


GETITEM = Op("getitem", "shape", "x[index] (ints, slices, None, int arrays, masks); x̄ = ḡ "
             "scattered back, repeated indices accumulating.",
             forward=lambda x, index: x[index], vjps=(_getitem_vjp,),
             params=lambda x, index: {"index": index_of(index)}, method=None, function=None)


SCATTER = Op("scatter", "internal", "zeros(shape) with g added at `index` (getitem's adjoint).",
             forward=_scatter_forward, vjps=(lambda g, out, x, index, shape: g[index],),
             method=None, function=None)


def _setitem_forward(x: np.ndarray, v: np.ndarray, index: Any) -> np.ndarray:
    out = x.copy()
    out[index] = v
    return out


def _setitem_vjp_x(g: Any, out: Any, x: Any, v: Any, index: Any) -> Any:
    """x̄ = ḡ with zeros where the assignment overwrote x."""
    kept = np.ones(x.shape, dtype=bool)
    kept[index] = False
    return g * kept


SETITEM = Op("setitem", "internal", "x with x[index] = v (the recorded form of `t[index] = v`); "
             "x̄ = ḡ with zeros at index, v̄ = ḡ[index] summed back to v's shape.",
             forward=_setitem_forward,
             vjps=(_setitem_vjp_x, lambda g, out, x, v, index: g[index]),
             method=None, function=None, broadcasts=True)


WHERE = Op("where", "selection", "Elementwise `a` where `cond` is true, else `b` (no gradient "
           "to `cond`).",
           forward=lambda a, b, cond: np.where(cond, a, b),
           vjps=(lambda g, out, a, b, cond: where_of(cond, g, 0),
                 lambda g, out, a, b, cond: where_of(cond, 0, g)),
           front=_where_front, method=None, broadcasts=True, numpy=np.where)


COMPARISONS = {f.__name__: Op(f.__name__, "selection", f"x {sym} y elementwise: a bool Tensor, "
                              "never recorded.", forward=f, method=None,
                              front=pair_front, numpy=f)
               for f, sym in ((np.less, "<"), (np.less_equal, "<="), (np.greater, ">"),
                              (np.greater_equal, ">="), (np.equal, "=="), (np.not_equal, "!="))}
