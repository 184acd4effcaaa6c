"""nn.norm.LayerNorm: the forward against numpy, gradients against central differences
(float64) and against PyTorch, shapes, dtypes and argument checks."""

from __future__ import annotations

import numpy as np
import pytest

from autograd_lite import Tensor, gradcheck
from nn.norm import LayerNorm, layer_norm


def rand(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def test_layernorm_parameters_have_the_normalized_shape_and_start_as_ones_and_zeros():
    ln = LayerNorm((3, 4))
    assert ln.weight.shape == ln.bias.shape == (3, 4) and ln.weight.dtype == np.float32
    assert np.array_equal(ln.weight.data, np.ones((3, 4)))
    assert np.array_equal(ln.bias.data, np.zeros((3, 4)))
    assert [n for n, _ in LayerNorm(5).named_parameters()] == ["weight", "bias"]
    assert list(LayerNorm(5, elementwise_affine=False).parameters()) == []
    assert [n for n, _ in LayerNorm(5, bias=False).named_parameters()] == ["weight"]
    assert repr(LayerNorm(8)) == "LayerNorm((8,), eps=1e-05, elementwise_affine=True)"


@pytest.mark.parametrize("shape, normalized", [((4, 6), 6), ((2, 3, 6), (6,)),
                                               ((2, 3, 4), (3, 4))])
def test_layernorm_forward_matches_numpy(shape, normalized):
    x = rand(*shape) * 3 + 1
    ln = LayerNorm(normalized, eps=1e-3)
    k = 1 if isinstance(normalized, int) else len(normalized)
    axes = tuple(range(len(shape) - k, len(shape)))
    gamma, beta = rand(*shape[-k:], seed=1), rand(*shape[-k:], seed=2)
    ln.weight, ln.bias = Tensor(gamma), Tensor(beta)
    mean, var = x.mean(axes, keepdims=True), x.var(axes, keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-3) * gamma + beta
    assert np.allclose(ln(x).data, expected, atol=1e-12)


def test_layernorm_gradchecks_for_input_weight_and_bias():
    ln = LayerNorm(5)

    def f(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
        ln.weight, ln.bias = w, b
        return ln(x)

    assert gradcheck(f, rand(2, 3, 5), rand(5, seed=1), rand(5, seed=2))


def test_layernorm_gradient_is_the_textbook_formula():
    x, g, gamma = rand(4, 6), rand(4, 6, seed=1), rand(6, seed=2)
    ln = LayerNorm(6)
    ln.weight = Tensor(gamma)
    xt = Tensor(x, requires_grad=True)
    ln(xt).backward(g)
    s = np.sqrt(x.var(-1, keepdims=True) + 1e-5)
    xhat = (x - x.mean(-1, keepdims=True)) / s
    gg = gamma * g
    expected = (gg - gg.mean(-1, keepdims=True) - xhat * (gg * xhat).mean(-1, keepdims=True)) / s
    assert np.allclose(xt.grad, expected, atol=1e-12)


def test_layernorm_keeps_float32():
    y = LayerNorm(4)(np.ones((2, 4), dtype=np.float32) * np.arange(4, dtype=np.float32))
    assert y.dtype == np.float32


@pytest.mark.parametrize("bad", [0, -2, (), (3, 0), 2.5, True])
def test_layernorm_refuses_a_bad_normalized_shape(bad):
    with pytest.raises(ValueError, match="LayerNorm: normalized_shape"):
        LayerNorm(bad)


def test_layernorm_refuses_an_input_that_does_not_end_in_the_normalized_shape():
    with pytest.raises(ValueError, match=r"LayerNorm: input of shape \(2, 5\) does not end in "
                                         r"normalized_shape=\(4,\)"):
        LayerNorm(4)(rand(2, 5))
    with pytest.raises(TypeError, match="LayerNorm: expected a floating-point input"):
        LayerNorm(2)(np.ones((3, 2), dtype=np.int64))


@pytest.mark.parametrize("normalized", [(6,), (4, 6)])
def test_layernorm_equals_pytorch_in_float64_with_gradients(normalized):
    torch = pytest.importorskip("torch")
    x, g = rand(3, 4, 6) * 2 + 1, rand(3, 4, 6, seed=1)
    w, b = rand(*normalized, seed=2), rand(*normalized, seed=3)
    ln = LayerNorm(normalized)
    ln.weight, ln.bias = Tensor(w, requires_grad=True), Tensor(b, requires_grad=True)
    xt = Tensor(x, requires_grad=True)
    y = ln(xt)
    y.backward(g)
    ref = torch.nn.LayerNorm(normalized).double()
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(w))
        ref.bias.copy_(torch.tensor(b))
    tx = torch.tensor(x, requires_grad=True)
    out = ref(tx)
    out.backward(torch.tensor(g))
    assert np.allclose(y.data, out.detach().numpy(), rtol=1e-12, atol=1e-12)
    assert np.allclose(xt.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert np.allclose(ln.weight.grad, ref.weight.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert np.allclose(ln.bias.grad, ref.bias.grad.numpy(), rtol=1e-12, atol=1e-12)


def composed(x: Tensor, w: Tensor, b: Tensor, k: int, eps: float = 1e-5) -> Tensor:
    """LayerNorm written with Tensor ops, the reference for the fused op."""
    axes = tuple(range(x.ndim - k, x.ndim))
    centred = x - x.mean(axis=axes, keepdims=True)
    var = (centred * centred).mean(axis=axes, keepdims=True)
    return centred / (var + eps).sqrt() * w + b


@pytest.mark.parametrize("k", [1, 2])
def test_the_fused_op_equals_the_composed_ops_with_gradients(k):
    x, g = rand(3, 4, 5), rand(3, 4, 5, seed=1)
    w, b = rand(*(4, 5)[2 - k:], seed=2), rand(*(4, 5)[2 - k:], seed=3)
    grads = []
    for fn in (lambda *a: layer_norm(a[0], (4, 5)[2 - k:], a[1], a[2]),
               lambda *a: composed(*a, k)):
        ts = [Tensor(a, requires_grad=True) for a in (x, w, b)]
        y = fn(*ts)
        y.backward(g)
        grads.append((y.data, *(t.grad for t in ts)))
    for a, c in zip(*grads, strict=True):
        assert np.allclose(a, c, rtol=1e-12, atol=1e-12)


def test_the_fused_op_has_second_derivatives():
    def f(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
        return layer_norm(x, (4,), w, b).tanh()

    assert gradcheck(f, rand(2, 4), rand(4, seed=1), rand(4, seed=2), order=2)
    assert gradcheck(lambda x: layer_norm(x, (4,)) ** 2, rand(3, 4), order=2)


def test_layer_norm_refuses_a_bias_without_a_weight():
    with pytest.raises(ValueError, match="layer_norm: a bias without a weight"):
        layer_norm(Tensor(rand(2, 3)), (3,), None, Tensor(np.zeros(3)))
