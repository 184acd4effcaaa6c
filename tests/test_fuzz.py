"""Fuzzing the public surface with bad input (issue 14, deliver 5).

Every public function of `autograd_lite` (its `__all__`, `autograd_lite.linalg`), every
public method of `Tensor` and `Value`, and the functional transforms (both the transform and
the function it returns) get random arguments drawn mostly from bad values: wrong types,
strings, None, nan and ±inf, negative and float sizes, empty and huge shapes, huge ints,
containers of those. Each call must either return something that looks like a result
(no exception type leaks, no hang) or raise a TypeError or ValueError (or a documented
subclass: numpy's AxisError, `AllocationError` for a size beyond memory) whose message names
the op. The nn half of the library has its own fuzz test (`test_fuzz_nn.py`).

A call that runs longer than `HANG_SECONDS` fails (an alarm interrupts it). Huge shapes are
astronomically large (terabytes), so an allocation that slips through fails at once instead
of paging a real machine to death.
"""

from __future__ import annotations

import contextlib
import inspect
import math
import signal
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd_lite as al
from autograd_lite import Tensor, Value
from autograd_lite.ops import OPS
from autograd_lite.validate import AllocationError

HANG_SECONDS = 5.0
EXAMPLES = 30  # per callable; the whole file runs in well under a minute

# The values a fuzzed argument is drawn from (mostly bad; a few good ones so that a call
# gets past its first argument and reaches the checks of the later ones).
BAD: list[Any] = [
    "abc", "", "1.5", b"x", None, True, object(), {"a": 1}, {1, 2}, [], (), [[]],
    math.nan, math.inf, -math.inf, -1, -7, 0, 2.5, -2.5, 1e308, 10 ** 30, -(10 ** 400),
    (2.5, 3), (-1,), (-3, 2), (10 ** 6, 10 ** 6), (10 ** 12, 10 ** 12), [0.5, 1.7, math.nan],
    ["a", "b"], complex(1, 2), np.array(["1.5", "2"]), np.array([np.nan, np.inf]),
    np.array([1 + 2j]), np.array([object()], dtype=object), np.zeros((0, 3)),
    np.array(3.0), np.float64("nan"), np.int64(-1), slice(None), Ellipsis, str, np.float16,
    "float64", "complex128", "datetime64[s]", lambda *a, **k: "abc",
]
GOOD: list[Any] = [1, 2, 0.5, np.ones((2, 3)), np.array([1.0, -2.0, 3.0]), (2, 3), -1]
ARGUMENT = st.one_of(st.sampled_from(BAD), st.sampled_from(GOOD))
KEYWORDS = ["axis", "dtype", "shape", "keepdims", "eps", "label", "requires_grad", "k",
            "order", "out", "size"]

# What a call may raise: TypeError and ValueError, with their documented subclasses
ALLOWED = (TypeError, ValueError, AllocationError)
# Python's own signature errors name the function themselves ("exp() takes 1 positional
# argument", "got an unexpected keyword argument"); accepted as naming the op
SIGNATURE = ("positional argument", "keyword argument", "unsupported operand",
             "required positional", "missing", "takes no arguments", "unhashable",
             "object is not callable", "not iterable")


def _public_functions() -> dict[str, Callable[..., Any]]:
    found: dict[str, Callable[..., Any]] = {}
    for name in al.__all__:
        obj = getattr(al, name)
        if name in ("OPS", "linalg") or (inspect.isclass(obj) and issubclass(obj, BaseException)):
            continue
        if name == "draw_graph":
            continue  # covered below with a real root, graphviz may be absent
        found[name] = obj
    for name in al.linalg.__all__:
        obj = getattr(al.linalg, name)
        if not (inspect.isclass(obj) and issubclass(obj, tuple)):  # result namedtuples
            found[f"linalg.{name}"] = obj
    return found


def _public_methods(cls: type) -> list[str]:
    return sorted(name for name in dir(cls) if not name.startswith("_") and
                  callable(getattr(cls, name)))


FUNCTIONS = _public_functions()
TENSOR_METHODS = _public_methods(Tensor) + ["__add__", "__radd__", "__mul__", "__truediv__",
                                            "__pow__", "__matmul__", "__getitem__",
                                            "__setitem__", "__iadd__"]
VALUE_METHODS = _public_methods(Value) + ["__add__", "__mul__", "__pow__", "__truediv__",
                                          "__rpow__"]
TRANSFORMS = ["grad", "value_and_grad", "elementwise_grad", "jacobian", "jacfwd", "jacrev",
              "hessian"]


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Fail a call that hangs: SIGALRM interrupts it (main thread, POSIX)."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def hang(*_: Any) -> None:
        raise TimeoutError(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _names(name: str) -> set[str]:
    """Names an error about `name` may use: the callable's, its op's and the op's symbol."""
    short = name.split(".")[-1].strip("_")
    names = {name, short, short.removeprefix("r"), short.removeprefix("i")}
    for key in list(names):
        op = OPS.get(key) or next((o for o in OPS.values() if o.method == key), None)
        if op is not None:
            names |= {op.name, op.symbol}
    aliases = {"add": "+", "mul": "*", "truediv": "/", "pow": "**", "sub": "-", "matmul": "@",
               "getitem": "getitem", "setitem": "t[index] = value", "iadd": "+=",
               "fill": "t[index] = value", "zero": "t[index] = value",
               "copy": "t[index] = value",
               # transforms built on another name the one that checks the arguments
               "value_and_grad": "grad", "jacrev": "jacobian", "hessian": "jacobian",
               "hvp": "grad", "check_grads": "gradcheck"}
    names |= {aliases[n] for n in list(names) if n in aliases}
    return names


# Indexing keeps Python's and numpy's IndexError for an index out of range or of a bad kind
# (`for` loops and numpy code rely on it); it still names the op
INDEXING = ("__getitem__", "__setitem__")


class UserCodeError(Exception):
    """Raised by the fuzzed transforms' own function `f` (e.g. `x * 2.0` on a list): the
    user's code failing is not the library's finding."""


def _user(f: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(*args: Any) -> Any:
        try:
            return f(*args)
        except Exception as e:  # noqa: BLE001
            tb = e.__traceback__
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next  # the innermost frame: where the error was raised
            if tb is not None and "autograd_lite" in tb.tb_frame.f_code.co_filename:
                raise  # an op of the library inside f failed: that error is checked as usual
            raise UserCodeError(str(e)) from e
    return wrapped


def check_call(name: str, call: Callable[[], Any]) -> Any:
    """Run `call`; a result passes, an allowed error naming the op passes, anything else fails."""
    allowed = ALLOWED + ((IndexError,) if name in INDEXING else ())
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"), time_limit(HANG_SECONDS):
            warnings.simplefilter("ignore")
            return call()
    except UserCodeError:
        return None
    except allowed as e:
        message = str(e)
        if not any(n in message for n in _names(name)) and \
                not any(s in message for s in SIGNATURE):
            raise AssertionError(f"{name}: {type(e).__name__} does not name the op: "
                                 f"{message!r}") from e
        return None
    except Exception as e:  # noqa: BLE001 (the point: any other type is a finding)
        raise AssertionError(f"{name}: raised {type(e).__name__}: {e}") from e


def looks_like_a_result(out: Any) -> bool:
    """No exception and something a caller can use: numbers, arrays, graph nodes, their
    containers, functions (a transform), or None (in-place methods, backward)."""
    return out is None or callable(out) or isinstance(
        out, (Tensor, Value, np.ndarray, np.generic, int, float, bool, str, tuple, list, dict,
              np.dtype, np.random.Generator)) or hasattr(out, "__enter__")


SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@SETTINGS
@given(args=st.lists(ARGUMENT, max_size=3), kwargs=st.dictionaries(
    st.sampled_from(KEYWORDS), ARGUMENT, max_size=1))
def test_public_functions_refuse_bad_input_with_an_error_naming_the_op(name, args, kwargs):
    fn = FUNCTIONS[name]
    if name in TRANSFORMS and args:  # the transform of a bad function, then call it
        transformed = check_call(name, lambda: fn(args[0]))
        if callable(transformed):
            out = check_call(name, lambda: transformed(*args[1:], **kwargs))
            assert looks_like_a_result(out), f"{name}: returned {type(out).__name__}"
        return
    out = check_call(name, lambda: fn(*args, **kwargs))
    assert looks_like_a_result(out) or (inspect.isclass(fn) and isinstance(out, fn)), \
        f"{name}: returned {type(out).__name__}"


def _tensor(name: str) -> Tensor:
    """A tensor to call method `name` on: one that requires grad, except for in-place
    methods (a leaf that requires grad refuses them: a RuntimeError about state, not input)."""
    in_place = name.endswith("_") and not name.startswith("_") or name in (
        "__setitem__", "__iadd__")
    return Tensor(np.arange(6.0).reshape(2, 3), requires_grad=not in_place)


@pytest.mark.parametrize("name", TENSOR_METHODS)
@SETTINGS
@given(args=st.lists(ARGUMENT, max_size=3), kwargs=st.dictionaries(
    st.sampled_from(KEYWORDS), ARGUMENT, max_size=1))
def test_tensor_methods_refuse_bad_input_with_an_error_naming_the_op(name, args, kwargs):
    t = _tensor(name)
    if name in ("backward",):
        t = (t * 1.0).sum()
    out = check_call(name, lambda: getattr(t, name)(*args, **kwargs))
    assert out is NotImplemented or looks_like_a_result(out), \
        f"Tensor.{name}: returned {type(out).__name__}"


@pytest.mark.parametrize("name", VALUE_METHODS)
@SETTINGS
@given(args=st.lists(ARGUMENT, max_size=2), kwargs=st.dictionaries(
    st.sampled_from(KEYWORDS), ARGUMENT, max_size=1))
def test_value_methods_refuse_bad_input_with_an_error_naming_the_op(name, args, kwargs):
    v = Value(0.5) * 1.0
    out = check_call(name, lambda: getattr(v, name)(*args, **kwargs))
    assert out is NotImplemented or looks_like_a_result(out), \
        f"Value.{name}: returned {type(out).__name__}"


@pytest.mark.parametrize("name", TRANSFORMS + ["vjp", "jvp", "hvp"])
@SETTINGS
@given(args=st.lists(ARGUMENT, min_size=1, max_size=3))
def test_transforms_of_a_good_function_refuse_bad_arguments(name, args):
    f = _user((lambda x: (x * x).sum()) if name not in ("jacobian", "jacfwd", "jacrev", "vjp",
                                                         "jvp") else (lambda x: x * 2.0))
    fn = getattr(al, name)
    if name in TRANSFORMS:
        out = check_call(name, lambda: fn(f)(*args))
    elif name == "vjp":
        out = check_call(name, lambda: fn(f, *args))
        if isinstance(out, tuple):
            out = check_call(name, lambda: out[1](args[0]))
    elif name == "jvp":
        out = check_call(name, lambda: fn(f, *args[:2]))
    else:
        out = check_call(name, lambda: fn(f, np.ones(3), *args[:1]))
    assert looks_like_a_result(out), f"{name}: returned {type(out).__name__}"


@pytest.mark.parametrize("construct", [Tensor, Value, al.tensor], ids=["Tensor", "Value",
                                                                        "tensor"])
@SETTINGS
@given(data=ARGUMENT, kwargs=st.dictionaries(st.sampled_from(["dtype", "label",
                                                               "requires_grad"]), ARGUMENT,
                                              max_size=2))
def test_constructors_refuse_bad_data_dtypes_and_labels(construct, data, kwargs):
    if construct is Value:
        kwargs.pop("dtype", None), kwargs.pop("requires_grad", None)
    out = check_call(construct.__name__, lambda: construct(data, **kwargs))
    if isinstance(out, Tensor):  # a result: a real numeric dtype, never strings or objects
        assert out.dtype.kind in "biuf", out.dtype
        assert isinstance(out.label, str)
    if isinstance(out, Value):
        assert isinstance(out.data, float) and isinstance(out.label, str)


def test_the_fuzz_reaches_every_public_name():
    assert len(FUNCTIONS) >= 60 and len(TENSOR_METHODS) >= 100 and len(VALUE_METHODS) >= 40
    assert sys.getrecursionlimit() > 0  # (the harness itself changes no global state)
