"""Tests for `nn.functional` (`import nn.functional as F`): known values and gradients of
every function (torch-free, so CI checks them), gradchecks, errors; and, where PyTorch is
installed, every function against `torch.nn.functional` in float64 (values and gradients),
and PyTorch's tutorial training loops written in their natural form — the tensor tutorial's
polynomial fit, the nn tutorial's `p -= p.grad * lr` loop, and an optimizer loop — trained
from the same initial weights on both sides to the same loss."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd_lite import Tensor, gradcheck, manual_seed, no_grad
from autograd_lite.factories import linspace, randn, tensor, zeros

RNG = np.random.default_rng(20240611)
PHI_1 = 0.5 * (1 + math.erf(1 / math.sqrt(2)))  # Φ(1), the standard normal CDF at 1
PDF_1 = math.exp(-0.5) / math.sqrt(2 * math.pi)  # φ(1)


def value_and_grad(fn, *arrays, upstream=None):
    """fn on float64 leaves, backward with `upstream` (ones by default): (out, grads)."""
    leaves = [Tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    out = fn(*leaves)
    out.backward(np.ones(out.shape) if upstream is None else upstream)
    return out.data, [leaf.grad for leaf in leaves]


# --- activations: known values ----------------------------------------------------------------

def test_relu_tanh_sigmoid_leaky_relu():
    out, (g,) = value_and_grad(F.relu, [-1.0, 0.0, 2.0])
    assert out.tolist() == [0, 0, 2] and g.tolist() == [0, 0, 1]  # relu'(0) = 0
    assert F.tanh(Tensor([0.0])).tolist() == [0.0] and F.sigmoid(Tensor([0.0])).tolist() == [0.5]
    out, (g,) = value_and_grad(lambda x: F.leaky_relu(x, 0.1), [-2.0, 3.0])
    np.testing.assert_allclose(out, [-0.2, 3.0])
    np.testing.assert_allclose(g, [0.1, 1.0])
    assert F.leaky_relu(Tensor([-100.0])).tolist() == pytest.approx([-1.0])  # slope 0.01


def test_softmax_and_log_softmax_along_dim():
    x = np.array([[0.0, math.log(3)], [1.0, 1.0]])
    np.testing.assert_allclose(F.softmax(Tensor(x), dim=1).data, [[0.25, 0.75], [0.5, 0.5]])
    np.testing.assert_allclose(F.log_softmax(Tensor(x), 1).data,
                               np.log([[0.25, 0.75], [0.5, 0.5]]))
    np.testing.assert_allclose(F.softmax(Tensor(x), dim=0).data.sum(axis=0), [1.0, 1.0])
    assert F.softmax(Tensor(np.float32([1.0, 2.0])), 0, dtype=np.float64).dtype == np.float64
    with pytest.raises(TypeError, match="give dim"):
        F.softmax(Tensor(x))


def test_gelu_exact_and_tanh_approximation():
    out, (g,) = value_and_grad(F.gelu, [1.0, -1.0, 0.0])
    np.testing.assert_allclose(out, [PHI_1, -(1 - PHI_1), 0.0], rtol=1e-15, atol=1e-17)
    # gelu'(x) = Φ(x) + x·φ(x)
    np.testing.assert_allclose(g, [PHI_1 + PDF_1, (1 - PHI_1) - PDF_1, 0.5], rtol=1e-15)
    u = math.sqrt(2 / math.pi) * (1 + 0.044715)
    approx = F.gelu(Tensor(np.array([1.0])), approximate="tanh").item()
    assert approx == pytest.approx(0.5 * (1 + math.tanh(u)), rel=1e-15)
    assert abs(approx - PHI_1) < 2e-4  # close to, not equal to, the exact form
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(Tensor([1.0]), approximate="fast")


def test_gelu_second_derivative():
    """gelu''(x) = φ(x)·(2 − x²), through create_graph."""
    x = Tensor(np.array([-1.5, 0.3, 1.0]), requires_grad=True)
    F.gelu(x).sum().backward(create_graph=True)
    first = x.grad
    x.grad = None
    first.sum().backward()
    pdf = np.exp(-0.5 * x.data ** 2) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(x.grad, pdf * (2 - x.data ** 2), rtol=1e-12)


def test_silu():
    out, (g,) = value_and_grad(F.silu, [1.0, 0.0])
    s = 1 / (1 + math.exp(-1))
    np.testing.assert_allclose(out, [s, 0.0])
    np.testing.assert_allclose(g, [s * (1 + 1 - s), 0.5])  # σ(x)(1 + x(1 − σ(x)))


@pytest.mark.parametrize("fn", [F.gelu, F.silu, F.tanh, F.sigmoid,
                                lambda x: F.gelu(x, approximate="tanh"),
                                lambda x: F.log_softmax(x, dim=-1)])
def test_gradcheck_activations(fn):
    assert gradcheck(lambda x: (fn(x) * np.arange(1.0, 7.0).reshape(2, 3)).sum(),
                     RNG.normal(scale=2, size=(2, 3)))


# --- dropout and linear layers ----------------------------------------------------------------

def test_dropout():
    x = Tensor(np.ones((100, 100)), requires_grad=True)
    manual_seed(0)
    y = F.dropout(x, p=0.25)  # training=True by default, as PyTorch's functional form
    kept = y.data != 0
    assert abs(kept.mean() - 0.75) < 0.02
    np.testing.assert_allclose(y.data[kept], 1 / 0.75)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, kept / 0.75)
    manual_seed(0)
    np.testing.assert_array_equal(F.dropout(x, p=0.25).data, y.data)  # seeded
    assert F.dropout(x, p=0.25, training=False) is x
    assert F.dropout(x, p=0.0) is x and not F.dropout(x, p=1.0).data.any()
    with pytest.raises(ValueError, match="p is the probability"):
        F.dropout(x, p=1.5)


def test_linear():
    x, w, b = np.array([[1.0, 2.0]]), np.array([[1.0, 0.0], [0.5, -1.0], [0.0, 3.0]]), \
        np.array([0.1, 0.2, 0.3])
    out, (gx, gw, gb) = value_and_grad(F.linear, x, w, b)
    np.testing.assert_allclose(out, [[1.1, -1.3, 6.3]])
    np.testing.assert_allclose(gx, [[1.5, 2.0]])
    np.testing.assert_allclose(gw, [[1.0, 2.0]] * 3)
    np.testing.assert_allclose(gb, [1.0, 1.0, 1.0])
    np.testing.assert_allclose(F.linear(Tensor(x), Tensor(w)).data, [[1.0, -1.5, 6.0]])


def test_conv2d_and_pools_known_values():
    image = np.arange(16.0).reshape(1, 1, 4, 4)
    kernel = np.ones((1, 1, 2, 2))
    out = F.conv2d(Tensor(image), Tensor(kernel), Tensor(np.array([1.0])), stride=2)
    np.testing.assert_allclose(out.data[0, 0], [[11, 19], [43, 51]])  # window sums + 1
    np.testing.assert_allclose(F.max_pool2d(Tensor(image), 2).data[0, 0], [[5, 7], [13, 15]])
    out, (g,) = value_and_grad(lambda x: F.avg_pool2d(x, 2), image)
    np.testing.assert_allclose(out[0, 0], [[2.5, 4.5], [10.5, 12.5]])
    np.testing.assert_allclose(g, np.full((1, 1, 4, 4), 0.25))
    # overlapping windows (stride 1) and zero padding that counts in the mean
    np.testing.assert_allclose(F.avg_pool2d(Tensor(image), 2, 1).data[0, 0, 0], [2.5, 3.5, 4.5])
    padded = F.avg_pool2d(Tensor(image), 2, stride=2, padding=1).data[0, 0]
    np.testing.assert_allclose(padded[0], [0 / 4, (1 + 2) / 4, 3 / 4])


def test_gradcheck_pooling_and_conv():
    x, w, b = RNG.normal(size=(2, 2, 5, 5)), RNG.normal(size=(3, 2, 3, 3)), RNG.normal(size=3)
    assert gradcheck(lambda t: (F.avg_pool2d(t, (2, 3), (1, 2), padding=1) ** 2).sum(), x)
    assert gradcheck(lambda t, k, c: (F.conv2d(t, k, c, stride=2, padding=1) ** 2).sum(),
                     x, w, b)
    with pytest.raises(ValueError, match="half the kernel"):
        F.avg_pool2d(Tensor(x), 2, padding=2)


# --- pad and one_hot --------------------------------------------------------------------------

@pytest.mark.parametrize("mode, values, grad", [
    ("constant", [7, 7, 1, 2, 3, 7], [1, 1, 1]),
    ("reflect", [3, 2, 1, 2, 3, 2], [1, 3, 2]),
    ("replicate", [1, 1, 1, 2, 3, 3], [3, 1, 2]),
    ("circular", [2, 3, 1, 2, 3, 1], [2, 2, 2]),
])
def test_pad_modes(mode, values, grad):
    kwargs = {"value": 7.0} if mode == "constant" else {}
    out, (g,) = value_and_grad(lambda x: F.pad(x, (2, 1), mode=mode, **kwargs),
                               [[1.0, 2.0, 3.0]])
    assert out.tolist() == [values]
    assert g.tolist() == [grad]  # each source element counted as often as it is copied


def test_pad_several_axes_negative_amounts_and_errors():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    assert F.pad(x, (1, 1, 1, 0)).tolist() == [[0, 0, 0, 0, 0], [0, 0, 1, 2, 0], [0, 3, 4, 5, 0]]
    assert F.pad(x, (-1, 1)).tolist() == [[1, 2, 0], [4, 5, 0]]  # a negative amount crops
    assert gradcheck(lambda t: (F.pad(t, (2, 1, 1, 2), mode="reflect") ** 2).sum(),
                     RNG.normal(size=(2, 3, 4)))
    with pytest.raises(ValueError, match="pairs"):
        F.pad(x, (1, 1, 1))
    with pytest.raises(ValueError, match="smaller than the dimension"):
        F.pad(x, (3, 0), mode="reflect")
    with pytest.raises(ValueError, match="mode"):
        F.pad(x, (1, 1), mode="wrap")


def test_one_hot():
    out = F.one_hot(np.array([2, 0, 1]))
    assert out.dtype == np.int64 and out.tolist() == [[0, 0, 1], [1, 0, 0], [0, 1, 0]]
    assert F.one_hot(Tensor(np.array([[1], [0]])), num_classes=4).shape == (2, 1, 4)
    with pytest.raises(TypeError, match="integer"):
        F.one_hot(Tensor([1.0, 0.0]))
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        F.one_hot(np.array([0, 2]), num_classes=2)


# --- losses: known values for each reduction --------------------------------------------------

LOGITS = np.array([[0.0, math.log(3)], [math.log(3), 0.0]])  # softmax rows: (¼, ¾), (¾, ¼)
LN43, LN4 = math.log(4 / 3), math.log(4)


@pytest.mark.parametrize("fn, args, per_element", [
    (F.mse_loss, ([1.0, -2.0], [0.0, 0.0]), [1.0, 4.0]),
    (F.l1_loss, ([1.0, -2.0], [0.0, 0.5]), [1.0, 2.5]),
    (F.smooth_l1_loss, ([0.5, 2.0], [0.0, 0.0]), [0.125, 1.5]),
    (F.binary_cross_entropy, ([0.25, 0.5], [1.0, 0.0]), [LN4, math.log(2)]),
    (F.binary_cross_entropy_with_logits, ([0.0, math.log(3)], [1.0, 1.0]),
     [math.log(2), LN43]),
    (F.cross_entropy, (LOGITS, np.array([1, 1])), [LN43, LN4]),
    (F.nll_loss, (np.log([[0.25, 0.75], [0.5, 0.5]]), np.array([0, 1])), [LN4, math.log(2)]),
])
def test_losses_for_every_reduction(fn, args, per_element):
    pred, target = (np.asarray(a) for a in args)
    none = fn(Tensor(pred), target, reduction="none")
    np.testing.assert_allclose(none.data, per_element, rtol=1e-14)
    assert fn(Tensor(pred), target, reduction="sum").item() == pytest.approx(sum(per_element))
    mean = fn(Tensor(pred), target).item()
    assert mean == pytest.approx(sum(per_element) / 2, rel=1e-14)
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none'"):
        fn(Tensor(pred), target, reduction="avg")


def test_smooth_l1_beta():
    d = Tensor(np.array([0.1, 0.3, -2.0]))
    np.testing.assert_allclose(F.smooth_l1_loss(d, np.zeros(3), reduction="none", beta=0.5).data,
                               [0.5 * 0.01 / 0.5, 0.5 * 0.09 / 0.5, 2.0 - 0.25])
    np.testing.assert_allclose(F.smooth_l1_loss(d, np.zeros(3), reduction="none", beta=0).data,
                               [0.1, 0.3, 2.0])  # beta = 0: the L1 loss
    assert gradcheck(lambda p: F.smooth_l1_loss(p, np.zeros(4), beta=0.7),
                     np.array([0.2, -0.5, 1.3, -2.0]))


def test_cross_entropy_label_smoothing_known_value():
    eps = 0.2  # target (1 − ε)·onehot + ε/2: −0.9·log ¾ − 0.1·log ¼ for row 0
    loss = F.cross_entropy(Tensor(LOGITS[:1]), np.array([1]), label_smoothing=eps).item()
    assert loss == pytest.approx((1 - eps) * LN43 + eps / 2 * (LN4 + LN43), rel=1e-14)


def test_cross_entropy_with_probability_targets():
    probs = np.array([[0.5, 0.5], [0.0, 1.0]])
    out, (g,) = value_and_grad(lambda z: F.cross_entropy(z, probs, reduction="sum"), LOGITS)
    assert out == pytest.approx(0.5 * (LN4 + LN43) + LN4)
    np.testing.assert_allclose(g, [[0.25 - 0.5, 0.75 - 0.5], [0.75, 0.25 - 1.0]])  # p − t
    smoothed = F.cross_entropy(Tensor(LOGITS), probs, label_smoothing=0.5).item()
    t = probs * 0.5 + 0.25
    expected = -(t * np.log([[0.25, 0.75], [0.75, 0.25]])).sum() / 2
    assert smoothed == pytest.approx(expected, rel=1e-14)


def test_cross_entropy_ignore_index_and_class_weights():
    z = Tensor(LOGITS)
    # the ignored sample counts neither in the sum nor in the mean's denominator
    assert F.cross_entropy(z, np.array([1, -100])).item() == pytest.approx(LN43)
    assert F.cross_entropy(z, np.array([1, 0]), ignore_index=0).item() == pytest.approx(LN43)
    assert F.cross_entropy(z, np.array([1, -100]), reduction="none").tolist() == \
        pytest.approx([LN43, 0.0])
    w = np.array([1.0, 3.0])  # mean = Σ w_k·l / Σ w_k
    weighted = F.cross_entropy(z, np.array([1, 0]), weight=w).item()
    assert weighted == pytest.approx((3 * LN43 + 1 * LN43) / 4)
    weighted = F.cross_entropy(z, np.array([1, 1]), weight=w).item()
    assert weighted == pytest.approx((3 * LN43 + 3 * LN4) / 6)
    with np.errstate(all="ignore"):
        assert math.isnan(F.cross_entropy(z, np.array([-100, -100])).item())  # as PyTorch
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 2\)"):
        F.cross_entropy(z, np.array([1, 2]))
    with pytest.raises(ValueError, match="weight must have one entry per class"):
        F.cross_entropy(z, np.array([1, 0]), weight=np.ones(3))


def test_cross_entropy_defaults_keep_the_fused_op():
    z = Tensor(LOGITS, requires_grad=True)
    loss = F.cross_entropy(z, np.array([1, 1]))
    assert loss._op == "cross_entropy"
    assert F.cross_entropy(z, np.array([1, 1]), label_smoothing=0.1)._op != "cross_entropy"


def test_cross_entropy_on_images_and_unbatched():
    """(N, C, H, W) logits with (N, H, W) labels, and (C,) logits with a 0-d label."""
    z = RNG.normal(size=(2, 3, 2, 2))
    k = RNG.integers(0, 3, size=(2, 2, 2))
    per_pixel = F.cross_entropy(Tensor(z), k, reduction="none")
    assert per_pixel.shape == (2, 2, 2)
    rows = z.transpose(0, 2, 3, 1).reshape(-1, 3)
    expected = F.cross_entropy(Tensor(rows), k.reshape(-1), reduction="none").data.reshape(2, 2, 2)
    np.testing.assert_allclose(per_pixel.data, expected, rtol=1e-14)
    assert F.cross_entropy(Tensor(LOGITS[0]), np.array(1)).item() == pytest.approx(LN43)
    assert F.cross_entropy(Tensor(LOGITS[0]), np.array(1), reduction="none").shape == ()


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_gradcheck_class_losses(reduction):
    z = RNG.normal(size=(4, 3))
    k = np.array([0, 2, -100, 1])
    w = np.array([0.5, 2.0, 1.5])
    probs = RNG.dirichlet(np.ones(3), size=4)
    u = np.arange(1.0, 5.0)

    def total(loss):
        return (loss * u).sum() if reduction == "none" else loss

    assert gradcheck(lambda t: total(F.cross_entropy(t, k, w, reduction=reduction,
                                                     label_smoothing=0.1)), z)
    assert gradcheck(lambda t, p: total(F.cross_entropy(t, p, w, reduction=reduction,
                                                        label_smoothing=0.2)), z, probs)
    assert gradcheck(lambda t: total(F.nll_loss(t, k, w, reduction=reduction)), z)


def test_binary_losses_weights_and_pos_weight():
    x, t = np.array([[0.0, 2.0], [-1.0, 0.5]]), np.array([[1.0, 0.0], [1.0, 1.0]])
    pos = np.array([3.0, 0.5])
    got = F.binary_cross_entropy_with_logits(Tensor(x), t, pos_weight=pos, reduction="none")
    sig = 1 / (1 + np.exp(-x))
    expected = -(pos * t * np.log(sig) + (1 - t) * np.log(1 - sig))
    np.testing.assert_allclose(got.data, expected, rtol=1e-14)
    w = np.array([2.0, 1.0])
    got = F.binary_cross_entropy(Tensor(sig), t, weight=w).item()
    assert got == pytest.approx(np.mean(-w * (t * np.log(sig) + (1 - t) * np.log(1 - sig))))
    assert gradcheck(lambda a, b: F.binary_cross_entropy_with_logits(a, b, w, pos_weight=pos,
                                                                     reduction="sum"), x, t)
    with pytest.raises(ValueError, match="weight of shape \\(3,\\) does not broadcast"):
        F.binary_cross_entropy(Tensor(sig), t, weight=np.ones(3))


# --- loss modules -----------------------------------------------------------------------------

def test_loss_modules_call_their_function_with_their_arguments():
    z, k = Tensor(LOGITS), np.array([1, 0])
    assert nn.CrossEntropyLoss()(z, k).item() == F.cross_entropy(z, k).item()
    criterion = nn.CrossEntropyLoss(weight=np.array([1.0, 3.0]), label_smoothing=0.1,
                                    reduction="sum", ignore_index=0)
    assert criterion(z, k).item() == pytest.approx(F.cross_entropy(
        z, k, np.array([1.0, 3.0]), ignore_index=0, reduction="sum",
        label_smoothing=0.1).item())
    assert nn.NLLLoss(reduction="none")(z, k).tolist() == [-z.data[0, 1], -z.data[1, 0]]
    assert nn.MSELoss(reduction="sum")(Tensor([1.0, 2.0]), [0.0, 0.0]).item() == 5.0
    assert nn.L1Loss()(Tensor([1.0, -3.0]), [0.0, 0.0]).item() == 2.0
    assert nn.SmoothL1Loss(beta=0.5)(Tensor([0.25]), [0.0]).item() == pytest.approx(0.0625)
    assert nn.BCELoss()(Tensor([0.5]), [1.0]).item() == pytest.approx(math.log(2))
    assert nn.BCEWithLogitsLoss(pos_weight=np.array([2.0]))(Tensor([0.0]), [1.0]).item() == \
        pytest.approx(2 * math.log(2))


def test_loss_modules_are_modules_with_weights_as_buffers():
    criterion = nn.CrossEntropyLoss(weight=np.array([1.0, 2.0]))
    assert isinstance(criterion, nn.Module) and list(criterion.parameters()) == []
    assert list(criterion.state_dict()) == ["weight"]
    assert nn.MSELoss().state_dict() == {} and repr(nn.MSELoss()) == "MSELoss()"
    assert list(nn.BCEWithLogitsLoss(pos_weight=[2.0]).state_dict()) == ["pos_weight"]
    with pytest.raises(ValueError, match="MSELoss: reduction"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(TypeError):
        nn.CrossEntropyLoss(None, None, -100)  # PyTorch's deprecated positional arguments


# --- against PyTorch: every function, every reduction -----------------------------------------

def _both(array, grad=True):
    torch = pytest.importorskip("torch")
    return Tensor(array, requires_grad=grad), torch.tensor(array, requires_grad=grad)


def _agree(ours, theirs, inputs, rtol=1e-12, atol=1e-14):
    """Values, then gradients of ⟨out, u⟩ for a random u, of every input that requires grad."""
    torch = pytest.importorskip("torch")
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=rtol, atol=atol)
    u = np.random.default_rng(7).normal(size=ours.shape)
    (ours * u).sum().backward()
    (theirs * torch.tensor(u)).sum().backward()
    for mine, torchs in inputs:
        if mine.requires_grad:
            np.testing.assert_allclose(mine.grad, torchs.grad.numpy(), rtol=rtol, atol=atol)


def _functional_cases():
    x4 = RNG.normal(size=(2, 3, 6, 5))
    x2 = RNG.normal(scale=2, size=(4, 5))
    return [
        ("relu", lambda F_, a: F_.relu(a), x2),
        ("tanh", lambda F_, a: F_.tanh(a), x2),
        ("sigmoid", lambda F_, a: F_.sigmoid(a), x2),
        ("softmax", lambda F_, a: F_.softmax(a, dim=0), x2),
        ("log_softmax", lambda F_, a: F_.log_softmax(a, dim=-1), x2),
        ("gelu", lambda F_, a: F_.gelu(a), x2),
        ("gelu_tanh", lambda F_, a: F_.gelu(a, approximate="tanh"), x2),
        ("silu", lambda F_, a: F_.silu(a), x2),
        ("leaky_relu", lambda F_, a: F_.leaky_relu(a, 0.2), x2),
        ("dropout_eval", lambda F_, a: F_.dropout(a, 0.3, training=False), x2),
        ("max_pool2d", lambda F_, a: F_.max_pool2d(a, 2), x4),
        ("max_pool2d_stride", lambda F_, a: F_.max_pool2d(a, (3, 2), 1), x4),
        ("avg_pool2d", lambda F_, a: F_.avg_pool2d(a, 2), x4),
        ("avg_pool2d_pad", lambda F_, a: F_.avg_pool2d(a, (3, 2), (2, 1), padding=(1, 1)), x4),
        ("pad_constant", lambda F_, a: F_.pad(a, (1, 2, 0, 3), value=-0.5), x4),
        ("pad_reflect", lambda F_, a: F_.pad(a, (2, 1, 3, 2), mode="reflect"), x4),
        ("pad_replicate", lambda F_, a: F_.pad(a, (2, 1, 3, 2), mode="replicate"), x4),
        ("pad_circular", lambda F_, a: F_.pad(a, (2, 1, 3, 2), mode="circular"), x4),
        ("pad_crop", lambda F_, a: F_.pad(a, (-1, 2, 1, -2)), x4),
    ]


@pytest.mark.parametrize("name, fn, array", _functional_cases(),
                         ids=[c[0] for c in _functional_cases()])
def test_functional_against_pytorch(name, fn, array):
    torch = pytest.importorskip("torch")
    ours, theirs = _both(array)
    _agree(fn(F, ours), fn(torch.nn.functional, theirs), [(ours, theirs)])


def test_linear_conv2d_and_one_hot_against_pytorch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    pairs = [_both(a) for a in (RNG.normal(size=(3, 4)), RNG.normal(size=(5, 4)),
                                RNG.normal(size=5))]
    (x, xt), (w, wt), (b, bt) = pairs
    _agree(F.linear(x, w, b), tf.linear(xt, wt, bt), pairs)
    pairs = [_both(a) for a in (RNG.normal(size=(2, 3, 7, 6)), RNG.normal(size=(4, 3, 3, 2)),
                                RNG.normal(size=4))]
    (x, xt), (w, wt), (b, bt) = pairs
    _agree(F.conv2d(x, w, b, stride=(2, 1), padding=1),
           tf.conv2d(xt, wt, bt, stride=(2, 1), padding=1), pairs)
    labels = RNG.integers(0, 5, size=(3, 4))
    np.testing.assert_array_equal(F.one_hot(labels).data,
                                  tf.one_hot(torch.tensor(labels)).numpy())
    np.testing.assert_array_equal(F.one_hot(labels, 7).data,
                                  tf.one_hot(torch.tensor(labels), 7).numpy())


def _loss_cases():
    """(name, functional name, module name, kwargs, input, target, target differentiable)."""
    n, c = 6, 4
    logits = RNG.normal(size=(n, c))
    labels = RNG.integers(0, c, size=n)
    labels_ignored = labels.copy()
    labels_ignored[[1, 4]] = -100
    probs = RNG.dirichlet(np.ones(c), size=n)
    image_logits, image_labels = RNG.normal(size=(2, c, 3, 2)), RNG.integers(0, c, (2, 3, 2))
    w = RNG.uniform(0.5, 2.0, size=c)
    y, t = RNG.normal(size=(3, 5)), RNG.normal(size=(3, 5))
    p, q = RNG.uniform(0.02, 0.98, size=(3, 5)), RNG.uniform(0, 1, size=(3, 5))
    x = RNG.normal(scale=3, size=(3, 5))
    x[0, 0] = 0.0
    return [
        ("mse", "mse_loss", "MSELoss", {}, y, t, True),
        ("l1", "l1_loss", "L1Loss", {}, y, t, True),
        ("smooth_l1", "smooth_l1_loss", "SmoothL1Loss", {}, y, t, True),
        ("smooth_l1_beta", "smooth_l1_loss", "SmoothL1Loss", {"beta": 0.4}, y, t, True),
        ("smooth_l1_beta0", "smooth_l1_loss", "SmoothL1Loss", {"beta": 0.0}, y, t, True),
        ("ce", "cross_entropy", "CrossEntropyLoss", {}, logits, labels, False),
        ("ce_weight_ignore", "cross_entropy", "CrossEntropyLoss", {"weight": w},
         logits, labels_ignored, False),
        ("ce_smoothing", "cross_entropy", "CrossEntropyLoss", {"label_smoothing": 0.15},
         logits, labels_ignored, False),
        ("ce_smoothing_weight", "cross_entropy", "CrossEntropyLoss",
         {"label_smoothing": 0.3, "weight": w}, logits, labels_ignored, False),
        ("ce_ignore_index_2", "cross_entropy", "CrossEntropyLoss", {"ignore_index": 2},
         logits, labels, False),
        ("ce_probs", "cross_entropy", "CrossEntropyLoss", {}, logits, probs, True),
        ("ce_probs_smoothing_weight", "cross_entropy", "CrossEntropyLoss",
         {"label_smoothing": 0.2, "weight": w}, logits, probs, True),
        ("ce_images", "cross_entropy", "CrossEntropyLoss", {"label_smoothing": 0.1},
         image_logits, image_labels, False),
        ("nll", "nll_loss", "NLLLoss", {}, logits, labels, False),
        ("nll_weight_ignore", "nll_loss", "NLLLoss", {"weight": w}, logits, labels_ignored,
         False),
        ("bce", "binary_cross_entropy", "BCELoss", {}, p, q, True),
        ("bce_weight", "binary_cross_entropy", "BCELoss", {"weight": RNG.uniform(size=5)},
         p, q, True),
        ("bce_logits", "binary_cross_entropy_with_logits", "BCEWithLogitsLoss", {}, x, q, True),
        ("bce_logits_weights", "binary_cross_entropy_with_logits", "BCEWithLogitsLoss",
         {"weight": RNG.uniform(size=(3, 1)), "pos_weight": RNG.uniform(0.5, 3, size=5)},
         x, q, True),
    ]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", _loss_cases(), ids=[c[0] for c in _loss_cases()])
def test_losses_and_loss_modules_against_pytorch(case, reduction):
    torch = pytest.importorskip("torch")
    name, function, module, kwargs, pred, target, target_grad = case
    torch_kwargs = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                    for k, v in kwargs.items()}
    for build in ("function", "module"):
        ours, theirs = _both(pred)
        if target_grad:
            t_ours, t_theirs = _both(target)
        else:
            t_ours, t_theirs = target, torch.tensor(target)
        if build == "function":
            mine = getattr(F, function)(ours, t_ours, reduction=reduction, **kwargs)
            ref = getattr(torch.nn.functional, function)(theirs, t_theirs, reduction=reduction,
                                                         **torch_kwargs)
        else:
            mine = getattr(nn, module)(reduction=reduction, **kwargs)(ours, t_ours)
            ref = getattr(torch.nn, module)(reduction=reduction, **torch_kwargs)(theirs,
                                                                                t_theirs)
        inputs = [(ours, theirs)] + ([(t_ours, t_theirs)] if target_grad else [])
        _agree(mine, ref, inputs)


# --- PyTorch's tutorials, in their natural form -----------------------------------------------

POLY_INIT = (0.3, -0.8, 0.1, 0.5)
POLY_LOSS = 9.671275280383774  # after 2000 steps (float64); the first step's loss is 39287.02


def polynomial_fit(lib, tensor_fn, no_grad_fn, steps=2000):
    """"Learning PyTorch with examples", the tensor-and-autograd version: fit
    y = a + b x + c x² + d x³ to sin(x) on [−π, π] by hand-written gradient descent."""
    x = lib.linspace(-math.pi, math.pi, 2000, dtype=lib.float64)
    y = x.sin()
    a, b, c, d = (tensor_fn(v) for v in POLY_INIT)
    learning_rate = 1e-6
    losses = []
    for _ in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with no_grad_fn():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    return losses, [v.item() for v in (a, b, c, d)]


class _Ours:
    """The names the tutorial takes from `torch`, from autograd_lite."""
    float64 = np.float64
    linspace = staticmethod(linspace)


@pytest.fixture(scope="module")
def our_polynomial_fit():
    return polynomial_fit(_Ours, lambda v: tensor(v, dtype=np.float64, requires_grad=True),
                          no_grad)


def test_tensor_tutorial_polynomial_fit(our_polynomial_fit):
    losses, (a, b, c, d) = our_polynomial_fit
    assert losses[0] == pytest.approx(39287.0204, rel=1e-8)
    assert losses[-1] == pytest.approx(POLY_LOSS, rel=1e-12)
    assert all(later <= earlier for earlier, later in zip(losses, losses[1:], strict=False))
    assert b == pytest.approx(0.8295, abs=1e-4) and d == pytest.approx(-0.0895, abs=1e-4)


def test_tensor_tutorial_polynomial_fit_against_pytorch(our_polynomial_fit):
    torch = pytest.importorskip("torch")
    losses, params = polynomial_fit(
        torch, lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True),
        torch.no_grad)
    np.testing.assert_allclose(our_polynomial_fit[0], losses, rtol=1e-12)
    np.testing.assert_allclose(our_polynomial_fit[1], params, rtol=1e-12, atol=1e-15)


def _classification_data(n=256, features=20, classes=4):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, features))
    y = np.argmax(x @ rng.normal(size=(features, classes)) + rng.normal(size=classes), axis=1)
    return x, y


NN_TUTORIAL_LOSS = 0.35677051708296137  # the last minibatch's loss after 10 epochs


def nn_tutorial_fit(torch_nn, functional, tensor_fn, weights, bias, no_grad_fn):
    """"What is torch.nn really?": a logistic-regression Module trained minibatch by minibatch
    with `p -= p.grad * lr` under no_grad and `model.zero_grad()`."""

    class MnistLogistic(torch_nn.Module):
        def __init__(self):
            super().__init__()
            self.weights = weights  # nn.Parameter(randn(784, 10) / math.sqrt(784)) there
            self.bias = bias

        def forward(self, xb):
            return xb @ self.weights + self.bias

    x_train, y_train = (tensor_fn(a) for a in _classification_data())
    model, loss_func = MnistLogistic(), functional.cross_entropy
    lr, bs, epochs, n = 0.5, 64, 10, len(x_train)
    losses = []
    for _ in range(epochs):
        for i in range((n - 1) // bs + 1):
            start_i = i * bs
            end_i = start_i + bs
            xb = x_train[start_i:end_i]
            yb = y_train[start_i:end_i]
            pred = model(xb)
            loss = loss_func(pred, yb)
            losses.append(loss.item())

            loss.backward()
            with no_grad_fn():
                for p in model.parameters():
                    p -= p.grad * lr
                model.zero_grad()
    accuracy = float((model(x_train).argmax(dim=1) == y_train).numpy().mean())
    return losses, accuracy


@pytest.fixture(scope="module")
def our_nn_tutorial():
    manual_seed(0)
    weights = randn(20, 4, dtype=np.float64) / math.sqrt(20)
    return nn_tutorial_fit(nn, F, Tensor, nn.Parameter(weights, dtype=np.float64),
                           nn.Parameter(zeros(4, dtype=np.float64), dtype=np.float64),
                           no_grad), weights.data


def test_nn_tutorial_manual_updates(our_nn_tutorial):
    (losses, accuracy), _ = our_nn_tutorial
    assert losses[0] > 1.5 and losses[-1] == pytest.approx(NN_TUTORIAL_LOSS, rel=1e-9)
    assert accuracy > 0.9


def test_nn_tutorial_manual_updates_against_pytorch(our_nn_tutorial):
    torch = pytest.importorskip("torch")
    (losses, accuracy), weights = our_nn_tutorial
    theirs, their_accuracy = nn_tutorial_fit(
        torch.nn, torch.nn.functional, torch.tensor, torch.nn.Parameter(torch.tensor(weights)),
        torch.nn.Parameter(torch.zeros(4, dtype=torch.float64)), torch.no_grad)
    np.testing.assert_allclose(losses, theirs, rtol=1e-12)
    assert accuracy == their_accuracy


def _regression_data(n=128):
    rng = np.random.default_rng(1)
    x = rng.uniform(-2, 2, size=(n, 3))
    y = np.sin(x[:, :1]) * x[:, 1:2] + 0.5 * x[:, 2:] ** 2
    return x, y


OPTIMIZER_LOOP_LOSS = 0.013955669994719594  # full-batch MSE after 150 steps (from 1.956)


def optimizer_loop(model, loss_fn, optimizer, tensor_fn, steps=150):
    """The usual loop: zero_grad, forward, loss, backward, step."""
    x, y = (tensor_fn(a) for a in _regression_data())
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def _mlp(torch_nn):
    return torch_nn.Sequential(torch_nn.Linear(3, 16), torch_nn.Tanh(), torch_nn.Linear(16, 16),
                               torch_nn.ReLU(), torch_nn.Linear(16, 1))


@pytest.fixture(scope="module")
def our_optimizer_loop():
    manual_seed(3)
    model = _mlp(nn)
    for layer in (model[0], model[2], model[4]):  # float64, for a comparison to rounding
        layer.weight = nn.Parameter(layer.weight.data, dtype=np.float64)
        layer.bias = nn.Parameter(layer.bias.data, dtype=np.float64)
    state = {k: v.copy() for k, v in model.state_dict().items()}
    optimizer = nn.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    return optimizer_loop(model, nn.MSELoss(), optimizer, Tensor), state


def test_optimizer_loop(our_optimizer_loop):
    losses, _ = our_optimizer_loop
    assert losses[-1] < losses[0] / 50
    assert losses[-1] == pytest.approx(OPTIMIZER_LOOP_LOSS, rel=1e-9)


def test_optimizer_loop_against_pytorch(our_optimizer_loop):
    torch = pytest.importorskip("torch")
    losses, state = our_optimizer_loop
    model = _mlp(torch.nn).double()
    model.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    theirs = optimizer_loop(model, torch.nn.MSELoss(), optimizer, torch.tensor)
    np.testing.assert_allclose(losses, theirs, rtol=1e-10)


def test_embedding_gathers_rows_and_adds_the_gradients_of_repeated_indices():
    w = Tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    idx = np.array([[1, 3], [1, 0]])
    out = F.embedding(idx, w)
    np.testing.assert_array_equal(out.data, w.data[idx])
    out.sum().backward()
    np.testing.assert_array_equal(w.grad, [[1] * 3, [2] * 3, [0] * 3, [1] * 3])
    with pytest.raises(ValueError, match=r"embedding: indices must lie in \[0, 4\)"):
        F.embedding(np.array([4]), w)
    with pytest.raises(TypeError, match="embedding: indices must be integers"):
        F.embedding(np.array([0.5]), w)
    with pytest.raises(ValueError, match=r"embedding: weight must be .* shape \(12,\)"):
        F.embedding(np.array([0]), np.arange(12.0))


@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_layer_norm_matches_the_layer_and_gradchecks(affine):
    x = RNG.normal(size=(2, 3, 4))
    w, b = RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4))
    params = {"both": [w, b], "weight": [w], "none": []}[affine]
    out = F.layer_norm(x, (3, 4), *params).data
    xc = x - x.mean(axis=(1, 2), keepdims=True)
    expected = xc / np.sqrt((xc ** 2).mean(axis=(1, 2), keepdims=True) + 1e-5)
    if params:
        expected = expected * w + (b if len(params) > 1 else 0)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda x, *p: F.layer_norm(x, (3, 4), *p), x, *params)
    with pytest.raises(ValueError, match=r"layer_norm: input of shape \(2, 3, 4\) does not end"):
        F.layer_norm(x, 3)
    with pytest.raises(ValueError, match=r"layer_norm: weight must have shape \(4,\)"):
        F.layer_norm(x, 4, np.ones(3))


def test_embedding_and_layer_norm_against_pytorch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    pairs = [_both(a) for a in (RNG.normal(size=(5, 4)),)]
    (w, wt), = pairs
    idx = np.array([[0, 4, 4], [2, 0, 1]])
    _agree(F.embedding(idx, w), tf.embedding(torch.tensor(idx), wt), pairs)
    pairs = [_both(a) for a in (RNG.normal(size=(2, 3, 4)), RNG.normal(size=4),
                                RNG.normal(size=4))]
    (x, xt), (g, gt), (b, bt) = pairs
    _agree(F.layer_norm(x, (4,), g, b, eps=1e-3), tf.layer_norm(xt, (4,), gt, bt, eps=1e-3),
           pairs)
