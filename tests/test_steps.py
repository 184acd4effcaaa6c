"""The step view: nodes numbered in sweep order, edges labelled with adjoint × local
derivative, one layout turned into frames by stylesheets, the HTML player and the SVG files."""

import re
import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from autograd_lite import StepView, Tensor, Value, draw_steps, steps
from autograd_lite.graph import toposort


def textbook_view() -> tuple[Value, StepView]:
    x = Value(1.0, label="x")
    a = x ** 2
    f = (a + a.exp()).sqrt()
    f.label = "f"
    return x, draw_steps(f)


def test_nodes_are_numbered_in_sweep_order_and_named_as_in_the_trace():
    _, view = textbook_view()
    source = view.source
    for title in ("#1  v₄  f", "#2  v₃", "#3  v₂", "#4  v₁", "#5  v₀  x"):
        assert title in source
    assert view.frames == 6  # the forward picture and five steps


def test_edges_carry_adjoint_times_local_derivative_with_the_numbers():
    _, view = textbook_view()
    labels = re.findall(r'label="(#\d[^"]*)"', view.source)
    assert len(labels) == 5  # one per edge into an op: a = x² is used twice
    assert "#1 v̄₄ · 1/(2·v₄)\\l= 1 · 0.259298 = 0.259298\\l" in labels
    assert "#3 v̄₂ · v₂\\l= 0.259298 · 2.71828 = 0.704845\\l" in labels
    assert "dir=back" in view.source  # arrows point the way adjoints flow


def test_every_frame_is_a_valid_svg_of_the_one_layout(monkeypatch):
    calls = []
    real = steps.run_dot
    monkeypatch.setattr(steps, "run_dot", lambda *a: calls.append(a) or real(*a))
    _, view = textbook_view()
    frames = [view.svg(k) for k in range(view.frames)]
    assert len(calls) == 1  # laid out once; frames differ only in their stylesheet
    for svg in frames:
        ET.fromstring(svg[svg.index("<svg"):])  # well-formed XML
    assert len(set(frames)) == view.frames
    assert frames[0].count('class="adj"') == 5  # each node's adjoint field is addressable


def test_frames_reveal_adjoints_in_sweep_order():
    _, view = textbook_view()
    first, second, last = view.css(0), view.css(1), view.css(-1)
    assert all(f".n{i} text.adj" in first for i in range(5))  # nothing known yet
    assert ".n4 text.adj" not in second and ".n3 text.adj" in second  # the root's only
    assert "visibility:hidden" not in last
    assert "#ffd27a" in second and ".n4 polygon" in second  # the visited node stands out
    assert ".e4_0 path" in second  # and the edge it sends its adjoint along
    assert "Step 1 of 5: visit v₄" in view.svg(1)
    assert "Forward pass done" in view.svg(0)


def test_a_frame_styles_only_its_own_svg():
    # a stylesheet inside an inline SVG applies page-wide: unscoped, frame 3 shown next to
    # a player would paint the player's nodes too
    _, view = textbook_view()
    svg = view.svg(3)
    uid = re.search(r'<svg id="([^"]+)"', svg).group(1)
    style = svg.split("<style>", 1)[1].split("</style>", 1)[0]
    rules = [line for line in style.splitlines() if line.strip()]
    assert rules and all(line.startswith(f"#{uid} ") for line in rules)
    assert view.svg(3) == svg and view.svg(2) != svg  # the same frame: the same file


def test_write_puts_one_numbered_svg_per_frame(tmp_path):
    _, view = textbook_view()
    paths = view.write(tmp_path / "frames")
    assert [p.name for p in paths] == [f"step_0{k}.svg" for k in range(6)]
    assert all(p.read_text().lstrip().startswith("<?xml") for p in paths)
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="not a folder"):
        view.write(tmp_path / "file")
    with pytest.raises(ValueError, match="prefix must be a file name"):
        view.write(tmp_path / "frames", prefix="../up")


def test_write_removes_frames_left_from_a_longer_pass(tmp_path):
    x = Value(2.0, label="x")
    long = draw_steps(((x * x).exp() + x).tanh().sin())
    long.write(tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    _, short = textbook_view()
    paths = short.write(tmp_path)
    assert sorted(tmp_path.iterdir()) == sorted([*paths, tmp_path / "notes.txt"])
    assert long.frames > short.frames


def test_html_player_has_buttons_slider_and_every_frame():
    _, view = textbook_view()
    page, other = view.html(), view.html()
    assert 'class="prev"' in page and 'class="next"' in page
    assert 'type="range" min="0" max="5"' in page
    uid = re.search(r'<div id="([^"]+)"', page).group(1)
    assert uid not in other  # two players on one page keep their own styles
    frames = re.search(r"var frames = (\[.*?\]), captions", page, re.S).group(1)
    assert frames.count(f"#{uid} ") > 5
    assert view._repr_html_().count("<svg") == 1


def test_player_script_cannot_be_closed_by_a_label():
    x = Value(1.0, label="</script><b>")
    page = draw_steps(x.exp()).html()
    assert page.count("</script>") == 1


def test_tensor_view_shows_shapes_constants_and_vjp_results():
    W = Tensor(np.array([[1.0, -2.0], [0.5, 0.25]]), requires_grad=True, label="W")
    x = Tensor(np.array([[0.3], [-0.7]]), label="x")
    view = draw_steps((W @ x).tanh().sum())
    assert "(2, 2) float64" in view.source
    assert "constant: no adjoint" in view.source
    assert "v̄₁ @ xᵀ" in view.source
    assert view.frames == 5  # the constant x is never visited
    assert "<svg" in view.svg(2)


def test_drawing_steps_changes_no_grad():
    x, view = textbook_view()
    assert all(n.grad == 0.0 and n._adjoint is None for n in toposort(view.sweep.root))
    assert x.grad == 0.0


def test_bad_arguments_name_the_function():
    x, view = textbook_view()
    with pytest.raises(ValueError, match="draw_steps: rankdir must be one of"):
        draw_steps(x.exp(), rankdir="XY")
    with pytest.raises(TypeError, match="draw_steps: expected a Value or Tensor"):
        draw_steps("x")
    with pytest.raises(ValueError, match="frame must be from 0 to 5"):
        view.svg(6)
    with pytest.raises(TypeError, match="frame must be an int"):
        view.svg(1.0)
    with pytest.raises(ValueError, match="max_nodes=60"):
        y = x
        for _ in range(40):
            y = y * 1.5
        draw_steps(y)


def test_many_uses_of_one_value_lay_out_quickly():
    # x*x*…*x with 60 values: edge labels laid out as labels took 19 s; placed after the
    # layout, with dot's crossing search bounded, 0.5 s on this machine (2 cores, shared)
    x = Value(1.01, label="x")
    y = x
    for _ in range(59):
        y = y * x
    view = draw_steps(y)
    assert 'xlabel="#1 ' in view.source and "mclimit" in view.source
    start = time.perf_counter()
    assert "<svg" in view.svg(0)
    assert time.perf_counter() - start < 5.0


def test_small_graphs_keep_labels_in_the_layout():
    _, view = textbook_view()
    assert "xlabel" not in view.source and "mclimit" not in view.source
