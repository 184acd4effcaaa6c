"""Finding and running a layout program: system dot first, graphviz-pure on a bare machine."""

import importlib.metadata
import os
import shutil
import stat
from pathlib import Path

import pytest

from autograd_lite import Value, draw_graph, render
from autograd_lite.render import GraphvizNotFoundError, find_dot, run_dot, write_atomic


def _has_graphviz_pure() -> bool:
    try:
        importlib.metadata.distribution("graphviz-pure")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


# graphviz-pure has wheels for x86_64/arm64 Linux, macOS and Windows (a dependency there)
needs_graphviz_pure = pytest.mark.skipif(not _has_graphviz_pure(),
                                         reason="no graphviz-pure wheel for this platform")


def path_without_dot():
    """PATH minus every folder that holds a `dot` program."""
    folders = os.environ.get("PATH", "").split(os.pathsep)
    return os.pathsep.join(d for d in folders if not Path(d, "dot").exists())


@pytest.fixture
def no_system_dot(monkeypatch):
    monkeypatch.delenv("AUTOGRAD_LITE_DOT", raising=False)
    monkeypatch.setenv("PATH", path_without_dot())
    assert shutil.which("dot") is None


def fake_dot(folder: Path, svg: str) -> Path:
    program = folder / "dot"
    program.write_text(f"#!/bin/sh\ncat > /dev/null\nprintf '%s' '{svg}'\n")
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    return program


@needs_graphviz_pure
def test_svg_and_png_are_written_with_dot_removed_from_path(no_system_dot, tmp_path):
    assert Path(find_dot()).name.startswith("graphviz-pure")
    x = Value(2.0, label="x")
    y = (x * x).tanh()
    y.backward()
    diagram = draw_graph(y)
    diagram.render(outfile=tmp_path / "g.svg")
    diagram.render(outfile=tmp_path / "g.png")
    svg = (tmp_path / "g.svg").read_text()
    assert svg.startswith("<?xml") and "<svg" in svg and "tanh" in svg
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"


@needs_graphviz_pure
def test_graphviz_pure_is_found_in_an_unactivated_virtualenv(monkeypatch):
    monkeypatch.delenv("AUTOGRAD_LITE_DOT", raising=False)
    monkeypatch.setenv("PATH", "")  # nothing on PATH: only the interpreter's scripts folder
    assert Path(find_dot()).name.startswith("graphviz-pure")


@pytest.mark.skipif(os.name == "nt", reason="uses a shell script as a fake dot")
def test_system_dot_is_preferred_when_on_path(monkeypatch, tmp_path):
    monkeypatch.delenv("AUTOGRAD_LITE_DOT", raising=False)
    program = fake_dot(tmp_path, "<svg>system</svg>")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert find_dot() == str(program)
    assert run_dot("digraph { a }", "svg") == b"<svg>system</svg>"


@pytest.mark.skipif(os.name == "nt", reason="uses a shell script as a fake dot")
def test_environment_variable_chooses_the_program(monkeypatch, tmp_path):
    program = fake_dot(tmp_path, "<svg>chosen</svg>")
    monkeypatch.setenv("AUTOGRAD_LITE_DOT", str(program))
    assert draw_graph(Value(1.0)).pipe("svg") == b"<svg>chosen</svg>"


def test_missing_layout_program_error_says_how_to_install_one(monkeypatch):
    monkeypatch.setattr(render, "_candidates", lambda: [None, None])
    with pytest.raises(GraphvizNotFoundError, match="pip install graphviz-pure"):
        draw_graph(Value(1.0)).pipe("svg")


def test_unsupported_format_error_names_the_format(no_system_dot):
    with pytest.raises(RuntimeError, match="could not render format 'nonsense'"):
        run_dot("digraph { a }", "nonsense")


def test_failed_render_leaves_an_existing_file_untouched(no_system_dot, tmp_path):
    target = tmp_path / "keep.svg"
    target.write_text("precious")
    with pytest.raises(RuntimeError):
        draw_graph(Value(1.0)).render(outfile=target, format="nonsense")
    assert target.read_text() == "precious"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.svg"]


def test_write_atomic_replaces_content_with_normal_permissions(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_write_atomic_to_a_missing_folder_raises_and_creates_nothing(tmp_path):
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "absent" / "out.svg", b"x")
    assert list(tmp_path.iterdir()) == []


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_dpi_sets_the_png_resolution_and_leaves_svg_alone():
    x = Value(2.0, label="x")
    diagram = draw_graph(x * x)
    w96, h96 = png_size(diagram.pipe("png"))
    w192, h192 = png_size(diagram.pipe("png", dpi=192))
    assert abs(w192 / w96 - 2) < 0.1 and abs(h192 / h96 - 2) < 0.1
    sharp = draw_graph(x * x, dpi=192)
    assert png_size(sharp.pipe("png")) == (w192, h192)
    assert sharp.pipe("svg") == diagram.pipe("svg")


@pytest.mark.skipif(os.name == "nt", reason="uses a shell script as a fake dot")
def test_a_slow_layout_is_stopped_with_a_message_that_says_what_to_do(monkeypatch, tmp_path):
    slow = tmp_path / "slow-dot"
    slow.write_text("#!/bin/sh\nexec sleep 30\n")
    slow.chmod(0o755)
    monkeypatch.setenv("AUTOGRAD_LITE_DOT", str(slow))
    with pytest.raises(render.LayoutTimeoutError, match=r"more than 0.5 s.*collapse=True"):
        draw_graph(Value(1.0)).pipe("svg", timeout=0.5)
    assert render.TIMEOUT == 30.0  # the command line's DRAW_TIMEOUT too


def test_record_text_fits_its_box_in_the_font_it_names():
    """Every line of text in the SVG, measured in DejaVu Sans (the font the diagram names
    and the one browsers here draw it with), fits inside its record's box."""
    import re

    import numpy as np

    image_font = pytest.importorskip("PIL.ImageFont")
    try:
        font = image_font.truetype("DejaVuSans.ttf", 110)  # 10x the 11 pt used
    except OSError:
        pytest.skip("DejaVu Sans is not installed")
    from autograd_lite import Tensor

    W = Tensor(np.arange(6, dtype=np.float32).reshape(3, 2) / 10, requires_grad=True, label="W")
    x = Tensor(np.ones((4, 3)), dtype=np.float32, label="x")
    loss = ((x @ W).tanh() ** 2).mean()
    loss.backward()
    svg = draw_graph(loss).pipe("svg", encoding="utf-8")
    groups = re.findall(r'<g id="node\d+" class="node">(.*?)</g>', svg, flags=re.S)
    checked = 0
    for group in groups:
        box = re.search(r'<polygon[^>]*points="([^"]*)"', group)
        if not box:
            continue
        xs = [float(p.split(",")[0]) for p in box.group(1).split()]
        for family, size, text in re.findall(
                r'<text[^>]* font-family="([^"]*)" font-size="([\d.]+)">(.*?)</text>', group):
            assert family.startswith("DejaVu Sans")
            text = text.replace("&#45;", "-").replace("&amp;", "&")
            width = font.getlength(text) / 110 * float(size)
            assert width <= max(xs) - min(xs), (text, width, max(xs) - min(xs))
            checked += 1
    assert checked >= 10
