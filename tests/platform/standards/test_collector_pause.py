"""Totals are built with the cyclic collector paused (hundreds of thousands of small dicts); the
pause ends with the block, and a block nested in another's pause leaves it to that block."""
from __future__ import annotations

import gc

from jiceng.platform.units.standards import _collector_paused


def test_the_collector_runs_again_when_the_block_ends_even_on_an_error():
    assert gc.isenabled()
    try:
        with _collector_paused():
            assert not gc.isenabled()
            raise ValueError("the build failed")
    except ValueError:
        pass
    assert gc.isenabled()


def test_a_pause_inside_another_leaves_the_collector_to_the_outer_one():
    with _collector_paused():
        with _collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
