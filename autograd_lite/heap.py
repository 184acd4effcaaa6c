"""`warm_malloc`: move glibc's adaptive malloc thresholds once, so training steps keep their
memory instead of faulting it back in every step.

glibc serves an allocation larger than `mmap_threshold` (128 KiB in a fresh process) with its
own mmap, and hands the free top of the heap back to the OS once it exceeds `trim_threshold`.
Freeing an mmapped block larger than the current `mmap_threshold` (and at most 32 MiB on
64-bit) raises `mmap_threshold` to that block's size and `trim_threshold` to twice it.

A graph keeps a step's intermediate arrays alive until the step's loss is dropped, and then
they are freed together. In a process that has not yet freed a large block, glibc trims that
memory every step and the next step faults it in again: about 1,900 page faults and 1.5x the
time per step for a 784-256-128-10 MLP at batch 1024. Allocating and freeing one untouched
block of just under 32 MiB puts the thresholds where any numpy program that has freed a large
array already has them (31 MiB and 62 MiB). It maps no page, costs microseconds, and changes
nothing when the user fixed the thresholds (`mallopt`, `MALLOC_MMAP_THRESHOLD_`: glibc then
ignores frees) or under another C library. The price: a process may keep up to 62 MiB of
freed memory rather than return it to the OS. `AUTOGRAD_LITE_WARM_MALLOC=0` opts out.
"""

from __future__ import annotations

import os

import numpy as np

__all__ = ["warm_malloc", "OPT_OUT"]

OPT_OUT = "AUTOGRAD_LITE_WARM_MALLOC"
WARM_BYTES = 31 << 20  # under glibc's 32 MiB cap on the dynamic threshold (64-bit)


def is_glibc() -> bool:
    try:
        return os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc")
    except (AttributeError, ValueError, OSError):  # not Linux, or no such name
        return False


def warm_malloc() -> bool:
    """Free one untouched `WARM_BYTES` array through numpy's allocator, unless opted out, not
    on glibc, or the allocation is refused. Returns whether it did."""
    if os.environ.get(OPT_OUT, "1") == "0" or not is_glibc():
        return False
    try:
        block = np.empty(WARM_BYTES, dtype=np.uint8)  # mmapped, never written: no page mapped
    except MemoryError:  # e.g. strict overcommit near its limit: then leave malloc as it is
        return False
    del block
    return True
