"""autograd_lite: reverse-mode automatic differentiation you can read, check and draw.

Modules, in dependency order: `graph` (nodes, grad mode, topological order, backward),
`value` (the scalar `Value`), `tensor` (the numpy-backed `Tensor` and the engine's share of
every op) and `ops` (the table of tensor primitives), `functional` (grad, jacobian, ...),
`gradcheck` (central differences), `render` and `draw` (Graphviz diagrams), `rng` (the
seeded generator), `heap` (the one allocator setting made at import: see its docstring).
"""

from .draw import Diagram, draw_graph
from .functional import grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp
from .gradcheck import GradcheckError, central_difference, gradcheck
from .graph import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .heap import warm_malloc
from .ops import (
    concat,
    cross_entropy,
    log_softmax,
    logsumexp,
    maximum,
    minimum,
    softmax,
    stack,
    where,
)
from .render import GraphvizNotFoundError
from .rng import manual_seed
from .tensor import Tensor
from .value import Value

__all__ = [
    "Value",
    "Tensor",
    "concat",
    "stack",
    "where",
    "maximum",
    "minimum",
    "logsumexp",
    "softmax",
    "log_softmax",
    "cross_entropy",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "grad",
    "value_and_grad",
    "jacobian",
    "hessian",
    "vjp",
    "jvp",
    "hvp",
    "gradcheck",
    "GradcheckError",
    "central_difference",
    "draw_graph",
    "Diagram",
    "GraphvizNotFoundError",
    "manual_seed",
]
__version__ = "0.1.0"

warm_malloc()
