"""`autograd-lite`, the command line (also `python -m autograd_lite` or `autograd_lite.cli`).

    autograd-lite grad "sqrt(x**2 + exp(x**2))" x=1      value and every partial derivative
    autograd-lite draw "tanh(w*x + b)" w=0.5 x=2 b=0 -o graph.svg
    autograd-lite train --data moons --hidden 64,32 --epochs 30 --plot curves.png
    autograd-lite demo                                   the README's demo (a few seconds)
    autograd-lite tour                                   the engine on scalar Values

Expressions are read by `expr.py` (a whitelist, never evaluated as Python). Bad arguments
print one line, `autograd-lite: error: ...`, on stderr and exit with status 2; training that
diverges stops with one such line and status 1.
"""

from __future__ import annotations

import argparse
import keyword
import math
import os
import re
import sys
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from autograd_lite import Value

from . import views
from .expr import CONSTANTS, FUNCTIONS, ExprError, evaluate, parse

__all__ = ["main", "CLIError", "TrainingFailed"]

PROG = "autograd-lite"
DATASETS = ("moons", "spirals", "xor", "fashion-mnist")
DEFAULT_LR = {"sgd": 0.1, "adam": 0.01, "rmsprop": 0.01, "adagrad": 0.1}
DEFAULT_EPOCHS = {"moons": 30, "spirals": 100, "xor": 300}  # folders of images: 5
GRAPH_SUFFIXES = (".svg", ".png")
PLOT_SUFFIXES = (".png", ".svg", ".pdf")
MAX_HIDDEN = 4096  # units per hidden layer
# A plain MLP deeper than this does not train (no normalization, no skip connections: the
# gradient vanishes or explodes), and each layer costs memory and time: refuse it at once.
MAX_LAYERS = 32  # hidden layers
# Weights, gradients and Adam's two moment arrays are four float32 copies of every
# parameter: 50 million parameters are 800 MB, the most a command-line run should take
# without asking. Larger networks belong in a Python script (nn has no such limit).
MAX_PARAMETERS = 50_000_000
DRAW_TIMEOUT = 30.0  # seconds for laying out a graph: the library's default (render.TIMEOUT)

NAN_NOTE = ("nan marks a math-domain result (log or sqrt of a negative number, 0/0, "
            "inf - inf, ...): the engine follows IEEE 754, as numpy does, instead of raising")
INF_NOTE = ("inf marks an overflow or a division by zero (exp(1000), 9**9**9, 1/0, ...), "
            "as in IEEE 754")


class CLIError(Exception):
    """A bad argument: reported as one line on stderr, exit status 2."""

    status = 2


class TrainingFailed(CLIError):
    """Valid arguments, but training failed (it diverged): one line on stderr, status 1."""

    status = 1


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors as one line (`autograd-lite: error: ...`) and no exit."""

    def error(self, message: str) -> NoReturn:
        raise CLIError(f"{message} (see '{self.prog} --help')")


# --- argument types -------------------------------------------------------------------------


def _number(convert: Callable[[str], Any], ok: Callable[[Any], bool],
            expected: str) -> Callable[[str], Any]:
    """An argparse type: `convert(text)`, accepted only if `ok(value)`."""

    def parse(text: str) -> Any:
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not ok(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return parse


_positive_int = _number(int, lambda v: v >= 1, "a positive integer")
_seed = _number(int, lambda v: v >= 0, "an integer >= 0")
_learning_rate = _number(float, lambda v: math.isfinite(v) and v > 0, "a positive number")
_fraction = _number(float, lambda v: 0 < v < 1, "a fraction between 0 and 1")


def _hidden(text: str) -> tuple[int, ...]:
    """`64,32` -> (64, 32): at least one layer (`train` builds an MLP)."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            "expected at least one hidden layer size (e.g. 64 or 64,32), got an empty string")
    parts = text.split(",")
    if len(parts) > MAX_LAYERS:
        raise argparse.ArgumentTypeError(
            f"at most {MAX_LAYERS} hidden layers (a deeper plain MLP does not train), got "
            f"{len(parts)}")
    sizes = []
    for part in parts:
        try:
            size = int(part)
        except ValueError:
            size = 0
        if not 1 <= size <= MAX_HIDDEN:
            raise argparse.ArgumentTypeError(
                f"expected layer sizes separated by commas, each from 1 to {MAX_HIDDEN} "
                f"(e.g. 64,32), got {text!r}")
        sizes.append(size)
    return tuple(sizes)


_ASSIGNMENT = re.compile(r"\s*[^\W\d]\w*\s*=(?!=)")  # `x=1`, `y = -3` (not `x == 1`)


def _check_order(source: str, assignments: Sequence[str], command: str) -> None:
    """`grad x=1 "x**2"`: the expression must come first; say so instead of a syntax error."""
    if not _ASSIGNMENT.match(source):
        return
    rest = [item for item in assignments if not _ASSIGNMENT.match(item)]
    if rest:
        example = f'{PROG} {command} "{rest[0]}" {source} ' + " ".join(
            item for item in assignments if item != rest[0])
        raise CLIError(f"{source!r} looks like a value, but the expression comes first, then "
                       f"the values: {example.strip()}")
    raise CLIError(f"{source!r} looks like a value, but no expression is given: the "
                   f'expression comes first, then the values, e.g. {PROG} {command} "x**2" '
                   f"{' '.join([source, *assignments])}")


def _assignments(items: Sequence[str]) -> dict[str, float]:
    """`["x=2", "y=-3"]` -> {"x": 2.0, "y": -3.0}, in the order given."""
    values: dict[str, float] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = unicodedata.normalize("NFKC", name.strip())  # as Python reads identifiers
        if not sep or not name.isidentifier() or keyword.iskeyword(name):
            raise CLIError(f"expected NAME=VALUE (e.g. x=1.5), got {item!r}")
        if name.startswith("__") or name in FUNCTIONS:
            raise CLIError(f"{name!r} cannot be a variable name")
        if name in values:
            raise CLIError(f"{name} is given twice")
        try:
            values[name] = float(text)
        except ValueError:
            raise CLIError(f"the value of {name} must be a number, got {text!r}") from None
    return values


def _output(path: str, suffixes: Sequence[str], option: str) -> Path:
    """Check, before any work, that `path` has a known suffix and can be written."""
    target = Path(path)
    if target.suffix.lower() not in suffixes:
        endings = ", ".join(suffixes[:-1]) + " or " + suffixes[-1] if len(suffixes) > 1 \
            else suffixes[0]
        raise CLIError(f"{option}: the file name must end in {endings}, "
                       f"got {path!r}")
    from autograd_lite.atomic import NotARegularFileError, check_writable_target

    if target.is_dir():
        raise CLIError(f"{option}: {path} is a folder")
    try:  # the file a save would replace: through symlinks; devices and FIFOs refused
        real, _ = check_writable_target(target)
    except NotARegularFileError as e:
        raise CLIError(f"{option}: {e.strerror}") from None
    except OSError as e:
        raise CLIError(f"{option}: cannot write {path}: {e.strerror or e}") from None
    folder = real.parent if target.is_symlink() else target.parent  # as the user wrote it
    if not folder.is_dir():
        raise CLIError(f"{option}: cannot write {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (real.exists() and not os.access(real, os.W_OK)):
        raise CLIError(f"{option}: cannot write {path}: permission denied")
    return target


def _folder(path: str, option: str) -> Path:
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise CLIError(f"{option}: {path} exists and is not a folder") from None
    except OSError as e:
        raise CLIError(f"{option}: cannot create the folder {path}: {e.strerror}") from None
    if not os.access(folder, os.W_OK):
        raise CLIError(f"{option}: cannot write into {path}: permission denied")
    return folder


# --- grad and draw --------------------------------------------------------------------------


def _number(x: float) -> str:
    if not math.isfinite(x) or x == 0 or 1e-3 <= abs(x) < 1e7:
        return f"{x:.6f}"
    return f"{x:.6e}"


def _differentiate(source: str, assignments: Sequence[str], command: str = "grad",
                   retain_graph: bool = False) -> tuple[Value, dict[str, Value]]:
    """Evaluate the expression on labelled leaves and backpropagate from it (keeping the
    graph's rules for the step view and the trace table if `retain_graph`)."""
    _check_order(source, assignments, command)
    try:
        expression = parse(source)
        values = _assignments(assignments)
        leaves = {name: Value(value, label=name) for name, value in values.items()}
        result = evaluate(expression, leaves)
    except ExprError as e:
        raise CLIError(str(e)) from None
    if not result.label:
        result.label = "f"
    result.backward(retain_graph=retain_graph)
    return result, leaves


def _render(root: Value, target: Path, rankdir: str | None = None,
            dpi: float | None = None) -> None:
    """Draw the graph into `target` (svg or png) with the library's bounds: at most
    `draw_graph`'s default max_nodes values, and a layout stopped after `DRAW_TIMEOUT`
    seconds (the library's `render.TIMEOUT`)."""
    from autograd_lite import GraphvizNotFoundError, draw_graph
    from autograd_lite.atomic import write_atomic
    from autograd_lite.render import LayoutTimeoutError

    try:
        diagram = draw_graph(root, rankdir=rankdir, dpi=dpi)
    except ValueError as e:  # more than max_nodes values
        size = str(e).removeprefix("draw_graph: ").split(":")[0]
        raise CLIError(f"cannot draw the graph: {size}; draw a smaller expression") from None
    try:
        data = diagram.pipe(target.suffix.lstrip(".").lower(), timeout=DRAW_TIMEOUT)
    except GraphvizNotFoundError as e:
        raise CLIError(str(e)) from None
    except LayoutTimeoutError:
        raise CLIError(f"laying out the graph took more than {DRAW_TIMEOUT:g} s; draw a "
                       "smaller expression (fewer uses of each variable)") from None
    except RuntimeError as e:  # the program failed
        raise CLIError(" ".join(str(e).removeprefix("draw_graph: ").split())) from None
    try:
        write_atomic(target, data)
    except OSError as e:
        raise CLIError(f"cannot write {target}: {e.strerror or e}") from None


def _notes(numbers: Sequence[float]) -> None:
    if any(math.isnan(x) for x in numbers):
        print(f"{PROG}: note: {NAN_NOTE}", file=sys.stderr)
    if any(math.isinf(x) for x in numbers):
        print(f"{PROG}: note: {INF_NOTE}", file=sys.stderr)


def _cmd_grad(args: argparse.Namespace) -> int:
    target = _output(args.draw, GRAPH_SUFFIXES, "--draw") if args.draw else None
    result, leaves = _differentiate(args.expression, args.values, "grad", args.trace)
    grads = {name: 0.0 if leaf.grad is None else leaf.grad for name, leaf in leaves.items()}
    print(f"f = {_number(result.data)}")
    for name, grad in grads.items():
        print(f"df/d{name} = {_number(grad)}")
    _notes([result.data, *grads.values()])
    if target is not None:
        _render(result, target)
        print(f"computation graph written to {target}")
    if args.trace:
        print(f"\n{views.trace_text(result)}")
    return 0


def _cmd_draw(args: argparse.Namespace) -> int:
    target = _output(args.output, GRAPH_SUFFIXES, "--output")
    steps = _folder(args.steps, "--steps") if args.steps else None
    result, _ = _differentiate(args.expression, args.values, "draw", steps is not None)
    _notes([result.data])
    _render(result, target, args.rankdir, args.dpi)
    print(f"computation graph written to {target}")
    if steps is not None:
        frames = views.write_steps(result, steps)
        print(f"backward pass in {len(frames)} frames written to {steps}/"
              f"{frames[0].name} … {frames[-1].name}")
    return 0


# --- train, demo, tour ----------------------------------------------------------------------


def _load_data(name: str, val_split: float):  # -> demo.Dataset
    from . import demo

    if name == "fashion-mnist" and not demo.FASHION_MNIST.is_dir():
        raise CLIError(f"Fashion-MNIST is not installed (no folder {demo.FASHION_MNIST}): "
                       "install it with 'apt install dataset-fashion-mnist', or download the "
                       "four IDX files and pass their folder with --data PATH")
    if name not in DATASETS and (not name.strip() or not Path(name).is_dir()):
        raise CLIError(f"unknown dataset {name!r}: use {', '.join(DATASETS)} or a folder of "
                       "MNIST-style IDX files")
    try:
        return demo.load_dataset(name, val_split)
    except (OSError, ValueError) as e:
        raise CLIError(f"cannot read the dataset {name}: {e}") from None


def _cmd_train(args: argparse.Namespace) -> int:
    save = _output(args.save, (".npz",), "--save") if args.save else None
    plot = _output(args.plot, PLOT_SUFFIXES, "--plot") if args.plot else None

    import nn
    from autograd_lite import manual_seed

    from . import demo

    manual_seed(args.seed)
    data = _load_data(args.data, args.val_split)
    lr = args.lr or DEFAULT_LR[args.optimizer]
    epochs = args.epochs or DEFAULT_EPOCHS.get(data.name, 5)
    widths = (data.features, *args.hidden, data.classes)
    sizes = "-".join(str(n) for n in widths)
    count = sum((n_in + 1) * n_out for n_in, n_out in zip(widths, widths[1:], strict=False))
    if count > MAX_PARAMETERS:
        raise CLIError(f"--hidden: a {sizes} MLP has {count:,} parameters, more than the "
                       f"command line's limit of {MAX_PARAMETERS:,} (about 800 MB with Adam); "
                       "use smaller layers, or nn.fit from Python")
    print(f"data {data.describe()}")
    if data.note:
        print(f"note: {data.note}")
    print(f"model {sizes} MLP ({args.activation}), softmax cross-entropy; {args.optimizer} "
          f"lr {lr:g}, {epochs} epoch{'' if epochs == 1 else 's'}, batch size "
          f"{args.batch_size}, seed {args.seed}")
    try:
        model, history = demo.train_classifier(
            data, args.hidden, args.activation, args.optimizer, lr, epochs, args.batch_size,
            verbose="epoch" if args.no_progress else "auto", log_every=args.log_every)
    except (demo.Diverged, nn.NonFiniteLossError) as e:
        default = DEFAULT_LR[args.optimizer]
        advice = (f"try a smaller --lr (this run: {lr:g}; the default for {args.optimizer} is "
                  f"{default:g})" if lr > default else "try a smaller --lr")
        unsaved = "; nothing was saved" if save or plot else ""
        raise TrainingFailed(f"{e}{unsaved}; {advice}") from None
    acc = demo.accuracy(model, data.X_val, data.y_val)
    print(f"final accuracy: {demo.percent(acc)} on {len(data.y_val)} validation samples")
    if data.X_test is not None:
        test = demo.accuracy(model, data.X_test, data.y_test)
        print(f"test accuracy: {demo.percent(test)} on {len(data.y_test)} test samples")
    try:
        if save is not None:
            try:
                nn.save(model, save)  # refuses nan/inf: a diverged model is never saved
            except ValueError as e:
                raise TrainingFailed(str(e)) from None
            print(f"model saved to {save}")
        if plot is not None:
            demo.plot_history(history, plot, title=f"{data.name}: {sizes} MLP, {args.optimizer}")
            print(f"training curves written to {plot}")
    except OSError as e:
        raise CLIError(f"cannot write {e.filename or 'the output'}: {e.strerror or e}") from None
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from . import demo

    out = _folder(args.out, "--out")
    try:
        demo.demo(out, seed=args.seed, verbose="epoch" if args.no_progress else "auto")
    except OSError as e:
        raise CLIError(f"cannot write into {out}: {e.strerror or e}") from None
    return 0


def _cmd_tour(args: argparse.Namespace) -> int:
    from . import tour

    return tour.tour(_folder(args.out, "--out"))


# --- the parser -----------------------------------------------------------------------------

EXPRESSION_HELP = (
    "an expression in the variables: numbers, names, + - * / ** (powers: x**2, not x^2), "
    f"parentheses, {', '.join(FUNCTIONS)} (one argument each) and the constants "
    f"{' and '.join(CONSTANTS)} (unless given as variables). Quote it and put it before the "
    "values; if it starts with '-', put '--' before it")


def _expression_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("expression", help=EXPRESSION_HELP)
    parser.add_argument("values", nargs="*", metavar="NAME=VALUE",
                        help="the point, e.g. x=2 y=-3 (unused names get derivative 0)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Reverse-mode automatic differentiation you can "
                     "read, check and draw.", epilog="Run 'autograd-lite COMMAND --help' for "
                     "a command's options.")
    from autograd_lite import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")
    add: Callable[..., argparse.ArgumentParser] = commands.add_parser

    grad = add("grad", help="print an expression's value and its partial derivatives",
               description="Print f and df/dNAME for every NAME=VALUE given.",
               epilog='example: autograd-lite grad "sqrt(x**2 + exp(x**2))" x=1')
    _expression_arguments(grad)
    grad.add_argument("--draw", metavar="FILE", help="also write the computation graph "
                      "(.svg or .png)")
    grad.add_argument("--trace", action="store_true", help="also print the evaluation "
                      "trace: the forward primal and reverse adjoint lines")
    grad.set_defaults(handler=_cmd_grad)

    draw = add("draw", help="write an expression's computation graph (.svg or .png)",
               description="Evaluate and differentiate the expression, then draw its graph "
               "with every value and gradient (no system Graphviz needed).",
               epilog='example: autograd-lite draw "tanh(w*x + b)" w=0.5 x=2 b=0 -o g.svg')
    _expression_arguments(draw)
    draw.add_argument("-o", "--output", required=True, metavar="FILE",
                      help="the picture to write: .svg or .png")
    draw.add_argument("--rankdir", choices=("LR", "TB", "RL", "BT"), default=None,
                      help="direction of the graph (default: chosen from its shape: left to "
                      "right unless that is much wider than a page)")
    draw.add_argument("--dpi", type=_learning_rate, default=None, metavar="N",
                      help="resolution of a .png (default: Graphviz's 96)")
    draw.add_argument("--steps", metavar="DIR", help="also write the backward pass step by "
                      "step, one numbered SVG per step, into DIR")
    draw.set_defaults(handler=_cmd_draw)

    train = add("train", help="train a tensor MLP classifier and report its accuracy",
                description="Train a multi-layer perceptron (nn.Linear layers, softmax "
                "cross-entropy) with nn.fit, holding out a validation split.",
                epilog="example: autograd-lite train --data spirals --hidden 64,64 "
                "--epochs 100 --plot curves.png")
    train.add_argument("--data", default="moons", metavar="NAME|PATH",
                       help=f"{', '.join(DATASETS)}, or a folder of MNIST-style IDX files "
                       "(default: %(default)s)")
    train.add_argument("--hidden", type=_hidden, default=(64, 32), metavar="N,N,...",
                       help="hidden layer sizes (default: 64,32)")
    train.add_argument("--activation", choices=("relu", "tanh", "sigmoid"), default="relu",
                       help="hidden activation (default: %(default)s)")
    train.add_argument("--optimizer", choices=tuple(DEFAULT_LR), default="adam",
                       help="(default: %(default)s)")
    train.add_argument("--lr", type=_learning_rate, metavar="RATE",
                       help="learning rate (default: " + ", ".join(
                           f"{k} {v:g}" for k, v in DEFAULT_LR.items()) + ")")
    train.add_argument("--epochs", type=_positive_int, metavar="N",
                       help="(default: moons 30, spirals 100, xor 300, images 5)")
    train.add_argument("--batch-size", type=_positive_int, default=32, metavar="N",
                       help="(default: %(default)s)")
    train.add_argument("--val-split", type=_fraction, default=0.2, metavar="FRACTION",
                       help="share of the training samples held out (default: %(default)s)")
    train.add_argument("--seed", type=_seed, default=0, help="(default: %(default)s)")
    train.add_argument("--save", metavar="FILE.npz", help="save the trained weights (nn.save)")
    train.add_argument("--plot", metavar="FILE", help="plot the loss and accuracy curves "
                       "(.png, .svg or .pdf)")
    train.add_argument("--log-every", type=_positive_int, default=1, metavar="N",
                       help="print the metric line every N epochs (and the last); "
                       "default: %(default)s, every epoch")
    train.add_argument("--no-progress", action="store_true",
                       help="no progress bar, only the metric lines (the default when the "
                       "output is not a terminal)")
    train.set_defaults(handler=_cmd_train)

    demo = add("demo", help="train on two moons and write pictures (a few seconds)",
               description="Train a small MLP on the two-moons data and write its loss curve, "
               "its decision boundary and the computation graph of one neuron.")
    demo.add_argument("--out", default="autograd_lite_demo", metavar="DIR",
                      help="folder for the pictures (default: %(default)s)")
    demo.add_argument("--seed", type=_seed, default=0, help="(default: %(default)s)")
    demo.add_argument("--no-progress", action="store_true",
                      help="no progress bar, only the metric lines")
    demo.set_defaults(handler=_cmd_demo)

    tour = add("tour", help="a tour of the engine on scalar Values",
               description="Every adjoint of sqrt(x**2 + exp(x**2)), a gradient check, a "
               "neuron's graph and a network of Values learning XOR.")
    tour.add_argument("--out", default="autograd_lite_tour", metavar="DIR",
                      help="folder for neuron.svg (default: %(default)s)")
    tour.set_defaults(handler=_cmd_tour)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 for bad arguments)."""
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # NAME=VALUE pairs after an option: `grad "x*y" x=1 --draw g.svg y=2`
            if args.command not in ("grad", "draw") or any(
                    item.startswith("-") or "=" not in item for item in extra):
                hint = (" (an expression that starts with '-' goes after '--': "
                        f"{PROG} {args.command} -- \"-x**2\" x=1)"
                        if args.command in ("grad", "draw") and any(
                            item[:1] == "-" and item[:2] != "--" for item in extra) else "")
                raise CLIError(f"unrecognized arguments: {' '.join(extra)}{hint}")
            args.values = [*args.values, *extra]
        if args.command is None:
            parser.print_help(sys.stderr)
            return 2
        return args.handler(args)
    except CLIError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return e.status
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `autograd-lite train | head`: stop quietly, as other tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python flushes stdout again at exit
        return 1
