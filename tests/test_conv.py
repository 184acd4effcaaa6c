"""Tests for `nn/conv.py`: Conv2d, the fused conv2d primitives and the pad2d / im2col / col2im
primitives.

Forward passes are checked against explicit-loop numpy references (float64) over a table of
shapes, kernels, strides, paddings, dilations and groups (non-square, stride 2, kernel as
large as the padded input, depthwise), and over random geometries (hypothesis); gradients
against float64 central differences (gradcheck), unfold against fold and im2col against
col2im by adjointness, second derivatives by gradchecking a gradient; against PyTorch in
float64 (skipped without torch); then dtypes, initialization, repr, errors, the parameter
counts of Nielsen's example and a LeNet-style step. Pooling is in tests/test_pooling.py.
"""

from __future__ import annotations

import time
from typing import Any, NamedTuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_lite import Tensor, grad, gradcheck, hvp, no_grad
from nn.conv import Conv2d, col2im, conv2d, fold, im2col, pad2d, unfold
from nn.module import Module, Parameter
from nn.pooling import MaxPool2d, max_pool2d


def _pair(v: int | tuple[int, int]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else v


# --- loop references (float64) -----------------------------------------------------------------

def conv_reference(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: Any,
                   padding: Any, dilation: Any = 1, groups: int = 1) -> np.ndarray:
    """y[n, o, i, j] = b[o] + Σ_{c in o's group, u, v} w[o, c, u, v] ·
    x_pad[n, c, i·s_h + u·d_h, j·s_w + v·d_w]."""
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    n, c, h, width = x.shape
    o, per_group, kh, kw = w.shape
    xp = np.zeros((n, c, h + 2 * ph, width + 2 * pw))
    xp[:, :, ph:ph + h, pw:pw + width] = x
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (width + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n, o, oh, ow))
    for b_ in range(n):
        for f in range(o):
            first = f // (o // groups) * per_group  # the group's first input channel
            for i in range(oh):
                for j in range(ow):
                    window = xp[b_, first:first + per_group, i * sh:i * sh + dh * (kh - 1) + 1:dh,
                                j * sw:j * sw + dw * (kw - 1) + 1:dw]
                    y[b_, f, i, j] = np.sum(window * w[f]) + (0.0 if b is None else b[f])
    return y


class Case(NamedTuple):
    n: int
    c: int
    h: int
    w: int
    out: int
    kernel: Any
    stride: Any
    padding: Any


CASES = [
    Case(1, 1, 5, 5, 1, 3, 1, 0),
    Case(2, 3, 7, 9, 4, (3, 2), (2, 1), (1, 2)),   # non-square everything
    Case(2, 2, 8, 8, 3, 3, 2, 1),                  # stride 2 with padding
    Case(3, 1, 6, 7, 2, (2, 3), (3, 2), 0),        # stride leaves rows unused
    Case(1, 2, 4, 4, 2, 4, 1, 0),                  # kernel as large as the input
    Case(2, 1, 5, 6, 2, 1, 1, 0),                  # 1×1 kernel
    Case(1, 1, 3, 3, 1, 5, 1, 1),                  # kernel larger than the input, fits padded
]
IDS = [f"{c.n}x{c.c}x{c.h}x{c.w}-k{c.kernel}-s{c.stride}-p{c.padding}" for c in CASES]


class GroupCase(NamedTuple):
    shape: tuple[int, int, int, int]
    out: int
    kernel: Any
    stride: Any
    padding: Any
    dilation: Any
    groups: int


GROUP_CASES = [
    GroupCase((2, 4, 7, 8), 6, 3, 1, 0, 1, 2),              # two groups
    GroupCase((1, 3, 6, 6), 3, 3, 1, 1, 1, 3),              # depthwise
    GroupCase((2, 2, 9, 8), 3, 3, 1, 2, 2, 1),              # dilation 2, "same" padding
    GroupCase((1, 4, 10, 9), 4, (2, 3), (2, 1), (1, 2), (3, 2), 2),  # everything mixed
    GroupCase((2, 6, 5, 5), 4, 1, 2, 0, 1, 2),              # 1×1 grouped, stride 2
    # 4+ channels per group at stride 1: the input gradient's per-offset GEMMs
    GroupCase((2, 8, 6, 7), 4, 3, 1, 1, 2, 2),
    GroupCase((1, 5, 6, 6), 3, (3, 2), 1, (1, 0), 1, 1),
    # wide columns (4+ channels per group, stride 1): padding beyond the kernel's reach (the
    # input gradient crops ḡ), "same" dilated padding (rows share their padding), mixed
    GroupCase((2, 8, 5, 6), 4, (3, 1), 1, (3, 1), 1, 2),
    GroupCase((2, 4, 7, 5), 8, 3, 1, 2, 2, 1),
    GroupCase((1, 12, 6, 9), 6, (2, 3), 1, (0, 2), (2, 1), 3),
]
WIDE_CASES = GROUP_CASES[-3:]
GROUP_IDS = [f"{c.shape}-o{c.out}-k{c.kernel}-s{c.stride}-p{c.padding}-d{c.dilation}-"
             f"g{c.groups}" for c in GROUP_CASES]


def _group_arrays(case: GroupCase, seed: int = 0
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    kh, kw = _pair(case.kernel)
    return (rng.standard_normal(case.shape),
            rng.standard_normal((case.out, case.shape[1] // case.groups, kh, kw)),
            rng.standard_normal(case.out))


def _arrays(case: Case, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    kh, kw = _pair(case.kernel)
    return (rng.standard_normal((case.n, case.c, case.h, case.w)),
            rng.standard_normal((case.out, case.c, kh, kw)),
            rng.standard_normal(case.out))


def _float64_layer(case: Case, w: np.ndarray, b: np.ndarray) -> Conv2d:
    layer = Conv2d(case.c, case.out, case.kernel, case.stride, case.padding)
    layer.weight = Parameter(w, dtype=np.float64)
    layer.bias = Parameter(b, dtype=np.float64)
    return layer


# --- forward ------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_conv2d_forward_matches_loop_reference(case: Case) -> None:
    x, w, b = _arrays(case)
    layer = _float64_layer(case, w, b)
    y = layer(Tensor(x))
    expected = conv_reference(x, w, b, case.stride, case.padding)
    assert y.shape == expected.shape and y.dtype == np.float64
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-12)


def test_conv2d_without_bias_matches_reference() -> None:
    x, w, _ = _arrays(CASES[1])
    y = conv2d(Tensor(x), Tensor(w), None, stride=(2, 1), padding=(1, 2))
    np.testing.assert_allclose(y.data, conv_reference(x, w, None, (2, 1), (1, 2)), atol=1e-12)


def test_conv2d_output_size_follows_floor_formula() -> None:
    layer = Conv2d(3, 5, (3, 5), stride=(2, 3), padding=(1, 0), rng=np.random.default_rng(0))
    y = layer(Tensor(np.zeros((2, 3, 10, 11), dtype=np.float32)))
    assert y.shape == (2, 5, (10 + 2 - 3) // 2 + 1, (11 - 5) // 3 + 1)


# --- gradients ----------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_conv2d_gradients_wrt_input_weight_and_bias_pass_gradcheck(case: Case) -> None:
    x, w, b = _arrays(case)
    assert gradcheck(lambda x_, w_, b_: conv2d(x_, w_, b_, case.stride, case.padding), x, w, b)


@pytest.mark.parametrize("case", CASES[:4], ids=IDS[:4])
def test_conv2d_module_parameter_grads_match_central_differences(case: Case) -> None:
    x, w, b = _arrays(case)
    layer = _float64_layer(case, w, b)
    xt = Tensor(x, requires_grad=True)
    y = layer(xt)
    g = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(g)
    assert layer.weight.grad.dtype == np.float64

    def loss(x_: np.ndarray, w_: np.ndarray, b_: np.ndarray) -> float:
        return float(np.sum(g * conv_reference(x_, w_, b_, case.stride, case.padding)))

    eps = 1e-6
    for arg, target in ((1, layer.weight.grad), (2, layer.bias.grad), (0, xt.grad)):
        args = [x, w, b]
        numeric = np.zeros_like(args[arg])
        for index in np.ndindex(args[arg].shape):
            plus, minus = [a.copy() for a in args], [a.copy() for a in args]
            plus[arg][index] += eps
            minus[arg][index] -= eps
            numeric[index] = (loss(*plus) - loss(*minus)) / (2 * eps)
        np.testing.assert_allclose(target, numeric, rtol=1e-6, atol=1e-6)


def test_pad2d_pads_with_zeros_and_passes_gradcheck() -> None:
    x = np.random.default_rng(0).standard_normal((2, 1, 3, 4))
    y = pad2d(Tensor(x), (1, 2))
    assert y.shape == (2, 1, 5, 8)
    np.testing.assert_array_equal(y.data, np.pad(x, ((0, 0), (0, 0), (1, 1), (2, 2))))
    assert gradcheck(lambda t: pad2d(t, (1, 2)), x)
    assert pad2d(Tensor(x), 0).shape == x.shape


IM2COL_CASES = [((2, 3, 6, 7), (3, 2), (1, 1)), ((1, 2, 7, 8), 3, 2),
                ((2, 1, 6, 9), (2, 4), (3, 2)), ((1, 1, 4, 4), 4, 1)]


@pytest.mark.parametrize("shape,kernel,stride", IM2COL_CASES)
def test_im2col_and_col2im_are_adjoint(shape: tuple[int, ...], kernel: Any, stride: Any) -> None:
    """⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩ for random x and y."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape)
    cols = im2col(Tensor(x), kernel, stride)
    y = rng.standard_normal(cols.shape)
    back = col2im(Tensor(y), shape, kernel, stride)
    assert back.shape == shape
    np.testing.assert_allclose(np.sum(cols.data * y), np.sum(x * back.data), rtol=1e-12)


@pytest.mark.parametrize("shape,kernel,stride", IM2COL_CASES)
def test_im2col_and_col2im_pass_gradcheck(shape: tuple[int, ...], kernel: Any,
                                          stride: Any) -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape)
    cols = rng.standard_normal(im2col(Tensor(x), kernel, stride).shape)
    assert gradcheck(lambda t: im2col(t, kernel, stride), x)
    assert gradcheck(lambda t: col2im(t, shape, kernel, stride), cols)


def test_im2col_rows_are_windows_in_weight_order() -> None:
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 4, 5)
    cols = im2col(Tensor(x), (2, 3), (2, 1)).data
    assert cols.shape == (2, 2, 3, 3 * 2 * 3)
    np.testing.assert_array_equal(cols[1, 1, 2], x[1, :, 2:4, 2:5].reshape(-1))


def test_col2im_counts_how_many_windows_cover_each_pixel() -> None:
    ones = np.ones((1, 3, 3, 4))  # 3×3 windows of 2×2 over a 4×4 image, stride 1
    covered = col2im(Tensor(ones), (1, 1, 4, 4), 2, 1).data[0, 0]
    np.testing.assert_array_equal(covered, [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2],
                                            [1, 2, 2, 1]])


# --- second order -------------------------------------------------------------------------------

def _tensor(v: Any) -> Tensor:
    """A nested transform returns a Tensor; the no_grad evaluations of gradcheck an array."""
    return v if isinstance(v, Tensor) else Tensor(v)


def test_second_derivatives_through_conv_pass_gradcheck() -> None:
    """Gradcheck the gradient itself: its VJP is a second derivative (col2im ↔ im2col)."""
    rng = np.random.default_rng(4)
    x, w, b = rng.standard_normal((1, 2, 5, 4)), rng.standard_normal((2, 2, 3, 2)), \
        rng.standard_normal(2)

    def f(x_: Tensor, w_: Tensor) -> Tensor:
        return conv2d(x_, w_, b, stride=(2, 1), padding=1).tanh().sum()

    # both arguments differentiated, so a graph on either one makes the transform nest
    both = grad(f, (0, 1))
    assert gradcheck(lambda x_: _tensor(both(x_, w)[0]), x)     # ∂²f/∂x²
    assert gradcheck(lambda w_: _tensor(both(x, w_)[0]), w)     # ∂²f/∂w∂x
    assert gradcheck(lambda x_: _tensor(both(x_, w)[1]), x)     # ∂²f/∂x∂w
    assert gradcheck(lambda w_: _tensor(both(x, w_)[1]), w)     # ∂²f/∂w²


def test_hessian_vector_product_through_conv_and_pool_matches_differences() -> None:
    rng = np.random.default_rng(5)
    x, v = rng.standard_normal((1, 1, 6, 6)), rng.standard_normal((1, 1, 6, 6))
    w = rng.standard_normal((2, 1, 3, 3))

    def f(x_: Tensor) -> Tensor:
        return (max_pool2d(conv2d(x_, w, padding=1), 2) ** 3).sum()

    eps = 1e-6
    numeric = (grad(f)(x + eps * v) - grad(f)(x - eps * v)) / (2 * eps)
    np.testing.assert_allclose(hvp(f, x, v), numeric, rtol=1e-5, atol=1e-6)


def test_backward_create_graph_through_conv_module_gives_weight_second_derivative() -> None:
    rng = np.random.default_rng(6)
    layer = Conv2d(1, 1, 2, bias=False)
    layer.weight = Parameter(rng.standard_normal((1, 1, 2, 2)), dtype=np.float64)
    x = Tensor(rng.standard_normal((1, 1, 3, 3)), requires_grad=True)
    (layer(x) ** 2).sum().backward(create_graph=True)
    gx = x.grad  # 2·col2im(y ⊗ w): bilinear in w
    assert isinstance(gx, Tensor)
    layer.weight.grad = None
    gx.sum().backward()

    def gx_sum(w: np.ndarray) -> float:  # first order only, by a plain backward
        xt = Tensor(x.data, requires_grad=True)
        (conv2d(xt, w) ** 2).sum().backward()
        return float(xt.grad.sum())

    w0, numeric, eps = layer.weight.data.copy(), np.zeros((1, 1, 2, 2)), 1e-6
    for index in np.ndindex(w0.shape):
        d = np.zeros_like(w0)
        d[index] = eps
        numeric[index] = (gx_sum(w0 + d) - gx_sum(w0 - d)) / (2 * eps)
    second = layer.weight.grad
    np.testing.assert_allclose(second.data if isinstance(second, Tensor) else second, numeric,
                               rtol=1e-6, atol=1e-7)


# --- dtypes -------------------------------------------------------------------------------------

def test_float32_input_gives_float32_output_and_gradients() -> None:
    rng = np.random.default_rng(7)
    layer = Conv2d(2, 3, 3, stride=2, padding=1, rng=rng)
    x = Tensor(rng.standard_normal((2, 2, 7, 7)).astype(np.float32), requires_grad=True)
    y = MaxPool2d(2)(layer(x))
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == layer.weight.grad.dtype == layer.bias.grad.dtype == np.float32
    assert layer.weight.dtype == layer.bias.dtype == np.float32
    # float32 agrees with the float64 computation
    reference = conv_reference(x.data.astype(np.float64), layer.weight.data.astype(np.float64),
                               layer.bias.data.astype(np.float64), 2, 1)
    np.testing.assert_allclose(layer(x).data, reference, rtol=1e-5, atol=1e-5)


# --- initialization, repr, parameter counts -------------------------------------------------------

def test_conv2d_init_is_pytorch_default_uniform_and_seeded() -> None:
    layer = Conv2d(3, 8, (3, 5), rng=np.random.default_rng(10))
    bound = 1 / np.sqrt(3 * 3 * 5)
    assert layer.weight.shape == (8, 3, 3, 5) and layer.bias.shape == (8,)
    for p in (layer.weight, layer.bias):
        assert p.dtype == np.float32 and np.abs(p.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.8 * bound  # spread over the interval
    again = Conv2d(3, 8, (3, 5), rng=np.random.default_rng(10))
    np.testing.assert_array_equal(layer.weight.data, again.weight.data)
    np.testing.assert_array_equal(layer.bias.data, again.bias.data)
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]


def test_conv2d_without_bias_has_only_a_weight() -> None:
    layer = Conv2d(2, 4, 3, bias=False)
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]
    assert layer(Tensor(np.ones((1, 2, 3, 3), dtype=np.float32))).shape == (1, 4, 1, 1)


def test_extra_repr_reads_like_pytorch() -> None:
    assert repr(Conv2d(1, 20, 5)) == "Conv2d(1, 20, kernel_size=(5, 5), stride=(1, 1))"
    assert Conv2d(3, 6, (3, 2), stride=2, padding=1, bias=False).extra_repr() == \
        "3, 6, kernel_size=(3, 2), stride=(2, 2), padding=(1, 1), bias=False"
    assert repr(MaxPool2d(2)) == \
        "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"


def test_conv2d_1_20_5_has_520_parameters_vs_23550_dense() -> None:
    """TEXTBOOK example 7 (Nielsen ch. 6): 20 shared 5×5 filters + 20 biases = 520, against
    784·30 + 30 = 23,550 for a fully connected layer of 30 neurons on a 28×28 image."""
    conv = Conv2d(1, 20, 5)
    assert sum(p.size for p in conv.parameters()) == 520
    dense = Dense(784, 30)
    assert sum(p.size for p in dense.parameters()) == 23_550


# --- a LeNet / network3-style net ---------------------------------------------------------------

class Dense(Module):
    """A fully connected layer, here so the test does not depend on nn.Linear."""

    def __init__(self, n_in: int, n_out: int, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        rng = rng or np.random.default_rng(0)
        bound = 1 / np.sqrt(n_in)
        self.weight = Parameter(rng.uniform(-bound, bound, (n_out, n_in)))
        self.bias = Parameter(rng.uniform(-bound, bound, n_out))

    def forward(self, x: Tensor) -> Tensor:
        return x @ self.weight.T + self.bias


class ConvNet(Module):
    """Conv2d(1, 20, 5) → ReLU → MaxPool2d(2) → flatten → Dense(2880, 10)."""

    def __init__(self, rng: np.random.Generator) -> None:
        super().__init__()
        self.conv = Conv2d(1, 20, 5, rng=rng)
        self.pool = MaxPool2d(2)
        self.fc = Dense(20 * 12 * 12, 10, rng=rng)

    def forward(self, x: Tensor) -> Tensor:
        h = self.pool(self.conv(x).relu())
        return self.fc(h.reshape(h.shape[0], -1))


def _step(net: ConvNet, x: Tensor, y: np.ndarray) -> Tensor:
    net.zero_grad()
    logits = net(x)
    loss = logits.log_softmax(axis=1)[np.arange(len(y)), y].mean() * -1
    loss.backward()
    return loss


def test_lenet_style_net_runs_forward_and_backward_on_mnist_shaped_batch() -> None:
    rng = np.random.default_rng(11)
    net = ConvNet(rng)
    x = Tensor(rng.random((8, 1, 28, 28), dtype=np.float32))
    y = rng.integers(0, 10, 8)
    assert net(x).shape == (8, 10)
    loss = _step(net, x, y)
    assert loss.dtype == np.float32 and np.isfinite(loss.item())
    for name, p in net.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, name
        assert p.grad.dtype == np.float32 and np.all(np.isfinite(p.grad)), name
    assert np.abs(net.conv.weight.grad).sum() > 0


def test_lenet_style_step_is_fast_enough_to_be_vectorized() -> None:
    """Not a benchmark: a loop over pixels or windows would take seconds, not milliseconds."""
    rng = np.random.default_rng(12)
    net = ConvNet(rng)
    x = Tensor(rng.random((8, 1, 28, 28), dtype=np.float32))
    y = rng.integers(0, 10, 8)
    _step(net, x, y)  # warm up
    start = time.perf_counter()
    _step(net, x, y)
    assert time.perf_counter() - start < 1.0


# --- errors -------------------------------------------------------------------------------------

def test_conv2d_rejects_wrong_channel_count_naming_layer_and_shape() -> None:
    with pytest.raises(ValueError, match=r"Conv2d\(1, 20.*expected 1 input channel.*"
                                         r"\(8, 3, 28, 28\)"):
        Conv2d(1, 20, 5)(Tensor(np.zeros((8, 3, 28, 28), dtype=np.float32)))


def test_conv2d_rejects_non_4d_input() -> None:
    with pytest.raises(ValueError, match=r"Conv2d\(1, 20.*4-D input.*\(28, 28\)"):
        Conv2d(1, 20, 5)(Tensor(np.zeros((28, 28), dtype=np.float32)))
    with pytest.raises(ValueError, match=r"MaxPool2d\(kernel_size=2.*4-D input.*\(3, 4, 4\)"):
        MaxPool2d(2)(Tensor(np.zeros((3, 4, 4), dtype=np.float32)))


def test_kernel_larger_than_padded_input_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"Conv2d\(1, 2.*kernel size \(5, 5\).*padded input "
                                         r"\(4, 4\)"):
        Conv2d(1, 2, 5, padding=1)(Tensor(np.zeros((1, 1, 2, 2), dtype=np.float32)))
    with pytest.raises(ValueError, match=r"MaxPool2d.*kernel size \(3, 3\).*\(2, 2\)"):
        MaxPool2d(3)(Tensor(np.zeros((1, 1, 2, 2), dtype=np.float32)))


def test_integer_input_and_bad_arguments_are_rejected() -> None:
    with pytest.raises(TypeError, match="floating-point"):
        Conv2d(1, 1, 1)(Tensor(np.zeros((1, 1, 2, 2), dtype=np.int64)))
    with pytest.raises(ValueError, match="stride must be at least 1"):
        Conv2d(1, 1, 3, stride=0)
    with pytest.raises(ValueError, match="padding must be at least 0"):
        Conv2d(1, 1, 3, padding=-1)
    with pytest.raises(TypeError, match="kernel_size must be an int or a pair"):
        Conv2d(1, 1, (3, 3, 3))
    with pytest.raises(ValueError, match="in_channels must be a positive int"):
        Conv2d(0, 1, 3)
    with pytest.raises(ValueError, match="col2im.*do not match"):
        col2im(Tensor(np.zeros((1, 2, 2, 4))), (1, 1, 4, 4), 2, 1)


# --- dilation and groups ------------------------------------------------------------------------

@pytest.mark.parametrize("case", GROUP_CASES, ids=GROUP_IDS)
def test_grouped_dilated_conv2d_forward_matches_loop_reference(case: GroupCase) -> None:
    x, w, b = _group_arrays(case)
    y = conv2d(Tensor(x), Tensor(w), Tensor(b), case.stride, case.padding, case.dilation,
               case.groups)
    expected = conv_reference(x, w, b, case.stride, case.padding, case.dilation, case.groups)
    assert y.shape == expected.shape
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", GROUP_CASES, ids=GROUP_IDS)
def test_grouped_dilated_conv2d_gradients_pass_gradcheck(case: GroupCase) -> None:
    x, w, b = _group_arrays(case, seed=1)
    assert gradcheck(lambda x_, w_, b_: conv2d(x_, w_, b_, case.stride, case.padding,
                                               case.dilation, case.groups), x, w, b)


def _second_derivatives_pass_gradcheck(case: GroupCase, seed: int, mixed: str) -> None:
    """gradcheck x̄ by x and w̄ by w of Σ tanh(conv2d(x, w, b)), and one mixed second
    derivative: x̄ by w, or w̄ by x."""
    x, w, b = _group_arrays(case, seed=seed)

    def f(x_: Tensor, w_: Tensor) -> Tensor:
        return conv2d(x_, w_, b, case.stride, case.padding, case.dilation, case.groups
                      ).tanh().sum()

    both = grad(f, (0, 1))
    assert gradcheck(lambda x_: _tensor(both(x_, w)[0]), x)
    assert gradcheck(lambda w_: _tensor(both(x, w_)[1]), w)
    if mixed == "x̄ by w":
        assert gradcheck(lambda w_: _tensor(both(x, w_)[0]), w)
    else:
        assert gradcheck(lambda x_: _tensor(both(x_, w)[1]), x)


@pytest.mark.parametrize("case", GROUP_CASES[:4], ids=GROUP_IDS[:4])
def test_grouped_dilated_conv2d_second_derivatives_pass_gradcheck(case: GroupCase) -> None:
    """The input- and weight-gradient primitives are each other's adjoints: gradcheck the
    gradient itself, with respect to x and to w (mixed and pure second derivatives)."""
    _second_derivatives_pass_gradcheck(case, seed=2, mixed="x̄ by w")


@pytest.mark.parametrize("case", WIDE_CASES[:2], ids=GROUP_IDS[-3:-1])
def test_wide_column_conv2d_second_derivatives_pass_gradcheck(case: GroupCase) -> None:
    """The stride-1 wide-column path (forward, the input gradient as a full convolution,
    the weight gradient from wide columns) to second order."""
    _second_derivatives_pass_gradcheck(case, seed=11, mixed="w̄ by x")


@pytest.mark.parametrize("groups", [1, 2])
def test_wide_columns_in_batch_steps_match_loop_reference(groups: int,
                                                          monkeypatch: Any) -> None:
    """Two images per batch step, five images: the last step is partial; the output, the
    input gradient and the weight gradient still match the loop reference."""
    import nn.conv
    monkeypatch.setattr(nn.conv, "_batch_step", lambda per_image: 2)
    rng = np.random.default_rng(12)
    x = rng.standard_normal((5, 8, 6, 7))
    weight = rng.standard_normal((6, 8 // groups, 3, 3))
    bias = rng.standard_normal(6)
    geometry = (1, 2, 2, groups)
    xt, wt = Tensor(x, requires_grad=True), Tensor(weight, requires_grad=True)
    y = conv2d(xt, wt, Tensor(bias), *geometry)
    np.testing.assert_allclose(y.data, conv_reference(x, weight, bias, *geometry), atol=1e-12)
    g = rng.standard_normal(y.shape)
    y.backward(g)
    eps = 1e-6
    for value, gradient, which in ((x, xt.grad, 0), (weight, wt.grad, 1)):
        probe = rng.standard_normal(value.shape)
        plus = [x, weight]
        minus = [x, weight]
        plus[which], minus[which] = value + eps * probe, value - eps * probe
        numeric = (np.sum(g * conv_reference(*plus, None, *geometry))
                   - np.sum(g * conv_reference(*minus, None, *geometry))) / (2 * eps)
        np.testing.assert_allclose(np.sum(gradient * probe), numeric, rtol=1e-6, atol=1e-8)


def test_bias_second_derivative_through_channel_sum_passes_gradcheck() -> None:
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((2, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3)), \
        rng.standard_normal(3)
    db = grad(lambda x_, b_: (conv2d(x_, w, b_) ** 2).sum(), (0, 1))
    assert gradcheck(lambda b_: _tensor(db(x, b_)[1]), b)   # ∂²/∂b² = 2·N·H·W on the diagonal
    assert gradcheck(lambda x_: _tensor(db(x_, b)[1]), x)   # ∂²/∂x∂b


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 2), groups=st.integers(1, 3), per_group=st.integers(1, 5),
       out_per_group=st.integers(1, 2), h=st.integers(1, 9), w=st.integers(1, 9),
       kh=st.integers(1, 3), kw=st.integers(1, 3), sh=st.integers(1, 3), sw=st.integers(1, 3),
       ph=st.integers(0, 2), pw=st.integers(0, 2), dh=st.integers(1, 3), dw=st.integers(1, 3),
       seed=st.integers(0, 2**16))
def test_conv2d_matches_loop_reference_for_random_geometries(
        n: int, groups: int, per_group: int, out_per_group: int, h: int, w: int, kh: int,
        kw: int, sh: int, sw: int, ph: int, pw: int, dh: int, dw: int, seed: int) -> None:
    """Any geometry that fits: the output shape follows PyTorch's formula and the values,
    the input gradient (its adjoint) and the weight gradient match loop references."""
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    if span_h > h + 2 * ph or span_w > w + 2 * pw:
        return
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, groups * per_group, h, w))
    weight = rng.standard_normal((groups * out_per_group, per_group, kh, kw))
    geometry = ((sh, sw), (ph, pw), (dh, dw), groups)
    xt, wt = Tensor(x, requires_grad=True), Tensor(weight, requires_grad=True)
    y = conv2d(xt, wt, None, *geometry)
    expected = conv_reference(x, weight, None, *geometry)
    assert y.shape == expected.shape == (n, groups * out_per_group,
                                         (h + 2 * ph - span_h) // sh + 1,
                                         (w + 2 * pw - span_w) // sw + 1)
    np.testing.assert_allclose(y.data, expected, atol=1e-12)
    g = rng.standard_normal(y.shape)
    y.backward(g)
    # the gradients are linear in g: ⟨conv(x, w), g⟩ differentiated by the loop reference
    eps, probe = 1e-6, rng.standard_normal(x.shape)
    numeric = (np.sum(g * conv_reference(x + eps * probe, weight, None, *geometry))
               - np.sum(g * conv_reference(x - eps * probe, weight, None, *geometry))) / (2 * eps)
    np.testing.assert_allclose(np.sum(xt.grad * probe), numeric, rtol=1e-6, atol=1e-8)
    probe = rng.standard_normal(weight.shape)
    numeric = (np.sum(g * conv_reference(x, weight + eps * probe, None, *geometry))
               - np.sum(g * conv_reference(x, weight - eps * probe, None, *geometry))) / (2 * eps)
    np.testing.assert_allclose(np.sum(wt.grad * probe), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("kernel,stride,padding,dilation", [
    ((3, 3), (1, 1), (0, 0), (1, 1)), ((2, 3), (2, 1), (1, 2), (2, 1)), ((1, 1), (3, 2), (0, 1),
                                                                          (1, 1))])
def test_unfold_and_fold_are_adjoint(kernel: Any, stride: Any, padding: Any,
                                     dilation: Any) -> None:
    """⟨unfold(x), c⟩ = ⟨x, fold(c)⟩: fold is the input gradient's scatter-add."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 7, 6))
    cols = unfold(x, kernel, stride, padding, dilation)
    c = rng.standard_normal(cols.shape)
    back = fold(c, x.shape, kernel, stride, padding, dilation)
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(cols * c), np.sum(x * back), rtol=1e-12)


@pytest.mark.parametrize("channels", [2, 4])  # columns; wide columns (4+ channels, stride 1)
def test_weight_gradient_is_the_same_from_saved_columns_and_recomputed(channels: int) -> None:
    """A plain backward takes the forward's columns (wide columns are always recomputed); a
    second pass over a retained graph (the columns are already taken) recomputes them: both
    give the same gradient, twice."""
    rng = np.random.default_rng(5)
    layer = Conv2d(channels, 3, 3, padding=1, dilation=2, groups=1, rng=rng)
    x = Tensor(rng.standard_normal((2, channels, 6, 6)).astype(np.float32))
    y = layer(x)
    y.sum().backward(retain_graph=True)
    first, first_bias = layer.weight.grad.copy(), layer.bias.grad.copy()
    y.sum().backward()
    np.testing.assert_allclose(layer.weight.grad, 2 * first, rtol=1e-6)
    # the bias gradient: from the weight's GEMM (the columns' row of ones), then recomputed
    np.testing.assert_allclose(layer.bias.grad, 2 * first_bias, rtol=1e-6)
    np.testing.assert_allclose(first_bias, np.full(3, y.shape[0] * y.shape[2] * y.shape[3]),
                               rtol=1e-6)


def test_conv2d_under_no_grad_records_nothing_and_keeps_no_columns() -> None:
    layer = Conv2d(1, 2, 3)
    with no_grad():
        y = layer(Tensor(np.ones((1, 1, 5, 5), dtype=np.float32)))
    assert not y.requires_grad and y.shape == (1, 2, 3, 3)


def test_grouped_conv2d_layer_keeps_float32_and_pytorch_weight_layout() -> None:
    rng = np.random.default_rng(6)
    layer = Conv2d(4, 6, (3, 2), padding=1, dilation=(1, 2), groups=2, rng=rng)
    assert layer.weight.shape == (6, 2, 3, 2) and layer.weight.dtype == np.float32
    bound = 1 / np.sqrt(2 * 3 * 2)  # fan_in counts one group's channels
    assert np.abs(layer.weight.data).max() <= bound
    x = Tensor(rng.standard_normal((2, 4, 6, 7)).astype(np.float32), requires_grad=True)
    y = layer(x)
    assert y.dtype == np.float32 and y.shape == (2, 6, 6, 7)
    y.sum().backward()
    assert x.grad.dtype == layer.weight.grad.dtype == layer.bias.grad.dtype == np.float32
    reference = conv_reference(x.data.astype(np.float64), layer.weight.data.astype(np.float64),
                               layer.bias.data.astype(np.float64), 1, 1, (1, 2), 2)
    np.testing.assert_allclose(y.data, reference, rtol=1e-5, atol=1e-5)
    assert repr(layer) == ("Conv2d(4, 6, kernel_size=(3, 2), stride=(1, 1), padding=(1, 1), "
                           "dilation=(1, 2), groups=2)")


def test_groups_and_dilation_errors_name_the_layer_and_the_fix() -> None:
    with pytest.raises(ValueError, match=r"Conv2d: in_channels \(3\) must be divisible by "
                                         r"groups \(2\)"):
        Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match=r"Conv2d: out_channels \(3\) must be divisible"):
        Conv2d(4, 3, 3, groups=2)
    with pytest.raises(ValueError, match="groups must be a positive int"):
        Conv2d(4, 4, 3, groups=0)
    with pytest.raises(ValueError, match="dilation must be at least 1"):
        Conv2d(4, 4, 3, dilation=0)
    with pytest.raises(ValueError, match=r"kernel size \(3, 3\) \(spanning \(5, 5\) with "
                                         r"dilation \(2, 2\)\) is larger than the padded input"):
        Conv2d(1, 1, 3, dilation=2)(Tensor(np.zeros((1, 1, 4, 4), dtype=np.float32)))
    with pytest.raises(ValueError, match=r"conv2d: expected 4 input channel\(s\)"):
        conv2d(Tensor(np.zeros((1, 2, 5, 5))), Tensor(np.zeros((4, 2, 3, 3))), groups=2)
    with pytest.raises(ValueError, match=r"output channels must be divisible by groups"):
        conv2d(Tensor(np.zeros((1, 4, 5, 5))), Tensor(np.zeros((3, 2, 3, 3))), groups=2)
    with pytest.raises(ValueError, match=r"bias must have shape \(4,\)"):
        conv2d(Tensor(np.zeros((1, 2, 5, 5))), Tensor(np.zeros((4, 2, 3, 3))),
               Tensor(np.zeros(3)))


def test_maxpool_moved_to_pooling_is_still_importable_from_conv() -> None:
    import nn.conv
    assert nn.conv.MaxPool2d is MaxPool2d and nn.conv.max_pool2d is max_pool2d


# --- against PyTorch (float64; skipped without torch: the loop references above are the
# torch-free twins) -------------------------------------------------------------------------------

@pytest.mark.parametrize("case", GROUP_CASES, ids=GROUP_IDS)
def test_conv2d_matches_pytorch_with_gradients(case: GroupCase) -> None:
    torch = pytest.importorskip("torch")
    x, w, b = _group_arrays(case, seed=7)
    args = (case.stride, case.padding, case.dilation, case.groups)
    ours = [Tensor(a, requires_grad=True) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    y = conv2d(*ours, *args)
    yt = torch.nn.functional.conv2d(*theirs, *args)
    g = np.random.default_rng(8).standard_normal(y.shape)
    y.backward(g)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    for a, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_conv2d_second_derivative_matches_pytorch() -> None:
    torch = pytest.importorskip("torch")
    case = GROUP_CASES[3]
    x, w, b = _group_arrays(case, seed=9)
    args = (case.stride, case.padding, case.dilation, case.groups)
    xt, wt = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    (conv2d(xt, wt, b, *args).tanh() ** 2).sum().backward(create_graph=True)
    gx = xt.grad
    wt.grad = None
    (gx ** 2).sum().backward()
    xs, ws = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    out = (torch.nn.functional.conv2d(xs, ws, torch.tensor(b), *args).tanh() ** 2).sum()
    (gxs,) = torch.autograd.grad(out, xs, create_graph=True)
    (gws,) = torch.autograd.grad((gxs ** 2).sum(), ws)
    np.testing.assert_allclose(gx.data, gxs.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(wt.grad.data if isinstance(wt.grad, Tensor) else wt.grad,
                               gws.numpy(), rtol=1e-10, atol=1e-12)


def test_conv2d_layer_float32_matches_pytorch() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(10)
    layer = Conv2d(4, 8, 3, stride=2, padding=1, dilation=1, groups=4, rng=rng)
    theirs = torch.nn.Conv2d(4, 8, 3, stride=2, padding=1, groups=4)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(layer.weight.data))
        theirs.bias.copy_(torch.from_numpy(layer.bias.data))
    x = rng.standard_normal((3, 4, 9, 9)).astype(np.float32)
    y, yt = layer(Tensor(x)), theirs(torch.from_numpy(x))
    assert y.dtype == np.float32
    y.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layer.weight.grad, theirs.weight.grad.numpy(), rtol=1e-4,
                               atol=1e-4)
    np.testing.assert_allclose(layer.bias.grad, theirs.bias.grad.numpy(), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("groups,dilation", [(1, 2), (2, 1)])
def test_wide_column_layer_float32_matches_pytorch(groups: int, dilation: int) -> None:
    """The stride-1 wide-column path in float32 (the bench's grouped and dilated layers,
    smaller): output and every gradient stay float32 and match PyTorch."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(13)
    layer = Conv2d(8, 8, 3, padding=dilation, dilation=dilation, groups=groups, rng=rng)
    theirs = torch.nn.Conv2d(8, 8, 3, padding=dilation, dilation=dilation, groups=groups)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(layer.weight.data))
        theirs.bias.copy_(torch.from_numpy(layer.bias.data))
    x = rng.standard_normal((3, 8, 9, 10)).astype(np.float32)
    xt, xs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ys = layer(xt), theirs(xs)
    g = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(g)
    ys.backward(torch.from_numpy(g))
    assert y.dtype == xt.grad.dtype == layer.weight.grad.dtype == np.float32
    np.testing.assert_allclose(y.data, ys.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(xt.grad, xs.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(layer.weight.grad, theirs.weight.grad.numpy(), rtol=1e-4,
                               atol=1e-4)
    np.testing.assert_allclose(layer.bias.grad, theirs.bias.grad.numpy(), rtol=1e-5, atol=1e-4)
