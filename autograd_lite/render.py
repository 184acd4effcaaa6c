"""Running Graphviz's `dot` layout: the system's when installed, else the `graphviz-pure` wheel.

`graphviz-pure` is a self-contained port of `dot` shipped as a PyPI wheel; it installs a
`graphviz-pure` command (never a `dot`), so it is called by that name. Set the environment
variable `AUTOGRAD_LITE_DOT` to a program path to choose one explicitly.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from .atomic import write_atomic

__all__ = ["GraphvizNotFoundError", "LayoutTimeoutError", "TIMEOUT", "find_dot", "run_dot",
           "write_atomic"]

# Seconds a layout may take before it is stopped, in the library and on the command line.
# Graphs within draw_graph's max_nodes lay out in under 2 s (bench/draw.py); this only
# stops a layout that something unforeseen made slow.
TIMEOUT = 30.0
_BITMAPS = ("png", "jpg", "jpeg", "gif", "bmp", "webp", "tif", "tiff")


class GraphvizNotFoundError(RuntimeError):
    """Neither a system `dot` nor the `graphviz-pure` program could be found."""


class LayoutTimeoutError(RuntimeError):
    """The layout program was stopped after the time limit."""


def _candidates() -> list[str | None]:
    exe = "graphviz-pure.exe" if os.name == "nt" else "graphviz-pure"
    scripts = {sysconfig.get_path("scripts"), str(Path(sys.executable).parent)}
    return [
        os.environ.get("AUTOGRAD_LITE_DOT") or None,
        shutil.which("dot"),
        shutil.which("graphviz-pure"),
        # an un-activated virtual environment: its scripts folder is not on PATH
        *(str(Path(d, exe)) for d in sorted(scripts) if Path(d, exe).is_file()),
    ]


def find_dot() -> str:
    """Path of the layout program to run (system `dot` first, then `graphviz-pure`)."""
    for path in _candidates():
        if path:
            return path
    raise GraphvizNotFoundError(
        "draw_graph: no Graphviz layout program found. Install the Python package "
        "'graphviz-pure' (pip install graphviz-pure; autograd_lite depends on it where it has "
        "wheels) or the system Graphviz (e.g. apt install graphviz, brew install graphviz).")


def run_dot(source: str, format: str, engine: str = "dot", dpi: float | None = None,
            timeout: float | None = TIMEOUT) -> bytes:
    """Lay out DOT `source` and return the rendered bytes (`format`: svg, png, ...).

    `dpi` sets the resolution of bitmap formats (SVG and text formats ignore it). The
    program is stopped after `timeout` seconds (None: no limit), with `LayoutTimeoutError`.
    """
    program = find_dot()
    command = [program, f"-K{engine}", f"-T{format}"]
    if dpi is not None and format.split(":")[0].lower() in _BITMAPS:
        command.append(f"-Gdpi={dpi:g}")
    try:
        done = subprocess.run(command, input=source.encode(), capture_output=True,
                              check=False, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise LayoutTimeoutError(
            f"draw_graph: laying out the graph took more than {timeout:g} s and was stopped; "
            "draw fewer nodes: collapse modules (draw_graph(..., collapse=True)), draw an "
            "intermediate result, or lower max_nodes") from None
    except OSError as e:
        raise GraphvizNotFoundError(f"draw_graph: cannot run {program!r}: {e}") from e
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip()
        raise RuntimeError(f"draw_graph: {Path(program).name} could not render format "
                           f"{format!r} (exit {done.returncode}): {message}")
    return done.stdout
