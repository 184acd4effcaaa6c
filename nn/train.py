"""`fit`: the training loop — epochs of mini-batch steps, validation, a progress bar and a
kept line per epoch, early stopping that restores the best weights, and a learning-rate
schedule.

The history it returns holds, per epoch, the training and validation loss and accuracy
(what Nielsen's `network2` monitors) and the learning rate, and which epoch was best;
`on_epoch_end` can print Nielsen's lines ("Epoch j training complete", "Accuracy on
evaluation data: a / n").

tqdm is imported from `tqdm.std`, and its notebook widget only when ipywidgets is installed:
`tqdm.auto` would print "IProgress not found" in a notebook without ipywidgets.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from tqdm.std import tqdm

from autograd_lite import Tensor, no_grad

from .module import Module
from .optim.lr_scheduler import ReduceLROnPlateau

__all__ = ["fit", "evaluate", "accuracy", "History", "VERBOSE"]

Batch = tuple[Any, Any]
History = dict[str, Any]  # per-epoch lists of floats, and "best_epoch", "restored"
VERBOSE = ("auto", "bar", "epoch", "silent")


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
        monitor: str = "val_loss", restore_best: bool = True, verbose: str = "auto",
        log_every: int = 1, progress: bool | None = None,
        on_epoch_end: Callable[[int, History], None] | None = None) -> History:
    """Train `model` for `epochs` epochs and return the history.

    Each step: zero the gradients, forward, `loss_fn(output, y)`, backward, `optimizer.step()`.
    `train_data`/`val_data`: a DataLoader, any iterable of (x, y) batches, or an (X, y) pair
    (one full batch). After each epoch the model is evaluated on `val_data` (eval mode, no
    graph), the scheduler steps (`ReduceLROnPlateau` gets the monitored value), and
    `on_epoch_end(epoch, history)` is called (`epoch` counts from 0). With `patience`,
    training stops when `monitor` ("val_loss", "val_accuracy", "train_loss" or
    "train_accuracy") has not improved for that many epochs, and the weights of the best
    epoch are restored at the end, whether or not it stopped early (unless
    `restore_best=False`).

    `verbose` says what is printed:

    - "bar": a progress bar during each epoch (tqdm, on stderr; a widget in Jupyter), erased
      when the epoch ends and replaced by the epoch's line;
    - "epoch": only the epoch's line (on stdout, no control characters: logs, CI, notebooks
      without ipywidgets), e.g.
      `epoch 3/20   loss 0.3121   accuracy  88.2%   val loss 0.2950   val accuracy  89.0%`;
    - "silent": nothing;
    - "auto" (the default): "bar" on a terminal and in Jupyter with ipywidgets installed,
      "epoch" otherwise (output redirected to a file or a pipe, Jupyter without ipywidgets).

    With lines, one is printed every `log_every` epochs (and for the last epoch), and the end
    of early stopping is announced with the epoch whose weights were restored. `progress`
    is the older switch: True means verbose="bar", False means "silent".

    The history is a dict:

    - "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr": one float per epoch
      trained (the sample-weighted mean loss and `metric` — called "accuracy" whatever the
      metric is — over the epoch's batches, the validation values after the epoch, nan
      without `val_data`; the learning rate the epoch was trained with);
    - "best_epoch": the index in those lists (from 0) of the epoch with the best `monitor`
      value, or None if it was never a number (e.g. "val_loss" without `val_data`);
    - "restored": True when the returned model holds the weights of "best_epoch" (`patience`
      given and `restore_best`); otherwise it holds those of the last epoch.

    So `history["val_accuracy"][-1]` is the *last* epoch's score; after early stopping the
    model's is `history["val_accuracy"][history["best_epoch"]]`, which is what
    `evaluate(model, loss_fn, val_data)` measures.
    """
    if epochs < 0:
        raise ValueError(f"fit: epochs must be >= 0, got {epochs}")
    keys = ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr")
    if monitor not in keys[:4]:
        raise ValueError(f"fit: monitor must be one of {keys[:4]}, got {monitor!r}")
    if monitor.startswith("val") and val_data is None and (patience or _is_plateau(scheduler)):
        raise ValueError(f"fit: monitoring {monitor!r} needs val_data")
    if isinstance(log_every, bool) or not isinstance(log_every, int) or log_every < 1:
        raise ValueError(f"fit: log_every must be a positive integer, got {log_every!r}")
    mode, bar_class = _resolve_verbose(verbose, progress)
    history: History = {key: [] for key in keys}
    history["best_epoch"] = None
    history["restored"] = False
    higher_is_better = monitor.endswith("accuracy")
    best, best_state, waited = -math.inf if higher_is_better else math.inf, None, 0
    line = _EpochLine(epochs, metric, val_data is not None, scheduler is not None)

    def step(loss: Tensor) -> None:
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    train_batches = _batches(train_data, "train_data")
    total = len(train_batches) if hasattr(train_batches, "__len__") else None
    for epoch in range(epochs):
        model.train()
        if bar_class is not None:
            with bar_class(total=total, desc=f"epoch {epoch + 1}/{epochs}", unit="batch",
                           leave=False) as bar:
                train_loss, train_metric = _pass(model, loss_fn, train_batches, metric, step,
                                                 bar)
        else:
            train_loss, train_metric = _pass(model, loss_fn, train_batches, metric, step)
        val_loss, val_metric = (evaluate(model, loss_fn, val_data, metric)
                                if val_data is not None else (math.nan, math.nan))
        lr = _learning_rate(optimizer)
        for key, value in zip(keys, (train_loss, train_metric, val_loss, val_metric, lr),
                              strict=True):
            history[key].append(value)
        current = history[monitor][-1]
        improved = current > best if higher_is_better else current < best
        if improved:
            best, waited = current, 0
            history["best_epoch"] = epoch
            if patience is not None and restore_best:
                best_state = model.state_dict()
        elif patience is not None:
            waited += 1
        stop = patience is not None and waited >= patience
        if scheduler is not None:
            scheduler.step(current) if _is_plateau(scheduler) else scheduler.step()
        if mode != "silent" and ((epoch + 1) % log_every == 0 or epoch + 1 == epochs or stop):
            print(line(epoch, history), flush=True)
        if on_epoch_end is not None:
            on_epoch_end(epoch, history)
        if stop:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
        history["restored"] = True
        if mode != "silent":
            print(_restored_line(history, monitor, patience, stopped=waited >= patience,
                                 epochs=epochs), flush=True)
    return history


class _EpochLine:
    """`epoch  3/20   loss 0.3121   accuracy  88.2%   val loss 0.2950   val accuracy  89.0%`:
    accuracy as a percentage with one decimal (other metrics with four), the learning rate
    when a scheduler changes it, the validation part only with validation data."""

    def __init__(self, epochs: int, metric: Callable[..., float], validation: bool,
                 schedule: bool) -> None:
        self.epochs, self.validation, self.schedule = epochs, validation, schedule
        self.name = "accuracy" if metric is accuracy else getattr(metric, "__name__", "metric")

    def _metric(self, value: float) -> str:
        return f"{value:6.1%}" if self.name == "accuracy" else f"{value:.4f}"

    def __call__(self, epoch: int, history: History) -> str:
        parts = [f"epoch {epoch + 1:>{len(str(self.epochs))}}/{self.epochs}",
                 f"loss {history['train_loss'][-1]:.4f}",
                 f"{self.name} {self._metric(history['train_accuracy'][-1])}"]
        if self.validation:
            parts += [f"val loss {history['val_loss'][-1]:.4f}",
                      f"val {self.name} {self._metric(history['val_accuracy'][-1])}"]
        if self.schedule:
            parts.append(f"lr {history['lr'][-1]:.3g}")
        return "   ".join(parts)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _restored_line(history: History, monitor: str, patience: int | None, stopped: bool,
                   epochs: int) -> str:
    best = history["best_epoch"]
    value = history[monitor][best]
    shown = f"{value:.1%}" if monitor.endswith("accuracy") else f"{value:.4f}"
    restored = f"restored the weights of epoch {best + 1} ({monitor} {shown}, the best)"
    if stopped:
        ran = len(history[monitor])
        return (f"early stopping after epoch {ran}/{epochs}: {monitor} has not improved for "
                f"{_plural(patience or 0, 'epoch')}; {restored}")
    return restored


def _resolve_verbose(verbose: Any, progress: bool | None) -> tuple[str, Any]:
    """The mode ("bar", "epoch" or "silent") and, for "bar", the tqdm class to draw it with."""
    if verbose not in VERBOSE:
        raise ValueError(f"fit: verbose must be one of {VERBOSE}, got {verbose!r}")
    if progress is not None:
        if verbose != "auto":
            raise ValueError("fit: give verbose or progress (the older switch), not both")
        verbose = "bar" if progress else "silent"
    if verbose in ("epoch", "silent"):
        return verbose, None
    notebook_bar = _notebook_bar() if _in_notebook() else None
    if notebook_bar is not None:
        return "bar", notebook_bar
    if verbose == "bar" or _stderr_is_a_terminal():
        return "bar", tqdm
    return "epoch", None


def _in_notebook() -> bool:
    """True inside a Jupyter kernel that can show widgets (notebook, lab, VS Code), decided
    as `tqdm.autonotebook` decides, without importing IPython."""
    if "ipykernel.zmqshell" not in sys.modules or "IPython" not in sys.modules:
        return False
    try:
        shell = sys.modules["IPython"].get_ipython()
    except Exception:  # noqa: BLE001 - an odd IPython: no widgets
        return False
    name = type(shell).__name__.lower()
    return shell is not None and "qt" not in name and "spyder" not in name


def _notebook_bar() -> Any:
    """tqdm's widget bar if ipywidgets is installed (and works), else None."""
    try:
        if importlib.util.find_spec("ipywidgets") is None:
            return None
        from tqdm import notebook
    except (ImportError, ValueError):  # ValueError: a module without a spec
        return None
    return notebook.tqdm if getattr(notebook, "IProgress", None) is not None else None


def _stderr_is_a_terminal() -> bool:
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced by an object without isatty, or closed
        return False


def _is_plateau(scheduler: Any) -> bool:
    """ReduceLROnPlateau steps on the monitored value; the other schedules on the epoch."""
    return isinstance(scheduler, ReduceLROnPlateau)


def _learning_rate(optimizer: Any) -> float:
    groups = getattr(optimizer, "param_groups", None)
    return float(groups[0]["lr"]) if groups else math.nan
