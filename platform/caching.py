"""A small thread-safe cache whose entries expire after a fixed time.

For data that changes only through `jiceng init` or an operator (tokens, org
units): a running service sees such a change within ``ttl`` seconds without a
query per request.
"""
from __future__ import annotations

import threading
import time
from typing import Callable, Generic, Hashable, TypeVar

V = TypeVar("V")


class TTLCache(Generic[V]):
    def __init__(self, ttl: float, size: int = 10_000):
        self.ttl, self.size = ttl, size
        self._data: dict[Hashable, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get_or_load(self, key: Hashable, load: Callable[[], V]) -> V:
        """The cached value for ``key``, loading (outside the lock) when absent or expired."""
        now = time.monotonic()
        hit = self._data.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load()
        with self._lock:
            if len(self._data) >= self.size:
                self._data.clear()
            self._data[key] = (now + self.ttl, value)
        return value

