"""`draw_graph`: the computation graph behind a result, as a Graphviz diagram.

Each value is a record node and each op a small ellipse between its inputs and its output;
every edge is kept (`a + a` draws two arrows). A Value shows its label, data and grad. A
Tensor shows its label, shape and dtype (`(3, 2) float32`), its values (in full when small,
else their range) and its grad, and whether it is an input, a parameter (a leaf that
requires grad), a constant or the output, also by colour. Node ids follow the topological
order, so the DOT source is the same on every run. The returned `Diagram` is a
`graphviz.Digraph` that renders with the system `dot` or, on a machine without Graphviz, the
`graphviz-pure` program (see `render.py`), inline in Jupyter and to files.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import graphviz
import numpy as np

from .graph import Node, toposort
from .render import run_dot, write_atomic
from .tensor import Tensor
from .value import Value

__all__ = ["draw_graph", "Diagram"]

_RANKDIRS = ("LR", "RL", "TB", "BT")
_COLORS = {"output": "lightblue", "parameter": "palegreen", "input": "lightgrey",
           "constant": "white"}
_NO_GRAD = "—"  # shown before any backward reached the node (distinct from a zero gradient)


class Diagram(graphviz.Digraph):
    """A `graphviz.Digraph` whose rendering finds a layout program on any machine."""

    def pipe(self, format: str | None = None, renderer: str | None = None,
             formatter: str | None = None, neato_no_op: bool | int | None = None,
             quiet: bool = False, *, engine: str | None = None,
             encoding: str | None = None) -> bytes | str:
        """The rendered diagram as bytes (or text, given `encoding`), e.g. `pipe("svg")`."""
        data = run_dot(self.source, format or self.format, engine or self.engine)
        return data.decode(encoding) if encoding else data

    def render(self, filename: str | os.PathLike[str] | None = None,
               directory: str | os.PathLike[str] | None = None, view: bool = False,
               cleanup: bool = False, format: str | None = None, *,
               outfile: str | os.PathLike[str] | None = None, engine: str | None = None,
               quiet: bool = False) -> str:
        """Write the diagram to a file and return its path.

        As in `graphviz`: `render("g", format="svg")` saves the DOT source as `g` and the
        picture as `g.svg`; `render(outfile="g.png")` writes the picture at exactly that path
        (the format follows the suffix). The picture is written atomically.
        """
        if outfile is not None:
            target = Path(directory or "", outfile)
            format = format or target.suffix.lstrip(".") or self.format
            if filename is not None:
                self.save(filename, directory=directory)
        else:
            format = format or self.format
            source = Path(self.save(filename, directory=directory))
            target = source.with_name(f"{source.name}.{format}")
            if cleanup:
                source.unlink()
        write_atomic(target, run_dot(self.source, format, engine or self.engine))
        if view:
            self._view(str(target), format=format, quiet=quiet)
        return str(target)


def _number(x: float) -> str:
    if math.isnan(x) or math.isinf(x) or x == 0 or 1e-3 <= abs(x) < 1e5:
        return f"{x:.4f}"
    return f"{x:.3e}"


def _escape(text: str) -> str:
    """Text safe inside a record label (Graphviz gives `{ } | < >` and quotes a meaning).
    Labels are checked to be str when a node is made, but `.label` may be reassigned later:
    anything else is drawn as its str() rather than failing the whole diagram."""
    text = text if isinstance(text, str) else str(text)
    for ch in '\\{}|<>"':
        text = text.replace(ch, "\\" + ch)
    return text


def _summary(array: np.ndarray) -> str:
    """Small tensors in full, larger ones as their range."""
    if array.size <= 6:
        return "[" + ", ".join(f"{float(v):.4g}" for v in array.ravel()) + "]"
    return f"[{_number(float(array.min()))} … {_number(float(array.max()))}]"


def _value_fields(node: Value, show_data: bool, show_grad: bool) -> list[str]:
    fields = [_escape(node.label)] if node.label else []
    if show_data:
        fields.append(f"data {_number(node.data)}")
    if show_grad:
        fields.append(f"grad {_NO_GRAD if node.grad is None else _number(node.grad)}")
    return fields


def _tensor_fields(node: Tensor, role: str, show_data: bool, show_grad: bool) -> list[str]:
    name = f"{_escape(node.label)} ({role})" if node.label and role else \
        _escape(node.label) or role
    fields = [name] if name else []
    fields.append(f"{tuple(node.shape)} {node.dtype}")
    if show_data:
        fields.append(f"data {_escape(_summary(node.data))}")
    if show_grad and node.requires_grad:
        grad = node.grad
        shown = _NO_GRAD if grad is None else _escape(_summary(np.asarray(
            grad.data if isinstance(grad, Tensor) else grad)))
        fields.append(f"grad {shown}")
    return fields


def _role(node: Node, root: Node) -> str:
    """What a tensor is in the picture: the output, a parameter, an input, or neither."""
    if node is root:
        return "output"
    if isinstance(node, Tensor) and not node._parents:
        if node.requires_grad:
            return "parameter"
        return "constant" if node.ndim == 0 and not node.label else "input"
    return ""


def _record(node: Node, root: Node, show_data: bool, show_grad: bool) -> tuple[str, dict]:
    """The record label of a value and its style."""
    role = _role(node, root)
    if isinstance(node, Value):
        fields = _value_fields(node, show_data, show_grad)
    elif isinstance(node, Tensor):
        fields = _tensor_fields(node, role, show_data, show_grad)
    else:
        raise TypeError(f"draw_graph: cannot draw a node of type {type(node).__name__}")
    style = {"style": "filled", "fillcolor": _COLORS[role]} if role else {}
    return "{ " + " | ".join(fields or [" "]) + " }", style


def draw_graph(root: Node, rankdir: str = "LR", show_data: bool = True, show_grad: bool = True,
               max_nodes: int = 500) -> Diagram:
    """Diagram of every value and op that `root` was computed from.

    `rankdir` is Graphviz's direction (LR, RL, TB, BT). Graphs with more than `max_nodes`
    values are refused, since a layout that large takes long and reads badly.
    """
    if rankdir not in _RANKDIRS:
        raise ValueError(f"draw_graph: rankdir must be one of {', '.join(_RANKDIRS)}, "
                         f"got {rankdir!r}")
    if not isinstance(root, Node):
        raise TypeError(f"draw_graph: expected a Value or Tensor, got {type(root).__name__}")
    order = toposort(root)
    if len(order) > max_nodes:
        raise ValueError(
            f"draw_graph: the graph has {len(order)} values, more than max_nodes={max_nodes}. "
            f"Pass max_nodes={len(order)} to draw it anyway (layout gets slow), or draw a "
            "smaller part (e.g. one neuron) by calling draw_graph on an intermediate result.")
    ids = {id(node): f"v{i}" for i, node in enumerate(order)}
    dot = Diagram(name="autograd_lite", format="svg",
                  graph_attr={"rankdir": rankdir},
                  node_attr={"fontname": "Helvetica", "fontsize": "11"},
                  edge_attr={"arrowsize": "0.7"})
    for node in order:
        nid = ids[id(node)]
        label, style = _record(node, root, show_data, show_grad)
        dot.node(nid, label, shape="record", **style)
        if node._parents:
            op = f"{nid}_op"
            dot.node(op, _escape(node._op), shape="ellipse", fontsize="10",
                     width="0.3", height="0.3", margin="0.03,0.02")
            dot.edge(op, nid)
            for parent in node._parents:  # one edge per use: `a + a` keeps both
                dot.edge(ids[id(parent)], op)
    return dot
