"""Tests for the reductions of the "NumPy-native Tensors" issue: `prod cumsum cumprod std` (and
`scan`, cumprod's adjoint), the composites `average ptp nansum nanmean trace diff`, numpy's
`linalg.norm` (`pnorm`, `svd_norm`, `svd_grad`) and `np.amax`/`np.amin`.

A table drives the bulk, as in `test_ops.py` (whose helpers it reuses): forward against numpy
in float64, central differences, float32 kept float32, and second order (Hessian-vector
products by double backward against differences), on 0-d, empty and non-contiguous inputs.
Then the conventions (zeros in products, zero spread, nan, ties, the norms at 0), numpy's
functions on Tensors, the errors, and PyTorch (float64 values, gradients and second order)
where it is installed.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from test_ops import (
    Op,
    case_id,
    case_inputs,
    fortran,
    grad_of,
    leaf,
    primitives_in,
    projected_gradient,
    run_backward,
    seeded_rng,
    spec_of,
    strided,
    transposed,
    upstream,
)

import autograd_lite as al
from autograd_lite import Tensor, gradcheck
from autograd_lite.engine import apply
from autograd_lite.ops import OPS as TABLE
from autograd_lite.ops.reductions import SCAN, SVD_GRAD, _scan_forward

inf = math.inf

# --- the table ----------------------------------------------------------------------------------

ALL = ((),), ((5,),), ((3, 4),), (strided(3, 4),)
CUBE = ((2, 3, 4),), (transposed(2, 3, 4),)
MATRIX = ((3, 4),), (fortran(3, 4),), (transposed(4, 3),)
WIDE_AND_TALL = ((3, 4),), ((4, 3),), (transposed(3, 4),), (strided(2, 2),)


def holes(shape: tuple[int, ...], dtype: Any = np.float64) -> np.ndarray:
    """0 with nan at every third entry: added to x, it puts nan holes into x."""
    return np.where(np.arange(math.prod(shape)).reshape(shape) % 3 == 1, np.nan,
                    0.0).astype(dtype)


def np_scan(b: np.ndarray, a: np.ndarray, axis: int, reverse: bool) -> np.ndarray:
    """The recurrence s[k] = b[k] + a[k]·s[k−1] (reverse: b[k] + a[k+1]·s[k+1]), one step at
    a time."""
    b, a = np.moveaxis(b, axis, 0), np.moveaxis(a, axis, 0)
    s, n = np.zeros(b.shape), b.shape[0]
    for k in (range(n - 1, -1, -1) if reverse else range(n)):
        s[k] = b[k]
        if reverse and k < n - 1:
            s[k] += a[k + 1] * s[k + 1]
        if not reverse and k > 0:
            s[k] += a[k] * s[k - 1]
    return np.moveaxis(s, 0, axis)


def weights_like(n: int, dtype: Any = np.float64) -> np.ndarray:
    return np.linspace(0.5, 2.0, n, dtype=dtype)


def norm_op(ord: Any = None, axis: Any = None, keepdims: bool = False,
            prim: str = "pnorm", shapes: tuple = ALL) -> Op:
    text = ", ".join([repr(ord)] + ([f"axis={axis}"] if axis is not None else []) +
                     (["keepdims=True"] if keepdims else []))
    return Op(f"norm(x, {text})", prim, lambda x: al.norm(x, ord, axis, keepdims),
              lambda x: np.linalg.norm(x, ord, axis, keepdims), shapes)


OPS: list[Op] = [
    # products
    Op("x.prod()", "prod", Tensor.prod, np.prod, ALL + (((0,),),)),
    Op("x.prod(axis=1)", "prod", lambda x: x.prod(axis=1), lambda x: np.prod(x, axis=1),
       CUBE + MATRIX),
    Op("x.prod(axis=(0, -1), keepdims=True)", "prod",
       lambda x: x.prod(axis=(0, -1), keepdims=True),
       lambda x: np.prod(x, axis=(0, -1), keepdims=True), CUBE),
    Op("x.prod(axis=0) with empty slices", "prod", lambda x: x.prod(axis=0),
       lambda x: np.prod(x, axis=0), (((0, 3),), ((3, 0),))),
    Op("x.cumsum()", "cumsum", Tensor.cumsum, np.cumsum, ALL),
    Op("x.cumsum(axis=-2)", "cumsum", lambda x: x.cumsum(axis=-2),
       lambda x: np.cumsum(x, axis=-2), CUBE + MATRIX + (((0, 3),),)),
    Op("x.cumprod()", "cumprod", Tensor.cumprod, np.cumprod, ALL + (((0,),),)),
    Op("x.cumprod(axis=1)", "cumprod", lambda x: x.cumprod(axis=1),
       lambda x: np.cumprod(x, axis=1), CUBE + MATRIX),
    Op("x.cumprod(axis=0), blocks of the scan", "cumprod", lambda x: x.cumprod(axis=0),
       lambda x: np.cumprod(x, axis=0), (((7, 2),), ((23,),))),
    Op("scan(b, a)", "scan", lambda b, a: apply(SCAN.prim, b, a, axis=0, reverse=False),
       lambda b, a: np_scan(b, a, 0, False), (((6,), (6,)), ((5, 2), (5, 2)), ((0,), (0,)))),
    Op("scan(b, a, reverse)", "scan",
       lambda b, a: apply(SCAN.prim, b, a, axis=-1, reverse=True),
       lambda b, a: np_scan(b, a, -1, True), (((6,), (6,)), ((2, 5), strided(2, 5)))),
    # spread
    Op("x.std()", "std", Tensor.std, np.std, ALL),
    Op("x.std(axis=1, ddof=1)", "std", lambda x: x.std(axis=1, ddof=1),
       lambda x: np.std(x, axis=1, ddof=1), CUBE + MATRIX + (((0, 3),),)),
    Op("x.std(axis=(0, 2), keepdims=True)", "std", lambda x: x.std(axis=(0, 2), keepdims=True),
       lambda x: np.std(x, axis=(0, 2), keepdims=True), CUBE),
    # composites
    Op("average(x)", "mean", al.average, np.average, ALL),
    Op("average(x, axis=1, weights=1-D)", "*",
       lambda x: al.average(x, axis=1, weights=weights_like(x.shape[1], x.dtype)),
       lambda x: np.average(x, axis=1, weights=weights_like(x.shape[1])), CUBE + MATRIX),
    Op("average(x, axis=(0, 2), weights=2-D, keepdims=True)", "*",
       lambda x: al.average(x, axis=(2, 0), weights=weights_like(8, x.dtype).reshape(4, 2),
                            keepdims=True),
       lambda x: np.average(x, axis=(2, 0), weights=weights_like(8).reshape(4, 2),
                            keepdims=True), CUBE),
    Op("average(x, axis=0, weights=w Tensor)", "*",
       lambda x, w: al.average(x, axis=0, weights=w),
       lambda x, w: np.average(x, axis=0, weights=w),
       (((3, 4), (3,)), ((5,), (5,)), ((3, 4), (3, 4))), ("real", "positive")),
    Op("ptp(x)", "max", al.ptp, np.ptp, ALL),
    Op("ptp(x, axis=0, keepdims=True)", "min", lambda x: al.ptp(x, axis=0, keepdims=True),
       lambda x: np.ptp(x, axis=0, keepdims=True), CUBE + MATRIX),
    Op("nansum(x with holes)", "where", lambda x: al.nansum(x + holes(x.shape, x.dtype)),
       lambda x: np.nansum(x + holes(x.shape)), ALL[1:]),
    Op("nansum(x with holes, axis=-1, keepdims=True)", "where",
       lambda x: al.nansum(x + holes(x.shape, x.dtype), axis=-1, keepdims=True),
       lambda x: np.nansum(x + holes(x.shape), axis=-1, keepdims=True), CUBE + MATRIX),
    Op("nanmean(x with holes)", "where", lambda x: al.nanmean(x + holes(x.shape, x.dtype)),
       lambda x: np.nanmean(x + holes(x.shape)), ALL[1:]),
    Op("nanmean(x with holes, axis=(0, 1))", "where",
       lambda x: al.nanmean(x + holes(x.shape, x.dtype), axis=(0, 1)),
       lambda x: np.nanmean(x + holes(x.shape), axis=(0, 1)), CUBE + MATRIX[:1]),
    Op("x.trace()", "getitem", Tensor.trace, np.trace, MATRIX + (((1, 1),), ((0, 3),))),
    Op("x.trace(offset=1)", "getitem", lambda x: x.trace(offset=1),
       lambda x: np.trace(x, offset=1), MATRIX),
    Op("x.trace(offset=-2, axis1=-1, axis2=0)", "getitem",
       lambda x: x.trace(offset=-2, axis1=-1, axis2=0),
       lambda x: np.trace(x, offset=-2, axis1=-1, axis2=0), CUBE),
    Op("diff(x)", "-", al.diff, np.diff, (((5,),), ((1,),), ((0,),), *MATRIX)),
    Op("diff(x, n=2, axis=0)", "-", lambda x: al.diff(x, n=2, axis=0),
       lambda x: np.diff(x, n=2, axis=0), CUBE + MATRIX),
    Op("diff(x, axis=1, prepend=0.5, append=array)", "concat",
       lambda x: al.diff(x, axis=1, prepend=0.5, append=np.ones((x.shape[0], 2), x.dtype)),
       lambda x: np.diff(x, axis=1, prepend=0.5, append=np.ones((x.shape[0], 2))), MATRIX),
    # norms
    norm_op(shapes=ALL + CUBE + (((0, 3),),)),
    norm_op(axis=1, keepdims=True, shapes=CUBE + MATRIX),
    norm_op(3, shapes=(((5,),),)),
    norm_op(1, axis=-1, prim="abs", shapes=CUBE + MATRIX),
    norm_op(inf, axis=0, prim="max", shapes=CUBE + MATRIX),
    norm_op(-inf, axis=1, prim="min", shapes=MATRIX),
    norm_op(3, axis=1, shapes=CUBE + MATRIX),
    norm_op(0.5, axis=0, shapes=MATRIX),
    norm_op(-1.5, axis=-1, keepdims=True, shapes=MATRIX),
    norm_op("fro", shapes=MATRIX),
    norm_op("fro", axis=(0, 2), keepdims=True, shapes=CUBE),
    norm_op("nuc", prim="svd_norm", shapes=WIDE_AND_TALL),
    norm_op(2, prim="svd_norm", shapes=WIDE_AND_TALL),
    norm_op(-2, prim="svd_norm", shapes=WIDE_AND_TALL),
    norm_op("nuc", axis=(2, 0), prim="svd_norm", shapes=CUBE),
    norm_op(2, axis=(-1, -2), keepdims=True, prim="svd_norm", shapes=CUBE),
    norm_op(1, prim="max", shapes=WIDE_AND_TALL),
    norm_op(-1, prim="min", shapes=WIDE_AND_TALL),
    norm_op(inf, prim="max", shapes=WIDE_AND_TALL),
    norm_op(-inf, axis=(1, 2), keepdims=True, prim="min", shapes=CUBE),
    Op("svd_grad(x, 'nuc')", "svd_grad",
       lambda x: apply(SVD_GRAD.prim, x, which="nuc", axes=(0, 1)),
       lambda x: (lambda u, s, vh: u @ vh)(*np.linalg.svd(x, full_matrices=False)),
       WIDE_AND_TALL),
    Op("svd_grad(x, 'max')", "svd_grad",
       lambda x: apply(SVD_GRAD.prim, x, which="max", axes=(-1, -2)),
       lambda x: (lambda u, s, vh: u[:, :1] @ vh[:1])(
           *np.linalg.svd(x.T, full_matrices=False)).T, WIDE_AND_TALL),
]
NO_SECOND_ORDER = {"svd_grad"}  # it is the second derivative of the SVD norms (see below)


CASES = [pytest.param(op, shapes, id=case_id(op, shapes)) for op in OPS for shapes in op.shapes]


def test_every_primitive_and_composite_of_the_issue_has_table_entries() -> None:
    tested = {op.prim for op in OPS}
    assert {"prod", "cumsum", "cumprod", "scan", "std", "pnorm", "svd_norm", "svd_grad"} <= tested
    for name in ("prod", "cumsum", "cumprod", "scan", "std", "pnorm", "svd_norm", "svd_grad"):
        assert TABLE[name].prim is not None, name
    for name in ("average", "ptp", "nansum", "nanmean", "trace", "diff", "norm"):
        assert TABLE[name].kind == "composite", name


@pytest.mark.parametrize(("op", "shapes"), CASES)
def test_forward_matches_numpy_in_float64_and_records_the_primitive(op: Op, shapes: tuple) -> None:
    arrays = case_inputs(op, shapes)
    out = op.fn(*(leaf(a) for a in arrays))
    expected = op.ref(*arrays)
    assert isinstance(out, Tensor) and out.dtype == np.float64
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-14)
    if out.size and all(math.prod(spec_of(s).shape) for s in shapes):
        assert op.prim in primitives_in(out)


@pytest.mark.parametrize(("op", "shapes"), CASES)
def test_gradients_match_central_differences(op: Op, shapes: tuple) -> None:
    assert gradcheck(op.fn, *case_inputs(op, shapes), eps=op.eps)


@pytest.mark.parametrize(("op", "shapes"), CASES)
def test_float32_stays_float32_and_agrees_with_float64(op: Op, shapes: tuple) -> None:
    key = case_id(op, shapes)
    arrays32 = case_inputs(op, shapes, np.float32)
    out32, leaves32 = run_backward(op, arrays32, key)
    out64, leaves64 = run_backward(op, [a.astype(np.float64) for a in arrays32], key)
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32.data, out64.data, rtol=1e-5, atol=1e-5)
    for x32, x64 in zip(leaves32, leaves64, strict=True):
        assert x32.grad.dtype == np.float32 and x32.grad.shape == x32.shape
        scale = max(1.0, float(np.abs(x64.grad).max(initial=0.0)))
        np.testing.assert_allclose(x32.grad, x64.grad, rtol=1e-4, atol=1e-4 * scale)


SECOND = [case for case in CASES if case.values[0].prim not in NO_SECOND_ORDER]


@pytest.mark.parametrize(("op", "shapes"), SECOND)
def test_hessian_vector_products_by_double_backward_match_differences(op: Op,
                                                                      shapes: tuple) -> None:
    arrays = case_inputs(op, shapes)
    f = projected_gradient(op, case_id(op, shapes), len(arrays))
    assert gradcheck(f, *arrays, eps=1e-5)


# --- numpy's functions on Tensors: the same op, the same gradient ------------------------------

X34 = seeded_rng("numpy calls").uniform(0.5, 2.0, (3, 4))

NUMPY_CALLS = {
    "np.prod(x, axis=-1)": (lambda x: np.prod(x, axis=-1), lambda x: x.prod(axis=-1)),
    "np.cumsum(x, 0)": (lambda x: np.cumsum(x, 0), lambda x: x.cumsum(0)),
    "np.cumprod(x)": (np.cumprod, Tensor.cumprod),
    "np.std(x, axis=1, ddof=1, keepdims=True)": (
        lambda x: np.std(x, axis=1, ddof=1, keepdims=True),
        lambda x: x.std(axis=1, ddof=1, keepdims=True)),
    "np.average(x, axis=1, weights=w)": (
        lambda x: np.average(x, axis=1, weights=np.arange(1.0, 5.0)),
        lambda x: al.average(x, 1, np.arange(1.0, 5.0))),
    "np.ptp(x, axis=0)": (lambda x: np.ptp(x, axis=0), lambda x: al.ptp(x, 0)),
    "np.nansum(x, keepdims=True)": (lambda x: np.nansum(x, keepdims=True),
                                    lambda x: al.nansum(x, keepdims=True)),
    "np.nanmean(x, axis=0)": (lambda x: np.nanmean(x, axis=0), lambda x: al.nanmean(x, 0)),
    "np.trace(x, 1)": (lambda x: np.trace(x, 1), lambda x: x.trace(1)),
    "np.diff(x, 2)": (lambda x: np.diff(x, 2), lambda x: al.diff(x, 2)),
    "np.linalg.norm(x)": (np.linalg.norm, al.norm),
    "np.linalg.norm(x, 'nuc')": (lambda x: np.linalg.norm(x, "nuc"),
                                 lambda x: al.norm(x, "nuc")),
    "np.linalg.norm(x, 3, axis=1)": (lambda x: np.linalg.norm(x, 3, axis=1),
                                     lambda x: al.norm(x, ord=3, axis=1)),
    "np.amax(x, axis=1)": (lambda x: np.amax(x, axis=1), lambda x: x.max(axis=1)),
    "np.amin(x)": (np.amin, Tensor.min),
    "np.max(x)": (np.max, Tensor.max),
    "np.prod(x, dtype=float32)": (lambda x: np.prod(x, dtype=np.float32),
                                  lambda x: x.prod(dtype=np.float32)),
    "np.std(x, correction=1)": (lambda x: np.std(x, correction=1), lambda x: x.std(ddof=1)),
    "np.var(x, axis=0, correction=1)": (lambda x: np.var(x, axis=0, correction=1),
                                        lambda x: x.var(axis=0, ddof=1)),
}


@pytest.mark.parametrize("name", NUMPY_CALLS)
def test_numpy_function_on_a_tensor_records_the_op_with_the_same_values_and_gradient(
        name: str) -> None:
    by_numpy, by_op = NUMPY_CALLS[name]
    a, b = leaf(X34.copy()), leaf(X34.copy())
    out, expected = by_numpy(a), by_op(b)
    assert isinstance(out, Tensor) and out.requires_grad
    assert primitives_in(out) == primitives_in(expected)
    np.testing.assert_array_equal(out.data, expected.data)
    np.testing.assert_allclose(out.data, by_numpy(X34.copy()), rtol=1e-6)  # numpy itself
    w = upstream(out.shape, name)
    out.backward(w)
    expected.backward(w)
    np.testing.assert_allclose(a.grad, b.grad, rtol=1e-15)


def test_tensor_methods_exist_where_ndarray_has_them() -> None:
    for name in ("prod", "cumsum", "cumprod", "std", "trace", "max", "min"):
        assert hasattr(np.ndarray, name) and hasattr(Tensor, name), name
        assert TABLE[name].method == name
    for name in ("average", "ptp", "nansum", "nanmean", "diff", "norm"):
        assert not hasattr(np.ndarray, name) and TABLE[name].method is None, name
    assert TABLE["norm"].function == "norm" and TABLE["norm"].numpy == (np.linalg.norm,)
    assert np.amax in TABLE["max"].numpy and np.amin in TABLE["min"].numpy


def test_dtype_argument_casts_first_and_gradients_keep_the_input_dtype() -> None:
    x = leaf(X34.astype(np.float32))
    for out in (x.prod(dtype=np.float64), x.cumsum(axis=0, dtype=np.float64),
                np.cumprod(x, dtype=np.float64), x.std(dtype=np.float64),
                x.trace(dtype=np.float64), al.nansum(x, dtype=np.float64),
                x.var(dtype=np.float64),
                al.nanmean(x, dtype=np.float64)):
        assert out.dtype == np.float64
        x.grad = None
        out.sum().backward()
        assert x.grad.dtype == np.float32


# --- conventions: zeros in products ----------------------------------------------------------


@pytest.mark.parametrize(("x", "expected"), [
    ([2.0, 3.0, 4.0], [12.0, 8.0, 6.0]),
    ([2.0, 0.0, 3.0], [0.0, 6.0, 0.0]),  # one zero: its entry gets the product of the others
    ([0.0, 5.0, 0.0], [0.0, 0.0, 0.0]),  # several zeros: all 0
    ([0.0], [1.0]),
    ([np.nan, 2.0, 3.0], [6.0, np.nan, np.nan]),  # the nan entry's own derivative is exact
])
def test_prod_gradient_is_the_product_of_the_other_entries(x: list, expected: list) -> None:
    (g,) = grad_of(lambda t: t.prod(), x)
    np.testing.assert_array_equal(g, expected)


def test_prod_over_an_axis_handles_rows_with_zero_one_and_several_zeros() -> None:
    x = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0], [1.0, 2.0, 4.0]])
    (g,) = grad_of(lambda t: t.prod(axis=1), x, upstream_gradient=np.array([1.0, 1.0, 2.0]))
    np.testing.assert_array_equal(g, [[0, 6, 0], [0, 0, 0], [16, 8, 4]])
    (g,) = grad_of(lambda t: t.prod(axis=0).sum(), x.T)
    np.testing.assert_array_equal(g, [[0, 0, 8], [6, 0, 4], [0, 0, 2]])


def cumprod_gradient(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """x̄[i] = Σ_{k≥i} ḡ[k]·Π_{j≤k, j≠i} x[j], term by term."""
    return np.array([sum(g[k] * np.prod(np.delete(x[:k + 1], i)) for k in range(i, len(x)))
                     for i in range(len(x))])


@pytest.mark.parametrize("x", [
    [2.0, 0.0, 3.0, 0.0, 5.0], [0.0, 2.0, 3.0], [1.5, 2.0, 0.0], [0.0, 0.0, 0.0],
    [0.5, -2.0, 3.0, 1.5], [2.0, 0.0, 3.0, 4.0, 0.5, 0.0, 0.0, 2.0, 1.0, 3.0, 0.0],
])
def test_cumprod_gradient_is_exact_with_any_number_of_zeros(x: list) -> None:
    x = np.array(x)
    g_out = seeded_rng(f"cumprod {x}").standard_normal(len(x))
    (g,) = grad_of(lambda t: t.cumprod(), x, upstream_gradient=g_out)
    np.testing.assert_allclose(g, cumprod_gradient(x, g_out), rtol=1e-13, atol=1e-13)


def hessian_by_double_backward(fn: Callable[[Tensor], Tensor], x: np.ndarray) -> np.ndarray:
    """∂²fn(x)/∂x∂x, row by row: backward(create_graph=True), then backward of each entry."""
    rows = []
    for i in range(x.size):
        t = Tensor(x, requires_grad=True)
        fn(t).backward(create_graph=True)
        first = t.grad
        t.grad = None
        first.reshape(-1)[i].backward()
        rows.append(np.zeros(x.size) if t.grad is None else t.grad.reshape(-1))
    return np.array(rows)


def hessian_of_prod(x: np.ndarray) -> np.ndarray:
    n = len(x)
    return np.array([[0.0 if i == j else np.prod(np.delete(x, [i, j])) for j in range(n)]
                     for i in range(n)])


@pytest.mark.parametrize("x", [[2.0, 3.0, 4.0, 0.5], [2.0, 0.0, 3.0, 4.0],
                               [0.0, 3.0, 0.0, 4.0], [0.0, 0.0, 0.0, 4.0]])
def test_second_derivatives_of_prod_are_exact_at_zeros(x: list) -> None:
    x = np.array(x)
    np.testing.assert_allclose(hessian_by_double_backward(lambda t: t.prod(), x),
                               hessian_of_prod(x), rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("x", [[2.0, 0.0, 3.0, 0.0], [0.0, 0.0, 1.5, 2.0], [1.0, 2.0, 0.0]])
def test_second_derivatives_of_cumprod_are_exact_at_zeros(x: list) -> None:
    x = np.array(x)
    w = np.arange(1.0, len(x) + 1)  # cumprod is a polynomial: Σ_k w_k·cumprod_k's Hessian
    expected = sum(w[k] * np.pad(hessian_of_prod(x[:k + 1]), (0, len(x) - k - 1))
                   for k in range(len(x)))
    np.testing.assert_allclose(hessian_by_double_backward(lambda t: (t.cumprod() * w).sum(), x),
                               expected, rtol=1e-13, atol=1e-13)


def test_third_derivatives_of_prod_are_exact_too() -> None:
    x = np.array([0.0, 2.0, 0.0, 3.0])  # ∂³(x0·x1·x2·x3)/∂x0∂x2∂x1 = x3
    t = Tensor(x, requires_grad=True)
    (g,) = al.grad(lambda u: u.prod(), argnums=0)(t),
    (h,) = al.grad(lambda u: al.grad(lambda v: v.prod())(u)[0], argnums=0)(t),
    third = al.grad(lambda u: al.grad(lambda v: al.grad(lambda w: w.prod())(v)[0])(u)[2])(x)
    assert g.data.tolist() == [0.0, 0.0, 0.0, 0.0] and h.data.tolist() == [0.0, 0.0, 6.0, 0.0]
    assert third.tolist() == [0.0, 3.0, 0.0, 2.0]  # ∂/∂x of ∂²f/∂x0∂x2 = x1·x3


def test_scan_matches_the_step_by_step_recurrence_across_block_boundaries() -> None:
    rng = seeded_rng("scan lengths")
    for n in (1, 2, 3, 4, 5, 8, 9, 10, 26, 100):
        b, a = rng.standard_normal((2, n)), rng.uniform(-1.2, 1.2, (2, n))
        a[:, ::4] = 0.0  # zeros welcome: no division
        for reverse in (False, True):
            np.testing.assert_allclose(_scan_forward(b, a, 1, reverse), np_scan(b, a, 1, reverse),
                                       rtol=1e-12, atol=1e-12)


def test_cumprod_backward_of_a_long_axis_is_fast_and_matches_the_division_formula() -> None:
    x = seeded_rng("long cumprod").uniform(0.999, 1.001, 200_000)
    g = np.ones_like(x)
    start = time.perf_counter()
    (grad,) = grad_of(lambda t: t.cumprod(), x, upstream_gradient=g)
    assert time.perf_counter() - start < 2.0  # about 2√n vectorized steps, not n
    y = np.cumprod(x)
    np.testing.assert_allclose(grad, np.cumsum((g * y)[::-1])[::-1] / x, rtol=1e-9)


# --- conventions: zero spread, nan, ties, norms at 0 -----------------------------------------


@pytest.mark.parametrize(("kwargs", "x"), [
    ({}, [2.0, 2.0, 2.0]),
    ({"ddof": 1}, [-1.0, -1.0]),
    ({"axis": 1}, [[3.0, 3.0, 3.0], [1.0, 2.0, 4.0]]),
    ({}, 5.0),
])
def test_std_gradient_is_zero_where_all_entries_are_equal(kwargs: dict, x: Any) -> None:
    x = np.array(x)
    (g,) = grad_of(lambda t: t.std(**kwargs).sum(), x)
    assert np.isfinite(g).all()
    if x.ndim == 2:  # the first row is constant, the second is not
        np.testing.assert_array_equal(g[0], 0.0)
        np.testing.assert_allclose(g[1], (x[1] - x[1].mean()) / (3 * x[1].std()))
    else:
        np.testing.assert_array_equal(g, np.zeros_like(x))
    t = Tensor(x, requires_grad=True)
    t.std(**kwargs).sum().backward(create_graph=True)
    first = t.grad
    t.grad = None
    (first * np.arange(1.0, x.size + 1).reshape(x.shape)).sum().backward()
    if x.ndim < 2:
        np.testing.assert_array_equal(t.grad, np.zeros_like(x))  # 0 to every order


def test_max_of_a_slice_holding_nan_sends_the_gradient_to_the_nan_entries() -> None:
    x = [[1.0, np.nan, 3.0, np.nan], [1.0, 5.0, 5.0, 2.0]]
    (g,) = grad_of(lambda t: np.amax(t, axis=1), x, upstream_gradient=np.array([1.0, 2.0]))
    np.testing.assert_array_equal(g, [[0, 0.5, 0, 0.5], [0, 1, 1, 0]])
    (g,) = grad_of(lambda t: np.amin(t), [np.nan, -1.0])
    np.testing.assert_array_equal(g, [1.0, 0.0])


def test_nansum_and_nanmean_give_nan_entries_gradient_zero() -> None:
    x = [[1.0, np.nan, 3.0], [np.nan, np.nan, np.nan]]
    (g,) = grad_of(lambda t: al.nansum(t), x)
    np.testing.assert_array_equal(g, [[1, 0, 1], [0, 0, 0]])
    leaf_x = Tensor(np.array(x), requires_grad=True)
    out = al.nanmean(leaf_x, axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy: "Mean of empty slice"
        np.testing.assert_array_equal(out.data, np.nanmean(np.array(x), axis=1))
    assert np.isnan(out.data[1])
    out.backward(np.ones(2))
    np.testing.assert_array_equal(leaf_x.grad, [[0.5, 0, 0.5], [0, 0, 0]])


def test_ptp_of_a_constant_slice_has_gradient_zero_and_ties_split() -> None:
    (g,) = grad_of(lambda t: al.ptp(t, axis=1).sum(), [[2.0, 2.0, 2.0], [1.0, 4.0, 4.0]])
    np.testing.assert_array_equal(g, [[0, 0, 0], [-1, 0.5, 0.5]])


@pytest.mark.parametrize(("ord", "axis", "x", "expected"), [
    (None, None, [[0.0, 0.0], [0.0, 0.0]], [[0, 0], [0, 0]]),  # 0 at 0, as PyTorch
    (2, 0, [0.0, 0.0, 0.0], [0, 0, 0]),
    ("fro", None, [[0.0, 0.0], [0.0, 0.0]], [[0, 0], [0, 0]]),
    (3, None, [0.0, 0.0], [0, 0]),
    (3, None, [0.0, 2.0], [0, 1]),
    (0.5, None, [0.0, 1.0], [0, 1]),  # |x|^(p−1) is infinite at 0: 0 there, as PyTorch
    (-1, None, [0.0, 1.0], [0, 0]),  # the norm is 0: gradient 0
    (1, None, [0.0, -2.0], [0, -1]),  # abs'(0) = 0
    (inf, None, [-2.0, 1.0, 2.0], [-0.5, 0, 0.5]),  # ties split evenly
    (-inf, None, [-1.0, 1.0, 2.0], [-0.5, 0.5, 0]),
    (0, None, [0.0, 3.0], [0, 0]),  # a count: gradient 0
    (2, None, [[1.0, 0.0], [0.0, 1.0]], [[0.5, 0], [0, 0.5]]),  # tied σ share, as PyTorch
    (1, None, [[1.0, 0.0], [0.0, 1.0]], [[0.5, 0], [0, 0.5]]),
])
def test_norm_conventions_at_zero_and_at_ties(ord: Any, axis: Any, x: list,
                                               expected: list) -> None:
    (g,) = grad_of(lambda t: al.norm(t, ord, axis), x)
    np.testing.assert_allclose(g, expected, atol=1e-15)


def test_norm_of_zero_has_zero_second_derivative() -> None:
    for ord, x in ((None, np.zeros(3)), ("fro", np.zeros((2, 2))), (3, np.zeros(2))):
        h = hessian_by_double_backward(lambda t, ord=ord: al.norm(t, ord), x)
        np.testing.assert_array_equal(h, 0.0)


def test_third_derivatives_of_svd_norms_are_refused_by_name() -> None:
    x = seeded_rng("third").standard_normal((3, 3))
    d2 = al.grad(lambda t: (al.grad(lambda u: al.norm(u, "nuc"))(t) * x).sum())
    assert np.isfinite(d2(x)).all()  # second order: fine
    with pytest.raises(NotImplementedError, match="norm: third and higher derivatives"):
        al.grad(lambda t: (d2(t) * x).sum())(x)


def test_norm_of_integers_is_a_float_as_numpy() -> None:
    t = Tensor(np.array([[3, 4], [0, 1]]))
    for ord in (None, 1, inf, "nuc"):
        out = al.norm(t, ord)
        assert out.dtype == np.float64
        np.testing.assert_allclose(out.data, np.linalg.norm(t.data, ord))


# --- composites' edge cases and errors -----------------------------------------------------------


def test_diff_of_order_zero_is_x_and_diff_accepts_tensor_prepend() -> None:
    x = Tensor(np.arange(4.0), requires_grad=True)
    assert al.diff(x, n=0) is x
    p = Tensor(np.array([10.0]), requires_grad=True)
    out = al.diff(x, prepend=p)
    np.testing.assert_array_equal(out.data, np.diff(x.data, prepend=10.0))
    out.sum().backward()
    assert p.grad.tolist() == [-1.0] and x.grad.tolist() == [0.0, 0.0, 0.0, 1.0]


def test_average_weights_get_gradients_and_stay_float32() -> None:
    x = leaf(X34.astype(np.float32))
    w = leaf(np.array([1.0, 2.0, 3.0], np.float32))
    out = al.average(x, axis=0, weights=w)
    assert out.dtype == np.float32
    out.sum().backward()
    assert w.grad.dtype == np.float32
    expected = (X34.sum(axis=1) - out.data.sum()) / 6.0  # ∂/∂w_i of Σ_j Σ_i w_i x_ij / Σ w
    np.testing.assert_allclose(w.grad, expected, rtol=1e-5)


@pytest.mark.parametrize(("call", "error", "pattern"), [
    (lambda t: t.std(ddof=12), ValueError, r"std: ddof=12 leaves no degrees of freedom"),
    (lambda t: t.std(ddof=1, correction=1), ValueError, r"std: give ddof or correction"),
    (lambda t: t.var(ddof=1, correction=1), ValueError, r"var: give ddof or correction"),
    (lambda t: t.prod(axis=2), np.exceptions.AxisError, r"prod: axis 2 is out of bounds"),
    (lambda t: t.cumsum(axis=(0, 1)), TypeError, r"cumsum: axis must be None or an int"),
    (lambda t: t.cumprod(axis=-3), np.exceptions.AxisError, r"cumprod: axis -3"),
    (lambda t: al.average(t, weights=np.ones(4)), TypeError, r"average: .*axis must be given"),
    (lambda t: al.average(t, axis=0, weights=np.ones(4)), ValueError, r"average: weights"),
    (lambda t: al.average(t, axis=1, weights=np.array([1.0, -1.0, 0, 0])), ZeroDivisionError,
     r"average: the weights sum to zero"),
    (lambda t: al.average(t, returned=True), TypeError, r"average: returned=True"),
    (lambda t: t.reshape(-1).trace(), ValueError, r"trace: x needs at least 2 dimensions"),
    (lambda t: t.trace(axis1=1, axis2=-1), ValueError, r"trace: axis .* repeats an axis"),
    (lambda t: al.diff(t, n=-1), ValueError, r"diff: order n must be non-negative"),
    (lambda t: al.diff(t.sum()), ValueError, r"diff: x must have at least one dimension"),
    (lambda t: al.norm(t, "fro", axis=1), ValueError, r"norm: invalid norm order 'fro' for "
     r"vectors"),
    (lambda t: al.norm(t, 3), ValueError, r"norm: invalid norm order 3 for matrices"),
    (lambda t: al.norm(t.reshape(1, 3, 4), 1), ValueError, r"norm: ord=1 needs a vector or a "
     r"matrix"),
    (lambda t: al.norm(t.reshape(1, 3, 4), axis=(0, 1, 2)), ValueError,
     r"norm: axis .* must name one axis"),
    (lambda t: np.linalg.norm(t, axis=(1, 1)), ValueError, r"norm: axis .* repeats an axis"),
])
def test_bad_arguments_name_the_op(call: Callable[[Tensor], Any], error: type,
                                   pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        call(Tensor(X34, requires_grad=True))


# --- PyTorch, where installed: float64 values, gradients and second order -------------------------

TORCH_CASES: dict[str, tuple[Callable[[Tensor], Tensor], str, Any]] = {
    # name: (our op, the same in torch as Python source on `x`, the input)
    "prod": (lambda t: t.prod(), "x.prod()", X34),
    "prod(axis=1), zeros": (lambda t: t.prod(axis=1), "x.prod(dim=1)",
                            np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0], [1.0, 2.0, 4.0]])),
    "cumsum(axis=0)": (lambda t: t.cumsum(axis=0), "x.cumsum(dim=0)", X34),
    "cumprod(axis=1), zeros": (lambda t: t.cumprod(axis=1), "x.cumprod(dim=1)",
                               np.array([[2.0, 0.0, 3.0, 0.5], [0.5, 2.0, 0.0, 1.5]])),
    "std(axis=1, ddof=1)": (lambda t: t.std(axis=1, ddof=1), "x.std(dim=1, correction=1)", X34),
    "std(), zero spread": (lambda t: t.std(), "x.std(correction=0)", np.full((2, 3), 0.7)),
    "nansum": (lambda t: al.nansum(t), "x.nansum()", X34 + holes(X34.shape)),
    "nanmean(axis=0)": (lambda t: al.nanmean(t, axis=0), "x.nanmean(dim=0)",
                        X34 + holes(X34.shape)),
    "trace": (lambda t: t.trace(), "x.trace()", X34),
    "trace(offset=1)": (lambda t: t.trace(offset=1), "x.diagonal(offset=1).sum()", X34),
    "diff(n=2, axis=0)": (lambda t: al.diff(t, n=2, axis=0), "x.diff(n=2, dim=0)", X34),
    "amax(axis=1)": (lambda t: np.amax(t, axis=1), "x.amax(dim=1)", X34),
    "ptp": (lambda t: al.ptp(t), "x.max() - x.min()", X34),
    "norm": (al.norm, "torch.linalg.norm(x)", X34),
    "norm at 0": (al.norm, "torch.linalg.norm(x)", np.zeros((2, 3))),
    "norm(1, axis=1)": (lambda t: al.norm(t, 1, axis=1), "torch.linalg.norm(x, 1, dim=1)", X34),
    "norm(inf, axis=0)": (lambda t: al.norm(t, inf, 0), "torch.linalg.norm(x, inf, dim=0)", X34),
    "norm(-inf, axis=1)": (lambda t: al.norm(t, -inf, 1), "torch.linalg.norm(x, -inf, dim=1)",
                           X34),
    "norm(3, axis=1, keepdims)": (lambda t: al.norm(t, 3, 1, True),
                                  "torch.linalg.norm(x, 3, dim=1, keepdim=True)", X34),
    "norm(0.5, axis=1), zeros": (lambda t: al.norm(t, 0.5, 1), "torch.linalg.norm(x, 0.5, 1)",
                                 np.array([[0.0, 1.0, 2.0], [0.0, 0.0, 0.0]])),
    "norm(-1.5, axis=0)": (lambda t: al.norm(t, -1.5, 0), "torch.linalg.norm(x, -1.5, 0)", X34),
    "norm('fro')": (lambda t: al.norm(t, "fro"), "torch.linalg.norm(x, 'fro')", X34),
    "norm('nuc')": (lambda t: al.norm(t, "nuc"), "torch.linalg.norm(x, 'nuc')", X34),
    "norm('nuc') at 0": (lambda t: al.norm(t, "nuc"), "torch.linalg.norm(x, 'nuc')",
                         np.zeros((3, 3))),
    "norm(2)": (lambda t: al.norm(t, 2), "torch.linalg.norm(x, 2)", X34),
    "norm(2), tied σ": (lambda t: al.norm(t, 2), "torch.linalg.norm(x, 2)", np.eye(3)),
    "norm(-2)": (lambda t: al.norm(t, -2), "torch.linalg.norm(x, -2)", X34.T),
    "norm(1)": (lambda t: al.norm(t, 1), "torch.linalg.norm(x, 1)", X34),
    "norm(-inf)": (lambda t: al.norm(t, -inf), "torch.linalg.norm(x, -inf)", X34),
    "norm('nuc', axis=(2, 0)) batched": (
        lambda t: al.norm(t, "nuc", axis=(2, 0)), "torch.linalg.norm(x, 'nuc', dim=(2, 0))",
        seeded_rng("batched").standard_normal((3, 2, 4))),
    "norm(2, axis=(0, 1), keepdims)": (
        lambda t: al.norm(t, 2, axis=(0, 1), keepdims=True),
        "torch.linalg.norm(x, 2, dim=(0, 1), keepdim=True)",
        seeded_rng("batched").standard_normal((3, 4, 2))),
}
# where the function is smooth, second derivatives too (ties and zero spread are kinks)
TORCH_SECOND_ORDER = {"prod", "prod(axis=1), zeros", "cumprod(axis=1), zeros",
                      "std(axis=1, ddof=1)", "norm", "norm(3, axis=1, keepdims)",
                      "norm(-1.5, axis=0)", "norm('nuc')", "norm(2)", "norm(-2)",
                      "norm('nuc', axis=(2, 0)) batched", "norm(2, axis=(0, 1), keepdims)",
                      "diff(n=2, axis=0)", "trace(offset=1)"}


def torch_results(source: str, x: np.ndarray, w: np.ndarray,
                  v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PyTorch's value, gradient of ⟨w, f(x)⟩ and its Hessian-vector product with v."""
    torch = pytest.importorskip("torch")
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out = eval(source, {"torch": torch, "inf": inf}, {"x": xt})
    (g,) = torch.autograd.grad((out * torch.tensor(w)).sum(), xt, create_graph=True)
    hv = torch.zeros_like(xt)  # a linear op's gradient is a constant
    if g.requires_grad:
        (hv,) = torch.autograd.grad((g * torch.tensor(v)).sum(), xt, allow_unused=True,
                                    materialize_grads=True)
    return out.detach().numpy(), g.detach().numpy(), hv.detach().numpy(force=True)


@pytest.mark.parametrize("name", TORCH_CASES)
def test_values_gradients_and_second_order_agree_with_pytorch(name: str) -> None:
    fn, source, x = TORCH_CASES[name]
    rng = seeded_rng("torch " + name)
    t = Tensor(x, requires_grad=True)
    out = fn(t)
    w, v = rng.standard_normal(out.shape), rng.standard_normal(x.shape)
    value, grad, hv = torch_results(source, x, w, v)
    np.testing.assert_allclose(out.data, value, rtol=1e-12, atol=1e-14)
    (out * w).sum().backward(create_graph=True)
    first = t.grad
    np.testing.assert_allclose(first.data, grad, rtol=1e-10, atol=1e-12)
    if name in TORCH_SECOND_ORDER:
        t.grad = None
        if first.requires_grad:
            (first * v).sum().backward()
        second = np.zeros_like(x) if t.grad is None else t.grad  # linear: a constant gradient
        np.testing.assert_allclose(second, hv, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("x", [[0.0, 2.0, 0.0, 3.0], [2.0, 0.0, 3.0, 0.0], [0.0, 0.0, 0.0, 1.5]])
def test_hessians_of_prod_and_cumprod_at_zeros_agree_with_pytorch(x: list) -> None:
    torch = pytest.importorskip("torch")
    x = np.array(x)
    w = np.arange(1.0, len(x) + 1)
    for ours, theirs in ((lambda t: t.prod(), lambda u: u.prod()),
                         (lambda t: (t.cumprod() * w).sum(),
                          lambda u: (u.cumprod(0) * torch.tensor(w)).sum())):
        expected = torch.autograd.functional.hessian(theirs, torch.tensor(x)).numpy()
        np.testing.assert_allclose(hessian_by_double_backward(ours, x), expected, rtol=1e-14)


# --- log-softmax and cross-entropy of large equal logits ----------------------------------------

@pytest.mark.parametrize(("dtype", "offset"), [(np.float32, 1e6), (np.float32, 1e3),
                                               (np.float64, 1e15), (np.float32, -1e6)])
def test_log_softmax_and_cross_entropy_of_equal_logits_are_minus_log_3_at_any_offset(
        dtype: Any, offset: float) -> None:
    # x − logsumexp(x) rounds logsumexp at the offset's magnitude (−1.125 at 1e6 in float32)
    z = np.full((1, 3), offset, dtype=dtype)
    logp = Tensor(z).log_softmax(axis=1)
    assert logp.dtype == dtype
    np.testing.assert_allclose(logp.data, -np.log(3.0), rtol=1e-6)
    np.testing.assert_allclose(al.cross_entropy(Tensor(z), np.array([1])).data, np.log(3.0),
                               rtol=1e-6)
    t = Tensor(z, requires_grad=True)
    al.cross_entropy(t, np.array([0])).backward()
    np.testing.assert_allclose(t.grad, [[-2 / 3, 1 / 3, 1 / 3]], rtol=1e-6)


def test_log_softmax_and_cross_entropy_at_large_offsets_match_pytorch() -> None:
    torch = pytest.importorskip("torch")
    for dtype, tdtype, offset in ((np.float32, torch.float32, 1e6),
                                  (np.float32, torch.float32, 1e3),
                                  (np.float64, torch.float64, 1e15)):
        z = np.full((2, 3), offset, dtype=dtype) + np.array([[0, 0, 0], [0, 1, 2]], dtype=dtype)
        expected = torch.log_softmax(torch.tensor(z, dtype=tdtype), dim=1).numpy()
        np.testing.assert_allclose(Tensor(z).log_softmax(axis=1).data, expected, rtol=1e-6)
        ce = torch.nn.functional.cross_entropy(torch.tensor(z), torch.tensor([0, 2])).item()
        assert al.cross_entropy(Tensor(z), np.array([0, 2])).item() == pytest.approx(ce,
                                                                                     rel=1e-6)


def test_nn_cross_entropy_paths_of_equal_logits_at_1e6_are_log_3() -> None:
    # nn's losses reach the same kernels: the fused op, and log_softmax for the other paths
    nn = pytest.importorskip("nn")
    z = Tensor(np.full((2, 3), 1e6, dtype=np.float32))
    for kwargs in ({}, {"label_smoothing": 0.1}, {"reduction": "none"},
                   {"weight": np.ones(3, dtype=np.float32)}):
        np.testing.assert_allclose(nn.cross_entropy(z, np.array([0, 1]), **kwargs).data,
                                   np.log(3.0), rtol=1e-6)


def test_max_and_min_of_a_vector_holding_nan_match_pytorch() -> None:
    torch = pytest.importorskip("torch")
    for name in ("max", "min"):
        x = np.array([1.0, np.nan, 3.0])
        tx = torch.tensor(x, requires_grad=True)
        getattr(tx, name)().backward()
        t = Tensor(x, requires_grad=True)
        getattr(t, name)().backward()
        np.testing.assert_array_equal(t.grad, tx.grad.numpy())
        np.testing.assert_array_equal(t.grad, [0.0, 1.0, 0.0])


# --- the short-last-axis kernels under softmax, log_softmax, cross_entropy ---------------------

@pytest.mark.parametrize("shape", [(512, 27), (32, 2, 16, 16), (3, 5), (5000, 1), (70, 70),
                                   (0, 4), (4096, 64)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_last_max_and_last_sum_equal_numpys_on_every_path(shape, dtype):
    from autograd_lite.ops.reductions import last_max, last_sum
    x = (np.random.default_rng(0).standard_normal(shape) * 10).astype(dtype)
    np.testing.assert_array_equal(last_max(x), np.max(x, axis=-1, keepdims=True))
    total = last_sum(x)
    assert total.shape == shape[:-1] + (1,) and total.dtype == x.dtype
    np.testing.assert_allclose(total, np.sum(x, axis=-1, keepdims=True, dtype=np.float64),
                               rtol=1e-5, atol=1e-3)


def test_last_max_keeps_nan_and_inf_and_reads_strided_views():
    from autograd_lite.ops.reductions import last_max
    x = np.random.default_rng(1).standard_normal((300, 40)).astype(np.float32)
    x[3, 7], x[5, :], x[9, 2] = np.nan, -np.inf, np.inf
    np.testing.assert_array_equal(last_max(x), np.max(x, axis=-1, keepdims=True))
    view = np.random.default_rng(2).standard_normal((40, 600)).T[::2]  # (300, 40), strided
    np.testing.assert_array_equal(last_max(view), np.max(view, axis=-1, keepdims=True))
