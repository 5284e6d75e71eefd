"""The runtime's TTL cache (tokens, org units): entries expire after ``ttl`` seconds of its
clock, a cached None is a hit, the size stays bounded, and threads may share it."""
from __future__ import annotations

import threading

from jiceng.platform.caching import TTLCache


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_is_kept_for_ttl_seconds_then_loaded_again():
    clock, loads = Clock(), []
    cache: TTLCache[str] = TTLCache(10.0, clock=clock)

    def load():
        loads.append(clock.now)
        return f"v{len(loads)}"

    assert cache.get_or_load("k", load) == "v1"
    clock.now = 9.9
    assert cache.get_or_load("k", load) == "v1"
    clock.now = 10.0
    assert cache.get_or_load("k", load) == "v2"
    assert loads == [0.0, 10.0]


def test_none_is_cached_like_any_value():
    loads = []
    cache: TTLCache[None] = TTLCache(10.0, clock=Clock())
    for _ in range(3):
        assert cache.get_or_load("unknown token", lambda: loads.append(1)) is None
    assert loads == [1]


def test_the_size_is_bounded_and_the_least_recently_used_go_first():
    cache: TTLCache[int] = TTLCache(10.0, size=2, clock=Clock())
    cache.get_or_load("a", lambda: 1)
    cache.get_or_load("b", lambda: 2)
    cache.get_or_load("a", lambda: -1)  # a hit: "a" is now the most recently used
    cache.get_or_load("c", lambda: 3)   # "b" goes
    assert cache.get_or_load("a", lambda: -1) == 1
    assert cache.get_or_load("b", lambda: 20) == 20


def test_threads_share_it():
    cache: TTLCache[int] = TTLCache(60.0, size=50)
    errors = []

    def work(n):
        try:
            for i in range(2000):
                key = (n * 7 + i) % 80  # more keys than room: evictions while others read
                assert cache.get_or_load(key, lambda: key * 2) == key * 2
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
