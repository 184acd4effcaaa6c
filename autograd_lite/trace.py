"""`trace_table`: the forward primal trace and the reverse adjoint trace of a graph.

The tables of Baydin et al.'s survey (their Table 2) and Hjorth-Jensen's notes, for any
graph the engine recorded: inputs v₁₋ₙ … v₀, intermediate values v₁ … vₗ, one line per op
forward (`v₃ = v₁ · v₂ = 6`) and one line per edge backward, in the order the sweep takes
them (`v̄₁ += v̄₃ · v₂ = 2 · 3 = 6`). The numbers come from the replayed sweep
(`sweep.replay_backward`), so the table shows exactly what `backward()` computes, with the
same numbering as the step view (`steps.py`). It prints as plain text, as Markdown, and
as HTML in Jupyter.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .graph import Node
from .sweep import Sweep, format_value, replay_backward
from .tensor import Tensor

__all__ = ["TraceRow", "TraceTable", "adjoint_rule", "local_derivative", "trace_table"]

BAR = "\u0304"  # combining macron: v̄, the adjoint ∂y/∂v

# ∂out/∂input as the textbooks write it, per op symbol and input position: {0} and {1} are
# the inputs' names, {out} the output's (a Value's constant power `**k` is handled apart).
# An op not listed is written ∂out/∂in. Each form must equal the op's declared derivative:
# the numbers beside it in the trace are the recorded ones, not this text evaluated.
_LOCAL: dict[str, tuple[str, ...]] = {
    "+": ("1", "1"),
    "-": ("1", "−1"),
    "*": ("{1}", "{0}"),
    "/": ("1/{1}", "−{0}/{1}²"),
    "**": ("{1}·{0}^({1} − 1)", "{out}·ln {0}"),
    "exp": ("{out}",),
    "log": ("1/{0}",),
    "log1p": ("1/(1 + {0})",),
    "sqrt": ("1/(2·{out})",),
    "tanh": ("1 − {out}²",),
    "sigmoid": ("{out}·(1 − {out})",),
    "sin": ("cos {0}",),
    "cos": ("−sin {0}",),
    "relu": ("[{0} > 0]",),
    "abs": ("sign {0}",),
    "square": ("2·{0}",),
    "reciprocal": ("−{out}²",),
    "neg": ("−1",),
}
_INFIX = {"+": " + ", "-": " − ", "*": " · ", "/": " / ", "@": " @ ", "**": "^"}


def local_derivative(op: str, position: int, inputs: list[str], out: str) -> str:
    """∂out/∂input `position` of op `op` in the textbooks' notation, e.g. `*` at position 0
    of (v₁, v₂) is `v₂`; ops without a short form give `∂v₃/∂v₁`."""
    if op.startswith("**") and len(op) > 2:  # a Value's constant power, e.g. "**2"
        k = float(op[2:])
        if k == 2:
            return f"2·{inputs[0]}"
        return f"{_exponent(k)}·{inputs[0]}^{_exponent(k - 1)}"
    forms = _LOCAL.get(op)
    if forms is None or position >= len(forms) or len(inputs) != len(forms):
        return f"∂{out}/∂{inputs[position]}"
    return forms[position].format(*inputs, out=out)


def _exponent(k: float) -> str:
    """An exponent as printed: `2`, `−1`, `0.5` (a minus sign, not a hyphen)."""
    return f"{k:g}".replace("-", "−")


def _expression(op: str, inputs: list[str]) -> str:
    """The right-hand side of a forward line: `v₁ · v₂`, `exp(v₁)`, `v₀^2`."""
    if len(inputs) == 2 and op in _INFIX:
        return inputs[0] + _INFIX[op] + inputs[1]
    if op.startswith("**") and len(inputs) == 1:
        return f"{inputs[0]}^{_exponent(float(op[2:]))}"
    if op == "neg" and len(inputs) == 1:
        return f"−{inputs[0]}"
    return f"{op}({', '.join(inputs)})"


@dataclass(frozen=True)
class TraceRow:
    """One line of a trace: `target op rule = numbers = value`.

    Forward: `v₃ = v₁ · v₂ = 6` (op "=", no numbers). Reverse: `v̄₁ += v̄₃ · v₂ = 2 · 3 = 6`,
    where `value` is this edge's contribution and `total` the adjoint so far; `step` is the
    sweep step that made it (the node the sweep visits)."""

    target: str
    op: str
    rule: str
    numbers: str
    value: Any
    total: Any = None
    step: int = 0
    first: bool = True

    def cells(self) -> list[str]:
        """The row as the table columns: step, target, op, rule, numbers, value, so far."""
        value = format_value(self.value)
        total = "" if self.first else format_value(self.total)
        return [str(self.step) if self.step else "", self.target, self.op, self.rule,
                self.numbers, value, total]


class TraceTable:
    """The forward primal trace and the reverse adjoint trace of one graph.

    `forward` and `reverse` are tuples of `TraceRow`; `text`, `markdown` and
    `_repr_html_()` lay them out; `str(table)` is the text. `sweep` is the replayed sweep
    (the same numbering as `draw_steps`)."""

    def __init__(self, sweep: Sweep, output_name: str) -> None:
        self.sweep = sweep
        self.forward = _forward_rows(sweep, output_name)
        self.reverse = _reverse_rows(sweep, output_name)

    # --- layouts ---------------------------------------------------------------------------

    @property
    def text(self) -> str:
        forward = [[r.target, "=", r.rule, "=", format_value(r.value)] for r in self.forward]
        reverse = []
        for r in self.reverse:
            _, target, op, rule, numbers, value, total = r.cells()
            line = [f"step {r.step}" if r.step else "", target, op, rule]
            line += ["=", numbers, "=", value] if numbers else ["=", value, "", ""]
            line.append(f"(so far {total})" if total else "")
            reverse.append(line)
        return ("Forward primal trace\n" + _columns(forward) + "\n\n"
                "Reverse adjoint trace (in the order backward() takes the steps)\n"
                + _columns(reverse))

    @property
    def markdown(self) -> str:
        lines = ["**Forward primal trace**", "", "| | | value |", "| --- | --- | --- |"]
        lines += [f"| {_md(r.target)} | = {_md(r.rule)} | {_md(format_value(r.value))} |"
                  for r in self.forward]
        lines += ["", "**Reverse adjoint trace**", "",
                  "| step | adjoint | rule | numbers | value | so far |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for r in self.reverse:
            step, target, op, rule, numbers, value, total = map(_md, r.cells())
            lines.append(f"| {step} | {target} {op} | {rule} | {numbers} | {value} | {total} |")
        return "\n".join(lines) + "\n"

    def _repr_html_(self) -> str:
        def row(cells: list[str]) -> str:
            return "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>"

        style = "border-collapse:collapse;font-family:monospace;margin:0 2em 0.5em 0"
        forward = "".join(row([r.target, "=", r.rule, format_value(r.value)])
                          for r in self.forward)
        reverse = "".join(row(r.cells()) for r in self.reverse)
        head = "<tr>" + "".join(f"<th>{h}</th>" for h in (
            "step", "adjoint", "", "rule", "numbers", "value", "so far")) + "</tr>"
        return ('<div class="autograd-lite-trace" style="display:flex;flex-wrap:wrap;'
                'align-items:flex-start"><style>.autograd-lite-trace td, .autograd-lite-trace '
                "th {padding:1px 0.5em;text-align:left;white-space:nowrap} "
                ".autograd-lite-trace caption {text-align:left;font-weight:bold;"
                "white-space:nowrap;padding-bottom:4px}</style>"
                f'<table style="{style}"><caption>Forward primal trace</caption>'
                f'<tr><th></th><th></th><th></th><th>value</th></tr>{forward}</table>'
                f'<table style="{style}"><caption>Reverse adjoint trace</caption>'
                f"{head}{reverse}</table></div>")

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return (f"<TraceTable: {len(self.forward)} forward lines, "
                f"{len(self.reverse)} reverse lines>")


def _forward_rows(sweep: Sweep, output_name: str) -> tuple[TraceRow, ...]:
    names, index = sweep.names, {id(n): i for i, n in enumerate(sweep.nodes)}
    inputs = [TraceRow(names[i], "=", sweep.nodes[i].label or "input", "",
                       sweep.nodes[i].data) for i in sweep.inputs]
    constants, ops = [], []
    for i, node in enumerate(sweep.nodes):
        if node._parents:
            args = [names[index[id(p)]] for p in node._parents]
            ops.append(TraceRow(names[i], "=", _expression(node._op, args), "", node.data))
        elif not sweep.is_input(i):
            constants.append(TraceRow(names[i], "=", "constant", "", node.data))
    out = TraceRow(output_name, "=", names[-1], "", sweep.root.data)
    return (*inputs, *constants, *ops, out)


def _reverse_rows(sweep: Sweep, output_name: str) -> tuple[TraceRow, ...]:
    names, nodes = sweep.names, sweep.nodes
    index = {id(node): i for i, node in enumerate(nodes)}
    bar = [_bar(name) for name in names]
    rows = [TraceRow(bar[-1], "=", "seed", "", sweep.seed, step=1)]
    for step in sweep.steps:
        child = nodes[step.node]
        args = [names[index[id(p)]] for p in child._parents]
        for e in step.edges:
            rule = adjoint_rule(child, e.position, args, names[e.child], bar[e.child])
            shape = getattr(e.contribution, "shape", ())
            if isinstance(child, Tensor) and shape != getattr(e.upstream, "shape", ()) \
                    and "⊙" in rule:  # broadcasting: the engine summed the share back
                rule += f", summed to {shape}"
            numbers = "" if e.local is None else \
                f"{format_value(e.upstream)} · {format_value(e.local)}"
            rows.append(TraceRow(bar[e.parent], "+=", rule, numbers, e.contribution, e.total,
                                 step.number, e.first))
    for i in sweep.inputs:  # the answers: x̄ = v̄₀ for every named input
        label = nodes[i].label
        if label and sweep.adjoints[i] is not None and i != len(nodes) - 1:  # not the root
            # x̄ for a short name (x, W, x1); ∂y/∂name for a longer one (0.weight)
            short = label[:1].isalpha() and len(label) <= 3
            target = _bar(label) if short else f"∂{output_name}/∂{label}"
            rows.append(TraceRow(target, "=", bar[i], "", sweep.adjoints[i],
                                 step=sweep.step_of(i) or 0))
    return tuple(rows)


def adjoint_rule(child: Node, position: int, args: list[str], out: str, adjoint: str) -> str:
    """The right-hand side of a reverse line: the child's adjoint times the local derivative
    (for Tensors, elementwise `⊙` where the op is elementwise, a matrix product for `@`)."""
    op = child._op
    if isinstance(child, Tensor):
        if op == "@" and all(p.ndim >= 2 for p in child._parents):
            return f"{adjoint} @ {args[1]}ᵀ" if position == 0 else f"{args[0]}ᵀ @ {adjoint}"
        local = local_derivative(op, position, args, out)
        if local.startswith("∂"):
            return f"{adjoint} · {local}"  # the VJP: the adjoint times the Jacobian
        times = "·" if child.ndim == 0 else "⊙"  # elementwise, unless all are scalars
        return f"{adjoint} {times} {_grouped(local)}"
    return f"{adjoint} · {_grouped(local_derivative(op, position, args, out))}"


def _grouped(local: str) -> str:
    """Brackets around a local derivative that is a sum or starts with a sign."""
    return f"({local})" if " + " in local or " − " in local or local[:1] == "−" else local


def _bar(name: str) -> str:
    """`v₁` -> `v̄₁`: the macron goes on the letter, before any subscript."""
    return name[0] + BAR + name[1:] if name else name


def _width(text: str) -> int:
    """Columns the text takes on a terminal (combining marks such as the macron take none)."""
    return sum(not unicodedata.combining(ch) for ch in text)


def _columns(rows: list[list[str]]) -> str:
    widths = [max((_width(r[k]) for r in rows), default=0) for k in range(len(rows[0]))] \
        if rows else []
    lines = []
    for r in rows:
        cells = [c + " " * (w - _width(c)) for c, w in zip(r, widths)]  # noqa: B905
        lines.append("  " + " ".join(cells).rstrip())
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def trace_table(root: Node, gradient: Any = None, inputs: Sequence[Node] = (),
                output: str | None = None, max_nodes: int = 200) -> TraceTable:
    """The evaluation trace of `root`'s graph: forward primal lines and reverse adjoint lines.

    Call it before `root.backward()` (or after `backward(retain_graph=True)`): it replays
    the sweep without changing any `.grad`. `gradient` seeds the sweep as in `backward`;
    `inputs` numbers those inputs first, in order (`inputs=(x1, x2)` gives v₋₁ = x1,
    v₀ = x2, as the textbooks); `output` names the result in the last forward line
    (default: its label, else `y`).
    """
    sweep = replay_backward(root, gradient, max_nodes, inputs, caller="trace_table")
    if output is not None and not isinstance(output, str):
        raise TypeError(f"trace_table: output must be a name (str), got {type(output).__name__}")
    return TraceTable(sweep, output or root.label or "y")
