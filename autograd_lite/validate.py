"""Checking arguments where they enter the library: one helper per kind of argument.

Every op, factory and transform checks its user-facing arguments with these helpers, once,
at the boundary; nothing deeper re-checks them. Each error is a `TypeError` (wrong kind of
value: a float where an integer belongs, a string dtype) or a `ValueError` (right kind, wrong
value: a negative size, an axis out of range, a zero step), and names the op, the argument,
what it got and what was expected. An axis out of range raises numpy's `AxisError`, which is
both a ValueError and an IndexError (PyTorch raises IndexError there, numpy AxisError; code
written for either catches it).

    check_int(value, op, arg)                 an integer (int, numpy integer; never bool/float)
    check_axis(axis, op, ndim)                None, an axis or a tuple of distinct axes
    check_shape(shape, op)                    sizes: non-negative integers (-1 where allowed)
    check_dtype(dtype, op)                    a numeric dtype: bool, int, uint or float
    check_real_array(array, op, arg)          an array of such a dtype
    check_positive_finite(value, op, arg)     a hyper-parameter: a finite real number > 0
    check_label(label, op)                    a node's label: a str (None means "")
    allocating(op, shape, dtype)              turns a MemoryError into one naming op and size
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

__all__ = ["check_int", "check_axis", "check_shape", "check_dtype", "check_real_array",
           "check_positive_finite", "check_nonnegative_finite", "check_flag", "check_label",
           "allocating", "AllocationError", "NUMERIC_KINDS"]

NUMERIC_KINDS = "biuf"  # bool, signed and unsigned integers, floats: what a tensor may hold


def _shown(value: Any) -> str:
    """A value for a message: its type and a short repr."""
    text = repr(value)
    return f"{type(value).__name__} {text[:60] + '...' if len(text) > 60 else text}"


def check_int(value: Any, op: str, arg: str) -> int:
    """`value` as a Python int: ints, numpy integers and one-element integer tensors (anything
    with `__index__`); floats (even 2.0), bools and strings are refused, not truncated."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{op}: {arg} must be an integer, got {_shown(value)}")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{op}: {arg} must be an integer, got {_shown(value)}") from None


def check_axis(axis: Any, op: str, ndim: int, arg: str = "axis") -> int | tuple[int, ...] | None:
    """`axis` checked against `ndim` dimensions: None (all axes), an int, or a tuple/list of
    distinct ints, returned as given (an int stays an int, a list becomes a tuple)."""
    if axis is None:
        return None
    try:
        if isinstance(axis, (tuple, list)):
            axes = tuple(check_int(a, op, arg) for a in axis)
        else:
            axes = (check_int(axis, op, arg),)
    except TypeError:
        raise TypeError(f"{op}: {arg} must be None, an int or a tuple of ints, got "
                        f"{_shown(axis)}") from None
    for a in axes:
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(f"{op}: {arg} {a} is out of bounds for array of "
                                          f"dimension {ndim} (expected {-ndim} <= {arg} < "
                                          f"{ndim})" if ndim else
                                          f"{op}: {arg} {a} is out of bounds for array of "
                                          "dimension 0 (a 0-d tensor has no axes)")
    if len({a % ndim for a in axes}) != len(axes):
        raise ValueError(f"{op}: {arg} {tuple(axes)} repeats an axis")
    return axes if isinstance(axis, (tuple, list)) else axes[0]


def check_shape(shape: Any, op: str, arg: str = "shape", unknown: bool = False) -> tuple[int, ...]:
    """`shape` (an int or a sequence of ints) as a tuple of non-negative sizes; with `unknown`
    one size may be -1 (reshape's "whatever is left")."""
    sizes = (shape,) if not isinstance(shape, (tuple, list, np.ndarray)) else tuple(
        np.asarray(shape).reshape(-1).tolist() if isinstance(shape, np.ndarray) else shape)
    out = []
    for n in sizes:
        try:
            out.append(check_int(n, op, arg))
        except TypeError:
            raise TypeError(f"{op}: {arg} must be ints, got {tuple(sizes)!r:.80} (the entry "
                            f"{_shown(n)} is not an integer)") from None
    out = tuple(out)
    for n in out:
        if n < 0 and not (unknown and n == -1):
            expected = "non-negative (or -1 for one unknown size)" if unknown else "non-negative"
            raise ValueError(f"{op}: {arg} {out} has the size {n}; sizes must be {expected}")
    if unknown and out.count(-1) > 1:
        raise ValueError(f"{op}: {arg} {out} has more than one unknown size (-1)")
    return out


def check_dtype(dtype: Any, op: str, arg: str = "dtype") -> np.dtype:
    """`dtype` as a numpy dtype holding real numbers (bool, int, uint, float). Complex is
    refused: no VJP here is written for complex inputs (their gradients need a convention,
    conjugate or not, that the engine does not implement), so they would be silently wrong."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{op}: {arg} must be a numpy dtype (e.g. np.float32, 'float64'), "
                        f"got {_shown(dtype)}") from None
    if dt.kind not in NUMERIC_KINDS:
        raise TypeError(f"{op}: {arg} must be a real numeric dtype (bool, int, uint or float), "
                        f"got {dt}")
    return dt


def check_real_array(array: np.ndarray, op: str, arg: str) -> np.ndarray:
    """`array` if its dtype holds real numbers; strings, objects, complex, dates refused."""
    if array.dtype.kind not in NUMERIC_KINDS:
        raise TypeError(f"{op}: {arg} must hold real numbers (bool, int or float), got an "
                        f"array of dtype {array.dtype}")
    return array


def _real(value: Any, op: str, arg: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{op}: {arg} must be a real number, got {_shown(value)}")
    try:
        return float(value)
    except OverflowError:  # a huge Python int
        return math.inf


def check_positive_finite(value: Any, op: str, arg: str) -> float:
    """A hyper-parameter that must be a finite real number > 0 (a step, a tolerance)."""
    x = _real(value, op, arg)
    if not (math.isfinite(x) and x > 0):
        raise ValueError(f"{op}: {arg} must be a finite number > 0, got {value!r}")
    return x


def check_nonnegative_finite(value: Any, op: str, arg: str) -> float:
    """A hyper-parameter that must be a finite real number >= 0 (a tolerance)."""
    x = _real(value, op, arg)
    if not (math.isfinite(x) and x >= 0):
        raise ValueError(f"{op}: {arg} must be a finite number >= 0, got {value!r}")
    return x


def check_flag(value: Any, op: str, arg: str) -> bool:
    """A yes/no argument: a bool (numpy's too) or the ints 0 and 1; not an array, a string
    or None (whose truth would be a guess)."""
    if isinstance(value, (bool, np.bool_)) or (isinstance(value, (int, np.integer)) and
                                              value in (0, 1)):
        return bool(value)
    raise TypeError(f"{op}: {arg} must be True or False, got {_shown(value)}")


def check_label(label: Any, op: str) -> str:
    """A node's label: a str ("" for none); None is taken as ""."""
    if label is None:
        return ""
    if not isinstance(label, str):
        raise TypeError(f"{op}: label must be a string (a str, or None), got {_shown(label)}")
    return label


class AllocationError(MemoryError):
    """An op or factory asked for more memory than there is; names the op and the size."""


@contextmanager
def allocating(op: str, shape: Any = None, dtype: Any = None) -> Iterator[None]:
    """Run an allocation; a MemoryError becomes an `AllocationError` naming `op` and the size
    (numpy's own message says how many bytes)."""
    try:
        yield
    except MemoryError as e:
        if isinstance(e, AllocationError):
            raise
        what = f" an array of shape {tuple(shape)} {np.dtype(dtype)}" if shape is not None \
            and dtype is not None else ""
        raise AllocationError(f"{op}: not enough memory for{what or ' the result'} ({e})") \
            from None
