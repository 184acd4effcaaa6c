"""draw_graph: the DOT it writes (nodes, edges, labels, ids) and the diagram it renders."""

import re

import graphviz
import numpy as np
import pytest

from autograd_lite import Diagram, Value, draw_graph


def neuron():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    o = n.tanh()
    o.label = "o"
    return o


def records(source):
    return re.findall(r'^\s*(v\d+) \[label="\{ (.*?) \}"', source, flags=re.M)


def op_nodes(source):
    return re.findall(r'^\s*(v\d+_op) \[label=(\S+)', source, flags=re.M)


def edges(source):
    return re.findall(r"^\s*(\w+) -> (\w+)", source, flags=re.M)


def test_one_record_per_value_and_one_small_node_per_op():
    source = draw_graph(neuron()).source
    assert len(records(source)) == 10  # 5 leaves, 2 products, 2 sums, tanh
    ops = [label.strip('"') for _, label in op_nodes(source)]
    assert sorted(ops) == sorted(["*", "*", "+", "+", "tanh"])
    assert isinstance(draw_graph(neuron()), graphviz.Digraph)


def test_a_value_used_twice_by_one_op_is_one_arrow_labelled_x2():
    a = Value(3.0, label="a")
    source = draw_graph(a + a).source
    assert edges(source).count(("v0", "v1_op")) == 1
    assert re.search(r'v0 -> v1_op \[xlabel="×2"\]', source)
    b = Value(2.0)
    c = a * b + a  # a feeds two different ops: an arrow to each
    assert len(edges(draw_graph(c).source)) == 2 + 1 + 2 + 1
    assert "xlabel" not in draw_graph(c).source


def test_records_show_label_data_and_grad_zero_for_values_before_backward():
    o = neuron()  # a Value's grad starts at 0.0, as in micrograd (a Tensor's at None: "—")
    fields = dict(records(draw_graph(o).source))
    assert "x1 | data 2.0000 | grad 0.0000" in fields.values()
    assert "o | data 0.7071 | grad 0.0000" in fields.values()
    o.backward()
    fields = dict(records(draw_graph(o).source))
    assert "o | data 0.7071 | grad 1.0000" in fields.values()
    assert "w1 | data -3.0000 | grad 1.0000" in fields.values()
    assert "x2 | data 0.0000 | grad 0.5000" in fields.values()


def test_a_zero_gradient_is_shown_as_zero_not_as_a_dash():
    x = Value(-1.0, label="x")
    y = x.relu()
    y.backward()
    assert "x | data -1.0000 | grad 0.0000" in dict(records(draw_graph(y).source)).values()


def test_show_data_and_show_grad_can_be_turned_off():
    source = draw_graph(neuron(), show_data=False, show_grad=False).source
    assert {fields for _, fields in records(source)} >= {"x1", "w1", "o"}
    assert "data " not in source and "grad " not in source


def test_large_and_small_numbers_use_scientific_notation():
    x = Value(123456.0, label="big") * Value(1e-7, label="small")
    fields = list(dict(records(draw_graph(x).source)).values())
    assert "big | data 1.235e+05 | grad 0.0000" in fields
    assert "small | data 1.000e-07 | grad 0.0000" in fields


def test_node_ids_follow_topological_order_and_the_source_is_deterministic():
    first, second = draw_graph(neuron()).source, draw_graph(neuron()).source
    assert first == second
    ids = [nid for nid, _ in records(first)]
    assert ids == [f"v{i}" for i in range(len(ids))]


def test_output_is_highlighted():
    source = draw_graph(neuron()).source
    highlighted = re.findall(r"^\s*(v\d+) .*fillcolor", source, flags=re.M)
    assert highlighted == ["v9"]


def test_rankdir_is_passed_through_and_validated():
    assert "rankdir=TB" in draw_graph(neuron(), rankdir="TB").source
    with pytest.raises(ValueError, match="rankdir must be one of LR, RL, TB, BT"):
        draw_graph(neuron(), rankdir="sideways")


def test_max_nodes_guard_names_the_size_and_the_way_out():
    y = Value(1.0)
    for _ in range(30):
        y = y * 1.5
    with pytest.raises(ValueError, match=r"61 values, more than max_nodes=20.*max_nodes=61"):
        draw_graph(y, max_nodes=20)
    assert len(records(draw_graph(y, max_nodes=61).source)) == 61


def test_drawing_a_deep_graph_does_not_recurse():
    y = Value(0.1)
    for _ in range(20_000):
        y = y.sin()
    assert len(records(draw_graph(y, max_nodes=10**6).source)) == 20_001


def test_labels_with_record_syntax_are_escaped_and_render():
    x = Value(1.0, label='a|b {c} <d> "e" \\')
    diagram = draw_graph(x * 2.0)
    assert r'a\|b \{c\} \<d\> \"e\" \\' in diagram.source
    svg = diagram.pipe(format="svg", encoding="utf-8")
    assert "a|b {c} &lt;d&gt; &quot;e&quot; \\" in svg


def test_draw_graph_refuses_things_that_are_not_graph_nodes():
    with pytest.raises(TypeError, match="expected a Value or Tensor, got float"):
        draw_graph(1.0)


def test_diagram_displays_inline_in_jupyter_as_svg():
    bundle = draw_graph(neuron())._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"]
    assert "<svg" in bundle["image/svg+xml"] and "tanh" in bundle["image/svg+xml"]


def test_render_writes_svg_and_png_files(tmp_path):
    diagram = draw_graph(neuron())
    assert isinstance(diagram, Diagram)
    svg = diagram.render(tmp_path / "graph", format="svg")
    assert svg == str(tmp_path / "graph.svg")
    assert (tmp_path / "graph").read_text().startswith("digraph")  # the DOT source, as graphviz
    assert "<svg" in (tmp_path / "graph.svg").read_text()
    png = diagram.render(outfile=tmp_path / "exact.png")
    assert png == str(tmp_path / "exact.png")
    assert (tmp_path / "exact.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_render_cleanup_keeps_only_the_picture(tmp_path):
    draw_graph(neuron()).render(tmp_path / "g", format="svg", cleanup=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.svg"]


# --- Tensor graphs ---------------------------------------------------------------------------

def tensor_graph():
    from autograd_lite import Tensor

    W = Tensor(np.arange(6, dtype=np.float32).reshape(3, 2) / 10, requires_grad=True, label="W")
    x = Tensor(np.ones((4, 3)), dtype=np.float32, label="x")
    out = ((x @ W).tanh() ** 2).mean()
    out.label = "loss"
    return W, out


def test_tensor_records_show_shape_dtype_and_role():
    W, out = tensor_graph()
    fields = [f for _, f in records(draw_graph(out).source)]
    assert any(f.startswith("x (input) | (4, 3) float32") for f in fields)
    assert any(f.startswith("W (parameter) | (3, 2) float32") for f in fields)
    assert any(f.startswith("loss (output) | () float32") for f in fields)
    assert any(f.startswith("constant | () float32 | data [2]") for f in fields)
    assert any(f.startswith("(4, 2) float32") for f in fields)  # an interior value


def test_inputs_parameters_and_output_are_coloured_differently():
    source = draw_graph(tensor_graph()[1]).source
    colour = dict(re.findall(r'label="\{ (\w+) \(\w+\).*fillcolor=(\w+)', source))
    assert len({colour["x"], colour["W"], colour["loss"]}) == 3


def test_tensor_grad_shows_a_dash_before_backward_and_values_after():
    W, out = tensor_graph()
    before = [f for _, f in records(draw_graph(out).source) if f.startswith("W ")][0]
    assert before.endswith("grad —")
    out.backward()
    after = [f for _, f in records(draw_graph(out).source) if f.startswith("W ")][0]
    assert re.search(r"grad \[(-?[\d.e-]+, ){5}-?[\d.e-]+\]$", after)


def test_large_tensors_show_their_range_not_every_value():
    from autograd_lite import Tensor

    t = Tensor(np.linspace(-2, 3, 100), label="big")
    assert "big (output) | (100,) float64 | data [-2.0000 … 3.0000]" in draw_graph(t).source


def test_tensor_diagram_renders_and_keeps_the_max_nodes_guard(tmp_path):
    _, out = tensor_graph()
    diagram = draw_graph(out)
    assert "<svg" in diagram.pipe("svg", encoding="utf-8")
    with pytest.raises(ValueError, match="more than max_nodes=3"):
        draw_graph(out, max_nodes=3)
