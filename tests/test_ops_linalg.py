"""Tests for the linear-algebra ops (`ops/linalg.py`, the `autograd_lite.linalg` namespace):
`einsum`, the products `dot vdot inner outer tensordot kron`, and numpy.linalg's `inv det
slogdet solve cholesky eigh svd pinv qr`.

A case table drives the bulk, as in `test_ops.py`: every case, on single, batched and
non-contiguous inputs, is checked against numpy (forward, float64), against central
differences (first and second order), and for float32 (float32 out and gradients, close to
float64). Then einsum over many subscripts and random ones (hypothesis), numpy's dispatch
(`np.linalg.inv(t)` records the op), the documented conventions (symmetric gradients, repeated
eigenvalues and singular values, singular matrices), errors, and PyTorch in float64: values,
gradients and second derivatives (skipped where torch is not installed).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_ops import Spec, fortran, laid_out, leaf, seeded_rng, spec_of, strided, transposed

import autograd_lite
from autograd_lite import Tensor, gradcheck
from autograd_lite import linalg as la
from autograd_lite.graph import toposort
from autograd_lite.ops import OPS as TABLE
from autograd_lite.ops import linalg as linalg_ops

Shape = tuple[int, ...]


# --- inputs ------------------------------------------------------------------------------------

def draw(rng: np.random.Generator, shape: Shape, kind: str) -> np.ndarray:
    """float64 values of a kind: "real" (|x| in [0.2, 2], random signs); "invertible" (square,
    normal + 3·I: well conditioned); "spd" (X·Xᵀ/n + I: symmetric positive definite, distinct
    eigenvalues almost surely)."""
    if kind == "real":
        return rng.uniform(0.2, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    n = shape[-1]
    x = rng.standard_normal(shape)
    if kind == "invertible":
        return x + 3 * np.eye(n)
    if kind == "spd":
        return x @ x.swapaxes(-1, -2) / n + np.eye(n)
    raise ValueError(kind)


def sym(x: Any) -> Any:
    """(x + xᵀ)/2: symmetric inputs for the ops that read one triangle (gradcheck then
    perturbs symmetrically)."""
    return (x + x.swapaxes(-1, -2)) * 0.5


class Case(NamedTuple):
    name: str
    prim: str  # the primitive it must record
    fn: Callable[..., Tensor]
    ref: Callable[..., np.ndarray]
    shapes: tuple[tuple[Shape | Spec, ...], ...]
    kinds: tuple[str, ...] = ("real",)  # per input (the last one repeats)
    eps: float = 1e-6


SQUARE = (((3, 3),), ((1, 1),), ((2, 3, 3),), (fortran(3, 3),), (transposed(3, 3),),
          (strided(3, 3),), (strided(2, 2, 2),))
RECT = (((3, 3),), ((4, 2),), ((2, 4),), ((2, 4, 3),), ((2, 1, 2, 3),), (transposed(4, 2),),
        (strided(2, 4),))


def eigvec_squares(x: Tensor, uplo: str = "L") -> Tensor:
    """The eigenvectors squared: independent of each one's sign."""
    return la.eigh(sym(x), UPLO=uplo).eigenvectors ** 2


def spectral(x: Tensor) -> Tensor:
    """V·diag(1, 2, …)·Vᵀ: every eigenvector, sign-free, through the full VJP."""
    w, v = la.eigh(sym(x))
    return (v * np.arange(1.0, w.shape[-1] + 1, dtype=v.dtype)) @ v.swapaxes(-1, -2)


def np_spectral(x: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh(x)
    return (v * np.arange(1.0, w.shape[-1] + 1)) @ v.swapaxes(-1, -2)


def svd_weighted(x: Tensor) -> Tensor:
    """U·diag(1, 2, …)·Vh: sign-free, through U, S's order and Vh."""
    u, s, vh = la.svd(x, full_matrices=False)
    return (u * np.arange(1.0, s.shape[-1] + 1, dtype=u.dtype)) @ vh


def np_svd_weighted(x: np.ndarray) -> np.ndarray:
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    return (u * np.arange(1.0, s.shape[-1] + 1)) @ vh


def np_solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.linalg.solve(a, b)


CASES_TABLE: list[Case] = [
    # products
    Case("dot(x, y)", "@", autograd_lite.dot, np.dot,
         (((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 2)), ((2, 3), (3, 4)), ((2, 3, 4), (4, 2)),
          (transposed(3, 4), fortran(4, 2)), (strided(2, 3), strided(3,)))),
    Case("dot(x, y) N-D", "@", autograd_lite.dot, np.dot,
         (((2, 3, 4), (5, 4, 2)), ((4,), (2, 4, 3)), (strided(2, 2, 3), transposed(2, 3, 2)))),
    Case("dot with a scalar", "*", autograd_lite.dot, np.dot, (((), (3,)), ((2, 3), ()))),
    Case("x.dot(y)", "@", lambda x, y: x.dot(y), lambda x, y: x.dot(y),
         (((2, 3), (3,)), ((3, 3), (3, 2)))),
    Case("vdot(x, y)", "@", autograd_lite.vdot, np.vdot,
         (((4,), (4,)), ((2, 3), (3, 2)), (strided(2, 3), fortran(6, 1)))),
    Case("inner(x, y)", "@", autograd_lite.inner, np.inner,
         (((4,), (4,)), ((2, 3), (4, 3)), ((2, 3, 4), (4,)), ((3,), (2, 2, 3)),
          (transposed(2, 3), strided(4, 3)))),
    Case("inner with a scalar", "*", autograd_lite.inner, np.inner, (((), (2, 3)),)),
    Case("outer(x, y)", "*", autograd_lite.outer, np.outer,
         (((3,), (4,)), ((2, 2), (3,)), ((), (3,)), (strided(3,), transposed(2, 2)))),
    Case("tensordot(x, y)", "@", autograd_lite.tensordot, np.tensordot,
         (((2, 3, 4), (3, 4, 5)), ((3, 4), (3, 4)), (strided(2, 3, 2), fortran(3, 2, 2)))),
    Case("tensordot(x, y, axes=1)", "@", lambda x, y: autograd_lite.tensordot(x, y, axes=1),
         lambda x, y: np.tensordot(x, y, axes=1), (((2, 3), (3, 4)), ((2, 2, 3), (3,)))),
    Case("tensordot(x, y, axes=0)", "@", lambda x, y: autograd_lite.tensordot(x, y, 0),
         lambda x, y: np.tensordot(x, y, 0), (((2,), (3,)), ((2, 2), (3,)))),
    Case("tensordot(x, y, axes=([1, 0], [0, 1]))", "@",
         lambda x, y: autograd_lite.tensordot(x, y, axes=([1, 0], [0, 1])),
         lambda x, y: np.tensordot(x, y, axes=([1, 0], [0, 1])),
         (((3, 4, 5), (4, 3, 2)), (transposed(3, 4, 2), strided(4, 3, 2)))),
    Case("tensordot(x, y, axes=(-1, 0))", "@",
         lambda x, y: autograd_lite.tensordot(x, y, axes=(-1, 0)),
         lambda x, y: np.tensordot(x, y, axes=(-1, 0)), (((2, 3), (3, 2)),)),
    Case("kron(x, y)", "*", autograd_lite.kron, np.kron,
         (((2, 3), (4, 2)), ((2,), (3,)), ((2, 2), (3,)), ((), (3,)), ((2, 1, 2), (2, 3)),
          (transposed(2, 3), strided(2, 2)))),
    # numpy.linalg
    Case("inv(a)", "inv", la.inv, np.linalg.inv, SQUARE, ("invertible",)),
    Case("det(a)", "det", la.det, np.linalg.det, SQUARE + (((2, 4, 4),),), ("invertible",)),
    Case("det(−a)", "det", lambda a: la.det(-a), lambda a: np.linalg.det(-a), (((3, 3),),),
         ("invertible",)),
    Case("slogdet(a).logabsdet", "slogdet", lambda a: la.slogdet(a).logabsdet,
         lambda a: np.linalg.slogdet(a).logabsdet, SQUARE, ("invertible",)),
    Case("slogdet(−a).logabsdet", "slogdet", lambda a: la.slogdet(-a)[1],
         lambda a: np.linalg.slogdet(-a)[1], (((3, 3),), ((2, 3, 3),)), ("invertible",)),
    Case("solve(a, b)", "solve", la.solve, np_solve,
         (((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 2)), ((2, 3, 3), (3,)),
          ((3, 3), (2, 3, 4)), ((2, 1, 3, 3), (4, 3, 1)), ((1, 1), (1,)),
          (transposed(3, 3), strided(3, 2)), (fortran(3, 3), strided(3,))),
         ("invertible", "real")),
    Case("cholesky(a)", "cholesky", lambda a: la.cholesky(sym(a)), np.linalg.cholesky,
         SQUARE, ("spd",)),
    Case("cholesky(a, upper=True)", "cholesky", lambda a: la.cholesky(sym(a), upper=True),
         lambda a: np.linalg.cholesky(a, upper=True), (((3, 3),), ((2, 3, 3),)), ("spd",)),
    Case("eigh(a).eigenvalues", "eigh", lambda a: la.eigh(sym(a)).eigenvalues,
         lambda a: np.linalg.eigh(a).eigenvalues, SQUARE, ("spd",)),
    Case("eigh(a).eigenvectors ** 2", "eigh", eigvec_squares,
         lambda a: np.linalg.eigh(a).eigenvectors ** 2, SQUARE, ("spd",)),
    Case("eigh(a, UPLO='U').eigenvectors ** 2", "eigh", lambda a: eigvec_squares(a, "U"),
         lambda a: np.linalg.eigh(a, UPLO="U").eigenvectors ** 2, (((3, 3),),), ("spd",)),
    Case("V·diag(1..n)·Vᵀ of eigh(a)", "eigh", spectral, np_spectral,
         (((3, 3),), ((2, 4, 4),), (strided(3, 3),)), ("spd",)),
    Case("svd(a).S", "svd", lambda a: la.svd(a, full_matrices=False).S,
         lambda a: np.linalg.svd(a, full_matrices=False).S, RECT),
    Case("svd(a, compute_uv=False)", "svd", lambda a: la.svd(a, compute_uv=False),
         lambda a: np.linalg.svd(a, compute_uv=False), (((3, 4),),)),
    Case("svd(a).U ** 2", "svd", lambda a: la.svd(a, full_matrices=False).U ** 2,
         lambda a: np.linalg.svd(a, full_matrices=False).U ** 2, RECT),
    Case("svd(a).Vh ** 2", "svd", lambda a: la.svd(a, full_matrices=False).Vh ** 2,
         lambda a: np.linalg.svd(a, full_matrices=False).Vh ** 2, RECT),
    Case("U·diag(1..k)·Vh of svd(a)", "svd", svd_weighted, np_svd_weighted, RECT),
    Case("svd(a, hermitian=True).S", "svd",
         lambda a: la.svd(sym(a), hermitian=True).S,
         lambda a: np.linalg.svd(a, hermitian=True).S, (((3, 3),),), ("spd",)),
    Case("pinv(a)", "pinv", la.pinv, np.linalg.pinv, RECT),
    Case("pinv(a, hermitian=True)", "pinv", lambda a: la.pinv(sym(a), hermitian=True),
         lambda a: np.linalg.pinv(a, hermitian=True), (((3, 3),),), ("spd",)),
    Case("qr(a).Q", "qr", lambda a: la.qr(a).Q, lambda a: np.linalg.qr(a).Q, RECT),
    Case("qr(a).R", "qr", lambda a: la.qr(a).R, lambda a: np.linalg.qr(a).R, RECT),
    Case("qr(a, mode='r')", "qr", lambda a: la.qr(a, mode="r"),
         lambda a: np.linalg.qr(a, mode="r"), (((4, 3),), ((2, 3),))),
]

EINSUMS: list[tuple[str, tuple[Shape, ...]]] = [
    ("ij,jk->ik", ((2, 3), (3, 4))),
    ("ij,jk", ((2, 3), (3, 4))),
    ("ij->ji", ((2, 3),)),
    ("ij", ((2, 3),)),
    ("ji", ((2, 3),)),
    ("ij->", ((2, 3),)),
    ("ij->j", ((2, 3),)),
    ("i,i", ((3,), (3,))),
    ("i,i->i", ((3,), (3,))),
    ("i,j->ij", ((2,), (3,))),
    ("ii->i", ((3, 3),)),
    ("ii", ((3, 3),)),
    ("ii->", ((3, 3),)),
    ("iij->j", ((2, 2, 3),)),
    ("iji->j", ((3, 2, 3),)),
    ("iii->i", ((2, 2, 2),)),
    ("ii,i->i", ((3, 3), (3,))),
    ("ij,j->j", ((2, 3), (3,))),
    ("ij,j->i", ((2, 3), (1,))),
    ("ij,ij->ij", ((1, 3), (2, 3))),
    ("bij,bjk->bik", ((2, 2, 3), (2, 3, 2))),
    ("...ij,...jk->...ik", ((2, 1, 3, 4), (5, 4, 2))),
    ("...ij,...jk", ((2, 3, 4), (4, 2))),
    ("...i,...i", ((2, 3), (3,))),
    ("...i,...i->...", ((2, 3), (1, 3))),
    ("i...->...", ((2, 3, 4),)),
    ("...ii->...i", ((2, 3, 3),)),
    ("i...i", ((3, 2, 3),)),
    ("...", ((2, 3),)),
    ("i,i,i->", ((3,), (3,), (3,))),
    ("ij,jk,kl->il", ((2, 3), (3, 4), (4, 2))),
    ("ab,bc,ca->", ((2, 3), (3, 2), (2, 2))),
    ("Ab,bC->AC", ((2, 3), (3, 2))),
    ("bA", ((2, 3),)),
    ("i j -> j", ((2, 3),)),
    ("->", ((),)),
    (",i->i", ((), (3,))),
    ("ij->", ((0, 3),)),
]

CASES_TABLE += [
    Case(f"einsum({subs!r})", "einsum", lambda *ts, s=subs: autograd_lite.einsum(s, *ts),
         lambda *xs, s=subs: np.einsum(s, *xs), (shapes,)) for subs, shapes in EINSUMS
]
CASES_TABLE += [
    Case("einsum(x, [0, 1], y, [1, 2])", "einsum",
         lambda x, y: autograd_lite.einsum(x, [0, 1], y, [1, 2]),
         lambda x, y: np.einsum(x, [0, 1], y, [1, 2]), (((2, 3), (3, 4)),)),
    Case("einsum(x, [..., 0, 0], [...])", "einsum",
         lambda x: autograd_lite.einsum(x, [..., 0, 0], [...]),
         lambda x: np.einsum(x, [..., 0, 0], [...]), (((2, 3, 3),),)),
    Case("einsum('ij,jk', optimize=True)", "einsum",
         lambda x, y: autograd_lite.einsum("ij,jk,k", x, y, y[0], optimize=True),
         lambda x, y: np.einsum("ij,jk,k", x, y, y[0], optimize=True), (((2, 3), (3, 3)),)),
    Case("einsum on non-contiguous operands", "einsum",
         lambda x, y: autograd_lite.einsum("ij,kj->ik", x, y),
         lambda x, y: np.einsum("ij,kj->ik", x, y),
         ((transposed(2, 3), strided(4, 3)), (fortran(3, 3), transposed(2, 3)))),
]


def case_id(case: Case, shapes: tuple) -> str:
    return f"{case.name} on {' '.join(str(spec_of(s)) for s in shapes)}"


CASES = [pytest.param(c, s, id=case_id(c, s)) for c in CASES_TABLE for s in c.shapes]


def case_inputs(case: Case, shapes: tuple, dtype: Any = np.float64) -> list[np.ndarray]:
    rng = seeded_rng(case_id(case, shapes))
    arrays = []
    for i, s in enumerate(shapes):
        spec = spec_of(s)
        values = draw(rng, spec.shape, case.kinds[min(i, len(case.kinds) - 1)]).astype(dtype)
        arrays.append(laid_out(values, spec.layout))
    return arrays


def primitives_in(out: Tensor) -> set[str]:
    return {node._op for node in toposort(out) if node._op}


# --- the table ---------------------------------------------------------------------------------

LINALG_PRIMITIVES = {op.prim.name for op in vars(linalg_ops).values()
                     if isinstance(op, linalg_ops.Op) and op.prim is not None} - {"@"}
COVERED_PRIMITIVES = {c.prim for c in CASES_TABLE} & LINALG_PRIMITIVES  # for test_ops' census


def test_every_primitive_of_the_linalg_family_has_cases() -> None:
    assert LINALG_PRIMITIVES == COVERED_PRIMITIVES == {
        "einsum", "inv", "det", "slogdet", "solve", "cholesky", "eigh", "svd", "pinv", "qr"}


@pytest.mark.parametrize(("case", "shapes"), CASES)
def test_forward_matches_numpy_in_float64_and_records_the_primitive(case: Case,
                                                                    shapes: tuple) -> None:
    arrays = case_inputs(case, shapes)
    leaves = [leaf(a) for a in arrays]
    out = case.fn(*leaves)
    expected = case.ref(*arrays)
    assert isinstance(out, Tensor) and out.dtype == np.float64
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-12)
    if out.size:
        assert case.prim in primitives_in(out)


@pytest.mark.parametrize(("case", "shapes"), CASES)
def test_gradients_match_central_differences_to_second_order(case: Case,
                                                             shapes: tuple) -> None:
    assert gradcheck(case.fn, *case_inputs(case, shapes), eps=case.eps, order=2)


@pytest.mark.parametrize(("case", "shapes"), CASES)
def test_float32_in_gives_float32_out_and_gradients_close_to_float64(case: Case,
                                                                     shapes: tuple) -> None:
    arrays32 = case_inputs(case, shapes, np.float32)
    w = seeded_rng("upstream " + case_id(case, shapes))

    def run(arrays: list[np.ndarray]) -> tuple[Tensor, list[Tensor]]:
        leaves = [leaf(a) for a in arrays]
        out = case.fn(*leaves)
        out.backward(np.asarray(w_out, dtype=out.dtype))
        return out, leaves

    w_out = w.standard_normal(np.shape(case.ref(*[a.astype(np.float64) for a in arrays32])))
    out32, leaves32 = run(arrays32)
    out64, leaves64 = run([laid_out(a.astype(np.float64), spec_of(s).layout)
                           for a, s in zip(arrays32, shapes, strict=True)])
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32.data, out64.data, rtol=1e-4, atol=1e-4)
    for x32, x64 in zip(leaves32, leaves64, strict=True):
        assert x32.grad.dtype == np.float32 and x32.grad.shape == x32.shape
        scale = max(1.0, float(np.abs(x64.grad).max(initial=0.0)))
        np.testing.assert_allclose(x32.grad, x64.grad, rtol=1e-3, atol=1e-4 * scale)


@pytest.mark.parametrize(("case", "shapes"), [p for p in CASES if any(
    spec_of(s).layout != "C" for s in p.values[1])])
def test_non_contiguous_inputs_give_the_contiguous_results_and_gradients(
        case: Case, shapes: tuple) -> None:
    arrays = case_inputs(case, shapes)
    w = seeded_rng("layout").standard_normal(np.shape(case.ref(*arrays)))
    results = []
    for xs in (arrays, [np.ascontiguousarray(a) for a in arrays]):
        leaves = [leaf(x) for x in xs]
        out = case.fn(*leaves)
        out.backward(w)
        results.append((out.data, [t.grad for t in leaves]))
    (out_a, grads_a), (out_c, grads_c) = results
    np.testing.assert_allclose(out_a, out_c, rtol=1e-12, atol=1e-13)
    for ga, gc in zip(grads_a, grads_c, strict=True):
        np.testing.assert_allclose(ga, gc, rtol=1e-10, atol=1e-12)


# --- whole decompositions against numpy -----------------------------------------------------------

@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 3, 3), (2, 4, 3)])
def test_decompositions_return_numpys_result_types_and_values(shape: Shape) -> None:
    a = draw(seeded_rng(f"decompositions {shape}"), shape, "real")
    t = Tensor(a, requires_grad=True)
    for ours, theirs in ((la.svd(t, full_matrices=False), np.linalg.svd(a, full_matrices=False)),
                         (la.qr(t), np.linalg.qr(a))):
        assert type(ours).__name__ == type(theirs).__name__ and ours._fields == theirs._fields
        for x, y in zip(ours, theirs, strict=True):
            assert isinstance(x, Tensor) and x.requires_grad
            np.testing.assert_allclose(x.data, y, rtol=1e-12, atol=1e-13)
    if shape[-1] == shape[-2]:
        s = draw(seeded_rng(f"spd {shape}"), shape, "spd")
        for ours, theirs in ((la.eigh(Tensor(s)), np.linalg.eigh(s)),
                             (la.slogdet(Tensor(s)), np.linalg.slogdet(s)),
                             (la.svd(Tensor(s)), np.linalg.svd(s))):  # square: full_matrices ok
            assert type(ours).__name__ == type(theirs).__name__
            for x, y in zip(ours, theirs, strict=True):
                np.testing.assert_allclose(x.data, y, rtol=1e-12, atol=1e-13)


def test_slogdet_sign_is_a_constant_and_logabsdet_carries_the_gradient() -> None:
    a = np.array([[0.0, 2.0], [3.0, 1.0]])  # det −6
    t = Tensor(a, requires_grad=True)
    sign, logabsdet = la.slogdet(t)
    assert sign.item() == -1.0 and not sign.requires_grad
    assert logabsdet.item() == pytest.approx(math.log(6.0))
    logabsdet.backward()
    np.testing.assert_allclose(t.grad, np.linalg.inv(a).T, rtol=1e-12)


def test_qr_modes() -> None:
    a = draw(seeded_rng("qr modes"), (2, 4), "real")
    q, r = la.qr(Tensor(a), mode="complete")  # m ≤ n: the same as reduced
    np.testing.assert_allclose(q.data @ r.data, a, atol=1e-12)
    with pytest.raises(ValueError, match=r"qr: mode='complete' is not supported.*\(4, 2\)"):
        la.qr(Tensor(a.T), mode="complete")
    with pytest.raises(ValueError, match=r"qr: mode='raw'"):
        la.qr(Tensor(a), mode="raw")


# --- numpy's dispatch: np.<fn>(tensor) records the op ------------------------------------------

M = draw(seeded_rng("dispatch"), (3, 3), "invertible")
SPD = draw(seeded_rng("dispatch spd"), (3, 3), "spd")
V3 = np.array([0.5, -1.0, 2.0])

DISPATCH = {  # np call on Tensors, our function, the inputs
    "np.dot": (np.dot, autograd_lite.dot, (M, V3)),
    "np.vdot": (np.vdot, autograd_lite.vdot, (M, M.T)),
    "np.inner": (np.inner, autograd_lite.inner, (M, V3)),
    "np.outer": (np.outer, autograd_lite.outer, (V3, M)),
    "np.tensordot": (lambda a, b: np.tensordot(a, b, axes=([0], [1])),
                     lambda a, b: autograd_lite.tensordot(a, b, axes=([0], [1])), (M, M)),
    "np.linalg.tensordot": (lambda a, b: np.linalg.tensordot(a, b, axes=1),
                            lambda a, b: la.tensordot(a, b, axes=1), (M, V3)),
    "np.kron": (np.kron, autograd_lite.kron, (M, V3)),
    "np.einsum": (lambda a, b: np.einsum("ij,j->i", a, b, optimize=True),
                  lambda a, b: autograd_lite.einsum("ij,j->i", a, b), (M, V3)),
    "np.einsum (sublists)": (lambda a: np.einsum(a, [0, 0]), lambda a: autograd_lite.einsum(
        "ii", a), (M,)),
    "np.linalg.matmul": (np.linalg.matmul, la.matmul, (M, V3)),
    "np.linalg.inv": (np.linalg.inv, la.inv, (M,)),
    "np.linalg.det": (np.linalg.det, la.det, (M,)),
    "np.linalg.slogdet": (lambda a: np.linalg.slogdet(a)[1], lambda a: la.slogdet(a)[1], (M,)),
    "np.linalg.solve": (np.linalg.solve, la.solve, (M, V3)),
    "np.linalg.cholesky": (lambda a: np.linalg.cholesky(sym(a), upper=True),
                           lambda a: la.cholesky(sym(a), upper=True), (SPD,)),
    "np.linalg.eigh": (lambda a: np.linalg.eigh(sym(a), UPLO="U")[0],
                       lambda a: la.eigh(sym(a), UPLO="U")[0], (SPD,)),
    "np.linalg.svd": (lambda a: np.linalg.svd(a, full_matrices=False).S,
                      lambda a: la.svd(a, full_matrices=False).S, (M[:, :2],)),
    "np.linalg.pinv": (lambda a: np.linalg.pinv(a, rcond=1e-12),
                       lambda a: la.pinv(a, rcond=1e-12), (M[:2],)),
    "np.linalg.qr": (lambda a: np.linalg.qr(a).R, lambda a: la.qr(a).R, (M,)),
}


@pytest.mark.parametrize("name", DISPATCH)
def test_numpy_call_on_tensors_records_the_op_and_gives_the_functions_gradient(
        name: str) -> None:
    np_call, ours, inputs = DISPATCH[name]
    results = []
    for fn in (np_call, ours):
        leaves = [Tensor(x, requires_grad=True) for x in inputs]
        out = fn(*leaves)
        assert isinstance(out, Tensor) and out.requires_grad
        out.backward(np.ones(out.shape))
        results.append((out.data, [t.grad for t in leaves], primitives_in(out)))
    (o1, g1, p1), (o2, g2, p2) = results
    assert p1 == p2
    np.testing.assert_allclose(o1, o2, rtol=1e-12)
    for a, b in zip(g1, g2, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_numpy_einsum_with_dtype_computes_in_that_dtype() -> None:
    t = Tensor(M, requires_grad=True)
    out = np.einsum("ij,j->i", t, V3, dtype=np.float32)
    assert out.dtype == np.float32
    out.sum().backward()
    assert t.grad.dtype == np.float64
    np.testing.assert_allclose(t.grad, np.broadcast_to(V3, (3, 3)), rtol=1e-6)


def test_numpy_calls_return_numpys_result_types() -> None:
    t = Tensor(SPD, requires_grad=True)
    assert type(np.linalg.eigh(t)).__name__ == "EighResult"
    assert type(np.linalg.svd(t)).__name__ == "SVDResult"
    assert type(np.linalg.qr(t)).__name__ == "QRResult"
    assert type(np.linalg.slogdet(t)).__name__ == "SlogdetResult"
    assert isinstance(np.linalg.svd(t, compute_uv=False), Tensor)


def test_dot_is_a_tensor_method_and_linalg_ops_stay_out_of_the_top_level() -> None:
    x = Tensor(M, requires_grad=True)
    np.testing.assert_allclose(x.dot(V3).data, M.dot(V3))
    for name in ("dot", "vdot", "inner", "outer", "tensordot", "einsum", "kron"):
        assert callable(getattr(autograd_lite, name))
    for name in ("inv", "det", "slogdet", "solve", "cholesky", "eigh", "svd", "pinv", "qr"):
        assert not hasattr(autograd_lite, name) and not hasattr(Tensor, name)
        fn = getattr(la, name)
        assert fn.__name__ == name and fn.__doc__ == TABLE[name].doc
        assert getattr(np.linalg, name) in TABLE[name].numpy


def test_linalg_namespace_exposes_norm_when_the_table_has_it() -> None:
    if "norm" not in TABLE:
        pytest.skip("no norm op in the table")
    x = Tensor(M, requires_grad=True)
    np.testing.assert_allclose(la.norm(x).data, np.linalg.norm(M), rtol=1e-12)


# --- einsum: parsing, against numpy ------------------------------------------------------------

@pytest.mark.parametrize(("subscripts", "shapes"), [
    ("ij,jk->ik", ((2, 3), (4, 4))), ("ii", ((2, 3),)), ("i->ii", ((3,),)), ("i->j", ((3,),)),
    ("...i,...i->", ((2, 3), (3,))), ("i,i->i", ((2,), (3,))), ("ij", ((3,),)),
    ("ij,jk", ((2, 3),)), ("i.j", ((2, 3),)), ("i->i->i", ((2,),)), ("ij->i1", ((2, 3),)),
    ("......", ((2, 3),)), ("ijk", ((2, 3),)),
])
def test_einsum_refuses_what_numpy_refuses(subscripts: str, shapes: tuple) -> None:
    arrays = [np.ones(s) for s in shapes]
    with pytest.raises(ValueError):
        np.einsum(subscripts, *arrays)
    with pytest.raises(ValueError, match=r"^einsum: "):
        autograd_lite.einsum(subscripts, *(Tensor(a) for a in arrays))


@pytest.mark.parametrize("args", [(), ("not a tensor",), (1.5,), ([1.0], "ij")],
                         ids=["nothing", "subscripts only", "one number", "bad sublist"])
def test_einsum_without_operands_or_with_bad_sublists_raises_type_error(args: tuple) -> None:
    with pytest.raises((TypeError, ValueError), match="einsum"):
        autograd_lite.einsum(*args)


@st.composite
def einsum_problems(draw_: st.DrawFn) -> tuple[str, list[np.ndarray]]:
    """Random valid einsums: 1-3 operands over labels a-d (sizes 1-3), repeated labels,
    size-1 labels that broadcast, '...' with broadcast dimensions, implicit or explicit
    output."""
    sizes = {ch: draw_(st.integers(1, 3)) for ch in "abcd"}
    batch = draw_(st.lists(st.integers(1, 3), max_size=2))
    terms, shapes = [], []
    for _ in range(draw_(st.integers(1, 3))):
        labels = draw_(st.lists(st.sampled_from("abcd"), max_size=3))
        ellipsis = bool(batch) and draw_(st.booleans())
        shape = [1 if sizes[ch] > 1 and labels.count(ch) == 1 and draw_(st.integers(0, 5)) == 0
                 else sizes[ch] for ch in labels]
        if ellipsis:
            own = batch[len(batch) - draw_(st.integers(0, len(batch))):]
            dims = [1 if draw_(st.booleans()) else n for n in own]
            at = draw_(st.integers(0, len(labels)))
            terms.append("".join(labels[:at]) + "..." + "".join(labels[at:]))
            shape = shape[:at] + dims + shape[at:]
        else:
            terms.append("".join(labels))
        shapes.append(tuple(shape))
    used = sorted(set("".join(terms)) - {"."})
    subscripts = ",".join(terms)
    if draw_(st.booleans()):
        out = draw_(st.permutations(used))[:draw_(st.integers(0, len(used)))]
        subscripts += "->" + ("..." if "..." in subscripts else "") + "".join(out)
    rng = np.random.default_rng(draw_(st.integers(0, 2**32 - 1)))
    return subscripts, [rng.uniform(0.2, 2.0, size=s) * rng.choice([-1, 1], size=s)
                        for s in shapes]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(problem=einsum_problems())
def test_random_einsums_match_numpy_and_central_differences(
        problem: tuple[str, list[np.ndarray]]) -> None:
    subscripts, arrays = problem
    try:
        expected = np.einsum(subscripts, *arrays)
    except ValueError:  # e.g. a size-1 label that numpy will not broadcast here: ours refuses
        with pytest.raises(ValueError, match=r"^einsum: "):
            autograd_lite.einsum(subscripts, *(Tensor(a) for a in arrays))
        return
    out = autograd_lite.einsum(subscripts, *(Tensor(a) for a in arrays))
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda *ts: autograd_lite.einsum(subscripts, *ts), *arrays)


def test_einsum_with_a_tensor_used_twice_adds_both_gradients() -> None:
    x = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    autograd_lite.einsum("ij,ji->", x, x).backward()  # tr(x·x): gradient 2xᵀ
    np.testing.assert_allclose(x.grad, 2 * x.data.T)


def test_einsum_gradient_of_a_diagonal_lands_on_the_diagonal_only() -> None:
    x = Tensor(np.arange(9.0).reshape(3, 3), requires_grad=True)
    autograd_lite.einsum("ii->i", x).backward(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(x.grad, np.diag([1.0, 2.0, 3.0]))


# --- conventions ---------------------------------------------------------------------------------

def grad_of(fn: Callable[[Tensor], Tensor], a: np.ndarray) -> np.ndarray:
    t = Tensor(a, requires_grad=True)
    out = fn(t)
    out.backward(np.ones(out.shape))
    return t.grad


def test_symmetric_ops_give_symmetric_gradients() -> None:
    a = draw(seeded_rng("symmetric"), (4, 4), "spd")
    w = seeded_rng("symmetric w").standard_normal((4, 4))
    for fn in (lambda t: la.cholesky(t) * w, lambda t: la.eigh(t).eigenvalues * w[0],
               lambda t: la.eigh(t).eigenvectors ** 2 * w):
        g = grad_of(fn, a)
        np.testing.assert_allclose(g, g.T, rtol=1e-12, atol=1e-12)


def test_eigh_with_repeated_eigenvalues_finite_gradients_exact_for_eigenspace_losses() -> None:
    q = np.linalg.qr(seeded_rng("repeated").standard_normal((3, 3)))[0]
    a = q @ np.diag([1.0, 1.0, 2.0]) @ q.T  # a repeated eigenvalue
    # through the eigenvalues: V·diag(w̄)·Vᵀ, defined
    weights = np.array([1.0, 1.0, 5.0])
    np.testing.assert_allclose(grad_of(lambda t: la.eigh(sym(t)).eigenvalues * weights, a),
                               q @ np.diag(weights) @ q.T, atol=1e-12)
    # through the eigenvectors, by a loss of the eigenspaces only (5·P₁₂ + 7·P₃): finite and
    # equal to central differences, although each eigenvector alone has no derivative

    def projectors(t: Tensor) -> Tensor:
        v = la.eigh(sym(t)).eigenvectors
        return ((v * np.array([5.0, 5.0, 7.0])) @ v.T * np.arange(9.0).reshape(3, 3)).sum()

    assert np.all(np.isfinite(grad_of(projectors, a)))
    assert gradcheck(projectors, a)


def test_svd_with_repeated_and_zero_singular_values_gives_finite_gradients() -> None:
    q = np.linalg.qr(seeded_rng("svd repeated").standard_normal((4, 4)))[0]
    a = q[:, :3] @ np.diag([2.0, 2.0, 0.0])  # (4, 3): a repeated and a zero singular value
    g = grad_of(lambda t: la.svd(t, full_matrices=False).S * np.array([1.0, 1.0, 3.0]), a)
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(g, u @ np.diag([1.0, 1.0, 3.0]) @ vh, atol=1e-12)
    assert np.all(np.isfinite(grad_of(lambda t: svd_weighted(t) ** 2, a)))


def cofactor_matrix(a: np.ndarray) -> np.ndarray:
    n = a.shape[0]
    return np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1))
                      for j in range(n)] for i in range(n)])


@pytest.mark.parametrize("a", [np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, 1.0, -1.0]]),
                               np.array([[1.0, 2.0], [2.0, 4.0]]), np.zeros((3, 3))],
                         ids=["rank 2", "rank 1 (2x2)", "zero"])
def test_det_gradient_at_a_singular_matrix_is_the_cofactor_matrix(a: np.ndarray) -> None:
    np.testing.assert_allclose(grad_of(la.det, a), cofactor_matrix(a), atol=1e-12)
    stack = Tensor(np.stack([a, np.eye(len(a))]), requires_grad=True)
    la.det(stack).sum().backward()
    np.testing.assert_allclose(stack.grad[0], cofactor_matrix(a), atol=1e-12)


@pytest.mark.parametrize(("fn", "pattern"), [
    (lambda: la.inv(Tensor(np.ones((2, 2)))), r"^inv: Singular matrix.*\(2, 2\)"),
    (lambda: la.inv(Tensor(np.ones((2, 3)))), r"^inv: expected a square matrix.*\(2, 3\)"),
    (lambda: la.det(Tensor(np.ones(3))), r"^det: expected a square matrix.*\(3,\)"),
    (lambda: la.solve(Tensor(np.ones((2, 2))), np.ones(2)), r"^solve: Singular matrix"),
    (lambda: la.solve(Tensor(np.eye(2)), np.ones(3)), r"^solve: .*\(2, 2\).*\(3,\)"),
    (lambda: la.cholesky(Tensor(-np.eye(2))), r"^cholesky: .*not positive definite"),
    (lambda: la.eigh(Tensor(np.eye(2)), UPLO="X"), r"^eigh: UPLO must be 'L' or 'U'"),
    (lambda: la.svd(Tensor(np.ones((3, 2)))), r"^svd: full_matrices=True on a non-square"),
    (lambda: la.qr(Tensor(np.ones(3))), r"^qr: expected a matrix"),
    (lambda: autograd_lite.dot(Tensor(np.ones((2, 3))), np.ones((2, 3))),
     r"^dot: shapes \(2, 3\) and \(2, 3\) not aligned"),
    (lambda: autograd_lite.tensordot(Tensor(np.ones((2, 3))), np.ones((2, 3)), axes=1),
     r"^tensordot: shapes \(2, 3\) and \(2, 3\) do not align"),
    (lambda: autograd_lite.tensordot(Tensor(np.ones(3)), np.ones(3), axes=2),
     r"^tensordot: axes=2"),
    (lambda: autograd_lite.tensordot(Tensor(np.ones(3)), np.ones(3), axes=([0], [0, 1])),
     r"^tensordot: axes"),
    (lambda: autograd_lite.inner(Tensor(np.ones(2)), np.ones(3)), r"^inner: shapes"),
    (lambda: autograd_lite.vdot(Tensor(np.ones(2)), np.ones(3)), r"^vdot: shapes"),
], ids=["inv singular", "inv non-square", "det 1-D", "solve singular", "solve mismatch",
        "cholesky not PD", "eigh UPLO", "svd full_matrices", "qr 1-D", "dot", "tensordot",
        "tensordot axes", "tensordot pairs", "inner", "vdot"])
def test_errors_name_the_op_and_the_shapes(fn: Callable[[], Any], pattern: str) -> None:
    with pytest.raises((ValueError, TypeError), match=pattern):
        fn()


def test_singular_matrix_raises_linalg_error_naming_the_op() -> None:
    with pytest.raises(np.linalg.LinAlgError, match="inv"):
        la.inv(Tensor(np.ones((2, 2)), requires_grad=True))
    t = Tensor(np.ones((2, 2)), requires_grad=True)
    logabsdet = la.slogdet(t).logabsdet  # −inf: no gradient
    with pytest.raises(np.linalg.LinAlgError, match=r"^inv: Singular matrix"):
        logabsdet.backward()


EMPTY_OPS = {"inv": la.inv, "det": la.det, "slogdet": lambda a: la.slogdet(a)[1],
             "cholesky": la.cholesky, "eigh": lambda a: la.eigh(a)[1],
             "svd": lambda a: la.svd(a)[1], "pinv": la.pinv, "qr": lambda a: la.qr(a)[0],
             "solve": lambda a: la.solve(a, np.zeros(a.shape[:-1] + (2,)))}


@pytest.mark.parametrize("name", EMPTY_OPS)
@pytest.mark.parametrize("shape", [(0, 0), (0, 3, 3), (2, 0, 0)])
def test_empty_matrices_and_empty_stacks_give_empty_results_and_gradients(
        name: str, shape: Shape) -> None:
    t = Tensor(np.zeros(shape), requires_grad=True)
    out = EMPTY_OPS[name](t)
    assert out.size == 0 or name in ("det", "slogdet")
    out.backward(np.ones(out.shape))
    assert t.grad.shape == shape


# --- PyTorch, float64: values, gradients, second derivatives ----------------------------------

class TorchCase(NamedTuple):
    ours: Callable[..., Tensor]
    theirs: Callable[..., Any]  # the same on torch tensors
    inputs: tuple[tuple[Shape, str], ...]  # (shape, kind) per input
    second_order: bool = True


def t_sym(x: Any) -> Any:
    return (x + x.transpose(-1, -2)) * 0.5


def torch_cases() -> dict[str, TorchCase]:
    import torch

    def eigh_spectral(x: Any) -> Any:
        w, v = torch.linalg.eigh(t_sym(x))
        return (v * torch.arange(1.0, w.shape[-1] + 1, dtype=x.dtype)) @ v.transpose(-1, -2)

    def svd_weighted_torch(x: Any) -> Any:
        u, s, vh = torch.linalg.svd(x, full_matrices=False)
        return (u * torch.arange(1.0, s.shape[-1] + 1, dtype=x.dtype)) @ vh

    return {
        "inv": TorchCase(la.inv, torch.linalg.inv, (((2, 3, 3), "invertible"),)),
        "det": TorchCase(la.det, torch.linalg.det, (((2, 3, 3), "invertible"),)),
        "slogdet": TorchCase(lambda a: la.slogdet(a)[1], lambda a: torch.linalg.slogdet(a)[1],
                             (((2, 3, 3), "invertible"),)),
        "solve": TorchCase(la.solve, torch.linalg.solve,
                           (((2, 3, 3), "invertible"), ((2, 3, 2), "real"))),
        "cholesky": TorchCase(lambda a: la.cholesky(sym(a)),
                              lambda a: torch.linalg.cholesky(t_sym(a)), (((2, 3, 3), "spd"),)),
        "cholesky upper": TorchCase(lambda a: la.cholesky(sym(a), upper=True),
                                    lambda a: torch.linalg.cholesky(t_sym(a), upper=True),
                                    (((3, 3), "spd"),)),
        "eigh eigenvalues": TorchCase(lambda a: la.eigh(sym(a))[0],
                                      lambda a: torch.linalg.eigh(t_sym(a))[0],
                                      (((2, 3, 3), "spd"),)),
        "eigh V·diag·Vᵀ": TorchCase(spectral, eigh_spectral, (((2, 3, 3), "spd"),)),
        "svd S": TorchCase(lambda a: la.svd(a, full_matrices=False)[1],
                           lambda a: torch.linalg.svdvals(a), (((2, 4, 3), "real"),)),
        "svd U·diag·Vh (m > n)": TorchCase(svd_weighted, svd_weighted_torch,
                                           (((4, 3), "real"),)),
        "svd U·diag·Vh (m < n)": TorchCase(svd_weighted, svd_weighted_torch,
                                           (((2, 4), "real"),)),
        "pinv": TorchCase(la.pinv, torch.linalg.pinv, (((2, 4, 3), "real"),)),
        "qr Q (m > n)": TorchCase(lambda a: la.qr(a)[0], lambda a: torch.linalg.qr(a)[0],
                                  (((4, 3), "real"),)),
        "qr R (m < n)": TorchCase(lambda a: la.qr(a)[1], lambda a: torch.linalg.qr(a)[1],
                                  (((2, 4), "real"),)),
        "einsum trace and diagonal": TorchCase(
            lambda a, b: autograd_lite.einsum("ii,...ij->...j", a, b),
            lambda a, b: torch.einsum("ii,...ij->...j", a, b),
            (((3, 3), "real"), ((2, 3, 4), "real"))),
        "tensordot": TorchCase(lambda a, b: autograd_lite.tensordot(a, b, axes=([1, 0], [0, 1])),
                               lambda a, b: torch.tensordot(a, b, dims=([1, 0], [0, 1])),
                               (((3, 4, 2), "real"), ((4, 3, 5), "real"))),
        "kron": TorchCase(autograd_lite.kron, torch.kron, (((2, 3), "real"), ((3, 2), "real"))),
        "inner": TorchCase(autograd_lite.inner, torch.inner,
                           (((2, 3), "real"), ((4, 3), "real"))),
        "outer": TorchCase(autograd_lite.outer, torch.outer, (((3,), "real"), ((4,), "real"))),
        "vdot": TorchCase(autograd_lite.vdot, torch.vdot, (((5,), "real"), ((5,), "real"))),
        "dot 2-D": TorchCase(autograd_lite.dot, torch.matmul,
                             (((2, 3), "real"), ((3, 4), "real"))),
    }


TORCH_CASES = ["inv", "det", "slogdet", "solve", "cholesky", "cholesky upper", "eigh eigenvalues",
               "eigh V·diag·Vᵀ", "svd S", "svd U·diag·Vh (m > n)", "svd U·diag·Vh (m < n)",
               "pinv", "qr Q (m > n)", "qr R (m < n)", "einsum trace and diagonal", "tensordot",
               "kron", "inner", "outer", "vdot", "dot 2-D"]


def torch_comparison(name: str) -> dict[str, float]:
    """Max |ours − torch| for the values, the gradients of ⟨w, f⟩ and the Hessian-vector
    products along v (second order), at the same float64 point."""
    import torch

    case = torch_cases()[name]
    rng = seeded_rng("torch " + name)
    xs = [draw(rng, shape, kind) for shape, kind in case.inputs]
    vs = [sym(v) if kind == "spd" else v for v, (_, kind) in
          zip((rng.standard_normal(x.shape) for x in xs), case.inputs, strict=True)]

    ours = [Tensor(x, requires_grad=True) for x in xs]
    out = case.ours(*ours)
    w = rng.standard_normal(out.shape)
    (out * w).sum().backward(create_graph=True)
    grads = [t.grad for t in ours]
    for t in ours:
        t.zero_grad()
    sum((g * v).sum() for g, v in zip(grads, vs, strict=True)).backward()
    hvps = [t.grad for t in ours]

    theirs = [torch.tensor(x, requires_grad=True) for x in xs]
    out_t = case.theirs(*theirs)
    grads_t = torch.autograd.grad((out_t * torch.tensor(w)).sum(), theirs, create_graph=True)
    hvps_t = torch.autograd.grad(sum((g * torch.tensor(v)).sum() for g, v in
                                     zip(grads_t, vs, strict=True)), theirs)

    def diff(a: Any, b: Any) -> float:
        return float(np.max(np.abs(np.asarray(a) - b.detach().numpy()), initial=0.0))

    return {"value": diff(out.data, out_t),
            "gradient": max(diff(g.data, gt) for g, gt in zip(grads, grads_t, strict=True)),
            "second order": max(diff(h, ht) for h, ht in zip(hvps, hvps_t, strict=True))}


@pytest.mark.parametrize("name", TORCH_CASES)
def test_values_gradients_and_second_derivatives_match_pytorch_in_float64(name: str) -> None:
    pytest.importorskip("torch")
    diffs = torch_comparison(name)
    assert diffs["value"] < 1e-12, diffs
    assert diffs["gradient"] < 1e-10, diffs
    assert diffs["second order"] < 1e-9, diffs

