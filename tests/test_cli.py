"""The command line end to end: `python -m autograd_lite ...` in a subprocess (and the
installed `autograd-lite` script when it is there), bad arguments, and hostile expressions.
The expression language itself is tested in test_expr.py, the demo in test_demo.py."""

import gzip
import importlib
import math
import re
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from autograd_lite.cli import demo, main

cli = importlib.import_module("autograd_lite.cli.main")  # the module (`cli.main` is the function)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SQRT_1_PLUS_E = math.sqrt(1 + math.e)


def run(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograd_lite", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def printed_numbers(stdout: str) -> dict[str, float]:
    """`f = 1.5` / `df/dx = 2.0` lines as {"f": 1.5, "df/dx": 2.0}."""
    return {m[1]: float(m[2]) for m in re.finditer(r"^(\S+) = (\S+)$", stdout, flags=re.M)}


def assert_one_line_error(done: subprocess.CompletedProcess, *fragments: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("autograd-lite: error: "), done.stderr
    assert "Traceback" not in done.stderr
    for fragment in fragments:
        assert fragment in lines[0]


# --- grad and draw --------------------------------------------------------------------------


def test_grad_prints_the_value_and_derivative_in_closed_form():
    done = run("grad", "sqrt(x**2 + exp(x**2))", "x=1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["f = 1.928285", "df/dx = 1.928285"]
    numbers = printed_numbers(done.stdout)
    assert numbers["f"] == pytest.approx(SQRT_1_PLUS_E, abs=1e-6)
    assert numbers["df/dx"] == pytest.approx(SQRT_1_PLUS_E, abs=1e-6)


def test_grad_with_several_variables_and_an_unused_one():
    x, y = 2.0, -3.0
    done = run("grad", "x*y + sin(x)*exp(y)", "x=2", "y=-3", "z=5")
    assert done.returncode == 0, done.stderr
    numbers = printed_numbers(done.stdout)
    assert numbers["f"] == pytest.approx(x * y + math.sin(x) * math.exp(y), abs=1e-6)
    assert numbers["df/dx"] == pytest.approx(y + math.cos(x) * math.exp(y), abs=1e-6)
    assert numbers["df/dy"] == pytest.approx(x + math.sin(x) * math.exp(y), abs=1e-6)
    assert numbers["df/dz"] == 0.0
    assert list(numbers) == ["f", "df/dx", "df/dy", "df/dz"]  # in the order given


def test_grad_notes_nan_from_a_math_domain_error():
    done = run("grad", "log(x)", "x=-1")
    assert done.returncode == 0, done.stderr
    assert printed_numbers(done.stdout)["df/dx"] == -1.0
    assert "f = nan" in done.stdout
    assert "note: nan" in done.stderr and "IEEE" in done.stderr


def test_grad_draw_writes_the_graph_labelled_with_the_variables(tmp_path):
    done = run("grad", "x*y + 1", "x=2", "y=3", "--draw", "g.svg", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    svg = (tmp_path / "g.svg").read_text()
    assert "<svg" in svg and ">x<" in svg and ">y<" in svg


@pytest.mark.parametrize("suffix", ["svg", "png"])
def test_draw_writes_a_valid_picture(tmp_path, suffix):
    done = run("draw", "tanh(w*x + b)", "w=0.5", "x=2", "b=0", "-o", f"graph.{suffix}",
               cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = (tmp_path / f"graph.{suffix}").read_bytes()
    if suffix == "png":
        assert data.startswith(PNG_MAGIC)
    else:
        assert b"<svg" in data[:1000] and b"tanh" in data


def test_grad_knows_the_constants_e_and_pi():
    done = run("grad", "e**x + pi", "x=1")
    assert done.returncode == 0, done.stderr
    numbers = printed_numbers(done.stdout)
    assert numbers == pytest.approx({"f": math.e + math.pi, "df/dx": math.e}, abs=1e-6)


def test_a_variable_named_e_is_a_variable():
    done = run("grad", "e*x", "x=1", "e=2")
    assert done.returncode == 0, done.stderr
    assert printed_numbers(done.stdout) == {"f": 2.0, "df/dx": 2.0, "df/de": 1.0}


def test_an_expression_over_several_lines_reads_as_one():
    done = run("grad", "x*y +\n  sin(x)", "x=2", "y=3")
    assert done.returncode == 0, done.stderr
    assert printed_numbers(done.stdout)["df/dy"] == 2.0


def test_a_slow_layout_is_stopped_and_reported(tmp_path, monkeypatch, capsys):
    slow_dot = tmp_path / "slow-dot"
    slow_dot.write_text("#!/bin/sh\nexec sleep 30\n")
    slow_dot.chmod(0o755)
    monkeypatch.setenv("AUTOGRAD_LITE_DOT", str(slow_dot))
    monkeypatch.setattr(cli, "DRAW_TIMEOUT", 0.5)
    out = tmp_path / "out"
    out.mkdir()
    start = time.perf_counter()
    assert main(["draw", "x*x", "x=1", "-o", str(out / "g.svg")]) == 2
    assert time.perf_counter() - start < 10
    assert "laying out the graph took more than 0.5 s" in capsys.readouterr().err
    assert list(out.iterdir()) == []


# --- train ----------------------------------------------------------------------------------


def final_accuracy(stdout: str) -> float:
    return float(re.search(r"final accuracy: (\d+\.\d)%", stdout).group(1)) / 100


def epoch_lines(stdout: str) -> list[int]:
    return [int(n) for n in re.findall(r"^epoch +(\d+)/\d+   loss ", stdout, flags=re.M)]


def test_train_xor_reaches_full_accuracy():
    done = run("train", "--data", "xor", "--hidden", "16", "--epochs", "200", "--seed", "0",
               "--no-progress")
    assert done.returncode == 0, done.stderr
    assert final_accuracy(done.stdout) == 1.0
    assert "epoch 200/200" in done.stdout


@pytest.mark.parametrize("data", ["moons", "spirals", "xor"])
def test_train_prints_a_metric_line_per_epoch_by_default(data):
    done = run("train", "--data", data, "--epochs", "4", "--hidden", "8")
    assert done.returncode == 0, done.stderr
    assert epoch_lines(done.stdout) == [1, 2, 3, 4]  # as the README says, for every dataset
    assert "\r" not in done.stdout + done.stderr and "\x1b" not in done.stderr  # no bar: a pipe


def test_train_log_every_prints_every_nth_line_and_the_last():
    done = run("train", "--data", "xor", "--epochs", "7", "--log-every", "3", "--hidden", "4")
    assert done.returncode == 0, done.stderr
    assert epoch_lines(done.stdout) == [3, 6, 7]


def test_train_says_1_epoch_not_1_epochs():
    done = run("train", "--data", "xor", "--epochs", "1", "--hidden", "4")
    assert done.returncode == 0, done.stderr
    assert ", 1 epoch, batch size 32" in done.stdout and "1 epochs" not in done.stdout


def test_train_on_a_terminal_shows_a_bar_and_keeps_a_line_per_epoch():
    pty = pytest.importorskip("pty")
    import fcntl
    import os
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    process = subprocess.Popen([sys.executable, "-m", "autograd_lite", "train", "--data",
                                "spirals", "--epochs", "2", "--hidden", "8"],
                               stdout=follower, stderr=follower)
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the process closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    assert process.wait(timeout=120) == 0
    text = output.decode()
    assert "epoch 1/2:" in text and "batch/s" in text  # the bar, while the epoch runs
    kept = [line.rsplit("\r", 1)[-1] for line in text.split("\r\n")]  # what stays on screen
    assert epoch_lines("\n".join(kept)) == [1, 2]


def test_train_stops_when_the_loss_diverges_and_saves_nothing(tmp_path):
    done = run("train", "--lr", "1e10", "--epochs", "3", "--save", "m.npz", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr  # no RuntimeWarning, no site-packages path
    assert lines[0].startswith("autograd-lite: error: training diverged in epoch 1: ")
    assert "nothing was saved" in lines[0]
    assert "try a smaller --lr (this run: 1e+10; the default for adam is 0.01)" in lines[0]
    assert "Warning" not in done.stdout + done.stderr and "final accuracy" not in done.stdout
    assert list(tmp_path.iterdir()) == []


def test_train_reports_the_accuracy_of_the_model_it_returns(monkeypatch, capsys):
    real = demo.train_classifier

    def train(*args, **kwargs):
        model, history = real(*args, **kwargs)
        history["val_accuracy"][-1] = 0.123  # not what is printed: the model is measured
        return model, history

    monkeypatch.setattr(demo, "train_classifier", train)
    assert main(["train", "--data", "xor", "--hidden", "8", "--epochs", "50"]) == 0
    out = capsys.readouterr().out
    assert "final accuracy: 12.3%" not in out
    assert re.search(r"^final accuracy: \d+\.\d% on 4 validation samples$", out, flags=re.M)


def test_train_moons_saves_the_model_and_plots_the_curves(tmp_path):
    done = run("train", "--data", "moons", "--epochs", "2", "--save", "m.npz", "--plot", "c.png",
               "--optimizer", "sgd", "--activation", "tanh", "--no-progress", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "epoch 1/2" in done.stdout and "epoch 2/2" in done.stdout
    assert 0.5 < final_accuracy(done.stdout) <= 1.0
    assert (tmp_path / "c.png").read_bytes().startswith(PNG_MAGIC)
    with np.load(tmp_path / "m.npz") as saved:
        assert saved["0.weight"].shape == (64, 2) and saved["4.weight"].shape == (2, 32)


def write_idx(path: Path, array: np.ndarray) -> None:
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def test_train_on_a_folder_of_idx_files_flattens_and_reports_the_test_set(tmp_path):
    rng = np.random.default_rng(0)
    for kind, n in (("train", 200), ("t10k", 50)):
        labels = rng.integers(0, 2, n)
        images = np.zeros((n, 6, 6), dtype=np.uint8)
        images[labels == 1, :3] = 255  # class 1: top half lit
        images[labels == 0, 3:] = 255
        write_idx(tmp_path / f"{kind}-images-idx3-ubyte.gz", images)
        write_idx(tmp_path / f"{kind}-labels-idx1-ubyte.gz", labels)
    done = run("train", "--data", str(tmp_path), "--epochs", "3", "--hidden", "8",
               "--no-progress")
    assert done.returncode == 0, done.stderr
    assert "36 features, 2 classes" in done.stdout
    assert "test accuracy: 100.0% on 50 test samples" in done.stdout


def test_fashion_mnist_missing_says_how_to_get_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(demo, "FASHION_MNIST", tmp_path / "absent")
    assert main(["train", "--data", "fashion-mnist"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("autograd-lite: error: Fashion-MNIST is not installed")
    assert "apt install dataset-fashion-mnist" in err and "--data PATH" in err


# --- entry points ---------------------------------------------------------------------------


def test_installed_console_script_runs():
    script = shutil.which("autograd-lite", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("the autograd-lite script is not installed next to this Python")
    done = subprocess.run([script, "grad", "sqrt(x**2 + exp(x**2))", "x=1"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert printed_numbers(done.stdout)["df/dx"] == pytest.approx(SQRT_1_PLUS_E, abs=1e-6)


def test_the_cli_subpackage_runs_as_a_module_too():
    done = subprocess.run([sys.executable, "-m", "autograd_lite.cli", "grad", "x*x", "x=3"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert printed_numbers(done.stdout) == {"f": 9.0, "df/dx": 6.0}


# --- bad arguments --------------------------------------------------------------------------


@pytest.mark.parametrize(("argv", "fragment"), [
    (["train", "--data", "nope"], "unknown dataset 'nope'"),
    (["train", "--hidden", "64,x"], "argument --hidden"),
    (["train", "--hidden", "0"], "argument --hidden"),
    (["train", "--hidden", ""], "expected at least one hidden layer size (e.g. 64 or 64,32)"),
    (["train", "--hidden", " "], "expected at least one hidden layer size"),
    (["train", "--log-every", "0"], "argument --log-every: expected a positive integer"),
    (["train", "--optimizer", "lbfgs"], "argument --optimizer"),
    (["train", "--lr", "-1"], "argument --lr"),
    (["train", "--epochs", "0"], "argument --epochs"),
    (["train", "--save", "no/such/folder/m.npz"], "the folder no/such/folder does not exist"),
    (["train", "--plot", "curves.txt"], "must end in .png, .svg or .pdf"),
    (["grad", "x", "x"], "expected NAME=VALUE"),
    (["grad", "x", "x=abc"], "the value of x must be a number"),
    (["grad", "x", "x=1", "x=2"], "x is given twice"),
    (["grad", "x", "exp=1"], "'exp' cannot be a variable name"),
    (["grad", "x*y", "x=1"], "no value given for variable y"),
    (["grad", "x", "x=1", "--draw", "g.pdf"], "must end in .svg or .png"),
    (["draw", "x", "x=1"], "-o/--output"),
    (["draw", "x", "x=1", "-o", "no/such/folder/g.svg"], "does not exist"),
    (["grad", "-x", "x=1"], "goes after '--'"),
    (["grad", "x^2", "x=3"], "operator ^ is not allowed: x^2 (use ** for powers: x**2)"),
    (["grad", "x=1", "x**2"], "'x=1' looks like a value, but the expression comes first, "
                              "then the values: autograd-lite grad \"x**2\" x=1"),
    (["grad", "x=1", "y=2", "x*y"], 'autograd-lite grad "x*y" x=1 y=2'),
    (["draw", "x=1", "x**2", "-o", "g.svg"], 'autograd-lite draw "x**2" x=1'),
    (["grad", "x=1"], "no expression is given: the expression comes first"),
    (["grad", "x +\n+* y", "x=1", "y=1"], "invalid syntax at column 6: x + +* y"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_arguments_give_one_line_and_status_2(argv, fragment, tmp_path, monkeypatch,
                                                   capsys):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("autograd-lite: error: "), captured.err
    assert fragment in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_bad_arguments_in_a_subprocess_have_no_traceback(tmp_path):
    assert_one_line_error(run("grad", "x*y", "x=1", cwd=tmp_path), "variable y")
    assert_one_line_error(run("train", "--data", "nope", cwd=tmp_path), "unknown dataset")
    assert_one_line_error(run("draw", "x", "x=1", "-o", str(tmp_path / "missing" / "g.png")),
                          "does not exist")


def test_no_command_prints_the_help_and_exits_2():
    done = run()
    assert done.returncode == 2
    assert "grad" in done.stderr and "demo" in done.stderr


def test_grad_accepts_an_expression_starting_with_minus_after_double_dash():
    done = run("grad", "--", "-x**2", "x=3")
    assert done.returncode == 0, done.stderr
    assert printed_numbers(done.stdout) == {"f": -9.0, "df/dx": -6.0}


# --- hostile expressions --------------------------------------------------------------------

INJECTIONS = {
    "import": "__import__('os').system('touch PWNED')",
    "bases": "().__class__.__bases__",
    "open": "open('f')",
    "lambda": "lambda: 0",
    "dunder attribute": "x.__class__",
    "comprehension": "[x for x in ()]",
    "string repeat": "'a'*9**9",
    "power tower": "9**9**9",
    "long": "x+" * 50_000 + "x",
    "deep": "(" * 1000 + "x" + ")" * 1000,
}


@pytest.mark.parametrize("source", INJECTIONS.values(), ids=INJECTIONS.keys())
def test_hostile_expressions_exit_2_and_touch_nothing(source, tmp_path):
    done = run("grad", source, "x=1", cwd=tmp_path, timeout=30)
    if source == "9**9**9" and done.returncode == 0:
        assert "f = inf" in done.stdout and "note: inf" in done.stderr
    else:
        assert_one_line_error(done)
    assert list(tmp_path.iterdir()) == []


# --- draw: the library's bounds and options ---------------------------------------------------


def test_draw_of_one_variable_used_130_times_finishes_quickly(tmp_path):
    start = time.perf_counter()
    done = run("draw", "*".join(["x"] * 130), "x=1.0001", "-o", "g.svg", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert time.perf_counter() - start < 20  # layout 0.3 s here; it hit the 30 s limit before
    assert "<svg" in (tmp_path / "g.svg").read_text()


def test_draw_refuses_a_graph_over_max_nodes_and_gives_its_size(tmp_path):
    done = run("draw", "x+" + "+".join(["1"] * 400), "x=1", "-o", "g.svg", cwd=tmp_path)
    assert_one_line_error(done, "801 values, more than max_nodes=500",
                          "draw a smaller expression")
    assert list(tmp_path.iterdir()) == []


def test_draw_dpi_makes_a_larger_png(tmp_path):
    def width(name: str) -> int:
        return int.from_bytes((tmp_path / name).read_bytes()[16:20], "big")

    assert run("draw", "x*y", "x=1", "y=2", "-o", "a.png", cwd=tmp_path).returncode == 0
    done = run("draw", "x*y", "x=1", "y=2", "-o", "b.png", "--dpi", "192", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert width("b.png") > 1.8 * width("a.png")
    assert_one_line_error(run("draw", "x", "x=1", "-o", "c.png", "--dpi", "0", cwd=tmp_path))


# --- the backward pass: grad --trace, draw --steps ------------------------------------------


def test_grad_trace_prints_the_forward_and_reverse_traces():
    done = run("grad", "sqrt(x**2 + exp(x**2))", "x=1", "--trace")
    assert done.returncode == 0, done.stderr
    assert printed_numbers(done.stdout)["df/dx"] == pytest.approx(SQRT_1_PLUS_E, abs=1e-6)
    text = " ".join(done.stdout.split())
    assert "Forward primal trace v₀ = x = 1 v₁ = v₀^2 = 1" in text
    assert "Reverse adjoint trace" in text
    assert "v̄₅ += v̄₄ · 1/(2·v₅)" not in text and "v̄₄ += v̄₅ · 1/(2·v₅)" in text
    assert f"x̄ = v̄₀ = {SQRT_1_PLUS_E:.6g}" in text


def test_grad_trace_refuses_a_graph_too_big_to_read():
    done = run("grad", "+".join(["x*x"] * 120), "x=1", "--trace")  # 240 values
    assert_one_line_error(done, "--trace:", "max_nodes=200")


def test_draw_steps_writes_one_numbered_svg_per_sweep_step(tmp_path):
    done = run("draw", "x*y + x", "x=2", "y=3", "-o", "g.svg", "--steps", "frames",
               cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    frames = sorted((tmp_path / "frames").iterdir())
    # forward picture + the sweep's visits: v₂ (+), v₁ (*), then the leaves y and x
    assert [p.name for p in frames] == [f"step_0{k}.svg" for k in range(5)]
    assert "Step 1 of 4: visit v₂" in frames[1].read_text()
    assert "backward pass in 5 frames written to frames/step_00.svg … step_04.svg" in done.stdout
    assert (tmp_path / "g.svg").read_text().count("<svg") == 1


def test_draw_steps_into_a_file_is_refused(tmp_path):
    (tmp_path / "taken").write_text("")
    done = run("draw", "x*x", "x=1", "-o", "g.svg", "--steps", "taken", cwd=tmp_path)
    assert_one_line_error(done, "--steps", "not a folder")

# --- hardening: bad data, huge models, divergence and special files give one line -------------


def idx(path: Path, array: np.ndarray, code: int) -> None:
    big_endian = {0x08: ">u1", 0x09: ">i1", 0x0C: ">i4", 0x0D: ">f4"}[code]
    header = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(big_endian).tobytes())


def idx_folder(folder: Path, labels, code: int = 0x08, test_labels=None) -> Path:
    folder.mkdir()
    idx(folder / "train-images-idx3-ubyte", np.zeros((len(labels), 4, 4)), 0x08)
    idx(folder / "train-labels-idx1-ubyte", np.array(labels), code)
    if test_labels is not None:
        idx(folder / "t10k-images-idx3-ubyte", np.zeros((len(test_labels), 4, 4)), 0x08)
        idx(folder / "t10k-labels-idx1-ubyte", np.array(test_labels), code)
    return folder


@pytest.mark.parametrize(("labels", "code", "test_labels", "fragment"), [
    ([0, 1, -5, 1], 0x09, None, "hold label -5, outside [0, 65536)"),
    ([0, 1, 2**31 - 1, 1], 0x0C, None, "hold label 2147483647, outside [0, 65536)"),
    ([0.5, 1.7, float("nan"), 1.0], 0x0D, None, "must be integer class labels, got dtype "
                                                "float32 (e.g. 0.5)"),
    ([0, 1, 0, 1], 0x08, [0, 7], "t10k-labels-idx1-ubyte hold label 7, outside [0, 2) "
                                 "(2 classes)"),
    ([1], 0x08, None, "has 1 sample; training needs at least 2"),
])
def test_bad_idx_data_gives_one_line_and_status_2(tmp_path, monkeypatch, capsys, labels, code,
                                                  test_labels, fragment):
    folder = idx_folder(tmp_path / "data", labels, code, test_labels)
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--data", str(folder), "--epochs", "1", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("autograd-lite: error: cannot read the dataset")
    assert fragment in err[0]


def test_a_label_of_2_to_the_31_in_a_subprocess_allocates_nothing_and_has_no_traceback(tmp_path):
    folder = idx_folder(tmp_path / "data", [0, 2**31 - 1], 0x0C)
    assert_one_line_error(run("train", "--data", str(folder), "--epochs", "1", cwd=tmp_path,
                              timeout=60), "hold label 2147483647")


@pytest.mark.parametrize(("hidden", "fragment"), [
    (",".join(["4096"] * 60), "at most 32 hidden layers (a deeper plain MLP does not train), "
                              "got 60"),
    ("4096,4096,4096,4096", "a 2-4096-4096-4096-4096-2 MLP has 50,364,418 parameters, more "
                            "than the command line's limit of 50,000,000"),
])
def test_networks_beyond_the_documented_limits_are_refused_at_once(tmp_path, monkeypatch,
                                                                   capsys, hidden, fragment):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--data", "xor", "--hidden", hidden, "--epochs", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0]


def test_sgd_with_lr_1e30_exits_1_with_one_line_and_saves_nothing(tmp_path):
    done = run("train", "--data", "xor", "--optimizer", "sgd", "--lr", "1e30", "--save",
               "m.npz", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "training diverged" in lines[0] and "smaller --lr" in lines[0]
    assert "final accuracy" not in done.stdout and list(tmp_path.iterdir()) == []


def test_a_non_finite_model_is_never_saved_by_train(tmp_path, monkeypatch, capsys):
    real = demo.train_classifier

    def train(*args, **kwargs):
        model, history = real(*args, **kwargs)
        model[0].weight.data[0, 0] = np.nan  # as if a divergence slipped through
        return model, history

    monkeypatch.setattr(demo, "train_classifier", train)
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--data", "xor", "--hidden", "4", "--epochs", "1", "--save",
                 "m.npz"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "non-finite" in err[0] and "was not written" in err[0]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and symlinks")
def test_save_and_draw_refuse_a_fifo_and_write_through_a_symlink(tmp_path, monkeypatch, capsys):
    import os
    import stat

    monkeypatch.chdir(tmp_path)
    os.mkfifo("pipe.npz")
    os.mkfifo("pipe.svg")
    assert main(["train", "--data", "xor", "--epochs", "1", "--save", "pipe.npz"]) == 2
    assert main(["draw", "x", "x=1", "-o", "pipe.svg"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["autograd-lite: error: --save: pipe.npz is a FIFO (named pipe), not a "
                   "regular file; only regular files are written",
                   "autograd-lite: error: --output: pipe.svg is a FIFO (named pipe), not a "
                   "regular file; only regular files are written"]
    assert all(stat.S_ISFIFO(os.lstat(p).st_mode) for p in ("pipe.npz", "pipe.svg"))
    Path("real").mkdir()
    Path("real/g.svg").write_text("old")
    os.chmod("real/g.svg", 0o600)
    Path("g.svg").symlink_to("real/g.svg")
    assert main(["draw", "x", "x=1", "-o", "g.svg"]) == 0
    assert Path("g.svg").is_symlink() and "<svg" in Path("real/g.svg").read_text()
    assert stat.S_IMODE(os.stat("real/g.svg").st_mode) == 0o600


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_during_train_exits_130_with_one_line_and_saves_nothing(tmp_path):
    import signal
    import threading

    process = subprocess.Popen([sys.executable, "-m", "autograd_lite", "train", "--data",
                                "spirals", "--epochs", "100000", "--hidden", "8", "--save",
                                "m.npz", "--no-progress"], cwd=tmp_path, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    killer = threading.Timer(120, process.kill)  # never hang the suite if no line comes
    killer.start()
    try:
        for line in process.stdout:
            if line.split()[:2] == ["epoch", "2/100000"]:  # the number is right-aligned
                break
        process.send_signal(signal.SIGINT)
    finally:
        killer.cancel()
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert err.strip().splitlines() == ["autograd-lite: interrupted"]
    assert list(tmp_path.iterdir()) == []


CLI_TOKENS = ["train", "demo", "tour", "grad", "draw", "--data", "--hidden", "--lr",
              "--epochs", "--batch-size", "--val-split", "--seed", "--save", "--plot",
              "--log-every", "--optimizer", "--activation", "--out", "-o", "--rankdir", "--",
              "-x", "x", "x=1", "x=nan", "1e30", "-1", "0", "0.5", "nan", "inf", "1e400",
              "64,32", ",", "4096," * 40, "m.npz", "c.png", "/dev/null", "", " ", "é",
              "\x00", "99999999999999999999999", "sgd", "relu", "moons", "xor", "LR"]


def test_the_argument_parser_answers_any_argv_with_a_result_or_one_line(monkeypatch, tmp_path,
                                                                        capsys):
    """Random argument lists: the handlers are replaced (no training runs), so this checks
    parsing and the argument types: status 0, or 2 with one `autograd-lite: error:` line -
    never a traceback."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    for name in ("_cmd_train", "_cmd_demo", "_cmd_tour", "_cmd_grad", "_cmd_draw"):
        monkeypatch.setattr(cli, name, lambda args: 0)
    monkeypatch.chdir(tmp_path)

    @settings(max_examples=300, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(argv=st.lists(st.sampled_from(CLI_TOKENS), max_size=6))
    def check(argv):
        capsys.readouterr()
        try:
            status = main(argv)
        except SystemExit as e:  # --help / --version print and exit 0
            status = e.code
        err = capsys.readouterr().err
        assert status in (0, 2), (argv, err)
        if status == 2 and "usage:" not in err:  # no command: the help, as documented
            lines = err.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("autograd-lite: error: "), err

    check()
