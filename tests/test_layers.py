"""nn.layers: each layer's forward against numpy, its gradients against central differences
(`gradcheck`, float64), initialisation, modes, buffers and printing, as PyTorch does them."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest

from autograd_lite import Tensor, gradcheck, manual_seed, no_grad
from nn.layers import (
    GELU,
    BatchNorm1d,
    Dropout,
    Embedding,
    Flatten,
    LeakyReLU,
    Linear,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from nn.module import Module, Sequential


def rand(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def re_shape(shape: tuple[int, ...]) -> str:
    """`shape` as a regular expression matching its printed form."""
    return str(shape).replace("(", r"\(").replace(")", r"\)")


def count(module: Module) -> int:
    return sum(p.size for p in module.parameters())


def gradcheck_layer(layer: Module, x: np.ndarray, names: Sequence[str] = ()) -> bool:
    """gradcheck the layer's output w.r.t. the input and each named parameter.

    gradcheck hands `f` fresh float64 leaves; `f` puts each one in its parameter's place
    (the layer is a throwaway: the attribute stops being a registered Parameter) and runs
    the layer, so the analytic gradient is the engine's backward through the real forward.
    """
    params = [np.array(getattr(layer, name).data, dtype=np.float64) for name in names]

    def f(xt: Tensor, *ps: Tensor) -> Tensor:
        for name, p in zip(names, ps, strict=True):
            setattr(layer, name, p)
        return layer(xt)

    return gradcheck(f, x, *params)


# --- Linear -----------------------------------------------------------------------------------

def test_linear_parameters_have_pytorchs_layout_and_float32():
    layer = Linear(4, 3)
    assert layer.weight.shape == (3, 4) and layer.bias.shape == (3,)
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert layer.weight.requires_grad and layer.bias.requires_grad


def test_linear_without_bias_has_only_a_weight():
    layer = Linear(4, 3, bias=False)
    assert layer.bias is None
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    x = rand(2, 4)
    assert np.allclose(layer(x).data, x @ layer.weight.data.T)


def test_linear_init_is_uniform_within_one_over_sqrt_in_features():
    in_features, out_features = 1000, 500
    layer = Linear(in_features, out_features, rng=np.random.default_rng(0))
    bound = 1 / math.sqrt(in_features)
    w, b = layer.weight.data, layer.bias.data
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.99 * bound
    std = bound / math.sqrt(3)  # U(−k, k) has std k/√3
    assert abs(w.std() - std) <= 0.05 * std
    assert abs(w.mean()) < 0.01 * bound


def test_linear_init_is_kaiming_uniform_with_a_sqrt5_then_the_bias():
    from nn.init import kaiming_uniform_, uniform_
    from nn.module import Parameter

    layer = Linear(6, 4, rng=np.random.default_rng(9))
    rng = np.random.default_rng(9)
    w = kaiming_uniform_(Parameter(np.zeros((4, 6))), a=math.sqrt(5), rng=rng)
    b = uniform_(Parameter(np.zeros(4)), -1 / math.sqrt(6), 1 / math.sqrt(6), rng=rng)
    assert np.array_equal(layer.weight.data, w.data)
    assert np.array_equal(layer.bias.data, b.data)


def test_linear_init_is_reproducible_with_manual_seed():
    manual_seed(3)
    a = Linear(5, 2)
    manual_seed(3)
    b = Linear(5, 2)
    assert np.array_equal(a.weight.data, b.weight.data)
    assert np.array_equal(a.bias.data, b.bias.data)
    assert not np.array_equal(Linear(5, 2).weight.data, a.weight.data)


@pytest.mark.parametrize("shape", [(7, 4), (4,), (2, 3, 4), (2, 1, 3, 4)])
def test_linear_forward_is_x_wT_plus_b_for_any_leading_shape(shape):
    layer = Linear(4, 3, rng=np.random.default_rng(1))
    x = rand(*shape)
    y = layer(Tensor(x))
    expected = x @ layer.weight.data.T.astype(np.float64) + layer.bias.data
    assert y.shape == shape[:-1] + (3,)
    assert np.allclose(y.data, expected)


def test_linear_keeps_float32():
    layer = Linear(4, 3)
    assert layer(rand(5, 4).astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("shape", [(5, 3), (3,), (2, 5, 6)])
def test_linear_names_both_shapes_when_the_input_does_not_fit(shape):
    with pytest.raises(ValueError, match=rf"{re_shape(shape)}.*\(2, 4\).*in_features=4"):
        Linear(4, 2)(rand(*shape))


@pytest.mark.parametrize("shape", [(3, 4), (4,), (2, 2, 4)])
def test_linear_gradients_wrt_input_weight_and_bias(shape):
    layer = Linear(4, 3, rng=np.random.default_rng(2))
    assert gradcheck_layer(layer, rand(*shape), ["weight", "bias"])


def test_linear_backward_gives_the_textbook_gradients():
    layer = Linear(3, 2, rng=np.random.default_rng(4))
    x = rand(5, 3).astype(np.float32)
    layer(x).sum().backward()
    assert np.allclose(layer.weight.grad, np.ones((5, 2)).T @ x)  # ḡᵀ x
    assert np.allclose(layer.bias.grad, np.full(2, 5.0))  # Σ over the batch
    assert layer.weight.grad.dtype == np.float32


def test_linear_records_one_node_whose_weight_gradient_is_contiguous():
    layer = Linear(4, 3)
    x = Tensor(rand(6, 4).astype(np.float32))
    y = layer(x)
    assert y._op == "linear" and y._parents == (x, layer.weight, layer.bias)
    y.sum().backward()
    assert layer.weight.grad.flags.c_contiguous and layer.weight.grad.dtype == np.float32


@pytest.mark.parametrize("shape", [(3, 4), (4,), (2, 3, 4)])
@pytest.mark.parametrize("bias", ["vector", "scalar", "none"])
def test_fused_linear_gradcheck_with_vector_scalar_or_no_bias(shape, bias):
    from nn.layers import linear
    b = {"vector": [rand(3, seed=2)], "scalar": [np.float64(0.5)], "none": []}[bias]
    assert gradcheck(lambda x, w, *b: linear(x, w, *b), rand(*shape), rand(3, 4, seed=1), *b)
    assert gradcheck(lambda x, w, *b: linear(x, w, *b), rand(*shape), rand(3, 4, seed=1), *b,
                     order=2)


def test_fused_linear_second_derivatives_match_the_composed_ops():
    from nn.layers import linear
    x0, w0, b0 = rand(2, 3, 4), rand(5, 4, seed=1), rand(5, seed=2)

    def grads(fused: bool) -> list[np.ndarray]:
        x, w, b = (Tensor(a, requires_grad=True) for a in (x0, w0, b0))
        y = linear(x, w, b) if fused else x @ w.T + b
        (y * y).sum().backward(create_graph=True)
        gx, gw, gb = x.grad, w.grad, b.grad
        x.grad = w.grad = b.grad = None
        ((gx * gx).sum() + (gw * gw).sum() + (gb * gb).sum()).backward()
        return [x.grad, w.grad, b.grad]

    for fused, composed in zip(grads(True), grads(False), strict=True):
        np.testing.assert_allclose(fused, composed, rtol=1e-12, atol=1e-12)


def test_fused_linear_on_a_non_contiguous_input_and_an_empty_batch():
    layer = Linear(4, 3, rng=np.random.default_rng(3))
    base = rand(4, 6)
    x = Tensor(base.T[::2], requires_grad=True)  # (3, 4), a strided view
    layer(x).sum().backward()
    np.testing.assert_allclose(x.grad, np.ones((3, 3)) @ layer.weight.data)
    empty = Tensor(np.zeros((0, 4), np.float32), requires_grad=True)
    y = layer(empty)
    assert y.shape == (0, 3)
    layer.zero_grad()
    y.sum().backward()
    assert empty.grad.shape == (0, 4)
    np.testing.assert_array_equal(layer.bias.grad, np.zeros(3))
    np.testing.assert_array_equal(layer.weight.grad, np.zeros((3, 4)))


def test_linear_extra_repr():
    assert repr(Linear(4, 5)) == "Linear(in_features=4, out_features=5, bias=True)"
    assert repr(Linear(4, 5, bias=False)) == "Linear(in_features=4, out_features=5, bias=False)"


def test_a_4_5_5_3_dense_net_has_73_parameters():  # Elgendy (TEXTBOOK example 6)
    net = Sequential(Linear(4, 5), ReLU(), Linear(5, 5), ReLU(), Linear(5, 3))
    assert count(net) == 73


def test_nielsens_784_30_10_network_has_23860_parameters():  # TEXTBOOK example 7
    net = Sequential(Linear(784, 30), Sigmoid(), Linear(30, 10))
    assert count(net) == 23_860
    assert net(rand(2, 784)).shape == (2, 10)


# --- activations ------------------------------------------------------------------------------

def np_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


ACTIVATIONS = [
    (ReLU(), lambda x: np.maximum(x, 0)),
    (Tanh(), np.tanh),
    (Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (LeakyReLU(), lambda x: np.where(x > 0, x, 0.01 * x)),
    (LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    (Softmax(), lambda x: np_softmax(x, -1)),
    (Softmax(axis=0), lambda x: np_softmax(x, 0)),
    (Softmax(dim=1), lambda x: np_softmax(x, 1)),
]
ACTIVATION_IDS = ["relu", "tanh", "sigmoid", "leaky_relu", "leaky_relu_0.2", "softmax",
                  "softmax_axis0", "softmax_dim1"]


@pytest.mark.parametrize("layer, reference", ACTIVATIONS, ids=ACTIVATION_IDS)
def test_activation_forward_matches_numpy(layer, reference):
    x = rand(4, 5) * 3
    y = layer(Tensor(x))
    assert y.shape == x.shape
    assert np.allclose(y.data, reference(x))


@pytest.mark.parametrize("layer, reference", ACTIVATIONS, ids=ACTIVATION_IDS)
def test_activation_gradient_matches_central_differences(layer, reference):
    x = rand(3, 4, seed=1) * 2
    x[np.abs(x) < 1e-3] = 0.5  # keep clear of relu's kink
    assert gradcheck_layer(layer, x)


@pytest.mark.parametrize("layer, reference", ACTIVATIONS, ids=ACTIVATION_IDS)
def test_activations_keep_float32(layer, reference):
    assert layer(rand(2, 3).astype(np.float32)).dtype == np.float32


def test_softmax_rows_are_probabilities():
    y = Softmax(dim=-1)(rand(6, 4) * 10).data
    assert np.all(y > 0) and np.allclose(y.sum(axis=-1), 1)


def test_softmax_rejects_two_different_axes():
    with pytest.raises(TypeError, match="give only one"):
        Softmax(axis=0, dim=1)
    assert Softmax(axis=1, dim=1).axis == 1


def test_activation_extra_reprs():
    assert repr(ReLU()) == "ReLU()"
    assert repr(Tanh()) == "Tanh()"
    assert repr(Sigmoid()) == "Sigmoid()"
    assert repr(LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(Softmax(dim=1)) == "Softmax(axis=1)"


# --- Dropout ----------------------------------------------------------------------------------

@pytest.mark.parametrize("p", [-0.1, 1.5, "0.5", None, True])
def test_dropout_rejects_p_outside_0_1(p):
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        Dropout(p)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_zeroes_a_fraction_p_within_three_sigma(p):
    n = 200_000
    y = Dropout(p, rng=np.random.default_rng(0))(np.ones(n, dtype=np.float32)).data
    rate = np.mean(y == 0)
    assert abs(rate - p) < 3 * math.sqrt(p * (1 - p) / n)


def test_dropout_scales_the_kept_elements_by_one_over_one_minus_p():
    x = rand(50, 40) + 5  # no zeros in x
    y = Dropout(0.25, rng=np.random.default_rng(1))(Tensor(x)).data
    kept = y != 0
    assert 0 < kept.sum() < kept.size
    assert np.allclose(y[kept], x[kept] / 0.75)


def test_dropout_keeps_the_mean_on_average():
    x = np.ones((1000, 100))
    y = Dropout(0.3, rng=np.random.default_rng(2))(x).data
    assert abs(y.mean() - 1) < 0.01


def test_dropout_p0_is_the_identity_and_p1_zeroes_everything():
    x = rand(4, 5)
    assert np.array_equal(Dropout(0.0)(x).data, x)
    t = Tensor(x, requires_grad=True)
    y = Dropout(1.0)(t)
    assert np.all(y.data == 0)
    y.sum().backward()
    assert np.all(t.grad == 0)


def test_dropout_is_the_identity_in_eval():
    x = Tensor(rand(30, 30))
    layer = Dropout(0.5).eval()
    assert layer(x) is x
    assert not layer.training


def test_dropout_is_reproducible_with_manual_seed():
    x = np.ones((20, 20))
    manual_seed(5)
    first = Dropout(0.5)(x).data
    manual_seed(5)
    assert np.array_equal(Dropout(0.5)(x).data, first)
    assert not np.array_equal(Dropout(0.5)(x).data, first)  # the next draw differs


def test_dropout_gradient_is_the_mask_over_one_minus_p():
    p = 0.4
    x = Tensor(rand(30, 20) + 10, requires_grad=True)
    y = Dropout(p, rng=np.random.default_rng(3))(x)
    y.sum().backward()
    mask = (y.data != 0).astype(np.float64)
    assert np.array_equal(x.grad, mask / (1 - p))


def test_dropout_gradient_matches_central_differences_with_a_fixed_mask():
    def f(x: Tensor) -> Tensor:
        return Dropout(0.3, rng=np.random.default_rng(4))(x)  # same mask at every call

    assert gradcheck(f, rand(6, 5))


def test_dropout_keeps_float32():
    y = Dropout(0.5)(rand(8, 8).astype(np.float32))
    assert y.dtype == np.float32


def test_dropout_extra_repr():
    assert repr(Dropout(0.2)) == "Dropout(p=0.2)"


# --- BatchNorm1d ------------------------------------------------------------------------------

def test_batchnorm_has_gamma_beta_and_the_running_buffers():
    bn = BatchNorm1d(3)
    assert np.array_equal(bn.weight.data, np.ones(3)) and np.array_equal(bn.bias.data, np.zeros(3))
    assert np.array_equal(bn.running_mean, np.zeros(3))
    assert np.array_equal(bn.running_var, np.ones(3))
    assert bn.num_batches_tracked == 0
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                     "num_batches_tracked"]


def test_batchnorm_training_output_has_zero_mean_and_unit_variance_per_feature():
    x = rand(64, 5) * np.array([1, 3, 10, 0.5, 7]) + np.array([0, -4, 20, 1, 3])
    y = BatchNorm1d(5)(Tensor(x)).data
    assert np.allclose(y.mean(axis=0), 0, atol=1e-10)
    assert np.allclose(y.var(axis=0), 1, atol=1e-3)  # biased variance, up to eps


def test_batchnorm_training_forward_matches_numpy_with_gamma_and_beta():
    bn = BatchNorm1d(4, eps=1e-3)
    bn.weight.data = np.array([1.0, 2.0, 0.5, -1.0])
    bn.bias.data = np.array([0.0, 1.0, -2.0, 3.0])
    x = rand(10, 4)
    expected = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3) * bn.weight.data + bn.bias.data
    assert np.allclose(bn(Tensor(x)).data, expected, atol=1e-6)


def test_batchnorm_running_stats_follow_pytorchs_update_rule():
    bn = BatchNorm1d(3)  # momentum 0.1
    running_mean, running_var = np.zeros(3), np.ones(3)
    for step in range(5):
        x = rand(8, 3, seed=step) * (step + 1) + step
        bn(Tensor(x))
        running_mean = 0.9 * running_mean + 0.1 * x.mean(axis=0)
        running_var = 0.9 * running_var + 0.1 * x.var(axis=0, ddof=1)  # unbiased
    assert np.allclose(bn.running_mean, running_mean, rtol=1e-5)
    assert np.allclose(bn.running_var, running_var, rtol=1e-5)
    assert bn.num_batches_tracked == 5
    assert bn.running_mean.dtype == np.float32 and bn.num_batches_tracked.dtype == np.int64


def test_batchnorm_with_momentum_none_keeps_a_cumulative_average():
    bn = BatchNorm1d(2, momentum=None)
    batches = [rand(6, 2, seed=s) + s for s in range(4)]
    for x in batches:
        bn(x)
    assert np.allclose(bn.running_mean, np.mean([x.mean(0) for x in batches], axis=0),
                       rtol=1e-5)
    # the initial running_var (1) is replaced entirely after the first batch (factor 1/1)
    assert np.allclose(bn.running_var, np.mean([x.var(0, ddof=1) for x in batches], axis=0),
                       rtol=1e-5)


def test_batchnorm_eval_uses_the_running_statistics_and_leaves_them_alone():
    bn = BatchNorm1d(3)
    for step in range(3):
        bn(rand(16, 3, seed=step) * 2 + 1)
    bn.weight.data = np.array([2.0, 1.0, 0.5])
    bn.bias.data = np.array([0.1, 0.2, 0.3])
    before = bn.state_dict()
    bn.eval()
    x = rand(4, 3, seed=9)
    y = bn(Tensor(x)).data
    expected = ((x - bn.running_mean) / np.sqrt(bn.running_var + 1e-5) * bn.weight.data
                + bn.bias.data)
    assert np.allclose(y, expected, atol=1e-6)
    after = bn.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)
    assert bn(x[:1]).shape == (1, 3)  # one sample is fine in eval


def test_batchnorm_does_not_track_statistics_when_told_not_to():
    bn = BatchNorm1d(3, track_running_stats=False).eval()
    assert bn.running_mean is None and "running_mean" not in bn.state_dict()
    x = rand(10, 3)
    assert np.allclose(bn(x).data, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5))


def test_batchnorm_without_affine_has_no_parameters():
    bn = BatchNorm1d(3, affine=False)
    assert count(bn) == 0
    assert list(bn.state_dict()) == ["running_mean", "running_var", "num_batches_tracked"]


def test_batchnorm_needs_more_than_one_value_per_channel_when_training():
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        BatchNorm1d(3)(rand(1, 3))


def test_batchnorm_rejects_the_wrong_number_of_features():
    with pytest.raises(ValueError, match=r"\(N, 4\).*\(5, 3\)"):
        BatchNorm1d(4)(rand(5, 3))


def test_batchnorm_also_normalises_n_c_l_input_over_n_and_l():
    x = rand(4, 3, 5)
    y = BatchNorm1d(3)(x).data
    mean, var = x.mean(axis=(0, 2), keepdims=True), x.var(axis=(0, 2), keepdims=True)
    assert np.allclose(y, (x - mean) / np.sqrt(var + 1e-5))


def test_batchnorm_training_gradients_match_central_differences():
    bn = BatchNorm1d(3)
    bn.weight.data = np.array([1.5, -0.5, 2.0])
    bn.bias.data = np.array([0.3, 0.0, -1.0])
    assert gradcheck_layer(bn, rand(6, 3) * 2 + 1, ["weight", "bias"])


def test_batchnorm_eval_gradients_match_central_differences():
    bn = BatchNorm1d(3)
    bn(rand(8, 3, seed=1))
    bn.eval()
    assert gradcheck_layer(bn, rand(5, 3), ["weight", "bias"])


def test_batchnorm_training_input_gradient_sums_to_zero_per_feature():
    x = Tensor(rand(12, 4), requires_grad=True)
    BatchNorm1d(4)(x).backward(rand(12, 4, seed=5))
    assert np.allclose(x.grad.sum(axis=0), 0, atol=1e-10)  # shifting a feature changes nothing


def test_batchnorm_extra_repr():
    assert repr(BatchNorm1d(10)) == ("BatchNorm1d(10, eps=1e-05, momentum=0.1, affine=True, "
                                     "track_running_stats=True)")


# --- Flatten ----------------------------------------------------------------------------------

@pytest.mark.parametrize("start, end, shape, expected", [
    (1, -1, (2, 3, 4, 5), (2, 60)),
    (0, -1, (2, 3, 4), (24,)),
    (1, 2, (2, 3, 4, 5), (2, 12, 5)),
    (-2, -1, (2, 3, 4), (2, 12)),
    (1, -1, (7, 3), (7, 3)),
])
def test_flatten_merges_start_dim_through_end_dim(start, end, shape, expected):
    x = rand(*shape)
    y = Flatten(start, end)(Tensor(x))
    assert y.shape == expected
    assert np.array_equal(y.data, x.reshape(expected))


def test_flatten_gradient_is_reshaped_back():
    assert gradcheck_layer(Flatten(), rand(2, 3, 2))


def test_flatten_rejects_dimensions_out_of_range():
    with pytest.raises(ValueError, match="out of range"):
        Flatten()(rand(5))
    with pytest.raises(ValueError, match="comes after"):
        Flatten(2, 1)(rand(2, 3, 4))


def test_flatten_extra_repr():
    assert repr(Flatten()) == "Flatten(start_dim=1, end_dim=-1)"


# --- modules together -------------------------------------------------------------------------

def test_train_and_eval_propagate_through_nested_sequentials():
    inner = Sequential(Linear(3, 3), Dropout(0.5), BatchNorm1d(3))
    net = Sequential(Linear(4, 3), inner, ReLU())
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    x = rand(2, 4)
    assert np.array_equal(net(x).data, net(x).data)  # no dropout, fixed statistics
    net.train()
    assert all(m.training for m in net.modules())


def test_repr_of_a_small_sequential_reads_like_pytorch():
    net = Sequential(Linear(784, 30), Sigmoid(), Dropout(0.2), BatchNorm1d(30),
                     Linear(30, 10), Softmax(dim=1))
    assert repr(net) == "\n".join([
        "Sequential(",
        "  (0): Linear(in_features=784, out_features=30, bias=True)",
        "  (1): Sigmoid()",
        "  (2): Dropout(p=0.2)",
        "  (3): BatchNorm1d(30, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)",
        "  (4): Linear(in_features=30, out_features=10, bias=True)",
        "  (5): Softmax(axis=1)",
        ")",
    ])


def test_state_dict_of_a_network_names_parameters_and_buffers():
    net = Sequential(Linear(4, 3), BatchNorm1d(3), ReLU(), Linear(3, 2))
    assert list(net.state_dict()) == [
        "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
        "1.num_batches_tracked", "3.weight", "3.bias"]


def test_a_network_of_layers_trains_end_to_end():
    manual_seed(0)
    net = Sequential(Linear(2, 8), Tanh(), BatchNorm1d(8), Linear(8, 1), Sigmoid())
    x = rand(32, 2)
    target = (x[:, :1] * x[:, 1:] > 0).astype(np.float32)
    losses = []
    for _ in range(100):
        net.zero_grad()
        loss = ((net(x) - target) ** 2).mean()
        loss.backward()
        losses.append(loss.item())
        with no_grad():
            for p in net.parameters():
                p.data = p.data - 0.5 * p.grad
    assert losses[-1] < 0.5 * losses[0]


# --- Embedding --------------------------------------------------------------------------------

def test_embedding_weight_has_pytorchs_layout_and_standard_normal_init():
    layer = Embedding(1000, 50, rng=np.random.default_rng(0))
    assert layer.weight.shape == (1000, 50) and layer.weight.dtype == np.float32
    assert abs(layer.weight.data.mean()) < 0.01 and abs(layer.weight.data.std() - 1) < 0.01
    assert repr(layer) == "Embedding(1000, 50)"


def test_embedding_looks_up_rows_for_any_index_shape():
    layer = Embedding(7, 3)
    idx = np.array([[0, 6, 2], [2, 2, 1]])
    y = layer(idx)
    assert y.shape == (2, 3, 3)
    assert np.array_equal(y.data, layer.weight.data[idx])
    assert np.array_equal(layer(Tensor(idx, dtype=np.int64)).data, y.data)


def test_embedding_gradient_accumulates_over_repeated_indices():
    layer = Embedding(5, 2)
    idx = np.array([[1, 3, 1], [1, 0, 3]])
    g = rand(2, 3, 2)
    layer(idx).backward(g)
    expected = np.zeros((5, 2))
    for (i, j), k in np.ndenumerate(idx):
        expected[k] += g[i, j]
    assert np.allclose(layer.weight.grad, expected, atol=1e-6)
    assert np.array_equal(layer.weight.grad[[2, 4]], np.zeros((2, 2)))  # unused rows: zeros


def test_embedding_gradcheck_in_float64():
    idx = np.array([[0, 2, 2, 1], [1, 1, 3, 0]])
    w = rand(4, 3)
    assert gradcheck(lambda wt: (wt[idx] * wt[idx].tanh()).sum(), w)
    layer = Embedding(4, 3)
    assert gradcheck(lambda wt: _with(layer, "weight", wt)(idx).sin(), w)


def _with(layer: Module, name: str, value: Tensor) -> Module:
    setattr(layer, name, value)
    return layer


@pytest.mark.parametrize("bad, error, words", [
    (np.array([0.0, 1.0]), TypeError, "integers"),
    (np.array([True, False]), TypeError, "integers"),
    (np.array([0, 5]), ValueError, r"\[0, 5\).*from 0 to 5"),
    (np.array([-1, 2]), ValueError, r"\[0, 5\).*from -1 to 2"),
])
def test_embedding_refuses_float_and_out_of_range_indices(bad, error, words):
    with pytest.raises(error, match=f"Embedding: .*{words}"):
        Embedding(5, 2)(bad)


def test_embedding_equals_pytorch_in_float64_with_gradients():
    torch = pytest.importorskip("torch")
    w = rand(6, 4)
    idx = np.array([[5, 0, 5], [2, 5, 1]])
    g = rand(2, 3, 4, seed=1)
    ours = Embedding(6, 4)
    ours.weight = Tensor(w, requires_grad=True)
    ours(idx).backward(g)
    ref = torch.nn.Embedding(6, 4).double()
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(w))
    out = ref(torch.tensor(idx))
    out.backward(torch.tensor(g))
    assert np.allclose(ours(idx).data, out.detach().numpy(), rtol=0, atol=0)
    assert np.allclose(ours.weight.grad, ref.weight.grad.numpy(), rtol=1e-14, atol=1e-14)


# --- GELU -------------------------------------------------------------------------------------

@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_module_matches_its_formula_and_gradchecks(approximate):
    from math import erf

    x = np.linspace(-4, 4, 17)
    y = GELU(approximate)(x).data
    if approximate == "none":
        expected = np.array([0.5 * v * (1 + erf(v / math.sqrt(2))) for v in x])
    else:
        expected = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    assert np.allclose(y, expected, atol=1e-12)
    assert gradcheck(lambda t: GELU(approximate)(t), rand(3, 5))
    assert repr(GELU(approximate)) == f"GELU(approximate='{approximate}')"


def test_gelu_keeps_float32_and_refuses_an_unknown_approximation():
    assert GELU()(np.ones(3, dtype=np.float32)).dtype == np.float32
    with pytest.raises(ValueError, match="GELU: approximate must be 'none' or 'tanh'"):
        GELU("erf")


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_equals_pytorch_in_float64_with_gradients(approximate):
    torch = pytest.importorskip("torch")
    x = rand(4, 6) * 3
    xt = Tensor(x, requires_grad=True)
    GELU(approximate)(xt).backward(np.cos(x))
    tx = torch.tensor(x, requires_grad=True)
    torch.nn.GELU(approximate)(tx).backward(torch.tensor(np.cos(x)))
    assert np.allclose(GELU(approximate)(x).data, torch.nn.GELU(approximate)(
        torch.tensor(x)).numpy(), rtol=1e-14, atol=1e-15)
    assert np.allclose(xt.grad, tx.grad.numpy(), rtol=1e-13, atol=1e-14)


# --- BatchNorm1d on (N, C, L) -----------------------------------------------------------------

def test_batchnorm_on_n_c_l_normalises_over_batch_and_length_per_channel():
    x = rand(8, 3, 5) * np.array([1, 4, 0.5])[:, None] + np.array([2, -1, 7])[:, None]
    bn = BatchNorm1d(3)
    y = bn(x).data
    assert y.shape == (8, 3, 5)
    assert np.allclose(y.mean(axis=(0, 2)), 0, atol=1e-10)
    assert np.allclose(y.var(axis=(0, 2)), 1, atol=1e-3)
    n = 8 * 5
    assert np.allclose(bn.running_var, 0.9 + 0.1 * x.var(axis=(0, 2)) * n / (n - 1))


def test_batchnorm_on_n_c_l_gradchecks_through_the_statistics():
    bn = BatchNorm1d(3)
    gamma, beta = rand(3, seed=2), rand(3, seed=3)
    assert gradcheck_layer(bn, rand(4, 3, 5))
    bn.weight, bn.bias = Tensor(gamma), Tensor(beta)

    def f(x: Tensor, g: Tensor, b: Tensor) -> Tensor:
        bn.weight, bn.bias = g, b
        return bn(x)

    assert gradcheck(f, rand(4, 3, 5), gamma, beta)


@pytest.mark.parametrize("shape", [(6, 3), (6, 3, 4)])
def test_batchnorm_equals_pytorch_in_float64_on_n_c_and_n_c_l(shape):
    torch = pytest.importorskip("torch")
    x, g = rand(*shape), rand(*shape, seed=1)
    ours = BatchNorm1d(3)
    ours.weight, ours.bias = Tensor(rand(3, seed=2), requires_grad=True), \
        Tensor(rand(3, seed=3), requires_grad=True)
    xt = Tensor(x, requires_grad=True)
    ours(xt).backward(g)
    ref = torch.nn.BatchNorm1d(3).double()
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(ours.weight.data))
        ref.bias.copy_(torch.tensor(ours.bias.data))
    tx = torch.tensor(x, requires_grad=True)
    out = ref(tx)
    out.backward(torch.tensor(g))
    assert np.allclose(xt.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert np.allclose(ours.weight.grad, ref.weight.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert np.allclose(ours.bias.grad, ref.bias.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert np.allclose(ours.running_mean, ref.running_mean.numpy(), atol=1e-6)
    assert np.allclose(ours.running_var, ref.running_var.numpy(), atol=1e-6)
    ours.eval(), ref.eval()
    assert np.allclose(ours(x).data, ref(torch.tensor(x)).detach().numpy(), atol=1e-6)


def test_embedding_scatter_equals_np_add_at_and_has_second_derivatives():
    from nn.layers import _scatter_rows_forward

    rng = np.random.default_rng(3)
    idx, g = rng.integers(0, 9, (7, 5)), rng.standard_normal((7, 5, 3))
    expected = np.zeros((9, 3))
    np.add.at(expected, idx, g)
    assert np.allclose(_scatter_rows_forward(g, idx, 9), expected, atol=1e-12)
    assert np.array_equal(_scatter_rows_forward(g[:0], idx[:0], 9), np.zeros((9, 3)))
    layer = Embedding(4, 3)
    ids = np.array([[0, 2, 2], [3, 0, 2]])
    assert gradcheck(lambda w: (_with(layer, "weight", w)(ids) ** 2).sin(), rand(4, 3), order=2)


def test_embedding_of_empty_indices_is_empty_with_zero_gradient():
    layer = Embedding(4, 3)
    y = layer(np.zeros((0, 2), dtype=np.int64))
    assert y.shape == (0, 2, 3)
    y.sum().backward()
    assert np.array_equal(layer.weight.grad, np.zeros((4, 3)))
