"""nn.save / nn.load: plain .npz at exactly the path, atomic, strict, never pickle; loads
bounded by the headers (checked before decompressing); no non-finite models."""

import io
import os
import stat
import struct
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest
from numpy.lib import format as npy

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
    np.savez(buffer, weight=np.array([{"payload": 1}], dtype=object),  # needs pickle to read
             bias=np.zeros(3), running_mean=np.zeros(3))
    path.write_bytes(buffer.getvalue())
    with pytest.raises(ValueError, match="holds pickled objects, which are never loaded"):
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


# --- bounded loads: headers are checked before anything is decompressed ----------------------

GiB = 1 << 30


def npy_header(shape, descr="<f8") -> bytes:
    buffer = io.BytesIO()
    npy.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False,
                                        "shape": tuple(shape)})
    return buffer.getvalue()


def deflated_zeros(header: bytes, size: int) -> tuple[bytes, int]:
    """A raw deflate stream of `header` then `size` zero bytes (a multiple of 1 MiB),
    built from one fully flushed 1 MiB segment repeated: megabytes on disk, `size` inflated.
    Returns the stream and the CRC of what it inflates to."""
    chunk = 1 << 20
    start = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = start.compress(header) + start.flush(zlib.Z_FULL_FLUSH)
    segment = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = bytes(chunk)
    block = segment.compress(zeros) + segment.flush(zlib.Z_FULL_FLUSH)
    tail = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
    crc = zlib.crc32(header)
    for _ in range(size // chunk):
        crc = zlib.crc32(zeros, crc)
    return head + block * (size // chunk) + tail, crc


def write_zip(path, members) -> None:
    """A zip archive from raw members: (name, method, payload, uncompressed size, crc)."""
    out, central = bytearray(), bytearray()
    for name, method, payload, size, crc in members:
        offset, encoded = len(out), name.encode()
        out += struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, method, 0, 0, crc,
                           len(payload), size, len(encoded), 0) + encoded + payload
        central += struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, method, 0, 0, crc,
                               len(payload), size, len(encoded), 0, 0, 0, 0, 0,
                               offset) + encoded
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(members), len(members),
                      len(central), len(out), 0)
    path.write_bytes(bytes(out + central + end))


def stored(name: str, data: bytes):
    return (name, zipfile.ZIP_STORED, data, len(data), zlib.crc32(data))


def good_members(net: Module, skip: str = ""):
    members = []
    for key, value in net.state_dict().items():
        if key != skip:
            buffer = io.BytesIO()
            np.save(buffer, value)
            members.append(stored(f"{key}.npy", buffer.getvalue()))
    return members


def load_peak(net, path):
    """Load, returning the exception and the peak of Python-tracked memory (numpy's arrays
    included) during the attempt."""
    tracemalloc.start()
    try:
        load(net, path)
    except Exception as e:  # noqa: BLE001 - returned for the assertions
        error = e
    else:
        error = None
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return error, peak


def test_a_member_that_expands_to_2_gib_is_refused_before_decompressing(tmp_path):
    header = npy_header((2 * GiB // 8,))
    payload, crc = deflated_zeros(header, 2 * GiB)
    path = tmp_path / "bomb.npz"
    write_zip(path, [("weight.npy", zipfile.ZIP_DEFLATED, payload, len(header) + 2 * GiB,
                      crc), *good_members(Net(), skip="weight")])
    assert path.stat().st_size < 3_000_000
    error, peak = load_peak(Net(), path)
    assert isinstance(error, ValueError)
    assert "'weight' has shape (268435456,), the module expects (3, 2)" in str(error)
    assert peak < 4_000_000


def test_a_member_whose_zip_size_disagrees_with_its_header_is_refused(tmp_path):
    header = npy_header((3, 2))  # 48 bytes of payload promised, 2 GiB declared by the zip
    payload, crc = deflated_zeros(header, 64 << 20)
    path = tmp_path / "liar.npz"
    write_zip(path, [("weight.npy", zipfile.ZIP_DEFLATED, payload, len(header) + 2 * GiB,
                      crc), *good_members(Net(), skip="weight")])
    error, peak = load_peak(Net(), path)
    assert isinstance(error, ValueError) and "declares 2147483776 bytes uncompressed, but its " \
        "header promises 176" in str(error)
    assert peak < 4_000_000


def test_an_unexpected_member_is_refused_before_it_is_decompressed(tmp_path):
    header = npy_header((2 * GiB // 8,))
    payload, crc = deflated_zeros(header, 2 * GiB)
    path = tmp_path / "extra.npz"
    write_zip(path, [*good_members(Net()),
                     ("extra.npy", zipfile.ZIP_DEFLATED, payload, len(header) + 2 * GiB, crc)])
    error, peak = load_peak(Net(), path)
    assert isinstance(error, KeyError) and "unexpected ['extra']" in str(error)
    assert peak < 4_000_000


def test_a_header_claiming_1e12_elements_is_a_value_error_not_a_memory_error(tmp_path):
    path = tmp_path / "huge.npz"
    write_zip(path, [stored("weight.npy", npy_header((10**12,))),
                     *good_members(Net(), skip="weight")])
    error, peak = load_peak(Net(), path)
    assert isinstance(error, ValueError) and "(1000000000000,)" in str(error)
    assert peak < 1_000_000


def test_a_text_file_is_not_an_npz_file(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("weights: 1 2 3\n")
    with pytest.raises(ValueError, match=r"is not an \.npz file \(a zip archive of \.npy "
                                         r"arrays\): it starts with text b'weights:'"):
        load(Net(), path)


def test_a_header_that_is_not_numeric_is_refused(tmp_path):
    path = tmp_path / "strings.npz"
    data = npy_header((3, 2), descr="<U4") + bytes(96)
    write_zip(path, [stored("weight.npy", data), *good_members(Net(), skip="weight")])
    with pytest.raises(ValueError, match="dtype <U4: it holds non-numeric data"):
        load(Net(), path)


def test_a_corrupted_payload_fails_its_crc_and_changes_nothing(tmp_path):
    path = tmp_path / "m.npz"
    members = good_members(Net(seed=1))
    name, method, data, size, crc = members[0]
    members[0] = (name, method, data[:-1] + b"\x01", size, crc)
    write_zip(path, members)
    net = Net(seed=2)
    before = arrays(net)
    with pytest.raises(ValueError, match="not a valid saved module"):
        load(net, path)
    assert all(np.array_equal(net.state_dict()[k], v) for k, v in before.items())


def test_fortran_ordered_and_big_endian_members_load(tmp_path):
    path = tmp_path / "m.npz"
    state = Net(seed=4).state_dict()
    np.savez(path, weight=np.asfortranarray(state["weight"]).astype(">f8"),
             bias=state["bias"], running_mean=state["running_mean"])
    loaded = load(Net(seed=5), path).state_dict()
    assert all(np.array_equal(loaded[k], v) for k, v in state.items())


# --- values: non-finite models are not saved; overflow on load is refused --------------------


def test_a_model_with_nan_is_not_saved_and_an_existing_file_is_kept(tmp_path):
    path = tmp_path / "m.npz"
    save(Net(seed=1), path)
    before = path.read_bytes()
    net = Net()
    net.weight.data[0, 1] = np.nan
    with pytest.raises(ValueError, match=r"'weight' holds 1 non-finite value\(s\) .* the model "
                                         "diverged.*allow_nonfinite=True"):
        save(net, path)
    assert path.read_bytes() == before
    save(net, path, allow_nonfinite=True)  # on request
    with pytest.raises(ValueError, match="holds nan or inf"):
        load(Net(), path)
    assert np.isnan(load(Net(), path, allow_nonfinite=True).weight.data[0, 1])


def test_loading_1e300_into_float32_is_refused_not_turned_into_inf(tmp_path):
    class Net32(Module):
        def __init__(self):
            super().__init__()
            self.weight = Parameter(np.ones(3, dtype=np.float32))

    path = tmp_path / "big.npz"
    np.savez(path, weight=np.array([1.0, 1e300, 2.0]))
    net = Net32()
    with pytest.raises(ValueError, match=r"'weight' holds 1e\+300, which overflows float32"):
        load(net, path)
    assert net.weight.data.tolist() == [1.0, 1.0, 1.0]


# --- nn.save follows write_atomic's rules -----------------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes, links and FIFOs")
def test_save_keeps_permissions_writes_through_links_and_refuses_a_fifo(tmp_path):
    target = tmp_path / "real.npz"
    save(Net(seed=1), target)
    target.chmod(0o600)
    link = tmp_path / "link.npz"
    link.symlink_to(target)
    save(Net(seed=2), link)
    assert link.is_symlink() and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert np.array_equal(load(Net(), target).weight.data, Net(seed=2).weight.data)
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="is a FIFO"):
        save(Net(), fifo)
    with pytest.raises(ValueError, match="not a regular file"):
        load(Net(), fifo)  # never opened: reading a FIFO would block
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.parametrize(("path", "error"), [(None, TypeError), (b"m.npz", TypeError),
                                             ("", ValueError), (3, TypeError)])
def test_bad_paths_are_named(path, error):
    with pytest.raises(error, match="nn.save: path must be"):
        save(Net(), path)
