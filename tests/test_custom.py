"""Tests for the custom-op API (`custom.py`): `primitive` + `defvjp`, and `Function`.

Each op's forward is checked against numpy, its first-order gradient against float64 central
differences (`gradcheck`), its second derivatives against closed forms; then what the engine
checks in a VJP's result (shape, dtype), the diagrams, and that no graph holds a reference
cycle.
"""

from __future__ import annotations

import gc
import re
import weakref
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd_lite as al
from autograd_lite import Function, Tensor, defvjp, draw_graph, gradcheck, no_grad, primitive
from autograd_lite.custom import CustomOp
from autograd_lite.engine import backward
from autograd_lite.graph import toposort

X = np.array([0.5, -1.25, 2.0])
A = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
B = np.array([2.0, -0.5, 1.25])


def leaf(x):
    return Tensor(np.array(x, dtype=np.float64), requires_grad=True)


# --- ops shared by several tests --------------------------------------------------------------

@primitive
def cube(x):
    return x ** 3


cube.defvjp(lambda g, out, x: g * 3 * x ** 2)  # operators only: runs on arrays and Tensors


@primitive
def my_sin(x):
    return np.sin(x)


@primitive
def my_cos(x):
    return np.cos(x)


# each is the other's VJP: on arrays they return arrays, on Tensors they record themselves
my_sin.defvjp(lambda g, out, x: g * my_cos(x))
my_cos.defvjp(lambda g, out, x: -g * my_sin(x))


class CubeFn(Function):
    """x³ saving its input: the backward reads it back from `ctx.saved_tensors`."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x ** 2


class ExpFn(Function):
    """exp saving its output, as the `Function` docstring's example."""

    @staticmethod
    def forward(ctx, x):
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out


@contextmanager
def gc_paused():
    """The cyclic collector off: an object freed inside is freed by reference counting."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --- primitive + defvjp: declaring ---------------------------------------------------------------

def test_primitive_decorator_makes_a_custom_op_named_after_the_forward():
    assert isinstance(cube, CustomOp)
    assert cube.name == "cube"
    assert cube.__name__ == "cube"  # functools.update_wrapper
    assert repr(cube) == "<primitive cube>"


def test_primitive_with_name_keyword_names_the_op():
    @primitive(name="triple")
    def f(x):
        return 3 * x

    f.defvjp(lambda g, out, x: 3 * g)
    assert f.name == "triple"
    assert repr(f) == "<primitive triple>"
    y = f(leaf(X))
    assert y._op == "triple"
    np.testing.assert_allclose(y.data, 3 * X)


def test_defvjp_method_returns_the_op_so_declarations_chain():
    def square(x):
        return x * x

    op = primitive(square)
    assert op.defvjp(lambda g, out, x: g * 2 * x) is op


def test_defvjp_function_form_declares_the_vjp_and_returns_the_op():
    @primitive
    def square(x):
        return x * x

    assert defvjp(square, lambda g, out, x: g * 2 * x) is square
    x = leaf(X)
    square(x).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * X)
    assert gradcheck(square, X)


def test_defvjp_function_form_refuses_a_plain_function():
    def f(x):
        return x

    with pytest.raises(TypeError, match="defvjp: expected an op made by @primitive, got"):
        defvjp(f, lambda g, out, x: g)


def test_defvjp_refuses_both_per_input_vjps_and_a_joint_vjp():
    @primitive
    def both(x):
        return x

    with pytest.raises(TypeError, match="both"):
        both.defvjp(lambda g, out, x: g, joint=lambda g, out, x: (g,))


def test_defvjp_again_replaces_the_rule_for_later_calls():
    @primitive
    def ident(x):
        return x * 1.0

    ident.defvjp(lambda g, out, x: g)
    ident.defvjp(lambda g, out, x: 2 * g)
    x = leaf(X)
    ident(x).sum().backward()
    np.testing.assert_array_equal(x.grad, np.full(3, 2.0))


# --- primitive + defvjp: forward and first-order gradient ---------------------------------------

def test_unary_primitive_forward_matches_numpy():
    y = cube(leaf(X))
    assert isinstance(y, Tensor)
    np.testing.assert_allclose(y.data, X ** 3)
    assert y.dtype == np.float64


def test_unary_primitive_gradient_is_three_x_squared():
    x = leaf(X)
    cube(x).sum().backward()
    np.testing.assert_allclose(x.grad, 3 * X ** 2)


def test_unary_primitive_passes_gradcheck():
    assert gradcheck(cube, X)
    assert gradcheck(my_sin, X)
    assert gradcheck(my_cos, X)


def test_unary_primitive_composes_with_builtin_ops_in_gradcheck():
    assert gradcheck(lambda x: (cube(x.tanh()) * 2.0 + x).sum(), X)


@settings(max_examples=25, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=2, max_side=3),
                  elements=st.floats(-3, 3)))
def test_unary_primitive_gradient_matches_closed_form_on_any_small_array(x):
    t = Tensor(x, requires_grad=True)
    y = cube(t)
    np.testing.assert_allclose(y.data, x ** 3)
    y.sum().backward()
    np.testing.assert_allclose(t.grad, 3 * x ** 2)
    assert t.grad.shape == x.shape


def _mul_rows():
    """a (2, 3) times b (3,): b's VJP must sum the broadcast gradient back itself."""
    @primitive
    def mul_rows(a, b):
        return a * b

    mul_rows.defvjp(lambda g, out, a, b: g * b,
                    lambda g, out, a, b: (g * a).sum(axis=0))
    return mul_rows


def test_two_input_primitive_forward_and_gradients_match_gradcheck():
    mul_rows = _mul_rows()
    a, b = leaf(A), leaf(B)
    y = mul_rows(a, b)
    np.testing.assert_allclose(y.data, A * B)
    y.sum().backward()
    np.testing.assert_allclose(a.grad, np.broadcast_to(B, A.shape))
    np.testing.assert_allclose(b.grad, A.sum(axis=0))
    assert gradcheck(mul_rows, A, B)


def test_two_input_primitive_vjp_returning_the_broadcast_shape_is_refused():
    @primitive
    def mul_rows(a, b):
        return a * b

    # b's VJP forgets to sum over the broadcast axis: custom ops do not un-broadcast
    mul_rows.defvjp(lambda g, out, a, b: g * b, lambda g, out, a, b: g * a)
    a, b = leaf(A), leaf(B)
    y = mul_rows(a, b).sum()
    with pytest.raises(ValueError, match="mul_rows") as info:
        y.backward()
    message = str(info.value)
    assert "(2, 3)" in message and "(3,)" in message
    assert "input 1" in message
    assert a.grad is None and b.grad is None  # a failed sweep stores nothing


def test_two_input_primitive_skips_the_vjp_of_an_input_that_needs_no_grad():
    @primitive
    def mul(a, b):
        return a * b

    def never(g, out, a, b):
        raise AssertionError("the VJP of an input that needs no grad ran")

    mul.defvjp(lambda g, out, a, b: g * b, never)
    a, b = leaf(X), Tensor(B)
    y = mul(a, b)
    assert y.requires_grad
    y.sum().backward()
    np.testing.assert_allclose(a.grad, B)
    assert b.grad is None
    assert gradcheck(lambda t: mul(t, Tensor(B)), X)


def test_two_input_primitive_accepts_a_python_number_as_a_constant_input():
    @primitive
    def mul(a, b):
        return a * b

    mul.defvjp(lambda g, out, a, b: g * b, lambda g, out, a, b: g * a)
    x = leaf(X)
    y = mul(x, 2.5)
    assert y.dtype == np.float64  # the number takes the tensor's dtype
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.full(3, 2.5))


def test_vjp_returning_none_gives_no_gradient():
    @primitive
    def stop(x):
        return x.copy()

    stop.defvjp(lambda g, out, x: None)
    x = leaf(X)
    (stop(x) + x).sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones(3))  # only the direct path


def test_joint_vjp_gives_every_input_its_adjoint():
    @primitive
    def mul_add(a, b, c):
        return a * b + c

    mul_add.defvjp(joint=lambda g, out, a, b, c: (g * b, g * a, g))
    a, b, c = leaf(X), leaf(B), leaf(X[::-1])
    y = mul_add(a, b, c)
    np.testing.assert_allclose(y.data, X * B + X[::-1])
    y.sum().backward()
    np.testing.assert_allclose(a.grad, B)
    np.testing.assert_allclose(b.grad, X)
    np.testing.assert_allclose(c.grad, np.ones(3))
    assert gradcheck(mul_add, X, B, X[::-1])


def test_joint_vjp_none_entry_means_no_gradient_for_that_input():
    @primitive
    def mul(a, b):
        return a * b

    mul.defvjp(joint=lambda g, out, a, b: (g * b, None))
    a, b = leaf(X), leaf(B)
    mul(a, b).sum().backward()
    np.testing.assert_allclose(a.grad, B)
    assert b.grad is None


def test_vjps_receive_the_output_and_inputs_as_arrays_in_a_plain_backward():
    seen = []

    @primitive
    def square(x):
        return x * x

    def vjp(g, out, x):
        seen.append((type(g), type(out), type(x)))
        np.testing.assert_allclose(out, X * X)
        return g * 2 * x

    square.defvjp(vjp)
    square(leaf(X)).sum().backward()
    assert seen == [(np.ndarray, np.ndarray, np.ndarray)]


def test_vjps_receive_tensors_under_create_graph():
    seen = []

    @primitive
    def square(x):
        return x * x

    def vjp(g, out, x):
        seen.append((type(g), type(out), type(x)))
        return g * 2 * x

    square.defvjp(vjp)
    square(leaf(X)).sum().backward(create_graph=True)
    assert seen == [(Tensor, Tensor, Tensor)]


# --- keyword parameters ---------------------------------------------------------------------

def test_keyword_parameters_reach_forward_and_vjp_and_are_not_inputs():
    seen = {}

    @primitive
    def scaled_sum(x, *, axis, scale):
        seen["forward"] = (axis, scale)
        return scale * x.sum(axis=axis)

    def vjp(g, out, x, *, axis, scale):
        seen["vjp"] = (axis, scale)
        return scale * np.ones_like(x) * np.expand_dims(g, axis)

    scaled_sum.defvjp(vjp)
    x = leaf(A)
    y = scaled_sum(x, axis=0, scale=2.0)
    np.testing.assert_allclose(y.data, 2.0 * A.sum(axis=0))
    assert y._parents == (x,)  # a parameter is not an input of the graph
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.full(A.shape, 2.0))
    assert seen == {"forward": (0, 2.0), "vjp": (0, 2.0)}
    assert gradcheck(lambda t: scaled_sum(t, axis=1, scale=-0.5), A)


def test_keyword_parameters_reach_a_joint_vjp():
    @primitive
    def power(x, *, p):
        return x ** p

    power.defvjp(joint=lambda g, out, x, *, p: (g * p * x ** (p - 1),))
    x = leaf(X)
    y = power(x, p=3)
    np.testing.assert_allclose(y.data, X ** 3)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 3 * X ** 2)


def test_keyword_parameters_reach_the_forward_on_plain_arrays():
    @primitive
    def shift(x, *, by):
        return x + by

    np.testing.assert_allclose(shift(X, by=1.5), X + 1.5)


# --- higher order ----------------------------------------------------------------------------

def test_cube_second_derivative_by_backward_create_graph_is_six_x():
    x = leaf(X)
    cube(x).sum().backward(create_graph=True)
    first = x.grad
    assert isinstance(first, Tensor) and first.requires_grad
    np.testing.assert_allclose(first.data, 3 * X ** 2)
    x.zero_grad()
    first.sum().backward()
    np.testing.assert_allclose(x.grad, 6 * X)


def test_cube_second_and_third_derivatives_by_nested_grad():
    d2 = al.grad(al.grad(lambda t: cube(t)))
    d3 = al.grad(d2)
    for x in (-1.5, 0.5, 2.0):
        assert d2(x) == pytest.approx(6 * x)
        assert d3(x) == pytest.approx(6.0)


def test_cube_hessian_is_diagonal_six_x():
    np.testing.assert_allclose(al.hessian(lambda t: cube(t).sum())(X), np.diag(6 * X))


def test_ops_that_are_each_others_vjp_give_second_derivatives():
    x = leaf(X)
    my_sin(x).sum().backward(create_graph=True)
    first = x.grad
    np.testing.assert_allclose(first.data, np.cos(X))
    x.zero_grad()
    first.sum().backward()
    np.testing.assert_allclose(x.grad, -np.sin(X))


def test_ops_that_are_each_others_vjp_give_hessians_and_third_derivatives():
    np.testing.assert_allclose(al.hessian(lambda t: my_sin(t).sum())(X), np.diag(-np.sin(X)))
    np.testing.assert_allclose(al.hessian(lambda t: my_cos(t).sum())(X), np.diag(-np.cos(X)))
    d3 = al.grad(al.grad(al.grad(lambda t: my_sin(t))))
    assert d3(0.75) == pytest.approx(-np.cos(0.75))


def test_second_derivative_graph_records_the_other_primitive():
    x = leaf(X)
    my_sin(x).sum().backward(create_graph=True)
    assert "my_cos" in {n._op for n in toposort(x.grad)}


def test_mixed_second_derivative_of_a_two_input_primitive():
    @primitive
    def mul(a, b):
        return a * b

    mul.defvjp(lambda g, out, a, b: g * b, lambda g, out, a, b: g * a)
    # f(a, b) = a²·b: ∂²f/∂a∂b = 2a (b passed as an argument, so the inner grad sees its graph)
    df_da = al.grad(lambda s, c: mul(mul(s, s), c))
    assert al.grad(df_da, argnums=1)(1.5, 0.5) == pytest.approx(3.0)
    assert al.grad(df_da, argnums=0)(1.5, 0.5) == pytest.approx(2 * 0.5)


# --- saves=True: the forward hands its VJPs what it computed anyway --------------------------

@primitive(saves=True)
def sin_saving_cos(x):
    """sin(x), with cos(x) saved for the VJP."""
    return np.sin(x), {"cos": np.cos(x)}


def _sin_vjp(g, out, x, saved):
    if isinstance(g, Tensor):  # create_graph: recompute from the Tensor, never the constant
        return g * x.cos()
    _sin_vjp.seen.append(saved)
    return g * saved["cos"]


_sin_vjp.seen = []
sin_saving_cos.defvjp(_sin_vjp)


def test_saving_primitive_hands_the_saved_object_to_a_plain_backward():
    _sin_vjp.seen.clear()
    x = leaf(X)
    y = sin_saving_cos(x)
    np.testing.assert_allclose(y.data, np.sin(X))
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.cos(X))
    assert len(_sin_vjp.seen) == 1
    np.testing.assert_allclose(_sin_vjp.seen[0]["cos"], np.cos(X))
    assert gradcheck(sin_saving_cos, X)


def test_saving_primitive_on_arrays_returns_the_output_alone():
    result = sin_saving_cos(X)
    assert type(result) is np.ndarray
    np.testing.assert_allclose(result, np.sin(X))


def test_saving_primitive_second_derivative_recomputes_from_tensors():
    x = leaf(X)
    sin_saving_cos(x).sum().backward(create_graph=True)
    gx = x.grad
    np.testing.assert_allclose(gx.data, np.cos(X))
    x.grad = None
    gx.sum().backward()
    np.testing.assert_allclose(x.grad, -np.sin(X))


# --- calling a primitive ---------------------------------------------------------------------

def test_primitive_on_plain_arrays_returns_the_forwards_array():
    @primitive
    def ident(x):
        return x

    a = np.array([1.0, 2.0])
    assert ident(a) is a  # the forward itself, no Tensor around it
    result = cube(X)
    assert type(result) is np.ndarray
    np.testing.assert_allclose(result, X ** 3)


def test_primitive_on_a_tensor_returns_a_tensor_recorded_under_the_ops_name():
    x = leaf(X)
    y = cube(x)
    assert isinstance(y, Tensor)
    assert y.requires_grad
    assert y._op == "cube"
    assert y._parents == (x,)


def test_primitive_on_a_tensor_without_grad_returns_an_unrecorded_tensor():
    y = cube(Tensor(X))
    assert isinstance(y, Tensor)
    assert not y.requires_grad
    assert y._op == "" and y._parents == ()


def test_primitive_under_no_grad_is_not_recorded():
    with al.no_grad():
        y = cube(leaf(X))
    assert not y.requires_grad and y._parents == ()


def test_diagram_of_a_primitive_shows_its_name():
    source = draw_graph(cube(leaf(X)).sum()).source
    assert "label=cube" in source


def test_diagram_shows_a_name_given_by_keyword():
    @primitive(name="my_op")
    def f(x):
        return x + 1.0

    f.defvjp(lambda g, out, x: g)
    assert "my_op" in draw_graph(f(leaf(X))).source


# --- before defvjp ---------------------------------------------------------------------------

def test_primitive_without_vjp_on_a_tensor_requiring_grad_raises_naming_the_op():
    @primitive
    def undeclared(x):
        return x * 2.0

    with pytest.raises(TypeError, match=r"undeclared: .*no VJP.*undeclared\.defvjp"):
        undeclared(leaf(X))


def test_primitive_without_vjp_raises_when_any_input_requires_grad():
    @primitive
    def undeclared(a, b):
        return a + b

    with pytest.raises(TypeError, match="undeclared"):
        undeclared(Tensor(X), leaf(X))


def test_primitive_without_vjp_on_a_tensor_without_grad_computes_a_constant():
    @primitive
    def undeclared(x):
        return x * 2.0

    y = undeclared(Tensor(X))
    assert isinstance(y, Tensor) and not y.requires_grad
    np.testing.assert_allclose(y.data, 2 * X)


def test_primitive_without_vjp_on_plain_arrays_is_the_forward():
    @primitive
    def undeclared(x):
        return x * 2.0

    np.testing.assert_allclose(undeclared(X), 2 * X)


# --- what the engine checks in a VJP's result ------------------------------------------------

def test_vjp_of_wrong_shape_raises_value_error_naming_op_and_both_shapes():
    @primitive
    def bad_shape(x):
        return x * 2.0

    bad_shape.defvjp(lambda g, out, x: g.sum())
    with pytest.raises(ValueError, match="bad_shape") as info:
        bad_shape(leaf(X)).sum().backward()
    message = str(info.value)
    assert "()" in message and "(3,)" in message


def test_joint_vjp_of_wrong_shape_raises_value_error_naming_op_and_both_shapes():
    @primitive
    def bad_joint(a, b):
        return a * b

    bad_joint.defvjp(joint=lambda g, out, a, b: (g * b, np.ones((2, 2))))
    with pytest.raises(ValueError, match=re.escape("backward of bad_joint")) as info:
        bad_joint(leaf(X), leaf(B)).sum().backward()
    message = str(info.value)
    assert "(2, 2)" in message and "(3,)" in message and "input 1" in message


def test_vjp_of_wrong_shape_is_refused_under_create_graph_too():
    @primitive
    def bad_shape(x):
        return x * 2.0

    bad_shape.defvjp(lambda g, out, x: g.sum())
    with pytest.raises(ValueError, match="bad_shape"):
        bad_shape(leaf(X)).sum().backward(create_graph=True)


def test_vjp_of_complex_dtype_raises_type_error_naming_the_op():
    @primitive
    def bad_complex(x):
        return x * 2.0

    bad_complex.defvjp(lambda g, out, x: g * (2.0 + 1j))
    with pytest.raises(TypeError, match=r"bad_complex.*complex128"):
        bad_complex(leaf(X)).sum().backward()


def test_vjp_of_non_numeric_dtype_raises_type_error_naming_the_op():
    @primitive
    def bad_text(x):
        return x * 2.0

    bad_text.defvjp(lambda g, out, x: np.array(["a", "b", "c"]))
    with pytest.raises(TypeError, match=r"backward of bad_text.*real numbers"):
        bad_text(leaf(X)).sum().backward()


def test_vjp_returning_float64_for_a_float32_input_gives_a_float32_gradient():
    @primitive
    def square(x):
        return x * x

    square.defvjp(lambda g, out, x: (g * 2 * x).astype(np.float64))
    x = Tensor(X.astype(np.float32), requires_grad=True)
    y = square(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, 2 * X, rtol=1e-6)


def test_joint_vjp_returning_float64_for_a_float32_input_gives_a_float32_gradient():
    @primitive
    def square(x):
        return x * x

    square.defvjp(joint=lambda g, out, x: [np.asarray(g * 2 * x, dtype=np.float64)])
    x = Tensor(X.astype(np.float32), requires_grad=True)
    square(x).sum().backward()
    assert x.grad.dtype == np.float32


def test_vjp_returning_a_python_number_for_a_0d_input_is_fitted():
    @primitive
    def double(x):
        return 2.0 * x

    double.defvjp(lambda g, out, x: 2.0 * float(g))
    x = Tensor(np.float32(1.5), requires_grad=True)
    double(x).backward()
    assert x.grad.dtype == np.float32 and x.grad.shape == ()
    assert float(x.grad) == 2.0


def test_vjp_error_names_the_input_when_two_inputs_share_one_vjp_function():
    @primitive
    def add(a, b):
        return a + b

    def pass_through(g, out, a, b):
        return g

    add.defvjp(pass_through, pass_through)  # fine for equal shapes; b has shape (1,) here
    with pytest.raises(ValueError, match=r"VJP of input 1 .*\(1,\)"):
        add(leaf(X), leaf([1.0])).sum().backward()


# --- Function (PyTorch style) ----------------------------------------------------------------

def test_function_forward_value_and_gradient():
    x = leaf(X)
    y = CubeFn.apply(x)
    assert isinstance(y, Tensor)
    np.testing.assert_allclose(y.data, X ** 3)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 3 * X ** 2)


def test_function_passes_gradcheck():
    assert gradcheck(CubeFn.apply, X)
    assert gradcheck(ExpFn.apply, X)
    assert gradcheck(lambda t: ExpFn.apply(CubeFn.apply(t) * 0.1).sum(), X)


class MulAdd(Function):
    """x·w + b, with a Python float `scale` between the tensors: (x, scale, w, b)."""

    calls: list = []

    @staticmethod
    def forward(ctx, x, scale, w, b):
        MulAdd.calls.append((type(scale), scale, ctx.needs_input_grad))
        ctx.save_for_backward(x, w)
        ctx.scale = scale
        return scale * x * w + b

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        return grad * ctx.scale * w, None, grad * ctx.scale * x, grad


def test_function_with_several_inputs_and_a_number_passes_gradcheck():
    assert gradcheck(lambda x, w, b: MulAdd.apply(x, 0.5, w, b), X, B, X[::-1])


def test_function_number_argument_reaches_forward_unchanged_and_is_not_an_input():
    MulAdd.calls.clear()
    x, w, b = leaf(X), leaf(B), leaf(X[::-1])
    y = MulAdd.apply(x, 0.5, w, b)
    assert MulAdd.calls[0][:2] == (float, 0.5)
    assert y._parents == (x, w, b)
    np.testing.assert_allclose(y.data, 0.5 * X * B + X[::-1])
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 0.5 * B)
    np.testing.assert_allclose(w.grad, 0.5 * X)
    np.testing.assert_allclose(b.grad, np.ones(3))


def test_function_needs_input_grad_follows_each_tensor_input():
    class Probe(Function):
        seen = None

        @staticmethod
        def forward(ctx, x, w):
            Probe.seen = ctx.needs_input_grad
            return x * w

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    Probe.apply(leaf(X), Tensor(B))
    assert Probe.seen == (True, False)
    Probe.apply(Tensor(X), np.array(B))
    assert Probe.seen == (False, False)


def test_function_needs_input_grad_has_one_entry_per_positional_argument():
    MulAdd.calls.clear()
    MulAdd.apply(leaf(X), 0.5, Tensor(B), leaf(X))
    assert MulAdd.calls[0][2] == (True, False, False, True)


def test_function_backward_returning_one_gradient_not_in_a_tuple():
    class Double(Function):
        @staticmethod
        def forward(ctx, x):
            return 2 * x

        @staticmethod
        def backward(ctx, grad):
            return 2 * grad

    x = leaf(X)
    Double.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad, np.full(3, 2.0))


def test_function_keyword_arguments_reach_forward_and_need_no_gradient():
    class Power(Function):
        @staticmethod
        def forward(ctx, x, p=2):
            ctx.save_for_backward(x)
            ctx.p = p
            return x ** p

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * ctx.p * x ** (ctx.p - 1)

    x = leaf(X)
    y = Power.apply(x, p=3)
    np.testing.assert_allclose(y.data, X ** 3)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 3 * X ** 2)


def test_function_wrong_number_of_gradients_raises_value_error_naming_the_function():
    class TooFew(Function):
        @staticmethod
        def forward(ctx, x, scale):
            return x * scale

        @staticmethod
        def backward(ctx, grad):
            return grad  # one gradient for two positional arguments

    y = TooFew.apply(leaf(X), 2.0)
    with pytest.raises(ValueError, match=r"backward of TooFew: .*1 gradient.*2 positional"):
        y.sum().backward()


def test_function_wrong_gradient_shape_raises_value_error_naming_the_function():
    class BadShape(Function):
        @staticmethod
        def forward(ctx, x):
            return 2 * x

        @staticmethod
        def backward(ctx, grad):
            return grad[:1]

    with pytest.raises(ValueError, match=r"BadShape.*\(1,\).*\(3,\)"):
        BadShape.apply(leaf(X)).sum().backward()


def test_function_apply_without_a_tensor_or_array_input_raises_type_error():
    with pytest.raises(TypeError, match=r"CubeFn\.apply: give at least one Tensor or array"):
        CubeFn.apply(2.0)


def test_function_apply_on_arrays_only_gives_a_tensor_that_needs_no_grad():
    y = CubeFn.apply(X)
    assert isinstance(y, Tensor) and not y.requires_grad
    np.testing.assert_allclose(y.data, X ** 3)


def test_function_saved_tensors_are_the_arrays_in_a_plain_backward():
    seen = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, x):
            out = x * 2.0
            ctx.save_for_backward(x, out)
            return out

        @staticmethod
        def backward(ctx, grad):
            seen.extend(type(t) for t in ctx.saved_tensors)
            return grad * 2.0

    Probe.apply(leaf(X)).sum().backward()
    assert seen == [np.ndarray, np.ndarray]


def test_function_saved_input_and_output_come_back_as_tensors_under_create_graph():
    seen = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, x):
            out = x * 2.0
            ctx.save_for_backward(x, out, np.ones(3))
            return out

        @staticmethod
        def backward(ctx, grad):
            seen.append(ctx.saved_tensors)
            return grad * 2.0

    x = leaf(X)
    y = Probe.apply(x)
    y.sum().backward(create_graph=True)
    saved_x, saved_out, other = seen[0]
    assert saved_x is x and saved_out is y
    assert type(other) is np.ndarray  # not an input or output: stays an array


def test_function_second_derivative_of_saved_input_by_create_graph_is_six_x():
    x = leaf(X)
    CubeFn.apply(x).sum().backward(create_graph=True)
    first = x.grad
    np.testing.assert_allclose(first.data, 3 * X ** 2)
    x.zero_grad()
    first.sum().backward()
    np.testing.assert_allclose(x.grad, 6 * X)


def test_function_second_derivatives_by_hessian_and_nested_grad():
    np.testing.assert_allclose(al.hessian(lambda t: CubeFn.apply(t).sum())(X), np.diag(6 * X))
    np.testing.assert_allclose(al.hessian(lambda t: ExpFn.apply(t).sum())(X),
                               np.diag(np.exp(X)))
    assert al.grad(al.grad(lambda t: CubeFn.apply(t)))(0.3) == pytest.approx(6 * 0.3)


def test_function_second_derivative_of_saved_output_on_a_scalar_input():
    assert al.grad(al.grad(lambda t: ExpFn.apply(t)))(0.3) == pytest.approx(np.exp(0.3))


def test_function_diagram_shows_the_class_name():
    source = draw_graph(ExpFn.apply(leaf(X))).source
    assert "label=ExpFn" in source
    assert ExpFn.apply(leaf(X))._op == "ExpFn"


def test_function_subclass_without_forward_raises_not_implemented():
    class Empty(Function):
        pass

    with pytest.raises(NotImplementedError, match="forward"):
        Empty.apply(leaf(X))


# --- no reference cycles ---------------------------------------------------------------------

def test_primitive_graph_is_freed_by_reference_counting():
    x = leaf(X)
    with gc_paused():
        h = x * 2.0
        y = cube(h)
        ref = weakref.ref(h)
        del h
        assert ref() is not None  # y holds it
        del y
        assert ref() is None


def test_primitive_graph_with_parameters_is_freed_after_backward():
    @primitive
    def scaled(x, *, by):
        return x * by

    scaled.defvjp(lambda g, out, x, *, by: g * by)
    x = leaf(X)
    with gc_paused():
        h = x * 2.0
        y = scaled(my_sin(h), by=3.0)
        ref = weakref.ref(h)
        del h
        y.sum().backward()
        del y
        assert ref() is None
    assert x.grad is not None


def test_function_graph_and_context_are_freed_by_reference_counting():
    contexts = []

    class Keep(Function):
        @staticmethod
        def forward(ctx, x):
            contexts.append(weakref.ref(ctx))
            ctx.save_for_backward(x)
            return x * 2.0

        @staticmethod
        def backward(ctx, grad):
            return grad * 2.0

    x = leaf(X)
    with gc_paused():
        h = x * 2.0
        y = Keep.apply(h)
        ref = weakref.ref(h)
        del h
        assert ref() is not None and contexts[0]() is not None
        y.sum().backward()
        del y
        assert ref() is None
        assert contexts[0]() is None


def test_function_graph_is_freed_after_a_create_graph_backward_of_an_intermediate():
    x = leaf(X)
    with gc_paused():
        h = x * 2.0
        y = CubeFn.apply(h)
        ref = weakref.ref(h)
        (g,) = backward(y.sum(), np.ones(()), create_graph=True, inputs=[h])
        del h, y, g
        assert ref() is None


# --- engine bugs found while writing these tests ---------------------------------------------

def test_input_requiring_grad_without_a_vjp_is_an_error_naming_the_op():
    @primitive
    def half_declared(a, b):
        return a * b

    half_declared.defvjp(lambda g, out, a, b: g * b)  # no VJP for b
    with pytest.raises((TypeError, ValueError, NotImplementedError), match="half_declared"):
        half_declared(leaf(X), leaf(B)).sum().backward()


def test_joint_vjp_with_too_few_adjoints_is_an_error_naming_the_op():
    @primitive
    def short_joint(a, b):
        return a * b

    short_joint.defvjp(joint=lambda g, out, a, b: (g * b,))
    with pytest.raises(ValueError, match="short_joint"):
        short_joint(leaf(X), leaf(B)).sum().backward()


def test_primitive_without_vjp_under_no_grad_computes_a_constant():
    @primitive
    def forward_only(a):
        return a * 2.0

    with no_grad():
        out = forward_only(leaf(X))
    assert not out.requires_grad and np.allclose(out.data, X * 2.0)


def test_primitive_with_an_integer_output_gives_a_constant():
    @primitive
    def rounded(a):
        return np.round(a).astype(np.int64)

    rounded.defvjp(lambda g, out, a: g * 0)
    out = rounded(leaf(X))
    assert out.dtype == np.int64 and not out.requires_grad
