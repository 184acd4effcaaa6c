"""gradcheck and central_difference: they accept right gradients and catch wrong ones, at
first and second order (and in forward mode); numpy scalars as inputs; check_grads in HIPS
autograd's and JAX's spellings."""

import math

import numpy as np
import pytest

from autograd_lite import GradcheckError, Value, central_difference, gradcheck


def test_gradcheck_accepts_a_correct_function_of_several_inputs():
    assert gradcheck(lambda x, y: (x * y).tanh() + x ** y / (1 + y * y), 0.5, 1.5) is True


def test_gradcheck_takes_ints_numpy_scalars_and_zero_d_arrays():
    assert gradcheck(lambda x, y: x.exp() * y, 1, 0.5)  # Python numbers: Values
    assert gradcheck(lambda x, y: x.exp() * y, np.int64(1), np.float32(0.5))  # 0-d Tensors
    assert gradcheck(lambda x: x.sin(), np.array(0.3))


def test_numpy_scalars_arrive_as_zero_d_float64_tensors_python_numbers_as_values():
    from autograd_lite import Tensor

    seen = []

    def f(a, b):
        seen.append([(type(x), x.dtype, x.shape) for x in (a, b)])
        return np.sin(a) * b  # before: an np.float64 became a Value, and np.sin refused it

    assert gradcheck(f, np.float64(0.3), np.float32(2.0))
    assert seen[0] == [(Tensor, np.dtype(np.float64), ())] * 2
    assert gradcheck(lambda a: np.exp(np.sin(a)), np.float64(0.7), order=2)
    values = []
    assert gradcheck(lambda v: values.append(v) or v * v, 1.5)
    assert type(values[0]) is Value


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


def test_gradcheck_fails_on_non_finite_values_even_when_both_sides_are_nan():
    with pytest.raises(GradcheckError, match="input 0 is not finite: analytic nan, numeric nan"):
        gradcheck(lambda x: x.sqrt(), -1.0)  # nan == nan proves nothing
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


# --- order 2: the gradient of the gradient ----------------------------------------------------

@pytest.mark.parametrize("f, inputs", [
    (lambda x: (x.tanh() ** 2).sum(), [np.array([0.3, -1.2, 2.0])]),
    (lambda x, y: (x * y.exp()).sin(), [np.arange(6.0).reshape(2, 3) / 4, np.ones((2, 1))]),
    (lambda A, v: (A @ v).sigmoid(), [np.array([[1.0, -2.0], [0.5, 0.3]]), np.array([0.4, -1.0])]),
    (lambda x, y: (x * y).tanh() + x ** y / (1 + y * y), [0.5, 1.5]),  # Values at order 1
    (lambda x: np.log(np.exp(x).sum()), [np.array([0.1, 0.5, -0.3])]),
])
def test_order_two_passes_on_correct_ops(f, inputs):
    assert gradcheck(f, *inputs, order=2) is True


def test_order_two_on_a_large_input_uses_random_directions():
    x = np.random.default_rng(0).standard_normal(200)
    assert gradcheck(lambda t: (t.tanh() ** 2).sum(), x, order=2)


def test_order_three():
    assert gradcheck(lambda x: (x.sin() * x.exp()).sum(), np.array([0.3, -0.8]), order=3)


def _square_with_a_vjp_that_forgets_its_input():
    from autograd_lite.custom import primitive

    @primitive
    def square(x):
        return x ** 2

    # right at first order; but np.asarray takes the values out of the graph, so under
    # create_graph the recorded gradient 2·g·x does not depend on x: d²/dx² comes out 0
    square.defvjp(lambda g, out, x: g * 2 * np.asarray(x))
    return square


def test_order_two_catches_a_vjp_that_is_right_but_not_differentiable():
    square = _square_with_a_vjp_that_forgets_its_input()
    x = np.array([0.5, -1.0])
    assert gradcheck(lambda t: (square(t) * t).sum(), x)  # order 1 passes
    with pytest.raises(GradcheckError, match=r"order 2.*input 0 at index \(0,\).*analytic"):
        gradcheck(lambda t: (square(t) * t).sum(), x, order=2)


def test_order_two_catches_a_wrong_second_derivative_of_a_primitive():
    from autograd_lite.custom import primitive

    @primitive
    def sine(x):
        return np.sin(x)

    @primitive
    def wrong_cosine(x):  # the derivative of cos given as +sin
        return np.cos(x)

    wrong_cosine.defvjp(lambda g, out, x: g * sine(x))
    sine.defvjp(lambda g, out, x: g * wrong_cosine(x))
    x = np.array([0.4, 1.3, -0.6])
    assert gradcheck(lambda t: sine(t).sum(), x)
    with pytest.raises(GradcheckError, match="order 2"):
        gradcheck(lambda t: sine(t).sum(), x, order=2)
    sine_ok = primitive(np.sin, name="sin_ok")
    cosine_ok = primitive(np.cos, name="cos_ok")
    sine_ok.defvjp(lambda g, out, x: g * cosine_ok(x))
    cosine_ok.defvjp(lambda g, out, x: -g * sine_ok(x))
    assert gradcheck(lambda t: sine_ok(t).sum(), x, order=3)


def test_order_must_be_a_positive_int():
    with pytest.raises(ValueError, match="order"):
        gradcheck(lambda x: x * x, 1.0, order=0)


# --- forward mode ---------------------------------------------------------------------------

def test_forward_mode_passes_on_correct_ops_and_catches_a_wrong_vjp():
    assert gradcheck(lambda x, y: (x * y.exp()).sin(), np.ones((2, 3)) / 3, np.ones((2, 1)),
                     modes=("fwd",), order=2)

    def wrong(x):
        return (x * x.data).sum()

    with pytest.raises(GradcheckError, match="forward mode"):
        gradcheck(wrong, np.array([1.0, 2.0]), modes=("fwd",))
    with pytest.raises(ValueError, match="modes"):
        gradcheck(lambda x: x, np.ones(2), modes=("sideways",))


# --- check_grads: HIPS autograd's and JAX's signatures --------------------------------------

def test_check_grads_in_hips_autograds_spelling():
    from autograd_lite.gradcheck import check_grads

    def training_loss(weights, inputs):
        preds = 0.5 * (np.tanh(inputs @ weights) + 1)
        return -np.sum(np.log(preds))

    inputs = np.array([[0.52, 1.12, 0.77], [0.88, -1.08, 0.15]])
    assert check_grads(training_loss, modes=["rev"])(np.zeros(3), inputs)
    assert check_grads(training_loss)(np.array([0.1, -0.2, 0.3]), inputs)  # fwd, rev, order 2
    assert check_grads(lambda w, X: training_loss(w, X), 1)(np.zeros(3), inputs)  # argnum 1
    square = _square_with_a_vjp_that_forgets_its_input()
    with pytest.raises(GradcheckError):
        check_grads(lambda t: (square(t) * t).sum(), modes=["rev"])(np.array([0.5]))


def test_check_grads_in_jaxs_spelling_checks_every_argument():
    from autograd_lite.gradcheck import check_grads

    def loss(W, b):
        return -np.sum(np.log(0.5 * (np.tanh((np.array([[1.0, 2.0]]) @ W + b) / 2) + 1)))

    assert check_grads(loss, (np.array([0.3, -0.1]), np.array(0.2)), order=2)
    assert check_grads(loss, (np.array([0.3, -0.1]), np.array(0.2)), 1, modes=["rev"])
    square = _square_with_a_vjp_that_forgets_its_input()
    with pytest.raises(GradcheckError, match="input 1"):
        check_grads(lambda a, b: (a * square(b) * b).sum(), (np.ones(2), np.array([0.5, 2.0])),
                    2, modes=["rev"])


def test_gradcheck_of_a_one_element_output_reports_the_unweighted_derivative():
    # relu at its kink: numeric (1 - 0) / 2ε·ε = 0.5, analytic 0 (relu'(0) = 0); the values
    # reported are f's own, not multiplied by a random projection weight
    for x in (np.array(0.0), np.array([0.0]), np.array([[0.0]])):
        with pytest.raises(GradcheckError, match=r"analytic 0.0, numeric 0.(5|4999)"):
            gradcheck(lambda t: t.relu(), x)
    assert gradcheck(lambda t: (t * 3.0).sum(), np.array([1.0, 2.0]))


@pytest.mark.parametrize(("name", "value", "error", "message"), [
    ("eps", 0, ValueError, "eps must be a finite number > 0, got 0"),
    ("eps", -1e-6, ValueError, "eps must be a finite number > 0"),
    ("eps", float("nan"), ValueError, "eps must be a finite number > 0"),
    ("atol", -1.0, ValueError, "atol must be a finite number >= 0"),
    ("rtol", float("inf"), ValueError, "rtol must be a finite number >= 0"),
    ("eps", "1e-6", TypeError, "eps must be a real number, got str"),
])
def test_gradcheck_refuses_bad_step_and_tolerances(name, value, error, message):
    with pytest.raises(error, match=f"^gradcheck: {message}"):
        gradcheck(lambda t: t * 2.0, np.ones(2), **{name: value})


def test_central_difference_refuses_a_zero_step():
    with pytest.raises(ValueError, match=r"^central_difference: eps must be a finite number > 0"):
        central_difference(lambda t: t * 2.0, np.ones(2), eps=0.0)
