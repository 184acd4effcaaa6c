"""`save` and `load`: a module's state as a plain `.npz` file, never pickle.

`save` writes to a temporary file in the same folder and renames it over `path` only once it
is complete, so a failed save never damages an existing file. `load` reads with
`allow_pickle=False` (loading can never run code), and the module's `load_state_dict` checks
every name, shape and dtype before changing anything.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import numpy as np

from autograd_lite.atomic import write_atomic

from .module import Module

__all__ = ["save", "load"]


def save(module: Module, path: str | os.PathLike[str]) -> Path:
    """Write `module.state_dict()` to exactly `path` (no suffix is added); returns the path."""
    path = Path(path)
    state = module.state_dict()
    for name, array in state.items():
        if np.asarray(array).dtype == object:
            raise TypeError(f"nn.save: {name!r} is not a numeric array")
    buffer = io.BytesIO()
    np.savez(buffer, **state)  # into memory first: numpy adds no ".npz" suffix to a buffer
    return write_atomic(path, buffer.getvalue())


def load(module: Module, path: str | os.PathLike[str]) -> Module:
    """Set `module`'s parameters and buffers from a file written by `save`; returns module.

    Raises ValueError for a file that is not a complete `.npz` of numeric arrays, and the
    errors of `load_state_dict` (KeyError, ValueError, TypeError) for names, shapes or
    dtypes that do not match; in every case the module is left unchanged.
    """
    path = Path(path)
    state = _read(path)
    module.load_state_dict(state)
    return module


def _read(path: Path) -> dict[str, np.ndarray]:
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single array, not a saved module (.npz)")
        with archive:
            return {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise ValueError(f"nn.load: {path} is not a valid saved module: {_reason(e)}") from None


def _reason(e: Exception) -> str:
    text = str(e) or type(e).__name__
    if "allow_pickle" in text or "pickle" in text.lower():
        return "it contains pickled objects, which are never loaded"
    return text
