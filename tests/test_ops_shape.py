"""The shape and indexing ops under numpy's names (`ops/shape.py`).

A table of numpy calls drives the bulk: each call runs on float64 arrays (the reference) and on
Tensors, where numpy's protocol dispatches it to the op; the module-level function and, where
ndarray has one, the Tensor method must agree with it. Every case is checked for values, for
gradients against central differences and against the numpy-dispatched call, for float32,
and for second order; then PyTorch (where it has the op), the conventions (ties in sort,
repeated indices in put_along_axis), and the errors.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pytest
from test_ops import (
    Spec,
    draw_values,
    fortran,
    laid_out,
    leaf,
    seeded_rng,
    spec_of,
    strided,
    transposed,
)

import autograd_lite as al
from autograd_lite import Tensor, gradcheck
from autograd_lite.graph import toposort
from autograd_lite.ops import OPS
from autograd_lite.ops import shape as shape_family
from autograd_lite.tensor import _BY_NUMPY

Shape = tuple[int, ...]


class Case(NamedTuple):
    """`numpy.<name>(inputs, *args, **kwargs)`; `form` says how the inputs are passed: "one"
    (the first argument), "list" (a list, as the joins take them) or "varargs"."""

    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    shapes: tuple[tuple[Shape | Spec, ...], ...]
    form: str = "one"

    @property
    def follows_memory(self) -> bool:
        """ravel's orders "A" and "K" read x in the order of its memory: a function of the
        layout, which gradcheck's fresh (contiguous) leaves do not keep."""
        return self.kwargs.get("order") in ("A", "K")

    def __str__(self) -> str:
        text = ", ".join([repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in
                                                         self.kwargs.items()])
        return f"{self.name}(x{', ' + text if text else ''})"


def case(name: str, *args: Any, shapes: Any, form: str = "one", **kwargs: Any) -> Case:
    def one(s: Any) -> bool:  # a shape (ints) or a Spec, not a tuple of them
        return isinstance(s, Spec) or not s or isinstance(s[0], int)

    return Case(name, args, kwargs, tuple((s,) if one(s) else s for s in shapes), form)


IDX_34 = np.array([[2, 0, 1, 3], [0, 0, 3, 1], [1, 2, 2, 0]])  # argsort-like, with repeats

CASES = [
    # reshaping
    case("squeeze", shapes=[(1, 3, 1), (), (1,), (0, 1, 2), transposed(1, 4)]),
    case("squeeze", axis=-1, shapes=[(2, 1), strided(3, 1)]),
    case("squeeze", axis=(0, 2), shapes=[(1, 3, 1)]),
    case("squeeze", axis=0, shapes=[()]),
    case("expand_dims", 0, shapes=[(), (3,), fortran(2, 3)]),
    case("expand_dims", (0, -1), shapes=[(2, 3), (0,)]),
    case("ravel", shapes=[(), (2, 3), transposed(3, 4), strided(3, 4)]),
    case("ravel", order="F", shapes=[fortran(3, 4), (2, 3, 4)]),
    case("ravel", order="A", shapes=[fortran(3, 4), (3, 4), transposed(3, 4)]),
    case("ravel", order="K", shapes=[transposed(3, 4), fortran(2, 3, 4), strided(3, 4), (2, 3)]),
    case("atleast_1d", shapes=[(), (3,)]),
    case("atleast_2d", shapes=[(), (3,), (2, 3)]),
    case("atleast_3d", shapes=[(), (3,), transposed(2, 3), (2, 3, 4)]),
    case("atleast_2d", form="varargs", shapes=[((), (3,)), ((2, 3), (4,))]),
    # axes
    case("swapaxes", 0, -1, shapes=[(2, 3, 4), transposed(3, 4)]),
    case("moveaxis", 0, -1, shapes=[(2, 3, 4), strided(2, 3, 4)]),
    case("moveaxis", (0, 1), (-1, 0), shapes=[(2, 3, 4)]),
    case("rollaxis", 2, shapes=[(2, 3, 4)]),
    case("rollaxis", 0, 3, shapes=[(2, 3, 4), transposed(2, 3, 4)]),
    case("rollaxis", -1, 1, shapes=[(2, 3, 4)]),
    # reordering
    case("flip", shapes=[(), (5,), (2, 3, 4)]),
    case("flip", axis=1, shapes=[(3, 4), strided(3, 4)]),
    case("flip", axis=(0, -1), shapes=[(2, 3, 4)]),
    case("fliplr", shapes=[(3, 4), transposed(3, 4)]),
    case("flipud", shapes=[(5,), strided(3, 4)]),
    case("roll", 2, shapes=[(5,), (2, 3), (), (0,)]),
    case("roll", -1, axis=1, shapes=[(3, 4), fortran(3, 4)]),
    case("roll", (1, 2), axis=(0, -1), shapes=[(3, 4)]),
    case("roll", (1, 5), axis=(1, 1), shapes=[(3, 4)]),
    case("rot90", shapes=[(3, 4), transposed(3, 4)]),
    case("rot90", 2, shapes=[(3, 4)]),
    case("rot90", 3, shapes=[(3, 4)]),
    case("rot90", -1, axes=(1, 2), shapes=[(2, 3, 4)]),
    # repeating
    case("tile", 2, shapes=[(), (3,), (0, 2)]),
    case("tile", (2, 1, 3), shapes=[(2, 3)]),
    case("tile", (2,), shapes=[transposed(3, 4)]),
    case("tile", (0, 2), shapes=[(3,)]),
    case("repeat", 2, shapes=[(), (2, 3)]),
    case("repeat", 3, axis=-1, shapes=[(2, 3), strided(3, 2)]),
    case("repeat", [1, 0, 2], axis=0, shapes=[(3, 4)]),
    case("broadcast_arrays", form="varargs", shapes=[((3, 1), (4,)), ((), (2, 3)), ((2, 3),)]),
    case("pad", 1, shapes=[(), (3,), (2, 3), (0, 2)]),
    case("pad", ((1, 0), (2, 1)), constant_values=1.5, shapes=[(2, 3), transposed(2, 3)]),
    case("pad", (1, 2), constant_values=((-1, 2), (3, 4)), shapes=[(2, 3)]),
    case("pad", ((1, 2), (2, 1)), mode="edge", shapes=[(3, 4)]),
    case("pad", ((3, 2), (2, 1)), mode="reflect", shapes=[(3, 4), strided(3, 4)]),
    case("pad", ((1, 2), (4, 1)), mode="symmetric", shapes=[(3, 4)]),
    case("pad", ((1, 2), (5, 1)), mode="wrap", shapes=[(3, 4)]),
    # splitting (lists of tensors)
    case("split", 3, shapes=[(6,), strided(6, 2)]),
    case("split", [1, 3], axis=1, shapes=[(2, 5)]),
    case("split", [-2, 9], axis=-1, shapes=[(2, 5)]),
    case("array_split", 3, axis=-1, shapes=[(2, 5), (2, 0)]),
    case("hsplit", 2, shapes=[(2, 4), (4,)]),
    case("vsplit", [1], shapes=[(3, 2)]),
    case("dsplit", 2, shapes=[(1, 2, 4)]),
    # joining (numpy's call takes a list)
    case("concatenate", form="list", axis=None, shapes=[((2, 3), (4,)), ((), (2,))]),
    case("concatenate", form="list", axis=-1, shapes=[((2, 3), transposed(2, 2))]),
    case("stack", form="list", axis=-1, shapes=[((2, 3), strided(2, 3))]),
    case("hstack", form="list", shapes=[((3,), (2,)), ((2, 3), (2, 1)), ((), ())]),
    case("vstack", form="list", shapes=[((3,), (3,)), ((2, 3), (1, 3)), ((), ())]),
    case("dstack", form="list", shapes=[((2, 3), (2, 3)), ((3,), (3,)), ((2, 1, 2), (2, 1, 1))]),
    case("column_stack", form="list", shapes=[((3,), (3, 2)), ((), ())]),
    # diagonals
    case("diag", shapes=[(3,), (3, 4), transposed(3, 4), (0,)]),
    case("diag", k=1, shapes=[(3,), (3, 4)]),
    case("diag", k=-2, shapes=[(2,), strided(4, 3)]),
    case("diagonal", shapes=[(3, 4), (0, 2)]),
    case("diagonal", 1, axis1=1, axis2=2, shapes=[(2, 3, 4), strided(2, 3, 4)]),
    case("diagonal", -1, axis1=-1, axis2=0, shapes=[(2, 3, 4)]),
    case("diagonal", 5, shapes=[(3, 4)]),
    case("triu", shapes=[(3, 4), (4,), fortran(4, 3)]),
    case("triu", 1, shapes=[(2, 3, 4)]),
    case("tril", -1, shapes=[(3, 4), (2, 3, 4)]),
    case("tril", shapes=[(4,), (0, 3)]),
    # indexing
    case("take", [0, 2, 2, -1], shapes=[(3, 4), (5,)]),
    case("take", [[1, 0]], axis=1, shapes=[(3, 4), transposed(3, 4)]),
    case("take", 5, mode="wrap", shapes=[(2, 3)]),
    case("take", [-1, 7, 2], axis=-1, mode="clip", shapes=[(2, 3)]),
    case("take", 0, shapes=[()]),
    case("take_along_axis", IDX_34, axis=1, shapes=[(3, 4), strided(3, 4)]),
    case("take_along_axis", np.array([[2, 0, 1, 2]]), axis=0, shapes=[(3, 4)]),
    case("take_along_axis", np.array([4, 0, 0]), axis=None, shapes=[(2, 3)]),
    case("sort", shapes=[(5,), (3, 4), (0, 3), transposed(3, 4)]),
    case("sort", axis=0, shapes=[(3, 4), strided(3, 4)]),
    case("sort", axis=None, shapes=[(2, 3), ()]),
    case("partition", 2, shapes=[(5,), (3, 4)]),
    case("partition", (0, 2), axis=0, shapes=[(4, 3)]),
    case("partition", -1, axis=None, shapes=[(2, 3)]),
]

PARAMS = [pytest.param(c, shapes, id=f"{c} on {' '.join(str(spec_of(s)) for s in shapes)}")
          for c in CASES for shapes in c.shapes]
FIRST = [pytest.param(c, c.shapes[0], id=str(c)) for c in CASES if not c.follows_memory]

# what the composites are built from: no op here may add a primitive of its own
BUILDING_BLOCKS = {"reshape", "transpose", "concat", "stack", "cast", "getitem", "scatter",
                   "setitem", "where", "broadcast_to"}


def call(fn: Callable[..., Any], xs: Any, c: Case) -> Any:
    if c.form == "list":
        return fn(list(xs), *c.args, **c.kwargs)
    if c.form == "varargs":
        return fn(*xs, *c.args, **c.kwargs)
    return fn(xs[0], *c.args, **c.kwargs)


def forms(c: Case) -> dict[str, Callable[..., Any]]:
    """The ways to call the op on Tensors: numpy's dispatch, the function, the method."""
    found = {"numpy": lambda *xs: call(getattr(np, c.name), xs, c),
             "function": lambda *xs: call(getattr(al, c.name), xs, c)}
    if c.form == "one" and c.name in OPS and OPS[c.name].method:
        found["method"] = lambda x: getattr(x, c.name)(*c.args, **c.kwargs)
    return found


def joined(out: Any) -> Any:
    """A list or tuple of results as one flat result (Tensors or arrays)."""
    if not isinstance(out, (list, tuple)):
        return out
    if isinstance(out[0], Tensor):
        return al.concat([t.reshape(-1) for t in out])
    return np.concatenate([np.reshape(a, -1) for a in out])


def inputs(c: Case, shapes: tuple, dtype: Any = np.float64) -> list[np.ndarray]:
    rng = seeded_rng(f"{c} {shapes}")
    return [laid_out(draw_values(rng, spec_of(s).shape, "real").astype(dtype), spec_of(s).layout)
            for s in shapes]


def upstream(shape: Shape, key: str) -> np.ndarray:
    return seeded_rng("upstream " + key).standard_normal(shape)


def grads(f: Callable[..., Any], arrays: list[np.ndarray], key: str) -> tuple[Any, list[Any]]:
    leaves = [leaf(a) for a in arrays]
    out = joined(f(*leaves))
    out.backward(upstream(out.shape, key))
    return out, [t.grad for t in leaves]


def primitives_in(out: Any) -> set[str]:
    return {node._op for node in toposort(out) if node._op}


# --- the table: values, gradients, dtypes, second order ---------------------------------------


@pytest.mark.parametrize(("c", "shapes"), PARAMS)
def test_values_match_numpy_in_float64_by_every_form_of_the_call(c: Case, shapes: tuple) -> None:
    arrays = inputs(c, shapes)
    expected = call(getattr(np, c.name), arrays, c)
    for form, f in forms(c).items():
        out = f(*(leaf(a) for a in arrays))
        assert type(out) is type(expected) or isinstance(out, Tensor), form
        pieces = list(out) if isinstance(out, (list, tuple)) else [out]
        wanted = list(expected) if isinstance(expected, (list, tuple)) else [expected]
        assert len(pieces) == len(wanted), form
        for got, want in zip(pieces, wanted, strict=True):
            assert isinstance(got, Tensor) and got.requires_grad, form
            assert got.dtype == np.float64 and got.shape == want.shape, (form, got.shape)
            np.testing.assert_array_equal(got.data, want, err_msg=form)
            assert primitives_in(got) <= BUILDING_BLOCKS


@pytest.mark.parametrize(("c", "shapes"), PARAMS)
def test_gradients_match_central_differences_and_agree_across_forms(c: Case,
                                                                    shapes: tuple) -> None:
    arrays = inputs(c, shapes)
    if not c.follows_memory:
        assert gradcheck(lambda *ts: joined(call(getattr(al, c.name), ts, c)), *arrays)
    _, reference = grads(forms(c)["function"], arrays, str(c))
    for form, f in forms(c).items():
        _, got = grads(f, arrays, str(c))
        for g, r in zip(got, reference, strict=True):
            np.testing.assert_array_equal(g, r, err_msg=form)


@pytest.mark.parametrize(("c", "shapes"), PARAMS)
def test_float32_stays_float32_in_values_and_gradients(c: Case, shapes: tuple) -> None:
    arrays32 = inputs(c, shapes, np.float32)
    out32, g32 = grads(forms(c)["numpy"], arrays32, str(c))
    out64, g64 = grads(forms(c)["numpy"], [a.astype(np.float64) for a in arrays32], str(c))
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32.data, out64.data, rtol=1e-6)
    for a, g, h in zip(arrays32, g32, g64, strict=True):
        assert g.dtype == np.float32 and g.shape == a.shape
        np.testing.assert_allclose(g, h, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("c", "shapes"), FIRST)
def test_second_order_through_the_op_matches_differences_of_the_gradient(
        c: Case, shapes: tuple) -> None:
    assert_second_order(lambda *xs: joined(call(getattr(np, c.name), xs, c)),
                        inputs(c, shapes), str(c))


def assert_second_order(fn: Callable[..., Tensor], arrays: list[np.ndarray], key: str) -> None:
    """xs ↦ Σᵢ ⟨vᵢ, ∂⟨w, fn(xs)³⟩/∂xᵢ⟩, its gradient by double backward (the op's VJPs run
    on Tensors, recorded) against central differences: a Hessian-vector product."""
    w = upstream(fn(*(Tensor(a) for a in arrays)).shape, key)
    argnums = tuple(range(len(arrays)))

    def f(*xs: Tensor) -> Tensor:
        gs = al.grad(lambda *us: (fn(*us) ** 3 * w).sum(), argnums=argnums)(*xs)
        total = Tensor(np.zeros(()))
        for i, g in enumerate(gs):  # plain arrays in gradcheck's differences (no_grad)
            g = g if isinstance(g, Tensor) else Tensor(g)
            total = total + (g * upstream(g.shape, f"{key} v{i}")).sum()
        return total

    assert gradcheck(f, *arrays)


def test_double_backward_records_a_graph_for_the_gradient() -> None:
    x = Tensor(np.array([[3.0, 1.0, 2.0], [0.5, -1.0, 4.0]]), requires_grad=True)
    (np.sort(np.roll(np.pad(x, 1), 1, axis=0), axis=None) ** 2).sum().backward(create_graph=True)
    first = x.grad
    assert isinstance(first, Tensor) and first.requires_grad
    x.zero_grad()
    first.sum().backward()
    np.testing.assert_array_equal(x.grad, np.full((2, 3), 2.0))  # d²/dx² Σx² = 2 each


# --- the table covers the family, and the family owns its names --------------------------------


SHAPE_OPS = {op.name: op for op in vars(shape_family).values() if isinstance(op, al.ops.Op)}
assert "getitem" not in SHAPE_OPS  # (selection's ops are used through its module)


def test_every_op_of_the_family_is_in_the_table_or_tested_below() -> None:
    tested = {c.name for c in CASES} | {"put_along_axis", "flatten", "reshape", "transpose",
                                         "concat", "cast"}
    assert set(SHAPE_OPS) - tested == set()


def test_the_table_and_numpy_dispatch_use_these_declarations() -> None:
    """Another family declaring the same name would replace the op (OPS is keyed by name)."""
    for name, op in SHAPE_OPS.items():
        assert OPS[name] is op, f"{name} is declared twice"
        for f in op.numpy:
            assert _BY_NUMPY[f] is op, f"numpy.{f.__name__} goes to {_BY_NUMPY[f].name}"


def test_methods_exist_exactly_where_ndarray_has_them() -> None:
    for name, op in SHAPE_OPS.items():
        if op.kind == "composite" and name not in ("flatten",):
            assert bool(op.method) == hasattr(np.ndarray, name), name
    assert np.put_along_axis not in _BY_NUMPY


# --- shapes numpy only makes in special cases -------------------------------------------------


@pytest.mark.parametrize("order", ["C", "F", "A", "K"])
@pytest.mark.parametrize("view", ["reversed", "reversed T", "broadcast", "broadcast T",
                                  "permuted 3-d"])
def test_ravel_reads_unusual_memory_layouts_in_numpy_order(order: str, view: str) -> None:
    base = np.arange(24.0).reshape(2, 3, 4)
    array = {"reversed": base[0][:, ::-1], "reversed T": base[0].T[::-1],
             "broadcast": np.broadcast_to(base[0, 0], (3, 4)),
             "broadcast T": np.broadcast_to(base[0, 0], (3, 4)).T,
             "permuted 3-d": base.transpose(1, 2, 0)[:, ::-1]}[view]
    t = leaf(array)
    out = np.ravel(t, order=order)
    np.testing.assert_array_equal(out.data, np.ravel(array, order=order))
    out.backward(out.data)  # each place's gradient is the value it read: back where it was
    np.testing.assert_array_equal(t.grad, array)


def test_atleast_nd_returns_a_tensor_with_enough_axes_as_it_is() -> None:
    t = Tensor(np.ones((2, 3, 4)), requires_grad=True)
    assert np.atleast_3d(t) is t and np.atleast_1d(t) is t
    a, b = np.atleast_1d(t, 2.0)
    assert a is t and b.shape == (1,) and b.dtype == np.float64


def test_split_gives_a_list_of_tensors_whose_gradients_add_up() -> None:
    t = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    pieces = np.split(t, 2, axis=1)
    assert type(pieces) is list and all(isinstance(p, Tensor) for p in pieces)
    (pieces[0] * 2).sum().backward()
    np.testing.assert_array_equal(t.grad, [[2, 2, 0, 0]] * 3)
    assert [p.shape for p in np.array_split(t, 3, axis=1)] == [(3, 2), (3, 1), (3, 1)]


def test_repeat_keeps_numpy_meaning_and_its_gradient_sums_the_copies() -> None:
    t = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    out = t.repeat(2, axis=0)  # numpy: each row twice (PyTorch's repeat would tile)
    np.testing.assert_array_equal(out.data, [[1, 2], [1, 2], [3, 4], [3, 4]])
    out.backward(np.arange(8.0).reshape(4, 2))
    np.testing.assert_array_equal(t.grad, [[2, 4], [10, 12]])
    np.testing.assert_array_equal(t.repeat(2).data, [1, 1, 2, 2, 3, 3, 4, 4])


def test_take_clip_gives_the_gradient_of_clipped_indices_to_the_end_entries() -> None:
    t = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    np.take(t, [-5, 1, 9, 9], mode="clip").sum().backward()
    np.testing.assert_array_equal(t.grad, [1.0, 1.0, 2.0])


# --- sort and partition: ties and nan -------------------------------------------------------


def test_sort_returns_a_new_tensor_and_leaves_its_input_unchanged() -> None:
    values = np.array([3.0, 1.0, 2.0])
    t = Tensor(values.copy(), requires_grad=True)
    out = t.sort()
    np.testing.assert_array_equal(out.data, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(t.data, values)  # unlike ndarray.sort, not in place


def test_sort_routes_tied_gradients_in_numpy_stable_order() -> None:
    x = np.array([3.0, 1.0, 3.0, 2.0, 1.0])  # stable argsort: [1, 4, 3, 0, 2]
    t = Tensor(x, requires_grad=True)
    out = np.sort(t, kind="quicksort")  # the gradient's order does not depend on kind
    out.backward(np.array([10.0, 20.0, 30.0, 40.0, 50.0]))
    np.testing.assert_array_equal(out.data, np.sort(x))
    np.testing.assert_array_equal(t.grad, [40.0, 10.0, 50.0, 30.0, 20.0])


def test_sort_puts_nan_last_and_gives_it_its_gradient() -> None:
    t = Tensor(np.array([2.0, np.nan, -1.0]), requires_grad=True)
    out = np.sort(t)
    np.testing.assert_array_equal(out.data, [-1.0, 2.0, np.nan])
    out.backward(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(t.grad, [2.0, 3.0, 1.0])


def test_partition_matches_numpy_places_and_matches_ties_in_stable_order() -> None:
    x = np.array([[5.0, 1.0, 5.0, 3.0, 1.0, 4.0, 1.0], [2.0, 2.0, 0.0, 9.0, 2.0, 7.0, 2.0]])
    t = Tensor(x, requires_grad=True)
    out = np.partition(t, (1, 4), axis=-1)
    expected = np.partition(x, (1, 4), axis=-1)
    np.testing.assert_array_equal(out.data, expected)
    g = np.arange(14.0).reshape(2, 7)
    out.backward(g)
    for row in range(2):  # each input gets the gradient of the place of its k-th copy
        for value in np.unique(x[row]):
            np.testing.assert_array_equal(t.grad[row][x[row] == value],
                                          g[row][expected[row] == value])


# --- put_along_axis: a new tensor; repeated indices; gradients to both ------------------------


def np_put(arr: np.ndarray, indices: np.ndarray, values: Any, axis: Any) -> np.ndarray:
    out = arr.copy()
    np.put_along_axis(out, indices, values, axis)
    return out


PUTS = [
    (np.array([[0, 2], [1, 1], [3, 0]]), (3, 2), 1),
    (np.array([[0, 2, 2], [3, 3, 3], [1, 0, 1]]), (3, 3), 1),  # repeated: the last one wins
    (np.array([[2, 0, 2, 1]]), (1, 4), 0),
    (np.array([[1, -1]]), (1,), -1),  # values broadcast along the indices
    (np.array([5, 0, 5, -1]), (4,), None),
]


@pytest.mark.parametrize(("indices", "vshape", "axis"), PUTS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_put_along_axis_matches_numpy_and_central_differences(indices: np.ndarray, vshape: Shape,
                                                             axis: Any, dtype: Any) -> None:
    rng = seeded_rng(f"put {indices.tolist()} {axis}")
    x = draw_values(rng, (3, 4), "real").astype(dtype)
    v = draw_values(rng, vshape, "real").astype(dtype)
    out = al.put_along_axis(leaf(x), indices, leaf(v), axis)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out.data, np_put(x, indices, v, axis))
    assert primitives_in(out) <= BUILDING_BLOCKS
    if dtype == np.float64:
        assert gradcheck(lambda a, b: al.put_along_axis(a, indices, b, axis), x, v)
        assert_second_order(lambda a, b: al.put_along_axis(a, indices, b, axis), [x, v],
                            f"put {axis}")


def test_put_along_axis_repeated_index_gives_the_gradient_to_the_last_value_only() -> None:
    x = Tensor(np.zeros(4), requires_grad=True)
    v = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    out = al.put_along_axis(x, np.array([1, 3, 1]), v, axis=0)
    np.testing.assert_array_equal(out.data, np_put(np.zeros(4), np.array([1, 3, 1]),
                                                   np.array([1.0, 2.0, 3.0]), 0))
    out.backward(np.array([10.0, 20.0, 30.0, 40.0]))
    np.testing.assert_array_equal(x.grad, [10.0, 0.0, 30.0, 0.0])  # overwritten: none
    np.testing.assert_array_equal(v.grad, [0.0, 40.0, 20.0])


def test_put_along_axis_takes_a_number_in_the_tensors_dtype_and_keeps_the_input() -> None:
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    out = al.put_along_axis(x, np.array([[0], [2]]), 0.1, axis=1)
    assert out.dtype == np.float64 and out.data[0, 0] == 0.1  # not rounded through float32
    np.testing.assert_array_equal(x.data, np.arange(6.0).reshape(2, 3))


def test_numpy_put_along_axis_on_a_tensor_is_refused_not_silently_lost() -> None:
    t = Tensor(np.zeros(3), requires_grad=True)
    with pytest.raises(TypeError, match=r"numpy\.put_along_axis"):
        np.put_along_axis(t, np.array([0]), 1.0, axis=0)


# --- the joins ----------------------------------------------------------------------------------


def test_joins_take_numpy_dtype_and_casting_and_record_concat() -> None:
    a = Tensor(np.ones(2), requires_grad=True)
    b = Tensor(np.zeros(3, dtype=np.float32), requires_grad=True)
    out = al.hstack([a, b], dtype=np.float32)
    assert out.dtype == np.float32 and out._op == "concat"
    out.sum().backward()
    assert a.grad.dtype == np.float64 and b.grad.dtype == np.float32
    with pytest.raises(TypeError, match=r"vstack: cannot cast dtype float64 to float32"):
        al.vstack([a, a], dtype=np.float32, casting="safe")
    assert np.concatenate([a, np.ones((1, 2))], axis=None).shape == (4,)


def test_transpose_and_reshape_take_numpy_keyword_arguments() -> None:
    t = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    np.testing.assert_array_equal(np.transpose(t, axes=(1, 0)).data, t.data.T)
    np.testing.assert_array_equal(np.reshape(t, shape=(3, 2)).data, t.data.reshape(3, 2))
    out = np.reshape(t, (3, 2), order="F")
    np.testing.assert_array_equal(out.data, np.reshape(t.data, (3, 2), order="F"))
    assert gradcheck(lambda x: x.reshape(3, 2, order="F"), t.data)
    f = leaf(np.asfortranarray(t.data))  # order "A": Fortran order for a Fortran array
    out = np.reshape(f, (6,), order="A")
    np.testing.assert_array_equal(out.data, np.reshape(f.data, (6,), order="A"))
    out.backward(out.data)
    np.testing.assert_array_equal(f.grad, f.data)


# --- errors -------------------------------------------------------------------------------------


def ones(*shape: int) -> Tensor:
    return Tensor(np.ones(shape), requires_grad=True)


@pytest.mark.parametrize(("fn", "error", "pattern"), [
    (lambda: np.squeeze(ones(2, 1), axis=0), ValueError, r"^squeeze: .*size not equal to one"),
    (lambda: np.expand_dims(ones(2), 2), np.exceptions.AxisError, r"^expand_dims: axis 2"),
    (lambda: np.swapaxes(ones(2, 3), 0, 2), np.exceptions.AxisError, r"^swapaxes: axis 2"),
    (lambda: np.moveaxis(ones(2, 3), (0, 1), 0), ValueError, r"^moveaxis: .*same number"),
    (lambda: np.fliplr(ones(3)), ValueError, r"^fliplr: input must be >= 2-d"),
    (lambda: np.rot90(ones(2, 3), axes=(0, 0)), ValueError, r"^rot90: axes must be different"),
    (lambda: np.split(ones(5), 2), ValueError, r"^split: array split does not result in an "
                                               r"equal division"),
    (lambda: np.vsplit(ones(4), 2), ValueError, r"^vsplit only works on arrays of 2 or more"),
    (lambda: np.pad(ones(3), 1, mode="mean"), TypeError, r"^pad: mode 'mean' is not supported"),
    (lambda: np.pad(ones(3), 1, mode="reflect", reflect_type="odd"), TypeError,
     r"^pad: reflect_type='odd'"),
    (lambda: np.pad(ones(3), -1), ValueError, r"^pad: .*negative"),
    (lambda: np.pad(ones(3), 1.5), TypeError, r"^pad: pad_width must be of integral type"),
    (lambda: np.pad(ones(3), 1, constant_values=ones()), TypeError, r"^pad: constant_values"),
    (lambda: np.diag(ones(2, 2, 2)), ValueError, r"^diag: input must be 1-d or 2-d"),
    (lambda: np.diagonal(ones(2, 2), axis1=1, axis2=-1), ValueError, r"^diagonal: axis1 and"),
    (lambda: np.take(ones(3), [1.0]), TypeError, r"^take: indices must be integers"),
    (lambda: np.take(ones(3), [3]), IndexError, r"^getitem: index 3 is out of bounds"),
    (lambda: np.take_along_axis(ones(2, 3), np.array([0]), axis=1), ValueError,
     r"^take_along_axis: indices of shape \(1,\) and the tensor of shape \(2, 3\)"),
    (lambda: al.put_along_axis(ones(3), np.array([3]), 1.0, axis=0), IndexError,
     r"^put_along_axis: index 3 is out of bounds for axis 0 with size 3"),
    (lambda: np.sort(ones(3), order="x"), TypeError, r"^sort: order="),
    (lambda: np.partition(ones(3), 5), ValueError, r"^partition: kth\(=5\) out of bounds"),
    (lambda: np.repeat(ones(3), [1, 2]), ValueError, r"^repeat: 2 repeats for an axis of "
                                                     r"length 3"),
    (lambda: np.tile(ones(3), -1), ValueError,
     r"^tile: reps \(-1,\) has the size -1; sizes must be non-negative"),
    (lambda: np.broadcast_arrays(ones(2), ones(3)), ValueError, r"^broadcast_arrays: shapes"),
    (lambda: np.ravel(ones(3), order="X"), ValueError, r"^ravel: order must be one of"),
], ids=["squeeze", "expand_dims", "swapaxes", "moveaxis", "fliplr", "rot90", "split", "vsplit",
        "pad mode", "pad reflect_type", "pad negative", "pad float", "pad tensor value", "diag",
        "diagonal", "take float", "take range", "take_along_axis", "put_along_axis", "sort order",
        "partition kth", "repeat", "tile", "broadcast_arrays", "ravel order"])
def test_bad_arguments_raise_errors_that_name_the_op(fn: Callable[[], Any], error: type,
                                                     pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        fn()


# --- against PyTorch (float64, values and gradients) -------------------------------------------


def _torch_pad(torch: Any, x: Any, widths: tuple, mode: str) -> Any:
    """numpy's pad widths and mode in torch.nn.functional.pad's terms (last axis first)."""
    flat = [w for pair in reversed(widths) for w in pair]
    return torch.nn.functional.pad(x[None], flat, mode=mode)[0]


TORCH: dict[str, tuple[Callable[..., Any], Callable[..., Any], tuple[Shape, ...]]] = {
    "squeeze": (lambda x: np.squeeze(x, axis=-1), lambda t, x: t.squeeze(x, -1), ((2, 1),)),
    "expand_dims": (lambda x: np.expand_dims(x, 1), lambda t, x: t.unsqueeze(x, 1), ((2, 3),)),
    "ravel": (np.ravel, lambda t, x: t.ravel(x), ((2, 3),)),
    "swapaxes": (lambda x: np.swapaxes(x, 0, 2), lambda t, x: t.swapaxes(x, 0, 2), ((2, 3, 4),)),
    "moveaxis": (lambda x: np.moveaxis(x, (0, 1), (-1, 0)),
                 lambda t, x: t.movedim(x, (0, 1), (-1, 0)), ((2, 3, 4),)),
    "flip": (lambda x: np.flip(x, (0, 2)), lambda t, x: t.flip(x, (0, 2)), ((2, 3, 4),)),
    "fliplr": (np.fliplr, lambda t, x: t.fliplr(x), ((3, 4),)),
    "flipud": (np.flipud, lambda t, x: t.flipud(x), ((3, 4),)),
    "roll": (lambda x: np.roll(x, (1, -2), axis=(0, 1)),
             lambda t, x: t.roll(x, (1, -2), (0, 1)), ((3, 4),)),
    "roll flat": (lambda x: np.roll(x, 5), lambda t, x: t.roll(x, 5), ((3, 4),)),
    "rot90": (lambda x: np.rot90(x, 3, axes=(1, 2)), lambda t, x: t.rot90(x, 3, (1, 2)),
              ((2, 3, 4),)),
    "tile": (lambda x: np.tile(x, (2, 1, 3)), lambda t, x: t.tile(x, (2, 1, 3)), ((2, 3),)),
    "repeat": (lambda x: np.repeat(x, [1, 0, 2], axis=0),
               lambda t, x: t.repeat_interleave(x, t.tensor([1, 0, 2]), dim=0), ((3, 4),)),
    "pad constant": (lambda x: np.pad(x, ((1, 0), (2, 1)), constant_values=1.5),
                     lambda t, x: t.nn.functional.pad(x, (2, 1, 1, 0), value=1.5), ((2, 3),)),
    "pad edge": (lambda x: np.pad(x, ((1, 2), (2, 1)), mode="edge"),
                 lambda t, x: _torch_pad(t, x, ((1, 2), (2, 1)), "replicate"), ((3, 4),)),
    "pad reflect": (lambda x: np.pad(x, ((2, 1), (3, 2)), mode="reflect"),
                    lambda t, x: _torch_pad(t, x, ((2, 1), (3, 2)), "reflect"), ((3, 4),)),
    "pad wrap": (lambda x: np.pad(x, ((1, 2), (2, 1)), mode="wrap"),
                 lambda t, x: _torch_pad(t, x, ((1, 2), (2, 1)), "circular"), ((3, 4),)),
    "array_split": (lambda x: np.array_split(x, 3, axis=1),
                    lambda t, x: t.tensor_split(x, 3, dim=1), ((2, 5),)),
    "split indices": (lambda x: np.split(x, [1, 3], axis=1),
                      lambda t, x: t.tensor_split(x, [1, 3], dim=1), ((2, 5),)),
    "hsplit": (lambda x: np.hsplit(x, 2), lambda t, x: t.hsplit(x, 2), ((2, 4),)),
    "vsplit": (lambda x: np.vsplit(x, [1]), lambda t, x: t.vsplit(x, [1]), ((3, 2),)),
    "dsplit": (lambda x: np.dsplit(x, 2), lambda t, x: t.dsplit(x, 2), ((1, 2, 4),)),
    "atleast_3d": (np.atleast_3d, lambda t, x: t.atleast_3d(x), ((3,),)),
    "broadcast_arrays": (lambda x, y: np.broadcast_arrays(x, y),
                         lambda t, x, y: t.broadcast_tensors(x, y), ((3, 1), (4,))),
    "diag vector": (lambda x: np.diag(x, -1), lambda t, x: t.diag(x, -1), ((3,),)),
    "diag matrix": (lambda x: np.diag(x, 1), lambda t, x: t.diag(x, 1), ((3, 4),)),
    "diagonal": (lambda x: np.diagonal(x, -1, 2, 0), lambda t, x: t.diagonal(x, -1, 2, 0),
                 ((2, 3, 4),)),
    "triu": (lambda x: np.triu(x, 1), lambda t, x: t.triu(x, 1), ((2, 3, 4),)),
    "tril": (lambda x: np.tril(x, -1), lambda t, x: t.tril(x, -1), ((3, 4),)),
    "take": (lambda x: np.take(x, [0, 2, 2, -1]),
             lambda t, x: t.take(x, t.tensor([0, 2, 2, -1])), ((3, 4),)),
    "take_along_axis": (lambda x: np.take_along_axis(x, IDX_34, axis=1),
                        lambda t, x: t.take_along_dim(x, t.tensor(IDX_34), dim=1), ((3, 4),)),
    "put_along_axis": (lambda x, v: al.put_along_axis(x, np.array([[0, 2]] * 3), v, 1),
                       lambda t, x, v: x.scatter(1, t.tensor([[0, 2]] * 3), v), ((3, 4), (3, 2))),
    "sort": (lambda x: np.sort(x, axis=0), lambda t, x: t.sort(x, dim=0, stable=True).values,
             ((3, 4),)),
    "hstack": (lambda x, y: np.hstack([x, y]), lambda t, x, y: t.hstack([x, y]), ((2, 3), (2, 1))),
    "vstack": (lambda x, y: np.vstack([x, y]), lambda t, x, y: t.vstack([x, y]), ((3,), (3,))),
    "dstack": (lambda x, y: np.dstack([x, y]), lambda t, x, y: t.dstack([x, y]), ((2, 3), (2, 3))),
    "column_stack": (lambda x, y: np.column_stack([x, y]),
                     lambda t, x, y: t.column_stack([x, y]), ((3,), (3, 2))),
    "concatenate": (lambda x, y: np.concatenate([x, y], axis=-1),
                    lambda t, x, y: t.cat([x, y], dim=-1), ((2, 3), (2, 2))),
}


def torch_max_difference(name: str) -> float:
    """The largest difference between ours and PyTorch's values and gradients (float64)."""
    torch = pytest.importorskip("torch")
    ours_fn, theirs_fn, shapes = TORCH[name]
    rng = seeded_rng("torch " + name)
    arrays = [draw_values(rng, s, "real") for s in shapes]
    ours_in = [Tensor(a, requires_grad=True) for a in arrays]
    ours = joined(ours_fn(*ours_in))
    theirs_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    theirs = theirs_fn(torch, *theirs_in)
    if isinstance(theirs, (list, tuple)):
        theirs = torch.cat([p.reshape(-1) for p in theirs])
    assert tuple(theirs.shape) == ours.shape
    w = upstream(ours.shape, "torch " + name)
    ours.backward(w)
    theirs.backward(torch.tensor(w))
    diffs = [np.abs(ours.data - theirs.detach().numpy()).max(initial=0.0)]
    diffs += [np.abs(o.grad - t.grad.numpy()).max(initial=0.0)
              for o, t in zip(ours_in, theirs_in, strict=True)]
    return float(max(diffs))


@pytest.mark.parametrize("name", TORCH)
def test_values_and_gradients_match_pytorch_in_float64(name: str) -> None:
    assert torch_max_difference(name) <= 1e-12


def test_sort_ties_route_gradients_as_pytorch_stable_sort() -> None:
    torch = pytest.importorskip("torch")
    x = np.array([[2.0, 1.0, 2.0, 1.0, 2.0], [0.0, 0.0, 0.0, -1.0, 0.0]])
    g = np.arange(10.0).reshape(2, 5)
    ours = Tensor(x, requires_grad=True)
    np.sort(ours, axis=-1).backward(g)
    theirs = torch.tensor(x, requires_grad=True)
    torch.sort(theirs, dim=-1, stable=True).values.backward(torch.tensor(g))
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())


def test_the_cases_stay_small() -> None:
    """The table runs in CI on two cores: keep every input small."""
    assert max(math.prod(spec_of(s).shape) for c in CASES for ss in c.shapes for s in ss) <= 24
