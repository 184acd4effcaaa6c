"""Causal self-attention and the transformer block built on it, in nanoGPT's layout.

    CausalSelfAttention(n_embd, n_head, block_size, dropout=0.0, bias=True)
    Block(n_embd, n_head, block_size, dropout=0.0, bias=True)

The weight layout is nanoGPT's (Karpathy, `model.py`): one `c_attn = Linear(n_embd,
3·n_embd)` computes queries, keys and values together (its output's last axis is q, then k,
then v, each split into `n_head` heads of n_embd/n_head), and `c_proj = Linear(n_embd,
n_embd)` mixes the heads' outputs. A state dict of nanoGPT's `CausalSelfAttention` therefore
loads here name for name (`c_attn.weight`, `c_attn.bias`, `c_proj.weight`, `c_proj.bias`;
nanoGPT's non-flash `bias` mask buffer is not state here: the mask is rebuilt from
`block_size`). `torch.nn.MultiheadAttention` holds the same q/k/v weights as `in_proj_weight`
(3·n_embd, n_embd) and `out_proj`: copy `c_attn.weight` there to compare.

Everything is composed of Tensor ops (matmul, reshapes, dropout) and one fused op,
`causal_softmax` (scale, mask and softmax in one: primitive + VJP below), so the engine
gives the backward pass and `draw_graph` shows each step.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd_lite import Tensor, primitive
from autograd_lite.ops.reductions import last_max, last_sum

from .layers import GELU, Dropout, Linear, _positive_int
from .module import Module
from .norm import LayerNorm

__all__ = ["CausalSelfAttention", "Block", "FeedForward", "causal_softmax"]


# --- the fused op: forward and VJP side by side -----------------------------------------------

def _causal_mask(t: int, dtype: np.dtype) -> np.ndarray:
    """M (T, T): 0 on and below the diagonal, −∞ above it."""
    return np.triu(np.full((t, t), -np.inf, dtype=dtype), 1)


def _causal_softmax_forward(scores: np.ndarray, scale: float) -> np.ndarray:
    """a = softmax(scale·s + M) over the last axis, M = −∞ above the diagonal of the last two
    axes (T, T): position t attends to positions ≤ t only."""
    z = scores * scores.dtype.type(scale)  # a fresh array, changed in place below
    z += _causal_mask(z.shape[-1], z.dtype)  # broadcast over (B, heads): one pass, no index
    z -= last_max(z)  # the diagonal is never masked: every row is finite
    np.exp(z, out=z)
    z /= last_sum(z)
    return z


def _causal_softmax_vjp(g: Any, out: Any, scores: Any, scale: float) -> Any:
    """s̄ = scale · a ⊙ (ḡ − Σ ḡ⊙a): softmax's VJP, times the scale; masked entries have
    a = 0 and so get 0. Operators only: recorded under `create_graph=True`."""
    return (g - (g * out).sum(axis=-1, keepdims=True)) * out * scale


# One op instead of three (scale, masked_fill, softmax) and their VJPs, which a transformer
# step runs once per layer on (B, heads, T, T) scores.
CAUSAL_SOFTMAX = primitive(_causal_softmax_forward, name="causal_softmax").defvjp(
    _causal_softmax_vjp)


def causal_softmax(scores: Tensor, scale: float = 1.0) -> Tensor:
    """softmax(scale · scores) along the last axis with the future masked: scores (…, T, T),
    entry [t, s] kept for s ≤ t only (the rest of each row gets weight 0)."""
    if scores.ndim < 2 or scores.shape[-1] != scores.shape[-2]:
        raise ValueError(f"causal_softmax: expected scores (..., T, T), got shape "
                         f"{scores.shape}")
    return CAUSAL_SOFTMAX(scores, scale=float(scale))


class CausalSelfAttention(Module):
    """Multi-head self-attention where position t attends only to positions ≤ t.

    Input x (B, T, C) with C = n_embd and T ≤ block_size; output (B, T, C). Per head h
    (head size d = C / n_head), with q, k, v the head's slices of `c_attn(x)`:

        A_h = softmax(q kᵀ / √d + M),   M[t, s] = 0 if s ≤ t else −∞      (B, T, T)
        y_h = dropout(A_h) v                                             (B, T, d)
        y   = dropout(c_proj(concat_h y_h))                              (B, T, C)

    `dropout` is applied to the attention weights and to the output (nanoGPT's
    `attn_dropout` and `resid_dropout`). After each forward, `last_attention` holds the
    attention weights as a numpy array (B, n_head, T, T), for drawing attention maps.
    """

    def __init__(self, n_embd: int, n_head: int, block_size: int, dropout: float = 0.0,
                 bias: bool = True) -> None:
        super().__init__()
        who = "CausalSelfAttention"
        self.n_embd = _positive_int(n_embd, "n_embd", who)
        self.n_head = _positive_int(n_head, "n_head", who)
        self.block_size = _positive_int(block_size, "block_size", who)
        if self.block_size == 0:
            raise ValueError(f"{who}: block_size must be at least 1, got {block_size}")
        if self.n_head == 0 or self.n_embd % self.n_head:
            raise ValueError(f"{who}: n_embd={n_embd} must be a multiple of n_head={n_head} "
                             "(each head gets n_embd / n_head features)")
        self.c_attn = Linear(self.n_embd, 3 * self.n_embd, bias=bias)
        self.c_proj = Linear(self.n_embd, self.n_embd, bias=bias)
        self.attn_dropout = Dropout(dropout)
        self.resid_dropout = Dropout(dropout)
        self.last_attention: np.ndarray | None = None

    def forward(self, x: Any) -> Tensor:
        x = x if isinstance(x, Tensor) else Tensor(x)
        if x.ndim != 3 or x.shape[2] != self.n_embd or x.shape[1] > self.block_size:
            raise ValueError(f"CausalSelfAttention: expected input (B, T, {self.n_embd}) with "
                             f"T <= block_size={self.block_size}, got shape {x.shape}")
        b, t, c = x.shape
        nh, d = self.n_head, c // self.n_head
        # (B, T, 3C) → (3, B, nh, T, d): q, k, v, each split into heads
        qkv = self.c_attn(x).reshape(b, t, 3, nh, d).transpose(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        weights = causal_softmax(q @ k.transpose(0, 1, 3, 2), 1.0 / math.sqrt(d))  # (B,nh,T,T)
        self.last_attention = weights.data.copy()
        y = self.attn_dropout(weights) @ v  # (B, nh, T, d)
        y = y.transpose(0, 2, 1, 3).reshape(b, t, c)  # heads side by side again
        return self.resid_dropout(self.c_proj(y))

    def extra_repr(self) -> str:
        return f"n_embd={self.n_embd}, n_head={self.n_head}, block_size={self.block_size}"


class Block(Module):
    """A pre-norm transformer block (GPT-2, nanoGPT):

        x ← x + attn(ln_1(x)),   x ← x + mlp(ln_2(x)),   mlp = c_proj(gelu(c_fc(·)))

    with `c_fc = Linear(C, 4C)`, `c_proj = Linear(4C, C)` and dropout after the MLP; shapes
    (B, T, C) → (B, T, C). Parameter names follow nanoGPT (`ln_1`, `attn`, `ln_2`,
    `mlp.c_fc`, `mlp.c_proj`). `gelu` is the GELU's `approximate`: 'none' (nanoGPT's exact
    GELU) or 'tanh' (GPT-2's; faster here, as the exact one's erf runs element by element).
    """

    def __init__(self, n_embd: int, n_head: int, block_size: int, dropout: float = 0.0,
                 bias: bool = True, gelu: str = "none") -> None:
        super().__init__()
        self.ln_1 = LayerNorm(n_embd, bias=bias)
        self.attn = CausalSelfAttention(n_embd, n_head, block_size, dropout, bias)
        self.ln_2 = LayerNorm(n_embd, bias=bias)
        self.mlp = FeedForward(n_embd, dropout, bias, gelu)

    def forward(self, x: Any) -> Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class FeedForward(Module):
    """nanoGPT's feed-forward part of a block: C → 4C → GELU → C → dropout."""

    def __init__(self, n_embd: int, dropout: float, bias: bool, gelu: str) -> None:
        super().__init__()
        self.c_fc = Linear(n_embd, 4 * n_embd, bias=bias)
        self.gelu = GELU(gelu)
        self.c_proj = Linear(4 * n_embd, n_embd, bias=bias)
        self.dropout = Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))
