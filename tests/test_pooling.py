"""Tests for `nn/pooling.py`: MaxPool2d, AvgPool2d and the fused pooling primitives.

Forward passes against explicit-loop numpy references (float64) over tables of kernels,
strides, paddings and dilations; gradients against float64 central differences (gradcheck,
without ties for max pooling); how ties share the gradient; second derivatives by
gradchecking a gradient; against PyTorch in float64 (skipped without torch: the loop
references are the torch-free twins); float32 kept; count_include_pad and divisor_override;
repr and errors.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from autograd_lite import Tensor, grad, gradcheck
from nn.pooling import AvgPool2d, MaxPool2d, avg_pool2d, max_pool2d


def _pair(v: Any) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else tuple(v)


def _windows(x: np.ndarray, kernel: Any, stride: Any, padding: Any, dilation: Any,
             fill: float) -> tuple[np.ndarray, np.ndarray]:
    """Every window of x padded with `fill`, as (N, C, H_out, W_out, k_h·k_w); and a mask of
    the entries inside the image."""
    (kh, kw), (sh, sw) = _pair(kernel), _pair(stride)
    (ph, pw), (dh, dw) = _pair(padding), _pair(dilation)
    n, c, h, w = x.shape
    xp = np.full((n, c, h + 2 * ph, w + 2 * pw), fill)
    xp[:, :, ph:ph + h, pw:pw + w] = x
    inside = np.zeros(xp.shape[2:], dtype=bool)
    inside[ph:ph + h, pw:pw + w] = True
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, c, oh, ow, kh * kw))
    real = np.zeros((oh, ow, kh * kw), dtype=bool)
    for i in range(oh):
        for j in range(ow):
            rows = slice(i * sh, i * sh + dh * (kh - 1) + 1, dh)
            cols = slice(j * sw, j * sw + dw * (kw - 1) + 1, dw)
            out[:, :, i, j] = xp[:, :, rows, cols].reshape(n, c, -1)
            real[i, j] = inside[rows, cols].reshape(-1)
    return out, real


def _tensor(v: Any) -> Tensor:
    """A nested transform returns a Tensor; gradcheck's no_grad evaluations an array."""
    return v if isinstance(v, Tensor) else Tensor(v)


def max_reference(x: np.ndarray, kernel: Any, stride: Any, padding: Any = 0,
                  dilation: Any = 1) -> np.ndarray:
    return _windows(x, kernel, stride, padding, dilation, -np.inf)[0].max(axis=-1)


def avg_reference(x: np.ndarray, kernel: Any, stride: Any, padding: Any = 0,
                  count_include_pad: bool = True) -> np.ndarray:
    windows, real = _windows(x, kernel, stride, padding, 1, 0.0)
    count = windows.shape[-1] if count_include_pad else real.sum(axis=-1)
    return windows.sum(axis=-1) / count


# --- max pooling --------------------------------------------------------------------------------

# (shape, kernel, stride, padding, dilation)
MAX_CASES = [((2, 3, 6, 8), 2, None, 0, 1), ((1, 2, 7, 5), 2, None, 0, 1),
             ((2, 1, 7, 7), 3, 2, 0, 1), ((1, 2, 6, 7), (2, 3), (1, 2), 0, 1),
             ((1, 1, 4, 4), 4, None, 0, 1), ((2, 2, 7, 6), 3, 2, 1, 1),
             ((1, 2, 9, 8), 3, 1, (1, 0), 2), ((1, 1, 8, 9), (2, 3), (3, 2), (1, 1), (3, 2))]


@pytest.mark.parametrize("shape,kernel,stride,padding,dilation", MAX_CASES)
def test_maxpool2d_forward_matches_loop_reference(shape: tuple[int, ...], kernel: Any,
                                                  stride: Any, padding: Any,
                                                  dilation: Any) -> None:
    x = np.random.default_rng(8).standard_normal(shape)
    y = MaxPool2d(kernel, stride, padding, dilation)(Tensor(x))
    expected = max_reference(x, kernel, kernel if stride is None else stride, padding, dilation)
    assert y.shape == expected.shape
    np.testing.assert_array_equal(y.data, expected)


@pytest.mark.parametrize("shape,kernel,stride,padding,dilation", MAX_CASES)
def test_maxpool2d_gradient_passes_gradcheck(shape: tuple[int, ...], kernel: Any, stride: Any,
                                             padding: Any, dilation: Any) -> None:
    x = np.random.default_rng(9).permutation(np.prod(shape)).reshape(shape) * 0.1  # no ties
    assert gradcheck(lambda t: MaxPool2d(kernel, stride, padding, dilation)(t),
                     x.astype(np.float64))


def test_maxpool2d_routes_gradient_to_the_max_of_each_window() -> None:
    x = Tensor(np.array([[[[1.0, 5.0, 2.0, 0.0],
                           [3.0, 4.0, 7.0, 6.0]]]]), requires_grad=True)
    y = MaxPool2d(2)(x)
    np.testing.assert_array_equal(y.data, [[[[5.0, 7.0]]]])
    y.backward(np.array([[[[10.0, 20.0]]]]))
    np.testing.assert_array_equal(x.grad, [[[[0, 10, 0, 0], [0, 0, 20, 0]]]])


def test_maxpool2d_ties_share_the_gradient_evenly() -> None:
    x = Tensor(np.array([[[[2.0, 2.0, 1.0, 3.0],
                           [2.0, 0.0, 3.0, 3.0]]]]), requires_grad=True)
    MaxPool2d(2)(x).sum().backward()
    third = 1 / 3  # three 2s tie in the left window, three 3s in the right one
    np.testing.assert_allclose(x.grad, [[[[third, third, 0, third], [third, 0, third, third]]]])


def test_maxpool2d_ties_in_windows_of_256_or_more_entries_are_counted_exactly() -> None:
    """Tie counts are small integers (uint8 up to 255 entries a window, wider beyond)."""
    for size in (15, 16, 17):  # 225, 256 and 289 entries, all tied
        x = Tensor(np.zeros((1, 2, size, size), dtype=np.float32), requires_grad=True)
        MaxPool2d(size)(x).sum().backward()
        assert x.grad.dtype == np.float32
        np.testing.assert_allclose(x.grad, np.full(x.shape, 1 / size ** 2), rtol=1e-6)


def test_maxpool2d_overlapping_windows_accumulate_and_split_ties() -> None:
    x = Tensor(np.array([[[[1.0, 4.0, 4.0]]]]), requires_grad=True)  # windows [1,4] and [4,4]
    MaxPool2d((1, 2), stride=1)(x).sum().backward()
    np.testing.assert_allclose(x.grad, [[[[0.0, 1.5, 0.5]]]])


def test_maxpool2d_padding_is_never_the_max_and_gets_no_gradient() -> None:
    x = Tensor(-np.ones((1, 1, 2, 2)) * np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    y = MaxPool2d(2, stride=1, padding=1)(x)  # windows reach into the padding
    np.testing.assert_array_equal(y.data[0, 0], [[-1, -1, -2], [-1, -1, -2], [-3, -3, -4]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad[0, 0], [[4, 2], [2, 1]])  # windows each entry wins


def test_maxpool2d_nan_propagates_and_its_window_gets_no_gradient_elsewhere() -> None:
    x = Tensor(np.array([[[[np.nan, 1.0, 2.0, 3.0]]]]), requires_grad=True)
    y = MaxPool2d((1, 2))(x)
    assert np.isnan(y.data[0, 0, 0, 0]) and y.data[0, 0, 0, 1] == 3.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [[[[0.0, 0.0, 0.0, 1.0]]]])


def test_maxpool2d_second_derivatives_pass_gradcheck() -> None:
    """x̄ routes ḡ (a primitive whose VJP gathers): gradcheck ∂/∂x of a gradient."""
    rng = np.random.default_rng(10)
    x = rng.permutation(2 * 7 * 7).reshape(1, 2, 7, 7) * 0.1
    f = grad(lambda t: (max_pool2d(t, 3, 2, 1) ** 3).sum())
    assert gradcheck(lambda t: _tensor(f(t)), x)


def test_maxpool2d_keeps_float32() -> None:
    x = Tensor(np.random.default_rng(11).standard_normal((2, 3, 6, 6)).astype(np.float32),
               requires_grad=True)
    y = MaxPool2d(3, 2, 1)(x)
    y.sum().backward()
    assert y.dtype == x.grad.dtype == np.float32


# --- average pooling ----------------------------------------------------------------------------

# (shape, kernel, stride, padding)
AVG_CASES = [((2, 3, 6, 8), 2, None, 0), ((1, 2, 7, 5), 2, None, 0), ((2, 1, 7, 7), 3, 2, 1),
             ((1, 2, 6, 7), (2, 3), (1, 2), (1, 1)), ((1, 1, 5, 5), 5, None, 2),
             ((2, 2, 8, 6), (3, 2), 1, (1, 0))]


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("shape,kernel,stride,padding", AVG_CASES)
def test_avgpool2d_forward_matches_loop_reference(shape: tuple[int, ...], kernel: Any,
                                                  stride: Any, padding: Any,
                                                  count_include_pad: bool) -> None:
    x = np.random.default_rng(12).standard_normal(shape)
    y = AvgPool2d(kernel, stride, padding, count_include_pad=count_include_pad)(Tensor(x))
    expected = avg_reference(x, kernel, kernel if stride is None else stride, padding,
                             count_include_pad)
    assert y.shape == expected.shape
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("shape,kernel,stride,padding", AVG_CASES)
def test_avgpool2d_gradient_passes_gradcheck(shape: tuple[int, ...], kernel: Any, stride: Any,
                                             padding: Any, count_include_pad: bool) -> None:
    x = np.random.default_rng(13).standard_normal(shape)
    assert gradcheck(lambda t: avg_pool2d(t, kernel, stride, padding,
                                          count_include_pad=count_include_pad), x)


def test_avgpool2d_divisor_override_replaces_the_window_size() -> None:
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    y = AvgPool2d(2, divisor_override=3)(Tensor(x))
    np.testing.assert_allclose(y.data, avg_reference(x, 2, 2) * 4 / 3)
    assert gradcheck(lambda t: avg_pool2d(t, 2, 1, 1, divisor_override=5), x)


def test_avgpool2d_second_derivative_passes_gradcheck() -> None:
    x = np.random.default_rng(14).standard_normal((1, 2, 5, 6))
    f = grad(lambda t: (avg_pool2d(t, 3, 2, 1) ** 3).sum())
    assert gradcheck(lambda t: _tensor(f(t)), x)


def test_avgpool2d_keeps_float32_and_reads_like_pytorch() -> None:
    x = Tensor(np.ones((1, 2, 4, 4), dtype=np.float32), requires_grad=True)
    y = AvgPool2d(2)(x)
    y.sum().backward()
    assert y.dtype == x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, np.full((1, 2, 4, 4), 0.25, dtype=np.float32))
    assert repr(AvgPool2d(2)) == "AvgPool2d(kernel_size=2, stride=2, padding=0)"
    assert repr(MaxPool2d(3, 2, 1, 2)) == \
        "MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=False)"


# --- errors -------------------------------------------------------------------------------------

def test_pooling_errors_name_the_layer_and_what_was_expected() -> None:
    with pytest.raises(ValueError, match=r"MaxPool2d\(kernel_size=2.*4-D input.*\(3, 4, 4\)"):
        MaxPool2d(2)(Tensor(np.zeros((3, 4, 4), dtype=np.float32)))
    with pytest.raises(ValueError, match=r"AvgPool2d.*padding \(2, 2\) must be at most half"):
        AvgPool2d(2, padding=2)(Tensor(np.zeros((1, 1, 4, 4))))
    with pytest.raises(ValueError, match=r"max_pool2d.*padding \(2, 2\) must be at most half"):
        max_pool2d(Tensor(np.zeros((1, 1, 4, 4))), 3, padding=2)
    with pytest.raises(NotImplementedError, match="ceil_mode=True is not supported"):
        MaxPool2d(2, ceil_mode=True)
    with pytest.raises(NotImplementedError, match="return_indices=True"):
        max_pool2d(Tensor(np.zeros((1, 1, 4, 4))), 2, return_indices=True)
    with pytest.raises(ValueError, match="divisor_override must be a positive int"):
        avg_pool2d(Tensor(np.zeros((1, 1, 4, 4))), 2, divisor_override=0)
    with pytest.raises(TypeError, match="floating-point"):
        AvgPool2d(2)(Tensor(np.zeros((1, 1, 4, 4), dtype=np.int64)))
    with pytest.raises(ValueError, match=r"kernel size \(3, 3\) \(spanning \(5, 5\)"):
        MaxPool2d(3, dilation=2)(Tensor(np.zeros((1, 1, 4, 4))))


# --- against PyTorch (float64 values and gradients) -------------------------------------------

@pytest.mark.parametrize("shape,kernel,stride,padding,dilation", MAX_CASES)
def test_maxpool2d_matches_pytorch(shape: tuple[int, ...], kernel: Any, stride: Any,
                                   padding: Any, dilation: Any) -> None:
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(15).standard_normal(shape)  # no ties: the conventions agree
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y = max_pool2d(ours, kernel, stride, padding, dilation)
    yt = torch.nn.functional.max_pool2d(theirs, kernel, stride, padding, dilation)
    g = np.random.default_rng(16).standard_normal(y.shape)
    y.backward(g)
    yt.backward(torch.tensor(g))
    np.testing.assert_array_equal(y.data, yt.detach().numpy())
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("divisor_override", [None, 3])
@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("shape,kernel,stride,padding", AVG_CASES)
def test_avgpool2d_matches_pytorch(shape: tuple[int, ...], kernel: Any, stride: Any,
                                   padding: Any, count_include_pad: bool,
                                   divisor_override: int | None) -> None:
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(17).standard_normal(shape)
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    kwargs = {"count_include_pad": count_include_pad, "divisor_override": divisor_override}
    y = AvgPool2d(kernel, stride, padding, **kwargs)(ours)
    yt = torch.nn.AvgPool2d(kernel, stride, padding, **kwargs)(theirs)
    g = np.random.default_rng(18).standard_normal(y.shape)
    y.backward(g)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-14)
