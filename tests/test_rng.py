"""manual_seed: one shared generator, reproducible after seeding; explicit rng= wins."""

import numpy as np
import pytest

from autograd_lite import manual_seed
from autograd_lite.rng import default_rng, resolve_rng


def test_manual_seed_makes_the_shared_generator_reproducible():
    manual_seed(7)
    first = default_rng().standard_normal(5)
    manual_seed(7)
    assert np.array_equal(default_rng().standard_normal(5), first)
    manual_seed(8)
    assert not np.array_equal(default_rng().standard_normal(5), first)


def test_resolve_rng_prefers_an_explicit_generator():
    mine = np.random.default_rng(1)
    assert resolve_rng(mine) is mine
    assert resolve_rng(None) is default_rng()
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        resolve_rng(np.random.RandomState(0))


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True])
def test_manual_seed_rejects_what_is_not_a_non_negative_int(bad):
    with pytest.raises(ValueError, match="non-negative int"):
        manual_seed(bad)
