"""Fuzzing nn's public surface with bad values (hypothesis): every constructor and function
of nn, nn.functional, nn.optim (and its schedulers), nn.init, nn.data, nn.save/load and
fit/evaluate gets one argument replaced by a wrong type, nan/inf, a negative, float or huge
size, an empty or oddly shaped array. Each call must either return or raise TypeError or
ValueError whose message names the function (or class) - never another exception type, a
hang, or a bare message from deep inside numpy.

Layer constructors (nn/layers.py, nn/conv.py) are fuzzed in `test_layer_constructors...`,
kept apart because those files are being rewritten elsewhere (see its reason).
"""

from __future__ import annotations

import math
import os
import signal
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd_lite
import nn
import nn.functional as F
from autograd_lite import Tensor
from nn import init
from nn.data import DataLoader, load_idx, load_mnist_like, moons, spirals
from nn.optim import SGD, Adagrad, Adam, AdamW, RMSprop
from nn.optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, ReduceLROnPlateau, StepLR

NAN, INF = float("nan"), float("inf")

# Values that are wrong somewhere: types, non-finite numbers, negative / float / huge sizes,
# empty and oddly shaped arrays. Built fresh for each example (arrays are mutable).
POOL: list[Callable[[], Any]] = [
    lambda: None, lambda: "abc", lambda: "", lambda: b"x", lambda: -1, lambda: 0,
    lambda: 1.5, lambda: -2.5, lambda: NAN, lambda: INF, lambda: -INF, lambda: 10**30,
    lambda: 2**40, lambda: -(2**63), lambda: True, lambda: [], lambda: (), lambda: {},
    lambda: object(), lambda: 1 + 2j, lambda: np.array([]), lambda: np.array(["a", "b"]),
    lambda: np.full(3, NAN), lambda: np.zeros((0, 3)), lambda: np.zeros((2, 3, 1, 1, 2)),
    lambda: Tensor(np.full((2, 3), NAN)), lambda: np.float64(NAN), lambda: np.int64(-7),
    lambda: [[1, 2], [3]], lambda: np.array([1, 2], dtype=object), lambda: os.devnull,
    lambda: ".",
]
BAD = st.one_of(st.sampled_from(POOL).map(lambda make: make()),
                st.floats(allow_nan=True, allow_infinity=True),
                st.integers(min_value=-(2**70), max_value=2**70),
                st.text(max_size=3), st.lists(st.integers(-3, 3), max_size=3))

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))
CALL_TIMEOUT = 10  # seconds: anything longer is a hang


def x_y(n: int = 8) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 2)).astype(np.float32), np.arange(n) % 2


def model() -> nn.Module:
    autograd_lite.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2))


def params() -> list[Tensor]:
    return list(model().parameters())


def optimizer() -> SGD:
    return SGD(params(), lr=0.1)


def logits() -> Tensor:
    return Tensor(np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32),
                  requires_grad=True)


LABELS = np.array([0, 2, 1, 0])


def call_with(fn: Callable[..., Any], args: dict[str, Any], slot: str,
              bad: Any) -> Callable[[], Any]:
    """`fn(**args)` with argument `slot` replaced by `bad` (positional names are keywords)."""
    def run() -> Any:
        return fn(**{**args, slot: bad})
    return run


def expect_clean(owners: tuple[str, ...], run: Callable[[], Any]) -> None:
    """Returns, or raises TypeError/ValueError naming one of `owners` (or, for a path that
    does not exist, FileNotFoundError); any other exception (or more than CALL_TIMEOUT
    seconds) fails the test."""
    alarm = hasattr(signal, "SIGALRM")

    def timeout(signum: int, frame: Any) -> None:
        raise TimeoutError(f"{owners[0]} hangs (> {CALL_TIMEOUT} s)")

    if alarm:
        previous = signal.signal(signal.SIGALRM, timeout)
        signal.alarm(CALL_TIMEOUT)
    try:
        with np.errstate(all="ignore"):
            run()
    except FileNotFoundError:
        pass  # a path that does not exist: the documented OSError, naming the file
    except (TypeError, ValueError) as e:
        message = str(e)
        assert any(owner in message for owner in owners), (
            f"{type(e).__name__} does not name {' or '.join(owners)}: {message}")
    finally:
        if alarm:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)


# --- the table: (names the error may use, function, valid arguments, arguments to fuzz) ------

def _fit(**kw: Any) -> Any:
    return nn.fit(**kw)


X, Y = x_y()
FIT_ARGS = dict(model=model(), loss_fn=nn.cross_entropy, optimizer=optimizer(),
                train_data=(X, Y), epochs=1, val_data=None, verbose="silent")

CASES: list[tuple[tuple[str, ...], Callable[..., Any], Callable[[], dict[str, Any]],
                  tuple[str, ...]]] = [
    *[((cls.__name__,), cls, lambda: dict(params=params()), slots)
      for cls, slots in [
          (SGD, ("params", "lr", "momentum", "dampening", "weight_decay", "nesterov")),
          (Adagrad, ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")),
          (RMSprop, ("lr", "alpha", "eps", "weight_decay", "momentum", "centered")),
          (Adam, ("lr", "betas", "eps", "weight_decay", "amsgrad")),
          (AdamW, ("lr", "betas", "eps", "weight_decay", "amsgrad")),
      ]],
    (("StepLR",), StepLR, lambda: dict(optimizer=optimizer(), step_size=2),
     ("step_size", "gamma", "last_epoch")),
    (("ExponentialLR",), ExponentialLR, lambda: dict(optimizer=optimizer(), gamma=0.9),
     ("gamma",)),
    (("CosineAnnealingLR",), CosineAnnealingLR, lambda: dict(optimizer=optimizer(), T_max=5),
     ("T_max", "eta_min")),
    (("ReduceLROnPlateau",), ReduceLROnPlateau, lambda: dict(optimizer=optimizer()),
     ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "min_lr",
      "eps")),
    (("DataLoader",), DataLoader, lambda: dict(dataset=x_y(), batch_size=2),
     ("dataset", "batch_size", "shuffle", "drop_last", "dtype", "rng")),
    (("moons",), moons, lambda: dict(n=10), ("n", "noise", "rng")),
    (("spirals",), spirals, lambda: dict(n=12), ("n", "classes", "noise", "rng")),
    (("load_idx",), load_idx, lambda: dict(path=os.devnull), ("path", "max_bytes")),
    (("load_mnist_like",), load_mnist_like, lambda: dict(folder=os.devnull),
     ("folder", "kind", "num_classes")),
    (("fit",), _fit, lambda: dict(FIT_ARGS, model=model(), optimizer=optimizer()),
     # epochs: a huge count is valid (and long); test_fit_epochs_... fuzzes it below
     ("model", "loss_fn", "optimizer", "train_data", "val_data", "patience",
      "monitor", "restore_best", "verbose", "log_every", "on_nonfinite", "metric",
      "scheduler", "on_epoch_end")),
    (("evaluate",), nn.evaluate, lambda: dict(model=model(), loss_fn=nn.cross_entropy,
                                              data=x_y()),
     ("model", "loss_fn", "data", "metric")),
    (("cross_entropy",), F.cross_entropy, lambda: dict(input=logits(), target=LABELS),
     ("input", "target", "weight", "ignore_index", "reduction", "label_smoothing")),
    (("nll_loss",), F.nll_loss, lambda: dict(input=logits(), target=LABELS),
     ("input", "target", "weight", "ignore_index", "reduction")),
    (("mse_loss",), F.mse_loss, lambda: dict(input=logits(), target=np.zeros((4, 3))),
     ("input", "target", "reduction")),
    (("l1_loss",), F.l1_loss, lambda: dict(input=logits(), target=np.zeros((4, 3))),
     ("input", "target", "reduction")),
    (("smooth_l1_loss",), F.smooth_l1_loss,
     lambda: dict(input=logits(), target=np.zeros((4, 3))), ("input", "target", "beta")),
    (("binary_cross_entropy",), F.binary_cross_entropy,
     lambda: dict(input=Tensor(np.full(4, 0.5)), target=np.array([0.0, 1, 1, 0])),
     ("input", "target", "weight", "reduction")),
    (("binary_cross_entropy_with_logits",), F.binary_cross_entropy_with_logits,
     lambda: dict(input=Tensor(np.zeros(4)), target=np.array([0.0, 1, 1, 0])),
     ("input", "target", "weight", "pos_weight", "reduction")),
    (("softmax",), F.softmax, lambda: dict(input=logits(), dim=1), ("input", "dim")),
    (("log_softmax",), F.log_softmax, lambda: dict(input=logits(), dim=1), ("input", "dim")),
    (("leaky_relu",), F.leaky_relu, lambda: dict(input=logits()),
     ("input", "negative_slope")),
    (("gelu",), F.gelu, lambda: dict(input=logits()), ("input", "approximate")),
    (("dropout",), F.dropout, lambda: dict(input=logits()), ("input", "p", "training")),
    (("linear",), F.linear,
     lambda: dict(input=logits(), weight=Tensor(np.ones((2, 3))), bias=Tensor(np.ones(2))),
     ("input", "weight", "bias")),
    (("one_hot",), F.one_hot, lambda: dict(tensor=LABELS, num_classes=3),
     ("tensor", "num_classes")),
    (("pad",), F.pad, lambda: dict(input=logits(), pad=(1, 1)),
     ("input", "pad", "mode", "value")),
    (("normal_",), init.normal_, lambda: dict(tensor=Tensor(np.zeros((3, 2)))),
     ("tensor", "mean", "std")),
    (("uniform_",), init.uniform_, lambda: dict(tensor=Tensor(np.zeros((3, 2)))),
     ("tensor", "a", "b")),
    (("xavier_uniform_",), init.xavier_uniform_,
     lambda: dict(tensor=Tensor(np.zeros((3, 2)))), ("tensor", "gain")),
    (("kaiming_normal_",), init.kaiming_normal_,
     lambda: dict(tensor=Tensor(np.zeros((3, 2)))), ("tensor", "a", "mode", "nonlinearity")),
    (("calculate_gain",), init.calculate_gain, lambda: dict(nonlinearity="relu"),
     ("nonlinearity", "param")),
    (("Neuron",), nn.Neuron, lambda: dict(nin=2), ("nin", "nonlin", "rng")),
    (("Layer", "Neuron"), nn.Layer, lambda: dict(nin=2, nout=3), ("nin", "nout")),
    (("MLP", "Layer", "Neuron"), nn.MLP, lambda: dict(nin=2, nouts=[3, 1]),
     ("nin", "nouts", "rng", "nonlin")),
    (("Perceptron",), nn.Perceptron, lambda: dict(n_inputs=2), ("n_inputs", "rng")),
    (("Adaline",), nn.Adaline, lambda: dict(n_inputs=2), ("n_inputs", "rng")),
    (("Perceptron",), lambda **kw: nn.Perceptron(2).fit(**kw),  # a huge epochs is valid
     lambda: dict(X=X, y=Y, epochs=1), ("X", "y", "lr")),
    (("Adaline",), lambda **kw: nn.Adaline(2).fit(**kw),
     lambda: dict(X=X, y=Y, epochs=1), ("X", "y", "lr")),
    (("Parameter",), nn.Parameter, lambda: dict(data=np.zeros(2)), ("data", "dtype", "label")),
    (("ModuleList",), nn.ModuleList, lambda: dict(modules=[nn.ReLU()]), ("modules",)),
    (("CrossEntropyLoss",), nn.CrossEntropyLoss, dict,
     ("weight", "ignore_index", "reduction", "label_smoothing")),
    (("MSELoss",), nn.MSELoss, dict, ("reduction",)),
    (("SmoothL1Loss",), nn.SmoothL1Loss, dict, ("reduction", "beta")),
    (("BCEWithLogitsLoss",), nn.BCEWithLogitsLoss, dict, ("weight", "reduction",
                                                          "pos_weight")),
    (("hinge_loss",), nn.hinge_loss,
     lambda: dict(scores=Tensor(np.zeros(4)), y_pm1=np.array([1.0, -1, 1, -1])),
     ("scores", "y_pm1", "reduction")),
    (("l2_penalty",), nn.l2_penalty, lambda: dict(params=params()), ("params",)),
]

SLOTS = [pytest.param(owners, fn, args, slot, id=f"{owners[0]}-{slot}")
         for owners, fn, args, slots in CASES for slot in slots]


@pytest.mark.parametrize(("owners", "fn", "args", "slot"), SLOTS)
@SETTINGS
@given(bad=BAD)
def test_bad_values_return_or_raise_an_error_naming_the_function(owners, fn, args, slot, bad):
    expect_clean(owners, call_with(fn, args(), slot, bad))


@SETTINGS
@given(module=BAD, path=BAD)
def test_save_and_load_refuse_bad_modules_and_paths_by_name(tmp_path_factory, module, path):
    folder = tmp_path_factory.mktemp("fuzz")
    cwd = os.getcwd()
    os.chdir(folder)  # a path that happens to be valid ("abc") is written here
    try:
        expect_clean(("nn.save",), lambda: nn.save(module, "m.npz"))
        expect_clean(("nn.save",), lambda: nn.save(model(), path))
        expect_clean(("nn.load",), lambda: nn.load(module, os.devnull))
        expect_clean(("nn.load",), lambda: nn.load(model(), path))
    finally:
        os.chdir(cwd)


@SETTINGS
@given(state=st.dictionaries(st.sampled_from(["0.weight", "0.bias", "2.weight", "x"]), BAD,
                             max_size=4))
def test_load_state_dict_refuses_bad_states_and_changes_nothing(state):
    net = model()
    before = net.state_dict()
    try:
        net.load_state_dict(state)
    except (KeyError, TypeError, ValueError) as e:
        assert "load_state_dict" in str(e)
        after = net.state_dict()
        assert all(np.array_equal(after[k], v, equal_nan=True) for k, v in before.items())


@SETTINGS
@given(epochs=st.one_of(st.integers(-3, 3), st.floats(), st.text(max_size=2)))
def test_fit_epochs_is_an_int_or_a_clear_error(epochs):
    def run() -> None:
        history = nn.fit(**dict(FIT_ARGS, model=model(), optimizer=optimizer(), epochs=epochs))
        assert len(history["train_loss"]) == epochs  # a returned history is the right one

    expect_clean(("fit",), run)
    if not (isinstance(epochs, int) and epochs >= 0):
        with pytest.raises((TypeError, ValueError), match="fit: epochs must be an int"):
            run()


LAYERS = [
    (("Linear",), nn.Linear, dict(in_features=2, out_features=3), ("in_features",
                                                                    "out_features", "bias")),
    (("Conv2d",), nn.Conv2d, dict(in_channels=1, out_channels=2, kernel_size=3),
     ("in_channels", "out_channels", "kernel_size", "stride", "padding")),
    (("MaxPool2d",), nn.MaxPool2d, dict(kernel_size=2), ("kernel_size", "stride")),
    (("Dropout",), nn.Dropout, dict(p=0.5), ("p",)),
    (("BatchNorm1d",), nn.BatchNorm1d, dict(num_features=3), ("num_features", "eps",
                                                               "momentum")),
    (("LeakyReLU",), nn.LeakyReLU, {}, ("negative_slope",)),
    (("Softmax",), nn.Softmax, {}, ("dim",)),
]


def _small(value: Any) -> bool:
    """Not a huge size: layers allocate their weights at once, and until they check sizes
    Linear(2**40, 3) would take the machine's memory rather than fail."""
    return not (isinstance(value, (int, float)) and not isinstance(value, bool)
                and math.isfinite(value) and abs(value) > 1000)


# Arguments this test found unchecked (none left; an entry here marks a strict xfail).
LAYER_FINDINGS: set[tuple[str, str]] = set()


@pytest.mark.parametrize(("owners", "cls", "args", "slot"), [
    pytest.param(o, c, a, s, id=f"{o[0]}-{s}", marks=[pytest.mark.xfail(
        reason="nn/layers.py does not check this argument yet", strict=True)]
        if (o[0], s) in LAYER_FINDINGS else [])
    for o, c, a, ss in LAYERS for s in ss])
@SETTINGS
@given(bad=BAD.filter(_small))
def test_layer_constructors_refuse_bad_sizes_by_name(owners, cls, args, slot, bad):
    expect_clean(owners, call_with(cls, args, slot, bad))


def test_the_pool_holds_every_kind_of_bad_value():
    values = [make() for make in POOL]
    assert any(isinstance(v, float) and math.isnan(v) for v in values)
    assert any(isinstance(v, int) and v > 2**32 for v in values)
    assert any(isinstance(v, np.ndarray) and v.size == 0 for v in values)
