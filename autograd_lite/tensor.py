"""`Tensor`: an n-dimensional array node of the computation graph, backed by numpy.

This file holds the class: construction and dtype rules, attributes and `backward`. Its op
methods and Python operators are not written here: each is generated from the op's
declaration in `ops/` (`_method`, at the end of this file), and records through the
engine (`engine.apply`).

dtype rules: numpy arrays keep their dtype (float64 stays float64, float32 stays float32,
gradients too); lists and Python numbers become float32 unless `dtype=` says otherwise;
integer and bool tensors cannot require grad. A Python number mixed with a tensor takes the
tensor's floating dtype (as PyTorch), so `x32 * 2.0` stays float32.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from . import engine
from .engine import apply
from .gradmode import is_grad_enabled
from .graph import FREED, Node
from .opdef import ARGUMENT_ERRORS, named
from .ops import OPS, Op, index_of
from .validate import (
    NUMERIC_KINDS,
    AllocationError,
    check_dtype,
    check_flag,
    check_label,
    check_real_array,
)

__all__ = ["Tensor", "as_tensor"]

_new = object.__new__
_ACCEPTED_KINDS = NUMERIC_KINDS  # bool, signed and unsigned integers, floats


def _to_array(data: Any, dtype: Any, op: str) -> np.ndarray:
    """`data` (array, list, number, Tensor) as a numeric ndarray, following the dtype rules."""
    if isinstance(data, Tensor):
        data = data._data
    if dtype is not None:
        dtype = check_dtype(dtype, op)
    try:
        array = np.array(data)  # no dtype yet: None, strings and objects must not be parsed
    except (TypeError, ValueError, OverflowError) as e:
        raise TypeError(f"{op}: cannot make a numeric array from {type(data).__name__} "
                        f"({e})") from None
    except MemoryError as e:  # (a try costs nothing here; a `with allocating` block would)
        raise AllocationError(f"{op}: not enough memory to copy the data ({e})") from None
    if array.dtype.kind not in _ACCEPTED_KINDS:
        big = array.dtype == object and any(type(v) is int for v in array.reshape(-1)[:1000])
        raise TypeError(f"{op}: expected numbers (bool, int or float), got dtype {array.dtype} "
                        f"from {type(data).__name__}" + (
                            " (a Python int too large for int64?)" if big else ""))
    if dtype is None and not isinstance(data, (np.ndarray, np.generic)):
        dtype = np.float32  # lists and Python numbers default to float32 (PyTorch's default)
    return array if dtype is None else _cast(array, dtype, op)


def _cast(array: np.ndarray, dtype: np.dtype, op: str) -> np.ndarray:
    """`array` as `dtype`; a float too large for it becomes inf, as numpy (and PyTorch)."""
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            return array.astype(dtype, copy=False)
    except (OverflowError, ValueError) as e:
        raise ValueError(f"{op}: cannot store these values as {dtype} ({e})") from None


def _check_differentiable(dtype: np.dtype, op: str) -> None:
    if dtype.kind != "f":
        raise TypeError(f"{op}: only floating-point tensors can require grad, got dtype {dtype}; "
                        "convert first, e.g. Tensor(x, dtype=np.float32, requires_grad=True)")


def _constant(array: np.ndarray) -> Tensor:
    """A Tensor around `array` (no copy) that requires no grad."""
    t = _new(Tensor)
    t._data, t._grad, t.requires_grad, t._retains_grad = array, None, False, False
    t._parents, t._op, t._rule, t._adjoint, t._seq, t.label = (), "", None, None, 0, ""
    return t


def _number_dtype(x: bool | int | float, like: Tensor | None) -> Any:
    """The dtype a Python number takes next to `like`: a floating tensor's own dtype (so
    `x32 * 2.0` stays float32); otherwise float32 for floats, and the tensor's dtype (or
    int64 / bool alone) for ints and bools."""
    kind = like._data.dtype.kind if like is not None else ""
    if kind == "f":
        return like._data.dtype  # type: ignore[union-attr]
    if isinstance(x, float):
        return np.float32
    if kind and (kind != "b" or isinstance(x, bool)):
        return like._data.dtype  # type: ignore[union-attr]
    return np.bool_ if isinstance(x, bool) else np.int64


def as_tensor(x: Any, like: Tensor | None = None) -> Tensor:
    """`x` as a Tensor: Tensors pass through; an array is copied (an op keeps its operands
    for backward: a later change to the caller's array must not change a gradient), numpy
    scalars kept; Python numbers get the dtype `_number_dtype` picks."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (np.ndarray, np.generic)):
        if x.dtype.kind not in _ACCEPTED_KINDS:
            raise TypeError(f"expected numbers (bool, int or float), got an array of dtype "
                            f"{x.dtype}")
        return _constant(np.array(x) if type(x) is np.ndarray else np.asarray(x))
    if isinstance(x, (bool, int, float)):
        dtype = _number_dtype(x, like)
        try:
            return _constant(np.asarray(x, dtype=dtype))
        except OverflowError:  # a Python int beyond the integer dtype
            raise ValueError(f"the Python int {x} does not fit in dtype {np.dtype(dtype)} "
                             f"(range {np.iinfo(dtype).min} to {np.iinfo(dtype).max}); use "
                             "a float tensor or a smaller number") from None
    raise TypeError(f"expected a Tensor, numpy array or number, got {type(x).__name__} "
                    f"{x!r:.40}")


class Tensor(Node):
    """An array that records the ops applied to it, for reverse-mode differentiation.

    `Tensor(data, requires_grad=False, dtype=None, label="")` copies `data`. Leaves that
    require grad keep `.grad` (an ndarray shaped like the tensor, None before any backward);
    an interior tensor keeps it only after `retain_grad()` (PyTorch semantics).
    """

    # A recorded tensor's `_rule` is the tuple of its inputs' arrays as the forward saw them;
    # `_prim` and `_params` (set only on recorded tensors) are the primitive and its keyword
    # parameters. Three slots rather than one tuple: one object less per op for the cyclic
    # collector to scan.
    # `_changes` (unset until the first in-place change) lists this tensor's in-place
    # changes: its version counter (`engine.mark_changed`). `_spans` (unset unless a module
    # returned this tensor) holds (first, last, module) creation-number ranges of the module
    # calls that made it, for diagrams to group nodes by module (`nn.Module.__call__`).
    __slots__ = ("_data", "_grad", "requires_grad", "_retains_grad", "_parents", "_rule", "_seq",
                 "_prim", "_params", "_changes", "_spans")
    _numbered = True  # see Node; `_seq` is set by `apply` (0 for leaves)
    __hash__ = Node.__hash__  # identity hash, although `==` is elementwise

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None,
                 label: str | None = "") -> None:
        array = _to_array(data, dtype, "Tensor")
        if type(label) is not str:
            label = check_label(label, "Tensor")  # None means no label
        if type(requires_grad) is not bool:
            requires_grad = check_flag(requires_grad, "Tensor", "requires_grad")
        if requires_grad:
            _check_differentiable(array.dtype, "Tensor")
        self._data, self._grad = array, None
        self.requires_grad = self._retains_grad = bool(requires_grad)
        self._parents, self._op, self._rule, self._adjoint = (), "", None, None
        self.label = label
        self._seq = 0

    # --- data and grad --------------------------------------------------------------------

    @property
    def data(self) -> np.ndarray:
        """The values (writable: in place, or rebound to an array of the same shape)."""
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        if value is self._data:
            return  # `t.data -= step` changed the array in place and hands it back
        if self._parents and self._rule is not FREED:
            raise RuntimeError(f"Tensor.data: this tensor is the output of op {self._op!r}, "
                               "recorded for a backward pass that may read its values; "
                               "rebinding them would make that backward silently wrong. "
                               "Rebind after backward(), or use detach()")
        try:
            array = np.asarray(value._data if isinstance(value, Tensor) else value)
        except ARGUMENT_ERRORS as e:
            raise TypeError(f"Tensor.data: cannot make a numeric array from "
                            f"{type(value).__name__} ({e})") from None
        check_real_array(array, "Tensor.data", "the new value")  # "1.5" is not parsed
        if array.shape != self._data.shape:
            raise ValueError(f"Tensor.data: new array has shape {array.shape} but the tensor "
                             f"has shape {self._data.shape}; make a new Tensor to change shape")
        self._data = array.astype(self._data.dtype, copy=False)

    @property
    def grad(self) -> Any:
        """∂root/∂self after backward (ndarray; a Tensor after `create_graph=True`)."""
        return self._grad

    @grad.setter
    def grad(self, value: Any) -> None:
        # numpy turns the sum of two 0-d arrays into a scalar; a kept gradient is an array
        self._grad = np.asarray(value) if isinstance(value, np.generic) else value

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def size(self) -> int:
        return self._data.size

    def __len__(self) -> int:
        if not self._data.ndim:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __iter__(self) -> Iterator[Tensor]:
        return (self[i] for i in range(len(self)))

    def item(self) -> float | int | bool:
        if self._data.size != 1:
            raise ValueError(f"item: only a one-element tensor converts to a Python number, "
                             f"this one has shape {self.shape}")
        return self._data.item()

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self._data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if copy:
            return np.array(self._data, dtype=dtype)
        return self._data if dtype is None else self._data.astype(dtype, copy=False)

    def _one_number(self, what: str) -> Any:
        """The value of a one-element tensor, for Python's conversions (PyTorch's rule)."""
        if self._data.size != 1:
            raise ValueError(f"{what}: only a one-element tensor converts to a Python number, "
                             f"this one has shape {self.shape} ({self._data.size} elements)")
        return self._data.reshape(()).item()

    def __bool__(self) -> bool:
        return bool(self._one_number("bool()"))

    def __float__(self) -> float:
        return float(self._one_number("float()"))

    def __int__(self) -> int:
        return int(self._one_number("int()"))

    def __index__(self) -> int:
        """An integer tensor of one element used as an index (`range(t)`, `x[t]` on a list)."""
        if self._data.dtype.kind not in "iub":
            raise TypeError(f"only integer tensors of one element can be used as an index, "
                            f"this one has dtype {self._data.dtype}")
        return int(self._one_number("an index"))

    def __format__(self, spec: str) -> str:
        """`f"{loss:.4f}"` formats a one-element tensor's value; no spec gives the repr."""
        if not spec:
            return repr(self)
        return format(self._one_number(f"format spec {spec!r}"), spec)

    def numel(self) -> int:
        """The number of elements (PyTorch's name for `size`)."""
        return self._data.size

    def tolist(self) -> Any:
        """The values as (nested) Python lists of numbers (a copy, outside the graph)."""
        return self._data.tolist()

    def detach(self) -> Tensor:
        """The same values (shared memory) as a new leaf that requires no grad."""
        return _constant(self._data)

    def zero_grad(self) -> None:
        """Forget the gradient (`grad` becomes None, as before any backward)."""
        self._grad = None

    def retain_grad(self) -> None:
        """Keep this interior tensor's `.grad` after backward (leaves always keep theirs)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: this tensor does not require grad, so no gradient "
                               "will reach it")
        self._retains_grad = True

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set `requires_grad` on a leaf, in place (PyTorch's name); returns self."""
        requires_grad = check_flag(requires_grad, "requires_grad_", "requires_grad")
        if self._parents:
            raise RuntimeError("requires_grad_: only leaf tensors can change requires_grad; "
                               "use detach() to make a leaf")
        if requires_grad:
            _check_differentiable(self._data.dtype, "requires_grad_")
        self.requires_grad = self._retains_grad = bool(requires_grad)
        return self

    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", prefix="Tensor(", precision=4)
        extra = ", requires_grad=True" if self.requires_grad else ""
        label = f", label={self.label!r}" if self.label else ""
        return f"Tensor({body}, dtype={self._data.dtype}{extra}{label})"

    # --- backward -------------------------------------------------------------------------

    def backward(self, gradient: Any = None, retain_graph: bool = False,
                 create_graph: bool = False, retain_grad: bool = False) -> None:
        """Accumulate ∂self/∂leaf · gradient into the `.grad` of every leaf requiring grad.

        A non-scalar tensor needs `gradient` (shaped like it). With `create_graph=True` the
        backward pass is recorded and the gradients are graph-carrying Tensors. With
        `retain_grad=True` every tensor of the graph that requires grad keeps its `.grad`
        too (as after `retain_grad()`), so a diagram shows every adjoint.
        """
        if not self.requires_grad:
            raise RuntimeError("backward: this tensor does not require grad: none of the "
                               "tensors it was computed from has requires_grad=True, or it was "
                               "computed under no_grad()")
        if retain_graph is not False and retain_graph is not True or \
                create_graph is not False and create_graph is not True:  # rare: check them
            retain_graph = check_flag(retain_graph, "backward", "retain_graph")
            create_graph = check_flag(create_graph, "backward", "create_graph")
        seed = engine.seed_for(self, gradient)
        engine.backward(self, _constant(seed.copy()) if create_graph else seed, retain_graph,
                        create_graph, retain_grad=retain_grad)

    @property
    def T(self) -> Tensor:
        """The axes reversed (`transpose()`)."""
        return self.transpose()

    @property
    def _version(self) -> int:
        """How many times this tensor was changed in place (PyTorch's name)."""
        return engine.version(self)

    # --- in place ---------------------------------------------------------------------------

    def __setitem__(self, index: Any, value: Any) -> None:
        """`t[index] = value` (ints, slices, masks, int arrays): see `_change_in_place`."""
        try:
            v = value if isinstance(value, Tensor) else as_tensor(value, self)
        except ARGUMENT_ERRORS as e:
            raise named(e, "t[index] = value") from None
        _change_in_place(self, OPS["setitem"], "t[index] = value", v, index=index_of(index))

    def fill_(self, value: Any) -> Tensor:
        """Every element set to `value`, in place (no gradient reaches the old values)."""
        self[...] = value
        return self

    def zero_(self) -> Tensor:
        """Every element set to 0, in place."""
        return self.fill_(0)

    def copy_(self, src: Any) -> Tensor:
        """The values of `src` (broadcast to this shape) copied in, in place; under grad mode
        the gradient flows to `src`."""
        self[...] = src
        return self

    # what the engine and the op table need of a front end: the class of op results, and
    # how to make a constant of it (`like` chooses a Python number's dtype)
    @staticmethod
    def _lift(x: Any, like: Tensor | None = None) -> Tensor:
        return as_tensor(x, like)


Tensor._result_type = Tensor  # op results are Tensors, also for subclasses (nn.Parameter)


# --- the op methods and operators, generated from the op table ----------------------------------

def _signature(fn: Callable[..., Any], drop: int) -> inspect.Signature | None:
    """`fn`'s signature without its first `drop` parameters, with `self` in front."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    rest = list(sig.parameters.values())[drop:]
    self_param = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sig.replace(parameters=[self_param, *rest], return_annotation="Tensor")


def _method(op: Op) -> Callable[..., Any]:
    """The Tensor method of `op`: the declaration's argument checks, then `apply`."""
    prim, front, name = op.prim, op.front, op.method or op.name
    if op.kind == "composite":
        compose = op.compose

        def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
            try:
                return compose(self, *args, **kwargs)  # type: ignore[misc]
            except ARGUMENT_ERRORS as e:  # its checks, and its ops', named after it
                raise named(e, name) from None
        signature = _signature(compose, 1)  # type: ignore[arg-type]
    elif op.kind == "unary" and op.params is None:
        def method(self: Tensor) -> Tensor:  # the common case: nothing to check
            return apply(prim, self)
        signature = None
    else:
        def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
            try:
                inputs, params = front(as_tensor, self, *args, **kwargs)
            except ARGUMENT_ERRORS as e:  # the argument checks: errors name the op
                raise named(e, name) from None
            return apply(prim, *inputs, **params)
        signature = _signature(op.params or front, 1 if op.params else 2)
    method.__name__ = method.__qualname__ = op.method or op.name
    method.__qualname__ = f"Tensor.{method.__name__}"
    method.__doc__ = op.doc
    if signature is not None:
        method.__signature__ = signature  # type: ignore[attr-defined]
    return method


def _operators(op: Op, name: str, reflected: str | None) -> None:
    """`Tensor.__add__`-style operators of a binary op (the other operand lifted: a number
    takes the tensor's floating dtype), and the reflected `__radd__` form."""
    prim = op.prim

    def forward(self: Tensor, other: Any) -> Tensor:
        if type(other) is not Tensor:
            other = _operand(other, self, op.name)
            if other is NotImplemented:
                return NotImplemented
        return apply(prim, self, other)

    forward.__name__, forward.__doc__ = name, op.doc
    forward.__qualname__ = f"Tensor.{name}"
    setattr(Tensor, name, forward)
    if reflected:
        def backward(self: Tensor, other: Any) -> Tensor:
            other = _operand(other, self, op.name)
            if other is NotImplemented:
                return NotImplemented
            return apply(prim, other, self)

        backward.__name__, backward.__doc__ = reflected, op.doc
        backward.__qualname__ = f"Tensor.{reflected}"
        setattr(Tensor, reflected, backward)


def _operand(other: Any, like: Tensor, op: str) -> Any:
    """The other operand of a Python operator as a Tensor; NotImplemented for a type that is
    no number (Python then tries the other side, and raises "unsupported operand type(s)
    for +: 'Tensor' and 'str'"); a number that does not fit the dtype names the op."""
    try:
        return as_tensor(other, like)
    except TypeError:
        return NotImplemented
    except ValueError as e:
        raise named(e, op) from None


def _change_in_place(t: Tensor, op: Op, name: str, *others: Tensor, **params: Any) -> Tensor:
    """Change `t`'s array in place to `op(t, *others)`, PyTorch's way, and count a version.

    With grad mode on, a leaf that requires grad refuses (its gradient would be lost); if `t`
    or an operand requires grad, the change is recorded: `t` keeps its identity and its array,
    its previous history moves to a copy of its old values, and `t` becomes the output of
    `op`, so gradients flow through the change. Otherwise (under `no_grad`, or with nothing
    that requires grad) the array is simply overwritten. Either way a backward through an op
    recorded before the change raises (`engine._check_versions`).
    """
    recording = is_grad_enabled()
    if recording and t.requires_grad and not t._parents:
        raise RuntimeError(f"{name}: a leaf tensor that requires grad cannot be changed in place "
                           "while grad mode is on (its gradient would be lost); update it "
                           "under `with no_grad():`, or through `.data`")
    if recording and (t.requires_grad or any(o.requires_grad for o in others)):
        old = _new(Tensor)  # t's history until now, on a copy of its values
        for slot in ("_parents", "_op", "_rule", "_seq", "_prim", "_params", "_grad",
                     "requires_grad", "_adjoint", "label"):
            if hasattr(t, slot):
                setattr(old, slot, getattr(t, slot))
        old._data, old._retains_grad = t._data.copy(), False
        engine.mark_changed(t, name)
        out = apply(op.prim, old, *others, **params)
        _write(t, out._data, name)
        t._parents, t._op, t._rule, t._seq = out._parents, out._op, out._rule, out._seq
        t._prim, t._params, t.requires_grad = out._prim, out._params, True
        return t
    arrays = (t._data, *(o._data for o in others))
    try:
        result = op.prim.forward(*arrays, **params)
    except (TypeError, ValueError, IndexError) as e:
        raise engine.op_error(name, arrays, e) from None
    engine.mark_changed(t, name)
    _write(t, result, name)
    return t


def _write(t: Tensor, values: np.ndarray, name: str) -> None:
    """`t`'s array overwritten with `values` (same shape; the dtype kept)."""
    if values.shape != t._data.shape:
        raise ValueError(f"{name}: the result has shape {values.shape}, which does not fit "
                         f"the tensor's shape {t._data.shape} (an in-place op cannot change it)")
    try:
        np.copyto(t._data, values, casting="same_kind")
    except TypeError:
        raise TypeError(f"{name}: the result has dtype {values.dtype}, which cannot be stored "
                        f"in a tensor of dtype {t._data.dtype} in place") from None


def _in_place_method(op: Op, name: str) -> Callable[..., Any]:
    def method(self: Tensor, other: Any) -> Tensor:
        try:
            other = other if isinstance(other, Tensor) else as_tensor(other, self)
        except ARGUMENT_ERRORS as e:
            raise named(e, name) from None
        return _change_in_place(self, op, name, other)

    method.__name__ = method.__qualname__ = name  # the name errors show (`add_`, `+=`)
    method.__doc__ = f"In place: {op.doc}"
    return method


def _clamp_(self: Tensor, lo: Any = None, hi: Any = None) -> Tensor:
    """In place: clip to [lo, hi] (PyTorch's `clamp_`)."""
    try:
        inputs, params = OPS["clip"].front(as_tensor, self, lo, hi)
    except ARGUMENT_ERRORS as e:
        raise named(e, "clamp_") from None
    return _change_in_place(self, OPS["clip"], "clamp_", **params)


# Python's operator names for the ops that have one (a front-end concern, not the op's)
_OPERATORS = {"add": ("__add__", "__radd__"), "sub": ("__sub__", "__rsub__"),
              "mul": ("__mul__", "__rmul__"), "div": ("__truediv__", "__rtruediv__"),
              "power": ("__pow__", "__rpow__"), "matmul": ("__matmul__", "__rmatmul__"),
              "remainder": ("__mod__", "__rmod__"),
              "less": ("__lt__", None), "less_equal": ("__le__", None),
              "greater": ("__gt__", None), "greater_equal": ("__ge__", None),
              "equal": ("__eq__", None), "not_equal": ("__ne__", None)}

for _op in OPS.values():
    if _op.method:
        setattr(Tensor, _op.method, _method(_op))
    if _op.name in _OPERATORS:
        _operators(_op, *_OPERATORS[_op.name])
for _name, _iname, _symbol in (("add", "__iadd__", "+="), ("sub", "__isub__", "-="),
                               ("mul", "__imul__", "*="), ("div", "__itruediv__", "/=")):
    setattr(Tensor, f"{_name}_", _in_place_method(OPS[_name], f"{_name}_"))
    setattr(Tensor, _iname, _in_place_method(OPS[_name], _symbol))
Tensor.clamp_ = _clamp_  # type: ignore[attr-defined]
Tensor.__neg__ = lambda self: apply(OPS["neg"].prim, self)  # type: ignore[method-assign]
Tensor.__abs__ = Tensor.abs  # type: ignore[attr-defined]
Tensor.__getitem__ = _method(OPS["getitem"])  # type: ignore[method-assign]


# --- numpy's protocols: `np.sin(t)`, `np.sum(t, axis=1)`, `np.dot(W, x)` record the op ---------

# Each numpy function or ufunc an op declares (`Op.numpy`) dispatches to that op. Functions
# whose result carries no gradient (shapes, indices, booleans) run on the arrays and return
# numpy values: they leave no graph to lose. Anything else raises TypeError: a numpy call on
# a Tensor never silently returns a detached array. `np.asarray(t)`, `np.array(t)` and
# `t.data` are the explicit ways out of the graph.
_BY_NUMPY: dict[Any, Op] = {f: op for op in OPS.values() for f in op.numpy}
_NO_GRADIENT = frozenset(getattr(np, name) for name in (
    "shape ndim size argmax argmin argsort argpartition nonzero flatnonzero argwhere "
    "count_nonzero isnan isinf isfinite isneginf isposinf signbit logical_and logical_or "
    "logical_xor logical_not array_equal array_equiv allclose isclose searchsorted digitize "
    "bincount result_type may_share_memory shares_memory iscomplexobj isrealobj isreal "
    "iscomplex all any unravel_index ravel_multi_index floor_divide bitwise_and bitwise_or "
    "bitwise_xor invert left_shift right_shift gcd lcm histogram histogram_bin_edges lexsort "
    "isin").split())
# numpy functions that convert with `__array__` and never dispatch: the explicit ways out
ESCAPES = frozenset(getattr(np, name) for name in (
    "array asarray asanyarray ascontiguousarray asfortranarray asarray_chkfinite require "
    "asmatrix").split())
_UFUNC_DEFAULTS = {"casting": "same_kind", "order": "K", "subok": True, "where": True}


def _raw_args(x: Any) -> Any:
    """`x` with every Tensor replaced by its array (inside lists and tuples too)."""
    if isinstance(x, Tensor):
        return x._data
    if isinstance(x, (list, tuple)):
        return type(x)(_raw_args(i) for i in x)
    return x


def _call_op(op: Op, args: Any, kwargs: dict[str, Any]) -> Any:
    try:
        if op.kind == "composite":
            x, *rest = args
            return op.compose(x if isinstance(x, Tensor) else as_tensor(x), *rest, **kwargs)  # type: ignore[misc]
        inputs, params = op.front(as_tensor, *args, **kwargs)
    except ARGUMENT_ERRORS as e:
        raise named(e, op.name) from None
    return apply(op.prim, *inputs, **params)


def _refused(name: str, why: str) -> TypeError:
    return TypeError(f"numpy.{name} on a Tensor: {why}. Use the Tensor op (see the README's op "
                     "list), or leave the graph explicitly with np.asarray(t) or t.data")


def _array_ufunc(self: Tensor, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
    """numpy's ufunc protocol: `np.exp(t)`, `ndarray + t` record the matching op."""
    name = ufunc.__name__
    if kwargs.pop("out", None) is not None:
        raise _refused(name, "out= is not supported (an op makes a new Tensor; for an "
                       "in-place change use the Tensor's in-place methods, e.g. add_)")
    if method != "__call__":
        raise _refused(f"{name}.{method}", f"the ufunc method {method!r} is not differentiable "
                       "here")
    dtype = kwargs.pop("dtype", None)
    for key, value in kwargs.items():
        if key not in _UFUNC_DEFAULTS or value is not _UFUNC_DEFAULTS[key] and \
                value != _UFUNC_DEFAULTS[key]:
            raise _refused(name, f"the argument {key}={value!r} is not supported")
    if ufunc in _NO_GRADIENT:
        return ufunc(*_raw_args(inputs))
    op = _BY_NUMPY.get(ufunc)
    if op is None:
        raise _refused(name, "no differentiable op implements this ufunc")
    if dtype is not None:
        inputs = tuple(as_tensor(x).astype(dtype) if isinstance(x, Tensor) else
                       np.asarray(x, dtype=dtype) for x in inputs)
    return _call_op(op, inputs, {})


def _array_function(self: Tensor, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
    """numpy's function protocol: `np.sum(t, axis=1)`, `np.concatenate([t, a])` record the
    matching op; functions without a gradient return numpy values; others raise."""
    name = getattr(func, "__name__", repr(func))
    if any(not issubclass(t, (Tensor, np.ndarray)) for t in types):
        return NotImplemented
    if func in _NO_GRADIENT:
        return func(*_raw_args(args), **_raw_args(kwargs))
    op = _BY_NUMPY.get(func)
    if op is None:
        raise _refused(name, "no differentiable op implements this function")
    if kwargs.get("out") is not None:
        raise _refused(name, "out= is not supported (an op makes a new Tensor)")
    kwargs = {k: v for k, v in kwargs.items() if k != "out"}
    if "dtype" in kwargs and not _takes_dtype(op):
        dtype = kwargs.pop("dtype")
        if dtype is not None:  # the op has no dtype of its own: cast the input, then the op
            args = (as_tensor(args[0]).astype(dtype), *args[1:])
    return _call_op(op, args, kwargs)


def _takes_dtype(op: Op) -> bool:
    """Whether the op's own arguments include numpy's `dtype` (reductions, joins)."""
    fn = op.compose or op.params or op.front
    try:
        return "dtype" in inspect.signature(fn).parameters  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


Tensor.__array_ufunc__ = _array_ufunc  # type: ignore[attr-defined]
Tensor.__array_function__ = _array_function  # type: ignore[attr-defined]
