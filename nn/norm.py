"""Layer normalisation: `LayerNorm` (PyTorch's signature and parameter layout).

`BatchNorm1d` (statistics over the batch, per channel) lives in `layers.py`; LayerNorm takes
its statistics over the last axes of each sample instead, so it behaves the same in training
and in evaluation and needs no running buffers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_lite import Tensor

from .module import Module, Parameter

__all__ = ["LayerNorm"]


def _shape(normalized_shape: Any) -> tuple[int, ...]:
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) \
        else tuple(normalized_shape) if isinstance(normalized_shape, (tuple, list)) else None
    if not shape or any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1
                        for n in shape):
        raise ValueError(f"LayerNorm: normalized_shape must be a positive int or a non-empty "
                         f"tuple of positive ints, got {normalized_shape!r}")
    return tuple(int(n) for n in shape)


class LayerNorm(Module):
    """Normalise each sample over its last len(normalized_shape) axes:

        y = (x − μ) / √(σ² + eps) · γ + β

    with μ and σ² the mean and the biased variance over those axes (one pair per sample and
    position), γ (`weight`, ones) and β (`bias`, zeros) shaped `normalized_shape` and learnt
    if `elementwise_affine`. Input (*, *normalized_shape), output the same shape.

    A composition of Tensor ops, so the gradient (through μ and σ² as well) is the engine's;
    per normalised vector of n values it equals the textbook

        x̄ = (γ ḡ − mean(γ ḡ) − x̂ · mean(γ ḡ · x̂)) / √(σ² + eps),   x̂ = (x − μ)/√(σ² + eps)
    """

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True) -> None:
        super().__init__()
        self.normalized_shape = _shape(normalized_shape)
        self.eps = float(eps)
        self.elementwise_affine = bool(elementwise_affine)
        if self.elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape))
            self.bias = Parameter(np.zeros(self.normalized_shape)) if bias else None
        else:
            self.weight = self.bias = None

    def forward(self, x: Any) -> Tensor:
        x = x if isinstance(x, Tensor) else Tensor(x)
        k = len(self.normalized_shape)
        if x.dtype.kind != "f":
            raise TypeError(f"LayerNorm: expected a floating-point input, got dtype {x.dtype}")
        if x.shape[x.ndim - k:] != self.normalized_shape or x.ndim < k:
            raise ValueError(f"LayerNorm: input of shape {x.shape} does not end in "
                             f"normalized_shape={self.normalized_shape}: expected "
                             f"(*, {', '.join(map(str, self.normalized_shape))})")
        axes = tuple(range(x.ndim - k, x.ndim))
        centred = x - x.mean(axis=axes, keepdims=True)
        var = (centred * centred).mean(axis=axes, keepdims=True)  # biased, as PyTorch
        y = centred / (var + self.eps).sqrt()
        if self.weight is not None:
            y = y * self.weight
        if self.bias is not None:
            y = y + self.bias
        return y

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")
