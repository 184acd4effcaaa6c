"""Convolution and pooling on NCHW images: `Conv2d`, `MaxPool2d` and the primitives under them.

Three primitives, each forward next to its VJP (ḡ = ∂L/∂out):

    pad2d    (N, C, H, W) → (N, C, H + 2p_h, W + 2p_w), zeros around the image
                                                       x̄ = ḡ[..., p_h:p_h+H, p_w:p_w+W]
    im2col   (N, C, H, W) → (N, H_out, W_out, C·k_h·k_w), one row per window
                                                       x̄ = col2im(ḡ)
    col2im   (N, H_out, W_out, C·k_h·k_w) → (N, C, H, W), overlapping windows summed
                                                       c̄ = im2col(ḡ)

Each is declared with the public op API (`autograd_lite.primitive` + `defvjp`), as a user's
op would be. im2col and col2im are each other's adjoints (⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩),
so each one's VJP calls the other primitive: on arrays (a plain backward) that runs the numpy
kernel, on Tensors (`create_graph=True`) it records the op, so gradients of every order come
with no extra code. A window's row lists its values channel-major, then kernel row, then
kernel column — the order of PyTorch's weight (out, C, k_h, k_w) flattened to
(out, C·k_h·k_w) — so a convolution (PyTorch's, i.e. a cross-correlation) is one matrix
product:

    y[n, o, i, j] = b[o] + Σ_{c,u,v} w[o, c, u, v] · x_pad[n, c, i·s_h + u, j·s_w + v]
                  = (im2col(x_pad) @ w.reshape(out, -1)ᵀ + b)[n, i, j, o]

with H_out = ⌊(H + 2p_h − k_h) / s_h⌋ + 1 (rows that do not fill a window are dropped, as in
PyTorch). Max pooling is `max` over each window's values; ties split the gradient evenly (the
engine's convention; PyTorch sends it all to one element).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autograd_lite import Tensor, primitive
from autograd_lite.rng import resolve_rng
from autograd_lite.tensor import as_tensor

from .module import Module, Parameter

__all__ = ["Conv2d", "MaxPool2d", "conv2d", "max_pool2d", "pad2d", "im2col", "col2im"]

Pair = tuple[int, int]
IntOrPair = int | tuple[int, int]


# --- primitives: forward and VJP side by side -----------------------------------------------------

def _pad2d_forward(x: np.ndarray, padding: Pair) -> np.ndarray:
    """Zeros around the last two axes: p_h rows above and below, p_w columns left and right."""
    ph, pw = padding
    return np.pad(x, ((0, 0),) * (x.ndim - 2) + ((ph, ph), (pw, pw)))


def _pad2d_vjp(g: Any, out: Any, x: Any, padding: Pair) -> Any:
    """x̄ = ḡ with the border cut off (the padding is a constant: its adjoint is dropped)."""
    ph, pw = padding
    h, w = x.shape[-2:]
    return g[..., ph:ph + h, pw:pw + w]


def _im2col_forward(x: np.ndarray, kernel: Pair, stride: Pair) -> np.ndarray:
    """(N, C, H, W) → (N, H_out, W_out, C·k_h·k_w): row (n, i, j) is the window whose top-left
    corner is x[n, :, i·s_h, j·s_w], flattened channel-major (PyTorch's weight order)."""
    (kh, kw), (sh, sw) = kernel, stride
    n, c = x.shape[:2]
    # (N, C, H−k_h+1, W−k_w+1, k_h, k_w): every window, as a view; the stride picks some
    windows = sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
    oh, ow = windows.shape[2:4]
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(n, oh, ow, c * kh * kw)  # one copy


def _col2im_forward(cols: np.ndarray, shape: tuple[int, ...], kernel: Pair,
                    stride: Pair) -> np.ndarray:
    """(N, H_out, W_out, C·k_h·k_w) → zeros(shape) = (N, C, H, W) with every window's values
    added back where im2col took them; overlapping windows accumulate.

    One strided slice per kernel offset (u, v): the windows' entries at that offset land on
    x[:, :, u::s_h, v::s_w] (H_out × W_out of them), and distinct windows hit distinct pixels
    there, so a plain `+=` is exact — k_h·k_w vectorized additions in all."""
    (kh, kw), (sh, sw) = kernel, stride
    n, c = shape[:2]
    oh, ow = cols.shape[1:3]
    # (N, C, k_h, k_w, H_out, W_out): the offset axes in front of the window axes
    parts = cols.reshape(n, oh, ow, c, kh, kw).transpose(0, 3, 4, 5, 1, 2)
    image = np.zeros(shape, dtype=cols.dtype)
    for u in range(kh):
        for v in range(kw):
            image[:, :, u:u + sh * (oh - 1) + 1:sh, v:v + sw * (ow - 1) + 1:sw] += parts[:, :, u, v]
    return image


def _im2col_vjp(g: Any, out: Any, x: Any, kernel: Pair, stride: Pair) -> Any:
    """x̄ = col2im(ḡ): each pixel collects the adjoints of every window it appears in."""
    return COL2IM(g, shape=tuple(x.shape), kernel=kernel, stride=stride)


def _col2im_vjp(g: Any, out: Any, cols: Any, shape: tuple[int, ...], kernel: Pair,
                stride: Pair) -> Any:
    """c̄ = im2col(ḡ): col2im is linear and im2col is its adjoint."""
    return IM2COL(g, kernel=kernel, stride=stride)


# Inputs positional, parameters keywords: PAD2D(x, padding=p), IM2COL(x, kernel=k, stride=s),
# COL2IM(cols, shape=s, kernel=k, stride=s). Given a Tensor they return a Tensor (recorded,
# shown in diagrams as "pad2d", "im2col", "col2im"); given arrays, the kernel's array.
PAD2D = primitive(_pad2d_forward, name="pad2d").defvjp(_pad2d_vjp)
IM2COL = primitive(_im2col_forward, name="im2col").defvjp(_im2col_vjp)
COL2IM = primitive(_col2im_forward, name="col2im").defvjp(_col2im_vjp)


# --- argument checks --------------------------------------------------------------------------

def _pair(value: Any, name: str, who: str, minimum: int) -> Pair:
    """An int or a pair of ints (each ≥ minimum) as a pair."""
    parts = (value, value) if isinstance(value, (int, np.integer)) else value
    if (not isinstance(parts, (tuple, list)) or len(parts) != 2
            or not all(isinstance(p, (int, np.integer)) and not isinstance(p, bool)
                       for p in parts)
            or isinstance(value, bool)):
        raise TypeError(f"{who}: {name} must be an int or a pair of ints, got {value!r}")
    if min(parts) < minimum:
        raise ValueError(f"{who}: {name} must be at least {minimum}, got {value!r}")
    return int(parts[0]), int(parts[1])


def _image(x: Any, who: str, channels: int | None = None) -> Tensor:
    """`x` as a floating (N, C, H, W) Tensor, with errors that name the layer."""
    x = as_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"{who}: expected a 4-D input (N, C, H, W), got shape {x.shape}; a "
                         "single image needs a batch axis, e.g. x.reshape(1, *x.shape)")
    if x.dtype.kind != "f":
        raise TypeError(f"{who}: expected a floating-point input, got dtype {x.dtype}; convert "
                        "first, e.g. Tensor(x, dtype=np.float32)")
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f"{who}: expected {channels} input channel(s), got input of shape "
                         f"{x.shape} with {x.shape[1]} (axis 1 of (N, C, H, W))")
    return x


def _check_fits(x: Tensor, kernel: Pair, padding: Pair, who: str) -> None:
    h, w = x.shape[2] + 2 * padding[0], x.shape[3] + 2 * padding[1]
    if kernel[0] > h or kernel[1] > w:
        raise ValueError(f"{who}: kernel size {kernel} is larger than the padded input "
                         f"({h}, {w}) (input shape {x.shape}, padding {padding})")


# --- functional forms -------------------------------------------------------------------------

def pad2d(x: Tensor, padding: IntOrPair) -> Tensor:
    """Zero padding of the last two axes by `padding` (an int or (p_h, p_w)) on each side."""
    p = _pair(padding, "padding", "pad2d", 0)
    return x if p == (0, 0) else PAD2D(as_tensor(x), padding=p)


def im2col(x: Tensor, kernel_size: IntOrPair, stride: IntOrPair = 1) -> Tensor:
    """Windows of a (N, C, H, W) tensor as rows: shape (N, H_out, W_out, C·k_h·k_w)."""
    who = "im2col"
    kernel, step = _pair(kernel_size, "kernel_size", who, 1), _pair(stride, "stride", who, 1)
    x = _image(x, who)
    _check_fits(x, kernel, (0, 0), who)
    return IM2COL(x, kernel=kernel, stride=step)


def col2im(cols: Tensor, shape: tuple[int, int, int, int], kernel_size: IntOrPair,
           stride: IntOrPair = 1) -> Tensor:
    """The adjoint of `im2col`: (N, H_out, W_out, C·k_h·k_w) rows summed back into an image
    of `shape` = (N, C, H, W), overlapping windows accumulating."""
    who = "col2im"
    kernel, step = _pair(kernel_size, "kernel_size", who, 1), _pair(stride, "stride", who, 1)
    cols, shape = as_tensor(cols), tuple(int(s) for s in shape)
    n, c, h, w = shape
    expected = (n, (h - kernel[0]) // step[0] + 1, (w - kernel[1]) // step[1] + 1,
                c * kernel[0] * kernel[1])
    if cols.shape != expected:
        raise ValueError(f"col2im: rows of shape {cols.shape} do not match image {shape} with "
                         f"kernel {kernel} and stride {step}: expected {expected}")
    return COL2IM(cols, shape=shape, kernel=kernel, stride=step)


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: IntOrPair = 1,
           padding: IntOrPair = 0, *, who: str = "conv2d") -> Tensor:
    """2-D convolution (cross-correlation, as PyTorch) of (N, C, H, W) `x` with `weight`
    (out, C, k_h, k_w) and optional `bias` (out,): returns (N, out, H_out, W_out).

    pad → im2col (N, H_out, W_out, C·k_h·k_w) → rows @ w.reshape(out, −1)ᵀ + b → NCHW.
    `who` names the caller in error messages."""
    step, pad = _pair(stride, "stride", who, 1), _pair(padding, "padding", who, 0)
    weight = as_tensor(weight)
    if weight.ndim != 4:
        raise ValueError(f"{who}: weight must have shape (out, in, k_h, k_w), got "
                         f"{weight.shape}")
    out_channels, in_channels, kh, kw = weight.shape
    x = _image(x, who, in_channels)
    _check_fits(x, (kh, kw), pad, who)
    cols = IM2COL(pad2d(x, pad), kernel=(kh, kw), stride=step)
    n, oh, ow, k = cols.shape
    y = cols.reshape(n * oh * ow, k) @ weight.reshape(out_channels, k).T  # (N·H_out·W_out, out)
    if bias is not None:
        y = y + bias
    return y.reshape(n, oh, ow, out_channels).transpose(0, 3, 1, 2)


def max_pool2d(x: Tensor, kernel_size: IntOrPair, stride: IntOrPair | None = None, *,
               who: str = "max_pool2d") -> Tensor:
    """Max over each k_h × k_w window of (N, C, H, W) `x` (stride defaults to the kernel,
    no padding, partial windows dropped): returns (N, C, H_out, W_out). Ties split the
    gradient evenly among the tied entries (PyTorch gives it all to one of them)."""
    kernel = _pair(kernel_size, "kernel_size", who, 1)
    step = kernel if stride is None else _pair(stride, "stride", who, 1)
    x = _image(x, who)
    _check_fits(x, kernel, (0, 0), who)
    n, c, h, w = x.shape
    (kh, kw), (sh, sw) = kernel, step
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    if step == kernel:  # windows tile the image: a reshape, no copy of the windows
        if (oh * kh, ow * kw) != (h, w):
            x = x[:, :, :oh * kh, :ow * kw]
        return x.reshape(n, c, oh, kh, ow, kw).max(axis=(3, 5))
    cols = IM2COL(x, kernel=kernel, stride=step)  # (N, H_out, W_out, C·k_h·k_w)
    return cols.reshape(n, oh, ow, c, kh * kw).max(axis=-1).transpose(0, 3, 1, 2)


# --- modules ------------------------------------------------------------------------------------

class Conv2d(Module):
    """2-D convolution over (N, C, H, W) images, PyTorch's signature and weight layout.

    weight: (out_channels, in_channels, k_h, k_w), bias: (out_channels,), both drawn from
    U(−1/√fan_in, 1/√fan_in) with fan_in = in_channels·k_h·k_w (PyTorch's default,
    kaiming_uniform with a = √5). Output: (N, out_channels, H_out, W_out) with
    H_out = ⌊(H + 2·padding_h − k_h) / stride_h⌋ + 1, likewise W_out.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrPair,
                 stride: IntOrPair = 1, padding: IntOrPair = 0, bias: bool = True,
                 rng: np.random.Generator | None = None) -> None:
        super().__init__()
        who = "Conv2d"
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{who}: {name} must be a positive int, got {value!r}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = _pair(kernel_size, "kernel_size", who, 1)
        self.stride = _pair(stride, "stride", who, 1)
        self.padding = _pair(padding, "padding", who, 0)
        kh, kw = self.kernel_size
        bound = 1.0 / np.sqrt(self.in_channels * kh * kw)
        generator = resolve_rng(rng)
        self.weight = Parameter(generator.uniform(
            -bound, bound, (self.out_channels, self.in_channels, kh, kw)))
        self.bias = Parameter(generator.uniform(-bound, bound, self.out_channels)) \
            if bias else None

    def forward(self, x: Tensor) -> Tensor:
        who = f"Conv2d({self.extra_repr()})"
        return conv2d(x, self.weight, self.bias, self.stride, self.padding, who=who)

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        return text if self.bias is not None else text + ", bias=False"


class MaxPool2d(Module):
    """Max over k_h × k_w windows of (N, C, H, W) images; stride defaults to kernel_size,
    no padding (rows and columns that do not fill a window are dropped, as PyTorch).

    Ties split the gradient evenly among the tied entries (the engine's convention for
    `max`); PyTorch sends all of it to one of them.
    """

    def __init__(self, kernel_size: IntOrPair, stride: IntOrPair | None = None) -> None:
        super().__init__()
        _pair(kernel_size, "kernel_size", "MaxPool2d", 1)  # validate; keep as given (PyTorch)
        if stride is not None:
            _pair(stride, "stride", "MaxPool2d", 1)
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride

    def forward(self, x: Tensor) -> Tensor:
        return max_pool2d(x, self.kernel_size, self.stride, who=f"MaxPool2d({self.extra_repr()})")

    def extra_repr(self) -> str:
        # PyTorch's wording; padding, dilation and ceil_mode are fixed here
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding=0, dilation=1, "
                "ceil_mode=False")
