"""Tests for PyTorch's names of ops (`ops/aliases.py`): known values and gradients for each
alias, its errors, that numpy's names keep their meaning, and (where PyTorch is installed)
values and gradients against PyTorch in float64."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import Tensor, gradcheck
from autograd_lite.ops import OPS

ALIASES = ["unsqueeze", "view", "expand", "permute", "clone", "matmul", "pow", "masked_fill",
           "chunk", "argmax", "argmin"]


def grad_of(fn, array):
    """fn(x) and ∂(Σ fn(x)·u)/∂x for a fixed u (the output's own shape)."""
    x = Tensor(array, requires_grad=True)
    out = fn(x)
    u = np.arange(1, out.size + 1, dtype=np.float64).reshape(out.shape)
    (out * u).sum().backward()
    return out, x.grad


# --- declared once, as composites ---------------------------------------------------------------

def test_every_alias_is_a_tensor_method_declared_as_a_composite():
    composites = {op.method: op for op in OPS.values() if op.kind == "composite"}
    for name in ALIASES:
        assert name in composites, name
        assert callable(getattr(Tensor, name))
        assert composites[name].prim is None  # no primitive, no VJP of its own


def test_module_level_functions_follow_pytorch():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    assert al.unsqueeze(x, 0).shape == (1, 2, 3)
    assert al.permute(x, 1, 0).shape == (3, 2)
    assert [t.shape for t in al.chunk(x, 3, 1)] == [(2, 1)] * 3
    assert al.argmax(x).item() == 5 and al.argmin(x, dim=1).tolist() == [0, 0]
    assert al.pow(x, 2).tolist() == [[0, 1, 4], [9, 16, 25]]
    assert al.clone(x).tolist() == x.tolist()


def test_numpy_names_keep_numpy_meaning():
    x = Tensor(np.array([[1.0, 5.0], [7.0, 2.0]]))
    assert x.max(axis=1).tolist() == [5.0, 7.0]  # values, not (values, indices)
    assert x.argmax(axis=0).tolist() == [1, 0]
    assert np.argmax(x) == 2  # numpy's own function on a Tensor: numpy's answer
    assert x.reshape(4).tolist() == [1.0, 5.0, 7.0, 2.0]


# --- each alias: known values and gradients ----------------------------------------------------

def test_unsqueeze():
    x = np.arange(6.0).reshape(2, 3)
    for dim, shape in [(0, (1, 2, 3)), (1, (2, 1, 3)), (2, (2, 3, 1)), (-1, (2, 3, 1)),
                       (-3, (1, 2, 3))]:
        out, g = grad_of(lambda t, d=dim: t.unsqueeze(d), x)
        assert out.shape == shape
        np.testing.assert_array_equal(g, np.arange(1, 7).reshape(2, 3))
    with pytest.raises(IndexError, match="unsqueeze: dim 3"):
        Tensor(x).unsqueeze(3)


def test_view_is_reshape():
    out, g = grad_of(lambda t: t.view(3, 2), np.arange(6.0).reshape(2, 3))
    assert out.shape == (3, 2) and out.tolist() == [[0, 1], [2, 3], [4, 5]]
    np.testing.assert_array_equal(g, np.arange(1, 7).reshape(2, 3))
    assert Tensor(np.zeros((2, 3))).view(-1).shape == (6,)
    assert Tensor(np.zeros((2, 3))).view((3, -1)).shape == (3, 2)


def test_expand_broadcasts_and_sums_the_gradient_back():
    out, g = grad_of(lambda t: t.expand(2, -1, 3), np.array([[1.0], [2.0]]))
    assert out.shape == (2, 2, 3)
    assert out.tolist()[1] == [[1, 1, 1], [2, 2, 2]]
    # u = 1..12 over (2, 2, 3): row 0 gets 1+2+3 + 7+8+9, row 1 gets 4+5+6 + 10+11+12
    np.testing.assert_array_equal(g, [[30.0], [48.0]])
    with pytest.raises(ValueError, match="-1 is not allowed for a new leading"):
        Tensor(np.zeros((3, 1))).expand(-1, 3, 4)
    with pytest.raises(ValueError, match="at least 2"):
        Tensor(np.zeros((3, 1))).expand(3)


def test_permute():
    x = np.arange(24.0).reshape(2, 3, 4)
    out, g = grad_of(lambda t: t.permute(2, 0, 1), x)
    np.testing.assert_array_equal(out.data, x.transpose(2, 0, 1))
    np.testing.assert_array_equal(g, (np.arange(1, 25).reshape(4, 2, 3)).transpose(1, 2, 0))
    assert Tensor(x).permute((1, 0, 2)).shape == (3, 2, 4)
    with pytest.raises(ValueError, match="permutation"):
        Tensor(x).permute(0, 1)


def test_clone_is_a_recorded_copy():
    x = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    c = x.clone()
    assert c._op and c.data is not x.data and not np.shares_memory(c.data, x.data)
    c.data[0] = 99.0  # its own memory
    assert x.data[0] == 1.0
    (c * np.array([3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])
    assert Tensor(np.arange(3)).clone().dtype == np.int64


def test_matmul_and_pow():
    a, b = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.5], [-1.0]])
    assert Tensor(a).matmul(Tensor(b)).tolist() == [[-1.5], [-2.5]]
    assert Tensor(a).matmul(b).tolist() == [[-1.5], [-2.5]]
    out, g = grad_of(lambda t: t.pow(3), np.array([1.0, 2.0]))
    assert out.tolist() == [1.0, 8.0]
    np.testing.assert_array_equal(g, [3.0, 2 * 12.0])
    assert gradcheck(lambda x, y: x.pow(y), np.array([1.5, 2.0]), np.array([0.5, 3.0]))
    assert gradcheck(lambda x, y: x.matmul(y), a, b)


def test_masked_fill_gives_no_gradient_to_filled_entries():
    x = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    out = x.masked_fill(np.array([True, False]), -1.0)  # the mask broadcasts over rows
    assert out.tolist() == [[-1.0, 2.0], [-1.0, 4.0]]
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 1.0], [0.0, 1.0]])
    mask = Tensor(np.array([[False, True], [False, False]]))
    assert x.masked_fill(mask, 0).dtype == np.float64  # a number takes x's dtype
    with pytest.raises(TypeError, match="masked_fill: mask must be boolean"):
        x.masked_fill(np.array([1, 0]), 0.0)
    with pytest.raises(ValueError, match="does not broadcast"):
        x.masked_fill(np.zeros((3, 2, 2), dtype=bool), 0.0)


def test_masked_fill_with_a_tensor_value_sends_it_the_filled_gradient():
    x = Tensor(np.zeros(4), requires_grad=True)
    v = Tensor(np.array(2.0), requires_grad=True)
    out = x.masked_fill(np.array([True, False, True, True]), v)
    assert out.tolist() == [2.0, 0.0, 2.0, 2.0]
    out.sum().backward()
    assert v.grad == 3.0
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0, 0.0])


@pytest.mark.parametrize("n, chunks, sizes", [(5, 4, [2, 2, 1]), (6, 4, [2, 2, 2]),
                                              (6, 3, [2, 2, 2]), (7, 3, [3, 3, 1]),
                                              (2, 5, [1, 1]), (0, 3, [0, 0, 0])])
def test_chunk_sizes_are_pytorchs(n, chunks, sizes):
    pieces = Tensor(np.arange(float(n))).chunk(chunks)
    assert isinstance(pieces, tuple) and [len(p) for p in pieces] == sizes


def test_chunk_along_a_dim_and_gradients():
    x = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    a, b = x.chunk(2, dim=1)
    assert a.tolist() == [[0, 1], [4, 5], [8, 9]] and b.shape == (3, 2)
    (a.sum() + 10 * b.sum()).backward()
    np.testing.assert_array_equal(x.grad, [[1, 1, 10, 10]] * 3)
    with pytest.raises(ValueError, match="chunks must be a positive int"):
        x.chunk(0)


def test_argmax_and_argmin_return_constant_int64_tensors():
    x = Tensor(np.array([[1.0, 9.0, 9.0], [4.0, 0.0, 4.0]]), requires_grad=True)
    i = x.argmax()
    assert i.dtype == np.int64 and i.shape == () and i.item() == 1  # first of the ties
    assert not i.requires_grad and not i._parents
    assert x.argmax(axis=1).tolist() == [1, 0] and x.argmax(dim=1).tolist() == [1, 0]
    assert x.argmin(0).tolist() == [0, 1, 1]
    assert x.argmin(1, keepdims=True).shape == (2, 1) and x.argmax(dim=0, keepdim=True).shape \
        == (1, 3)
    with pytest.raises(TypeError, match="give only one"):
        x.argmax(0, dim=1)
    with pytest.raises(np.exceptions.AxisError):
        x.argmin(axis=2)


def test_numel_and_tolist_are_plain_methods():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    assert x.numel() == 6 and x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


def test_aliases_give_second_derivatives():
    x = Tensor(np.array([0.5, 1.5]), requires_grad=True)
    y = x.unsqueeze(0).expand(3, -1).permute(1, 0).clone().pow(3).sum()
    y.backward(create_graph=True)
    g = x.grad  # Σ over 3 copies of x³: 9x², a graph-carrying Tensor
    np.testing.assert_allclose(g.data, 9 * x.data ** 2)
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad, 18 * np.array([0.5, 1.5]))


# --- against PyTorch ------------------------------------------------------------------------------

CASES = [
    ("unsqueeze", lambda t: t.unsqueeze(1), (2, 3)),
    ("view", lambda t: t.view(3, -1), (2, 3)),
    ("expand", lambda t: t.expand(4, -1, 3), (2, 1)),
    ("permute", lambda t: t.permute(2, 0, 1), (2, 3, 4)),
    ("clone", lambda t: t.clone(), (2, 3)),
    ("pow", lambda t: t.pow(3), (2, 3)),
    ("pow_tensor", lambda t: t.abs().pow(t), (2, 3)),
    ("matmul", lambda t: t.matmul(t.permute(1, 0)), (2, 3)),
    ("chunk", lambda t: t.chunk(3, 1)[1] * 2 + t.chunk(3, 1)[2].sum(), (2, 5)),
]


@pytest.mark.parametrize("name, fn, shape", CASES, ids=[c[0] for c in CASES])
def test_against_pytorch(name, fn, shape):
    torch = pytest.importorskip("torch")
    array = np.random.default_rng(len(name)).normal(size=shape)
    x = Tensor(array, requires_grad=True)
    xt = torch.tensor(array, requires_grad=True)
    out, ref = fn(x), fn(xt)
    u = np.random.default_rng(1).normal(size=out.shape)
    (out * u).sum().backward()
    (ref * torch.tensor(u)).sum().backward()
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-13, atol=1e-15)


def test_masked_fill_chunk_and_arg_extremes_against_pytorch():
    torch = pytest.importorskip("torch")
    array = np.random.default_rng(3).normal(size=(3, 4))
    array[1, 2] = array[1, 0]  # a tie
    mask = array > 0.2
    x, xt = Tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)
    out, ref = x.masked_fill(mask, 0.5), xt.masked_fill(torch.tensor(mask), 0.5)
    (out * out).sum().backward()
    (ref * ref).sum().backward()
    np.testing.assert_array_equal(out.data, ref.detach().numpy())
    np.testing.assert_array_equal(x.grad, xt.grad.numpy())
    for dim in (None, 0, 1, -1):
        assert x.argmax(dim=dim).tolist() == xt.argmax(dim=dim).tolist()
        assert x.argmin(dim=dim).tolist() == xt.argmin(dim=dim).tolist()
    for n in range(0, 9):
        for chunks in range(1, 6):
            ours = Tensor(np.arange(float(n))).chunk(chunks)
            theirs = torch.arange(float(n)).chunk(chunks)
            assert [p.tolist() for p in ours] == [p.tolist() for p in theirs], (n, chunks)
