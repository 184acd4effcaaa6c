"""The engine: recording ops, and the reverse sweep that pushes adjoints back through them.

Forward, a front end (`Value`, `Tensor`) runs an op and calls the engine to record it:

    record_scalar(cls, data, op, p0, d0, p1, d1)  a Value: ∂out/∂parent per parent (floats)
    apply(primitive, *tensors, **params)      a Tensor: numpy forward, saved input arrays

Backward, `backward(root, seed)` sorts the graph (`graph.toposort`) and visits it in reverse
order, so each node's adjoint ḡ is complete before it is pushed to the parents:

    scalar node:  ā_parent += ḡ · ∂node/∂parent             (the sweep multiplies)
    tensor node:  ā_parent += fit(vjp_parent(ḡ, out, *inputs, **params))

`fit` is the engine's share of every tensor op, written once here: it sums a broadcast
gradient back to the input's shape, casts it to the input's dtype and checks the shape, so a
VJP returns its gradient "as if no broadcasting happened". Under `create_graph=True` the VJPs
run on the Tensors themselves with grad mode on, so the backward pass is recorded and can be
differentiated again; the same rule serves both (VJPs use only operators and the methods
ndarray and Tensor share).

Two sweeps share that step: `_sweep_into_grads` (`.backward()`: adjoints land in `.grad`) and
`_sweep_to_inputs` (`backward(..., inputs=...)`, what the functional transforms use: the
inputs' adjoints are returned and no `.grad` changes). Values' `.backward()` has its own sort
and sweep (`_scalar_order`, `_sweep_scalars`), the same algorithm written for nodes with at
most two parents, as scalar networks are many small nodes.
"""

from __future__ import annotations

import gc
import math
import operator
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from . import gradmode, heap
from .gradmode import _mode, _retain, _set_mode
from .graph import FREED, Node, next_seq, toposort
from .validate import NUMERIC_KINDS, AllocationError

__all__ = ["Primitive", "apply", "record_scalar", "backward", "seed_for", "mark_changed", "version",
           "AnomalyError", "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled"]

_new = object.__new__
_ndarray = np.ndarray
_NO_PARAMS: dict[str, Any] = {}  # shared by every recorded op without parameters (never written)
_data_of = operator.attrgetter("_data")
_threads_off = gradmode._threads_off  # the same list object: see gradmode


# --- threads ------------------------------------------------------------------------------------

# A sweep keeps its adjoints on the nodes themselves (`_adjoint`) and adds them into `.grad`, so
# two threads sweeping graphs that share a node (a parameter, or a retained interior node)
# would overwrite each other's adjoints and lose gradients. One lock serialises sweeps: it is
# taken once per backward (not per node or per leaf), uncontended it costs well under a
# microsecond, and with the GIL two sweeps could not run their Python in parallel anyway.
# Reentrant: a custom op's VJP may itself call backward (e.g. through `grad`).
_sweep_lock = threading.RLock()
# In-place changes update two pieces of shared state (the tensor's change list and
# `_last_change`) that must move together and never go backwards.
_change_lock = threading.Lock()


# --- anomaly detection ----------------------------------------------------------------------------

class AnomalyError(RuntimeError):
    """Under `detect_anomaly()`: an op's forward output or a VJP's result holds nan or inf.
    A RuntimeError, as PyTorch's."""


# One process-wide flag, as PyTorch's anomaly mode. Recording reads it once per recorded op
# (a module global: a few nanoseconds), the backward sweep once per pass.
_anomaly = False
_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def set_detect_anomaly(mode: bool) -> None:
    """Turn anomaly detection on or off (process-wide, as PyTorch's): while on, every recorded
    op checks its output and every VJP its result for nan/inf, and the error names the op, the
    user's line that created it and the input shapes. It slows recording (each op keeps the
    file and line of its caller), so use it to find a bug, not to train."""
    global _anomaly
    if not isinstance(mode, (bool, np.bool_)):
        raise TypeError(f"set_detect_anomaly: mode must be True or False, got "
                        f"{type(mode).__name__} {mode!r:.40}")
    _anomaly = bool(mode)


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on (`detect_anomaly`, `set_detect_anomaly`)."""
    return _anomaly


@contextmanager
def detect_anomaly(check_nan: bool = True) -> Iterator[None]:
    """`with detect_anomaly():` anomaly detection on inside the block (PyTorch's name); the
    previous setting comes back afterwards. `check_nan=False` leaves it as it was."""
    previous = _anomaly
    set_detect_anomaly(bool(check_nan) or previous)
    try:
        yield
    finally:
        set_detect_anomaly(previous)


def _user_frame() -> str:
    """`file:line in function: code` of the innermost caller outside this package (the line
    of code that ran the op), then up to two of its callers: an op made inside a library
    built on this one (a layer's forward) also shows the user's line that called it.
    Recorded only in anomaly mode: walking the stack costs microseconds."""
    import traceback  # here, not at the top: only anomaly mode needs it (2 ms of import)

    outside = [f for f in reversed(traceback.extract_stack()) if
               not f.filename.startswith(_PACKAGE)][:3]
    if not outside:
        return "<inside autograd_lite>"
    where = [f"{f.filename}:{f.lineno} in {f.name}: {f.line}" for f in outside]
    return where[0] + "".join(f" (called from {w})" for w in where[1:])


def _finite(x: Any) -> bool:
    """True when `x` (a float, an array or a Tensor) holds no nan and no inf."""
    x = getattr(x, "_data", x)
    if isinstance(x, float):
        return x - x == 0.0  # false for nan and ±inf
    a = np.asarray(x)
    return a.dtype.kind not in "fc" or bool(np.isfinite(a).all())


def _what(x: Any) -> str:
    a = np.asarray(getattr(x, "_data", x))
    kinds = [name for name, hit in (("nan", np.isnan(a).any()), ("inf", np.isinf(a).any()))
             if hit] if a.dtype.kind in "fc" else []
    return " and ".join(kinds) or "only finite values"


def _describe(values: Sequence[Any]) -> str:
    return ", ".join(f"{np.shape(getattr(v, '_data', v))} "
                     f"{getattr(getattr(v, '_data', v), 'dtype', 'float')}" for v in values)


def _check_forward(op: str, out: Any, inputs: Sequence[Any], local: Any = None) -> None:
    """Anomaly mode: refuse a recorded op whose output (or, for a Value, local derivative)
    holds nan or inf, naming the op, the user's line and the inputs."""
    if _finite(out) and (local is None or all(_finite(d) for d in local)):
        return
    bad = [i for i, x in enumerate(inputs) if not _finite(x)]
    cause = (f"input {bad[0]} already held {_what(inputs[bad[0]])}" if bad else
             "its inputs were finite")
    what = f"output holds {_what(out)}" if not _finite(out) else \
        f"local derivative is {list(local)}"
    raise AnomalyError(f"detect_anomaly: op {op!r} (inputs: {_describe(inputs)}) created at "
                       f"{_user_frame()}: its {what} ({cause})")


# --- recording ----------------------------------------------------------------------------------

class Primitive:
    """An elementary tensor op: `forward` on numpy arrays, and how to pull an adjoint back.

    `vjps` has one function per input, `vjp(g, out, *inputs, **params)`: given the output's
    adjoint `g`, the output and the inputs, it returns that input's adjoint. A `joint` VJP
    instead returns all inputs' adjoints at once, as a sequence (for ops with any number of
    inputs, and for ops whose gradients share work); an entry may be None (no gradient).
    In a plain backward `g`, `out` and the inputs are numpy arrays (nothing is recorded);
    under `create_graph=True` they are Tensors, so the same rule builds a differentiable graph.

    `broadcasts`: the op broadcasts its inputs (numpy's rules), so the engine sums a gradient
    shaped like the output back to each input's shape; otherwise a gradient must have the
    input's shape exactly. `floating` promises that the output is floating whenever an input
    is (true of every differentiable op but a cast); without it, `apply` checks the output's
    dtype before recording. An op that `saves` has a forward returning `(output, saved)`:
    an object its VJPs receive as the parameter `saved=` (e.g. the softmax a fused loss
    computed anyway), instead of recomputing it.
    """

    __slots__ = ("name", "forward", "vjps", "joint", "broadcasts", "floating", "saves")

    def __init__(self, name: str, forward: Callable[..., Any], *vjps: Callable[..., Any],
                 joint: Callable[..., Any] | None = None, broadcasts: bool = False,
                 floating: bool | None = None, saves: bool = False) -> None:
        if vjps and joint is not None:
            raise TypeError(f"Primitive {name!r}: give one VJP per input or a joint VJP, "
                            "not both")
        self.name, self.forward, self.vjps, self.joint = name, forward, vjps, joint
        self.broadcasts, self.saves = broadcasts, saves
        differentiable = bool(vjps) or joint is not None  # no VJP: never recorded
        self.floating = differentiable if floating is None else floating

    def __repr__(self) -> str:
        return f"Primitive({self.name!r})"


def apply(prim: Primitive, *inputs: Any, **params: Any) -> Any:
    """Run `prim` forward on the input Tensors' arrays and, if any input requires grad (and
    grad mode is on), record it: the result keeps its parents, the primitive, the parameters
    and the arrays the forward saw."""
    n = len(inputs)  # the arrays, without a generic loop for the usual one or two inputs
    arrays = (inputs[0]._data,) if n == 1 else (inputs[0]._data, inputs[1]._data) if n == 2 \
        else tuple(map(_data_of, inputs))
    try:
        data = prim.forward(*arrays, **params) if params else prim.forward(*arrays)
    except (ValueError, TypeError, IndexError) as e:
        raise op_error(prim.name, arrays, e) from None
    except MemoryError as e:  # e.g. broadcasting (10⁶, 1) against (1, 10⁶)
        raise AllocationError(f"{prim.name}: not enough memory for the result ({e}; inputs: "
                              f"{_describe(arrays)})") from None
    if prim.saves:
        data, saved = data
        params = {**params, "saved": saved}
    if type(data) is not _ndarray:
        data = np.asarray(data)  # numpy returns scalars from 0-d arithmetic
    out = _new(inputs[0]._result_type)
    out._data = data  # one store per line: a five-name tuple assignment costs more
    out._grad = None
    out._adjoint = None
    out.label = ""
    out._retains_grad = False
    # `not _threads_off` spares the thread-local lookup while no thread has grad mode off
    if (not _threads_off or _mode.enabled) and (prim.floating or data.dtype.kind == "f"):
        for t in inputs:
            if t.requires_grad:
                out.requires_grad = True
                out._parents, out._op, out._seq = inputs, prim.name, next_seq()
                out._rule, out._prim, out._params = arrays, prim, params or _NO_PARAMS
                if _anomaly:
                    out._created = _user_frame()
                    if data.dtype.kind == "f":
                        _check_forward(prim.name, data, arrays)
                return out
    out.requires_grad = False
    out._parents, out._op, out._rule, out._seq = (), "", None, 0
    return out


def record_scalar(cls: type, data: float, op: str, p0: Node | None = None, d0: float = 0.0,
                  p1: Node | None = None, d1: float = 0.0) -> Any:
    """A scalar node of class `cls` holding `data`; unless grad mode is off (or it has no
    parent: a constant), it records op `op` with up to two parents `p0`, `p1` and the local
    derivatives `d0` = ∂data/∂p0, `d1` = ∂data/∂p1.

    Parents and derivatives sit in four fields rather than two tuples: a scalar network
    records tens of thousands of these per step, and each tuple would be one more object for
    the allocator and the cyclic collector to see (together about a third of a step's time)."""
    out = _new(cls)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._adjoint = None
    if p0 is not None and (not _threads_off or _mode.enabled):
        out._p0 = p0  # one store per line, as in `apply`
        out._d0 = d0
        out._p1 = p1
        out._d1 = d1
        out._op = op
        if _anomaly:
            _check_forward(op, data, [p0.data] if p1 is None else [p0.data, p1.data],
                           (d0,) if p1 is None else (d0, d1))
    else:  # a constant, or no_grad: no history
        out._p0, out._d0, out._p1, out._d1, out._op = None, 0.0, None, 0.0, ""
    return out


def op_error(op: str, arrays: Sequence[np.ndarray], e: Exception) -> Exception:
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


# --- in-place changes: version counters ----------------------------------------------------------

# The creation number of the latest in-place change anywhere (0: none yet). An in-place change
# takes a number from the same counter as recorded ops, so "x changed after op N recorded it"
# is `change > N._seq`: recording an op costs nothing extra, and a backward pass checks only
# the ops recorded before the latest change (`_check_versions`).
_last_change = 0


def mark_changed(t: Any, op: str) -> None:
    """Note that tensor `t`'s values are about to change in place by `op`: its version goes
    up by one (`t._changes` lists every change as (number, op name))."""
    global _last_change
    with _change_lock:  # two threads changing tensors: numbers in order, no change list lost
        seq = next_seq()
        changes = getattr(t, "_changes", None)  # the slot stays unset until the first change
        if changes is None:
            t._changes = changes = []
        changes.append((seq, op))
        _last_change = seq


def version(t: Any) -> int:
    """How many times `t` was changed in place (PyTorch's `_version`)."""
    return len(getattr(t, "_changes", None) or ())


def _check_versions(order: list[Any]) -> None:
    """Refuse a backward through an op whose input (or output) changed in place after the op
    recorded it: its VJP would read the new values (a silently wrong gradient), or the
    adjoint would be routed through the change. `order` is sorted by creation number."""
    for node in order:
        if node._seq >= _last_change:
            return  # recorded after every change
        if not node._parents or node._rule is FREED:
            continue
        for t in (*node._parents, node):
            changes = getattr(t, "_changes", None)
            if changes and changes[-1][0] > node._seq:
                saved = sum(1 for seq, _ in changes if seq < node._seq)
                what = "its output" if t is node else "an input"
                raise RuntimeError(
                    f"backward of {node._op}: {what} of shape {t._data.shape} "
                    f"{t._data.dtype} that {node._op} saved was changed in place by "
                    f"{changes[-1][1]} afterwards: it is at version {len(changes)}, "
                    f"{node._op} saved version {saved}. Compute the in-place change on a "
                    "copy (x = x + 1 instead of x += 1), or recompute the forward pass after "
                    "changing it")


# --- one node's share of the sweep: VJPs, fitted to the inputs -----------------------------------

def _pull_back(node: Any, g: Any) -> None:
    """Add ḡ·∂node/∂input to the adjoint of every input of a recorded tensor op that requires
    grad: run the input's VJP on the saved arrays (on the tensors themselves under
    create_graph, so the rule is recorded), then fit the result to the input (`fit`)."""
    prim = node._prim
    if type(g) is _ndarray or not isinstance(g, Node):  # arrays (0-d sums: numpy scalars)
        out, inputs = node._data, node._rule
    else:  # create_graph: the rules run on Tensors and are recorded
        out, inputs = node, node._parents
    vjps, params = prim.vjps, node._params
    if not vjps:
        _pull_back_joint(node, prim, g, out, inputs, params)
        return
    n = len(inputs)
    # a primitive's forward takes exactly its inputs, so parents and vjps pair up
    for parent, vjp in zip(node._parents, vjps):  # noqa: B905
        if parent.requires_grad:
            # one- and two-input calls spelled out: `vjp(g, out, *inputs)` builds a tuple
            # per call, a third of a unary VJP's cost on small arrays
            if params:
                gi = vjp(g, out, *inputs, **params)
            elif n == 1:
                gi = vjp(g, out, inputs[0])
            elif n == 2:
                gi = vjp(g, out, inputs[0], inputs[1])
            else:
                gi = vjp(g, out, *inputs)
            data = parent._data
            if type(gi) is not _ndarray or gi.dtype is not data.dtype or gi.shape != data.shape:
                gi = fit(gi, parent, prim, _position(node, parent, vjp))  # rare: fit it
                if gi is None:
                    continue
            if parent._retains_grad:
                gi = _owned(gi, g)
            a = parent._adjoint  # `_add`, inlined: this loop is the engine's hot spot
            parent._adjoint = gi if a is None else a + gi


def _pull_back_joint(node: Any, prim: Primitive, g: Any, out: Any, inputs: Any,
                     params: dict[str, Any]) -> None:
    """`_pull_back` for a primitive whose one VJP gives every input's adjoint at once."""
    grads = prim.joint(g, out, *inputs, **params)  # type: ignore[misc]
    if len(grads) != len(inputs):
        raise ValueError(f"backward of {prim.name}: the joint VJP returned {len(grads)} "
                         f"adjoint(s) for {len(inputs)} input(s); return one per input "
                         "(None for an input without a gradient)")
    for i, parent in enumerate(node._parents):
        if parent.requires_grad:
            _add(parent, fit(grads[i], parent, prim, i), g)


def _position(node: Any, parent: Any, vjp: Any) -> int:
    """Which input of `node` the pair (parent, vjp) is, for error messages."""
    return next(i for i, pair in enumerate(zip(node._parents, node._prim.vjps))  # noqa: B905
                if pair[0] is parent and pair[1] is vjp)


def _add(parent: Any, gi: Any, g: Any) -> None:
    """`parent._adjoint += gi` for one sweep (the first contribution is taken as it is)."""
    if gi is None:
        return
    if parent._retains_grad:
        gi = _owned(gi, g)
    a = parent._adjoint
    parent._adjoint = gi if a is None else a + gi


def fit(gi: Any, parent: Any, prim: Primitive, i: int) -> Any:
    """Input `i`'s adjoint from `prim`'s VJP made to fit the input: summed back over the axes
    broadcasting added or stretched (ops that broadcast), cast to the input's dtype, and its
    shape checked; a VJP that returns None adds nothing. Errors name the op and the input."""
    if gi is None:
        return None
    if not isinstance(gi, (_ndarray, Node)):
        gi = np.asarray(gi)
    if not isinstance(gi, Node) and gi.dtype.kind not in "biuf":
        raise TypeError(f"backward of {prim.name}: the VJP of input {i} returned dtype "
                        f"{gi.dtype}; a gradient must hold real numbers")
    shape = parent._data.shape
    if gi.shape != shape:
        if not prim.broadcasts:
            raise ValueError(f"backward of {prim.name}: the VJP of input {i} returned a "
                             f"gradient of shape {gi.shape} for an input of shape {shape}; "
                             "a VJP must return one gradient shaped like its input")
        gi = _unbroadcast(gi, shape, prim.name)
    dtype = parent._data.dtype
    return gi if gi.dtype == dtype else gi.astype(dtype)


def _owned(gi: Any, g: Any) -> Any:
    """`gi` as an array a tensor may keep as its `.grad`: not the adjoint `g` itself (`a + b`
    hands the same array to both) and not a view into another array."""
    if type(gi) is _ndarray and (gi is g or gi.base is not None):
        return gi.copy()
    return gi


def _unbroadcast(g: Any, shape: tuple[int, ...], op: str) -> Any:
    """Sum `g` over the axes that broadcasting added or stretched, giving `shape`."""
    # np.add.reduce is ndarray.sum without its Python layer; a Tensor (create_graph) sums itself
    total = np.add.reduce if type(g) is _ndarray else type(g).sum
    lead = g.ndim - len(shape)
    if lead > 0:
        if type(g) is _ndarray and g.size >= 4096 and g.dtype.kind == "f" and \
                g.flags.c_contiguous:
            # the added leading axes as a GEMV 1ᵀ G on G = g as (rows, rest): a bias's
            # gradient from (512, 192) float32 in 4.7 µs, 12 µs as np.add.reduce over axis
            # 0 (580 → 33 µs on (43264, 8)); below ~4096 elements the calls cost more
            rest = g.shape[lead:]
            rows = g.reshape(-1, math.prod(rest))
            g = (np.ones(rows.shape[0], dtype=g.dtype) @ rows).reshape(rest)
        else:
            g = total(g, axis=tuple(range(lead)) if lead > 1 else 0)  # the added axes go
    if lead >= 0 and g.shape != shape:
        stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
        if stretched:
            g = total(g, axis=stretched, keepdims=True)  # the stretched ones stay, as size 1
    if g.shape != shape:
        raise RuntimeError(f"backward of {op}: the rule gave a gradient of shape {g.shape} for "
                           f"an input of shape {shape} (a bug in the op's VJP)")
    return g


# --- the sweep ------------------------------------------------------------------------------------

_heap_warm = False


def seed_for(root: Any, gradient: Any) -> np.ndarray:
    """The adjoint that starts a backward pass from tensor `root`: ones for a one-element
    root, else `gradient` (shaped like the root, cast to its dtype).

    The first tensor backward of the process also moves glibc's malloc thresholds once
    (`heap.warm_malloc`): a process-wide setting, so it is made only by a program that
    trains tensors (whose step memory it keeps from being faulted in again every step),
    not by `import autograd_lite`."""
    global _heap_warm
    if not _heap_warm:
        _heap_warm = True
        heap.warm_malloc()
    data = root._data
    if gradient is None:
        if data.size != 1:
            raise RuntimeError(
                f"backward: the output has shape {data.shape}, so it needs a gradient of that "
                "shape: call backward(gradient) or reduce it first, e.g. out.sum().backward()")
        return np.ones(data.shape, data.dtype)
    given = gradient._data if isinstance(gradient, Node) else gradient
    try:
        seed = np.asarray(given)  # no dtype yet: a string must be refused, not parsed
    except (TypeError, ValueError) as e:
        raise TypeError(f"backward: gradient must be a tensor, array or number, got "
                        f"{type(gradient).__name__} ({e})") from None
    if seed.dtype.kind not in NUMERIC_KINDS:
        raise TypeError(f"backward: gradient must hold real numbers, got "
                        f"{type(gradient).__name__} {gradient!r:.40} (dtype {seed.dtype})")
    seed = seed.astype(data.dtype, copy=False)
    if seed.shape != data.shape:
        raise ValueError(f"backward: gradient has shape {seed.shape} but the output has shape "
                         f"{data.shape}; they must match")
    # The caller's array is not copied (3.2 MB took 0.23 ms of a BatchNorm2d step): a plain
    # sweep only reads its ḡ, VJPs never write into it, and every `.grad` it could reach is
    # made an array of its own (`_owned`: here the view's base marks it as borrowed). A view
    # also gives each sweep's seed its own identity. (Under create_graph, Tensor.backward
    # copies it: the recorded graph outlives the call.)
    return seed.view() if seed is given else seed


def backward(root: Node, gradient: Any, retain_graph: bool = False, create_graph: bool = False,
             inputs: Sequence[Node] | None = None, retain_grad: bool = False) -> list[Any] | None:
    """Reverse-mode sweep: seed `root` with `gradient` and apply the chain rule to the graph.

    Adjoints of one sweep are gathered in each node's `_adjoint`, apart from the stored
    `.grad`, so a second sweep over a retained graph adds exactly one more gradient. Unless
    `retain_graph` (implied by `create_graph`), each rule is released once used.

    With `create_graph`, the sweep itself is recorded (rules run with grad mode on), so the
    gradients are differentiable. With `inputs`, only the nodes that depend on an input are
    visited, nothing is stored in any `.grad`, and the inputs' adjoints are returned (None
    where nothing reached), as `torch.autograd.grad` does. With `retain_grad` (or inside a
    `retain_grads()` block), every node that requires grad keeps its `.grad`, as after
    `retain_grad()` (for diagrams of every adjoint; ignored with `inputs`).
    """
    retain_graph = retain_graph or create_graph
    # Sorting and sweeping free nothing the cyclic collector could find; pausing it avoids
    # rescanning the whole (live) graph several times, which otherwise costs half a backward.
    with _sweep_lock:  # sweeps share nodes' adjoints and `.grad`: one at a time (see above)
        collecting = gc.isenabled()
        gc.disable()
        mode = _mode.enabled
        _set_mode(create_graph)
        pull = _pull_back_checked if _anomaly else _pull_back  # the flag, read once per pass
        order: list[Node] = []
        try:
            if root._local_rule and inputs is None:  # Values: their own sort and sweep (below)
                order = _scalar_order(root)
                root._adjoint = gradient
                _sweep_scalars(order, retain_graph)
                return None
            order = toposort(root)
            if _last_change and root._numbered:  # some tensor was changed in place: check
                _check_versions(order)
            stop: frozenset[Node] = frozenset()
            if inputs is not None:
                order, stop = _paths_to(order, inputs)
            for node in order:
                if node._rule is FREED and node not in stop:
                    raise _freed_error(node)
            root._adjoint = gradient
            if inputs is None:
                if (retain_grad or _retain.depth) and root._numbered:  # every Value keeps its own
                    _retain_every_grad(order)
                _sweep_into_grads(order, retain_graph, pull)
                return None
            return _sweep_to_inputs(order, retain_graph, stop, inputs, pull)
        except BaseException:
            for node in order:  # a failed sweep leaves no partial adjoints behind
                node._adjoint = None
                for parent in node._parents:
                    parent._adjoint = None
            raise
        finally:
            root._adjoint = None
            _set_mode(mode)
            if collecting:
                gc.enable()


def _retain_every_grad(order: list[Node]) -> None:
    """Mark every node that requires grad to keep its gradient, before the sweep: one pass
    here, so the sweep itself has no extra test per node."""
    for node in order:
        if node.requires_grad:
            node._retains_grad = True


def _pull_back_checked(node: Any, g: Any) -> None:
    """`_pull_back` in anomaly mode: an input whose adjoint was finite before this node's VJP
    ran and holds nan or inf after it names the op, where it was created and its inputs.
    (A Value's local derivatives are checked when it is recorded.)"""
    before = [p._adjoint for p in node._parents]
    _pull_back(node, g)
    for i, (parent, old) in enumerate(zip(node._parents, before)):  # noqa: B905
        new = parent._adjoint
        if new is not old and new is not None and not _finite(new) and \
                (old is None or _finite(old)):
            created = getattr(node, "_created", None) or "an unknown line (recorded before " \
                "anomaly detection was turned on)"
            source = "" if _finite(g) else f" (the incoming gradient already held {_what(g)})"
            raise AnomalyError(
                f"detect_anomaly: the backward of op {node._op!r} (inputs: "
                f"{_describe(node._parents)}) created at {created} returned {_what(new)} "
                f"in the gradient of input {i}{source}")


def _sweep_into_grads(order: list[Node], retain_graph: bool,
                      pull: Callable[[Any, Any], None] = _pull_back) -> None:
    """`.backward()` on tensors: every node that keeps its gradient adds its adjoint to
    `.grad`."""
    for node in reversed(order):
        g = node._adjoint
        if g is None:  # nothing flows here (e.g. a non-differentiable input)
            continue
        node._adjoint = None
        if node._retains_grad:  # (owned: the root's adjoint is the caller's seed)
            node.grad = _owned(g, None) if node.grad is None else node.grad + g
        if not node._parents:
            continue  # a leaf: nothing to push, no rule to free
        pull(node, g)
        if not retain_graph:
            node._rule = FREED


# --- Values: the same sweep, written for nodes of at most two parents ---------------------------
# Speed path: a scalar network is tens of thousands of nodes per step, so the sort reads the
# two parent fields directly (no tuple per node) and checks for freed rules on the way, and
# the sweep pushes to two parents without a loop; together half the time of the generic pair.

def _scalar_order(root: Node) -> list[Node]:
    """`graph.toposort` for Values (the same depth-first post-order), refusing a graph whose
    rules an earlier backward freed before anything is changed."""
    order: list[Node] = []
    seen: set[Node] = set()
    stack: list[Any] = [root]
    push, pop, mark, place = stack.append, stack.pop, seen.add, order.append
    while stack:
        node = pop()
        if node is None:
            place(pop())
        elif node not in seen:
            mark(node)
            push(node)
            push(None)
            p0 = node._p0
            if p0 is not None:
                if node._d0 is FREED:
                    raise _freed_error(node)
                p1 = node._p1
                if p1 is not None and p1 not in seen:
                    push(p1)
                if p0 not in seen:
                    push(p0)
    return order


def _sweep_scalars(order: list[Node], retain_graph: bool) -> None:
    """`.backward()` on Values: every node adds its adjoint ḡ to `.grad` (as micrograd's do)
    and pushes ḡ·∂node/∂parent to each parent."""
    for node in reversed(order):
        g = node._adjoint
        if g is None:
            continue
        node._adjoint = None
        grad = node.grad
        node.grad = g if grad is None else grad + g
        parent = node._p0
        if parent is None:
            continue  # a leaf or a constant
        a = parent._adjoint
        parent._adjoint = g * node._d0 if a is None else a + g * node._d0
        parent = node._p1
        if parent is not None:
            a = parent._adjoint
            parent._adjoint = g * node._d1 if a is None else a + g * node._d1
        if not retain_graph:
            node._d0 = FREED


def _freed_error(node: Node) -> RuntimeError:
    return RuntimeError(
        f"backward: the graph through op {node._op!r} was already freed by an earlier "
        "backward(). Pass retain_graph=True to the first backward() to backpropagate "
        "through the same graph again, or recompute the forward pass.")


def _sweep_to_inputs(order: list[Node], retain_graph: bool, stop: frozenset[Node],
                     inputs: Sequence[Node],
                     pull: Callable[[Any, Any], None] = _pull_back) -> list[Any]:
    """`backward(..., inputs=...)`: capture the inputs' adjoints; no `.grad` changes, and the
    history below an input (`stop`) is neither entered nor freed."""
    captured: dict[Node, Any] = dict.fromkeys(inputs)
    for node in reversed(order):
        g = node._adjoint
        if g is None:
            continue
        node._adjoint = None
        if node in captured:
            captured[node] = g
        if node in stop or not node._parents:
            continue
        if node._local_rule:
            for parent, d in zip(node._parents, node._rule):  # noqa: B905 (same length)
                a = parent._adjoint
                parent._adjoint = g * d if a is None else a + g * d
        else:
            pull(node, g)
        if not retain_graph:
            node._rule = FREED
    for node in order:  # parents off the paths may hold an adjoint that a rule gave them
        for parent in node._parents:
            parent._adjoint = None
    return [captured[x] for x in inputs]


def _paths_to(order: list[Node], inputs: Sequence[Node]) -> tuple[list[Node], frozenset[Node]]:
    """The nodes of `order` that depend on some input, and the inputs to treat as leaves
    (those that depend on no other input: the sweep neither enters nor frees their history)."""
    reaching = set(inputs)
    for node in order:
        if node not in reaching and any(p in reaching for p in node._parents):
            reaching.add(node)
    bottom = frozenset(x for x in inputs if not any(p in reaching for p in x._parents))
    return [node for node in order if node in reaching], bottom
