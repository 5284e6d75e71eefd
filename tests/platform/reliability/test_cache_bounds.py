"""A worker's caches are bounded by weight, not only by count (issue 11): a few huge pack drafts
(up to the 1 MiB request limit each) could otherwise hold ~128 compiled chains per cache."""
from __future__ import annotations

import threading

from jiceng.platform.caching import WeightedLRU
from jiceng.platform.packs.versions import PackCompiler

PACKS = "/api/v1/tenants/changsha/packs"
ADMIN = ("changsha", "admin")


def test_a_weighted_cache_keeps_within_its_budget_and_its_count():
    cache = WeightedLRU(size=10, budget=100, weigh=len)
    for i in range(5):
        cache.put(i, "x" * 30)
    assert len(cache) == 3 and cache.weight() <= 100  # 3 × 30 fit, a 4th would not
    assert [cache.get(i) is not None for i in range(5)] == [False, False, True, True, True]
    for i in range(50):  # light values: the count bound (each weighs at least budget / size)
        cache.put(("light", i), "")
    assert len(cache) == 10 and cache.weight() <= 100


def test_the_least_recently_used_goes_first_and_an_oversized_value_is_not_kept():
    cache = WeightedLRU(size=10, budget=100, weigh=len)
    cache.put("a", "x" * 40)
    cache.put("b", "x" * 40)
    assert cache.get("a")  # "a" is now the most recently used
    cache.put("c", "x" * 40)
    assert (cache.get("a"), cache.get("b")) == ("x" * 40, None)
    cache.put("huge", "x" * 101)
    assert cache.get("huge") is None and cache.get("a") and cache.get("c")
    cache.put("a", "x" * 101)  # replacing a value by one too heavy forgets the old value
    assert cache.get("a") is None


def test_the_weighted_cache_is_safe_across_threads():
    cache = WeightedLRU(size=50, budget=1000, weigh=len)

    def work(k):
        for i in range(2000):
            cache.put((k, i % 97), "x" * (i % 60))
            cache.get((k, (i * 7) % 97))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.weight() <= 1000 and len(cache) <= 50


def test_large_drafts_do_not_pile_up_in_the_pack_cache(api):
    runtime = api.app.extensions["jiceng"]
    original = api.get(PACKS + "/1", ADMIN).json["files"]
    padding = "# " + "说明" * 40_000 + "\n"  # ~240 KB of comment: a large but valid draft
    budget = 4 * len(padding.encode())
    runtime.compiler = compiler = PackCompiler(size=128, budget=budget)
    for i in range(8):
        files = {**original, "pack.jc": original["pack.jc"] + f"\n# draft {i}\n" + padding}
        resp = api.post(PACKS, ADMIN, json={"files": files})
        assert resp.status_code == 201, resp.json
        assert compiler.cache.weight() <= budget
    assert 1 <= len(compiler.cache) < 4  # with a count bound alone all 8 would be kept
    small = len(compiler.cache)
    resp = api.post(PACKS, ADMIN, json={"files": original})  # a real-sized chain still fits
    assert resp.status_code == 201 and len(compiler.cache) >= small
