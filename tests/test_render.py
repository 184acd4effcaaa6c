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
