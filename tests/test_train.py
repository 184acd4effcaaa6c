"""nn.fit: history, validation, early stopping with best-weight restore, schedules, what it
prints (bar, lines, nothing; terminals, logs and notebooks), Nielsen-style monitoring;
end-to-end learning on XOR and a 10-class problem."""

import io
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import autograd_lite
import nn
import nn.train
from nn.data import DataLoader, moons, xor
from nn.layers import Linear, ReLU, Tanh
from nn.losses import cross_entropy, mse_loss
from nn.module import Parameter, Sequential
from nn.optim import SGD, Adam
from nn.optim.lr_scheduler import ReduceLROnPlateau, StepLR
from nn.train import accuracy, evaluate, fit


def blobs(n: int, classes: int = 10, dim: int = 20, seed: int = 0):
    """Gaussian clusters around random centres: a 10-class problem with a held-out split."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((classes, dim)) * 3
    y = rng.integers(0, classes, n)
    x = centres[y] + rng.standard_normal((n, dim))
    return x.astype(np.float32), y


def small_model(seed: int = 0, n_in: int = 20, n_out: int = 10) -> Sequential:
    autograd_lite.manual_seed(seed)
    return Sequential(Linear(n_in, 32), ReLU(), Linear(32, n_out))


def test_ten_class_problem_reaches_95_percent_on_held_out_data():
    x, y = blobs(1200)
    model = small_model()
    history = fit(model, cross_entropy, Adam(model.parameters(), lr=0.01),
                  DataLoader((x[:1000], y[:1000]), batch_size=50, shuffle=True), epochs=10,
                  val_data=DataLoader((x[1000:], y[1000:]), batch_size=200))
    assert history["val_accuracy"][-1] >= 0.95
    assert evaluate(model, cross_entropy, (x[1000:], y[1000:]))[1] >= 0.95


def test_xor_reaches_full_accuracy_with_a_2_4_1_net():
    x, y = xor()
    autograd_lite.manual_seed(3)
    model = Sequential(Linear(2, 4), Tanh(), Linear(4, 1))
    targets = (2.0 * y - 1).astype(np.float32).reshape(4, 1)  # ±1 targets, score > 0 is class 1

    def loss_fn(out, t):
        return mse_loss(out, t)

    history = fit(model, loss_fn, SGD(model.parameters(), lr=0.1, momentum=0.9),
                  (x, targets), epochs=300)
    assert history["train_accuracy"][-1] == 1.0


PER_EPOCH = ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr")


def test_history_has_one_entry_per_epoch_for_every_quantity():
    x, y = blobs(200)
    model = small_model()
    history = fit(model, cross_entropy, SGD(model.parameters(), lr=0.05),
                  DataLoader((x, y), batch_size=64), epochs=3, val_data=(x[:50], y[:50]))
    assert set(history) == {*PER_EPOCH, "best_epoch", "restored", "stopped"}
    assert all(len(history[key]) == 3 for key in PER_EPOCH)
    assert history["best_epoch"] == int(np.argmin(history["val_loss"]))
    assert history["restored"] is False  # no patience: the model has the last epoch's weights
    assert history["lr"] == [0.05, 0.05, 0.05]
    assert history["train_loss"][-1] < history["train_loss"][0]


def test_without_validation_data_the_validation_entries_are_nan():
    x, y = blobs(100)
    model = small_model()
    history = fit(model, cross_entropy, SGD(model.parameters(), lr=0.05), (x, y), epochs=2)
    assert np.isnan(history["val_loss"]).all() and np.isnan(history["val_accuracy"]).all()


def test_early_stopping_stops_after_patience_and_restores_the_best_weights():
    x, y = blobs(300)
    wrong = (y + 1) % 10  # validation labels that training makes ever more wrong
    model = small_model()
    snapshots = []
    history = fit(model, cross_entropy, Adam(model.parameters(), lr=0.02),
                  DataLoader((x, y), batch_size=50), epochs=30, val_data=(x, wrong),
                  patience=2, on_epoch_end=lambda e, h: snapshots.append(model.state_dict()))
    best = int(np.argmin(history["val_loss"]))
    assert len(history["val_loss"]) == best + 1 + 2  # stopped two epochs after the best
    for name, value in model.state_dict().items():
        assert np.array_equal(value, snapshots[best][name]), name
    assert history["best_epoch"] == best and history["restored"] is True


def test_the_history_says_which_epoch_the_returned_model_is_from(capsys):
    """The README's example: after early stopping, the last epoch's score is not the model's
    (0.93 against 0.97 there), and the history says which epoch the weights come from."""
    autograd_lite.manual_seed(0)
    x, y = moons(600, noise=0.15)
    model = Sequential(Linear(2, 32), ReLU(), Linear(32, 32), ReLU(), Linear(32, 2))
    history = fit(model, cross_entropy, Adam(model.parameters(), lr=0.01),
                  DataLoader((x[:500], y[:500]), batch_size=32, shuffle=True), epochs=20,
                  val_data=(x[500:], y[500:]), patience=5, verbose="epoch")
    best = history["best_epoch"]
    assert history["restored"] is True and best == int(np.argmin(history["val_loss"]))
    loss, score = evaluate(model, cross_entropy, (x[500:], y[500:]))
    assert score == history["val_accuracy"][best] and loss == history["val_loss"][best]
    stopped = len(history["val_loss"])
    if stopped < 20:  # it stops early with this seed; then [-1] is another epoch's score
        assert stopped == best + 1 + 5
    last = capsys.readouterr().out.splitlines()[-1]
    restored = (f"restored the weights of epoch {best + 1} "
                f"(val_loss {history['val_loss'][best]:.4f}, the best)")
    assert last == (f"early stopping after epoch {stopped}/20: val_loss has not improved for "
                    f"5 epochs; {restored}" if stopped < 20 else restored)


def test_best_epoch_is_none_when_the_monitored_value_is_never_a_number():
    x, y = blobs(50)
    model = small_model()
    history = fit(model, cross_entropy, SGD(model.parameters(), lr=0.05), (x, y), epochs=2)
    assert history["best_epoch"] is None and history["restored"] is False  # no val_data
    assert fit(model, cross_entropy, SGD(model.parameters(), lr=0.05), (x, y), epochs=0,
               monitor="train_loss")["best_epoch"] is None


def test_step_schedule_changes_the_recorded_learning_rate():
    x, y = blobs(100)
    model = small_model()
    optimizer = SGD(model.parameters(), lr=0.1)
    history = fit(model, cross_entropy, optimizer, (x, y), epochs=4,
                  scheduler=StepLR(optimizer, step_size=2, gamma=0.5))
    assert history["lr"] == pytest.approx([0.1, 0.1, 0.05, 0.05])


def test_nielsen_halving_on_plateau_uses_the_monitored_accuracy():
    x, y = blobs(100)
    model = small_model()
    optimizer = SGD([Parameter(np.zeros(1))], lr=0.2)  # the model stays frozen: a plateau
    plateau = ReduceLROnPlateau(optimizer, mode="max", factor=0.5, patience=1)
    history = fit(model, cross_entropy, optimizer, (x, y), epochs=5, val_data=(x, y),
                  scheduler=plateau, monitor="val_accuracy")
    assert history["lr"] == pytest.approx([0.2, 0.2, 0.2, 0.1, 0.1])
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.05)


def test_nielsen_monitor_lines_can_be_printed_each_epoch(capsys):
    x, y = blobs(100)
    model = small_model()

    def monitor(epoch, history):
        correct = round(history["val_accuracy"][-1] * 100)
        print(f"Epoch {epoch} training complete")
        print(f"Accuracy on evaluation data: {correct} / 100")

    fit(model, cross_entropy, SGD(model.parameters(), lr=0.05), (x, y), epochs=2,
        val_data=(x, y), on_epoch_end=monitor, verbose="silent")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 0 training complete"
    assert lines[1].startswith("Accuracy on evaluation data: ") and lines[1].endswith(" / 100")


EPOCH_LINE = re.compile(r"^epoch +(\d+)/(\d+)   loss \d+\.\d{4}   accuracy +\d+\.\d%"
                        r"(   val loss \d+\.\d{4}   val accuracy +\d+\.\d%)?$")


def quick_fit(epochs: int = 3, **kwargs):
    x, y = blobs(100)
    model = small_model()
    return fit(model, cross_entropy, SGD(model.parameters(), lr=0.05),
               DataLoader((x, y), batch_size=25), epochs=epochs, val_data=(x[:20], y[:20]),
               **kwargs)


def epoch_numbers(out: str) -> list[int]:
    lines = out.splitlines()
    assert all(EPOCH_LINE.match(line) for line in lines), lines
    return [int(EPOCH_LINE.match(line)[1]) for line in lines]


def test_off_a_terminal_the_default_is_one_kept_line_per_epoch_and_no_bar(capsys):
    quick_fit()  # pytest's stdout and stderr are not terminals: a log, a pipe, CI
    out, err = capsys.readouterr()
    assert epoch_numbers(out) == [1, 2, 3]
    assert err == "" and "\r" not in out and "\x1b" not in out  # no control characters


def test_on_a_terminal_the_default_is_a_bar_during_the_epoch_and_a_kept_line(monkeypatch,
                                                                             capsys):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    quick_fit(epochs=2)
    assert "epoch 1/2:" in terminal.getvalue() and "batch" in terminal.getvalue()  # the bar
    assert epoch_numbers(capsys.readouterr().out) == [1, 2]  # kept, on stdout


@pytest.mark.parametrize(("kwargs", "lines", "bar"), [
    ({"verbose": "epoch"}, [1, 2, 3], False),
    ({"verbose": "bar"}, [1, 2, 3], True),
    ({"verbose": "silent"}, [], False),
    ({"progress": True}, [1, 2, 3], True),  # the older switch
    ({"progress": False}, [], False),
    ({"verbose": "epoch", "log_every": 2}, [2, 3], False),  # every 2nd, and the last
    ({"epochs": 5, "verbose": "epoch", "log_every": 2}, [2, 4, 5], False),
])
def test_verbose_chooses_a_bar_lines_or_nothing(capsys, kwargs, lines, bar):
    quick_fit(**kwargs)
    out, err = capsys.readouterr()
    assert epoch_numbers(out) == lines
    assert ("epoch 1/" in err) == bar


def test_the_epoch_line_names_a_custom_metric_and_shows_a_scheduled_rate(capsys):
    x, y = blobs(50)
    model = small_model()
    optimizer = SGD(model.parameters(), lr=0.1)

    def top_score(output, target):
        return 0.5

    fit(model, cross_entropy, optimizer, (x, y), epochs=2, metric=top_score,
        scheduler=StepLR(optimizer, step_size=1, gamma=0.5), verbose="epoch")
    assert re.fullmatch(r"epoch 1/2   loss \d\.\d{4}   top_score 0\.5000   lr 0\.1\n"
                        r"epoch 2/2   loss \d\.\d{4}   top_score 0\.5000   lr 0\.05\n",
                        capsys.readouterr().out)


def test_importing_nn_loads_neither_tqdm_auto_nor_the_notebook_bar():
    code = "import sys, nn; print(sorted(m for m in sys.modules if m.startswith('tqdm.')))"
    done = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "tqdm.auto" not in done.stdout and "tqdm.notebook" not in done.stdout


NOTEBOOK_WITHOUT_WIDGETS = textwrap.dedent("""
    import sys, types, warnings
    warnings.simplefilter("error")            # a TqdmWarning would fail
    sys.modules["ipywidgets"] = None          # not installed (find_spec raises or gives None)
    class ZMQInteractiveShell:                # what Jupyter's kernel looks like to tqdm
        config = {"IPKernelApp": {}}
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = ZMQInteractiveShell
    sys.modules["IPython"] = ipython
    sys.modules["ipykernel.zmqshell"] = types.ModuleType("ipykernel.zmqshell")
    import numpy as np
    import nn
    from nn.train import _resolve_verbose
    print(_resolve_verbose("auto", None)[0])
    X = np.random.default_rng(0).standard_normal((20, 2)).astype(np.float32)
    model = nn.Sequential(nn.Linear(2, 2))
    nn.fit(model, nn.cross_entropy, nn.optim.SGD(model.parameters(), lr=0.1),
           (X, (X[:, 0] > 0).astype(int)), epochs=2)
""")


def test_in_a_notebook_without_ipywidgets_no_warning_and_lines_instead_of_a_bar():
    done = subprocess.run([sys.executable, "-c", NOTEBOOK_WITHOUT_WIDGETS],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no "TqdmWarning: IProgress not found"
    mode, *lines = done.stdout.splitlines()
    assert mode == "epoch" and epoch_numbers("\n".join(lines)) == [1, 2]


def test_in_a_notebook_with_ipywidgets_the_bar_is_a_widget(monkeypatch):
    pytest.importorskip("ipywidgets")
    from tqdm import notebook

    monkeypatch.setattr(nn.train, "_in_notebook", lambda: True)
    assert nn.train._resolve_verbose("auto", None) == ("bar", notebook.tqdm)


def test_a_real_notebook_kernel_prints_the_lines_and_no_tqdm_warning(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    cell = textwrap.dedent("""
        import numpy as np
        import nn
        X = np.random.default_rng(0).standard_normal((20, 2)).astype(np.float32)
        model = nn.Sequential(nn.Linear(2, 2))
        history = nn.fit(model, nn.cross_entropy, nn.optim.SGD(model.parameters(), lr=0.1),
                         (X, (X[:, 0] > 0).astype(int)), epochs=2)
    """)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell)])
    nbclient.NotebookClient(notebook, timeout=60, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = notebook.cells[0].outputs
    text = {name: "".join(o.get("text", "") for o in outputs if o.get("name") == name)
            for name in ("stdout", "stderr")}
    assert "IProgress" not in text["stderr"] and "Warning" not in text["stderr"]
    assert epoch_numbers(text["stdout"]) == [1, 2]  # the record stays in the notebook


def test_evaluation_runs_in_eval_mode_and_restores_training_mode():
    x, y = blobs(50)
    model = small_model()
    seen = []
    original = model.forward

    def spy(inputs):
        seen.append(model.training)
        return original(inputs)

    model.forward = spy
    fit(model, cross_entropy, SGD(model.parameters(), lr=0.05), (x, y), epochs=1,
        val_data=(x, y))
    assert seen == [True, False] and model.training


def test_accuracy_handles_class_scores_and_binary_scores():
    from autograd_lite import Tensor

    assert accuracy(Tensor([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 1])) == 0.5
    assert accuracy(Tensor([0.3, -0.2, 2.0]), np.array([1, 0, 0])) == pytest.approx(2 / 3)
    assert accuracy(Tensor([[0.3], [-0.2]]), np.array([1.0, -1.0])) == 1.0


@pytest.mark.parametrize(("kwargs", "pattern"), [
    ({"epochs": 1, "verbose": "loud"}, "verbose must be one of"),
    ({"epochs": 1, "verbose": "epoch", "progress": True}, "not both"),
    ({"epochs": 1, "log_every": 0}, "fit: log_every must be an int >= 1"),
    ({"epochs": -1}, "fit: epochs must be an int >= 0"),
    ({"epochs": 1, "on_nonfinite": "ignore"}, "on_nonfinite must be one of"),
    ({"epochs": 1, "monitor": "loss"}, "monitor must be one of"),
    ({"epochs": 1, "patience": 2}, "needs val_data"),
])
def test_bad_arguments_are_explained(kwargs, pattern):
    x, y = blobs(20)
    model = small_model()
    with pytest.raises(ValueError, match=pattern):
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (x, y), **kwargs)


@pytest.mark.parametrize(("kwargs", "pattern"), [
    ({"epochs": 1.5}, "fit: epochs must be an int >= 0, got float 1.5"),
    ({"epochs": "3"}, "fit: epochs must be an int >= 0, got str '3'"),
    ({"epochs": None}, "fit: epochs must be an int"),
    ({"epochs": True}, "fit: epochs must be an int"),
    ({"epochs": 1, "patience": 2.0, "val_data": "see below"}, "fit: patience must be an int"),
    ({"epochs": 1, "log_every": 1.0}, "fit: log_every must be an int"),
    ({"epochs": 1, "restore_best": "no"}, "fit: restore_best must be True or False"),
    ({"epochs": 1, "on_epoch_end": 3}, "fit: on_epoch_end must be callable"),
    ({"epochs": 1, "metric": "accuracy"}, "fit: metric must be callable"),
    ({"epochs": 1, "scheduler": "cosine"}, "fit: scheduler must have a step"),
])
def test_mistyped_arguments_are_type_errors_naming_fit_and_the_argument(kwargs, pattern):
    x, y = blobs(20)
    model = small_model()
    if kwargs.get("val_data") == "see below":
        kwargs["val_data"] = (x, y)
    with pytest.raises(TypeError, match=pattern):
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (x, y), **kwargs)


def test_a_model_loss_or_optimizer_of_the_wrong_kind_is_named():
    x, y = blobs(20)
    model = small_model()
    opt = SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="fit: model must be an nn.Module, got function"):
        fit(lambda v: v, cross_entropy, opt, (x, y), 1)
    with pytest.raises(TypeError, match="fit: loss_fn must be callable"):
        fit(model, "cross_entropy", opt, (x, y), 1)
    with pytest.raises(TypeError, match="fit: optimizer must have step"):
        fit(model, cross_entropy, "adam", (x, y), 1)
    with pytest.raises(TypeError, match="fit: train_data must be a DataLoader"):
        fit(model, cross_entropy, opt, "data.csv", 1)
    with pytest.raises(TypeError, match="each batch must be an \\(x, y\\) pair"):
        fit(model, cross_entropy, opt, [x], 1)
    with pytest.raises(TypeError, match="evaluate: model must be an nn.Module"):
        evaluate(None, cross_entropy, (x, y))


# --- non-finite losses -------------------------------------------------------------------------


def test_one_nan_in_the_data_stops_training_naming_epoch_batch_and_the_data():
    x, y = blobs(100)
    x[57, 3] = np.nan  # in the third batch of 25
    model = small_model()
    before = model.state_dict()
    with pytest.raises(nn.train.NonFiniteLossError,
                       match=r"the training loss became nan in epoch 1, batch 3 of 4; that "
                             r"batch's data holds nan or inf") as info:
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.05),
            DataLoader((x, y), batch_size=25), epochs=3, verbose="silent")
    error = info.value
    assert isinstance(error, ValueError)
    assert (error.epoch, error.batch, error.phase) == (1, 3, "training")
    assert all(np.isfinite(v).all() for v in model.state_dict().values())  # no nan step
    assert any(not np.array_equal(model.state_dict()[k], before[k]) for k in before)


def test_a_huge_learning_rate_stops_with_advice_to_lower_it():
    x, y = blobs(100)
    model = small_model()
    with np.errstate(all="ignore"):
        with pytest.raises(ValueError, match=r"the training loss became (nan|inf) in epoch \d+, "
                                             r"batch \d+ of 4; the weights diverged: try a "
                                             r"smaller learning rate \(now 1e\+25\)"):
            fit(model, cross_entropy, SGD(model.parameters(), lr=1e25),
                DataLoader((x, y), batch_size=25), epochs=5, verbose="silent")


def test_a_nan_validation_loss_is_an_error_too():
    x, y = blobs(100)
    bad = x[:20].copy()
    bad[0, 0] = np.inf
    model = small_model()
    with np.errstate(invalid="ignore"), pytest.raises(
            nn.train.NonFiniteLossError,
            match="the validation loss became nan in epoch 1, batch 1 of 1") as info:
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.05), (x, y), epochs=2,
            val_data=(bad, y[:20]), verbose="silent")
    assert info.value.phase == "validation" and info.value.history["train_loss"] == []


def nan_after(epochs_ok: int):
    """A loss that becomes nan from epoch `epochs_ok` on (4 batches per epoch)."""
    calls = [0]

    def loss_fn(out, target):
        calls[0] += out.requires_grad  # training batches only (validation records no graph)
        loss = cross_entropy(out, target)
        return loss * float("nan") if calls[0] > 4 * epochs_ok else loss

    return loss_fn


def test_stop_returns_the_history_of_complete_epochs_and_restores_the_best(capsys):
    x, y = blobs(100)
    model = small_model()
    snapshots = []
    history = fit(model, nan_after(3), SGD(model.parameters(), lr=0.05),
                  DataLoader((x, y), batch_size=25), epochs=10, val_data=(x, y), patience=5,
                  on_nonfinite="stop", monitor="train_loss", verbose="epoch",
                  on_epoch_end=lambda e, h: snapshots.append(model.state_dict()))
    assert history["stopped"] == "nonfinite" and len(history["train_loss"]) == 3
    assert history["restored"] and history["best_epoch"] == 2
    for name, value in model.state_dict().items():
        assert np.array_equal(value, snapshots[2][name])
    out = capsys.readouterr().out
    assert "stopped: fit: the training loss became nan in epoch 4, batch 1 of 4" in out
    assert "the loss became non-finite in epoch 4/10; restored the weights of epoch 3" in out


def test_continue_keeps_training_and_a_nan_epoch_is_never_the_best():
    x, y = blobs(100)
    model = small_model()
    history = fit(model, nan_after(2), SGD(model.parameters(), lr=0.05),
                  DataLoader((x, y), batch_size=25), epochs=4, val_data=(x, y), patience=3,
                  monitor="train_loss", on_nonfinite="continue", verbose="silent")
    assert np.isnan(history["train_loss"][2:]).all() and history["stopped"] is None
    assert history["best_epoch"] == 1 and history["restored"]


def test_with_patience_a_nan_first_validation_loss_is_never_best():
    x, y = blobs(60)
    bad = x.copy()
    bad[0] = np.nan
    model = small_model()
    history = fit(model, cross_entropy, SGD(model.parameters(), lr=0.05), (x, y), epochs=3,
                  val_data=(bad, y), patience=1, on_nonfinite="continue", verbose="silent")
    assert history["best_epoch"] is None and not history["restored"]
    assert history["stopped"] == "early" and len(history["val_loss"]) == 1


# --- Ctrl-C --------------------------------------------------------------------------------------


def test_ctrl_c_restores_the_best_weights_says_so_and_reraises(capsys):
    x, y = blobs(300)
    wrong = (y + 1) % 10  # validation gets worse as training goes on: the best is early
    model = small_model()
    snapshots = []
    calls = [0]

    def loss_fn(out, target):
        calls[0] += model.training  # training batches only
        if calls[0] == 6 * 6 + 3:  # 6 batches an epoch: batch 3 of epoch 7
            raise KeyboardInterrupt
        return cross_entropy(out, target)

    with pytest.raises(KeyboardInterrupt) as info:
        fit(model, loss_fn, Adam(model.parameters(), lr=0.02), DataLoader((x, y), batch_size=50),
            epochs=30, val_data=(x, wrong), patience=20, verbose="epoch",
            on_epoch_end=lambda e, h: snapshots.append(model.state_dict()))
    history = info.value.history
    best = history["best_epoch"]
    assert history["stopped"] == "interrupted" and history["restored"]
    assert len(history["val_loss"]) == 6 and best == int(np.argmin(history["val_loss"])) < 5
    for name, value in model.state_dict().items():
        assert np.array_equal(value, snapshots[best][name])
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith(f"interrupted during epoch 7/30; restored the weights of epoch "
                           f"{best + 1} (val_loss ")


def test_ctrl_c_from_a_callback_without_patience_reraises_with_the_history():
    x, y = blobs(50)
    model = small_model()

    def interrupt(epoch, history):
        if epoch == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as info:
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.05), (x, y), epochs=5,
            on_epoch_end=interrupt, verbose="silent")
    assert info.value.history["stopped"] == "interrupted"
    assert len(info.value.history["train_loss"]) == 2 and not info.value.history["restored"]


# --- binary outputs -----------------------------------------------------------------------------


def binary_problem():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 2)).astype(np.float32)
    return x, (x[:, 0] > -1.5).astype(np.float32)  # 39 of 40 positive


def test_evaluate_of_a_sigmoid_model_thresholds_probabilities_at_one_half():
    from nn.layers import Sigmoid

    x, y = binary_problem()
    autograd_lite.manual_seed(0)
    model = Sequential(Linear(2, 1), Sigmoid())

    def bce(out, target):
        return nn.binary_cross_entropy(out.reshape(-1), target)

    fit(model, bce, Adam(model.parameters(), lr=0.1), (x, y), epochs=300, verbose="silent")
    loss, score = evaluate(model, bce, (x, y))
    assert loss < 0.05 and score == 1.0  # was 0.975: every probability is > 0


def test_the_threshold_follows_the_loss_for_probabilities_and_is_zero_for_logits():
    from autograd_lite import Tensor

    probabilities = Tensor([[0.2], [0.7], [0.4]])
    labels = np.array([0.0, 1.0, 0.0])
    model = Sequential(Linear(2, 1))  # no sigmoid: logits
    assert nn.train._resolve_metric(model, cross_entropy, accuracy) is accuracy
    metric = nn.train._resolve_metric(model, nn.binary_cross_entropy, accuracy)
    assert metric(probabilities, labels) == 1.0 and accuracy(probabilities, labels) == 1 / 3
    assert accuracy(Tensor([[-0.3], [2.0]]), np.array([0, 1])) == 1.0  # logits: sign
