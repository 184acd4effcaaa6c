"""Tests for `nn/batchnorm.py`: BatchNorm2d.

The training forward against the formula in float64; gradients of x, γ and β against
float64 central differences (gradcheck), second derivatives by gradchecking a gradient
(the create_graph path recomputes μ and σ² with recorded ops); running statistics, momentum
(and None: a cumulative average), eval mode, affine=False, track_running_stats=False,
state_dict names, float32 kept; against PyTorch in float64 (skipped without torch: the
formula and gradcheck tests are the torch-free twins); errors.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from autograd_lite import Tensor, grad, gradcheck
from nn import BatchNorm2d, Parameter, batchnorm


def _layer(c: int, rng: np.random.Generator, **kwargs: Any) -> BatchNorm2d:
    """A float64 BatchNorm2d with random γ and β."""
    bn = BatchNorm2d(c, **kwargs)
    if bn.affine:
        bn.weight = Parameter(rng.standard_normal(c), dtype=np.float64)
        bn.bias = Parameter(rng.standard_normal(c), dtype=np.float64)
    return bn


def _formula(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    var = x.var(axis=(0, 2, 3), keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma.reshape(1, -1, 1, 1) \
        + beta.reshape(1, -1, 1, 1)


def _tensor(v: Any) -> Tensor:
    return v if isinstance(v, Tensor) else Tensor(v)


def test_training_forward_normalises_each_channel_over_batch_and_pixels() -> None:
    rng = np.random.default_rng(0)
    bn = _layer(3, rng, eps=1e-3)
    x = rng.standard_normal((4, 3, 5, 6)) * 3 + 2
    y = bn(Tensor(x))
    np.testing.assert_allclose(y.data, _formula(x, bn.weight.data, bn.bias.data, 1e-3),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("affine", [True, False])
def test_gradients_of_input_weight_and_bias_pass_gradcheck(affine: bool) -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 2, 4, 3)) * 2 + 1
    gamma, beta = rng.standard_normal(2), rng.standard_normal(2)
    probe = rng.standard_normal(x.shape)  # a non-trivial loss: Σ y is constant in x

    def loss(x_: Tensor, w: Tensor, b: Tensor) -> Tensor:
        bn = BatchNorm2d(2, affine=affine)
        if affine:
            bn.weight, bn.bias = w, b
        return (bn(x_) * probe).sum() + (bn(x_) ** 2 * probe).sum()

    assert gradcheck(loss, x, gamma, beta)


def test_second_derivatives_pass_gradcheck() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 2, 3, 3))
    gamma = rng.standard_normal(2)
    probe = rng.standard_normal(x.shape)

    def loss(x_: Tensor, w: Tensor) -> Tensor:
        bn = BatchNorm2d(2)
        bn.weight = w
        return (bn(x_).tanh() * probe).sum()

    both = grad(loss, (0, 1))
    assert gradcheck(lambda x_: _tensor(both(x_, gamma)[0]), x)     # ∂²/∂x²
    assert gradcheck(lambda w_: _tensor(both(x, w_)[0]), gamma)     # ∂²/∂γ∂x
    assert gradcheck(lambda x_: _tensor(both(x_, gamma)[1]), x)     # ∂²/∂x∂γ


@pytest.mark.parametrize("mean", [2.0, 300.0])  # σ = 3: the one-pass σ², then the exact one
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_array_paths_over_several_blocks_equal_the_recorded_formula(
        monkeypatch: pytest.MonkeyPatch, dtype: type, mean: float) -> None:
    # blocks of 2 images over a batch of 5 (the last block short), a transposed (strided)
    # input: the plain backward's blocked array code against the create_graph path's
    # recorded Tensor formula; the caller's x and ḡ unchanged; a second pass over the
    # retained graph (x − μ made again where it was kept) adds the same gradients again
    monkeypatch.setattr(batchnorm, "_BLOCK_BYTES", 2 * 3 * 4 * 5 * np.dtype(dtype).itemsize)
    rng = np.random.default_rng(9)
    x = (rng.standard_normal((5, 3, 5, 4)) * 3 + mean).astype(dtype).transpose(0, 1, 3, 2)
    stats: dict[str, Any] = {}
    batchnorm._batch_norm_forward(x, np.ones(3, dtype), np.zeros(3, dtype), eps=1e-5,
                                  stats=stats)
    assert stats["one_pass"] is (mean == 2.0)
    g = rng.standard_normal((5, 3, 4, 5)).astype(dtype)
    x0, g0 = x.copy(), g.copy()
    tol = dict(rtol=1e-11, atol=1e-12) if dtype is np.float64 else dict(rtol=2e-5, atol=2e-5)
    recorded_tol = tol
    if dtype is np.float32 and mean > 100:  # the recorded formula's float32 μ: ~1e-7 · μ/σ
        recorded_tol = dict(rtol=1e-4, atol=2e-4)
    grads = []
    for create_graph in (False, True):
        bn = BatchNorm2d(3)
        bn.weight = Parameter(rng.standard_normal(3), dtype=dtype)
        bn.bias = Parameter(rng.standard_normal(3), dtype=dtype)
        if grads:  # the same γ, β on both sides
            bn.weight.data[...], bn.bias.data[...] = grads[0][4], grads[0][5]
        xt = Tensor(x, requires_grad=True)
        y = bn(xt)
        y.backward(g, create_graph=create_graph, retain_graph=True)
        got = [np.asarray(getattr(t.grad, "data", t.grad)).copy()
               for t in (xt, bn.weight, bn.bias)]
        assert y.dtype == got[0].dtype == got[1].dtype == dtype
        if not create_graph:
            y.backward(g)  # the retained graph, again: the same gradients added once more
            for first, t in zip(got, (xt, bn.weight, bn.bias), strict=True):
                np.testing.assert_allclose(t.grad, 2 * first, **tol)
        grads.append([y.data, *got, bn.weight.data.copy(), bn.bias.data.copy()])
    for plain, recorded in zip(grads[0][:4], grads[1][:4], strict=True):
        np.testing.assert_allclose(plain, recorded, **recorded_tol)
    np.testing.assert_allclose(grads[0][0], _formula(x0.astype(np.float64), grads[0][4],
                                                     grads[0][5], 1e-5), **tol)
    # the plain path against the same layer in float64 (its own exactness at any μ)
    bn = BatchNorm2d(3)
    bn.weight = Parameter(grads[0][4], dtype=np.float64)
    bn.bias = Parameter(grads[0][5], dtype=np.float64)
    xt = Tensor(x0.astype(np.float64), requires_grad=True)
    bn(xt).backward(g0.astype(np.float64))
    for plain, exact in zip(grads[0][1:4], (xt.grad, bn.weight.grad, bn.bias.grad),
                            strict=True):
        np.testing.assert_allclose(plain, exact, **tol)
    assert np.all(np.isfinite(grads[0][1]))
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(g, g0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_forward_is_accurate_on_either_side_of_the_one_pass_variance_limit(dtype: type
                                                                          ) -> None:
    # σ² = E[x²] − μ² only where μ² ≤ 3σ²; beyond, x − μ̃ is formed and the rounded mean μ̃
    # corrected by δ = mean(x − μ̃): float32 outputs to ~1e-6 even at μ = 1000σ
    rng = np.random.default_rng(10)
    w, b = rng.standard_normal(3), rng.standard_normal(3)
    cases = [(0.0, True, 1e-6), (-0.5, True, 1e-6), (3.0, False, 1e-6), (1e3, False, 2e-6)]
    for mean, one_pass, err32 in cases:
        x = (rng.standard_normal((6, 3, 5, 5)) + mean).astype(dtype)
        stats: dict[str, Any] = {}
        y = batchnorm._batch_norm_forward(x, w.astype(dtype), b.astype(dtype), eps=1e-5,
                                          stats=stats)
        assert stats["one_pass"] is one_pass and y.dtype == dtype
        err = np.max(np.abs(y - _formula(x.astype(np.float64), w, b, 1e-5)))
        assert err <= (1e-12 if dtype is np.float64 else err32), (mean, err)
    x[0, 1, 2, 3] = np.nan  # a nan: its channel nan, the others as before
    stats = {}
    y = batchnorm._batch_norm_forward(x, w.astype(dtype), b.astype(dtype), eps=1e-5,
                                      stats=stats)
    assert np.all(np.isnan(y[:, 1])) and np.all(np.isfinite(y[:, [0, 2]]))


def test_running_statistics_follow_pytorch_update_rule_and_eval_uses_them() -> None:
    rng = np.random.default_rng(3)
    bn = _layer(2, rng, momentum=0.3)
    xs = [rng.standard_normal((4, 2, 3, 3)) * (i + 1) + i for i in range(3)]
    mean, var = np.zeros(2), np.ones(2)
    for x in xs:
        bn(Tensor(x))
        n = x.size // 2
        mean = 0.7 * mean + 0.3 * x.mean(axis=(0, 2, 3))
        var = 0.7 * var + 0.3 * x.var(axis=(0, 2, 3)) * n / (n - 1)
    assert int(bn.num_batches_tracked) == 3
    assert bn.running_mean.dtype == bn.running_var.dtype == np.float32
    np.testing.assert_allclose(bn.running_mean, mean, rtol=1e-6)
    np.testing.assert_allclose(bn.running_var, var, rtol=1e-6)
    bn.eval()
    x = rng.standard_normal((2, 2, 3, 3))
    expected = (x - bn.running_mean.reshape(1, -1, 1, 1)) / np.sqrt(
        bn.running_var.reshape(1, -1, 1, 1).astype(np.float64) + bn.eps) \
        * bn.weight.data.reshape(1, -1, 1, 1) + bn.bias.data.reshape(1, -1, 1, 1)
    xt = Tensor(x, requires_grad=True)
    y = bn(xt)
    np.testing.assert_allclose(y.data, expected, rtol=1e-6)
    assert int(bn.num_batches_tracked) == 3  # eval does not update
    y.sum().backward()  # eval is affine in x: x̄ = γ/√(running_var + eps), and γ, β learn
    np.testing.assert_allclose(xt.grad, np.broadcast_to(
        (bn.weight.data / np.sqrt(bn.running_var.astype(np.float64) + bn.eps)
         ).reshape(1, -1, 1, 1), x.shape), rtol=1e-6)
    assert bn.weight.grad is not None and bn.bias.grad is not None


def test_momentum_none_is_a_cumulative_average() -> None:
    rng = np.random.default_rng(4)
    bn = BatchNorm2d(1, momentum=None)
    xs = [rng.standard_normal((2, 1, 3, 3)) + i for i in range(4)]
    for x in xs:
        bn(Tensor(x))
    np.testing.assert_allclose(bn.running_mean, np.mean([x.mean() for x in xs]), rtol=1e-5)


def test_without_tracking_eval_uses_batch_statistics_and_state_has_no_buffers() -> None:
    rng = np.random.default_rng(5)
    bn = BatchNorm2d(2, affine=False, track_running_stats=False)
    assert bn.running_mean is None and bn.weight is None
    assert list(bn.state_dict()) == []
    bn.eval()
    x = rng.standard_normal((3, 2, 2, 2))
    np.testing.assert_allclose(bn(Tensor(x)).data, _formula(x, np.ones(2), np.zeros(2), 1e-5),
                               rtol=1e-10)


def test_state_dict_names_match_pytorch() -> None:
    assert list(BatchNorm2d(3).state_dict()) == ["weight", "bias", "running_mean",
                                                 "running_var", "num_batches_tracked"]
    assert list(BatchNorm2d(3, affine=False).state_dict()) == [
        "running_mean", "running_var", "num_batches_tracked"]
    assert repr(BatchNorm2d(4)) == ("BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, "
                                    "track_running_stats=True)")


def test_float32_input_gives_float32_output_and_gradients() -> None:
    bn = BatchNorm2d(3)
    x = Tensor(np.random.default_rng(6).standard_normal((4, 3, 5, 5)).astype(np.float32),
               requires_grad=True)
    y = bn(x)
    (y * y).sum().backward()
    assert y.dtype == x.grad.dtype == bn.weight.grad.dtype == bn.bias.grad.dtype == np.float32
    bn.eval()
    assert bn(x).dtype == np.float32


def test_errors_name_the_layer_and_the_expected_shape() -> None:
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\): expected input of shape "
                                         r"\(N, 3, H, W\), got \(2, 4, 5, 5\)"):
        BatchNorm2d(3)(Tensor(np.zeros((2, 4, 5, 5))))
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\), got \(2, 3\)"):
        BatchNorm2d(3)(Tensor(np.zeros((2, 3))))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        BatchNorm2d(3)(Tensor(np.zeros((1, 3, 1, 1))))
    with pytest.raises(ValueError, match="BatchNorm2d: num_features must be an int >= 1"):
        BatchNorm2d(0)
    with pytest.raises(TypeError, match="floating-point"):
        BatchNorm2d(1)(Tensor(np.zeros((2, 1, 2, 2), dtype=np.int64)))


# --- against PyTorch ------------------------------------------------------------------------

@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("affine", [True, False])
def test_training_and_eval_match_pytorch_with_gradients(affine: bool,
                                                        momentum: float | None) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    ours = _layer(3, rng, affine=affine, momentum=momentum)
    theirs = torch.nn.BatchNorm2d(3, affine=affine, momentum=momentum).double()
    if affine:
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(ours.weight.data))
            theirs.bias.copy_(torch.tensor(ours.bias.data))
    for step in range(3):
        x = rng.standard_normal((4, 3, 5, 4)) * (step + 1) + step
        g = rng.standard_normal(x.shape)
        xo, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, yt = ours(xo), theirs(xt)
        y.backward(g)
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(xo.grad, xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    if affine:
        np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-9)
        np.testing.assert_allclose(ours.bias.grad, theirs.bias.grad.numpy(), rtol=1e-9)
    # running statistics are float32 buffers here (as BatchNorm1d's), float64 in torch
    np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-6)
    assert int(ours.num_batches_tracked) == int(theirs.num_batches_tracked) == 3
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((2, 3, 4, 4))
    np.testing.assert_allclose(ours(Tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-6, atol=1e-6)


def test_second_derivative_matches_pytorch() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    x, probe = rng.standard_normal((3, 2, 3, 3)), rng.standard_normal((3, 2, 3, 3))
    xo = Tensor(x, requires_grad=True)
    (BatchNorm2d(2)(xo).tanh() * probe).sum().backward(create_graph=True)
    gx = xo.grad
    xo.grad = None
    (gx ** 2).sum().backward()
    xt = torch.tensor(x, requires_grad=True)
    out = (torch.nn.BatchNorm2d(2).double()(xt).tanh() * torch.tensor(probe)).sum()
    (gxt,) = torch.autograd.grad(out, xt, create_graph=True)
    (ggt,) = torch.autograd.grad((gxt ** 2).sum(), xt)
    np.testing.assert_allclose(gx.data, gxt.detach().numpy(), rtol=1e-9, atol=1e-12)
    second = xo.grad.data if isinstance(xo.grad, Tensor) else xo.grad
    np.testing.assert_allclose(second, ggt.numpy(), rtol=1e-8, atol=1e-10)
