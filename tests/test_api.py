"""Every public name of the documented API exists (a renamed or missing name fails here)."""

import pytest

import autograd_lite
import nn

AUTOGRAD_LITE = [
    "Value", "Tensor", "no_grad", "enable_grad", "manual_seed", "grad", "value_and_grad",
    "jacobian", "hessian", "vjp", "jvp", "hvp", "gradcheck", "GradcheckError", "draw_graph",
    "concat", "stack", "where", "maximum", "minimum", "logsumexp", "softmax", "log_softmax",
    "retain_grads",
]
TENSOR_METHODS = [
    "item", "numpy", "detach", "zero_grad", "retain_grad", "backward", "exp", "log", "tanh",
    "sigmoid", "relu", "sin", "cos", "sqrt", "abs", "leaky_relu", "clip", "sum", "mean", "max",
    "min", "var", "reshape", "transpose", "flatten", "logsumexp", "softmax", "log_softmax",
    "T", "shape", "ndim", "dtype", "data", "grad", "requires_grad",
]
NN = [
    "Module", "Parameter", "Neuron", "Layer", "MLP", "Linear", "Conv2d", "MaxPool2d",
    "Flatten", "Dropout", "BatchNorm1d", "Sequential", "ReLU", "Tanh", "Sigmoid", "LeakyReLU",
    "Softmax", "mse_loss", "cross_entropy", "binary_cross_entropy", "hinge_loss",
    "l1_penalty", "l2_penalty", "Perceptron", "Adaline", "save", "load", "fit",
]
NN_SUBMODULES = {
    "optim": ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"],
    "optim.lr_scheduler": ["StepLR", "ExponentialLR", "CosineAnnealingLR", "ReduceLROnPlateau"],
    "init": ["xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
             "normal_", "zeros_"],
    "data": ["DataLoader", "xor", "moons", "spirals", "load_idx"],
}
MODULE_METHODS = ["parameters", "named_parameters", "zero_grad", "train", "eval", "state_dict",
                  "load_state_dict", "__call__"]


@pytest.mark.parametrize("name", AUTOGRAD_LITE)
def test_autograd_lite_exports(name):
    assert hasattr(autograd_lite, name)


@pytest.mark.parametrize("name", TENSOR_METHODS)
def test_tensor_has(name):
    assert hasattr(autograd_lite.Tensor, name)


@pytest.mark.parametrize("name", NN)
def test_nn_exports(name):
    assert hasattr(nn, name)


@pytest.mark.parametrize(("module", "name"),
                         [(m, n) for m, names in NN_SUBMODULES.items() for n in names])
def test_nn_submodules_export(module, name):
    target = nn
    for part in module.split("."):
        target = getattr(target, part)
    assert hasattr(target, name)


@pytest.mark.parametrize("name", MODULE_METHODS)
def test_module_has(name):
    assert hasattr(nn.Module, name)
