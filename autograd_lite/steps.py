"""`draw_steps`: the backward pass drawn step by step, as frames a learner walks through.

One diagram of the graph (values as records, ops as small ellipses, as `draw_graph` draws
them) in which every value is named as in the trace tables (v₋₁, v₀, v₁ …) and numbered
`#k` by the step in which the sweep visits it, and every edge is labelled with what it
carries back: the child's adjoint times the local derivative, and the product
(`#2 v̄₃ · v₂ = 1 · 3 = 3`). Arrows point the way the adjoints flow, towards the inputs.

Frame 0 is the graph after the forward pass; frame k shows steps 1 … k: the node visited
in step k and its edges are highlighted, adjoints and edge labels of later steps are hidden.
The layout is computed once (`render.run_dot`) and every frame is that same SVG with its
own stylesheet, so nothing moves between frames and the frames cost no further layout. In
Jupyter the view is a self-contained HTML player (buttons and a slider, a little
JavaScript): it needs no kernel and no widget library, so it also works in a static HTML
export of the notebook. `StepView.write(folder)` writes one SVG per frame.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .graph import Node
from .render import run_dot, write_atomic
from .sweep import Sweep, format_value, replay_backward
from .tensor import Tensor
from .trace import BAR, adjoint_rule

__all__ = ["StepView", "draw_steps"]

_RANKDIRS = ("LR", "RL", "TB", "BT")
_CURRENT = "#ffd27a"  # the node the sweep visits in this frame
_DONE = "#dcefd2"  # visited: its adjoint is complete
_EDGE = "#c0392b"  # the edges that carry adjoints in this frame
_LABELLED_EDGES = 24  # more: a layout bounded in time (see _dot)
_ADJ_TEXT = re.compile(r"<text ([^>]*)>v" + BAR)  # a node's adjoint field (see _record)


def _escape(text: str) -> str:
    """Text safe inside a record label (Graphviz gives `{ } | < >` and quotes a meaning)."""
    for ch in '\\{}|<>"':
        text = text.replace(ch, "\\" + ch)
    return text


def _quoted(text: str) -> str:
    """Text safe inside a quoted DOT string (edge and graph labels)."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


class StepView:
    """The frames of one backward pass. Frame 0: the forward pass; frame k: after step k.

    `source` is the DOT text, `svg(k)` frame k as SVG, `write(folder)` every frame to
    `folder/step_00.svg` …, and in Jupyter the view displays as a player over the frames
    (`html()`). `sweep` is the replayed backward pass the labels come from."""

    def __init__(self, sweep: Sweep, rankdir: str) -> None:
        self.sweep = sweep
        self.source = _dot(sweep, rankdir)
        self._layout: str | None = None
        self.captions = [_caption(sweep, k) for k in range(self.frames)]

    @property
    def frames(self) -> int:
        """How many frames: the forward picture and one per step of the sweep."""
        return len(self.sweep.steps) + 1

    def _laid_out(self) -> str:
        if self._layout is None:  # one layout for every frame, made on first use
            svg = run_dot(self.source, "svg").decode()
            svg = _ADJ_TEXT.sub(r'<text class="adj" \1>v' + BAR, svg)
            self._layout = _CAPTION_TEXT.sub(_caption_at_left, svg, count=1)
        return self._layout

    def _check(self, frame: Any) -> int:
        if isinstance(frame, bool) or not isinstance(frame, int):
            raise TypeError(f"StepView: frame must be an int, got {type(frame).__name__}")
        if not -self.frames <= frame < self.frames:
            raise ValueError(f"StepView: frame must be from 0 to {self.frames - 1} "
                             f"(there are {self.frames} frames), got {frame}")
        return frame % self.frames

    def css(self, frame: int, scope: str = "") -> str:
        """The stylesheet that turns the one layout into frame `frame` (`scope`, e.g.
        `"#some-id "`, limits it to the elements inside that one)."""
        return _css(self.sweep, self._check(frame), scope)

    def svg(self, frame: int = -1) -> str:
        """Frame `frame` (default: the last, every adjoint shown) as a standalone SVG.

        Its stylesheet is scoped to its own id (a hash of the diagram and the frame): a
        stylesheet inside an inline SVG applies to the whole page it is shown in."""
        frame = self._check(frame)
        svg = self._laid_out().replace(_PLACEHOLDER, html.escape(self.captions[frame]))
        digest = hashlib.sha1(f"{self.source}{frame}".encode()).hexdigest()[:12]
        uid = f"autograd-lite-frame-{digest}"
        return _with_style(svg, self.css(frame, f"#{uid} "), uid)

    def write(self, folder: str | os.PathLike[str], prefix: str = "step") -> list[Path]:
        """Write every frame as `folder/{prefix}_00.svg`, `_01` … (the folder is made if
        needed) and remove older frames of that name that are not part of this view (a
        longer backward pass written there before); returns the paths in frame order."""
        if not isinstance(prefix, str) or not re.fullmatch(r"[\w.-]+", prefix):
            raise ValueError("StepView.write: prefix must be a file name without a folder, "
                             f"got {prefix!r}")
        target = Path(folder)
        if target.exists() and not target.is_dir():
            raise ValueError(f"StepView.write: {target} exists and is not a folder")
        target.mkdir(parents=True, exist_ok=True)
        digits = max(2, len(str(self.frames - 1)))
        paths = []
        for k in range(self.frames):
            path = target / f"{prefix}_{k:0{digits}d}.svg"
            write_atomic(path, self.svg(k).encode())
            paths.append(path)
        ours = re.compile(re.escape(prefix) + r"_\d+\.svg")
        for stale in set(target.iterdir()) - set(paths):
            if ours.fullmatch(stale.name) and stale.is_file():
                stale.unlink()
        return paths

    def html(self, start: int = 0) -> str:
        """A self-contained player: the diagram with ◀ / ▶ buttons and a slider over the
        frames. Without JavaScript it shows the last frame. `#step=K` in the page's address
        opens every player at frame K."""
        start = self._check(start)
        # a random id: players made by different kernels can share a page, and their
        # stylesheets apply page-wide
        uid = f"autograd-lite-steps-{secrets.token_hex(4)}"
        last = self.frames - 1
        frames = [self.css(k, f"#{uid} ") for k in range(self.frames)]
        svg = self._laid_out().replace(_PLACEHOLDER, html.escape(self.captions[last]))
        script = _PLAYER_JS.replace("UID", uid).replace("FRAMES", _js(frames)) \
            .replace("CAPTIONS", _js(self.captions)).replace("START", str(start))
        return (f'<div id="{uid}" class="autograd-lite-steps">'
                f'<style class="frame-style">{frames[last]}</style>'
                f'<div class="controls" style="font-family:sans-serif;margin:4px 0">'
                f'<button class="prev" type="button">◀ back</button> '
                f'<input class="slider" type="range" min="0" max="{last}" value="{last}" '
                f'style="vertical-align:middle;width:12em"> '
                f'<button class="next" type="button">next ▶</button> '
                f'<span class="counter">frame {last} of {last}</span></div>'
                f'<div class="picture">{_strip_prolog(svg)}</div>'
                f"<script>{script}</script></div>")

    def _repr_html_(self) -> str:
        return self.html()

    def __repr__(self) -> str:
        return f"<StepView: {self.frames} frames, {len(self.sweep.nodes)} values>"


# --- the diagram -----------------------------------------------------------------------------

_PLACEHOLDER = "\u2063CAPTION\u2063"  # invisible separators: cannot occur in a caption
_CAPTION_TEXT = re.compile(r"<text([^>]*)>M+</text>")  # the graph label: see _dot


def _caption_at_left(match: re.Match[str]) -> str:
    """The graph label's text element, marked as the caption and anchored at the left edge
    (its text changes with the frame; Graphviz centred the placeholder)."""
    attributes = re.sub(r'text-anchor="middle" x="[^"]*"', 'text-anchor="start" x="4"',
                        match.group(1))
    return f'<text class="caption"{attributes}>{_PLACEHOLDER}</text>'


def _dot(sweep: Sweep, rankdir: str) -> str:
    nodes, names = sweep.nodes, sweep.names
    index = {id(n): i for i, n in enumerate(nodes)}
    longest = max((len(c) for c in (_caption(sweep, k) for k in range(len(sweep.steps) + 1))),
                  default=0)
    lines = ["digraph autograd_lite_steps {",
             # the graph label is the caption: laid out once at the widest caption's size
             f'  graph [rankdir={rankdir} labelloc=t labeljust=l fontname=Helvetica '
             f'fontsize=12 label="{"M" * (longest * 3 // 4)}"]',
             '  node [fontname=Helvetica fontsize=11]',
             '  edge [fontname=Helvetica fontsize=9 arrowsize=0.7 dir=back]']
    flows = {(e.child, e.position): (s.number, e) for s in sweep.steps for e in s.edges}
    # Edge labels are laid out as nodes of their own, and dot's time grows steeply with them
    # where one value has many uses (x*x*…*x with 60 uses: 19 s). Past `_LABELLED_EDGES`
    # edges, labels are placed after the layout (`xlabel`) and dot's crossing minimisation
    # is bounded (`nslimit`, `mclimit`): the same graph then takes 0.6 s.
    compact = len(flows) > _LABELLED_EDGES
    if compact:
        lines[1] = lines[1].replace("graph [", "graph [nslimit=2 nslimit1=2 mclimit=0.2 ")
    label_attribute = "xlabel" if compact else "label"
    for i, node in enumerate(nodes):
        lines.append(f'  n{i} [shape=record class="n{i}" label="{_record(sweep, i, rankdir)}"]')
        if not node._parents:
            continue
        lines.append(f'  o{i} [shape=ellipse class="o{i}" fontsize=10 width=0.3 height=0.3 '
                     f'margin="0.03,0.02" label="{_quoted(node._op)}"]')
        lines.append(f'  o{i} -> n{i} [class="f{i}"]')
        args = [names[index[id(p)]] for p in node._parents]
        for position, parent in enumerate(node._parents):
            flow = flows.get((i, position))
            label = f' {label_attribute}="{_edge_label(sweep, node, args, *flow)}"' \
                if flow else ""
            lines.append(f'  n{index[id(parent)]} -> o{i} [class="e{i}_{position}"{label}]')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _record(sweep: Sweep, i: int, rankdir: str) -> str:
    """A value's record: its name and sweep number, its data, and its adjoint (the field
    that starts with v̄, which the frames before its visit hide), stacked vertically so
    that the edge labels have room (braces turn a record's fields across the rank)."""
    node, name = sweep.nodes[i], sweep.names[i]
    step = sweep.step_of(i)
    title = f"#{step}  {name}" if step else name
    if node.label and node.label != name:
        title += f"  {node.label}"
    fields = [title]
    if isinstance(node, Tensor):
        fields.append(f"{tuple(node.shape)} {node.dtype}")
    fields.append(f"data {format_value(node.data, small=4, shape=False)}")
    adjoint = sweep.adjoints[i]
    if adjoint is not None:
        fields.append(f"{name[0]}{BAR}{name[1:]} = "
                      f"{format_value(adjoint, small=4, shape=False)}")
    elif isinstance(node, Tensor) and not node.requires_grad:
        fields.append("constant: no adjoint")
    body = " | ".join(_escape(f) for f in fields)
    return "{ " + body + " }" if rankdir in ("TB", "BT") else body


def _edge_label(sweep: Sweep, child: Node, args: list[str], step: int, flow: Any) -> str:
    """`#2 v̄₃ · v₂` over `= 1 · 3 = 3` (Values), or over the share's values (Tensors), as
    a quoted DOT label of left-aligned lines."""
    name = sweep.names[flow.child]
    rule = adjoint_rule(child, flow.position, args, name, name[0] + BAR + name[1:])
    share = format_value(flow.contribution, small=4)
    if flow.local is None:  # a Tensor: the VJP's result
        lines = [f"#{step} {rule}", f"= {share}"]
    else:
        lines = [f"#{step} {rule}",
                 f"= {format_value(flow.upstream)} · {format_value(flow.local)} = {share}"]
    return "".join(_quoted(line) + "\\l" for line in lines)


def _caption(sweep: Sweep, frame: int) -> str:
    total = len(sweep.steps)
    if frame == 0:
        root = sweep.names[-1]
        return (f"Forward pass done. The backward pass starts at {root} with "
                f"{root[0]}{BAR}{root[1:]} = {format_value(sweep.seed, small=4)} "
                f"({total} steps)")
    step = sweep.steps[frame - 1]
    name = sweep.names[step.node]
    adjoint = f"{name[0]}{BAR}{name[1:]} = {format_value(step.adjoint, small=4)}"
    if not sweep.nodes[step.node]._parents:
        return f"Step {frame} of {total}: visit {name}, an input: {adjoint} is its gradient"
    if not step.edges:  # every input of the op is a constant, or its VJP gave None
        return f"Step {frame} of {total}: visit {name}: {adjoint}; nothing flows back"
    parents = ", ".join(dict.fromkeys(sweep.names[e.parent] for e in step.edges))
    return (f"Step {frame} of {total}: visit {name}: {adjoint} is complete; "
            f"it flows back to {parents}")


def _css(sweep: Sweep, frame: int, scope: str) -> str:
    """Frame `frame` as a stylesheet over the one layout (`scope` limits it to one player)."""
    rules = []
    for step in sweep.steps:
        i = step.node
        edges = [f"{scope}.e{e.child}_{e.position}" for e in step.edges]
        if step.number > frame:  # not yet: hide the adjoint and what the edges carry
            rules.append(f"{scope}.n{i} text.adj" + "".join(f", {e} text" for e in edges)
                         + " {visibility:hidden}")
        elif step.number < frame:
            rules.append(f"{scope}.n{i} polygon {{fill:{_DONE}}}")
        else:
            rules.append(f"{scope}.n{i} polygon, {scope}.o{i} ellipse "
                         f"{{fill:{_CURRENT}; stroke-width:2}}")
            for e in [*edges, f"{scope}.f{i}"]:
                rules.append(f"{e} path {{stroke:{_EDGE}; stroke-width:2.5}} "
                             f"{e} polygon {{fill:{_EDGE}; stroke:{_EDGE}}} "
                             f"{e} text {{fill:{_EDGE}; font-weight:bold}}")
    return "\n".join(rules)


def _with_style(svg: str, css: str, uid: str) -> str:
    """The SVG with id `uid` and `css` as its first child (its own stylesheet)."""
    start = svg.index("<svg")
    end = svg.index(">", start) + 1
    return f'{svg[:start]}<svg id="{uid}"{svg[start + 4:end]}\n<style>\n{css}\n</style>{svg[end:]}'


def _js(value: Any) -> str:
    """`value` as a JavaScript literal that is safe inside a <script> element."""
    return json.dumps(value).replace("</", "<\\/")


def _strip_prolog(svg: str) -> str:
    """The `<svg>` element alone, for inline HTML (no XML declaration or doctype), scaled
    down to the width of the page when wider."""
    svg = svg[svg.index("<svg"):]
    return '<svg style="max-width:100%;height:auto"' + svg[len("<svg"):]


_PLAYER_JS = """
(function () {
  var root = document.getElementById("UID");
  var frames = FRAMES, captions = CAPTIONS, last = frames.length - 1;
  var style = root.querySelector(".frame-style"), slider = root.querySelector(".slider");
  var counter = root.querySelector(".counter"), caption = root.querySelector("text.caption");
  function show(k) {
    k = Math.max(0, Math.min(last, k));
    style.textContent = frames[k];
    slider.value = k;
    counter.textContent = "frame " + k + " of " + last;
    if (caption) caption.textContent = captions[k];
    root.dataset.frame = k;
  }
  root.querySelector(".prev").onclick = function () { show(+root.dataset.frame - 1); };
  root.querySelector(".next").onclick = function () { show(+root.dataset.frame + 1); };
  slider.oninput = function () { show(+slider.value); };
  var asked = /[#&]step=(\\d+)/.exec(window.location.hash);
  show(asked ? +asked[1] : START);
})();
"""


def draw_steps(root: Node, gradient: Any = None, inputs: Sequence[Node] = (),
               rankdir: str = "TB", max_nodes: int = 60) -> StepView:
    """The backward pass from `root`, step by step (see the module's docstring).

    Call it before `root.backward()`, or after `backward(retain_graph=True)`: the sweep is
    replayed without changing any `.grad`. `gradient` seeds it as in `backward`; `inputs`
    numbers those inputs first (as `trace_table`, whose numbering this view shares). Graphs of
    more than `max_nodes` values are refused (their frames would not be readable).
    `rankdir` is Graphviz's direction; top to bottom by default, as the two-line edge
    labels would otherwise stretch the picture far wider than a page.
    """
    if rankdir not in _RANKDIRS:
        raise ValueError(f"draw_steps: rankdir must be one of {', '.join(_RANKDIRS)}, "
                         f"got {rankdir!r}")
    return StepView(replay_backward(root, gradient, max_nodes, inputs, caller="draw_steps"),
                    rankdir)
