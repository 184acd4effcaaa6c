"""The README's demo (`autograd-lite demo`, `autograd_lite/cli/demo.py`) and the tour
(`autograd-lite tour`, `autograd_lite/cli/tour.py`) run end to end without a download. The
`train` command, which uses the demo's parts, is tested with the command line in test_cli.py."""

import re
import subprocess
import sys

from autograd_lite.cli.demo import DEMO_FILES
from autograd_lite.cli.tour import tour, xor_demo

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_demo_writes_its_three_files_and_prints_the_accuracy(tmp_path):
    out = tmp_path / "pictures"
    done = subprocess.run([sys.executable, "-m", "autograd_lite", "demo", "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(DEMO_FILES)
    assert (out / "loss_curve.png").read_bytes().startswith(PNG_MAGIC)
    assert (out / "decision_boundary.png").read_bytes().startswith(PNG_MAGIC)
    svg = (out / "neuron.svg").read_text()
    assert "<svg" in svg and "relu" in svg and "w0" in svg and "x1" in svg
    accuracy = float(re.search(r"final accuracy: ([\d.]+)%", done.stdout).group(1)) / 100
    assert accuracy >= 0.95


def test_tour_writes_the_neuron_graph_and_solves_xor(tmp_path, capsys):
    assert tour(tmp_path) == 0
    svg = (tmp_path / "neuron.svg").read_text()
    assert "<svg" in svg and "tanh" in svg
    printed = capsys.readouterr().out
    assert "gradcheck against central differences: passed" in printed
    assert "accuracy 4/4" in printed


def test_xor_network_of_values_reaches_full_accuracy_for_several_seeds():
    assert all(xor_demo(seed=seed) == 1.0 for seed in range(3))


def test_module_entry_point_runs_the_tour(tmp_path):
    done = subprocess.run([sys.executable, "-m", "autograd_lite", "tour", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "neuron.svg").exists()
