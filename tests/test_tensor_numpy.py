"""numpy's protocols on Tensor: a numpy call on a Tensor records the op, returns numpy values
where there is no gradient to lose (shapes, indices, booleans), or raises TypeError — it never
silently returns a detached array. Checked over every public callable of numpy, and by random
compositions of numpy calls against the same calls on arrays and central differences."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_lite import Tensor, grad, gradcheck
from autograd_lite.tensor import _BY_NUMPY, _NO_GRADIENT, ESCAPES

# not array functions at all: they take no array data, or only describe types and options
NOT_ARRAY_FUNCTIONS = {"info", "printoptions", "promote_types", "mintypecode", "iscomplexobj",
                       "isrealobj", "isscalar", "issubdtype", "iterable", "bmat", "ndim",
                       "shape", "size"}
ARGUMENT_PATTERNS = ("t", "t, t", "t, 1", "t, 0")


def public_numpy_callables() -> list[str]:
    return sorted(n for n in dir(np) if not n.startswith("_") and callable(getattr(np, n))
                  and not isinstance(getattr(np, n), type))


def call_with_a_tensor(name: str) -> tuple[str, object]:
    """The first argument pattern the function accepts, and what it returned (or raised)."""
    fn = getattr(np, name)
    outcome: tuple[str, object] = ("no call", None)
    refusals: list[Exception] = []
    for pattern in ARGUMENT_PATTERNS:
        t = Tensor(np.array([[0.5, 1.5], [2.0, 0.25]]), requires_grad=True)
        args = {"t": (t,), "t, t": (t, t), "t, 1": (t, 1), "t, 0": (t, 0)}[pattern]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return "returned", fn(*args)
        except Exception as e:  # noqa: BLE001 (every kind of refusal is looked at below)
            refusals.append(e)
    typed = [e for e in refusals if isinstance(e, TypeError)]  # ours, if any pattern got it
    return ("raised", (typed or refusals)[0]) if refusals else outcome


def carries_the_graph(result: object) -> bool:
    if isinstance(result, Tensor):
        return result.requires_grad or result.dtype.kind in "biu"  # bool/int: no gradient
    if isinstance(result, (list, tuple)) and result:
        return all(carries_the_graph(r) for r in result)
    return False


@pytest.mark.parametrize("name", public_numpy_callables())
def test_every_numpy_callable_on_a_tensor_records_refuses_or_has_no_gradient(name: str):
    """Called on a Tensor that requires grad (with the first argument pattern it accepts),
    a numpy function returns a Tensor carrying the graph, raises, or is documented to give
    numpy values (no gradient to lose, or the explicit escapes): never a detached array."""
    fn = getattr(np, name)
    kind, result = call_with_a_tensor(name)
    if kind == "raised":
        # numpy's own refusals of arguments that make no sense for it, and ours given
        # arguments an op does not accept, are errors, not silent answers; but a function
        # that dispatches to Tensor and has no op must be refused by us, with a TypeError
        dispatched = isinstance(fn, np.ufunc) or hasattr(fn, "_implementation")
        if dispatched and fn not in _BY_NUMPY and fn not in _NO_GRADIENT:
            assert isinstance(result, TypeError), f"np.{name}: {type(result).__name__}: {result}"
        return
    if fn in _NO_GRADIENT or fn in ESCAPES or name in NOT_ARRAY_FUNCTIONS:
        return  # documented: numpy values (no gradient to lose) or the explicit way out
    assert carries_the_graph(result), f"np.{name} returned {type(result).__name__}, detached"


def test_refusal_names_the_function_and_the_way_out():
    t = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"numpy\.convolve.*np\.asarray\(t\) or t\.data"):
        np.convolve(t, t)
    with pytest.raises(TypeError, match="out="):
        np.exp(t, out=np.empty(2))
    with pytest.raises(TypeError, match=r"numpy\.add\.reduce"):
        np.add.reduce(t)


def test_the_issue_examples_record_every_gradient():
    w = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = Tensor([0.5, -0.5], requires_grad=True)
    (np.matmul(w, np.ones(2)) + b).sum().backward()
    assert w.grad.tolist() == [[1.0, 1.0], [1.0, 1.0]] and b.grad.tolist() == [1.0, 1.0]
    g = grad(lambda x: (np.where(x > 0, x, 0) + x).sum())(np.array([1.0, -2.0]))
    assert g.tolist() == [2.0, 1.0]
    g = grad(lambda x: (np.concatenate([x, x]) * x.sum()).sum())(np.array([1.0, 2.0]))
    assert g.tolist() == [12.0, 12.0]


def test_ndarray_on_the_left_of_an_operator_records_the_op():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0]) * x + np.ones(2)
    assert isinstance(y, Tensor) and y.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 4.0]


def test_functions_without_a_gradient_return_numpy_values():
    t = Tensor([3.0, 1.0, 2.0], requires_grad=True)
    assert np.argmax(t) == 0 and np.argsort(t).tolist() == [1, 2, 0]
    assert np.isnan(t).tolist() == [False, False, False] and np.shape(t) == (3,)


def test_numpy_keyword_arguments_reach_the_op():
    t = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert np.sum(t, axis=1, keepdims=True).shape == (2, 1)
    assert np.mean(t, axis=-1).data.tolist() == [1.0, 4.0]
    assert np.sum(t, dtype=np.float32).dtype == np.float32
    assert np.var(t, ddof=1, axis=0).shape == (3,)


def test_asarray_and_data_are_the_explicit_ways_out():
    t = Tensor([1.0, 2.0], requires_grad=True)
    assert type(np.asarray(t)) is np.ndarray and type(np.array(t)) is np.ndarray
    assert type(t.data) is np.ndarray


# --- random compositions of numpy calls: values as on arrays, gradients as differences --------

UNARY = {
    "sin": np.sin, "tanh": np.tanh, "exp(clip)": lambda x: np.exp(np.clip(x, -3, 3)),
    "square": lambda x: x * x,
    "sum(axis=0)": lambda x: np.sum(x, axis=0) if np.ndim(x) else x,
    "mean(axis=-1, keepdims)": lambda x: np.mean(x, axis=-1, keepdims=True) if np.ndim(x) else x,
    "transpose": np.transpose, "reshape(-1)": lambda x: np.reshape(x, -1),
    "maximum(x, 0.3)": lambda x: np.maximum(x, 0.3),
    "where(x>0, x, -x)": lambda x: np.where(x > 0, x, -x),
    "concatenate([x, x])": lambda x: np.concatenate([x, x]) if np.ndim(x) else x,
    "matmul(x, x.T)": lambda x: np.matmul(x, np.transpose(x)) if np.ndim(x) == 2 else x,
    "abs + 1": lambda x: np.abs(x) + 1.0, "log(1 + x^2)": lambda x: np.log1p(x * x),
}


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(sorted(UNARY)), min_size=1, max_size=5),
       st.integers(1, 3), st.integers(1, 3), st.integers(0, 2**31 - 1))
def test_random_compositions_of_numpy_calls_match_arrays_and_central_differences(
        chain, rows, cols, seed):
    x0 = np.random.default_rng(seed).uniform(-1.5, 1.5, (rows, cols))
    x0 = np.where(np.abs(x0) < 0.1, 0.5, x0)  # away from the kinks of abs and where

    def f(x):
        for name in chain:
            x = UNARY[name](x)
        return x

    expected = f(x0)
    got = f(Tensor(x0, requires_grad=True))
    assert isinstance(got, Tensor) and got.requires_grad
    assert np.allclose(got.data, expected, rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda x: f(x).sum(), x0)
