"""Learning-rate schedules, PyTorch's `torch.optim.lr_scheduler`: `StepLR`, `ExponentialLR`,
`CosineAnnealingLR` and `ReduceLROnPlateau`.

A scheduler changes `group['lr']` of its optimizer's parameter groups. Call `step()` once per
epoch, after the epoch's `optimizer.step()` calls (`ReduceLROnPlateau.step(metric)` takes the
monitored value). `last_epoch` counts the steps: creating a scheduler counts as epoch 0 and
keeps the current learning rates; `get_last_lr()` lists the learning rates it last set.

The epoch-based schedulers record each group's starting rate as `group['initial_lr']` (kept
if already there, so a second scheduler or a resumed run finds the original rate); their
`base_lrs` are those rates.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..checks import check_choice, check_count, check_real
from . import Optimizer

__all__ = ["LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR", "ReduceLROnPlateau"]


class ResumeError(KeyError, ValueError):
    """A schedule resumed (last_epoch >= 0) on groups without 'initial_lr': a KeyError as in
    PyTorch, and a ValueError like every other bad argument here."""


class LRScheduler:
    """Base class: subclasses define `get_lr()`, the learning rates for epoch `last_epoch`.

    `last_epoch=-1` starts a schedule; a later epoch resumes one (the groups must then
    hold 'initial_lr', e.g. from a loaded optimizer state_dict).
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        last_epoch = check_count(type(self).__name__, "last_epoch", last_epoch, -1)
        self.optimizer = optimizer
        groups = optimizer.param_groups
        if last_epoch == -1:
            for group in groups:
                group.setdefault("initial_lr", group["lr"])
        for i, group in enumerate(groups):
            if "initial_lr" not in group:
                raise ResumeError(f"{type(self).__name__}: param 'initial_lr' is not specified "
                                  f"in param_groups[{i}] when resuming a scheduler with "
                                  "last_epoch >= 0")
        self.base_lrs: list[float] = [group["initial_lr"] for group in groups]
        self.last_epoch = last_epoch + 1  # the initial step: counts an epoch, keeps the lrs
        self._last_lr = [group["lr"] for group in groups]

    def get_lr(self) -> list[float]:
        """The learning rate of each group for epoch `last_epoch`."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and set every group's learning rate for it."""
        self.last_epoch += 1
        groups = self.optimizer.param_groups
        for group, lr in zip(groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in groups]

    def get_last_lr(self) -> list[float]:
        """The learning rates this scheduler last set (or found, before any step)."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer (plain numbers and lists)."""
        return {key: (list(value) if isinstance(value, list) else value)
                for key, value in vars(self).items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore attributes saved by `state_dict`."""
        self.__dict__.update({key: (list(value) if isinstance(value, list) else value)
                              for key, value in state_dict.items() if key != "optimizer"})

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]


class StepLR(LRScheduler):
    """Multiply every group's learning rate by `gamma` every `step_size` epochs:
    lr(epoch) = initial_lr · gamma^⌊epoch / step_size⌋ (applied as PyTorch does, to the
    current rate: lr ← lr · gamma whenever epoch is a positive multiple of step_size)."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.step_size = check_count("StepLR", "step_size", step_size, 1)
        self.gamma = check_real("StepLR", "gamma", gamma, low=0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class ExponentialLR(LRScheduler):
    """Multiply every group's learning rate by `gamma` every epoch:
    lr(epoch) = initial_lr · gamma^epoch (applied to the current rate, as PyTorch does)."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = check_real("ExponentialLR", "gamma", gamma, low=0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [lr * self.gamma for lr in self._current_lrs()]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing (SGDR without restarts, Loshchilov & Hutter 2017), PyTorch's closed form:

        lr(epoch) = eta_min + (initial_lr - eta_min) · (1 + cos(π · epoch / T_max)) / 2

    It falls from initial_lr to eta_min over T_max epochs (and, past T_max, rises again
    along the same cosine, as in PyTorch).
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        check_real("CosineAnnealingLR", "T_max", T_max, low=0, low_open=True)
        self.T_max = T_max
        self.eta_min = check_real("CosineAnnealingLR", "eta_min", eta_min, low=0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base_lr - self.eta_min) * cosine for base_lr in self.base_lrs]


class ReduceLROnPlateau(LRScheduler):
    """Multiply the learning rates by `factor` when a monitored metric stops improving.

    `step(metric)` once per epoch. An epoch improves on the best value so far when
    (mode "min", threshold_mode "rel") metric < best·(1 - threshold), ("min", "abs")
    metric < best - threshold, ("max", "rel") metric > best·(1 + threshold), ("max", "abs")
    metric > best + threshold. Once more than `patience` epochs in a row have not improved,
    every group's rate becomes max(lr · factor, min_lr) (unchanged if that changes it by no
    more than `eps`), the count restarts, and the next `cooldown` epochs count no bad epochs.
    `min_lr` may be a list (one per group). Does not record 'initial_lr' (as in PyTorch).

    Nielsen's schedule in *Neural Networks and Deep Learning* (chapter 3), "halve the learning
    rate when the validation accuracy stops improving" under his no-improvement-in-N rule, is
    `ReduceLROnPlateau(opt, mode="max", factor=0.5, patience=N)` stepped with the validation
    accuracy (add `min_lr=lr0 / 128` for his "stop at 1/128 of the initial rate"). Note
    PyTorch's counting, kept here: patience=N tolerates N epochs without a new best and halves
    at the (N+1)-th; use patience=N-1 to halve at the N-th.
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float | list[float] = 0, eps: float = 1e-8) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        owner = "ReduceLROnPlateau"
        check_real(owner, "factor", factor, low=0, high=1, high_open=True)
        patience = check_count(owner, "patience", patience, 0)
        cooldown = check_count(owner, "cooldown", cooldown, 0)
        check_real(owner, "threshold", threshold, low=0)
        check_real(owner, "eps", eps, low=0)
        check_choice(owner, "mode", mode, ("min", "max"))
        check_choice(owner, "threshold_mode", threshold_mode, ("rel", "abs"))
        n_groups = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n_groups:
                raise ValueError(f"ReduceLROnPlateau: invalid min_lr: expected {n_groups} "
                                 f"values (one per group), got {len(min_lr)}")
            self.default_min_lr: float | None = None
            self.min_lrs = list(min_lr)
            for i, value in enumerate(self.min_lrs):
                check_real(owner, f"min_lr[{i}]", value, low=0)
        else:
            check_real(owner, "min_lr", min_lr, low=0)
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * n_groups
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.eps = cooldown, eps
        self.last_epoch = 0
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self._last_lr = self._current_lrs()

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def is_better(self, a: float, best: float) -> bool:
        """Whether metric value `a` improves on `best` by more than the threshold."""
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return a < best * (1.0 - self.threshold)
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (1.0 + self.threshold)
        return a > best + self.threshold

    def step(self, metrics: Any) -> None:  # type: ignore[override]
        """Record one epoch's metric value and reduce the learning rates if it is time."""
        current = float(np.asarray(metrics).item())
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current_lrs()

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs) and self.default_min_lr is not None:
            self.min_lrs = [self.default_min_lr] * len(groups)  # a group was added since
        if len(groups) != len(self.min_lrs):
            raise RuntimeError(f"ReduceLROnPlateau: the optimizer has {len(groups)} parameter "
                               f"groups but min_lrs has {len(self.min_lrs)} values")
        for group, min_lr in zip(groups, self.min_lrs, strict=True):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr
