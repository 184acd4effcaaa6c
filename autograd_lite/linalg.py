"""`autograd_lite.linalg`: numpy.linalg's functions on Tensors, with numpy's names and
arguments (`inv det slogdet solve cholesky eigh svd pinv qr norm`, and `matmul tensordot`).

Each is generated from its declaration in `ops/` (as the top-level functions are, in
`functions.py`); the decompositions return numpy's result types (`EighResult`, `SVDResult`,
`QRResult`, `SlogdetResult`) holding Tensors. `np.linalg.inv(t)` on a Tensor records the same
op. The gradient conventions (symmetric inputs, repeated eigenvalues and singular values,
singular matrices) are in each function's doc string.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from .functions import _function
from .ops import OPS
from .ops.linalg import EighResult, QRResult, SlogdetResult, SVDResult


def _linalg_function(name: str) -> Callable[..., Any]:
    """The function of op `name`, named after it (these ops have no top-level function)."""
    op = copy.copy(OPS[name])
    op.function = name  # `_function` names the function after `Op.function`
    fn = _function(op)
    fn.__module__ = __name__
    return fn


inv = _linalg_function("inv")
det = _linalg_function("det")
slogdet = _linalg_function("slogdet")
solve = _linalg_function("solve")
cholesky = _linalg_function("cholesky")
eigh = _linalg_function("eigh")
svd = _linalg_function("svd")
pinv = _linalg_function("pinv")
qr = _linalg_function("qr")
matmul = _linalg_function("matmul")
tensordot = _linalg_function("tensordot")

__all__ = ["inv", "det", "slogdet", "solve", "cholesky", "eigh", "svd", "pinv", "qr", "matmul",
           "tensordot", "EighResult", "SVDResult", "QRResult", "SlogdetResult"]

if "norm" in OPS:  # declared with the reductions
    norm = _linalg_function("norm")
    __all__.append("norm")
