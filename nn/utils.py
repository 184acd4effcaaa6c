"""Training utilities with PyTorch's names: `clip_grad_norm_` (`torch.nn.utils`)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from autograd_lite import Tensor

__all__ = ["clip_grad_norm_"]


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """Scale the gradients of `parameters` in place so that their total norm is at most
    `max_norm`; return the total norm before clipping (a 0-d Tensor, as PyTorch).

        total = ‖(‖g_1‖_p, ‖g_2‖_p, ...)‖_p   (the p-norm of all gradients as one vector;
                                             p = inf: the largest |g|)
        g_i  ← g_i · min(1, max_norm / (total + 1e-6))

    Parameters whose `.grad` is None are skipped. The norm is computed in float64 and each
    gradient keeps its dtype. A non-finite total raises a RuntimeError when
    `error_if_nonfinite`; otherwise (PyTorch's default) the gradients are scaled by it anyway.
    """
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"clip_grad_norm_: expected Tensors/Parameters, item {i} is a "
                            f"{type(p).__name__}")
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not norm_type > 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be positive (or inf), got "
                         f"{norm_type}")
    grads = [p.grad for p in params if p.grad is not None]
    if any(isinstance(g, Tensor) for g in grads):
        raise TypeError("clip_grad_norm_: gradients that carry a graph (from "
                        "backward(create_graph=True)) cannot be clipped in place")
    if not grads:
        return Tensor(np.array(0.0, dtype=np.float32))
    norms = np.array([_norm(g, norm_type) for g in grads])
    total = float(norms.max() if math.isinf(norm_type) else _norm(norms, norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the "
                           f"gradients is {total}; set error_if_nonfinite=False to clip anyway")
    coef = max_norm / (total + 1e-6)
    if not coef >= 1:  # nan too: PyTorch multiplies by the clamped coefficient regardless
        with np.errstate(invalid="ignore"):  # inf · 0 = nan, as in PyTorch
            for g in grads:
                g *= g.dtype.type(coef)  # in place: p.grad is the same array afterwards
    return Tensor(np.array(total, dtype=grads[0].dtype))


def _norm(g: np.ndarray, p: float) -> float:
    a = np.abs(np.asarray(g, dtype=np.float64)).ravel()
    if math.isinf(p):
        return float(a.max()) if a.size else 0.0
    return float((a ** p).sum() ** (1 / p)) if p != 2 else float(np.sqrt(a @ a))
