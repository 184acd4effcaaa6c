"""Tests for `nn.losses`: every loss against a numpy formula, gradchecks on float64 Tensors,
stability at ±1000, PyTorch's log clamp in binary cross-entropy, shape checks, the penalties on
Tensors and on Values, Elgendy's categorical cross-entropy example (TEXTBOOK example 6), and
`reduction=` / `weight=` / `pos_weight=` on both paths (Tensors and lists of Values) and in the
loss modules. (Every loss against PyTorch: tests/test_nn_functional.py.)"""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
from autograd_lite import Tensor, Value, gradcheck
from nn.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    l1_loss,
    l1_penalty,
    l2_penalty,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from nn.module import Parameter

RNG = np.random.default_rng(20240601)


def np_logsumexp(z: np.ndarray) -> np.ndarray:
    m = z.max(axis=1, keepdims=True)
    return (np.log(np.exp(z - m).sum(axis=1, keepdims=True)) + m)[:, 0]


def np_sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(x / 2))


# --- values against numpy -----------------------------------------------------------------------

def test_mse_loss_matches_numpy():
    y, t = RNG.normal(size=(5, 3)), RNG.normal(size=(5, 3))
    assert mse_loss(Tensor(y), t).item() == pytest.approx(np.mean((y - t) ** 2), rel=1e-12)
    assert mse_loss(Tensor(y), Tensor(t)).item() == pytest.approx(np.mean((y - t) ** 2))


def test_cross_entropy_matches_numpy():
    z, k = RNG.normal(size=(6, 4)), RNG.integers(0, 4, size=6)
    expected = np.mean(np_logsumexp(z) - z[np.arange(6), k])
    assert cross_entropy(Tensor(z), k).item() == pytest.approx(expected, rel=1e-12)
    assert cross_entropy(Tensor(z), Tensor(k)).item() == pytest.approx(expected, rel=1e-12)


def test_cross_entropy_of_one_unbatched_sample():
    z = np.array([0.5, -1.0, 2.0])
    expected = np_logsumexp(z[None])[0] - z[2]
    assert cross_entropy(Tensor(z), 2).item() == pytest.approx(expected)


def test_binary_cross_entropy_matches_numpy():
    p, t = RNG.uniform(0.05, 0.95, size=(4, 3)), RNG.uniform(0, 1, size=(4, 3))
    expected = np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p)))
    assert binary_cross_entropy(Tensor(p), t).item() == pytest.approx(expected, rel=1e-12)


def test_binary_cross_entropy_with_logits_matches_numpy():
    x, t = RNG.normal(scale=3, size=(4, 3)), RNG.integers(0, 2, size=(4, 3)).astype(float)
    p = np_sigmoid(x)
    expected = np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p)))
    got = binary_cross_entropy_with_logits(Tensor(x), t).item()
    assert got == pytest.approx(expected, rel=1e-10)


def test_hinge_loss_matches_numpy():
    s, y = RNG.normal(size=8), RNG.choice([-1.0, 1.0], size=8)
    expected = np.mean(np.maximum(0, 1 - y * s))
    assert hinge_loss(Tensor(s), y).item() == pytest.approx(expected, rel=1e-12)


def test_penalties_match_numpy():
    ws = [RNG.normal(size=(3, 2)), RNG.normal(size=4)]
    l1 = l1_penalty([Tensor(w) for w in ws]).item()
    l2 = l2_penalty([Tensor(w) for w in ws]).item()
    assert l1 == pytest.approx(sum(np.abs(w).sum() for w in ws), rel=1e-12)
    assert l2 == pytest.approx(sum((w ** 2).sum() for w in ws), rel=1e-12)


# --- gradients ----------------------------------------------------------------------------------

def test_gradcheck_mse_loss():
    t = RNG.normal(size=(4, 3))
    assert gradcheck(lambda y: mse_loss(y, t), RNG.normal(size=(4, 3)))


def test_gradcheck_mse_loss_with_respect_to_both_arguments():
    assert gradcheck(mse_loss, RNG.normal(size=5), RNG.normal(size=5))


def test_gradcheck_cross_entropy():
    k = np.array([0, 2, 1, 2])
    assert gradcheck(lambda z: cross_entropy(z, k), RNG.normal(size=(4, 3)))


def test_gradcheck_binary_cross_entropy():
    t = RNG.uniform(0, 1, size=(3, 4))
    assert gradcheck(lambda p: binary_cross_entropy(p, t), RNG.uniform(0.1, 0.9, size=(3, 4)))


def test_gradcheck_binary_cross_entropy_with_logits():
    t = RNG.integers(0, 2, size=(3, 4)).astype(float)
    x = RNG.normal(scale=2, size=(3, 4))
    x[0, 0] = 0.0  # both kinks of max(x, 0) and |x| sit here: their gradients must cancel
    assert gradcheck(lambda z: binary_cross_entropy_with_logits(z, t), x)


def test_bce_with_logits_gradient_is_sigmoid_minus_target_at_zero():
    x = Tensor(np.zeros(2), requires_grad=True)
    binary_cross_entropy_with_logits(x, np.array([1.0, 0.0])).backward()
    np.testing.assert_allclose(x.grad, [(0.5 - 1) / 2, 0.5 / 2])


def test_gradcheck_hinge_loss():
    y = np.array([1.0, -1.0, 1.0, -1.0, 1.0])
    s = np.array([0.3, 0.2, 2.0, -1.5, -0.4])  # no margin exactly at 1, where relu kinks
    assert gradcheck(lambda z: hinge_loss(z, y), s)


@pytest.mark.parametrize("penalty", [l1_penalty, l2_penalty])
def test_gradcheck_penalties(penalty):
    a, b = RNG.normal(size=(2, 3)), RNG.normal(size=4)
    assert gradcheck(lambda x, y: penalty([x, y]), a, b)


# --- stability and clamping --------------------------------------------------------------------

@pytest.mark.parametrize("offset", [1000.0, -1000.0])
def test_cross_entropy_is_stable_at_large_offsets(offset):
    z, k = RNG.normal(size=(3, 4)), np.array([0, 3, 1])
    reference = cross_entropy(Tensor(z), k).item()
    shifted = Tensor(z + offset, requires_grad=True)
    loss = cross_entropy(shifted, k)
    loss.backward()
    assert loss.item() == pytest.approx(reference, rel=1e-9)
    assert np.all(np.isfinite(shifted.grad))


def test_cross_entropy_with_logits_a_thousand_apart():
    z = Tensor(np.array([[1000.0, -1000.0], [1000.0, -1000.0]]), requires_grad=True)
    loss = cross_entropy(z, np.array([0, 1]))
    loss.backward()
    assert loss.item() == pytest.approx(1000.0)  # (0 + 2000) / 2
    np.testing.assert_allclose(z.grad, [[0, 0], [0.5, -0.5]], atol=1e-12)


def test_cross_entropy_backward_twice_through_a_retained_graph_adds_the_same_gradient():
    z = Tensor(RNG.normal(size=(4, 3)), requires_grad=True)
    loss = cross_entropy(z, np.array([2, 0, 1, 2]))
    loss.backward(retain_graph=True)
    first = z.grad.copy()
    loss.backward()  # the softmax saved by the forward must not have been changed in place
    np.testing.assert_allclose(z.grad, 2 * first, rtol=1e-15)
    s = np.exp(z.data) / np.exp(z.data).sum(axis=1, keepdims=True)
    s[np.arange(4), [2, 0, 1, 2]] -= 1
    np.testing.assert_allclose(first, s / 4, rtol=1e-12)


def test_cross_entropy_with_an_infinite_logit_is_infinite_like_logsumexp():
    logits = np.array([[np.inf, 0.0], [1.0, 2.0]])
    with np.errstate(invalid="ignore"):
        loss = cross_entropy(Tensor(logits), np.array([1, 0])).item()
        expected = np.mean(Tensor(logits).logsumexp(axis=1).data - np.array([0.0, 1.0]))
    assert loss == expected == np.inf


def test_bce_with_logits_is_finite_at_plus_minus_1000():
    x = Tensor(np.array([1000.0, -1000.0, 1000.0, -1000.0]), requires_grad=True)
    t = np.array([1.0, 0.0, 0.0, 1.0])
    loss = binary_cross_entropy_with_logits(x, t)
    loss.backward()
    assert loss.item() == pytest.approx(500.0)  # (0 + 0 + 1000 + 1000) / 4
    np.testing.assert_allclose(x.grad, [0, 0, 0.25, -0.25], atol=1e-12)


def test_binary_cross_entropy_at_p_0_and_1_is_finite_with_logs_clamped_at_minus_100():
    p = Tensor(np.array([0.0, 1.0, 0.0, 1.0, 0.5]), requires_grad=True)
    t = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    with np.errstate(all="raise"):  # no log(0), no 0 * inf anywhere
        loss = binary_cross_entropy(p, t)
        loss.backward()
    assert loss.item() == pytest.approx((100 + 100 + 0 + 0 + math.log(2)) / 5)
    assert np.all(np.isfinite(p.grad))
    assert p.grad[4] == pytest.approx(-2 / 5)  # ∂/∂p −log p at 0.5, over N = 5


def test_binary_cross_entropy_rejects_values_outside_0_1():
    with pytest.raises(ValueError, match="binary_cross_entropy.*\\[0, 1\\]"):
        binary_cross_entropy(Tensor(np.array([0.5, 1.2])), np.array([1.0, 0.0]))


def test_hinge_loss_rejects_0_1_labels():
    with pytest.raises(ValueError, match="hinge_loss.*-1 or \\+1"):
        hinge_loss(Tensor(np.array([0.5, 1.2])), np.array([1, 0]))


# --- shapes and dtypes ------------------------------------------------------------------------

@pytest.mark.parametrize("loss, name", [
    (mse_loss, "mse_loss"),
    (binary_cross_entropy, "binary_cross_entropy"),
    (binary_cross_entropy_with_logits, "binary_cross_entropy_with_logits"),
    (hinge_loss, "hinge_loss"),
])
def test_shape_mismatch_raises_naming_the_loss_and_both_shapes(loss, name):
    pred = Tensor(np.full((4, 1), 0.5), requires_grad=True)
    with pytest.raises(ValueError) as info:
        loss(pred, np.ones(4))
    message = str(info.value)
    assert message.startswith(name + ":") and "(4, 1)" in message and "(4,)" in message


def test_cross_entropy_shape_mismatch_raises():
    with pytest.raises(ValueError, match="cross_entropy"):
        cross_entropy(Tensor(np.zeros((4, 3))), np.zeros((4, 1), dtype=int))


def test_float32_prediction_stays_float32_against_a_float64_target():
    loss = mse_loss(Tensor(np.ones(3, dtype=np.float32), requires_grad=True), np.zeros(3))
    assert loss.dtype == np.float32


# --- the scalar (Value) path --------------------------------------------------------------------

@pytest.mark.parametrize("loss, pred, target", [
    (mse_loss, [0.3, -1.2, 2.0], [0.0, 1.0, 2.5]),
    (hinge_loss, [0.3, -1.2, 2.0], [1.0, 1.0, -1.0]),
    (binary_cross_entropy, [0.3, 0.9, 0.0], [0.0, 1.0, 1.0]),
    (binary_cross_entropy_with_logits, [0.0, -3.0, 1000.0], [0.0, 1.0, 1.0]),
])
def test_losses_on_lists_of_values_agree_with_tensors(loss, pred, target):
    values = [Value(p) for p in pred]
    on_values = loss(values, target)
    on_values.backward()
    tensor = Tensor(np.array(pred), requires_grad=True)
    on_tensor = loss(tensor, np.array(target))
    on_tensor.backward()
    assert isinstance(on_values, Value)
    assert on_values.data == pytest.approx(on_tensor.item(), rel=1e-12)
    np.testing.assert_allclose([v.grad for v in values], tensor.grad, rtol=1e-12, atol=1e-15)


def _random_point(loss, rng, n):
    """A prediction and target for `loss`, with its edge cases mixed in: x = 0 and ±1000 for
    the logits, p = 0, 1 and p where log p < −100 for probabilities, y·s = 1 for hinge."""
    if loss is binary_cross_entropy:
        pred = rng.choice([rng.uniform(0, 1), 0.0, 1.0, 1e-60, 1 - 1e-12], size=n,
                          p=[0.6, 0.1, 0.1, 0.1, 0.1])
        return pred, rng.uniform(0, 1, n)
    if loss is hinge_loss:
        target = rng.choice([-1.0, 1.0], n)
        pred = np.where(rng.random(n) < 0.2, target, rng.normal(scale=2, size=n))
        return pred, target
    pred = np.where(rng.random(n) < 0.3, rng.choice([0.0, 1000.0, -1000.0], n),
                    rng.normal(scale=3, size=n))
    return pred, rng.uniform(0, 1, n)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("loss", [mse_loss, binary_cross_entropy,
                                  binary_cross_entropy_with_logits, hinge_loss, l1_loss,
                                  smooth_l1_loss])
def test_each_loss_is_the_same_function_on_values_and_on_a_tensor(loss, seed):
    """One term serves both paths: same loss and same gradients, at random points."""
    rng = np.random.default_rng(seed)
    pred, target = _random_point(loss, rng, 1 + seed)
    values = [Value(float(p)) for p in pred]
    on_values = loss(values, target)
    on_values.backward()
    tensor = Tensor(pred, requires_grad=True)
    on_tensor = loss(tensor, target)
    on_tensor.backward()
    assert isinstance(on_values, Value) and np.isfinite(on_values.data)
    assert on_values.data == pytest.approx(on_tensor.item(), rel=1e-12)
    np.testing.assert_allclose([v.grad for v in values], tensor.grad, rtol=1e-12, atol=1e-15)


def test_binary_cross_entropy_gradient_is_zero_where_the_log_is_clamped_on_both_paths():
    """At p = 0 and 1, and where 1/p overflows (p = 1e-320), the clamped log is a constant:
    gradient exactly 0, never 0·inf = nan."""
    p, t = np.array([0.0, 1e-50, 1e-320, 1.0]), np.array([1.0, 1.0, 1.0, 0.0])
    tensor = Tensor(p, requires_grad=True)
    values = [Value(x) for x in p]
    with np.errstate(all="raise"):
        on_tensor, on_values = binary_cross_entropy(tensor, t), binary_cross_entropy(values, t)
        on_tensor.backward()
        on_values.backward()
    assert on_tensor.item() == pytest.approx(100.0) and on_values.data == pytest.approx(100.0)
    np.testing.assert_array_equal(tensor.grad, 0.0)
    assert [v.grad for v in values] == [0.0] * 4


def test_bce_with_logits_on_values_at_zero_and_plus_minus_1000():
    x, t = [Value(0.0), Value(1000.0), Value(-1000.0)], [1.0, 0.0, 0.0]
    loss = binary_cross_entropy_with_logits(x, t)
    loss.backward()
    assert loss.data == pytest.approx((math.log(2) + 1000.0 + 0.0) / 3)
    assert [v.grad for v in x] == pytest.approx([(0.5 - 1) / 3, 1 / 3, 0.0], abs=1e-15)


def test_loss_on_a_single_value():
    s = Value(0.25)
    loss = hinge_loss(s, -1)
    loss.backward()
    assert loss.data == pytest.approx(1.25) and s.grad == pytest.approx(1.0)


def test_value_path_checks_shapes():
    with pytest.raises(ValueError, match=r"mse_loss: prediction has shape \(2,\).*\(3,\)"):
        mse_loss([Value(1.0), Value(2.0)], [1.0, 2.0, 3.0])


# --- penalties ----------------------------------------------------------------------------------

def test_penalties_on_parameters_give_sign_and_twice_the_weights():
    w = Parameter(np.array([[1.5, -2.0], [0.0, 0.5]]), dtype=np.float64)
    b = Parameter(np.array([-0.25]), dtype=np.float64)
    l1 = l1_penalty([w, b])
    l1.backward()
    assert l1.item() == pytest.approx(4.25)
    np.testing.assert_array_equal(w.grad, [[1, -1], [0, 1]])  # abs'(0) = 0
    w.grad = b.grad = None
    l2 = l2_penalty(iter([w, b]))  # any iterable, e.g. module.parameters()
    l2.backward()
    assert l2.item() == pytest.approx(1.5**2 + 4 + 0.25 + 0.0625)
    np.testing.assert_allclose(w.grad, 2 * w.data)
    np.testing.assert_allclose(b.grad, 2 * b.data)


def test_penalties_on_values():
    ws = [Value(1.5), Value(-2.0), Value(0.5)]
    l2 = l2_penalty(ws)
    l2.backward()
    assert isinstance(l2, Value) and l2.data == pytest.approx(6.5)
    assert [w.grad for w in ws] == pytest.approx([3.0, -4.0, 1.0])
    ws = [Value(1.5), Value(-2.0)]
    l1 = l1_penalty(ws)
    l1.backward()
    assert l1.data == pytest.approx(3.5) and [w.grad for w in ws] == [1.0, -1.0]


def test_penalties_reject_mixtures_and_non_parameters():
    with pytest.raises(TypeError, match="mix"):
        l2_penalty([Value(1.0), Tensor(np.ones(2))])
    with pytest.raises(TypeError, match="l1_penalty"):
        l1_penalty([1.0])


# --- TEXTBOOK example 6 (Elgendy): categorical cross-entropy ---------------------------------

@pytest.mark.parametrize("probs, printed", [((0.2, 0.3, 0.5), 1.2), ((0.3, 0.5, 0.2), 0.69)])
def test_elgendy_categorical_cross_entropy(probs, printed):
    """−Σ y log p with y one-hot (0, 1, 0): cross_entropy of log-probabilities as logits
    (log_softmax of log p is log p itself, as p sums to 1)."""
    logits = Tensor(np.log(np.array([probs])))
    loss = cross_entropy(logits, np.array([1])).item()
    assert loss == pytest.approx(-math.log(probs[1]), rel=1e-12)
    assert math.floor(loss * 100) / 100 == pytest.approx(printed)  # the book truncates


# --- reduction, weight and pos_weight -------------------------------------------------------------

ELEMENTWISE = [mse_loss, l1_loss, smooth_l1_loss, binary_cross_entropy,
               binary_cross_entropy_with_logits, hinge_loss]


def _point(loss, n=5):
    return _random_point(loss, np.random.default_rng(n), n)


@pytest.mark.parametrize("loss", ELEMENTWISE, ids=lambda f: f.__name__)
def test_reductions_on_tensors_agree_with_each_other(loss):
    pred, target = _point(loss)
    none = loss(Tensor(pred), target, reduction="none")
    assert none.shape == pred.shape
    assert loss(Tensor(pred), target, reduction="sum").item() == pytest.approx(none.data.sum())
    mean = loss(Tensor(pred), target)  # the default, unchanged
    assert mean.item() == pytest.approx(none.data.mean(), rel=1e-14)
    assert mean.item() == loss(Tensor(pred), target, reduction="mean").item()


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("loss", ELEMENTWISE, ids=lambda f: f.__name__)
def test_reductions_on_values_agree_with_tensors(loss, reduction):
    pred, target = _point(loss)
    values = [Value(float(p)) for p in pred]
    on_values = loss(values, target, reduction=reduction)
    tensor = Tensor(pred, requires_grad=True)
    on_tensor = loss(tensor, target, reduction=reduction)
    if reduction == "none":
        assert isinstance(on_values, list) and len(on_values) == len(pred)
        np.testing.assert_allclose([v.data for v in on_values], on_tensor.data, rtol=1e-12)
        total = on_values[0]
        for v in on_values[1:]:
            total = total + v * 1.0
        total.backward()
        on_tensor.sum().backward()
    else:
        assert isinstance(on_values, Value)
        assert on_values.data == pytest.approx(on_tensor.item(), rel=1e-12)
        on_values.backward()
        on_tensor.backward()
    np.testing.assert_allclose([v.grad for v in values], tensor.grad, rtol=1e-12, atol=1e-15)


def test_reduction_none_on_a_single_value_is_a_value():
    loss = mse_loss(Value(3.0), 1.0, reduction="none")
    assert isinstance(loss, Value) and loss.data == 4.0


@pytest.mark.parametrize("loss", ELEMENTWISE + [cross_entropy, nll_loss],
                         ids=lambda f: f.__name__)
def test_unknown_reduction_raises_naming_the_loss(loss):
    with pytest.raises(ValueError, match=f"{loss.__name__}: reduction must be"):
        loss(Tensor(np.zeros((2, 2))), np.zeros(2, dtype=int) if loss in (cross_entropy,
             nll_loss) else np.zeros((2, 2)), reduction="batchmean")


def test_weights_on_values_agree_with_tensors():
    p, t = np.array([0.2, 0.7, 0.9]), np.array([0.0, 1.0, 1.0])
    w, pos = np.array([0.5, 2.0, 1.0]), np.array([3.0, 0.5, 1.0])
    for loss, kwargs in ((binary_cross_entropy, {"weight": w}),
                         (binary_cross_entropy_with_logits, {"weight": w, "pos_weight": pos}),
                         (binary_cross_entropy_with_logits, {"pos_weight": 2.0})):
        values = [Value(x) for x in p]
        on_values = loss(values, t, reduction="sum", **kwargs)
        on_values.backward()
        tensor = Tensor(p, requires_grad=True)
        on_tensor = loss(tensor, t, reduction="sum", **kwargs)
        on_tensor.backward()
        assert on_values.data == pytest.approx(on_tensor.item(), rel=1e-13)
        np.testing.assert_allclose([v.grad for v in values], tensor.grad, rtol=1e-13)


def test_pos_weight_scales_the_positive_term():
    x, t = np.array([0.3, -1.0]), np.array([1.0, 1.0])
    plain = binary_cross_entropy_with_logits(Tensor(x), t, reduction="none").data
    weighted = binary_cross_entropy_with_logits(Tensor(x), t, reduction="none", pos_weight=4.0)
    np.testing.assert_allclose(weighted.data, 4 * plain, rtol=1e-14)  # t = 1: only that term
    assert gradcheck(lambda z: binary_cross_entropy_with_logits(z, t, pos_weight=4.0),
                     np.array([0.0, 1000.0]) + x)


def test_binary_losses_are_finite_with_pos_weight_at_plus_minus_1000():
    x = Tensor(np.array([1000.0, -1000.0]), requires_grad=True)
    loss = binary_cross_entropy_with_logits(x, np.array([1.0, 1.0]), pos_weight=2.0,
                                            reduction="sum")
    loss.backward()
    assert loss.item() == pytest.approx(2000.0)  # 2 · softplus(1000) for the second
    np.testing.assert_allclose(x.grad, [0.0, -2.0], atol=1e-12)


def test_nll_loss_picks_and_weights_log_probabilities():
    logp = np.log(np.array([[0.2, 0.8], [0.6, 0.4], [0.5, 0.5]]))
    k = np.array([1, 0, -100])
    assert nll_loss(Tensor(logp), k).item() == pytest.approx(-(logp[0, 1] + logp[1, 0]) / 2)
    weighted = nll_loss(Tensor(logp), k, weight=np.array([3.0, 1.0])).item()
    assert weighted == pytest.approx(-(logp[0, 1] + 3 * logp[1, 0]) / 4)
    np.testing.assert_allclose(nll_loss(Tensor(logp), k, reduction="none").data,
                               [-logp[0, 1], -logp[1, 0], 0.0])
    with pytest.raises(ValueError, match="nll_loss: targets must be integer class labels"):
        nll_loss(Tensor(logp), np.array([0.0, 1.0, 1.0]))


def test_cross_entropy_default_results_are_unchanged():
    z, k = RNG.normal(size=(6, 4)), RNG.integers(0, 4, size=6)
    fused = cross_entropy(Tensor(z, requires_grad=True), k)
    assert fused._op == "cross_entropy"  # still the fused op
    general = cross_entropy(Tensor(z), k, reduction="sum").item() / 6
    assert fused.item() == pytest.approx(general, rel=1e-14)


def test_loss_modules_on_a_scalar_mlp():
    """The loss classes serve micrograd-style lists of Values like the functions."""
    model = nn.MLP(2, [3, 2], rng=np.random.default_rng(0))
    out = model([0.5, -1.0])
    for criterion, target in ((nn.MSELoss(), [0.0, 1.0]), (nn.L1Loss(reduction="sum"), [1, 1]),
                              (nn.SmoothL1Loss(beta=0.5), [0.0, 1.0]),
                              (nn.BCEWithLogitsLoss(pos_weight=np.array([1.0, 2.0])), [0, 1])):
        loss = criterion(out, target)
        assert isinstance(loss, Value)
        functional = {nn.MSELoss: mse_loss, nn.L1Loss: l1_loss, nn.SmoothL1Loss: smooth_l1_loss,
                      nn.BCEWithLogitsLoss: binary_cross_entropy_with_logits}[type(criterion)]
        expected = functional(Tensor(np.array([v.data for v in out])), np.array(target, float),
                              reduction=criterion.reduction,
                              **({"beta": 0.5} if functional is smooth_l1_loss else {}),
                              **({"pos_weight": np.array([1.0, 2.0])}
                                 if functional is binary_cross_entropy_with_logits else {}))
        assert loss.data == pytest.approx(expected.item(), rel=1e-12)


# --- a language model's (B, T, C) logits ----------------------------------------------------------

def _lm_batch() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((2, 4, 5))  # (B, T, C)
    targets = rng.integers(0, 5, (2, 4))
    targets[0, 3] = targets[1, 2] = -1  # padding, skipped with ignore_index=-1
    return logits, targets


def test_cross_entropy_of_b_t_c_logits_flattened_or_transposed_agree_and_skip_padding():
    logits, targets = _lm_batch()
    flat = Tensor(logits, requires_grad=True)
    a = cross_entropy(flat.view(-1, 5), targets.reshape(-1), ignore_index=-1)
    a.backward()
    moved = Tensor(logits, requires_grad=True)
    b = cross_entropy(moved.transpose(0, 2, 1), targets, ignore_index=-1)  # PyTorch's (B, C, T)
    b.backward()
    keep = targets != -1
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = -logp[keep, targets[keep]].mean()  # the mean over the 6 counted positions
    assert math.isclose(a.item(), expected, rel_tol=1e-12)
    assert math.isclose(b.item(), expected, rel_tol=1e-12)
    assert np.allclose(flat.grad, moved.grad, atol=1e-15)
    assert np.all(flat.grad[~keep] == 0)
    assert gradcheck(lambda z: cross_entropy(z.view(-1, 5), targets.reshape(-1),
                                             ignore_index=-1), logits)


def test_cross_entropy_of_b_t_c_logits_against_b_t_targets_says_how_to_write_it():
    logits, targets = _lm_batch()
    with pytest.raises(ValueError, match=r"classes last.*cross_entropy\(logits.view\(-1, 5\), "
                                         r"targets.view\(-1\)\)"):
        cross_entropy(Tensor(logits), targets, ignore_index=-1)


def test_cross_entropy_of_b_t_c_logits_equals_pytorch_in_float64():
    torch = pytest.importorskip("torch")
    logits, targets = _lm_batch()
    ours = Tensor(logits, requires_grad=True)
    loss = cross_entropy(ours.view(-1, 5), targets.reshape(-1), ignore_index=-1)
    loss.backward()
    theirs = torch.tensor(logits, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(theirs.view(-1, 5), torch.tensor(targets).view(-1),
                                            ignore_index=-1)
    ref.backward()
    assert math.isclose(loss.item(), ref.item(), rel_tol=1e-13)
    assert np.allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-15)
