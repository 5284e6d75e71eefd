"""Thread-safe caches: one whose entries expire after a fixed time, one bounded by weight.

:class:`TTLCache` is for data that changes only through `jiceng init` or an operator (tokens, org
units): a running service sees such a change within ``ttl`` seconds without a
query per request. The cache itself is :class:`cachetools.TTLCache`; every
access to it, reads included (a read reorders and expires entries), holds one
lock, because cachetools' caches are not thread-safe.

:class:`WeightedLRU` is for values whose size varies by orders of magnitude (compiled
packs, tasks): bounded by their total weight as well as by their number.
"""
from __future__ import annotations

import threading
import time
from typing import Callable, Generic, Hashable, Optional, TypeVar

import cachetools

K = TypeVar("K")
V = TypeVar("V")
_MISSING = object()  # a cached value may be None (an unknown token or unit is cached too)


class TTLCache(Generic[V]):
    """At most ``size`` entries (the least recently used go first), each kept ``ttl`` seconds as
    ``clock`` counts them (tests pass their own clock to see entries expire)."""

    def __init__(self, ttl: float, size: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self._entries: cachetools.TTLCache = cachetools.TTLCache(maxsize=size, ttl=ttl, timer=clock)
        self._lock = threading.Lock()

    def get_or_load(self, key: Hashable, load: Callable[[], V]) -> V:
        """The cached value for ``key``; loaded when absent or expired, outside the lock (a load
        queries the database: other keys are served meanwhile)."""
        with self._lock:
            value = self._entries.get(key, _MISSING)
        if value is _MISSING:
            value = load()
            with self._lock:
                self._entries[key] = value
        return value


class WeightedLRU(Generic[K, V]):
    """A thread-safe least-recently-used cache bounded by count *and* by the total weight of its
    values (``weigh(value)``, e.g. the bytes of a pack's source), so that a few very large values
    cannot hold a worker's memory the way a count alone lets them. A value heavier than the whole
    ``budget`` is not kept (it is returned, just not remembered).

    Each value weighs at least ``budget / size``, which makes the count bound follow from the
    weight bound (cachetools' ``getsizeof``)."""

    def __init__(self, size: int, budget: int, weigh: Callable[[V], int]):
        floor = max(budget // size, 1)
        self._entries: cachetools.LRUCache = cachetools.LRUCache(
            maxsize=budget, getsizeof=lambda value: max(weigh(value), floor))
        self._lock = threading.Lock()
        self.budget = budget

    def get(self, key: Hashable) -> Optional[V]:
        """The value kept for ``key`` (now the most recently used), or None."""
        with self._lock:
            return self._entries.get(key)

    def put(self, key: Hashable, value: V) -> None:
        """Keep ``value``, evicting the least recently used until it fits (unless it never would)."""
        with self._lock:
            try:
                self._entries[key] = value
            except ValueError:  # cachetools: heavier than the whole budget
                self._entries.pop(key, None)

    def weight(self) -> int:
        """The total weight kept (each value counted at least ``budget / size``)."""
        with self._lock:
            return int(self._entries.currsize)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
