"""The backward-pass views on the command line: `grad … --trace` and `draw … --steps DIR`.

`main.py` parses the options and calls these; the views themselves are the library's
`trace_table` and `draw_steps`. Both need the graph's rules, so the command runs its
backward pass with `retain_graph=True` when either option is given.
"""

from __future__ import annotations

from pathlib import Path

from autograd_lite import Value

__all__ = ["trace_text", "write_steps"]


def trace_text(root: Value) -> str:
    """The evaluation trace of the expression (forward primal and reverse adjoint lines)."""
    from autograd_lite import trace_table

    from .main import CLIError

    try:
        return trace_table(root, output="f").text
    except ValueError as e:  # more values than a readable table holds
        raise CLIError(f"--trace: {e}") from None


def write_steps(root: Value, folder: Path, rankdir: str = "TB") -> list[Path]:
    """Write the step view of the backward pass into `folder`, one numbered SVG per frame
    (`step_00.svg` is the forward pass, `step_01.svg` the sweep's first step, …)."""
    from autograd_lite import GraphvizNotFoundError, draw_steps

    from .main import CLIError

    try:
        view = draw_steps(root, rankdir=rankdir)
        return view.write(folder)
    except ValueError as e:  # more values than readable frames hold
        raise CLIError(f"--steps: {e}") from None
    except GraphvizNotFoundError as e:
        raise CLIError(str(e)) from None
    except OSError as e:
        raise CLIError(f"--steps: cannot write into {folder}: {e.strerror or e}") from None
