"""A thread-safe cache whose entries expire after a fixed time.

For data that changes only through `jiceng init` or an operator (tokens, org
units): a running service sees such a change within ``ttl`` seconds without a
query per request. The cache itself is :class:`cachetools.TTLCache`; every
access to it, reads included (a read reorders and expires entries), holds one
lock, because cachetools' caches are not thread-safe.
"""
from __future__ import annotations

import threading
import time
from typing import Callable, Generic, Hashable, TypeVar

import cachetools

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
