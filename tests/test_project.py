"""The repository keeps its promises: the README's example runs, CI runs the README's test
command, the code is lint-clean, and the library stays below its application (`cli/`)."""

import ast
import math
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
    u = namespace["u"]  # the custom ops: cube's gradient, then Exp's added to it
    assert u.grad.tolist() == pytest.approx([3.0 + math.e, 12.0 + math.e ** 2])


def test_importing_the_library_loads_neither_nn_nor_the_cli_nor_graphviz():
    code = ("import sys, autograd_lite\n"
            "print(' '.join(sorted(m for m in sys.modules if m in ('nn', 'autograd_lite.cli', "
            "'graphviz') or m.startswith(('nn.', 'autograd_lite.cli.', 'graphviz.')))))")
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


def package_modules() -> dict[str, Path]:
    """Every module of autograd_lite and nn by dotted name (packages by their own name)."""
    modules = {}
    for package in ("autograd_lite", "nn"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def load_time_imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package modules `name` imports while it loads (its top level, `if`/`try` blocks
    included; imports inside functions run later and cannot make a cycle at load time)."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.parse(path.read_text(), str(path)).body:
        for stmt in ast.walk(node) if isinstance(node, (ast.If, ast.Try)) else [node]:
            if isinstance(stmt, ast.Import):
                found.update(alias.name for alias in stmt.names)
            elif isinstance(stmt, ast.ImportFrom):
                base = package[:len(package) - stmt.level + 1] if stmt.level else []
                module = ".".join([*base, *(stmt.module.split(".") if stmt.module else [])])
                found.add(module)
                found.update(f"{module}.{alias.name}" for alias in stmt.names)
    return {m for m in found if m in modules and m != name}


def find_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The cycles a depth-first search closes (each as a path that ends where it starts)."""
    state: dict[str, str] = {}
    cycles = []
    for start in sorted(edges):
        if start in state:
            continue
        state[start] = "open"
        stack, path = [(start, iter(sorted(edges[start])))], [start]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = "done"
                stack.pop()
                path.pop()
            elif state.get(child) == "open":
                cycles.append(path[path.index(child):] + [child])
            elif child not in state:
                state[child] = "open"
                stack.append((child, iter(sorted(edges.get(child, ())))))
                path.append(child)
    return cycles


def test_find_cycles_finds_a_three_module_cycle_and_passes_a_diamond():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b", "c"}, "b": {"d"}, "c": {"d"}, "d": set()}) == []


def test_no_import_cycle_in_autograd_lite_or_nn():
    """Module-level imports form a DAG. A package's `__init__` importing its own submodules
    is the usual tree, not a cycle, so edges from a submodule to its own package are left
    out (`nn.optim.lr_scheduler` importing `nn.optim` still counts against `nn.optim`'s
    other imports)."""
    modules = package_modules()
    edges = {name: {m for m in load_time_imports(name, path, modules)
                    if not name.startswith(m + ".")}
             for name, path in modules.items()}
    assert find_cycles(edges) == []


def test_every_module_imports_alone_in_a_fresh_interpreter():
    names = [name for name in package_modules() if not name.endswith("__main__")]
    code = ("import importlib, subprocess, sys\n"
            "bad = []\n"
            "for name in sys.argv[1:]:\n"
            "    done = subprocess.run([sys.executable, '-c', f'import {name}'],\n"
            "                          capture_output=True, text=True)\n"
            "    if done.returncode:\n"
            "        bad.append(name + ': ' + done.stderr.strip().splitlines()[-1])\n"
            "print('\\n'.join(bad))")
    done = subprocess.run([sys.executable, "-c", code, *names], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
