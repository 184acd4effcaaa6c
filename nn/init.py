"""Weight initialisers, in place on a Parameter or Tensor, with PyTorch's names and formulas.

Each writes new values into the tensor's array (its dtype is kept) and returns the tensor.
The random ones draw from `rng` if given, else from the shared generator that
`autograd_lite.manual_seed` seeds. For a weight of shape (out, in, *kernel):

    receptive field r = prod(kernel)      (1 for a Linear weight)
    fan_in  = in · r                      fan_out = out · r

    xavier (Glorot):  std = gain · √(2 / (fan_in + fan_out))
    kaiming (He):     std = gain / √fan          (fan = fan_in or fan_out, by `mode`)
    uniform variants: U(−bound, bound) with bound = √3 · std  (same variance)
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

from autograd_lite import Tensor
from autograd_lite.rng import resolve_rng

from .checks import check_real, check_rng, names_errors

__all__ = [
    "calculate_gain",
    "calculate_fan_in_and_fan_out",
    "uniform_",
    "normal_",
    "zeros_",
    "ones_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
]

_UNIT_GAIN = ("linear", "identity", "sigmoid", "conv1d", "conv2d", "conv3d",
              "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


@names_errors("calculate_gain")
def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor that keeps activations' variance steady through `nonlinearity`:

    linear, identity, conv*, sigmoid → 1;  tanh → 5/3;  relu → √2;  selu → 3/4;
    leaky_relu → √(2 / (1 + slope²)) with slope = `param` (default 0.01).
    """
    if not isinstance(nonlinearity, str):
        raise TypeError(f"calculate_gain: nonlinearity must be a name such as 'relu', got "
                        f"{type(nonlinearity).__name__}")
    if nonlinearity in _UNIT_GAIN:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, numbers.Real) and not isinstance(param, bool):
            slope = float(param)
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope * slope))  # a huge slope gives 0, not OverflowError
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; expected one "
                     f"of {', '.join(_UNIT_GAIN)}, tanh, relu, leaky_relu, selu")


@names_errors("calculate_fan_in_and_fan_out")
def calculate_fan_in_and_fan_out(tensor: Tensor | np.ndarray) -> tuple[int, int]:
    """(fan_in, fan_out) = (size(1) · r, size(0) · r), r = product of the sizes after the
    first two (PyTorch's definition; a Linear weight (out, in) gives (in, out))."""
    shape = np.shape(tensor.data if isinstance(tensor, Tensor) else tensor)
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out cannot be computed for a tensor with fewer than "
                         f"2 dimensions (got shape {shape}); fans need a weight shaped "
                         "(out, in, *kernel)")
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def _array(tensor: Any, op: str, floating: bool = True) -> np.ndarray:
    """The array to write into: a Tensor's `.data` (or an ndarray itself)."""
    array = tensor.data if isinstance(tensor, Tensor) else tensor
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{op}: expected a Tensor, Parameter or numpy array, got "
                        f"{type(tensor).__name__}")
    if floating and array.dtype.kind != "f":
        raise TypeError(f"{op}: random values need a floating-point tensor, got dtype "
                        f"{array.dtype}")
    return array


def _fill(tensor: Any, op: str, sample: Any) -> Any:
    """Write `sample(shape, rng)` into the tensor's array (dtype kept); return the tensor.
    Zero-element tensors are left alone, with a warning (as PyTorch)."""
    array = _array(tensor, op)
    if array.size == 0:
        warnings.warn(f"{op}: initializing a zero-element tensor is a no-op", stacklevel=3)
        return tensor
    array[...] = sample(array.shape)
    return tensor


def _fan(tensor: Any, mode: str) -> int:
    if not isinstance(mode, str) or mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}"[:200])
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


@names_errors("uniform_")
def uniform_(tensor: Any, a: float = 0.0, b: float = 1.0,
             rng: np.random.Generator | None = None) -> Any:
    """Fill with draws from U(a, b)."""
    a, b = check_real("uniform_", "a", a), check_real("uniform_", "b", b)
    gen = resolve_rng(check_rng("uniform_", rng))
    return _fill(tensor, "uniform_", lambda shape: gen.uniform(a, b, size=shape))


@names_errors("normal_")
def normal_(tensor: Any, mean: float = 0.0, std: float = 1.0,
            rng: np.random.Generator | None = None) -> Any:
    """Fill with draws from N(mean, std²)."""
    mean = check_real("normal_", "mean", mean)
    std = check_real("normal_", "std", std, low=0)
    gen = resolve_rng(check_rng("normal_", rng))
    return _fill(tensor, "normal_", lambda shape: gen.normal(mean, std, size=shape))


@names_errors("zeros_")
def zeros_(tensor: Any) -> Any:
    """Fill with 0."""
    _array(tensor, "zeros_", floating=False)[...] = 0
    return tensor


@names_errors("ones_")
def ones_(tensor: Any) -> Any:
    """Fill with 1."""
    _array(tensor, "ones_", floating=False)[...] = 1
    return tensor


@names_errors("xavier_uniform_")
def xavier_uniform_(tensor: Any, gain: float = 1.0,
                    rng: np.random.Generator | None = None) -> Any:
    """Glorot uniform: U(−b, b) with b = gain · √(6 / (fan_in + fan_out))."""
    gain = check_real("xavier_uniform_", "gain", gain)
    fan_in, fan_out = calculate_fan_in_and_fan_out(_array(tensor, "xavier_uniform_"))
    bound = math.sqrt(3.0) * gain * math.sqrt(2.0 / max(fan_in + fan_out, 1))
    return uniform_(tensor, -bound, bound, rng=rng)


@names_errors("xavier_normal_")
def xavier_normal_(tensor: Any, gain: float = 1.0,
                   rng: np.random.Generator | None = None) -> Any:
    """Glorot normal: N(0, std²) with std = gain · √(2 / (fan_in + fan_out))."""
    gain = check_real("xavier_normal_", "gain", gain)
    fan_in, fan_out = calculate_fan_in_and_fan_out(_array(tensor, "xavier_normal_"))
    std = gain * math.sqrt(2.0 / max(fan_in + fan_out, 1))
    return normal_(tensor, 0.0, std, rng=rng)


@names_errors("kaiming_uniform_")
def kaiming_uniform_(tensor: Any, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     rng: np.random.Generator | None = None) -> Any:
    """He uniform: U(−b, b) with b = √3 · gain / √fan, gain = calculate_gain(nonlinearity, a).

    `a` is the negative slope of the leaky ReLU that follows (used only for "leaky_relu");
    with a = √5 and fan_in this is PyTorch's Linear default, b = 1/√fan_in.
    """
    a = check_real("kaiming_uniform_", "a", a)
    fan = _fan(_array(tensor, "kaiming_uniform_"), mode)
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(max(fan, 1))
    return uniform_(tensor, -bound, bound, rng=rng)


@names_errors("kaiming_normal_")
def kaiming_normal_(tensor: Any, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    rng: np.random.Generator | None = None) -> Any:
    """He normal: N(0, std²) with std = gain / √fan, gain = calculate_gain(nonlinearity, a)."""
    a = check_real("kaiming_normal_", "a", a)
    fan = _fan(_array(tensor, "kaiming_normal_"), mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(max(fan, 1))
    return normal_(tensor, 0.0, std, rng=rng)
