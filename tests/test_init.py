"""nn.init: gains, fans and the initialisers' statistics against PyTorch's formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd_lite import Tensor, manual_seed
from nn.init import (
    calculate_fan_in_and_fan_out,
    calculate_gain,
    kaiming_normal_,
    kaiming_uniform_,
    normal_,
    ones_,
    uniform_,
    xavier_normal_,
    xavier_uniform_,
    zeros_,
)
from nn.module import Parameter

LARGE = (400, 600)  # 240,000 draws: the sample std is within ~0.3% of the truth


def big(shape: tuple[int, ...] = LARGE, dtype: type = np.float32) -> Parameter:
    return Parameter(np.zeros(shape), dtype=dtype)


def assert_std_close(values: np.ndarray, expected: float, tol: float = 0.05) -> None:
    assert abs(values.std() - expected) <= tol * expected, (values.std(), expected)


# --- gains and fans ---------------------------------------------------------------------------

@pytest.mark.parametrize("nonlinearity, param, expected", [
    ("linear", None, 1.0),
    ("identity", None, 1.0),
    ("conv2d", None, 1.0),
    ("sigmoid", None, 1.0),
    ("tanh", None, 5 / 3),
    ("relu", None, math.sqrt(2)),
    ("selu", None, 0.75),
    ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))),
    ("leaky_relu", 0.2, math.sqrt(2 / (1 + 0.2**2))),
    ("leaky_relu", 0, math.sqrt(2)),
    ("leaky_relu", math.sqrt(5), math.sqrt(1 / 3)),
])
def test_calculate_gain_matches_the_pytorch_table(nonlinearity, param, expected):
    assert calculate_gain(nonlinearity, param) == pytest.approx(expected, rel=1e-12)


def test_calculate_gain_rejects_unknown_nonlinearities_and_bad_slopes():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        calculate_gain("leaky_relu", "0.1")
    with pytest.raises(ValueError, match="not a valid number"):
        calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("shape, fans", [
    ((5, 3), (3, 5)),  # a Linear weight (out, in): fan_in = in, fan_out = out
    ((16, 3, 5, 5), (3 * 25, 16 * 25)),  # a Conv2d weight: times the receptive field
    ((8, 4, 7), (4 * 7, 8 * 7)),
    ((1, 1), (1, 1)),
])
def test_fans_are_size1_and_size0_times_the_receptive_field(shape, fans):
    assert calculate_fan_in_and_fan_out(Tensor(np.zeros(shape))) == fans
    assert calculate_fan_in_and_fan_out(np.zeros(shape)) == fans


@pytest.mark.parametrize("init", [xavier_uniform_, xavier_normal_, kaiming_uniform_,
                                  kaiming_normal_])
@pytest.mark.parametrize("shape", [(), (7,)])
def test_fan_based_initialisers_reject_tensors_with_fewer_than_two_dims(init, shape):
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init(Parameter(np.zeros(shape)))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        calculate_fan_in_and_fan_out(np.zeros(shape))


# --- statistics against the formulas ----------------------------------------------------------

def test_xavier_uniform_is_bounded_by_gain_sqrt_6_over_fan_sum():
    fan_in, fan_out = LARGE[1], LARGE[0]
    bound = 2.0 * math.sqrt(6 / (fan_in + fan_out))
    w = xavier_uniform_(big(), gain=2.0, rng=np.random.default_rng(0)).data
    assert np.abs(w).max() <= bound
    assert np.abs(w).max() > 0.99 * bound
    assert_std_close(w, bound / math.sqrt(3))
    assert abs(w.mean()) < 0.01 * bound


def test_xavier_normal_has_std_gain_sqrt_2_over_fan_sum():
    w = xavier_normal_(big(), gain=0.5, rng=np.random.default_rng(1)).data
    std = 0.5 * math.sqrt(2 / (LARGE[0] + LARGE[1]))
    assert_std_close(w, std)
    assert abs(w.mean()) < 0.01 * std


@pytest.mark.parametrize("mode, fan", [("fan_in", LARGE[1]), ("fan_out", LARGE[0])])
def test_kaiming_uniform_default_is_bounded_by_sqrt_6_over_fan(mode, fan):
    w = kaiming_uniform_(big(), mode=mode, rng=np.random.default_rng(2)).data
    bound = math.sqrt(6 / fan)  # a = 0: leaky_relu gain √2, bound √3·√2/√fan
    assert np.abs(w).max() <= bound
    assert np.abs(w).max() > 0.99 * bound
    assert_std_close(w, bound / math.sqrt(3))


def test_kaiming_uniform_with_a_sqrt5_is_pytorchs_linear_default():
    w = kaiming_uniform_(big(), a=math.sqrt(5), rng=np.random.default_rng(3)).data
    bound = 1 / math.sqrt(LARGE[1])
    assert np.abs(w).max() <= bound
    assert_std_close(w, bound / math.sqrt(3))


def test_kaiming_normal_has_std_gain_over_sqrt_fan_including_the_receptive_field():
    shape = (64, 32, 3, 3)  # fan_in = 32·9 = 288, fan_out = 64·9 = 576
    w = kaiming_normal_(big(shape), nonlinearity="relu", rng=np.random.default_rng(4)).data
    assert_std_close(w, math.sqrt(2) / math.sqrt(288))
    w = kaiming_normal_(big(shape), mode="fan_out", nonlinearity="tanh",
                        rng=np.random.default_rng(5)).data
    assert_std_close(w, (5 / 3) / math.sqrt(576))


def test_kaiming_rejects_an_unknown_mode():
    with pytest.raises(ValueError, match="'fan_in' or 'fan_out'"):
        kaiming_uniform_(big((3, 4)), mode="fan_avg")


def test_normal_has_the_requested_mean_and_std():
    w = normal_(big(), mean=3.0, std=0.2, rng=np.random.default_rng(6)).data
    assert abs(w.mean() - 3.0) < 0.002
    assert_std_close(w, 0.2)


def test_uniform_draws_within_its_bounds_with_std_width_over_sqrt_12():
    w = uniform_(big(), -1.0, 3.0, rng=np.random.default_rng(7)).data
    assert w.min() >= -1.0 and w.max() <= 3.0
    assert abs(w.mean() - 1.0) < 0.01
    assert_std_close(w, 4 / math.sqrt(12))


def test_zeros_and_ones_fill_constants():
    p = Parameter(np.arange(6.0).reshape(2, 3))
    assert zeros_(p) is p and np.all(p.data == 0)
    assert ones_(p) is p and np.all(p.data == 1)


# --- in place, dtype, reproducibility ---------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("init", [xavier_uniform_, xavier_normal_, kaiming_uniform_,
                                  kaiming_normal_, normal_, zeros_, ones_, uniform_])
def test_initialisers_work_in_place_keep_the_dtype_and_return_the_tensor(init, dtype):
    p = Parameter(np.zeros((6, 5)), dtype=dtype)
    array = p.data
    assert init(p) is p
    assert p.data is array  # written into the same array
    assert p.data.dtype == dtype


def test_initialisers_also_fill_a_plain_numpy_array():
    a = np.zeros((4, 3), dtype=np.float32)
    assert xavier_uniform_(a, rng=np.random.default_rng(0)) is a
    assert a.dtype == np.float32 and np.all(a != 0)


def test_random_initialisers_refuse_integer_tensors():
    with pytest.raises(TypeError, match="floating-point"):
        normal_(Tensor(np.zeros((2, 2), dtype=np.int64)))


def test_manual_seed_makes_initialisation_reproducible():
    manual_seed(11)
    first = kaiming_uniform_(big((5, 4))).data.copy()
    manual_seed(11)
    assert np.array_equal(kaiming_uniform_(big((5, 4))).data, first)
    again = kaiming_uniform_(big((5, 4))).data
    assert not np.array_equal(again, first)


def test_an_explicit_rng_wins_over_the_shared_generator():
    manual_seed(0)
    a = xavier_normal_(big((5, 4)), rng=np.random.default_rng(42)).data
    manual_seed(1)
    b = xavier_normal_(big((5, 4)), rng=np.random.default_rng(42)).data
    assert np.array_equal(a, b)


def test_initialising_a_zero_element_tensor_warns_and_does_nothing():
    p = Parameter(np.zeros((0, 3)))
    with pytest.warns(UserWarning, match="zero-element"):
        assert kaiming_uniform_(p) is p
