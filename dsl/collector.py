"""Pausing Python's cyclic garbage collector while a large structure is built.

Compiling a pack or totalling a national tree allocates hundreds of thousands of small objects
that live until the work ends (a 2,000-rule pack's syntax tree, a tree's totals). While they pile
up, the collector's passes scan them again and again, and a full pass scans everything the
process holds: measured, a quarter of a 2,000-rule compile and half of the standards' totals.
The work makes few or no reference cycles: reference counting frees what it drops, and the
collector resumes when the block ends.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block. Blocks in other threads may overlap: only
    the block that found the collector enabled enables it again, when it ends (whether or not
    the others have), and a collector the application disabled stays disabled."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
