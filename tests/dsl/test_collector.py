"""The collector pause (dsl/collector.py) and the compile that uses it."""
from __future__ import annotations

import gc
import threading

import pytest

from jiceng.dsl.api import compile_pack
from jiceng.dsl.collector import collector_paused
from jiceng.dsl.loader import MemoryLoader


@pytest.fixture(autouse=True)
def collector_enabled_after():
    was = gc.isenabled()
    yield
    gc.enable() if was else gc.disable()


def test_paused_inside_and_enabled_again_after():
    gc.enable()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_enabled_again_after_an_exception():
    gc.enable()
    with pytest.raises(RuntimeError):
        with collector_paused():
            raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_collector_disabled_by_the_application_stays_disabled():
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_overlapping_blocks_leave_it_to_the_block_that_paused_it():
    gc.enable()
    first, second = collector_paused(), collector_paused()
    first.__enter__()
    second.__enter__()  # finds it disabled
    first.__exit__(None, None, None)
    assert gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()
    first, second = collector_paused(), collector_paused()
    first.__enter__()
    second.__enter__()
    second.__exit__(None, None, None)
    assert not gc.isenabled()  # the first block is still building
    first.__exit__(None, None, None)
    assert gc.isenabled()


def _pack(rules: int, salt: str) -> MemoryLoader:
    body = "\n".join(f'rule R{i} "规则{i}"\n  when task.category == "类别{i}" and target.level == community\n'
                     f"  then reject\n" for i in range(rules))
    return MemoryLoader({"t": {"pack.jc": f'pack t version "{salt}"\n{body}'}})


def test_a_compile_runs_no_collection_and_leaves_the_collector_enabled():
    passes = []

    def seen(phase, info):
        if phase == "start" and threading.current_thread() is threading.main_thread():
            passes.append(info["generation"])

    loader = _pack(300, "collector")
    gc.enable()
    gc.collect()
    gc.callbacks.append(seen)
    try:
        pack = compile_pack("t", loader)  # hundreds of thousands of allocations
    finally:
        gc.callbacks.remove(seen)
    assert pack.decide({"category": "类别7"}, {"level": "community"}).decision == "reject"
    assert len(passes) <= 1, passes  # at most the pass put off until the block ended (unpaused: dozens)
    assert gc.isenabled()
