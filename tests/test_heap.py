"""The import-time malloc warm-up: a fresh process training at batch 1024 keeps its memory."""

import os
import subprocess
import sys

import numpy as np
import pytest

from autograd_lite.heap import OPT_OUT, is_glibc, warm_malloc

STEP_FAULTS = """
import resource, sys
import numpy as np
import autograd_lite as al
rng = np.random.default_rng(0)
sizes = (784, 256, 128, 10)
params = []
for n_in, n_out in zip(sizes[:-1], sizes[1:]):
    params += [al.Tensor((rng.standard_normal((n_in, n_out)) / n_in**0.5).astype(np.float32),
                         requires_grad=True),
               al.Tensor(np.zeros(n_out, np.float32), requires_grad=True)]
x = al.Tensor(rng.standard_normal((1024, 784), dtype=np.float32))
labels = rng.integers(0, 10, 1024)

def step():
    for p in params:
        p.grad = None
    w1, b1, w2, b2, w3, b3 = params
    h = (x @ w1 + b1).relu()
    h = (h @ w2 + b2).relu()
    loss = al.cross_entropy(h @ w3 + b3, labels)
    loss.backward()
    for p in params:
        p.data -= 0.01 * p.grad

for _ in range(3):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    step()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 10)
"""


def faults_per_step(**env: str) -> float:
    done = subprocess.run([sys.executable, "-c", STEP_FAULTS], env={**os.environ, **env},
                          capture_output=True, text=True, check=True)
    return float(done.stdout)


@pytest.mark.skipif(not is_glibc(), reason="the warm-up only acts on glibc's malloc")
def test_fresh_process_training_at_batch_1024_does_not_refault_its_memory_every_step():
    warmed = faults_per_step()
    # the arrays of one step span ~2,000 pages: trimmed and refaulted, a step costs ~1,900
    assert warmed < 300, f"{warmed:.0f} page faults per step with the warm-up"
    cold = faults_per_step(**{OPT_OUT: "0"})
    if cold < 300:
        pytest.skip(f"this glibc kept the memory without the warm-up ({cold:.0f} faults/step)")
    assert warmed < cold / 3


def test_warm_malloc_is_skipped_when_opted_out(monkeypatch):
    monkeypatch.setenv(OPT_OUT, "0")
    assert warm_malloc() is False
    monkeypatch.setenv(OPT_OUT, "1")
    assert warm_malloc() is is_glibc()


@pytest.mark.skipif(not is_glibc(), reason="elsewhere warm_malloc allocates nothing")
def test_warm_malloc_gives_up_quietly_when_the_allocation_is_refused(monkeypatch):
    def refuse(*args, **kwargs):
        raise MemoryError("no room")

    monkeypatch.setenv(OPT_OUT, "1")
    monkeypatch.setattr(np, "empty", refuse)
    assert warm_malloc() is False
