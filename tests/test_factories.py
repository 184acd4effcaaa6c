"""Tests for `autograd_lite.factories`: PyTorch's tensor factories — sizes as varargs, a
tuple or `size=`, dtype defaults and inference, requires_grad, the shared generator
(`manual_seed` reproducibility, `rng=`), and (where PyTorch is installed) the same values,
dtypes and shapes as PyTorch's."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lite
from autograd_lite import Tensor
from autograd_lite import factories as f

F32, F64, I64 = np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.int64)


# --- sizes ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("factory", [f.zeros, f.ones, f.empty, f.randn, f.rand])
def test_sizes_as_varargs_a_tuple_a_list_or_a_keyword(factory):
    assert factory(2, 3).shape == (2, 3)
    assert factory((2, 3)).shape == (2, 3)
    assert factory([4]).shape == (4,)
    assert factory(size=(1, 2)).shape == (1, 2)
    assert factory(()).shape == ()
    assert factory(0, 3).shape == (0, 3)
    out = factory(2, 2)
    assert isinstance(out, Tensor) and out.dtype == F32 and not out.requires_grad


@pytest.mark.parametrize("factory", [f.zeros, f.ones, f.empty, f.randn, f.rand])
def test_size_errors(factory):
    with pytest.raises(TypeError, match="missing the size"):
        factory()
    with pytest.raises(ValueError, match="non-negative"):
        factory(2, -1)
    with pytest.raises(TypeError, match="ints"):
        factory(2.5)
    with pytest.raises(TypeError, match="not both"):
        factory(2, size=(2,))


# --- values and dtypes ----------------------------------------------------------------------------

def test_constant_fills():
    assert f.zeros(2, 2).tolist() == [[0, 0], [0, 0]]
    assert f.ones(3, dtype=np.int64).tolist() == [1, 1, 1]
    assert f.ones(3, dtype=np.int64).dtype == I64
    assert f.zeros(2, dtype=np.float64).dtype == F64
    assert f.empty(5, dtype=np.float64).shape == (5,)
    assert f.eye(2, 3).tolist() == [[1, 0, 0], [0, 1, 0]] and f.eye(3).shape == (3, 3)


@pytest.mark.parametrize("value, dtype", [(3, I64), (1.5, F32), (True, np.dtype(bool))])
def test_full_infers_its_dtype_from_the_value(value, dtype):
    t = f.full((2, 3), value)
    assert t.dtype == dtype and t.shape == (2, 3) and (t.data == value).all()
    assert f.full(4, value, dtype=np.float64).dtype == F64


def test_tensor_infers_dtype_like_torch_tensor():
    assert f.tensor([1, 2]).dtype == I64
    assert f.tensor([1, 2.5]).dtype == F32
    assert f.tensor([True, False]).dtype == np.dtype(bool)
    assert f.tensor(3).dtype == I64 and f.tensor(3).shape == ()
    assert f.tensor(np.arange(3, dtype=np.int32)).dtype == np.dtype(np.int32)
    assert f.tensor(np.ones(2)).dtype == F64
    assert f.tensor([1, 2], dtype=np.float64).dtype == F64
    with pytest.raises(TypeError):
        f.tensor(["a"])


def test_tensor_copies_and_makes_a_leaf():
    array = np.array([1.0, 2.0])
    t = f.tensor(array, requires_grad=True)
    array[0] = 9.0
    assert t.tolist() == [1.0, 2.0] and t.requires_grad
    source = Tensor(np.array([3.0]), requires_grad=True)
    copy = f.tensor(source * 2)
    assert copy.tolist() == [6.0] and not copy.requires_grad and not copy._parents


def test_arange_dtypes_and_values():
    assert f.arange(5).tolist() == [0, 1, 2, 3, 4] and f.arange(5).dtype == I64
    assert f.arange(2, 8, 3).tolist() == [2, 5] and f.arange(10, 1, -3).tolist() == [10, 7, 4]
    assert f.arange(5.0).dtype == F32 and f.arange(0, 1, 0.25).tolist() == [0, 0.25, 0.5, 0.75]
    assert f.arange(3, dtype=np.float64).dtype == F64
    assert f.arange(3, 1).shape == (0,)
    with pytest.raises(ValueError, match="step"):
        f.arange(0, 1, 0)


def test_linspace():
    t = f.linspace(0, 1, 5)
    assert t.dtype == F32 and t.tolist() == [0, 0.25, 0.5, 0.75, 1]
    assert f.linspace(-1, 1, 3, dtype=np.float64).tolist() == [-1.0, 0.0, 1.0]
    assert f.linspace(0, 1, 1).tolist() == [0.0]


def test_like_factories_keep_shape_and_dtype():
    x = Tensor(np.ones((2, 3), dtype=np.float64), requires_grad=True)
    for t in (f.zeros_like(x), f.ones_like(x), f.full_like(x, 7)):
        assert t.shape == (2, 3) and t.dtype == F64 and not t.requires_grad
    assert f.full_like(x, 7).data[0, 0] == 7.0 and f.ones_like(x).data.sum() == 6
    labels = np.arange(4)
    assert f.zeros_like(labels).dtype == I64 and f.full_like(labels, 2).tolist() == [2] * 4
    assert f.ones_like(x, dtype=np.float32).dtype == F32
    assert f.zeros_like(x, requires_grad=True).requires_grad


def test_requires_grad():
    for t in (f.zeros(2, requires_grad=True), f.randn(2, requires_grad=True),
              f.tensor([1.0], requires_grad=True), f.arange(3.0, requires_grad=True),
              f.linspace(0, 1, 3, requires_grad=True), f.eye(2, requires_grad=True)):
        assert t.requires_grad and not t._parents
        (t * t).sum().backward()
        np.testing.assert_array_equal(t.grad, 2 * t.data)
    with pytest.raises(TypeError, match="floating-point"):
        f.randint(10, (3,), requires_grad=True)
    with pytest.raises(TypeError, match="floating-point"):
        f.tensor([1, 2], requires_grad=True)


# --- random ---------------------------------------------------------------------------------------

def test_manual_seed_makes_the_random_factories_reproducible():
    def draw():
        return (f.randn(3, 2).data, f.rand(4).data, f.randint(0, 10, (5,)).data)

    autograd_lite.manual_seed(123)
    first = draw()
    autograd_lite.manual_seed(123)
    second = draw()
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    autograd_lite.manual_seed(124)
    assert not np.array_equal(draw()[0], first[0])


def test_rng_argument_draws_from_its_own_generator():
    a = f.randn(4, rng=np.random.default_rng(5)).data
    b = f.randn(4, rng=np.random.default_rng(5)).data
    np.testing.assert_array_equal(a, b)
    with pytest.raises(TypeError, match="Generator"):
        f.rand(2, rng=5)


def test_random_values_and_dtypes():
    autograd_lite.manual_seed(0)
    u = f.rand(10_000, dtype=np.float64).data
    assert u.dtype == F64 and 0 <= u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.02
    z = f.randn(10_000).data
    assert z.dtype == F32 and abs(z.mean()) < 0.05 and abs(z.std() - 1) < 0.05
    with pytest.raises(TypeError, match="floating"):
        f.randn(2, dtype=np.int64)


def test_randint_has_pytorchs_two_forms():
    autograd_lite.manual_seed(0)
    high_only = f.randint(3, (1000,))
    assert high_only.dtype == I64 and set(high_only.tolist()) == {0, 1, 2}
    low_high = f.randint(5, 8, (1000,))
    assert set(low_high.tolist()) == {5, 6, 7}
    assert f.randint(5, 8, size=(2, 2)).shape == (2, 2)
    assert f.randint(4, size=(3,)).shape == (3,)
    assert f.randint(0, 2, (3,), dtype=np.float32).dtype == F32
    with pytest.raises(TypeError, match="missing the size"):
        f.randint(0, 10)
    with pytest.raises(ValueError, match="empty"):
        f.randint(5, 5, (2,))


# --- against PyTorch ------------------------------------------------------------------------------

def test_values_dtypes_and_shapes_match_pytorch():
    torch = pytest.importorskip("torch")
    cases = [
        ("zeros", (2, 3)), ("ones", ((2, 3),)), ("eye", (3, 2)), ("arange", (5,)),
        ("arange", (1, 4)), ("arange", (10, 1, -3)), ("arange", (0.0, 1.0, 0.1)),
        ("arange", (-2.5, 3)), ("linspace", (-3.0, 3.0, 7)), ("linspace", (0, 1, 100)),
        ("full", ((2, 2), 3)), ("full", ((2,), 1.5)), ("full", ((2,), True)),
        ("tensor", ([[1, 2], [3, 4]],)), ("tensor", ([1.5, 2],)), ("tensor", (True,)),
    ]
    for name, args in cases:
        ours, theirs = getattr(f, name)(*args), getattr(torch, name)(*args)
        assert ours.shape == tuple(theirs.shape), (name, args)
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), (name, args)
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1.2e-7, atol=1e-7,
                                   err_msg=f"{name}{args}")
    x = torch.zeros(2, 3, dtype=torch.float64)
    assert str(torch.zeros_like(x).dtype) == "torch." + str(f.zeros_like(np.zeros((2, 3))).dtype)


# --- multinomial ------------------------------------------------------------------------------

def test_multinomial_with_replacement_follows_the_row_weights():
    counts = np.bincount(f.multinomial([1.0, 0.0, 3.0], 40_000, replacement=True,
                                       generator=np.random.default_rng(0)).data, minlength=3)
    assert counts[1] == 0
    assert abs(counts[2] / 40_000 - 0.75) < 0.01  # weights need not sum to 1


def test_multinomial_draws_each_row_independently_and_returns_int64():
    probs = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]])
    out = f.multinomial(probs, 4, replacement=True)
    assert out.dtype == np.int64 and out.shape == (2, 4) and not out.requires_grad
    assert out.data.tolist() == [[1] * 4, [2] * 4]
    assert f.multinomial(Tensor([0.2, 0.8]), 1).shape == (1,)


def test_multinomial_without_replacement_never_repeats_a_category():
    gen = np.random.default_rng(1)
    for _ in range(50):
        row = f.multinomial([0.5, 0.1, 0.0, 0.3, 0.1], 4, generator=gen).data
        assert sorted(row.tolist()) == [0, 1, 3, 4]  # all non-zero ones, each once
    # the first draw follows the weights, as sequential sampling without replacement does
    firsts = np.bincount([f.multinomial([1.0, 3.0], 2, generator=gen).data[0]
                          for _ in range(8000)], minlength=2)
    assert abs(firsts[1] / 8000 - 0.75) < 0.02


def test_multinomial_is_reproducible_with_manual_seed():
    autograd_lite.manual_seed(5)
    a = autograd_lite.multinomial(np.ones((3, 10)), 5)
    autograd_lite.manual_seed(5)
    assert np.array_equal(autograd_lite.multinomial(np.ones((3, 10)), 5).data, a.data)


@pytest.mark.parametrize("probs, n, kwargs, error, words", [
    ([0.5, -0.1], 1, {}, ValueError, "finite and non-negative"),
    ([0.5, np.nan], 1, {}, ValueError, "finite and non-negative"),
    ([[0.0, 0.0], [1.0, 1.0]], 1, {}, ValueError, r"positive total weight; row\(s\) \[0\]"),
    ([1.0, 0.0, 1.0], 4, {}, ValueError, "cannot draw 4 samples without replacement from 3 "
                                         "categories"),
    ([1.0], 0, {}, ValueError, "num_samples must be a positive int"),
    (np.ones((2, 2, 2)), 1, {}, ValueError, r"\(C,\) or \(R, C\).*\(2, 2, 2\)"),
    (np.array(["a"]), 1, {}, TypeError, "dtype <U1"),
    ([1.0], 1, {"generator": np.random.RandomState(0)}, TypeError, "numpy.random.Generator"),
])
def test_multinomial_refuses_bad_input(probs, n, kwargs, error, words):
    with pytest.raises(error, match=words):
        f.multinomial(probs, n, **kwargs)


def test_multinomial_agrees_with_torch_on_shapes_and_rules():
    torch = pytest.importorskip("torch")
    probs = np.array([[0.2, 0.0, 0.8], [1.0, 1.0, 1.0]])
    for replacement in (False, True):
        ours = f.multinomial(probs, 2, replacement)
        theirs = torch.multinomial(torch.tensor(probs), 2, replacement)
        assert ours.shape == tuple(theirs.shape) and str(theirs.dtype) == "torch.int64"
    with pytest.raises(RuntimeError):
        torch.multinomial(torch.tensor([1.0, 0.0, 1.0]), 4)  # the case we refuse too
    # non-zero categories first, then the zero-weight one: torch's CPU order
    assert sorted(f.multinomial([1.0, 0.0, 1.0], 3).data[:2].tolist()) == [0, 2]
    assert f.multinomial([1.0, 0.0, 1.0], 3).data[2] == 1
    assert torch.multinomial(torch.tensor([1.0, 0.0, 1.0]), 3)[2].item() == 1
