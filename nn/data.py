"""Data for training loops: `DataLoader`, toy datasets and the IDX (MNIST) file format.

- `DataLoader(dataset, batch_size=1, shuffle=False, drop_last=False, rng=None, dtype=None)`
  cuts a dataset into mini-batches of Tensors (PyTorch's name and arguments).
- Toy datasets, each returning `(X, y)` with `X` float32 `(n, 2)` and `y` int64 `(n,)`:
  `xor()`, `and_gate()`, `or_gate()` (truth tables), `moons(n)` and `spirals(n)`.
- `load_idx(path)` reads one IDX file (the MNIST / Fashion-MNIST format, raw or gzipped) into
  a numpy array; `load_mnist_like(folder, kind)` reads an images/labels pair by the standard
  file names.

Randomness (shuffling, dataset noise) comes from `autograd_lite.manual_seed`'s shared
generator unless an explicit `rng=` (a `numpy.random.Generator`) is given.
"""

from __future__ import annotations

import math
import os
import stat
import struct
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from autograd_lite import Tensor
from autograd_lite.rng import resolve_rng
from autograd_lite.tensor import as_tensor

from .checks import (
    MAX_CLASSES,
    check_count,
    check_flag,
    check_labels,
    check_path,
    check_real,
    check_rng,
)

__all__ = [
    "DataLoader",
    "xor",
    "and_gate",
    "or_gate",
    "moons",
    "spirals",
    "load_idx",
    "load_mnist_like",
    "check_labels",
    "MAX_CLASSES",
]

_NUMERIC_KINDS = "biuf"  # bool, signed and unsigned integers, floats


# --- DataLoader ----------------------------------------------------------------------------


def _is_array_dataset(dataset: Any) -> bool:
    """True for `(X, y, ...)`: a tuple or list of ndarrays / Tensors, or a tuple of lists."""
    if not isinstance(dataset, (tuple, list)) or len(dataset) == 0:
        return False
    if all(isinstance(f, (np.ndarray, Tensor)) for f in dataset):
        return True
    return isinstance(dataset, tuple) and all(isinstance(f, list) for f in dataset)


def _field_array(field: Any, where: str) -> np.ndarray:
    """One field of an array dataset as a numeric ndarray. Tensors and arrays keep their
    dtype; nested Python lists follow the Tensor rule (floats become float32)."""
    if isinstance(field, Tensor):
        array = field.data
    elif isinstance(field, np.ndarray):
        array = field
    else:
        array = np.asarray(field)
        if array.dtype.kind == "f":
            array = array.astype(np.float32)
    if array.dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(f"DataLoader: {where} must hold numbers (bool, int or float), "
                        f"got dtype {array.dtype}")
    if array.ndim == 0:
        raise ValueError(f"DataLoader: {where} is a 0-d array; each field needs a first "
                         "(sample) axis")
    return array


def _collate_field(values: list[Any], k: int) -> np.ndarray:
    """Stack field `k` of a batch of samples into one array `(batch, *sample_shape)`."""
    from_python = False
    arrays = []
    for v in values:
        if isinstance(v, Tensor):
            arrays.append(v.data)
        elif isinstance(v, (np.ndarray, np.generic)):
            arrays.append(np.asarray(v))
        else:
            from_python = True
            arrays.append(np.asarray(v))
    try:
        batch = np.stack(arrays)
    except ValueError:
        shapes = sorted({a.shape for a in arrays})
        raise ValueError(f"DataLoader: field {k} has samples of different shapes {shapes}; "
                         "they cannot be stacked into one batch") from None
    if batch.dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(f"DataLoader: field {k} must hold numbers (bool, int or float), "
                        f"got dtype {batch.dtype}")
    if from_python and batch.dtype.kind == "f":
        batch = batch.astype(np.float32)  # Python floats follow the Tensor rule
    return batch


class DataLoader:
    """Iterate over a dataset in mini-batches of Tensors (like `torch.utils.data.DataLoader`).

    `dataset` is one of:
      - a tuple or list of arrays `(X, y, ...)` (numpy arrays, Tensors, or, in a tuple, nested
        lists) sharing their first axis `n`; batches are cut by fancy indexing, one numpy
        operation per field and batch;
      - one array or Tensor `X` of shape `(n, ...)`: each batch is a single Tensor;
      - any object with `__len__` and `__getitem__(i)` returning a tuple of fields (arrays,
        Tensors or numbers of the same shape per field); fields are stacked along a new first
        axis. A sample that is not a tuple or list is a single field, yielding single Tensors.

    Iterating yields one tuple of Tensors per batch, field `k` shaped `(b, *shape_k)` with
    `b = batch_size` except possibly the last batch, which is kept (`n = 1000`,
    `batch_size = 256` gives 256, 256, 256, 232) unless `drop_last=True`. `len(loader)` is
    the number of batches, `ceil(n / batch_size)` or `floor(n / batch_size)` with `drop_last`.

    dtypes: float arrays keep their dtype (float64 stays float64, float32 stays float32),
    Python floats become float32, integer and bool arrays stay integer / bool Tensors (labels).
    `dtype=` (a float dtype) casts every floating field. Batches never require grad.

    `shuffle=True` draws a new permutation at the start of every epoch (each `iter()`) from
    `rng`, or from the shared generator `autograd_lite.manual_seed` seeds: each sample appears
    exactly once per epoch and a seeded run is reproducible.
    """

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False, rng: np.random.Generator | None = None,
                 dtype: Any = None) -> None:
        batch_size = check_count("DataLoader", "batch_size", batch_size, 1)
        shuffle = check_flag("DataLoader", "shuffle", shuffle)
        drop_last = check_flag("DataLoader", "drop_last", drop_last)
        rng = check_rng("DataLoader", rng)  # now rather than at the first epoch
        if dtype is not None:
            try:
                dtype = np.dtype(dtype)
            except (TypeError, ValueError):
                raise TypeError(f"DataLoader: dtype must be a floating dtype such as "
                                f"np.float32, got {dtype!r}"[:200]) from None
            if dtype.kind != "f":
                raise ValueError(f"DataLoader: dtype must be a floating dtype, got {dtype}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.rng = rng
        self.dtype = dtype

        self._single = isinstance(dataset, (np.ndarray, Tensor))
        self._arrays: list[np.ndarray] | None = None
        if self._single or _is_array_dataset(dataset):
            fields = [dataset] if self._single else list(dataset)
            self._arrays = [_field_array(f, f"field {k}") for k, f in enumerate(fields)]
            lengths = [len(a) for a in self._arrays]
            if len(set(lengths)) > 1:
                raise ValueError(f"DataLoader: the dataset's arrays have different lengths "
                                 f"{lengths}; every field needs one entry per sample")
        elif not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError("DataLoader: dataset must be a tuple of arrays (X, y), an array, "
                            "or an object with __len__ and __getitem__, got "
                            f"{type(dataset).__name__}")
        if self._num_samples() == 0:
            raise ValueError("DataLoader: the dataset is empty (0 samples)")

    def _num_samples(self) -> int:
        return len(self._arrays[0]) if self._arrays is not None else len(self.dataset)

    def __len__(self) -> int:
        """Number of batches per epoch."""
        n = self._num_samples()
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        """One epoch. The permutation is drawn here, when the epoch starts."""
        n = self._num_samples()
        order = resolve_rng(self.rng).permutation(n) if self.shuffle else None
        return self._batches(n, order)

    def _batches(self, n: int, order: np.ndarray | None) -> Iterator[Any]:
        for b in range(len(self)):
            start, stop = b * self.batch_size, min((b + 1) * self.batch_size, n)
            if order is not None:
                index: np.ndarray | slice = order[start:stop]
            else:
                index = slice(start, stop)
            if self._arrays is not None:
                # Fancy indexing copies; a slice is a view, so copy it (batches own their data).
                fields = [a[index] if order is not None else a[index].copy()
                          for a in self._arrays]
                single = self._single
            else:
                fields, single = self._collate(index)
            tensors = tuple(as_tensor(self._cast(f)) for f in fields)
            yield tensors[0] if single else tensors

    def _collate(self, index: np.ndarray | slice) -> tuple[list[np.ndarray], bool]:
        """Fetch the samples of one batch from an indexable dataset and stack each field;
        also tell whether the samples are bare (not tuples), i.e. one field yielded alone."""
        ids = range(index.start, index.stop) if isinstance(index, slice) else index.tolist()
        samples = [self.dataset[i] for i in ids]
        tupled = [isinstance(s, (tuple, list)) for s in samples]
        if not all(tupled):
            if any(tupled):
                raise ValueError("DataLoader: some samples are tuples and some are not")
            return [_collate_field(samples, 0)], True
        width = len(samples[0])
        for i, s in zip(ids, samples, strict=True):
            if len(s) != width:
                raise ValueError(f"DataLoader: sample {i} has {len(s)} fields, expected "
                                 f"{width} like the first sample of the batch")
        return [_collate_field([s[k] for s in samples], k) for k in range(width)], False

    def _cast(self, array: np.ndarray) -> np.ndarray:
        if self.dtype is not None and array.dtype.kind == "f":
            return array.astype(self.dtype, copy=False)
        return array

    def __repr__(self) -> str:
        return (f"DataLoader(n={self._num_samples()}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, batches={len(self)})")


# --- toy datasets --------------------------------------------------------------------------

_TRUTH_TABLE_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)


# The toy datasets are for demonstrations: a million points (16 MB) is far beyond that,
# and a larger n is a typo (or 2**40) that would take the machine's memory.
MAX_TOY_SAMPLES = 1_000_000


def xor() -> tuple[np.ndarray, np.ndarray]:
    """The XOR truth table: X float32 `(4, 2)` = 00, 01, 10, 11 and y int64 `(4,)` = 0 1 1 0."""
    return _TRUTH_TABLE_X.copy(), np.array([0, 1, 1, 0], dtype=np.int64)


def and_gate() -> tuple[np.ndarray, np.ndarray]:
    """The AND truth table: X float32 `(4, 2)` (as `xor`) and y int64 `(4,)` = 0 0 0 1."""
    return _TRUTH_TABLE_X.copy(), np.array([0, 0, 0, 1], dtype=np.int64)


def or_gate() -> tuple[np.ndarray, np.ndarray]:
    """The OR truth table: X float32 `(4, 2)` (as `xor`) and y int64 `(4,)` = 0 1 1 1."""
    return _TRUTH_TABLE_X.copy(), np.array([0, 1, 1, 1], dtype=np.int64)




def moons(n: int = 100, noise: float = 0.1, rng: np.random.Generator | None = None,
          shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's `make_moons`, written from the math).

    Class 0 (`n // 2` points): the upper arc `(cos t, sin t)`; class 1 (`n - n // 2` points):
    the lower arc `(1 - cos t, 1 - sin t - 0.5)`; `t` evenly spaced in `[0, pi]`. The samples
    are shuffled (if `shuffle`), then gaussian noise of standard deviation `noise` is added to
    both coordinates. Returns X float32 `(n, 2)` and y int64 `(n,)`.
    """
    n = check_count("moons", "n", n, 1, MAX_TOY_SAMPLES)
    noise = check_real("moons", "noise", noise, low=0)
    gen = resolve_rng(check_rng("moons", rng))
    n_out, n_in = n // 2, n - n // 2
    t_out, t_in = np.linspace(0.0, np.pi, n_out), np.linspace(0.0, np.pi, n_in)
    X = np.concatenate([
        np.stack([np.cos(t_out), np.sin(t_out)], axis=1),
        np.stack([1.0 - np.cos(t_in), 1.0 - np.sin(t_in) - 0.5], axis=1),
    ])
    y = np.concatenate([np.zeros(n_out, dtype=np.int64), np.ones(n_in, dtype=np.int64)])
    if shuffle:
        perm = gen.permutation(n)
        X, y = X[perm], y[perm]
    if noise > 0:
        X = X + gen.normal(scale=noise, size=X.shape)
    return X.astype(np.float32), y


def spirals(n: int = 100, classes: int = 3, noise: float = 0.2,
            rng: np.random.Generator | None = None,
            shuffle: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class (the CS231n construction).

    `n` is the total number of points, split as evenly as possible (the first `n % classes`
    classes get one more). Along arm `c`, the radius `r` runs evenly over `[0, 1]` and the
    angle is `t = 4c + 4r + noise * N(0, 1)`; the point is `(r sin t, r cos t)`. Shuffled if
    `shuffle`. Returns X float32 `(n, 2)` and y int64 `(n,)` with labels `0 .. classes-1`.
    """
    classes = check_count("spirals", "classes", classes, 1, MAX_TOY_SAMPLES)
    n = check_count("spirals", "n", n, classes, MAX_TOY_SAMPLES)
    noise = check_real("spirals", "noise", noise, low=0)
    gen = resolve_rng(check_rng("spirals", rng))
    counts = [n // classes + (c < n % classes) for c in range(classes)]
    r = np.concatenate([np.linspace(0.0, 1.0, m) for m in counts])
    y = np.repeat(np.arange(classes, dtype=np.int64), counts)
    t = 4.0 * y + 4.0 * r
    if noise > 0:
        t = t + noise * gen.standard_normal(n)
    X = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
    if shuffle:
        perm = gen.permutation(n)
        X, y = X[perm], y[perm]
    return X.astype(np.float32), y


# --- IDX files (MNIST, Fashion-MNIST) ------------------------------------------------------

# IDX type codes (third magic byte); the data is big-endian.
_IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


MAX_IDX_BYTES = 1 << 32  # 4 GiB: the largest payload `load_idx` accepts by default


def load_idx(path: str | os.PathLike[str], *, max_bytes: int = MAX_IDX_BYTES) -> np.ndarray:
    """Read an IDX file (the MNIST / Fashion-MNIST format) into a numpy array.

    Format: 4 magic bytes `00 00 <type> <ndim>` with type 0x08 uint8, 0x09 int8, 0x0B int16,
    0x0C int32, 0x0D float32, 0x0E float64; then `ndim` big-endian uint32 sizes; then the
    `prod(sizes)` values, big-endian, row-major. The file may be gzip-compressed (recognized
    by its magic bytes `1f 8b`, whatever its name). Returns a native-endian, writable array
    of shape `sizes` (e.g. `(60000, 28, 28)` uint8 images, `(60000,)` uint8 labels).

    Reading is bounded by the header: a gzip stream is inflated piece by piece and never
    past the announced payload plus one byte (a 1 MB file announcing 100 bytes is refused
    after 101, however far it would expand), and a header announcing more than `max_bytes`
    (4 GiB by default) is refused before any payload is read.

    Raises ValueError, naming the file, for an empty file, a corrupt gzip stream, a bad
    magic number, an unknown type code, ndim 0, a payload larger than `max_bytes`, or a
    payload that is shorter (truncated) or longer (trailing bytes) than the header
    announces. Never unpickles anything.
    """
    name = os.fspath(check_path("load_idx", path))
    max_bytes = check_count("load_idx", "max_bytes", max_bytes, 0)
    if not stat.S_ISREG(os.stat(name).st_mode):  # a FIFO would block, a device never end
        raise ValueError(f"load_idx: {name} is not a regular file")
    with open(name, "rb") as f:
        first = f.read(2)
        if not first:
            raise ValueError(f"load_idx: {name} is an empty file, not an IDX file")
        f.seek(0)
        stream = _IdxStream(f, name, gzipped=first == _GZIP_MAGIC)
        return _parse_idx(stream, name, max_bytes)


class _IdxStream:
    """The bytes of an IDX file, raw or gzipped, read on demand: `read(n)` inflates at most
    `n` more bytes, so nothing is decompressed beyond what the caller asks for."""

    CHUNK = 1 << 16  # compressed bytes fed to zlib at a time

    def __init__(self, f: Any, name: str, gzipped: bool) -> None:
        self.f, self.name, self.gzipped = f, name, gzipped
        self.inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzipped else None
        self.produced = 0

    def read(self, n: int) -> bytes:
        """Up to `n` bytes; fewer only at the end of the data."""
        if self.inflater is None:
            data = self.f.read(n)
            self.produced += len(data)
            return data
        out = bytearray()
        try:
            while len(out) < n:
                if self.inflater.eof:
                    rest = self.inflater.unused_data  # a further gzip member, or the end
                    if not rest.startswith(_GZIP_MAGIC):
                        break
                    self.inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    out += self.inflater.decompress(rest, n - len(out))
                    continue
                chunk = self.inflater.unconsumed_tail or self.f.read(self.CHUNK)
                if not chunk:  # the file ends inside the gzip stream
                    raise ValueError("the stream is cut short")
                out += self.inflater.decompress(chunk, n - len(out))
        except (zlib.error, ValueError) as e:
            raise ValueError(f"load_idx: {self.name} has a corrupt gzip stream ({e})") from None
        self.produced += len(out)
        return bytes(out)

    def rest_size(self) -> int | None:
        """How many bytes remain (raw files: exact, from the file size); None for gzip."""
        if self.inflater is not None:
            return None
        return os.fstat(self.f.fileno()).st_size - self.produced


def _parse_idx(stream: _IdxStream, name: str, max_bytes: int) -> np.ndarray:
    """Decode an IDX file from `stream` (see `load_idx`)."""
    raw = stream.read(4)
    if not raw and stream.gzipped:
        raise ValueError(f"load_idx: {name} decompresses to nothing, not an IDX file")
    if len(raw) < 4:
        raise ValueError(f"load_idx: {name} is truncated: {len(raw)} bytes, shorter than the "
                         "4-byte IDX magic number")
    if raw[0] != 0 or raw[1] != 0:
        hint = " (the name ends in .gz but it is not gzip data)" if name.endswith(".gz") else ""
        raise ValueError(f"load_idx: {name} is not an IDX file: bad magic number "
                         f"{raw[:4].hex(' ')}, expected 00 00 <type> <ndim>{hint}")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in _IDX_DTYPES)
        raise ValueError(f"load_idx: {name} has unknown IDX dtype code 0x{code:02X} "
                         f"(known: {known})")
    if ndim == 0:
        raise ValueError(f"load_idx: {name} declares ndim 0; an IDX array needs at least "
                         "one dimension")
    header = 4 + 4 * ndim
    sizes = stream.read(4 * ndim)
    if len(sizes) < 4 * ndim:
        raise ValueError(f"load_idx: {name} is truncated in its header: {ndim} dimensions "
                         f"need {header} header bytes, the file has {4 + len(sizes)}")
    shape = struct.unpack(f">{ndim}I", sizes)
    dtype = _IDX_DTYPES[code]
    count = math.prod(shape)
    expected = count * dtype.itemsize
    what = (f"header announces shape {shape} of {dtype.newbyteorder('=')}, i.e. {expected} "
            "payload bytes")
    if expected > max_bytes:
        raise ValueError(f"load_idx: {name}: {what}, more than max_bytes={max_bytes}; pass a "
                         "larger max_bytes if the file really is that large")
    rest = stream.rest_size()
    if rest is not None and rest < expected:  # raw: known before reading, nothing allocated
        raise ValueError(f"load_idx: {name} is truncated: {what}, but only {rest} are present")
    if rest is not None and rest > expected:
        raise ValueError(f"load_idx: {name} has {rest - expected} trailing bytes: {what}, but "
                         f"{rest} are present")
    payload = stream.read(expected + 1)  # one more tells trailing bytes, inflating no further
    if len(payload) < expected:
        raise ValueError(f"load_idx: {name} is truncated: {what}, but only {len(payload)} are "
                         "present")
    if len(payload) > expected:
        raise ValueError(f"load_idx: {name} has trailing bytes: {what}, but more follow (at "
                         f"least {expected + 1})")
    data = np.frombuffer(payload, dtype=dtype, count=count)
    return data.astype(dtype.newbyteorder("="), copy=True).reshape(shape)


def _find_idx(folder: str, stem: str, kind: str) -> str:
    """The first existing file among the usual spellings of `stem` in `folder`."""
    dotted = stem.replace("-idx", ".idx")  # e.g. train-images.idx3-ubyte (some mirrors)
    candidates = [stem, stem + ".gz", dotted, dotted + ".gz"]
    for c in candidates:
        p = os.path.join(folder, c)
        if os.path.isfile(p):
            return p
    raise FileNotFoundError(f"load_mnist_like: no {kind} file in {folder}; tried "
                            f"{', '.join(candidates)}")


def load_mnist_like(folder: str | os.PathLike[str], kind: str = "train", *,
                    num_classes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Read an MNIST-style images/labels pair (MNIST, Fashion-MNIST, KMNIST) from `folder`.

    `kind` is "train" (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`) or "t10k"
    (alias "test": `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`); each file may be
    gzipped (`.gz`). Returns images float32 `(n, H, W)` (28 x 28 for MNIST) scaled to
    `[0, 1]` and labels int64 `(n,)`. Raises ValueError if the two counts differ, the
    files do not hold uint8 images `(n, H, W)` and labels `(n,)`, or a label is not an
    integer in `[0, num_classes)` (`[0, MAX_CLASSES)` if `num_classes` is None; see
    `check_labels`).
    """
    prefixes = {"train": "train", "t10k": "t10k", "test": "t10k"}
    if not isinstance(kind, str) or kind not in prefixes:
        raise ValueError(f"load_mnist_like: kind must be 'train' or 't10k' ('test'), "
                         f"got {kind!r}")
    folder = os.fspath(check_path("load_mnist_like", folder, "folder"))
    if num_classes is not None:
        num_classes = check_count("load_mnist_like", "num_classes", num_classes, 1)
    prefix = prefixes[kind]
    images_path = _find_idx(folder, f"{prefix}-images-idx3-ubyte", "images")
    labels_path = _find_idx(folder, f"{prefix}-labels-idx1-ubyte", "labels")
    images, labels = load_idx(images_path), load_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"load_mnist_like: {images_path} should hold uint8 images (n, H, W), "
                         f"got {images.dtype} {images.shape}")
    if labels.ndim != 1:
        raise ValueError(f"load_mnist_like: {labels_path} should hold labels (n,), "
                         f"got shape {labels.shape}")
    if len(images) != len(labels):
        raise ValueError(f"load_mnist_like: {len(images)} images in {images_path} but "
                         f"{len(labels)} labels in {labels_path}")
    labels = check_labels("load_mnist_like", labels, num_classes, where=f"the labels in "
                          f"{labels_path}")
    pixels = images.astype(np.float32)
    pixels /= np.float32(255.0)
    return pixels, labels
