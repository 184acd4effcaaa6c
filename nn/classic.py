"""The classic single-unit learning rules on plain numpy: `Perceptron` and `Adaline`.

Both keep a weight vector `.weights` (float64 ndarray, writable) and a `.bias` (float), so a
textbook's starting point can be set by hand, and `fit(X, y, epochs=1, lr=1.0)` visits the
samples one at a time, in order, updating after each (online learning, as the books do it
on paper). The bias is the weight of a constant input x₀ = 1 and is updated like one.

    Perceptron (Rosenblatt):  y = step(w·x + b);   w ← w + lr·(t − y)·x,   b ← b + lr·(t − y)
    Adaline (Widrow-Hoff delta rule, on the linear output y = w·x + b):
                              w ← w + lr·(t − y)·x,   b ← b + lr·(t − y)

Convention, chosen once: step(0) = 1 (`STEP_AT_ZERO`), i.e. step(z) = 1 if z ≥ 0 else 0,
as in Skansi (Elgendy uses step(0) = 0). Adaline classifies 0/1 labels by thresholding its
linear output at 0.5 — the midpoint of the two targets the delta rule regresses towards —
with the same tie rule: output ≥ 0.5 → 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_lite.rng import resolve_rng

from .checks import check_array, check_count, check_real, check_rng

__all__ = ["STEP_AT_ZERO", "ADALINE_THRESHOLD", "step", "Perceptron", "Adaline"]

STEP_AT_ZERO = 1  # step(0): Skansi's convention (Elgendy: 0)
ADALINE_THRESHOLD = 0.5  # Adaline predicts 1 where w·x + b ≥ 0.5 (0/1 targets)
INIT_SCALE = 0.01  # standard deviation of the random initial weights when an rng is given


def step(z: Any) -> np.ndarray:
    """The Heaviside step as int64: 1 where z > 0, 0 where z < 0, `STEP_AT_ZERO` at 0."""
    z = np.asarray(z)
    return np.where(z > 0, 1, np.where(z < 0, 0, STEP_AT_ZERO)).astype(np.int64)


class _LinearUnit:
    """Shared state and checks: weights, bias, net input, input validation."""

    def __init__(self, n_inputs: int, rng: np.random.Generator | None = None) -> None:
        # 10 million weights (80 MB) is far beyond a teaching model; 2**40 would not fit
        self.n_inputs = check_count(type(self).__name__, "n_inputs", n_inputs, 1, 10_000_000)
        check_rng(type(self).__name__, rng)
        if rng is None:
            self._weights = np.zeros(self.n_inputs, dtype=np.float64)
        else:
            self._weights = resolve_rng(rng).normal(0.0, INIT_SCALE, self.n_inputs)
        self._bias = 0.0

    @property
    def weights(self) -> np.ndarray:
        """The weight vector, float64 of shape (n_inputs,): assign to it or write in place."""
        return self._weights

    @weights.setter
    def weights(self, value: Any) -> None:
        array = np.array(value, dtype=np.float64)
        if array.shape != (self.n_inputs,):
            raise ValueError(f"{type(self).__name__}.weights: expected shape "
                             f"({self.n_inputs},), got {array.shape}")
        self._weights = array

    @property
    def bias(self) -> float:
        return self._bias

    @bias.setter
    def bias(self, value: float) -> None:
        self._bias = float(value)

    def _inputs(self, X: Any) -> np.ndarray:
        X = check_array(type(self).__name__, "X", X).astype(np.float64)
        if X.ndim not in (1, 2) or X.shape[-1] != self.n_inputs:
            raise ValueError(f"{type(self).__name__}: expected inputs of shape (n, "
                             f"{self.n_inputs}) or ({self.n_inputs},), got {X.shape}")
        return X

    def _samples(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        X = self._inputs(X)
        X = X.reshape(1, -1) if X.ndim == 1 else X
        y = np.atleast_1d(check_array(f"{type(self).__name__}.fit", "y", y).astype(np.float64))
        if y.shape != (len(X),):
            raise ValueError(f"{type(self).__name__}.fit: {len(X)} samples need {len(X)} "
                             f"targets (shape ({len(X)},)), got shape {y.shape}")
        return X, y

    def net_input(self, X: Any) -> np.ndarray | float:
        """w·x + b for each row of X (shape (n,)), or a float for a single sample (d,)."""
        X = self._inputs(X)
        z = X @ self._weights + self._bias
        return float(z) if X.ndim == 1 else z

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(n_inputs={self.n_inputs}, "
                f"weights={np.array2string(self._weights, precision=4)}, bias={self._bias:.4g})")


class Perceptron(_LinearUnit):
    """Rosenblatt's perceptron: output step(w·x + b) ∈ {0, 1}, with step(0) = `STEP_AT_ZERO`.

    `fit` applies the perceptron rule after each sample, in order:
    w ← w + lr·(t − y)·x, b ← b + lr·(t − y), which changes nothing when the output y is
    right. `errors_` holds, per epoch of the last `fit`, the number of misclassified samples
    (updates made). Weights start at zero (or N(0, 0.01²) drawn from `rng`, if given).
    """

    def fit(self, X: Any, y: Any, epochs: int = 1, lr: float = 1.0) -> Perceptron:
        epochs = check_count("Perceptron.fit", "epochs", epochs, 0)
        lr = check_real("Perceptron.fit", "lr", lr)
        X, y = self._samples(X, y)
        if not np.all((y == 0) | (y == 1)):
            raise ValueError(f"Perceptron.fit: targets must be 0 or 1, got {np.unique(y)[:5]}")
        self.errors_: list[int] = []
        for _ in range(int(epochs)):
            errors = 0
            for xi, ti in zip(X, y, strict=True):
                update = lr * (ti - int(step(xi @ self._weights + self._bias)))
                if update != 0.0:
                    self._weights += update * xi
                    self._bias += float(update)
                    errors += 1
            self.errors_.append(errors)
        return self

    def predict(self, X: Any) -> np.ndarray | int:
        """0/1 labels: step(w·x + b) per row (int64 array), or an int for a single sample."""
        out = step(self.net_input(X))
        return int(out) if out.ndim == 0 else out


class Adaline(_LinearUnit):
    """ADAptive LINear Element trained by the delta (Widrow-Hoff / LMS) rule.

    `fit` updates after each sample, in order, on the linear output y = w·x + b:
    Δw = lr·(t − y)·x, Δb = lr·(t − y) — a stochastic-gradient step on ½(t − y)². Targets
    may be any real numbers (Skansi's meal prices); for 0/1 labels `predict` thresholds the
    linear output at `ADALINE_THRESHOLD` = 0.5, the midpoint between the two targets (≥ 0.5 →
    1). `sse_` holds, per epoch of the last `fit`, Σ(t − y)² over the samples as visited
    (each y computed just before its update). Weights start at zero (or N(0, 0.01²) from `rng`).
    """

    def fit(self, X: Any, y: Any, epochs: int = 1, lr: float = 1.0) -> Adaline:
        epochs = check_count("Adaline.fit", "epochs", epochs, 0)
        lr = check_real("Adaline.fit", "lr", lr)
        X, y = self._samples(X, y)
        self.sse_: list[float] = []
        for _ in range(int(epochs)):
            sse = 0.0
            for xi, ti in zip(X, y, strict=True):
                error = float(ti - (xi @ self._weights + self._bias))
                self._weights += lr * error * xi
                self._bias += lr * error
                sse += error * error
            self.sse_.append(sse)
        return self

    def predict(self, X: Any) -> np.ndarray | int:
        """0/1 labels: 1 where w·x + b ≥ 0.5, else 0 (an int for a single sample)."""
        out = step(np.asarray(self.net_input(X)) - ADALINE_THRESHOLD)
        return int(out) if out.ndim == 0 else out
