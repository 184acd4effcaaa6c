"""nn.data: DataLoader batching, shuffling and dtypes; toy datasets; IDX (MNIST) files."""

from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path

import numpy as np
import pytest

from autograd_lite import Tensor, manual_seed
from nn.data import (
    DataLoader,
    and_gate,
    load_idx,
    load_mnist_like,
    moons,
    or_gate,
    spirals,
    xor,
)

FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


def _labelled(n: int = 10, dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
    """X whose first column equals the label, so a batch's rows and labels can be matched."""
    y = np.arange(n, dtype=np.int64)
    X = np.stack([y, -y, 2 * y], axis=1).astype(dtype)
    return X, y


def _epoch_labels(loader: DataLoader) -> np.ndarray:
    return np.concatenate([yb.data for _, yb in loader])


# --- DataLoader: batch sizes ---------------------------------------------------------------


def test_1000_samples_in_batches_of_256_give_256_256_256_232():
    X, y = _labelled(1000)
    loader = DataLoader((X, y), batch_size=256)
    sizes = [xb.shape[0] for xb, _ in loader]
    assert sizes == [256, 256, 256, 232]
    assert len(loader) == 4


def test_drop_last_drops_the_short_final_batch():
    X, y = _labelled(1000)
    loader = DataLoader((X, y), batch_size=256, drop_last=True)
    assert [xb.shape[0] for xb, _ in loader] == [256, 256, 256]
    assert len(loader) == 3


def test_exact_multiple_has_no_short_batch_with_or_without_drop_last():
    X, y = _labelled(12)
    assert len(DataLoader((X, y), batch_size=4)) == 3
    assert len(DataLoader((X, y), batch_size=4, drop_last=True)) == 3


def test_batch_larger_than_dataset_gives_one_batch_or_none_with_drop_last():
    X, y = _labelled(5)
    assert [xb.shape for xb, _ in DataLoader((X, y), batch_size=8)] == [(5, 3)]
    assert list(DataLoader((X, y), batch_size=8, drop_last=True)) == []
    assert len(DataLoader((X, y), batch_size=8, drop_last=True)) == 0


def test_default_batch_size_is_one():
    X, y = _labelled(3)
    assert [xb.shape for xb, _ in DataLoader((X, y))] == [(1, 3)] * 3


def test_without_shuffle_batches_follow_the_dataset_order():
    X, y = _labelled(10)
    batches = list(DataLoader((X, y), batch_size=4))
    assert np.array_equal(np.concatenate([xb.data for xb, _ in batches]), X)
    assert np.array_equal(np.concatenate([yb.data for _, yb in batches]), y)


# --- DataLoader: shuffling -----------------------------------------------------------------


def test_shuffle_yields_every_sample_exactly_once_per_epoch_with_rows_and_labels_paired():
    X, y = _labelled(103)
    loader = DataLoader((X, y), batch_size=16, shuffle=True, rng=np.random.default_rng(0))
    for _ in range(3):
        xs, ys = zip(*[(xb.data, yb.data) for xb, yb in loader], strict=True)
        xs, ys = np.concatenate(xs), np.concatenate(ys)
        assert sorted(ys.tolist()) == list(range(103))
        assert np.array_equal(xs[:, 0], ys.astype(np.float32))  # rows travel with their labels
        assert not np.array_equal(ys, y)  # actually shuffled


def test_shuffle_is_reproducible_with_manual_seed():
    X, y = _labelled(50)
    manual_seed(123)
    first = [_epoch_labels(DataLoader((X, y), batch_size=8, shuffle=True)) for _ in range(2)]
    manual_seed(123)
    again = [_epoch_labels(DataLoader((X, y), batch_size=8, shuffle=True)) for _ in range(2)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    manual_seed(124)
    other = _epoch_labels(DataLoader((X, y), batch_size=8, shuffle=True))
    assert not np.array_equal(first[0], other)


def test_manual_seed_after_building_the_loader_still_controls_the_next_epoch():
    X, y = _labelled(50)
    loader = DataLoader((X, y), batch_size=8, shuffle=True)
    manual_seed(5)
    a = _epoch_labels(loader)
    manual_seed(5)
    assert np.array_equal(_epoch_labels(loader), a)


def test_shuffle_is_reproducible_with_an_explicit_rng():
    X, y = _labelled(50)
    a = _epoch_labels(DataLoader((X, y), 8, shuffle=True, rng=np.random.default_rng(9)))
    manual_seed(1)  # the shared generator plays no part
    b = _epoch_labels(DataLoader((X, y), 8, shuffle=True, rng=np.random.default_rng(9)))
    assert np.array_equal(a, b)


def test_each_epoch_draws_a_new_permutation():
    X, y = _labelled(50)
    loader = DataLoader((X, y), batch_size=8, shuffle=True, rng=np.random.default_rng(3))
    epochs = [_epoch_labels(loader) for _ in range(3)]
    assert not np.array_equal(epochs[0], epochs[1])
    assert not np.array_equal(epochs[1], epochs[2])


def test_array_datasets_are_batched_by_fancy_indexing_not_per_sample():
    class CountingArray(np.ndarray):
        calls = 0

        def __getitem__(self, index):
            CountingArray.calls += 1
            return np.asarray(super().__getitem__(index))

    X, y = _labelled(1000)
    Xc = X.view(CountingArray)
    for shuffle in (False, True):
        CountingArray.calls = 0
        batches = list(DataLoader((Xc, y), batch_size=100, shuffle=shuffle))
        assert len(batches) == 10
        assert CountingArray.calls == 10  # one indexing operation per batch


# --- DataLoader: dtypes and dataset kinds --------------------------------------------------


def test_float32_inputs_stay_float32_and_integer_labels_stay_integer_without_grad():
    X, y = _labelled(6)
    xb, yb = next(iter(DataLoader((X, y), batch_size=4)))
    assert isinstance(xb, Tensor) and isinstance(yb, Tensor)
    assert xb.dtype == np.float32 and yb.dtype == np.int64
    assert not xb.requires_grad and not yb.requires_grad


def test_float64_inputs_keep_float64_and_other_label_ints_keep_their_dtype():
    X, y = _labelled(6, dtype=np.float64)
    xb, yb = next(iter(DataLoader((X, y.astype(np.uint8)), batch_size=4)))
    assert xb.dtype == np.float64 and yb.dtype == np.uint8


def test_python_lists_follow_the_tensor_rule_floats_become_float32():
    X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    y = [0, 1, 1, 0]
    xb, yb = next(iter(DataLoader((X, y), batch_size=4)))
    assert xb.dtype == np.float32 and yb.dtype == np.int64
    assert np.array_equal(xb.data, np.array(X, dtype=np.float32))


def test_dtype_argument_casts_floating_fields_only():
    X, y = _labelled(6)
    xb, yb = next(iter(DataLoader((X, y), batch_size=4, dtype=np.float64)))
    assert xb.dtype == np.float64 and yb.dtype == np.int64


def test_batches_own_their_data_and_do_not_alias_the_dataset():
    X, y = _labelled(6)
    for shuffle in (False, True):
        xb, _ = next(iter(DataLoader((X, y), batch_size=4, shuffle=shuffle)))
        xb.data[...] = -99.0
        assert np.array_equal(X, _labelled(6)[0])


def test_tensor_fields_and_more_than_two_arrays_are_accepted():
    X, y = _labelled(7)
    w = np.linspace(0, 1, 7)
    batches = list(DataLoader((Tensor(X), y, w), batch_size=3))
    assert [len(b) for b in batches] == [3, 3, 3]
    xb, yb, wb = batches[-1]
    assert xb.shape == (1, 3) and yb.shape == (1,) and wb.dtype == np.float64


def test_a_single_array_yields_single_tensors():
    X, _ = _labelled(5)
    batches = list(DataLoader(X, batch_size=2))
    assert all(isinstance(b, Tensor) for b in batches)
    assert [b.shape for b in batches] == [(2, 3), (2, 3), (1, 3)]


def test_indexable_of_tuples_dataset_is_stacked_per_field():
    class Squares:
        def __len__(self) -> int:
            return 10

        def __getitem__(self, i: int) -> tuple[np.ndarray, int]:
            if not 0 <= i < 10:
                raise IndexError(i)
            return np.array([i, i * i], dtype=np.float32), i % 2

    loader = DataLoader(Squares(), batch_size=4, shuffle=True, rng=np.random.default_rng(0))
    assert len(loader) == 3
    seen = []
    for xb, yb in loader:
        assert xb.dtype == np.float32 and yb.dtype == np.int64
        assert np.array_equal(xb.data[:, 1], xb.data[:, 0] ** 2)
        assert np.array_equal(yb.data, xb.data[:, 0].astype(np.int64) % 2)
        seen += xb.data[:, 0].astype(int).tolist()
    assert sorted(seen) == list(range(10))


def test_list_of_sample_tuples_with_python_numbers():
    data = [([float(i), 1.0], i) for i in range(5)]
    batches = list(DataLoader(data, batch_size=2))
    assert [xb.shape for xb, _ in batches] == [(2, 2), (2, 2), (1, 2)]
    xb, yb = batches[0]
    assert xb.dtype == np.float32 and yb.dtype == np.int64
    assert yb.data.tolist() == [0, 1]


# --- DataLoader: errors --------------------------------------------------------------------


def test_mismatched_array_lengths_raise():
    X, y = _labelled(10)
    with pytest.raises(ValueError, match=r"different lengths \[10, 9\]"):
        DataLoader((X, y[:9]), batch_size=2)


@pytest.mark.parametrize("bad", [0, -3])
def test_batch_size_below_one_raises(bad):
    with pytest.raises(ValueError, match="batch_size must be an int >= 1"):
        DataLoader(_labelled(4), batch_size=bad)


@pytest.mark.parametrize("bad", [2.5, True, "4", None])
def test_batch_size_that_is_not_an_int_raises(bad):
    with pytest.raises(TypeError, match="batch_size must be an int"):
        DataLoader(_labelled(4), batch_size=bad)


@pytest.mark.parametrize("empty", [(np.zeros((0, 2)), np.zeros(0)), [], np.zeros((0, 3))])
def test_empty_dataset_raises(empty):
    with pytest.raises(ValueError, match="empty"):
        DataLoader(empty, batch_size=2)


def test_dataset_without_len_and_getitem_raises():
    with pytest.raises(TypeError, match="__len__ and __getitem__"):
        DataLoader(42, batch_size=2)


def test_bad_rng_and_non_float_dtype_raise():
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        DataLoader(_labelled(4), batch_size=2, rng=np.random.RandomState(0))
    with pytest.raises(ValueError, match="floating dtype"):
        DataLoader(_labelled(4), batch_size=2, dtype=np.int32)


def test_zero_dim_and_non_numeric_fields_raise():
    with pytest.raises(ValueError, match="0-d"):
        DataLoader((np.zeros(3), np.array(1.0)), batch_size=2)
    with pytest.raises(TypeError, match="numbers"):
        DataLoader((np.zeros(3), np.array(["a", "b", "c"])), batch_size=2)


def test_samples_of_different_shapes_or_field_counts_raise():
    ragged = [(np.zeros(2), 0), (np.zeros(3), 1)]
    with pytest.raises(ValueError, match="different shapes"):
        list(DataLoader(ragged, batch_size=2))
    uneven = [(np.zeros(2), 0), (np.zeros(2), 1, 5)]
    with pytest.raises(ValueError, match="sample 1 has 3 fields"):
        list(DataLoader(uneven, batch_size=2))


# --- toy datasets --------------------------------------------------------------------------


@pytest.mark.parametrize("make, labels", [(xor, [0, 1, 1, 0]), (and_gate, [0, 0, 0, 1]),
                                          (or_gate, [0, 1, 1, 1])])
def test_truth_tables(make, labels):
    X, y = make()
    assert X.dtype == np.float32 and X.shape == (4, 2)
    assert y.dtype == np.int64 and y.tolist() == labels
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    X[0, 0] = 5.0
    assert make()[0][0, 0] == 0.0  # a fresh copy each call


def test_moons_shapes_dtypes_and_class_balance():
    X, y = moons(101, rng=np.random.default_rng(0))
    assert X.shape == (101, 2) and X.dtype == np.float32
    assert y.shape == (101,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [50, 51]  # n // 2 outer, n - n // 2 inner


def test_moons_without_noise_lie_exactly_on_the_two_arcs():
    X, y = moons(200, noise=0.0, rng=np.random.default_rng(0))
    outer, inner = X[y == 0].astype(np.float64), X[y == 1].astype(np.float64)
    np.testing.assert_allclose(np.hypot(outer[:, 0], outer[:, 1]), 1.0, atol=1e-6)
    assert (outer[:, 1] >= -1e-6).all()  # upper half circle centred at (0, 0)
    np.testing.assert_allclose(np.hypot(inner[:, 0] - 1.0, inner[:, 1] - 0.5), 1.0, atol=1e-6)
    assert (inner[:, 1] <= 0.5 + 1e-6).all()  # lower half circle centred at (1, 0.5)
    # the arc endpoints t = 0 and t = pi are included
    for point in ([1, 0], [-1, 0], [0, 0.5], [2, 0.5]):
        assert np.min(np.abs(X - np.array(point, dtype=np.float32)).sum(axis=1)) < 1e-6


def test_moons_noise_moves_points_off_the_arcs_by_about_the_noise_scale():
    X, y = moons(2000, noise=0.1, rng=np.random.default_rng(1))
    outer = X[y == 0].astype(np.float64)
    deviation = np.hypot(outer[:, 0], outer[:, 1]) - 1.0
    assert 0.07 < deviation.std() < 0.13


def test_moons_are_shuffled_and_deterministic_given_seed_or_rng():
    manual_seed(0)
    a = moons(50)
    manual_seed(0)
    b = moons(50)
    c = moons(50, rng=np.random.default_rng(0))
    d = moons(50, rng=np.random.default_rng(0))
    assert all(np.array_equal(p, q) for p, q in zip(a, b, strict=True))
    assert all(np.array_equal(p, q) for p, q in zip(c, d, strict=True))
    assert not np.array_equal(a[0], moons(50, rng=np.random.default_rng(1))[0])
    assert not (np.all(a[1][:25] == 0) and np.all(a[1][25:] == 1))  # labels interleaved
    X, y = moons(50, shuffle=False, rng=np.random.default_rng(0))
    assert y.tolist() == [0] * 25 + [1] * 25


def test_spirals_shapes_dtypes_and_class_balance():
    X, y = spirals(100, classes=3, rng=np.random.default_rng(0))
    assert X.shape == (100, 2) and X.dtype == np.float32
    assert y.shape == (100,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [34, 33, 33]
    X, y = spirals(300, classes=5, rng=np.random.default_rng(0))
    assert np.bincount(y).tolist() == [60] * 5


def test_spirals_without_noise_follow_the_arms():
    X, y = spirals(300, classes=3, noise=0.0, rng=np.random.default_rng(0))
    X = X.astype(np.float64)
    r = np.hypot(X[:, 0], X[:, 1])
    assert r.min() >= 0 and r.max() == pytest.approx(1.0, abs=1e-6)
    keep = r > 1e-3  # the angle is undefined at the centre
    angle = np.arctan2(X[keep, 0], X[keep, 1])  # point = (r sin t, r cos t)
    expected = 4.0 * y[keep] + 4.0 * r[keep]
    wrapped = np.angle(np.exp(1j * (angle - expected)))
    np.testing.assert_allclose(wrapped, 0.0, atol=1e-4)


def test_spirals_are_deterministic_given_seed_or_rng():
    manual_seed(4)
    a = spirals(60)
    manual_seed(4)
    b = spirals(60)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    c = spirals(60, rng=np.random.default_rng(4))
    d = spirals(60, rng=np.random.default_rng(4))
    assert np.array_equal(c[0], d[0])
    assert not np.array_equal(c[0], spirals(60, rng=np.random.default_rng(5))[0])


@pytest.mark.parametrize("call, message", [
    (lambda: moons(0), "n must be an int >= 1"),
    (lambda: moons(10, noise=-0.1), "noise"),
    (lambda: spirals(2, classes=3), "n must be an int >= 3"),
    (lambda: spirals(10, classes=0), "classes must be an int >= 1"),
    (lambda: spirals(10.5), "n must be an int"),
    (lambda: moons(10, noise=float("nan")), "noise"),
    (lambda: moons("10"), "moons: n must be an int"),
])
def test_dataset_arguments_are_validated(call, message):
    with pytest.raises((ValueError, TypeError), match=message):  # TypeError: not an int
        call()


def test_datasets_feed_a_dataloader():
    X, y = moons(100, rng=np.random.default_rng(0))
    loader = DataLoader((X, y), batch_size=32, shuffle=True, rng=np.random.default_rng(0))
    assert [xb.shape for xb, _ in loader] == [(32, 2)] * 3 + [(4, 2)]


# --- IDX files -----------------------------------------------------------------------------

_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(np.int16): 0x0B,
          np.dtype(np.int32): 0x0C, np.dtype(np.float32): 0x0D, np.dtype(np.float64): 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode `array` as an IDX file by hand: magic, big-endian sizes, big-endian data."""
    code = _CODES[array.dtype]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(path: Path, payload: bytes, gz: bool = False) -> Path:
    path.write_bytes(gzip.compress(payload) if gz else payload)
    return path


_RNG = np.random.default_rng(0)
_ARRAYS = {
    "ubyte_labels_1d": _RNG.integers(0, 10, size=17).astype(np.uint8),
    "ubyte_images_3d": _RNG.integers(0, 256, size=(3, 28, 28)).astype(np.uint8),
    "float32_2d": _RNG.standard_normal((4, 5)).astype(np.float32),
    "int16_2d": np.array([[-32768, -1, 0], [1, 258, 32767]], dtype=np.int16),
    "int8_1d": np.array([-128, -1, 0, 127], dtype=np.int8),
    "int32_1d": np.array([-(2**31), -70000, 0, 2**31 - 1], dtype=np.int32),
    "float64_1d": np.array([np.pi, -1e300, 0.0, 5e-324]),
}


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize("name", list(_ARRAYS))
def test_load_idx_reads_back_exactly_what_was_written(tmp_path, name, gz):
    array = _ARRAYS[name]
    path = write(tmp_path / (name + (".gz" if gz else "")), idx_bytes(array), gz)
    loaded = load_idx(path)
    assert loaded.dtype == array.dtype and loaded.dtype.isnative
    assert loaded.shape == array.shape
    assert np.array_equal(loaded, array)
    assert loaded.flags.writeable


def test_load_idx_uses_big_endian_for_the_payload(tmp_path):
    payload = bytes([0, 0, 0x0B, 1]) + struct.pack(">I", 2) + bytes([0x01, 0x02, 0xFF, 0xFE])
    assert load_idx(write(tmp_path / "x", payload)).tolist() == [258, -2]


def test_load_idx_detects_gzip_by_magic_bytes_not_by_name(tmp_path):
    array = _ARRAYS["ubyte_labels_1d"]
    zipped = write(tmp_path / "labels.bin", idx_bytes(array), gz=True)
    misnamed = write(tmp_path / "labels.gz", idx_bytes(array))  # raw despite the suffix
    assert np.array_equal(load_idx(zipped), array)
    assert np.array_equal(load_idx(misnamed), array)
    assert np.array_equal(load_idx(str(zipped)), array)  # str paths too


def test_load_idx_rejects_a_bad_magic_number(tmp_path):
    path = write(tmp_path / "bad", b"\x01\x00\x08\x01" + struct.pack(">I", 1) + b"\x00")
    with pytest.raises(ValueError, match=r"bad magic number 01 00 08 01") as info:
        load_idx(path)
    assert str(path) in str(info.value)


def test_load_idx_rejects_an_unknown_dtype_code(tmp_path):
    path = write(tmp_path / "bad", b"\x00\x00\x0a\x01" + struct.pack(">I", 1) + b"\x00")
    with pytest.raises(ValueError, match="unknown IDX dtype code 0x0A"):
        load_idx(path)


def test_load_idx_rejects_ndim_zero_and_a_truncated_header(tmp_path):
    with pytest.raises(ValueError, match="ndim 0"):
        load_idx(write(tmp_path / "a", b"\x00\x00\x08\x00"))
    with pytest.raises(ValueError, match="truncated in its header"):
        load_idx(write(tmp_path / "b", b"\x00\x00\x08\x03" + struct.pack(">2I", 2, 2)))
    with pytest.raises(ValueError, match="truncated"):
        load_idx(write(tmp_path / "c", b"\x00\x00"))


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzip"])
def test_load_idx_rejects_a_truncated_payload_naming_file_and_byte_counts(tmp_path, gz):
    data = idx_bytes(_ARRAYS["float32_2d"])  # 20 floats: 80 payload bytes
    path = write(tmp_path / "short.idx", data[:-3], gz)
    with pytest.raises(ValueError, match="truncated") as info:
        load_idx(path)
    message = str(info.value)
    assert str(path) in message and "80 payload bytes" in message and "only 77" in message


def test_load_idx_rejects_trailing_bytes(tmp_path):
    path = write(tmp_path / "long", idx_bytes(_ARRAYS["int8_1d"]) + b"\x00\x00")
    with pytest.raises(ValueError, match="2 trailing bytes"):
        load_idx(path)


def test_load_idx_rejects_a_corrupt_gzip_stream(tmp_path):
    good = gzip.compress(idx_bytes(_ARRAYS["ubyte_images_3d"]))
    garbled = good[:10] + bytes(b ^ 0xFF for b in good[10:40]) + good[40:]
    for name, blob in [("garbled.gz", garbled), ("cut.gz", good[: len(good) // 2]),
                       ("header-only.gz", good[:2])]:
        with pytest.raises(ValueError, match="corrupt gzip stream") as info:
            load_idx(write(tmp_path / name, blob))
        assert name in str(info.value)


def test_load_idx_rejects_an_empty_file(tmp_path):
    with pytest.raises(ValueError, match="empty file"):
        load_idx(write(tmp_path / "empty", b""))


def test_load_idx_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_idx(tmp_path / "nope")


# --- load_mnist_like -----------------------------------------------------------------------


def _mnist_folder(tmp_path: Path, n_images: int = 6, n_labels: int = 6) -> Path:
    images = np.arange(n_images * 28 * 28).reshape(n_images, 28, 28) % 256
    labels = np.arange(n_labels) % 10
    write(tmp_path / "train-images-idx3-ubyte.gz", idx_bytes(images.astype(np.uint8)), gz=True)
    write(tmp_path / "train-labels-idx1-ubyte", idx_bytes(labels.astype(np.uint8)))
    write(tmp_path / "t10k-images-idx3-ubyte", idx_bytes(images[:2].astype(np.uint8)))
    write(tmp_path / "t10k-labels-idx1-ubyte.gz", idx_bytes(labels[:2].astype(np.uint8)), True)
    return tmp_path


def test_load_mnist_like_scales_images_to_unit_range_and_returns_int64_labels(tmp_path):
    folder = _mnist_folder(tmp_path)
    images, labels = load_mnist_like(folder)
    assert images.shape == (6, 28, 28) and images.dtype == np.float32
    assert labels.tolist() == [0, 1, 2, 3, 4, 5] and labels.dtype == np.int64
    assert images.min() == 0.0 and images.max() == 1.0
    assert images[0, 0, 1] == np.float32(1 / 255)
    for kind in ("t10k", "test"):
        test_images, test_labels = load_mnist_like(str(folder), kind=kind)
        assert test_images.shape == (2, 28, 28) and test_labels.shape == (2,)


def test_load_mnist_like_checks_counts_kind_and_presence(tmp_path):
    folder = _mnist_folder(tmp_path, n_images=6, n_labels=5)
    with pytest.raises(ValueError, match="6 images .* but 5 labels"):
        load_mnist_like(folder)
    with pytest.raises(ValueError, match="kind must be"):
        load_mnist_like(folder, kind="validation")
    os.remove(folder / "t10k-labels-idx1-ubyte.gz")
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte"):
        load_mnist_like(folder, kind="t10k")


def test_real_fashion_mnist_files():
    if not FASHION_MNIST.is_dir():
        pytest.skip(f"{FASHION_MNIST} is absent (Debian package dataset-fashion-mnist)")
    train_x, train_y = load_mnist_like(FASHION_MNIST, "train")
    test_x, test_y = load_mnist_like(FASHION_MNIST, "t10k")
    assert train_x.shape == (60000, 28, 28) and train_y.shape == (60000,)
    assert test_x.shape == (10000, 28, 28) and test_y.shape == (10000,)
    for x, y in ((train_x, train_y), (test_x, test_y)):
        assert x.dtype == np.float32 and 0.0 <= x.min() and x.max() <= 1.0
        assert y.dtype == np.int64 and y.min() == 0 and y.max() == 9
        assert np.bincount(y).tolist() == [len(y) // 10] * 10  # Fashion-MNIST is balanced


# --- bounded reads and labels -------------------------------------------------------------------


def test_load_idx_inflates_no_further_than_the_header_announces(tmp_path):
    """A 1 MB .gz announcing 100 bytes (it would inflate to 1 GiB) is refused after 101."""
    import tracemalloc
    import zlib

    header = bytes([0, 0, 0x08, 1]) + struct.pack(">I", 100)
    start, segment = (zlib.compressobj(9, zlib.DEFLATED, -15) for _ in range(2))
    head = start.compress(header) + start.flush(zlib.Z_FULL_FLUSH)
    block = segment.compress(bytes(1 << 20)) + segment.flush(zlib.Z_FULL_FLUSH)  # 1 MiB
    end = zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    # gzip framing around one flushed 1 MiB block repeated 1024 times (independent blocks
    # concatenate); the trailer's CRC is not computed: a bounded reader never gets there
    blob = (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + head + block * 1024 + end
            + struct.pack("<II", 0, (len(header) + (1 << 30)) & 0xFFFFFFFF))
    path = write(tmp_path / "bomb-labels.gz", blob)
    assert path.stat().st_size < 1_500_000
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="trailing bytes: header announces shape "
                                             r"\(100,\) of uint8"):
            load_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000


def test_load_idx_refuses_a_header_larger_than_max_bytes_before_reading(tmp_path):
    header = bytes([0, 0, 0x0E, 3]) + struct.pack(">3I", 10**4, 10**4, 10**4)  # 8 TB
    with pytest.raises(ValueError, match="more than max_bytes=4294967296"):
        load_idx(write(tmp_path / "huge", header))
    small = write(tmp_path / "small", idx_bytes(_ARRAYS["int8_1d"]))
    with pytest.raises(ValueError, match="more than max_bytes=3"):
        load_idx(small, max_bytes=3)


def _labels_folder(tmp_path: Path, labels: np.ndarray) -> Path:
    images = np.zeros((len(labels), 4, 4), dtype=np.uint8)
    write(tmp_path / "train-images-idx3-ubyte", idx_bytes(images))
    write(tmp_path / "train-labels-idx1-ubyte", idx_bytes(labels))
    return tmp_path


@pytest.mark.parametrize(("labels", "message"), [
    (np.array([0.5, 1.7, np.nan], dtype=np.float32), "must be integer class labels, got "
                                                     "dtype float32"),
    (np.array([1, -5, 2], dtype=np.int8), "hold label -5, outside"),
    (np.array([0, 2**31 - 1], dtype=np.int32), "hold label 2147483647, outside "
                                               r"\[0, 65536\)"),
])
def test_load_mnist_like_refuses_bad_labels(tmp_path, labels, message):
    with pytest.raises(ValueError, match="load_mnist_like: the labels in .*" + message):
        load_mnist_like(_labels_folder(tmp_path, labels))


def test_load_mnist_like_checks_labels_against_num_classes(tmp_path):
    folder = _labels_folder(tmp_path, np.array([0, 3, 9], dtype=np.uint8))
    assert load_mnist_like(folder, num_classes=10)[1].tolist() == [0, 3, 9]
    with pytest.raises(ValueError, match=r"label 9, outside \[0, 5\) \(5 classes\)"):
        load_mnist_like(folder, num_classes=5)
    with pytest.raises(TypeError, match="num_classes must be an int"):
        load_mnist_like(folder, num_classes=2.5)
