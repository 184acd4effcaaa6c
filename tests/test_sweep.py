"""`replay_backward` replays the engine's sweep: the same order, the same adjoints, and
nothing on the graph changes (no `.grad`, no scratch adjoint, no freed rule)."""

import math

import numpy as np
import pytest

import nn
from autograd_lite import Tensor, Value, concat, engine, manual_seed
from autograd_lite.graph import toposort
from autograd_lite.sweep import format_value, replay_backward, subscript


def textbook_f(x: Value) -> Value:
    """Hjorth-Jensen's f(x) = √(x² + exp x²) with a = x² used twice."""
    a = x ** 2
    return (a + a.exp()).sqrt()


def small_mlp_loss():
    manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 2))
    X = Tensor(np.array([[0.5, -1.0], [2.0, 0.25]]), label="X")
    return model, nn.cross_entropy(model(X), np.array([1, 0]))


def engine_order(monkeypatch, root):
    """The order the engine's own backward visits the nodes (its toposort, reversed)."""
    seen = []

    def recording_toposort(node):
        order = toposort(node)
        seen.extend(order)
        return order

    monkeypatch.setattr(engine, "toposort", recording_toposort)
    root.backward()
    return list(reversed(seen))


def position(sweep, node):
    """The index of `node` in the sweep (by identity: a Tensor's `==` is elementwise)."""
    return next(i for i, n in enumerate(sweep.nodes) if n is node)


def test_subscripts_print_negative_indices_as_the_textbooks():
    assert subscript(-1) + subscript(0) + subscript(12) == "₋₁₀₁₂"


def test_values_inputs_come_first_then_intermediates_in_forward_order():
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    sweep = replay_backward(x * y + x)
    assert sweep.names == ("v₋₁", "v₀", "v₁", "v₂")
    assert [sweep.nodes[i] for i in sweep.inputs] == [x, y]


def test_inputs_argument_numbers_the_listed_inputs_first():
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    sweep = replay_backward(y * x, inputs=(x, y))
    assert sweep.names[position(sweep, x)] == "v₋₁"
    assert sweep.names[position(sweep, y)] == "v₀"


class VisitLog:
    """A stand-in `.grad` that notes when the engine's sweep adds an adjoint to it, so the
    order the engine visits Values in is seen from outside, whatever sort it uses."""

    def __init__(self, log, node):
        self.log, self.node = log, node

    def __add__(self, adjoint):
        self.log.append(self.node)
        return adjoint


def test_sweep_visits_nodes_in_the_engines_order_for_values():
    x = Value(1.0, label="x")
    f = textbook_f(x)
    sweep = replay_backward(f)
    visited = [sweep.nodes[s.node] for s in sweep.steps]
    log = []
    for node in toposort(f):
        node.grad = VisitLog(log, node)
    f.backward()
    assert visited == log and len(log) == 5
    assert [s.number for s in sweep.steps] == list(range(1, len(visited) + 1))


def test_sweep_visits_nodes_in_the_engines_order_for_tensors(monkeypatch):
    _, loss = small_mlp_loss()
    sweep = replay_backward(loss)
    reached = [n for n in engine_order(monkeypatch, loss)
               if not isinstance(n, Tensor) or n.requires_grad]  # constants get no adjoint
    assert [sweep.nodes[s.node] for s in sweep.steps] == reached


def test_textbook_example_adjoints_match_the_closed_form():
    x = Value(1.0, label="x")
    sweep = replay_backward(textbook_f(x))
    root = math.sqrt(1 + math.e)
    assert sweep.root.data == pytest.approx(root)
    assert sweep.adjoints[position(sweep, x)] == pytest.approx(root)  # f'(1) = f(1)
    # a = x² feeds two nodes: its adjoint is the sum of both shares
    a = sweep.nodes[1]
    shares = [e.contribution for s in sweep.steps for e in s.edges if sweep.nodes[e.parent] is a]
    assert len(shares) == 2
    assert sum(shares) == pytest.approx((1 + math.e) / (2 * root))


def test_replay_leaves_grads_and_scratch_untouched_and_backward_still_works():
    x = Value(1.0, label="x")
    f = textbook_f(x)
    replay_backward(f)
    assert all(n.grad == 0.0 and n._adjoint is None for n in toposort(f))
    f.backward()
    assert x.grad == pytest.approx(math.sqrt(1 + math.e))


def test_tensor_adjoints_equal_the_engines_gradients():
    model, loss = small_mlp_loss()
    hidden = loss._parents[0]
    hidden.retain_grad()
    sweep = replay_backward(loss)
    assert all(p.grad is None for p in model.parameters())
    loss.backward()
    for node in [*model.parameters(), hidden]:
        i = position(sweep, node)
        np.testing.assert_array_equal(sweep.adjoints[i], node.grad)


def test_joint_vjp_ops_replay_too():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0], requires_grad=True)
    y = (concat([a, b]) * Tensor([1.0, 2.0, 3.0])).sum()
    sweep = replay_backward(y)
    assert sweep.adjoints[position(sweep, a)].tolist() == [1.0, 2.0]
    assert sweep.adjoints[position(sweep, b)].tolist() == [3.0]


def test_a_non_scalar_tensor_root_needs_a_gradient_of_its_shape():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="replay_backward: the root has shape"):
        replay_backward(x * 2)
    with pytest.raises(ValueError, match="gradient has shape"):
        replay_backward(x * 2, gradient=[1.0, 2.0, 3.0])
    sweep = replay_backward(x * 2, gradient=[1.0, -1.0])
    assert sweep.adjoints[0].tolist() == [2.0, -2.0]


def test_bad_arguments_are_refused_with_the_function_named():
    with pytest.raises(TypeError, match="replay_backward: expected a Value or Tensor"):
        replay_backward(3.0)
    with pytest.raises(ValueError, match="does not require grad"):
        replay_backward(Tensor([1.0]).sum())
    x = Value(1.0)
    with pytest.raises(ValueError, match="max_nodes=2"):
        replay_backward((x * x).exp(), max_nodes=2)
    with pytest.raises(ValueError, match="inputs\\[0\\] is not an input"):
        replay_backward(x * x, inputs=(Value(2.0),))
    with pytest.raises(TypeError, match="inputs must be a sequence"):
        replay_backward(x * x, inputs=x)


def test_a_freed_graph_is_refused_with_the_fix():
    x = Value(1.0)
    f = x.exp()
    f.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        replay_backward(f)
    g = x.exp()
    g.backward(retain_graph=True)
    assert replay_backward(g).adjoints[0] == pytest.approx(math.e)


def test_format_value_prints_small_arrays_in_full_and_never_minus_zero():
    assert format_value(-0.0) == "0"
    assert format_value(np.array([1.0, -0.5])) == "[1, -0.5]"
    assert format_value(np.arange(12.0).reshape(3, 4)) == "(3, 4) [0 … 11]"
    assert format_value(np.arange(12.0), shape=False) == "[0 … 11]"
