"""`autograd-lite tour`: the engine on scalar Values, in a few seconds.

Every adjoint of Hjorth-Jensen's √(x² + exp x²), a check against central differences, one
neuron's computation graph (SVG), and a 2-4-1 network of Values learning XOR.
"""

from __future__ import annotations

import math
import os
import random
import time
from pathlib import Path

from autograd_lite import Value, draw_graph, gradcheck

__all__ = ["tour", "adjoints_demo", "neuron_demo", "xor_demo"]


def _section(title: str) -> None:
    print(f"\n== {title}")


def adjoints_demo() -> None:
    _section("f(x) = sqrt(x**2 + exp(x**2)) at x = 1, built as a = x**2, b = exp(a), "
             "c = a + b")
    x = Value(1.0, label="x")
    a = x**2
    b = a.exp()
    c = a + b
    f = c.sqrt()
    f.backward()
    print(f"f = {f.data:.6f}   df/dx = {x.grad:.6f}   (both equal sqrt(1 + e) = "
          f"{math.sqrt(1 + math.e):.6f})")
    for name, v in (("f", f), ("c", c), ("b", b), ("a", a), ("x", x)):
        print(f"  adjoint df/d{name} = {v.grad:.6f}")
    print("  a feeds both b and c, so df/da = df/dc + df/db * exp(a) accumulates two paths")
    ok = gradcheck(lambda x: (x**2 + (x**2).exp()).sqrt(), 1.0)
    print(f"gradcheck against central differences: {'passed' if ok else 'failed'}")


def neuron_demo(out_dir: Path) -> Path:
    _section("one neuron: o = tanh(x1*w1 + x2*w2 + b)")
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.label = "o"
    o.backward()
    print("  " + "  ".join(f"d o/d {v.label} = {v.grad:+.4f}" for v in (x1, x2, w1, w2, b)))
    path = Path(draw_graph(o).render(outfile=out_dir / "neuron.svg"))
    print(f"computation graph written to {path}")
    return path


def xor_demo(steps: int = 300, lr: float = 0.5, seed: int = 0) -> float:
    _section(f"a 2-4-1 tanh network of Values learns XOR ({steps} steps of gradient descent)")
    rng = random.Random(seed)
    hidden = [[Value(rng.uniform(-1, 1)) for _ in range(3)] for _ in range(4)]  # w1, w2, b
    *out_weights, out_bias = [Value(rng.uniform(-1, 1)) for _ in range(5)]
    params = [p for row in hidden for p in row] + out_weights + [out_bias]
    data = [((0.0, 0.0), -1.0), ((0.0, 1.0), 1.0), ((1.0, 0.0), 1.0), ((1.0, 1.0), -1.0)]

    def predict(x1: float, x2: float) -> Value:
        h = [(w1 * x1 + w2 * x2 + bias).tanh() for w1, w2, bias in hidden]
        return sum((w * hi for w, hi in zip(out_weights, h, strict=True)), out_bias).tanh()

    for step in range(steps + 1):
        loss = sum(((predict(*x) - y) ** 2 for x, y in data), Value(0.0)) / len(data)
        for p in params:
            p.zero_grad()
        loss.backward()
        for p in params:
            p.data -= lr * p.grad
        if step % 100 == 0:
            print(f"  step {step:4d}   mean squared error {loss.data:.5f}")
    correct = sum((predict(*x).data > 0) == (y > 0) for x, y in data)
    print("  targets are -1 for xor = 0 and +1 for xor = 1 (tanh's range); an output > 0 "
          "means 1")
    for (x1, x2), y in data:
        out = predict(x1, x2).data
        print(f"  xor({x1:g}, {x2:g}) = {int(y > 0)}   target {y:+.0f}   network says "
              f"{out:+.3f} -> {int(out > 0)}")
    print(f"accuracy {correct}/4")
    return correct / len(data)


def tour(out_dir: str | os.PathLike[str] = "autograd_lite_tour") -> int:
    """The engine on scalars: adjoints, a gradient check, a neuron's graph (`neuron.svg` in
    `out_dir`) and XOR. Returns 0 if the XOR network is right on all four points, else 1."""
    start = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    print("autograd_lite tour: reverse-mode autodiff you can read, check and draw")
    adjoints_demo()
    neuron_demo(out)
    accuracy = xor_demo()
    print(f"\ndone in {time.perf_counter() - start:.1f} s; files in {out.resolve()}")
    return 0 if accuracy == 1.0 else 1
