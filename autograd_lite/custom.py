"""Your own ops: `primitive` + `defvjp` (HIPS autograd, JAX `custom_vjp`) and `Function`
(PyTorch's `torch.autograd.Function`).

    @primitive
    def cube(x):                       # a numpy forward: arrays in, an array out
        return x ** 3

    cube.defvjp(lambda g, out, x: g * 3 * x ** 2)    # x̄ = ḡ · 3x², one VJP per input

    y = cube(Tensor([1.0, 2.0], requires_grad=True))  # a Tensor, recorded as op "cube"

A VJP receives the output's adjoint `g`, the output `out`, the inputs and the op's keyword
parameters, and returns that input's adjoint, shaped like the input (the engine checks the
shape and casts the dtype; None means no gradient). Positional arguments are the op's
inputs (Tensors, arrays or numbers); keyword arguments are parameters, never
differentiated. Called on plain arrays, a primitive returns the forward's array, so a VJP
written with primitives (or with operators and the methods arrays and Tensors share) runs
on arrays in a plain backward and is recorded under `create_graph=True`: higher orders come
with no extra code. A primitive called with a Tensor that requires grad before `defvjp`
raises instead of giving a constant.

`@primitive(saves=True)` declares a forward that returns `(output, saved)`: `saved` (any
object, e.g. the normalised input a fused layer computed anyway) reaches the VJPs as the
parameter `saved=`, so a plain backward need not recompute it. Under `create_graph=True`
the VJPs run on Tensors and should recompute from them instead (a saved array is a
constant: the second derivative would miss its dependence on the inputs). Called on
arrays, such a primitive returns the output alone.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .engine import Primitive, apply
from .gradmode import is_grad_enabled
from .graph import Node
from .tensor import Tensor, as_tensor

__all__ = ["primitive", "defvjp", "Function"]


class CustomOp:
    """An op declared from a numpy forward; call it like the forward. See the module doc."""

    def __init__(self, forward: Callable[..., Any], name: str | None = None,
                 saves: bool = False) -> None:
        self.forward, self.saves = forward, saves
        self.name = name or getattr(forward, "__name__", "custom")
        # no VJP yet: calls on graphs are refused; `floating=False`: an integer output is a
        # constant (it has no gradient), checked per call as the op is the user's
        self.prim = Primitive(self.name, forward, floating=False, saves=saves)
        functools.update_wrapper(self, forward)

    def defvjp(self, *vjps: Callable[..., Any], joint: Callable[..., Any] | None = None
               ) -> CustomOp:
        """Give one VJP per input, `vjp(g, out, *inputs, **params) -> input's adjoint`, or a
        `joint` VJP returning every input's adjoint at once. Returns the op."""
        self.prim = Primitive(self.name, self.forward, *vjps, joint=joint, floating=False,
                              saves=self.saves)
        return self

    def __call__(self, *inputs: Any, **params: Any) -> Any:
        like = next((x for x in inputs if isinstance(x, Tensor)), None)
        if like is None:  # no Tensor: the plain forward (what a VJP on arrays calls)
            out = self.forward(*inputs, **params)
            return out[0] if self.saves else out
        vjps = self.prim.vjps
        if vjps and len(vjps) != len(inputs):
            raise TypeError(f"{self.name}: called with {len(inputs)} input(s) but defvjp gave "
                            f"{len(vjps)} VJP(s); give one per input (or a joint VJP)")
        if not vjps and self.prim.joint is None and is_grad_enabled() and any(
                isinstance(x, Tensor) and x.requires_grad for x in inputs):
            raise TypeError(f"{self.name}: called on a tensor that requires grad, but no VJP "
                            f"is defined; call {self.name}.defvjp(...) first")
        return apply(self.prim, *(as_tensor(x, like) for x in inputs), **params)

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


def primitive(forward: Callable[..., Any] | None = None, *, name: str | None = None,
              saves: bool = False) -> Any:
    """Declare an op from a numpy forward: `@primitive` or `@primitive(name="...")`;
    `saves=True`: the forward returns `(output, saved)` and the VJPs get `saved=`."""
    if forward is None:
        return lambda f: CustomOp(f, name, saves)
    return CustomOp(forward, name, saves)


def defvjp(op: CustomOp, *vjps: Callable[..., Any], joint: Callable[..., Any] | None = None
           ) -> CustomOp:
    """`op.defvjp(*vjps)` as a function (HIPS autograd's spelling)."""
    if not isinstance(op, CustomOp):
        raise TypeError(f"defvjp: expected an op made by @primitive, got {type(op).__name__}")
    return op.defvjp(*vjps, joint=joint)


# --- PyTorch style ------------------------------------------------------------------------------

class Context:
    """What `Function.forward` keeps for `backward`: `save_for_backward(*arrays)`,
    `saved_tensors`, `needs_input_grad`, and any attribute you set."""

    def __init__(self, needs_input_grad: tuple[bool, ...]) -> None:
        self.needs_input_grad = needs_input_grad
        self._saved: tuple[Any, ...] = ()
        self._recorded: dict[int, Any] | None = None

    def save_for_backward(self, *arrays: Any) -> None:
        self._saved = arrays

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """The saved arrays; under `create_graph=True`, an input or output array comes back
        as its Tensor, so a backward written in Tensor-compatible ops is differentiable."""
        if self._recorded is None:
            return self._saved
        return tuple(self._recorded.get(id(a), a) for a in self._saved)


class Function:
    """PyTorch's `autograd.Function`: subclass it with two static methods and call `apply`.

        class Exp(Function):
            @staticmethod
            def forward(ctx, x):                # numpy arrays in, an array out
                out = np.exp(x)
                ctx.save_for_backward(out)
                return out

            @staticmethod
            def backward(ctx, grad):            # one adjoint per positional argument
                (out,) = ctx.saved_tensors
                return grad * out

        y = Exp.apply(x)                        # a Tensor, shown as op "Exp"

    Tensor and array arguments are the op's inputs; other positional arguments (numbers,
    strings) reach `forward` unchanged and get None from `backward`, as in PyTorch.
    """

    _prim: Primitive

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._prim = Primitive(cls.__name__, functools.partial(_run_forward, cls),
                              joint=functools.partial(_run_backward, cls))

    @staticmethod
    def forward(ctx: Context, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("Function subclasses define forward(ctx, *args)")

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        raise NotImplementedError("Function subclasses define backward(ctx, grad)")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Tensor:
        like = next((a for a in args if isinstance(a, Tensor)), None)
        where = tuple(isinstance(a, (Tensor, np.ndarray)) for a in args)
        inputs = [as_tensor(a, like) for a, is_input in zip(args, where, strict=True)
                  if is_input]
        if not inputs:
            raise TypeError(f"{cls.__name__}.apply: give at least one Tensor or array input")
        constants = tuple(None if is_input else a for a, is_input in zip(args, where,
                                                                         strict=True))
        # one flag per positional argument, as PyTorch (and as backward returns gradients)
        ctx = Context(tuple(isinstance(a, Tensor) and a.requires_grad for a in args))
        return apply(cls._prim, *inputs, ctx=ctx, layout=(where, constants), kwargs=kwargs)


def _arguments(inputs: Sequence[Any], layout: tuple[tuple[bool, ...], tuple[Any, ...]]
               ) -> list[Any]:
    """The positional arguments in the user's order: inputs where they were, constants else."""
    it = iter(inputs)
    return [next(it) if is_input else c for is_input, c in zip(*layout, strict=True)]


def _run_forward(cls: type[Function], *arrays: Any, ctx: Context,
                 layout: tuple[tuple[bool, ...], tuple[Any, ...]], kwargs: dict[str, Any]
                 ) -> Any:
    out = cls.forward(ctx, *_arguments(arrays, layout), **kwargs)
    if not isinstance(out, np.ndarray):  # numpy returns scalars from 0-d math: the engine
        array = np.asarray(out)          # keeps this array, so a saved `out` must be it too
        ctx._saved = tuple(array if a is out else a for a in ctx._saved)
        out = array
    return out


def _run_backward(cls: type[Function], g: Any, out: Any, *inputs: Any, ctx: Context,
                  layout: tuple[tuple[bool, ...], tuple[Any, ...]], kwargs: dict[str, Any]
                  ) -> list[Any]:
    if isinstance(g, Node):  # create_graph: saved arrays of inputs/output come back as Tensors
        ctx._recorded = {id(t._data): t for t in (*inputs, out)}
    try:
        grads = cls.backward(ctx, g)
    finally:
        ctx._recorded = None
    grads = list(grads) if isinstance(grads, (tuple, list)) else [grads]
    if len(grads) != len(layout[0]):
        raise ValueError(f"backward of {cls.__name__}: backward returned {len(grads)} "
                         f"gradient(s) for {len(layout[0])} positional argument(s) of forward; "
                         "return one per argument (None for those without a gradient)")
    return [gi for gi, is_input in zip(grads, layout[0], strict=True) if is_input]
