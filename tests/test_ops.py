"""Tests for the Tensor ops (`autograd_lite/ops.py`) and the engine's generic share of them.

An op table drives the bulk: every primitive, on scalars, length-1 and empty arrays,
broadcasting pairs and non-contiguous inputs, is checked against numpy (forward, float64),
against central differences (gradcheck) and for dtype preservation (float32 in, float32 out,
float32 gradients agreeing with float64). Then property tests over random broadcastable shapes,
the documented conventions (ties, kinks, clip bounds, repeated indices, masks), stability at
±1000, second derivatives through `backward(create_graph=True)`, and error messages.
"""

from __future__ import annotations

import math
import warnings
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd_lite
from autograd_lite import (
    Tensor,
    concat,
    cross_entropy,
    functions,
    gradcheck,
    log_softmax,
    logsumexp,
    maximum,
    minimum,
    ops,
    softmax,
    stack,
    where,
)
from autograd_lite.engine import apply
from autograd_lite.graph import toposort
from autograd_lite.ops import OPS as TABLE
from autograd_lite.ops import Op as TableOp

Shape = tuple[int, ...]

# --- inputs: shapes, memory layouts, value domains -------------------------------------------


class Spec(NamedTuple):
    """An input's shape and memory layout: "C" (contiguous), "F" (Fortran order),
    "T" (a transposed view of a C array) or "strided" (`big[::2, 1::2, ...]`)."""

    shape: Shape
    layout: str = "C"

    def __str__(self) -> str:
        return str(self.shape) if self.layout == "C" else f"{self.shape}{self.layout}"


def fortran(*shape: int) -> Spec:
    return Spec(shape, "F")


def transposed(*shape: int) -> Spec:
    return Spec(shape, "T")


def strided(*shape: int) -> Spec:
    return Spec(shape, "strided")


def spec_of(s: Shape | Spec) -> Spec:
    return s if isinstance(s, Spec) else Spec(s)


def laid_out(values: np.ndarray, layout: str) -> np.ndarray:
    """`values` (same shape and dtype) in the given memory layout."""
    if layout == "C":
        return np.array(values, order="C")
    if layout == "F":
        return np.array(values, order="F")
    if layout == "T":
        return np.array(values.T, order="C").T
    if layout == "strided":
        big = np.zeros(tuple(2 * n for n in values.shape), dtype=values.dtype)
        window = tuple(slice(None, None, 2) if i == 0 else slice(1, None, 2)
                       for i in range(values.ndim))
        big[window] = values
        return big[window]
    raise ValueError(layout)


def draw_values(rng: np.random.Generator, shape: Shape, domain: str) -> np.ndarray:
    """Random float64 values. "real": |x| in [0.2, 2] with a random sign, away from the kinks
    of relu/abs/leaky_relu at 0; "positive": [0.5, 2] (log, sqrt, the base of x ** y);
    "unit": |x| in [0.2, 0.9] (arcsin, arccos, arctanh); "above1": [1.2, 3] (arccosh)."""
    if domain == "positive":
        return np.asarray(rng.uniform(0.5, 2.0, size=shape))
    if domain == "unit":
        return np.asarray(rng.uniform(0.2, 0.9, size=shape) * rng.choice([-1.0, 1.0], size=shape))
    if domain == "above1":
        return np.asarray(rng.uniform(1.2, 3.0, size=shape))
    return np.asarray(rng.uniform(0.2, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape))


def leaf(array: np.ndarray) -> Tensor:
    """A leaf that requires grad and holds `array` itself: rebinding `.data` keeps the array
    (no copy), so the op under test sees the non-contiguous layout."""
    t = Tensor(array, requires_grad=True)
    t.data = array
    return t


def seeded_rng(key: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(key.encode()))


# --- the op table ----------------------------------------------------------------------------


class Op(NamedTuple):
    """One op of the Tensor API with its numpy reference and the input shapes to try."""

    name: str  # what is computed, for the test id
    prim: str  # the primitive it exercises (a name in ops.py), or the composite's name
    fn: Callable[..., Tensor]  # the op on Tensors
    ref: Callable[..., np.ndarray]  # the same on float64 numpy arrays
    shapes: tuple[tuple[Shape | Spec, ...], ...]  # one tuple of input shapes per case
    domains: tuple[str, ...] = ("real",)  # value domain per input (the last one repeats)
    eps: float = 1e-6  # gradcheck step


COMPOSITES = {"var"}  # ops in the table that are built from primitives, not primitives
CE_LABELS = np.array([3, 0, 1, 1, 2, 0, 4])  # class labels for cross_entropy rows

UNARY = (
    ((),), ((1,),), ((5,),), ((3, 4),), ((2, 3, 4),), ((0, 3),),
    (fortran(3, 4),), (transposed(3, 4),), (strided(3, 4),),
)
BINARY = (
    ((), ()), ((1,), (1,)), ((3, 4), (3, 4)), ((3, 1, 4), (2, 1)), ((4,), (3, 4)),
    ((1,), (2, 3)), ((), (2, 3)), ((2, 3), ()), ((0, 3), (0, 3)), ((0, 3), (3,)),
    ((2, 1), (0,)), (fortran(2, 3), transposed(2, 3)), (strided(3, 4), (4,)),
)
MATMUL = (
    ((4,), (4,)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((1, 1), (1, 1)),
    ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((2, 1, 3, 4), (5, 4, 2)), ((4,), (5, 4, 2)),
    ((5, 3, 4), (4,)), ((0, 3), (3, 2)), ((2, 0), (0, 3)),
    (transposed(3, 4), fortran(4, 2)), (strided(2, 3), transposed(3, 2)),
)
REDUCE_3D = ((2, 3, 4),), (transposed(2, 3, 4),), (strided(2, 3, 4),), ((2, 1, 3),)
REDUCE_ALL = ((),), ((1,),), ((5,),), ((3, 4),), (fortran(3, 4),), (strided(3, 4),)
SOFTMAX_SHAPES = ((1,),), ((5,),), ((2, 3, 4),), (transposed(2, 3, 4),), (strided(3, 4),)
MATRIX = ((3, 4),), (fortran(3, 4),), (transposed(3, 4),), (strided(3, 4),)
VECTOR = ((5,),), (strided(5,),)


def np_sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def np_logsumexp(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    return np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))


def np_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def np_scatter(g: np.ndarray, index: Any, shape: Shape) -> np.ndarray:
    z = np.zeros(shape)
    np.add.at(z, index, g)
    return z


def assigned(x: Tensor, index: Any, y: Tensor) -> Tensor:
    h = x * 1.0
    h[index] = y
    return h


def np_assigned(x: np.ndarray, index: Any, y: np.ndarray) -> np.ndarray:
    h = x.copy()
    h[index] = y
    return h


def cond_like(*shapes: Shape) -> np.ndarray:
    """A fixed boolean pattern with the broadcast shape of `shapes`."""
    shape = np.broadcast_shapes(*shapes)
    return np.arange(math.prod(shape)).reshape(shape) % 3 != 1


COND_2x3 = np.array([[True, False, True], [False, False, True]])
MASK_3x4 = np.array([[True, False, True, True], [False, False, False, False],
                     [False, True, False, True]])


def other_float(dtype: np.dtype) -> type:
    return np.float32 if dtype == np.float64 else np.float64


def reductions(method: str, ref: Callable[..., np.ndarray]) -> list[Op]:
    """sum/mean/max/min with axis None, int, negative int, tuple; keepdims both ways."""
    def entry(kwargs: dict[str, Any], shapes: tuple[tuple[Shape | Spec, ...], ...]) -> Op:
        text = ", ".join(f"{k}={v}" for k, v in kwargs.items())
        return Op(f"x.{method}({text})", method,
                  lambda x: getattr(x, method)(**kwargs), lambda x: ref(x, **kwargs), shapes)

    return [
        entry({}, REDUCE_ALL + REDUCE_3D),
        entry({"keepdims": True}, REDUCE_ALL),
        entry({"axis": 1}, REDUCE_3D + MATRIX),
        entry({"axis": -1, "keepdims": True}, REDUCE_3D + VECTOR),
        entry({"axis": 0}, VECTOR + REDUCE_3D),
        entry({"axis": (0, 2)}, REDUCE_3D),
        entry({"axis": (0, -1), "keepdims": True}, REDUCE_3D),
        entry({"axis": ()}, (((3, 4),),)),
    ]


OPS: list[Op] = [
    # arithmetic, with broadcasting
    # every elementwise op of the table, from its declaration: a new one is tested here with
    # no edit (its numpy forward as the reference, its declared domain for the inputs)
    *(Op(f"{d.function}(x, y)", d.symbol, getattr(functions, d.function), d.forward, BINARY,
         (d.domain, "real")) for d in TABLE.values() if d.kind == "binary"),
    *(Op(f"{d.name}(x)", d.symbol, getattr(functions, d.function), d.forward, UNARY,
         (d.domain,)) for d in TABLE.values() if d.kind == "unary" and d.params is None),
    Op("x + y", "+", lambda x, y: x + y, np.add, BINARY),
    Op("x ** y", "**", lambda x, y: x**y, np.power, BINARY, ("positive", "real")),
    Op("-x", "neg", lambda x: -x, np.negative, UNARY),
    Op("x @ y", "@", lambda x, y: x @ y, np.matmul, MATMUL),
    Op("x.T @ y", "@", lambda x, y: x.T @ y, lambda x, y: x.T @ y, (((3, 2), (3, 4)),)),
    Op("x @ y.T", "@", lambda x, y: x @ y.T, lambda x, y: x @ y.T,
       (((2, 3), (4, 3)), ((3,), (4, 3)))),
    # Python numbers and arrays mixed in (a number takes the tensor's dtype)
    Op("x + 2.5", "+", lambda x: x + 2.5, lambda x: x + 2.5, UNARY),
    Op("2.5 - x", "-", lambda x: 2.5 - x, lambda x: 2.5 - x, UNARY),
    Op("x * 2.0", "*", lambda x: x * 2.0, lambda x: x * 2.0, UNARY),
    Op("3 / x", "/", lambda x: 3 / x, lambda x: 3 / x, UNARY),
    Op("x / 4", "/", lambda x: x / 4, lambda x: x / 4, UNARY),
    Op("x ** 3", "**", lambda x: x**3, lambda x: x**3, UNARY),
    Op("x ** -2", "**", lambda x: x**-2, lambda x: x**-2.0, UNARY),
    Op("x ** 0.5", "**", lambda x: x**0.5, np.sqrt, UNARY, ("positive",)),
    Op("2.0 ** x", "**", lambda x: 2.0**x, lambda x: 2.0**x, UNARY),
    # elementwise
    Op("x.exp()", "exp", Tensor.exp, np.exp, UNARY),
    Op("x.sigmoid()", "sigmoid", Tensor.sigmoid, np_sigmoid, UNARY),
    Op("x.relu()", "relu", Tensor.relu, lambda x: np.maximum(x, 0.0), UNARY),
    Op("leaky_relu(x)", "leaky_relu", Tensor.leaky_relu,
       lambda x: np.where(x > 0, x, 0.01 * x), UNARY),
    Op("leaky_relu(x, 0.2)", "leaky_relu", lambda x: x.leaky_relu(negative_slope=0.2),
       lambda x: np.where(x > 0, x, 0.2 * x), UNARY),
    Op("x.abs()", "abs", Tensor.abs, np.abs, UNARY),
    Op("x.elu()", "elu", Tensor.elu, lambda x: np.where(x > 0, x, np.expm1(x)), UNARY),
    Op("elu(x, alpha=0.5)", "elu", lambda x: x.elu(alpha=0.5),
       lambda x: np.where(x > 0, x, 0.5 * np.expm1(x)), UNARY),
    Op("x.gelu()", "gelu", Tensor.gelu,
       lambda x: 0.5 * x * (1 + np.vectorize(math.erf, otypes=[float])(x / math.sqrt(2))),
       UNARY),
    Op("gelu(x, approximate='tanh')", "gelu", lambda x: x.gelu(approximate="tanh"),
       lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
       UNARY),
    Op("x.nan_to_num(nan=1.0)", "nan_to_num", lambda x: x.nan_to_num(nan=1.0),
       lambda x: np.nan_to_num(x, nan=1.0), UNARY),
    Op("x.round(1)", "round", lambda x: x.round(1), lambda x: np.round(x, 1), UNARY),
    Op("abs(x)", "abs", abs, np.abs, UNARY),
    Op("x.clip(-0.7, 1.1)", "clip", lambda x: x.clip(-0.7, 1.1),
       lambda x: np.clip(x, -0.7, 1.1), UNARY),
    Op("x.clip(0.5, None)", "clip", lambda x: x.clip(0.5, None),
       lambda x: np.maximum(x, 0.5), UNARY),
    Op("x.clip(hi=-0.5)", "clip", lambda x: x.clip(hi=-0.5),
       lambda x: np.minimum(x, -0.5), UNARY),
    Op("x.T.exp()", "exp", lambda x: x.T.exp(), lambda x: np.exp(x.T), MATRIX),
    Op("x.astype(other float).astype(x.dtype)", "cast",
       lambda x: x.astype(other_float(x.dtype)).astype(x.dtype),
       lambda x: x.astype(np.float32).astype(np.float64), UNARY, eps=1e-2),
    # reductions
    *reductions("sum", np.sum),
    Op("x.sum(axis=0) over an axis of length 0", "sum", lambda x: x.sum(axis=0),
       lambda x: np.sum(x, axis=0), (((0, 3),), ((0,),), ((2, 0),))),
    Op("x.sum(axis=1) of an empty array", "sum", lambda x: x.sum(axis=1),
       lambda x: np.sum(x, axis=1), (((0, 3),), ((3, 0),))),
    Op("x.T.sum(axis=0)", "sum", lambda x: x.T.sum(axis=0), lambda x: x.T.sum(axis=0),
       MATRIX),
    *reductions("mean", np.mean),
    *reductions("max", np.max),
    *reductions("min", np.min),
    Op("x.var()", "var", Tensor.var, np.var, REDUCE_ALL + REDUCE_3D),
    Op("x.var(ddof=1)", "var", lambda x: x.var(ddof=1), lambda x: np.var(x, ddof=1),
       VECTOR + MATRIX + REDUCE_3D),
    Op("x.var(axis=0)", "var", lambda x: x.var(axis=0), lambda x: np.var(x, axis=0),
       MATRIX + REDUCE_3D),
    Op("x.var(axis=-1, ddof=1, keepdims=True)", "var",
       lambda x: x.var(axis=-1, ddof=1, keepdims=True),
       lambda x: np.var(x, axis=-1, ddof=1, keepdims=True), MATRIX + REDUCE_3D),
    Op("x.var(axis=(0, 2), ddof=1)", "var", lambda x: x.var(axis=(0, 2), ddof=1),
       lambda x: np.var(x, axis=(0, 2), ddof=1), REDUCE_3D),
    Op("logsumexp(x)", "logsumexp", logsumexp, np_logsumexp, REDUCE_ALL + REDUCE_3D),
    Op("logsumexp(x, axis=0)", "logsumexp", lambda x: logsumexp(x, axis=0),
       lambda x: np_logsumexp(x, axis=0), VECTOR + MATRIX + REDUCE_3D),
    Op("logsumexp(x, axis=-1, keepdims=True)", "logsumexp",
       lambda x: logsumexp(x, axis=-1, keepdims=True),
       lambda x: np_logsumexp(x, axis=-1, keepdims=True), MATRIX + REDUCE_3D),
    Op("logsumexp(x, axis=(0, 2))", "logsumexp", lambda x: logsumexp(x, axis=(0, 2)),
       lambda x: np_logsumexp(x, axis=(0, 2)), REDUCE_3D),
    Op("x.logsumexp(axis=1, keepdims=True)", "logsumexp",
       lambda x: x.logsumexp(axis=1, keepdims=True),
       lambda x: np_logsumexp(x, axis=1, keepdims=True), REDUCE_3D),
    Op("softmax(x)", "softmax", softmax, np_softmax, SOFTMAX_SHAPES),
    Op("softmax(x, axis=0)", "softmax", lambda x: softmax(x, axis=0),
       lambda x: np_softmax(x, axis=0), SOFTMAX_SHAPES),
    Op("x.softmax(axis=1)", "softmax", lambda x: x.softmax(axis=1),
       lambda x: np_softmax(x, axis=1), REDUCE_3D + MATRIX),
    Op("log_softmax(x)", "log_softmax", log_softmax, lambda x: np.log(np_softmax(x)),
       SOFTMAX_SHAPES),
    Op("log_softmax(x, axis=0)", "log_softmax", lambda x: log_softmax(x, axis=0),
       lambda x: np.log(np_softmax(x, axis=0)), SOFTMAX_SHAPES),
    Op("x.log_softmax(axis=-2)", "log_softmax", lambda x: x.log_softmax(axis=-2),
       lambda x: np.log(np_softmax(x, axis=-2)), REDUCE_3D + MATRIX),
    Op("cross_entropy(x, labels)", "cross_entropy",
       lambda x: cross_entropy(x, CE_LABELS[: x.shape[0]] % x.shape[1]),
       lambda x: np.mean(np_logsumexp(x, axis=1) - x[np.arange(x.shape[0]),
                                                     CE_LABELS[: x.shape[0]] % x.shape[1]]),
       (((3, 4),), ((5, 2),), ((1, 7),))),
    # shape
    Op("x.reshape(2, 6)", "reshape", lambda x: x.reshape(2, 6), lambda x: x.reshape(2, 6),
       MATRIX),
    Op("x.reshape((4, 3))", "reshape", lambda x: x.reshape((4, 3)),
       lambda x: x.reshape((4, 3)), MATRIX),
    Op("x.reshape(2, -1, 2)", "reshape", lambda x: x.reshape(2, -1, 2),
       lambda x: x.reshape(2, -1, 2), MATRIX + REDUCE_3D[:3]),
    Op("x.reshape(()) of one element", "reshape", lambda x: x.reshape(()),
       lambda x: x.reshape(()), (((1,),), ((1, 1),), ((),))),
    Op("x.reshape(0, 2) of an empty array", "reshape", lambda x: x.reshape(0, 2),
       lambda x: x.reshape(0, 2), (((0, 3),), ((2, 0),))),
    Op("x.transpose()", "transpose", lambda x: x.transpose(), np.transpose,
       UNARY + REDUCE_3D),
    Op("x.transpose((1, 0, 2))", "transpose", lambda x: x.transpose((1, 0, 2)),
       lambda x: x.transpose(1, 0, 2), REDUCE_3D),
    Op("x.transpose(2, 0, 1)", "transpose", lambda x: x.transpose(2, 0, 1),
       lambda x: x.transpose(2, 0, 1), REDUCE_3D),
    Op("x.transpose(-1, 0, -2)", "transpose", lambda x: x.transpose(-1, 0, -2),
       lambda x: x.transpose(2, 0, 1), REDUCE_3D),
    Op("x.transpose([1, -2])", "transpose", lambda x: x.transpose([1, -2]),
       lambda x: x.T, MATRIX),
    Op("x.T", "transpose", lambda x: x.T, lambda x: x.T, UNARY + REDUCE_3D),
    Op("x.swapaxes(0, -1)", "transpose", lambda x: x.swapaxes(0, -1),
       lambda x: x.swapaxes(0, -1), REDUCE_3D),
    Op("x.flatten()", "reshape", Tensor.flatten, np.ravel, UNARY + REDUCE_3D),
    Op("x.broadcast_to((2, 3, 4))", "broadcast_to", lambda x: x.broadcast_to((2, 3, 4)),
       lambda x: np.broadcast_to(x, (2, 3, 4)),
       (((),), ((1,),), ((4,),), ((3, 1),), ((2, 1, 4),), (strided(3, 4),))),
    Op("x.broadcast_to((0, 3))", "broadcast_to", lambda x: x.broadcast_to((0, 3)),
       lambda x: np.broadcast_to(x, (0, 3)), (((3,),), ((1, 1),))),
    # indexing
    Op("x[1]", "getitem", lambda x: x[1], lambda x: x[1], VECTOR + MATRIX),
    Op("x[-1]", "getitem", lambda x: x[-1], lambda x: x[-1], VECTOR + MATRIX),
    Op("x[1, -2]", "getitem", lambda x: x[1, -2], lambda x: x[1, -2], MATRIX),
    Op("x[1:3]", "getitem", lambda x: x[1:3], lambda x: x[1:3], VECTOR + MATRIX),
    Op("x[::-1]", "getitem", lambda x: x[::-1], lambda x: x[::-1], VECTOR + MATRIX),
    Op("x[:, ::2]", "getitem", lambda x: x[:, ::2], lambda x: x[:, ::2], MATRIX),
    Op("x[::2, 1::2]", "getitem", lambda x: x[::2, 1::2], lambda x: x[::2, 1::2], MATRIX),
    Op("x[::2, 1::2].exp()", "exp", lambda x: x[::2, 1::2].exp(),
       lambda x: np.exp(x[::2, 1::2]), MATRIX),
    Op("x[2:2] (empty)", "getitem", lambda x: x[2:2], lambda x: x[2:2], VECTOR + MATRIX),
    Op("x[[0, 0, 2]]", "getitem", lambda x: x[[0, 0, 2]], lambda x: x[[0, 0, 2]],
       VECTOR + MATRIX),
    Op("x[[-1, 0]]", "getitem", lambda x: x[[-1, 0]], lambda x: x[[-1, 0]], VECTOR + MATRIX),
    Op("x[int array [[0, 1], [1, 1]]]", "getitem", lambda x: x[np.array([[0, 1], [1, 1]])],
       lambda x: x[np.array([[0, 1], [1, 1]])], VECTOR + MATRIX),
    Op("x[:, [2, 2]]", "getitem", lambda x: x[:, [2, 2]], lambda x: x[:, [2, 2]], MATRIX),
    Op("x[[0, 2, 2], [1, 1, 3]]", "getitem", lambda x: x[[0, 2, 2], [1, 1, 3]],
       lambda x: x[[0, 2, 2], [1, 1, 3]], MATRIX),
    Op("x[mask]", "getitem", lambda x: x[MASK_3x4], lambda x: x[MASK_3x4], MATRIX),
    Op("x[Tensor(mask)]", "getitem", lambda x: x[Tensor(MASK_3x4)], lambda x: x[MASK_3x4],
       MATRIX),
    Op("x[row mask]", "getitem", lambda x: x[np.array([True, False, True])],
       lambda x: x[np.array([True, False, True])], MATRIX),
    Op("x[1:, None, ::-1]", "getitem", lambda x: x[1:, None, ::-1],
       lambda x: x[1:, None, ::-1], MATRIX),
    Op("x[..., 0]", "getitem", lambda x: x[..., 0], lambda x: x[..., 0],
       MATRIX + REDUCE_3D),
    Op("x[None]", "getitem", lambda x: x[None], lambda x: x[None], UNARY),
    Op("x[None, [0, 0]]", "getitem", lambda x: x[None, [0, 0]], lambda x: x[None, [0, 0]],
       VECTOR + MATRIX),
    Op("x[..., [1, 1]]", "getitem", lambda x: x[..., [1, 1]], lambda x: x[..., [1, 1]],
       VECTOR + MATRIX + REDUCE_3D),
    Op("scatter(x, [0, 0, 2], (4,))", "scatter",
       lambda x: apply(ops.SCATTER.prim, x, index=np.array([0, 0, 2]), shape=(4,)),
       lambda x: np_scatter(x, np.array([0, 0, 2]), (4,)), (((3,),),)),
    Op("scatter(x, (slice(None), 1), (3, 4))", "scatter",
       lambda x: apply(ops.SCATTER.prim, x, index=(slice(None), 1), shape=(3, 4)),
       lambda x: np_scatter(x, (slice(None), 1), (3, 4)), (((3,),), (strided(3),))),
    # item assignment, recorded: `h[index] = y` on an interior tensor
    Op("h = x * 1; h[1:3] = y", "setitem", lambda x, y: assigned(x, slice(1, 3), y),
       lambda x, y: np_assigned(x, slice(1, 3), y), (((4,), (2,)), ((4,), ()), ((4, 3), (3,)))),
    Op("h = x * 1; h[mask] = y", "setitem", lambda x, y: assigned(x, MASK_3x4, y),
       lambda x, y: np_assigned(x, MASK_3x4, y), (((3, 4), ()), ((3, 4), (1,)))),
    Op("h = x * 1; h[[0, 2], 1] = y", "setitem", lambda x, y: assigned(x, ([0, 2], 1), y),
       lambda x, y: np_assigned(x, ([0, 2], 1), y), (((3, 4), (2,)), (strided(3, 4), ()))),
    # numpy functions written as composites, and real_if_close (a parameter)
    Op("cross(x, y)", "getitem", lambda x, y: functions.cross(x, y), np.cross,
       (((3,), (3,)), ((4, 3), (3,)), (transposed(4, 3), (1, 3)))),
    Op("gradient(x)", "concat", lambda x: functions.gradient(x), np.gradient,
       (((5,),), ((2,),), (strided(5,),))),
    Op("gradient(x, 0.5, axis=1)", "concat", lambda x: functions.gradient(x, 0.5, axis=1),
       lambda x: np.gradient(x, 0.5, axis=1), (((3, 4),), (transposed(3, 4),))),
    Op("real_if_close(x)", "real_if_close", lambda x: functions.real_if_close(x), np.real,
       UNARY),
    # joining
    Op("concat([x, y], axis=0)", "concat", lambda x, y: concat([x, y], axis=0),
       lambda x, y: np.concatenate([x, y], axis=0),
       (((2,), (3,)), ((1, 3), (2, 3)), ((0, 3), (2, 3)), (transposed(2, 3), strided(4, 3)))),
    Op("concat((x, y, z), axis=1)", "concat", lambda *ts: concat(ts, axis=1),
       lambda *xs: np.concatenate(xs, axis=1),
       (((2, 1), (2, 3), (2, 2)), ((2, 2, 1), (2, 0, 1), (2, 3, 1)))),
    Op("concat([x, y], axis=-1)", "concat", lambda x, y: concat([x, y], axis=-1),
       lambda x, y: np.concatenate([x, y], axis=-1),
       (((3,), (2,)), ((2, 3, 1), (2, 3, 2)), (fortran(3, 2), (3, 1)))),
    Op("concat([x])", "concat", lambda x: concat([x]), lambda x: np.concatenate([x]),
       (((3,),), ((2, 2),))),
    Op("stack([x, y])", "stack", lambda x, y: stack([x, y]), lambda x, y: np.stack([x, y]),
       (((), ()), ((3,), (3,)), ((2, 3), transposed(2, 3)), ((0, 2), (0, 2)))),
    Op("stack((x, y, z), axis=1)", "stack", lambda *ts: stack(ts, axis=1),
       lambda *xs: np.stack(xs, axis=1), (((2, 3), (2, 3), (2, 3)), ((4,), (4,), (4,)))),
    Op("stack([x, y], axis=-1)", "stack", lambda x, y: stack([x, y], axis=-1),
       lambda x, y: np.stack([x, y], axis=-1),
       (((), ()), ((3,), (3,)), ((2, 3), strided(2, 3)))),
    Op("stack([x, y], axis=-2)", "stack", lambda x, y: stack([x, y], axis=-2),
       lambda x, y: np.stack([x, y], axis=-2), (((3,), (3,)), ((2, 3), (2, 3)))),
    # selection
    Op("where(cond, x, y)", "where",
       lambda x, y: where(cond_like(x.shape, y.shape), x, y),
       lambda x, y: np.where(cond_like(x.shape, y.shape), x, y), BINARY),
    Op("where(cond (2, 3), x, y)", "where", lambda x, y: where(COND_2x3, x, y),
       lambda x, y: np.where(COND_2x3, x, y), (((3,), ()), ((2, 1), (1, 3)), ((), ()))),
    Op("where(Tensor(cond), x, 0.0)", "where", lambda x: where(Tensor(COND_2x3), x, 0.0),
       lambda x: np.where(COND_2x3, x, 0.0), (((2, 3),), ((3,),), (transposed(2, 3),))),
    Op("maximum(x, y)", "maximum", maximum, np.maximum, BINARY),
    Op("minimum(x, y)", "minimum", minimum, np.minimum, BINARY),
    Op("maximum(x, 0.5)", "maximum", lambda x: maximum(x, 0.5),
       lambda x: np.maximum(x, 0.5), UNARY),
    Op("minimum(-0.5, x)", "minimum", lambda x: minimum(-0.5, x),
       lambda x: np.minimum(-0.5, x), UNARY),
]


def case_id(op: Op, shapes: tuple[Shape | Spec, ...]) -> str:
    return f"{op.name} on {' '.join(str(spec_of(s)) for s in shapes)}"


CASES = [pytest.param(op, shapes, id=case_id(op, shapes)) for op in OPS for shapes in op.shapes]


def case_inputs(op: Op, shapes: tuple[Shape | Spec, ...],
                dtype: Any = np.float64) -> list[np.ndarray]:
    """Seeded random inputs for one case, in the requested layouts and dtype."""
    rng = seeded_rng(case_id(op, shapes))
    arrays = []
    for i, s in enumerate(shapes):
        spec = spec_of(s)
        domain = op.domains[min(i, len(op.domains) - 1)]
        values = draw_values(rng, spec.shape, domain).astype(dtype)
        arrays.append(laid_out(values, spec.layout))
        assert arrays[-1].shape == spec.shape and arrays[-1].dtype == dtype
    return arrays


def upstream(shape: Shape, key: str) -> np.ndarray:
    return seeded_rng("upstream " + key).standard_normal(shape)


def run_backward(op: Op, arrays: Sequence[np.ndarray], key: str) -> tuple[Tensor, list[Tensor]]:
    """The op on fresh leaves, with backward seeded by a fixed random upstream gradient."""
    leaves = [leaf(a) for a in arrays]
    out = op.fn(*leaves)
    out.backward(upstream(out.shape, key))
    return out, leaves


def primitives_in(out: Tensor) -> set[str]:
    return {node._op for node in toposort(out) if node._op}


ALL_PRIMITIVES = {d.prim.name for d in TABLE.values() if d.prim is not None}
COMPARISONS = {d.prim.name for d in ops.COMPARISONS.values()}


def tested_in_family_files() -> set[str]:
    """Primitives of a family (`autograd_lite/ops/<family>.py`) that its own test file
    (`tests/test_ops_<family>.py`) names as a quoted string."""
    found = set()
    for family in ops._FAMILIES:
        path = Path(__file__).with_name(f"test_ops_{family.__name__.rsplit('.', 1)[1]}.py")
        text = path.read_text() if path.exists() else ""
        found |= {d.prim.name for d in vars(family).values()
                  if isinstance(d, TableOp) and d.prim is not None
                  and (f'"{d.prim.name}"' in text or f"'{d.prim.name}'" in text)}
    return found


def test_op_table_covers_every_primitive_of_ops() -> None:
    tested = {op.prim for op in OPS}
    untested = (ALL_PRIMITIVES - COMPARISONS - {"step"} - tested  # step: via second order
                - tested_in_family_files())
    assert not untested, f"primitives without an entry in OPS: {sorted(untested)}"
    assert tested - ALL_PRIMITIVES == COMPOSITES


@pytest.mark.parametrize("op", [pytest.param(op, id=op.name) for op in OPS])
def test_op_table_entry_records_the_primitive_it_claims_to_test(op: Op) -> None:
    shapes = next((s for s in op.shapes if all(math.prod(spec_of(x).shape) for x in s)),
                  op.shapes[0])
    out = op.fn(*(leaf(a) for a in case_inputs(op, shapes)))
    recorded = primitives_in(out)
    assert recorded <= ALL_PRIMITIVES
    if op.prim not in COMPOSITES:
        assert op.prim in recorded, recorded


def test_layout_helpers_make_non_contiguous_arrays() -> None:
    values = np.arange(12.0).reshape(3, 4)
    for layout in ("F", "T", "strided"):
        array = laid_out(values, layout)
        assert not array.flags.c_contiguous, layout
        np.testing.assert_array_equal(array, values)
        assert leaf(array).data is array


@pytest.mark.parametrize(("op", "shapes"), CASES)
def test_forward_matches_numpy_reference_in_float64(op: Op, shapes: tuple) -> None:
    arrays = case_inputs(op, shapes)
    out = op.fn(*(leaf(a) for a in arrays))
    expected = op.ref(*arrays)
    assert isinstance(out, Tensor)
    assert out.dtype == np.float64
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)


@pytest.mark.parametrize(("op", "shapes"), CASES)
def test_gradients_match_central_differences(op: Op, shapes: tuple) -> None:
    assert gradcheck(op.fn, *case_inputs(op, shapes), eps=op.eps)


@pytest.mark.parametrize(("op", "shapes"), CASES)
def test_float32_inputs_give_float32_output_and_gradients_close_to_float64(
        op: Op, shapes: tuple) -> None:
    key = case_id(op, shapes)
    arrays32 = case_inputs(op, shapes, np.float32)
    out32, leaves32 = run_backward(op, arrays32, key)
    # float64 at the same (float32-rounded) point, so only the arithmetic differs
    out64, leaves64 = run_backward(op, [laid_out(a.astype(np.float64), spec_of(s).layout)
                                        for a, s in zip(arrays32, shapes, strict=True)], key)
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32.data, out64.data, rtol=1e-5, atol=1e-6)
    for x32, x64 in zip(leaves32, leaves64, strict=True):
        assert isinstance(x32.grad, np.ndarray | np.generic)  # see the 0-d test below
        assert x32.grad.dtype == np.float32
        assert x32.grad.shape == x32.shape
        scale = max(1.0, float(np.abs(x64.grad).max(initial=0.0)))
        np.testing.assert_allclose(x32.grad, x64.grad, rtol=1e-4, atol=1e-5 * scale)


def projected_gradient(op: Op, key: str, n_inputs: int) -> Callable[..., Tensor]:
    """xs ↦ Σᵢ ⟨vᵢ, ∂⟨w, f(xs)⟩/∂xᵢ⟩ with fixed random w and vᵢ. On graph leaves the gradient
    is taken with create_graph (nested `grad`), so differentiating this function runs every
    VJP of the op on Tensors: a Hessian-vector product."""
    argnums = tuple(range(n_inputs))

    def f(*xs: Tensor) -> Tensor:
        w = upstream(op.fn(*(Tensor(x.data) for x in xs)).shape, key)
        grads = autograd_lite.grad(lambda *us: (op.fn(*us) * w).sum(), argnums=argnums)(*xs)
        total = Tensor(np.zeros((), dtype=xs[0].dtype))
        for i, g in enumerate(grads):
            g = g if isinstance(g, Tensor) else Tensor(g)  # plain arrays off the graph
            total = total + (g * upstream(g.shape, f"{key} v{i}")).sum()
        return total

    return f


@pytest.mark.parametrize(("op", "shapes"), CASES)
def test_gradients_are_differentiable_and_hessian_vector_products_match_differences(
        op: Op, shapes: tuple) -> None:
    arrays = case_inputs(op, shapes)
    f = projected_gradient(op, case_id(op, shapes), len(arrays))
    assert gradcheck(f, *arrays, eps=max(op.eps, 1e-5))


# --- property tests over random broadcastable shapes -----------------------------------------

class BinaryOp(NamedTuple):
    fn: Callable[[Tensor, Tensor], Tensor]
    ref: Callable[[np.ndarray, np.ndarray], np.ndarray]


BROADCASTING_OPS = {
    "x + y": BinaryOp(lambda x, y: x + y, np.add),
    "x - y": BinaryOp(lambda x, y: x - y, np.subtract),
    "x * y": BinaryOp(lambda x, y: x * y, np.multiply),
    "x / y": BinaryOp(lambda x, y: x / y, np.divide),
    "maximum(x, y)": BinaryOp(maximum, np.maximum),
    "where(cond, x, y)": BinaryOp(lambda x, y: where(cond_like(x.shape, y.shape), x, y),
                                  lambda x, y: np.where(cond_like(x.shape, y.shape), x, y)),
}


@st.composite
def broadcastable_pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Two float64 arrays whose shapes broadcast together (0 to 3 dims, sides 0 to 3)."""
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                    min_side=0, max_side=3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x, y = (draw_values(rng, shape, "real") for shape in shapes.input_shapes)
    return x, y


@pytest.mark.parametrize("name", BROADCASTING_OPS)
@settings(max_examples=100, deadline=None, derandomize=True)
@given(pair=broadcastable_pairs())
def test_broadcasting_op_matches_numpy_and_reduces_gradients_to_input_shapes(
        name: str, pair: tuple[np.ndarray, np.ndarray]) -> None:
    op = BROADCASTING_OPS[name]
    x, y = pair
    tx, ty = leaf(x), leaf(y)
    out = op.fn(tx, ty)
    expected = op.ref(x, y)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    out.backward(np.ones(out.shape))
    assert tx.grad.shape == x.shape and ty.grad.shape == y.shape
    assert tx.grad.dtype == ty.grad.dtype == np.float64
    assert gradcheck(op.fn, x, y)


# --- ties and kinks --------------------------------------------------------------------------


def grad_of(fn: Callable[..., Tensor], *arrays: Any, upstream_gradient: Any = None) -> list[
        np.ndarray]:
    leaves = [Tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    out = fn(*leaves)
    out.backward(upstream_gradient)
    return [t.grad for t in leaves]


@pytest.mark.parametrize(("reduce", "x", "expected"), [
    ("max", [1.0, 3.0, 3.0], [0.0, 0.5, 0.5]),
    ("min", [2.0, -1.0, 5.0, -1.0], [0.0, 0.5, 0.0, 0.5]),
    ("max", [4.0, 4.0, 4.0, 4.0], [0.25, 0.25, 0.25, 0.25]),
    ("min", [7.0], [1.0]),
])
def test_max_min_split_the_gradient_evenly_among_tied_entries(
        reduce: str, x: list[float], expected: list[float]) -> None:
    (g,) = grad_of(lambda t: getattr(t, reduce)(), x)
    np.testing.assert_array_equal(g, expected)


@pytest.mark.parametrize("keepdims", [False, True])
def test_max_over_an_axis_splits_ties_per_row_and_shares_sum_to_upstream(
        keepdims: bool) -> None:
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [5.0, 0.0, 1.0]])
    g_out = np.array([2.0, 3.0, -1.0])
    (g,) = grad_of(lambda t: t.max(axis=-1, keepdims=keepdims), x,
                   upstream_gradient=g_out.reshape(-1, 1) if keepdims else g_out)
    np.testing.assert_allclose(g, [[0, 1, 1], [1, 1, 1], [-1, 0, 0]])
    np.testing.assert_allclose(g.sum(axis=1), g_out)


def test_min_over_a_tuple_of_axes_splits_ties_across_both_axes() -> None:
    x = np.array([[[0.0, 1.0], [2.0, 0.0]], [[3.0, 3.0], [4.0, 5.0]]])
    (g,) = grad_of(lambda t: t.min(axis=(1, 2)), x, upstream_gradient=np.array([1.0, 4.0]))
    np.testing.assert_allclose(g, [[[0.5, 0], [0, 0.5]], [[2.0, 2.0], [0, 0]]])


@pytest.mark.parametrize("fn", [maximum, minimum], ids=["maximum", "minimum"])
def test_maximum_minimum_of_equal_inputs_give_each_half(fn: Callable) -> None:
    a, b = np.array([1.0, -2.0, 3.0]), np.array([1.0, -2.0, 3.0])
    ga, gb = grad_of(fn, a, b, upstream_gradient=np.array([1.0, 2.0, -4.0]))
    np.testing.assert_array_equal(ga, [0.5, 1.0, -2.0])
    np.testing.assert_array_equal(gb, [0.5, 1.0, -2.0])


@pytest.mark.parametrize("fn", [maximum, minimum], ids=["maximum", "minimum"])
def test_maximum_minimum_of_a_tensor_with_itself_pass_the_whole_gradient(fn: Callable) -> None:
    (g,) = grad_of(lambda a: fn(a, a), [1.0, -2.0], upstream_gradient=np.array([3.0, 1.0]))
    np.testing.assert_array_equal(g, [3.0, 1.0])


@pytest.mark.parametrize(("fn", "x", "y", "gx", "gy"), [
    (maximum, [1.0, np.nan, 3.0], [2.0, 2.0, np.nan], [0.0, 1.0, 0.0], [1.0, 0.0, 1.0]),
    (minimum, [1.0, np.nan, 3.0], [2.0, 2.0, np.nan], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]),
    (maximum, [np.nan, 1.0], [np.nan, 0.0], [0.5, 1.0], [0.5, 0.0]),
], ids=["maximum", "minimum", "both nan"])
def test_maximum_minimum_send_a_nan_results_gradient_to_the_nan_input(
        fn: Callable, x: list[float], y: list[float], gx: list[float], gy: list[float]) -> None:
    # PyTorch agrees on the nan input's share; it also gives the other input the whole
    # gradient (shares summing to 2), where ours sum to the incoming gradient as on a tie
    ga, gb = grad_of(fn, x, y, upstream_gradient=np.ones(len(x)))
    np.testing.assert_array_equal(ga, gx)
    np.testing.assert_array_equal(gb, gy)
    a, b = Tensor(x, dtype=np.float64, requires_grad=True), Tensor(y, dtype=np.float64,
                                                                  requires_grad=True)
    fn(a, b).sum().backward(create_graph=True)  # recorded rule: the same shares
    assert isinstance(a.grad, Tensor)
    np.testing.assert_array_equal(a.grad.data, gx)
    np.testing.assert_array_equal(b.grad.data, gy)


def test_maximum_nan_gradient_matches_pytorch_on_the_nan_input() -> None:
    torch = pytest.importorskip("torch")
    x, y = [1.0, np.nan, 3.0], [2.0, 2.0, np.nan]
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(y, dtype=torch.float64, requires_grad=True)
    torch.maximum(tx, ty).sum().backward()
    ga, gb = grad_of(maximum, x, y, upstream_gradient=np.ones(3))
    nan_x, nan_y = np.isnan(x), np.isnan(y)
    np.testing.assert_array_equal(ga[nan_x], tx.grad.numpy()[nan_x])
    np.testing.assert_array_equal(gb[nan_y], ty.grad.numpy()[nan_y])
    np.testing.assert_array_equal(ga[~nan_x & ~nan_y], tx.grad.numpy()[~nan_x & ~nan_y])


def test_maximum_with_broadcast_scalar_sums_the_tie_shares_back() -> None:
    ga, gb = grad_of(maximum, [0.0, 1.0, 0.0, -1.0], 0.0,
                     upstream_gradient=np.array([1.0, 1.0, 1.0, 1.0]))
    np.testing.assert_array_equal(ga, [0.5, 1.0, 0.5, 0.0])
    assert gb == 2.0  # 0.5 + 0.5 from the ties, 1 from where the scalar wins
    assert ga.sum() + gb == 4.0


def test_relu_and_abs_derivatives_at_zero_are_zero() -> None:
    x = np.array([-1.0, 0.0, 2.0])
    (g_relu,) = grad_of(lambda t: t.relu().sum(), x)
    (g_abs,) = grad_of(lambda t: t.abs().sum(), x)
    np.testing.assert_array_equal(g_relu, [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(g_abs, [-1.0, 0.0, 1.0])


def test_leaky_relu_derivative_is_the_negative_slope_up_to_and_including_zero() -> None:
    x = np.array([-1.0, 0.0, 2.0])
    (g,) = grad_of(lambda t: t.leaky_relu(negative_slope=0.1).sum(), x)
    np.testing.assert_array_equal(g, [0.1, 0.1, 1.0])


@pytest.mark.parametrize(("lo", "hi", "expected"), [
    (-1.0, 1.0, [0.0, 1.0, 1.0, 1.0, 0.0]),
    (-1.0, None, [0.0, 1.0, 1.0, 1.0, 1.0]),
    (None, 1.0, [1.0, 1.0, 1.0, 1.0, 0.0]),
])
def test_clip_passes_the_gradient_inside_and_at_its_bounds(
        lo: float | None, hi: float | None, expected: list[float]) -> None:
    x = np.array([-2.0, -1.0, 0.3, 1.0, 2.0])
    (g,) = grad_of(lambda t: t.clip(lo, hi).sum(), x)
    np.testing.assert_array_equal(g, expected)


# --- indexing: repeated indices accumulate, masks select ---------------------------------------

X34 = np.arange(12.0).reshape(3, 4)


@pytest.mark.parametrize(("index", "expected"), [
    ([0, 0, 2], [2.0, 0.0, 1.0, 0.0, 0.0]),
    (np.array([[0, 1], [1, 1]]), [1.0, 3.0, 0.0, 0.0, 0.0]),
    ([-1, -1, 4], [0.0, 0.0, 0.0, 0.0, 3.0]),
    (-2, [0.0, 0.0, 0.0, 1.0, 0.0]),
    (np.array([True, False, True, False, True]), [1.0, 0.0, 1.0, 0.0, 1.0]),
    (Tensor(np.array([False, True, True, False, False])), [0.0, 1.0, 1.0, 0.0, 0.0]),
    ([True, True, False, False, False], [1.0, 1.0, 0.0, 0.0, 0.0]),
], ids=["[0, 0, 2]", "int array [[0,1],[1,1]]", "[-1, -1, 4]", "-2", "bool array",
        "bool Tensor", "list of bools"])
def test_indexing_a_vector_accumulates_one_per_selection(index: Any,
                                                         expected: list[float]) -> None:
    x = np.arange(5.0)
    t = Tensor(x, requires_grad=True)
    out = t[index]
    np.testing.assert_array_equal(out.data, x[np.asarray(index)])
    out.sum().backward()
    np.testing.assert_array_equal(t.grad, expected)


def test_repeated_index_scales_the_upstream_gradient() -> None:
    t = Tensor(np.arange(3.0), requires_grad=True)
    t[[0, 0, 1]].backward(np.array([2.0, 5.0, 7.0]))
    np.testing.assert_array_equal(t.grad, [7.0, 7.0, 0.0])


def test_repeated_column_index_accumulates_in_every_row() -> None:
    t = Tensor(X34, requires_grad=True)
    out = t[:, [2, 2]]
    np.testing.assert_array_equal(out.data, X34[:, [2, 2]])
    out.sum().backward()
    expected = np.zeros((3, 4))
    expected[:, 2] = 2.0
    np.testing.assert_array_equal(t.grad, expected)


def test_slice_new_axis_and_reversal_route_gradients_to_the_right_entries() -> None:
    t = Tensor(X34, requires_grad=True)
    out = t[1:, None, ::-1]
    assert out.shape == (2, 1, 4)
    np.testing.assert_array_equal(out.data, X34[1:, None, ::-1])
    g = np.arange(8.0).reshape(2, 1, 4)
    out.backward(g)
    expected = np.zeros((3, 4))
    expected[1:] = g[:, 0, ::-1]
    np.testing.assert_array_equal(t.grad, expected)


@pytest.mark.parametrize("mask", [X34 > 6, Tensor(X34) > 6], ids=["bool array", "bool Tensor"])
def test_boolean_mask_on_a_matrix_selects_and_routes_gradient(mask: Any) -> None:
    t = Tensor(X34, requires_grad=True)
    out = t[mask]
    np.testing.assert_array_equal(out.data, X34[X34 > 6])
    out.backward(np.arange(1.0, 6.0))
    expected = np.zeros((3, 4))
    expected[X34 > 6] = np.arange(1.0, 6.0)
    np.testing.assert_array_equal(t.grad, expected)


def test_mask_computed_from_the_tensor_itself_selects_positive_entries() -> None:
    t = Tensor(np.array([-1.0, 2.0, -3.0, 4.0]), requires_grad=True)
    t[t > 0].sum().backward()
    np.testing.assert_array_equal(t.grad, [0.0, 1.0, 0.0, 1.0])


def test_iterating_a_tensor_gives_rows_whose_gradients_add_up() -> None:
    t = Tensor(X34, requires_grad=True)
    total = None
    for row in t:
        total = row.sum() if total is None else total + row.sum()
    total.backward()
    np.testing.assert_array_equal(t.grad, np.ones((3, 4)))


# --- stability at ±1000 ------------------------------------------------------------------------


@contextmanager
def warnings_as_errors() -> Iterator[None]:
    """Turn every warning (numpy's RuntimeWarning included) into an exception."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


class Stable(NamedTuple):
    fn: Callable[[Tensor], Tensor]
    shifts: bool  # True: f(x + c) = f(x) + c (logsumexp); False: f(x + c) = f(x) (softmax)


SOFTMAX_FAMILY = {
    "softmax(axis=-1)": Stable(lambda t: softmax(t, axis=-1), False),
    "softmax(axis=0)": Stable(lambda t: softmax(t, axis=0), False),
    "log_softmax(axis=-1)": Stable(lambda t: log_softmax(t, axis=-1), False),
    "log_softmax(axis=0)": Stable(lambda t: log_softmax(t, axis=0), False),
    "logsumexp()": Stable(logsumexp, True),
    "logsumexp(axis=-1)": Stable(lambda t: logsumexp(t, axis=-1), True),
    "logsumexp(axis=(0, 1), keepdims=True)": Stable(
        lambda t: logsumexp(t, axis=(0, 1), keepdims=True), True),
}


@pytest.mark.parametrize("offset", [1000.0, -1000.0])
@pytest.mark.parametrize("name", SOFTMAX_FAMILY)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_family_is_exact_and_finite_for_inputs_offset_by_1000(
        name: str, offset: float, dtype: Any) -> None:
    """softmax and log_softmax are shift-invariant and logsumexp shifts by the offset: results
    and gradients at x ± 1000 equal those at x, up to the rounding of x ± 1000."""
    op = SOFTMAX_FAMILY[name]
    x = seeded_rng("stability").uniform(-3, 3, size=(3, 4)).astype(dtype)
    near = Tensor(x, requires_grad=True)
    far = Tensor(x + dtype(offset), requires_grad=True)
    with warnings_as_errors():
        out_near, out_far = op.fn(near), op.fn(far)
        w = seeded_rng("stability upstream").standard_normal(out_far.shape)
        out_near.backward(w)
        out_far.backward(w)
    rounding = abs(offset) * np.finfo(dtype).eps * 8  # x + 1000 is rounded to this
    assert out_far.dtype == dtype and far.grad.dtype == dtype
    assert np.all(np.isfinite(out_far.data)) and np.all(np.isfinite(far.grad))
    expected = out_near.data + (dtype(offset) if op.shifts else 0)
    np.testing.assert_allclose(out_far.data, expected, rtol=0, atol=rounding)
    np.testing.assert_allclose(far.grad, near.grad, rtol=0, atol=rounding)


def test_softmax_of_widely_spread_inputs_is_one_hot_without_warnings() -> None:
    with warnings_as_errors():
        t = Tensor(np.array([-1000.0, 0.0, 1000.0]), requires_grad=True)
        s = softmax(t)
        s.backward(np.array([1.0, 2.0, 3.0]))
        ls = log_softmax(Tensor(np.array([-1000.0, 0.0, 1000.0])))
    np.testing.assert_array_equal(s.data, [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(t.grad, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(ls.data, [-2000.0, -1000.0, 0.0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("fn", "x", "expected"), [
    (Tensor.sigmoid, 1000.0, 1.0), (Tensor.sigmoid, -1000.0, 0.0),
    (Tensor.tanh, 1000.0, 1.0), (Tensor.tanh, -1000.0, -1.0),
], ids=["sigmoid(1000)", "sigmoid(-1000)", "tanh(1000)", "tanh(-1000)"])
def test_sigmoid_and_tanh_saturate_exactly_with_zero_gradient_and_no_warning(
        fn: Callable[[Tensor], Tensor], x: float, expected: float, dtype: Any) -> None:
    with warnings_as_errors():
        t = Tensor(np.full(3, x, dtype=dtype), requires_grad=True)
        out = fn(t)
        out.sum().backward()
    assert out.dtype == dtype and t.grad.dtype == dtype
    np.testing.assert_array_equal(out.data, expected)
    np.testing.assert_array_equal(t.grad, 0.0)


# --- second order ------------------------------------------------------------------------------


class Unary2(NamedTuple):
    fn: Callable[[Tensor], Tensor]
    second: Callable[[np.ndarray], np.ndarray]  # f''(x)
    domain: str = "real"


def d2_sigmoid(x: np.ndarray) -> np.ndarray:
    s = np_sigmoid(x)
    return s * (1 - s) * (1 - 2 * s)


SECOND_ORDER = {
    "exp": Unary2(Tensor.exp, np.exp),
    "log": Unary2(Tensor.log, lambda x: -1 / x**2, "positive"),
    "tanh": Unary2(Tensor.tanh, lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
    "sigmoid": Unary2(Tensor.sigmoid, d2_sigmoid),
    "sin": Unary2(Tensor.sin, lambda x: -np.sin(x)),
    "cos": Unary2(Tensor.cos, lambda x: -np.cos(x)),
    "sqrt": Unary2(Tensor.sqrt, lambda x: -0.25 * x**-1.5, "positive"),
    "x ** 3": Unary2(lambda x: x**3, lambda x: 6 * x),
    "x ** -2": Unary2(lambda x: x**-2, lambda x: 6 * x**-4.0),
    "2.0 ** x": Unary2(lambda x: 2.0**x, lambda x: np.log(2.0) ** 2 * 2.0**x),
    "exp(x) * x": Unary2(lambda x: x.exp() * x, lambda x: np.exp(x) * (x + 2)),
    "abs": Unary2(Tensor.abs, np.zeros_like),
    "relu": Unary2(Tensor.relu, np.zeros_like),
    "leaky_relu": Unary2(lambda x: x.leaky_relu(0.1), np.zeros_like),
}
def unary_point(domain: str) -> np.ndarray:
    return draw_values(seeded_rng("second order " + domain), (2, 3), domain)


def second_derivative_by_double_backward(fn: Callable[[Tensor], Tensor],
                                         x: np.ndarray) -> np.ndarray:
    t = Tensor(x, requires_grad=True)
    fn(t).sum().backward(create_graph=True)
    first = t.grad
    assert type(first) is Tensor
    t.zero_grad()
    first.sum().backward()
    return t.grad


@pytest.mark.parametrize("name", list(SECOND_ORDER))
def test_second_derivative_by_double_backward_matches_closed_form(name: str) -> None:
    op = SECOND_ORDER[name]
    x = unary_point(op.domain)
    np.testing.assert_allclose(second_derivative_by_double_backward(op.fn, x), op.second(x),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_derivative_by_nested_grad_matches_closed_form(name: str) -> None:
    op = SECOND_ORDER[name]
    x = unary_point(op.domain)
    d2 = autograd_lite.grad(lambda t: autograd_lite.grad(lambda u: op.fn(u).sum())(t).sum())(x)
    np.testing.assert_allclose(d2, op.second(x), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_first_derivative_graph_agrees_with_central_difference_of_first_derivative(
        name: str) -> None:
    op = SECOND_ORDER[name]
    x = unary_point(op.domain)

    def first(t: Tensor) -> Tensor:  # f'(t) as a differentiable Tensor
        return autograd_lite.grad(lambda u: op.fn(u).sum())(t)

    eps = 1e-6
    numeric = (first(x + eps) - first(x - eps)) / (2 * eps)
    np.testing.assert_allclose(second_derivative_by_double_backward(op.fn, x), numeric,
                               rtol=1e-6, atol=1e-6)


class Binary2(NamedTuple):
    fn: Callable[[Tensor, Tensor], Tensor]
    hessian: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, ...]]  # fxx, fxy, fyy
    domains: tuple[str, str] = ("real", "real")


BINARY_SECOND_ORDER = {
    "x * y": Binary2(lambda x, y: x * y,
                     lambda x, y: (0 * x, 1 + 0 * x, 0 * x)),
    "x / y": Binary2(lambda x, y: x / y,
                     lambda x, y: (0 * x, -1 / y**2, 2 * x / y**3)),
    "x ** y": Binary2(lambda x, y: x**y,
                      lambda x, y: (y * (y - 1) * x ** (y - 2),
                                    x ** (y - 1) * (1 + y * np.log(x)),
                                    x**y * np.log(x) ** 2), ("positive", "real")),
}


@pytest.mark.parametrize("name", BINARY_SECOND_ORDER)
def test_second_derivatives_of_binary_op_by_double_backward_match_closed_form(
        name: str) -> None:
    op = BINARY_SECOND_ORDER[name]
    rng = seeded_rng("binary second order " + name)
    x, y = (draw_values(rng, (2, 3), d) for d in op.domains)
    tx, ty = Tensor(x, requires_grad=True), Tensor(y, requires_grad=True)
    op.fn(tx, ty).sum().backward(create_graph=True)
    gx, gy = tx.grad, ty.grad
    assert type(gx) is Tensor and type(gy) is Tensor

    def second(first: Tensor) -> tuple[np.ndarray, np.ndarray]:
        tx.zero_grad()
        ty.zero_grad()
        first.sum().backward(retain_graph=True)
        return tuple(np.zeros_like(x) if t.grad is None else np.asarray(t.grad)
                     for t in (tx, ty))

    fxx, fxy = second(gx)
    fyx, fyy = second(gy)
    exx, exy, eyy = op.hessian(x, y)
    np.testing.assert_allclose(fxx, exx, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fxy, exy, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fyx, exy, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fyy, eyy, rtol=1e-10, atol=1e-12)


# --- error messages ----------------------------------------------------------------------------


def ones(*shape: int) -> Tensor:
    return Tensor(np.ones(shape))


@pytest.mark.parametrize(("fn", "pattern"), [
    (lambda: ones(3) + ones(4),
     r"^\+: shapes \(3,\) and \(4,\) cannot be broadcast together: "
     r"dimension -1 is 3 in the first and 4 in the second"),
    (lambda: ones(2, 3) * ones(3, 2),
     r"^\*: shapes \(2, 3\) and \(3, 2\) cannot be broadcast.*dimension -1 is 3 in the first "
     r"and 2 in the second; dimension -2 is 2 in the first and 3 in the second"),
    (lambda: ones(5, 3) - ones(4, 1),
     r"^-: shapes \(5, 3\) and \(4, 1\).*dimension -2 is 5 in the first and 4 in the second"),
    (lambda: ones(2, 3) / ones(2),
     r"^/: shapes \(2, 3\) and \(2,\).*dimension -1 is 3 in the first and 2 in the second"),
    (lambda: maximum(ones(2, 3), ones(2)), r"^maximum: shapes \(2, 3\) and \(2,\)"),
    (lambda: minimum(ones(4), ones(3)), r"^minimum: shapes \(4,\) and \(3,\)"),
    (lambda: where(np.ones(3, dtype=bool), ones(3), ones(2)),
     r"^where: cond of shape \(3,\), a of shape \(3,\) and b of shape \(2,\)"),
    (lambda: ones(3).broadcast_to((2, 4)), r"^broadcast_to: .*\(3,\)"),
], ids=["add", "mul", "sub", "div", "maximum", "minimum", "where", "broadcast_to"])
def test_broadcasting_mismatch_names_op_shapes_and_disagreeing_dimension(
        fn: Callable[[], Tensor], pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        fn()


def test_where_with_mismatched_condition_names_the_condition_shape() -> None:
    with pytest.raises(ValueError, match=r"^where: .*\(4,\)"):
        where(np.array([True, False, True, True]), ones(3), ones(3))


@pytest.mark.parametrize(("x", "y", "pattern"), [
    ((2, 3), (2, 3), r"^@: shapes \(2, 3\) and \(2, 3\) do not align: the last dimension of the "
                     r"first \(3\) must equal the second-to-last dimension of the second \(2\)"),
    ((3,), (4,), r"^@: shapes \(3,\) and \(4,\) do not align: .*\(3\).*only dimension.*\(4\)"),
    ((3,), (4, 2), r"^@: shapes \(3,\) and \(4, 2\) do not align: .*\(3\).*\(4\)"),
    ((5, 2, 3), (2, 4), r"^@: shapes \(5, 2, 3\) and \(2, 4\) do not align: .*\(3\).*\(2\)"),
    ((), (3,), r"^@: shapes \(\) and \(3,\): both operands need at least one dimension"),
])
def test_matmul_mismatch_names_both_shapes_and_the_dimensions_that_must_agree(
        x: Shape, y: Shape, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        ones(*x) @ ones(*y)


def test_matmul_batch_mismatch_blames_only_the_batch_dimensions() -> None:
    with pytest.raises(ValueError, match=r"^@: .*\(2, 3, 4\).*\(5, 4, 2\)") as info:
        ones(2, 3, 4) @ ones(5, 4, 2)
    message = str(info.value)
    assert "2" in message and "5" in message
    assert "dimension -1" not in message and "dimension -2" not in message


@pytest.mark.parametrize(("fn", "pattern"), [
    (lambda: ones(2, 3).reshape(4), r"^reshape: cannot reshape array of size 6 into shape \(4,\)"
                                    r".*\(2, 3\)"),
    (lambda: ones(2, 3).reshape(4, -1), r"^reshape: .*size 6 into shape \(4,.*\(2, 3\)"),
    (lambda: ones(0, 3).reshape(-1, 0), r"^reshape: .*\(0, 3\)"),
], ids=["(2, 3) to (4,)", "(2, 3) to (4, -1)", "(0, 3) to (-1, 0)"])
def test_reshape_to_an_incompatible_size_names_both_shapes(
        fn: Callable[[], Tensor], pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        fn()


@pytest.mark.parametrize(("fn", "pattern"), [
    (lambda: ones(2, 3).sum(axis=2), r"^sum: axis 2 is out of bounds for array of dimension 2"),
    (lambda: ones(2, 3).mean(axis=(0, 2)), r"^mean: axis 2 is out of bounds"),
    (lambda: ones(2, 3).max(axis=-3), r"^max: axis -3 is out of bounds"),
    (lambda: ones(2, 3).min(axis=5), r"^min: axis 5 is out of bounds"),
    (lambda: logsumexp(ones(2, 3), axis=-3), r"^logsumexp: axis -3 is out of bounds"),
    (lambda: softmax(ones(2, 3), axis=2), r"^softmax: axis 2 is out of bounds"),
    (lambda: log_softmax(ones(3), axis=1), r"^log_softmax: axis 1 is out of bounds"),
    (lambda: concat([ones(2, 3), ones(2, 3)], axis=2), r"^concat: axis 2 is out of bounds"),
    (lambda: stack([ones(2, 3), ones(2, 3)], axis=3), r"^stack: axis 3 is out of bounds"),
    (lambda: ones(2, 3).transpose(0, 2),
     r"^transpose: axes \(0, 2\) are not a permutation of the 2 axes.*\(2, 3\)"),
    (lambda: ones(2, 3).sum(axis=1.0), r"^sum: axis must be None, an int or a tuple of ints"),
], ids=["sum", "mean tuple", "max negative", "min", "logsumexp", "softmax", "log_softmax",
        "concat", "stack", "transpose", "sum float axis"])
def test_axis_out_of_range_names_the_op_and_the_axis(fn: Callable[[], Tensor],
                                                     pattern: str) -> None:
    with pytest.raises((ValueError, IndexError, TypeError), match=pattern):
        fn()


def test_var_axis_out_of_range_names_var() -> None:
    with pytest.raises(ValueError, match=r"^var: .*axis 2"):
        ones(2, 3).var(axis=2)


@pytest.mark.parametrize(("index", "pattern"), [
    (5, r"^getitem: index 5 is out of bounds for axis 0 with size 2.*\(2, 3\)"),
    ((slice(None), -4), r"^getitem: index -4 is out of bounds for axis 1 with size 3"),
    ([0, 2], r"^getitem: index 2 is out of bounds for axis 0 with size 2"),
    (np.array([True, False, True]), r"^getitem: boolean index did not match.*axis 0.*size of "
                                    r"axis is 2.*boolean axis is 3"),
    ((0, 0, 0), r"^getitem: too many indices.*\(2, 3\)"),
    (1.5, r"^getitem: only integers, slices.*\(2, 3\)"),
], ids=["int", "negative int", "int list", "mask shape", "too many", "float"])
def test_bad_index_names_getitem_and_the_tensor_shape(index: Any, pattern: str) -> None:
    with pytest.raises(IndexError, match=pattern):
        ones(2, 3)[index]


@pytest.mark.parametrize(("fn", "pattern"), [
    (lambda: concat([ones(2, 3), ones(2, 4)], axis=0),
     r"^concat: .*along dimension 1.*size 3.*size 4.*\(2, 3\).*\(2, 4\)"),
    (lambda: stack([ones(2, 3), ones(2, 4)]), r"^stack: all input arrays must have the same "
                                              r"shape.*\(2, 3\).*\(2, 4\)"),
    (lambda: concat([], axis=0), r"^concat: expected a non-empty list"),
    (lambda: stack(ones(2)), r"^stack: expected a non-empty list or tuple of tensors"),
    (lambda: ones(2).clip(), r"^clip: give lo, hi or both"),
    (lambda: ones(3).var(ddof=3), r"^var: ddof=3 leaves no degrees of freedom for 3 values"),
    (lambda: where(np.ones(3), ones(3), ones(3)), r"^where: cond must be boolean"),
], ids=["concat", "stack", "concat empty", "stack of a tensor", "clip", "var ddof", "where"])
def test_other_bad_arguments_name_the_op(fn: Callable[[], Tensor], pattern: str) -> None:
    with pytest.raises((ValueError, TypeError), match=pattern):
        fn()


# --- engine bugs this file found (fixed; kept as regression tests) ------------------------------


@pytest.mark.parametrize(("shape", "axis"), [((3, 0), 0), ((0, 3), 1)])
def test_mean_of_an_empty_array_backpropagates_an_empty_gradient(shape: Shape,
                                                                  axis: int) -> None:
    t = Tensor(np.zeros(shape), requires_grad=True)
    out = t.mean(axis=axis)
    assert out.shape == (0,)
    out.backward(np.zeros(0))
    assert t.grad.shape == shape


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gradient_of_a_0d_tensor_used_twice_is_an_ndarray(dtype: Any) -> None:
    x = Tensor(np.array(2.0, dtype=dtype), requires_grad=True)
    (x * x).backward()
    assert type(x.grad) is np.ndarray and x.grad.shape == () and x.grad.dtype == dtype
    assert x.grad == 4.0



def test_cross_entropy_is_finite_and_exact_for_logits_offset_by_1000() -> None:
    x = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])
    labels = np.array([2, 0])
    base = cross_entropy(Tensor(x), labels).item()
    for offset in (1000.0, -1000.0):
        shifted = Tensor(x + offset, requires_grad=True)
        loss = cross_entropy(shifted, labels)
        assert loss.item() == pytest.approx(base, rel=1e-12)
        loss.backward()
        assert np.all(np.isfinite(shifted.grad))


@pytest.mark.parametrize(("logits", "labels", "pattern"), [
    ((3,), [0, 1, 2], r"logits must have shape \(N, C\)"),
    ((2, 3), [0, 1, 2], r"targets must be 2 integer class labels"),
    ((2, 3), [0.0, 1.0], r"targets must be 2 integer class labels"),
    ((2, 3), [0, 3], r"targets must lie in \[0, 3\)"),
])
def test_cross_entropy_names_what_is_wrong_with_its_inputs(logits: Shape, labels: list,
                                                           pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        cross_entropy(ones(*logits), np.array(labels))


@pytest.mark.parametrize(("name", "ours", "theirs"), [
    ("remainder", lambda x, y: x % y, lambda x, y: x.remainder(y)),
    ("fmod", lambda x, y: np.fmod(x, y), lambda x, y: x.fmod(y)),
    ("cross", lambda x, y: np.cross(x, y), lambda x, y: x.cross(y, dim=-1)),
])
def test_numpy_ops_without_a_hand_written_table_row_agree_with_pytorch(name, ours, theirs):
    torch = pytest.importorskip("torch")
    rng = seeded_rng(name)
    x0, y0 = rng.uniform(-3, 3, (4, 3)), rng.choice([-1, 1], (4, 3)) * rng.uniform(0.7, 2, (4, 3))
    up = rng.standard_normal((4, 3))
    x, y = leaf(x0), leaf(y0)
    out = ours(x, y)
    out.backward(up)
    tx, ty = (torch.tensor(a, requires_grad=True) for a in (x0, y0))
    tout = theirs(tx, ty)
    tout.backward(torch.tensor(up))
    assert np.allclose(out.data, tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    assert np.allclose(x.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert np.allclose(y.grad, ty.grad.numpy(), rtol=1e-12, atol=1e-12)
