"""The command line's expression language: a whitelist, never Python's eval."""

import builtins
import math
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_lite import Value
from autograd_lite.cli.expr import FUNCTIONS, MAX_DEPTH, MAX_LENGTH, ExprError, evaluate, parse


def value_of(source: str, **variables: float) -> float:
    return evaluate(parse(source), variables).data


# --- what is allowed ------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "expected"), [
    ("1 + 2 * 3", 7.0),
    ("(1 + 2) * 3", 9.0),
    ("2 ** 3 ** 2", 512.0),  # right-associative, as in Python
    ("-2 ** 2", -4.0),  # unary minus binds looser than **
    ("+3 - -2", 5.0),
    ("7 / 2", 3.5),
    ("1e3 + 1_000 + 0x10 + .5", 2016.5),
    ("x * y - x / y", 2.0 * -3.0 - 2.0 / -3.0),
    ("sqrt(x**2 + exp(x**2))", math.sqrt(4 + math.exp(4))),
])
def test_arithmetic_follows_python_precedence(source, expected):
    assert value_of(source, x=2.0, y=-3.0) == pytest.approx(expected)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_every_function_matches_the_value_method(name):
    x = Value(0.7)
    expected = getattr(x, name)().data
    assert value_of(f"{name}(x)", x=0.7) == pytest.approx(expected, nan_ok=True)
    assert value_of(f"{name}(0.7)") == pytest.approx(expected, nan_ok=True)  # folded


def test_gradients_flow_to_the_variables():
    x, y = Value(2.0, label="x"), Value(-3.0, label="y")
    f = evaluate(parse("x*y + sin(x)*exp(y)"), {"x": x, "y": y})
    f.backward()
    assert x.grad == pytest.approx(-3.0 + math.cos(2.0) * math.exp(-3.0))
    assert y.grad == pytest.approx(2.0 + math.sin(2.0) * math.exp(-3.0))


def test_closed_form_sqrt_one_plus_e():
    x = Value(1.0)
    f = evaluate("sqrt(x**2 + exp(x**2))", {"x": x})
    f.backward()
    assert f.data == pytest.approx(math.sqrt(1 + math.e))
    assert x.grad == pytest.approx(math.sqrt(1 + math.e))


def test_variables_are_listed_in_order_of_first_use_and_unused_ones_are_ignored():
    expr = parse("y * x + y")
    assert expr.variables == ("y", "x")
    assert evaluate(expr, {"x": 1.0, "y": 2.0, "unused": 9.0}).data == 4.0


def test_constant_exponent_records_one_op():
    x = Value(3.0, label="x")
    f = evaluate("x**2", {"x": x})
    assert f._op == "**2" and f._parents == (x,)


def test_a_constant_expression_is_a_value_without_parents():
    f = evaluate("2 * 3", {})
    assert isinstance(f, Value) and f.data == 6.0 and f._parents == ()


def test_ieee_semantics_for_domain_errors_and_overflow():
    assert math.isnan(value_of("log(x)", x=-1.0))
    assert math.isnan(value_of("sqrt(-1)"))
    assert math.isnan(value_of("(-8) ** (1/3)"))
    assert value_of("1/0") == math.inf
    assert value_of("log(0)") == -math.inf
    assert value_of("exp(1000)") == math.inf
    assert value_of("1" * 400) == math.inf  # an int literal beyond float range


def test_power_towers_are_bounded():
    start = time.perf_counter()
    assert value_of("9**9**9") == math.inf
    assert value_of("9**9**9**9") == math.inf
    assert value_of("x**9**9**9", x=9.0) == math.inf
    assert time.perf_counter() - start < 0.1


def test_long_chains_are_evaluated_without_recursion():
    chain = "+".join(["x"] * 499)  # 997 characters, 498 nested additions
    assert value_of(chain, x=1.0) == 499.0
    assert value_of("-" * 998 + "x", x=1.0) == 1.0  # 998 nested negations
    assert value_of("x" + "**x" * 300, x=1.0) == 1.0


def test_nesting_up_to_the_limit_is_allowed():
    source = "(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH
    assert value_of(source, x=2.0) == 2.0


def test_never_uses_eval_or_exec(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec must not be called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    assert value_of("exp(x) + 1", x=0.0) == 2.0


# --- what is refused ------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "message"), [
    ("x.__class__", "attribute access is not allowed: x.__class__"),
    ("().__class__.__bases__", "attribute access is not allowed: ().__class__.__bases__"),
    ("__import__('os').system('touch PWNED')", "attribute access is not allowed"),
    ("__import__('os')", "dunder names are not allowed: __import__"),
    ("__builtins__", "dunder names are not allowed: __builtins__"),
    ("open('f')", "unknown function open"),
    ("eval('1')", "unknown function eval"),
    ("x[0]", "indexing is not allowed: x[0]"),
    ("lambda: 0", "lambda is not allowed: lambda: 0"),
    ("[x for x in ()]", "a comprehension is not allowed: [x for x in ()]"),
    ("{x for x in ()}", "a comprehension is not allowed"),
    ("(x for x in ())", "a generator expression is not allowed"),
    ("[1, 2]", "a list is not allowed"),
    ("(1, 2)", "a tuple is not allowed"),
    ("{'a': 1}", "a dict is not allowed"),
    ("'a' * 9**9", "strings are not allowed: 'a'"),
    ("b'a'", "bytes are not allowed: b'a'"),
    ("f'{x}'", "an f-string is not allowed: f'{x}'"),
    ("1j", "complex numbers are not allowed: 1j"),
    ("True", "only numbers are allowed as constants, not True"),
    ("None", "only numbers are allowed as constants, not None"),
    ("x < 1", "a comparison is not allowed: x < 1"),
    ("x and y", "a boolean operator (and, or) is not allowed: x and y"),
    ("not x", "operator not is not allowed: not x"),
    ("~x", "operator ~ is not allowed: ~x"),
    ("x // 2", "operator // is not allowed: x // 2"),
    ("x % 2", "operator % is not allowed: x % 2"),
    ("x @ y", "operator @ is not allowed"),
    ("x if y else 1", "a conditional expression is not allowed"),
    ("(y := 2)", "assignment (:=) is not allowed: y := 2"),
    ("exp(x=1)", "keyword arguments are not allowed: exp(x=1)"),
    ("exp(**d)", "keyword arguments are not allowed"),
    ("exp(*x)", "starred arguments are not allowed: exp(*x)"),
    ("exp(x, y)", "exp takes exactly one argument, got 2"),
    ("exp()", "exp takes exactly one argument, got 0"),
    ("exp", "exp is a function"),
    ("foo(x)", "unknown function foo"),
    ("(lambda: 0)()", "only the functions"),
    ("x +", "invalid syntax"),
    ("x = 1", "invalid syntax at column 3: x = 1 (an expression has no '='"),
    ("", "the expression is empty"),
    ("   ", "the expression is empty"),
])
def test_refused_with_a_message_naming_the_offending_part(source, message):
    with pytest.raises(ExprError) as error:
        parse(source)
    assert message in str(error.value)


@pytest.mark.parametrize(("source", "fix"), [
    ("x^2", "x**2"),
    ("x^2 + 1", "x**2 + 1"),  # the whole expression, as meant (^ binds looser than +)
    ("exp(-x^2)", "exp(-x**2)"),
])
def test_a_caret_is_refused_with_the_power_operator_as_the_fix(source, fix):
    with pytest.raises(ExprError) as error:
        parse(source)
    assert str(error.value).startswith("operator ^ is not allowed: ")
    assert str(error.value).endswith(f"(use ** for powers: {fix})")
    value_of(fix, x=2.0)  # the suggested fix parses


def test_line_breaks_count_as_spaces():
    assert value_of("x +\ny", x=1.0, y=2.0) == 3.0
    assert value_of("x\n+ y", x=1.0, y=2.0) == 3.0  # not `invalid syntax at column 1`
    assert value_of("sqrt(x**2\r\n     + 1)", x=0.0) == 1.0
    assert parse("x +\ny").source == "x + y"


@pytest.mark.parametrize(("source", "message"), [
    ("x + +* y", "invalid syntax at column 6: x + +* y"),
    ("  x +\n+* y", "invalid syntax at column 6: x + +* y"),  # of the text quoted
    ("exp(x", "invalid syntax ('(' was never closed) at column 4: exp(x"),
])
def test_a_syntax_error_gives_the_column_in_the_text_it_quotes(source, message):
    with pytest.raises(ExprError) as error:
        parse(source)
    assert str(error.value) == message
    column = int(message.split("column ")[1].split(":")[0])
    quoted = message.split(": ", 1)[1]
    assert quoted[column - 1] in "*("


def test_a_syntax_error_in_a_long_expression_quotes_the_part_around_it():
    source = "x+" * 40 + "*x" + "+x" * 20
    with pytest.raises(ExprError) as error:
        parse(source)
    message = str(error.value)
    assert "at column 81: …" in message and "+*x" in message and len(message) < 120


def test_e_and_pi_are_constants():
    assert value_of("e") == pytest.approx(math.e)
    assert value_of("pi") == pytest.approx(math.pi)
    assert value_of("cos(pi) + log(e)") == pytest.approx(0.0, abs=1e-12)
    expr = parse("e**x * pi")
    assert expr.variables == ("x",)  # nothing to pass for e and pi
    x = Value(1.0)
    f = evaluate(expr, {"x": x})
    f.backward()
    assert f.data == pytest.approx(math.e * math.pi) and x.grad == pytest.approx(math.e * math.pi)


def test_a_variable_named_e_or_pi_takes_precedence_over_the_constant():
    e, x = Value(2.0), Value(3.0)
    f = evaluate(parse("e*x + pi"), {"e": e, "x": x})
    f.backward()
    assert f.data == pytest.approx(6.0 + math.pi)
    assert e.grad == 3.0 and x.grad == 2.0
    assert value_of("pi * r**2", r=2.0, pi=3.0) == 12.0


def test_too_long_is_refused_before_parsing():
    source = "x+" * 50_000 + "x"
    start = time.perf_counter()
    with pytest.raises(ExprError, match=r"too long \(100001 characters; the limit is 1000\)"):
        parse(source)
    assert time.perf_counter() - start < 0.01
    assert len("x" * MAX_LENGTH) == MAX_LENGTH
    parse("x" * MAX_LENGTH)  # exactly at the limit: fine


def test_too_deep_is_refused_before_parsing():
    deep = "(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1)
    with pytest.raises(ExprError, match="nests brackets 101 deep; the limit is 100"):
        parse(deep)
    with pytest.raises(ExprError, match="too long"):  # 1000 levels are also too long
        parse("(" * 1000 + "x" + ")" * 1000)


def test_null_bytes_and_non_strings_are_refused():
    with pytest.raises(ExprError):
        parse("x\0")
    with pytest.raises(ExprError, match="must be a string"):
        parse(b"x")  # type: ignore[arg-type]


def test_a_missing_variable_is_named():
    with pytest.raises(ExprError, match=r"no value given for variable y \(pass y=NUMBER\)"):
        evaluate(parse("x * y"), {"x": 1.0})
    with pytest.raises(ExprError, match="variables a, b"):
        evaluate(parse("a + b"), {})


def test_a_non_numeric_variable_value_is_refused():
    with pytest.raises(ExprError, match="must be a number"):
        evaluate(parse("x"), {"x": "1"})  # type: ignore[dict-item]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="xy0129.e+-*/()[],_'\" abcdlogexpsqrt:=<", max_size=80))
def test_any_text_is_either_an_expression_or_an_expr_error(source):
    try:
        expr = parse(source)
    except ExprError:
        return
    result = evaluate(expr, {name: 0.5 for name in expr.variables})
    assert isinstance(result, Value)


# --- hostile input (the command line runs the same sources in test_cli.py) -----------------

INJECTIONS = {
    "import": "__import__('os').system('touch PWNED')",
    "bases": "().__class__.__bases__",
    "open": "open('f')",
    "lambda": "lambda: 0",
    "dunder attribute": "x.__class__",
    "comprehension": "[x for x in ()]",
    "string repeat": "'a'*9**9",
    "power tower": "9**9**9",
    "long": "x+" * 50_000 + "x",
    "deep": "(" * 1000 + "x" + ")" * 1000,
}


@pytest.mark.parametrize("source", INJECTIONS.values(), ids=INJECTIONS.keys())
def test_hostile_expressions_are_checked_in_bounded_time(source):
    start = time.perf_counter()
    try:
        result = evaluate(parse(source), {"x": 1.0})
    except ExprError as e:
        assert str(e)
    else:
        assert source == "9**9**9" and result.data == math.inf
    assert time.perf_counter() - start < 1.0
