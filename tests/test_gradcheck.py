"""gradcheck and central_difference: they accept right gradients and catch wrong ones."""

import math

import numpy as np
import pytest

from autograd_lite import GradcheckError, Value, central_difference, gradcheck


def test_gradcheck_accepts_a_correct_function_of_several_inputs():
    assert gradcheck(lambda x, y: (x * y).tanh() + x ** y / (1 + y * y), 0.5, 1.5) is True


def test_gradcheck_takes_ints_numpy_scalars_and_zero_d_arrays():
    assert gradcheck(lambda x, y: x.exp() * y, 1, np.float32(0.5))
    assert gradcheck(lambda x: x.sin(), np.array(0.3))


def test_gradcheck_error_is_an_assertion_naming_input_and_both_values():
    def wrong(x, y):
        return x * y + y * y.data  # .data is a constant: d/dy misses the second y term

    with pytest.raises(GradcheckError) as info:
        gradcheck(wrong, 2.0, 3.0)
    assert isinstance(info.value, AssertionError)
    message = str(info.value)
    assert "input 1" in message
    assert "analytic 5.0" in message and "numeric 8.0" in message


def test_gradcheck_respects_its_tolerances():
    def slightly_wrong(x):  # true derivative 2x; analytic 2x + 1e-6·x
        return x * x + x * (1e-6 * x.data)

    assert gradcheck(slightly_wrong, 1.0, atol=1e-5, rtol=0)
    with pytest.raises(GradcheckError):
        gradcheck(slightly_wrong, 1.0, atol=1e-8, rtol=0)


def test_gradcheck_treats_an_unreached_input_as_zero_gradient():
    assert gradcheck(lambda x, y: x * 2.0, 1.0, 5.0)


def test_gradcheck_matches_nan_only_with_nan():
    assert gradcheck(lambda x: x.sqrt(), -1.0)  # nan analytic, nan numeric
    with pytest.raises(GradcheckError, match="analytic nan, numeric 0.0"):
        gradcheck(lambda x: (x * 0.0).sqrt(), 1.0)  # chain rule gives inf·0 = nan


def test_gradcheck_refuses_results_that_are_not_graph_values():
    with pytest.raises(TypeError, match="must return a Value or Tensor"):
        gradcheck(lambda x: x.data * 2, 1.0)


def test_gradcheck_refuses_lists_of_numbers():
    with pytest.raises(TypeError, match="input 0 is a sequence"):
        gradcheck(lambda x: x, [1.0, 2.0])


def test_gradcheck_needs_an_input():
    with pytest.raises(TypeError, match="at least one input"):
        gradcheck(lambda: Value(1.0))


def test_central_difference_is_second_order_accurate():
    exact = math.cos(0.7)
    err_big = abs(central_difference(lambda x: x.sin(), 0.7, eps=1e-2) - exact)
    err_small = abs(central_difference(lambda x: x.sin(), 0.7, eps=1e-3) - exact)
    assert err_small < err_big / 50  # error ∝ ε²: 10x smaller ε, ~100x smaller error


def test_central_difference_picks_the_argument_to_perturb():
    f = lambda x, y: x * y * y  # noqa: E731
    assert central_difference(f, 2.0, 3.0, arg=0) == pytest.approx(9.0, rel=1e-8)
    assert central_difference(f, 2.0, 3.0, arg=1) == pytest.approx(12.0, rel=1e-8)


def test_central_difference_does_not_record_a_graph():
    recorded = []

    def f(x):
        y = x * 2.0
        recorded.append(y.is_leaf)
        return y

    central_difference(f, 1.0)
    assert recorded == [True, True]


# --- Tensor inputs ----------------------------------------------------------------------------

def test_array_inputs_arrive_as_float64_tensors_even_from_float32():
    from autograd_lite import Tensor

    seen = []

    def f(x):
        seen.append((type(x), x.dtype))
        return (x * x).sum()

    assert gradcheck(f, np.ones(3, dtype=np.float32))
    assert set(seen) == {(Tensor, np.dtype(np.float64))}


def test_non_scalar_outputs_are_checked_through_a_projection():
    assert gradcheck(lambda x, y: x * y.exp(), np.arange(6.0).reshape(2, 3), np.ones((2, 1)))


def test_a_wrong_vector_jacobian_product_is_caught_for_non_scalar_outputs():
    from autograd_lite import Tensor

    def wrong(x):  # the second column ignores its dependence on x
        return x * Tensor(x.data[:, ::-1].copy())

    with pytest.raises(GradcheckError, match=r"input 0 at index \(0, 0\)"):
        gradcheck(wrong, np.array([[1.0, 2.0], [3.0, 4.0]]))


def test_large_inputs_are_checked_along_random_directions():
    calls = []

    def f(x):
        calls.append(1)
        return (x.tanh() ** 2).sum()

    x = np.random.default_rng(0).standard_normal(1000)
    assert gradcheck(f, x)
    assert len(calls) == 1 + 2 * 6  # one analytic pass, two evaluations per direction


def test_random_direction_check_still_catches_a_wrong_gradient():
    def wrong(x):
        return (x * x.data).sum()  # misses half of d(x²)/dx

    with pytest.raises(GradcheckError, match="along random direction 0"):
        gradcheck(wrong, np.random.default_rng(0).standard_normal(500))


def test_central_difference_sums_a_tensor_result():
    assert central_difference(lambda x: x * 3.0, np.ones(4), index=(2,)) == pytest.approx(3.0)
