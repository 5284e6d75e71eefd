"""Impact jobs: started by an admin, polled, cancelled; the result kept with the version.

A job is a row of ``impact_jobs`` (status, progress, the summary once done) and the rows of
``impact_changes`` (every decision that changes). :func:`start` stores the job and runs it on a
thread of the serving process (:func:`execute`, which the CLI calls directly); the runner writes
its progress and a heartbeat between ranges and reads the cancel flag there, so any process
serving the API can poll or cancel it. A running job whose heartbeat is older than
:data:`HEARTBEAT_LOST_S` lost its process (a restart): it reads as ``failed`` with
``impact_job_lost``, and does not block a new job.

Limits (docs/api.md): one queued or running job per tenant; the last :data:`KEEP_JOBS` jobs per
version are kept (older ones are deleted with their changes); pages of at most :data:`MAX_PAGE`
changes.
"""
from __future__ import annotations

import csv
import logging
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterator, Optional

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from jiceng.platform.auth.tokens import Principal
from jiceng.platform.db.engine import Database
from jiceng.platform.db.models import ImpactChange, ImpactJob, OrgUnit, Tenant
from jiceng.platform.errors import Conflict, Invalid, NotFound, ServiceError
from jiceng.platform.impact import batch
from jiceng.platform.impact.replaying import Spec, VersionRef
from jiceng.platform.impact.window import Window
from jiceng.platform.packs.versions import get_version
from jiceng.platform.runtime import Runtime
from jiceng.platform.cells import text_cell

HEARTBEAT_LOST_S = 120
KEEP_JOBS = 5
MAX_PAGE = 1000
PROGRESS_EVERY_S = 0.5
LIVE = ("queued", "running")
CSV_COLUMNS = ("decision_id", "tenant", "unit", "kind", "decided_on", "before", "after", "rules_added",
               "rules_removed", "title")

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(t: Optional[datetime]) -> Optional[datetime]:
    """SQLite hands timestamps back without their zone; they were written in UTC."""
    return t.replace(tzinfo=timezone.utc) if t is not None and t.tzinfo is None else t


def _lost(job: ImpactJob, now: datetime) -> bool:
    return job.status in LIVE and now - _aware(job.updated_at) > timedelta(seconds=HEARTBEAT_LOST_S)


def job_dict(job: ImpactJob, now: Optional[datetime] = None) -> dict:
    """A job as the API shows it."""
    lost = _lost(job, now or _now())
    error = {"code": "impact_job_lost", "message": "影响评估任务所在的进程已停止(服务重启?),请重新开始"} if lost \
        else job.error
    return {"id": job.id, "tenant": job.tenant_code, "number": job.number, "status": "failed" if lost else job.status,
            "window": job.window, "progress": {"done": job.done, "total": job.total},
            "cancel_requested": job.cancel_requested, "created_by": job.created_by,
            "created_at": _aware(job.created_at).isoformat(),
            "finished_at": _aware(job.finished_at).isoformat() if job.finished_at else None,
            "summary": job.summary, "error": error}


# ---------------------------------------------------------------------- starting
def subtree(session: Session, tenants: list[str], codes: tuple[str, ...]) -> frozenset:
    """The units ``codes`` (each a unit of ``tenants``) and every unit below them."""
    known = dict(session.execute(select(OrgUnit.code, OrgUnit.tenant_code).where(OrgUnit.code.in_(codes))).all())
    problems = [{"path": f"/units/{i}", "message": f"找不到单位 {c}"} for i, c in enumerate(codes)
                if known.get(c) not in tenants]
    if problems:
        raise Invalid("impact_window_invalid", "影响评估的范围无效:" + ";".join(p["message"] for p in problems),
                      problems)
    found, frontier = set(codes), list(codes)
    while frontier:
        below = []
        for i in range(0, len(frontier), 500):
            below += session.execute(select(OrgUnit.code).where(OrgUnit.parent_code.in_(frontier[i:i + 500]))).scalars()
        frontier = [c for c in below if c not in found]
        found.update(frontier)
    return frozenset(found)


def make_spec(session: Session, rt: Runtime, tenant: str, version, window: Window, draft: bool = True) -> Spec:
    """What every process of the job needs (``draft=False``: replay the recorded versions themselves)."""
    tenants = tuple(rt.directory(session).descendants(tenant))
    forms = rt.forms(session)
    ref = VersionRef(version.tenant_code, version.id, version.number, version.files_digest) if draft else None
    return Spec(rt.db.url.render_as_string(hide_password=False), rt.db.schema, tenants, ref, window,
                subtree(session, list(tenants), window.units) if window.units else None,
                forms.key, tuple(forms.forms.values()))


def create(rt: Runtime, principal: Principal, tenant: str, number: int, window: Window) -> tuple[dict, Spec]:
    """Store a queued job for version ``number`` over ``window``; 409 ``impact_job_running`` while
    another job of the tenant is queued or running."""
    principal.require("pack.write")
    with rt.db.read() as session:  # outside the write transaction: a large subtree takes a while to read
        v = get_version(session, tenant, number)
        spec = make_spec(session, rt, tenant, v, window)
    now = _now()
    with rt.db.write() as session:
        # one job per tenant: two requests at once would each find none running (on PostgreSQL)
        rt.db.lock(session, Tenant.code, [tenant])
        for job in session.execute(select(ImpactJob).where(ImpactJob.tenant_code == tenant,
                                                           ImpactJob.status.in_(LIVE))).scalars():
            if not _lost(job, now):
                raise Conflict("impact_job_running",
                               f"规则包 {tenant} 已有一个影响评估任务(编号 {job.id})在运行,请等它结束或取消它",
                               {"job_id": job.id})
            job.status, job.error = "failed", job_dict(job, now)["error"]
        _prune(session, v.id)
        job = ImpactJob(tenant_code=tenant, version_id=v.id, number=v.number, status="queued",
                        window=window.to_dict(), done=0, total=0, cancel_requested=False, created_by=principal.actor,
                        created_at=now, updated_at=now)
        session.add(job)
        session.flush()
        return job_dict(job, now), spec


def _prune(session: Session, version_id: int) -> None:
    """Keep the version's last ``KEEP_JOBS - 1`` jobs: with the new one, :data:`KEEP_JOBS`."""
    ids = list(session.execute(select(ImpactJob.id).where(ImpactJob.version_id == version_id)
                               .order_by(ImpactJob.id.desc()).offset(KEEP_JOBS - 1)).scalars())
    if ids:
        session.execute(delete(ImpactChange).where(ImpactChange.job_id.in_(ids)))
        session.execute(delete(ImpactJob).where(ImpactJob.id.in_(ids)))


def start(rt: Runtime, principal: Principal, tenant: str, number: int, window: Window) -> dict:
    """Create the job and run it on a thread of this process; the queued job."""
    out, spec = create(rt, principal, tenant, number, window)
    threading.Thread(target=execute, args=(rt.db, out["id"], spec, batch.default_workers()),
                     name=f"impact-{out['id']}", daemon=True).start()
    return out


# ---------------------------------------------------------------------- running
def execute(db: Database, job_id: int, spec: Spec, workers: int,
            progress: Optional[Callable[[int, int], None]] = None) -> None:
    """Run job ``job_id`` to its end (done, cancelled or failed), writing its state as it goes."""
    last = [0.0]
    _set(db, job_id, status="running", updated_at=_now())

    def on_progress(done: int, total: int) -> None:
        if progress:
            progress(done, total)
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY_S or done == total:
            last[0] = now
            _set(db, job_id, done=done, total=total, updated_at=_now())

    def cancelled() -> bool:
        with db.autocommit() as conn:
            return bool(conn.execute(select(ImpactJob.cancel_requested).where(ImpactJob.id == job_id)).scalar())

    def store(changes: list) -> None:
        rows = [dict(zip(("decision_id", "tenant_code", "unit_code", "kind", "decided_on", "before", "after",
                          "rules_added", "rules_removed", "title"), c), job_id=job_id) for c in changes]
        with db.transaction() as conn:
            conn.execute(insert(ImpactChange.__table__), rows)

    try:
        tally = batch.run(db, spec, workers, progress=on_progress, cancelled=cancelled, changes=store)
    except batch.Cancelled:
        with db.transaction() as conn:
            conn.execute(delete(ImpactChange.__table__).where(ImpactChange.job_id == job_id))
        _set(db, job_id, status="cancelled", updated_at=_now(), finished_at=_now())
        return
    except ServiceError as e:
        _set(db, job_id, status="failed", error={"code": e.code, "message": e.message}, updated_at=_now(),
             finished_at=_now())
        return
    except Exception:  # noqa: BLE001 - the job says it failed; the details go to the server's log
        log.exception("impact job %s failed", job_id)
        _set(db, job_id, status="failed", error={"code": "impact_failed", "message": "影响评估意外中止,详情见服务日志"},
             updated_at=_now(), finished_at=_now())
        return
    _set(db, job_id, status="done", summary=tally.summary(), updated_at=_now(), finished_at=_now())


def _set(db: Database, job_id: int, **values) -> None:
    with db.transaction() as conn:
        conn.execute(update(ImpactJob.__table__).where(ImpactJob.id == job_id).values(**values))


# ---------------------------------------------------------------------- reading, cancelling
def _job(session: Session, tenant: str, number: int, job_id: int) -> ImpactJob:
    job = session.get(ImpactJob, job_id) if isinstance(job_id, int) else None
    if job is None or job.tenant_code != tenant or job.number != number:
        raise NotFound("impact_job_not_found", f"找不到规则包 {tenant} 第 {number} 版的影响评估任务 {job_id}")
    return job


def read(rt: Runtime, principal: Principal, tenant: str, number: int, job_id: int) -> dict:
    principal.require("pack.write")
    with rt.db.read() as session:
        return job_dict(_job(session, tenant, number, job_id))


def listing(rt: Runtime, principal: Principal, tenant: str, number: int) -> dict:
    """The version's kept jobs, newest first."""
    principal.require("pack.write")
    with rt.db.read() as session:
        v = get_version(session, tenant, number)
        jobs = session.execute(select(ImpactJob).where(ImpactJob.version_id == v.id)
                               .order_by(ImpactJob.id.desc())).scalars()
        now = _now()
        return {"tenant": tenant, "number": number, "jobs": [job_dict(j, now) for j in jobs]}


def cancel(rt: Runtime, principal: Principal, tenant: str, number: int, job_id: int) -> dict:
    """Ask a queued or running job to stop (it stops after its current range); 409
    ``impact_job_finished`` when it has already ended."""
    principal.require("pack.write")
    with rt.db.write() as session:
        job = _job(session, tenant, number, job_id)
        if job.status not in LIVE or _lost(job, _now()):
            raise Conflict("impact_job_finished", f"影响评估任务 {job_id} 已经结束({job_dict(job)['status']})",
                           {"status": job_dict(job)["status"]})
        job.cancel_requested = True
        session.flush()
        return job_dict(job)


def _change_dict(c: ImpactChange) -> dict:
    return {"decision_id": c.decision_id, "tenant": c.tenant_code, "unit": c.unit_code, "kind": c.kind,
            "decided_on": c.decided_on, "before": c.before, "after": c.after, "rules_added": c.rules_added,
            "rules_removed": c.rules_removed, "title": c.title}


def _finished(session: Session, tenant: str, number: int, job_id: int) -> ImpactJob:
    job = _job(session, tenant, number, job_id)
    if job.status != "done":
        raise Conflict("impact_job_not_done", f"影响评估任务 {job_id} 还没有完成({job_dict(job)['status']})",
                       {"status": job_dict(job)["status"]})
    return job


def changes(rt: Runtime, principal: Principal, tenant: str, number: int, job_id: int, after: Optional[int] = None,
            limit: int = 100, outcome_only: bool = False) -> dict:
    """One page of the job's changes in decision order, after decision ``after``."""
    principal.require("pack.write")
    limit = max(1, min(limit, MAX_PAGE))
    with rt.db.read() as session:
        _finished(session, tenant, number, job_id)
        q = select(ImpactChange).where(ImpactChange.job_id == job_id)
        if after is not None:
            q = q.where(ImpactChange.decision_id > after)
        if outcome_only:
            q = q.where(ImpactChange.before != ImpactChange.after)
        rows = [_change_dict(c) for c in session.execute(q.order_by(ImpactChange.decision_id).limit(limit)).scalars()]
    return {"changes": rows, "next_after": rows[-1]["decision_id"] if len(rows) == limit else None}


def csv_lines(rt: Runtime, principal: Principal, tenant: str, number: int, job_id: int) -> Iterator[str]:
    """Every change of the job as CSV text (a header, then one line per change), made as it is read;
    the job is checked before the first line."""
    principal.require("pack.write")
    with rt.db.read() as session:
        _finished(session, tenant, number, job_id)
    return _csv(rt.db, job_id)


class _Line:
    def __init__(self):
        self.text = ""

    def write(self, text: str) -> None:
        self.text = text


def _csv(db: Database, job_id: int) -> Iterator[str]:
    line = _Line()
    writer = csv.writer(line, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    yield "\ufeff" + line.text  # the BOM: spreadsheet programs then read the Chinese text as UTF-8
    t = ImpactChange.__table__
    q = (select(t.c.decision_id, t.c.tenant_code, t.c.unit_code, t.c.kind, t.c.decided_on, t.c.before, t.c.after,
                t.c.rules_added, t.c.rules_removed, t.c.title)
         .where(t.c.job_id == job_id).order_by(t.c.decision_id))
    with db.engine.connect() as conn:
        for rows in conn.execution_options(yield_per=5000).execute(q).partitions():
            for r in rows:
                writer.writerow([_cell(v) for v in r])
                yield line.text


def _cell(value) -> str:
    """A CSV cell; text a spreadsheet would take for a formula (a task's title is anyone's text)
    starts with an apostrophe, as spreadsheets themselves write it."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = ";".join(value)
    if isinstance(value, str):
        return text_cell(value)
    return value
