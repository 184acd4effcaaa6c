"""`nn.optim` and `nn.optim.lr_scheduler`: every optimizer follows PyTorch's update equations
(written out here in numpy, and checked against trajectories computed once with PyTorch
2.13 offline), keeps dtypes, skips parameters without gradients, saves and restores its
state; the schedulers give PyTorch's learning-rate sequences."""

from __future__ import annotations

import math
import signal
import subprocess
import sys
import threading
from typing import Any

import numpy as np
import pytest

from autograd_lite import Tensor
from nn.module import Parameter
from nn.optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop
from nn.optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, ReduceLROnPlateau, StepLR

P0 = np.array([0.5, -1.25, 2.0])
GRADS = np.array([[0.3, -0.2, 0.1], [0.25, 0.4, -0.5], [-0.1, 0.05, 0.2],
                  [0.6, -0.3, -0.15], [0.0, 0.1, -0.05], [-0.2, -0.25, 0.35]])
OPTIMIZERS = [SGD, Adagrad, RMSprop, Adam, AdamW]


def param(values: Any = P0, dtype: Any = np.float64) -> Parameter:
    return Parameter(np.array(values), dtype=dtype)


def trajectory(cls: type[Optimizer], grads: np.ndarray = GRADS, dtype: Any = np.float64,
               **hyper: Any) -> np.ndarray:
    """The parameter after each step of `cls([p], **hyper)` fed the gradients `grads`."""
    p = param(dtype=dtype)
    opt = cls([p], **hyper)
    path = []
    for g in grads:
        p.grad = np.array(g, dtype=dtype)
        opt.step()
        path.append(p.data.copy())
    return np.array(path)


# --- the update equations, in numpy ------------------------------------------------------------

def sgd_equations(lr: float, momentum: float = 0, dampening: float = 0,
                  weight_decay: float = 0, nesterov: bool = False,
                  maximize: bool = False) -> np.ndarray:
    theta, buf, path = P0.copy(), None, []
    for g in GRADS:
        g = -g if maximize else g
        g = g + weight_decay * theta
        if momentum:
            buf = g if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        theta = theta - lr * g
        path.append(theta)
    return np.array(path)


def adagrad_equations(lr: float = 0.01, lr_decay: float = 0, weight_decay: float = 0,
                      initial_accumulator_value: float = 0, eps: float = 1e-10,
                      maximize: bool = False) -> np.ndarray:
    theta, path = P0.copy(), []
    s = np.full(3, float(initial_accumulator_value))
    for t, g in enumerate(GRADS, start=1):
        g = -g if maximize else g
        g = g + weight_decay * theta
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g**2
        theta = theta - clr * g / (np.sqrt(s) + eps)
        path.append(theta)
    return np.array(path)


def rmsprop_equations(lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8,
                      weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                      maximize: bool = False) -> np.ndarray:
    theta, v, g_avg, b, path = P0.copy(), np.zeros(3), np.zeros(3), np.zeros(3), []
    for g in GRADS:
        g = -g if maximize else g
        g = g + weight_decay * theta
        v = alpha * v + (1 - alpha) * g**2
        if centered:
            g_avg = alpha * g_avg + (1 - alpha) * g
            d = np.sqrt(v - g_avg**2) + eps
        else:
            d = np.sqrt(v) + eps
        if momentum > 0:
            b = momentum * b + g / d
            theta = theta - lr * b
        else:
            theta = theta - lr * g / d
        path.append(theta)
    return np.array(path)


def adam_equations(lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                   eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False,
                   maximize: bool = False, decoupled: bool = False) -> np.ndarray:
    (b1, b2), theta, path = betas, P0.copy(), []
    m, v, v_max = np.zeros(3), np.zeros(3), np.zeros(3)
    for t, g in enumerate(GRADS, start=1):
        g = -g if maximize else g
        if decoupled:
            theta = theta * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        v_max = np.maximum(v_max, v)
        v_hat = (v_max if amsgrad else v) / (1 - b2**t)
        theta = theta - lr * (m / (1 - b1**t)) / (np.sqrt(v_hat) + eps)
        path.append(theta)
    return np.array(path)


def adamw_equations(lr: float = 1e-3, weight_decay: float = 1e-2, **hyper: Any) -> np.ndarray:
    return adam_equations(lr=lr, weight_decay=weight_decay, decoupled=True, **hyper)


# --- every optimizer and option against its equations ------------------------------------------

@pytest.mark.parametrize("hyper", [
    dict(lr=0.1),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.1, momentum=0.9, dampening=0.3),
    dict(lr=0.1, momentum=0.8, nesterov=True),
    dict(lr=0.1, weight_decay=0.05),
    dict(lr=0.1, momentum=0.9, weight_decay=0.05, nesterov=True),
    dict(lr=0.1, momentum=0.5, maximize=True),
], ids=repr)
def test_sgd_follows_its_update_equations(hyper):
    np.testing.assert_allclose(trajectory(SGD, **hyper), sgd_equations(**hyper),
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("hyper", [
    dict(),
    dict(lr=0.1, lr_decay=0.2),
    dict(lr=0.1, weight_decay=0.1),
    dict(lr=0.1, initial_accumulator_value=0.3),
    dict(lr=0.1, eps=1e-3, maximize=True),
    dict(lr=0.1, lr_decay=0.2, weight_decay=0.1, initial_accumulator_value=0.3),
], ids=repr)
def test_adagrad_follows_its_update_equations(hyper):
    np.testing.assert_allclose(trajectory(Adagrad, **hyper), adagrad_equations(**hyper),
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("hyper", [
    dict(),
    dict(lr=0.02, alpha=0.9),
    dict(lr=0.01, alpha=0.9, centered=True),
    dict(lr=0.01, alpha=0.9, momentum=0.5),
    dict(lr=0.01, alpha=0.9, centered=True, momentum=0.5, weight_decay=0.1),
    dict(lr=0.01, weight_decay=0.1, eps=1e-3),
    dict(lr=0.01, alpha=0.9, maximize=True),
], ids=repr)
def test_rmsprop_follows_its_update_equations(hyper):
    np.testing.assert_allclose(trajectory(RMSprop, **hyper), rmsprop_equations(**hyper),
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("hyper", [
    dict(),
    dict(lr=0.1, betas=(0.8, 0.95), eps=1e-6),
    dict(lr=0.1, weight_decay=0.1),
    dict(lr=0.1, amsgrad=True),
    dict(lr=0.1, maximize=True),
    dict(lr=0.1, betas=(0.5, 0.9), weight_decay=0.1, amsgrad=True),
], ids=repr)
def test_adam_follows_its_update_equations(hyper):
    np.testing.assert_allclose(trajectory(Adam, **hyper), adam_equations(**hyper),
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("hyper", [
    dict(),
    dict(lr=0.1, weight_decay=0.2),
    dict(lr=0.1, betas=(0.8, 0.95), amsgrad=True),
    dict(lr=0.05, weight_decay=0.3, maximize=True),
], ids=repr)
def test_adamw_follows_its_update_equations(hyper):
    np.testing.assert_allclose(trajectory(AdamW, **hyper), adamw_equations(**hyper),
                               rtol=0, atol=1e-12)


def test_adamw_decays_the_weights_apart_from_the_gradient():
    # with zero gradients the Adam step is 0/(0 + eps) = 0, leaving only θ ← θ(1 - γλ)
    path = trajectory(AdamW, grads=np.zeros((6, 3)), lr=0.1, weight_decay=0.2)
    np.testing.assert_allclose(path[-1], P0 * (1 - 0.1 * 0.2) ** 6, rtol=1e-14)
    # Adam's weight decay is an L2 term in the gradient instead: a different path
    assert not np.allclose(trajectory(Adam, lr=0.1, weight_decay=0.2),
                           trajectory(AdamW, lr=0.1, weight_decay=0.2))


def test_adam_with_a_constant_gradient_steps_lr_times_its_sign():
    # the bias corrections make m̂ = g and v̂ = g² exactly from the first step
    g = np.array([0.3, -2.0, 1e-3])
    path = trajectory(Adam, grads=np.tile(g, (6, 1)), lr=0.01, eps=1e-8)
    expected = P0 - 0.01 * np.arange(1, 7)[:, None] * g / (np.abs(g) + 1e-8)
    np.testing.assert_allclose(path, expected, rtol=0, atol=1e-12)


def test_sgd_momentum_with_a_constant_gradient_sums_a_geometric_series():
    # b_t = g(1 - μᵗ)/(1 - μ), so θ_t = θ₀ - γg Σ_{k≤t} (1 - μᵏ)/(1 - μ)
    g, mu = np.array([1.0, -0.5, 0.25]), 0.9
    path = trajectory(SGD, grads=np.tile(g, (6, 1)), lr=0.1, momentum=mu)
    t = np.arange(1, 7)
    series = (t - mu * (1 - mu**t) / (1 - mu)) / (1 - mu)
    np.testing.assert_allclose(path, P0 - 0.1 * series[:, None] * g, rtol=0, atol=1e-12)


# --- independent check: trajectories computed once with PyTorch 2.13 (float64) ---------------

TORCH_TRAJECTORIES = [
    (Adam, dict(lr=0.1, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1), [
        [0.4000002857134694, -1.150000307691361, 1.9000003333322222],
        [0.3012386681210413, -1.1545518891604787, 1.9127436745875097],
        [0.24076599614233224, -1.147068558577881, 1.8720741128769607],
        [0.16049032811792435, -1.0965884965084642, 1.83632337200013],
        [0.09523449956756921, -1.0553381988285975, 1.7935775982972921],
        [0.06012083707087814, -0.9935432881476595, 1.7252983282205927]]),
    (Adam, dict(lr=0.1, amsgrad=True), [
        [0.4000000033333332, -1.1500000049999999, 1.900000009999999],
        [0.3008827194642781, -1.1866103565460369, 1.9598354265523341],
        [0.24252216054394382, -1.2218369601785837, 1.9795549188742791],
        [0.16762935121354383, -1.2135785036699647, 2.0104964548058493],
        [0.10435950857079296, -1.2166449016286074, 2.0413388824381733],
        [0.06572369900089425, -1.1974140285091612, 2.0366261494289506]]),
    (AdamW, dict(lr=0.1, betas=(0.8, 0.95), weight_decay=0.2), [
        [0.3900000033333332, -1.1250000049999997, 1.860000009999999],
        [0.2833879310411257, -1.144343064550925, 1.8867625050868242],
        [0.22563748962015734, -1.1598248870445618, 1.8666138043030072],
        [0.14444038471136172, -1.1232942751363229, 1.8603871147550344],
        [0.0805128835311269, -1.1026487659993238, 1.853781586524477],
        [0.049298688442035894, -1.0541966532341955, 1.8022983401802195]]),
    (AdamW, dict(lr=0.05, amsgrad=True, maximize=True), [
        [0.5497499983333334, -1.2993749975000002, 2.0489999950000004],
        [0.5990337652686942, -1.2804201342282318, 2.0180577867263327],
        [0.627914527846227, -1.2621666223448442, 2.007189011671997],
        [0.665046975247504, -1.2656647672879813, 1.990714649200376],
        [0.6963493730812558, -1.263498735925016, 1.974298078059614],
        [0.7153191031796645, -1.2724824231167768, 1.9756672955251957]]),
    (RMSprop, dict(lr=0.01, alpha=0.9, centered=True, momentum=0.5, weight_decay=0.1), [
        [0.46666666984126953, -1.2166666700854698, 1.96666667037037],
        [0.4266083168867422, -1.221191211927806, 1.973068678277057],
        [0.4111494561490021, -1.217747678784068, 1.9533338867358545],
        [0.37342550837930344, -1.1915730387544592, 1.9407082569202618],
        [0.3527320822731486, -1.177316818425993, 1.9253435436136432],
        [0.3502572767981043, -1.1500814909434798, 1.8920255543310793]]),
    (SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01), [
        [0.44205, -1.209625, 1.9772],
        [0.369005105, -1.2661142125, 2.05872332],
        [0.3444614348005, -1.28913754924625, 2.046962213692],
        [0.19904975948932904, -1.2470486937655572, 2.080840840796785],
        [0.12211107245756589, -1.2539595551091007, 2.1052202735859007],
        [0.09081338787485009, -1.2024191509879716, 2.0540346013330084]]),
    (SGD, dict(lr=0.1, momentum=0.9, dampening=0.3, maximize=True), [
        [0.53, -1.27, 2.01],
        [0.5745, -1.26, 1.9839999999999998],
        [0.60755, -1.2475, 1.9745999999999997],
        [0.6792950000000001, -1.25725, 1.9556399999999996],
        [0.7438655000000001, -1.259025, 1.9350759999999996],
        [0.7879789500000001, -1.2781225, 1.9410683999999996]]),
    (Adagrad, dict(lr=0.1, lr_decay=0.2, weight_decay=0.1, initial_accumulator_value=0.3), [
        [0.44615384616213016, -1.1989705363293865, 1.951961553866166],
        [0.41175149739821576, -1.232519311378304, 1.9885133035534492],
        [0.41761931118506396, -1.2250404146019838, 1.952956752133202],
        [0.37590615609577, -1.192730467171856, 1.949429142541622],
        [0.37373598287383447, -1.1914207349445705, 1.9395550312892256],
        [0.3820676848189503, -1.1708440809773382, 1.911809933528979]]),
]


@pytest.mark.parametrize("cls, hyper, expected", TORCH_TRAJECTORIES,
                         ids=[f"{c.__name__}-{h}" for c, h, _ in TORCH_TRAJECTORIES])
def test_trajectory_matches_pytorch(cls, hyper, expected):
    np.testing.assert_allclose(trajectory(cls, **hyper), expected, rtol=0, atol=1e-10)


# --- dtypes, skipped parameters, zero_grad, groups ---------------------------------------------

@pytest.mark.parametrize("cls, hyper", [
    (SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1)),
    (Adagrad, dict(lr=0.1, lr_decay=0.1, initial_accumulator_value=0.1)),
    (RMSprop, dict(centered=True, momentum=0.5, weight_decay=0.1)),
    (Adam, dict(lr=0.1, amsgrad=True, weight_decay=0.1)),
    (AdamW, dict(lr=0.1, amsgrad=True)),
], ids=lambda x: getattr(x, "__name__", ""))
def test_float32_parameters_and_state_stay_float32(cls, hyper):
    p = param(dtype=np.float32)
    opt = cls([p], **hyper)
    for g in GRADS:
        p.grad = g  # a float64 gradient is used in the parameter's dtype
        opt.step()
        assert p.dtype == np.float32 and p.data.dtype == np.float32
    arrays = [v for v in opt.state[p].values() if isinstance(v, np.ndarray)]
    assert arrays and all(a.dtype == np.float32 for a in arrays)
    np.testing.assert_allclose(p.data, trajectory(cls, **hyper)[-1], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_parameters_whose_grad_is_none_are_skipped(cls):
    a, b = param(), param([1.0, 2.0])
    opt = cls([a, b], lr=0.1, weight_decay=0.1)
    a.grad = np.array([0.1, 0.2, 0.3])
    opt.step()
    opt.step()
    assert not np.array_equal(a.data, P0)
    np.testing.assert_array_equal(b.data, [1.0, 2.0])
    assert b not in opt.state


@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_step_updates_the_parameter_array_in_place(cls):
    p = param()
    array = p.data
    opt = cls([p], lr=0.1)
    p.grad = GRADS[0]
    opt.step()
    assert p.data is array and not np.array_equal(array, P0)


def test_zero_grad_sets_gradients_to_none_or_zeros():
    a, b = param(), param([1.0])
    opt = SGD([a, b], lr=0.1)
    a.grad, b.grad = np.ones(3), np.ones(1)
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(a.grad, np.zeros(3))
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_param_groups_keep_their_own_learning_rates():
    a, b = param([1.0, 1.0]), param([1.0, 1.0])
    opt = SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[1]["momentum"] == 0.9  # unset hyper-parameters take the defaults
    a.grad = b.grad = np.array([1.0, -2.0])
    opt.step()
    np.testing.assert_allclose(a.data, [0.9, 1.2], rtol=1e-15)
    np.testing.assert_allclose(b.data, [0.5, 2.0], rtol=1e-15)
    opt.param_groups[0]["lr"] = 0.0  # what a scheduler does
    opt.step()
    np.testing.assert_allclose(a.data, [0.9, 1.2], rtol=1e-15)


def test_step_returns_the_loss_of_a_closure():
    p = param([3.0])
    opt = SGD([p], lr=0.25)

    def closure() -> float:
        opt.zero_grad()
        loss = (p * p).sum()  # recorded: closures run with grad enabled
        loss.backward()
        return loss.item()

    assert opt.step(closure) == 9.0
    np.testing.assert_allclose(p.data, [3.0 - 0.25 * 6.0])


def test_module_parameters_can_be_optimized():
    from nn.module import Module

    class Line(Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = Parameter([2.0])

    model = Line()
    opt = Adam(model.parameters(), lr=0.1)
    model.w.grad = np.array([1.0], dtype=np.float32)
    opt.step()
    np.testing.assert_allclose(model.w.data, [1.9], rtol=1e-6)


# --- invalid arguments ------------------------------------------------------------------------

@pytest.mark.parametrize("cls, hyper, name", [
    (SGD, dict(lr=-0.1), "lr"),
    (SGD, dict(momentum=-0.5), "momentum"),
    (SGD, dict(weight_decay=-1e-4), "weight_decay"),
    (SGD, dict(nesterov=True), "nesterov"),
    (SGD, dict(momentum=0.9, dampening=0.1, nesterov=True), "nesterov"),
    (Adagrad, dict(lr=-1.0), "lr"),
    (Adagrad, dict(lr_decay=-0.1), "lr_decay"),
    (Adagrad, dict(initial_accumulator_value=-1.0), "initial_accumulator_value"),
    (Adagrad, dict(eps=-1e-10), "eps"),
    (RMSprop, dict(lr=-0.01), "lr"),
    (RMSprop, dict(alpha=-0.9), "alpha"),
    (RMSprop, dict(momentum=-0.9), "momentum"),
    (RMSprop, dict(eps=-1.0), "eps"),
    (Adam, dict(lr=-1e-3), "lr"),
    (Adam, dict(betas=(1.0, 0.999)), r"betas\[0\]"),
    (Adam, dict(betas=(0.9, -0.1)), r"betas\[1\]"),
    (Adam, dict(eps=-1e-8), "eps"),
    (Adam, dict(weight_decay=-0.1), "weight_decay"),
    (AdamW, dict(lr=float("nan")), "lr"),
    (AdamW, dict(weight_decay=-0.01), "weight_decay"),
])
def test_invalid_hyperparameters_raise_value_errors_naming_them(cls, hyper, name):
    with pytest.raises(ValueError, match=name):
        cls([param()], **hyper)


def test_a_group_with_an_invalid_hyperparameter_is_rejected():
    with pytest.raises(ValueError, match="lr"):
        SGD([{"params": [param()], "lr": -1.0}], lr=0.1)


def test_bad_parameter_lists_are_rejected():
    p = param()
    with pytest.raises(TypeError, match="iterable"):
        SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="empty"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(TypeError, match="Tensors"):
        SGD([np.zeros(3)], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        SGD([p * 2], lr=0.1)


# --- state_dict ---------------------------------------------------------------------------------

ROUND_TRIP = [
    (SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
    (Adagrad, dict(lr=0.1, lr_decay=0.1, initial_accumulator_value=0.2)),
    (RMSprop, dict(lr=0.01, centered=True, momentum=0.5)),
    (Adam, dict(lr=0.1, amsgrad=True)),
    (AdamW, dict(lr=0.1, weight_decay=0.1)),
]


@pytest.mark.parametrize("cls, hyper", ROUND_TRIP, ids=[c.__name__ for c, _ in ROUND_TRIP])
def test_state_dict_round_trip_continues_identically(cls, hyper):
    a, b = param(), param([1.0, -1.0])
    opt = cls([{"params": [a]}, {"params": [b], "lr": 0.05}], **hyper)
    for g in GRADS[:3]:
        a.grad, b.grad = g, g[:2]
        opt.step()
    saved = opt.state_dict()
    assert all(isinstance(v, (np.ndarray, int, float, bool))
               for s in saved["state"].values() for v in s.values())
    assert [g["params"] for g in saved["param_groups"]] == [[0], [1]]

    a2, b2 = param(a.data), param(b.data)
    restored = cls([{"params": [a2]}, {"params": [b2]}], lr=123.0)  # overwritten by the load
    restored.load_state_dict(saved)
    assert restored.param_groups[1]["lr"] == 0.05
    for g in GRADS[3:]:
        for x, y, grad in ((a, a2, g), (b, b2, g[:2])):
            x.grad = y.grad = grad
        opt.step()
        restored.step()
        np.testing.assert_array_equal(a2.data, a.data)
        np.testing.assert_array_equal(b2.data, b.data)


def test_state_dict_is_a_copy():
    p = param()
    opt = Adam([p], lr=0.1)
    p.grad = GRADS[0]
    opt.step()
    saved = opt.state_dict()
    opt.step()
    assert saved["state"][0]["step"] == 1
    assert not np.array_equal(saved["state"][0]["exp_avg"], opt.state[p]["exp_avg"])


def test_load_state_dict_rejects_a_different_grouping_and_changes_nothing():
    p, q = param(), param([1.0])
    opt = SGD([p, q], lr=0.1, momentum=0.9)
    other = SGD([{"params": [p]}, {"params": [q]}], lr=0.1)
    with pytest.raises(ValueError, match="parameter groups"):
        other.load_state_dict(opt.state_dict())
    with pytest.raises(ValueError, match="group 0"):
        SGD([p], lr=0.1).load_state_dict(opt.state_dict())
    saved = opt.state_dict()
    saved["param_groups"][0]["lr"] = -1.0
    with pytest.raises(ValueError, match="lr"):
        opt.load_state_dict(saved)
    assert opt.param_groups[0]["lr"] == 0.1


# --- learning-rate schedulers: sequences PyTorch 2.13 gives (lr=0.5, computed offline) ---------

def scheduled_lrs(make: Any, epochs: int, metrics: list[float] | None = None,
                  lr: float = 0.5) -> list[float]:
    """`get_last_lr()` after creating the scheduler and after each of `epochs` steps."""
    opt = SGD([param([0.0])], lr=lr)
    scheduler = make(opt)
    lrs = [scheduler.get_last_lr()[0]]
    for epoch in range(epochs):
        opt.step()
        scheduler.step(metrics[epoch]) if metrics else scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
        assert opt.param_groups[0]["lr"] == lrs[-1]
    return lrs


def test_step_lr_matches_pytorch():
    expected = [0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125, 0.125, 0.0625, 0.0625, 0.0625,
                0.03125, 0.03125, 0.03125, 0.015625]
    assert scheduled_lrs(lambda o: StepLR(o, step_size=3, gamma=0.5), 15) == expected


def test_exponential_lr_matches_pytorch():
    expected = [0.5, 0.45, 0.405, 0.36450000000000005, 0.32805000000000006, 0.2952450000000001,
                0.2657205000000001, 0.23914845000000007, 0.21523360500000008,
                0.19371024450000007, 0.17433922005000008, 0.15690529804500009,
                0.14121476824050008, 0.12709329141645007, 0.11438396227480506,
                0.10294556604732455]
    assert scheduled_lrs(lambda o: ExponentialLR(o, gamma=0.9), 15) == expected


def test_cosine_annealing_lr_matches_pytorch_including_past_t_max():
    expected = [0.5, 0.48800884649231263, 0.4532091636218621, 0.39900738681165593,
                0.33070916362186215, 0.255, 0.17929083637813792, 0.11099261318834411,
                0.05679083637813791, 0.021991153507687385, 0.01, 0.021991153507687385,
                0.05679083637813806, 0.1109926131883445, 0.1792908363781386, 0.255000000000001]
    lrs = scheduled_lrs(lambda o: CosineAnnealingLR(o, T_max=10, eta_min=0.01), 15)
    np.testing.assert_allclose(lrs, expected, rtol=0, atol=1e-12)
    closed_form = [0.01 + 0.49 * (1 + math.cos(math.pi * t / 10)) / 2 for t in range(16)]
    np.testing.assert_allclose(lrs, closed_form, rtol=0, atol=1e-15)


def test_cosine_annealing_reaches_eta_min_at_t_max():
    expected = [0.5, 0.42677669529663687, 0.25, 0.07322330470336313, 0.0, 0.0732233047033631,
                0.25000000000000006, 0.4267766952966371, 0.5000000000000002, 0.4267766952966371,
                0.25000000000000017, 0.07322330470336337]
    lrs = scheduled_lrs(lambda o: CosineAnnealingLR(o, T_max=4), 11)
    np.testing.assert_allclose(lrs, expected, rtol=0, atol=1e-12)


def test_schedulers_record_initial_lr_and_count_epochs():
    opt = Adam([{"params": [param()]}, {"params": [param([1.0])], "lr": 0.01}], lr=0.1)
    scheduler = StepLR(opt, step_size=2)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.01] == scheduler.base_lrs
    assert scheduler.last_epoch == 0
    for _ in range(5):
        scheduler.step()
    assert scheduler.last_epoch == 5
    np.testing.assert_allclose(scheduler.get_last_lr(), [0.1 * 0.01, 0.01 * 0.01], rtol=1e-12)
    ExponentialLR(opt, gamma=0.5)  # a second scheduler keeps the recorded initial_lr
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.01]


def test_scheduler_resumes_from_its_state_dict():
    opt = SGD([param()], lr=1.0)
    scheduler = CosineAnnealingLR(opt, T_max=8)
    for _ in range(3):
        scheduler.step()
    saved_opt, saved = opt.state_dict(), scheduler.state_dict()
    opt2 = SGD([param()], lr=1.0)
    opt2.load_state_dict(saved_opt)
    resumed = CosineAnnealingLR(opt2, T_max=8, last_epoch=saved["last_epoch"])
    resumed.load_state_dict(saved)
    scheduler.step()
    resumed.step()
    assert resumed.get_last_lr() == scheduler.get_last_lr()
    with pytest.raises(KeyError, match="initial_lr"):
        StepLR(SGD([param()], lr=1.0), step_size=2, last_epoch=3)


def test_invalid_scheduler_arguments_raise_value_errors_naming_them():
    opt = SGD([param()], lr=0.1)
    with pytest.raises(ValueError, match="step_size"):
        StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="T_max"):
        CosineAnnealingLR(opt, T_max=0)
    with pytest.raises(ValueError, match="factor"):
        ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode"):
        ReduceLROnPlateau(opt, mode="maximize")
    with pytest.raises(ValueError, match="threshold_mode"):
        ReduceLROnPlateau(opt, threshold_mode="relative")
    with pytest.raises(ValueError, match="min_lr"):
        ReduceLROnPlateau(opt, min_lr=[0.0, 0.0])
    with pytest.raises(TypeError, match="not an Optimizer"):
        StepLR(object(), step_size=1)  # type: ignore[arg-type]


# --- ReduceLROnPlateau --------------------------------------------------------------------------

@pytest.mark.parametrize("hyper, metrics, expected", [
    (dict(patience=2, cooldown=1, min_lr=0.1, factor=0.5),
     [5, 4, 4.5, 4.2, 4.1, 4.3, 3.0, 3.5, 3.4, 3.3, 3.2, 3.1, 3.05, 3.0, 2.9],
     [0.5, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.25, 0.125, 0.125, 0.125, 0.125, 0.1,
      0.1]),
    (dict(mode="max", threshold=0.1, threshold_mode="abs", patience=1),
     [0.5, 0.55, 0.62, 0.7, 0.75, 0.79, 0.9, 0.95, 0.99, 1.0, 1.2, 1.25],
     [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.05, 0.05, 0.05, 0.05]),
    (dict(mode="max", threshold=0.01, patience=0, factor=0.5),
     [0.5, 0.504, 0.51, 0.52, 0.5, 0.53, 0.53, 0.6],
     [0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125, 0.0625, 0.0625]),
    (dict(mode="min", threshold=0.1, patience=1, factor=0.2, eps=0.05),
     [1.0, 0.95, 0.85, 0.8, 0.79, 0.7, 0.6, 0.5, 0.49, 0.48, 0.47, 0.46, 0.45],
     [0.5, 0.5, 0.5, 0.5, 0.5, 0.1, 0.1, 0.1, 0.1, 0.1, 0.020000000000000004,
      0.020000000000000004, 0.020000000000000004, 0.020000000000000004]),
], ids=["min-rel-cooldown-min_lr", "max-abs", "max-rel-patience0", "min-rel-eps"])
def test_reduce_lr_on_plateau_matches_pytorch(hyper, metrics, expected):
    lrs = scheduled_lrs(lambda o: ReduceLROnPlateau(o, **hyper), len(metrics), metrics)
    assert lrs == expected


def test_reduce_lr_on_plateau_waits_patience_bad_epochs_then_cools_down():
    opt = SGD([param()], lr=1.0)
    scheduler = ReduceLROnPlateau(opt, patience=2, cooldown=2, factor=0.5)
    for metric in [1.0, 2.0, 2.0]:  # a best, then 2 bad epochs: within patience
        scheduler.step(metric)
    assert scheduler.get_last_lr() == [1.0] and scheduler.num_bad_epochs == 2
    scheduler.step(2.0)  # the third bad epoch exceeds patience
    assert scheduler.get_last_lr() == [0.5] and scheduler.in_cooldown
    for _ in range(2 + 2):  # 2 cooldown epochs count nothing, then 2 tolerated bad epochs
        scheduler.step(2.0)
    assert scheduler.get_last_lr() == [0.5]
    scheduler.step(2.0)
    assert scheduler.get_last_lr() == [0.25]
    assert scheduler.last_epoch == 9 and scheduler.best == 1.0


def test_reduce_lr_on_plateau_threshold_decides_what_counts_as_improvement():
    rel = ReduceLROnPlateau(SGD([param()], lr=1.0), threshold=0.1)  # mode min, relative
    assert rel.is_better(0.89, 1.0) and not rel.is_better(0.9, 1.0)
    absolute = ReduceLROnPlateau(SGD([param()], lr=1.0), mode="max", threshold=0.1,
                                 threshold_mode="abs")
    assert absolute.is_better(0.61, 0.5) and not absolute.is_better(0.6, 0.5)


def test_reduce_lr_on_plateau_stops_at_min_lr_per_group():
    opt = SGD([{"params": [param()]}, {"params": [param([1.0])], "lr": 0.1}], lr=1.0)
    scheduler = ReduceLROnPlateau(opt, patience=0, min_lr=[0.3, 0.05])
    for _ in range(4):
        scheduler.step(1.0)
    assert scheduler.get_last_lr() == [0.3, 0.05]
    assert "initial_lr" not in opt.param_groups[0]  # as in PyTorch


def test_reduce_lr_on_plateau_takes_a_one_element_tensor():
    scheduler = ReduceLROnPlateau(SGD([param()], lr=1.0), patience=0)
    scheduler.step(Tensor(np.array(2.0)))
    scheduler.step(np.float32(3.0))
    assert scheduler.best == 2.0 and scheduler.get_last_lr() == [0.1]


def test_nielsen_halving_rule_on_validation_accuracy():
    """Nielsen (ch. 3): halve the learning rate when validation accuracy stops improving
    (no new best for N epochs, PyTorch counting: the halving comes at the (N+1)-th), down
    to 1/128 of the initial rate."""
    lr0, n = 0.5, 3
    opt = SGD([param()], lr=lr0)
    scheduler = ReduceLROnPlateau(opt, mode="max", factor=0.5, patience=n, min_lr=lr0 / 128)
    accuracy = [0.90, 0.93, 0.95, 0.95, 0.94, 0.95, 0.949, 0.96, 0.955, 0.958, 0.959, 0.957]
    lrs = []
    for acc in accuracy:
        scheduler.step(acc)
        lrs.append(scheduler.get_last_lr()[0])
    # best 0.95 at epoch 3; epochs 4-7 bring nothing new: halve at the 4th of them
    assert lrs[:6] == [lr0] * 6 and lrs[6] == lr0 / 2
    assert lrs[7:11] == [lr0 / 2] * 4  # 0.96 is a new best, then 3 tolerated epochs
    assert lrs[11] == lr0 / 4
    for _ in range(40):  # never improves again: halves every n + 1 epochs, floor at lr0/128
        scheduler.step(0.5)
    assert scheduler.get_last_lr() == [lr0 / 128]


# --- end to end ----------------------------------------------------------------------------------

def test_adam_minimizes_least_squares_through_the_engine():
    rng = np.random.default_rng(0)
    A, b = rng.standard_normal((20, 4)), rng.standard_normal(20)
    x = param(np.zeros(4))
    opt = Adam([x], lr=0.05)
    A_t, b_t = Tensor(A), Tensor(b)
    for _ in range(1500):
        opt.zero_grad()
        residual = A_t @ x - b_t
        loss = 0.5 * (residual * residual).sum()
        loss.backward()
        opt.step()
    solution = np.linalg.lstsq(A, b, rcond=None)[0]
    np.testing.assert_allclose(x.data, solution, atol=1e-6)


# --- hardening: every hyper-parameter checked where it enters; steps are all or nothing ---------

INF, NAN = float("inf"), float("nan")


@pytest.mark.parametrize("cls, hyper, error, pattern", [
    (SGD, dict(lr=INF), ValueError, r"SGD: invalid lr=inf \(must be finite and >= 0\)"),
    (SGD, dict(lr=NAN), ValueError, "SGD: invalid lr=nan"),
    (SGD, dict(lr="0.1"), TypeError, "SGD: lr must be a real number, got str '0.1'"),
    (SGD, dict(lr=None), TypeError, "SGD: lr must be a real number"),
    (SGD, dict(momentum=INF), ValueError, "SGD: invalid momentum=inf"),
    (SGD, dict(dampening=2.0), ValueError, "SGD: invalid dampening=2.0"),
    (SGD, dict(nesterov="yes"), TypeError, "SGD: nesterov must be True or False"),
    (Adagrad, dict(eps=NAN), ValueError, "Adagrad: invalid eps=nan"),
    (Adagrad, dict(lr_decay=INF), ValueError, "Adagrad: invalid lr_decay=inf"),
    (RMSprop, dict(alpha=1.5), ValueError, r"RMSprop: invalid alpha=1.5 \(must be finite "
                                           r"and >= 0 and <= 1\)"),
    (RMSprop, dict(weight_decay=INF), ValueError, "RMSprop: invalid weight_decay=inf"),
    (Adam, dict(betas=0.9), TypeError, "Adam: betas must be a pair"),
    (Adam, dict(betas=(0.9, NAN)), ValueError, r"Adam: invalid betas\[1\]=nan"),
    (Adam, dict(betas=(0.9, "0.999")), TypeError, r"Adam: betas\[1\] must be a real number"),
    (Adam, dict(eps=-INF), ValueError, "Adam: invalid eps=-inf"),
    (AdamW, dict(lr=INF), ValueError, "AdamW: invalid lr=inf"),
    (AdamW, dict(amsgrad=None), TypeError, "AdamW: amsgrad must be True or False"),
])
def test_non_finite_and_mistyped_hyperparameters_are_refused_naming_optimizer_and_argument(
        cls, hyper, error, pattern):
    with pytest.raises(error, match=pattern):
        cls([param()], **hyper)


@pytest.mark.parametrize("make, error, pattern", [
    (lambda o: StepLR(o, step_size=1.5), TypeError, "StepLR: step_size must be an int"),
    (lambda o: StepLR(o, step_size=2, gamma=NAN), ValueError, "StepLR: invalid gamma=nan"),
    (lambda o: ExponentialLR(o, gamma=INF), ValueError, "ExponentialLR: invalid gamma=inf"),
    (lambda o: CosineAnnealingLR(o, T_max=NAN), ValueError, "CosineAnnealingLR: invalid T_max"),
    (lambda o: CosineAnnealingLR(o, T_max=5, eta_min=-1.0), ValueError, "invalid eta_min"),
    (lambda o: ReduceLROnPlateau(o, factor=-0.5), ValueError, "invalid factor=-0.5"),
    (lambda o: ReduceLROnPlateau(o, patience=2.5), TypeError, "patience must be an int"),
    (lambda o: ReduceLROnPlateau(o, min_lr=NAN), ValueError, "invalid min_lr=nan"),
    (lambda o: ReduceLROnPlateau(o, threshold=INF), ValueError, "invalid threshold=inf"),
    (lambda o: StepLR(o, step_size=1, last_epoch=-2), ValueError, "last_epoch must be an int"),
])
def test_bad_scheduler_arguments_are_refused_naming_them(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make(SGD([param()], lr=0.1))


STEP_INTERRUPTED = """
import os, signal, sys, time
import numpy as np
from nn.module import Parameter
from nn.optim import SGD

class SlowSGD(SGD):                       # a step long enough to be interrupted in the middle
    def _update(self, param, grad, state, group):
        if param is self.param_groups[0]["params"][0].data:
            print("stepping", flush=True)
            time.sleep(0.5)               # SIGINT arrives here, after the first update
        super()._update(param, grad, state, group)
        time.sleep(0.05)

params = [Parameter(np.zeros(3)) for _ in range(10)]
for p in params:
    p.grad = np.ones(3)
opt = SlowSGD(params, lr=1.0)
try:
    opt.step()
    print("not interrupted")
except KeyboardInterrupt:
    updated = [bool((p.data == -1.0).all()) for p in params]
    print("interrupted after the step:", all(updated), "of", updated.count(True))
"""


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or sys.platform == "win32",
                    reason="POSIX signals")
def test_a_sigint_during_step_is_delivered_after_every_parameter_is_updated():
    process = subprocess.Popen([sys.executable, "-c", STEP_INTERRUPTED], stdout=subprocess.PIPE,
                               text=True)
    assert process.stdout.readline() == "stepping\n"
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=60)
    assert out == "interrupted after the step: True of 10\n"


def test_step_in_another_thread_still_works():
    p = param()
    p.grad = np.ones(3)
    opt = SGD([p], lr=0.5)
    worker = threading.Thread(target=opt.step)
    worker.start()
    worker.join()
    assert np.allclose(p.data, P0 - 0.5)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
