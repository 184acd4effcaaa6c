"""Tests for the functional transforms: grad, value_and_grad, jacobian, hessian, vjp, jvp, hvp.

Every result is checked against a closed form (or, for jvp and hvp, against the full
jacobian / hessian contracted with the direction); then higher orders, argument handling,
Newton's method on Rosenbrock, and a property test over random points and directions.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_lite import (
    Tensor,
    grad,
    hessian,
    hvp,
    jacobian,
    jvp,
    value_and_grad,
    vjp,
)


def rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def rosenbrock_grad(x):
    a, b = x
    return np.array([-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)])


def rosenbrock_hessian(x):
    a, b = x
    return np.array([[2 - 400 * (b - 3 * a * a), -400 * a], [-400 * a, 200.0]])


def random_symmetric(n, seed):
    m = np.random.default_rng(seed).standard_normal((n, n))
    return (m + m.T) / 2


# --- grad: inputs and outputs ------------------------------------------------------------------

def test_grad_of_a_python_float_is_a_float():
    g = grad(lambda x: x ** 3 + x.sin())(2.0)
    assert type(g) is float
    assert g == pytest.approx(12.0 + math.cos(2.0), rel=1e-15)


def test_grad_of_an_array_is_an_array_shaped_like_it():
    x = np.arange(6.0).reshape(2, 3)
    g = grad(lambda t: (t * t).sum())(x)
    assert isinstance(g, np.ndarray) and g.shape == (2, 3) and g.dtype == np.float64
    np.testing.assert_array_equal(g, 2 * x)


def test_grad_of_a_float32_array_is_float32():
    x = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    g = grad(lambda t: t.tanh().sum())(x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, 1 - np.tanh(x) ** 2, rtol=1e-6)


@pytest.mark.parametrize("x", [3, np.arange(3), np.array([True, False])])
def test_grad_of_integer_input_says_to_pass_floats(x):
    with pytest.raises(TypeError, match="floating-point"):
        grad(lambda t: (t * t).sum())(x)


def test_grad_of_a_non_scalar_output_points_to_jacobian_or_sum():
    with pytest.raises(TypeError, match=r"jacobian.*sum"):
        grad(lambda t: t * 2.0)(np.ones(3))


def test_grad_needs_f_to_return_a_tensor():
    with pytest.raises(TypeError, match="Tensor"):
        grad(lambda t: 3.0)(1.0)


def test_grad_of_a_function_that_ignores_its_input_is_zero():
    assert grad(lambda t: Tensor(np.float64(3.0)))(1.0) == 0.0
    g = grad(lambda t, s: (s * s).sum())(np.ones(2), Tensor(np.ones(2)))
    np.testing.assert_array_equal(g, [0.0, 0.0])


# --- grad: argnums ---------------------------------------------------------------------------

def f_xy(x, y):
    return (x * y ** 2).sum()


X, Y = np.array([1.0, 2.0]), np.array([3.0, -4.0])


def test_argnums_int_selects_one_argument():
    np.testing.assert_array_equal(grad(f_xy)(X, Y), Y ** 2)
    np.testing.assert_array_equal(grad(f_xy, argnums=1)(X, Y), 2 * X * Y)


def test_argnums_tuple_returns_a_tuple_in_that_order():
    gs = grad(f_xy, argnums=(1, 0))(X, Y)
    assert isinstance(gs, tuple) and len(gs) == 2
    np.testing.assert_array_equal(gs[0], 2 * X * Y)
    np.testing.assert_array_equal(gs[1], Y ** 2)
    (only,) = grad(f_xy, argnums=(0,))(X, Y)
    np.testing.assert_array_equal(only, Y ** 2)


def test_negative_argnums_count_from_the_end():
    np.testing.assert_array_equal(grad(f_xy, argnums=-1)(X, Y), 2 * X * Y)
    gx, gy = grad(f_xy, argnums=(-2, -1))(X, Y)
    np.testing.assert_array_equal(gx, Y ** 2)


@pytest.mark.parametrize("argnums", [2, -3, (0, 2)])
def test_out_of_range_argnums_raise_value_error(argnums):
    with pytest.raises(ValueError, match="argnums"):
        grad(f_xy, argnums=argnums)(X, Y)


def test_non_differentiated_arguments_are_passed_through_unchanged():
    seen = []
    scale, name = np.array([2.0, 3.0]), "tag"

    def f(x, s, label):
        seen.append((x, s, label))
        return (x * s).sum()

    np.testing.assert_array_equal(grad(f)(np.ones(2), scale, name), scale)
    x, s, label = seen[0]
    assert isinstance(x, Tensor) and s is scale and label is name


def test_no_grad_is_touched_on_tensors_passed_in():
    x = Tensor(np.array([1.0, 2.0]))  # differentiated, but does not itself require grad
    W = Tensor(np.array([3.0, 4.0]), requires_grad=True)  # not differentiated
    g = grad(lambda a, b: (a * a * b).sum())(x, W)
    np.testing.assert_array_equal(g, 2 * x.data * W.data)
    assert x.grad is None and W.grad is None
    v = Tensor(np.array([1.0, 2.0]), requires_grad=True)  # a graph leaf: nested use
    gv = grad(lambda a: (a ** 3).sum())(v)
    assert isinstance(gv, Tensor) and gv.requires_grad
    np.testing.assert_array_equal(gv.data, 3 * v.data ** 2)
    assert v.grad is None


def test_the_history_of_a_non_differentiated_argument_stays_usable():
    V = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    W = V * 2.0
    grad(lambda a, b: (a * b).sum())(np.ones(2), W)
    W.sum().backward()
    np.testing.assert_array_equal(V.grad, [2.0, 2.0])


# --- higher order ----------------------------------------------------------------------------

def test_grad_of_grad_is_the_second_derivative():
    assert grad(grad(lambda x: x ** 4))(2.0) == 48.0
    d2 = grad(grad(lambda x: x.exp() * x))(0.5)  # (x e^x)'' = (x + 2) e^x
    assert d2 == pytest.approx(2.5 * math.exp(0.5), rel=1e-14)


def test_derivatives_of_sin_cycle_through_cos_minus_sin_minus_cos():
    d1 = grad(lambda x: x.sin())
    d2 = grad(d1)
    d3 = grad(d2)
    d4 = grad(d3)
    for x in (0.0, 0.7, -2.3):
        assert d1(x) == pytest.approx(math.cos(x), abs=1e-15)
        assert d2(x) == pytest.approx(-math.sin(x), abs=1e-15)
        assert d3(x) == pytest.approx(-math.cos(x), abs=1e-15)
        assert d4(x) == pytest.approx(math.sin(x), abs=1e-15)


# --- value_and_grad --------------------------------------------------------------------------

def test_value_and_grad_returns_both():
    value, g = value_and_grad(lambda x: x ** 3)(2.0)
    assert (type(value), type(g)) == (float, float)
    assert (value, g) == (8.0, 12.0)
    x = np.array([1.0, 2.0])
    value, g = value_and_grad(lambda t: (t ** 3).sum())(x)
    assert value == 9.0
    np.testing.assert_array_equal(g, 3 * x ** 2)
    value, (gx, gy) = value_and_grad(f_xy, argnums=(0, 1))(X, Y)
    assert value == pytest.approx(f_xy(Tensor(X), Tensor(Y)).item())
    np.testing.assert_array_equal(gy, 2 * X * Y)


# --- jacobian ----------------------------------------------------------------------------

def test_jacobian_of_an_elementwise_square_is_diagonal():
    x = np.array([1.0, -2.0, 3.0])
    J = jacobian(lambda t: t ** 2)(x)
    assert J.shape == (3, 3)
    np.testing.assert_array_equal(J, np.diag(2 * x))


def test_jacobian_of_a_linear_map_is_its_matrix():
    A = np.arange(6.0).reshape(2, 3) - 2.5
    J = jacobian(lambda t: A @ t)(np.array([0.3, -1.0, 2.0]))
    assert J.shape == (2, 3)
    np.testing.assert_array_equal(J, A)


def test_jacobian_of_a_matrix_to_vector_map_has_shape_out_plus_in():
    M = np.arange(6.0).reshape(2, 3)
    J = jacobian(lambda t: (t * t).sum(axis=1))(M)
    assert J.shape == (2, 2, 3)
    expected = np.zeros((2, 2, 3))
    for i in range(2):
        expected[i, i] = 2 * M[i]
    np.testing.assert_array_equal(J, expected)


def test_jacobian_of_a_scalar_output_has_the_input_shape():
    M = np.arange(6.0).reshape(3, 2)
    J = jacobian(lambda t: (t ** 2).sum())(M)
    assert J.shape == (3, 2)
    np.testing.assert_array_equal(J, 2 * M)


def test_jacobian_of_a_scalar_array_input_has_the_output_shape():
    B = np.array([[1.0, 2.0], [3.0, 4.0]])
    J = jacobian(lambda s: s * s * B)(np.array(3.0))
    assert J.shape == (2, 2)
    np.testing.assert_array_equal(J, 6.0 * B)


def test_jacobian_of_a_python_float_input_with_matrix_output():
    B = np.array([[1.0, 2.0], [3.0, 4.0]])
    J = jacobian(lambda s: s * s * B)(3.0)
    np.testing.assert_array_equal(J, 6.0 * B)


def test_jacobian_with_argnums_tuple():
    x, y = np.array([1.0, 2.0]), np.array([0.5, -1.0])
    Jx, Jy = jacobian(lambda a, b: a * b.sin(), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(Jx, np.diag(np.sin(y)))
    np.testing.assert_allclose(Jy, np.diag(x * np.cos(y)), rtol=1e-15)


# --- hessian ---------------------------------------------------------------------------------

def test_hessian_of_a_quadratic_form_is_its_matrix():
    A = random_symmetric(4, seed=1)
    H = hessian(lambda t: 0.5 * (t @ (A @ t)))(np.array([0.3, -1.0, 2.0, 0.1]))
    np.testing.assert_allclose(H, A, rtol=1e-14, atol=1e-15)


def test_hessian_of_rosenbrock_at_its_minimum():
    H = hessian(rosenbrock)(np.array([1.0, 1.0]))
    np.testing.assert_array_equal(H, [[802.0, -400.0], [-400.0, 200.0]])


def test_hessian_of_rosenbrock_away_from_the_minimum():
    x = np.array([-1.2, 1.0])
    np.testing.assert_allclose(hessian(rosenbrock)(x), rosenbrock_hessian(x), rtol=1e-14)


def test_hessian_of_a_matrix_input_has_shape_in_plus_in():
    M = np.array([[1.0, -2.0], [0.5, 3.0]])
    H = hessian(lambda t: (t ** 3).sum())(M)
    assert H.shape == (2, 2, 2, 2)
    np.testing.assert_allclose(H.reshape(4, 4), np.diag(6 * M.ravel()), rtol=1e-15)


def test_hessian_of_a_python_float_is_a_float():
    h = hessian(lambda x: x ** 4)(2.0)
    assert type(h) is float and h == 48.0


# --- vjp, jvp, hvp ---------------------------------------------------------------------------

A23 = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]])


def vector_f(t):
    return A23 @ t.sin()  # J = A diag(cos x)


def test_vjp_returns_the_value_and_a_reusable_pullback():
    x = np.array([0.1, -0.7, 2.0])
    value, pullback = vjp(vector_f, x)
    np.testing.assert_allclose(value, A23 @ np.sin(x), rtol=1e-15)
    J = A23 * np.cos(x)
    for u in (np.array([1.0, 0.0]), np.array([0.0, 1.0]), np.array([2.0, -3.0])):
        (ux,) = pullback(u)
        np.testing.assert_allclose(ux, u @ J, rtol=1e-14)
    (ux,) = pullback(np.array([1.0, 0.0]))  # once more: the graph was retained
    np.testing.assert_allclose(ux, J[0], rtol=1e-14)


def test_vjp_with_two_primals_returns_one_cotangent_each():
    x, y = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    value, pullback = vjp(lambda a, b: a * b, x, y)
    np.testing.assert_array_equal(value, x * y)
    ux, uy = pullback(np.array([2.0, 5.0]))
    np.testing.assert_array_equal(ux, [6.0, -5.0])
    np.testing.assert_array_equal(uy, [2.0, 10.0])


def test_vjp_rejects_a_cotangent_of_the_wrong_shape():
    _, pullback = vjp(vector_f, np.ones(3))
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        pullback(np.ones(3))


def test_jvp_equals_jacobian_times_tangent():
    x = np.array([0.1, -0.7, 2.0])
    for v in (np.array([1.0, 0.0, 0.0]), np.array([0.5, -2.0, 3.0])):
        value, jv = jvp(vector_f, (x,), (v,))
        np.testing.assert_allclose(value, A23 @ np.sin(x), rtol=1e-15)
        np.testing.assert_allclose(jv, jacobian(vector_f)(x) @ v, rtol=1e-14)
        np.testing.assert_allclose(jv, A23 @ (np.cos(x) * v), rtol=1e-14)


def test_jvp_with_two_primals_sums_both_contributions():
    def f(a, b):
        return a * b.sin() + a ** 2

    x, y = np.array([1.0, 2.0]), np.array([0.3, -1.2])
    vx, vy = np.array([0.5, -1.0]), np.array([2.0, 1.0])
    _, jv = jvp(f, (x, y), (vx, vy))
    Jx, Jy = jacobian(f, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(jv, Jx @ vx + Jy @ vy, rtol=1e-14)
    np.testing.assert_allclose(jv, (np.sin(y) + 2 * x) * vx + x * np.cos(y) * vy, rtol=1e-14)


def test_jvp_rejects_mismatched_primals_and_tangents():
    with pytest.raises(ValueError, match="primals"):
        jvp(lambda a, b: a * b, (np.ones(2), np.ones(2)), (np.ones(2),))
    with pytest.raises(ValueError, match="tangent"):
        jvp(vector_f, (np.ones(3),), (np.ones(2),))


def test_hvp_equals_hessian_times_vector_on_rosenbrock():
    for x in (np.array([1.0, 1.0]), np.array([-1.2, 1.0]), np.array([0.3, 2.0])):
        for v in (np.array([1.0, 0.0]), np.array([-0.5, 2.0])):
            Hv = hvp(rosenbrock, x, v)
            np.testing.assert_allclose(Hv, hessian(rosenbrock)(x) @ v, rtol=1e-14)
            np.testing.assert_allclose(Hv, rosenbrock_hessian(x) @ v, rtol=1e-14)


def test_hvp_of_a_random_quadratic_is_its_matrix_times_vector():
    A = random_symmetric(5, seed=2)
    rng = np.random.default_rng(3)
    x, v = rng.standard_normal(5), rng.standard_normal(5)
    Hv = hvp(lambda t: 0.5 * (t @ (A @ t)) + t.sum(), x, v)
    np.testing.assert_allclose(Hv, A @ v, rtol=1e-12, atol=1e-14)


# --- Newton's method -------------------------------------------------------------------------

def test_newtons_method_minimizes_rosenbrock():
    x = np.array([-1.2, 1.0])
    df, d2f = grad(rosenbrock), hessian(rosenbrock)
    steps = 0
    while np.max(np.abs(x - 1.0)) >= 1e-8 and steps < 30:
        np.testing.assert_allclose(df(x), rosenbrock_grad(x), rtol=1e-14)
        x = x - np.linalg.solve(d2f(x), df(x))
        steps += 1
    assert steps < 30
    np.testing.assert_allclose(x, [1.0, 1.0], atol=1e-8)


# --- property: forward-over-reverse products match the full matrices -------------------------

def smooth_scalar(t):
    return (t.sin() * t).sum() + (t @ t).exp() * 0.01


def smooth_scalar_grad(x):
    return np.sin(x) + x * np.cos(x) + 0.02 * np.exp(x @ x) * x


def smooth_vector(t):
    return t.sin() * t + (t @ t).exp() * 0.01


coordinate = st.floats(min_value=-1.5, max_value=1.5, allow_nan=False)
points_and_directions = st.integers(1, 4).flatmap(lambda n: st.tuples(
    st.lists(coordinate, min_size=n, max_size=n), st.lists(coordinate, min_size=n, max_size=n)))


@settings(max_examples=50, deadline=None, derandomize=True)
@given(points_and_directions)
def test_jvp_and_hvp_match_jacobian_and_hessian_products(xv):
    x, v = (np.array(a) for a in xv)
    np.testing.assert_allclose(grad(smooth_scalar)(x), smooth_scalar_grad(x),
                               rtol=1e-12, atol=1e-12)
    _, jv = jvp(smooth_scalar, (x,), (v,))
    np.testing.assert_allclose(jv, jacobian(smooth_scalar)(x) @ v, rtol=1e-10, atol=1e-12)
    _, jv = jvp(smooth_vector, (x,), (v,))
    np.testing.assert_allclose(jv, jacobian(smooth_vector)(x) @ v, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(hvp(smooth_scalar, x, v), hessian(smooth_scalar)(x) @ v,
                               rtol=1e-10, atol=1e-12)


def test_mixed_second_derivative_through_a_non_differentiated_argument():
    # f(x, w) = sin(x·w): ∂²f/∂w∂x = cos(xw) − x·w·sin(xw)
    def f(x, w):
        return (x * w).sin().sum()

    x0, w0 = 0.7, 1.3
    mixed = grad(lambda w: grad(f, argnums=0)(np.array(x0), w))(np.array(w0))
    expected = np.cos(x0 * w0) - x0 * w0 * np.sin(x0 * w0)
    np.testing.assert_allclose(mixed, expected, rtol=1e-12)
