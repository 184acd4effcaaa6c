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


# --- names, modules and every adjoint ----------------------------------------------------------

def mlp_loss(retain_grad=False):
    """A 2-4-2 nn.Sequential and its loss on three points, after backward."""
    import nn
    from autograd_lite import Tensor, manual_seed

    manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2))
    x = Tensor(np.ones((3, 2), np.float32), label="x")
    loss = nn.functional.cross_entropy(model(x), np.array([0, 1, 1]))
    loss.backward(retain_grad=retain_grad)
    return model, loss


def clusters(source):
    """Each box's label and the record ids directly or indirectly inside it."""
    boxes, stack = {}, []
    for line in source.splitlines():
        if m := re.match(r"\s*subgraph (cluster_\d+) \{", line):
            stack.append(m.group(1))
            boxes[m.group(1)] = {"label": None, "nodes": []}
        elif m := re.match(r'\s*label="(.*?)" style=', line):
            boxes[stack[-1]]["label"] = m.group(1)
        elif line.strip() == "}" and stack:
            stack.pop()
        elif m := re.match(r"\s*(v\d+|m\d+) \[label", line):
            for box in stack:
                boxes[box]["nodes"].append(m.group(1))
    return {box["label"]: box["nodes"] for box in boxes.values()}


def test_module_parameters_are_named_by_their_state_dict_names():
    _, loss = mlp_loss()
    fields = [f for _, f in records(draw_graph(loss).source)]
    assert any(f.startswith("0.weight (parameter) | (4, 2) float32") for f in fields)
    assert any(f.startswith("2.bias (parameter) | (2,) float32") for f in fields)


def test_params_mapping_names_tensors_as_torchviz_make_dot_does():
    from autograd_lite import Tensor

    model, loss = mlp_loss()
    named = {f"net.{k}": v for k, v in model.named_parameters()}
    fields = [f for _, f in records(draw_graph(loss, params=named).source)]
    assert any(f.startswith("net.0.weight (parameter)") for f in fields)
    w = Tensor(np.ones(2, np.float32), requires_grad=True)
    fields = [f for _, f in records(draw_graph((w * 2).sum(), params={"w": w}).source)]
    assert any(f.startswith("w (parameter)") for f in fields)
    with pytest.raises(TypeError, match="params must map names to Tensors"):
        draw_graph(loss, params=[("w", w)])


def test_a_label_set_by_the_caller_wins_over_the_state_dict_name():
    import nn
    from autograd_lite import Tensor

    layer = nn.Linear(2, 1)
    layer.weight.label = "W"
    fields = [f for _, f in records(draw_graph(layer(Tensor(np.ones((1, 2)))).sum()).source)]
    assert any(f.startswith("W (parameter)") for f in fields)
    assert any(f.startswith("bias (parameter)") for f in fields)


def test_a_tensor_labelled_none_draws_and_other_labels_are_refused():
    from autograd_lite import Tensor

    t = Tensor([1.0, 2.0], label=None, requires_grad=True)
    assert t.label == ""
    assert "(2,) float32" in draw_graph((t * 2).sum()).source
    t.label = None  # set later: still drawn
    assert "(2,) float32" in draw_graph((t * 2).sum()).source
    with pytest.raises(TypeError, match="Tensor: label must be a string"):
        Tensor([1.0], label=3)


def test_module_calls_are_boxed_with_their_names_and_nested():
    _, loss = mlp_loss()
    boxes = clusters(draw_graph(loss).source)
    assert set(boxes) == {"Sequential", "0: Linear(2→4)", "1: ReLU", "2: Linear(4→2)"}
    inner = boxes["0: Linear(2→4)"] + boxes["1: ReLU"] + boxes["2: Linear(4→2)"]
    assert sorted(boxes["Sequential"]) == sorted(inner)
    fields = dict(records(draw_graph(loss).source))
    weight = next(n for n, f in fields.items() if f.startswith("0.weight"))
    assert weight in boxes["0: Linear(2→4)"]  # a parameter sits in its module's box
    x = next(n for n, f in fields.items() if f.startswith("x (input)"))
    assert x not in boxes["Sequential"]  # the input and the loss are outside the model
    assert len(boxes["1: ReLU"]) == 1


def test_collapse_true_draws_each_innermost_module_as_one_node():
    _, loss = mlp_loss()
    source = draw_graph(loss, collapse=True).source
    fields = [f for _, f in records(source)]
    nodes = re.findall(r'^\s*(m\d+) \[label="\{ (.*?) \}"', source, flags=re.M)
    assert [f for _, f in nodes] == ["0: Linear(2→4) | out (3, 4) float32",
                                     "1: ReLU | out (3, 4) float32",
                                     "2: Linear(4→2) | out (3, 2) float32"]
    assert not any("weight" in f for f in fields)
    m = [n for n, _ in nodes]
    assert (m[0], m[1]) in edges(source) and (m[1], m[2]) in edges(source)
    assert list(clusters(source)) == ["Sequential"]


def test_collapse_at_a_depth_draws_the_calls_at_that_depth_as_nodes():
    _, loss = mlp_loss()
    source = draw_graph(loss, collapse=0).source
    assert re.findall(r'^\s*m\d+ \[label="\{ (.*?) \}"', source, flags=re.M) == [
        "Sequential | out (3, 2) float32"]
    assert len(records(source)) == 2 and "subgraph" not in source  # x and the loss
    assert draw_graph(loss, collapse=1).source == draw_graph(loss, collapse=True).source
    with pytest.raises(ValueError, match="collapse must be True, False or a depth >= 0"):
        draw_graph(loss, collapse=-1)


def test_max_nodes_counts_what_is_drawn_and_suggests_collapse_for_modules():
    _, loss = mlp_loss()
    with pytest.raises(ValueError, match=r"9 values, more than max_nodes=5.*collapse=True"):
        draw_graph(loss, max_nodes=5)
    assert draw_graph(loss, max_nodes=5, collapse=0)  # 3 nodes drawn


def test_module_spans_keep_no_graph_alive_and_cost_nothing_under_no_grad():
    import gc
    import weakref

    import nn
    from autograd_lite import Tensor, no_grad

    layer = nn.Linear(2, 2)
    x = Tensor(np.ones((1, 2), np.float32))
    out = layer(x) * 2  # out's parent: the layer's output, spans attached, nothing else keeps it
    inner = weakref.ref(out._parents[0])
    assert hasattr(inner(), "_spans")
    gc.disable()  # freed by reference counting alone: no cycle through the span
    try:
        del out
        assert inner() is None
    finally:
        gc.enable()
    with no_grad():
        assert not hasattr(layer(x), "_spans")
    assert not hasattr(layer(x), "_changes")  # and recorded outputs only get `_spans`


def test_interior_gradients_are_not_kept_by_default_and_say_so():
    _, loss = mlp_loss()
    fields = [f for _, f in records(draw_graph(loss).source)]
    interior = [f for f in fields if f.startswith("(3, 4) float32")]
    assert interior and all(f.endswith("grad not kept") for f in interior)


def test_backward_retain_grad_keeps_every_interior_gradient_for_the_diagram():
    from autograd_lite import Tensor

    x = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = x * x
    z = y.tanh()
    z.sum().backward(retain_grad=True)
    np.testing.assert_allclose(z.grad, np.ones(3))
    np.testing.assert_allclose(y.grad, 1 - np.tanh(y.data) ** 2, rtol=1e-6)
    np.testing.assert_allclose(x.grad, y.grad * 2 * x.data, rtol=1e-6)
    _, loss = mlp_loss(retain_grad=True)
    fields = [f for _, f in records(draw_graph(loss).source)]
    assert not any(f.endswith(("grad not kept", "grad —")) for f in fields)


def test_retain_grads_block_covers_backward_calls_inside_it_only():
    from autograd_lite import Tensor, retain_grads

    x = Tensor([1.0, 2.0], requires_grad=True)
    with retain_grads():
        y = x * 3
        y.sum().backward()
    np.testing.assert_allclose(y.grad, [1.0, 1.0])
    y2 = x * 3
    y2.sum().backward()
    assert y2.grad is None  # off again after the block


def test_retained_interior_gradients_are_freed_with_the_graph():
    import gc
    import weakref

    from autograd_lite import Tensor

    x = Tensor(np.ones(1000), requires_grad=True)
    y = x.exp()
    loss = y.sum()
    loss.backward(retain_grad=True)
    kept = weakref.ref(y)
    assert y.grad is not None
    gc.disable()
    try:
        del y, loss
        assert kept() is None  # the interior node and its gradient go with the graph
    finally:
        gc.enable()


# --- readable by default, bounded layout -------------------------------------------------------

def test_direction_is_left_to_right_for_small_graphs_and_top_to_bottom_for_deep_ones():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    assert "rankdir=LR" in draw_graph((a * b).tanh()).source  # fits a page across
    assert "rankdir=TB" in draw_graph(neuron()).source  # 1330 pt across, 670 pt down
    _, loss = mlp_loss()
    assert "rankdir=TB" in draw_graph(loss).source  # 4500 pt across, 1370 pt down
    assert "rankdir=LR" in draw_graph(loss, rankdir="LR").source
    y = Value(0.5)
    for _ in range(100):
        y = y.sin()
    assert "rankdir=TB" in draw_graph(y).source


def test_records_use_an_explicit_font_both_layout_programs_measure():
    source = draw_graph(neuron()).source
    assert 'node [fontname="DejaVu Sans"' in source


def test_negative_zero_is_printed_as_zero():
    from autograd_lite import Tensor

    fields = list(dict(records(draw_graph(Value(-0.0, label="z") * 1.0).source)).values())
    assert "z | data 0.0000 | grad 0.0000" in fields
    t = Tensor([-0.0, 1.0], label="t")
    assert "t (output) | (2,) float32 | data [0, 1]" in draw_graph(t).source
    assert "-0" not in draw_graph(Value(-0.0) * -1.0).source


def test_one_value_used_at_every_depth_is_copied_next_to_its_far_uses():
    from autograd_lite import draw

    x = Value(1.0001, label="x")
    y = x
    for _ in range(129):
        y = y * x
    source = draw_graph(y).source
    copies = re.findall(r'^\s*(v0_use\d+) \[label=x ', source, flags=re.M)
    assert copies and len(copies) < 129  # the near uses keep their arrows
    assert edges(source).count(("v0", "v1_op")) == 1  # x * x: one arrow, ×2
    nodes = [a for a, _ in edges(source)] + [b for _, b in edges(source)]
    rank = draw._ranks(sorted(set(nodes)), edges(source))
    virtual = sum(max(rank[a] - rank[b] - 1, 0) for a, b in edges(source))
    assert virtual <= draw.LAYOUT_BUDGET
    small = Value(1.0, label="x")
    assert "_use" not in draw_graph(small * small * small * small).source


def test_the_worst_graph_within_max_nodes_lays_out_quickly():
    import time

    x = Value(1.0001, label="x")
    y = x
    for _ in range(499):  # 500 values: the default max_nodes
        y = y * x
    diagram = draw_graph(y)
    start = time.perf_counter()
    assert "<svg" in diagram.pipe("svg", encoding="utf-8")
    assert time.perf_counter() - start < 15  # 0.8-1.7 s here; it never finished before


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="max_nodes must be a positive int"):
        draw_graph(neuron(), max_nodes=0)
    with pytest.raises(ValueError, match="dpi must be a positive number"):
        draw_graph(neuron(), dpi=-1)


def test_a_module_returning_an_inner_output_computed_before_another_call_keeps_both_boxes():
    import nn
    from autograd_lite import Tensor

    class Branchy(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.c = nn.Linear(2, 2), nn.Linear(2, 3)

        def forward(self, x):
            h = self.a(x)
            self.c(x)  # noted after h, and not part of the result
            return h

    out = Branchy()(Tensor(np.ones((1, 2), np.float32)))
    assert [type(m).__name__ for _, _, m in out._spans] == ["Linear", "Branchy"]
    boxes = clusters(draw_graph(out.sum()).source)
    assert set(boxes) == {"Branchy", "a: Linear(2→2)"}
