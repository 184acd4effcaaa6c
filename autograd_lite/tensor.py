"""`Tensor`: an n-dimensional array node of the computation graph, backed by numpy.

This file holds the class: construction and dtype rules, attributes, Python operators and
methods, and `backward`. Every differentiable op is a primitive of `ops.py` (forward and VJP
side by side); the methods here only route to them.

dtype rules: numpy arrays keep their dtype (float64 stays float64, float32 stays float32,
gradients too); lists and Python numbers become float32 unless `dtype=` says otherwise;
integer and bool tensors cannot require grad. A Python number mixed with a tensor takes the
tensor's floating dtype (as PyTorch), so `x32 * 2.0` stays float32.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from . import graph
from .graph import Node, _accumulate, _mode
from .graph import next_seq as _next_seq

__all__ = ["Tensor", "Primitive", "apply", "as_tensor"]

_new = object.__new__
_ndarray = np.ndarray
_NO_PARAMS: dict[str, Any] = {}  # shared by every recorded op without parameters (never written)
_data_of = operator.attrgetter("_data")
_ACCEPTED_KINDS = "biuf"  # bool, signed and unsigned integers, floats


def _to_array(data: Any, dtype: Any, op: str) -> np.ndarray:
    """`data` (array, list, number, Tensor) as a numeric ndarray, following the dtype rules."""
    if isinstance(data, Tensor):
        data = data._data
    try:
        array = np.array(data)  # no dtype yet: None, strings and objects must not be parsed
    except (TypeError, ValueError) as e:
        raise TypeError(f"{op}: cannot make a numeric array from {type(data).__name__} "
                        f"({e})") from None
    if array.dtype.kind not in _ACCEPTED_KINDS:
        raise TypeError(f"{op}: expected numbers (bool, int or float), got dtype {array.dtype} "
                        f"from {type(data).__name__}")
    if dtype is None and not isinstance(data, (np.ndarray, np.generic)):
        dtype = np.float32  # lists and Python numbers default to float32 (PyTorch's default)
    return array if dtype is None else array.astype(dtype, copy=False)


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
    """`x` as a Tensor: Tensors pass through; arrays and numpy scalars are wrapped as they
    are (no copy); Python numbers get the dtype `_number_dtype` picks."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (np.ndarray, np.generic)):
        if x.dtype.kind not in _ACCEPTED_KINDS:
            raise TypeError(f"expected numbers (bool, int or float), got an array of dtype "
                            f"{x.dtype}")
        return _constant(np.asarray(x))
    if isinstance(x, (bool, int, float)):
        return _constant(np.asarray(x, dtype=_number_dtype(x, like)))
    raise TypeError(f"expected a Tensor, numpy array or number, got {type(x).__name__}")


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
    __slots__ = ("_data", "_grad", "requires_grad", "_retains_grad", "_seq", "_prim", "_params")
    _numbered = True  # see Node; `_seq` is set by `apply` (0 for leaves)
    __array_ufunc__ = None  # `ndarray + Tensor` defers to Tensor.__radd__ (keeps the graph)
    __hash__ = Node.__hash__  # identity hash, although `==` is elementwise

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None,
                 label: str = "") -> None:
        array = _to_array(data, dtype, "Tensor")
        if requires_grad:
            _check_differentiable(array.dtype, "Tensor")
        self._data, self._grad = array, None
        self.requires_grad = self._retains_grad = bool(requires_grad)
        self._parents, self._op, self._rule, self._adjoint, self.label = (), "", None, None, label
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
        if self._parents and self._rule is not graph.FREED:
            raise RuntimeError(f"Tensor.data: this tensor is the output of op {self._op!r}, "
                               "recorded for a backward pass that may read its values; "
                               "rebinding them would make that backward silently wrong. "
                               "Rebind after backward(), or use detach()")
        array = np.asarray(value._data if isinstance(value, Tensor) else value)
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

    def __bool__(self) -> bool:
        return bool(self._data)

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
                 create_graph: bool = False) -> None:
        """Accumulate ∂self/∂leaf · gradient into the `.grad` of every leaf requiring grad.

        A non-scalar tensor needs `gradient` (shaped like it). With `create_graph=True` the
        backward pass is recorded and the gradients are graph-carrying Tensors.
        """
        if not self.requires_grad:
            raise RuntimeError("backward: this tensor does not require grad: none of the "
                               "tensors it was computed from has requires_grad=True, or it was "
                               "computed under no_grad()")
        seed = _seed(self, gradient)
        graph.backward(self, _constant(seed) if create_graph else seed, retain_graph,
                       create_graph)

    def _backprop(self, g: Any) -> None:
        """Add ḡ·∂self/∂input to the adjoint of every input that requires grad: run the
        input's VJP on the saved arrays (on the tensors themselves under create_graph, so the
        rule is recorded), then fit the result to the input (`_fit`)."""
        prim, arrays, params = self._prim, self._rule, self._params
        if type(g) is Tensor:  # create_graph: the rules run on Tensors and are recorded
            out, inputs = self, self._parents
        else:
            out, inputs = self._data, arrays
        if prim.variadic:
            vjp = prim.vjps[0]
            for i, parent in enumerate(self._parents):
                if parent.requires_grad:
                    gi = _fit(vjp(g, out, *inputs, i=i, **params), parent, prim)
                    _accumulate(parent, _owned(gi, g) if parent._retains_grad else gi)
            return
        # a primitive's forward takes exactly its inputs, so parents and vjps pair up
        for parent, vjp in zip(self._parents, prim.vjps):  # noqa: B905
            if parent.requires_grad:
                gi = vjp(g, out, *inputs, **params) if params else vjp(g, out, *inputs)
                data = parent._data
                if type(gi) is not _ndarray or gi.dtype is not data.dtype or gi.shape != data.shape:
                    gi = _fit(gi, parent, prim)  # the common case has nothing to fit
                if parent._retains_grad:
                    gi = _owned(gi, g)
                a = parent._adjoint  # _accumulate, inlined: this loop is the engine's hot spot
                parent._adjoint = gi if a is None else a + gi

    # --- operators: each applies its primitive from ops.py ------------------------------------

    def __add__(self, other: Any) -> Tensor:
        return apply(ops.ADD, self, other if type(other) is Tensor else as_tensor(other, self))

    def __radd__(self, other: Any) -> Tensor:
        return apply(ops.ADD, as_tensor(other, self), self)

    def __sub__(self, other: Any) -> Tensor:
        return apply(ops.SUB, self, other if type(other) is Tensor else as_tensor(other, self))

    def __rsub__(self, other: Any) -> Tensor:
        return apply(ops.SUB, as_tensor(other, self), self)

    def __mul__(self, other: Any) -> Tensor:
        return apply(ops.MUL, self, other if type(other) is Tensor else as_tensor(other, self))

    def __rmul__(self, other: Any) -> Tensor:
        return apply(ops.MUL, as_tensor(other, self), self)

    def __truediv__(self, other: Any) -> Tensor:
        return apply(ops.DIV, self, other if type(other) is Tensor else as_tensor(other, self))

    def __rtruediv__(self, other: Any) -> Tensor:
        return apply(ops.DIV, as_tensor(other, self), self)

    def __pow__(self, other: Any) -> Tensor:
        return apply(ops.POWER, self, other if type(other) is Tensor else as_tensor(other, self))

    def __rpow__(self, other: Any) -> Tensor:
        return apply(ops.POWER, as_tensor(other, self), self)

    def __matmul__(self, other: Any) -> Tensor:
        return apply(ops.MATMUL, self, other if type(other) is Tensor else as_tensor(other, self))

    def __rmatmul__(self, other: Any) -> Tensor:
        return apply(ops.MATMUL, as_tensor(other, self), self)

    def __neg__(self) -> Tensor:
        return apply(ops.NEG, self)

    def __getitem__(self, index: Any) -> Tensor:
        return ops.getitem(self, index)

    def __lt__(self, other: Any) -> Tensor:
        return ops.compare(np.less, self, other)

    def __le__(self, other: Any) -> Tensor:
        return ops.compare(np.less_equal, self, other)

    def __gt__(self, other: Any) -> Tensor:
        return ops.compare(np.greater, self, other)

    def __ge__(self, other: Any) -> Tensor:
        return ops.compare(np.greater_equal, self, other)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return ops.compare(np.equal, self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return ops.compare(np.not_equal, self, other)

    # --- elementwise ------------------------------------------------------------------------

    def exp(self) -> Tensor:
        return apply(ops.EXP, self)

    def log(self) -> Tensor:
        return apply(ops.LOG, self)

    def tanh(self) -> Tensor:
        return apply(ops.TANH, self)

    def sigmoid(self) -> Tensor:
        return apply(ops.SIGMOID, self)

    def relu(self) -> Tensor:
        return apply(ops.RELU, self)

    def sin(self) -> Tensor:
        return apply(ops.SIN, self)

    def cos(self) -> Tensor:
        return apply(ops.COS, self)

    def sqrt(self) -> Tensor:
        return apply(ops.SQRT, self)

    def abs(self) -> Tensor:
        return apply(ops.ABS, self)

    __abs__ = abs

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        return ops.leaky_relu(self, negative_slope)

    def clip(self, lo: float | None = None, hi: float | None = None) -> Tensor:
        return ops.clip(self, lo, hi)

    def astype(self, dtype: Any) -> Tensor:
        return ops.cast(self, dtype)

    # --- reductions -------------------------------------------------------------------------

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return ops.sum(self, axis, keepdims)

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return ops.mean(self, axis, keepdims)

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return ops.max(self, axis, keepdims)

    def min(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return ops.min(self, axis, keepdims)

    def var(self, axis: int | tuple[int, ...] | None = None, ddof: int = 0,
            keepdims: bool = False) -> Tensor:
        return ops.var(self, axis, ddof, keepdims)

    def logsumexp(self, axis: int | tuple[int, ...] | None = None,
                  keepdims: bool = False) -> Tensor:
        return ops.logsumexp(self, axis, keepdims)

    def softmax(self, axis: int = -1) -> Tensor:
        return ops.softmax(self, axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        return ops.log_softmax(self, axis)

    # --- shape ------------------------------------------------------------------------------

    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        return ops.reshape(self, *shape)

    def transpose(self, *axes: int | Sequence[int]) -> Tensor:
        return ops.transpose(self, *axes)

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        axes = list(range(self.ndim))
        axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
        return ops.transpose(self, axes)

    @property
    def T(self) -> Tensor:
        return ops.transpose(self)

    def flatten(self) -> Tensor:
        return ops.reshape(self, -1)

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        return ops.broadcast_to(self, tuple(shape))


# --- the engine's share of every op: recording, VJP dispatch, fitting gradients ---------------

class Primitive:
    """An elementary op: `forward` on numpy arrays, and one VJP per input.

    A VJP `vjp(g, out, *inputs, **params)` receives the output's adjoint `g`, the output and
    the inputs, and returns that input's adjoint "as if no broadcasting happened". In a plain
    backward these are numpy arrays (nothing is recorded); under `create_graph=True` they are
    Tensors, so the same rule builds a differentiable graph. A `variadic` op (concat, stack)
    has one VJP that also receives the input's position `i`. `floating` promises that the
    output is floating whenever an input is (true of every differentiable op but a cast);
    without it, `apply` checks the output's dtype before recording. An op that `saves` has a
    forward returning `(output, saved)`: an array its VJPs receive as `saved=` (e.g. the
    softmax a fused loss computed anyway), instead of recomputing it.
    """

    __slots__ = ("name", "forward", "vjps", "variadic", "floating", "saves")

    def __init__(self, name: str, forward: Any, *vjps: Any, variadic: bool = False,
                 floating: bool | None = None, saves: bool = False) -> None:
        self.name, self.forward, self.vjps, self.variadic = name, forward, vjps, variadic
        self.floating = bool(vjps) if floating is None else floating  # no VJP: not recorded
        self.saves = saves

    def __repr__(self) -> str:
        return f"Primitive({self.name!r})"


def apply(prim: Primitive, *inputs: Tensor, **params: Any) -> Tensor:
    """Run `prim` forward on the inputs' arrays and, if any input requires grad, record it."""
    n = len(inputs)  # the arrays, without a generic loop for the usual one or two inputs
    arrays = (inputs[0]._data,) if n == 1 else (inputs[0]._data, inputs[1]._data) if n == 2 \
        else tuple(map(_data_of, inputs))
    try:
        data = prim.forward(*arrays, **params) if params else prim.forward(*arrays)
    except (ValueError, TypeError, IndexError) as e:
        raise _op_error(prim.name, arrays, e) from None
    if prim.saves:
        data, saved = data
        params = {**params, "saved": saved}
    if type(data) is not _ndarray:
        data = np.asarray(data)  # numpy returns scalars from 0-d arithmetic
    out = _new(Tensor)
    out._data = data  # one store per line: a five-name tuple assignment costs more
    out._grad = None
    out._adjoint = None
    out.label = ""
    out._retains_grad = False
    if (not graph._threads_off or _mode.enabled) and (prim.floating or data.dtype.kind == "f"):
        for t in inputs:
            if t.requires_grad:
                out.requires_grad = True
                out._parents, out._op, out._seq = inputs, prim.name, _next_seq()
                out._rule, out._prim, out._params = arrays, prim, params or _NO_PARAMS
                return out
    out.requires_grad = False
    out._parents, out._op, out._rule, out._seq = (), "", None, 0
    return out


def _fit(gi: Any, parent: Tensor, prim: Primitive) -> Any:
    """Sum a broadcast gradient back to the parent's shape, cast it to the parent's dtype,
    and check the shape."""
    if type(gi) is not Tensor and type(gi) is not np.ndarray:
        gi = np.asarray(gi)
    shape = parent._data.shape
    if gi.shape != shape:
        gi = _unbroadcast(gi, shape, prim.name)
    dtype = parent._data.dtype
    return gi if gi.dtype == dtype else gi.astype(dtype)


def _owned(gi: Any, g: Any) -> Any:
    """`gi` as an array a tensor may keep as its `.grad`: not the adjoint `g` itself (`a + b`
    hands the same array to both) and not a view into another array."""
    if type(gi) is np.ndarray and (gi is g or gi.base is not None):
        return gi.copy()
    return gi


def _unbroadcast(g: Any, shape: tuple[int, ...], op: str) -> Any:
    """Sum `g` over the axes that broadcasting added or stretched, giving `shape`."""
    # np.add.reduce is ndarray.sum without its Python layer; a Tensor (create_graph) sums itself
    total = np.add.reduce if type(g) is np.ndarray else type(g).sum
    lead = g.ndim - len(shape)
    if lead > 0:
        g = total(g, axis=tuple(range(lead)) if lead > 1 else 0)  # the added leading axes go
    if lead >= 0 and g.shape != shape:
        stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
        if stretched:
            g = total(g, axis=stretched, keepdims=True)  # the stretched ones stay, as size 1
    if g.shape != shape:
        raise RuntimeError(f"backward of {op}: the rule gave a gradient of shape {g.shape} for "
                           f"an input of shape {shape} (a bug in the op's VJP)")
    return g


def _op_error(op: str, arrays: Sequence[np.ndarray], e: Exception) -> Exception:
    """The error to raise when numpy rejects an op's inputs: it names the op and the shapes."""
    shapes = [a.shape for a in arrays]
    message = str(e)
    if "could not be broadcast" in message and len(shapes) == 2:  # numpy's own wording
        a, b = shapes
        clash = [f"dimension {-k} is {a[-k]} in the first and {b[-k]} in the second"
                 for k in range(1, min(len(a), len(b)) + 1)
                 if a[-k] != b[-k] and 1 not in (a[-k], b[-k])]
        message = (f"shapes {a} and {b} cannot be broadcast together: {'; '.join(clash)} "
                   "(sizes must match, or one of them be 1)")
    elif arrays:
        described = ", ".join(f"{s} {a.dtype}" for s, a in zip(shapes, arrays, strict=True))
        message = f"{message} (inputs: {described})"
    return type(e)(f"{op}: {message}")



def _seed(root: Tensor, gradient: Any) -> np.ndarray:
    """The adjoint that starts a backward pass from `root`."""
    if gradient is None:
        if root._data.size != 1:
            raise RuntimeError(
                f"backward: the output has shape {root.shape}, so it needs a gradient of that "
                "shape: call backward(gradient) or reduce it first, e.g. out.sum().backward()")
        return np.ones(root._data.shape, root._data.dtype)
    seed = np.array(gradient._data if isinstance(gradient, Tensor) else gradient,
                    dtype=root._data.dtype)
    if seed.shape != root.shape:
        raise ValueError(f"backward: gradient has shape {seed.shape} but the output has shape "
                         f"{root.shape}; they must match")
    return seed


from . import ops  # noqa: E402  (ops builds Tensors; Tensor's methods call ops at run time)
