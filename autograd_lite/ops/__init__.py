"""The op table: every op declared once, its forward next to its derivative or VJPs.

`OPS` maps each name to its `Op` (see `opdef.py` for what a declaration holds and what is
derived from it: the primitive, the Tensor and Value methods, the module-level function,
the command line's whitelist and the table-driven tests). Notation: ḡ = ∂L/∂out, x̄ = ∂L/∂x.
The declarations live in one file per family, in dependency order:

    selection    where getitem scatter setitem broadcast_to, the comparisons (bool outputs)
    arithmetic   add sub mul div power maximum minimum neg arctan2 hypot logaddexp(2) fmax
                 fmin float_power                                elementwise, broadcasting
    elementwise  exp log log1p tanh sigmoid relu leaky_relu sin cos sqrt abs clip, the trig,
                 hyperbolic and log/exp family, erf, activations (softplus gelu silu elu
                 selu), and the zero-gradient sign floor ceil round rint trunc
    reductions   sum mean max min prod cumsum cumprod std var average ptp nansum nanmean
                 trace diff logsumexp softmax log_softmax norm, cross_entropy (fused)
    shape        reshape transpose concat stack astype ravel flatten squeeze expand_dims
                 swapaxes moveaxis flip roll rot90 tile repeat pad split diag triu tril take
                 take_along_axis put_along_axis sort partition hstack vstack ...
    linalg       matmul dot vdot inner outer tensordot einsum kron, numpy.linalg's inv det
                 slogdet solve cholesky eigh svd pinv qr (as autograd_lite.linalg)
    aliases      PyTorch's names for the ops above (composites)

A VJP or derivative uses only operators (`+ - * / @`), the methods ndarray and Tensor share
(`sum`, `reshape`, `transpose`, `swapaxes`, `astype`, indexing) and the dual math of
`opdef.py`, so the one rule runs on arrays in a plain backward, on floats for Values, and
records itself under `create_graph=True`. Masks (where relu passes, which entry was the max)
are constants of the derivative (`piecewise`). Conventions: relu'(0) = 0, abs'(0) = 0, ties
in max/min/maximum/minimum split the gradient evenly, clip passes the gradient at its bounds.
A new op is one declaration in the file of its family; nothing else lists it.
"""

from ..opdef import Op
from . import aliases, arithmetic, elementwise, linalg, reductions, selection, shape
from .reductions import check_axis
from .selection import COMPARISONS, SCATTER, index_of

__all__ = ["OPS", "Op", "COMPARISONS", "SCATTER", "check_axis", "index_of"]

_FAMILIES = (arithmetic, elementwise, reductions, linalg, shape, selection, aliases)


def _table() -> dict[str, Op]:
    """Every declaration of the family files, in the order written; a name declared twice is
    an error (a later family would silently replace an op)."""
    table: dict[str, Op] = {}
    declared = [op for family in _FAMILIES for op in vars(family).values() if isinstance(op, Op)]
    for op in [*declared, *COMPARISONS.values()]:
        if table.get(op.name, op) is not op:
            raise ValueError(f"the op table declares {op.name!r} twice")
        table[op.name] = op
    return table


OPS: dict[str, Op] = _table()
