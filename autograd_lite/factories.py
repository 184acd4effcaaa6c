"""PyTorch's tensor factories: `tensor zeros ones full empty eye arange linspace randn rand
randint zeros_like ones_like full_like`, with PyTorch's signatures and dtype rules.

Sizes are varargs or one sequence (`zeros(2, 3)`, `zeros((2, 3))`, `size=(2, 3)`). Every
factory takes `dtype=` (any numpy dtype) and `requires_grad=` (floating dtypes only). Default
dtypes are PyTorch's: float32 for the float factories, int64 for `randint` and for `arange`
and `full` with integer arguments, bool for `full` with a bool; `tensor` infers like
`torch.tensor` (Python ints → int64, floats → float32, bools → bool; numpy arrays and Tensors
keep their dtype); the `*_like` factories keep the input's shape and dtype. The random
factories draw from the shared generator (`autograd_lite.manual_seed` makes them
reproducible), or from `rng=` (a numpy Generator).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .opdef import named
from .rng import resolve_rng
from .tensor import Tensor
from .validate import allocating, check_dtype, check_shape

__all__ = ["tensor", "zeros", "ones", "full", "empty", "eye", "arange", "linspace", "randn",
           "rand", "randint", "zeros_like", "ones_like", "full_like", "multinomial"]

FLOAT = np.dtype(np.float32)  # PyTorch's default dtype
INT = np.dtype(np.int64)


def _size(size: tuple[Any, ...], keyword: Any, who: str) -> tuple[int, ...]:
    """`(2, 3)` from varargs `2, 3`, one sequence `(2, 3)` or the keyword `size=(2, 3)`."""
    if keyword is not None:
        if size:
            raise TypeError(f"{who}: give the size as arguments or as size=, not both")
        size = (keyword,)
    if not size:
        raise TypeError(f"{who}: missing the size (e.g. {who}(2, 3) or {who}((2, 3)))")
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return check_shape(size, who, "size")


def _guarded(fn: Any) -> Any:
    """A public factory whose errors name it: a MemoryError (`validate.allocating`), and
    numpy's own TypeError/ValueError ("array is too big", a bad fill value)."""
    def factory(*args: Any, **kwargs: Any) -> Tensor:
        try:
            with allocating(fn.__name__):
                return fn(*args, **kwargs)
        except (TypeError, ValueError) as e:
            raise named(e, fn.__name__) from None
    factory.__name__, factory.__qualname__, factory.__doc__ = fn.__name__, fn.__qualname__, \
        fn.__doc__
    factory.__wrapped__ = fn  # type: ignore[attr-defined]  (inspect.signature follows it)
    return factory


def _make(array: np.ndarray, dtype: Any, requires_grad: bool) -> Tensor:
    return Tensor(array, requires_grad=requires_grad, dtype=dtype)


def _like_dtype(value: Any) -> np.dtype:
    """The dtype PyTorch infers from a Python number: bool, int64 or float32."""
    if isinstance(value, (bool, np.bool_)):
        return np.dtype(bool)
    if isinstance(value, (int, np.integer)):
        return INT
    return FLOAT


# --- from data --------------------------------------------------------------------------------

def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A new Tensor holding a copy of `data` (nested lists, numbers, an array, a Tensor).

    Without `dtype`, inferred as `torch.tensor` does: Python ints → int64, floats → float32,
    bools → bool; numpy arrays and Tensors keep theirs. (The `Tensor` constructor instead
    makes every list float32.)"""
    if isinstance(data, Tensor):
        data = data.data  # a copy below, outside the graph (a new leaf, as PyTorch)
    if dtype is None and not isinstance(data, (np.ndarray, np.generic)):
        kind = np.asarray(data).dtype.kind
        dtype = {"b": np.dtype(bool), "i": INT, "u": INT}.get(kind, FLOAT)
    return _make(np.array(data), dtype, requires_grad)


# --- constant fills ---------------------------------------------------------------------------

def zeros(*sizes: Any, size: Any = None, dtype: Any = None,
          requires_grad: bool = False) -> Tensor:
    """A tensor of zeros of the given size (float32 unless `dtype=`)."""
    dtype = check_dtype(dtype or FLOAT, "zeros")
    return _make(np.zeros(_size(sizes, size, "zeros"), dtype=dtype), dtype, requires_grad)


def ones(*sizes: Any, size: Any = None, dtype: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of ones of the given size (float32 unless `dtype=`)."""
    dtype = check_dtype(dtype or FLOAT, "ones")
    return _make(np.ones(_size(sizes, size, "ones"), dtype=dtype), dtype, requires_grad)


def empty(*sizes: Any, size: Any = None, dtype: Any = None,
          requires_grad: bool = False) -> Tensor:
    """A tensor of the given size whose values are not initialised (as PyTorch: any values
    may be there; fill it before reading), float32 unless `dtype=`."""
    dtype = check_dtype(dtype or FLOAT, "empty")
    return _make(np.empty(_size(sizes, size, "empty"), dtype=dtype), dtype, requires_grad)


def full(size: Sequence[int] | int, fill_value: Any, dtype: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of `size` filled with `fill_value`; the dtype follows the value as in
    PyTorch (bool, int64, else float32) unless `dtype=`."""
    shape = _size((size,), None, "full")
    dtype = check_dtype(dtype or _like_dtype(fill_value), "full")
    return _make(np.full(shape, fill_value, dtype=dtype), dtype, requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """The n × m identity (m = n by default), float32 unless `dtype=`."""
    n, m = _size((n, n if m is None else m), None, "eye")
    dtype = check_dtype(dtype or FLOAT, "eye")
    return _make(np.eye(n, m, dtype=dtype), dtype, requires_grad)


# --- ranges -----------------------------------------------------------------------------------

def arange(start: float, end: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """[start, end) by `step` (`arange(n)` is 0 … n−1): int64 when every argument is an
    int, else float32, unless `dtype=`. The values are start + i·step, computed in float64."""
    if end is None:
        start, end = 0, start
    for arg, v in (("start", start), ("end", end), ("step", step)):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer,
                                                                  np.floating)):
            raise TypeError(f"arange: {arg} must be a real number, got {type(v).__name__} "
                            f"{v!r:.40}")
        if not math.isfinite(v):
            raise ValueError(f"arange: {arg} must be finite, got {v!r}")
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    integral = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                   for v in (start, end, step))
    dtype = check_dtype(dtype, "arange") if dtype is not None else INT if integral else FLOAT
    n = max(math.ceil((end - start) / step), 0)
    values = np.arange(n) * step + start if not integral else np.arange(start, end, step)
    return _make(values.astype(dtype), dtype, requires_grad)


def linspace(start: float, end: float, steps: int, dtype: Any = None,
             requires_grad: bool = False) -> Tensor:
    """`steps` evenly spaced values from start to end inclusive (float32 unless `dtype=`),
    computed in float64 and rounded once."""
    (steps,) = _size((steps,), None, "linspace")
    dtype = check_dtype(dtype or FLOAT, "linspace")
    return _make(np.linspace(start, end, steps).astype(dtype), dtype, requires_grad)


# --- random -----------------------------------------------------------------------------------

def _draw(kind: str, sizes: tuple[Any, ...], size: Any, dtype: Any, requires_grad: bool,
          rng: np.random.Generator | None) -> Tensor:
    shape = _size(sizes, size, kind)
    dtype = check_dtype(dtype or FLOAT, kind)
    if dtype.kind != "f":
        raise TypeError(f"{kind}: dtype must be a floating type, got {dtype}")
    generator = resolve_rng(rng)
    native = dtype if dtype in (np.float32, np.float64) else np.float64
    draw = generator.standard_normal if kind == "randn" else generator.random
    return _make(draw(shape, dtype=native).astype(dtype, copy=False), dtype, requires_grad)


def randn(*sizes: Any, size: Any = None, dtype: Any = None, requires_grad: bool = False,
          rng: np.random.Generator | None = None) -> Tensor:
    """Samples of the standard normal N(0, 1), float32 unless `dtype=`, from the shared
    generator (or `rng`)."""
    return _draw("randn", sizes, size, dtype, requires_grad, rng)


def rand(*sizes: Any, size: Any = None, dtype: Any = None, requires_grad: bool = False,
         rng: np.random.Generator | None = None) -> Tensor:
    """Samples of uniform[0, 1), float32 unless `dtype=`, from the shared generator (or
    `rng`)."""
    return _draw("rand", sizes, size, dtype, requires_grad, rng)


def randint(low: int, high: Any = None, size: Any = None, *, dtype: Any = None,
            requires_grad: bool = False, rng: np.random.Generator | None = None) -> Tensor:
    """Integers uniform in [low, high), int64 unless `dtype=`: `randint(high, size)` or
    `randint(low, high, size)` (PyTorch's two forms; `size` a tuple), from the shared
    generator (or `rng`)."""
    if high is None:  # randint(high, size=...)
        low, high = 0, low
    elif size is None and isinstance(high, (tuple, list)):  # randint(high, size)
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint: missing the size, e.g. randint(10, (3,)) or "
                        "randint(0, 10, (3,))")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint: size must be a tuple of ints, got {size!r}")
    shape = _size((size,), None, "randint")
    if high <= low:
        raise ValueError(f"randint: the range [{low}, {high}) is empty")
    dtype = check_dtype(dtype or INT, "randint")
    values = resolve_rng(rng).integers(low, high, size=shape, dtype=np.int64)
    return _make(values.astype(dtype), dtype, requires_grad)


# --- like another tensor ----------------------------------------------------------------------

def _shape_dtype(input: Any, dtype: Any, op: str) -> tuple[tuple[int, ...], np.dtype]:
    array = input.data if isinstance(input, Tensor) else np.asarray(input)
    return array.shape, check_dtype(dtype if dtype is not None else array.dtype, op)


def zeros_like(input: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape and dtype of `input` (a Tensor or an array)."""
    shape, dtype = _shape_dtype(input, dtype, "zeros_like")
    return _make(np.zeros(shape, dtype=dtype), dtype, requires_grad)


def ones_like(input: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape and dtype of `input` (a Tensor or an array)."""
    shape, dtype = _shape_dtype(input, dtype, "ones_like")
    return _make(np.ones(shape, dtype=dtype), dtype, requires_grad)


def full_like(input: Any, fill_value: Any, dtype: Any = None,
              requires_grad: bool = False) -> Tensor:
    """`fill_value` everywhere, with the shape and dtype of `input` (a Tensor or an array)."""
    shape, dtype = _shape_dtype(input, dtype, "full_like")
    return _make(np.full(shape, fill_value, dtype=dtype), dtype, requires_grad)


# --- sampling ---------------------------------------------------------------------------------

def multinomial(input: Any, num_samples: int, replacement: bool = False, *,
                generator: np.random.Generator | None = None) -> Tensor:
    """Category indices drawn from the rows of `input` (`torch.multinomial`).

    `input` is (C,) or (R, C): non-negative weights, one per category (a row need not sum
    to 1: category c of a row is drawn with probability w_c / Σ w). Returns int64 indices
    (num_samples,) or (R, num_samples), each row drawn independently:

    - with `replacement`, every draw is from the full row (inverse CDF: a uniform u in
      [0, 1) picks the first c with cumsum(w)_c > u·Σ w);
    - without, a category drawn once is not drawn again in that row (num_samples ≤ C): the
      Efraimidis–Spirakis method, the num_samples largest keys w_c / e_c with e_c ~ Exp(1),
      which is sequential sampling without replacement. Once a row's non-zero categories are
      used up, its zero-weight ones follow in index order (what torch does on the CPU).

    Draws come from `generator` (a numpy Generator) or the shared generator that
    `autograd_lite.manual_seed` seeds. The result is a constant (no gradient)."""
    w = np.asarray(input.data if isinstance(input, Tensor) else input)
    if w.dtype.kind not in "biuf":
        raise TypeError(f"multinomial: input must hold weights (numbers), got dtype {w.dtype}")
    if w.ndim not in (1, 2) or w.shape[-1] == 0:
        raise ValueError(f"multinomial: input must be (C,) or (R, C) weights with C >= 1, got "
                         f"shape {w.shape}")
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) \
            or num_samples < 1:
        raise ValueError(f"multinomial: num_samples must be a positive int, got "
                         f"{num_samples!r}")
    rows = w.reshape(-1, w.shape[-1]).astype(np.float64)
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise ValueError("multinomial: weights must be finite and non-negative (got "
                         f"values from {rows.min()} to {rows.max()}, shape {w.shape})")
    totals = rows.sum(axis=1)
    if (totals <= 0).any():
        raise ValueError(f"multinomial: every row needs a positive total weight; row(s) "
                         f"{np.flatnonzero(totals <= 0)[:5].tolist()} of input {w.shape} sum "
                         "to 0")
    gen = resolve_rng(generator)
    n = int(num_samples)
    if replacement:
        cdf = np.cumsum(rows, axis=1) / totals[:, None]
        u = gen.random((len(rows), n))
        out = np.stack([np.searchsorted(c, ui, side="right") for c, ui in zip(cdf, u,
                                                                              strict=True)])
        out = np.minimum(out, rows.shape[1] - 1)  # u·Σw rounding up to Σw: the last category
    else:
        if n > rows.shape[1]:
            raise ValueError(f"multinomial: cannot draw {n} samples without replacement from "
                             f"{rows.shape[1]} categories (input shape {w.shape}); pass "
                             "replacement=True or fewer samples")
        with np.errstate(divide="ignore"):
            keys = rows / gen.exponential(size=rows.shape)
        out = np.argsort(-keys, axis=1, kind="stable")[:, :n]
    return Tensor(out.reshape(w.shape[:-1] + (n,)).astype(np.int64), dtype=INT)


# every public factory allocates: one guard each, so a huge size is a clear error
for _name in __all__:
    globals()[_name] = _guarded(globals()[_name])
