"""Tests for the scalar autodiff class `Value`.

Every op is checked against Python's `math` (forward), float64 central differences and a
closed-form derivative table (backward); then the engine's conventions (kinks, IEEE edge
cases, operand types, composites, grad bookkeeping), random expression DAGs with shared
nodes, micrograd's two classic tests and the textbook worked examples (Hjorth-Jensen's
autodiff examples, Skansi's 2-2-1 backpropagation step).
"""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from autograd_lite import Tensor, Value, gradcheck
from autograd_lite.graph import toposort
from autograd_lite.opdef import as_function
from autograd_lite.ops import OPS as TABLE

# --- helpers --------------------------------------------------------------------------------


@contextmanager
def warnings_as_errors() -> Iterator[None]:
    """Turn every warning (numpy's RuntimeWarning included) into an exception."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def same_float(actual: float, expected: float) -> bool:
    """Equality that also matches nan with nan."""
    return actual == expected or (math.isnan(actual) and math.isnan(expected))


def leaves_and_output(fn: Callable[..., Value], point: tuple[float, ...]) -> tuple[
        list[Value], Value]:
    """Fresh leaves at `point`, `fn` applied to them, and `backward()` run from the result."""
    xs = [Value(p) for p in point]
    out = fn(*xs)
    out.backward()
    return xs, out


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


# --- the op table ---------------------------------------------------------------------------


class Op(NamedTuple):
    """One op of `Value`, with its reference forward and its closed-form derivatives."""

    name: str  # the method or dunder of Value this entry exercises
    expr: str  # what is computed, for the test id
    fn: Callable[..., Value]  # the op applied to Values (Python numbers mixed in where shown)
    ref: Callable[..., float]  # forward value with Python's math module
    deriv: Callable[..., tuple[float, ...]]  # ∂out/∂input for each Value input
    points: tuple[tuple[float, ...], ...]


def pts(*xs: float) -> tuple[tuple[float, ...], ...]:
    return tuple((x,) for x in xs)


TRIG_POINTS = pts(-2.0, -0.3, 0.0, 1.0, 4.0)
KINK_POINTS = pts(-2.0, -1e-3, 1e-3, 3.0)  # both sides of the kink at 0
PAIRS = ((-1.5, 2.0), (0.0, 0.0), (3.0, -0.25))

OPS = [
    Op("exp", "x.exp()", lambda x: x.exp(), math.exp,
       lambda x: (math.exp(x),), pts(-3.0, -0.5, 0.0, 0.7, 2.5)),
    Op("log", "x.log()", lambda x: x.log(), math.log,
       lambda x: (1.0 / x,), pts(0.1, 0.5, 1.0, 2.0, 10.0)),
    Op("tanh", "x.tanh()", lambda x: x.tanh(), math.tanh,
       lambda x: (1.0 / math.cosh(x) ** 2,), pts(-3.0, -0.5, 0.0, 0.5, 3.0)),
    Op("sigmoid", "x.sigmoid()", lambda x: x.sigmoid(), sigmoid,
       lambda x: (math.exp(-x) / (1.0 + math.exp(-x)) ** 2,), pts(-5.0, -1.0, 0.0, 1.0, 5.0)),
    Op("relu", "x.relu()", lambda x: x.relu(), lambda x: max(x, 0.0),
       lambda x: (1.0 if x > 0 else 0.0,), KINK_POINTS),
    Op("sin", "x.sin()", lambda x: x.sin(), math.sin, lambda x: (math.cos(x),), TRIG_POINTS),
    Op("cos", "x.cos()", lambda x: x.cos(), math.cos, lambda x: (-math.sin(x),), TRIG_POINTS),
    Op("sqrt", "x.sqrt()", lambda x: x.sqrt(), math.sqrt,
       lambda x: (0.5 / math.sqrt(x),), pts(0.01, 0.25, 1.0, 4.0, 9.0)),
    Op("abs", "x.abs()", lambda x: x.abs(), math.fabs,
       lambda x: (math.copysign(1.0, x),), KINK_POINTS),
    Op("__abs__", "abs(x)", abs, math.fabs, lambda x: (math.copysign(1.0, x),), KINK_POINTS),
    Op("__neg__", "-x", operator.neg, operator.neg, lambda x: (-1.0,), pts(-2.0, 0.0, 1.5)),
    Op("__add__", "x + y", operator.add, operator.add, lambda x, y: (1.0, 1.0), PAIRS),
    Op("__add__", "x + 2.5", lambda x: x + 2.5, lambda x: x + 2.5,
       lambda x: (1.0,), pts(-1.0, 0.0, 3.0)),
    Op("__radd__", "2.5 + x", lambda x: 2.5 + x, lambda x: 2.5 + x,
       lambda x: (1.0,), pts(-1.0, 0.0, 3.0)),
    Op("__sub__", "x - y", operator.sub, operator.sub, lambda x, y: (1.0, -1.0), PAIRS),
    Op("__sub__", "x - 2.5", lambda x: x - 2.5, lambda x: x - 2.5,
       lambda x: (1.0,), pts(-1.0, 0.0, 3.0)),
    Op("__rsub__", "2.5 - x", lambda x: 2.5 - x, lambda x: 2.5 - x,
       lambda x: (-1.0,), pts(-1.0, 0.0, 3.0)),
    Op("__mul__", "x * y", operator.mul, operator.mul, lambda x, y: (y, x),
       ((-2.0, 0.5), (0.0, 3.0), (1.5, -4.0))),
    Op("__mul__", "x * -1.5", lambda x: x * -1.5, lambda x: x * -1.5,
       lambda x: (-1.5,), pts(-2.0, 0.0, 3.0)),
    Op("__rmul__", "-1.5 * x", lambda x: -1.5 * x, lambda x: -1.5 * x,
       lambda x: (-1.5,), pts(-2.0, 0.0, 3.0)),
    Op("__truediv__", "x / y", operator.truediv, operator.truediv,
       lambda x, y: (1.0 / y, -x / y**2), ((1.0, 2.0), (-3.0, 0.5), (0.0, -4.0))),
    Op("__truediv__", "x / 4.0", lambda x: x / 4.0, lambda x: x / 4.0,
       lambda x: (0.25,), pts(-2.0, 0.0, 3.0)),
    Op("__rtruediv__", "3 / x", lambda x: 3 / x, lambda x: 3 / x,
       lambda x: (-3.0 / x**2,), pts(-2.0, -0.5, 0.5, 2.0)),
    Op("__pow__", "x ** 3", lambda x: x**3, lambda x: math.pow(x, 3),
       lambda x: (3.0 * x**2,), pts(-2.0, -0.5, 0.0, 1.5)),
    Op("__pow__", "x ** 2.5", lambda x: x**2.5, lambda x: math.pow(x, 2.5),
       lambda x: (2.5 * x**1.5,), pts(0.25, 1.0, 3.0)),
    Op("__pow__", "x ** -2", lambda x: x**-2, lambda x: math.pow(x, -2),
       lambda x: (-2.0 * x**-3,), pts(-2.0, -0.5, 0.5, 2.0)),
    Op("__pow__", "x ** 0", lambda x: x**0, lambda x: math.pow(x, 0),
       lambda x: (0.0,), pts(-1.5, 0.0, 2.0)),
    Op("__pow__", "x ** y", operator.pow, math.pow,
       lambda x, y: (y * math.pow(x, y - 1), math.pow(x, y) * math.log(x)),
       ((2.0, 3.0), (0.5, -1.5), (3.0, 0.0), (1.0, 2.5))),
    Op("__rpow__", "2 ** x", lambda x: 2**x, lambda x: math.pow(2, x),
       lambda x: (math.pow(2, x) * math.log(2),), pts(-1.5, 0.0, 2.0)),
    Op("__rpow__", "0.5 ** x", lambda x: 0.5**x, lambda x: math.pow(0.5, x),
       lambda x: (math.pow(0.5, x) * math.log(0.5),), pts(-1.5, 0.0, 2.0)),
]

OP_CASES = [pytest.param(op, point, id=f"{op.expr} at {point}")
            for op in OPS for point in op.points]

PUBLIC_OPS = {
    "exp", "log", "tanh", "sigmoid", "relu", "sin", "cos", "sqrt", "abs",
    "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
    "__truediv__", "__rtruediv__", "__pow__", "__rpow__", "__neg__", "__abs__",
}
NOT_OPS = {"__init__", "__repr__", "backward", "zero_grad",
           "__float__", "__int__", "__bool__", "__format__"}  # conversions, not ops
# the elementwise ops Value gets from the op table (generated methods, tested below)
DECLARED = {d.name for d in TABLE.values() if d.value and d.kind == "unary"}


def test_op_table_covers_every_public_op_of_value() -> None:
    tested = {op.name for op in OPS}
    defined = {name for name, attr in vars(Value).items()
               if callable(attr) and not (name.startswith("_") and not name.startswith("__"))}
    assert tested == PUBLIC_OPS
    assert defined - NOT_OPS == tested | DECLARED, "a new op of Value needs an entry in OPS"


# --- the declared ops: Value and Tensor compute one function and one derivative ------------------

DECLARED_POINTS = {"real": (-2.0, -0.3, 0.4, 1.7), "positive": (0.3, 1.0, 2.5),
                   "unit": (-0.8, -0.3, 0.4, 0.7), "above1": (1.2, 2.0, 3.5)}
PARAMS = {"leaky_relu": ({}, {"negative_slope": 0.2}), "clip": ({"lo": -0.5, "hi": 1.0},
                                                               {"lo": 0.0}),
          "elu": ({}, {"alpha": 0.5}), "gelu": ({}, {"approximate": "tanh"}),
          "nan_to_num": ({}, {"nan": 1.0})}
DECLARED_CASES = [pytest.param(d, kw, x, id=f"{d.name}({x}, {kw})")
                  for d in TABLE.values() if d.value and d.kind == "unary"
                  for kw in PARAMS.get(d.name, ({},)) for x in DECLARED_POINTS[d.domain]]


@pytest.mark.parametrize(("decl", "kwargs", "x"), DECLARED_CASES)
def test_declared_op_on_a_value_matches_the_tensor_op_value_and_derivative(
        decl, kwargs, x: float) -> None:
    v = Value(x)
    out = getattr(v, decl.name)(**kwargs)
    out.backward()
    t = Tensor(np.array(x), requires_grad=True)
    tout = getattr(t, decl.name)(**kwargs)
    tout.backward()
    assert type(out.data) is float and type(v.grad) is float
    assert out._op == tout._op == decl.symbol
    assert math.isclose(out.data, float(tout.data), rel_tol=1e-12, abs_tol=1e-300)
    assert math.isclose(v.grad, float(t.grad), rel_tol=1e-12, abs_tol=1e-300)
    assert gradcheck(lambda y: getattr(y, decl.name)(**kwargs), x, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("decl", [d for d in TABLE.values() if d.name in ("add", "mul")],
                         ids=lambda d: d.name)
@pytest.mark.parametrize(("a", "b"), [(-1.5, 2.0), (0.0, 3.0), (2.5, -0.25)])
def test_hand_written_value_operators_agree_with_their_declarations(decl, a: float,
                                                                     b: float) -> None:
    """`+` and `*` are written out in value.py for speed: checked against the table here."""
    x, y = Value(a), Value(b)
    out = {"add": x + y, "mul": x * y}[decl.name]
    assert out.data == float(decl.forward(a, b)) and out._op == decl.symbol
    partials = [as_function(p, 2)(a, b, out.data) for p in decl.partials]
    assert list(out._rule) == [float(p) for p in partials]


@pytest.mark.parametrize(("op", "point"), OP_CASES)
def test_op_forward_matches_math_reference(op: Op, point: tuple[float, ...]) -> None:
    out = op.fn(*(Value(p) for p in point))
    assert type(out) is Value
    assert type(out.data) is float
    assert math.isclose(out.data, op.ref(*point), rel_tol=1e-12), (out.data, op.ref(*point))


@pytest.mark.parametrize(("op", "point"), OP_CASES)
def test_op_gradients_match_central_differences(op: Op, point: tuple[float, ...]) -> None:
    assert gradcheck(op.fn, *point, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(("op", "point"), OP_CASES)
def test_op_gradients_match_closed_form_derivatives(op: Op, point: tuple[float, ...]) -> None:
    xs, _ = leaves_and_output(op.fn, point)
    for x, expected in zip(xs, op.deriv(*point), strict=True):
        assert type(x.grad) is float
        assert math.isclose(x.grad, expected, rel_tol=1e-12), (x.grad, expected)


# --- conventions at kinks -------------------------------------------------------------------


def test_relu_derivative_at_zero_is_zero() -> None:
    (x,), out = leaves_and_output(Value.relu, (0.0,))
    assert out.data == 0.0
    assert x.grad == 0.0


@pytest.mark.parametrize("fn", [Value.abs, abs], ids=["x.abs()", "abs(x)"])
def test_abs_derivative_at_zero_is_zero(fn: Callable[[Value], Value]) -> None:
    (x,), out = leaves_and_output(fn, (0.0,))
    assert out.data == 0.0
    assert x.grad == 0.0


@pytest.mark.parametrize("exponent", [0, 0.0], ids=["int 0", "float 0.0"])
def test_derivative_of_x_to_constant_zero_is_zero_at_x_zero(exponent: float) -> None:
    (x,), out = leaves_and_output(lambda x: x**exponent, (0.0,))
    assert out.data == 1.0
    assert x.grad == 0.0


@pytest.mark.parametrize(("b", "power"), [(0.0, 1.0), (2.0, 0.0)])
def test_derivative_of_zero_to_the_b_wrt_b_is_zero(b: float, power: float) -> None:
    (base, exponent), out = leaves_and_output(operator.pow, (0.0, b))
    assert out.data == power
    assert exponent.grad == 0.0


def test_derivative_of_x_to_value_zero_wrt_x_is_zero_at_x_zero() -> None:
    (base, _), out = leaves_and_output(operator.pow, (0.0, 0.0))
    assert out.data == 1.0
    assert base.grad == 0.0


# --- IEEE edge cases ------------------------------------------------------------------------


class Edge(NamedTuple):
    expr: str
    fn: Callable[[Value], Value]
    x: float
    data: float
    grad: float


EDGES = [
    Edge("exp(1000)", Value.exp, 1000.0, math.inf, math.inf),
    Edge("exp(-1000)", Value.exp, -1000.0, 0.0, 0.0),
    Edge("log(0)", Value.log, 0.0, -math.inf, math.inf),
    Edge("log(-1)", Value.log, -1.0, math.nan, -1.0),
    Edge("sqrt(-1)", Value.sqrt, -1.0, math.nan, math.nan),
    Edge("sqrt(0)", Value.sqrt, 0.0, 0.0, math.inf),
    Edge("1 / Value(0)", lambda x: 1 / x, 0.0, math.inf, -math.inf),
    Edge("Value(-8) ** (1/3)", lambda x: x ** (1 / 3), -8.0, math.nan, math.nan),
    Edge("Value(10) ** 400", lambda x: x**400, 10.0, math.inf, math.inf),
    Edge("sin(inf)", Value.sin, math.inf, math.nan, math.nan),
    Edge("cos(inf)", Value.cos, math.inf, math.nan, math.nan),
]
EDGE_CASES = [pytest.param(edge, id=edge.expr) for edge in EDGES]


@pytest.mark.parametrize("edge", EDGE_CASES)
def test_edge_case_forward_gives_ieee_value_without_exception_or_warning(edge: Edge) -> None:
    with warnings_as_errors():
        out = edge.fn(Value(edge.x))
    assert same_float(out.data, edge.data), out.data


@pytest.mark.parametrize("edge", EDGE_CASES)
def test_edge_case_backward_gives_ieee_gradient_without_exception_or_warning(
        edge: Edge) -> None:
    with warnings_as_errors():
        (x,), _ = leaves_and_output(edge.fn, (edge.x,))
    assert same_float(x.grad, edge.grad), x.grad


@pytest.mark.parametrize(("x", "expected"), [(1000.0, 1.0), (-1000.0, 0.0)])
def test_sigmoid_saturates_without_overflow_at_plus_minus_1000(x: float, expected: float) -> None:
    with warnings_as_errors():
        (leaf,), out = leaves_and_output(Value.sigmoid, (x,))
    assert out.data == expected
    assert leaf.grad == 0.0 and math.isfinite(leaf.grad)


@pytest.mark.parametrize(("x", "expected"), [(1000.0, 1.0), (-1000.0, -1.0)])
def test_tanh_is_finite_and_flat_at_plus_minus_1000(x: float, expected: float) -> None:
    with warnings_as_errors():
        (leaf,), out = leaves_and_output(Value.tanh, (x,))
    assert out.data == expected
    assert leaf.grad == 0.0


# --- operand types --------------------------------------------------------------------------

BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
          "**": operator.pow}
BAD_OPERANDS = {"str": "3", "list": [1.0], "None": None, "complex": 1 + 2j}
# A class called Value with no arithmetic at all: Python's own TypeError for it is the reference.
PlainValue = type("Value", (), {})


def type_error_message(op: Callable[[object, object], object], left: object,
                       right: object) -> str:
    with pytest.raises(TypeError) as info:
        op(left, right)
    return str(info.value)


def type_error_cases() -> Iterator[object]:
    for symbol, op in BINARY.items():
        for kind, bad in BAD_OPERANDS.items():
            for side in ("Value on the left", "Value on the right"):
                yield pytest.param(op, bad, side, id=f"{symbol} {kind} {side}")


@pytest.mark.parametrize(("op", "bad", "side"), list(type_error_cases()))
def test_unsupported_operand_raises_pythons_own_type_error(
        op: Callable[[object, object], object], bad: object, side: str) -> None:
    def message(v: object) -> str:
        if side == "Value on the left":
            return type_error_message(op, v, bad)
        return type_error_message(op, bad, v)

    assert message(Value(2.0)) == message(PlainValue())


@pytest.mark.parametrize("bad", BAD_OPERANDS.values(), ids=BAD_OPERANDS.keys())
def test_constructor_rejects_non_real_data_with_type_error_naming_value(bad: object) -> None:
    with pytest.raises(TypeError, match=r"\bValue\b"):
        Value(bad)  # type: ignore[arg-type]


# --- composites -----------------------------------------------------------------------------


def primitive_kinds(root: Value) -> set[str]:
    """The elementary ops recorded in `root`'s graph ('**' for any power)."""
    return {"**" if node._op.startswith("**") else node._op
            for node in toposort(root) if node._op}


@pytest.mark.parametrize(("fn", "kinds"), [
    pytest.param(lambda x, y: x - y, {"+", "*"}, id="x - y"),
    pytest.param(lambda x, y: x / y, {"*", "**"}, id="x / y"),
    pytest.param(lambda x, y: -x, {"*"}, id="-x"),
    pytest.param(lambda x, y: 2 - x, {"+", "*"}, id="2 - x"),
    pytest.param(lambda x, y: 2 / x, {"*", "**"}, id="2 / x"),
    pytest.param(lambda x, y: 2**x, {"**"}, id="2 ** x"),
    pytest.param(lambda x, y: 2 + x, {"+"}, id="2 + x"),
    pytest.param(lambda x, y: 2 * x, {"*"}, id="2 * x"),
])
def test_derived_ops_record_only_add_mul_and_pow(fn: Callable[[Value, Value], Value],
                                                 kinds: set[str]) -> None:
    assert primitive_kinds(fn(Value(1.5), Value(-0.5))) == kinds


def test_value_to_the_value_has_base_and_exponent_as_parents() -> None:
    a, b = Value(2.0), Value(3.0)
    out = a**b
    assert len(out._parents) == 2
    assert out._parents[0] is a and out._parents[1] is b


def test_number_to_the_value_has_a_constant_base_and_the_value_as_parents() -> None:
    x = Value(3.0)
    base, exponent = (2**x)._parents
    assert base.data == 2.0 and base.is_leaf
    assert exponent is x


# --- random expression DAGs -----------------------------------------------------------------


class DagOp(NamedTuple):
    arity: int
    on_value: Callable[..., Value]
    on_float: Callable[..., float]
    kink: bool = False  # relu/abs: the operand must stay away from 0


def guarded_div(a, b):  # works on Values and floats alike
    return a / (1 + b * b)


def square(a):
    return a**2


def cube(a):
    return a**3


def inv_sqrt_one_plus_square(a):
    return (1 + a * a) ** -0.5


DAG_OPS = {
    "a + b": DagOp(2, operator.add, operator.add),
    "a - b": DagOp(2, operator.sub, operator.sub),
    "a * b": DagOp(2, operator.mul, operator.mul),
    "a / (1 + b*b)": DagOp(2, guarded_div, guarded_div),
    "tanh(a)": DagOp(1, Value.tanh, math.tanh),
    "sigmoid(a)": DagOp(1, Value.sigmoid, sigmoid),
    "exp(tanh(a))": DagOp(1, lambda a: a.tanh().exp(), lambda a: math.exp(math.tanh(a))),
    "log(1 + a*a)": DagOp(1, lambda a: (1 + a * a).log(), lambda a: math.log(1 + a * a)),
    "sqrt(1 + a*a)": DagOp(1, lambda a: (1 + a * a).sqrt(), lambda a: math.sqrt(1 + a * a)),
    "sin(a)": DagOp(1, Value.sin, math.sin),
    "cos(a)": DagOp(1, Value.cos, math.cos),
    "relu(a)": DagOp(1, Value.relu, lambda a: max(a, 0.0), kink=True),
    "abs(a)": DagOp(1, Value.abs, abs, kink=True),
    "a ** 2": DagOp(1, square, square),
    "a ** 3": DagOp(1, cube, cube),
    "(1 + a*a) ** -0.5": DagOp(1, inv_sqrt_one_plus_square, inv_sqrt_one_plus_square),
}
MAX_STEPS = 12
BOUND = 100.0  # every node stays within ±BOUND, so central differences stay accurate
KINK_MARGIN = 1e-3


class Dag(NamedTuple):
    """Inputs, then steps (op name, indices of operands among all nodes built before)."""

    inputs: tuple[float, ...]
    steps: tuple[tuple[str, tuple[int, ...]], ...]


@st.composite
def dags(draw: st.DrawFn) -> Dag:
    n_inputs = draw(st.integers(1, 3))
    inputs = tuple(draw(st.floats(-2.0, 2.0)) for _ in range(n_inputs))
    steps: list[tuple[str, tuple[int, ...]]] = []
    for _ in range(draw(st.integers(1, MAX_STEPS))):
        name = draw(st.sampled_from(sorted(DAG_OPS)))
        n_nodes = n_inputs + len(steps)
        operands = tuple(draw(st.integers(0, n_nodes - 1))
                         for _ in range(DAG_OPS[name].arity))
        steps.append((name, operands))
    return Dag(inputs, tuple(steps))


def run_dag_on_values(dag: Dag, leaves: tuple[Value, ...]) -> Value:
    nodes = list(leaves)
    for name, operands in dag.steps:
        nodes.append(DAG_OPS[name].on_value(*(nodes[i] for i in operands)))
    return nodes[-1]


def run_dag_on_floats(dag: Dag) -> float | None:
    """The DAG's output with plain floats, or None if it leaves the well-conditioned region."""
    nodes = list(dag.inputs)
    for name, operands in dag.steps:
        op = DAG_OPS[name]
        args = [nodes[i] for i in operands]
        if op.kink and abs(args[0]) < KINK_MARGIN:
            return None
        out = op.on_float(*args)
        if not abs(out) <= BOUND:
            return None
        nodes.append(out)
    return nodes[-1]


SHARED_NODE_EXAMPLES = [
    Dag((0.7,), (("a + b", (0, 0)),)),  # a + a
    Dag((-1.3,), (("a * b", (0, 0)),)),  # a * a
    Dag((0.7, -1.3), (("a * b", (0, 0)), ("a + b", (2, 1)), ("a * b", (3, 2)),
                      ("tanh(a)", (3,)), ("a / (1 + b*b)", (4, 5)))),
]


def dag_test(test: Callable[[Dag], None]) -> Callable[..., None]:
    for dag in SHARED_NODE_EXAMPLES:
        test = example(dag)(test)
    return settings(max_examples=200, deadline=None, derandomize=True,
                    database=None)(given(dags())(test))


@dag_test
def test_random_dag_gradients_match_central_differences(dag: Dag) -> None:
    assume(run_dag_on_floats(dag) is not None)
    assert gradcheck(lambda *xs: run_dag_on_values(dag, xs), *dag.inputs, rtol=1e-4, atol=1e-6)


@dag_test
def test_random_dag_forward_matches_plain_float_interpreter(dag: Dag) -> None:
    expected = run_dag_on_floats(dag)
    assume(expected is not None)
    out = run_dag_on_values(dag, tuple(Value(x) for x in dag.inputs))
    assert math.isclose(out.data, expected, rel_tol=1e-9, abs_tol=1e-9), (out.data, expected)


# --- micrograd's test_engine.py -------------------------------------------------------------
# Expected numbers computed once with PyTorch (float64) on the same expressions.


def test_micrograd_sanity_check_expression() -> None:
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    assert math.isclose(y.data, -20.0, rel_tol=1e-12)
    assert math.isclose(x.grad, 46.0, rel_tol=1e-12)


def test_micrograd_more_ops_expression() -> None:
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    assert math.isclose(g.data, 24.70408163265306, rel_tol=1e-12)
    assert math.isclose(a.grad, 138.83381924198252, rel_tol=1e-12)
    assert math.isclose(b.grad, 645.5772594752186, rel_tol=1e-12)


# --- Hjorth-Jensen's autodiff examples (TEXTBOOK example 4) ---------------------------------


@dataclass(frozen=True)
class Dual:
    """A dual number val + dot·ε with ε² = 0: forward-mode differentiation by hand."""

    val: float
    dot: float

    def __add__(self, other: Dual) -> Dual:
        return Dual(self.val + other.val, self.dot + other.dot)

    def __mul__(self, other: Dual) -> Dual:
        return Dual(self.val * other.val, self.dot * other.val + self.val * other.dot)

    def exp(self) -> Dual:
        e = math.exp(self.val)
        return Dual(e, e * self.dot)

    def sqrt(self) -> Dual:
        r = math.sqrt(self.val)
        return Dual(r, self.dot / (2.0 * r))


SQRT_1_PLUS_E = math.sqrt(1.0 + math.e)


@pytest.mark.parametrize("x0", [-1.5, -0.5, 0.0, 0.5, 1.0, 2.0])
def test_exp_of_x_squared_has_derivative_2x_exp_x_squared(x0: float) -> None:
    (x,), f = leaves_and_output(lambda x: (x**2).exp(), (x0,))
    assert math.isclose(f.data, math.exp(x0**2), rel_tol=1e-12)
    assert math.isclose(x.grad, 2 * x0 * math.exp(x0**2), rel_tol=1e-12)


def sqrt_of_square_plus_exp_square(x: Value) -> tuple[Value, Value, Value, Value]:
    a = x**2
    b = a.exp()
    c = a + b
    d = c.sqrt()
    return a, b, c, d


def test_sqrt_of_square_plus_exp_square_value_and_derivative_are_sqrt_1_plus_e_at_1() -> None:
    x = Value(1.0)
    *_, d = sqrt_of_square_plus_exp_square(x)
    d.backward()
    assert math.isclose(d.data, SQRT_1_PLUS_E, rel_tol=1e-12)
    assert math.isclose(x.grad, SQRT_1_PLUS_E, rel_tol=1e-12)


def test_sqrt_of_square_plus_exp_square_adjoints_accumulate_where_a_feeds_two_nodes() -> None:
    x = Value(1.0)
    a, b, c, d = sqrt_of_square_plus_exp_square(x)
    d.backward()
    assert d.grad == 1.0
    assert math.isclose(c.grad, 1.0 / (2.0 * math.sqrt(c.data)), rel_tol=1e-12)
    assert math.isclose(b.grad, c.grad, rel_tol=1e-12)
    assert math.isclose(a.grad, c.grad + b.grad * math.exp(a.data), rel_tol=1e-12)
    assert math.isclose(x.grad, a.grad * 2.0 * x.data, rel_tol=1e-12)


@pytest.mark.parametrize("x0", [1.0, -0.7, 1.6])
def test_forward_mode_dual_numbers_give_the_reverse_mode_derivative(x0: float) -> None:
    xd = Dual(x0, 1.0)
    ad = xd * xd
    dd = (ad + ad.exp()).sqrt()
    x = Value(x0)
    *_, d = sqrt_of_square_plus_exp_square(x)
    d.backward()
    assert math.isclose(dd.val, d.data, rel_tol=1e-12)
    assert math.isclose(dd.dot, x.grad, rel_tol=1e-12)
    if x0 == 1.0:
        assert math.isclose(dd.dot, SQRT_1_PLUS_E, rel_tol=1e-12)


# --- Skansi's 2-2-1 backpropagation step (TEXTBOOK example 1) -------------------------------

X_A, X_B, TARGET, ETA = 0.23, 0.82, 1.0, 0.7
SKANSI_WEIGHTS = {"w1": 0.1, "w2": 0.5, "w3": 0.4, "w4": 0.3, "w5": 0.2, "w6": 0.6}
BOOK_TOL = 1e-3  # the book truncates its printed numbers


def skansi_forward(w: dict[str, Value]) -> dict[str, Value]:
    """w1 A→C, w2 A→D, w3 B→C, w4 B→D, w5 C→F, w6 D→F; sigmoid everywhere, no biases."""
    y_c = (w["w1"] * X_A + w["w3"] * X_B).sigmoid()
    y_d = (w["w2"] * X_A + w["w4"] * X_B).sigmoid()
    y_f = (w["w5"] * y_c + w["w6"] * y_d).sigmoid()
    error = 0.5 * (TARGET - y_f) ** 2
    return {"y_C": y_c, "y_D": y_d, "y_F": y_f, "E": error}


def skansi_weights(values: dict[str, float]) -> dict[str, Value]:
    return {name: Value(v, label=name) for name, v in values.items()}


def skansi_sgd_step() -> dict[str, float]:
    """One simultaneous SGD step: every gradient is taken at the old weights."""
    w = skansi_weights(SKANSI_WEIGHTS)
    skansi_forward(w)["E"].backward()
    return {name: v.data - ETA * v.grad for name, v in w.items()}


def test_skansi_forward_pass_matches_book() -> None:
    out = skansi_forward(skansi_weights(SKANSI_WEIGHTS))
    printed = {"y_C": 0.5868, "y_D": 0.5892, "y_F": 0.6155, "E": 0.0739}
    assert {k: out[k].data for k in printed} == pytest.approx(printed, abs=BOOK_TOL)


def test_skansi_output_weight_gradients_match_book() -> None:
    w = skansi_weights(SKANSI_WEIGHTS)
    skansi_forward(w)["E"].backward()
    assert w["w5"].grad == pytest.approx(-0.0533, abs=BOOK_TOL)
    assert w["w6"].grad == pytest.approx(-0.0535, abs=BOOK_TOL)


def test_skansi_sgd_step_gives_book_weights() -> None:
    printed = {"w1": 0.1007, "w2": 0.502, "w3": 0.4024, "w4": 0.307, "w5": 0.2373,
               "w6": 0.6374}
    assert skansi_sgd_step() == pytest.approx(printed, abs=BOOK_TOL)


def test_skansi_forward_after_step_matches_book() -> None:
    out = skansi_forward(skansi_weights(skansi_sgd_step()))
    assert out["y_F"].data == pytest.approx(0.6261, abs=BOOK_TOL)
    assert out["E"].data == pytest.approx(0.0699, abs=BOOK_TOL)


# --- reflected operators and numpy scalars --------------------------------------------------


@pytest.mark.parametrize(("fn", "x0", "data", "grad"), [
    pytest.param(lambda x: 2 - x, 3.0, -1.0, -1.0, id="2 - x"),
    pytest.param(lambda x: 2 / x, 4.0, 0.5, -0.125, id="2 / x"),
    pytest.param(lambda x: 2**x, 3.0, 8.0, 8.0 * math.log(2.0), id="2 ** x"),
    pytest.param(lambda x: x**2.5, 4.0, 32.0, 20.0, id="x ** 2.5"),
    pytest.param(lambda x: np.float32(2) * x, 3.0, 6.0, 2.0, id="np.float32(2) * x"),
    pytest.param(lambda x: x + np.float64(1), 3.0, 4.0, 1.0, id="x + np.float64(1)"),
    pytest.param(lambda x: np.float64(5) - x, 3.0, 2.0, -1.0, id="np.float64(5) - x"),
    pytest.param(lambda x: x * np.int64(3), 3.0, 9.0, 3.0, id="x * np.int64(3)"),
])
def test_mixed_operands_give_value_with_right_data_and_grad(
        fn: Callable[[Value], Value], x0: float, data: float, grad: float) -> None:
    (x,), out = leaves_and_output(fn, (x0,))
    assert type(out) is Value
    assert type(out.data) is float
    assert math.isclose(out.data, data, rel_tol=1e-12)
    assert math.isclose(x.grad, grad, rel_tol=1e-12)


def test_value_from_numpy_float32_stores_a_python_float() -> None:
    v = Value(np.float32(1.5))
    assert type(v.data) is float
    assert v.data == 1.5


# --- repr -----------------------------------------------------------------------------------


def test_repr_before_backward_shows_grad_zero() -> None:
    assert repr(Value(2.0)) == "Value(data=2.0, grad=0.0)"


def test_repr_after_backward_shows_float_grad() -> None:
    x = Value(2.0)
    (x * 3).backward()
    assert repr(x) == "Value(data=2.0, grad=3.0)"


def test_repr_with_label_includes_label() -> None:
    assert repr(Value(2.0, label="x")) == "Value(data=2.0, grad=0.0, label='x')"


# --- grad bookkeeping -----------------------------------------------------------------------


def test_grad_is_zero_until_a_backward_reaches_the_node_as_in_micrograd() -> None:
    x, unused = Value(2.0), Value(5.0)
    y = x * x
    assert x.grad == 0.0 and y.grad == 0.0 and type(x.grad) is float
    y.backward()
    assert unused.grad == 0.0 and x.grad == 4.0


def test_every_node_in_the_graph_keeps_its_float_grad() -> None:
    x = Value(2.0)
    h = x * 3.0
    y = h.tanh()
    y.backward()
    assert y.grad == 1.0
    assert math.isclose(h.grad, 1.0 - math.tanh(6.0) ** 2, rel_tol=1e-12)
    assert all(type(node.grad) is float for node in toposort(y))


def test_backward_on_two_roots_sharing_a_leaf_adds_both_contributions() -> None:
    x = Value(2.0)
    first = x * 3.0
    second = x * x
    first.backward()
    second.backward()
    assert x.grad == 3.0 + 2 * 2.0


def test_backward_twice_on_a_retained_graph_doubles_the_grad() -> None:
    x = Value(2.0)
    y = x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad == 2 * 4.0


def test_backward_twice_on_a_freed_graph_raises_runtime_error() -> None:
    x = Value(2.0)
    y = x * x
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_backward_through_a_freed_interior_node_raises_before_changing_any_grad() -> None:
    x = Value(2.0)
    y = x * x
    z = y * 3.0
    z.backward()  # frees y's rule and z's
    w = y + x  # a new op on top of the freed y
    before = (x.grad, y.grad)
    with pytest.raises(RuntimeError, match=r"op '\*' was already freed"):
        w.backward()
    assert (x.grad, y.grad, w.grad) == (*before, 0.0)


def test_changing_a_parents_data_after_the_op_does_not_change_its_gradient() -> None:
    a, b = Value(2.0), Value(5.0)
    y = a * b
    a.data = 100.0  # the local derivatives were stored when * ran
    y.backward()
    assert (a.grad, b.grad) == (5.0, 2.0)


def test_parents_and_rule_read_as_tuples_in_the_ops_order() -> None:
    a, b = Value(2.0), Value(5.0)
    y = a * b
    assert y._parents == (a, b) and y._rule == (5.0, 2.0)
    t = a.tanh()
    assert t._parents == (a,) and len(t._rule) == 1
    assert a._parents == () and a._rule is None and a.is_leaf
    s = a + a  # both edges kept
    assert s._parents == (a, a) and s._prev == {a}


def test_a_value_holds_no_tuple_per_op() -> None:
    import gc

    a, b = Value(2.0), Value(5.0)
    y = a * b
    # the recorded op refers to its parents and derivatives directly, not through containers
    assert not any(isinstance(r, tuple) for r in gc.get_referents(y))


def test_zero_grad_resets_grad_to_zero() -> None:
    x = Value(2.0)
    (x * 3.0).backward()
    x.zero_grad()
    assert x.grad == 0.0


def test_micrograd_lecture_topological_sort_and_backward_steps_run_unchanged() -> None:
    """The lecture builds its own topological order from `_prev`, seeds `o.grad = 1.0`
    and calls each node's `_backward()` in reverse; a record formatted with `%.4f` works
    before and after (micrograd's grads start at 0.0)."""
    x1, x2, w1, w2, b = Value(2.0), Value(0.0), Value(-3.0), Value(1.0), Value(6.8813735870195432)
    o = (x1 * w1 + x2 * w2 + b).tanh()
    labels = ["{ data %.4f | grad %.4f }" % (n.data, n.grad)  # noqa: UP031 (the lecture's)
              for n in (x1, o)]
    assert labels[1] == "{ data 0.7071 | grad 0.0000 }" and o._op == "tanh"
    topo, visited = [], set()

    def build_topo(v: Value) -> None:
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child)
            topo.append(v)

    build_topo(o)
    o.grad = 1.0
    for node in reversed(topo):
        node._backward()
    assert math.isclose(x1.grad, -1.5, rel_tol=1e-9) and math.isclose(w1.grad, 1.0, rel_tol=1e-9)
    assert math.isclose(x2.grad, 0.5, rel_tol=1e-9) and w2.grad == 0.0
