"""Speed of the numpy-backed `autograd_lite.Tensor` against a hand-written numpy floor and torch.

Workloads
---------
W3 elementwise chain: 1000 elementwise ops on a length-16 float32 vector, forward + backward,
    reported as time PER OP (the time of the whole run, `sum()` and `backward()` included,
    divided by 1000). The ops cycle through tanh, exp, mul, add: 250 groups of
    `h = (h.tanh().exp() * c + d)`, with `c`, `d` constant (no grad) float32 vectors and
    `h` starting at `x = Tensor(x0, requires_grad=True)`; then `h.sum().backward()`.
    Values stay bounded whatever `c` and `d` are (tanh then exp lies in [1/e, e]). They are
    chosen so that the gradient does not vanish: `c` in [0.97, 0.99], `d = -c` and x0 in
    [-1, -0.1] make 0 a fixed point with local slope c per group, so x.grad ends around
    1e-7..1e-4. (With c = 0.5, d = -0.5 each group shrinks the gradient about 2x and
    0.5**250 underflows float32 to exactly zero: the check would be vacuous and the timed
    arithmetic would run on denormals.) x.grad must match the floor's to rtol 1e-5 (ours
    makes the same numpy calls, so it matches exactly). torch is checked to rtol 2e-4: its
    own float32 tanh and exp differ from numpy's by an ulp here and there, and over 1000 ops
    float32 rounding alone moves this gradient about 5e-5 from its float64 value (the report
    prints both figures).
    Peers: ours; the floor, a hand-written numpy forward (keeping tanh and exp outputs in a
    Python list) and a reversed loop applying each derivative with numpy (tanh: g*(1-t*t),
    exp: g*e, mul: g*c, add: g), i.e. the same numpy calls minus the engine; torch float32
    tensors, run both with torch's default thread count and with `torch.set_num_threads(1)`:
    the faster of the two is "torch" in the ratios and the goal, and the report says which.
W4 MLP step: a 784-256-128-10 ReLU MLP, `x @ W + b` with W of shape (in, out), softmax
    cross-entropy (mean over the batch; each engine's fused op: our `cross_entropy`, torch's
    `F.cross_entropy`, the floor's hand-written (softmax - onehot) / batch), plain SGD
    `p.data -= 0.01 * p.grad`; float32, at batch 128 and at batch 1024 (two workloads).
    Weights ~ N(0, 1/fan_in) and inputs ~ N(0, 1) from seeded generators, biases 0, labels
    uniform in [0, 10). One timed step = grads set to None + forward + backward + update.
    Peers: ours; the floor, hand-written numpy (relu masks, (softmax - onehot) / batch,
    matmul grads, bias sums); torch (same layout and formulation, default threads). Before
    timing, each engine does one step from the same weights: the losses must agree to
    rtol 1e-4 and every parameter gradient to rtol 1e-3, atol 1e-6.
GEMM: float32 1024x1024 @ 1024x1024 in numpy (and torch), median of 5, as GFLOP/s; it shows
    which OpenBLAS kernel is in use (see --coretype).

Goals
-----
W3: ours at most 0.6x torch's time per op AND at most 3x the numpy floor's.
W4: ours at most 1.10x the numpy floor's time per step, at batch 128 and at batch 1024.

Method
------
As in bench/scalar.py: engines are interleaved inside every repetition after a warm-up round,
and medians over repetitions are reported. A ratio (the goals' and the "vs floor" column) is
the median over repetitions of the two engines' ratio within that repetition: paired samples
taken seconds apart, so the machine's drift between its fast and slow states (up to 2x here)
cancels; the ratio of the two medians is printed beside it.
Each sample starts after an untimed 0.2 s pause: numpy's OpenBLAS keeps its idle worker
threads busy-waiting for about 0.12 s after a parallel GEMM (torch's OpenMP workers about
0.01 s), and on 2 cores an engine sampled inside that window runs with a core stolen by the
previous library (torch's MLP step measured 2x slower right after numpy's than after a pause).
Within a sample an engine runs back to back, so its own library's spinning counts, as in a
real training loop.
W3: R = 15 repetitions, a sample is the mean of 20 consecutive runs. W4: R = 15, a sample is
the mean of 8192 rows' worth of consecutive steps (64 at batch 128, 8 at batch 1024; about
50-80 ms) after one untimed lead-in step (the previous step's garbage pending, as in a training
loop). Shorter samples were too noisy: with 5 steps (6 ms at batch 128) single paired ratios
ranged 0.74-1.65 and the median of 9 moved between 0.98x and 1.11x from run to run; with 64
steps and R = 15 it stayed within 1.039-1.049x over four runs. The garbage collector stays on;
an untimed `gc.collect()` precedes every sample and objects alive before the workloads
(numpy's, torch's modules) are hidden from it with `gc.freeze()`. torch is optional: without it
the torch peer is skipped with a note. The table also shows minor page faults per run or step:
on this VM each costs about 1.5 us, so an engine whose allocations make malloc return memory to
the OS and fault it back in every step pays for it. The header prints a digest of
autograd_lite's sources (compare runs only at equal digests) and the last line how busy other
processes kept the cores during the run (from /proc/stat); above 10% it warns that the timings
are unreliable.

OpenBLAS picks its kernel (Haswell, SkylakeX, ...) once, when numpy loads it; the
environment variable OPENBLAS_CORETYPE overrides that choice. `--coretype NAME` re-runs this
script in a subprocess whose environment has OPENBLAS_CORETYPE=NAME from the start (before
numpy is imported) and prints that run. The header shows whether the CPU has AVX-512, the
BLAS numpy was built with, OPENBLAS_CORETYPE, and (where it can be queried) the kernel
OpenBLAS actually chose: an unknown NAME is silently ignored by OpenBLAS.

Run from the repository root:

    python bench/tensor.py                     # full run, under a minute
    python bench/tensor.py --quick             # smoke run: R = 3, shorter samples
    python bench/tensor.py --json out.json     # also write the results as JSON
    python bench/tensor.py --coretype SkylakeX # the same, with OPENBLAS_CORETYPE=SkylakeX
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import glob
import hashlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, TypeVar

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

import autograd_lite
from autograd_lite import Tensor, cross_entropy

T = TypeVar("T")

CHAIN_GROUPS = 250  # groups of (tanh, exp, mul, add)
CHAIN_OPS = 4 * CHAIN_GROUPS
CHAIN_WIDTH = 16
CHAIN_C = (0.97, 0.99)  # c = linspace over the vector, d = -c
CHAIN_X0 = (-1.0, -0.1)  # x0 uniform in this range
CHAIN_RTOL = 1e-5  # ours against the floor (the same numpy calls: bit-identical in practice)
CHAIN_RTOL_TORCH = 2e-4  # torch's own tanh/exp differ by ulps; see the docstring
MLP_SIZES = (784, 256, 128, 10)
MLP_BATCHES = (128, 1024)
N_CLASSES = MLP_SIZES[-1]
LEARNING_RATE = 0.01
LOSS_RTOL, GRAD_RTOL, GRAD_ATOL = 1e-4, 1e-3, 1e-6
CHAIN_SEED, WEIGHT_SEED, DATA_SEED = 1234, 5678, 9012
CHAIN_REPS, CHAIN_RUNS = 15, 20  # samples, runs per sample
MLP_REPS, MLP_SAMPLE_ROWS, MLP_MIN_STEPS = 15, 8192, 8  # a sample: rows // batch steps, or more
QUICK_REPS, QUICK_CHAIN_RUNS, QUICK_MLP_SAMPLE_ROWS, QUICK_MLP_MIN_STEPS = 3, 5, 256, 2
GEMM_N, GEMM_REPS = 1024, 5
BUSY_WARNING = 0.10  # warn when other processes used more than this share of the cores
SETTLE_S = 0.2  # untimed pause before each sample: other libraries' idle workers stop spinning
FLOOR = "floor(numpy)"  # the floor's engine name in every workload
GOAL_W3_TORCH, GOAL_W3_FLOOR, GOAL_W4_FLOOR = 0.6, 3.0, 1.10


# --- environment ----------------------------------------------------------------------------

def cpu_info() -> tuple[str, bool]:
    """The CPU model name and whether its flags include avx512f."""
    model, avx512 = platform.processor() or "unknown", False
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                elif line.startswith("flags"):
                    avx512 = "avx512f" in line.split(":", 1)[1].split()
                    break
    except OSError:
        pass
    return model, avx512


def blas_name() -> str:
    """The BLAS numpy was built against, e.g. 'scipy-openblas 0.3.31.188.0'."""
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas['name']} {blas['version']}"
    except (AttributeError, KeyError, TypeError, ValueError):
        return "unknown"


def openblas_query(name: str, restype: Any) -> Any:
    """Call OpenBLAS's `get_<name>` in the copy numpy loaded, or None if it has none."""
    fn = openblas_function(f"get_{name}")
    if fn is None:
        return None
    fn.restype = restype
    return fn()


def engine_digest() -> str:
    """A short sha256 of autograd_lite's sources: runs are comparable when it is the same."""
    digest = hashlib.sha256()
    for path in sorted(glob.glob(os.path.join(os.path.dirname(autograd_lite.__file__), "*.py"))):
        with open(path, "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()[:12]


def busy_cpu_seconds() -> float | None:
    """CPU seconds all processes together have been busy since boot (/proc/stat), or None."""
    try:
        with open("/proc/stat", encoding="utf-8") as f:
            ticks = [int(x) for x in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class LoadMeter:
    """How much of the machine other processes used while this benchmark ran."""

    wall: float = field(default_factory=time.perf_counter)
    own: float = field(default_factory=time.process_time)  # all of this process's threads
    busy: float | None = field(default_factory=busy_cpu_seconds)

    def others_share(self) -> float | None:
        """The fraction of all cores' time other processes were busy since the start."""
        busy = busy_cpu_seconds()
        if busy is None or self.busy is None:
            return None
        capacity = (time.perf_counter() - self.wall) * (os.cpu_count() or 1)
        others = (busy - self.busy) - (time.process_time() - self.own)
        return max(0.0, others / capacity)


def environment(torch: ModuleType | None) -> dict[str, Any]:
    model, avx512 = cpu_info()
    core = openblas_query("corename", ctypes.c_char_p)
    return {
        "autograd_lite_digest": engine_digest(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__ if torch is not None else "not installed",
        "cpu": model,
        "cores": os.cpu_count(),
        "avx512f": avx512,
        "blas": blas_name(),
        "openblas_core": core.decode() if core else "unknown",
        "openblas_threads": openblas_query("num_threads", ctypes.c_int),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "torch_threads": torch.get_num_threads() if torch is not None else None,
    }


def print_environment(env: dict[str, Any]) -> None:
    print(f"autograd_lite sources sha256 {env['autograd_lite_digest']}  python {env['python']}  "
          f"numpy {env['numpy']}  torch {env['torch']}")
    print(f"cpu {env['cpu']}  ({env['cores']} cores)  avx512f: "
          f"{'yes' if env['avx512f'] else 'no'}")
    coretype = env["OPENBLAS_CORETYPE"] or "not set"
    print(f"numpy BLAS {env['blas']}  kernel in use: {env['openblas_core']}  "
          f"threads: {env['openblas_threads']}  OPENBLAS_CORETYPE: {coretype}")
    if env["torch_threads"] is not None:
        print(f"torch threads: {env['torch_threads']} (default; W4 uses it, W3 also tries 1)")


# --- GEMM throughput ------------------------------------------------------------------------

def settle() -> None:
    """Wait until the worker threads of the library used last have stopped spinning.

    After a parallel BLAS call, OpenBLAS's idle workers busy-wait for about 0.12 s on this
    machine (torch's OpenMP workers for about 0.01 s). An engine sampled right after another
    library's work would share the 2 cores with those spinning threads: torch's MLP step
    measured 2x slower right after numpy's than after a pause.
    """
    time.sleep(SETTLE_S)


def gemm_gflops(matmul: Callable[[], Any]) -> float:
    """GFLOP/s of a GEMM_N-cubed float32 matmul: median of GEMM_REPS after one warm-up."""
    settle()
    matmul()
    times = []
    for _ in range(GEMM_REPS):
        start = time.perf_counter()
        matmul()
        times.append(time.perf_counter() - start)
    return 2 * GEMM_N**3 / statistics.median(times) / 1e9


def bench_gemm(torch: ModuleType | None) -> dict[str, float]:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((GEMM_N, GEMM_N), dtype=np.float32)
    b = rng.standard_normal((GEMM_N, GEMM_N), dtype=np.float32)
    result = {"numpy": gemm_gflops(lambda: a @ b)}
    if torch is not None:
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        result["torch"] = gemm_gflops(lambda: ta @ tb)
    return result


# --- W3: the elementwise chain --------------------------------------------------------------

@dataclass(frozen=True)
class ChainData:
    x0: np.ndarray
    c: np.ndarray
    d: np.ndarray


def chain_data(seed: int) -> ChainData:
    rng = np.random.default_rng(seed)
    x0 = rng.uniform(*CHAIN_X0, CHAIN_WIDTH).astype(np.float32)
    c = np.linspace(*CHAIN_C, CHAIN_WIDTH, dtype=np.float32)
    return ChainData(x0, c, -c)


def chain_ours(x0: np.ndarray, c: Tensor, d: Tensor) -> np.ndarray:
    x = Tensor(x0, requires_grad=True)
    h = x
    for _ in range(CHAIN_GROUPS):
        h = h.tanh().exp() * c + d
    h.sum().backward()
    return x.grad


def chain_floor(data: ChainData) -> np.ndarray:
    """The same 1000 ops in plain numpy: a forward that keeps tanh and exp outputs, then a
    reversed loop applying each op's derivative (add: g, mul: g*c, exp: g*e, tanh:
    g*(1-t*t)). Per op it makes exactly the numpy calls the engine makes, nothing else."""
    c, d, h = data.c, data.d, data.x0
    saved: list[tuple[np.ndarray, np.ndarray]] = []
    for _ in range(CHAIN_GROUPS):
        t = np.tanh(h)
        e = np.exp(t)
        saved.append((t, e))
        h = e * c + d
    h.sum()  # the loss; its gradient is ones
    g = np.ones_like(h)
    for t, e in reversed(saved):  # add passes g through unchanged
        g = g * c
        g = g * e
        g = g * (1 - t * t)
    return g


def chain_torch(torch: ModuleType, x0: np.ndarray, c: Any, d: Any) -> np.ndarray:
    x = torch.tensor(x0, requires_grad=True)
    h = x
    for _ in range(CHAIN_GROUPS):
        h = h.tanh().exp() * c + d
    h.sum().backward()
    return x.grad.numpy()


def with_threads(torch: ModuleType, n: int) -> Callable[[Callable[[], T]], T]:
    """A Peer.wrap that runs with `torch.set_num_threads(n)`, restoring the old count after."""
    def wrap(fn: Callable[[], T]) -> T:
        old = torch.get_num_threads()
        torch.set_num_threads(n)
        try:
            return fn()
        finally:
            torch.set_num_threads(old)
    return wrap


def chain_peers(data: ChainData, torch: ModuleType | None, runs: int) -> list[Peer]:
    c, d = Tensor(data.c), Tensor(data.d)
    peers = [Peer("ours", lambda: chain_ours(data.x0, c, d), timed_runs=runs),
             Peer(FLOOR, lambda: chain_floor(data), timed_runs=runs)]
    if torch is not None:
        tc, td = torch.from_numpy(data.c), torch.from_numpy(data.d)
        threads = torch.get_num_threads()
        peers.append(Peer(f"torch({threads}thr)", lambda: chain_torch(torch, data.x0, tc, td),
                          timed_runs=runs))
        if threads != 1:
            peers.append(Peer("torch(1thr)", lambda: chain_torch(torch, data.x0, tc, td),
                              wrap=with_threads(torch, 1), timed_runs=runs))
    return peers


def bench_chain(torch: ModuleType | None, reps: int, runs: int) -> list[Result]:
    data = chain_data(CHAIN_SEED)
    peers = chain_peers(data, torch, runs)
    results = interleave(f"W3 chain ({CHAIN_OPS} ops)", peers, reps, settle=settle)
    check_chain(data, results)
    for res in results:
        res.times = [t / CHAIN_OPS for t in res.times]  # seconds per op
    return results


def max_rel_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a.astype(np.float64) / b - 1)))


def check_chain(data: ChainData, results: list[Result]) -> None:
    """Every x.grad against the floor's; prints the largest relative differences."""
    expected = chain_floor(data)
    exact = chain_floor(ChainData(*(a.astype(np.float64) for a in (data.x0, data.c, data.d))))
    notes = [f"floor vs float64 {max_rel_diff(expected, exact):.1e}"]
    for res in results:
        if res.engine == FLOOR:
            continue
        rtol = CHAIN_RTOL_TORCH if res.engine.startswith("torch") else CHAIN_RTOL
        worst = max(max_rel_diff(grad, expected) for grad in res.checks)
        assert worst <= rtol, (f"W3 {res.engine}: x.grad differs from the floor's by up to "
                               f"{worst:.2e} relative (rtol {rtol:g})")
        notes.append(f"{res.engine} {worst:.1e} (rtol {rtol:g})")
    print(f"check W3 x.grad, max relative difference to the floor: {'; '.join(notes)}")


# --- W4: the MLP step -----------------------------------------------------------------------

@dataclass(frozen=True)
class MlpData:
    params: list[np.ndarray]  # W1, b1, W2, b2, W3, b3; W of shape (in, out)
    x: np.ndarray
    labels: np.ndarray


def mlp_data(batch: int) -> MlpData:
    wrng, drng = np.random.default_rng(WEIGHT_SEED), np.random.default_rng(DATA_SEED)
    params: list[np.ndarray] = []
    for fan_in, fan_out in zip(MLP_SIZES[:-1], MLP_SIZES[1:], strict=True):
        w = wrng.standard_normal((fan_in, fan_out)) / math.sqrt(fan_in)
        params += [w.astype(np.float32), np.zeros(fan_out, dtype=np.float32)]
    x = drng.standard_normal((batch, MLP_SIZES[0]), dtype=np.float32)
    labels = drng.integers(0, N_CLASSES, batch)
    return MlpData(params, x, labels)


class OursMlp:
    name = "ours"

    def __init__(self, data: MlpData) -> None:
        self.params = [Tensor(p, requires_grad=True) for p in data.params]
        self.x = Tensor(data.x)
        self.labels = data.labels

    def step(self) -> float:
        for p in self.params:
            p.grad = None
        w1, b1, w2, b2, w3, b3 = self.params
        h = (self.x @ w1 + b1).relu()
        h = (h @ w2 + b2).relu()
        loss = cross_entropy(h @ w3 + b3, self.labels)  # fused softmax + NLL, as torch's
        loss.backward()
        for p in self.params:
            p.data -= LEARNING_RATE * p.grad
        return float(loss.data)

    def grads(self) -> list[np.ndarray]:
        return [np.array(p.grad) for p in self.params]


class FloorMlp:
    """Hand-written numpy forward, backward and update: the minimal reference."""

    name = FLOOR

    def __init__(self, data: MlpData) -> None:
        self.params = [p.copy() for p in data.params]
        self.x, self.labels = data.x, data.labels
        self.rows = np.arange(len(data.x))
        self.last_grads: list[np.ndarray] = []

    def step(self) -> float:
        w1, b1, w2, b2, w3, b3 = self.params
        z1 = self.x @ w1 + b1
        a1 = np.maximum(z1, 0)
        z2 = a1 @ w2 + b2
        a2 = np.maximum(z2, 0)
        logits = a2 @ w3 + b3
        shifted = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        loss = -(shifted - np.log(total))[self.rows, self.labels].mean()
        self.last_grads = grads = self.backward(z1, a1, z2, a2, e / total)
        for p, g in zip(self.params, grads, strict=True):
            p -= LEARNING_RATE * g
        return float(loss)

    def backward(self, z1: np.ndarray, a1: np.ndarray, z2: np.ndarray, a2: np.ndarray,
                 softmax: np.ndarray) -> list[np.ndarray]:
        _, _, w2, _, w3, _ = self.params
        dlogits = softmax  # becomes (softmax - onehot) / batch, in place
        dlogits[self.rows, self.labels] -= 1
        dlogits /= len(self.rows)
        dz2 = (dlogits @ w3.T) * (z2 > 0)
        dz1 = (dz2 @ w2.T) * (z1 > 0)
        return [self.x.T @ dz1, dz1.sum(axis=0), a1.T @ dz2, dz2.sum(axis=0),
                a2.T @ dlogits, dlogits.sum(axis=0)]

    def grads(self) -> list[np.ndarray]:
        return self.last_grads


class TorchMlp:
    name = "torch"

    def __init__(self, torch: ModuleType, data: MlpData) -> None:
        self.torch = torch
        self.params = [torch.tensor(p, requires_grad=True) for p in data.params]
        self.x = torch.from_numpy(data.x)
        self.rows = torch.arange(len(data.x))
        self.labels = torch.from_numpy(data.labels)

    def step(self) -> float:
        for p in self.params:
            p.grad = None
        w1, b1, w2, b2, w3, b3 = self.params
        h = (self.x @ w1 + b1).relu()
        h = (h @ w2 + b2).relu()
        loss = self.torch.nn.functional.cross_entropy(h @ w3 + b3, self.labels)
        loss.backward()
        with self.torch.no_grad():
            for p in self.params:
                p -= LEARNING_RATE * p.grad
        return loss.item()

    def grads(self) -> list[np.ndarray]:
        return [p.grad.numpy().copy() for p in self.params]


Model = OursMlp | FloorMlp | TorchMlp
PARAM_NAMES = ("W1", "b1", "W2", "b2", "W3", "b3")


def check_first_step(models: list[Model], batch: int) -> None:
    """One step of every model from the same weights: same loss, same gradients as the floor."""
    losses = [m.step() for m in models]
    floor = next(i for i, m in enumerate(models) if isinstance(m, FloorMlp))
    ref_loss, ref_grads = losses[floor], models[floor].grads()
    notes = []
    for model, loss in zip(models, losses, strict=True):
        assert math.isclose(loss, ref_loss, rel_tol=LOSS_RTOL), (
            f"W4 batch {batch}: {model.name} first-step loss {loss!r} != floor's {ref_loss!r}")
        worst = 0.0
        for name, g, ref in zip(PARAM_NAMES, model.grads(), ref_grads, strict=True):
            assert np.allclose(g, ref, rtol=GRAD_RTOL, atol=GRAD_ATOL), (
                f"W4 batch {batch}: {model.name} grad of {name} differs from the floor's by "
                f"up to {np.max(np.abs(g - ref)):.2e}")
            worst = max(worst, float(np.max(np.abs(g - ref))))
        if model is not models[floor]:
            notes.append(f"{model.name} loss {abs(loss / ref_loss - 1):.1e} rel, "
                         f"grads {worst:.1e} abs")
    print(f"check W4 batch {batch}, first step vs the floor (loss {ref_loss:.6f}): "
          + "; ".join(notes))


def bench_mlp(batch: int, torch: ModuleType | None, reps: int, steps: int) -> list[Result]:
    data = mlp_data(batch)
    models: list[Model] = [OursMlp(data), FloorMlp(data)]
    if torch is not None:
        models.append(TorchMlp(torch, data))
    check_first_step(models, batch)
    peers = [Peer(m.name, m.step, lead_in=1, timed_runs=steps) for m in models]
    return interleave(f"W4 mlp batch {batch}", peers, reps, settle=settle)


# --- report ---------------------------------------------------------------------------------

def by_engine(results: list[Result]) -> dict[str, Result]:
    return {res.engine: res for res in results}


def torch_result(results: list[Result]) -> Result | None:
    """The fastest torch variant (W3 runs torch with two thread settings), or None."""
    variants = [res for res in results if res.engine.startswith("torch")]
    return min(variants, key=lambda res: res.median) if variants else None


def ratio(num: Result | None, den: Result | None) -> float:
    if num is None or den is None:
        return math.nan
    return paired_ratio(num, den)


def fmt_time(seconds: float) -> str:
    return f"{seconds * 1e6:.2f} us" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"


def print_table(groups: list[list[Result]]) -> None:
    print(f"{'workload':<24}{'engine':<14}{'median':>11}{'vs floor':>10}{'(medians)':>11}"
          f"{'range (min..max)':>24}{'page faults':>13}")
    for results in groups:
        floor = by_engine(results)[FLOOR]
        for res in results:
            spread = f"{fmt_time(min(res.times))}..{fmt_time(max(res.times))}"
            print(f"{res.workload:<24}{res.engine:<14}{fmt_time(res.median):>11}"
                  f"{paired_ratio(res, floor):>9.2f}x{res.median / floor.median:>10.2f}x"
                  f"{spread:>24}{statistics.median(res.faults):>13.0f}")
    print("vs floor: the median of per-repetition ratios (paired samples, seconds apart); "
          "(medians): the ratio of the two medians")
    print("page faults: median minor page faults per run (W3) or step (W4), i.e. fresh pages "
          "the OS mapped because malloc had returned memory to it")


def workload_ratios(results: list[Result]) -> dict[str, Any]:
    engines, torch = by_engine(results), torch_result(results)
    return {"workload": results[0].workload,
            "ours_over_floor": ratio(engines["ours"], engines[FLOOR]),
            "ours_over_torch": ratio(engines["ours"], torch),
            "torch_engine": torch.engine if torch is not None else None}


def print_ratios(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        vs_torch = ("torch not installed" if row["torch_engine"] is None else
                    f"ours/torch {row['ours_over_torch']:.2f}x (vs {row['torch_engine']})")
        print(f"{row['workload']:<24}ours/floor {row['ours_over_floor']:.2f}x   {vs_torch}")


def verdict(ok: bool | None) -> str:
    return {True: "PASS", False: "FAIL", None: "not measured (no torch)"}[ok]


def goals(chain: dict[str, Any], mlps: list[dict[str, Any]]) -> dict[str, Any]:
    vs_torch, vs_floor = chain["ours_over_torch"], chain["ours_over_floor"]
    w3: bool | None = False  # failing either half fails the goal, even without torch
    if vs_floor <= GOAL_W3_FLOOR:
        w3 = None if math.isnan(vs_torch) else bool(vs_torch <= GOAL_W3_TORCH)
    torch_text = "no torch" if math.isnan(vs_torch) else f"{vs_torch:.2f}x"
    print(f"goal W3: ours <= {GOAL_W3_TORCH:g}x torch per op (measured {torch_text}) and "
          f"<= {GOAL_W3_FLOOR:g}x the numpy floor (measured {vs_floor:.2f}x)  {verdict(w3)}")
    out: dict[str, Any] = {"w3_pass": w3}
    for row in mlps:
        ok = bool(row["ours_over_floor"] <= GOAL_W4_FLOOR)
        out[f"w4_batch{row['workload'].split()[-1]}_pass"] = ok
        print(f"goal {row['workload']}: ours <= {GOAL_W4_FLOOR:.2f}x the numpy floor "
              f"(measured {row['ours_over_floor']:.2f}x)  {verdict(ok)}")
    return out


def as_json(env: dict[str, Any], settings: dict[str, Any], gemm: dict[str, float],
            groups: list[list[Result]], ratios: list[dict[str, Any]],
            goal: dict[str, Any]) -> dict[str, Any]:
    rows = [{"workload": r.workload, "engine": r.engine, "median_s": r.median,
             "times_s": r.times, "minor_faults": r.faults}
            for results in groups for r in results]
    ratios = [{key: finite(value) for key, value in row.items()} for row in ratios]
    return {"environment": env, "settings": settings, "gemm_gflops": gemm, "results": rows,
            "ratios": ratios, "goals": goal}


# --- main -----------------------------------------------------------------------------------

def rerun_with_coretype(coretype: str, args: argparse.Namespace) -> int:
    """Run this script again in a subprocess with OPENBLAS_CORETYPE set from its start."""
    argv = [sys.executable, os.path.abspath(__file__)]
    argv += ["--quick"] if args.quick else []
    argv += ["--json", args.json] if args.json else []
    print(f"re-running in a subprocess with OPENBLAS_CORETYPE={coretype}\n", flush=True)
    env = dict(os.environ, OPENBLAS_CORETYPE=coretype)
    return subprocess.run(argv, env=env, check=False).returncode


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: R = 3, short samples")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--coretype", metavar="NAME",
                        help="re-run in a subprocess with OPENBLAS_CORETYPE=NAME")
    return parser.parse_args(argv)


@dataclass(frozen=True)
class Settings:
    quick: bool
    chain_reps: int
    chain_runs: int
    mlp_reps: int
    mlp_sample_rows: int
    mlp_min_steps: int

    def mlp_steps(self, batch: int) -> int:
        """Timed steps per W4 sample at this batch size."""
        return max(self.mlp_min_steps, self.mlp_sample_rows // batch)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Settings:
        if args.quick:
            return cls(True, QUICK_REPS, QUICK_CHAIN_RUNS, QUICK_REPS, QUICK_MLP_SAMPLE_ROWS,
                       QUICK_MLP_MIN_STEPS)
        return cls(False, CHAIN_REPS, CHAIN_RUNS, MLP_REPS, MLP_SAMPLE_ROWS, MLP_MIN_STEPS)


def print_preamble(env: dict[str, Any], gemm: dict[str, float], settings: Settings) -> None:
    print_environment(env)
    if env["torch"] == "not installed":
        print("note: torch is not installed; skipping it as a peer")
    print(f"GEMM float32 {GEMM_N}x{GEMM_N} @ {GEMM_N}x{GEMM_N}, median of {GEMM_REPS}: "
          + "  ".join(f"{name} {value:.1f} GFLOP/s" for name, value in gemm.items()))
    print(f"repetitions: W3 {settings.chain_reps} (each the mean of {settings.chain_runs} "
          f"runs), W4 {settings.mlp_reps} (each the mean of "
          + ", ".join(f"{settings.mlp_steps(b)} steps at batch {b}" for b in MLP_BATCHES)
          + " after a lead-in); medians, engines interleaved\n")


def print_load(meter: LoadMeter) -> float | None:
    share = meter.others_share()
    if share is None:
        return None
    print(f"machine: other processes kept {share:.0%} of the {os.cpu_count()} cores busy "
          "during this run")
    if share > BUSY_WARNING:
        print("WARNING: the machine was shared; timings, above all the 2-thread GEMMs of W4, "
              "are unreliable: rerun on an idle machine")
    return share


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.coretype:
        return rerun_with_coretype(args.coretype, args)
    settings, meter = Settings.from_args(args), LoadMeter()
    torch = load_torch()
    gc.collect()
    gc.freeze()  # modules alive now are not rescanned by the workloads' collections
    env, gemm = environment(torch), bench_gemm(torch)
    print_preamble(env, gemm, settings)

    chain = bench_chain(torch, settings.chain_reps, settings.chain_runs)
    mlps = [bench_mlp(batch, torch, settings.mlp_reps, settings.mlp_steps(batch))
            for batch in MLP_BATCHES]
    print_table([chain, *mlps])
    print()
    ratios = [workload_ratios(results) for results in (chain, *mlps)]
    print_ratios(ratios)
    print()
    goal = goals(ratios[0], ratios[1:])
    env["others_load"] = print_load(meter)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(as_json(env, vars(settings), gemm, [chain, *mlps], ratios, goal), f,
                      indent=2)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
