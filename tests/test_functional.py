"""Tests for the functional transforms: grad, value_and_grad, elementwise_grad, jacobian
(jacrev), jacfwd, hessian, vjp, jvp, hvp.

Every result is checked against a closed form (or, for jvp and hvp, against the full
jacobian / hessian contracted with the direction); then higher orders, argument handling,
Newton's method on Rosenbrock, a property test over random points and directions, and
pytrees (dicts, lists, tuples, nested) through every transform.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_lite as al
from autograd_lite import Tensor, stack
from autograd_lite.functional import (
    elementwise_grad,
    grad,
    hessian,
    hvp,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    value_and_grad,
    vjp,
)
from autograd_lite.pytree import tree_flatten


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


def test_non_differentiated_arguments_reach_f_as_constant_tensors():
    seen = []
    scale, name, count, flag = np.array([2.0, 3.0]), "tag", 3, True

    def f(x, s, label, n, on):
        seen.append((x, s, label, n, on))
        return (x * s).sum()

    np.testing.assert_array_equal(grad(f)(np.ones(2), scale, name, count, flag), scale)
    x, s, label, n, on = seen[0]
    assert isinstance(x, Tensor) and x.requires_grad
    assert isinstance(s, Tensor) and not s.requires_grad and s.dtype == np.float64
    np.testing.assert_array_equal(s.data, scale)
    assert s.data is not scale  # a copy: the caller's array may change afterwards
    assert label is name and n is count and on is flag  # strings, ints, bools: as they are


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


# --- constants: arguments that are not differentiated ----------------------------------------

def test_a_non_differentiated_array_has_tensor_methods():
    # before: y arrived as a raw ndarray and y.exp() failed
    g = grad(lambda x, y: (x * y.exp()).sum())(np.ones(2), np.array([0.0, 1.0]))
    np.testing.assert_allclose(g, [1.0, np.e], rtol=1e-15)


def test_a_non_differentiated_float_is_a_float64_tensor_and_numpy_works_on_it():
    seen = []

    def f(x, c):
        seen.append(c)
        return np.sum(x * np.exp(c))

    np.testing.assert_allclose(grad(f)(np.ones(3), 0.5), np.full(3, np.exp(0.5)), rtol=1e-15)
    assert isinstance(seen[0], Tensor) and seen[0].dtype == np.float64 and seen[0].ndim == 0


def test_non_differentiated_pytrees_become_pytrees_of_constants():
    seen = []
    data = {"X": np.ones((2, 2)), "meta": ("label", 3), "w": [0.5, np.float32(2.0)]}

    def f(x, d):
        seen.append(d)
        return (x * (d["X"] @ x) * d["w"][0].exp()).sum()

    grad(f)(np.ones(2), data)
    d = seen[0]
    assert isinstance(d["X"], Tensor) and not d["X"].requires_grad
    assert d["meta"] == ("label", 3)
    assert isinstance(d["w"][0], Tensor) and isinstance(d["w"][1], Tensor)
    assert d["w"][1].dtype == np.float32


def test_objects_and_tensors_pass_unchanged():
    marker, T = object(), Tensor(np.array([1.0, 2.0]))
    seen = []

    def f(x, m, t):
        seen.append((m, t))
        return (x * t).sum()

    grad(f)(np.ones(2), marker, T)
    assert seen[0][0] is marker and seen[0][1] is T


# --- pytrees through every transform -----------------------------------------------------------

W0 = np.array([[0.5, -1.0], [2.0, 0.3], [-0.7, 1.1]])
B0 = np.array([0.1, -0.2])
X0 = np.array([[1.0, 2.0, -1.0], [0.5, -0.3, 0.8]])


def mlp_loss(params, X):
    """tanh(X W + b) squared and summed: params = {"W": (3, 2), "b": (2,)}."""
    h = np.tanh(X @ params["W"] + params["b"])
    return (h * h).sum()


def mlp_loss_grad(W, b, X):
    h = np.tanh(X @ W + b)
    dz = 2 * h * (1 - h * h)
    return X.T @ dz, dz.sum(axis=0)


def test_grad_of_a_dict_is_a_dict_with_the_same_keys_and_shapes():
    params = {"W": W0, "b": B0}
    g = grad(mlp_loss)(params, X0)
    assert isinstance(g, dict) and list(g) == ["W", "b"]
    gW, gb = mlp_loss_grad(W0, B0, X0)
    np.testing.assert_allclose(g["W"], gW, rtol=1e-13)
    np.testing.assert_allclose(g["b"], gb, rtol=1e-13)


def test_grad_keeps_lists_tuples_namedtuples_and_floats():
    from collections import namedtuple

    Layer = namedtuple("Layer", ["w", "b"])
    params = [Layer(np.array([1.0, 2.0]), 0.5), (np.array(3.0), [2.0])]

    def f(p):
        (layer, (c, (d,))) = p
        return (layer.w ** 2).sum() * layer.b + c * d ** 3

    g = grad(f)(params)
    assert type(g) is list and type(g[0]) is Layer and type(g[1]) is tuple
    assert type(g[1][1]) is list
    np.testing.assert_array_equal(g[0].w, [1.0, 2.0])  # 2w·b
    assert type(g[0].b) is float and g[0].b == 5.0
    assert isinstance(g[1][0], np.ndarray) and g[1][0] == 8.0  # d³
    assert type(g[1][1][0]) is float and g[1][1][0] == 36.0  # 3c·d²


def test_argnums_tuple_over_pytrees():
    def f(a, b):
        return (a["x"] * b[0]).sum() + b[1]

    ga, gb = grad(f, argnums=(0, 1))({"x": np.array([1.0, 2.0])}, (np.array([3.0, 4.0]), 5.0))
    np.testing.assert_array_equal(ga["x"], [3.0, 4.0])
    np.testing.assert_array_equal(gb[0], [1.0, 2.0])
    assert gb[1] == 1.0
    gb_only = grad(f, argnums=1)({"x": np.array([1.0, 2.0])}, (np.array([3.0, 4.0]), 5.0))
    assert isinstance(gb_only, tuple) and gb_only[1] == 1.0


def test_value_and_grad_of_a_pytree():
    value, g = value_and_grad(mlp_loss)({"W": W0, "b": B0}, X0)
    assert value == pytest.approx(float((np.tanh(X0 @ W0 + B0) ** 2).sum()), rel=1e-14)
    np.testing.assert_allclose(g["b"], mlp_loss_grad(W0, B0, X0)[1], rtol=1e-13)


def test_an_unreached_pytree_leaf_gets_zeros():
    g = grad(lambda p: p["used"].sum())({"used": np.ones(2), "unused": np.ones(3)})
    np.testing.assert_array_equal(g["unused"], np.zeros(3))


def test_a_pytree_leaf_must_be_floating():
    with pytest.raises(TypeError, match="floating-point"):
        grad(lambda p: p["a"].sum())({"a": np.arange(3)})


def test_grad_of_grad_with_pytrees():
    # f(p) = a²·b³: ∂f/∂a = 2ab³; its gradient: (2b³, 6ab²)
    def f(p):
        return p["a"] ** 2 * p["b"] ** 3

    second = grad(lambda p: grad(f)(p)["a"])({"a": 2.0, "b": 3.0})
    assert second == {"a": 54.0, "b": 108.0}  # 2·27, 6·2·9


def test_jacobian_of_a_pytree_input_nests_the_blocks():
    def f(p):
        return p["W"].T @ p["x"] + p["c"]

    p = {"W": W0, "x": np.array([1.0, -1.0, 2.0]), "c": 0.5}
    J = jacobian(f)(p)
    assert J["W"].shape == (2, 3, 2) and J["x"].shape == (2, 3) and J["c"].shape == (2,)
    np.testing.assert_array_equal(J["x"], W0.T)
    np.testing.assert_array_equal(J["c"], [1.0, 1.0])
    expected = np.zeros((2, 3, 2))
    for i in range(2):
        expected[i, :, i] = p["x"]
    np.testing.assert_array_equal(J["W"], expected)


def test_jacobian_of_a_pytree_output_has_the_output_structure_outside():
    def f(x):
        return {"sq": x ** 2, "total": x.sum()}

    x = np.array([1.0, 2.0, 3.0])
    J = jacobian(f)(x)
    np.testing.assert_array_equal(J["sq"], np.diag(2 * x))
    np.testing.assert_array_equal(J["total"], np.ones(3))
    Jd = jacobian(lambda p: (p["a"] * p["b"], p["a"]))({"a": 2.0, "b": 3.0})
    assert Jd == ({"a": 3.0, "b": 2.0}, {"a": 1.0, "b": 0.0})


def test_hessian_of_a_dict_has_blocks_for_every_pair():
    def f(p):
        return (p["x"] ** 2 * p["y"]).sum()  # ∂²/∂x² = 2y·I, ∂²/∂x∂y = 2x, ∂²/∂y² = 0

    p = {"x": np.array([1.0, 2.0]), "y": 3.0}
    H = hessian(f)(p)
    np.testing.assert_array_equal(H["x"]["x"], 6.0 * np.eye(2))
    np.testing.assert_array_equal(H["x"]["y"], [2.0, 4.0])
    np.testing.assert_array_equal(H["y"]["x"], [2.0, 4.0])
    assert H["y"]["y"] == 0.0


def test_hessian_with_argnums_tuple_is_a_tuple_of_tuples():
    def f(x, y):
        return (x * x * y).sum()

    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    (Hxx, Hxy), (Hyx, Hyy) = hessian(f, argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(Hxx, np.diag(2 * y))
    np.testing.assert_array_equal(Hxy, np.diag(2 * x))
    np.testing.assert_array_equal(Hyx, np.diag(2 * x))
    np.testing.assert_array_equal(Hyy, np.zeros((2, 2)))


def test_vjp_with_pytree_primals_and_output():
    def f(p, s):
        return {"y": p["W"].T @ s, "n": (s * s).sum()}

    p, s = {"W": W0}, np.array([1.0, -1.0, 2.0])
    value, pullback = vjp(f, p, s)
    np.testing.assert_allclose(value["y"], W0.T @ s)
    assert value["n"] == 6.0
    u = {"y": np.array([1.0, 2.0]), "n": 3.0}
    gp, gs = pullback(u)
    np.testing.assert_allclose(gp["W"], np.outer(s, u["y"]), rtol=1e-15)
    np.testing.assert_allclose(gs, W0 @ u["y"] + 2 * 3.0 * s, rtol=1e-15)
    with pytest.raises(ValueError, match="structure"):
        pullback({"y": np.ones(2)})


def test_jvp_with_pytree_primals_tangents_and_output():
    def f(p):
        return (p["a"] * p["b"].sin(), p["a"].sum())

    p = {"a": np.array([1.0, 2.0]), "b": np.array([0.3, -0.5])}
    v = {"a": np.array([0.5, 1.0]), "b": np.array([2.0, -1.0])}
    (y, total), (dy, dtotal) = jvp(f, (p,), (v,))
    np.testing.assert_allclose(y, p["a"] * np.sin(p["b"]))
    np.testing.assert_allclose(dy, v["a"] * np.sin(p["b"]) + p["a"] * np.cos(p["b"]) * v["b"],
                               rtol=1e-14)
    assert dtotal == pytest.approx(1.5)
    with pytest.raises(ValueError, match="structure"):
        jvp(f, (p,), ({"a": v["a"]},))


def test_hvp_with_pytrees_matches_the_hessian_blocks():
    def f(p):
        return (p["x"] ** 3).sum() * p["y"] + p["y"] ** 2

    p = {"x": np.array([1.0, -2.0]), "y": 0.5}
    v = {"x": np.array([0.3, 0.7]), "y": -1.0}
    Hv = hvp(f, p, v)
    H = hessian(f)(p)
    np.testing.assert_allclose(Hv["x"], H["x"]["x"] @ v["x"] + H["x"]["y"] * v["y"], rtol=1e-14)
    assert Hv["y"] == pytest.approx(H["y"]["x"] @ v["x"] + H["y"]["y"] * v["y"], rel=1e-14)


# --- elementwise_grad ------------------------------------------------------------------------

def test_elementwise_grad_of_an_elementwise_function_is_its_derivative_everywhere():
    x = np.linspace(-3, 3, 13)
    d = elementwise_grad(lambda t: np.tanh(t))(x)
    np.testing.assert_allclose(d, 1 - np.tanh(x) ** 2, rtol=1e-14)
    np.testing.assert_allclose(d, np.diag(jacobian(lambda t: np.tanh(t))(x)), rtol=1e-14)


def test_elementwise_grad_nests_to_the_third_derivative_of_tanh():
    # with y = tanh x: tanh' = 1 - y², tanh'' = -2y(1 - y²), tanh''' = (6y² - 2)(1 - y²)
    x = np.linspace(-2, 2, 9)
    y = np.tanh(x)
    d2 = elementwise_grad(elementwise_grad(np.tanh))(x)
    np.testing.assert_allclose(d2, -2 * y * (1 - y ** 2), rtol=1e-12, atol=1e-14)
    d3 = elementwise_grad(elementwise_grad(elementwise_grad(np.tanh)))(x)
    np.testing.assert_allclose(d3, (6 * y ** 2 - 2) * (1 - y ** 2), rtol=1e-12, atol=1e-14)


def test_elementwise_grad_of_a_non_elementwise_function_is_the_gradient_of_the_sum():
    A = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(elementwise_grad(lambda t: A @ t)(np.ones(2)), [4.0, 6.0])


def test_elementwise_grad_with_a_pytree_output_and_argnums():
    g = elementwise_grad(lambda a, b: [a * b, b], argnums=1)(np.array([2.0, 3.0]), np.ones(2))
    np.testing.assert_array_equal(g, [3.0, 4.0])


# --- jacfwd and jacrev -------------------------------------------------------------------------

def test_jacrev_is_jacobian():
    assert jacrev is jacobian


@pytest.mark.parametrize("fn", [
    lambda t: t ** 2,
    lambda t: A23 @ t.sin(),
    lambda t: (t.reshape(3, 1) * t.reshape(1, 3)).tanh(),  # (3,) -> (3, 3)
    lambda t: (t * t).sum(),
])
def test_jacfwd_and_jacrev_agree(fn):
    x = np.array([0.3, -1.2, 0.8])
    Jf, Jr = jacfwd(fn)(x), jacrev(fn)(x)
    assert Jf.shape == Jr.shape
    np.testing.assert_allclose(Jf, Jr, rtol=1e-13, atol=1e-15)


def test_jacfwd_and_jacrev_agree_on_pytrees_and_argnums():
    def f(p, s):
        return {"z": (p["W"].T @ s).tanh(), "s": s * p["c"]}

    p, s = {"W": W0, "c": 2.0}, np.array([1.0, -1.0, 0.5])
    for argnums in (0, 1, (0, 1)):
        leaves_f, def_f = tree_flatten(jacfwd(f, argnums)(p, s))
        leaves_r, def_r = tree_flatten(jacrev(f, argnums)(p, s))
        assert def_f == def_r
        for a, b in zip(leaves_f, leaves_r, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


def test_jax_hessian_spelling_jacfwd_of_jacrev():
    x = np.array([-1.2, 1.0])
    np.testing.assert_allclose(jacfwd(jacrev(rosenbrock))(x), rosenbrock_hessian(x), rtol=1e-13)
    np.testing.assert_allclose(jacrev(jacfwd(rosenbrock))(x), rosenbrock_hessian(x), rtol=1e-13)


# --- hessian of a vector-valued function -------------------------------------------------------

def three_products(t):
    """(x0² x1, x1² x2, x0 x1 x2): a vector function with three different Hessians."""
    return stack([t[0] ** 2 * t[1], t[1] ** 2 * t[2], t[0] * t[1] * t[2]])


def test_hessian_of_a_vector_function_has_shape_out_in_in():
    x = np.array([1.0, 2.0, -0.5])
    H = hessian(three_products)(x)
    assert H.shape == (3, 3, 3)
    for i in range(3):
        np.testing.assert_allclose(H[i], hessian(lambda t, i=i: three_products(t)[i])(x),
                                   rtol=1e-14)
    np.testing.assert_allclose(H, jacfwd(jacrev(three_products))(x), rtol=1e-13)
    a, b, c = x
    np.testing.assert_array_equal(H[0], [[2 * b, 2 * a, 0], [2 * a, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(H[1], [[0, 0, 0], [0, 2 * c, 2 * b], [0, 2 * b, 0]])
    np.testing.assert_array_equal(H[2], [[0, c, b], [c, 0, a], [b, a, 0]])


# --- transforms of transforms ------------------------------------------------------------------

def test_reverse_over_forward_hvp_of_a_tuple_of_primals():
    # JAX's hvp_revfwd: grad of (primals ↦ jvp(f, primals, tangents)[1]) with primals a tuple
    def f(X):
        return np.sum(np.tanh(X) ** 2)

    rng = np.random.default_rng(4)
    X, V = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    (Hv,) = grad(lambda primals: jvp(f, primals, (V,))[1])((X,))
    T = np.tanh(X)
    np.testing.assert_allclose(Hv, 2 * (1 - T ** 2) * (1 - 3 * T ** 2) * V, rtol=1e-13)
    np.testing.assert_allclose(jvp(grad(f), (X,), (V,))[1], Hv, rtol=1e-13)


def test_jvp_is_differentiable_in_its_tangent():
    A = np.array([[1.0, 2.0], [3.0, 4.0]])
    x, w = np.array([0.1, -0.2]), np.array([1.0, -1.0])
    g = grad(lambda v: (jvp(lambda t: np.tanh(A @ t), (x,), (v,))[1] * w).sum())(np.ones(2))
    J = (1 - np.tanh(A @ x) ** 2)[:, None] * A
    np.testing.assert_allclose(g, J.T @ w, rtol=1e-14)


# --- directions must match exactly ---------------------------------------------------------------

@pytest.mark.parametrize("v", [np.ones(1), np.ones((3, 3)), np.ones(4)])
def test_hvp_refuses_a_direction_shaped_unlike_x_instead_of_broadcasting(v):
    with pytest.raises(ValueError, match=rf"^hvp: v has shape {re.escape(str(v.shape))}, x has "
                                         r"shape \(3,\); they must match"):
        al.hvp(lambda x: (x ** 3).sum(), np.ones(3), v)


def test_hvp_vjp_jvp_refuse_strings_as_directions():
    with pytest.raises(TypeError, match=r"^hvp: v must hold real numbers"):
        al.hvp(lambda x: (x ** 3).sum(), np.ones(2), np.array(["1", "2"]))
    _, pull = al.vjp(lambda x: x * 2.0, np.ones(2))
    with pytest.raises(TypeError, match=r"^vjp: cotangent must hold real numbers"):
        pull(["a", "b"])
    with pytest.raises(TypeError, match=r"^jvp: tangent must hold real numbers"):
        al.jvp(lambda x: x * 2.0, (np.ones(2),), (np.array(["1", "2"]),))


def test_vjp_and_jvp_refuse_mismatched_shapes():
    _, pull = al.vjp(lambda x: x * 2.0, np.ones(3))
    with pytest.raises(ValueError, match=r"^vjp: cotangent has shape \(1,\), f's output has "
                                         r"shape \(3,\)"):
        pull(np.ones(1))
    with pytest.raises(ValueError, match=r"^jvp: tangent has shape \(1,\), its primal has "
                                         r"shape \(3,\)"):
        al.jvp(lambda x: x * 2.0, (np.ones(3),), (np.ones(1),))
    np.testing.assert_allclose(al.hvp(lambda x: (x ** 3).sum(), np.ones(3), np.ones(3)), 6.0)
