"""Speed of `nn` conv nets, conv-net layers and an MLP against PyTorch CPU and a numpy floor.

Workloads (float32 throughout; one "step" = grads cleared + forward + cross-entropy +
backward + SGD update, lr 0.01, on a fixed batch)
-----------------------------------------------------------------------------------------
conv step      Conv2d(1→8, 3×3) → ReLU → MaxPool2d(2) → Flatten → Linear(1352→10), batch 64 of
               28×28 images. Peers: ours (nn.Conv2d, nn.ReLU, nn.MaxPool2d, nn.Flatten,
               nn.Linear, nn.cross_entropy, nn.optim.SGD), torch (torch.nn's same layers,
               F.cross_entropy, torch.optim.SGD) and the floor: a hand-written numpy step
               (im2col columns (N, 9, 676) by 9 strided copies, one GEMM per image, bias
               gradients as GEMVs, pooling as a pairwise maximum of strided views and its
               backward as masks, the columns kept from the forward for the weight gradient).
network3 step  Nielsen's network3 ConvPoolLayer → FullyConnectedLayer → SoftmaxLayer, with his
               default activation (sigmoid): Conv2d(1, 20, 5) → MaxPool2d(2) → sigmoid →
               Linear(2880, 100) → sigmoid → Linear(100, 10) → softmax cross-entropy, batch
               64. (network3 adds the conv bias after pooling; max(x) + b = max(x + b), so
               it is the same function.) Peers: ours, torch.
layer rows     One layer's forward + backward (input and parameter gradients; ḡ a fixed
               random array), no update: MaxPool2d(2) and AvgPool2d(2) on (64, 16, 28, 28),
               BatchNorm2d(16) in training mode on (64, 16, 28, 28), Conv2d(16, 32, 3,
               padding=1, groups=4) and Conv2d(16, 16, 3, padding=2, dilation=2) on
               (64, 16, 14, 14). Peers: ours, torch.
MLP epoch      Fashion-MNIST [784, 100, 10], ReLU, softmax cross-entropy, SGD lr 0.1,
               batch 32 (the command line's `train --data fashion-mnist --hidden 100`
               defaults), 60,000 training images in a shuffled order shared by both engines:
               seconds per epoch over 5 epochs, and test accuracy (10,000 images) after them.
               Data: Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist);
               without it the workload is skipped with a note. Peers: ours, torch.

Both engines start from the same weights (PyTorch's default init drawn once with numpy)
and the same data. Before timing, one step of each from those weights must give the same
loss (rtol 1e-4) and parameter gradients (rtol 1e-3, atol 1e-4) as the reference (the floor
where there is one, else torch); layer rows compare outputs and every gradient likewise.

Goals (issue 16): conv step ≤ 1.0× torch and ≤ 1.1× the floor; network3 step ≤ 1.0× torch;
MLP epoch ≤ 1.1× torch with test accuracy within 0.5 points of torch's; layer rows are
reported against the same ≤ 1.0× torch standard.

Threads: both engines run with the same number of threads: torch's default
(`torch.get_num_threads()`, 2 on the 2-core CI machine) unless `--threads N` says otherwise;
the bench sets numpy's OpenBLAS to the same count (`openblas_set_num_threads`) and prints
both. On a machine other processes keep busy, two threads per library stall waiting for a
core (with the 2 cores ~88% busy with others' work, torch's 2-thread conv step took 320 ms
against 10 ms on one thread, and a full run 17 minutes): `--threads 1` is then the fair and
steady comparison.

Method: as bench/tensor.py (bench/harness.py): engines interleaved inside every repetition
after a warm-up round, an untimed 0.2 s pause and gc.collect() before each sample (idle
OpenBLAS workers spin for ~0.12 s after a GEMM and would steal a core from the next engine),
a sample the mean of several consecutive steps after one untimed lead-in step; ratios are
medians of per-repetition ratios (paired samples), the ratio of medians printed beside
them. MLP epochs alternate between the engines, epoch by epoch. The last line says how busy
other processes kept the cores; on a shared machine rerun and compare ratios, not times.

    python bench/nn.py                 # full run: 2-3 minutes with 1 thread on the CI machine
    python bench/nn.py --quick         # smoke run: 3 repetitions, 1 MLP epoch
    python bench/nn.py --threads 1     # both engines on one thread
    python bench/nn.py --json out.json
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import importlib
import json
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
from harness import (
    Peer,
    Result,
    finite,
    interleave,
    load_torch,
    openblas_function,
    paired_ratio,
)
from tensor import LoadMeter, environment, print_environment, settle

import autograd_lite
from autograd_lite import Tensor


def library_nn() -> ModuleType:
    """The `nn` package. This file is bench/nn.py and Python puts bench/ first on the path
    of a script, so `import nn` would find this file: import the package without bench/."""
    here = os.path.dirname(os.path.abspath(__file__))
    saved = sys.path[:]
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    try:
        return importlib.import_module("nn")
    finally:
        sys.path[:] = saved


nn = library_nn()

BATCH, LR = 64, 0.01
WEIGHT_SEED, DATA_SEED = 1234, 5678
# float32 weight gradients sum 43k terms per entry in each engine's order, and a max-pool tie
# (one per step here: equal float32 ReLU outputs) goes to one entry in torch and the floor,
# is split in ours: differences of ~3e-5 on gradients of ~0.05
LOSS_RTOL, GRAD_RTOL, GRAD_ATOL = 1e-4, 1e-3, 1e-4
REPS, QUICK_REPS = 15, 3
SAMPLE_SECONDS = 0.06  # a sample runs about this long (steps per sample set from a probe)
FASHION = "/usr/share/datasets/fashion-mnist"
MLP_EPOCHS, MLP_BATCH, MLP_LR, MLP_HIDDEN = 5, 32, 0.1, 100
GOAL_CONV_TORCH, GOAL_CONV_FLOOR, GOAL_NET3_TORCH = 1.0, 1.1, 1.0
GOAL_MLP_TORCH, GOAL_MLP_ACCURACY, GOAL_LAYER_TORCH = 1.1, 0.5, 1.0
FLOOR = "floor(numpy)"


# --- the same initial weights for every engine ------------------------------------------------

def uniform_init(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int) -> np.ndarray:
    """PyTorch's default for Linear and Conv2d weights and biases: U(−1/√fan_in, 1/√fan_in)."""
    bound = 1 / math.sqrt(fan_in)
    return rng.uniform(-bound, bound, shape).astype(np.float32)


def load_into(ours: nn.Module, theirs: Any, arrays: list[np.ndarray], torch: Any) -> None:
    """Give our module's and torch's parameters (same order) copies of `arrays`."""
    for p, a in zip(ours.parameters(), arrays, strict=True):
        p.data = a.copy()
    if theirs is not None:
        with torch.no_grad():
            for p, a in zip(theirs.parameters(), arrays, strict=True):
                p.copy_(torch.from_numpy(a))


# --- conv-net steps ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Net:
    """A conv net given as both engines' layers, with its initial weights."""

    name: str
    ours: Callable[[], nn.Module]
    theirs: Callable[[ModuleType], Any]
    shapes: list[tuple[tuple[int, ...], int]]  # (shape, fan_in) per parameter, in order


def conv_net() -> Net:
    def theirs(torch: ModuleType) -> Any:
        tnn = torch.nn
        return tnn.Sequential(tnn.Conv2d(1, 8, 3), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Flatten(),
                              tnn.Linear(1352, 10))
    return Net("conv step", lambda: nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(),
                                                  nn.MaxPool2d(2), nn.Flatten(),
                                                  nn.Linear(1352, 10)),
               theirs, [((8, 1, 3, 3), 9), ((8,), 9), ((10, 1352), 1352), ((10,), 1352)])


def network3() -> Net:
    def theirs(torch: ModuleType) -> Any:
        tnn = torch.nn
        return tnn.Sequential(tnn.Conv2d(1, 20, 5), tnn.MaxPool2d(2), tnn.Sigmoid(),
                              tnn.Flatten(), tnn.Linear(2880, 100), tnn.Sigmoid(),
                              tnn.Linear(100, 10))
    return Net("network3 step", lambda: nn.Sequential(
        nn.Conv2d(1, 20, 5), nn.MaxPool2d(2), nn.Sigmoid(), nn.Flatten(), nn.Linear(2880, 100),
        nn.Sigmoid(), nn.Linear(100, 10)), theirs,
        [((20, 1, 5, 5), 25), ((20,), 25), ((100, 2880), 2880), ((100,), 2880),
         ((10, 100), 100), ((10,), 100)])


class OursStep:
    name = "ours"

    def __init__(self, model: nn.Module, x: np.ndarray, labels: np.ndarray) -> None:
        self.model, self.x, self.labels = model, Tensor(x), labels
        self.optimizer = nn.optim.SGD(model.parameters(), lr=LR)

    def step(self) -> float:
        self.optimizer.zero_grad()
        loss = nn.cross_entropy(self.model(self.x), self.labels)
        loss.backward()
        self.optimizer.step()
        return float(loss.data)

    def grads(self) -> list[np.ndarray]:
        return [np.array(p.grad) for p in self.model.parameters()]


class TorchStep:
    def __init__(self, torch: ModuleType, model: Any, x: np.ndarray, labels: np.ndarray,
                 name: str = "torch") -> None:
        self.torch, self.model, self.name = torch, model, name
        self.x, self.labels = torch.from_numpy(x), torch.from_numpy(labels)
        self.optimizer = torch.optim.SGD(model.parameters(), lr=LR)

    def step(self) -> float:
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.torch.nn.functional.cross_entropy(self.model(self.x), self.labels)
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def grads(self) -> list[np.ndarray]:
        return [p.grad.numpy().copy() for p in self.model.parameters()]


class FloorConvStep:
    """The conv step in hand-written numpy: the minimal reference for the conv layer."""

    name = FLOOR

    def __init__(self, params: list[np.ndarray], x: np.ndarray, labels: np.ndarray) -> None:
        self.params = [p.copy() for p in params]  # conv W (8, 1, 3, 3), b; fc W (10, 1352), b
        self.x, self.labels = x, labels
        self.rows = np.arange(len(x))
        self.ones_p = np.ones(26 * 26, dtype=np.float32)
        self.ones_n = np.ones(len(x), dtype=np.float32)
        self.last_grads: list[np.ndarray] = []

    def step(self) -> float:
        w, b, w2, b2 = self.params
        n = len(self.x)
        cols = np.empty((n, 1, 3, 3, 26, 26), dtype=np.float32)  # im2col: 9 strided copies
        for u in range(3):
            for v in range(3):
                cols[:, :, u, v] = self.x[:, :, u:u + 26, v:v + 26]
        cols = cols.reshape(n, 9, 676)
        z = w.reshape(8, 9) @ cols  # (N, 8, 676), one GEMM per image
        z += b[:, None]
        a = np.maximum(z, 0).reshape(n, 8, 26, 26)
        views = [a[:, :, u::2, v::2] for u in (0, 1) for v in (0, 1)]
        pooled = np.maximum(np.maximum(views[0], views[1]), np.maximum(views[2], views[3]))
        flat = pooled.reshape(n, 1352)
        logits = flat @ w2.T + b2
        shifted = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        loss = -(shifted - np.log(total))[self.rows, self.labels].mean()
        dlogits = e / total
        dlogits[self.rows, self.labels] -= 1
        dlogits /= n
        dw2, db2 = dlogits.T @ flat, self.ones_n @ dlogits
        dpooled = (dlogits @ w2).reshape(n, 8, 13, 13)
        da = np.zeros_like(a)
        free = np.ones(pooled.shape, dtype=bool)  # a tie goes to its first entry (PyTorch)
        for (u, v), view in zip(((0, 0), (0, 1), (1, 0), (1, 1)), views, strict=True):
            hit = (view == pooled) & free
            free &= ~hit
            da[:, :, u::2, v::2] = dpooled * hit
        dz = (da * (a > 0)).reshape(n, 8, 676)
        dw = (dz @ cols.transpose(0, 2, 1)).sum(axis=0).reshape(8, 1, 3, 3)
        db = self.ones_n @ (dz.reshape(n * 8, 676) @ self.ones_p).reshape(n, 8)
        self.last_grads = grads = [dw, db, dw2, db2]
        for p, g in zip(self.params, grads, strict=True):
            p -= LR * g
        return float(loss)

    def grads(self) -> list[np.ndarray]:
        return self.last_grads


def check_first_step(name: str, models: list[Any]) -> None:
    """One step of each model from the same weights: the losses and gradients agree."""
    if len(models) < 2:
        return  # nothing to compare against (no torch)
    losses = [m.step() for m in models]
    ref, ref_loss = models[0], losses[0]
    notes = []
    for model, loss in zip(models[1:], losses[1:], strict=True):
        assert math.isclose(loss, ref_loss, rel_tol=LOSS_RTOL), (
            f"{name}: {model.name} first-step loss {loss!r} != {ref.name}'s {ref_loss!r}")
        worst = 0.0
        for i, (g, r) in enumerate(zip(model.grads(), ref.grads(), strict=True)):
            assert np.allclose(g, r, rtol=GRAD_RTOL, atol=GRAD_ATOL), (
                f"{name}: {model.name} gradient of parameter {i} differs from {ref.name}'s by "
                f"up to {np.max(np.abs(g - r)):.2e}")
            worst = max(worst, float(np.max(np.abs(g - r))))
        notes.append(f"{model.name} loss {abs(loss / ref_loss - 1):.1e} rel, grads "
                     f"{worst:.1e} abs")
    print(f"check {name}, first step vs {ref.name} (loss {ref_loss:.6f}): " + "; ".join(notes))


def steps_per_sample(run: Callable[[], Any], quick: bool) -> int:
    """How many consecutive steps make a sample of about SAMPLE_SECONDS."""
    run()
    start = time.perf_counter()
    run()
    once = time.perf_counter() - start
    return 1 if quick else max(1, min(64, round(SAMPLE_SECONDS / max(once, 1e-6))))


def openblas_threads(n: int) -> bool:
    """Set the thread count of the OpenBLAS numpy loaded; False if its `set_num_threads`
    symbol was not found (then numpy keeps its default)."""
    fn = openblas_function("set_num_threads")
    if fn is None:
        return False
    fn(ctypes.c_int(n))
    return True


def bench_net(net: Net, torch: ModuleType | None, reps: int, quick: bool,
              floor: bool) -> list[Result]:
    wrng, drng = np.random.default_rng(WEIGHT_SEED), np.random.default_rng(DATA_SEED)
    params = [uniform_init(wrng, shape, fan_in) for shape, fan_in in net.shapes]
    x = drng.random((BATCH, 1, 28, 28), dtype=np.float32)
    labels = drng.integers(0, 10, BATCH)

    ours_model = net.ours()
    load_into(ours_model, None, params, torch)
    models: list[Any] = [FloorConvStep(params, x, labels)] if floor else []
    models.append(OursStep(ours_model, x, labels))

    def make_torch(name: str) -> TorchStep:
        model = net.theirs(torch)
        load_into(ours_model, model, params, torch)  # ours already stepped: reload both
        return TorchStep(torch, model, x, labels, name)

    if torch is not None:
        models.append(make_torch("torch"))
    check_first_step(net.name, models)
    runs = steps_per_sample(models[-1 if floor else 0].step, quick)
    peers = [Peer(m.name, m.step, lead_in=1, timed_runs=runs) for m in models]
    return interleave(net.name, peers, reps, settle=settle)


# --- layer rows ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class LayerCase:
    name: str
    shape: tuple[int, ...]
    ours: Callable[[], nn.Module]
    theirs: Callable[[ModuleType], Any]


def layer_cases() -> list[LayerCase]:
    return [
        LayerCase("MaxPool2d(2)", (64, 16, 28, 28), lambda: nn.MaxPool2d(2),
                  lambda t: t.nn.MaxPool2d(2)),
        LayerCase("AvgPool2d(2)", (64, 16, 28, 28), lambda: nn.AvgPool2d(2),
                  lambda t: t.nn.AvgPool2d(2)),
        LayerCase("BatchNorm2d(16)", (64, 16, 28, 28), lambda: nn.BatchNorm2d(16),
                  lambda t: t.nn.BatchNorm2d(16)),
        LayerCase("Conv2d groups=4", (64, 16, 14, 14),
                  lambda: nn.Conv2d(16, 32, 3, padding=1, groups=4),
                  lambda t: t.nn.Conv2d(16, 32, 3, padding=1, groups=4)),
        LayerCase("Conv2d dilation=2", (64, 16, 14, 14),
                  lambda: nn.Conv2d(16, 16, 3, padding=2, dilation=2),
                  lambda t: t.nn.Conv2d(16, 16, 3, padding=2, dilation=2)),
    ]


class OursLayer:
    name = "ours"

    def __init__(self, layer: nn.Module, x: np.ndarray, g: np.ndarray) -> None:
        self.layer, self.x, self.g = layer, Tensor(x, requires_grad=True), g

    def step(self) -> list[np.ndarray]:
        self.x.grad = None
        self.layer.zero_grad()
        y = self.layer(self.x)
        y.backward(self.g)
        return [y.data, self.x.grad, *(np.array(p.grad) for p in self.layer.parameters())]


class TorchLayer:
    def __init__(self, torch: ModuleType, layer: Any, x: np.ndarray, g: np.ndarray,
                 name: str) -> None:
        self.name, self.layer = name, layer
        self.x = torch.tensor(x, requires_grad=True)
        self.g = torch.from_numpy(g)

    def step(self) -> list[np.ndarray]:
        self.x.grad = None
        self.layer.zero_grad(set_to_none=True)
        y = self.layer(self.x)
        y.backward(self.g)
        return [y.detach().numpy(), self.x.grad.numpy(),
                *(p.grad.numpy() for p in self.layer.parameters())]


def bench_layer(case: LayerCase, torch: ModuleType | None, reps: int, quick: bool
                ) -> list[Result]:
    rng = np.random.default_rng(DATA_SEED)
    x = rng.standard_normal(case.shape, dtype=np.float32)
    ours_layer = case.ours()
    g = rng.standard_normal(ours_layer(Tensor(x)).shape, dtype=np.float32)
    ours = OursLayer(ours_layer, x, g)
    arrays = [np.array(p.data) for p in ours_layer.parameters()]
    peers = []

    def make_torch(name: str) -> TorchLayer:
        layer = case.theirs(torch)
        load_into(ours_layer, layer, arrays, torch)
        return TorchLayer(torch, layer, x, g, name)

    runs = steps_per_sample(ours.step, quick)
    peers.append(Peer("ours", ours.step, lead_in=1, timed_runs=runs))
    if torch is not None:
        expected, got = make_torch("torch").step(), ours.step()
        for i, (a, b) in enumerate(zip(got, expected, strict=True)):
            assert np.allclose(a, b, rtol=GRAD_RTOL, atol=1e-4), (
                f"{case.name}: output/gradient {i} differs from torch's by up to "
                f"{np.max(np.abs(a - b)):.2e}")
        theirs = make_torch("torch")
        peers.append(Peer("torch", theirs.step, lead_in=1, timed_runs=runs))
    return interleave(case.name, peers, reps, settle=settle)


# --- MLP epochs on Fashion-MNIST ------------------------------------------------------------

def fashion_mnist() -> tuple[np.ndarray, ...] | None:
    if not os.path.isdir(FASHION):
        return None
    train_x, train_y = nn.data.load_mnist_like(FASHION, "train")
    test_x, test_y = nn.data.load_mnist_like(FASHION, "t10k")
    return (train_x.reshape(len(train_x), -1), train_y, test_x.reshape(len(test_x), -1),
            test_y)


def bench_mlp(torch: ModuleType, epochs: int) -> dict[str, Any] | None:
    data = fashion_mnist()
    if data is None:
        print(f"note: {FASHION} not found (apt install dataset-fashion-mnist): MLP epoch "
              "skipped")
        return None
    train_x, train_y, test_x, test_y = data
    wrng = np.random.default_rng(WEIGHT_SEED)
    sizes = (784, MLP_HIDDEN, 10)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        params += [uniform_init(wrng, (fan_out, fan_in), fan_in),
                   uniform_init(wrng, (fan_out,), fan_in)]
    ours = nn.Sequential(nn.Linear(784, MLP_HIDDEN), nn.ReLU(), nn.Linear(MLP_HIDDEN, 10))
    tnn = torch.nn
    theirs = tnn.Sequential(tnn.Linear(784, MLP_HIDDEN), tnn.ReLU(), tnn.Linear(MLP_HIDDEN, 10))
    load_into(ours, theirs, params, torch)
    ours_opt = nn.optim.SGD(ours.parameters(), lr=MLP_LR)
    theirs_opt = torch.optim.SGD(theirs.parameters(), lr=MLP_LR)
    cross_entropy = torch.nn.functional.cross_entropy

    def ours_epoch(order: np.ndarray) -> None:
        for start in range(0, len(order), MLP_BATCH):
            idx = order[start:start + MLP_BATCH]
            ours_opt.zero_grad()
            loss = nn.cross_entropy(ours(Tensor(train_x[idx])), train_y[idx])
            loss.backward()
            ours_opt.step()

    def theirs_epoch(order: np.ndarray) -> None:
        for start in range(0, len(order), MLP_BATCH):
            idx = order[start:start + MLP_BATCH]
            theirs_opt.zero_grad(set_to_none=True)
            loss = cross_entropy(theirs(torch.from_numpy(train_x[idx])),
                                 torch.from_numpy(train_y[idx]))
            loss.backward()
            theirs_opt.step()

    shuffle = np.random.default_rng(DATA_SEED)
    times: dict[str, list[float]] = {"ours": [], "torch": []}
    for _ in range(epochs):  # epoch by epoch, alternating: drift hits both
        order = shuffle.permutation(len(train_x))
        for name, run in (("ours", ours_epoch), ("torch", theirs_epoch)):
            settle()
            gc.collect()
            start = time.perf_counter()
            run(order)
            times[name].append(time.perf_counter() - start)
    with autograd_lite.no_grad():
        ours_acc = float(np.mean(ours(Tensor(test_x)).data.argmax(axis=1) == test_y))
    with torch.no_grad():
        theirs_acc = float(np.mean(theirs(torch.from_numpy(test_x)).numpy().argmax(axis=1)
                                   == test_y))
    ratios = [a / b for a, b in zip(times["ours"], times["torch"], strict=True)]
    return {"epochs": epochs, "seconds": times, "ratio": float(np.median(ratios)),
            "ratio_of_medians": float(np.median(times["ours"]) / np.median(times["torch"])),
            "accuracy": {"ours": ours_acc, "torch": theirs_acc}}


# --- report -------------------------------------------------------------------------------------

def fmt_time(seconds: float) -> str:
    return f"{seconds * 1e6:.0f} us" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"


def fastest_torch(results: list[Result]) -> Result | None:
    """The torch peer of a workload (None without torch)."""
    variants = [r for r in results if r.engine.startswith("torch") and r.times]
    return variants[0] if variants else None


def row_ratios(results: list[Result]) -> dict[str, Any]:
    engines = {r.engine: r for r in results}
    ours, torch = engines["ours"], fastest_torch(results)
    floor = engines.get(FLOOR)
    return {"workload": results[0].workload,
            "ours_over_torch": paired_ratio(ours, torch) if torch else math.nan,
            "torch_engine": torch.engine if torch else None,
            "ours_over_floor": paired_ratio(ours, floor) if floor else math.nan}


def print_table(groups: list[list[Result]]) -> None:
    print(f"{'workload':<20}{'engine':<14}{'median':>10}{'vs torch':>10}{'(medians)':>11}"
          f"{'range (min..max)':>22}")
    for results in groups:
        torch = fastest_torch(results)
        for res in results:
            vs = f"{paired_ratio(res, torch):.2f}x" if torch else "-"
            med = f"{res.median / torch.median:.2f}x" if torch else "-"
            spread = f"{fmt_time(min(res.times))}..{fmt_time(max(res.times))}"
            print(f"{res.workload:<20}{res.engine:<14}{fmt_time(res.median):>10}{vs:>10}"
                  f"{med:>11}{spread:>22}")
    print("vs torch: median of per-repetition ratios (paired samples); (medians): ratio of "
          "medians")


def verdict(ok: bool | None) -> str:
    return {True: "PASS", False: "FAIL", None: "not measured"}[ok]


def judge(value: float, goal: float) -> bool | None:
    return None if math.isnan(value) else bool(value <= goal)


def goals(rows: list[dict[str, Any]], mlp: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for row in rows:
        name, vs_torch = row["workload"], row["ours_over_torch"]
        measured = ("torch not installed" if row["torch_engine"] is None else
                    f"measured {vs_torch:.2f}x")
        if name == "conv step":
            ok_t, ok_f = judge(vs_torch, GOAL_CONV_TORCH), judge(row["ours_over_floor"],
                                                                  GOAL_CONV_FLOOR)
            ok = False if ok_f is False or ok_t is False else (ok_t and ok_f)
            print(f"goal conv step: ours <= {GOAL_CONV_TORCH:g}x torch ({measured}) and <= "
                  f"{GOAL_CONV_FLOOR:g}x the numpy floor (measured "
                  f"{row['ours_over_floor']:.2f}x)  {verdict(ok)}")
        else:
            goal = GOAL_NET3_TORCH if name == "network3 step" else GOAL_LAYER_TORCH
            ok = judge(vs_torch, goal)
            print(f"goal {name}: ours <= {goal:g}x torch ({measured})  {verdict(ok)}")
        out[name] = ok
    if mlp is not None:
        acc = mlp["accuracy"]
        gap = 100 * abs(acc["ours"] - acc["torch"])
        ok = mlp["ratio"] <= GOAL_MLP_TORCH and gap <= GOAL_MLP_ACCURACY
        print(f"goal MLP epoch: ours <= {GOAL_MLP_TORCH:g}x torch per epoch (measured "
              f"{mlp['ratio']:.2f}x; {mlp['ratio_of_medians']:.2f}x of medians) and test "
              f"accuracy within {GOAL_MLP_ACCURACY:g} points (ours {acc['ours']:.2%}, torch "
              f"{acc['torch']:.2%}: {gap:.2f} points)  {verdict(ok)}")
        out["MLP epoch"] = ok
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: R = 3, 1 MLP epoch")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--threads", type=int, metavar="N",
                        help="threads for numpy's OpenBLAS and torch (default: torch's default)")
    args = parser.parse_args(argv)
    reps = QUICK_REPS if args.quick else REPS
    meter, torch = LoadMeter(), load_torch()
    threads = args.threads or (torch.get_num_threads() if torch is not None else None)
    if threads is not None:
        if torch is not None:
            torch.set_num_threads(threads)
        if not openblas_threads(threads):
            print("note: could not set numpy's OpenBLAS thread count; it keeps its default")
    autograd_lite.manual_seed(0)
    gc.collect()
    gc.freeze()
    env = environment(torch)
    print_environment({**env, "torch_threads": None})  # bench/tensor.py's header, then:
    print(f"threads: numpy OpenBLAS {env['openblas_threads']}, torch "
          f"{env['torch_threads']} (the same for both engines in every workload)")
    if torch is None:
        print("note: torch is not installed: the torch columns, the layer rows' checks and "
              "the MLP epoch are skipped; the conv step is still timed against the floor")
    print(f"repetitions {reps}, engines interleaved; medians and paired ratios\n")

    groups = [bench_net(conv_net(), torch, reps, args.quick, floor=True),
              bench_net(network3(), torch, reps, args.quick, floor=False)]
    groups += [bench_layer(case, torch, reps, args.quick) for case in layer_cases()]
    mlp = bench_mlp(torch, 1 if args.quick else MLP_EPOCHS) if torch is not None else None
    print()
    print_table(groups)
    if mlp is not None:
        sec = mlp["seconds"]
        print(f"MLP epoch (Fashion-MNIST, {mlp['epochs']} epochs): ours "
              f"{np.median(sec['ours']):.2f} s, torch {np.median(sec['torch']):.2f} s per "
              f"epoch (medians); paired ratio {mlp['ratio']:.2f}x")
    print()
    rows = [row_ratios(results) for results in groups]
    verdicts = goals(rows, mlp)
    share = meter.others_share()
    if share is not None:
        print(f"machine: other processes kept {share:.0%} of the {os.cpu_count()} cores busy "
              "during this run" + ("  (shared: compare ratios, rerun)" if share > 0.1 else ""))
    if args.json:
        payload = {"environment": env, "rows": [{k: finite(v) for k, v in r.items()}
                                                for r in rows],
                   "results": [{"workload": r.workload, "engine": r.engine, "times_s": r.times}
                               for g in groups for r in g],
                   "mlp": mlp, "goals": verdicts, "others_load": share}
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(payload, f, indent=2)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
