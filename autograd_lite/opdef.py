"""How an op is declared: `Op`, one row of the op table (`ops/`), and the dual math its
derivatives are written in.

A declaration holds everything about an op in one place: its name, its numpy forward, its
derivative (elementwise ops) or VJPs (all others), the kind of op it is, its argument
checks, and which front ends get it. Everything else is derived from it:

    Op.prim                   the engine's `Primitive` (elementwise VJPs built from derivatives)
    Tensor methods            `tensor.py`, one generated method per op with a `method` name
    Value methods             `value.py`, for elementwise ops with `value=True`
    module-level functions    `functions.py` (`autograd_lite.exp(x)`, `autograd_lite.sum(t)`)
    the CLI's whitelist       `Op.expr` (the expression language's functions)
    the table-driven tests    `tests/test_ops.py` and `tests/test_value.py` read `OPS`

An elementwise op gives its derivative once, as `derivative(x, out, **params)`: the engine
multiplies it by the adjoint for Tensors (`ḡ · f'(x)`) and stores it as the local derivative
for Values (a float). The formula is written in the dual math below, which computes on floats
(Values' local derivatives), numpy arrays (a plain backward) and Tensors (recorded, under
`create_graph=True`), so one formula serves all three and every order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .engine import Primitive, apply
from .graph import Node

__all__ = ["Op", "KINDS", "dual", "piecewise", "is_node", "pair_front", "ieee", "as_function",
           "named", "ARGUMENT_ERRORS"]

KINDS = ("unary", "binary", "reduction", "shape", "linalg", "selection", "loss", "composite",
         "internal")


# What checking an op's arguments may raise; the front ends re-raise it through `named`
ARGUMENT_ERRORS = (TypeError, ValueError, OverflowError)


def named(e: Exception, op: str) -> Exception:
    """`e` (a TypeError or ValueError from checking an op's arguments) as an error of the
    same type whose message starts with the op's name, for the front ends to raise. An
    OverflowError (a Python int too large for a float parameter) becomes a ValueError."""
    if isinstance(e, OverflowError):
        return ValueError(f"{op}: {e}")
    message = str(e)
    if message.startswith(op):  # named already ("vsplit: ...", "vsplit only works on ...")
        return e
    try:
        return type(e)(f"{op}: {message}")
    except Exception:  # noqa: BLE001 (an exception type with another signature)
        return TypeError(f"{op}: {message}") if isinstance(e, TypeError) else \
            ValueError(f"{op}: {message}")


def is_node(x: Any) -> bool:
    """True for graph nodes (a Tensor inside a recorded backward), false for arrays/floats."""
    return isinstance(x, Node)


def dual(name: str, np_fn: np.ufunc, math_fn: Callable[[float], float] | None = None
         ) -> Callable[[Any], Any]:
    """`name` as a function of a float (math, IEEE results instead of exceptions), an array
    (numpy) or a Tensor (its recorded method `name`), for writing derivatives once."""

    def fn(x: Any) -> Any:
        if type(x) is np.ndarray or isinstance(x, np.generic):
            return np_fn(x)
        if type(x) is float:
            if math_fn is not None:
                try:
                    return math_fn(x)
                except (ArithmeticError, ValueError):
                    pass
            with np.errstate(all="ignore"):
                return float(np_fn(x))
        return getattr(x, name)()

    fn.__name__ = name
    fn.__doc__ = f"{name}(x) on floats, arrays and Tensors (recorded)."
    return fn


_STEP: Primitive  # set below: the recorded form of `piecewise`


def piecewise(fn: Callable[[np.ndarray], Any], x: Any) -> Any:
    """`fn(x)` for masks and weights that are constant almost everywhere (where relu passes,
    which entries tie for the max). On floats and arrays it is just `fn` (in x's float
    type); on Tensors it is recorded as `step`, whose derivative is 0, so a gradient built
    from it stays connected to x and its own derivative is 0 there (as PyTorch), not missing."""
    if type(x) is float:
        return float(fn(x))
    if is_node(x):
        return apply(_STEP, x, fn=fn)
    return np.asarray(fn(x)).astype(x.dtype)


def _step_forward(x: np.ndarray, fn: Callable[[np.ndarray], Any]) -> np.ndarray:
    return np.asarray(fn(x)).astype(x.dtype)


def _zeros(x: np.ndarray) -> np.ndarray:
    return np.zeros_like(x)


def _step_vjp(g: Any, out: Any, x: Any, fn: Any) -> Any:
    """Piecewise constant: the derivative is 0 (zeros shaped like x, themselves a step of x
    on Tensors, so every higher order is 0 too rather than missing; never ḡ·0, which is nan
    where ḡ is infinite)."""
    return piecewise(_zeros, x)


_STEP = Primitive("step", _step_forward, _step_vjp)

Number = int | float


class Op:
    """One op of the table. Keyword arguments, by kind:

    unary     `forward(x, **params)`, `derivative(x, out, **params)` (dual math, or "out" or a
              constant: see `_unary_vjp`), optionally
              `scalar(x, **params)`: a fast float forward for Values (default: `forward` on a
              float64, IEEE results); `domain` for the tests ("real", "positive", "unit",
              "above1": where the op and its derivative are smooth).
    binary    `forward(x, y)` broadcasting, `partials=(∂out/∂x, ∂out/∂y)`, each a dual
              function `(x, y, out)`, a constant, or "x", "y", "out" (what it equals).
    others    `forward` and `vjps` (one per input) or `joint` (all at once), `broadcasts`,
              `floating`, `saves`: see `engine.Primitive`.
    composite `compose(...)`: written with other ops; no primitive, no VJP of its own.

    `front(lift, *args, **kwargs) -> (inputs, params)` checks the user's arguments and lifts
    the inputs with the front end's `lift` (e.g. `as_tensor`); the default takes the inputs
    of the kind (x, or x and y) and `params(x, *args, **kwargs) -> dict` for the rest.
    `numpy` names the numpy function(s) or ufunc(s) the op implements (their calls on a
    Tensor record this op: `np.exp(t)` is `t.exp()`); the op's function must then accept
    numpy's argument names. `method` (default: the name, None for none) is the Tensor
    method; `value` gives Values the method too; `function` (default: the name) is the
    module-level function; `expr` puts the op in the command line's expression language
    (default: unary ops Values have that take no parameters). `symbol` is the name a
    recorded node shows (default: name).
    """

    def __init__(self, name: str, kind: str, doc: str, *, forward: Callable[..., Any] | None = None,
                 derivative: Callable[..., Any] | None = None,
                 partials: tuple[Any, Any] | None = None,
                 vjps: tuple[Callable[..., Any], ...] = (),
                 joint: Callable[..., Any] | None = None,
                 compose: Callable[..., Any] | None = None,
                 scalar: Callable[..., float] | None = None,
                 front: Callable[..., tuple[tuple[Any, ...], dict[str, Any]]] | None = None,
                 params: Callable[..., dict[str, Any]] | None = None,
                 method: str | None | bool = True, value: bool = False,
                 function: str | None | bool = True, expr: bool | None = None,
                 symbol: str | None = None, domain: str = "real", numpy: Any = None,
                 broadcasts: bool | None = None, floating: bool | None = None,
                 saves: bool = False) -> None:
        if kind not in KINDS:
            raise ValueError(f"Op {name!r}: kind must be one of {KINDS}, got {kind!r}")
        self.name, self.kind, self.doc = name, kind, doc
        self.symbol = symbol or name
        self.forward, self.compose, self.params = forward, compose, params
        self.derivative, self.partials = derivative, partials
        self.method = name if method is True else (method or None)
        self.function = name if function is True else (function or None)
        self.value, self.domain = value, domain
        # the numpy functions/ufuncs this op implements: `np.sin(t)` on a Tensor dispatches
        # here (`tensor.py`, numpy's protocols), with numpy's own argument names
        self.numpy: tuple[Any, ...] = () if numpy is None else \
            tuple(numpy) if isinstance(numpy, (tuple, list)) else (numpy,)
        self.expr = (kind == "unary" and value and params is None) if expr is None else expr
        self.front = front or _default_front(kind, params)
        self.scalar = scalar or (_scalar_from(forward) if forward is not None else None)
        self.prim: Primitive | None = None
        if kind == "composite":
            return
        if kind == "unary":
            vjps = (_unary_vjp(derivative, params is not None),)
        elif kind == "binary":
            vjps = tuple(_binary_vjp(p) for p in partials)  # type: ignore[union-attr]
        self.prim = Primitive(self.symbol, forward, *vjps, joint=joint,  # type: ignore[arg-type]
                              broadcasts=kind == "binary" if broadcasts is None else broadcasts,
                              floating=floating, saves=saves)

    def __repr__(self) -> str:
        return f"Op({self.name!r}, {self.kind!r})"


def pair_front(lift: Callable[..., Any], x: Any, y: Any) -> Any:
    """Two inputs as nodes: a number takes the dtype of the node beside it."""
    if is_node(x):
        return (x, lift(y, x)), {}
    return (lift(x, y if is_node(y) else None), y if is_node(y) else lift(y)), {}


def _default_front(kind: str, params: Callable[..., dict[str, Any]] | None) -> Callable[..., Any]:
    if kind == "binary":
        return pair_front

    def front(lift: Callable[..., Any], x: Any, *args: Any, **kwargs: Any) -> Any:
        x = lift(x)
        return (x,), (params(x, *args, **kwargs) if params is not None else {})
    return front


# A derivative may be written as a function of the point, or (the commonest cases, where a
# function call would be half the cost of the whole VJP) as data: a constant, or the name of
# what it equals: "out" (eˣ), "x" or "y" (the other factor of a product).
_NAMED = ("x", "y", "out")


def _unary_vjp(derivative: Any, has_params: bool) -> Callable[..., Any]:
    """x̄ = ḡ · f'(x), with f'(x) as declared."""
    if derivative == "out":
        return lambda g, out, x: g * out
    if not callable(derivative):
        return lambda g, out, x: g * derivative
    if has_params:
        return lambda g, out, x, **params: g * derivative(x, out, **params)
    return lambda g, out, x: g * derivative(x, out)


def _binary_vjp(partial: Any) -> Callable[..., Any]:
    """ḡ · ∂out/∂input, with the partial as declared."""
    if partial == 1 and not callable(partial):
        return lambda g, out, x, y: g
    if partial == -1 and not callable(partial):
        return lambda g, out, x, y: -g
    if partial == "x":
        return lambda g, out, x, y: g * x
    if partial == "y":
        return lambda g, out, x, y: g * y
    if partial == "out":
        return lambda g, out, x, y: g * out
    return lambda g, out, x, y: g * partial(x, y, out)


def as_function(derivative: Any, arity: int) -> Callable[..., Any]:
    """A declared derivative as a function of (x, out) (arity 1) or (x, y, out) (arity 2),
    for Values, which evaluate it at floats."""
    if callable(derivative):
        return derivative
    if derivative in _NAMED:
        position = (("x", "out") if arity == 1 else _NAMED).index(derivative)
        return lambda *point: point[position]
    return lambda *point: derivative


def _scalar_from(forward: Callable[..., Any]) -> Callable[..., float]:
    """A float forward from a numpy one: IEEE results (inf, nan), no warnings."""

    def scalar(x: float, *rest: Any, **params: Any) -> float:
        with np.errstate(all="ignore"):
            return float(forward(np.float64(x), *rest, **params))
    return scalar


def ieee(math_fn: Callable[..., float], np_fn: Callable[..., Any]) -> Callable[..., float]:
    """`math_fn` (fast on floats), falling back to numpy's IEEE answer where `math` raises
    (exp(1000) = inf, log(0) = −inf, sqrt(−1) = nan) — a Value's scalar forward."""

    def fn(*args: float) -> float:
        try:
            return math_fn(*args)
        except (OverflowError, ValueError, ZeroDivisionError):
            with np.errstate(all="ignore"):
                return float(np_fn(*args))

    fn.__name__ = math_fn.__name__
    return fn

