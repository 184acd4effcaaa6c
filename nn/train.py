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

import functools
import importlib.util
import math
import sys
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from tqdm.std import tqdm

from autograd_lite import Tensor, no_grad

from .checks import check_choice, check_count, check_flag
from .layers import Sigmoid
from .losses import BCELoss, binary_cross_entropy
from .module import Module
from .optim.lr_scheduler import ReduceLROnPlateau

__all__ = ["fit", "evaluate", "accuracy", "History", "VERBOSE", "ON_NONFINITE",
           "NonFiniteLossError"]

Batch = tuple[Any, Any]
History = dict[str, Any]  # per-epoch lists of floats, and "best_epoch", "restored", ...
VERBOSE = ("auto", "bar", "epoch", "silent")
ON_NONFINITE = ("raise", "stop", "continue")


class NonFiniteLossError(ValueError):
    """A training or validation loss became nan or inf. `epoch` and `batch` count from 1;
    `phase` is "training" or "validation"; `value` is the loss; `history` is the history up
    to the last complete epoch (with "restored" saying whether the best weights are back)."""

    def __init__(self, message: str, *, epoch: int, batch: int, phase: str,
                 value: float) -> None:
        super().__init__(message)
        self.epoch, self.batch, self.phase, self.value = epoch, batch, phase, value
        self.history: History | None = None


def accuracy(output: Tensor, target: Any, threshold: float = 0.0) -> float:
    """Fraction of correct predictions: argmax over classes for (N, C) outputs with C > 1;
    otherwise one score per sample, predicted positive when it is above `threshold` (0 for
    logits and ±1 scores, 0.5 for probabilities), against labels that are 1/0 or +1/−1.

    `fit` and `evaluate` pass threshold=0.5 by themselves when the outputs are
    probabilities: the model's last module is `nn.Sigmoid`, or the loss is
    `binary_cross_entropy` / `BCELoss`. A model that applies a sigmoid inside its own
    `forward` needs `metric=functools.partial(accuracy, threshold=0.5)`."""
    out = np.asarray(output.data)
    y = np.asarray(target.data if isinstance(target, Tensor) else target)
    if out.ndim == 2 and out.shape[1] > 1:
        predicted = out.argmax(axis=1)
    else:
        if out.size != y.size:
            raise ValueError(f"accuracy: {out.size} scores (output shape {out.shape}) for "
                             f"{y.size} labels (shape {y.shape})")
        predicted = (out.reshape(y.shape) > threshold).astype(y.dtype)
        y = (y > 0).astype(y.dtype)
    return float(np.mean(predicted == y)) if y.size else math.nan


def _outputs_probabilities(model: Module, loss_fn: Any) -> bool:
    """Whether the model's single outputs are probabilities (threshold 0.5), by structure:
    a last module `Sigmoid` (through nested containers) or a loss on probabilities."""
    if loss_fn is binary_cross_entropy or isinstance(loss_fn, BCELoss):
        return True
    last: Any = model
    while getattr(last, "_modules", None):
        last = list(last._modules.values())[-1]
    return isinstance(last, Sigmoid)


def _resolve_metric(model: Module, loss_fn: Any, metric: Any) -> Callable[[Any, Any], float]:
    if metric is accuracy and _outputs_probabilities(model, loss_fn):
        return functools.partial(accuracy, threshold=0.5)
    return metric


def _batches(data: Any, name: str, owner: str = "fit") -> Iterable[Batch]:
    if isinstance(data, tuple) and len(data) == 2 and not isinstance(data[0], tuple):
        x, y = data
        if not isinstance(x, Tensor):
            array = np.asarray(x)
            if array.dtype.kind not in "biuf":
                raise TypeError(f"{owner}: the inputs X of {name} must be numbers, got dtype "
                                f"{array.dtype}")
            x = Tensor(array)
        return [(x, y)]  # one full batch
    if not hasattr(data, "__iter__") or isinstance(data, (str, bytes)):
        raise TypeError(f"{owner}: {name} must be a DataLoader, an iterable of (x, y) batches "
                        f"or an (X, y) pair, got {type(data).__name__}")
    return data


class _NonFinite(Exception):
    """Raised by `_pass` at the first batch whose loss is nan or inf (before its step)."""

    def __init__(self, batch: int, batches: int | None, value: float, inputs_finite: bool):
        super().__init__(batch)
        self.batch, self.batches, self.value = batch, batches, value
        self.inputs_finite = inputs_finite


def _loss_value(loss: Any, owner: str) -> float:
    try:
        return float(loss.data if isinstance(loss, Tensor) else loss)
    except (TypeError, ValueError):
        shape = getattr(loss, "shape", None)
        raise TypeError(f"{owner}: loss_fn must return a scalar loss (a one-element Tensor), "
                        f"got {type(loss).__name__}" + (f" of shape {shape}" if shape else "")
                        ) from None


def _all_finite(x: Any) -> bool:
    array = np.asarray(x.data if isinstance(x, Tensor) else x)
    return array.dtype.kind not in "fc" or bool(np.isfinite(array).all())


def _pass(model: Module, loss_fn: Callable[[Any, Any], Tensor], batches: Iterable[Batch],
          metric: Callable[[Any, Any], float], step: Callable[[Tensor], None] | None,
          bar: Any = None, owner: str = "fit", check_finite: bool = True
          ) -> tuple[float, float]:
    """One pass over the batches; returns the sample-weighted mean loss and metric.

    With `check_finite`, a loss that is nan or inf raises `_NonFinite` before its step, so
    the model keeps the weights of the last finite step."""
    total_loss = total_metric = 0.0
    count = 0
    length = len(batches) if hasattr(batches, "__len__") else None
    for index, batch in enumerate(batches, start=1):
        if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
            raise TypeError(f"{owner}: each batch must be an (x, y) pair, got "
                            f"{type(batch).__name__}" + (f" of {len(batch)} items"
                                                         if isinstance(batch, (tuple, list))
                                                         else ""))
        x, y = batch
        out = model(x)
        loss = loss_fn(out, y)
        value = _loss_value(loss, owner)
        if check_finite and not math.isfinite(value):
            raise _NonFinite(index, length, value, _all_finite(x) and _all_finite(y))
        if step is not None:
            step(loss)
        n = len(y) if np.ndim(y.data if isinstance(y, Tensor) else y) else 1
        total_loss += value * n
        total_metric += metric(out, y) * n
        count += n
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{total_loss / count:.4f}", refresh=False)
    if count == 0:
        raise ValueError(f"{owner}: the data yielded no batches (an empty DataLoader, or "
                         "drop_last=True with fewer samples than batch_size?)")
    return total_loss / count, total_metric / count


def _check_callables(owner: str, model: Any, loss_fn: Any, metric: Any) -> None:
    if not isinstance(model, Module):
        raise TypeError(f"{owner}: model must be an nn.Module, got {type(model).__name__}")
    for name, value in (("loss_fn", loss_fn), ("metric", metric)):
        if not callable(value):
            raise TypeError(f"{owner}: {name} must be callable, got {type(value).__name__}")


def evaluate(model: Module, loss_fn: Callable[[Any, Any], Tensor], data: Any,
             metric: Callable[[Any, Any], float] = accuracy) -> tuple[float, float]:
    """Mean loss and metric over `data` in eval mode, recording no graph. A loss that is
    nan or inf is reported as such (a measurement, not an error). For single outputs the
    default `accuracy` uses threshold 0.5 when they are probabilities (see `accuracy`)."""
    _check_callables("evaluate", model, loss_fn, metric)
    metric = _resolve_metric(model, loss_fn, metric)
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            return _pass(model, loss_fn, _batches(data, "data", "evaluate"), metric, None,
                         owner="evaluate", check_finite=False)
    finally:
        model.train(was_training)


def fit(model: Module, loss_fn: Callable[[Any, Any], Tensor], optimizer: Any, train_data: Any,
        epochs: int, val_data: Any = None, *, scheduler: Any = None,
        metric: Callable[[Any, Any], float] = accuracy, patience: int | None = None,
        monitor: str = "val_loss", restore_best: bool = True, verbose: str = "auto",
        log_every: int = 1, progress: bool | None = None,
        on_epoch_end: Callable[[int, History], None] | None = None,
        on_nonfinite: str = "raise") -> History:
    """Train `model` for `epochs` epochs and return the history.

    Each step: zero the gradients, forward, `loss_fn(output, y)`, backward, `optimizer.step()`.
    `train_data`/`val_data`: a DataLoader, any iterable of (x, y) batches, or an (X, y) pair
    (one full batch). After each epoch the model is evaluated on `val_data` (eval mode, no
    graph), the scheduler steps (`ReduceLROnPlateau` gets the monitored value), and
    `on_epoch_end(epoch, history)` is called (`epoch` counts from 0). With `patience`,
    training stops when `monitor` ("val_loss", "val_accuracy", "train_loss" or
    "train_accuracy") has not improved for that many epochs, and the weights of the best
    epoch are restored at the end, whether or not it stopped early (unless
    `restore_best=False`). Only a finite value can be the best: a nan loss never is.

    `on_nonfinite` says what a training or validation loss of nan or inf does (it is
    checked at every batch, before that batch's step, so the weights stay those of the
    last finite step):

    - "raise" (the default): stop and raise `NonFiniteLossError` (a ValueError) naming the
      epoch and batch, the loss, and the likely cause: a learning rate too large, or nan/inf
      in that batch's data. Training that has diverged should not look like success;
    - "stop": stop training there and return the history of the complete epochs, with
      "stopped" set to "nonfinite" (for sweeps that want the history, not an exception);
    - "continue": keep training (the old behaviour, for studying divergence); the lists
      then hold nan, which never counts as the best epoch.

    In both "raise" and "stop", as at the end of training, the best weights are restored
    when `patience` is given (and `restore_best`).

    Ctrl-C (KeyboardInterrupt) during training is not swallowed: the best weights are
    restored first (with `patience` and `restore_best`, and said so), the history is
    attached to the exception as `.history` (with "stopped" = "interrupted"), and it is
    raised again, so a script does not go on to save or report as if training had ended.
    An interrupt never leaves a half-updated model: `optimizer.step()` completes first.

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
      value, or None if it was never a finite number (e.g. "val_loss" without `val_data`);
    - "restored": True when the returned model holds the weights of "best_epoch" (`patience`
      given and `restore_best`); otherwise it holds those of the last epoch;
    - "stopped": None when every epoch ran, "early" (patience), "nonfinite" or
      "interrupted".

    So `history["val_accuracy"][-1]` is the *last* epoch's score; after early stopping the
    model's is `history["val_accuracy"][history["best_epoch"]]`, which is what
    `evaluate(model, loss_fn, val_data)` measures.
    """
    _check_callables("fit", model, loss_fn, metric)
    epochs = check_count("fit", "epochs", epochs, 0)
    if patience is not None:
        patience = check_count("fit", "patience", patience, 0)
    restore_best = check_flag("fit", "restore_best", restore_best)
    log_every = check_count("fit", "log_every", log_every, 1)
    if not (callable(getattr(optimizer, "step", None))
            and callable(getattr(optimizer, "zero_grad", None))):
        raise TypeError(f"fit: optimizer must have step() and zero_grad() (an nn.optim "
                        f"optimizer), got {type(optimizer).__name__}")
    if scheduler is not None and not callable(getattr(scheduler, "step", None)):
        raise TypeError(f"fit: scheduler must have a step() method, got "
                        f"{type(scheduler).__name__}")
    if on_epoch_end is not None and not callable(on_epoch_end):
        raise TypeError(f"fit: on_epoch_end must be callable or None, got "
                        f"{type(on_epoch_end).__name__}")
    check_choice("fit", "on_nonfinite", on_nonfinite, ON_NONFINITE)
    keys = ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr")
    check_choice("fit", "monitor", monitor, keys[:4])
    if monitor.startswith("val") and val_data is None and (patience or _is_plateau(scheduler)):
        raise ValueError(f"fit: monitoring {monitor!r} needs val_data")
    mode, bar_class = _resolve_verbose(verbose, progress)
    history: History = {key: [] for key in keys}
    history["best_epoch"] = None
    history["restored"] = False
    history["stopped"] = None
    higher_is_better = monitor.endswith("accuracy")
    best, waited = -math.inf if higher_is_better else math.inf, 0
    keep_best = patience is not None and restore_best
    best_state: dict[str, np.ndarray] | None = None
    line = _EpochLine(epochs, metric, val_data is not None, scheduler is not None)
    metric = _resolve_metric(model, loss_fn, metric)
    check_finite = on_nonfinite != "continue"

    def step(loss: Tensor) -> None:
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    def restore(reason: str, during: int) -> None:
        if best_state is None:
            return
        model.load_state_dict(best_state)
        history["restored"] = True
        if mode != "silent":
            print(_restored_line(history, monitor, patience, reason, during, epochs),
                  flush=True)

    train_batches = _batches(train_data, "train_data")
    val_batches = _batches(val_data, "val_data") if val_data is not None else None
    total = len(train_batches) if hasattr(train_batches, "__len__") else None
    epoch = 0
    phase = "training"
    try:
        for epoch in range(epochs):
            model.train()
            phase = "training"
            if bar_class is not None:
                with bar_class(total=total, desc=f"epoch {epoch + 1}/{epochs}", unit="batch",
                               leave=False) as bar:
                    train_loss, train_metric = _pass(model, loss_fn, train_batches, metric,
                                                     step, bar, check_finite=check_finite)
            else:
                train_loss, train_metric = _pass(model, loss_fn, train_batches, metric, step,
                                                 check_finite=check_finite)
            phase = "validation"
            val_loss, val_metric = (_validate(model, loss_fn, val_batches, metric, check_finite)
                                    if val_batches is not None else (math.nan, math.nan))
            lr = _learning_rate(optimizer)
            for key, value in zip(keys, (train_loss, train_metric, val_loss, val_metric, lr),
                                  strict=True):
                history[key].append(value)
            current = history[monitor][-1]
            improved = math.isfinite(current) and (current > best if higher_is_better
                                                   else current < best)
            if improved:
                best, waited = current, 0
                history["best_epoch"] = epoch
                if keep_best:
                    best_state = model.state_dict()
            elif patience is not None:
                waited += 1
            stop = patience is not None and waited >= patience
            if scheduler is not None:
                scheduler.step(current) if _is_plateau(scheduler) else scheduler.step()
            if mode != "silent" and ((epoch + 1) % log_every == 0 or epoch + 1 == epochs
                                     or stop):
                print(line(epoch, history), flush=True)
            if on_epoch_end is not None:
                on_epoch_end(epoch, history)
            if stop:
                history["stopped"] = "early"
                break
    except _NonFinite as e:
        history["stopped"] = "nonfinite"
        error = _nonfinite_error(e, epoch, phase, optimizer)
        if on_nonfinite == "stop" and mode != "silent":
            print(f"stopped: {error}", flush=True)
        restore("nonfinite", epoch)
        if on_nonfinite == "raise":
            error.history = history
            raise error from None
        return history
    except KeyboardInterrupt as e:
        history["stopped"] = "interrupted"
        restore("interrupted", epoch)
        e.history = history  # type: ignore[attr-defined]
        raise
    restore("early" if history["stopped"] == "early" else "end", epoch)
    return history


def _validate(model: Module, loss_fn: Callable[[Any, Any], Tensor], batches: Iterable[Batch],
              metric: Callable[[Any, Any], float], check_finite: bool) -> tuple[float, float]:
    """`evaluate` on already checked batches, stopping at a non-finite loss if asked."""
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            return _pass(model, loss_fn, batches, metric, None, check_finite=check_finite)
    finally:
        model.train(was_training)


def _nonfinite_error(e: _NonFinite, epoch: int, phase: str, optimizer: Any
                     ) -> NonFiniteLossError:
    of = f" of {e.batches}" if e.batches is not None else ""
    lr = _learning_rate(optimizer)
    if not e.inputs_finite:
        advice = "that batch's data holds nan or inf: check the data"
    elif phase == "validation":
        advice = ("the weights or the validation data left the range of floating point: "
                  f"try a smaller learning rate (now {lr:g}) or check the validation data")
    else:
        advice = (f"the weights diverged: try a smaller learning rate (now {lr:g}), or check "
                  "the data and the loss")
    return NonFiniteLossError(
        f"fit: the {phase} loss became {e.value} in epoch {epoch + 1}, batch {e.batch}{of}; "
        f"{advice} (on_nonfinite='continue' keeps training)",
        epoch=epoch + 1, batch=e.batch, phase=phase, value=e.value)


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


def _restored_line(history: History, monitor: str, patience: int | None, reason: str,
                   during: int, epochs: int) -> str:
    """The line announcing restored weights; `during` is the (0-based) epoch that ran."""
    best = history["best_epoch"]
    value = history[monitor][best]
    shown = f"{value:.1%}" if monitor.endswith("accuracy") else f"{value:.4f}"
    restored = f"restored the weights of epoch {best + 1} ({monitor} {shown}, the best)"
    ran = len(history[monitor])
    if reason == "early":
        return (f"early stopping after epoch {ran}/{epochs}: {monitor} has not improved for "
                f"{_plural(patience or 0, 'epoch')}; {restored}")
    if reason == "interrupted":
        return f"interrupted during epoch {during + 1}/{epochs}; {restored}"
    if reason == "nonfinite":
        return f"the loss became non-finite in epoch {during + 1}/{epochs}; {restored}"
    return restored


def _resolve_verbose(verbose: Any, progress: bool | None) -> tuple[str, Any]:
    """The mode ("bar", "epoch" or "silent") and, for "bar", the tqdm class to draw it with."""
    check_choice("fit", "verbose", verbose, VERBOSE)
    if progress is not None:
        progress = check_flag("fit", "progress", progress)
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
