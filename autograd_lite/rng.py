"""The one random generator behind `nn.init`, `Dropout`, `DataLoader` shuffling and the
datasets, seeded by `manual_seed`. Each of those also takes `rng=` (a numpy Generator)."""

from __future__ import annotations

import numpy as np

__all__ = ["manual_seed", "default_rng", "resolve_rng"]

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the shared generator (like `torch.manual_seed`); returns it."""
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"manual_seed: seed must be a non-negative int, got {seed!r}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def default_rng() -> np.random.Generator:
    """The shared generator (the one `manual_seed` seeds)."""
    return _generator


def resolve_rng(rng: np.random.Generator | None) -> np.random.Generator:
    """`rng` if given, else the shared generator."""
    if rng is None:
        return _generator
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng
