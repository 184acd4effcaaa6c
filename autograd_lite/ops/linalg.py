"""Linear algebra: `matmul` (the `@` operator), 1-D, 2-D and batched."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..opdef import Op


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
            broadcasts=True,
            numpy=np.matmul)  # batch dimensions broadcast: the engine sums them back
