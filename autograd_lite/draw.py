"""`draw_graph`: the computation graph behind a result, as a Graphviz diagram.

Each value is a record node and each op a small ellipse between its inputs and its output;
a value used k times by one op gets one arrow labelled ×k. A Value shows its label, data and
grad. A Tensor shows its name, shape and dtype (`(3, 2) float32`), its values (in full when
small, else their range) and its grad, and whether it is an input, a parameter (a leaf that
requires grad), a constant or the output, also by colour. A parameter is named by the
caller's `params=` mapping, else its `label`, else its state-dict name in the module that
used it (`0.weight`). Nodes recorded inside an `nn.Module`'s forward are boxed with the
module's name (`0: Linear(784→256)`), nested as the modules are; `collapse=` draws modules
as single nodes. Node ids follow the topological order, so the DOT source is the same on
every run.

Layout time is bounded: graphs of more than `max_nodes` values are refused with a message
that says how to draw them, every layout runs with `nslimit=1` (network simplex rounds per
node: unbounded, it dominated dense graphs), and when one value feeds ops at many depths
(`x*x*...*x`) its longest arrows are replaced by small copies of it next to the ops that use
it, so the layout never holds more than `LAYOUT_BUDGET` virtual points. The returned
`Diagram` is a `graphviz.Digraph` that renders with the system `dot` or, on a machine
without Graphviz, the `graphviz-pure` program (see `render.py`), inline in Jupyter and to
files, and stops a layout after `render.TIMEOUT` seconds.
"""

from __future__ import annotations

import bisect
import math
import os
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import graphviz
import numpy as np

from .graph import FREED, Node, toposort
from .render import TIMEOUT, run_dot, write_atomic
from .tensor import Tensor
from .value import Value

__all__ = ["draw_graph", "Diagram", "LAYOUT_BUDGET", "MAX_NODES"]

MAX_NODES = 500  # values drawn at most by default (the command line uses the same bound)
# Virtual points a layout may hold: dot routes an arrow that spans r ranks through r − 1
# invisible points, and its layout time grows faster than linearly in their number.
LAYOUT_BUDGET = 1500
_RANKDIRS = ("LR", "RL", "TB", "BT")
_COLORS = {"output": "lightblue", "parameter": "palegreen", "input": "lightgrey",
           "constant": "white"}
_MODULE_COLOR = "lightyellow"
_NO_GRAD = "—"  # shown before any backward reached the node (distinct from a zero gradient)
# DejaVu Sans: the system dot (through pango) and graphviz-pure both measure it exactly, and
# browsers without it fall back to a narrower sans, so record text never spills over.
_FONT = "DejaVu Sans"
_PAGE_WIDTH = 1200.0  # points: a left-to-right picture wider than this tries top to bottom


class Diagram(graphviz.Digraph):
    """A `graphviz.Digraph` whose rendering finds a layout program on any machine.

    `dpi` (set by `draw_graph(dpi=...)`, or per call) is the resolution of bitmap output
    (PNG, JPEG, GIF); SVG is unaffected. A layout is stopped after `timeout` seconds.
    """

    dpi: float | None = None

    def pipe(self, format: str | None = None, renderer: str | None = None,
             formatter: str | None = None, neato_no_op: bool | int | None = None,
             quiet: bool = False, *, engine: str | None = None,
             encoding: str | None = None, dpi: float | None = None,
             timeout: float | None = TIMEOUT) -> bytes | str:
        """The rendered diagram as bytes (or text, given `encoding`), e.g. `pipe("svg")`."""
        data = run_dot(self.source, format or self.format, engine or self.engine,
                       dpi=dpi or self.dpi, timeout=timeout)
        return data.decode(encoding) if encoding else data

    def render(self, filename: str | os.PathLike[str] | None = None,
               directory: str | os.PathLike[str] | None = None, view: bool = False,
               cleanup: bool = False, format: str | None = None, *,
               outfile: str | os.PathLike[str] | None = None, engine: str | None = None,
               quiet: bool = False, dpi: float | None = None,
               timeout: float | None = TIMEOUT) -> str:
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
        write_atomic(target, run_dot(self.source, format, engine or self.engine,
                                     dpi=dpi or self.dpi, timeout=timeout))
        if view:
            self._view(str(target), format=format, quiet=quiet)
        return str(target)


# --- text of a record ------------------------------------------------------------------------

def _number(x: float) -> str:
    x += 0.0  # -0.0 becomes 0.0: "-0.0000" would suggest a tiny negative number
    if math.isnan(x) or math.isinf(x) or x == 0 or 1e-3 <= abs(x) < 1e5:
        text = f"{x:.4f}"
    else:
        text = f"{x:.3e}"
    return "0.0000" if text == "-0.0000" else text


def _escape(text: str) -> str:
    """Text safe inside a record label (Graphviz gives `{ } | < >` and quotes a meaning).
    Labels are checked to be str when a node is made, but `.label` may be reassigned later:
    anything else is drawn as its str() rather than failing the whole diagram."""
    text = text if isinstance(text, str) else str(text)
    for ch in '\\{}|<>"':
        text = text.replace(ch, "\\" + ch)
    return text


def _short(x: float) -> str:
    text = f"{x + 0.0:.4g}"
    return "0" if text == "-0" else text


def _summary(array: np.ndarray) -> str:
    """Small tensors in full, larger ones as their range."""
    if array.size <= 6:
        return "[" + ", ".join(_short(float(v)) for v in array.ravel()) + "]"
    return f"[{_number(float(array.min()))} … {_number(float(array.max()))}]"


def _value_fields(node: Value, name: str, show_data: bool, show_grad: bool) -> list[str]:
    fields = [_escape(name)] if name else []
    if show_data:
        fields.append(f"data {_number(node.data)}")
    if show_grad:
        fields.append(f"grad {_NO_GRAD if node.grad is None else _number(node.grad)}")
    return fields


def _tensor_fields(node: Tensor, name: str, role: str, show_data: bool,
                   show_grad: bool) -> list[str]:
    name = _escape(name)
    title = f"{name} ({role})" if name and role else name or role
    fields = [title] if title else []
    fields.append(f"{tuple(node.shape)} {node.dtype}")
    if show_data:
        fields.append(f"data {_escape(_summary(node.data))}")
    if show_grad and node.requires_grad:
        grad = node.grad
        if grad is not None:
            shown = _escape(_summary(np.asarray(grad.data if isinstance(grad, Tensor) else grad)))
        elif node._parents and node._rule is FREED and not node._retains_grad:
            shown = "not kept"  # backward ran, but kept only the leaves' (retain_grads)
        else:
            shown = _NO_GRAD
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


def _record(node: Node, name: str, root: Node, show_data: bool,
            show_grad: bool) -> tuple[list[str], dict[str, str]]:
    """The fields of a value's record and its style."""
    role = _role(node, root)
    if isinstance(node, Value):
        fields = _value_fields(node, name, show_data, show_grad)
    elif isinstance(node, Tensor):
        fields = _tensor_fields(node, name, role, show_data, show_grad)
    else:
        raise TypeError(f"draw_graph: cannot draw a node of type {type(node).__name__}")
    style = {"style": "filled", "fillcolor": _COLORS[role]} if role else {}
    return fields or [" "], style


def _label(fields: list[str]) -> str:
    return "{ " + " | ".join(fields) + " }"


# --- modules: the spans `nn.Module.__call__` leaves on its outputs ------------------------------

class _Span:
    """One module call: the creation numbers it covers, its module, the tensor it returned."""

    __slots__ = ("first", "last", "module", "out", "parent", "children", "depth", "index")

    def __init__(self, first: int, last: int, module: Any, out: Node) -> None:
        self.first, self.last, self.module, self.out = first, last, module, out
        self.parent: _Span | None = None
        self.children: list[_Span] = []
        self.depth = 0
        self.index = 0


def _spans(order: list[Node]) -> list[_Span]:
    """The module calls recorded on the graph's tensors, outermost first, nested as called."""
    found: dict[tuple[int, int], _Span] = {}
    for node in order:
        for first, last, module in getattr(node, "_spans", ()):
            if (first, last) not in found:  # a module returning a tuple marks each item
                found[first, last] = _Span(first, last, module, node)
    spans = sorted(found.values(), key=lambda s: (s.first, -s.last))
    stack: list[_Span] = []
    for span in spans:
        while stack and not (stack[-1].first < span.first and span.last < stack[-1].last):
            stack.pop()  # not inside the top: calls nest, so it is done
        if stack:
            span.parent, span.depth = stack[-1], stack[-1].depth + 1
            stack[-1].children.append(span)
        stack.append(span)
    return spans


def _members(order: list[Node], spans: list[_Span]) -> dict[int, _Span]:
    """id(node) → the innermost span whose call recorded it (or, for a parameter, whose
    module owns it)."""
    numbered = [n for n in order if n._numbered and n._seq]  # `order` is sorted by number
    seqs = [n._seq for n in numbered]
    inside: dict[int, _Span] = {}
    for span in spans:  # outer before inner: an inner call overwrites its own nodes
        lo, hi = bisect.bisect_right(seqs, span.first), bisect.bisect_left(seqs, span.last)
        for node in numbered[lo:hi]:
            inside[id(node)] = span
    drawn = {id(n) for n in order}
    for span in spans:  # a parameter sits in the first call of the module that owns it
        for p in getattr(span.module, "_parameters", {}).values():
            if id(p) in drawn and id(p) not in inside:
                inside[id(p)] = span
    return inside


def _module_names(spans: list[_Span]) -> tuple[dict[int, str], dict[int, str]]:
    """Names relative to each outermost module called: id(module) → `0`, `encoder.fc1`, ...
    and id(parameter) → its state-dict name (`0.weight`)."""
    modules: dict[int, str] = {}
    params: dict[int, str] = {}
    for span in spans:
        if span.parent is not None:
            continue
        named_modules = getattr(span.module, "named_modules", None)
        for name, m in named_modules() if named_modules else ():
            modules.setdefault(id(m), name)
        named_parameters = getattr(span.module, "named_parameters", None)
        for name, p in named_parameters() if named_parameters else ():
            params.setdefault(id(p), name)
    return modules, params


def _span_title(span: _Span, names: dict[int, str]) -> str:
    module = span.module
    label = getattr(module, "diagram_label", None)
    text = label() if callable(label) else type(module).__name__
    name = names.get(id(module), "")
    return f"{name}: {text}" if name else text


def _collapsed(spans: list[_Span], collapse: bool | int) -> list[_Span]:
    """The spans drawn as one node: with True, every call that called no other module;
    with an int d, every call at nesting depth d (0: the outermost)."""
    if collapse is False or collapse is None:
        return []
    if collapse is True:
        return [s for s in spans if not s.children]
    return [s for s in spans if s.depth == collapse]


# --- the DOT graph ---------------------------------------------------------------------------

def _ranks(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Each node's distance in ranks from the output, laid out as late as possible (the
    placement dot's ranking gives a value used by several ops: next to its earliest use)."""
    users: dict[str, list[str]] = {n: [] for n in nodes}
    pending = dict.fromkeys(nodes, 0)
    for tail, head in edges:
        users[head].append(tail)
        pending[tail] += 1
    rank = dict.fromkeys(nodes, 0)
    ready = [n for n in nodes if not pending[n]]
    while ready:
        head = ready.pop()
        for tail in users[head]:
            rank[tail] = max(rank[tail], rank[head] + 1)
            pending[tail] -= 1
            if not pending[tail]:
                ready.append(tail)
    return rank


def _long_edges(nodes: list[str], edges: list[tuple[str, str]]) -> set[int]:
    """Indices of the edges to draw as copies of their tail: the longest ones, until the
    virtual points of the rest fit `LAYOUT_BUDGET` (normally none)."""
    rank = _ranks(nodes, edges)
    spans = [max(rank[t] - rank[h] - 1, 0) for t, h in edges]
    excess = sum(spans) - LAYOUT_BUDGET
    cut: set[int] = set()
    for i in sorted(range(len(edges)), key=lambda i: -spans[i]):
        if excess <= 0 or spans[i] <= 1:
            break
        cut.add(i)
        excess -= spans[i]
    return cut


def _text_size(fields: list[str], horizontal: bool) -> tuple[float, float]:
    """A record's size in points, roughly (DejaVu Sans 11: about 7 pt a character)."""
    widths = [7.0 * len(f) + 16 for f in fields]
    if horizontal:
        return sum(widths), 36.0
    return max(widths), 19.0 * len(fields) + 8


def _choose_rankdir(sizes: dict[str, list[str]], rank: dict[str, int]) -> str:
    """Left to right unless that picture would be wider than a page and top to bottom
    would need less shrinking to fit one (wide, deep graphs read better downwards)."""
    def extent(horizontal: bool) -> tuple[float, float]:
        across: dict[int, float] = {}  # per rank: the widest node, along the flow
        stacked: dict[int, float] = {}  # per rank: the nodes side by side
        for node, r in rank.items():
            fields = sizes.get(node)
            w, h = _text_size(fields, horizontal) if fields else (30.0, 30.0)
            along, side = (w, h) if horizontal else (h, w)
            across[r] = max(across.get(r, 0.0), along)
            stacked[r] = stacked.get(r, 0.0) + side + 18
        return sum(across.values()) + 36 * len(across), max(stacked.values(), default=0.0)

    length, side = extent(True)  # LR: the flow is the width
    if length <= _PAGE_WIDTH:
        return "LR"
    tb_length, tb_side = extent(False)
    lr_scale = max(length / _PAGE_WIDTH, side / 800)
    tb_scale = max(tb_side / _PAGE_WIDTH, tb_length / 800)
    return "TB" if tb_scale < lr_scale else "LR"


def _check_arguments(root: Any, rankdir: str | None, max_nodes: Any, params: Any,
                     collapse: Any, dpi: Any) -> None:
    if not isinstance(root, Node):
        raise TypeError(f"draw_graph: expected a Value or Tensor, got {type(root).__name__}")
    if rankdir is not None and rankdir not in _RANKDIRS:
        raise ValueError(f"draw_graph: rankdir must be one of {', '.join(_RANKDIRS)} (or None "
                         f"to choose from the graph's shape), got {rankdir!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be a positive int, got {max_nodes!r}")
    if params is not None and not (isinstance(params, Mapping) and all(
            isinstance(k, str) and isinstance(v, Node) for k, v in params.items())):
        raise TypeError("draw_graph: params must map names to Tensors or Values, e.g. "
                        "dict(model.named_parameters())")
    if collapse is not None and not isinstance(collapse, bool) and (
            not isinstance(collapse, int) or collapse < 0):
        raise ValueError(f"draw_graph: collapse must be True, False or a depth >= 0, "
                         f"got {collapse!r}")
    if dpi is not None and (isinstance(dpi, bool) or not isinstance(dpi, (int, float))
                            or not dpi > 0):
        raise ValueError(f"draw_graph: dpi must be a positive number, got {dpi!r}")


def draw_graph(root: Node, rankdir: str | None = None, show_data: bool = True,
               show_grad: bool = True, max_nodes: int = MAX_NODES,
               params: Mapping[str, Node] | None = None, collapse: bool | int = False,
               dpi: float | None = None) -> Diagram:
    """Diagram of every value and op that `root` was computed from.

    `rankdir` is Graphviz's direction (LR, RL, TB, BT); None chooses from the graph's
    shape (left to right unless that is much wider than a page). `params` names tensors as
    torchviz's `make_dot(params=...)` does, e.g. `dict(model.named_parameters())`; without
    it a parameter of a module that was called is named by its state-dict name. Module
    calls are boxed; `collapse=True` draws each innermost module call as one node, and
    `collapse=d` each call at nesting depth d (0: the outermost module). Graphs of more than
    `max_nodes` values (after collapsing) are refused: their layout is slow and unreadable.
    `dpi` is the resolution of PNG (and other bitmap) output.
    """
    _check_arguments(root, rankdir, max_nodes, params, collapse, dpi)
    order = toposort(root)
    spans = _spans(order) if root._numbered else []
    inside = _members(order, spans) if spans else {}
    folded = _collapsed(spans, collapse)
    hidden: dict[int, _Span] = {}  # id(span) of a collapsed call's descendants → that call
    for span in folded:
        stack = [span]
        while stack:
            s = stack.pop()
            hidden[id(s)] = span
            stack.extend(s.children)
    shown_values = sum(1 for n in order if id(inside.get(id(n))) not in hidden)
    if shown_values + len(folded) > max_nodes:
        hint = ("draw each module as one node with collapse=True (or collapse=1, the top "
                "module's children), ") if spans and not folded else ""
        raise ValueError(
            f"draw_graph: the graph has {shown_values + len(folded)} values, more than "
            f"max_nodes={max_nodes}: its layout would be slow and hard to read. To draw it, "
            f"{hint}call draw_graph on an intermediate result to draw a smaller part, or pass "
            f"max_nodes={shown_values + len(folded)} to draw it anyway")

    module_names, state_names = _module_names(spans)
    names = {id(t): name for name, t in params.items()} if params else {}
    for node in order:  # the caller's names first, then labels, then state-dict names
        if id(node) not in names:
            label = node.label
            names[id(node)] = str(label) if label else state_names.get(id(node), "")
    for i, span in enumerate(spans):
        span.index = i

    ids = {id(node): f"v{i}" for i, node in enumerate(order)}
    place: dict[str, _Span | None] = {}  # DOT node → the box it is drawn in (None: none)
    fields_of: dict[str, list[str]] = {}
    styles: dict[str, dict[str, str]] = {}
    edges: list[tuple[str, str]] = []
    folded_id = {id(s): f"m{s.index}" for s in folded}

    def drawn_as(node: Node) -> str:
        span = inside.get(id(node))
        owner = hidden.get(id(span)) if span is not None else None
        return folded_id[id(owner)] if owner is not None else ids[id(node)]

    for span in folded:
        nid = folded_id[id(span)]
        out = span.out
        fields_of[nid] = [_escape(_span_title(span, module_names)),
                          f"out {tuple(out.shape)} {out.dtype}"]
        styles[nid] = {"style": "filled,rounded", "fillcolor": _MODULE_COLOR}
        place[nid] = span.parent

    for node in order:
        me = drawn_as(node)
        span = inside.get(id(node))
        if me == ids[id(node)]:
            fields, style = _record(node, names.get(id(node), ""), root, show_data, show_grad)
            fields_of[me], styles[me] = fields, style
            place[me] = span
        if not node._parents:
            continue
        if me != ids[id(node)]:  # inside a collapsed call: only edges into it are drawn
            edges.extend((drawn_as(p), me) for p in node._parents if drawn_as(p) != me)
            continue
        op = f"{me}_op"
        place[op] = span
        styles[op] = {}
        edges.append((op, me))
        edges.extend((drawn_as(p), op) for p in node._parents)

    # parallel edges (`x * x`, a collapsed call used twice) become one arrow labelled ×k
    counts = Counter(edges)
    edges = list(counts)
    nodes = list(place)
    cut = _long_edges(nodes, edges)
    rank = _ranks(nodes, edges)
    if rankdir is None:
        rankdir = _choose_rankdir(fields_of, rank)

    dot = Diagram(name="autograd_lite", format="svg",
                  graph_attr={"rankdir": rankdir, "nslimit": "1",
                              "fontname": _FONT, "fontsize": "11"},
                  node_attr={"fontname": _FONT, "fontsize": "11", "margin": "0.12,0.06"},
                  edge_attr={"arrowsize": "0.7", "fontname": _FONT, "fontsize": "10"})
    dot.dpi = dpi
    copies: list[tuple[str, str, str]] = []  # (copy id, tail, head) for each cut edge
    for i in sorted(cut):
        tail, head = edges[i]
        copies.append((f"{tail}_use{i}", tail, head))
        place[f"{tail}_use{i}"] = place[head]

    def emit(nid: str) -> None:
        if nid.endswith("_op"):
            node = order[int(nid[1:-3])]
            dot.node(nid, _escape(node._op), shape="ellipse", fontsize="10",
                     width="0.3", height="0.3", margin="0.03,0.02")
        elif "_use" in nid:
            tail = nid.split("_use")[0]
            dot.node(nid, _escape(fields_of[tail][0]), shape="box", style="dashed,rounded",
                     fontsize="10", tooltip=f"the same node as {tail}, drawn again here "
                     "so the layout stays fast")
        else:
            dot.node(nid, _label(fields_of[nid]), shape="record", **styles[nid])

    by_box: dict[int | None, list[str]] = {}
    for nid, span in place.items():
        by_box.setdefault(None if span is None else span.index, []).append(nid)
    for nid in by_box.get(None, []):
        emit(nid)
    # boxes, nested as the calls were: an iterative walk that closes each box after its
    # children (a `None` marker on the stack)
    stack: list[_Span | None] = [s for s in reversed(spans)
                                 if s.parent is None and id(s) not in hidden]
    while stack:
        span = stack.pop()
        if span is None:
            dot.body.append("\t}\n")
            continue
        if id(span) in hidden or not _has_nodes(span, by_box):
            continue
        title = _span_title(span, module_names).replace("\\", "\\\\").replace('"', '\\"')
        dot.body.append(f"\tsubgraph cluster_{span.index} {{\n")
        dot.body.append(f'\t\tlabel="{title}" style="rounded,dashed" color=gray40 '
                        f'fontcolor=gray20 labeljust=l\n')
        for nid in by_box.get(span.index, []):
            emit(nid)
        stack.append(None)
        stack.extend(reversed([c for c in span.children if id(c) not in hidden]))
    for i, (tail, head) in enumerate(edges):
        if i in cut:
            continue
        k = counts[tail, head]
        if k > 1:
            dot.edge(tail, head, xlabel=f"×{k}")
        else:
            dot.edge(tail, head)
    for copy, _, head in copies:
        k = counts[copy.split("_use")[0], head]
        if k > 1:
            dot.edge(copy, head, xlabel=f"×{k}")
        else:
            dot.edge(copy, head)
    return dot


def _has_nodes(span: _Span, by_box: dict[int | None, list[str]]) -> bool:
    """Whether a box would hold any node, directly or in a box inside it."""
    stack = [span]
    while stack:
        s = stack.pop()
        if by_box.get(s.index):
            return True
        stack.extend(s.children)
    return False
