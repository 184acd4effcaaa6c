"""Linear algebra: `matmul` (the `@` operator) and `einsum`, the products built on them
(`dot vdot inner outer tensordot kron`, composites), and numpy.linalg's `inv det slogdet solve
cholesky eigh svd pinv qr` (exposed as `autograd_lite.linalg.<name>`, not at top level).

Every VJP is written with `@`, transposes and the recorded ops of this file (`inv_of`,
`solve_of`, `einsum_of` call the op on Tensors and numpy on arrays), so second and higher
derivatives follow. Decompositions that return several arrays (eigh, svd, qr, slogdet) are one
primitive whose output packs them along the second-to-last axis (`eigh` of (…, n, n) gives
(…, n + 1, n): the eigenvalues as a row above the eigenvectors); the composite of the same name
slices the pack, so the factorization runs once and each part's adjoint reaches the same VJP.
Notation: Xᵀ swaps the last two axes; ḡ = ∂L/∂out; Ā = ∂L/∂A.
"""

from __future__ import annotations

import math
import string
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from ..engine import apply, op_error
from ..opdef import Op, is_node
from . import shape  # the module, not its ops: OPS collects every Op this module holds
from .selection import Lift, broadcast_to_of, raw, where_of


def _matmul_forward(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    try:
        return np.matmul(x, y)
    except ValueError:
        pass  # say which dimensions disagree (numpy's message names none)
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(f"shapes {x.shape} and {y.shape}: both operands need at least one "
                         "dimension (use * to multiply by a scalar)")
    k_x, k_y = x.shape[-1], y.shape[-2 if y.ndim > 1 else 0]
    if k_x != k_y:
        where_y = "second-to-last" if y.ndim > 1 else "only"
        raise ValueError(f"shapes {x.shape} and {y.shape} do not align: the last dimension of "
                         f"the first ({k_x}) must equal the {where_y} dimension of the second "
                         f"({k_y})")
    try:
        np.broadcast_shapes(x.shape[:-2], y.shape[:-2])
    except ValueError:
        raise ValueError(f"shapes {x.shape} and {y.shape}: the batch dimensions {x.shape[:-2]} "
                         f"and {y.shape[:-2]} cannot be broadcast together") from None
    return np.matmul(x, y)  # numpy's own error, if it still refuses


def _matmul_vjp_x(g: Any, out: Any, x: Any, y: Any) -> Any:
    """x̄ = ḡ·yᵀ (1-D operands are treated as a row / a column, then summed back)."""
    if y.ndim == 1:
        return g.reshape(g.shape + (1,)) * y if x.ndim > 1 else g * y
    if x.ndim == 1:
        g = g.reshape(g.shape[:-1] + (1,) + g.shape[-1:])
    return g @ y.swapaxes(-1, -2)


def _matmul_vjp_y(g: Any, out: Any, x: Any, y: Any) -> Any:
    """ȳ = xᵀ·ḡ (1-D operands as for x̄)."""
    if x.ndim == 1:
        return x.reshape(-1, 1) * g.reshape(g.shape[:-1] + (1,) + g.shape[-1:]) \
            if y.ndim > 1 else g * x
    if y.ndim == 1:
        return x * g.reshape(g.shape + (1,))
    return x.swapaxes(-1, -2) @ g


MATMUL = Op("matmul", "linalg",
            "x @ y (1-D, 2-D and batched, numpy's rules); x̄ = ḡ·yᵀ, ȳ = xᵀ·ḡ, batch axes "
            "summed back.",
            forward=_matmul_forward, vjps=(_matmul_vjp_x, _matmul_vjp_y), symbol="@",
            method=None, front=lambda lift, x, y: ((lift(x), lift(y)), {}),
            broadcasts=True,  # batch dimensions broadcast: the engine sums them back
            numpy=(np.matmul, np.linalg.matmul))


# --- helpers: numpy on arrays, the recorded op on Tensors ----------------------------------------

def _t(x: Any) -> Any:
    """xᵀ: the last two axes swapped (arrays and Tensors alike)."""
    return x.swapaxes(-1, -2)


def _lifted(xs: Sequence[Any]) -> tuple[Any, ...]:
    """All of `xs` as Tensors (arrays and numbers as constants) if one of them is a Tensor."""
    like = next(x for x in xs if is_node(x))
    return tuple(x if is_node(x) else like._lift(x, like) for x in xs)


def _dual(op: Op) -> Any:
    """`op` as a function of arrays (its numpy forward) or Tensors (recorded): for VJPs."""
    def fn(*xs: Any, **params: Any) -> Any:
        if any(is_node(x) for x in xs):
            return apply(op.prim, *_lifted(xs), **params)  # type: ignore[arg-type]
        try:
            return op.forward(*xs, **params)  # type: ignore[misc]
        except ValueError as e:  # LinAlgError included: name the op, as `apply` does
            raise op_error(op.name, [np.asarray(x) for x in xs], e) from None
    fn.__name__ = f"{op.name}_of"
    return fn


def _eye(n: int, like: Any) -> np.ndarray:
    """The identity in `like`'s dtype (a constant of the VJP)."""
    return np.eye(n, dtype=raw(like).dtype)


def _tril(n: int, like: Any, k: int = 0) -> np.ndarray:
    """Ones on and below diagonal `k`, in `like`'s dtype: a constant mask."""
    return np.tri(n, n, k, dtype=raw(like).dtype)


def _reciprocal_unless(skip: np.ndarray, x: Any) -> Any:
    """1/x, and 0 where `skip` (a constant mask), without dividing by 0 there."""
    return where_of(skip, 0.0, 1 / where_of(skip, 1.0, x))


def _gap_inverse(w: Any, tol: np.ndarray, values: Any = None) -> Any:
    """F with F_ij = 1/(v_j − v_i) (v = `values`, default w), and 0 on the diagonal and
    wherever |w_j − w_i| ≤ tol (a repeated value: the term is dropped; see eigh, svd)."""
    wr = raw(w)
    degenerate = np.abs(wr[..., None, :] - wr[..., :, None]) <= tol[..., None, None]
    v = w if values is None else values
    return _reciprocal_unless(degenerate, v[..., None, :] - v[..., :, None])


def _square(a: Any, op: str) -> int:
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{op}: expected a square matrix or a stack of them (..., n, n), got "
                         f"shape {a.shape}")
    return int(a.shape[-1])


def _matrix(a: Any, op: str) -> None:
    if a.ndim < 2:
        raise ValueError(f"{op}: expected a matrix or a stack of them (..., m, n), got shape "
                         f"{a.shape}")


# --- einsum ---------------------------------------------------------------------------------------

# numpy's labels: sublist integers 0..25 are 'A'..'Z' and 26..51 are 'a'..'z'
_LETTERS = string.ascii_uppercase + string.ascii_lowercase


def _sublist(labels: Any) -> str:
    try:
        return "".join("..." if i is Ellipsis else _LETTERS[i] for i in labels)
    except (TypeError, IndexError):
        raise TypeError(f"einsum: a sublist holds integers 0..51 and Ellipsis, got "
                        f"{labels!r}") from None


def _einsum_arguments(args: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    """(subscripts, operands) from `einsum("ij,jk", x, y)` or the interleaved form
    `einsum(x, [0, 1], y, [1, 2], [0, 2])`."""
    if args and isinstance(args[0], str):
        return args[0], args[1:]
    if len(args) < 2:
        raise TypeError("einsum: expected a subscripts string and operands "
                        "(einsum('ij,jk->ik', x, y)), or operands and sublists interleaved "
                        "(einsum(x, [0, 1], y, [1, 2]))")
    pairs = len(args) // 2
    terms = [_sublist(args[2 * i + 1]) for i in range(pairs)]
    out = "->" + _sublist(args[-1]) if len(args) % 2 else ""
    return ",".join(terms) + out, tuple(args[2 * i] for i in range(pairs))


def _einsum_canonical(subscripts: str, shapes: Sequence[tuple[int, ...]]) -> str:
    """`subscripts` in explicit form with every '...' spelled out in unused letters and the
    output written (implicit mode: '...' then the labels used once, in order), checked
    against the operands' shapes with numpy's rules; e.g. '...ij,jk' on (2, 3, 4) and
    (4, 5) gives 'Aij,jk->Aik'."""
    s = subscripts.replace(" ", "")
    lhs, arrow, rhs = s.partition("->")
    if "->" in rhs:
        raise ValueError(f"einsum: subscripts {subscripts!r} have more than one '->'")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: subscripts {subscripts!r} name {len(terms)} operand(s), "
                         f"got {len(shapes)}")

    def letters(term: str) -> str:
        rest = term.replace("...", "", 1)
        bad = [ch for ch in rest if ch not in _LETTERS]
        if bad:
            raise ValueError(f"einsum: invalid subscript {bad[0]!r} in {subscripts!r} (use "
                             "letters and at most one '...' per operand)")
        return rest

    spans = []  # per operand: how many dimensions its '...' covers (-1: none)
    for k, (term, dims) in enumerate(zip(terms, shapes, strict=True)):
        named = len(letters(term))
        if "..." in term:
            if len(dims) < named:
                raise ValueError(f"einsum: operand {k} of shape {dims} has fewer dimensions "
                                 f"than subscripts {term!r} name")
            spans.append(len(dims) - named)
        elif named != len(dims):
            raise ValueError(f"einsum: operand {k} has {len(dims)} dimension(s) (shape "
                             f"{dims}) but subscripts {term!r} name {named}")
        else:
            spans.append(-1)
    width = max([0, *spans])
    fresh = [ch for ch in _LETTERS if ch not in s][:width]
    if len(fresh) < width:
        raise ValueError(f"einsum: too many dimensions under '...' in {subscripts!r}")
    terms = [t.replace("...", "".join(fresh[width - e:]) if e else "") for t, e in
             zip(terms, spans, strict=True)]
    if arrow:
        if letters(rhs) and len(set(letters(rhs))) != len(letters(rhs)):
            raise ValueError(f"einsum: output subscripts {rhs!r} repeat a label")
        missing = [ch for ch in letters(rhs) if not any(ch in t for t in terms)]
        if missing:
            raise ValueError(f"einsum: output subscript {missing[0]!r} appears in no operand "
                             f"({subscripts!r})")
        if width and "..." not in rhs:
            raise ValueError(f"einsum: the operands have dimensions under '...' but the output "
                             f"subscripts {rhs!r} have no '...' (numpy's rule)")
        out = rhs.replace("...", "".join(fresh))
    else:
        joined = "".join(letters(t) for t in lhs.split(","))
        out = "".join(fresh) + "".join(sorted(ch for ch in set(joined) if joined.count(ch) == 1))
    sizes: dict[str, int] = {}
    for k, (term, dims) in enumerate(zip(terms, shapes, strict=True)):
        own: dict[str, int] = {}
        for ch, n in zip(term, dims, strict=True):
            if own.setdefault(ch, n) != n:
                raise ValueError(f"einsum: operand {k} of shape {dims} repeats label {ch!r} "
                                 f"over dimensions of different sizes ({own[ch]} and {n})")
            if n != 1 and sizes.setdefault(ch, n) != n:
                raise ValueError(f"einsum: label {ch!r} has size {sizes[ch]} in one operand "
                                 f"and {n} in operand {k} of shape {dims} in {subscripts!r}")
    return ",".join(terms) + "->" + out


def _einsum_front(lift: Lift, *args: Any, optimize: Any = False, dtype: Any = None,
                  order: str = "K", casting: str = "safe") -> Any:
    subscripts, operands = _einsum_arguments(args)
    like = next((x for x in operands if is_node(x)), None)
    tensors = tuple(lift(x, like) for x in operands)
    if dtype is not None:  # numpy computes in `dtype`: cast the operands (recorded)
        tensors = tuple(t.astype(dtype) for t in tensors)
    canonical = _einsum_canonical(subscripts, [t.shape for t in tensors])
    return tensors, {"subscripts": canonical, "optimize": optimize}


def _einsum_forward(*xs: np.ndarray, subscripts: str, optimize: Any) -> np.ndarray:
    return np.einsum(subscripts, *xs, optimize=optimize)


def _einsum_vjp(g: Any, out: Any, *xs: Any, subscripts: str, optimize: Any) -> list[Any]:
    """The classic rule: an operand's adjoint is the einsum of ḡ with the other operands,
    giving that operand's labels. Three cases the plain rule misses, handled here: a label
    repeated within the operand (a diagonal, 'ii->i') gets a fresh label tied to it by an
    identity (δ) operand; a label summed in this operand alone ('ij->i') cannot be an output
    of the adjoint's einsum, so the adjoint is broadcast along it; a size-1 dimension that
    broadcasting stretched is summed back to size 1."""
    lhs, rhs = subscripts.split("->")
    terms = lhs.split(",")
    sizes: dict[str, int] = {}
    for term, x in zip(terms, xs, strict=True):
        for ch, n in zip(term, x.shape, strict=True):
            sizes[ch] = max(sizes.get(ch, 1), n)
    if isinstance(optimize, (list, tuple)):
        optimize = "greedy"  # an explicit path was the forward's; the adjoints' differ
    grads = []
    for k, (term, x) in enumerate(zip(terms, xs, strict=True)):
        others = [t for j, t in enumerate(terms) if j != k]
        elsewhere = set(rhs).union(*others)
        subs, operands = [rhs, *others], [g, *(y for j, y in enumerate(xs) if j != k)]
        spare = iter(ch for ch in _LETTERS if ch not in subscripts)
        result, kept = "", []  # the adjoint's labels; which of x's axes they are
        for p, (ch, n) in enumerate(zip(term, x.shape, strict=True)):
            if ch in term[:p]:  # a repeated label: x's diagonal
                tied = next(spare)
                subs.append(ch + tied)
                operands.append(_eye(n, g))
                result += tied
                kept.append(p)
            elif n == sizes[ch] and (ch in elsewhere or term.count(ch) > 1):
                result += ch
                kept.append(p)
            # else: stretched from size 1 (summed), or summed in x alone (broadcast back)
        grad = einsum_of(",".join(subs) + "->" + result, *operands, optimize=optimize)
        shape = [1] * x.ndim
        for p, n in zip(kept, grad.shape, strict=True):
            shape[p] = n
        if tuple(shape) != tuple(grad.shape):
            grad = grad.reshape(tuple(shape))
        grads.append(grad if tuple(shape) == x.shape else broadcast_to_of(grad, x.shape))
    return grads


EINSUM = Op("einsum", "linalg",
            "Einstein summation, numpy's `einsum` (subscripts with '...', implicit output, "
            "repeated labels for diagonals and traces, or the interleaved sublist form; "
            "`optimize` and `dtype` as numpy's). Each operand's adjoint is the einsum of ḡ "
            "with the other operands: diagonals are scattered back through an identity, labels "
            "summed in one operand alone are broadcast back.",
            forward=_einsum_forward, joint=_einsum_vjp, front=_einsum_front, method=None,
            numpy=np.einsum)

_einsum_dual = _dual(EINSUM)


def einsum_of(subscripts: str, *xs: Any, optimize: Any = False) -> Any:
    """einsum with explicit subscripts: numpy on arrays, recorded on Tensors."""
    return _einsum_dual(*xs, subscripts=subscripts, optimize=optimize)


# --- products written with matmul, reshape and multiplication (composites) ----------------------

def _other(a: Any, b: Any) -> Any:
    """The second operand as a Tensor (a number takes a's dtype)."""
    return b if is_node(b) else a._lift(b, a)


def _axes_pair(axes: Any, a: Any, b: Any) -> tuple[list[int], list[int]]:
    """numpy's tensordot `axes`: N (a's last N against b's first N) or a pair of sequences."""
    if isinstance(axes, (int, np.integer)) and not isinstance(axes, bool):
        n = int(axes)
        if n < 0 or n > min(a.ndim, b.ndim):
            raise ValueError(f"tensordot: axes={n} for shapes {a.shape} and {b.shape}: it must "
                             f"lie in [0, {min(a.ndim, b.ndim)}]")
        return list(range(a.ndim - n, a.ndim)), list(range(n))
    try:
        axes_a, axes_b = axes
    except (TypeError, ValueError):
        raise TypeError(f"tensordot: axes must be an int or a pair of sequences of ints, got "
                        f"{axes!r}") from None
    axes_a = [axes_a] if isinstance(axes_a, (int, np.integer)) else list(axes_a)
    axes_b = [axes_b] if isinstance(axes_b, (int, np.integer)) else list(axes_b)
    if len(axes_a) != len(axes_b):
        raise ValueError(f"tensordot: axes {axes!r} pair {len(axes_a)} axes of the first with "
                         f"{len(axes_b)} of the second")
    for ax, x in ((axes_a, a), (axes_b, b)):
        if any(not -x.ndim <= i < x.ndim for i in ax) or len({i % x.ndim for i in ax}) != \
                len(ax):
            raise ValueError(f"tensordot: axes {axes!r} out of range or repeated for shapes "
                             f"{a.shape} and {b.shape}")
    return [i % a.ndim for i in axes_a], [i % b.ndim for i in axes_b]


def _permuted(x: Any, order: list[int]) -> Any:
    return x if order == list(range(x.ndim)) else x.transpose(tuple(order))


def _tensordot(a: Any, b: Any, axes: Any = 2) -> Any:
    """Σ over the paired axes of a and b (numpy's tensordot): both operands transposed and
    reshaped to matrices, one matmul, reshaped back — as numpy computes it."""
    b = _other(a, b)
    axes_a, axes_b = _axes_pair(axes, a, b)
    for i, j in zip(axes_a, axes_b, strict=True):
        if a.shape[i] != b.shape[j]:
            raise ValueError(f"tensordot: shapes {a.shape} and {b.shape} do not align: axis {i} "
                             f"of the first has size {a.shape[i]}, axis {j} of the second "
                             f"{b.shape[j]}")
    free_a = [i for i in range(a.ndim) if i not in axes_a]
    free_b = [j for j in range(b.ndim) if j not in axes_b]
    inner = math.prod(a.shape[i] for i in axes_a)
    am = _permuted(a, free_a + axes_a).reshape(math.prod(a.shape[i] for i in free_a), inner)
    bm = _permuted(b, axes_b + free_b).reshape(inner, math.prod(b.shape[j] for j in free_b))
    return (am @ bm).reshape(tuple(a.shape[i] for i in free_a) +
                             tuple(b.shape[j] for j in free_b))


def _dot(a: Any, b: Any) -> Any:
    """numpy's dot: a product with a scalar; matmul up to a 2-D second operand; else a sum
    over a's last axis and b's second-to-last (tensordot)."""
    b = _other(a, b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    k = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if a.shape[-1] != k:
        raise ValueError(f"dot: shapes {a.shape} and {b.shape} not aligned: the last dimension "
                         f"of the first ({a.shape[-1]}) must equal the "
                         f"{'second-to-last' if b.ndim > 1 else 'only'} dimension of the "
                         f"second ({k})")
    return a @ b if b.ndim <= 2 else _tensordot(a, b, ([a.ndim - 1], [b.ndim - 2]))


def _inner(a: Any, b: Any) -> Any:
    """Σ over the last axes of a and b (numpy's inner); a product with a scalar."""
    b = _other(a, b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"inner: shapes {a.shape} and {b.shape}: the last dimensions "
                         f"({a.shape[-1]} and {b.shape[-1]}) must be equal")
    return _tensordot(a, b, ([a.ndim - 1], [b.ndim - 1]))


def _outer(a: Any, b: Any) -> Any:
    """a and b flattened, a column times a row (numpy's outer)."""
    return a.reshape(-1, 1) * _other(a, b).reshape(1, -1)


def _vdot(a: Any, b: Any) -> Any:
    """Σ a·b over the flattened operands (numpy's vdot; real numbers: no conjugate)."""
    b = _other(a, b)
    if a.size != b.size:
        raise ValueError(f"vdot: shapes {a.shape} and {b.shape} have {a.size} and {b.size} "
                         "elements; they must have as many")
    return a.reshape(-1) @ b.reshape(-1)


def _kron(a: Any, b: Any) -> Any:
    """The Kronecker product: a's axes interleaved with b's (size 1), times b's interleaved
    with a's, reshaped so that block i of the result is a[i]·b (numpy's kron; the operand
    with fewer dimensions gets leading 1s)."""
    b = _other(a, b)
    n = max(a.ndim, b.ndim)
    sa, sb = (1,) * (n - a.ndim) + a.shape, (1,) * (n - b.ndim) + b.shape
    spread = a.reshape(tuple(d for s in sa for d in (s, 1))) * \
        b.reshape(tuple(d for s in sb for d in (1, s)))
    return spread.reshape(tuple(x * y for x, y in zip(sa, sb, strict=True)))


DOT = Op("dot", "composite", "numpy's dot: matmul for 1-D and 2-D operands (and N-D with a "
         "2-D second), a sum over a's last and b's second-to-last axis otherwise, a product "
         "with a scalar.", compose=_dot, numpy=np.dot)


VDOT = Op("vdot", "composite", "Σ a·b over the flattened operands (numpy's vdot).",
          compose=_vdot, method=None, numpy=np.vdot)


INNER = Op("inner", "composite", "Σ over the last axes of a and b (numpy's inner).",
           compose=_inner, method=None, numpy=np.inner)


OUTER = Op("outer", "composite", "a and b flattened, every product a_i·b_j (numpy's outer).",
           compose=_outer, method=None, numpy=np.outer)


TENSORDOT = Op("tensordot", "composite", "Σ over paired axes of a and b: `axes` = N (a's last "
               "N with b's first N) or a pair of axis lists (numpy's tensordot).",
               compose=_tensordot, method=None, numpy=(np.tensordot, np.linalg.tensordot))


KRON = Op("kron", "composite", "The Kronecker product (numpy's kron): blocks a[i]·b.",
          compose=_kron, method=None, numpy=np.kron)


# --- numpy.linalg: inverse, determinants, solve -------------------------------------------------

def _inv_front(lift: Lift, a: Any) -> Any:
    a = lift(a)
    _square(a, "inv")
    return (a,), {}


INV = Op("inv", "linalg",
         "The inverse of a square matrix (or of each in a stack (…, n, n)); Ā = −outᵀ·ḡ·outᵀ. "
         "A singular matrix raises numpy.linalg.LinAlgError.",
         forward=np.linalg.inv, vjps=(lambda g, out, a: -(_t(out) @ g @ _t(out)),),
         front=_inv_front, method=None, function=None, numpy=np.linalg.inv)

inv_of = _dual(INV)


def _cofactor(a: np.ndarray) -> np.ndarray:
    """cof(A) = ∂det/∂A, also for singular A: sign·U·diag(Π_{j≠i} s_j)·Vh from the SVD."""
    u, s, vh = np.linalg.svd(a)
    n = s.shape[-1]
    others = np.where(np.eye(n, dtype=bool), 1, s[..., None, :]).prod(axis=-1)
    sign = np.linalg.det(u) * np.linalg.det(vh)
    return sign[..., None, None] * ((u * others[..., None, :]) @ vh)


def _det_vjp(g: Any, out: Any, a: Any) -> Any:
    """Ā = ḡ·cof(A) = ḡ·det(A)·A⁻ᵀ; at a singular A (in a plain backward) the cofactor
    matrix from the SVD (PyTorch 2 returns zeros there)."""
    if not is_node(a):
        try:
            return (g * out)[..., None, None] * _t(np.linalg.inv(a))
        except np.linalg.LinAlgError:
            return g[..., None, None] * _cofactor(a)
    return (g * out)[..., None, None] * _t(inv_of(a))


def _det_front(lift: Lift, a: Any) -> Any:
    a = lift(a)
    _square(a, "det")
    return (a,), {}


DET = Op("det", "linalg",
         "The determinant of a square matrix (or of each in a stack); Ā = ḡ·det(A)·A⁻ᵀ, the "
         "cofactor matrix. At a singular A a plain backward still gives the cofactor matrix "
         "(from the SVD; PyTorch 2 returns zeros there); second derivatives there raise "
         "LinAlgError (they need A⁻¹).",
         forward=np.linalg.det, vjps=(_det_vjp,), front=_det_front, method=None,
         function=None, numpy=np.linalg.det)


class SlogdetResult(NamedTuple):
    """numpy's result type: (sign, logabsdet)."""

    sign: Any
    logabsdet: Any


def _slogdet_forward(a: np.ndarray) -> np.ndarray:
    sign, logabsdet = np.linalg.slogdet(a)
    return np.stack([sign, logabsdet], axis=-1)


SLOGDET_PACKED = Op("slogdet_packed", "internal",
                    "(sign, log|det A|) stacked on a last axis of 2: the sign is piecewise "
                    "constant (no gradient); Ā = ḡ_log·A⁻ᵀ.",
                    forward=_slogdet_forward,
                    vjps=(lambda g, out, a: g[..., 1][..., None, None] * _t(inv_of(a)),),
                    symbol="slogdet", method=None, function=None)


def _slogdet(a: Any) -> SlogdetResult:
    _square(a, "slogdet")
    packed = apply(SLOGDET_PACKED.prim, a)  # type: ignore[arg-type]
    return SlogdetResult(a._lift(raw(packed)[..., 0].copy()), packed[..., 1])


SLOGDET = Op("slogdet", "composite",
             "(sign, log|det A|) of a square matrix or a stack (numpy's SlogdetResult): the "
             "sign is a constant Tensor, log|det| has gradient A⁻ᵀ·ḡ. A singular A "
             "(log|det| = −inf) has no gradient: backward raises LinAlgError.",
             compose=_slogdet, method=None, function=None, numpy=np.linalg.slogdet)


def _solve_front(lift: Lift, a: Any, b: Any) -> Any:
    like = a if is_node(a) else b if is_node(b) else None
    a, b = lift(a, like), lift(b, like)
    _square(a, "solve")
    return (a, b), {}


def _solve_vjp(g: Any, out: Any, a: Any, b: Any) -> tuple[Any, Any]:
    """b̄ = A⁻ᵀ·ḡ (one more solve), Ā = −b̄·xᵀ. numpy 2's rule: b is one vector only when
    it is 1-D, else a stack of matrices (…, n, k)."""
    vector = b.ndim == 1
    g2, x2 = (g[..., None], out[..., None]) if vector else (g, out)
    gb = solve_of(_t(a), g2)
    return -(gb @ _t(x2)), (gb[..., 0] if vector else gb)


SOLVE = Op("solve", "linalg",
           "x with A·x = b (numpy 2's rule: b is a vector only if 1-D; batch axes broadcast); "
           "b̄ = A⁻ᵀ·ḡ, Ā = −b̄·xᵀ. A singular A raises numpy.linalg.LinAlgError.",
           forward=np.linalg.solve, joint=_solve_vjp, front=_solve_front, broadcasts=True,
           method=None, function=None, numpy=np.linalg.solve)

solve_of = _dual(SOLVE)


# --- numpy.linalg: factorizations -----------------------------------------------------------------

def _cholesky_front(lift: Lift, a: Any, *, upper: bool = False) -> Any:
    a = lift(a)
    _square(a, "cholesky")
    return (a,), {"upper": bool(upper)}


def _cholesky_vjp(g: Any, out: Any, a: Any, upper: bool) -> Any:
    """Ā = L⁻ᵀ·Φ·L⁻¹ with Φ = ½(tril(P) + tril(P, −1)ᵀ), P = Lᵀ·L̄ (Murray 2016, PyTorch):
    symmetric."""
    lo, gl = (_t(out), _t(g)) if upper else (out, g)
    n = out.shape[-1]
    p = _t(lo) @ gl
    phi = (p * _tril(n, p) + _t(p * _tril(n, p, -1))) * 0.5
    lo_inv = inv_of(lo)
    return _t(lo_inv) @ phi @ lo_inv


CHOLESKY = Op("cholesky", "linalg",
              "L lower triangular with A = L·Lᵀ (U = Lᵀ with upper=True), for a symmetric "
              "positive-definite A or a stack. numpy reads one triangle of A; the gradient is "
              "the symmetric one (as PyTorch): exact for symmetric perturbations of A, so feed "
              "it a symmetric parametrization such as (X + Xᵀ)/2 or X·Xᵀ. Not positive "
              "definite: LinAlgError.",
              forward=lambda a, upper: np.linalg.cholesky(a, upper=upper),
              vjps=(_cholesky_vjp,), front=_cholesky_front, method=None, function=None,
              numpy=np.linalg.cholesky)


class EighResult(NamedTuple):
    """numpy's result type: (eigenvalues, eigenvectors)."""

    eigenvalues: Any
    eigenvectors: Any


def _eigh_forward(a: np.ndarray, UPLO: str) -> np.ndarray:  # noqa: N803 (numpy's name)
    w, v = np.linalg.eigh(a, UPLO=UPLO)
    return np.concatenate([w[..., None, :], v], axis=-2)


def _eigh_vjp(g: Any, out: Any, a: Any, UPLO: str) -> Any:  # noqa: N803
    """Ā = V·(diag(w̄) + F∘½(VᵀV̄ − V̄ᵀV))·Vᵀ with F_ij = 1/(w_j − w_i) (PyTorch's rule):
    symmetric. F is 0 for a pair of eigenvalues equal within n·eps·max|w|."""
    n = a.shape[-1]
    w, v, gw, gv = out[..., 0, :], out[..., 1:, :], g[..., 0, :], g[..., 1:, :]
    wr = raw(w)
    tol = n * np.finfo(wr.dtype).eps * np.abs(wr).max(axis=-1, initial=0.0)
    vgv = _t(v) @ gv
    inner = _gap_inverse(w, tol) * (vgv - _t(vgv)) * 0.5 + gw[..., None, :] * _eye(n, g)
    return v @ inner @ _t(v)


def _eigh_front(lift: Lift, a: Any, UPLO: str = "L") -> Any:  # noqa: N803
    a = lift(a)
    _square(a, "eigh")
    if UPLO not in ("L", "U"):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    return (a,), {"UPLO": UPLO}


EIGH_PACKED = Op("eigh_packed", "internal",
                 "eigh's eigenvalues as a row above its eigenvectors: (…, n + 1, n).",
                 forward=_eigh_forward, vjps=(_eigh_vjp,), front=_eigh_front, symbol="eigh",
                 method=None, function=None)


def _eigh(a: Any, UPLO: str = "L") -> EighResult:  # noqa: N803
    (a,), params = _eigh_front(lambda x: x, a, UPLO)
    packed = apply(EIGH_PACKED.prim, a, **params)  # type: ignore[arg-type]
    return EighResult(packed[..., 0, :], packed[..., 1:, :])


EIGH = Op("eigh", "composite",
          "(eigenvalues ascending, eigenvectors as columns) of a symmetric matrix or a stack "
          "(numpy's EighResult; numpy reads the `UPLO` triangle). The gradient is the "
          "symmetric one (PyTorch's): exact for symmetric perturbations, so feed it a "
          "symmetric parametrization. Through the eigenvalues it is always defined "
          "(V·diag(w̄)·Vᵀ). Through the eigenvectors it needs distinct eigenvalues: for a "
          "pair equal within n·eps·max|w| the eigenvectors are not unique and the gradient "
          "does not exist; the 1/(w_j − w_i) terms of such pairs are dropped (set to 0), "
          "which gives a finite result that is exact when the loss depends on those "
          "eigenvectors only through the space they span (e.g. V·f(w)·Vᵀ), and arbitrary "
          "otherwise. Near-equal eigenvalues give large gradients, as they should. The loss "
          "must not depend on each eigenvector's sign.",
          compose=_eigh, method=None, function=None, numpy=np.linalg.eigh)


class SVDResult(NamedTuple):
    """numpy's result type: (U, S, Vh)."""

    U: Any
    S: Any
    Vh: Any


def _svd_forward(a: np.ndarray, hermitian: bool) -> np.ndarray:
    u, s, vh = np.linalg.svd(a, full_matrices=False, hermitian=hermitian)
    return np.concatenate([u, s[..., None, :], _t(vh)], axis=-2)


def _svd_vjp(g: Any, out: Any, a: Any, hermitian: bool) -> Any:
    """PyTorch's rule for the reduced SVD, with V = Vhᵀ, E_jk = s_k² − s_j², skew(X) = X − Xᵀ:
    Ā = U·[(skew(UᵀŪ)·S + S·skew(VᵀV̄))/E + diag(s̄)]·Vᵀ, plus (I − UUᵀ)·Ū·S⁻¹·Vᵀ when
    m > n, or U·S⁻¹·V̄ᵀ·(I − VVᵀ) when m < n. Pairs of singular values equal within
    max(m, n)·eps·s_max have their 1/E term dropped; singular values below that have their
    1/s term dropped (see svd)."""
    m, n = a.shape[-2:]
    k = min(m, n)
    u, s, v = out[..., :m, :], out[..., m, :], out[..., m + 1:, :]
    gu, gs, gv = g[..., :m, :], g[..., m, :], g[..., m + 1:, :]
    sr = raw(s)
    tol = max(m, n) * np.finfo(sr.dtype).eps * sr.max(axis=-1, initial=0.0)
    ugu, vgv = _t(u) @ gu, _t(v) @ gv
    f = _gap_inverse(s, tol, s * s)  # 1/(s_k² − s_j²)
    inner = ((ugu - _t(ugu)) * s[..., None, :] + s[..., :, None] * (vgv - _t(vgv))) * f \
        + gs[..., None, :] * _eye(k, g)
    if m == n:
        return u @ inner @ _t(v)
    s_inv = _reciprocal_unless(sr <= tol[..., None], s)
    if m > n:
        return (u @ inner + (gu - u @ ugu) * s_inv[..., None, :]) @ _t(v)
    return u @ (inner @ _t(v) + s_inv[..., :, None] * (_t(gv) - (_t(gv) @ v) @ _t(v)))


def _svd_front(lift: Lift, a: Any, hermitian: bool = False) -> Any:
    a = lift(a)
    _matrix(a, "svd")
    if hermitian:
        _square(a, "svd")
    return (a,), {"hermitian": bool(hermitian)}


SVD_PACKED = Op("svd_packed", "internal",
                "The reduced SVD packed as [U; s; V] (V = Vhᵀ): (…, m + 1 + n, min(m, n)).",
                forward=_svd_forward, vjps=(_svd_vjp,), front=_svd_front, symbol="svd",
                method=None, function=None)


def _svd(a: Any, full_matrices: bool = True, compute_uv: bool = True,
         hermitian: bool = False) -> Any:
    (a,), params = _svd_front(lambda x: x, a, hermitian)
    m, n = a.shape[-2:]
    if full_matrices and compute_uv and m != n:
        raise ValueError(f"svd: full_matrices=True on a non-square input of shape {a.shape}: "
                         "the extra singular vectors are not unique, so they have no gradient; "
                         "pass full_matrices=False (the reduced SVD)")
    packed = apply(SVD_PACKED.prim, a, **params)  # type: ignore[arg-type]
    if not compute_uv:
        return packed[..., m, :]
    return SVDResult(packed[..., :m, :], packed[..., m, :], _t(packed[..., m + 1:, :]))


SVD = Op("svd", "composite",
         "The reduced SVD A = U·diag(S)·Vh, S descending (numpy's SVDResult; S alone with "
         "compute_uv=False). full_matrices=True is accepted for square inputs only (where it "
         "is the reduced SVD). Through S the gradient is always defined (U·diag(s̄)·Vh). "
         "Through U and Vh it needs distinct singular values, and nonzero ones when m ≠ n: "
         "for a pair equal within max(m, n)·eps·s_max (or a value below that) the singular "
         "vectors are not unique and the gradient does not exist; those 1/(s_k² − s_j²) "
         "(and 1/s) terms are dropped (set to 0): finite, exact when the loss depends on "
         "such vectors only through the space they span, arbitrary otherwise. The loss must "
         "not depend on the sign of a pair (u_i, v_i).",
         compose=_svd, method=None, function=None, numpy=np.linalg.svd)


_UNSET: Any = object()  # rtol not given: numpy's own default applies


def _pinv_front(lift: Lift, a: Any, rcond: Any = None, hermitian: bool = False, *,
                rtol: Any = _UNSET) -> Any:
    a = lift(a)
    _matrix(a, "pinv")
    return (a,), {"rcond": rcond, "hermitian": bool(hermitian), "rtol": rtol}


def _pinv_forward(a: np.ndarray, rcond: Any, hermitian: bool, rtol: Any) -> np.ndarray:
    extra = {} if rtol is _UNSET else {"rtol": rtol}
    return np.linalg.pinv(a, rcond=rcond, hermitian=hermitian, **extra)


def _pinv_vjp(g: Any, out: Any, a: Any, rcond: Any, hermitian: bool, rtol: Any) -> Any:
    """Golub & Pereyra's derivative at constant rank, transposed (P = A⁺):
    Ā = −Pᵀ·ḡ·Pᵀ + (I − A·P)·ḡᵀ·P·Pᵀ + Pᵀ·P·ḡᵀ·(I − P·A)."""
    p, pt, gt = out, _t(out), _t(g)
    x = gt @ (p @ pt)
    y = (pt @ p) @ gt
    return -(pt @ g @ pt) + (x - a @ (p @ x)) + (y - (y @ p) @ a)


PINV = Op("pinv", "linalg",
          "The Moore–Penrose pseudo-inverse (numpy's pinv: rcond/rtol cut small singular "
          "values; a stack (…, m, n)). The gradient is Golub & Pereyra's, the derivative "
          "along perturbations that keep the rank numpy's cutoff found: exact for full rank; "
          "pinv is discontinuous where the rank changes.",
          forward=_pinv_forward, vjps=(_pinv_vjp,), front=_pinv_front, method=None,
          function=None, numpy=np.linalg.pinv)


class QRResult(NamedTuple):
    """numpy's result type: (Q, R)."""

    Q: Any
    R: Any


def _qr_forward(a: np.ndarray) -> np.ndarray:
    q, r = np.linalg.qr(a)
    return np.concatenate([q, _t(r)], axis=-2)


def _qr_tall_vjp(q: Any, r: Any, gq: Any, gr: Any) -> Any:
    """m ≥ n: Ā = (Q̄ + Q·copyltu(M))·R⁻ᵀ with M = R·R̄ᵀ − Q̄ᵀ·Q, copyltu(M) = tril(M) +
    tril(M, −1)ᵀ (Liao et al. 2019); R⁻ᵀ by a solve."""
    n = r.shape[-1]
    mm = r @ _t(gr) - _t(gq) @ q
    b = gq + q @ (mm * _tril(n, mm) + _t(mm * _tril(n, mm, -1)))
    return _t(solve_of(r, _t(b)))


def _qr_vjp(g: Any, out: Any, a: Any) -> Any:
    """m < n: A = Q·[X | Y] splits into the square QR of A's first m columns (U = Q·X) and
    V = Q·Y: V̄ = Q·Ȳ, and Y's dependence on Q adds V·Ȳᵀ to Q̄ before the square rule."""
    m, n = a.shape[-2:]
    q, r, gq, gr = out[..., :m, :], _t(out[..., m:, :]), g[..., :m, :], _t(g[..., m:, :])
    if m >= n:
        return _qr_tall_vjp(q, r, gq, gr)
    gy = gr[..., :, m:]
    gu = _qr_tall_vjp(q, r[..., :, :m], gq + a[..., :, m:] @ _t(gy), gr[..., :, :m])
    return concat_of(gu, q @ gy, axis=-1)


def _qr_front(lift: Lift, a: Any) -> Any:
    a = lift(a)
    _matrix(a, "qr")
    return (a,), {}


QR_PACKED = Op("qr_packed", "internal",
               "The reduced QR packed as [Q; Rᵀ]: (…, m + n, min(m, n)).",
               forward=_qr_forward, vjps=(_qr_vjp,), front=_qr_front, symbol="qr",
               method=None, function=None)


def _qr(a: Any, mode: str = "reduced") -> Any:
    (a,), _ = _qr_front(lambda x: x, a)
    m, n = a.shape[-2:]
    if mode not in ("reduced", "r") and not (mode == "complete" and m <= n):
        raise ValueError(f"qr: mode={mode!r} is not supported for shape {a.shape}: use "
                         "'reduced' (or 'r' for R alone); 'complete' only where it equals "
                         "'reduced' (m ≤ n), the extra columns of Q having no gradient")
    packed = apply(QR_PACKED.prim, a)  # type: ignore[arg-type]
    r = _t(packed[..., m:, :])
    return r if mode == "r" else QRResult(packed[..., :m, :], r)


QR = Op("qr", "composite",
        "The reduced QR decomposition A = Q·R, R upper triangular (numpy's QRResult, LAPACK's "
        "signs; R alone with mode='r'), for any m × n or a stack. The gradient needs the "
        "leading min(m, n) columns of A to be independent (R's diagonal nonzero), else "
        "LinAlgError.",
        compose=_qr, method=None, function=None, numpy=np.linalg.qr)


def concat_of(*xs: Any, axis: int) -> Any:
    """numpy's concatenate on arrays, the recorded concat on Tensors."""
    if any(is_node(x) for x in xs):
        return apply(shape.CONCAT.prim, *_lifted(xs), axis=axis)  # type: ignore[arg-type]
    return np.concatenate(xs, axis=axis)


def _cross(a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1,
           axis: int | None = None) -> Any:
    """The cross product of 3-vectors along an axis (numpy's arguments), from products of
    components, so its gradient is theirs: ā = b × ḡ, b̄ = ḡ × a."""
    if axis is not None:
        axisa = axisb = axisc = axis
    lift = a._lift if is_node(a) else b._lift
    a, b = lift(a, b if is_node(b) else None), lift(b, a if is_node(a) else None)
    a, b = shape.MOVEAXIS.compose(a, axisa, -1), shape.MOVEAXIS.compose(b, axisb, -1)
    if a.shape[-1] != 3 or b.shape[-1] != 3:
        raise ValueError(f"cross: both vectors need 3 components along the axis, got shapes "
                         f"{a.shape} and {b.shape} (2-vectors are deprecated in numpy)")
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    parts, params = shape.STACK.front(lift, [a1 * b2 - a2 * b1, a2 * b0 - a0 * b2,
                                             a0 * b1 - a1 * b0], axis=-1)
    c = apply(shape.STACK.prim, *parts, **params)
    return shape.MOVEAXIS.compose(c, -1, axisc)


CROSS = Op("cross", "composite", "The cross product of 3-vectors (numpy.cross's arguments); "
           "ā = b × ḡ, b̄ = ḡ × a.", compose=_cross, method=None, numpy=np.cross)
