"""Elementwise functions of one input: each declares its derivative f'(x), as a function of x
and out = f(x), in the dual math of `opdef.py` (floats for Values, arrays, Tensors)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..opdef import Op, dual, ieee, piecewise

cos_of = dual("cos", np.cos, math.cos)


sin_of = dual("sin", np.sin, math.sin)


def _sigmoid_forward(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1/(1 + e^-x) from e^-|x| ≤ 1, so no exp ever overflows."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _sigmoid_scalar(x: float) -> float:
    """σ(x) for a float, without overflow for either sign of x."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)  # x < 0 (or nan): e <= 1, no overflow
    return e / (1.0 + e)


def _positive(x: Any) -> Any:
    return x > 0


def _leaky_relu_forward(x: np.ndarray, negative_slope: float) -> np.ndarray:
    return np.where(x > 0, x, x * negative_slope)


def _leaky_relu_derivative(x: Any, out: Any, negative_slope: float) -> Any:
    return piecewise(lambda xr: np.where(xr > 0, 1.0, negative_slope), x)


def _leaky_relu_params(x: Any, negative_slope: float = 0.01) -> dict[str, Any]:
    return {"negative_slope": float(negative_slope)}


def _clip_params(x: Any, lo: float | None = None, hi: float | None = None) -> dict[str, Any]:
    if lo is None and hi is None:
        raise ValueError("clip: give lo, hi or both")
    return {"lo": lo, "hi": hi}


def _clip_derivative(x: Any, out: Any, lo: float | None, hi: float | None) -> Any:
    def inside(xr: Any) -> Any:  # the bounds included: the gradient passes there
        mask = np.ones(np.shape(xr), dtype=bool)
        if lo is not None:
            mask &= xr >= lo
        if hi is not None:
            mask &= xr <= hi
        return mask

    return piecewise(inside, x)


EXP = Op("exp", "unary", "eˣ; derivative eˣ (the output itself).",
         forward=np.exp, derivative="out", scalar=ieee(math.exp, np.exp),
         value=True, numpy=np.exp)


LOG = Op("log", "unary", "ln x; derivative 1/x.",
         forward=np.log, derivative=lambda x, out: 1 / x, scalar=ieee(math.log, np.log),
         value=True, domain="positive", numpy=np.log)


LOG1P = Op("log1p", "unary", "ln(1 + x), exact for tiny x; derivative 1/(1 + x).",
           forward=np.log1p, derivative=lambda x, out: 1 / (1 + x),
           scalar=ieee(math.log1p, np.log1p), value=True, domain="positive", numpy=np.log1p)


TANH = Op("tanh", "unary", "tanh x; derivative 1 − tanh²x.",
          forward=np.tanh, derivative=lambda x, out: 1 - out * out, scalar=math.tanh,
          value=True, numpy=np.tanh)


SIGMOID = Op("sigmoid", "unary", "σ(x) = 1/(1 + e⁻ˣ), without overflow; derivative σ(1 − σ).",
             forward=_sigmoid_forward, derivative=lambda x, out: out * (1 - out),
             scalar=_sigmoid_scalar, value=True)


RELU = Op("relu", "unary", "max(x, 0); derivative 1 for x > 0, else 0 (relu'(0) = 0).",
          forward=lambda x: np.maximum(x, 0), derivative=lambda x, out: piecewise(_positive, x),
          scalar=lambda x: 0.0 if x <= 0 else x, value=True)


LEAKY_RELU = Op("leaky_relu", "unary",
                "x for x > 0, else negative_slope·x; derivative 1 or negative_slope (at 0).",
                forward=_leaky_relu_forward, derivative=_leaky_relu_derivative,
                params=_leaky_relu_params, value=True)


SIN = Op("sin", "unary", "sin x; derivative cos x.",
         forward=np.sin, derivative=lambda x, out: cos_of(x), scalar=ieee(math.sin, np.sin),
         value=True, numpy=np.sin)


COS = Op("cos", "unary", "cos x; derivative −sin x.",
         forward=np.cos, derivative=lambda x, out: -sin_of(x), scalar=ieee(math.cos, np.cos),
         value=True, numpy=np.cos)


SQRT = Op("sqrt", "unary", "√x; derivative 1/(2√x).",
          forward=np.sqrt, derivative=lambda x, out: 0.5 / out, scalar=ieee(math.sqrt, np.sqrt),
          value=True, domain="positive", numpy=np.sqrt)


ABS = Op("abs", "unary", "|x|; derivative sign x (abs'(0) = 0).",
         forward=np.abs, derivative=lambda x, out: piecewise(np.sign, x), scalar=abs,
         value=True, numpy=np.abs)


CLIP = Op("clip", "unary",
          "x limited to [lo, hi] (either may be None); the gradient passes inside and at the "
          "bounds (as PyTorch), 0 outside.",
          forward=lambda x, lo, hi: np.clip(x, lo, hi), derivative=_clip_derivative,
          params=_clip_params, value=True, numpy=np.clip)
