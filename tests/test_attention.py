"""nn.attention: causal self-attention and the transformer block — causality, shapes, the
forward against a numpy reference, gradients against central differences (float64) and
against PyTorch, parameter names (nanoGPT's), dropout and argument checks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd_lite import Tensor, gradcheck, manual_seed
from nn.attention import Block, CausalSelfAttention
from nn.module import Module, Parameter


def rand(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def double(module: Module) -> Module:
    """Every parameter as float64 (a shared parameter stays shared)."""
    new: dict[int, Parameter] = {}
    for _, m in module.named_modules():
        for name, p in list(m._parameters.items()):
            new.setdefault(id(p), Parameter(p.data, dtype=np.float64))
            setattr(m, name, new[id(p)])
    return module


def reference(att: CausalSelfAttention, x: np.ndarray) -> np.ndarray:
    """Attention written out head by head in numpy."""
    b, t, c = x.shape
    nh, d = att.n_head, c // att.n_head
    qkv = x @ att.c_attn.weight.data.T + att.c_attn.bias.data
    heads = []
    for h in range(nh):
        q, k, v = (qkv[..., i * c + h * d:i * c + (h + 1) * d] for i in range(3))
        s = q @ k.transpose(0, 2, 1) / math.sqrt(d)
        s = np.where(np.tril(np.ones((t, t), bool)), s, -np.inf)
        a = np.exp(s - s.max(-1, keepdims=True))
        heads.append((a / a.sum(-1, keepdims=True)) @ v)
    return np.concatenate(heads, -1) @ att.c_proj.weight.data.T + att.c_proj.bias.data


def test_parameters_have_nanogpts_names_and_shapes():
    att = CausalSelfAttention(8, 2, 4)
    assert [(n, p.shape) for n, p in att.named_parameters()] == [
        ("c_attn.weight", (24, 8)), ("c_attn.bias", (24,)),
        ("c_proj.weight", (8, 8)), ("c_proj.bias", (8,))]
    assert list(att.state_dict()) == ["c_attn.weight", "c_attn.bias", "c_proj.weight",
                                      "c_proj.bias"]  # the mask is not state
    block = Block(8, 2, 4)
    assert [n for n, _ in block.named_parameters()] == [
        "ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias",
        "attn.c_proj.weight", "attn.c_proj.bias", "ln_2.weight", "ln_2.bias",
        "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias"]


def test_forward_matches_a_head_by_head_numpy_reference():
    manual_seed(0)
    att = double(CausalSelfAttention(12, 3, 6))
    x = rand(2, 5, 12)
    assert np.allclose(att(x).data, reference(att, x), atol=1e-12)
    w = att.last_attention
    assert w.shape == (2, 3, 5, 5)
    assert np.allclose(w.sum(-1), 1) and np.all(np.triu(w, 1) == 0)


def test_a_position_never_sees_the_future():
    att = double(CausalSelfAttention(8, 2, 6))
    x = rand(1, 6, 8)
    changed = x.copy()
    changed[0, 4:] += 10  # change positions 4 and 5 only
    y, y2 = att(x).data, att(changed).data
    assert np.allclose(y[0, :4], y2[0, :4], atol=1e-12)
    assert not np.allclose(y[0, 4:], y2[0, 4:])
    xt = Tensor(x, requires_grad=True)
    att(xt)[0, 2].sum().backward()  # output 2 depends on inputs 0..2 only
    assert np.all(xt.grad[0, 3:] == 0) and np.all(np.abs(xt.grad[0, :3]).sum(-1) > 0)


def test_attention_gradchecks_for_input_and_weights():
    manual_seed(1)
    att = CausalSelfAttention(4, 2, 3)
    w0, b0 = att.c_attn.weight.data.astype(float), att.c_attn.bias.data.astype(float)
    w1 = att.c_proj.weight.data.astype(float)

    def f(x: Tensor, w: Tensor, b: Tensor, wp: Tensor) -> Tensor:
        att.c_attn.weight, att.c_attn.bias, att.c_proj.weight = w, b, wp
        return att(x)

    assert gradcheck(f, rand(2, 3, 4), w0, b0, w1)


def test_block_gradchecks_and_keeps_float32():
    manual_seed(2)
    block = double(Block(4, 2, 3))
    assert gradcheck(lambda x: block(x), rand(2, 3, 4))
    y = Block(4, 2, 3)(rand(2, 3, 4).astype(np.float32))
    assert y.dtype == np.float32 and y.shape == (2, 3, 4)


def test_dropout_is_off_in_eval_and_on_in_training():
    manual_seed(3)
    att = CausalSelfAttention(8, 2, 4, dropout=0.5)
    x = rand(2, 4, 8).astype(np.float32)
    att.eval()
    assert np.array_equal(att(x).data, att(x).data)
    att.train()
    assert not np.array_equal(att(x).data, att(x).data)


@pytest.mark.parametrize("args, words", [
    ((10, 3, 4), "n_embd=10 must be a multiple of n_head=3"),
    ((8, 0, 4), "n_embd=8 must be a multiple of n_head=0"),
    ((8, 2, -1), "block_size must be a non-negative int"),
    ((8, 2, 0), "block_size must be at least 1"),
])
def test_bad_sizes_are_refused(args, words):
    with pytest.raises(ValueError, match=f"CausalSelfAttention: {words}"):
        CausalSelfAttention(*args)


@pytest.mark.parametrize("shape", [(2, 5, 8), (2, 3, 6), (3, 8)])
def test_bad_inputs_are_refused_with_the_expected_shape(shape):
    with pytest.raises(ValueError, match=r"expected input \(B, T, 8\) with T <= block_size=4"):
        CausalSelfAttention(8, 2, 4)(rand(*shape))


def test_attention_equals_pytorch_in_float64_with_gradients():
    torch = pytest.importorskip("torch")
    manual_seed(4)
    att = double(CausalSelfAttention(8, 2, 6))
    x, g = rand(3, 5, 8), rand(3, 5, 8, seed=1)
    xt = Tensor(x, requires_grad=True)
    y = att(xt)
    y.backward(g)
    mha = torch.nn.MultiheadAttention(8, 2, batch_first=True).double()
    with torch.no_grad():  # the same weights, in MultiheadAttention's layout
        mha.in_proj_weight.copy_(torch.tensor(att.c_attn.weight.data))
        mha.in_proj_bias.copy_(torch.tensor(att.c_attn.bias.data))
        mha.out_proj.weight.copy_(torch.tensor(att.c_proj.weight.data))
        mha.out_proj.bias.copy_(torch.tensor(att.c_proj.bias.data))
    tx = torch.tensor(x, requires_grad=True)
    mask = torch.triu(torch.ones(5, 5, dtype=torch.bool), 1)
    out, weights = mha(tx, tx, tx, attn_mask=mask, average_attn_weights=False)
    out.backward(torch.tensor(g))
    assert np.allclose(y.data, out.detach().numpy(), rtol=1e-12, atol=1e-13)
    assert np.allclose(att.last_attention, weights.detach().numpy(), atol=1e-13)
    assert np.allclose(xt.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert np.allclose(att.c_attn.weight.grad, mha.in_proj_weight.grad.numpy(), atol=1e-12)
    assert np.allclose(att.c_proj.weight.grad, mha.out_proj.weight.grad.numpy(), atol=1e-12)
    assert np.allclose(att.c_attn.bias.grad, mha.in_proj_bias.grad.numpy(), atol=1e-12)


# --- the fused causal softmax -------------------------------------------------------------------

def composed(scores: Tensor, scale: float) -> Tensor:
    t = scores.shape[-1]
    return (scores * scale).masked_fill(np.triu(np.ones((t, t), bool), 1),
                                        -math.inf).softmax(axis=-1)


def test_causal_softmax_equals_scale_mask_and_softmax_with_gradients():
    from nn.attention import causal_softmax

    s, g = rand(2, 3, 5, 5), rand(2, 3, 5, 5, seed=1)
    results = []
    for fn in (causal_softmax, composed):
        st = Tensor(s, requires_grad=True)
        y = fn(st, 0.5)
        y.backward(g)
        results.append((y.data, st.grad))
    for a, b in zip(*results, strict=True):
        assert np.allclose(a, b, rtol=1e-12, atol=1e-14)
    assert np.all(np.triu(results[0][0], 1) == 0) and np.allclose(results[0][0].sum(-1), 1)


def test_causal_softmax_gradchecks_to_second_order_and_keeps_float32():
    from nn.attention import causal_softmax

    assert gradcheck(lambda s: causal_softmax(s, 0.7) * np.arange(16).reshape(4, 4),
                     rand(4, 4), order=2)
    y = causal_softmax(Tensor(rand(3, 3).astype(np.float32)), 0.5)
    assert y.dtype == np.float32
    with pytest.raises(ValueError, match=r"causal_softmax: expected scores \(..., T, T\)"):
        causal_softmax(Tensor(rand(3, 4)))
