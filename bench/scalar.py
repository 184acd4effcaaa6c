"""Speed of the scalar engine `autograd_lite.Value` against its peers.

Workloads
---------
(a) mlp: a micrograd-style MLP 2 -> 16 -> 16 -> 1 with tanh on every layer (the last one
    too); weights uniform(-1, 1) from a seeded `random.Random`, biases 0; 32 fixed seeded
    samples (x in [-1, 1]^2, y in {-1, +1}); loss = sum of squared errors over the 32 samples.
    One timed step = zero the grads + forward of all 32 samples + backward + SGD update
    `p.data -= 0.01 * p.grad`. The model is written once, parameterised by the scalar class,
    and run with `autograd_lite.Value` ("ours"), `micrograd.engine.Value` (given tanh/exp by a
    subclass defined here) and, when installed, torch 0-d float64 tensors. The first-step
    losses of all engines must agree to 1e-9, which shows they ran the same computation.
(b) chain: `y = x; for _ in range(n): y = y * 1.0001 + 0.0001`, then `y.backward()`, with
    n = 100,000; forward and backward are timed together and x.grad is checked against
    1.0001**n. Peers: ours, micrograd (its recursive backward runs in a thread with a 512 MiB
    stack), torch 0-d tensors when installed, and the floor: a minimal plain-Python tape
    (a list of values, a list of (out, in, local derivative) records, one reversed loop).
(c) chain 1M: ours only, n = 1,000,000, one run: it must finish (no RecursionError) with
    x.grad equal to 1.0001**1e6 to a relative 1e-6.

Goals
-----
(a) ours at least 6x faster than micrograd on the mlp step;
(b) ours at most 20x the time of the plain-tape floor on the chain.

Method
------
Absolute times drift between runs on a noisy machine, so engines are interleaved inside every
repetition, each engine is warmed up once first, the median over repetitions is reported, and
ratios are taken between medians of the same run.

The garbage collector stays on: each engine pays for collecting its own garbage, as users'
programs do (micrograd's graphs are cyclic; that cost is part of its real cost). An mlp sample
is the mean of 3 consecutive steps run after one untimed lead-in step, so every timed step
starts with the previous step's garbage pending, exactly as in a training loop. A chain sample
is one run; what a one-off run leaves to the cyclic collector is collected after the clock
stops (this favours micrograd only). Before each sample an untimed `gc.collect()` clears
what other engines left, so it is not collected on this engine's clock. Objects that exist
before the workloads start (the modules of numpy, torch, ...) are moved out of the
collector's sight with `gc.freeze()`, so that merely importing the optional torch peer does
not make every engine's collections slower.
micrograd and torch are optional: a missing one is skipped with a note.

Run from the repository root:

    python bench/scalar.py                  # R = 9 (mlp), R = 5 (chain), chain n = 100,000
    python bench/scalar.py --quick          # smoke run: R = 3, chain n = 20,000
    python bench/scalar.py --json out.json  # also write the results as JSON
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import platform
import random
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from importlib import metadata
from types import ModuleType
from typing import Any, TypeVar

import numpy as np
from harness import Peer, Result, finite, interleave, load_torch

from autograd_lite import Value

T = TypeVar("T")

LAYER_SIZES = (2, 16, 16, 1)
N_SAMPLES = 32
LEARNING_RATE = 0.01
WEIGHT_SEED = 1234
DATA_SEED = 5678
CHAIN_MUL, CHAIN_ADD = 1.0001, 0.0001
MLP_REPS, CHAIN_REPS, CHAIN_N = 9, 5, 100_000
MLP_STEPS_PER_SAMPLE = 3  # consecutive timed steps, after one untimed lead-in step
QUICK_REPS, QUICK_CHAIN_N = 3, 20_000
BIG_CHAIN_N = 1_000_000
BIG_STACK = 512 * 1024 * 1024  # bytes: thread stack for micrograd's recursive backward
GOAL_A_MIN, GOAL_B_MAX = 6.0, 20.0


# --- optional peers -----------------------------------------------------------------------

def load_micrograd() -> type | None:
    """micrograd's Value extended with tanh and exp, or None if micrograd is not installed.

    BENCHMARK-ONLY PATCH: micrograd's ops build their results (and lift plain numbers) through
    the module global `Value`, so rebinding `micrograd.engine.Value` to the subclass makes every
    op produce the subclass. This changes the module inside this process only.
    """
    try:
        import micrograd.engine as engine
    except ImportError:
        return None
    if getattr(engine.Value, "bench_extended", False):
        return engine.Value

    class MicrogradValue(engine.Value):
        """micrograd's Value plus tanh and exp, each derivative written next to its forward."""

        bench_extended = True

        def tanh(self) -> MicrogradValue:
            t = math.tanh(self.data)
            out = MicrogradValue(t, (self,), "tanh")

            def _backward() -> None:
                self.grad += (1 - t * t) * out.grad

            out._backward = _backward
            return out

        def exp(self) -> MicrogradValue:
            e = math.exp(self.data)
            out = MicrogradValue(e, (self,), "exp")

            def _backward() -> None:
                self.grad += e * out.grad

            out._backward = _backward
            return out

    engine.Value = MicrogradValue  # the rebinding described above
    return MicrogradValue


def package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


# --- workload (a): the MLP, engine-agnostic -----------------------------------------------

Neuron = tuple[list[Any], Any]  # (weights, bias), scalars of whichever engine


@dataclass
class Mlp:
    layers: list[list[Neuron]]
    params: list[Any]


@dataclass(frozen=True)
class MlpEngine:
    """How one engine makes a parameter, zeroes grads and applies the SGD update."""

    name: str
    make_param: Callable[[float], Any]
    zero_grad: Callable[[list[Any]], None]
    update: Callable[[list[Any], float], None]


def init_weights(seed: int) -> list[list[list[float]]]:
    """Weights per layer, per neuron, per input: uniform(-1, 1) from a seeded generator."""
    rng = random.Random(seed)
    return [[[rng.uniform(-1.0, 1.0) for _ in range(nin)] for _ in range(nout)]
            for nin, nout in zip(LAYER_SIZES[:-1], LAYER_SIZES[1:], strict=True)]


def make_samples(seed: int) -> list[tuple[list[float], float]]:
    rng = random.Random(seed)
    return [([rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)], rng.choice((-1.0, 1.0)))
            for _ in range(N_SAMPLES)]


def build_mlp(weights: list[list[list[float]]], make: Callable[[float], Any]) -> Mlp:
    layers = [[([make(w) for w in ws], make(0.0)) for ws in layer] for layer in weights]
    params = [p for layer in layers for ws, b in layer for p in (*ws, b)]
    return Mlp(layers, params)


def neuron(ws: list[Any], b: Any, xs: list[Any]) -> Any:
    return sum((w * x for w, x in zip(ws, xs, strict=True)), b).tanh()


def mlp_forward(layers: list[list[Neuron]], x: list[float]) -> Any:
    h: list[Any] = x
    for layer in layers:
        h = [neuron(ws, b, h) for ws, b in layer]
    return h[0]


def mlp_loss(layers: list[list[Neuron]], samples: list[tuple[list[float], float]]) -> Any:
    terms = [(mlp_forward(layers, x) - y) ** 2 for x, y in samples]
    return sum(terms[1:], terms[0])


def mlp_step(model: Mlp, engine: MlpEngine, samples: list[tuple[list[float], float]]) -> float:
    """One training step; returns the loss (before the update) as a float."""
    engine.zero_grad(model.params)
    loss = mlp_loss(model.layers, samples)
    loss.backward()
    engine.update(model.params, LEARNING_RATE)
    return float(loss.data)


def set_grads(value: Any) -> Callable[[list[Any]], None]:
    def zero_grad(params: list[Any]) -> None:
        for p in params:
            p.grad = value
    return zero_grad


def sgd_data(params: list[Any], lr: float) -> None:
    for p in params:
        p.data -= lr * p.grad


def torch_engine(torch: ModuleType) -> MlpEngine:
    def make(w: float) -> Any:
        return torch.tensor(w, dtype=torch.float64, requires_grad=True)

    def update(params: list[Any], lr: float) -> None:
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad

    return MlpEngine("torch", make, set_grads(None), update)


def mlp_engines(mg_value: type | None, torch: ModuleType | None) -> list[MlpEngine]:
    engines = [MlpEngine("ours", Value, set_grads(None), sgd_data)]
    if mg_value is not None:
        engines.append(MlpEngine("micrograd", mg_value, set_grads(0), sgd_data))
    if torch is not None:
        engines.append(torch_engine(torch))
    return engines


# --- workload (b): the chain --------------------------------------------------------------

def chain_grad(x: Any, n: int) -> float:
    """Build y = (...(x * 1.0001 + 0.0001)...) n times, backpropagate, return dy/dx."""
    y = x
    for _ in range(n):
        y = y * CHAIN_MUL + CHAIN_ADD
    y.backward()
    return float(x.grad)


def chain_floor(n: int) -> float:
    """The same chain on a minimal plain-Python tape: the floor for pure-Python reverse mode.

    Forward appends each result to `values` and one (out, in, local derivative) record per
    elementary op to `tape`; backward is one reversed sweep accumulating adjoints in a list.
    """
    values = [1.0]
    tape: list[tuple[int, int, float]] = []
    y = 0
    for _ in range(n):
        values.append(values[y] * CHAIN_MUL)  # op 1: multiply by a constant
        tape.append((y + 1, y, CHAIN_MUL))
        values.append(values[y + 1] + CHAIN_ADD)  # op 2: add a constant
        tape.append((y + 2, y + 1, 1.0))
        y += 2
    adjoint = [0.0] * len(values)
    adjoint[y] = 1.0
    for out, inp, local in reversed(tape):
        adjoint[inp] += adjoint[out] * local
    return adjoint[0]


def in_big_stack(fn: Callable[[], T]) -> T:
    """Run `fn` in a thread with a 512 MiB stack and a recursion limit of 10**7."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = fn()
        except Exception as exc:  # re-raised in the calling thread
            box["error"] = exc

    old_stack, old_limit = threading.stack_size(BIG_STACK), sys.getrecursionlimit()
    sys.setrecursionlimit(10**7)
    try:
        worker = threading.Thread(target=target)
        worker.start()
        worker.join()
    finally:
        threading.stack_size(old_stack)
        sys.setrecursionlimit(old_limit)
    if "error" in box:
        raise box["error"]
    return box["result"]


# --- benchmarks (the shared harness is in bench/harness.py) -------------------------------

def timed(fn: Callable[[], T]) -> tuple[float, T]:
    gc.collect()  # untimed: no earlier run's cyclic garbage gets collected on this run's clock
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def bench_mlp(engines: list[MlpEngine], reps: int) -> list[Result]:
    weights, samples = init_weights(WEIGHT_SEED), make_samples(DATA_SEED)
    peers = []
    for engine in engines:
        model = build_mlp(weights, engine.make_param)
        step = partial(mlp_step, model, engine, samples)
        peers.append(Peer(engine.name, step, lead_in=1, timed_runs=MLP_STEPS_PER_SAMPLE))
    results = interleave(f"mlp step ({N_SAMPLES} smp)", peers, reps)
    first = results[0].checks[0]
    for res in results:  # same first-step loss: all engines ran the same computation
        assert math.isclose(res.checks[0], first, rel_tol=1e-9, abs_tol=1e-9), (
            f"{res.engine} first-step loss {res.checks[0]!r} != ours {first!r}")
    return results


def bench_chain(n: int, reps: int, mg_value: type | None,
                torch: ModuleType | None) -> list[Result]:
    peers = [Peer("ours", lambda: chain_grad(Value(1.0), n))]
    if mg_value is not None:
        peers.append(Peer("micrograd", lambda: chain_grad(mg_value(1.0), n),
                          wrap=in_big_stack, may_fail=True))
    if torch is not None:
        peers.append(Peer("torch", lambda: chain_grad(
            torch.tensor(1.0, dtype=torch.float64, requires_grad=True), n)))
    peers.append(Peer("floor(tape)", lambda: chain_floor(n)))
    results = interleave(f"chain {count_label(n)}", peers, reps)
    expected = CHAIN_MUL ** n
    for res in results:
        for grad in res.checks:
            assert math.isclose(grad, expected, rel_tol=1e-9), (
                f"{res.engine}: chain grad {grad!r} != 1.0001**{n} = {expected!r}")
    return results


def bench_big_chain() -> dict[str, Any]:
    """Workload (c): one run of ours on a 1M-op chain."""
    expected = CHAIN_MUL ** BIG_CHAIN_N
    try:
        seconds, grad = timed(lambda: chain_grad(Value(1.0), BIG_CHAIN_N))
    except RecursionError as exc:
        return {"n": BIG_CHAIN_N, "seconds": None, "grad": None, "ok": False, "error": str(exc)}
    ok = math.isclose(grad, expected, rel_tol=1e-6)
    return {"n": BIG_CHAIN_N, "seconds": seconds, "grad": grad, "expected": expected, "ok": ok}


# --- report -------------------------------------------------------------------------------

def environment(torch: ModuleType | None, mg_value: type | None) -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__ if torch is not None else "not installed",
        "micrograd": package_version("micrograd") if mg_value is not None else "not installed",
        "cpu": cpu_model(),
    }


def count_label(n: int) -> str:
    """100000 -> '100k', 1000000 -> '1M'."""
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n / 1000:g}k"


def ratio(results: list[Result], num: str, den: str) -> float:
    by_name = {res.engine: res for res in results}
    if num not in by_name or den not in by_name:
        return math.nan
    return by_name[num].median / by_name[den].median


def print_table(groups: list[list[Result]]) -> None:
    print(f"{'workload':<20}{'engine':<13}{'median':>11}{'vs ours':>10}   range (min..max)")
    for results in groups:
        ours = results[0].median
        for res in results:
            if res.error is not None:
                print(f"{res.workload:<20}{res.engine:<13}  failed: {res.error}")
                continue
            lo, hi = min(res.times) * 1e3, max(res.times) * 1e3
            print(f"{res.workload:<20}{res.engine:<13}{res.median * 1e3:>8.1f} ms"
                  f"{res.median / ours:>9.2f}x   {lo:.1f}..{hi:.1f} ms")


def goal_line(label: str, value: float, passed: bool, missing: str) -> str:
    if math.isnan(value):
        return f"{label} -> not measured ({missing})"
    return f"{label} -> measured {value:.2f}x  {'PASS' if passed else 'FAIL'}"


def report(mlp: list[Result], chain: list[Result], big: dict[str, Any]) -> dict[str, Any]:
    print_table([mlp, chain])
    print()
    goal_a = ratio(mlp, "micrograd", "ours")
    goal_b = ratio(chain, "ours", "floor(tape)")
    print(goal_line(f"goal (a): ours at least {GOAL_A_MIN:g}x faster than micrograd", goal_a,
                    goal_a >= GOAL_A_MIN, "micrograd not installed"))
    print(goal_line(f"goal (b): ours at most {GOAL_B_MAX:g}x the plain-tape floor", goal_b,
                    goal_b <= GOAL_B_MAX, "no floor"))
    label = f"chain {count_label(big['n'])} (ours, 1 run):"
    exponent = f"{big['n']:.0e}".replace("e+0", "e")
    if big["ok"]:
        print(f"{label} {big['seconds']:.2f} s, x.grad = {big['grad']:.6g} "
              f"== 1.0001**{exponent} to rel 1e-6, no RecursionError  PASS")
    else:
        print(f"{label} FAIL {big.get('error') or big.get('grad')}")
    return {"goal_a_ratio": goal_a, "goal_a_pass": passed(goal_a, goal_a >= GOAL_A_MIN),
            "goal_b_ratio": goal_b, "goal_b_pass": passed(goal_b, goal_b <= GOAL_B_MAX)}


def passed(value: float, ok: bool) -> bool | None:
    return None if math.isnan(value) else ok


def as_json(env: dict[str, str], settings: dict[str, Any], groups: list[list[Result]],
            goals: dict[str, Any], big: dict[str, Any]) -> dict[str, Any]:
    rows = [{"workload": r.workload, "engine": r.engine, "median_s": finite(r.median),
             "vs_ours": finite(r.median / results[0].median), "times_s": r.times,
             "error": r.error}
            for results in groups for r in results]
    goals = {key: finite(value) for key, value in goals.items()}
    return {"environment": env, "settings": settings, "results": rows, "goals": goals,
            "chain_1m": big}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: R = 3, chain n = 20k")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args(argv)
    mlp_reps, chain_reps = (QUICK_REPS, QUICK_REPS) if args.quick else (MLP_REPS, CHAIN_REPS)
    chain_n = QUICK_CHAIN_N if args.quick else CHAIN_N

    torch, mg_value = load_torch(), load_micrograd()
    # Keep the objects that exist now (numpy's, torch's, ... modules) out of every later
    # collection: otherwise importing the optional torch peer makes each collection, hence
    # every engine, slower. The collector stays on for all that the workloads allocate.
    gc.collect()
    gc.freeze()
    env = environment(torch, mg_value)
    print("  ".join(f"{key} {value}" for key, value in env.items() if key != "cpu"))
    print(f"cpu {env['cpu']}")
    for name, missing in (("micrograd", mg_value is None), ("torch", torch is None)):
        if missing:
            print(f"note: {name} is not installed; skipping it as a peer")
    print(f"repetitions: mlp {mlp_reps} (each the mean of {MLP_STEPS_PER_SAMPLE} steps), "
          f"chain {chain_reps}; medians, engines interleaved\n")

    mlp = bench_mlp(mlp_engines(mg_value, torch), mlp_reps)
    chain = bench_chain(chain_n, chain_reps, mg_value, torch)
    big = bench_big_chain()
    goals = report(mlp, chain, big)
    if args.json:
        settings = {"quick": args.quick, "mlp_reps": mlp_reps, "chain_reps": chain_reps,
                    "chain_n": chain_n}
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(as_json(env, settings, [mlp, chain], goals, big), f, indent=2)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
