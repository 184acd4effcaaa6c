"""Layout time of `draw_graph` diagrams: chains, a wide neuron, MLPs and one variable used often.

For each workload it builds the graph, backpropagates, makes the DOT source with
`draw_graph(root, max_nodes=...)` and lays it out to SVG with each layout program found (the
system `dot` and `graphviz-pure`; `--program PATH` adds another), stopping a layout after
`--timeout` seconds. It uses only `draw_graph(...).source`, so it runs against any version of
the library: to compare with another checkout, run it with `PYTHONPATH=that/checkout`.

    python bench/draw.py                       # every workload, every program, 3 repetitions
    python bench/draw.py --program /opt/graphviz/bin/dot --timeout 60
    python bench/draw.py --retain              # the cost of backward(retain_grad=True)
    python bench/draw.py --overhead            # the cost of calling an nn.Module
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

# the project's root first: `python bench/draw.py` puts bench/ on the path, where bench/nn.py
# would otherwise shadow the nn package
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import autograd_lite  # noqa: E402
from autograd_lite import Tensor, Value, draw_graph  # noqa: E402

Workload = tuple[str, Callable[[], Any]]


def chain(n: int) -> Value:
    """x → tanh → sin → tanh → ...: one long line of n ops."""
    y = Value(0.5, label="x")
    for i in range(n):
        y = y.tanh() if i % 2 else y.sin()
    return y


def neuron(n: int) -> Value:
    """tanh(Σ wᵢxᵢ + b) over n inputs: a wide, shallow graph."""
    rng = np.random.default_rng(0)
    total = Value(0.0, label="b")
    for i in range(n):
        x = Value(float(rng.normal()), label=f"x{i}")
        w = Value(float(rng.normal()), label=f"w{i}")
        total = total + x * w
    return total.tanh()


def scalar_mlp(sizes: list[int]) -> Value:
    """nn.scalar.MLP(2, sizes) on one point: a micrograd-sized network of Values."""
    from nn.scalar import MLP

    autograd_lite.manual_seed(0)
    return MLP(2, sizes)([0.5, -1.0])


def tensor_mlp() -> Tensor:
    """A 784-256-128-10 nn.Sequential and its cross-entropy loss on a batch of 32."""
    import nn

    autograd_lite.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                          nn.Linear(128, 10))
    x = Tensor(np.random.default_rng(0).standard_normal((32, 784), dtype=np.float32))
    return nn.functional.cross_entropy(model(x), np.arange(32) % 10)


def repeated_use(uses: int) -> Value:
    """x*x*...*x with `uses` factors: one node feeding every rank of the graph."""
    x = Value(1.0001, label="x")
    y = x
    for _ in range(uses - 1):
        y = y * x
    return y


WORKLOADS: list[Workload] = [
    ("chain 100 ops", lambda: chain(100)),
    ("chain 240 ops", lambda: chain(240)),
    ("chain 499 ops (500 values)", lambda: chain(499)),
    ("neuron 40 inputs", lambda: neuron(40)),
    ("neuron 80 inputs", lambda: neuron(80)),
    ("neuron 124 inputs (500 values)", lambda: neuron(124)),
    ("scalar MLP 2-4-4-1", lambda: scalar_mlp([4, 4, 1])),
    ("scalar MLP 2-8-8-1", lambda: scalar_mlp([8, 8, 1])),
    ("tensor MLP 784-256-128-10", tensor_mlp),
    ("x*x*...*x 40 uses", lambda: repeated_use(40)),
    ("x*x*...*x 80 uses", lambda: repeated_use(80)),
    ("x*x*...*x 130 uses", lambda: repeated_use(130)),
    ("x*x*...*x 250 uses", lambda: repeated_use(250)),
    ("x*x*...*x 500 uses", lambda: repeated_use(500)),
]


def programs(extra: list[str]) -> dict[str, str]:
    """Name → path of each layout program to time."""
    found: dict[str, str] = {}
    dot = os.environ.get("AUTOGRAD_LITE_DOT") or shutil.which("dot")
    if dot:
        found["dot"] = dot
    pure = shutil.which("graphviz-pure") or next(
        (str(p) for p in (Path(sysconfig.get_path("scripts"), "graphviz-pure"),) if p.is_file()),
        None)
    if pure:
        found["graphviz-pure"] = pure
    for path in extra:
        found[path] = path
    return found


def layout_seconds(program: str, source: str, timeout: float) -> float:
    """Wall time of one layout to SVG (inf if stopped at `timeout`)."""
    start = time.perf_counter()
    try:
        done = subprocess.run([program, "-Kdot", "-Tsvg"], input=source.encode(),
                              capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return float("inf")
    if done.returncode != 0:
        raise RuntimeError(f"{program} failed: {done.stderr.decode(errors='replace')[:300]}")
    return time.perf_counter() - start


def w4_mlp() -> tuple[Any, Tensor, np.ndarray]:
    """bench/tensor.py's W4 network as nn layers (784-256-128-10, ReLU), seeded, with a batch
    of 128 inputs and labels."""
    import nn

    autograd_lite.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                          nn.Linear(128, 10))
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((128, 784), dtype=np.float32))
    return model, x, rng.integers(0, 10, 128)


def retain_cost(steps: int = 50, reps: int = 5) -> None:
    """What `backward(retain_grad=True)` costs on W4's MLP step (784-256-128-10, batch 128):
    CPU time per step with and without it, and the bytes of the interior gradients kept."""
    import nn

    model, x, labels = w4_mlp()
    kept = 0

    def step(retain: bool) -> None:
        nonlocal kept
        model.zero_grad()
        loss = nn.functional.cross_entropy(model(x), labels)
        loss.backward(retain_grad=retain)
        if retain:
            from autograd_lite.graph import toposort
            kept = sum(n.grad.nbytes for n in toposort(loss) if n._parents)
        for p in model.parameters():
            p.data -= 0.01 * p.grad

    times: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(reps):
        for retain in (False, True):  # interleaved: drift hits both alike
            start = time.process_time()
            for _ in range(steps):
                step(retain)
            times[retain].append((time.process_time() - start) / steps)
    off, on = statistics.median(times[False]), statistics.median(times[True])
    print(f"retain_grad on W4's MLP step: {off * 1e3:.3f} ms off, {on * 1e3:.3f} ms on "
          f"({on / off - 1:+.1%}); interior gradients kept: {kept / 2**20:.2f} MiB "
          f"(one array per interior tensor)")


def module_overhead(reps: int = 5) -> None:
    """What calling a module costs beyond its forward (the spans diagrams box modules by),
    and W4's MLP step written with nn modules; CPU time, so other load matters less. Run it
    with PYTHONPATH set to each checkout to compare."""
    import nn

    class Double(nn.Module):
        def forward(self, t: Tensor) -> Tensor:
            return t * 2.0

    def per_call(fn: Callable[[], Any], n: int) -> float:
        samples = []
        for _ in range(reps):
            start = time.process_time()
            for _ in range(n):
                fn()
            samples.append((time.process_time() - start) / n)
        return statistics.median(samples)

    double, small = Double(), Tensor(np.ones(4, np.float32), requires_grad=True)
    call = per_call(lambda: double(small), 20_000)
    forward = per_call(lambda: double.forward(small), 20_000)
    model, x, labels = w4_mlp()

    def step() -> None:
        model.zero_grad()
        nn.functional.cross_entropy(model(x), labels).backward()
        for p in model.parameters():
            p.data -= 0.01 * p.grad

    print(f"Module.__call__ beyond forward: {(call - forward) * 1e9:.0f} ns; "
          f"nn MLP 784-256-128-10 step, batch 128: {per_call(step, 100) * 1e3:.3f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--program", action="append", default=[], metavar="PATH",
                        help="another layout program to time (repeatable)")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="stop a layout after this many seconds (default: %(default)s)")
    parser.add_argument("--reps", type=int, default=3, help="repetitions (median reported)")
    parser.add_argument("--only", metavar="TEXT", help="only workloads whose name contains TEXT")
    parser.add_argument("--retain", action="store_true",
                        help="instead, measure what backward(retain_grad=True) costs")
    parser.add_argument("--overhead", action="store_true",
                        help="instead, measure what calling an nn.Module costs")
    args = parser.parse_args(argv)
    if args.retain:
        retain_cost()
        return 0
    if args.overhead:
        module_overhead()
        return 0
    found = programs(args.program)
    print(f"library: {Path(autograd_lite.__file__).parent}")
    print("programs: " + ", ".join(f"{k} ({v})" for k, v in found.items()))
    names = list(found)
    print("| workload | values | DOT nodes | DOT edges | draw_graph ms | "
          + " | ".join(f"{n} s" for n in names) + " |")
    print("| --- " * (5 + len(names)) + "|")
    for name, build in WORKLOADS:
        if args.only and args.only not in name:
            continue
        root = build()
        root.backward()
        start = time.perf_counter()
        source = draw_graph(root, max_nodes=10**5).source
        draw_ms = (time.perf_counter() - start) * 1e3
        values = source.count("shape=record")
        nodes = sum(1 for line in source.splitlines()
                    if line.lstrip().split(" ")[0].startswith("v") and "->" not in line
                    and "[label=" in line)
        edges = source.count("->")
        cells = []
        for program in found.values():
            times: list[float] = []
            for _ in range(args.reps):
                times.append(layout_seconds(program, source, args.timeout))
                if times[-1] == float("inf"):
                    break  # one stop is enough to know
            best = statistics.median(times)
            cells.append(f"> {args.timeout:g}" if best == float("inf") else f"{best:.2f}")
        print(f"| {name} | {values} | {nodes} | {edges} | {draw_ms:.1f} | "
              + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
