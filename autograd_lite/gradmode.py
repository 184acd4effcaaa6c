"""Grad mode: whether new ops record their parents, per thread (PyTorch's `no_grad` family).

Only the engine (`engine.py`) reads the state below; everything else asks
`is_grad_enabled()` or uses the context managers.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from contextlib import ContextDecorator
from typing import Any, TypeVar

from .validate import check_flag

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "retain_grads"]

F = TypeVar("F", bound=Callable[..., Any])


class _GradMode(threading.local):
    enabled = True  # per thread, like PyTorch's grad mode


_mode = _GradMode()


class _RetainMode(threading.local):
    depth = 0  # how many `retain_grads()` blocks this thread is inside


# Read once per backward() call (never per node), so keeping gradients costs nothing when off.
_retain = _RetainMode()
# One entry per thread whose grad mode is off right now. While it is empty, every thread
# records and an op can skip the thread-local lookup, the slowest step of recording it: ops
# test `not _threads_off or _mode.enabled`. Only `_set_mode` changes either; list appends and
# pops are atomic, so no lock is needed.
_threads_off: list[None] = []


def is_grad_enabled() -> bool:
    """True when new ops record their parents (the default)."""
    return _mode.enabled


def _set_mode(enabled: bool) -> None:
    """Turn grad mode on or off in this thread."""
    enabled = bool(enabled)
    if enabled != _mode.enabled:
        _mode.enabled = enabled
        if enabled:
            _threads_off.pop()
        else:
            _threads_off.append(None)


class _GradModeContext(ContextDecorator):
    """Sets grad mode inside a `with` block or a decorated function, then restores it."""

    mode: bool

    def __enter__(self) -> None:
        self._saved.append(_mode.enabled)
        _set_mode(self.mode)

    def __exit__(self, *exc: object) -> None:
        _set_mode(self._saved.pop())

    def _recreate_cm(self) -> _GradModeContext:
        fresh = copy.copy(self)  # a decorated function gets its own context on every call
        fresh._saved = []
        return fresh


class no_grad(_GradModeContext):
    """`with no_grad():` or `@no_grad()`: ops inside record nothing; results are constants."""

    mode = False

    def __init__(self) -> None:
        self._saved: list[bool] = []


class enable_grad(_GradModeContext):
    """`with enable_grad():` or `@enable_grad()`: record again inside a `no_grad` block."""

    mode = True

    def __init__(self) -> None:
        self._saved: list[bool] = []


class set_grad_enabled(_GradModeContext):
    """Set grad mode now (a plain call works as a statement, as in PyTorch), or for a block."""

    def __init__(self, mode: bool) -> None:
        self.mode = check_flag(mode, "set_grad_enabled", "mode")
        self._saved = [_mode.enabled]
        _set_mode(self.mode)

    def __enter__(self) -> None:
        if not self._saved:  # a fresh context of a decorated call; otherwise saved by __init__
            self._saved.append(_mode.enabled)
        _set_mode(self.mode)

    def __call__(self, func: F) -> F:
        _set_mode(self._saved.pop())  # used as a decorator: undo the immediate set
        return super().__call__(func)


class retain_grads(ContextDecorator):
    """`with retain_grads():` (or `@retain_grads()`): every `backward()` run inside the block,
    in this thread, keeps the gradient of every tensor of its graph that requires grad, as if
    `retain_grad()` had been called on each (so diagrams can show every adjoint). Costs one
    array per interior tensor for as long as the graph lives; the same as
    `backward(retain_grad=True)`."""

    def __enter__(self) -> None:
        _retain.depth += 1

    def __exit__(self, *exc: object) -> None:
        _retain.depth -= 1
