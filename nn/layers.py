"""Tensor layers with PyTorch's signatures and weight layouts: `Linear`, `Embedding`, the
activations (`GELU` among them), `Dropout`, `BatchNorm1d` and `Flatten`.

Every forward is a composition of Tensor ops, so the engine's chain rule gives the backward
pass, except two fused ops whose forward and VJPs sit side by side below: `linear` (x Wᵀ + b,
one node per Linear call instead of four) and `embedding` (a lookup whose VJP is a
scatter-add). Inputs may be Tensors or numpy arrays.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd_lite import Tensor, primitive
from autograd_lite.rng import resolve_rng

from . import init
from .checks import check_count, check_real
from .module import Module, Parameter

__all__ = [
    "Linear",
    "Embedding",
    "ReLU",
    "GELU",
    "Tanh",
    "Sigmoid",
    "LeakyReLU",
    "Softmax",
    "Dropout",
    "BatchNorm1d",
    "Flatten",
]


def _tensor(x: Any) -> Tensor:
    """`x` as a Tensor (arrays keep their dtype; lists and numbers become float32)."""
    return x if isinstance(x, Tensor) else Tensor(x)


def _positive_int(value: Any, name: str, layer: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{layer}: {name} must be a non-negative int, got {value!r}")
    return int(value)


# --- Linear: the fused op, forward and VJPs side by side ---------------------------------------

def _rows_of(a: Any, width: int) -> Any:
    """(…, width) as one (M, width) matrix (arrays and Tensors alike): one GEMM each way,
    where numpy's stacked matmul would loop over the leading axes, one small GEMM each."""
    return a if a.ndim == 2 else a.reshape(-1, width)


def _linear_forward(x: np.ndarray, w: np.ndarray, *bias: np.ndarray) -> np.ndarray:
    """y = x Wᵀ + b: x (…, in), W (out, in), b (out,) or () → y (…, out)."""
    out_features, in_features = w.shape
    y = _rows_of(x, in_features) @ w.T
    if bias:
        b = bias[0]
        if np.result_type(y, b) == y.dtype:
            y += b  # y is fresh: no second (M, out) array
        else:
            y = y + b
    return y.reshape(*x.shape[:-1], out_features)


def _linear_vjp_x(g: Any, out: Any, x: Any, w: Any, *bias: Any) -> Any:
    """x̄ = ḡ W, shaped like x."""
    return (_rows_of(g, w.shape[0]) @ w).reshape(x.shape)


def _linear_vjp_w(g: Any, out: Any, x: Any, w: Any, *bias: Any) -> Any:
    """W̄ = ḡᵀ x over all rows: (out, M) @ (M, in), computed in W's own layout (no
    transposed view to copy into a contiguous `.grad`)."""
    return _rows_of(g, w.shape[0]).T @ _rows_of(x, w.shape[1])


def _linear_vjp_b(g: Any, out: Any, x: Any, w: Any, b: Any) -> Any:
    """b̄ = Σ_rows ḡ; on arrays of 4096+ entries a GEMV 1ᵀ ḡ (2–4x faster than np.add.reduce
    over axis 0 of (512, 64) to (1024, 256) float32, and the same sum)."""
    rows = _rows_of(g, w.shape[0])
    if type(rows) is np.ndarray and rows.size >= 4096:  # smaller: the GEMV's calls cost more
        total = np.ones(rows.shape[0], dtype=rows.dtype) @ rows
    else:
        total = rows.sum(axis=0)
    return total if b.ndim else total.sum()


# One op instead of four (reshape, transpose, matmul, add) and their VJPs: every Linear layer
# of a step records one node, and W̄ arrives contiguous. On the Fashion-MNIST MLP at batch 32
# the whole training step went from ~0.56 to ~0.45 ms.
# (Two declarations of the one op, with and without b: a VJP per input, so the engine skips
# x̄'s GEMM where x needs no gradient, as for a network's input.)
LINEAR = primitive(_linear_forward, name="linear").defvjp(
    _linear_vjp_x, _linear_vjp_w, _linear_vjp_b)
LINEAR_NO_BIAS = primitive(_linear_forward, name="linear").defvjp(_linear_vjp_x, _linear_vjp_w)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x Wᵀ + b as one recorded op ("linear"): x (…, in), W (out, in), b (out,) or ()."""
    return LINEAR_NO_BIAS(x, weight) if bias is None else LINEAR(x, weight, bias)


class Linear(Module):
    """Affine map y = x Wᵀ + b.

    Shapes: x (…, in_features) → y (…, out_features); W is (out_features, in_features),
    b is (out_features,). Both start as U(−k, k) with k = 1/√in_features (PyTorch's default:
    `kaiming_uniform_(W, a=√5)` for W, the same bound for b).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 rng: np.random.Generator | None = None) -> None:
        super().__init__()
        self.in_features = _positive_int(in_features, "in_features", "Linear")
        self.out_features = _positive_int(out_features, "out_features", "Linear")
        gen = resolve_rng(rng)
        self.weight = Parameter(np.zeros((self.out_features, self.in_features)))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), rng=gen)
        if bias:
            self.bias = Parameter(np.zeros(self.out_features))
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound, rng=gen)
        else:
            self.bias = None

    def forward(self, x: Any) -> Tensor:
        x = _tensor(x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(f"Linear: input of shape {x.shape} does not fit weight of shape "
                             f"{self.weight.shape}: the input's last dimension must be "
                             f"in_features={self.in_features}")
        return linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


# --- Embedding --------------------------------------------------------------------------------

def _lookup_forward(weight: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Rows of the table: (V, D) at integer indices (*) → (*, D)."""
    return weight[idx]


def _scatter_rows_forward(g: np.ndarray, idx: np.ndarray, rows: int) -> np.ndarray:
    """zeros((rows, D)) with g[p] added to row idx[p] for every position p (repeats add up).

    Sorted and summed per run of equal indices (`np.add.reduceat`): ~10x faster than
    `np.add.at` on a (32, 16) batch of indices, and the same sums in a fixed order."""
    flat = idx.reshape(-1)
    dim = g.shape[-1]
    out = np.zeros((rows, dim), dtype=g.dtype)
    if not len(flat):
        return out
    grad = g.reshape(len(flat), dim)
    order = np.argsort(flat, kind="stable")
    ordered = flat[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    out[ordered[starts]] = np.add.reduceat(grad[order], starts, axis=0)
    return out


# The lookup and its adjoint, each the other's VJP (as im2col and col2im in conv.py), so a
# backward under create_graph is recorded with no extra code.
LOOKUP = primitive(_lookup_forward, name="embedding")
SCATTER_ROWS = primitive(_scatter_rows_forward, name="scatter_rows")
LOOKUP.defvjp(lambda g, out, weight, idx: SCATTER_ROWS(g, idx=idx, rows=weight.shape[0]))
SCATTER_ROWS.defvjp(lambda g, out, grad, idx, rows: LOOKUP(g, idx=idx))


def embedding(indices: Any, weight: Tensor, who: str = "embedding") -> Tensor:
    """Rows `weight[indices]`: integer indices (*) and a table (V, D) → (*, D), recorded as
    the op `embedding` (W̄ gets ḡ added at each index, repeats adding up). Indices must be
    integers in [0, V): negative ones are refused, as PyTorch does."""
    idx = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{who}: indices must be integers (a token id per position), "
                        f"got dtype {idx.dtype} with shape {idx.shape}; convert with "
                        ".astype(np.int64)")
    rows = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= rows):
        raise ValueError(f"{who}: indices must lie in [0, {rows}) for a table of shape "
                         f"{weight.shape}, got values from {idx.min()} to {idx.max()} "
                         f"(indices shape {idx.shape})")
    return LOOKUP(weight, idx=idx.astype(np.intp, copy=True))  # a copy: the VJP reads it


class Embedding(Module):
    """A lookup table: row k of `weight` is the vector of token k.

    Shapes: integer indices (*) → (*, embedding_dim); `weight` is (num_embeddings,
    embedding_dim), drawn from N(0, 1) (PyTorch's default). y[..., :] = W[idx[...], :], so

        W̄[k] = Σ_{positions p with idx[p] = k} ḡ[p]

    (a row used twice gets two gradients, added; a row not used gets zeros): the op
    `embedding`, the indexing `W[idx]` with a faster scatter-add as its VJP (`scatter_rows`;
    the engine's `getitem` gives the same gradient through `np.add.at`, several times
    slower). Indices must be integers in [0, num_embeddings); negative indices are refused
    (PyTorch refuses them too, rather than counting from the end as numpy would).
    """

    def __init__(self, num_embeddings: int, embedding_dim: int,
                 rng: np.random.Generator | None = None) -> None:
        super().__init__()
        self.num_embeddings = _positive_int(num_embeddings, "num_embeddings", "Embedding")
        self.embedding_dim = _positive_int(embedding_dim, "embedding_dim", "Embedding")
        self.weight = Parameter(resolve_rng(rng).standard_normal(
            (self.num_embeddings, self.embedding_dim)))

    def forward(self, indices: Any) -> Tensor:
        return embedding(indices, self.weight, "Embedding")

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"


# --- activations ------------------------------------------------------------------------------

class ReLU(Module):
    """relu(x) = max(x, 0), elementwise (relu'(0) = 0). Any shape in, same shape out."""

    def forward(self, x: Any) -> Tensor:
        return _tensor(x).relu()


class Tanh(Module):
    """tanh(x) = (eˣ − e⁻ˣ)/(eˣ + e⁻ˣ), elementwise. Any shape in, same shape out."""

    def forward(self, x: Any) -> Tensor:
        return _tensor(x).tanh()


class GELU(Module):
    """gelu(x) = x·Φ(x) = ½x(1 + erf(x/√2)), Φ the standard normal CDF; with
    `approximate='tanh'`, ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (PyTorch's two forms). The
    op table's `gelu` (one declaration, its derivative beside it). Any shape, kept."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Any) -> Tensor:
        return _tensor(x).gelu(self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Sigmoid(Module):
    """σ(x) = 1/(1 + e⁻ˣ), elementwise. Any shape in, same shape out."""

    def forward(self, x: Any) -> Tensor:
        return _tensor(x).sigmoid()


class LeakyReLU(Module):
    """leaky_relu(x) = x if x > 0 else negative_slope · x, elementwise. Any shape, kept."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = check_real("LeakyReLU", "negative_slope", negative_slope)

    def forward(self, x: Any) -> Tensor:
        return _tensor(x).leaky_relu(self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Softmax(Module):
    """softmax(x)_i = e^{x_i} / Σ_j e^{x_j} along `axis` (computed stably). Any shape, kept;
    the entries along `axis` are positive and sum to 1. `dim=` is accepted as an alias."""

    def __init__(self, axis: int = -1, *, dim: int | None = None) -> None:
        super().__init__()
        if dim is not None:
            if axis != -1 and axis != dim:
                raise TypeError(f"Softmax: got axis={axis} and dim={dim}; give only one")
            axis = dim
        self.axis = check_count("Softmax", "dim" if dim is not None else "axis", axis,
                                minimum=None)

    def forward(self, x: Any) -> Tensor:
        x = _tensor(x)
        if not -x.ndim <= self.axis < max(x.ndim, 1):
            raise ValueError(f"Softmax: axis {self.axis} is out of range for an input of shape "
                             f"{x.shape}")
        return x.softmax(axis=self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


# --- Dropout ----------------------------------------------------------------------------------

class Dropout(Module):
    """Inverted dropout. In training: y = x ⊙ m / (1 − p) with m_i ~ Bernoulli(1 − p), so each
    element is zeroed with probability p and E[y] = x; in eval: y = x. Any shape, kept.

    The mask is a constant of the graph, so ∂y/∂x = m / (1 − p). It is drawn from `rng` if
    given, else from the shared generator (`autograd_lite.manual_seed`) at each call.
    """

    def __init__(self, p: float = 0.5, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float, np.floating, np.integer)) \
                or not 0 <= p <= 1:
            raise ValueError(f"Dropout: p is the probability of zeroing an element and must lie "
                             f"in [0, 1], got {p!r}")
        resolve_rng(rng)  # type check now, not at the first forward
        self.p = float(p)
        self.rng = rng

    def forward(self, x: Any) -> Tensor:
        x = _tensor(x)
        if not self.training or self.p == 0:
            return x
        dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)
        if self.p == 1:
            return x * np.zeros(x.shape, dtype=dtype)
        keep = resolve_rng(self.rng).random(x.shape) >= self.p
        return x * (keep.astype(dtype) / dtype.type(1 - self.p))

    def extra_repr(self) -> str:
        return f"p={self.p}"


# --- BatchNorm1d ------------------------------------------------------------------------------

class _BatchNorm(Module):
    """What BatchNorm1d and BatchNorm2d share: PyTorch's constructor, parameters and buffers
    (`weight`, `bias`, `running_mean`, `running_var`, `num_batches_tracked`), the running
    statistics' update and the repr. Subclasses say which input shapes they take."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True) -> None:
        super().__init__()
        self.num_features = check_count(type(self).__name__, "num_features", num_features, 1)
        self.eps = check_real(type(self).__name__, "eps", eps, low=0.0, low_open=True)
        self.momentum = None if momentum is None else check_real(type(self).__name__,
                                                                 "momentum", momentum, low=0.0,
                                                                 high=1.0)
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        if self.affine:
            self.weight = Parameter(np.ones(self.num_features))
            self.bias = Parameter(np.zeros(self.num_features))
        else:
            self.weight = self.bias = None
        if self.track_running_stats:
            self.register_buffer("running_mean", np.zeros(self.num_features, dtype=np.float32))
            self.register_buffer("running_var", np.ones(self.num_features, dtype=np.float32))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def _update_running_stats(self, mean: np.ndarray, var: np.ndarray, n: int) -> None:
        self.num_batches_tracked = self.num_batches_tracked + 1
        m = 1 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
        dtype = self.running_mean.dtype
        self.running_mean = ((1 - m) * self.running_mean + m * mean).astype(dtype)
        self.running_var = ((1 - m) * self.running_var + m * var * (n / (n - 1))).astype(dtype)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over the batch, per feature (channel).

    Input (N, C) (or (N, C, L), statistics then over N and L); output the same shape:

        y = (x − μ) / √(σ² + eps) · γ + β

    In training μ and σ² are the batch mean and the biased batch variance (Tensor ops, so the
    gradient flows through them), and the buffers are updated as in PyTorch:

        running_mean ← (1 − momentum) · running_mean + momentum · μ
        running_var  ← (1 − momentum) · running_var  + momentum · σ² · n / (n − 1)

    (the unbiased variance; n values per feature; momentum=None: a cumulative average). In
    eval the running statistics are used. γ (`weight`, ones) and β (`bias`, zeros) have shape
    (C,) and are learnt if `affine`. Without `track_running_stats` batch statistics are
    used in eval too.
    """

    def _check(self, x: Tensor) -> tuple[int, ...]:
        """The axes the statistics are taken over: (0,) for (N, C), (0, 2) for (N, C, L)."""
        if x.ndim not in (2, 3) or x.shape[1] != self.num_features:
            raise ValueError(f"BatchNorm1d: expected input of shape (N, {self.num_features}) or "
                             f"(N, {self.num_features}, L), got {x.shape}")
        return (0,) if x.ndim == 2 else (0, 2)

    def forward(self, x: Any) -> Tensor:
        x = _tensor(x)
        axes = self._check(x)
        channel = (1, self.num_features) + (1,) * (x.ndim - 2)  # broadcasts over N (and L)
        if self.training or self.running_mean is None:
            n = x.size // self.num_features
            if n <= 1:  # the batch variance would be 0 and every output β
                raise ValueError(f"Expected more than 1 value per channel when training, got "
                                 f"input size {x.shape}")
            mean = x.mean(axis=axes, keepdims=True)
            centred = x - mean
            var = (centred * centred).mean(axis=axes, keepdims=True)  # biased, as PyTorch
            y = centred / (var + self.eps).sqrt()
            if self.training and self.running_mean is not None:
                self._update_running_stats(mean.data.reshape(-1), var.data.reshape(-1), n)
        else:
            scale = 1 / np.sqrt(self.running_var + self.eps)
            y = (x - self.running_mean.reshape(channel)) * scale.reshape(channel)
        if self.weight is not None:
            y = y * self.weight.reshape(channel) + self.bias.reshape(channel)
        return y


# --- Flatten ----------------------------------------------------------------------------------

class Flatten(Module):
    """Merge dimensions start_dim … end_dim (inclusive, negative counts from the end) into
    one: (N, C, H, W) → (N, C·H·W) with the defaults. A view of the same values; the gradient
    is reshaped back."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = int(start_dim), int(end_dim)

    def forward(self, x: Any) -> Tensor:
        x = _tensor(x)
        ndim = max(x.ndim, 1)
        for d in (self.start_dim, self.end_dim):
            if not -ndim <= d < ndim:
                raise ValueError(f"Flatten: dimension {d} is out of range for an input of "
                                 f"shape {x.shape} (expected a dimension in [{-ndim}, "
                                 f"{ndim - 1}])")
        start, end = self.start_dim % ndim, self.end_dim % ndim
        if start > end:
            raise ValueError(f"Flatten: start_dim={self.start_dim} comes after "
                             f"end_dim={self.end_dim} for an input of shape {x.shape}")
        shape = x.shape if x.ndim else (1,)
        merged = math.prod(shape[start:end + 1])
        return x.reshape(shape[:start] + (merged,) + shape[end + 1:])

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
