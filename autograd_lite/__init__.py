"""autograd_lite: reverse-mode automatic differentiation you can read, check and draw.

Modules, in dependency order (see the README's architecture section):

    graph       nodes and topological order          gradmode   no_grad and friends
    engine      recording ops, the backward sweep, fitting gradients to their inputs
    opdef, ops  how an op is declared, and the op table (every op declared once)
    value       the scalar `Value`                   tensor     the numpy-backed `Tensor`
    functions   module-level functions of the ops    custom     your own ops
    functional  grad, jacobian, ...                  gradcheck  central differences
    pytree      nested parameters (dicts, lists, tuples) for the transforms
    linalg      numpy.linalg's functions on Tensors      factories  zeros, ones, randn, ...
    render, draw  Graphviz diagrams (imported on first use: graphviz is not loaded before)
    sweep, steps, trace  the backward pass replayed step by step, drawn as frames, and as
                evaluation-trace tables (imported on first use, like the diagrams)
    rng, heap, atomic  the seeded generator, the one malloc setting, atomic file writes
    validate    one check per kind of argument (axes, shapes, dtypes, ...), at the boundary

The command line and the demo live in `autograd_lite.cli`, which the library never imports.
"""

from typing import Any

from . import functions as _functions
from . import linalg
from .custom import Function, defvjp, primitive
from .engine import AnomalyError, detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .factories import (
    arange,
    empty,
    eye,
    full,
    full_like,
    linspace,
    multinomial,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from .functional import (
    elementwise_grad,
    grad,
    hessian,
    hvp,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    value_and_grad,
    vjp,
)
from .gradcheck import GradcheckError, central_difference, check_grads, gradcheck
from .gradmode import enable_grad, is_grad_enabled, no_grad, retain_grads, set_grad_enabled
from .ops import OPS
from .pytree import flatten, tree_flatten, tree_leaves, tree_map, tree_unflatten
from .rng import manual_seed
from .tensor import Tensor
from .value import Value

# one module-level function per op of the table (`autograd_lite.exp`, `.concat`, `.sum`, ...)
globals().update({name: getattr(_functions, name) for name in _functions.__all__})

_LAZY = {"draw_graph": "draw", "Diagram": "draw", "GraphvizNotFoundError": "render",
         "draw_steps": "steps", "StepView": "steps", "trace_table": "trace",
         "TraceTable": "trace"}


def __getattr__(name: str) -> Any:
    """Diagram and trace names, imported on first use so `import autograd_lite` stays light
    (and does not load graphviz)."""
    if name in _LAZY:
        from importlib import import_module
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'autograd_lite' has no attribute {name!r}")


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
    "exp",
    "log",
    "tanh",
    "sigmoid",
    "relu",
    "leaky_relu",
    "sin",
    "cos",
    "sqrt",
    "clip",
    "primitive",
    "defvjp",
    "tensor",
    "zeros",
    "ones",
    "full",
    "empty",
    "eye",
    "arange",
    "linspace",
    "randn",
    "rand",
    "randint",
    "zeros_like",
    "ones_like",
    "full_like",
    "multinomial",
    "Function",
    "OPS",
    "linalg",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "retain_grads",
    "grad",
    "value_and_grad",
    "jacobian",
    "hessian",
    "vjp",
    "jvp",
    "hvp",
    "elementwise_grad",
    "jacfwd",
    "jacrev",
    "flatten",
    "tree_flatten",
    "tree_unflatten",
    "tree_map",
    "tree_leaves",
    "check_grads",
    "gradcheck",
    "GradcheckError",
    "central_difference",
    "draw_graph",
    "Diagram",
    "GraphvizNotFoundError",
    "draw_steps",
    "StepView",
    "trace_table",
    "TraceTable",
    "manual_seed",
    "detect_anomaly",
    "set_detect_anomaly",
    "is_anomaly_enabled",
    "AnomalyError",
]
__version__ = "0.1.0"
