"""Loss functions `(prediction, target)` with mean reduction, and weight penalties.

    mse_loss(y, t)                         = mean((y − t)²)
    cross_entropy(z, k)                    = mean(logsumexp(z_i) − z_i[k_i])   (int labels)
    binary_cross_entropy(p, t)             = mean(−(t·log p + (1 − t)·log(1 − p))), log ≥ −100
    binary_cross_entropy_with_logits(x, t) = mean(max(x, 0) − x·t + log(1 + e^−|x|))
    hinge_loss(s, y)                       = mean(relu(1 − y·s))                (y = ±1)
    l1_penalty(params)                     = Σ |w|
    l2_penalty(params)                     = Σ w²          (no ½ and no λ: scale it yourself)

Predictions are Tensors (the loss is a 0-d Tensor) or, for the elementwise losses, a Value or
a list of Values such as a scalar `MLP`'s outputs (the loss is a Value). Targets may be
Tensors, numpy arrays, lists or numbers; they never need to require grad. Prediction and
target must have exactly the same shape: a (N,) target against a (N, 1) prediction raises a
ValueError naming the loss and both shapes instead of silently broadcasting to (N, N).
A target array is cast to the prediction's dtype, so float32 models stay float32.

Each elementwise loss is written once, as a term `term(p, t)` in the ops Tensors and Values
share (`where` with a mask computed from `p.data`: an array for a Tensor, a float for a
Value), applied to the whole Tensor or to each Value of a list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

import autograd_lite
from autograd_lite import Tensor, Value, where

__all__ = [
    "mse_loss",
    "cross_entropy",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "hinge_loss",
    "l1_penalty",
    "l2_penalty",
]

LOG_CLAMP = -100.0  # PyTorch's floor for the logs inside binary_cross_entropy

Prediction = Tensor | Value | Sequence[Value] | np.ndarray
Loss = Tensor | Value
Term = Callable[[Any, Any], Any]  # (Tensor, Tensor) -> Tensor and (Value, float) -> Value
Check = Callable[[np.ndarray, np.ndarray], None]


# --- shared plumbing ----------------------------------------------------------------------------

def _is_scalar_graph(pred: Any) -> bool:
    """True for a Value or a list/tuple holding Values (the micrograd-style path)."""
    if isinstance(pred, Value):
        return True
    return isinstance(pred, (list, tuple)) and any(isinstance(v, Value) for v in pred)


def _shape_error(name: str, pred_shape: tuple[int, ...],
                 target_shape: tuple[int, ...]) -> ValueError:
    return ValueError(f"{name}: prediction has shape {pred_shape} but target has shape "
                      f"{target_shape}; they must match exactly (no broadcasting), e.g. "
                      "reshape the target with target.reshape(prediction.shape)")


def _target_array(target: Any) -> np.ndarray:
    return np.asarray(target.data if isinstance(target, Tensor) else target)


def _tensor_pair(name: str, pred: Any, target: Any) -> tuple[Tensor, Tensor]:
    """Prediction and target as same-shaped Tensors (a target array takes pred's dtype)."""
    if not isinstance(pred, Tensor):
        array = np.asarray(pred)
        pred = Tensor(array if array.dtype.kind == "f" else array.astype(np.float64))
    if not (isinstance(target, Tensor) and target.requires_grad):
        array = _target_array(target)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"{name}: target must hold numbers, got dtype {array.dtype}")
        dtype = pred.dtype if pred.dtype.kind == "f" else np.float64
        target = Tensor(array.astype(dtype, copy=False))
    if pred.shape != target.shape:
        raise _shape_error(name, pred.shape, target.shape)
    if pred.size == 0:
        raise ValueError(f"{name}: empty prediction (shape {pred.shape}), nothing to average")
    return pred, target


def _value_pair(name: str, pred: Value | Sequence[Any],
                target: Any) -> tuple[list[Value], np.ndarray]:
    """A Value (shape ()) or a flat list of Values (shape (N,)) and its float64 targets."""
    values = [pred] if isinstance(pred, Value) else list(pred)
    for i, v in enumerate(values):
        if isinstance(v, (list, tuple)):
            raise ValueError(f"{name}: expected a flat list of Values, item {i} is a "
                             f"{type(v).__name__}")
        if not isinstance(v, (Value, int, float)):
            raise TypeError(f"{name}: expected Values or numbers, item {i} is a "
                            f"{type(v).__name__}")
    values = [v if isinstance(v, Value) else Value(float(v)) for v in values]
    t = _target_array(target).astype(np.float64)
    shape = () if isinstance(pred, Value) else (len(values),)
    if t.shape != shape:
        raise _shape_error(name, shape, t.shape)
    if not values:
        raise ValueError(f"{name}: empty prediction, nothing to average")
    return values, t.reshape(-1)


def _mean_loss(name: str, pred: Prediction, target: Any, term: Term,
               check: Check | None = None) -> Loss:
    """The mean over elements of `term(p, t)`: applied once to the prediction Tensor, or to
    each Value of a list with its float target."""
    if _is_scalar_graph(pred):
        values, t = _value_pair(name, pred, target)  # type: ignore[arg-type]
        if check is not None:
            check(np.array([v.data for v in values]), t)
        total = term(values[0], float(t[0]))
        for v, ti in zip(values[1:], t[1:].tolist(), strict=True):
            total = total + term(v, ti)
        return total * (1.0 / len(values)) if len(values) > 1 else total
    p, t = _tensor_pair(name, pred, target)
    if check is not None:
        check(p.data, t.data)
    return term(p, t).mean()


def _mask(p: Tensor | Value, test: Callable[[np.ndarray], np.ndarray]) -> Any:
    """`test` of p's data as a condition for `where`: a bool array for a Tensor, a 0-d one
    for a Value (masks are constants of the derivative: computed on the raw values)."""
    return test(np.asarray(p.data))


# --- losses ---------------------------------------------------------------------------------------

def _squared_error(p: Any, t: Any) -> Any:
    d = p - t
    return d * d


def mse_loss(pred: Prediction, target: Any) -> Loss:
    """Mean squared error: mean over all elements of (pred − target)²."""
    return _mean_loss("mse_loss", pred, target, _squared_error)


def cross_entropy(logits: Any, targets: Any) -> Tensor:
    """Softmax cross-entropy of (N, C) logits against N integer class labels, mean over N:

        mean_i(−log softmax(z_i)[k_i]) = mean_i(logsumexp(z_i) − z_i[k_i])

    One fused primitive (`autograd_lite.cross_entropy`): exact and finite for logits offset
    by ±1000, gradient (softmax − onehot)/N. A single sample may be given as (C,) logits
    with a scalar label. Given log-probabilities as logits, it is the categorical
    cross-entropy −log p[k] of those probabilities.
    """
    logits = logits if isinstance(logits, Tensor) else Tensor(np.asarray(logits))
    t = _target_array(targets)
    if logits.ndim == 1 and t.ndim == 0:  # one unbatched sample, as PyTorch allows
        logits, t = logits.reshape(1, -1), t.reshape(1)
    return autograd_lite.cross_entropy(logits, t)


def _check_probabilities(p: np.ndarray, t: np.ndarray) -> None:
    if not np.all((p >= 0) & (p <= 1)):
        raise ValueError(f"binary_cross_entropy: probabilities must lie in [0, 1], got values "
                         f"from {np.nanmin(p)} to {np.nanmax(p)} (nan: {np.isnan(p).any()}); "
                         "for raw scores use binary_cross_entropy_with_logits")


def _log_above_clamp(p: np.ndarray) -> np.ndarray:
    """Where log p ≥ −100 (p > 0 first, so log never sees 0)."""
    positive = p > 0
    return positive & (np.log(np.where(positive, p, 1)) >= LOG_CLAMP)


def _clamped_log(p: Any) -> Any:
    """max(log p, −100) for p ≥ 0: log p where that is at least −100, else the constant −100.
    Finite at p = 0, with gradient 0 where clamped (a constant, not 0 · 1/p, which is nan
    where 1/p overflows); log is only evaluated where it is kept."""
    keep = _mask(p, _log_above_clamp)
    safe = where(keep, p, 1.0)
    return where(keep, safe.log(), LOG_CLAMP)


def _binary_cross_entropy_term(p: Any, t: Any) -> Any:
    return -(t * _clamped_log(p) + (1 - t) * _clamped_log(1 - p))


def binary_cross_entropy(probs: Prediction, targets: Any) -> Loss:
    """Binary cross-entropy of probabilities p ∈ [0, 1] against targets t ∈ [0, 1]:

        mean(−(t·log p + (1 − t)·log(1 − p)))

    Each log is clamped at −100 (as PyTorch), so p = 0 or 1 gives a finite loss (at most
    100 per element) and a finite gradient (0 where the clamp is active). Probabilities
    outside [0, 1] raise a ValueError.
    """
    return _mean_loss("binary_cross_entropy", probs, targets, _binary_cross_entropy_term,
                      _check_probabilities)


def _bce_with_logits_term(x: Any, t: Any) -> Any:
    """max(x, 0) − x·t + log(1 + e^−|x|), both kinks taken on the x ≥ 0 side, so the
    gradient at x = 0 is 1 − t − ½ = σ(0) − t."""
    nonneg = _mask(x, lambda d: d >= 0)
    positive_part = where(nonneg, x, 0.0)  # max(x, 0)
    minus_abs = where(nonneg, -x, x)  # −|x|: e^−|x| ≤ 1 never overflows
    return positive_part - x * t + (minus_abs.exp() + 1).log()


def binary_cross_entropy_with_logits(logits: Prediction, targets: Any) -> Loss:
    """Binary cross-entropy of sigmoid(x) against targets t, computed from the logits x:

        mean(max(x, 0) − x·t + log(1 + e^−|x|))

    the stable form of −(t·log σ(x) + (1 − t)·log(1 − σ(x))): finite and exact at x = ±1000.
    Its gradient is (σ(x) − t)/N everywhere, x = 0 included (both kinks take the x ≥ 0 side).
    """
    return _mean_loss("binary_cross_entropy_with_logits", logits, targets,
                      _bce_with_logits_term)


def _check_pm1(s: np.ndarray, y: np.ndarray) -> None:
    if not np.all((y == 1) | (y == -1)):
        raise ValueError(f"hinge_loss: targets must be -1 or +1, got values {np.unique(y)[:5]}"
                         "; convert 0/1 labels with 2*y - 1")


def hinge_loss(scores: Prediction, y_pm1: Any) -> Loss:
    """Hinge (max-margin) loss of real scores s against labels y ∈ {−1, +1}:

        mean(relu(1 − y·s))      (micrograd's SVM loss; relu'(0) = 0 at the margin)
    """
    return _mean_loss("hinge_loss", scores, y_pm1, lambda s, y: (1 - y * s).relu(), _check_pm1)


# --- penalties ------------------------------------------------------------------------------------

def _penalty(name: str, params: Iterable[Any], term: Callable[[Any], Any]) -> Loss:
    """Σ term(p) over Tensors (a 0-d Tensor) or over Values (a Value); an empty iterable gives
    a constant 0 (float32 Tensor)."""
    if isinstance(params, (Tensor, Value)):
        params = [params]
    total: Any = None
    for i, p in enumerate(params):
        if not isinstance(p, (Tensor, Value)):
            raise TypeError(f"{name}: expected Tensors/Parameters or Values, item {i} is a "
                            f"{type(p).__name__}")
        if total is not None and isinstance(p, Tensor) != isinstance(total, Tensor):
            raise TypeError(f"{name}: cannot mix Tensors and Values in one penalty")
        value = term(p)
        value = value.sum() if isinstance(value, Tensor) else value  # a Value is its own sum
        total = value if total is None else total + value
    return Tensor(0.0) if total is None else total


def l1_penalty(params: Iterable[Any]) -> Loss:
    """L1 penalty Σ|w| over every element of every parameter (a sum, not a mean; abs'(0) = 0).

    `params` is an iterable of Tensors/Parameters (e.g. `model.parameters()`) or of Values;
    multiply by λ yourself: `loss + lam * l1_penalty(model.parameters())`.
    """
    return _penalty("l1_penalty", params, abs)


def l2_penalty(params: Iterable[Any]) -> Loss:
    """L2 penalty Σw² over every element of every parameter (a sum, not a mean, no ½).

    `params` is an iterable of Tensors/Parameters or of Values; the constant is yours:
    micrograd's `alpha * Σ p*p` is `alpha * l2_penalty(...)`, Nielsen's λ/2n·Σw² is
    `lam / (2 * n) * l2_penalty(...)`.
    """
    return _penalty("l2_penalty", params, lambda p: p * p)
