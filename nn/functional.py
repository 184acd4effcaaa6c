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

from .checks import (
    MAX_CLASSES,
    check_array,
    check_choice,
    check_count,
    check_flag,
    check_real,
    check_rng,
    check_tensor,
    names_errors,
)
from .conv import conv2d as _conv2d
from .layers import Dropout
from .layers import embedding as _embedding
from .layers import linear as _linear
from .losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from .norm import layer_norm as _layer_norm
from .pooling import avg_pool2d as _avg_pool2d
from .pooling import max_pool2d as _max_pool2d

__all__ = [
    "relu", "tanh", "sigmoid", "softmax", "log_softmax", "gelu", "silu", "leaky_relu",
    "dropout", "linear", "embedding", "layer_norm", "conv2d", "max_pool2d", "avg_pool2d",
    "pad", "one_hot",
    "mse_loss", "l1_loss", "smooth_l1_loss", "cross_entropy", "nll_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits",
]


def _tensor(x: Any, owner: str = "nn.functional", name: str = "input") -> Tensor:
    """`x` as a Tensor (arrays keep their dtype; lists and numbers become float32); a
    TypeError naming `owner` and the argument for anything that is not numbers."""
    return check_tensor(owner, name, x)


# --- activations ------------------------------------------------------------------------------

@names_errors("relu")
def relu(input: Any) -> Tensor:
    """max(x, 0) elementwise (relu'(0) = 0)."""
    return _tensor(input, "relu").relu()


@names_errors("tanh")
def tanh(input: Any) -> Tensor:
    """tanh x elementwise."""
    return _tensor(input, "tanh").tanh()


@names_errors("sigmoid")
def sigmoid(input: Any) -> Tensor:
    """1/(1 + e⁻ˣ) elementwise, without overflow."""
    return _tensor(input, "sigmoid").sigmoid()


@names_errors("leaky_relu")
def leaky_relu(input: Any, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, else negative_slope·x."""
    negative_slope = check_real("leaky_relu", "negative_slope", negative_slope)
    return _tensor(input, "leaky_relu").leaky_relu(negative_slope)


def _axis(dim: int | None, who: str, ndim: int) -> int:
    if dim is None:  # PyTorch guesses (and warns); a guess could be silently wrong
        raise TypeError(f"{who}: give dim, the axis to normalise over (e.g. {who}(x, dim=-1))")
    # 0.9 is refused, not truncated to 0; the range is checked here, naming the function
    return check_count(who, "dim", dim, -max(ndim, 1), max(ndim, 1) - 1)


@names_errors("softmax")
def softmax(input: Any, dim: int | None = None, dtype: Any = None) -> Tensor:
    """e^x / Σ e^x along `dim` (computed stably); `dtype` casts the input first."""
    x = _tensor(input, "softmax")
    return (x if dtype is None else x.astype(dtype)).softmax(axis=_axis(dim, "softmax", x.ndim))


@names_errors("log_softmax")
def log_softmax(input: Any, dim: int | None = None, dtype: Any = None) -> Tensor:
    """x − logsumexp(x) along `dim` (computed stably); `dtype` casts the input first."""
    x = _tensor(input, "log_softmax")
    axis = _axis(dim, "log_softmax", x.ndim)
    return (x if dtype is None else x.astype(dtype)).log_softmax(axis=axis)


@names_errors("gelu")
def gelu(input: Any, approximate: str = "none") -> Tensor:
    """x·Φ(x) = ½x(1 + erf(x/√2)); with `approximate='tanh'`,
    ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (PyTorch's two forms)."""
    approximate = check_choice("gelu", "approximate", approximate, ("none", "tanh"))
    return _tensor(input, "gelu").gelu(approximate)


@names_errors("silu")
def silu(input: Any) -> Tensor:
    """x·σ(x) (swish)."""
    return _tensor(input, "silu").silu()


# --- layers -----------------------------------------------------------------------------------

@names_errors("dropout")
def dropout(input: Any, p: float = 0.5, training: bool = True,
            rng: np.random.Generator | None = None) -> Tensor:
    """Inverted dropout: zero each element with probability p and scale the rest by
    1/(1 − p) when `training` (the default, as PyTorch's functional form), else x.
    The mask comes from the shared generator (`autograd_lite.manual_seed`) or `rng`."""
    training = check_flag("dropout", "training", training)
    x = _tensor(input, "dropout")
    layer = Dropout(p, rng=check_rng("dropout", rng))
    return layer.forward(x) if training else x


@names_errors("linear")
def linear(input: Any, weight: Any, bias: Any = None) -> Tensor:
    """x Wᵀ + b, with W of shape (out_features, in_features) (PyTorch's layout)."""
    x, w = _tensor(input, "linear"), _tensor(weight, "linear", "weight")
    if w.ndim != 2 or x.ndim < 1 or x.shape[-1] != w.shape[1]:
        raise ValueError(f"linear: weight must be (out_features, in_features) = (?, "
                         f"{x.shape[-1] if x.ndim else '?'}) for input of shape {x.shape}, got "
                         f"{w.shape}")
    if bias is None:
        return _linear(x, w)
    b = _tensor(bias, "linear", "bias")
    if b.shape not in ((w.shape[0],), ()):
        raise ValueError(f"linear: bias must have shape ({w.shape[0]},), got {b.shape}")
    return _linear(x, w, b)


@names_errors("embedding")
def embedding(input: Any, weight: Any) -> Tensor:
    """Rows of `weight` (num_embeddings, embedding_dim) at the integer indices `input` (*):
    (*, embedding_dim), PyTorch's `F.embedding` (repeated indices add their gradients)."""
    w = _tensor(weight, "embedding", "weight")
    if w.ndim != 2:
        raise ValueError(f"embedding: weight must be (num_embeddings, embedding_dim), got "
                         f"shape {w.shape}")
    return _embedding(input, w)


@names_errors("layer_norm")
def layer_norm(input: Any, normalized_shape: Any, weight: Any = None, bias: Any = None,
               eps: float = 1e-5) -> Tensor:
    """(x − μ)/√(σ² + eps)·weight + bias over the last len(normalized_shape) axes, μ and σ²
    (biased) per vector: PyTorch's `F.layer_norm`, one recorded op."""
    x = _tensor(input, "layer_norm")
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else \
        tuple(normalized_shape)
    if not shape or any(isinstance(n, bool) or not isinstance(n, (int, np.integer))
                        for n in shape) or x.shape[x.ndim - len(shape):] != shape \
            or x.ndim < len(shape):
        raise ValueError(f"layer_norm: input of shape {x.shape} does not end in "
                         f"normalized_shape={normalized_shape!r}")
    if x.dtype.kind != "f":
        raise TypeError(f"layer_norm: expected a floating-point input, got dtype {x.dtype}")
    eps = check_real("layer_norm", "eps", eps, low=0)
    affine = []
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None:
            t = _tensor(t, "layer_norm", name)
            if t.shape != shape:
                raise ValueError(f"layer_norm: {name} must have shape {shape}, got {t.shape}")
        affine.append(t)
    return _layer_norm(x, shape, *affine, eps=eps)


@names_errors("conv2d")
def conv2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation) of (N, C, H, W) input with weight (out, C/groups,
    k_h, k_w) and optional bias (out,): see `nn.conv.conv2d`."""
    return _conv2d(input, weight, bias, stride, padding, dilation, groups)


@names_errors("max_pool2d")
def max_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False
               ) -> Tensor:
    """Max over each window of (N, C, H, W) input (stride defaults to the kernel); ties
    split the gradient evenly (PyTorch gives it to one element): see `nn.pooling`."""
    return _max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode,
                       return_indices)


@names_errors("avg_pool2d")
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


@names_errors("pad")
def pad(input: Any, pad: Any, mode: str = "constant", value: float = 0.0) -> Tensor:
    """Pad the last len(pad)/2 axes, PyTorch's order: pad = (left, right) of the last axis,
    then (top, bottom) of the one before, ... Negative amounts crop. Modes: 'constant'
    (`value`), 'reflect' (mirror, the edge not repeated), 'replicate' (the edge repeated),
    'circular' (wrap around); the copies are indexing, so their gradients add back."""
    x = _tensor(input, "pad")
    if isinstance(pad, (str, bytes)) or not isinstance(pad, (tuple, list)):
        raise TypeError(f"pad: pad must be a tuple of ints (before, after, ...), got "
                        f"{type(pad).__name__} {pad!r}"[:200])
    amounts = tuple(check_count("pad", f"pad[{i}]", p, None) for i, p in enumerate(pad))
    mode = check_choice("pad", "mode", mode, _MODES)
    value = check_real("pad", "value", value, finite=False)
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


@names_errors("one_hot")
def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Integer labels of any shape (*) as a constant int64 tensor (*, num_classes) with a 1
    at each label; num_classes=-1: one more than the largest label."""
    k = check_array("one_hot", "tensor", tensor)
    num_classes = check_count("one_hot", "num_classes", num_classes, -1, MAX_CLASSES)
    if num_classes == 0:
        raise ValueError("one_hot: num_classes must be -1 (inferred) or at least 1, got 0")
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
