"""Warm a runtime's caches before it serves: the compiled pack chains and the form validators.

A cold worker compiles each tenant's pack chain (and its task form's validator) on the first
request that needs it, then the rule functions a decision with missing facts needs (compiled on
first use by design, :mod:`jiceng.dsl.compiler`), and SQLAlchemy compiles each statement of
the hot path on its first run; at start-up, under load, every worker doing so at once made the
first checks wait over a second. :func:`warm` does that work ahead, tenant by tenant, within a
time bound — it reads, and never writes (a statement that writes is compiled, not run): gunicorn calls it in the master before the workers fork
(:mod:`.gunicorn_conf`), so every worker starts with what the master compiled — and so does a
worker that replaces one later. What it could not reach in time is compiled on first use, as
before. Caches are checked against the database on every request (the publication and form
generations), so nothing warmed here can be served stale.
"""
from __future__ import annotations

import logging
import time
from datetime import date
from typing import Callable

from jiceng.dsl import clock
from jiceng.platform.admission import check
from jiceng.platform.admission.facts import default_history
from jiceng.platform.assignments import tasks
from jiceng.platform.decisions import append
from jiceng.platform.errors import ServiceError
from jiceng.platform.forms import validation
from jiceng.platform.runtime import Runtime

log = logging.getLogger("jiceng.platform")

#: the longest :func:`warm` runs by default (``JICENG_WARM_SECONDS`` overrides it in gunicorn)
DEFAULT_SECONDS = 30.0


def warm(rt: Runtime, seconds: float = DEFAULT_SECONDS, monotonic: Callable[[], float] = time.monotonic) -> dict:
    """Compile every tenant's pack chain in force today and its task form's validator, until
    done or ``seconds`` have passed; ``{"tenants": warmed, "skipped": without a pack or not
    compiling, "left": not reached in time}``. A tenant that fails to warm is skipped (its first
    request reports the problem, as it would have without warming)."""
    deadline = monotonic() + seconds
    warmed = skipped = 0
    today = clock.today()
    if seconds > 0:
        _statements(rt, today)
    with rt.db.read() as session:
        tenants = sorted(rt.directory(session).by_code)
        for n, tenant in enumerate(tenants):
            if monotonic() >= deadline:
                return {"tenants": warmed, "skipped": skipped, "left": len(tenants) - n}
            try:
                resolved = rt.pack_for(session, tenant, today)
                validation.validator_for(resolved.task_form, resolved.forms, resolved.pack)
                _decide_unknowns(resolved.pack, today)
            except ServiceError as e:  # no pack in force, a pack that does not compile …
                log.info("warming skipped tenant %s: %s %s", tenant, e.code, e.message)
                skipped += 1
                continue
            warmed += 1
    return {"tenants": warmed, "skipped": skipped, "left": 0}


def _statements(rt: Runtime, today: date) -> None:
    """The check's read, run (it only reads: a token hash of no token, a unit of no code), and the
    statements that write, compiled: SQLAlchemy then has their compiled forms and its own
    code for each kind of clause ready."""
    with rt.db.autocommit() as conn:
        check.read_state(conn, None, today, "0" * 64)
        check.read_state(conn, None, today)
    with rt.db.read() as session:
        rt.unit(session, "")  # the unit statements (no unit has an empty code)
    dialect = rt.db.engine.dialect
    for statement in append.statements(dialect.name) + tasks.STATEMENTS:
        statement.compile(dialect=dialect)


def _decide_unknowns(pack, today: date) -> None:
    """A decision with every fact missing: the rule functions such decisions need are compiled
    on their first use, and the first checks after a start are often of that kind."""
    try:
        pack.decide({}, {}, default_history(), source={}, today=today)
    except Exception:  # noqa: BLE001 - a pack that needs some fact to be there: nothing more to warm
        pass
