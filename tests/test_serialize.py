"""nn.save / nn.load: plain .npz at exactly the path, atomic, strict, never pickle."""

import io
import os
import zipfile

import numpy as np
import pytest

from nn.module import Module, Parameter
from nn.serialize import load, save


class Net(Module):
    def __init__(self, seed: int = 0, hidden: int = 3) -> None:
        super().__init__()
        rng = np.random.default_rng(seed)
        self.weight = Parameter(rng.standard_normal((hidden, 2)))
        self.bias = Parameter(rng.standard_normal(hidden))
        self.register_buffer("running_mean", rng.standard_normal(hidden))


def arrays(module: Module) -> dict:
    return {k: v.copy() for k, v in module.state_dict().items()}


def test_round_trip_restores_every_parameter_and_buffer(tmp_path):
    path = tmp_path / "model.npz"
    save(Net(seed=1), path)
    restored = load(Net(seed=2), path)
    for name, value in arrays(Net(seed=1)).items():
        assert np.array_equal(restored.state_dict()[name], value)
        assert restored.state_dict()[name].dtype == value.dtype


def test_file_is_written_at_exactly_the_path_given(tmp_path):
    save(Net(), tmp_path / "weights")  # no suffix: numpy would add .npz, we do not
    assert sorted(p.name for p in tmp_path.iterdir()) == ["weights"]
    assert zipfile.is_zipfile(tmp_path / "weights")


def test_saved_file_is_a_plain_npz_without_pickles(tmp_path):
    save(Net(), tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as f:
        assert sorted(f.files) == ["bias", "running_mean", "weight"]


def test_failed_save_leaves_an_existing_file_untouched(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    save(Net(seed=1), path)
    before = path.read_bytes()

    def broken_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        save(Net(seed=2), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]  # no temporary file left


@pytest.mark.parametrize("content", [b"", b"garbage, not a zip", b"PK\x03\x04truncated"])
def test_loading_garbage_raises_a_clear_error_and_changes_nothing(tmp_path, content):
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    net = Net(seed=3)
    before = arrays(net)
    with pytest.raises(ValueError, match="not a valid saved module"):
        load(net, path)
    assert all(np.array_equal(net.state_dict()[k], v) for k, v in before.items())


def test_a_truncated_file_is_refused(tmp_path):
    path = tmp_path / "m.npz"
    save(Net(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="not a valid saved module"):
        load(Net(), path)


def test_loading_never_unpickles(tmp_path):
    path = tmp_path / "evil.npz"
    buffer = io.BytesIO()
    np.savez(buffer, weight=np.array([{"payload": 1}], dtype=object))  # needs pickle to read
    path.write_bytes(buffer.getvalue())
    with pytest.raises(ValueError, match="pickled objects, which are never loaded"):
        load(Net(), path)


def test_a_single_npy_array_is_not_a_saved_module(tmp_path):
    path = tmp_path / "a.npy"
    np.save(path, np.ones(3))
    with pytest.raises(ValueError, match="single array"):
        load(Net(), path)


def test_missing_and_unexpected_names_are_listed_and_nothing_changes(tmp_path):
    path = tmp_path / "m.npz"
    buffer = io.BytesIO()
    np.savez(buffer, weight=np.ones((3, 2)), other=np.ones(3))
    path.write_bytes(buffer.getvalue())
    net = Net()
    before = arrays(net)
    with pytest.raises(KeyError, match=r"missing \['bias', 'running_mean'\], unexpected "
                                       r"\['other'\]"):
        load(net, path)
    assert all(np.array_equal(net.state_dict()[k], v) for k, v in before.items())


def test_wrong_shape_is_named_and_nothing_changes(tmp_path):
    path = tmp_path / "m.npz"
    save(Net(hidden=4), path)
    net = Net(hidden=3)
    before = arrays(net)
    with pytest.raises(ValueError, match=r"'weight' has shape \(4, 2\), the module expects "
                                         r"\(3, 2\)"):
        load(net, path)
    assert all(np.array_equal(net.state_dict()[k], v) for k, v in before.items())


def test_wrong_dtype_kind_is_refused(tmp_path):
    path = tmp_path / "m.npz"
    state = {k: v.astype(np.int64) for k, v in Net().state_dict().items()}
    buffer = io.BytesIO()
    np.savez(buffer, **state)
    path.write_bytes(buffer.getvalue())
    with pytest.raises(TypeError, match="dtype int64"):
        load(Net(), path)


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(Net(), tmp_path / "absent.npz")
