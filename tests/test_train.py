"""nn.fit: history, validation, early stopping with best-weight restore, schedules, progress
bars, Nielsen-style monitoring; end-to-end learning on XOR and a 10-class problem."""

import numpy as np
import pytest

import autograd_lite
from nn.data import DataLoader, xor
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


def test_history_has_one_entry_per_epoch_for_every_quantity():
    x, y = blobs(200)
    model = small_model()
    history = fit(model, cross_entropy, SGD(model.parameters(), lr=0.05),
                  DataLoader((x, y), batch_size=64), epochs=3, val_data=(x[:50], y[:50]))
    assert set(history) == {"train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr"}
    assert all(len(v) == 3 for v in history.values())
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
        val_data=(x, y), on_epoch_end=monitor)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 0 training complete"
    assert lines[1].startswith("Accuracy on evaluation data: ") and lines[1].endswith(" / 100")


def test_progress_bar_is_silent_off_a_terminal_and_shown_when_asked(capsys):
    x, y = blobs(100)
    model = small_model()
    fit(model, cross_entropy, SGD(model.parameters(), lr=0.05), (x, y), epochs=1)
    assert capsys.readouterr().err == ""  # pytest's stderr is not a terminal
    fit(model, cross_entropy, SGD(model.parameters(), lr=0.05), (x, y), epochs=1,
        progress=True)
    assert "epoch 1/1" in capsys.readouterr().err


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
    ({"epochs": -1}, "epochs must be >= 0"),
    ({"epochs": 1, "monitor": "loss"}, "monitor must be one of"),
    ({"epochs": 1, "patience": 2}, "needs val_data"),
])
def test_bad_arguments_are_explained(kwargs, pattern):
    x, y = blobs(20)
    model = small_model()
    with pytest.raises(ValueError, match=pattern):
        fit(model, cross_entropy, SGD(model.parameters(), lr=0.1), (x, y), **kwargs)
