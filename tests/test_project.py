"""The repository keeps its promises: the README's example runs, CI runs the README's test
command, and the code is lint-clean."""

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
