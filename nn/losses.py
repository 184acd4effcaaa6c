"""Loss functions `(input, target)`, PyTorch's signatures, and weight penalties.

    mse_loss(y, t)                         = (y − t)²
    l1_loss(y, t)                          = |y − t|
    smooth_l1_loss(y, t, beta=1)           = ½(y − t)²/β where |y − t| < β, else |y − t| − ½β
    cross_entropy(z, k)                    = −log softmax(z_i)[k_i] = logsumexp(z_i) − z_i[k_i]
    nll_loss(a, k)                         = −a_i[k_i]                        (log-probabilities)
    binary_cross_entropy(p, t)             = −(t·log p + (1 − t)·log(1 − p)), each log ≥ −100
    binary_cross_entropy_with_logits(x, t) = max(x, 0) − x·t + log(1 + e^−|x|)
    hinge_loss(s, y)                       = relu(1 − y·s)                     (y = ±1)
    l1_penalty(params)                     = Σ |w|
    l2_penalty(params)                     = Σ w²          (no ½ and no λ: scale it yourself)

Every loss takes `reduction='mean'` (the default: the mean over elements, or over samples for
the class losses), `'sum'` or `'none'` (the per-element or per-sample losses), and PyTorch's
other arguments: `weight` (per class for cross_entropy and nll_loss, per element for the
binary losses), `ignore_index` and `label_smoothing`, `pos_weight`, `beta`. `cross_entropy`
also takes class probabilities as targets (floats shaped like the logits). The class losses
take logits (N, C), (C,) or (N, C, d1, ...) with the classes on axis 1, as PyTorch. The loss
classes (`MSELoss`, `CrossEntropyLoss`, ...) are Modules holding those arguments.

Predictions are Tensors (the loss is a Tensor) or, for the elementwise losses, a Value or a
list of Values such as a scalar `MLP`'s outputs (the loss is a Value; a list of Values with
reduction='none'). Targets may be Tensors, numpy arrays, lists or numbers; they never need to
require grad. Prediction and target must have exactly the same shape: a (N,) target against
a (N, 1) prediction raises a ValueError naming the loss and both shapes instead of silently
broadcasting to (N, N). A target array is cast to the prediction's dtype, so float32 models
stay float32.

Each elementwise loss is written once, as a term `term(p, t)` in the ops Tensors and Values
share (`where` with a mask computed from `p.data`: an array for a Tensor, a float for a
Value), applied to the whole Tensor or to each Value of a list. The class losses are one
`_nll` (a weighted pick of log-probabilities); softmax cross-entropy with integer labels and
the default arguments runs as one fused op.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

import autograd_lite
from autograd_lite import Tensor, Value, where

from .checks import (
    check_array,
    check_count,
    check_real,
    check_tensor,
    names_errors,
)
from .module import Module

__all__ = [
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "cross_entropy",
    "nll_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "hinge_loss",
    "l1_penalty",
    "l2_penalty",
    "MSELoss",
    "L1Loss",
    "SmoothL1Loss",
    "CrossEntropyLoss",
    "NLLLoss",
    "BCELoss",
    "BCEWithLogitsLoss",
]

LOG_CLAMP = -100.0  # PyTorch's floor for the logs inside binary_cross_entropy
REDUCTIONS = ("mean", "sum", "none")

Prediction = Tensor | Value | Sequence[Value] | np.ndarray
Loss = Tensor | Value | list[Value]
Term = Callable[..., Any]  # (Tensor, Tensor, **constants) -> Tensor, (Value, float) -> Value
Check = Callable[[np.ndarray, np.ndarray], None]


# --- shared plumbing --------------------------------------------------------------------------

def _reduction(name: str, reduction: str) -> str:
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        kind = ValueError if isinstance(reduction, str) else TypeError
        raise kind(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}"
                   [:200])
    return reduction


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


def _target_array(target: Any, name: str = "loss", what: str = "target") -> np.ndarray:
    """A target, weight or other constant as an array of numbers (TypeError otherwise)."""
    return check_array(name, what, target)


def _as_input(x: Any, name: str = "loss") -> Tensor:
    """A prediction as a Tensor (arrays keep a floating dtype; others become float64)."""
    return check_tensor(name, "input", x, float_dtype=np.float64)


def _tensor_pair(name: str, pred: Any, target: Any) -> tuple[Tensor, Tensor]:
    """Prediction and target as same-shaped Tensors (a target array takes pred's dtype)."""
    pred = _as_input(pred, name)
    if not (isinstance(target, Tensor) and target.requires_grad):
        array = _target_array(target, name)
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
    t = _target_array(target, name).astype(np.float64)
    shape = () if isinstance(pred, Value) else (len(values),)
    if t.shape != shape:
        raise _shape_error(name, shape, t.shape)
    if not values:
        raise ValueError(f"{name}: empty prediction, nothing to average")
    return values, t.reshape(-1)


def _constant(name: str, what: str, array: Any, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """A per-element constant (`weight`, `pos_weight`) broadcast to the loss's shape."""
    a = _target_array(array, name, what).astype(dtype)
    try:
        return np.broadcast_to(a, shape)
    except ValueError:
        raise ValueError(f"{name}: {what} of shape {a.shape} does not broadcast to the "
                         f"input's shape {shape}") from None


def _elementwise_loss(name: str, pred: Prediction, target: Any, term: Term, reduction: str,
                      check: Check | None = None, weight: Any = None,
                      constants: dict[str, Any] | None = None) -> Loss:
    """`term(p, t, **constants)` (each constant broadcast to the input's shape), times
    `weight`, reduced: applied once to the prediction Tensor, or to each Value of a list
    with its float target."""
    _reduction(name, reduction)
    if _is_scalar_graph(pred):
        values, t = _value_pair(name, pred, target)  # type: ignore[arg-type]
        if check is not None:
            check(np.array([v.data for v in values]), t)
        shape = () if isinstance(pred, Value) else t.shape
        extra = {key: _constant(name, key, c, shape, np.float64).reshape(-1).tolist()
                 for key, c in (constants or {}).items()}
        terms = [term(v, ti, **{key: e[i] for key, e in extra.items()})
                 for i, (v, ti) in enumerate(zip(values, t.tolist(), strict=True))]
        if weight is not None:
            w = _constant(name, "weight", weight, shape, np.float64).reshape(-1).tolist()
            terms = [x * wi for x, wi in zip(terms, w, strict=True)]
        if reduction == "none":
            return terms[0] if isinstance(pred, Value) else terms
        total = terms[0]
        for x in terms[1:]:
            total = total + x
        return total * (1.0 / len(terms)) if reduction == "mean" and len(terms) > 1 else total
    p, t = _tensor_pair(name, pred, target)
    if check is not None:
        check(p.data, t.data)
    losses = term(p, t, **{key: Tensor(_constant(name, key, c, p.shape, p.dtype))
                           for key, c in (constants or {}).items()})
    if weight is not None:
        losses = losses * Tensor(_constant(name, "weight", weight, p.shape, p.dtype))
    return _reduce(losses, reduction)


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return losses.mean()
    return losses.sum() if reduction == "sum" else losses


def _mask(p: Tensor | Value, test: Callable[[np.ndarray], np.ndarray]) -> Any:
    """`test` of p's data as a condition for `where`: a bool array for a Tensor, a 0-d one
    for a Value (masks are constants of the derivative: computed on the raw values)."""
    return test(np.asarray(p.data))


# --- regression losses ------------------------------------------------------------------------

def _squared_error(p: Any, t: Any) -> Any:
    d = p - t
    return d * d


@names_errors("mse_loss")
def mse_loss(input: Prediction, target: Any, *, reduction: str = "mean") -> Loss:
    """Squared error (input − target)², averaged over all elements by default."""
    return _elementwise_loss("mse_loss", input, target, _squared_error, reduction)


@names_errors("l1_loss")
def l1_loss(input: Prediction, target: Any, *, reduction: str = "mean") -> Loss:
    """Absolute error |input − target| (abs'(0) = 0), averaged over all elements by default."""
    return _elementwise_loss("l1_loss", input, target, lambda p, t: abs(p - t), reduction)


@names_errors("smooth_l1_loss")
def smooth_l1_loss(input: Prediction, target: Any, *, reduction: str = "mean",
                   beta: float = 1.0) -> Loss:
    """Smooth L1 (Huber / β): ½d²/β where |d| < β, else |d| − ½β, with d = input − target;
    β = 0 is the L1 loss."""
    beta = check_real("smooth_l1_loss", "beta", beta, low=0)

    def term(p: Any, t: Any) -> Any:
        d = p - t
        if beta == 0:  # no quadratic part (and no division by β)
            return abs(d)
        small = _mask(d, lambda a: np.abs(a) < beta)
        return where(small, d * d * (0.5 / beta), abs(d) - 0.5 * beta)

    return _elementwise_loss("smooth_l1_loss", input, target, term, reduction)


# --- class losses -----------------------------------------------------------------------------

def _class_rows(name: str, input: Any, target: Any,
                probabilities: bool) -> tuple[Tensor, Any, tuple[int, ...]]:
    """Logits (N, C), (C,) or (N, C, d1, ...) as rows (M, C), with the targets as M labels
    (or (M, C) probabilities), and the shape of the per-sample losses."""
    x = _as_input(input, name)
    if x.ndim == 0:
        raise ValueError(f"{name}: input must have shape (N, C), (C,) or (N, C, d1, ...), "
                         f"got a 0-d tensor")
    c = x.shape[0] if x.ndim == 1 else x.shape[1]
    if x.ndim == 1:
        batch, rows = (), x.reshape(1, c)
    else:
        batch = x.shape[:1] + x.shape[2:]
        rows = x if x.ndim == 2 else \
            x.transpose(0, *range(2, x.ndim), 1).reshape(-1, c)  # classes last
    if probabilities:
        t = target if isinstance(target, Tensor) and target.requires_grad else \
            Tensor(_target_array(target, name).astype(x.dtype))
        if t.shape != x.shape:
            raise _shape_error(name, x.shape, t.shape)
        if x.ndim > 2:
            t = t.transpose(0, *range(2, x.ndim), 1)
        return rows, t.reshape(-1, c), batch
    k = _target_array(target, name)
    if k.dtype.kind not in "iu" or k.shape != batch:
        hint = ""
        if x.ndim == 3 and k.shape == x.shape[:2]:  # a language model's (B, T, C) logits
            hint = (f"; logits (B, T, C) = {x.shape} have the classes last, PyTorch's layout "
                    f"puts them on axis 1: write {name}(logits.view(-1, {x.shape[2]}), "
                    f"targets.view(-1)) or {name}(logits.transpose(0, 2, 1), targets)")
        raise ValueError(f"{name}: targets must be integer class labels of shape {batch} for "
                         f"input of shape {x.shape} (or class probabilities of shape "
                         f"{x.shape}), got shape {k.shape} dtype {k.dtype}{hint}")
    return rows, k.reshape(-1).astype(np.int64), batch


def _class_weight(name: str, weight: Any, c: int, dtype: Any) -> np.ndarray | None:
    if weight is None:
        return None
    w = _target_array(weight, name, "weight").astype(dtype)
    if w.shape != (c,):
        raise ValueError(f"{name}: weight must have one entry per class, shape ({c},), got "
                         f"{w.shape}")
    return w


def _labels(name: str, k: np.ndarray, c: int, ignore_index: int) -> np.ndarray:
    """Which labels count (not `ignore_index`); the others must be classes in [0, C)."""
    valid = k != ignore_index
    bad = valid & ((k < 0) | (k >= c))
    if bad.any():
        raise ValueError(f"{name}: targets must lie in [0, {c}) (or equal ignore_index="
                         f"{ignore_index}), got {k[bad][:5].tolist()}")
    return valid


def _per_sample(losses: Tensor, reduction: str, batch: tuple[int, ...],
                total: Any = None) -> Tensor:
    """Per-sample losses (M,) reduced: 'mean' divides the sum by `total` (the summed
    weights; the number of samples by default)."""
    if reduction == "none":
        return losses.reshape(batch)
    if reduction == "sum":
        return losses.sum()
    if total is None:
        return losses.mean()
    with np.errstate(invalid="ignore", divide="ignore"):  # all ignored: nan, as PyTorch
        return losses.sum() / total


def _nll(logp: Tensor, k: np.ndarray, valid: np.ndarray, w: np.ndarray | None,
         reduction: str, batch: tuple[int, ...]) -> Tensor:
    """−w[k_i]·logp_i[k_i] per sample (0 where ignored); 'mean' divides by Σ w[k_i]."""
    safe = np.where(valid, k, 0)
    weights = valid.astype(logp.dtype) if w is None else w[safe] * valid
    losses = -(logp[np.arange(len(k)), safe] * weights)
    return _per_sample(losses, reduction, batch, weights.sum())


@names_errors("nll_loss")
def nll_loss(input: Any, target: Any, weight: Any = None, *, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities (N, C) (or (C,), (N, C, d1, ...))
    against integer labels: −weight[k]·input[k] per sample; 'mean' divides the sum by the
    summed weights of the labels (samples whose label is `ignore_index` do not count)."""
    _reduction("nll_loss", reduction)
    ignore_index = check_count("nll_loss", "ignore_index", ignore_index, None)
    rows, k, batch = _class_rows("nll_loss", input, target, False)
    w = _class_weight("nll_loss", weight, rows.shape[1], rows.dtype)
    valid = _labels("nll_loss", k, rows.shape[1], ignore_index)
    return _nll(rows, k, valid, w, reduction, batch)


@names_errors("cross_entropy")
def cross_entropy(input: Any, target: Any, weight: Any = None, *, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits (N, C) (or (C,), (N, C, d1, ...)) against integer
    class labels or class probabilities (floats shaped like the logits), as PyTorch:

        labels:         −w[k]·log softmax(z)[k] per sample; 'mean' divides by Σ w[k]
        probabilities:  −Σ_c w_c·t_c·log softmax(z)_c;     'mean' divides by N

    `label_smoothing` ε mixes the target with the uniform distribution: (1 − ε)·target + ε/C.
    Labels equal to `ignore_index` contribute nothing. With the defaults it is one fused op
    (`autograd_lite.cross_entropy`): exact and finite for logits offset by ±1000, gradient
    (softmax − onehot)/N. Given log-probabilities as logits, it is the categorical
    cross-entropy −log p[k] of those probabilities.
    """
    name = "cross_entropy"
    _reduction(name, reduction)
    ignore_index = check_count(name, "ignore_index", ignore_index, None)
    label_smoothing = check_real(name, "label_smoothing", label_smoothing, low=0, high=1)
    probabilities = _target_array(target, name).dtype.kind == "f" and \
        np.shape(_target_array(target, name)) == np.shape(_target_array(input, name, "input"))
    rows, t, batch = _class_rows(name, input, target, probabilities)
    c = rows.shape[1]
    w = _class_weight(name, weight, c, rows.dtype)
    eps = float(label_smoothing)
    if probabilities:
        if eps:
            t = t * (1 - eps) + eps / c
        logp = rows.log_softmax(axis=1)
        losses = -((logp * t if w is None else logp * t * w).sum(axis=1))
        return _per_sample(losses, reduction, batch)
    valid = _labels(name, t, c, ignore_index)
    if reduction == "mean" and w is None and not eps and valid.all():
        return autograd_lite.cross_entropy(rows, t)  # the fused op
    logp = rows.log_softmax(axis=1)
    loss = _nll(logp, t, valid, w, reduction, batch)
    if not eps:
        return loss
    # ε/C · Σ_c −w_c·log p_c: the uniform part of the smoothed target, normalised as the NLL
    smooth = -((logp if w is None else logp * w).sum(axis=1)) * valid.astype(rows.dtype)
    total = valid.sum() if w is None else (w[np.where(valid, t, 0)] * valid).sum()
    return loss * (1 - eps) + _per_sample(smooth, reduction, batch,
                                          np.asarray(total, dtype=rows.dtype)) * (eps / c)


# --- binary losses ----------------------------------------------------------------------------

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


@names_errors("binary_cross_entropy")
def binary_cross_entropy(input: Prediction, target: Any, weight: Any = None, *,
                         reduction: str = "mean") -> Loss:
    """Binary cross-entropy of probabilities p ∈ [0, 1] against targets t ∈ [0, 1]:

        −weight·(t·log p + (1 − t)·log(1 − p)), averaged over elements by default

    Each log is clamped at −100 (as PyTorch), so p = 0 or 1 gives a finite loss (at most
    100 per element) and a finite gradient (0 where the clamp is active). Probabilities
    outside [0, 1] raise a ValueError. `weight` broadcasts to the input's shape.
    """
    return _elementwise_loss("binary_cross_entropy", input, target, _binary_cross_entropy_term,
                             reduction, _check_probabilities, weight)


def _bce_with_logits_term(x: Any, t: Any, pos_weight: Any = None) -> Any:
    """max(x, 0) − x·t + log(1 + e^−|x|) = (1 − t)·x + softplus(−x), both kinks taken on the
    x ≥ 0 side, so the gradient at x = 0 is 1 − t − ½ = σ(0) − t; `pos_weight` p adds
    (p − 1)·t·softplus(−x) (the positive term's weight, PyTorch's log_weight)."""
    nonneg = _mask(x, lambda d: d >= 0)
    positive_part = where(nonneg, x, 0.0)  # max(x, 0)
    minus_abs = where(nonneg, -x, x)  # −|x|: e^−|x| ≤ 1 never overflows
    log_term = (minus_abs.exp() + 1).log()
    loss = positive_part - x * t + log_term
    if pos_weight is None:
        return loss
    return loss + (pos_weight - 1) * t * (positive_part - x + log_term)


@names_errors("binary_cross_entropy_with_logits")
def binary_cross_entropy_with_logits(input: Prediction, target: Any, weight: Any = None, *,
                                     reduction: str = "mean", pos_weight: Any = None) -> Loss:
    """Binary cross-entropy of sigmoid(x) against targets t, computed from the logits x:

        weight·(max(x, 0) − x·t + log(1 + e^−|x|)), averaged over elements by default

    the stable form of −(t·log σ(x) + (1 − t)·log(1 − σ(x))): finite and exact at x = ±1000.
    Its gradient is (σ(x) − t)/N everywhere, x = 0 included (both kinks take the x ≥ 0 side).
    `pos_weight` (broadcast to the input, e.g. one per class of the last axis) weights the
    positive term: −(p·t·log σ(x) + (1 − t)·log(1 − σ(x))).
    """
    return _elementwise_loss("binary_cross_entropy_with_logits", input, target,
                             _bce_with_logits_term, reduction, weight=weight,
                             constants=None if pos_weight is None else {"pos_weight": pos_weight})


def _check_pm1(s: np.ndarray, y: np.ndarray) -> None:
    if not np.all((y == 1) | (y == -1)):
        raise ValueError(f"hinge_loss: targets must be -1 or +1, got values {np.unique(y)[:5]}"
                         "; convert 0/1 labels with 2*y - 1")


@names_errors("hinge_loss")
def hinge_loss(scores: Prediction, y_pm1: Any, *, reduction: str = "mean") -> Loss:
    """Hinge (max-margin) loss of real scores s against labels y ∈ {−1, +1}:

        relu(1 − y·s), averaged by default    (micrograd's SVM loss; relu'(0) = 0 at the margin)
    """
    return _elementwise_loss("hinge_loss", scores, y_pm1, lambda s, y: (1 - y * s).relu(),
                             reduction, _check_pm1)


# --- penalties --------------------------------------------------------------------------------

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


@names_errors("l1_penalty")
def l1_penalty(params: Iterable[Any]) -> Loss:
    """L1 penalty Σ|w| over every element of every parameter (a sum, not a mean; abs'(0) = 0).

    `params` is an iterable of Tensors/Parameters (e.g. `model.parameters()`) or of Values;
    multiply by λ yourself: `loss + lam * l1_penalty(model.parameters())`.
    """
    return _penalty("l1_penalty", params, abs)


@names_errors("l2_penalty")
def l2_penalty(params: Iterable[Any]) -> Loss:
    """L2 penalty Σw² over every element of every parameter (a sum, not a mean, no ½).

    `params` is an iterable of Tensors/Parameters or of Values; the constant is yours:
    micrograd's `alpha * Σ p*p` is `alpha * l2_penalty(...)`, Nielsen's λ/2n·Σw² is
    `lam / (2 * n) * l2_penalty(...)`.
    """
    return _penalty("l2_penalty", params, lambda p: p * p)


# --- loss modules -----------------------------------------------------------------------------

class _Loss(Module):
    """A loss as a Module (PyTorch's classes): `loss_fn(input, target)`; the arguments are
    fixed at construction, and a class `weight` (`pos_weight`) is a buffer, as PyTorch."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = _reduction(type(self).__name__, reduction)

    def _buffer(self, name: str, value: Any) -> None:
        if value is None:
            object.__setattr__(self, name, None)
        else:
            self.register_buffer(name, _target_array(value, type(self).__name__, name))


class MSELoss(_Loss):
    """`mse_loss` as a Module: (input − target)², reduced."""

    def forward(self, input: Any, target: Any) -> Loss:
        return mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """`l1_loss` as a Module: |input − target|, reduced."""

    def forward(self, input: Any, target: Any) -> Loss:
        return l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """`smooth_l1_loss` as a Module, with its `beta`."""

    def __init__(self, *, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        self.beta = check_real(type(self).__name__, "beta", beta, low=0)

    def forward(self, input: Any, target: Any) -> Loss:
        return smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class CrossEntropyLoss(_Loss):
    """`cross_entropy` as a Module: logits and class labels (or probabilities), with a class
    `weight`, `ignore_index` and `label_smoothing`."""

    def __init__(self, weight: Any = None, *, ignore_index: int = -100,
                 reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        self._buffer("weight", weight)
        owner = type(self).__name__
        self.ignore_index = check_count(owner, "ignore_index", ignore_index, None)
        self.label_smoothing = check_real(owner, "label_smoothing", label_smoothing, low=0,
                                          high=1)

    def forward(self, input: Any, target: Any) -> Tensor:
        return cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                             reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_Loss):
    """`nll_loss` as a Module: log-probabilities and class labels, with a class `weight` and
    `ignore_index`."""

    def __init__(self, weight: Any = None, *, ignore_index: int = -100,
                 reduction: str = "mean") -> None:
        super().__init__(reduction)
        self._buffer("weight", weight)
        self.ignore_index = check_count(type(self).__name__, "ignore_index", ignore_index, None)

    def forward(self, input: Any, target: Any) -> Tensor:
        return nll_loss(input, target, self.weight, ignore_index=self.ignore_index,
                        reduction=self.reduction)


class BCELoss(_Loss):
    """`binary_cross_entropy` as a Module: probabilities against targets in [0, 1], with a
    per-element `weight`."""

    def __init__(self, weight: Any = None, *, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self._buffer("weight", weight)

    def forward(self, input: Any, target: Any) -> Loss:
        return binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """`binary_cross_entropy_with_logits` as a Module, with `weight` and `pos_weight`."""

    def __init__(self, weight: Any = None, *, reduction: str = "mean",
                 pos_weight: Any = None) -> None:
        super().__init__(reduction)
        self._buffer("weight", weight)
        self._buffer("pos_weight", pos_weight)

    def forward(self, input: Any, target: Any) -> Loss:
        return binary_cross_entropy_with_logits(input, target, self.weight,
                                                reduction=self.reduction,
                                                pos_weight=self.pos_weight)
