"""PyTorch's `torch.nn.functional` names and signatures: `import nn.functional as F`.

Activations (`relu tanh sigmoid softmax log_softmax gelu silu leaky_relu`), `dropout`,
`linear`, `conv2d`, `max_pool2d`, `avg_pool2d`, `pad`, `one_hot`, and the losses of
`nn.losses` (`mse_loss l1_loss smooth_l1_loss cross_entropy nll_loss binary_cross_entropy
binary_cross_entropy_with_logits`, each with `reduction='mean'|'sum'|'none'`). Each is a
composition of Tensor ops (or the layer's own function), so the engine gives every gradient;
PyTorch's `dim` names the axis. Arguments PyTorch has and these do not (`inplace`,
`ceil_mode=True`, `return_indices=True`) are refused rather than ignored.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_lite import Tensor, concat

from .conv import conv2d as _conv2d
from .layers import Dropout
from .losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from .pooling import avg_pool2d as _avg_pool2d
from .pooling import max_pool2d as _max_pool2d

__all__ = [
    "relu", "tanh", "sigmoid", "softmax", "log_softmax", "gelu", "silu", "leaky_relu",
    "dropout", "linear", "conv2d", "max_pool2d", "avg_pool2d", "pad", "one_hot",
    "mse_loss", "l1_loss", "smooth_l1_loss", "cross_entropy", "nll_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits",
]


def _tensor(x: Any) -> Tensor:
    """`x` as a Tensor (arrays keep their dtype; lists and numbers become float32)."""
    return x if isinstance(x, Tensor) else Tensor(x)


# --- activations ------------------------------------------------------------------------------

def relu(input: Any) -> Tensor:
    """max(x, 0) elementwise (relu'(0) = 0)."""
    return _tensor(input).relu()


def tanh(input: Any) -> Tensor:
    """tanh x elementwise."""
    return _tensor(input).tanh()


def sigmoid(input: Any) -> Tensor:
    """1/(1 + e⁻ˣ) elementwise, without overflow."""
    return _tensor(input).sigmoid()


def leaky_relu(input: Any, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, else negative_slope·x."""
    return _tensor(input).leaky_relu(negative_slope)


def _axis(dim: int | None, who: str) -> int:
    if dim is None:  # PyTorch guesses (and warns); a guess could be silently wrong
        raise TypeError(f"{who}: give dim, the axis to normalise over (e.g. {who}(x, dim=-1))")
    return int(dim)


def softmax(input: Any, dim: int | None = None, dtype: Any = None) -> Tensor:
    """e^x / Σ e^x along `dim` (computed stably); `dtype` casts the input first."""
    x = _tensor(input)
    return (x if dtype is None else x.astype(dtype)).softmax(axis=_axis(dim, "softmax"))


def log_softmax(input: Any, dim: int | None = None, dtype: Any = None) -> Tensor:
    """x − logsumexp(x) along `dim` (computed stably); `dtype` casts the input first."""
    x = _tensor(input)
    return (x if dtype is None else x.astype(dtype)).log_softmax(axis=_axis(dim, "log_softmax"))


def gelu(input: Any, approximate: str = "none") -> Tensor:
    """x·Φ(x) = ½x(1 + erf(x/√2)); with `approximate='tanh'`,
    ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (PyTorch's two forms)."""
    return _tensor(input).gelu(approximate)


def silu(input: Any) -> Tensor:
    """x·σ(x) (swish)."""
    return _tensor(input).silu()


# --- layers -----------------------------------------------------------------------------------

def dropout(input: Any, p: float = 0.5, training: bool = True,
            rng: np.random.Generator | None = None) -> Tensor:
    """Inverted dropout: zero each element with probability p and scale the rest by
    1/(1 − p) when `training` (the default, as PyTorch's functional form), else x.
    The mask comes from the shared generator (`autograd_lite.manual_seed`) or `rng`."""
    layer = Dropout(p, rng=rng)
    return layer.forward(input) if training else _tensor(input)


def linear(input: Any, weight: Any, bias: Any = None) -> Tensor:
    """x Wᵀ + b, with W of shape (out_features, in_features) (PyTorch's layout)."""
    y = _tensor(input) @ _tensor(weight).T
    return y if bias is None else y + bias


def conv2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation) of (N, C, H, W) input with weight (out, C/groups,
    k_h, k_w) and optional bias (out,): see `nn.conv.conv2d`."""
    return _conv2d(input, weight, bias, stride, padding, dilation, groups)


def max_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False
               ) -> Tensor:
    """Max over each window of (N, C, H, W) input (stride defaults to the kernel); ties
    split the gradient evenly (PyTorch gives it to one element): see `nn.pooling`."""
    return _max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode,
                       return_indices)


def avg_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """The mean of each k_h × k_w window of (N, C, H, W) input (stride defaults to the
    kernel); zero padding counts in the mean unless `count_include_pad=False`: see
    `nn.pooling`."""
    return _avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override)


# --- padding and encodings --------------------------------------------------------------------

_MODES = ("constant", "reflect", "replicate", "circular")


def _source_index(n: int, before: int, after: int, mode: str) -> np.ndarray:
    """For each position of the padded axis, the index it copies from x's axis."""
    i = np.arange(-before, n + after)
    if mode == "replicate":
        return np.clip(i, 0, n - 1)
    if mode == "circular":
        if before > n or after > n:
            raise ValueError(f"pad: circular padding ({before}, {after}) is larger than the "
                             f"dimension ({n})")
        return i % n
    if before >= n or after >= n:  # reflect
        raise ValueError(f"pad: reflect padding ({before}, {after}) must be smaller than the "
                         f"dimension ({n})")
    return np.abs(i) - 2 * np.maximum(i - (n - 1), 0)  # mirror at 0 and at n − 1


def _block(x: Tensor, axis: int, k: int, value: float) -> Tensor:
    """A constant block of `value` shaped like x with k entries along `axis`."""
    return Tensor(np.full(x.shape[:axis] + (k,) + x.shape[axis + 1:], value, dtype=x.dtype))


def pad(input: Any, pad: Any, mode: str = "constant", value: float = 0.0) -> Tensor:
    """Pad the last len(pad)/2 axes, PyTorch's order: pad = (left, right) of the last axis,
    then (top, bottom) of the one before, ... Negative amounts crop. Modes: 'constant'
    (`value`), 'reflect' (mirror, the edge not repeated), 'replicate' (the edge repeated),
    'circular' (wrap around); the copies are indexing, so their gradients add back."""
    x = _tensor(input)
    amounts = tuple(int(p) for p in pad)
    if len(amounts) % 2 or len(amounts) // 2 > x.ndim:
        raise ValueError(f"pad: expected pairs (before, after) for at most {x.ndim} axes, got "
                         f"{amounts}")
    if mode not in _MODES:
        raise ValueError(f"pad: mode must be one of {_MODES}, got {mode!r}")
    for i in range(len(amounts) // 2):
        axis = x.ndim - 1 - i
        lead = (slice(None),) * axis
        before, after = amounts[2 * i], amounts[2 * i + 1]
        if before < 0 or after < 0:  # crop first
            n = x.shape[axis]
            x = x[lead + (slice(max(-before, 0), n - max(-after, 0)),)]
            before, after = max(before, 0), max(after, 0)
        if not before and not after:
            continue
        if mode == "constant":
            x = concat([_block(x, axis, before, value), x, _block(x, axis, after, value)],
                       axis=axis)
        else:
            x = x[lead + (_source_index(x.shape[axis], before, after, mode),)]
    return x


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Integer labels of any shape (*) as a constant int64 tensor (*, num_classes) with a 1
    at each label; num_classes=-1: one more than the largest label."""
    k = np.asarray(tensor.data if isinstance(tensor, Tensor) else tensor)
    if k.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expected integer class labels, got dtype {k.dtype}")
    if num_classes == -1:
        if not k.size:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor; give it")
        num_classes = int(k.max()) + 1
    if k.size and (k.min() < 0 or k.max() >= num_classes):
        raise ValueError(f"one_hot: labels must lie in [0, {num_classes}), got values from "
                         f"{k.min()} to {k.max()}")
    return Tensor((k[..., None] == np.arange(num_classes)).astype(np.int64))
