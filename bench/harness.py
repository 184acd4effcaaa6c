"""The timing harness shared by bench/scalar.py and bench/tensor.py.

It holds interleaved sampling (a warm-up round, then every repetition samples each engine
once, in order, so drift on a noisy machine hits all engines alike), medians over the
repetitions, paired ratios (the median of per-repetition ratios), minor page-fault counts
per run, and small helpers both benchmarks use
(the optional torch import, NaN made JSON-safe, the OpenBLAS numpy loaded).

A sample runs an engine's `lead_in` untimed runs, then times `timed_runs` consecutive runs
and reports their mean. Before it, an untimed `gc.collect()` clears what other engines left,
and an optional `settle` callable (e.g. a short sleep) lets other libraries' idle worker
threads stop spinning.
"""

from __future__ import annotations

import ctypes
import gc
import glob
import math
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, TypeVar

try:
    import resource  # page-fault counts (Unix only)
except ImportError:
    resource = None  # type: ignore[assignment]

T = TypeVar("T")
Settle = Callable[[], None]


def call(fn: Callable[[], T]) -> T:
    """The default `Peer.wrap`: just run `fn`."""
    return fn()


@dataclass(frozen=True)
class Peer:
    """One engine on one workload: `run` does one unit of work and returns a check value."""

    name: str
    run: Callable[[], Any]
    wrap: Callable[[Callable[[], Any]], Any] = call  # where a sample runs, what surrounds it
    may_fail: bool = False  # report an exception instead of raising it
    lead_in: int = 0  # untimed runs just before the timed ones (steady state of a loop)
    timed_runs: int = 1  # a sample is the mean time of these consecutive runs


@dataclass
class Result:
    """The samples of one engine on one workload."""

    workload: str
    engine: str
    times: list[float] = field(default_factory=list)  # seconds per unit (run, step or op)
    faults: list[float] = field(default_factory=list)  # minor page faults per run or step
    checks: list[Any] = field(default_factory=list)  # checks[0] is from the warm-up
    error: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.times) if self.times else math.nan


def paired_ratio(num: Result, den: Result) -> float:
    """The median, over repetitions, of num's sample divided by den's sample of the same
    repetition. The two were taken seconds apart, so when the machine drifts between a fast
    and a slow state (this VM does, by up to 2x) both sides of each ratio move together;
    a ratio of the two medians can pair a fast-state median with a slow-state one."""
    pairs = [a / b for a, b in zip(num.times, den.times, strict=False)]  # a failed peer stops
    return statistics.median(pairs) if pairs else math.nan


def minor_faults() -> int:
    """Minor page faults of this process so far: each is a fresh page the OS had to map (and
    zero), i.e. memory malloc returned to the OS and took back; 0 where unknown."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt if resource is not None else 0


def measure(peer: Peer, settle: Settle | None = None) -> tuple[float, float, Any]:
    """One sample: seconds and minor page faults per run (means over `timed_runs`), and the
    last run's check value. `settle`, if given, runs first (untimed)."""
    if settle is not None:
        settle()  # untimed: e.g. no other library's idle workers spin on this engine's cores
    gc.collect()  # untimed: other engines' garbage is not collected on this engine's clock
    for _ in range(peer.lead_in):
        peer.run()  # untimed; leaves this engine's own garbage pending, as in a training loop
    value = None
    faults = minor_faults()
    start = time.perf_counter()
    for _ in range(peer.timed_runs):
        value = peer.run()
    seconds = time.perf_counter() - start
    return seconds / peer.timed_runs, (minor_faults() - faults) / peer.timed_runs, value


def sample(peer: Peer, res: Result, warmup: bool, settle: Settle | None = None) -> None:
    """Record one sample of `peer` (the warm-up: one untimed run, kept only as a check)."""
    try:
        if warmup:
            seconds, faults, value = math.nan, math.nan, peer.wrap(peer.run)
        else:
            seconds, faults, value = peer.wrap(lambda: measure(peer, settle))
    except Exception as exc:
        if not peer.may_fail:
            raise
        res.error = f"{type(exc).__name__}: {exc}"[:60]
        return
    res.checks.append(value)
    if not warmup:
        res.times.append(seconds)
        res.faults.append(faults)


def interleave(workload: str, peers: list[Peer], reps: int,
               settle: Settle | None = None) -> list[Result]:
    """A warm-up round, then `reps` rounds; every round samples each peer once, in order.

    A peer that failed (only one with `may_fail`) is not sampled again."""
    results = [Result(workload, peer.name) for peer in peers]
    for rnd in range(reps + 1):
        for peer, res in zip(peers, results, strict=True):
            if res.error is None:
                sample(peer, res, warmup=rnd == 0, settle=settle)
    return results


def load_torch() -> ModuleType | None:
    """torch if it imports, else None."""
    try:
        import torch
    except (ImportError, OSError):
        return None
    return torch


def finite(x: Any) -> Any:
    """NaN (a ratio that could not be measured) as None, so the JSON stays standard."""
    return None if isinstance(x, float) and math.isnan(x) else x


def openblas_function(name: str) -> Any:
    """OpenBLAS's function `name` (e.g. "get_num_threads") in the copy numpy loaded (bundled
    in numpy.libs), or None. dlopen of an already loaded file returns the loaded library, so
    this reaches the OpenBLAS numpy uses; symbol names vary between builds (scipy-openblas
    prefixes and suffixes them)."""
    import numpy as np

    libs_dir = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
    for path in sorted(glob.glob(os.path.join(libs_dir, "*openblas*"))):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_openblas_", "openblas_"):
            for suffix in ("64_", ""):
                fn = getattr(lib, f"{prefix}{name}{suffix}", None)
                if fn is not None:
                    return fn
    return None
