"""Tests for the numpy-backed `Tensor` class.

Construction and dtype rules, attributes, the writable `.data`, gradient bookkeeping (leaves
accumulate, interior tensors keep `.grad` only after `retain_grad()`, no two tensors share a
gradient array), backward's errors, float32 end to end, grad mode, comparisons, reflected
operators with numpy arrays, `create_graph=True`, long chains, and memory. The per-op gradient
table lives in test_ops.py; graph drawing in test_draw.py.
"""

from __future__ import annotations

import gc
import os
import weakref

import numpy as np
import pytest

from autograd_lite import Tensor, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from autograd_lite.graph import toposort


def leaf(values, dtype=np.float64):
    """A leaf that requires grad, from `values` as an array of `dtype` (float64 by default)."""
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


# --- construction and dtype rules ---------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_numpy_float_arrays_keep_their_dtype(dtype):
    t = Tensor(np.array([1.5, -2.0], dtype=dtype))
    assert t.dtype == dtype and t.data.dtype == dtype
    np.testing.assert_array_equal(t.data, [1.5, -2.0])


@pytest.mark.parametrize("data", [[1.0, 2.0], [[1, 2], [3, 4]], 3.5, 7, True, [1, 2.5]])
def test_lists_and_python_numbers_become_float32(data):
    t = Tensor(data)
    assert t.dtype == np.float32
    np.testing.assert_array_equal(t.data, np.array(data, dtype=np.float32))


def test_dtype_argument_overrides_the_float32_default():
    assert Tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert Tensor(2.0, dtype=np.float64).dtype == np.float64
    assert Tensor(np.ones(2, np.float32), dtype=np.float64).dtype == np.float64


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_])
def test_integer_and_bool_arrays_keep_their_dtype(dtype):
    t = Tensor(np.array([1, 0, 1], dtype=dtype))
    assert t.dtype == dtype
    assert not t.requires_grad


def test_construction_copies_the_input():
    x = np.array([1.0, 2.0, 3.0])
    t = Tensor(x)
    x[0] = 100.0
    assert t.data[0] == 1.0
    u = Tensor(t)
    t.data[1] = -1.0
    assert u.data[1] == 2.0


@pytest.mark.parametrize("data", [np.arange(3), np.array([True, False]), [1, 2]])
def test_integer_and_bool_tensors_cannot_require_grad(data):
    dtype = None if isinstance(data, np.ndarray) else np.int64
    with pytest.raises(TypeError, match=r"int64|bool"):
        Tensor(data, dtype=dtype, requires_grad=True)


def test_requires_grad_error_names_the_dtype():
    with pytest.raises(TypeError, match="int32"):
        Tensor(np.array([1, 2], dtype=np.int32), requires_grad=True)


@pytest.mark.parametrize("data", [
    "abc",
    "1.5",
    ["1.5", "2"],
    object(),
    None,
    {},
    {"a": 1.0},
], ids=["str", "numeric-str", "list-of-numeric-str", "object", "None", "empty-dict", "dict"])
def test_non_numeric_data_raises_type_error_naming_tensor(data):
    with pytest.raises(TypeError, match="Tensor"):
        Tensor(data)


@pytest.mark.parametrize("data", [1 + 2j, [1j, 2.0], np.array([1j]), np.complex64(1)])
def test_complex_data_raises_type_error(data):
    with pytest.raises(TypeError, match="Tensor"):
        Tensor(data)


# --- attributes ------------------------------------------------------------------------------

def test_shape_attributes_and_transpose():
    t = Tensor(np.arange(6.0).reshape(2, 3))
    assert isinstance(t.data, np.ndarray)
    assert (t.shape, t.ndim, t.size, t.dtype) == ((2, 3), 2, 6, np.float64)
    assert isinstance(t.T, Tensor) and t.T.shape == (3, 2)
    np.testing.assert_array_equal(t.T.data, t.data.T)
    assert len(t) == 2


def test_grad_is_none_before_backward_then_an_array_of_the_tensors_shape_and_dtype():
    for dtype in (np.float32, np.float64):
        x = leaf(np.ones((2, 3)), dtype)
        assert x.grad is None and x.requires_grad
        (x * x).sum().backward()
        assert isinstance(x.grad, np.ndarray)
        assert x.grad.shape == (2, 3) and x.grad.dtype == dtype
        np.testing.assert_array_equal(x.grad, 2 * np.ones((2, 3)))


def test_item_returns_a_python_number_and_names_the_shape_otherwise():
    assert Tensor(np.array([[2.5]])).item() == 2.5
    assert isinstance(Tensor(np.float64(2.5)).item(), float)
    with pytest.raises(ValueError, match=r"\(2, 2\)"):
        Tensor(np.ones((2, 2))).item()


def test_numpy_and_asarray_give_the_values():
    t = Tensor(np.array([1.0, 2.0], dtype=np.float32))
    assert isinstance(t.numpy(), np.ndarray)
    assert np.shares_memory(t.numpy(), t.data)
    a = np.asarray(t)
    assert a.dtype == np.float32
    np.testing.assert_array_equal(a, [1.0, 2.0])
    b = np.asarray(t, dtype=np.float64)
    assert b.dtype == np.float64
    np.testing.assert_array_equal(b, [1.0, 2.0])


def test_detach_shares_data_and_is_a_leaf_without_grad():
    x = leaf([1.0, 2.0])
    y = x * 3.0
    d = y.detach()
    assert np.shares_memory(d.data, y.data)
    assert not d.requires_grad and d.is_leaf and d.grad is None
    y.data[0] = 7.0
    assert d.data[0] == 7.0


def test_zero_grad_resets_to_none():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    assert x.grad is not None
    x.zero_grad()
    assert x.grad is None
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_interior_tensors_keep_grad_only_after_retain_grad():
    x = leaf([1.0, 2.0])
    h = x * 2.0
    k = x * 3.0
    k.retain_grad()
    (h * k).sum().backward()
    assert h.grad is None
    np.testing.assert_array_equal(k.grad, h.data)
    np.testing.assert_array_equal(x.grad, 2.0 * k.data + 3.0 * h.data)


def test_retain_grad_on_a_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).retain_grad()


def test_len_and_iteration_over_rows():
    x = leaf(np.arange(6.0).reshape(3, 2))
    rows = list(x)
    assert len(x) == 3 and len(rows) == 3
    assert all(isinstance(r, Tensor) and r.shape == (2,) for r in rows)
    np.testing.assert_array_equal(rows[2].data, [4.0, 5.0])
    (rows[0] * 1.0 + rows[2] * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [[1.0, 1.0], [0.0, 0.0], [2.0, 2.0]])
    with pytest.raises(TypeError):
        len(Tensor(1.0))


def test_repr_shows_values_dtype_and_requires_grad():
    r = repr(Tensor(np.array([1.5, -2.25], dtype=np.float32), requires_grad=True))
    assert r.startswith("Tensor(")
    assert "1.5" in r and "-2.25" in r and "float32" in r and "requires_grad=True" in r
    assert "requires_grad" not in repr(Tensor(np.array([1.0])))
    assert "float64" in repr(Tensor(np.array([1.0])))


# --- writable .data ---------------------------------------------------------------------

def test_data_is_writable_in_place():
    t = Tensor(np.array([1.0, 2.0, 3.0]))
    t.data[0] = 5
    np.testing.assert_array_equal(t.data, [5.0, 2.0, 3.0])
    t.data -= 1
    np.testing.assert_array_equal(t.data, [4.0, 1.0, 2.0])


def test_data_rebinds_to_a_same_shape_array_keeping_the_dtype():
    t = Tensor(np.zeros((2, 2), dtype=np.float32), requires_grad=True)
    t.data = np.full((2, 2), 0.1, dtype=np.float64)
    assert t.dtype == np.float32 and t.data.dtype == np.float32
    np.testing.assert_array_equal(t.data, np.full((2, 2), 0.1, dtype=np.float32))
    assert t.requires_grad
    (t * 2.0).sum().backward()
    assert t.grad.dtype == np.float32


def test_rebinding_a_leaf_between_forward_and_backward_keeps_the_forward_values():
    w = leaf([2.0, 3.0])
    y = (w * w).sum()  # the rule keeps the arrays the forward saw
    w.data = np.array([10.0, 10.0])
    y.backward()
    np.testing.assert_array_equal(w.grad, [4.0, 6.0])


def test_rebinding_a_recorded_output_before_backward_raises_and_after_is_allowed():
    x = leaf([0.5, 1.0])
    y = x.exp()  # exp's rule reads its own output
    with pytest.raises(RuntimeError, match="output of op 'exp'.*backward"):
        y.data = np.zeros(2)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.exp([0.5, 1.0]))
    y.data = np.zeros(2)  # the rule was used and freed: nothing can read the old values now
    assert y.data.tolist() == [0.0, 0.0]


def test_data_rebind_to_another_shape_raises_naming_both_shapes():
    t = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"\(6,\).*\(2, 3\)"):
        t.data = np.zeros(6)
    assert t.shape == (2, 3)


# --- gradient semantics ---------------------------------------------------------------

def test_leaf_gradients_accumulate_across_backward_calls():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0 + 3.0, 4.0 + 3.0])


def test_two_leaves_of_a_sum_get_distinct_gradient_arrays():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad, b.grad)
    a.grad[0] = 99.0
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])


def test_retained_interior_and_its_leaves_get_distinct_gradient_arrays():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    c = a * 1
    c.retain_grad()
    (c + b).backward(np.array([1.0, 2.0]))
    grads = [a.grad, b.grad, c.grad]
    for i in range(3):
        for j in range(i):
            assert not np.shares_memory(grads[i], grads[j])
    c.grad[:] = -1.0
    np.testing.assert_array_equal(a.grad, [1.0, 2.0])
    np.testing.assert_array_equal(b.grad, [1.0, 2.0])


def test_gradient_of_a_sum_is_writable_and_contiguous():
    x = leaf(np.ones((3, 4)))
    x.sum().backward()
    assert x.grad.flags.writeable and x.grad.flags.c_contiguous
    x.grad[0, 0] = 5.0  # not a read-only broadcast view
    y = leaf(np.ones((3, 4)))
    y.T.mean().backward()
    assert y.grad.flags.writeable and y.grad.flags.c_contiguous


def test_user_gradient_array_is_not_aliased_by_any_grad():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    c = a + b
    c.retain_grad()
    g = np.array([1.0, 2.0])
    c.backward(g)
    g[:] = 0.0
    for t in (a, b, c):
        np.testing.assert_array_equal(t.grad, [1.0, 2.0])
    x = leaf([5.0, 6.0])
    h = np.array([0.5, 0.25])
    x.backward(h)  # a leaf as the root: the seed itself would become its .grad
    h[:] = 9.0
    np.testing.assert_array_equal(x.grad, [0.5, 0.25])


def test_backward_reads_the_callers_gradient_without_changing_or_keeping_it():
    # the seed is the caller's array, not a copy: no VJP may write into it, and no `.grad`
    # (retain_grad=True gives every node one) may be it or a view of it
    x = leaf(np.linspace(-1.0, 1.0, 12).reshape(3, 4))
    y = ((x * 2.0).tanh() + x).reshape(4, 3)
    g = np.arange(12.0).reshape(4, 3)
    before = g.copy()
    y.backward(g, retain_graph=True, retain_grad=True)
    np.testing.assert_array_equal(g, before)
    first = x.grad.copy()
    assert not np.shares_memory(y.grad, g)
    g[:] = 0.0
    np.testing.assert_array_equal(y.grad, before)
    x.grad = None
    y.backward(g)  # the same array object again, now zeros: a fresh sweep, zero gradient
    np.testing.assert_array_equal(x.grad, np.zeros((3, 4)))
    assert np.any(first != 0)


def test_create_graph_keeps_its_own_copy_of_the_gradient():
    x = leaf([1.0, 2.0])
    g = np.array([3.0, 5.0])
    (x ** 3).backward(g, create_graph=True)
    gx = x.grad  # 3x² ḡ, recorded
    g[:] = 100.0  # after the call: the recorded graph must not see it
    x.grad = None
    gx.sum().backward()
    np.testing.assert_allclose(x.grad.data if isinstance(x.grad, Tensor) else x.grad,
                               [6.0 * 1.0 * 3.0, 6.0 * 2.0 * 5.0])


# --- backward errors --------------------------------------------------------------------

def test_backward_on_a_non_scalar_needs_a_gradient_or_a_sum():
    y = leaf([1.0, 2.0]) * 2.0
    with pytest.raises(RuntimeError, match=r"gradient.*\.sum\(\)"):
        y.backward()


def test_backward_gradient_of_the_wrong_shape_names_both_shapes():
    y = leaf([1.0, 2.0, 3.0]) * 2.0
    with pytest.raises(ValueError, match=r"\(4,\).*\(3,\)"):
        y.backward(np.ones(4))


def test_backward_on_a_tensor_that_does_not_require_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (Tensor(np.ones(3)) * 2.0).sum().backward()


def test_second_backward_on_a_freed_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_retained_graph_second_backward_adds_exactly_one_more_gradient():
    x = leaf([1.0, 2.0, 3.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0, 12.0])


# --- dtypes end to end ---------------------------------------------------------------------

def test_float32_mlp_expression_stays_float32_with_float32_grads():
    rng = np.random.default_rng(0)
    x = Tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]])
    W = Tensor(rng.standard_normal((3, 2)).astype(np.float32), requires_grad=True)
    b = Tensor([0.1, -0.2], requires_grad=True)
    h = (x @ W + b).tanh()
    loss = h.sum()
    assert h.dtype == np.float32 and loss.dtype == np.float32
    loss.backward()
    assert W.grad.dtype == np.float32 and b.grad.dtype == np.float32
    d = 1 - np.tanh(x.data.astype(np.float64) @ W.data + b.data) ** 2
    np.testing.assert_allclose(W.grad, x.data.T @ d, rtol=1e-5)
    np.testing.assert_allclose(b.grad, d.sum(axis=0), rtol=1e-5)


def test_python_numbers_take_the_tensors_float_dtype():
    x = leaf([1.0, 2.0], np.float32)
    for y in (x * 2.0, 2.0 - x, x / 3, x ** 2, 2 ** x):
        assert y.dtype == np.float32


def test_float32_tensor_with_float64_array_follows_numpy_but_grad_stays_float32():
    x = leaf([1.0, 2.0], np.float32)
    y = x * np.array([0.5, 3.0])
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [0.5, 3.0])


# --- grad mode ------------------------------------------------------------------------------

def test_no_grad_records_nothing():
    x = leaf([1.0, 2.0])
    with no_grad():
        y = (x * x).exp() + 1.0
    assert not y.requires_grad and y.is_leaf
    with pytest.raises(RuntimeError):
        y.sum().backward()
    assert is_grad_enabled()


def test_enable_grad_inside_no_grad_records():
    x = leaf([1.0, 2.0])
    with no_grad():
        with enable_grad():
            y = x * x
        z = x * x
    assert y.requires_grad and not z.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_set_grad_enabled_as_a_statement_and_a_block():
    x = leaf([1.0])
    set_grad_enabled(False)
    try:
        assert not (x * 2.0).requires_grad
    finally:
        set_grad_enabled(True)
    assert (x * 2.0).requires_grad
    with set_grad_enabled(False):
        assert not (x * 2.0).requires_grad
    assert is_grad_enabled()


def test_detach_stops_gradients():
    x = leaf([1.0, 2.0, 3.0])
    (x.detach() * x).sum().backward()  # d/dx of c·x with c = x held constant
    np.testing.assert_array_equal(x.grad, [1.0, 2.0, 3.0])


# --- comparisons and hashing -----------------------------------------------------------------

def test_casting_to_an_integer_dtype_gives_a_constant():
    t = leaf([1.5, 2.5])
    i = t.astype(np.int32)
    assert i.dtype == np.int32 and not i.requires_grad and i.is_leaf
    f = t.astype(np.float64)
    assert f.requires_grad and f.dtype == np.float64


def test_comparisons_return_bool_tensors_without_grad():
    t = leaf([1.0, 2.0, 3.0])
    expected = {
        "<": [True, False, False], "<=": [True, True, False], ">": [False, False, True],
        ">=": [False, True, True], "==": [False, True, False], "!=": [True, False, True],
    }
    results = {"<": t < 2, "<=": t <= 2, ">": t > 2, ">=": t >= 2, "==": t == 2, "!=": t != 2}
    for op, r in results.items():
        assert isinstance(r, Tensor) and r.dtype == np.bool_, op
        assert not r.requires_grad, op
        np.testing.assert_array_equal(r.data, expected[op], err_msg=op)
    np.testing.assert_array_equal((t < Tensor(np.array([3.0, 2.0, 1.0]))).data,
                                  [True, False, False])


def test_equality_is_elementwise_but_tensors_hash_by_identity():
    t = leaf([1.0, 2.0])
    u = Tensor(np.array([1.0, 2.0]))
    np.testing.assert_array_equal((t == t).data, [True, True])
    np.testing.assert_array_equal((t == u).data, [True, True])
    d = {t: "t", u: "u"}
    assert d[t] == "t" and d[u] == "u"
    assert t in {t} and len({t, u}) == 2


# --- reflected operators with numpy arrays and Python numbers ----------------------------------

def test_ndarray_and_number_on_the_left_return_tensors_that_keep_the_graph():
    t = leaf([0.5, 1.0, 2.0])
    a = np.array([2.0, -1.0, 4.0])
    M = np.arange(6.0).reshape(2, 3)
    cases = [
        (lambda: a + t, np.ones(3)),
        (lambda: a * t, a),
        (lambda: 2.0 - t, -np.ones(3)),
        (lambda: 2 ** t, 2.0 ** t.data * np.log(2.0)),
        (lambda: M @ t, M.sum(axis=0)),
    ]
    for make, expected in cases:
        t.zero_grad()
        y = make()
        assert isinstance(y, Tensor) and y.requires_grad
        y.sum().backward()
        np.testing.assert_allclose(t.grad, expected, rtol=1e-14)


# --- higher order ------------------------------------------------------------------------

def test_create_graph_makes_grad_a_tensor_and_gives_second_derivatives():
    x = leaf([1.0, -2.0, 0.5])
    (x ** 3).sum().backward(create_graph=True)
    g = x.grad
    assert isinstance(g, Tensor) and g.requires_grad
    np.testing.assert_allclose(g.data, 3 * x.data ** 2)
    x.zero_grad()
    g.sum().backward()
    assert isinstance(x.grad, np.ndarray)
    np.testing.assert_allclose(x.grad, 6 * x.data)


# --- long chains and memory -----------------------------------------------------------------

def test_hundred_thousand_op_chain_backprops_with_the_closed_form():
    n = 50_000
    x = leaf([0.5, -1.0, 2.0])
    h = x
    for _ in range(n):
        h = h * 1.0001 + 0.0001  # h_n = 1.0001^n (x + 1) - 1
    h.sum().backward()
    np.testing.assert_allclose(x.grad, np.full(3, 1.0001**n), rtol=1e-9)
    np.testing.assert_allclose(h.data, 1.0001**n * (x.data + 1) - 1, rtol=1e-9, atol=1e-9)
    del h  # dropping a 100,000-node chain must not overflow the C stack


def _rss_bytes():
    gc.collect()
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc/self/statm")
def test_training_loop_does_not_grow_memory():
    rng = np.random.default_rng(0)
    W = Tensor((rng.standard_normal((256, 256)) * 0.05).astype(np.float32), requires_grad=True)
    x = Tensor(rng.standard_normal((64, 256)).astype(np.float32))

    def step():
        loss = ((x @ W).tanh() ** 2).mean()
        loss.backward()
        W.data -= 0.01 * W.grad
        W.grad = None
        return loss.item()

    first = [step() for _ in range(20)][0]  # warm-up: allocator pools, caches
    before = _rss_bytes()
    for _ in range(300):
        last = step()
    growth = _rss_bytes() - before
    assert growth < 20 * 2**20, f"RSS grew by {growth / 2**20:.1f} MiB"
    assert W.dtype == np.float32 and last < first


def _tensor_graph_with_weakrefs():
    x = Tensor(np.array([0.5, 1.5]), requires_grad=True, label="x")
    w = Tensor(np.array([[1.0, -1.0], [2.0, 0.5]]), requires_grad=True, label="w")
    h = (x @ w + 1.0).tanh()
    out = (h * h).sum() + (h.exp() / x).mean()
    refs = [weakref.ref(n) for n in toposort(out)]
    return out, refs


@pytest.mark.parametrize("run_backward", [False, True])
@pytest.mark.parametrize("retain", [False, True])
def test_dropping_the_root_frees_the_graph_without_the_cycle_collector(run_backward, retain):
    gc.collect()
    gc.disable()
    try:
        out, refs = _tensor_graph_with_weakrefs()
        if run_backward:
            out.backward(retain_graph=retain)
        assert len(refs) > 8 and all(r() is not None for r in refs)
        del out
        assert [r() for r in refs if r() is not None] == []
    finally:
        gc.enable()


def test_create_graph_gradients_are_freed_by_reference_counting():
    gc.collect()
    gc.disable()
    try:
        x = leaf([1.0, 2.0])
        (x ** 3).sum().backward(create_graph=True)
        refs = [weakref.ref(n) for n in toposort(x.grad)]
        assert len(refs) > 2
        x.zero_grad()
        alive = [r() for r in refs if r() is not None]
        assert len(alive) == 1 and alive[0] is x  # only the leaf itself survives
    finally:
        gc.enable()


# --- errors that name the op ---------------------------------------------------------------------

def test_an_operand_that_is_no_number_gives_pythons_unsupported_operand_error():
    t = Tensor([1.0])
    for operand in ("a", None, object()):
        with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for \+: 'Tensor' "):
            t + operand
        with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for -: "):
            operand - t


def test_an_int_that_does_not_fit_the_tensors_dtype_names_the_op():
    t = Tensor(np.array([1], dtype=np.int64))
    with pytest.raises(ValueError, match=r"^add: the Python int 1180591620717411303424 does not "
                                         r"fit in dtype int64"):
        t + 2 ** 70
    with pytest.raises(ValueError, match=r"^mul: the Python int"):
        2 ** 70 * t
    assert (Tensor([1.0]) + 2 ** 70).data[0] == np.float32(2.0 ** 70)  # a float tensor: fine


@pytest.mark.parametrize("gradient", ["abc", ["x"], None.__class__, {"a": 1}])
def test_backward_with_a_gradient_that_holds_no_numbers_is_a_type_error(gradient):
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"^backward: gradient must "):
        (x * 2.0).backward(gradient)
    assert x.grad is None
