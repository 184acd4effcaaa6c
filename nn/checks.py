"""Argument checks at nn's boundary, one helper per kind: counts, real numbers, flags,
paths, class labels. Each raises TypeError for the wrong kind of value and ValueError for a
value out of range, naming the function (`owner`), the argument and what was expected, so
`fit(epochs=1.5)` or `SGD(lr=float("inf"))` is refused where it enters, not deep inside.
"""

from __future__ import annotations

import math
import numbers
import os
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["check_count", "check_real", "check_flag", "check_path", "check_labels",
           "MAX_CLASSES"]

MAX_CLASSES = 65536  # labels of data without a stated class count lie below this


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_count(owner: str, name: str, value: Any, minimum: int = 0,
                maximum: int | None = None) -> int:
    """An integer in [minimum, maximum]: Python or numpy ints; not bools, floats (even 3.0)
    or strings."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{owner}: {name} must be an int >= {minimum}, got "
                        f"{type(value).__name__} {_shown(value)}")
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and <= {maximum}" if maximum is not None else ""
        raise ValueError(f"{owner}: {name} must be an int >= {minimum}{upper}, got {value}")
    return int(value)


def check_real(owner: str, name: str, value: Any, *, low: float | None = None,
               high: float | None = None, low_open: bool = False, high_open: bool = False,
               finite: bool = True) -> float:
    """A real number (Python or numpy, not bool, not a string), finite unless `finite=False`
    (nan is never accepted), in the interval given by `low`/`high` (closed unless
    `low_open`/`high_open`). Returns it as a float. The message says `invalid name=value
    (must be ...)`."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a real number, got "
                        f"{type(value).__name__} {_shown(value)}")
    number = float(value)
    rules = []
    if finite:
        rules.append("finite")
    if low is not None:
        rules.append(f"{'>' if low_open else '>='} {low:g}")
    if high is not None:
        rules.append(f"{'<' if high_open else '<='} {high:g}")
    bad = math.isnan(number) or (finite and math.isinf(number))
    if low is not None:
        bad = bad or number < low or (low_open and number == low)
    if high is not None:
        bad = bad or number > high or (high_open and number == high)
    if bad:
        rule = " and ".join(rules) if rules else "a number"
        raise ValueError(f"{owner}: invalid {name}={_shown(value)} (must be {rule})")
    return number


def check_flag(owner: str, name: str, value: Any) -> bool:
    """A bool (or numpy bool, or the ints 0 and 1)."""
    if isinstance(value, (bool, np.bool_)) or (isinstance(value, (int, np.integer))
                                               and value in (0, 1)):
        return bool(value)
    raise TypeError(f"{owner}: {name} must be True or False, got {type(value).__name__} "
                    f"{_shown(value)}")


def check_path(owner: str, path: Any, name: str = "path") -> Path:
    """A file name: a str or os.PathLike (not bytes), not empty, without NUL characters."""
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{owner}: {name} must be a str or os.PathLike, got "
                        f"{type(path).__name__} {_shown(path)}")
    text = os.fspath(path)
    if not isinstance(text, str) or not text or "\0" in text:
        raise ValueError(f"{owner}: {name} must be a non-empty file name, got {text!r}")
    return Path(text)


def check_labels(owner: str, labels: Any, num_classes: int | None = None,
                 where: str = "labels") -> np.ndarray:
    """`labels` as int64 class indices, or a ValueError naming `owner` and `where`.

    Labels must have an integer dtype (float labels such as 0.5, 1.7 or nan are refused,
    never truncated) and lie in `[0, num_classes)`, or in `[0, MAX_CLASSES)` when the
    number of classes is not known: a label of 2**31 - 1 is a corrupt file, not a class,
    and a model sized by it would need hundreds of GiB.
    """
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        example = f" (e.g. {labels.flat[0].item()!r})" if labels.size else ""
        raise ValueError(f"{owner}: {where} must be integer class labels, got dtype "
                         f"{labels.dtype}{example}")
    limit = MAX_CLASSES if num_classes is None else num_classes
    if labels.size:
        low, high = int(labels.min()), int(labels.max())
        if low < 0 or high >= limit:
            known = (f"{num_classes} classes" if num_classes is not None
                     else f"at most MAX_CLASSES={MAX_CLASSES} classes")
            raise ValueError(f"{owner}: {where} hold label {low if low < 0 else high}, "
                             f"outside [0, {limit}) ({known})")
    return labels.astype(np.int64)
