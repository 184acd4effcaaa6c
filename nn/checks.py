"""Argument checks at nn's boundary, one helper per kind: counts, real numbers, flags,
paths, class labels. Each raises TypeError for the wrong kind of value and ValueError for a
value out of range, naming the function (`owner`), the argument and what was expected, so
`fit(epochs=1.5)` or `SGD(lr=float("inf"))` is refused where it enters, not deep inside.
"""

from __future__ import annotations

import functools
import math
import numbers
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from autograd_lite import Tensor

__all__ = ["check_count", "check_real", "check_flag", "check_path", "check_labels",
           "check_choice", "check_rng", "check_array", "check_tensor", "names_errors",
           "MAX_CLASSES"]

F = TypeVar("F", bound=Callable[..., Any])

MAX_CLASSES = 65536  # labels of data without a stated class count lie below this


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_count(owner: str, name: str, value: Any, minimum: int | None = 0,
                maximum: int | None = None) -> int:
    """An integer in [minimum, maximum] (None: unbounded): Python or numpy ints; not bools,
    floats (even 3.0) or strings."""
    rule = "an int" + (f" >= {minimum}" if minimum is not None else "") + (
        f" and <= {maximum}" if maximum is not None else "")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{owner}: {name} must be {rule}, got {type(value).__name__} "
                        f"{_shown(value)}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{owner}: {name} must be {rule}, got {value}")
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


def check_choice(owner: str, name: str, value: Any, choices: Sequence[str]) -> str:
    """One of the strings `choices` (an array or a list is a TypeError, not numpy's
    "truth value is ambiguous")."""
    if not isinstance(value, str):
        raise TypeError(f"{owner}: {name} must be one of {tuple(choices)}, got "
                        f"{type(value).__name__} {_shown(value)}")
    if value not in choices:
        raise ValueError(f"{owner}: {name} must be one of {tuple(choices)}, got {value!r}")
    return value


def check_rng(owner: str, rng: Any) -> np.random.Generator | None:
    """None (the shared generator) or a numpy Generator."""
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise TypeError(f"{owner}: rng must be a numpy.random.Generator or None, got "
                        f"{type(rng).__name__} {_shown(rng)}")
    return rng


def check_array(owner: str, name: str, value: Any, kinds: str = "biuf") -> np.ndarray:
    """`value` (a Tensor's data, an array, nested lists, a number) as an ndarray whose dtype
    kind is in `kinds` (numbers by default: no strings, objects or ragged lists)."""
    data = value.data if isinstance(value, Tensor) else value
    try:
        array = np.asarray(data)
    except (TypeError, ValueError, OverflowError):
        array = None
    if array is None or array.dtype.kind not in kinds:
        what = f"dtype {array.dtype}" if array is not None else "a ragged or mixed sequence"
        raise TypeError(f"{owner}: {name} must be an array of numbers, got "
                        f"{type(value).__name__} with {what}")
    return array


def check_tensor(owner: str, name: str, value: Any, float_dtype: Any = None) -> Tensor:
    """`value` as a Tensor: a Tensor as it is; anything else through `check_array` (numbers
    only), non-floats cast to `float_dtype` when given (lists follow the Tensor rule)."""
    if isinstance(value, Tensor):
        if value.dtype.kind not in "biuf":
            raise TypeError(f"{owner}: {name} must hold numbers, got dtype {value.dtype}")
        return value
    array = check_array(owner, name, value)
    if float_dtype is not None and array.dtype.kind != "f":
        array = array.astype(float_dtype)
    if isinstance(value, np.ndarray) or float_dtype is not None:
        return Tensor(array)
    return Tensor(value)  # lists and Python numbers: float32, as Tensor([...]) gives


def names_errors(owner: str) -> Callable[[F], F]:
    """Decorate a public function so that a TypeError or ValueError raised inside it (by
    numpy or the engine, on an argument no explicit check covers) names `owner`: the
    message gains an `owner: ` prefix unless it already names it. The explicit checks
    above say which argument and what was expected; this is the net under them."""

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            except (TypeError, ValueError) as e:
                message = str(e)
                if owner in message:
                    raise
                kind = TypeError if isinstance(e, TypeError) else ValueError
                raise kind(f"{owner}: {message}") from e

        return wrapper  # type: ignore[return-value]

    return decorate
