"""nn: neural-network building blocks on autograd_lite.

Backpropagation through every layer falls out of the engine's chain rule: layers are
compositions of Tensor ops (a dedicated primitive only where speed or stability needs one:
fused conv2d, pooling and batch norm, the fused softmax cross-entropy, layer_norm).

    module      Module, Parameter, Sequential, ModuleList, ModuleDict
    layers      Linear, Embedding, activations (GELU, ...), Dropout, BatchNorm1d, Flatten
    conv        Conv2d                           scalar     Neuron, Layer, MLP (on Values)
    pooling     MaxPool2d, AvgPool2d             batchnorm  BatchNorm2d
    losses      mse_loss, ..., MSELoss, ...      classic    Perceptron, Adaline
    functional  PyTorch's functional names: `import nn.functional as F`
    optim       SGD, Adagrad, RMSprop, Adam, AdamW, lr_scheduler
    init        xavier_*, kaiming_*, normal_, zeros_   data  DataLoader, datasets, load_idx
    train       fit, evaluate, NonFiniteLossError serialize  save, load
    checks      the argument checks (counts, reals, flags, paths, labels)
    norm        LayerNorm                        attention  CausalSelfAttention, Block
    text        load_words, Vocabulary, context_windows, sequences, split_words
    utils       clip_grad_norm_
"""

from . import data, functional, init, optim, text, utils
from .attention import Block, CausalSelfAttention
from .batchnorm import BatchNorm2d
from .classic import Adaline, Perceptron
from .conv import Conv2d
from .layers import (
    GELU,
    BatchNorm1d,
    Dropout,
    Embedding,
    Flatten,
    LeakyReLU,
    Linear,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from .losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    l1_loss,
    l1_penalty,
    l2_penalty,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from .module import Module, ModuleDict, ModuleList, Parameter, Sequential
from .norm import LayerNorm
from .pooling import AvgPool2d, MaxPool2d
from .scalar import MLP, Layer, Neuron
from .serialize import load, save
from .train import NonFiniteLossError, evaluate, fit

__all__ = [
    "Module", "ModuleDict", "ModuleList", "Parameter", "Sequential",
    "Neuron", "Layer", "MLP",
    "Linear", "Conv2d", "MaxPool2d", "AvgPool2d", "Flatten", "Dropout", "BatchNorm1d",
    "BatchNorm2d", "Embedding", "LayerNorm", "GELU", "CausalSelfAttention", "Block",
    "ReLU", "Tanh", "Sigmoid", "LeakyReLU", "Softmax",
    "mse_loss", "l1_loss", "smooth_l1_loss", "cross_entropy", "nll_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "hinge_loss", "l1_penalty",
    "l2_penalty",
    "MSELoss", "L1Loss", "SmoothL1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss",
    "BCEWithLogitsLoss",
    "Perceptron", "Adaline",
    "functional", "optim", "init", "data", "text", "utils",
    "fit", "evaluate", "NonFiniteLossError", "save", "load",
]
