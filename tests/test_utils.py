"""nn.utils.clip_grad_norm_: PyTorch's semantics (total norm over all gradients, in-place
scaling, the norm before clipping returned), against numpy and against PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd_lite import Tensor
from nn.utils import clip_grad_norm_


def params_with_grads(*grads: np.ndarray) -> list[Tensor]:
    out = []
    for g in grads:
        p = Tensor(np.zeros_like(g), requires_grad=True)
        p.grad = g.copy()
        out.append(p)
    return out


def test_clipping_scales_every_gradient_by_max_norm_over_the_total_norm():
    g1, g2 = np.array([3.0, 0.0]), np.array([[0.0, 4.0], [0.0, 0.0]])
    ps = params_with_grads(g1, g2)
    arrays = [p.grad for p in ps]
    total = clip_grad_norm_(ps, max_norm=1.0)
    assert isinstance(total, Tensor) and total.shape == () and float(total) == 5.0
    coef = 1.0 / (5.0 + 1e-6)
    assert np.allclose(ps[0].grad, g1 * coef) and np.allclose(ps[1].grad, g2 * coef)
    assert ps[0].grad is arrays[0]  # in place, as PyTorch


def test_gradients_below_the_limit_are_left_alone_and_none_grads_skipped():
    ps = params_with_grads(np.array([0.3, 0.4]))
    ps.append(Tensor(np.zeros(2), requires_grad=True))  # grad None
    assert math.isclose(float(clip_grad_norm_(ps, 1.0)), 0.5)
    assert np.array_equal(ps[0].grad, [0.3, 0.4]) and ps[1].grad is None
    assert float(clip_grad_norm_([Tensor(np.zeros(2), requires_grad=True)], 1.0)) == 0.0


@pytest.mark.parametrize("norm_type, expected", [(1, 7.0), (math.inf, 4.0), (3, 91 ** (1 / 3))])
def test_other_norms(norm_type, expected):
    ps = params_with_grads(np.array([3.0, 0.0]), np.array([-4.0]))
    assert math.isclose(float(clip_grad_norm_(ps, 100.0, norm_type=norm_type)), expected)


def test_float32_gradients_stay_float32_and_a_single_tensor_is_accepted():
    (p,) = params_with_grads(np.array([30.0, 40.0], dtype=np.float32))
    total = clip_grad_norm_(p, 5.0)
    assert p.grad.dtype == np.float32 and float(total) == 50.0
    assert np.allclose(np.linalg.norm(p.grad), 5.0, atol=1e-5)


def test_non_finite_norms_raise_only_when_asked():
    ps = params_with_grads(np.array([np.inf, 1.0]))
    with pytest.raises(RuntimeError, match="total norm of order 2.0 of the gradients is inf"):
        clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    assert math.isinf(float(clip_grad_norm_(ps, 1.0)))


def test_bad_arguments_are_refused():
    with pytest.raises(TypeError, match="clip_grad_norm_: expected Tensors/Parameters, item 0"):
        clip_grad_norm_([np.ones(2)], 1.0)
    with pytest.raises(ValueError, match="norm_type must be positive"):
        clip_grad_norm_(params_with_grads(np.ones(2)), 1.0, norm_type=0)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_equals_pytorch(norm_type, max_norm):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    ours = params_with_grads(*grads)
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for t, g in zip(theirs, grads, strict=True):
        t.grad = torch.tensor(g)
    a = clip_grad_norm_(ours, max_norm, norm_type)
    b = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert math.isclose(float(a), float(b), rel_tol=1e-12)
    for p, t in zip(ours, theirs, strict=True):
        assert np.allclose(p.grad, t.grad.numpy(), rtol=1e-12, atol=1e-15)
