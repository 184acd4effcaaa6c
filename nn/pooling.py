"""Pooling on NCHW images: `MaxPool2d`, `AvgPool2d`, `max_pool2d`, `avg_pool2d`, and the fused
primitives under them.

Both pool over the k_h·k_w offsets (u, v) of a window: for each offset, the strided view
x_pad[:, :, u·d_h :: s_h, v·d_w :: s_w] (H_out × W_out pixels) holds every window's entry at
that offset, so a pool is k_h·k_w elementwise operations on views, with no window copy:

    max_pool2d   y = max_{u,v} view_{u,v}(x_pad)      x_pad padded with −∞
                 x̄ = Σ_{u,v} scatter_{u,v}(ḡ · [view_{u,v} = y] / #ties)
    avg_pool2d   y = Σ_{u,v} view_{u,v}(x_pad) / divisor   x_pad padded with 0
                 x̄ = Σ_{u,v} scatter_{u,v}(ḡ / divisor)

(a pairwise `np.maximum` of 4 views is about 20x faster than `.max(axis=(3, 5))` over a
reshaped (N, C, H/2, 2, W/2, 2) array on the bench's (64, 8, 26, 26) maps; the max is taken
separably, over a window's rows and then its columns, see `_max_pool_forward`.) Ties in a max
window split the gradient evenly, the engine's convention for `max` (PyTorch gives all of it
to one entry); the shares sum to ḡ. Each backward is itself a primitive whose VJP is the
forward's kind of gather, so second derivatives come with no extra code (for max pooling the
tie pattern is locally constant).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_lite import Tensor, primitive

from .conv import IntOrPair, Pair, _check_fits, _image, _pair, out_size, padded, window_slices
from .module import Module

__all__ = ["MaxPool2d", "AvgPool2d", "max_pool2d", "avg_pool2d"]


# --- numpy kernels ------------------------------------------------------------------------------

def _slices(shape: tuple[int, ...], kernel: Pair, stride: Pair, padding: Pair,
            dilation: Pair) -> list[tuple[int, int, tuple[slice, slice]]]:
    oh = out_size(shape[2], kernel[0], stride[0], padding[0], dilation[0])
    ow = out_size(shape[3], kernel[1], stride[1], padding[1], dilation[1])
    return window_slices(kernel, stride, dilation, (oh, ow))


def _scatter(parts: np.ndarray, shape: tuple[int, ...], dtype: Any, slices: list[Any],
             geometry: dict[str, Any], weights: list[np.ndarray] | None = None) -> np.ndarray:
    """Σ_{u,v} of the output-shaped `parts` (times weights[u, v], if given) added at each
    offset's view of a zero image of `shape`, the padding cut off."""
    (ph, pw), (h, w) = geometry["padding"], shape[2:]
    kernel, stride = geometry["kernel"], geometry["stride"]
    full = (shape[0], shape[1], h + 2 * ph, w + 2 * pw)
    # windows that tile the image (stride = kernel, no dilation): each pixel is in one view
    # at most, so the parts are written straight into the views (no zeros, no adds) and
    # only pixels no window covers need zeroing
    tiles = stride == kernel and geometry.get("dilation", (1, 1)) == (1, 1)
    oh, ow = (full[2] - kernel[0]) // stride[0] + 1, (full[3] - kernel[1]) // stride[1] + 1
    covered = tiles and oh * kernel[0] == full[2] and ow * kernel[1] == full[3]
    image = np.empty(full, dtype=dtype) if covered else np.zeros(full, dtype=dtype)
    for i, (_, _, where) in enumerate(slices):
        view = image[(..., *where)]
        if weights is None:  # the same part at every offset
            if tiles:
                view[...] = parts
            else:
                view += parts
        elif tiles:
            np.multiply(parts, weights[i], out=view)
        else:
            view += parts * weights[i]
    return image[:, :, ph:ph + h, pw:pw + w] if ph or pw else image


# --- max pooling: forward, the routing of ḡ and its adjoint -------------------------------------

def _max_pool_forward(x: np.ndarray, *, kernel: Pair, stride: Pair, padding: Pair,
                      dilation: Pair) -> np.ndarray:
    """y = max_{u,v} view_{u,v}(x_pad), separably: first the max over the k_h rows of each
    window, max_u x_pad[:, :, u·d_h + s_h·i, :] → (N, C, H_out, W_p), then over the k_w
    columns, max_v rows[..., v·d_w + s_w·j] → (N, C, H_out, W_out). The row step reads whole
    rows (inner loops W_p long, contiguous), the column step the smaller array: k_h + k_w − 2
    maxima instead of k_h·k_w − 1 (2x2 windows on the bench's (64, 8, 26, 26) maps: 0.13 ms
    against 0.165 ms for the 3 maxima of the 4 strided offset views)."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    xp = padded(x, padding, -np.inf)
    oh = out_size(x.shape[2], kh, sh, padding[0], dh)
    ow = out_size(x.shape[3], kw, sw, padding[1], dw)
    row_views = [xp[:, :, u * dh:u * dh + sh * (oh - 1) + 1:sh] for u in range(kh)]
    rows = _pairwise_max(row_views)
    return _pairwise_max([rows[..., v * dw:v * dw + sw * (ow - 1) + 1:sw] for v in range(kw)])


def _pairwise_max(views: list[np.ndarray]) -> np.ndarray:
    """The elementwise max of same-shaped views, as a new array (NaN propagates, as in
    PyTorch)."""
    if len(views) == 1:
        return views[0].copy()
    out = np.maximum(views[0], views[1])
    for view in views[2:]:
        np.maximum(out, view, out=out)
    return out


def _max_masks(x: Any, y: Any, geometry: dict[str, Any]
               ) -> tuple[list[np.ndarray], np.ndarray, list[Any]]:
    """Per offset, the mask [entry = window max]; and #ties per window, at least 1 (a NaN
    window has no max entry, so it gets no gradient). The counts are small integers, summed
    from the boolean masks viewed as uint8 (no cast to float per add: 0.23 ms against
    0.29 ms for masks and counts of 2x2 windows on the bench's (64, 8, 26, 26) maps)."""
    x, y = np.asarray(x), np.asarray(y)
    xp = padded(x, geometry["padding"], -np.inf)
    slices = _slices(x.shape, **geometry)
    masks = [xp[(..., *where)] == y for _, _, where in slices]
    if len(masks) == 1:
        return masks, np.ones(y.shape, dtype=np.uint8), slices
    count = np.uint8 if len(masks) < 256 else np.int32  # no overflow
    ties = np.add(masks[0].view(np.uint8), masks[1].view(np.uint8), dtype=count)
    for mask in masks[2:]:
        np.add(ties, mask.view(np.uint8), out=ties)
    np.maximum(ties, 1, out=ties)
    return masks, ties, slices


def _max_route_forward(g: np.ndarray, x: np.ndarray, y: np.ndarray, **geometry: Any
                       ) -> np.ndarray:
    """x̄: each window's ḡ sent to its max entry (split evenly among ties)."""
    masks, ties, slices = _max_masks(x, y, geometry)
    share = g / ties
    return _scatter(share, x.shape, g.dtype, slices, geometry, weights=masks)


def _max_gather_forward(gx: np.ndarray, x: np.ndarray, y: np.ndarray, **geometry: Any
                        ) -> np.ndarray:
    """The adjoint of the routing: each window's sum of gx over its max entries / #ties."""
    masks, ties, slices = _max_masks(x, y, geometry)
    gp = padded(gx, geometry["padding"])
    out = gp[(..., *slices[0][2])] * masks[0]
    for (_, _, where), mask in zip(slices[1:], masks[1:], strict=True):
        out += gp[(..., *where)] * mask
    out /= ties
    return out


def _max_pool_vjp(g: Any, out: Any, x: Any, **geometry: Any) -> Any:
    return MAX_ROUTE(g, x, out, **geometry)


def _max_route_vjp(gx: Any, out: Any, g: Any, x: Any, y: Any, **geometry: Any) -> Any:
    return MAX_GATHER(gx, x, y, **geometry)


def _max_gather_vjp(gy: Any, out: Any, gx: Any, x: Any, y: Any, **geometry: Any) -> Any:
    return MAX_ROUTE(gy, x, y, **geometry)


def _constant(*_: Any, **__: Any) -> None:
    """The tie pattern is piecewise constant in x and y: no gradient flows to them."""
    return None


MAX_POOL = primitive(_max_pool_forward, name="max_pool2d").defvjp(_max_pool_vjp)
MAX_ROUTE = primitive(_max_route_forward, name="max_pool2d_route").defvjp(
    _max_route_vjp, _constant, _constant)
MAX_GATHER = primitive(_max_gather_forward, name="max_pool2d_gather").defvjp(
    _max_gather_vjp, _constant, _constant)


# --- average pooling: a scaled window sum and its adjoint ---------------------------------------

def _avg_pool_forward(x: np.ndarray, *, kernel: Pair, stride: Pair, padding: Pair,
                      scale: float) -> np.ndarray:
    xp = padded(x, padding)
    slices = _slices(x.shape, kernel, stride, padding, (1, 1))
    out = xp[(..., *slices[0][2])].copy()
    for _, _, where in slices[1:]:
        out += xp[(..., *where)]
    out *= out.dtype.type(scale)
    return out


def _avg_spread_forward(g: np.ndarray, *, shape: tuple[int, ...], kernel: Pair, stride: Pair,
                        padding: Pair, scale: float) -> np.ndarray:
    """x̄: every entry of a window gets scale·ḡ of that window (overlaps accumulate)."""
    slices = _slices(shape, kernel, stride, padding, (1, 1))
    part = g * g.dtype.type(scale)
    return _scatter(part, shape, g.dtype, slices, {"padding": padding, "kernel": kernel,
                                                   "stride": stride})


def _avg_pool_vjp(g: Any, out: Any, x: Any, **params: Any) -> Any:
    return AVG_SPREAD(g, shape=tuple(x.shape), **params)


def _avg_spread_vjp(gx: Any, out: Any, g: Any, shape: tuple[int, ...], **params: Any) -> Any:
    return AVG_POOL(gx, **params)


AVG_POOL = primitive(_avg_pool_forward, name="avg_pool2d").defvjp(_avg_pool_vjp)
AVG_SPREAD = primitive(_avg_spread_forward, name="avg_pool2d_spread").defvjp(_avg_spread_vjp)


# --- functional forms -------------------------------------------------------------------------

def _refuse(who: str, **flags: bool) -> None:
    for name, value in flags.items():
        if value:
            raise NotImplementedError(f"{who}: {name}=True is not supported (PyTorch's "
                                      f"default {name}=False is)")


def _half_kernel(padding: Pair, kernel: Pair, who: str) -> None:
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"{who}: padding {padding} must be at most half the kernel size "
                         f"{kernel} (PyTorch's rule)")


def max_pool2d(x: Tensor, kernel_size: IntOrPair, stride: IntOrPair | None = None,
               padding: IntOrPair = 0, dilation: IntOrPair = 1, ceil_mode: bool = False,
               return_indices: bool = False, *, who: str = "max_pool2d") -> Tensor:
    """Max over each k_h × k_w window of (N, C, H, W) `x` (stride defaults to the kernel;
    padding counts as −∞; windows d apart with dilation d; partial windows dropped): returns
    (N, C, H_out, W_out), H_out = ⌊(H + 2p_h − d_h(k_h − 1) − 1)/s_h⌋ + 1. Ties split the
    gradient evenly among the tied entries (PyTorch gives it all to one of them)."""
    _refuse(who, ceil_mode=ceil_mode, return_indices=return_indices)
    kernel = _pair(kernel_size, "kernel_size", who, 1)
    step = kernel if stride is None else _pair(stride, "stride", who, 1)
    pad, dil = _pair(padding, "padding", who, 0), _pair(dilation, "dilation", who, 1)
    _half_kernel(pad, kernel, who)
    x = _image(x, who)
    _check_fits(x, kernel, pad, who, dil)
    return MAX_POOL(x, kernel=kernel, stride=step, padding=pad, dilation=dil)


def avg_pool2d(x: Tensor, kernel_size: IntOrPair, stride: IntOrPair | None = None,
               padding: IntOrPair = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None, *, who: str = "avg_pool2d") -> Tensor:
    """The mean of each k_h × k_w window of (N, C, H, W) `x` (stride defaults to the kernel;
    zero padding p on each side, at most half the kernel): returns (N, C, H_out, W_out).
    The divisor is k_h·k_w (`count_include_pad=True`, PyTorch's default), the number of
    entries inside the image (`count_include_pad=False`), or `divisor_override`."""
    _refuse(who, ceil_mode=ceil_mode)
    kernel = _pair(kernel_size, "kernel_size", who, 1)
    step = kernel if stride is None else _pair(stride, "stride", who, 1)
    pad = _pair(padding, "padding", who, 0)
    _half_kernel(pad, kernel, who)
    x = _image(x, who)
    _check_fits(x, kernel, pad, who)
    if divisor_override is not None:
        if isinstance(divisor_override, bool) or not isinstance(
                divisor_override, (int, np.integer)) or divisor_override < 1:
            raise ValueError(f"{who}: divisor_override must be a positive int, got "
                             f"{divisor_override!r}")
        scale = 1.0 / int(divisor_override)
    else:
        scale = 1.0 / (kernel[0] * kernel[1])
    y = AVG_POOL(x, kernel=kernel, stride=step, padding=pad, scale=scale)
    if divisor_override is None and not count_include_pad and pad != (0, 0):
        # the windows' sums over the real pixels only: divide by how many each covers
        inside = _avg_pool_forward(np.ones((1, 1) + x.shape[2:], dtype=x.dtype),
                                   kernel=kernel, stride=step, padding=pad, scale=1.0)
        y = y * (kernel[0] * kernel[1] / inside)
    return y


# --- modules ------------------------------------------------------------------------------------

def _as_given(value: Any, name: str, who: str, minimum: int) -> Any:
    """Validate an int-or-pair argument but keep it as given (PyTorch's repr shows it so)."""
    _pair(value, name, who, minimum)
    return value


class MaxPool2d(Module):
    """Max over k_h × k_w windows of (N, C, H, W) images, PyTorch's signature: stride
    defaults to kernel_size, padding (counted as −∞, at most half the kernel) and dilation as
    in PyTorch; rows and columns that do not fill a window are dropped (ceil_mode=False).

    Ties split the gradient evenly among the tied entries (the engine's convention for
    `max`); PyTorch sends all of it to one of them.
    """

    def __init__(self, kernel_size: IntOrPair, stride: IntOrPair | None = None,
                 padding: IntOrPair = 0, dilation: IntOrPair = 1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        who = "MaxPool2d"
        _refuse(who, ceil_mode=ceil_mode, return_indices=return_indices)
        self.kernel_size = _as_given(kernel_size, "kernel_size", who, 1)
        self.stride = kernel_size if stride is None else _as_given(stride, "stride", who, 1)
        self.padding = _as_given(padding, "padding", who, 0)
        self.dilation = _as_given(dilation, "dilation", who, 1)

    def forward(self, x: Tensor) -> Tensor:
        return max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation,
                          who=f"MaxPool2d({self.extra_repr()})")

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode=False")


class AvgPool2d(Module):
    """The mean of k_h × k_w windows of (N, C, H, W) images, PyTorch's signature: stride
    defaults to kernel_size; zero padding (at most half the kernel) counts in the mean unless
    `count_include_pad=False`; `divisor_override` replaces the divisor; ceil_mode=False."""

    def __init__(self, kernel_size: IntOrPair, stride: IntOrPair | None = None,
                 padding: IntOrPair = 0, ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__()
        who = "AvgPool2d"
        _refuse(who, ceil_mode=ceil_mode)
        self.kernel_size = _as_given(kernel_size, "kernel_size", who, 1)
        self.stride = kernel_size if stride is None else _as_given(stride, "stride", who, 1)
        self.padding = _as_given(padding, "padding", who, 0)
        self.count_include_pad = bool(count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, x: Tensor) -> Tensor:
        return avg_pool2d(x, self.kernel_size, self.stride, self.padding,
                          count_include_pad=self.count_include_pad,
                          divisor_override=self.divisor_override,
                          who=f"AvgPool2d({self.extra_repr()})")

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
