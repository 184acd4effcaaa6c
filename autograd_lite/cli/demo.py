"""What `autograd-lite demo` and `train` run.

- `demo(out_dir)`: trains a small tensor MLP on the two-moons data in a few seconds and writes
  its loss curve, its decision boundary and the computation graph of one of its neurons.
- `train_classifier(...)`, `load_dataset(...)`, `plot_history(...)`: the `train` command's
  parts (a tensor MLP with softmax cross-entropy, trained by `nn.fit`).
(`autograd-lite tour` lives in tour.py.)

Plots use matplotlib's Agg canvas directly (no pyplot, no display needed); graphs are
rendered by `draw_graph`, which needs no system Graphviz. Nothing is downloaded.
"""

from __future__ import annotations

import io
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import nn
from autograd_lite import Value, draw_graph, manual_seed, no_grad
from autograd_lite.atomic import write_atomic
from nn.data import DataLoader, load_mnist_like, moons, spirals, xor

__all__ = ["Dataset", "Diverged", "load_dataset", "build_mlp", "train_classifier",
           "accuracy", "percent", "plot_history", "plot_decision_boundary", "draw_neuron",
           "demo", "FASHION_MNIST", "TOY_DATASETS"]

FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
TOY_DATASETS = ("moons", "spirals", "xor")
ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
OPTIMIZERS = {"sgd": nn.optim.SGD, "adam": nn.optim.Adam, "rmsprop": nn.optim.RMSprop,
              "adagrad": nn.optim.Adagrad}
CLASS_NAMES = {"fashion-mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")}

Log = Callable[[str], None]


# --- data ---------------------------------------------------------------------------------


@dataclass
class Dataset:
    """Flattened features (float32) and integer labels, split for training and validation
    (and a test set when the data comes with one)."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    note: str = ""  # e.g. that XOR is validated on its own four points

    @property
    def features(self) -> int:
        return self.X_train.shape[1]

    @property
    def classes(self) -> int:
        labels = [self.y_train, self.y_val] + ([self.y_test] if self.y_test is not None else [])
        return int(max(int(y.max()) for y in labels if y.size)) + 1

    def describe(self) -> str:
        test = f", {len(self.y_test)} test" if self.y_test is not None else ""
        return (f"{self.name}: {len(self.y_train)} training, {len(self.y_val)} validation"
                f"{test} samples; {self.features} features, {self.classes} classes")


def load_dataset(name: str, val_split: float = 0.2) -> Dataset:
    """`moons`, `spirals`, `xor`, `fashion-mnist` or a folder of MNIST-style IDX files.

    Toy data is drawn from the shared generator (seed it with `manual_seed` first). Images
    are flattened to vectors. A `val_split` fraction of the training samples is held out
    for validation (XOR's four points are both the training and the validation set).
    Raises FileNotFoundError or ValueError for a missing or malformed folder.
    """
    if name == "xor":
        X, y = xor()
        return Dataset("xor", X, y, X, y, note="xor has only 4 points: it is validated on "
                       "the points it is trained on")
    if name == "moons":
        X, y = moons(1000, noise=0.2)
    elif name == "spirals":
        X, y = spirals(900, classes=3, noise=0.2)
    else:
        folder = FASHION_MNIST if name == "fashion-mnist" else Path(name)
        X, y = load_mnist_like(folder, "train")
        test = None
        if _has_test_set(folder):  # its labels must be classes the training data has
            classes = int(y.max()) + 1 if y.size else 1
            X_test, y_test = load_mnist_like(folder, "t10k", num_classes=classes)
            test = (X_test.reshape(len(X_test), -1), y_test)
        label = name if name == "fashion-mnist" else str(folder)
        return _split(label, X.reshape(len(X), -1), y, val_split, test)
    return _split(name, X, y, val_split)


def _has_test_set(folder: Path) -> bool:
    return any((folder / f"t10k-labels{sep}idx1-ubyte{gz}").is_file()
               for sep in "-." for gz in ("", ".gz"))


def _split(name: str, X: np.ndarray, y: np.ndarray, val_split: float,
           test: tuple[np.ndarray, np.ndarray] | None = None) -> Dataset:
    """Hold out the last `val_split` of the samples (toy data is already shuffled)."""
    if len(y) < 2:
        raise ValueError(f"{name} has {len(y)} sample{'' if len(y) == 1 else 's'}; training "
                         "needs at least 2 (one to train on, one to validate)")
    n_val = min(max(1, round(len(y) * val_split)), len(y) - 1)
    cut = len(y) - n_val
    return Dataset(name, X[:cut], y[:cut], X[cut:], y[cut:],
                   *(test if test is not None else (None, None)))


# --- training -------------------------------------------------------------------------------


def build_mlp(features: int, hidden: Sequence[int], classes: int,
              activation: str = "relu") -> nn.Sequential:
    """Linear layers features → hidden… → classes with `activation` between them."""
    layers: list[nn.Module] = []
    sizes = [features, *hidden]
    for n_in, n_out in zip(sizes, sizes[1:], strict=False):
        layers += [nn.Linear(n_in, n_out), ACTIVATIONS[activation]()]
    layers.append(nn.Linear(sizes[-1], classes))
    return nn.Sequential(*layers)


class Diverged(ArithmeticError):
    """Training left the range of floating-point numbers: a loss that is inf or nan, or an
    overflow (or an invalid operation) in the forward, backward or optimizer step."""

    def __init__(self, epoch: int, reason: str) -> None:
        super().__init__(f"training diverged in epoch {epoch}: {reason}")
        self.epoch, self.reason = epoch, reason


def train_classifier(data: Dataset, hidden: Sequence[int] = (32, 32), activation: str = "relu",
                     optimizer: str = "adam", lr: float = 0.01, epochs: int = 20,
                     batch_size: int = 32, verbose: str = "auto",
                     log_every: int = 1) -> tuple[nn.Sequential, nn.train.History]:
    """Train an MLP with softmax cross-entropy; returns the model and `nn.fit`'s history.

    `verbose` and `log_every` are `nn.fit`'s: a progress bar and/or a metric line every
    `log_every` epochs. numpy's floating-point warnings are not shown: an overflow or an
    invalid operation anywhere in training, or a loss that is not finite, raises `Diverged`
    at the next batch instead (the returned model is always finite).
    """
    model = build_mlp(data.features, hidden, data.classes, activation)
    opt = OPTIMIZERS[optimizer](model.parameters(), lr=lr)
    loader = DataLoader((data.X_train, data.y_train), batch_size=batch_size, shuffle=True)
    problems: list[str] = []  # numpy's floating-point errors, e.g. "overflow"
    done = [0]  # epochs finished

    def on_error(kind: str, flag: int) -> None:
        problems.append(kind)

    def check(reason: str | None) -> None:
        if reason is None and problems:
            reason = (f"{problems[0]} in the arithmetic (the weights or their updates left "
                      "the range of float32)")
        if reason is not None:
            raise Diverged(done[0] + 1, reason)

    def loss_fn(output, target):  # cross-entropy, checked batch by batch
        check(None)  # an error in the previous batch's backward or step
        loss = nn.cross_entropy(output, target)
        value = float(loss.data)
        check(None if math.isfinite(value) else f"the loss became {value}")
        return loss

    def count(epoch: int, history: nn.train.History) -> None:
        done[0] = epoch + 1

    # 'call' instead of numpy's RuntimeWarning: no warning with a site-packages path, and
    # the first error stops training (underflow is harmless and ignored)
    with np.errstate(all="call", under="ignore", call=on_error):
        history = nn.fit(model, loss_fn, opt, loader, epochs, val_data=(data.X_val, data.y_val),
                         verbose=verbose, log_every=log_every, on_epoch_end=count)
    if not all(np.isfinite(p.data).all() for p in model.parameters()):
        raise Diverged(done[0], "a weight is not finite")
    return model, history


def accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    """The model's accuracy on (X, y), as it is now (not the history's last epoch)."""
    return nn.evaluate(model, nn.cross_entropy, (X, y))[1]


def percent(fraction: float) -> str:
    """Accuracies as `demo`, `train` and `nn.fit`'s epoch lines print them: `97.2%`."""
    return f"{fraction:.1%}"


# --- pictures -------------------------------------------------------------------------------


def _figure(width: float, height: float):  # -> matplotlib.figure.Figure
    """A figure drawn by the Agg canvas: no pyplot state, no display, any thread."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path: str | os.PathLike[str]) -> Path:
    """Save a figure atomically; the format follows the suffix (png, svg, pdf)."""
    path = Path(path)
    buffer = io.BytesIO()
    fig.savefig(buffer, format=path.suffix.lstrip(".").lower() or "png", dpi=120)
    return write_atomic(path, buffer.getvalue())


def plot_history(history: nn.train.History, path: str | os.PathLike[str],
                 title: str = "") -> Path:
    """Training and validation loss (left) and accuracy (right) per epoch."""
    fig = _figure(9, 3.6)
    epochs = np.arange(1, len(history["train_loss"]) + 1)
    for ax, key, name in zip(fig.subplots(1, 2), ("loss", "accuracy"), ("cross-entropy loss",
                                                                         "accuracy"),
                             strict=True):
        ax.plot(epochs, history[f"train_{key}"], label="training", marker=".")
        ax.plot(epochs, history[f"val_{key}"], label="validation", marker=".")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def plot_decision_boundary(model: nn.Module, X: np.ndarray, y: np.ndarray,
                           path: str | os.PathLike[str], title: str = "") -> Path:
    """The class the model predicts over the plane, with the samples on top (2-D data)."""
    fig = _figure(6, 5)
    ax = fig.add_subplot()
    pad = 0.5
    xs = np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, 300)
    ys = np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, 300)
    gx, gy = np.meshgrid(xs, ys)
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)
    model.eval()
    with no_grad():
        predicted = model(grid).data.argmax(axis=1).reshape(gx.shape)
    classes = int(max(y.max(), predicted.max())) + 1
    levels = np.arange(classes + 1) - 0.5
    ax.contourf(gx, gy, predicted, levels=levels, cmap="coolwarm", alpha=0.35)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", vmin=0, vmax=max(classes - 1, 1),
               s=8, edgecolors="k", linewidths=0.2)
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    ax.set_title(title or "decision boundary")
    return _save(fig, path)


def draw_neuron(model: nn.Sequential, X: np.ndarray, path: str | os.PathLike[str]) -> Path:
    """The graph of one first-layer ReLU neuron of `model`, rebuilt from scalar Values.

    The neuron is a micrograd-style `nn.Neuron` on two inputs, given the trained weights of
    a unit of `model[0]` and a sample that activates it, then differentiated, so the diagram
    shows every value and gradient of relu(w0·x0 + w1·x1 + b).
    """
    layer = model[0]
    weight, bias = np.asarray(layer.weight.data), np.asarray(layer.bias.data)
    active = np.argwhere(X @ weight.T + bias > 0)  # (sample, unit) pairs with relu' = 1
    sample, unit = active[0] if len(active) else (0, 0)
    neuron = nn.Neuron(weight.shape[1])
    neuron.load_state_dict({"w": weight[unit], "b": bias[unit]})
    inputs = [Value(float(v), label=f"x{i}") for i, v in enumerate(X[sample])]
    out = neuron(inputs)
    out.label = "o"
    out.backward()
    return Path(draw_graph(out).render(outfile=path))


# --- the demo -------------------------------------------------------------------------------

DEMO_FILES = ("loss_curve.png", "decision_boundary.png", "neuron.svg")


def demo(out_dir: str | os.PathLike[str] = "autograd_lite_demo", seed: int = 0,
         verbose: str = "auto", log: Log = print) -> float:
    """Train a 2-16-16-2 ReLU network on two moons and write its pictures to `out_dir`.

    Returns the validation accuracy. The folder gets `loss_curve.png`,
    `decision_boundary.png` and `neuron.svg` (see `draw_neuron`).
    """
    start = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    manual_seed(seed)
    data = _split("moons", *moons(3000, noise=0.2), val_split=0.2)
    log("autograd_lite demo: a 2-16-16-2 ReLU network learns two interleaving moons")
    log(f"data {data.describe()}")
    model, history = train_classifier(data, hidden=(16, 16), optimizer="adam", lr=0.01,
                                      epochs=8, batch_size=16, verbose=verbose)
    acc = accuracy(model, data.X_val, data.y_val)
    log(f"final accuracy: {percent(acc)} on {len(data.y_val)} validation samples")
    X_all = np.concatenate([data.X_train, data.X_val])
    y_all = np.concatenate([data.y_train, data.y_val])
    written = [
        plot_history(history, out / DEMO_FILES[0], title="two moons: 2-16-16-2 ReLU MLP, Adam"),
        plot_decision_boundary(model, X_all, y_all, out / DEMO_FILES[1],
                               title=f"decision boundary (validation accuracy "
                                     f"{percent(acc)})"),
        draw_neuron(model, data.X_val, out / DEMO_FILES[2]),
    ]
    log(f"wrote to {out.resolve()}/:")
    for path, what in zip(written, ("the loss and accuracy curves",
                                    "the decision boundary over the data",
                                    "the computation graph of one neuron, relu(w·x + b)"),
                          strict=True):
        log(f"  {path.name:<22} {what}")
    log(f"done in {time.perf_counter() - start:.1f} s")
    return acc
