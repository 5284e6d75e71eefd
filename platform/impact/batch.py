"""An impact job's replay: the log split into ranges, replayed in a process pool or in-process.

The ranges are fixed before any is replayed, by row count, from the index on
``(tenant_code, id)`` (one query: every :data:`RANGE_ROWS`-th id of the job's tenants), so they
are the same however many processes replay them; the log as of that moment is replayed (rows
appended later have higher ids). With more than one worker and at least :data:`POOL_MIN_ROWS`
rows, a pool of processes (``spawn``: nothing of this process's threads or connections is
inherited) replays ranges, each worker opening its own connection; the range tallies come back
in any order and add up to the same result (:mod:`.tally`). Between ranges the caller sees the
progress and may cancel.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
from typing import Callable, Iterable, Optional

from sqlalchemy import func, select

from jiceng.platform.db.engine import Database
from jiceng.platform.db.models import Decision
from jiceng.platform.impact.replaying import Replayer, Spec
from jiceng.platform.impact.tally import Tally

RANGE_ROWS = 20_000
#: below this a pool's start (about a second per process: imports, compiling the packs) costs
#: more than it saves
POOL_MIN_ROWS = 60_000
MAX_WORKERS = 8


class Cancelled(Exception):
    """The job was cancelled between two ranges."""


def default_workers() -> int:
    """``JICENG_IMPACT_WORKERS``, else the number of cores (at most :data:`MAX_WORKERS`)."""
    configured = os.environ.get("JICENG_IMPACT_WORKERS", "")
    count = int(configured) if configured.isdigit() else (os.cpu_count() or 1)
    return max(1, min(count, MAX_WORKERS))


def count(db: Database, tenants: Iterable[str]) -> tuple[int, Optional[int]]:
    """How many rows the tenants have in the log, and the highest id (None when none)."""
    d = Decision.__table__
    with db.engine.connect() as conn:
        total, top = conn.execute(select(func.count(), func.max(d.c.id))
                                  .where(d.c.tenant_code.in_(list(tenants)))).one()
    return total, top


def plan(db: Database, tenants: Iterable[str], total: int, top: Optional[int],
         range_rows: int = RANGE_ROWS) -> list[tuple[int, int, int]]:
    """``[(first id, last id, rows)]`` covering the tenants' ``total`` rows up to id ``top``
    (:func:`count`), ``range_rows`` rows each."""
    if not total:
        return []
    d = Decision.__table__
    with db.engine.connect() as conn:
        numbered = (select(d.c.id, func.row_number().over(order_by=d.c.id).label("n"))
                    .where(d.c.tenant_code.in_(list(tenants)), d.c.id <= top).subquery())
        starts = list(conn.execute(select(numbered.c.id).where((numbered.c.n - 1) % range_rows == 0)
                                   .order_by(numbered.c.id)).scalars())
    bounds = [(lo, nxt - 1, range_rows) for lo, nxt in zip(starts, starts[1:])]
    return bounds + [(starts[-1], top, total - range_rows * (len(starts) - 1))]


def run(db: Database, spec: Spec, workers: int = 1, *,
        progress: Optional[Callable[[int, int], None]] = None,
        cancelled: Optional[Callable[[], bool]] = None,
        changes: Optional[Callable[[list], None]] = None) -> Tally:
    """Replay the job's window; ``progress(rows done, rows in all)`` after each range,
    ``changes(rows)`` with each range's changes, :class:`Cancelled` as soon as ``cancelled()``."""
    total, top = count(db, spec.tenants)
    tally, done = Tally(), 0
    if progress:
        progress(0, total)

    def take(part: Tally, rows: int) -> None:
        nonlocal done
        if changes is not None and part.changes:
            changes(part.changes)
        part.changes = []
        tally.add(part, spec.window.examples)
        done += rows
        if progress:
            progress(done, total)
        if cancelled is not None and cancelled():
            raise Cancelled()

    if workers > 1 and total >= POOL_MIN_ROWS and total > RANGE_ROWS:
        ctx = multiprocessing.get_context("spawn")
        # the workers start (imports, a connection) while the ranges are planned here
        with ctx.Pool(min(workers, -(-total // RANGE_ROWS)), initializer=_start_worker, initargs=(spec,)) as pool:
            ranges = plan(db, spec.tenants, total, top)
            for part, rows in pool.imap_unordered(_replay_range, ranges):
                take(part, rows)  # leaving the block on Cancelled terminates the pool
    else:
        replayer = Replayer(db, spec)
        for lo, hi, rows in plan(db, spec.tenants, total, top):
            take(replayer.replay_range(lo, hi), rows)
    return tally


# ---------------------------------------------------------------------- in each worker process
_worker: Optional[Replayer] = None


def _start_worker(spec: Spec) -> None:
    global _worker
    _worker = Replayer(Database(spec.url, schema=spec.schema, pool_size=2), spec)


def _replay_range(bounds: tuple[int, int, int]) -> tuple[Tally, int]:
    lo, hi, rows = bounds
    # What the worker holds by now lives for the job (modules, the compiled packs, cached texts):
    # frozen, the cyclic collector no longer rescans it at every full collection — a seventh of a
    # row's time, as the decoded JSON keeps allocating. Only in a worker: frozen objects are never
    # collected as cycles, and a service process must not keep its garbage. What the text caches
    # drop is still freed (by reference counting: decoded JSON has no cycles).
    gc.freeze()
    return _worker.replay_range(lo, hi), rows
