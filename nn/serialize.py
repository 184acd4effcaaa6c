"""`save` and `load`: a module's state as a plain `.npz` file, never pickle.

`save` writes through `autograd_lite.atomic.write_atomic` (whole or not at all, symlinks
followed, special files refused, permission bits kept) and refuses a state holding nan or
inf: a diverged model must not overwrite a good checkpoint.

`load` never runs code and never allocates more than the module it fills: it reads the
zip directory and each member's `.npy` header first (a few hundred bytes each), checks
every name, shape, dtype and size against the module's own state and against the sizes
the zip directory declares, and only then decompresses, each member into an array of
exactly the promised size (so a small "zip bomb" is refused before it expands). The
module's `load_state_dict` checks everything again before changing anything.
"""

from __future__ import annotations

import io
import math
import os
import stat
import zipfile
from pathlib import Path
from typing import IO

import numpy as np
from numpy.lib import format as npy

from autograd_lite.atomic import NotARegularFileError, write_atomic

from .checks import check_flag, check_path
from .module import Module

__all__ = ["save", "load"]

_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a member first, or an empty archive
_NPY_MAGIC = b"\x93NUMPY"
_REAL_KINDS = "biuf"


def save(module: Module, path: str | os.PathLike[str], *,
         allow_nonfinite: bool = False) -> Path:
    """Write `module.state_dict()` to exactly `path` (no suffix is added); returns the path.

    Raises ValueError, naming the entry, if a parameter or buffer holds nan or inf (a model
    that diverged) unless `allow_nonfinite=True`; nothing is written then.
    """
    if not isinstance(module, Module):
        raise TypeError(f"nn.save: module must be an nn.Module, got {type(module).__name__}")
    path = check_path("nn.save", path)
    allow_nonfinite = check_flag("nn.save", "allow_nonfinite", allow_nonfinite)
    state = module.state_dict()
    for name, array in state.items():
        array = np.asarray(array)
        if array.dtype.kind not in _REAL_KINDS:
            raise TypeError(f"nn.save: {name!r} is not a numeric array (dtype {array.dtype})")
        if not allow_nonfinite and array.dtype.kind == "f" and not np.isfinite(array).all():
            bad = int(array.size - np.count_nonzero(np.isfinite(array)))
            raise ValueError(f"nn.save: {name!r} holds {bad} non-finite value(s) (nan or inf) "
                             f"of {array.size}: the model diverged, so {path} was not written "
                             "(pass allow_nonfinite=True to save it anyway)")
    buffer = io.BytesIO()
    np.savez(buffer, **state)  # into memory first: numpy adds no ".npz" suffix to a buffer
    try:
        return write_atomic(path, buffer.getvalue())
    except NotARegularFileError as e:  # a ValueError too: say who refused
        raise NotARegularFileError(e.errno, f"nn.save: {e.strerror}", e.filename) from None


def load(module: Module, path: str | os.PathLike[str], *,
         allow_nonfinite: bool = False) -> Module:
    """Set `module`'s parameters and buffers from a file written by `save`; returns module.

    Raises ValueError for a file that is not a complete `.npz` of numeric arrays (naming
    what it is instead: text, a single `.npy` array, a truncated archive, ...), for a member
    whose sizes disagree with its header or with the module, for values that overflow the
    module's dtype (1e300 into float32) and, unless `allow_nonfinite=True`, for nan or inf;
    KeyError for missing or unexpected names and ValueError/TypeError for shapes or dtypes
    that do not match (as `load_state_dict`). Nothing is decompressed before every header
    is checked, and in every error case the module is left unchanged.
    """
    if not isinstance(module, Module):
        raise TypeError(f"nn.load: module must be an nn.Module, got {type(module).__name__}")
    path = check_path("nn.load", path)
    allow_nonfinite = check_flag("nn.load", "allow_nonfinite", allow_nonfinite)
    state = _read(path, {name: a.shape for name, a in module.state_dict().items()})
    if not allow_nonfinite:
        for name, array in state.items():
            if array.dtype.kind == "f" and not np.isfinite(array).all():
                raise ValueError(f"nn.load: {path}: {name!r} holds nan or inf (a model that "
                                 "diverged?); pass allow_nonfinite=True to load it anyway")
    module.load_state_dict(state)
    return module


class _Invalid(ValueError):
    """The file is not a valid saved module; the message says why (wrapped by `_read`)."""


class _Mismatch(ValueError):
    """A valid file for another module (a shape differs): raised as it is."""


def _read(path: Path, expected: dict[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
    """Read the arrays of a saved module, checking every header before any payload."""
    st = os.stat(path)  # FileNotFoundError / PermissionError pass through, naming the path
    if not stat.S_ISREG(st.st_mode):
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise ValueError(f"nn.load: {path} is {kind}, not a saved module (.npz)")
    try:
        with open(path, "rb") as f:
            head = f.read(8)
            _check_magic(head)
            f.seek(0)
            with zipfile.ZipFile(f) as archive:
                plan = _plan(archive, expected, st.st_size)
                return {name: _read_member(archive, info, shape, dtype, fortran, offset)
                        for name, (info, shape, dtype, fortran, offset) in plan.items()}
    except (KeyError, _Mismatch):
        raise
    except (_Invalid, OSError, EOFError, zipfile.BadZipFile, ValueError, RuntimeError,
            NotImplementedError, zipfile.LargeZipFile) as e:
        text = str(e) or type(e).__name__
        raise ValueError(f"nn.load: {path} is not a valid saved module: {text}") from None


def _check_magic(head: bytes) -> None:
    if not head:
        raise _Invalid("the file is empty")
    if head.startswith(_NPY_MAGIC):
        raise _Invalid("it holds a single array (.npy), not a saved module (.npz)")
    if not head.startswith(_ZIP_MAGICS):
        kind = "text" if _looks_like_text(head) else "binary data"
        raise _Invalid(f"it is not an .npz file (a zip archive of .npy arrays): it starts "
                       f"with {kind} {head!r}")


def _looks_like_text(head: bytes) -> bool:
    try:
        return head.decode("utf-8").isprintable() or head.decode("utf-8").isspace()
    except UnicodeDecodeError:
        return False


_Plan = tuple[zipfile.ZipInfo, tuple[int, ...], np.dtype, bool, int]


def _plan(archive: zipfile.ZipFile, expected: dict[str, tuple[int, ...]],
          file_size: int) -> dict[str, _Plan]:
    """Check names, then every member's header and sizes; decompresses only the headers."""
    infos = archive.infolist()
    names = [info.filename[:-4] if info.filename.endswith(".npy") else info.filename
             for info in infos]
    if len(set(names)) != len(names):
        raise _Invalid("it lists the same member twice")
    missing = [name for name in expected if name not in names]
    unexpected = [name for name in names if name not in expected]
    if missing or unexpected:  # before decompressing anything
        raise KeyError(f"nn.load: the file does not match the module: missing "
                       f"{missing or 'nothing'}, unexpected {unexpected or 'nothing'}")
    plan: dict[str, _Plan] = {}
    for name, info in zip(names, infos, strict=True):
        if not info.filename.endswith(".npy"):
            raise _Invalid(f"member {info.filename!r} is not an .npy array")
        want_shape = expected[name]
        with archive.open(info) as member:
            shape, fortran, dtype, offset = _header(member, name)
        if dtype.kind not in _REAL_KINDS:
            what = "pickled objects" if dtype.hasobject else "non-numeric data"
            raise _Invalid(f"{name!r} has dtype {dtype}: it holds {what}, which are never "
                           "loaded")
        if shape != want_shape:
            raise _Mismatch(f"nn.load: {name!r} has shape {shape}, the module expects "
                             f"{want_shape}")
        payload = math.prod(shape) * dtype.itemsize
        if info.file_size != offset + payload:
            raise _Invalid(f"member {name!r} declares {info.file_size} bytes uncompressed, "
                           f"but its header promises {offset + payload} ({shape} of {dtype})")
        if info.compress_size > file_size:
            raise _Invalid(f"member {name!r} declares {info.compress_size} compressed bytes, "
                           f"more than the whole file ({file_size})")
        plan[name] = (info, shape, dtype, fortran, offset)
    return plan


def _header(member: IO[bytes], name: str) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    """Shape, Fortran order, dtype and header length of an .npy stream (numpy's reader,
    which parses the header as a literal, never as code, and caps its length)."""
    try:
        version = npy.read_magic(member)
        if version == (1, 0):
            shape, fortran, dtype = npy.read_array_header_1_0(member)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = npy.read_array_header_2_0(member)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except ValueError as e:
        raise _Invalid(f"member {name!r} has no valid .npy header ({e})") from None
    return tuple(int(n) for n in shape), bool(fortran), np.dtype(dtype), member.tell()


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, shape: tuple[int, ...],
                 dtype: np.dtype, fortran: bool, offset: int) -> np.ndarray:
    """Decompress one member straight into an array of the size its header promised."""
    array = np.empty(shape, dtype=dtype, order="F" if fortran else "C")
    view = memoryview(array.reshape(-1, order="A")).cast("B") if array.size else None
    with archive.open(info) as member:
        member.read(offset)  # the header, already checked
        filled = 0
        while view is not None and filled < len(view):
            n = member.readinto(view[filled:])
            if not n:
                raise _Invalid(f"member {info.filename!r} is truncated")
            filled += n
        if member.read(1):  # also makes zipfile verify the CRC at the end of the member
            raise _Invalid(f"member {info.filename!r} is longer than its header promises")
    return array
