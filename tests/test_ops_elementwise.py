"""Tests for numpy's elementwise math on Tensors (issue "NumPy-native Tensors"): the unary ops
of `ops/elementwise.py` (trigonometric, hyperbolic, exponential, rounding, activations) and
the binary ops of `ops/arithmetic.py` (arctan2 hypot logaddexp logaddexp2 fmax fmin
float_power).

Every op: forward against numpy (float64) and a closed-form derivative, central differences
(gradcheck), float32 kept float32, second order by double backward (against closed forms and
against central differences of the first derivative), 0-d, empty and non-contiguous inputs,
`np.<fn>(tensor)` recording the op with the gradient of the function and method, Values
against Tensors; then the documented conventions (kinks, ties, nan, the origin), stability at
±1000 and, where PyTorch is installed, values and gradients against PyTorch in float64.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pytest
from test_ops import Spec, draw_values, fortran, laid_out, leaf, seeded_rng, strided, transposed

import autograd_lite
from autograd_lite import Tensor, Value, functions, gradcheck
from autograd_lite.graph import toposort
from autograd_lite.ops import OPS as TABLE

Shape = tuple[int, ...]
erf_np = np.vectorize(math.erf, otypes=[np.float64])
LN2, LN10 = math.log(2.0), math.log(10.0)
SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def draw(rng: np.random.Generator, shape: Shape, domain: str) -> np.ndarray:
    """Random float64 values where the op is smooth: test_ops' "real" and "positive", and
    "unit" (|x| ≤ 0.9: arcsin, arccos, arctanh), "above1" ([1.2, 3]: arccosh), "tan"
    (|x| in [0.2, 1.3], off tan's poles), "fraction" (0.1 to 0.4 past an integer in
    [−3, 2]: off the jumps of floor, round, ...)."""
    if domain == "unit":
        return rng.uniform(-0.9, 0.9, size=shape)
    if domain == "above1":
        return rng.uniform(1.2, 3.0, size=shape)
    if domain == "tan":
        return rng.uniform(0.2, 1.3, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    if domain == "fraction":
        return rng.integers(-3, 3, size=shape) + rng.uniform(0.1, 0.4, size=shape)
    return draw_values(rng, shape, domain)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def phi(x: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def sinc_d1(x: np.ndarray) -> np.ndarray:
    return (np.cos(np.pi * x) - np.sinc(x)) / x


def sinc_d2(x: np.ndarray) -> np.ndarray:  # (x·sinc)'' = −π²·x·sinc = 2 sinc' + x sinc''
    return (-np.pi**2 * x * np.sinc(x) - 2 * sinc_d1(x)) / x


def zero(x: np.ndarray) -> np.ndarray:
    return np.zeros_like(x)


def one(x: np.ndarray) -> np.ndarray:
    return np.ones_like(x)


def torch_fn(name: str, **kwargs: Any) -> Callable[[Any], Any]:
    """torch.<name> or torch.nn.functional.<name>, looked up when called (torch is optional)."""
    def fn(t: Any) -> Any:
        import torch
        f = getattr(torch, name, None) or getattr(torch.nn.functional, name)
        return f(t, **kwargs)
    return fn


class Unary(NamedTuple):
    """One case: the op's name in the table, its keyword arguments, numpy's reference,
    closed-form first and second derivatives (None: central differences only), the values
    it is drawn from, and PyTorch's op (None: PyTorch has none)."""

    op: str
    ref: Callable[[np.ndarray], np.ndarray]
    d1: Callable[[np.ndarray], np.ndarray] | None
    d2: Callable[[np.ndarray], np.ndarray] | None
    domain: str = "real"
    kwargs: dict[str, Any] = {}
    torch: Callable[[Any], Any] | None = None
    numpy: Any = None  # the numpy function np.<op>(t, **kwargs) calls (default: np.<op>)

    @property
    def id(self) -> str:
        args = "".join(f", {k}={v!r}" for k, v in self.kwargs.items())
        return f"{self.op}(x{args})"


UNARIES = [
    Unary("tan", np.tan, lambda x: 1 / np.cos(x) ** 2, lambda x: 2 * np.tan(x) / np.cos(x) ** 2,
          "tan", torch=torch_fn("tan")),
    Unary("arcsin", np.arcsin, lambda x: (1 - x * x) ** -0.5, lambda x: x * (1 - x * x) ** -1.5,
          "unit", torch=torch_fn("arcsin")),
    Unary("arccos", np.arccos, lambda x: -((1 - x * x) ** -0.5),
          lambda x: -x * (1 - x * x) ** -1.5, "unit", torch=torch_fn("arccos")),
    Unary("arctan", np.arctan, lambda x: 1 / (1 + x * x), lambda x: -2 * x / (1 + x * x) ** 2,
          torch=torch_fn("arctan")),
    Unary("sinh", np.sinh, np.cosh, np.sinh, torch=torch_fn("sinh")),
    Unary("cosh", np.cosh, np.sinh, np.cosh, torch=torch_fn("cosh")),
    Unary("arcsinh", np.arcsinh, lambda x: (x * x + 1) ** -0.5, lambda x: -x * (x * x + 1) ** -1.5,
          torch=torch_fn("arcsinh")),
    Unary("arccosh", np.arccosh, lambda x: (x * x - 1) ** -0.5,
          lambda x: -x * (x * x - 1) ** -1.5, "above1", torch=torch_fn("arccosh")),
    Unary("arctanh", np.arctanh, lambda x: 1 / (1 - x * x), lambda x: 2 * x / (1 - x * x) ** 2,
          "unit", torch=torch_fn("arctanh")),
    Unary("exp2", np.exp2, lambda x: LN2 * 2**x, lambda x: LN2**2 * 2**x, torch=torch_fn("exp2")),
    Unary("expm1", np.expm1, np.exp, np.exp, torch=torch_fn("expm1")),
    Unary("log2", np.log2, lambda x: 1 / (x * LN2), lambda x: -1 / (x * x * LN2), "positive",
          torch=torch_fn("log2")),
    Unary("log10", np.log10, lambda x: 1 / (x * LN10), lambda x: -1 / (x * x * LN10),
          "positive", torch=torch_fn("log10")),
    Unary("square", lambda x: x * x, lambda x: 2 * x, lambda x: 2 + 0 * x,
          torch=torch_fn("square")),
    Unary("reciprocal", lambda x: 1 / x, lambda x: -1 / x**2, lambda x: 2 / x**3,
          torch=torch_fn("reciprocal")),
    Unary("cbrt", lambda x: np.sign(x) * np.abs(x) ** (1 / 3),
          lambda x: np.abs(x) ** (-2 / 3) / 3,
          lambda x: -2 / 9 * np.sign(x) * np.abs(x) ** (-5 / 3)),
    Unary("positive", lambda x: x, one, zero, torch=torch_fn("positive")),
    Unary("deg2rad", lambda x: x * np.pi / 180, lambda x: one(x) * np.pi / 180, zero,
          torch=torch_fn("deg2rad")),
    Unary("rad2deg", lambda x: x * 180 / np.pi, lambda x: one(x) * 180 / np.pi, zero,
          torch=torch_fn("rad2deg")),
    Unary("sinc", lambda x: np.sin(np.pi * x) / (np.pi * x), sinc_d1, sinc_d2,
          torch=torch_fn("sinc")),
    Unary("erf", erf_np, lambda x: 2 / math.sqrt(math.pi) * np.exp(-x * x),
          lambda x: -4 * x / math.sqrt(math.pi) * np.exp(-x * x), torch=torch_fn("erf")),
    Unary("fabs", np.abs, np.sign, zero, torch=torch_fn("abs")),
    Unary("conj", lambda x: x, one, zero),
    Unary("real", lambda x: x, one, zero),
    Unary("nan_to_num", lambda x: x, one, zero, torch=torch_fn("nan_to_num")),
    Unary("nan_to_num", lambda x: x, one, zero, kwargs={"nan": 1.0, "posinf": 9.0}),
    Unary("sign", np.sign, zero, zero, torch=torch_fn("sign")),
    Unary("floor", lambda x: x - np.mod(x, 1), zero, zero, "fraction", torch=torch_fn("floor")),
    Unary("ceil", lambda x: x - np.mod(x, 1) + 1, zero, zero, "fraction",
          torch=torch_fn("ceil")),
    Unary("trunc", lambda x: np.sign(x) * np.floor(np.abs(x)), zero, zero, "fraction",
          torch=torch_fn("trunc")),
    Unary("rint", lambda x: np.floor(x + 0.5), zero, zero, "fraction", torch=torch_fn("round")),
    Unary("round", lambda x: np.floor(x + 0.5), zero, zero, "fraction", torch=torch_fn("round")),
    Unary("round", lambda x: np.floor(x * 10 + 0.5) / 10, zero, zero, "fraction",
          {"decimals": 1}, torch_fn("round", decimals=1)),
    Unary("softplus", lambda x: np.log(1 + np.exp(x)), sigmoid,
          lambda x: sigmoid(x) * (1 - sigmoid(x)), torch=torch_fn("softplus")),
    Unary("gelu", lambda x: x * 0.5 * (1 + erf_np(x / math.sqrt(2))),
          lambda x: 0.5 * (1 + erf_np(x / math.sqrt(2))) + x * phi(x),
          lambda x: phi(x) * (2 - x * x), torch=torch_fn("gelu")),
    Unary("gelu", lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi)
                                                   * (x + 0.044715 * x**3))),
          None, None, kwargs={"approximate": "tanh"},
          torch=torch_fn("gelu", approximate="tanh")),
    Unary("silu", lambda x: x * sigmoid(x), lambda x: sigmoid(x) * (1 + x * (1 - sigmoid(x))),
          lambda x: sigmoid(x) * (1 - sigmoid(x)) * (2 + x * (1 - 2 * sigmoid(x))),
          torch=torch_fn("silu")),
    Unary("elu", lambda x: np.where(x > 0, x, np.exp(x) - 1),
          lambda x: np.where(x > 0, 1, np.exp(x)), lambda x: np.where(x > 0, 0, np.exp(x)),
          torch=torch_fn("elu")),
    Unary("elu", lambda x: np.where(x > 0, x, 0.5 * (np.exp(x) - 1)),
          lambda x: np.where(x > 0, 1, 0.5 * np.exp(x)),
          lambda x: np.where(x > 0, 0, 0.5 * np.exp(x)),
          kwargs={"alpha": 0.5}, torch=torch_fn("elu", alpha=0.5)),
    Unary("selu", lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * (np.exp(x) - 1)),
          lambda x: SELU_SCALE * np.where(x > 0, 1, SELU_ALPHA * np.exp(x)),
          lambda x: SELU_SCALE * np.where(x > 0, 0, SELU_ALPHA * np.exp(x)),
          torch=torch_fn("selu")),
]
UNARY_IDS = [u.id for u in UNARIES]
SHAPES = [Spec(()), Spec((0,)), Spec((5,)), Spec((2, 3, 4)), transposed(3, 4), strided(3, 4)]


def apply_op(case: Unary, x: Any) -> Any:
    """The op through its module-level function (what every front end shares)."""
    return getattr(functions, TABLE[case.op].function)(x, **case.kwargs)


def point(case: Unary, spec: Spec, dtype: Any = np.float64) -> np.ndarray:
    values = draw(seeded_rng(f"{case.id} {spec}"), spec.shape, case.domain).astype(dtype)
    return laid_out(values, spec.layout)


def as_tensor(g: Any) -> Tensor:
    """A gradient as a Tensor: `grad` gives arrays when nothing is recorded (under no_grad)."""
    return g if isinstance(g, Tensor) else Tensor(g)


def upstream(shape: Shape, key: str) -> np.ndarray:
    return seeded_rng("upstream " + key).standard_normal(shape)


UNARY_CASES = [pytest.param(u, s, id=f"{u.id} on {s}") for u in UNARIES for s in SHAPES]


# --- the declarations ------------------------------------------------------------------------

LINEAR = {"positive", "deg2rad", "rad2deg", "conj", "real"}  # constant derivatives
NO_METHOD = {"cbrt", "fabs", "rint", "real"}  # neither ndarray nor PyTorch's Tensor has one
NUMPY_NAMES = {"deg2rad": ("deg2rad", "radians"), "rad2deg": ("rad2deg", "degrees"),
               "trunc": ("trunc", "fix"), "round": ("round", "around"), "conj": ("conj",
                                                                                 "conjugate")}
ACTIVATIONS = ("softplus", "gelu", "silu", "elu", "selu", "erf")
BINARY_NAMES = ("arctan2", "hypot", "logaddexp", "logaddexp2", "fmax", "fmin")


@pytest.mark.parametrize("name", sorted({u.op for u in UNARIES}))
def test_unary_op_is_declared_with_its_numpy_functions_method_and_function(name: str) -> None:
    decl = TABLE[name]
    assert decl.kind == "unary"
    assert callable(getattr(autograd_lite, name))
    assert decl.method == (None if name in NO_METHOD else name)
    assert hasattr(Tensor, name) == (name not in NO_METHOD)
    if name not in ACTIVATIONS:
        assert {getattr(np, n) for n in NUMPY_NAMES.get(name, (name,))} <= set(decl.numpy)
    smooth = name not in NO_METHOD | {"sign", "floor", "ceil", "round", "trunc", "conj"}
    assert decl.value == smooth
    assert hasattr(Value, name) == smooth


@pytest.mark.parametrize("name", BINARY_NAMES)
def test_binary_op_is_declared_with_its_numpy_ufunc_method_and_function(name: str) -> None:
    decl = TABLE[name]
    assert decl.kind == "binary" and decl.numpy == (getattr(np, name),)
    assert callable(getattr(autograd_lite, name)) and hasattr(Tensor, name)


def test_numpy_aliases_of_existing_ops_dispatch() -> None:
    assert np.absolute is np.abs and np.abs in TABLE["abs"].numpy
    assert np.negative in TABLE["neg"].numpy
    assert TABLE["float_power"].kind == "composite"
    assert TABLE["float_power"].numpy == (np.float_power,)


# --- forward, gradient, float32 --------------------------------------------------------------


@pytest.mark.parametrize(("case", "spec"), UNARY_CASES)
def test_unary_forward_matches_numpy_in_float64(case: Unary, spec: Spec) -> None:
    x = point(case, spec)
    out = apply_op(case, leaf(x))
    expected = case.ref(x)
    assert isinstance(out, Tensor) and out.dtype == np.float64 and out.shape == x.shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize(("case", "spec"), UNARY_CASES)
def test_unary_gradient_matches_closed_form_and_central_differences(case: Unary,
                                                                    spec: Spec) -> None:
    x = point(case, spec)
    t = leaf(x)
    g = upstream(x.shape, case.id)
    apply_op(case, t).backward(g)
    assert type(t.grad) is np.ndarray and t.grad.dtype == np.float64 and t.grad.shape == x.shape
    if case.d1 is not None:
        np.testing.assert_allclose(t.grad, g * case.d1(x), rtol=1e-11, atol=1e-13)
    assert gradcheck(lambda u: apply_op(case, u), x)


@pytest.mark.parametrize(("case", "spec"), UNARY_CASES)
def test_unary_float32_stays_float32_and_agrees_with_float64(case: Unary, spec: Spec) -> None:
    x32 = point(case, spec, np.float32)
    g = upstream(x32.shape, case.id)
    t32, t64 = leaf(x32), leaf(x32.astype(np.float64))
    out32, out64 = apply_op(case, t32), apply_op(case, t64)
    out32.backward(g.astype(np.float32))
    out64.backward(g)
    assert out32.dtype == np.float32 and t32.grad.dtype == np.float32
    np.testing.assert_allclose(out32.data, out64.data, rtol=2e-6, atol=1e-6)
    scale = max(1.0, float(np.abs(t64.grad).max(initial=0.0)))
    np.testing.assert_allclose(t32.grad, t64.grad, rtol=1e-4, atol=1e-5 * scale)


# --- second order ----------------------------------------------------------------------------


def first_derivative(case: Unary, x: np.ndarray) -> Tensor:
    """f'(x) as a graph-carrying Tensor: backward(create_graph=True) of Σ f(x)."""
    t = Tensor(x, requires_grad=True)
    apply_op(case, t).sum().backward(create_graph=True)
    assert isinstance(t.grad, Tensor)
    return t.grad, t


@pytest.mark.parametrize("case", UNARIES, ids=UNARY_IDS)
def test_unary_second_derivative_by_double_backward(case: Unary) -> None:
    """f'' by a second backward through the recorded first one, against the closed form and
    against central differences of the first derivative. A constant derivative (linear ops)
    does not depend on x (as in PyTorch); any other stays connected, also where it is 0."""
    x = draw(seeded_rng("second order " + case.id), (2, 3), case.domain)
    d1, t = first_derivative(case, x)
    if case.d1 is not None:
        np.testing.assert_allclose(d1.data, case.d1(x), rtol=1e-11, atol=1e-13)
    if case.op in LINEAR:
        assert not d1.requires_grad and not np.any(case.d2(x))
        return
    t.zero_grad()
    d1.sum().backward()
    assert type(t.grad) is np.ndarray  # connected: a gradient (maybe zeros), never None
    eps = 1e-6
    numeric = (first_derivative(case, x + eps)[0].data
               - first_derivative(case, x - eps)[0].data) / (2 * eps)
    np.testing.assert_allclose(t.grad, numeric, rtol=1e-6, atol=1e-6)
    if case.d2 is not None:
        np.testing.assert_allclose(t.grad, case.d2(x), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", UNARIES, ids=UNARY_IDS)
def test_unary_hessian_vector_product_on_a_strided_input_matches_differences(
        case: Unary) -> None:
    """x ↦ ⟨v, ∇⟨w, f(x)⟩⟩ differentiated again: every VJP of the op runs on Tensors."""
    x = laid_out(draw(seeded_rng("hvp " + case.id), (3, 4), case.domain), "strided")
    w, v = upstream((3, 4), "w " + case.id), upstream((3, 4), "v " + case.id)

    def projected(u: Tensor) -> Tensor:
        g = autograd_lite.grad(lambda s: (apply_op(case, s) * w).sum())(u)
        return (as_tensor(g) * v).sum()  # off the graph (numeric side): an array

    assert gradcheck(projected, x, eps=1e-5)


def test_third_derivative_of_gelu_and_silu_by_nested_grad() -> None:
    x = np.array([-1.3, 0.4, 2.1])
    for name, d3 in (("gelu", lambda x: phi(x) * (x**3 - 4 * x)),
                     ("silu", None)):
        f = getattr(autograd_lite, name)
        third = autograd_lite.grad(lambda t, f=f: autograd_lite.grad(
            lambda s: autograd_lite.grad(lambda r: f(r).sum())(s).sum())(t).sum())(x)
        eps = 1e-5
        second = autograd_lite.grad(lambda t, f=f: autograd_lite.grad(lambda s: f(s).sum())(t)
                                    .sum())
        np.testing.assert_allclose(third, (second(x + eps) - second(x - eps)) / (2 * eps),
                                   rtol=1e-6, atol=1e-7)
        if d3 is not None:
            np.testing.assert_allclose(third, d3(x), rtol=1e-10)


# --- numpy's call records the op -------------------------------------------------------------


def numpy_function(case: Unary) -> Callable[..., Any]:
    return getattr(np, case.op)


@pytest.mark.parametrize("case", UNARIES, ids=UNARY_IDS)
def test_numpy_call_records_the_op_with_the_gradient_of_function_and_method(
        case: Unary) -> None:
    x = laid_out(draw(seeded_rng("numpy " + case.id), (3, 4), case.domain), "T")
    g = upstream((3, 4), case.id)
    via = {"function": lambda t: apply_op(case, t)}
    if case.op not in ACTIVATIONS:  # numpy has none of these
        via["numpy"] = lambda t: numpy_function(case)(t, **case.kwargs)
    if TABLE[case.op].method:
        via["method"] = lambda t: getattr(t, case.op)(**case.kwargs)
    grads = {}
    for how, call in via.items():
        t = leaf(x)
        out = call(t)
        assert isinstance(out, Tensor) and out.requires_grad, how
        assert out._op == TABLE[case.op].symbol and out._parents == (t,), how
        np.testing.assert_array_equal(out.data, case.ref(x) if case.op in ("conj", "real",
                                      "positive") else apply_op(case, Tensor(x)).data)
        out.backward(g)
        grads[how] = t.grad
    for how, grad in grads.items():
        np.testing.assert_array_equal(grad, grads["function"], err_msg=how)


@pytest.mark.parametrize(("call", "op"), [
    (lambda t: np.radians(t), "deg2rad"), (lambda t: np.degrees(t), "rad2deg"),
    (lambda t: np.fix(t), "trunc"), (lambda t: np.around(t, 1), "round"),
    (lambda t: np.round(t, decimals=2), "round"), (lambda t: t.round(1), "round"),
    (lambda t: np.conjugate(t), "conj"), (lambda t: np.absolute(t), "abs"),
    (lambda t: np.nan_to_num(t, copy=False, nan=2.0), "nan_to_num"),
    (lambda t: np.fabs(t), "fabs"), (lambda t: np.negative(t), "neg"),
], ids=["radians", "degrees", "fix", "around", "round(decimals=2)", "t.round(1)", "conjugate",
        "absolute", "nan_to_num(copy=False)", "fabs", "negative"])
def test_numpy_aliases_and_arguments_record_the_op(call: Callable[[Tensor], Tensor],
                                                   op: str) -> None:
    x = np.array([[-1.26, 0.5], [2.0, 0.73]])
    t = Tensor(x, requires_grad=True)
    out = call(t)
    assert isinstance(out, Tensor) and out.requires_grad and out._op == TABLE[op].symbol
    np.testing.assert_array_equal(out.data, call(x))
    out.sum().backward()
    assert t.grad.shape == x.shape


def test_round_of_an_integer_tensor_rounds_to_tens_and_gives_a_constant() -> None:
    t = Tensor(np.array([14, 15, 26]))
    out = np.round(t, -1)
    assert not out.requires_grad
    np.testing.assert_array_equal(out.data, [10, 20, 30])


# --- Values: the same function and derivative as Tensors --------------------------------------

VALUE_POINTS = {"real": (-1.3, -0.4, 0.6, 1.7), "positive": (0.4, 1.0, 2.5),
                "unit": (-0.7, 0.3, 0.8), "above1": (1.3, 2.5), "tan": (-1.2, 0.3, 1.1)}
VALUE_CASES = [pytest.param(u, x, id=f"{u.id} at {x}") for u in UNARIES
               if TABLE[u.op].value for x in VALUE_POINTS[u.domain]]


@pytest.mark.parametrize(("case", "x"), VALUE_CASES)
def test_value_op_matches_the_tensor_op_value_and_derivative(case: Unary, x: float) -> None:
    v = Value(x)
    out = getattr(v, case.op)(**case.kwargs)
    out.backward()
    t = Tensor(np.array(x), requires_grad=True)
    tout = apply_op(case, t)
    tout.backward()
    assert type(out.data) is float and type(v.grad) is float
    assert out._op == tout._op == TABLE[case.op].symbol
    assert math.isclose(out.data, float(tout.data), rel_tol=1e-12, abs_tol=1e-15)
    assert math.isclose(v.grad, float(t.grad), rel_tol=1e-12, abs_tol=1e-15)
    assert apply_op(case, Value(x)).data == out.data  # the function dispatches to the Value
    assert gradcheck(lambda y: getattr(y, case.op)(**case.kwargs), x, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ["tan", "sinh", "arcsinh", "expm1", "square", "softplus",
                                  "silu", "selu", "erf", "sinc", "deg2rad"])
def test_smooth_op_without_parameters_is_a_function_of_the_expression_language(
        name: str) -> None:
    assert TABLE[name].expr


@pytest.mark.parametrize(("fn", "x", "data", "grad"), [
    (Value.exp2, 2000.0, math.inf, math.inf), (Value.cosh, 1000.0, math.inf, math.inf),
    (Value.arcsin, 2.0, math.nan, math.nan), (Value.arctanh, 1.0, math.inf, math.inf),
    (Value.arccosh, 1.0, 0.0, math.inf), (Value.reciprocal, 0.0, math.inf, -math.inf),
    (Value.softplus, -1000.0, 0.0, 0.0), (Value.softplus, 1000.0, 1000.0, 1.0),
    (Value.silu, -1000.0, -0.0, 0.0), (Value.sinc, 0.0, 1.0, 0.0),
], ids=["exp2(2000)", "cosh(1000)", "arcsin(2)", "arctanh(1)", "arccosh(1)", "1/0",
        "softplus(-1000)", "softplus(1000)", "silu(-1000)", "sinc(0)"])
def test_value_edge_cases_give_ieee_results_without_exception_or_warning(
        fn: Callable[[Value], Value], x: float, data: float, grad: float) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v = Value(x)
        out = fn(v)
        out.backward()
    for got, expected in ((out.data, data), (v.grad, grad)):
        assert got == expected or (math.isnan(got) and math.isnan(expected)), (got, expected)


# --- binary ops ------------------------------------------------------------------------------


class Binary(NamedTuple):
    op: str
    ref: Callable[[np.ndarray, np.ndarray], np.ndarray]
    partials: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
    domains: tuple[str, str] = ("real", "real")
    torch: str | None = None


def lae_share(a: np.ndarray, b: np.ndarray, scale: float = 1.0) -> tuple[np.ndarray, ...]:
    return sigmoid((a - b) * scale), sigmoid((b - a) * scale)


BINARIES = [
    Binary("arctan2", np.arctan2,
           lambda a, b: (b / (a * a + b * b), -a / (a * a + b * b)), torch="atan2"),
    Binary("hypot", lambda a, b: np.sqrt(a * a + b * b),
           lambda a, b: (a / np.sqrt(a * a + b * b), b / np.sqrt(a * a + b * b)),
           torch="hypot"),
    Binary("logaddexp", lambda a, b: np.log(np.exp(a) + np.exp(b)), lae_share,
           torch="logaddexp"),
    Binary("logaddexp2", lambda a, b: np.log2(2**a + 2**b), lambda a, b: lae_share(a, b, LN2),
           torch="logaddexp2"),
    Binary("fmax", np.maximum, lambda a, b: ((a > b) * 1.0, (b > a) * 1.0), torch="fmax"),
    Binary("fmin", np.minimum, lambda a, b: ((a < b) * 1.0, (b < a) * 1.0), torch="fmin"),
    Binary("float_power", lambda a, b: a**b,
           lambda a, b: (b * a ** (b - 1), a**b * np.log(a)), ("positive", "real"),
           torch="float_power"),
]
BINARY_SHAPES = [(Spec(()), Spec(())), (Spec((3, 4)), Spec((3, 4))),
                 (Spec((3, 1, 4)), Spec((2, 1))), (Spec((0, 3)), Spec((3,))),
                 (fortran(2, 3), transposed(2, 3)), (strided(3, 4), Spec(()))]
BINARY_CASES = [pytest.param(b, s, id=f"{b.op} on {s[0]} {s[1]}") for b in BINARIES
                for s in BINARY_SHAPES]


def pair(case: Binary, specs: tuple[Spec, Spec], dtype: Any = np.float64) -> list[np.ndarray]:
    rng = seeded_rng(f"{case.op} {specs[0]} {specs[1]}")
    return [laid_out(draw(rng, s.shape, d).astype(dtype), s.layout)
            for s, d in zip(specs, case.domains, strict=True)]


def binary_fn(case: Binary) -> Callable[..., Tensor]:
    return getattr(functions, TABLE[case.op].function)


@pytest.mark.parametrize(("case", "specs"), BINARY_CASES)
def test_binary_forward_gradients_and_float32(case: Binary, specs: tuple[Spec, Spec]) -> None:
    a, b = pair(case, specs)
    ta, tb = leaf(a), leaf(b)
    out = binary_fn(case)(ta, tb)
    expected = case.ref(a, b)
    assert out.dtype == np.float64 and out.shape == expected.shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-13, atol=1e-15)
    g = upstream(out.shape, case.op)
    out.backward(g)
    pa, pb = case.partials(a, b)
    for t, p, x in ((ta, pa, a), (tb, pb, b)):  # the partials summed over broadcast axes
        full = np.broadcast_to(g * p, out.shape)
        lead = full.ndim - x.ndim
        summed = full.sum(axis=tuple(range(lead))) if lead else full
        summed = summed.sum(axis=tuple(i for i, n in enumerate(x.shape) if n == 1),
                            keepdims=True) if x.ndim else summed
        assert t.grad.shape == x.shape and t.grad.dtype == np.float64
        np.testing.assert_allclose(t.grad, summed.reshape(x.shape), rtol=1e-11, atol=1e-13)
    assert gradcheck(binary_fn(case), a, b)
    a32, b32 = pair(case, specs, np.float32)
    t32 = [leaf(a32), leaf(b32)]
    out32 = binary_fn(case)(*t32)
    out32.backward(g.astype(np.float32))
    wanted = np.float64 if case.op == "float_power" else np.float32  # numpy's float_power
    assert out32.dtype == wanted and all(t.grad.dtype == np.float32 for t in t32)
    np.testing.assert_allclose(out32.data, case.ref(a32.astype(np.float64),
                                                    b32.astype(np.float64)), rtol=2e-6)


@pytest.mark.parametrize("case", BINARIES, ids=[b.op for b in BINARIES])
def test_binary_second_derivatives_match_differences_of_the_gradients(case: Binary) -> None:
    """The projected gradient ⟨v, ∇⟨w, f(a, b)⟩⟩ (both inputs) differentiated again."""
    a, b = pair(case, (Spec((2, 3)), Spec((3,))))
    w = upstream((2, 3), "w " + case.op)

    def projected(x: Tensor, y: Tensor) -> Tensor:
        gx, gy = autograd_lite.grad(lambda s, r: (binary_fn(case)(s, r) * w).sum(),
                                    argnums=(0, 1))(x, y)
        return ((as_tensor(gx) * upstream((2, 3), "vx")).sum()
                + (as_tensor(gy) * upstream((3,), "vy")).sum())

    assert gradcheck(projected, a, b, eps=1e-5)


@pytest.mark.parametrize("case", BINARIES, ids=[b.op for b in BINARIES])
def test_binary_numpy_calls_record_the_op_with_either_operand_an_array(case: Binary) -> None:
    a, b = pair(case, (Spec((2, 3)), Spec((3,))))
    ufunc = getattr(np, case.op)
    ref_grads = []
    for tensor_side in ("both", "left", "right"):
        ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
        x = ta if tensor_side != "right" else a
        y = tb if tensor_side != "left" else b
        out = ufunc(x, y)
        assert isinstance(out, Tensor) and out.requires_grad
        np.testing.assert_allclose(out.data, case.ref(a, b), rtol=1e-13)
        out.sum().backward()
        ref_grads.append((ta.grad, tb.grad))
        method = getattr(ta if tensor_side != "right" else Tensor(a), case.op)(y)
        np.testing.assert_array_equal(method.data, out.data)
    np.testing.assert_array_equal(ref_grads[1][0], ref_grads[0][0])
    np.testing.assert_array_equal(ref_grads[2][1], ref_grads[0][1])
    assert ref_grads[1][1] is None and ref_grads[2][0] is None


def test_binary_op_with_a_python_number_takes_the_tensors_dtype() -> None:
    t = Tensor(np.array([0.5, -1.0], dtype=np.float32), requires_grad=True)
    for name in BINARY_NAMES:
        out = getattr(autograd_lite, name)(t, 0.25)
        assert out.dtype == np.float32, name
        out.sum().backward()
        assert t.grad.dtype == np.float32


def test_float_power_computes_in_float64_and_returns_gradients_in_the_input_dtype() -> None:
    x = Tensor(np.array([1.5, 2.0, 0.5], dtype=np.float32), requires_grad=True)
    y = Tensor(np.array([2.0, -1.0, 0.5], dtype=np.float32), requires_grad=True)
    out = np.float_power(x, y)
    assert out.dtype == np.float64 and out.requires_grad
    np.testing.assert_array_equal(out.data, np.float_power(x.data, y.data))
    out.sum().backward()
    assert x.grad.dtype == y.grad.dtype == np.float32
    x64, y64 = x.data.astype(np.float64), y.data.astype(np.float64)
    np.testing.assert_allclose(x.grad, y64 * x64 ** (y64 - 1), rtol=1e-6)
    np.testing.assert_allclose(y.grad, x64**y64 * np.log(x64), rtol=1e-6)
    assert x.float_power(2).dtype == np.float64
    assert np.float_power(x, np.array([1, 2, 3])).data.tolist() == [1.5, 4.0, 0.125]


# --- conventions -----------------------------------------------------------------------------


def grad_of(fn: Callable[..., Tensor], *arrays: Any) -> list[np.ndarray]:
    leaves = [Tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    fn(*leaves).sum().backward()
    return [t.grad for t in leaves]


@pytest.mark.parametrize(("fn", "expected"), [
    (lambda t: t.elu(), [0.0, 1.0, 1.0]),
    (lambda t: t.elu(alpha=2.0), [0.0, 2.0, 1.0]),
    (lambda t: t.selu(), [0.0, SELU_SCALE * SELU_ALPHA, SELU_SCALE]),
    (lambda t: t.silu(), [0.0, 0.5, 1.0]),
    (lambda t: t.gelu(), [0.0, 0.5, 1.0]),
    (lambda t: t.gelu(approximate="tanh"), [0.0, 0.5, 1.0]),
    (lambda t: t.softplus(), [0.0, 0.5, 1.0]),
], ids=["elu", "elu(alpha=2)", "selu", "silu", "gelu", "gelu tanh", "softplus"])
def test_activation_derivatives_at_zero_are_pytorchs(fn: Callable[[Tensor], Tensor],
                                                    expected: list[float]) -> None:
    """At −1000 (flat), at the kink 0 (elu'(0) = alpha, selu'(0) = scale·alpha: PyTorch takes
    the left branch) and at +1000 (slope 1, or scale)."""
    (g,) = grad_of(fn, [-1000.0, 0.0, 1000.0])
    np.testing.assert_allclose(g, expected, rtol=1e-15, atol=0)


@pytest.mark.parametrize("name", ["sign", "floor", "ceil", "round", "rint", "trunc"])
def test_piecewise_constant_ops_have_zero_derivative_everywhere_at_every_order(
        name: str) -> None:
    x = np.array([-2.0, -1.5, -0.5, 0.0, 0.5, 1.0, 2.5, np.inf])  # jumps and ties included
    t = Tensor(x, requires_grad=True)
    out = getattr(autograd_lite, name)(t)
    np.testing.assert_array_equal(out.data, getattr(np, name)(x))
    out.sum().backward(create_graph=True)
    first = t.grad
    assert isinstance(first, Tensor) and first.requires_grad  # connected, not missing
    np.testing.assert_array_equal(first.data, 0.0)
    t.zero_grad()
    first.sum().backward()
    np.testing.assert_array_equal(t.grad, 0.0)


def test_sinc_near_zero_is_smooth_through_the_series() -> None:
    """sinc'(0) = 0 and sinc''(0) = −π²/3; on both sides of the switch to the series the
    first and second derivatives agree with the closed forms."""
    x = np.array([0.0, 1e-9, -1e-4, 0.0499999, 0.0500001, -0.3])
    d1, t = first_derivative(UNARIES[UNARY_IDS.index("sinc(x)")], x)
    near = np.array([0.0, -np.pi**2 / 3 * 1e-9, np.pi**2 / 3 * 1e-4])
    np.testing.assert_allclose(d1.data[:3], near, rtol=1e-7, atol=1e-20)
    np.testing.assert_allclose(d1.data[3:], sinc_d1(x[3:]), rtol=1e-12)
    t.zero_grad()
    d1.sum().backward()
    np.testing.assert_allclose(t.grad[0], -np.pi**2 / 3, rtol=1e-14)
    np.testing.assert_allclose(t.grad[3:], sinc_d2(x[3:]), rtol=1e-9)


@pytest.mark.parametrize("name", ["hypot", "arctan2"])
def test_hypot_and_arctan2_have_zero_gradient_at_the_origin_and_finite_second_order(
        name: str) -> None:
    fn = getattr(autograd_lite, name)
    a, b = Tensor(np.zeros(2), requires_grad=True), Tensor(np.array([0.0, 2.0]),
                                                            requires_grad=True)
    fn(a, b).sum().backward(create_graph=True)
    ga, gb = a.grad, b.grad
    expected = {"hypot": ([0.0, 0.0], [0.0, 1.0]), "arctan2": ([0.0, 0.5], [0.0, 0.0])}[name]
    np.testing.assert_array_equal(ga.data, expected[0])
    np.testing.assert_array_equal(gb.data, expected[1])
    (ga.sum() + gb.sum()).backward()
    assert np.all(np.isfinite(a.grad)) and np.all(np.isfinite(b.grad))


@pytest.mark.parametrize(("name", "x", "y", "gx", "gy"), [
    ("fmax", [1.0, 2.0, np.nan, 3.0, np.nan], [1.0, 1.0, 5.0, np.nan, np.nan],
     [0.5, 1.0, 0.0, 1.0, 1.0], [0.5, 0.0, 1.0, 0.0, 0.0]),
    ("fmin", [1.0, 2.0, np.nan, 3.0, np.nan], [1.0, 1.0, 5.0, np.nan, np.nan],
     [0.5, 0.0, 0.0, 1.0, 1.0], [0.5, 1.0, 1.0, 0.0, 0.0]),
], ids=["fmax", "fmin"])
def test_fmax_fmin_ignore_nan_and_split_ties(name: str, x: list[float], y: list[float],
                                             gx: list[float], gy: list[float]) -> None:
    """The gradient follows the value: the input that is returned gets it (all of it if the
    other is nan), a tie splits it evenly, and where both are nan x gets it."""
    ga, gb = grad_of(getattr(autograd_lite, name), x, y)
    np.testing.assert_array_equal(ga, gx)
    np.testing.assert_array_equal(gb, gy)
    np.testing.assert_array_equal(getattr(autograd_lite, name)(Tensor(x), Tensor(y)).data,
                                  getattr(np, name)(x, y))


def test_fmax_of_a_tensor_with_itself_passes_the_whole_gradient_and_broadcast_ties_sum() -> None:
    (g,) = grad_of(lambda a: autograd_lite.fmax(a, a), [1.0, -2.0])
    np.testing.assert_array_equal(g, [1.0, 1.0])
    ga, gb = grad_of(autograd_lite.fmin, [0.0, 1.0, 0.0, -1.0], 0.0)
    np.testing.assert_array_equal(ga, [0.5, 0.0, 0.5, 1.0])
    assert gb == 2.0


@pytest.mark.parametrize("name", ["logaddexp", "logaddexp2"])
def test_logaddexp_splits_ties_evenly_also_between_equal_infinities(name: str) -> None:
    x = [1.0, -np.inf, np.inf, 1000.0, -1000.0, 5.0]
    y = [1.0, -np.inf, np.inf, -1000.0, 1000.0, np.inf]
    a, b = Tensor(x, requires_grad=True), Tensor(y, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        getattr(autograd_lite, name)(a, b).backward(np.ones(6))
    ga, gb = a.grad, b.grad
    np.testing.assert_array_equal(ga, [0.5, 0.5, 0.5, 1.0, 0.0, 0.0])
    np.testing.assert_array_equal(gb, [0.5, 0.5, 0.5, 0.0, 1.0, 1.0])


def test_nan_to_num_replaces_like_numpy_and_passes_the_gradient_only_where_finite() -> None:
    x = np.array([np.nan, np.inf, -np.inf, 1.5, -0.0])
    for kwargs in ({}, {"nan": 7.0, "posinf": 1e3, "neginf": -2.0}, {"neginf": 3}):
        t = Tensor(x, requires_grad=True)
        out = t.nan_to_num(**kwargs)
        np.testing.assert_array_equal(out.data, np.nan_to_num(x, **kwargs))
        out.backward(np.full(5, 2.0))
        np.testing.assert_array_equal(t.grad, [0.0, 0.0, 0.0, 2.0, 2.0])
    t32 = Tensor(x.astype(np.float32), requires_grad=True)
    out = np.nan_to_num(t32)
    assert out.dtype == np.float32 and out.data[1] == np.finfo(np.float32).max


def test_gelu_refuses_an_unknown_approximation() -> None:
    with pytest.raises(ValueError, match=r"^gelu: approximate must be 'none' or 'tanh'"):
        Tensor([1.0]).gelu(approximate="sigmoid")
    with pytest.raises(ValueError, match=r"^gelu: approximate"):
        Value(1.0).gelu(approximate="erf")


def test_erf_is_exact_to_rounding_and_keeps_float32() -> None:
    x = np.concatenate([np.linspace(-6, 6, 241), [0.0, -0.0, 1e-300, np.inf, -np.inf]])
    np.testing.assert_array_equal(autograd_lite.erf(Tensor(x)).data, [math.erf(v) for v in x])
    assert np.isnan(autograd_lite.erf(Tensor([np.nan], dtype=np.float64)).data[0])
    x32 = x.astype(np.float32)
    out = autograd_lite.erf(Tensor(x32))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.data, erf_np(x32.astype(np.float64)).astype(np.float32))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["softplus", "silu", "gelu", "elu", "selu", "sinh", "cosh",
                                  "expm1", "exp2"])
def test_activations_at_plus_minus_1000_are_finite_or_overflow_cleanly_without_warnings(
        name: str, dtype: Any) -> None:
    x = np.array([-1000.0, 1000.0], dtype=dtype)
    t = Tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error" if name not in ("sinh", "cosh", "exp2", "expm1")
                              else "ignore")
        out = getattr(autograd_lite, name)(t)
        out.sum().backward()
    assert out.dtype == dtype and t.grad.dtype == dtype
    if name in ("softplus", "silu", "gelu", "elu", "selu"):
        slope = SELU_SCALE if name == "selu" else 1.0
        np.testing.assert_allclose(t.grad, [0.0, slope], rtol=1e-6)
        np.testing.assert_allclose(out.data, [out.data[0], 1000.0 * slope], rtol=1e-7)


def test_softplus_is_exact_for_tiny_and_huge_inputs() -> None:
    x = np.array([-40.0, -1e-8, 0.0, 30.0, 800.0])
    out = autograd_lite.softplus(Tensor(x)).data
    np.testing.assert_allclose(out, [math.log1p(math.exp(v)) if v < 700 else v for v in x],
                               rtol=1e-15)


def test_new_ops_show_their_names_in_the_graph() -> None:
    t = Tensor([0.5], requires_grad=True)
    y = np.hypot(np.tan(t), autograd_lite.gelu(t)) + np.float_power(t, 2.0)
    assert {"tan", "gelu", "hypot", "cast", "**"} <= {n._op for n in toposort(y) if n._op}


# --- against PyTorch (float64), where it is installed -----------------------------------------

TORCH_UNARIES = [u for u in UNARIES if u.torch is not None]


@pytest.mark.parametrize("case", TORCH_UNARIES, ids=[u.id for u in TORCH_UNARIES])
def test_unary_values_and_gradients_match_pytorch(case: Unary) -> None:
    torch = pytest.importorskip("torch")
    x = draw(seeded_rng("torch " + case.id), (4, 5), case.domain)
    if case.op in ("elu", "selu", "gelu", "silu", "softplus", "sign", "nan_to_num"):
        x[0, :3] = [0.0, 15.0, -25.0]  # the kink, and far out on both sides (softplus:
        # under PyTorch's threshold of 20, above which it returns x without ln(1 + e^−x))
    g = upstream(x.shape, "torch " + case.id)
    t = Tensor(x, requires_grad=True)
    out = apply_op(case, t)
    out.backward(g)
    tt = torch.tensor(x, requires_grad=True)
    tout = case.torch(tt)
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("case", [b for b in BINARIES if b.torch],
                         ids=[b.op for b in BINARIES if b.torch])
def test_binary_values_and_gradients_match_pytorch(case: Binary) -> None:
    torch = pytest.importorskip("torch")
    a, b = pair(case, (Spec((4, 3)), Spec((3,))))
    t_a, t_b = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    out = binary_fn(case)(t_a, t_b)
    g = upstream(out.shape, "torch " + case.op)
    out.backward(g)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    tout = getattr(torch, case.torch)(ta, tb)
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-14)
    np.testing.assert_allclose(t_a.grad, ta.grad.numpy(), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(t_b.grad, tb.grad.numpy(), rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("name", ["gelu", "silu", "elu", "selu", "softplus", "erf", "tan",
                                  "arcsinh", "sinc"])
def test_second_derivatives_match_pytorch(name: str) -> None:
    torch = pytest.importorskip("torch")
    x = np.array([-2.5, -0.7, 0.3, 1.9])
    d2 = autograd_lite.grad(lambda t: autograd_lite.grad(
        lambda s: getattr(autograd_lite, name)(s).sum())(t).sum())(x)
    tt = torch.tensor(x, requires_grad=True)
    f = getattr(torch, name, None) or getattr(torch.nn.functional, name)
    (first,) = torch.autograd.grad(f(tt).sum(), tt, create_graph=True)
    (second,) = torch.autograd.grad(first.sum(), tt)
    np.testing.assert_allclose(d2, second.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(("name", "call", "passes"), [
    ("relu", lambda t: t.relu(), lambda x: x > 0),
    ("clip", lambda t: t.clip(-1.0, 1.0), lambda x: (x >= -1) & (x <= 1)),
    ("nan_to_num", lambda t: autograd_lite.nan_to_num(t), np.isfinite),
])
def test_mask_derivatives_pass_the_gradient_where_the_mask_holds_at_every_order(
        name: str, call: Callable[[Tensor], Tensor], passes: Callable[..., Any]) -> None:
    """Ops whose derivative is 1 where a predicate holds and 0 elsewhere: on arrays ḡ times
    the mask (float32 stays float32), on Tensors the mask is a step (second order 0), on
    Values it is 1.0 or 0.0."""
    x = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, np.inf, -np.inf], dtype=np.float32)
    t = Tensor(x, requires_grad=True)
    g = np.linspace(1, 2, x.size, dtype=np.float32)
    call(t).backward(g)
    assert t.grad.dtype == np.float32
    np.testing.assert_array_equal(t.grad, np.where(passes(x), g, 0))
    t64 = Tensor(x.astype(np.float64), requires_grad=True)
    call(t64).sum().backward(create_graph=True)
    first = t64.grad
    assert isinstance(first, Tensor) and first.requires_grad
    np.testing.assert_array_equal(first.data, passes(x).astype(float))
    t64.zero_grad()
    first.sum().backward()
    np.testing.assert_array_equal(t64.grad, 0.0)
    if name == "relu":
        for v in (-1.0, 0.0, 2.0):
            value = Value(v)
            value.relu().backward()
            assert value.grad == (1.0 if v > 0 else 0.0)
