"""The README's demo (`autograd-lite demo`, `autograd_lite/cli/demo.py`) and the tour
(`autograd-lite tour`, `autograd_lite/cli/tour.py`) run end to end without a download. The
`train` command, which uses the demo's parts, is tested with the command line in test_cli.py."""

import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

import autograd_lite
from autograd_lite.cli import demo
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
    accuracy = float(re.search(r"final accuracy: (\d+\.\d)% on 600 validation samples",
                               done.stdout).group(1)) / 100
    assert accuracy >= 0.95
    epochs = re.findall(r"^epoch (\d)/8 .*val accuracy +(\d+\.\d)%$", done.stdout, flags=re.M)
    assert [int(e) for e, _ in epochs] == list(range(1, 9))  # a kept line per epoch
    assert "\r" not in done.stdout + done.stderr  # no bar when the output is not a terminal


def test_train_classifier_stops_when_training_diverges_without_numpy_warnings():
    autograd_lite.manual_seed(0)
    data = demo.load_dataset("moons")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's RuntimeWarning would fail the test
        with pytest.raises(demo.Diverged) as error:
            demo.train_classifier(data, hidden=(32, 32), lr=1e10, epochs=3,
                                      verbose="silent")
    assert error.value.epoch == 1
    assert str(error.value).startswith("training diverged in epoch 1: overflow")


def test_train_classifier_keeps_numpy_errors_to_itself():
    autograd_lite.manual_seed(0)
    data = demo.load_dataset("xor")
    demo.train_classifier(data, hidden=(4,), epochs=2, verbose="silent")
    assert np.geterr()["over"] == "warn" and np.geterrcall() is None  # restored


def test_accuracies_are_printed_with_one_decimal():
    assert demo.percent(0.972) == "97.2%" and demo.percent(1.0) == "100.0%"


def test_tour_writes_the_neuron_graph_and_solves_xor(tmp_path, capsys):
    assert tour(tmp_path) == 0
    svg = (tmp_path / "neuron.svg").read_text()
    assert "<svg" in svg and "tanh" in svg
    printed = capsys.readouterr().out
    assert "gradcheck against central differences: passed" in printed
    assert "accuracy 4/4" in printed
    assert "^" not in printed and "sqrt(x**2 + exp(x**2))" in printed  # Python's power


def test_tour_prints_the_xor_targets_it_trains_on_next_to_the_outputs(capsys):
    xor_demo()
    rows = re.findall(r"xor\((\d), (\d)\) = (\d)   target ([+-]1)   network says "
                      r"([+-]\d\.\d{3}) -> (\d)", capsys.readouterr().out)
    assert len(rows) == 4
    for a, b, value, target, output, said in rows:
        assert int(value) == int(a) ^ int(b)
        assert int(target) == (1 if int(value) else -1)  # the ±1 targets, as trained
        assert float(output) * int(target) > 0.5  # close to its target
        assert int(said) == int(float(output) > 0) == int(value)


def test_xor_network_of_values_reaches_full_accuracy_for_several_seeds():
    assert all(xor_demo(seed=seed) == 1.0 for seed in range(3))


def test_module_entry_point_runs_the_tour(tmp_path):
    done = subprocess.run([sys.executable, "-m", "autograd_lite", "tour", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "neuron.svg").exists()
