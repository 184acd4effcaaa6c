"""Convolution on NCHW images: `Conv2d`, `conv2d`, the fused conv primitives under them, and
the im2col / col2im / pad2d primitives (pooling is in `nn/pooling.py`).

A convolution (PyTorch's, i.e. a cross-correlation) with stride s, zero padding p, dilation d
and g groups of channels:

    y[n, o, i, j] = b[o] + Σ_{c ∈ group(o), u, v} w[o, c, u, v] · x_pad[n, c, i·s_h + u·d_h,
                                                                             j·s_w + v·d_w]

with H_out = ⌊(H + 2p_h − d_h·(k_h − 1) − 1) / s_h⌋ + 1 (likewise W_out; rows that do not
fill a window are dropped, as in PyTorch). Laid out as "columns" — for each image, one row
per (channel, kernel row, kernel column), one column per output pixel — it is one matrix
product per image and group:

    cols = unfold(x)            (N, C·k_h·k_w, H_out·W_out)     k_h·k_w strided copies
    y    = W (out, C·k_h·k_w) @ cols + b                         already NCHW: no transpose

Three fused primitives, each other's adjoints, so every order of derivative is free
(⟨conv(x, w), ḡ⟩ is bilinear; ḡ = ∂L/∂y):

    conv2d             (x, w[, b]) → y              x̄ = conv2d_input_grad(ḡ, w)
                                                    w̄ = conv2d_weight_grad(x, ḡ)
                                                    b̄ = Σ_{n,i,j} ḡ (a GEMV)
    conv2d_input_grad  (ḡ, w) → x̄ = fold(Wᵀ @ ḡ)   (its adjoints: conv2d, conv2d_weight_grad)
    conv2d_weight_grad (x, ḡ) → w̄ = Σ_n ḡ @ colsᵀ  (its adjoints: conv2d_input_grad, conv2d)

`fold` (col2im) adds the columns back where `unfold` took them: one strided `+=` per kernel
offset (u, v), exact because distinct windows hit distinct pixels at a given offset.

Why fused: composing pad → im2col → matmul → transpose → bias from Tensor ops costs a
(N·H_out·W_out, C·k·k) window copy in the NHWC order, an NHWC → NCHW copy of the output each
way, and a bias gradient summed over a tall (N·H_out·W_out, out) array; here the columns
come out in the order the GEMM wants and the bias gradient is ones @ ḡ. On the bench's
conv layer (1 → 8 channels, 3×3, batch 64 of 28×28) forward + backward went from 2.5 ms
to 0.7 ms (best of 40, one thread; the median of paired ratios was 0.11).
A primitive keeps only its inputs and output, so `conv2d` hands the forward a `saved` dict
for the columns, which the weight's VJP takes back (a plain backward) instead of unfolding
x again (under create_graph it calls conv2d_weight_grad, which does).

At stride 1 with 4 or more channels per group the same products run on "wide columns"
instead (`_conv_wide`): the padded image flattened row after row, so that each kernel
offset's entries are one contiguous run of H_out·W_r values (W_r ≥ W_out: a few extra
values per output row, cut off afterwards), copied a few images at a time while they are in
cache; the input gradient is then the "full" convolution of ḡ with the flipped kernel, the
same code. On the bench's (64, 16, 14, 14) layers this took the grouped layer from 1.15x
PyTorch's time to 0.87x and the dilated one from 2.9x to 1.8x (forward + backward, one
thread): its three GEMMs alone, at the ~90 GFLOP/s OpenBLAS reaches on these shapes, take
about as long as PyTorch's whole step.

The unfused primitives stay public, for teaching (the im2col view of a convolution):

    pad2d    (N, C, H, W) → (N, C, H + 2p_h, W + 2p_w)      x̄ = ḡ without its border
    im2col   (N, C, H, W) → (N, H_out, W_out, C·k_h·k_w)    x̄ = col2im(ḡ)
    col2im   (N, H_out, W_out, C·k_h·k_w) → (N, C, H, W)    c̄ = im2col(ḡ)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view

from autograd_lite import Tensor, is_grad_enabled, primitive
from autograd_lite.rng import resolve_rng
from autograd_lite.tensor import as_tensor

from .module import Module, Parameter

__all__ = ["Conv2d", "conv2d", "pad2d", "im2col", "col2im", "unfold", "fold"]

Pair = tuple[int, int]
IntOrPair = int | tuple[int, int]


# --- numpy kernels: columns and back ------------------------------------------------------------

def out_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """⌊(size + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1, PyTorch's formula."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def window_slices(kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair
                  ) -> list[tuple[int, int, tuple[slice, slice]]]:
    """For each kernel offset (u, v), the (rows, columns) slices of the padded image that hold
    every window's entry at that offset: H_out × W_out pixels, s apart."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_hw
    return [(u, v, (slice(u * dh, u * dh + sh * (oh - 1) + 1, sh),
                    slice(v * dw, v * dw + sw * (ow - 1) + 1, sw)))
            for u in range(kh) for v in range(kw)]


def padded(x: np.ndarray, padding: Pair, value: float = 0.0) -> np.ndarray:
    """x with `value` around its last two axes (x itself when there is no padding)."""
    ph, pw = padding
    if not ph and not pw:
        return x
    h, w = x.shape[-2:]
    out = np.full(x.shape[:-2] + (h + 2 * ph, w + 2 * pw), value, dtype=x.dtype)
    out[..., ph:ph + h, pw:pw + w] = x
    return out


def unfold(x: np.ndarray, kernel: Pair, stride: Pair = (1, 1), padding: Pair = (0, 0),
           dilation: Pair = (1, 1), *, ones: bool = False) -> np.ndarray:
    """(N, C, H, W) → columns (N, C·k_h·k_w, H_out·W_out): entry (n, (c, u, v), (i, j)) is
    x_pad[n, c, i·s_h + u·d_h, j·s_w + v·d_w] (PyTorch's `F.unfold` layout). With `ones`,
    each image's columns get a last row of ones, (N, C·k_h·k_w + 1, H_out·W_out): then
    [W | b] @ columns adds the bias inside the GEMM."""
    n, c, h, w = x.shape
    oh = out_size(h, kernel[0], stride[0], padding[0], dilation[0])
    ow = out_size(w, kernel[1], stride[1], padding[1], dilation[1])
    xp = padded(x, padding)
    k = c * kernel[0] * kernel[1]
    cols = np.empty((n, k + ones, oh * ow), dtype=x.dtype)
    # one copy of a strided view (N, C, k_h, k_w, H_out, W_out) of the padded image: entry
    # (n, c, u, v, i, j) is x_pad[n, c, u·d_h + i·s_h, v·d_w + j·s_w] (13 µs less than k_h·k_w
    # sliced copies on the bench's 1-channel layer, 0.087 ms against 0.100 ms)
    sn, sc, sh, sw = xp.strides
    windows = as_strided(xp, (n, c, kernel[0], kernel[1], oh, ow),
                         (sn, sc, sh * dilation[0], sw * dilation[1], sh * stride[0],
                          sw * stride[1]), writeable=False)
    np.copyto(cols[:, :k].reshape(n, c, kernel[0], kernel[1], oh, ow), windows)
    if ones:
        cols[:, k] = 1
    return cols


def fold(cols: np.ndarray, shape: tuple[int, ...], kernel: Pair, stride: Pair = (1, 1),
         padding: Pair = (0, 0), dilation: Pair = (1, 1)) -> np.ndarray:
    """The adjoint of `unfold`: columns (N, C·k_h·k_w, H_out·W_out) added back into an image
    of `shape` = (N, C, H, W), overlapping windows accumulating, the padding cut off."""
    n, c, h, w = shape
    (kh, kw), (ph, pw) = kernel, padding
    oh = out_size(h, kh, stride[0], ph, dilation[0])
    ow = out_size(w, kw, stride[1], pw, dilation[1])
    parts = cols.reshape(n, c, kh, kw, oh, ow)
    image = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for u, v, where in window_slices(kernel, stride, dilation, (oh, ow)):
        image[(..., *where)] += parts[:, :, u, v]
    return image[:, :, ph:ph + h, pw:pw + w] if ph or pw else image


# --- stride 1: whole rows and wide columns ------------------------------------------------------

def by_rows(stride: Pair, channels_per_group: int) -> bool:
    """Whether a convolution runs on whole rows of the flattened padded image (below) rather
    than on `unfold`'s columns: at stride 1 with 4 or more input channels per group, where
    numpy's short inner loops over H_out × W_out blocks are what costs most on small maps
    (unfold of (64, 16, 14, 14) with 3×3 kernels: 1.1 ms, a wide copy of the same columns
    0.35 ms, one GEMM over them 0.65 ms). With fewer channels the one GEMM over the columns
    is small and the columns win."""
    return stride == (1, 1) and channels_per_group >= 4


def row_width(w: int, padding: int, kernel: int, dilation: int) -> int:
    """The row stride W_r of `rows`: W + p + max(0, p − (k − 1)·d), rounded up to a
    multiple of 4. Each row holds its p zeros of left padding, its W pixels and zeros up to
    W_r; its right padding is the next row's left padding (a window running off the right
    edge reads on into those zeros), and W_r is at least W_out. With "same" padding that is
    W + p instead of W + 2p: 16 instead of 18 columns per output row of the bench's dilated
    layer (fewer to copy and multiply). The multiple of 4 keeps the GEMMs' rows aligned:
    210-column GEMMs (14 rows of 15) took 0.82 ms where 224-column ones took 0.64 ms."""
    return -(-(w + padding + max(0, padding - (kernel - 1) * dilation)) // 4) * 4


def _rows_buffer(count: int, image: tuple[int, int, int], kernel: Pair, padding: Pair,
                 dilation: Pair, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    """A zero `rows` array for `count` images of shape `image` = (C, H, W), and the view of
    it where the pixels go (everything else stays zero)."""
    c, h, w = image
    width = row_width(w, padding[1], kernel[1], dilation[1])
    hp = h + 2 * padding[0]
    flat = np.zeros((count, c, hp * width + (kernel[1] - 1) * dilation[1]), dtype=dtype)
    interior = flat[:, :, :hp * width].reshape(count, c, hp, width)
    return flat, interior[:, :, padding[0]:padding[0] + h, padding[1]:padding[1] + w]


def rows(x: np.ndarray, kernel: Pair, padding: Pair, dilation: Pair) -> np.ndarray:
    """x zero-padded and flattened: (N, C, H_p·W_r + (k_w − 1)·d_w), H_p = H + 2p_h rows of
    W_r = row_width(...) values, then a tail of zeros. At stride 1 the run of H_out·W_r
    values starting at u·d_h·W_r + v·d_w holds every window's entry at offset (u, v), row
    by row, each output row followed by W_r − W_out values of other pixels (the "wide"
    columns, cut off later)."""
    flat, interior = _rows_buffer(x.shape[0], x.shape[1:], kernel, padding, dilation, x.dtype)
    interior[...] = x
    return flat


def _runs(kernel: Pair, dilation: Pair, width: int) -> list[tuple[int, int, int]]:
    """(u, v, start of offset (u, v)'s run) in the flattened padded image."""
    return [(u, v, u * dilation[0] * width + v * dilation[1])
            for u in range(kernel[0]) for v in range(kernel[1])]


def _wide(g: np.ndarray, width: int) -> np.ndarray:
    """ḡ (N, out, H_out, W_out) with zero columns up to `width`: (N, out, H_out·width)."""
    n, o, oh, ow = g.shape
    wide = np.zeros((n, o, oh, width), dtype=g.dtype)
    wide[..., :ow] = g
    return wide.reshape(n, o, oh * width)


def _batch_step(per_image: int) -> int:
    """How many images the wide-column loops take at a time: about 1 MiB of columns, which
    stay in the core's 2 MiB L2 cache from their copy to their GEMM (on (64, 16, 14, 14)
    with 3×3 kernels, 8 images at a time take 0.99 ms for copy, GEMM and cut, the whole
    batch at once 1.37 ms)."""
    return max(1, (1 << 20) // per_image)


def _wide_columns(flat: np.ndarray, kernel: Pair, dilation: Pair, width: int, run: int
                  ) -> np.ndarray:
    """The wide columns of the images in `flat` = rows(x) (N, C, L), as a strided view
    (N, C, k_h, k_w, run): entry (n, c, u, v, t) is flat[n, c, u·d_h·W_r + v·d_w + t] for
    t < run = H_out·W_r. A copy of it has inner runs of whole rows' worth of pixels
    (H_out·W_r long) instead of unfold's W_out-long ones."""
    n, c, length = flat.shape
    step = flat.itemsize
    return as_strided(flat, (n, c, kernel[0], kernel[1], run),
                      (c * length * step, length * step, dilation[0] * width * step,
                       dilation[1] * step, step), writeable=False)


def _conv_wide(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, padding: Pair,
               dilation: Pair, groups: int) -> np.ndarray:
    """y = W @ wide columns (+ b) at stride 1, a few images at a time: (N, C, H, W) →
    (N, out, H_out, W_out). Per image and group one GEMM (out/G, C/G·k_h·k_w) @
    (C/G·k_h·k_w, H_out·W_r); the W_r − W_out extra columns of each output row are cut off."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    width = row_width(wd, padding[1], kw, dilation[1])
    oh = out_size(h, kh, 1, padding[0], dilation[0])
    ow = out_size(wd, kw, 1, padding[1], dilation[1])
    run, og = oh * width, o // groups
    dtype = np.result_type(x, w)
    wg = w.reshape(groups, og, cg * kh * kw).astype(dtype, copy=False)
    step = min(n, _batch_step(c * kh * kw * run * dtype.itemsize))
    # padding a few images at a time keeps them in cache for the column copy (0.86 ms
    # against 1.87 ms for the bench's grouped forward with the whole batch padded first)
    flat, interior = _rows_buffer(step, x.shape[1:], (kh, kw), padding, dilation, x.dtype)
    view = _wide_columns(flat, (kh, kw), dilation, width, run)
    cols = np.empty((step, c, kh, kw, run), dtype=dtype)
    wide = np.empty((step, groups, og, run), dtype=dtype)
    y = np.empty((n, o, oh, ow), dtype=dtype)
    bias = None if b is None else b.reshape(o, 1, 1)
    for s in range(0, n, step):
        m = min(step, n - s)
        interior[:m] = x[s:s + m]
        np.copyto(cols[:m], view[:m])
        # (G, out/G, K/G) @ (m, G, K/G, run) → (m, G, out/G, run)
        np.matmul(wg, cols[:m].reshape(m, groups, -1, run), out=wide[:m])
        # the cut first, then the bias on contiguous rows: a ufunc with a broadcast operand
        # over W_out-long inner loops costs 1.5x the two (8 images of 32 channels: 37 µs
        # against 25 µs)
        np.copyto(y[s:s + m], wide[:m].reshape(m, o, oh, width)[..., :ow])
        if bias is not None:
            y[s:s + m] += bias
    return y


def _input_grad_wide(g: np.ndarray, w: np.ndarray, padding: Pair, dilation: Pair,
                     groups: int) -> np.ndarray:
    """x̄ at stride 1 as the "full" convolution of ḡ: with P = (k − 1)·d − p,

        x̄[n, c, i, j] = Σ_{o ∈ group(c), u, v} W[o, c, k_h−1−u, k_w−1−v] ·
                                                   ḡ_pad(P)[n, o, i + u·d_h, j + v·d_w]

    i.e. `_conv_wide` with the kernel flipped and its in/out axes swapped within each
    group: (C, out/G, k_h, k_w). A negative P (padding wider than the kernel's reach) crops
    ḡ instead: those outputs saw only padding. (On the bench's grouped and dilated layers
    about 0.55x the time of adding the GEMMs' blocks back per offset.)"""
    o, cg, kh, kw = w.shape
    full = ((kh - 1) * dilation[0] - padding[0], (kw - 1) * dilation[1] - padding[1])
    crop_h, crop_w = max(0, -full[0]), max(0, -full[1])
    g = g[:, :, crop_h:g.shape[2] - crop_h, crop_w:g.shape[3] - crop_w]
    flipped = w.reshape(groups, o // groups, cg, kh, kw)[..., ::-1, ::-1]
    wt = flipped.transpose(0, 2, 1, 3, 4).reshape(groups * cg, o // groups, kh, kw)
    return _conv_wide(g, wt, None, (max(0, full[0]), max(0, full[1])), dilation, groups)


def _weight_grad_by_rows(x: np.ndarray, g: np.ndarray, kernel: Pair, padding: Pair,
                         dilation: Pair, groups: int) -> np.ndarray:
    """w̄ at stride 1 from rows of x: (out, C/G, k_h, k_w).

    Without groups, per offset w̄[:, :, u, v] = Σ_n ḡ_wide[n] @ run_{u,v}(x)[n]ᵀ, one batched
    GEMM on views of rows(x) (the wide columns of ḡ are zeros, so the other pixels in the
    runs contribute nothing). With groups those GEMMs split into N·G tiny ones: then
    Σ_n wide columns[n] @ ḡ_wide[n]ᵀ per group, a few images at a time (on the bench's
    grouped layer 1.03 ms against 1.21 ms; without groups 1.38 ms against 1.06 ms)."""
    n, c = x.shape[:2]
    o = g.shape[1]
    og, cg = o // groups, c // groups
    width = row_width(x.shape[3], padding[1], kernel[1], dilation[1])
    oh, ow = g.shape[2:]
    run = oh * width
    dtype = np.result_type(x, g)
    if groups == 1:
        # rows of x and ḡ_wide a batch step at a time, in cache for the k_h·k_w GEMMs that
        # read them (0.91x the time with the whole batch's rows on the bench's dilated
        # layer: median of 8 paired timings, ~1.0 ms before)
        length = (x.shape[2] + 2 * padding[0]) * width + (kernel[1] - 1) * dilation[1]
        step = min(n, _batch_step((c * length + o * run) * dtype.itemsize))
        flat, interior = _rows_buffer(step, x.shape[1:], kernel, padding, dilation, x.dtype)
        gw = np.zeros((step, o, oh, width), dtype=g.dtype)
        wbar = np.zeros((kernel[0], kernel[1], o, c), dtype=dtype)
        for s in range(0, n, step):
            m = min(step, n - s)
            interior[:m] = x[s:s + m]
            gw[:m, ..., :ow] = g[s:s + m]
            rows_g = gw[:m].reshape(m, o, run)
            for u, v, start in _runs(kernel, dilation, width):
                wbar[u, v] += (rows_g @ flat[:m, :, start:start + run].transpose(0, 2, 1)
                               ).sum(axis=0)
        return wbar.transpose(2, 3, 0, 1)
    k = cg * kernel[0] * kernel[1]
    step = min(n, _batch_step(c * kernel[0] * kernel[1] * run * dtype.itemsize))
    flat, interior = _rows_buffer(step, x.shape[1:], kernel, padding, dilation, x.dtype)
    view = _wide_columns(flat, kernel, dilation, width, run)
    cols = np.empty((step, c, kernel[0], kernel[1], run), dtype=dtype)
    gw = np.zeros((step, o, oh, width), dtype=g.dtype)  # ḡ_wide, a batch step at a time
    wbar_t = np.zeros((groups, k, og), dtype=dtype)
    for s in range(0, n, step):
        m = min(step, n - s)
        interior[:m] = x[s:s + m]
        np.copyto(cols[:m], view[:m])
        gw[:m, ..., :ow] = g[s:s + m]
        # (m, G, K/G, run) @ (m, G, run, out/G), summed over the images
        products = cols[:m].reshape(m, groups, k, run) @ \
            gw[:m].reshape(m, groups, og, run).transpose(0, 1, 3, 2)
        wbar_t += products.sum(axis=0)
    return wbar_t.transpose(0, 2, 1).reshape(o, cg, *kernel)


# --- fused primitives: forward and VJPs side by side --------------------------------------------

def _conv_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, *, stride: Pair,
                  padding: Pair, dilation: Pair, groups: int,
                  saved: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """y = W @ unfold(x) + b per image and group: (N, C, H, W) → (N, out, H_out, W_out).
    The columns go into `saved` when given, for the weight gradient."""
    n, h, wd = x.shape[0], x.shape[2], x.shape[3]
    o, cg, kh, kw = w.shape
    oh = out_size(h, kh, stride[0], padding[0], dilation[0])
    ow = out_size(wd, kw, stride[1], padding[1], dilation[1])
    if by_rows(stride, cg):  # the weight gradient pads x again (cheaper than keeping it)
        return _conv_wide(x, w, b, padding, dilation, groups)
    if groups == 1 and b is not None:
        # the bias as a last column of W against a row of ones: one pass over y fewer (the
        # bench's 1 → 8 channel layer: 0.22 ms against 0.30 ms for GEMM, then y += b)
        cols = unfold(x, (kh, kw), stride, padding, dilation, ones=True)  # (N, K + 1, P)
        wb = np.concatenate([w.reshape(o, -1), b[:, None]], axis=1,
                            dtype=np.result_type(w, x))  # y's dtype, as for y += b
        y = wb @ cols  # the columns keep their row of ones: see _conv_vjp_w
    else:
        cols = unfold(x, (kh, kw), stride, padding, dilation)  # (N, K, P)
        if groups == 1:
            y = w.reshape(o, -1) @ cols  # (out, K) @ (N, K, P): one GEMM per image
        else:  # (G, out/G, K/G) @ (N, G, K/G, P)
            y = (w.reshape(groups, o // groups, -1) @ cols.reshape(n, groups, -1, oh * ow))
            y = y.reshape(n, o, oh * ow)
            if b is not None:
                y += b[:, None]
    if saved is not None:
        saved["cols"] = cols
    return y.reshape(n, o, oh, ow)


def _input_grad_forward(g: np.ndarray, w: np.ndarray, *, shape: tuple[int, ...], stride: Pair,
                        padding: Pair, dilation: Pair, groups: int) -> np.ndarray:
    """x̄ = fold(Wᵀ @ ḡ): (N, out, H_out, W_out) → (N, C, H, W) = `shape`."""
    n, o, oh, ow = g.shape
    if by_rows(stride, shape[1] // groups):
        return _input_grad_wide(g, w, padding, dilation, groups)
    if stride == (1, 1):
        return _input_grad_full_rows(g, w, shape, padding, dilation, groups)
    if groups == 1:
        cols = w.reshape(o, -1).T @ g.reshape(n, o, oh * ow)  # (K, out) @ (N, out, P)
    else:
        wg = w.reshape(groups, o // groups, -1).transpose(0, 2, 1)  # (G, K/G, out/G)
        cols = wg @ g.reshape(n, groups, o // groups, oh * ow)
    return fold(cols.reshape(n, -1, oh * ow), shape, w.shape[2:], stride, padding, dilation)


def _input_grad_full_rows(g: np.ndarray, w: np.ndarray, shape: tuple[int, ...], padding: Pair,
                          dilation: Pair, groups: int) -> np.ndarray:
    """`_input_grad_forward` at stride 1 with fewer than 4 channels per group, on whole rows
    of the padded image.

    `fold` adds k_h·k_w blocks of H_out × W_out; on small images numpy then spends its time
    starting W_out-long inner loops. Here ḡ gets zero columns up to the padded width W_p, so
    that offset (u, v)'s block is one contiguous run of H_out·W_p values of the flattened
    padded image, starting at u·d_h·W_p + v·d_w; the extra columns carry zeros, so where
    they land does not matter (the image gets a tail of (k_w − 1)·d_w values for the last
    runs). One GEMM gives every offset's block, Wᵀ @ ḡ_wide."""
    n, o, oh, ow = g.shape
    c, h, wd = shape[1:]
    (ph, pw), dw, (kh, kw) = padding, dilation[1], w.shape[2:]
    hp, wp = h + 2 * ph, wd + 2 * pw
    run = oh * wp
    wide = _wide(g, wp)
    flat = np.zeros((n, c, hp * wp + (kw - 1) * dw), dtype=np.result_type(g, w))
    og = o // groups
    if groups == 1:
        cols = w.reshape(o, -1).T @ wide
    else:
        cols = w.reshape(groups, og, -1).transpose(0, 2, 1) @ wide.reshape(n, groups, og, run)
    parts = cols.reshape(n, c, kh, kw, run)
    for u, v, start in _runs((kh, kw), dilation, wp):
        flat[:, :, start:start + run] += parts[:, :, u, v]
    image = flat[:, :, :hp * wp].reshape(n, c, hp, wp)
    return image[:, :, ph:ph + h, pw:pw + wd] if ph or pw else image


def _weight_grad_forward(x: np.ndarray, g: np.ndarray, *, kernel: Pair, stride: Pair,
                         padding: Pair, dilation: Pair, groups: int) -> np.ndarray:
    """w̄ = Σ_n ḡ[n] @ unfold(x)[n]ᵀ: (out, C/G, k_h, k_w)."""
    if by_rows(stride, x.shape[1] // groups):
        return _weight_grad_by_rows(x, g, kernel, padding, dilation, groups)
    cols = unfold(x, kernel, stride, padding, dilation)  # (N, K, P)
    return _weight_grad_from_columns(cols, g, x.shape[1], kernel, groups)


def _weight_grad_from_columns(cols: np.ndarray, g: np.ndarray, channels: int, kernel: Pair,
                              groups: int) -> np.ndarray:
    n, o, p = g.shape[0], g.shape[1], g.shape[2] * g.shape[3]
    if groups == 1:
        # N GEMMs of (out, P) @ (P, K), then a sum: a single (out, N·P) @ (N·P, K) GEMM
        # would first need both operands copied into that order (measured 5x slower)
        wbar = (g.reshape(n, o, p) @ cols.transpose(0, 2, 1)).sum(axis=0)
    else:
        gg = g.reshape(n, groups, o // groups, p)
        wbar = (gg @ cols.reshape(n, groups, -1, p).transpose(0, 1, 3, 2)).sum(axis=0)
    return wbar.reshape(o, channels // groups, *kernel)


def _channel_sum_forward(g: np.ndarray) -> np.ndarray:
    """Σ over N, H, W of (N, C, H, W): a GEMV with ones and a small sum. numpy's
    g.sum(axis=(0, 2, 3)) reduces along strided axes and is several times slower."""
    n, c = g.shape[:2]
    rows = g.reshape(n * c, -1) @ np.ones(g.shape[2] * g.shape[3], dtype=g.dtype)
    return rows.reshape(n, c).sum(axis=0)


def _geometry(params: dict[str, Any]) -> dict[str, Any]:
    """The parameters every conv primitive shares (drops `shape` / `kernel`)."""
    return {k: params[k] for k in ("stride", "padding", "dilation", "groups")}


def _conv_vjp_x(g: Any, out: Any, x: Any, w: Any, b: Any = None, **params: Any) -> Any:
    return CONV2D_INPUT_GRAD(g, w, shape=tuple(x.shape), **_geometry(params))


def _conv_vjp_w(g: Any, out: Any, x: Any, w: Any, b: Any = None, **params: Any) -> Any:
    saved = params.get("saved")
    # a plain backward uses the forward's columns (once: popped, so the graph does not keep
    # them); under create_graph, or a second pass over a retained graph, they are recomputed
    plain = saved is not None and isinstance(g, np.ndarray)
    cols = saved.pop("cols", None) if plain else None
    if cols is not None and params["groups"] == 1 and cols.shape[1] == w[0].size + 1:
        # the forward's row of ones (a bias, no groups): one more column of the same GEMM,
        # Σ_n ḡ[n] @ onesᵀ, is the bias gradient; it is left for _conv_vjp_b, which the
        # engine runs next on the same ḡ (on the bench's conv step 0.02 ms more GEMM
        # instead of a 0.07 ms channel sum in the step)
        both = (g.reshape(g.shape[0], g.shape[1], -1) @ cols.transpose(0, 2, 1)).sum(axis=0)
        saved["bias_grad"] = (g, both[:, -1])
        return both[:, :-1].reshape(w.shape)
    if cols is not None:
        return _weight_grad_from_columns(cols, g, x.shape[1], tuple(w.shape[2:]),
                                         params["groups"])
    return CONV2D_WEIGHT_GRAD(x, g, kernel=tuple(w.shape[2:]), **_geometry(params))


def _conv_vjp_b(g: Any, out: Any, x: Any, w: Any, b: Any, **params: Any) -> Any:
    saved = params.get("saved")
    left = saved.pop("bias_grad", None) if saved is not None else None
    if left is not None and left[0] is g:  # from the weight's VJP, for this same ḡ
        return left[1]
    return CHANNEL_SUM(g)


def _input_grad_vjp_g(gx: Any, out: Any, g: Any, w: Any, **params: Any) -> Any:
    """⟨conv2d_input_grad(ḡ, w), X̄⟩ = ⟨ḡ, conv2d(X̄, w)⟩."""
    return CONV2D(gx, w, **_geometry(params))


def _input_grad_vjp_w(gx: Any, out: Any, g: Any, w: Any, **params: Any) -> Any:
    return CONV2D_WEIGHT_GRAD(gx, g, kernel=tuple(w.shape[2:]), **_geometry(params))


def _weight_grad_vjp_x(gw: Any, out: Any, x: Any, g: Any, **params: Any) -> Any:
    """⟨conv2d_weight_grad(x, ḡ), W̄⟩ = ⟨conv2d(x, W̄), ḡ⟩."""
    return CONV2D_INPUT_GRAD(g, gw, shape=tuple(x.shape), **_geometry(params))


def _weight_grad_vjp_g(gw: Any, out: Any, x: Any, g: Any, **params: Any) -> Any:
    return CONV2D(x, gw, **_geometry(params))


def _channel_sum_vjp(gb: Any, out: Any, g: Any) -> Any:
    """Each entry of channel c received ḡ_b[c]."""
    return gb.reshape(1, -1, 1, 1) * np.ones(g.shape, dtype=g.dtype)


# Inputs positional, parameters keywords (stride, padding, dilation: pairs; groups: int).
# Shown in diagrams as "conv2d" etc.; called on arrays they return the kernel's array.
CONV2D = primitive(_conv_forward, name="conv2d").defvjp(_conv_vjp_x, _conv_vjp_w)
CONV2D_BIAS = primitive(_conv_forward, name="conv2d").defvjp(_conv_vjp_x, _conv_vjp_w,
                                                            _conv_vjp_b)
CONV2D_INPUT_GRAD = primitive(_input_grad_forward, name="conv2d_input_grad").defvjp(
    _input_grad_vjp_g, _input_grad_vjp_w)
CONV2D_WEIGHT_GRAD = primitive(_weight_grad_forward, name="conv2d_weight_grad").defvjp(
    _weight_grad_vjp_x, _weight_grad_vjp_g)
CHANNEL_SUM = primitive(_channel_sum_forward, name="channel_sum").defvjp(_channel_sum_vjp)


# --- the unfused primitives (teaching; the im2col view of a convolution) ------------------------

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
    added back where im2col took them; overlapping windows accumulate (k_h·k_w strided adds)."""
    n, c = shape[:2]
    oh, ow = cols.shape[1:3]
    # to the columns layout of `fold`: (N, C·k_h·k_w, H_out·W_out)
    as_columns = cols.reshape(n, oh * ow, -1).transpose(0, 2, 1)
    return fold(as_columns, shape, kernel, stride)


def _im2col_vjp(g: Any, out: Any, x: Any, kernel: Pair, stride: Pair) -> Any:
    """x̄ = col2im(ḡ): each pixel collects the adjoints of every window it appears in."""
    return COL2IM(g, shape=tuple(x.shape), kernel=kernel, stride=stride)


def _col2im_vjp(g: Any, out: Any, cols: Any, shape: tuple[int, ...], kernel: Pair,
                stride: Pair) -> Any:
    """c̄ = im2col(ḡ): col2im is linear and im2col is its adjoint."""
    return IM2COL(g, kernel=kernel, stride=stride)


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


def _check_fits(x: Tensor, kernel: Pair, padding: Pair, who: str,
                dilation: Pair = (1, 1)) -> None:
    h, w = x.shape[2] + 2 * padding[0], x.shape[3] + 2 * padding[1]
    span = ((kernel[0] - 1) * dilation[0] + 1, (kernel[1] - 1) * dilation[1] + 1)
    if span[0] > h or span[1] > w:
        spread = "" if dilation == (1, 1) else f" (spanning {span} with dilation {dilation})"
        raise ValueError(f"{who}: kernel size {kernel}{spread} is larger than the padded input "
                         f"({h}, {w}) (input shape {x.shape}, padding {padding})")


def _groups(groups: Any, in_channels: int, out_channels: int, who: str) -> int:
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{who}: groups must be a positive int, got {groups!r}")
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
        if value % groups:
            raise ValueError(f"{who}: {name} ({value}) must be divisible by groups ({groups})")
    return int(groups)


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
           padding: IntOrPair = 0, dilation: IntOrPair = 1, groups: int = 1, *,
           who: str = "conv2d") -> Tensor:
    """2-D convolution (cross-correlation, as PyTorch) of (N, C, H, W) `x` with `weight`
    (out, C/groups, k_h, k_w) and optional `bias` (out,): returns (N, out, H_out, W_out),
    H_out = ⌊(H + 2·p_h − d_h·(k_h − 1) − 1) / s_h⌋ + 1 (likewise W_out).

    `groups` splits the channels: output channel o sees only input channels of its group
    (groups = C: depthwise). `who` names the caller in error messages."""
    step, pad = _pair(stride, "stride", who, 1), _pair(padding, "padding", who, 0)
    dil = _pair(dilation, "dilation", who, 1)
    weight = as_tensor(weight)
    if weight.ndim != 4:
        raise ValueError(f"{who}: weight must have shape (out, in/groups, k_h, k_w), got "
                         f"{weight.shape}")
    out_channels, per_group, kh, kw = weight.shape
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{who}: groups must be a positive int, got {groups!r}")
    groups = int(groups)
    x = _image(x, who, per_group * groups)
    if out_channels % groups:
        raise ValueError(f"{who}: the weight's {out_channels} output channels must be "
                         f"divisible by groups ({groups})")
    _check_fits(x, (kh, kw), pad, who, dil)
    if bias is not None:
        bias = as_tensor(bias)
        if bias.shape != (out_channels,):
            raise ValueError(f"{who}: bias must have shape ({out_channels},) (one per output "
                             f"channel of weight {weight.shape}), got {bias.shape}")
    geometry: dict[str, Any] = {"stride": step, "padding": pad, "dilation": dil,
                                "groups": groups}
    if weight.requires_grad and is_grad_enabled():
        geometry["saved"] = {}  # the forward's columns, for the weight gradient
    if bias is None:
        return CONV2D(x, weight, **geometry)
    return CONV2D_BIAS(x, weight, bias, **geometry)


# --- modules ------------------------------------------------------------------------------------

class Conv2d(Module):
    """2-D convolution over (N, C, H, W) images, PyTorch's signature and weight layout.

    weight: (out_channels, in_channels / groups, k_h, k_w), bias: (out_channels,), both drawn
    from U(−1/√fan_in, 1/√fan_in) with fan_in = in_channels / groups · k_h · k_w (PyTorch's
    default, kaiming_uniform with a = √5). Output: (N, out_channels, H_out, W_out) with
    H_out = ⌊(H + 2·padding_h − dilation_h·(k_h − 1) − 1) / stride_h⌋ + 1, likewise W_out.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrPair,
                 stride: IntOrPair = 1, padding: IntOrPair = 0, dilation: IntOrPair = 1,
                 groups: int = 1, bias: bool = True,
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
        self.dilation = _pair(dilation, "dilation", who, 1)
        self.groups = _groups(groups, self.in_channels, self.out_channels, who)
        kh, kw = self.kernel_size
        per_group = self.in_channels // self.groups
        bound = 1.0 / np.sqrt(per_group * kh * kw)
        generator = resolve_rng(rng)
        self.weight = Parameter(generator.uniform(
            -bound, bound, (self.out_channels, per_group, kh, kw)))
        self.bias = Parameter(generator.uniform(-bound, bound, self.out_channels)) \
            if bias else None

    def forward(self, x: Tensor) -> Tensor:
        who = f"Conv2d({self.extra_repr()})"
        return conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                      self.groups, who=who)

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text if self.bias is not None else text + ", bias=False"


def __getattr__(name: str) -> Any:
    """`nn.conv.MaxPool2d` and `nn.conv.max_pool2d` moved to `nn.pooling`; still found here."""
    if name in ("MaxPool2d", "max_pool2d"):
        from . import pooling
        return getattr(pooling, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
