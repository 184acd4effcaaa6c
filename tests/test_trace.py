"""Evaluation-trace tables: the textbook examples line by line, with exact numbers checked
against the closed-form derivatives, in text, Markdown and HTML."""

import math

import numpy as np
import pytest

from autograd_lite import Tensor, Value, draw_steps, trace_table
from autograd_lite.trace import TraceTable, local_derivative


def lines(table: TraceTable, which: str) -> list[tuple[str, str, str]]:
    return [(r.target, r.op, r.rule) for r in getattr(table, which)]


def test_hjorth_jensen_sqrt_example_forward_and_reverse_at_x_1():
    # f(x) = √(x² + exp x²) with a = x², b = exp a, c = a + b, d = √c: f = f' = √(1+e)
    x = Value(1.0, label="x")
    a = x ** 2
    f = (a + a.exp()).sqrt()
    table = trace_table(f, output="f")
    assert lines(table, "forward") == [
        ("v₀", "=", "x"), ("v₁", "=", "v₀^2"), ("v₂", "=", "exp(v₁)"),
        ("v₃", "=", "v₁ + v₂"), ("v₄", "=", "sqrt(v₃)"), ("f", "=", "v₄")]
    assert lines(table, "reverse") == [
        ("v̄₄", "=", "seed"), ("v̄₃", "+=", "v̄₄ · 1/(2·v₄)"), ("v̄₁", "+=", "v̄₃ · 1"),
        ("v̄₂", "+=", "v̄₃ · 1"), ("v̄₁", "+=", "v̄₂ · v₂"), ("v̄₀", "+=", "v̄₁ · 2·v₀"),
        ("x̄", "=", "v̄₀")]
    root = math.sqrt(1 + math.e)
    forward = [r.value for r in table.forward]
    assert forward == pytest.approx([1, 1, math.e, 1 + math.e, root, root])
    reverse = table.reverse
    c_bar = 1 / (2 * root)
    assert [r.value for r in reverse] == pytest.approx(
        [1, c_bar, c_bar, c_bar, c_bar * math.e, 2 * c_bar * (1 + math.e), root])
    assert reverse[4].total == pytest.approx(c_bar * (1 + math.e))  # a's two shares summed
    assert not reverse[4].first and reverse[2].first
    assert [r.step for r in reverse] == [1, 1, 2, 2, 3, 4, 5]


def test_hjorth_jensen_exp_example_matches_the_closed_form():
    x = Value(1.5, label="x")
    table = trace_table((x ** 2).exp())
    assert table.reverse[-1].value == pytest.approx(2 * 1.5 * math.exp(1.5 ** 2))
    assert "v₂ = exp(v₁)" in " ".join(table.text.split())


def test_baydin_table_2_on_scalar_tensors():
    # Baydin et al. (2018), Table 2: f(x1, x2) = ln x1 + x1·x2 − sin x2 at (2, 5)
    x1 = Tensor(2.0, dtype=np.float64, requires_grad=True, label="x1")
    x2 = Tensor(5.0, dtype=np.float64, requires_grad=True, label="x2")
    v1, v2, v3 = x1.log(), x1 * x2, x2.sin()
    y = v1 + v2 - v3
    table = trace_table(y, inputs=(x1, x2))
    assert lines(table, "forward")[:7] == [
        ("v₋₁", "=", "x1"), ("v₀", "=", "x2"), ("v₁", "=", "log(v₋₁)"),
        ("v₂", "=", "v₋₁ · v₀"), ("v₃", "=", "sin(v₀)"), ("v₄", "=", "v₁ + v₂"),
        ("v₅", "=", "v₄ − v₃")]
    assert [float(r.value) for r in table.forward[:7]] == pytest.approx(
        [2, 5, 0.693, 10, -0.959, 10.693, 11.652], abs=1e-3)
    expected = [
        ("v̄₅", "seed", 1), ("v̄₄", "v̄₅ · 1", 1), ("v̄₃", "v̄₅ · (−1)", -1),
        ("v̄₁", "v̄₄ · 1", 1), ("v̄₂", "v̄₄ · 1", 1), ("v̄₀", "v̄₃ · cos v₀", -math.cos(5)),
        ("v̄₋₁", "v̄₂ · v₀", 5), ("v̄₀", "v̄₂ · v₋₁", 2), ("v̄₋₁", "v̄₁ · 1/v₋₁", 0.5),
        ("x̄1", "v̄₋₁", 5.5), ("x̄2", "v̄₀", 2 - math.cos(5))]
    assert [(r.target, r.rule) for r in table.reverse] == [(t, rule) for t, rule, _ in expected]
    assert [float(r.value) for r in table.reverse] == pytest.approx([v for *_, v in expected])


def test_small_tensor_example_matches_the_closed_form():
    W = Tensor(np.array([[1.0, -2.0], [0.5, 0.25]]), requires_grad=True, label="W")
    x = Tensor(np.array([[0.3], [-0.7]]), label="x")
    y = (W @ x).tanh().sum()
    table = trace_table(y)
    rows = {r.target: r for r in table.reverse}
    expected = (1 - np.tanh(W.data @ x.data) ** 2) @ x.data.T  # ∂y/∂W
    np.testing.assert_allclose(rows["W̄"].value, expected)
    assert ("v̄₀", "+=", "v̄₁ @ xᵀ") in lines(table, "reverse")
    assert ("v̄₁", "+=", "v̄₂ ⊙ (1 − v₂²)") in lines(table, "reverse")
    assert ("x", "=", "constant") in lines(table, "forward")
    assert W.grad is None  # the table replays the sweep; backward was never called


def test_broadcast_shares_say_they_are_summed():
    b = Tensor([1.0, 2.0], requires_grad=True)
    y = (Tensor(np.ones((3, 2))) + b).sum()
    rule = [r.rule for r in trace_table(y).reverse if r.target == "v̄₀"][0]
    assert rule == "v̄₁ ⊙ 1, summed to (2,)"


def test_the_three_layouts_hold_the_same_lines():
    x, y = Value(3.0, label="x"), Value(2.0, label="y")
    table = trace_table(x * y, inputs=(x, y))
    text = table.text
    assert str(table) == text
    assert "v₁ = v₋₁ · v₀ = 6" in " ".join(text.split())
    assert "v̄₋₁ += v̄₁ · v₀ = 1 · 2 = 2" in " ".join(text.split())
    markdown = table.markdown
    assert "| 1 | v̄₋₁ += | v̄₁ · v₀ | 1 · 2 | 2 |  |" in markdown
    html = table._repr_html_()
    assert html.count("<table") == 2 and "<td>v̄₋₁</td><td>+=</td>" in html


def test_long_input_names_get_their_gradient_as_a_partial():
    w = Value(0.5, label="0.weight")
    rows = trace_table(w * 3.0, output="loss").reverse
    assert rows[-1].target == "∂loss/∂0.weight" and rows[-1].value == 3.0


def test_html_escapes_labels():
    x = Value(1.0, label="<b>")
    assert "&lt;b&gt;" in trace_table(x.exp())._repr_html_()


def test_local_derivatives_in_textbook_notation():
    assert local_derivative("*", 0, ["v₁", "v₂"], "v₃") == "v₂"
    assert local_derivative("**3", 0, ["v₁"], "v₂") == "3·v₁^2"
    assert local_derivative("tanh", 0, ["v₁"], "v₂") == "1 − v₂²"
    assert local_derivative("softmax", 0, ["v₁"], "v₂") == "∂v₂/∂v₁"


def test_same_numbering_as_the_step_view():
    x = Value(0.5, label="x")
    f = (x * x.sin()).tanh()
    assert trace_table(f).sweep.names == draw_steps(f).sweep.names


def test_bad_arguments_name_trace_table():
    with pytest.raises(TypeError, match="trace_table: expected a Value or Tensor"):
        trace_table([1.0])
    with pytest.raises(TypeError, match="trace_table: output must be a name"):
        trace_table(Value(1.0).exp(), output=3)
