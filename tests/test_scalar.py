"""Tests for `nn.scalar`: micrograd-style Neuron, Layer and MLP on Values — shapes, parameter
counts, ReLU hidden / linear last, repr, zero_grad, state_dict, diagrams — and training: XOR
with a 2-4-1 net (TEXTBOOK example 5) and micrograd's two-moons demo."""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import pytest

from autograd_lite import Value, draw_graph
from nn.data import moons
from nn.losses import hinge_loss, l2_penalty, mse_loss
from nn.module import Module
from nn.scalar import MLP, Layer, Neuron


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Scalar graphs are tens of thousands of small objects: the cyclic collector would rescan
    them over and over during the forward pass (they have no cycles and are freed by reference
    counting), which makes the training loops several times slower."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --- structure ------------------------------------------------------------------------------

def test_output_shapes():
    xs = [Value(0.5), Value(-1.0), Value(2.0)]
    assert isinstance(Neuron(3, rng=rng())(xs), Value)
    out = Layer(3, 4, rng=rng())(xs)
    assert isinstance(out, list) and len(out) == 4 and all(isinstance(v, Value) for v in out)
    assert isinstance(Layer(3, 1, rng=rng())(xs), Value)  # micrograd: one neuron, one Value
    assert isinstance(MLP(3, [4, 4, 1], rng=rng())(xs), Value)
    assert len(MLP(3, [4, 2], rng=rng())([0.5, -1.0, 2.0])) == 2  # plain floats work too


def test_parameter_counts():
    assert len(Neuron(3, rng=rng()).parameters()) == 4
    assert len(Layer(3, 4, rng=rng()).parameters()) == 16
    assert len(MLP(2, [16, 16, 1], rng=rng()).parameters()) == 337  # micrograd's moons net
    assert len(MLP(4, [5, 5, 3], rng=rng()).parameters()) == 73  # Elgendy's 4→5→5→3 net
    assert all(isinstance(p, Value) for p in MLP(2, [3, 1], rng=rng()).parameters())


def test_modules_are_module_subclasses():
    model = MLP(2, [3, 1], rng=rng())
    assert isinstance(model, Module) and isinstance(model.layers[0], Module)
    assert isinstance(model.layers[0].neurons[2], Neuron)
    model.eval()
    assert not any(m.training for m in model.modules())


def test_initialisation_is_scaled_by_fan_in_with_zero_bias():
    neurons = Layer(16, 50, rng=rng()).neurons
    ws = np.array([[w.data for w in n.w] for n in neurons])
    assert np.all(np.abs(ws) <= 1 / math.sqrt(16)) and np.abs(ws).max() > 0.2
    assert all(n.b.data == 0.0 for n in neurons)


def test_hidden_layers_are_relu_and_the_last_is_linear():
    model = MLP(2, [3, 3, 2], rng=rng())
    assert [[n.nonlin for n in layer.neurons] for layer in model.layers] == \
        [["relu"] * 3, ["relu"] * 3, [None] * 2]
    neuron = Neuron(2, rng=rng())
    neuron.w[0].data, neuron.w[1].data, neuron.b.data = 1.0, 2.0, -4.0
    assert neuron([1.0, 1.0]).data == 0.0  # relu(-1)
    neuron.nonlin = False
    assert neuron([1.0, 1.0]).data == -1.0


# --- nonlin: micrograd's booleans, and "relu" | "tanh" | None ------------------------------------

def test_nonlin_true_and_false_keep_micrograds_meaning():
    assert Neuron(2, nonlin=True, rng=rng()).nonlin == "relu"
    assert Neuron(2, True, rng=rng()).nonlin == "relu"  # micrograd's positional form
    assert Neuron(2, nonlin=False, rng=rng()).nonlin is None
    assert Neuron(2, rng=rng()).nonlin  # truthy for relu, as micrograd's `if self.nonlin`
    assert not Neuron(2, nonlin=None, rng=rng()).nonlin
    assert [n.nonlin for n in Layer(2, 2, nonlin=False, rng=rng()).neurons] == [None, None]


@pytest.mark.parametrize("nonlin, activation", [
    ("relu", lambda a: max(a, 0.0)), (True, lambda a: max(a, 0.0)), ("tanh", math.tanh),
    (None, lambda a: a), (False, lambda a: a)])
def test_neuron_nonlin(nonlin, activation):
    neuron = Neuron(2, nonlin=nonlin, rng=rng())
    neuron.w[0].data, neuron.w[1].data, neuron.b.data = 0.5, -2.0, 0.25
    for x in ([1.0, 1.0], [1.0, -0.5]):
        act = 0.5 * x[0] - 2.0 * x[1] + 0.25
        out = neuron(x)
        assert out.data == pytest.approx(activation(act), rel=1e-15)
    out = neuron([Value(1.0), Value(-0.5)])
    out.backward()
    slope = {"relu": 1.0, True: 1.0, "tanh": 1 - math.tanh(1.75) ** 2, None: 1.0, False: 1.0}
    assert neuron.w[1].grad == pytest.approx(-0.5 * slope[nonlin])


def test_neuron_nonlin_can_be_set_and_is_checked():
    neuron = Neuron(2, rng=rng())
    neuron.nonlin = "tanh"
    assert neuron.nonlin == "tanh" and repr(neuron) == "TanhNeuron(2)"
    neuron.nonlin = True
    assert neuron.nonlin == "relu"
    with pytest.raises(ValueError, match="Neuron: nonlin must be 'relu', 'tanh' or None"):
        neuron.nonlin = "sigmoid"
    with pytest.raises(ValueError, match="Neuron: nonlin"):
        Neuron(2, nonlin="gelu")
    with pytest.raises(ValueError, match="MLP: nonlin"):
        MLP(2, [3, 1], nonlin="softplus")


def test_mlp_nonlin_applies_to_hidden_layers_only():
    model = MLP(2, [4, 4, 3], rng=rng(), nonlin="tanh")
    assert [[n.nonlin for n in layer.neurons] for layer in model.layers] == \
        [["tanh"] * 4, ["tanh"] * 4, [None] * 3]
    assert repr(model).startswith("MLP of [Layer of [TanhNeuron(2), ")
    assert repr(model).endswith("Layer of [LinearNeuron(4), LinearNeuron(4), LinearNeuron(4)]]")
    linear = MLP(2, [3, 1], rng=rng(), nonlin=None)
    assert [n.nonlin for n in linear.layers[0].neurons] == [None] * 3
    hidden = model.layers[0]([3.0, -2.0])
    assert all(-1 < v.data < 1 for v in hidden)


def test_mlp_nonlin_state_dict_is_unchanged():
    a, b = MLP(2, [3, 1], rng=rng(1), nonlin="tanh"), MLP(2, [3, 1], rng=rng(2))
    assert list(a.state_dict()) == list(b.state_dict())
    b.load_state_dict(a.state_dict())
    assert [p.data for p in b.parameters()] == [p.data for p in a.parameters()]


def test_tanh_mlp_learns_xor():
    model = MLP(2, [4, 1], rng=rng(0), nonlin="tanh")
    params = model.parameters()
    for _ in range(200):
        loss = mse_loss([model(x) for x in XOR_X], XOR_Y)
        model.zero_grad()
        loss.backward()
        for p in params:
            p.data -= 0.1 * p.grad
    assert [model(x).data > 0 for x in XOR_X] == [y > 0 for y in XOR_Y]
    assert loss.data < 0.05


def test_scalar_mlp_against_a_pytorch_mlp():
    """The same tanh MLP (weights copied) gives the same output and parameter gradients as
    torch.nn (float64): micrograd's network is PyTorch's Linear–Tanh–Linear."""
    torch = pytest.importorskip("torch")
    model = MLP(3, [4, 2], rng=rng(7), nonlin="tanh")
    reference = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(),
                                    torch.nn.Linear(4, 2)).double()
    with torch.no_grad():
        for layer, linear in zip(model.layers, (reference[0], reference[2]), strict=True):
            linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in layer.neurons],
                                             dtype=torch.float64))
            linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons],
                                           dtype=torch.float64))
    x = [0.3, -1.2, 0.7]
    out = model(x)
    (out[0] * 2 - out[1]).backward()
    ref = reference(torch.tensor([x], dtype=torch.float64))[0]
    (ref[0] * 2 - ref[1]).backward()
    np.testing.assert_allclose([v.data for v in out], ref.detach().numpy(), rtol=1e-14)
    grads = [[w.grad for w in n.w] for n in model.layers[0].neurons]
    np.testing.assert_allclose(grads, reference[0].weight.grad.numpy(), rtol=1e-13)


def test_forward_is_w_dot_x_plus_b():
    neuron = Neuron(3, nonlin=False, rng=rng())
    x = [0.5, -1.0, 2.0]
    expected = sum(w.data * xi for w, xi in zip(neuron.w, x, strict=True)) + neuron.b.data
    assert neuron(x).data == pytest.approx(expected)
    with pytest.raises(ValueError, match="expected 3 inputs"):
        neuron([1.0, 2.0])


def test_repr_is_micrograd_style():
    assert repr(Neuron(2, rng=rng())) == "ReLUNeuron(2)"
    assert repr(Layer(2, 2, nonlin=False, rng=rng())) == "Layer of [LinearNeuron(2), " \
        "LinearNeuron(2)]"
    text = repr(MLP(2, [16, 16, 1], rng=rng()))
    assert text.startswith("MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2), ")
    assert text.endswith("Layer of [LinearNeuron(16)]]")


# --- gradients and state ------------------------------------------------------------------------

def test_backward_reaches_every_parameter_and_zero_grad_resets():
    model = MLP(2, [4, 1], rng=rng())
    assert all(p.grad == 0.0 for p in model.parameters())
    (model([0.3, -0.7]) * 2).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_named_parameters():
    names = [name for name, _ in MLP(2, [2, 1], rng=rng()).named_parameters()]
    assert names[:4] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1",
                         "layers.0.neurons.0.b", "layers.0.neurons.1.w.0"]
    assert names[-1] == "layers.1.neurons.0.b" and len(names) == 9


def test_state_dict_round_trip():
    a, b = MLP(2, [3, 1], rng=rng(1)), MLP(2, [3, 1], rng=rng(2))
    state = a.state_dict()
    assert list(state)[:3] == ["layers.0.neurons.0.w", "layers.0.neurons.0.b",
                               "layers.0.neurons.1.w"]
    assert state["layers.0.neurons.1.w"].shape == (2,) and state["layers.1.neurons.0.b"].shape \
        == ()
    assert all(v.dtype == np.float64 for v in state.values())
    state["layers.0.neurons.0.w"][0] = 123.0  # a copy: the model is untouched
    assert a.layers[0].neurons[0].w[0].data != 123.0
    b.load_state_dict(a.state_dict())
    assert [p.data for p in b.parameters()] == [p.data for p in a.parameters()]
    assert b([0.4, -0.2]).data == a([0.4, -0.2]).data


def test_load_state_dict_checks_everything_first():
    model = MLP(2, [3, 1], rng=rng())
    before = [p.data for p in model.parameters()]
    bad = model.state_dict()
    bad["layers.0.neurons.0.w"] = np.zeros(2) + 7
    bad["layers.1.neurons.0.w"] = np.zeros(4)  # wrong shape, checked after a good entry
    with pytest.raises(ValueError, match=r"layers\.1\.neurons\.0\.w.*\(4,\).*\(3,\)"):
        model.load_state_dict(bad)
    assert [p.data for p in model.parameters()] == before
    missing = model.state_dict()
    del missing["layers.1.neurons.0.b"]
    with pytest.raises(KeyError, match="missing"):
        model.load_state_dict(missing)


def test_load_state_dict_casts_any_real_dtype_and_rejects_others_changing_nothing():
    model = MLP(2, [1], rng=rng())
    state = model.state_dict()
    model.load_state_dict({"layers.0.neurons.0.w": np.array([1, -2]),
                           "layers.0.neurons.0.b": np.array(True)})
    assert [p.data for p in model.parameters()] == [1.0, -2.0, 1.0]
    assert all(a.dtype == np.float64 for a in model.state_dict().values())
    with pytest.raises(TypeError, match=r"'layers\.0\.neurons\.0\.b' has dtype complex128, "
                                        "expected real numbers"):
        model.load_state_dict({**state, "layers.0.neurons.0.b": np.array(1j)})
    assert [p.data for p in model.parameters()] == [1.0, -2.0, 1.0]


def test_a_scalar_network_inside_a_module_saves_and_loads_under_prefixed_names(tmp_path):
    from nn.serialize import load, save

    class Holder(Module):
        def __init__(self, seed: int) -> None:
            super().__init__()
            self.net = MLP(2, [2, 1], rng=rng(seed))

    a, b = Holder(1), Holder(2)
    assert list(a.state_dict())[:2] == ["net.layers.0.neurons.0.w", "net.layers.0.neurons.0.b"]
    load(b, save(a, tmp_path / "holder.npz"))
    assert [p.data for p in b.net.parameters()] == [p.data for p in a.net.parameters()]
    mlp = MLP(2, [2, 1], rng=rng(3))
    load(mlp, save(a.net, tmp_path / "mlp.npz"))  # nn.save / nn.load of a bare scalar MLP
    assert mlp([0.3, -0.7]).data == a.net([0.3, -0.7]).data


def test_draw_graph_of_one_neuron_shows_the_labels():
    neuron = Neuron(2, rng=rng())
    out = neuron([Value(1.0, label="x0"), Value(2.0, label="x1")])
    out.backward()
    source = draw_graph(out).source
    for label in ("w0", "w1", "b", "x0", "x1", "relu"):
        assert label in source


# --- training --------------------------------------------------------------------------------

XOR_X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
XOR_Y = [-1.0, 1.0, 1.0, -1.0]


@pytest.mark.parametrize("loss_fn", [mse_loss, hinge_loss], ids=["squared", "hinge"])
def test_xor_with_a_2_4_1_mlp(loss_fn: Callable[..., Value]):
    model = MLP(2, [4, 1], rng=rng(0))
    params = model.parameters()
    for _ in range(300):
        loss = loss_fn([model(x) for x in XOR_X], XOR_Y)
        model.zero_grad()
        loss.backward()
        for p in params:
            p.data -= 0.1 * p.grad
    scores = [model(x).data for x in XOR_X]
    assert [s > 0 for s in scores] == [y > 0 for y in XOR_Y]  # 100 %
    assert loss.data < 0.05


def test_micrograd_moons_demo():
    """micrograd's demo: MLP(2, [16, 16, 1]), labels ±1, hinge loss + 1e-4·Σw², full-batch SGD
    with lr = 1 − 0.9·k/100; the training accuracy reaches 95 % within 100 steps."""
    X, y = moons(100, noise=0.1, rng=rng(19))
    xs, ys = X.astype(np.float64).tolist(), (2.0 * y - 1.0).tolist()
    model = MLP(2, [16, 16, 1], rng=rng(5))
    params = model.parameters()
    accuracy, k = 0.0, 0
    with gc_paused():
        for k in range(100):
            scores = [model(x) for x in xs]
            accuracy = np.mean([(s.data > 0) == (t > 0) for s, t in zip(scores, ys, strict=True)])
            if accuracy >= 0.95:
                break
            loss = hinge_loss(scores, ys) + 1e-4 * l2_penalty(params)
            model.zero_grad()
            loss.backward()
            lr = 1.0 - 0.9 * k / 100
            for p in params:
                p.data -= lr * p.grad
    assert accuracy >= 0.95, f"accuracy {accuracy:.2f} after {k} steps"
