"""The repository keeps its promises: the README's example runs, CI runs the README's test
command, the code is lint-clean, and the library stays below its application (`cli/`)."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_readme_example_runs_and_prints_what_it_says(tmp_path, monkeypatch, capsys):
    code = re.search(r"## Example\n\n```python\n(.*?)```", README, flags=re.S).group(1)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    data, grad = map(float, capsys.readouterr().out.split())
    assert data == pytest.approx(53.9012, abs=1e-4) and grad == pytest.approx(218.2539, abs=1e-4)
    assert "<svg" in (tmp_path / "y.svg").read_text()


def test_ci_runs_exactly_the_readme_test_command():
    commands = re.search(r"## Set-up.*?```sh\n(.*?)```", README, flags=re.S).group(1)
    demo, tests = [line.split("#")[0].strip() for line in commands.strip().splitlines()]
    assert demo == "pip install . && autograd-lite demo"
    assert tests == "pip install '.[test]' && pytest"
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert tests in ci_lines


def test_code_is_ruff_clean():
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_python_block_in_the_readme_runs(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert len(blocks) >= 3
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["x"].grad.tolist() == [6.0, 12.0]  # the second-derivative example


def test_importing_the_library_loads_neither_nn_nor_the_cli():
    code = ("import sys, autograd_lite\n"
            "print(' '.join(sorted(m for m in sys.modules if m in ('nn', 'autograd_lite.cli') "
            "or m.startswith(('nn.', 'autograd_lite.cli.')))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, anywhere in it, with relative imports made absolute
    (`from . import x` in autograd_lite/draw.py counts as autograd_lite and autograd_lite.x)."""
    package = path.relative_to(ROOT).with_suffix("").parts[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else ()
            module = ".".join((*base, *(node.module.split(".") if node.module else ())))
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def test_only_the_cli_imports_nn_and_nothing_imports_the_cli():
    def is_cli(module: str) -> bool:
        return module == "autograd_lite.cli" or module.startswith("autograd_lite.cli.")

    def is_nn(module: str) -> bool:
        return module == "nn" or module.startswith("nn.")

    offenders = {}
    for path in sorted((ROOT / "autograd_lite").rglob("*.py")):
        if path.relative_to(ROOT).parts[1] == "cli" or path.name == "__main__.py":
            continue  # the application, and `python -m autograd_lite`, which runs it
        if bad := sorted(m for m in imported_modules(path) if is_nn(m) or is_cli(m)):
            offenders[str(path.relative_to(ROOT))] = bad
    for path in sorted((ROOT / "nn").rglob("*.py")):
        if bad := sorted(m for m in imported_modules(path) if is_cli(m)):
            offenders[str(path.relative_to(ROOT))] = bad
    assert offenders == {}
