"""The tour (`autograd-lite tour`) runs end to end without a download. The README's demo
(`autograd-lite demo`) is tested with the rest of the command line in test_cli.py."""

import subprocess
import sys

from autograd_lite.tour import tour, xor_demo


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
