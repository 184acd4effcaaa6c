"""`fit`: the training loop — epochs of mini-batch steps, validation, a progress bar, early
stopping that restores the best weights, and a learning-rate schedule.

The history it returns holds, per epoch, the training and validation loss and accuracy
(what Nielsen's `network2` monitors) and the learning rate; `on_epoch_end` can print
Nielsen's lines ("Epoch j training complete", "Accuracy on evaluation data: a / n").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from autograd_lite import Tensor, no_grad

from .module import Module
from .optim.lr_scheduler import ReduceLROnPlateau

__all__ = ["fit", "evaluate", "accuracy", "History"]

Batch = tuple[Any, Any]
History = dict[str, list[float]]


def accuracy(output: Tensor, target: Any) -> float:
    """Fraction of correct predictions: argmax over classes for (N, C) outputs with C > 1;
    otherwise the sign of a score (> 0) against labels that are 1/0 or +1/−1."""
    out = np.asarray(output.data)
    y = np.asarray(target.data if isinstance(target, Tensor) else target)
    if out.ndim == 2 and out.shape[1] > 1:
        predicted = out.argmax(axis=1)
    else:
        predicted = (out.reshape(y.shape) > 0).astype(y.dtype)
        y = (y > 0).astype(y.dtype)
    return float(np.mean(predicted == y)) if y.size else math.nan


def _batches(data: Any, name: str) -> Iterable[Batch]:
    if isinstance(data, tuple) and len(data) == 2 and not isinstance(data[0], tuple):
        x, y = data
        return [(x if isinstance(x, Tensor) else Tensor(np.asarray(x)), y)]  # one full batch
    if not hasattr(data, "__iter__"):
        raise TypeError(f"fit: {name} must be a DataLoader, an iterable of (x, y) batches or "
                        f"an (X, y) pair, got {type(data).__name__}")
    return data


def _pass(model: Module, loss_fn: Callable[[Any, Any], Tensor], batches: Iterable[Batch],
          metric: Callable[[Any, Any], float], step: Callable[[Tensor], None] | None,
          bar: Any = None) -> tuple[float, float]:
    """One pass over the batches; returns the sample-weighted mean loss and metric."""
    total_loss = total_metric = 0.0
    count = 0
    for x, y in batches:
        out = model(x)
        loss = loss_fn(out, y)
        if step is not None:
            step(loss)
        n = len(y) if np.ndim(y.data if isinstance(y, Tensor) else y) else 1
        total_loss += float(loss.data) * n
        total_metric += metric(out, y) * n
        count += n
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{total_loss / count:.4f}", refresh=False)
    if count == 0:
        raise ValueError("fit: the data yielded no batches")
    return total_loss / count, total_metric / count


def evaluate(model: Module, loss_fn: Callable[[Any, Any], Tensor], data: Any,
             metric: Callable[[Any, Any], float] = accuracy) -> tuple[float, float]:
    """Mean loss and metric over `data` in eval mode, recording no graph."""
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            return _pass(model, loss_fn, _batches(data, "data"), metric, None)
    finally:
        model.train(was_training)


def fit(model: Module, loss_fn: Callable[[Any, Any], Tensor], optimizer: Any, train_data: Any,
        epochs: int, val_data: Any = None, *, scheduler: Any = None,
        metric: Callable[[Any, Any], float] = accuracy, patience: int | None = None,
        monitor: str = "val_loss", restore_best: bool = True, progress: bool | None = None,
        on_epoch_end: Callable[[int, History], None] | None = None) -> History:
    """Train `model` for `epochs` epochs and return the per-epoch history.

    Each step: zero the gradients, forward, `loss_fn(output, y)`, backward, `optimizer.step()`.
    `train_data`/`val_data`: a DataLoader, any iterable of (x, y) batches, or an (X, y) pair
    (one full batch). After each epoch the model is evaluated on `val_data` (eval mode, no
    graph), the scheduler steps (`ReduceLROnPlateau` gets the monitored value), and
    `on_epoch_end(epoch, history)` is called. With `patience`, training stops when
    `monitor` ("val_loss", "val_accuracy", "train_loss" or "train_accuracy") has not improved
    for that many epochs, and the best weights are restored (unless `restore_best=False`).
    `progress`: a tqdm bar (terminal or notebook); None shows it only on a terminal.
    """
    if epochs < 0:
        raise ValueError(f"fit: epochs must be >= 0, got {epochs}")
    keys = ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr")
    if monitor not in keys[:4]:
        raise ValueError(f"fit: monitor must be one of {keys[:4]}, got {monitor!r}")
    if monitor.startswith("val") and val_data is None and (patience or _is_plateau(scheduler)):
        raise ValueError(f"fit: monitoring {monitor!r} needs val_data")
    history: History = {key: [] for key in keys}
    higher_is_better = monitor.endswith("accuracy")
    best, best_state, waited = -math.inf if higher_is_better else math.inf, None, 0

    def step(loss: Tensor) -> None:
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    train_batches = _batches(train_data, "train_data")
    total = len(train_batches) if hasattr(train_batches, "__len__") else None
    for epoch in range(epochs):
        model.train()
        with tqdm(total=total, desc=f"epoch {epoch + 1}/{epochs}", unit="batch", leave=False,
                  disable=None if progress is None else not progress) as bar:
            train_loss, train_metric = _pass(model, loss_fn, train_batches, metric, step, bar)
        val_loss, val_metric = (evaluate(model, loss_fn, val_data, metric)
                                if val_data is not None else (math.nan, math.nan))
        lr = _learning_rate(optimizer)
        for key, value in zip(keys, (train_loss, train_metric, val_loss, val_metric, lr),
                              strict=True):
            history[key].append(value)
        current = history[monitor][-1]
        if scheduler is not None:
            scheduler.step(current) if _is_plateau(scheduler) else scheduler.step()
        if on_epoch_end is not None:
            on_epoch_end(epoch, history)
        improved = current > best if higher_is_better else current < best
        if improved:
            best, waited = current, 0
            if patience is not None and restore_best:
                best_state = model.state_dict()
        elif patience is not None:
            waited += 1
            if waited >= patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    return history


def _is_plateau(scheduler: Any) -> bool:
    """ReduceLROnPlateau steps on the monitored value; the other schedules on the epoch."""
    return isinstance(scheduler, ReduceLROnPlateau)


def _learning_rate(optimizer: Any) -> float:
    groups = getattr(optimizer, "param_groups", None)
    return float(groups[0]["lr"]) if groups else math.nan
