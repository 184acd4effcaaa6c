"""nn: neural-network building blocks on autograd_lite.

Backpropagation through every layer falls out of the engine's chain rule: layers are
compositions of Tensor ops (a dedicated primitive only where speed or stability needs one).
"""

from .module import Module, Parameter, Sequential

__all__ = ["Module", "Parameter", "Sequential"]
