"""Writes that number or limit what a tenant has take the tenant's lock first, so two at once
are one after the other, never a 500 or a broken rule. On PostgreSQL, without it, two saves of a
form both read version n and both stored n + 1 (``uq_form_versions_key``: the second answered
500), and two impact runs started at once both found none running. SQLite's writer holds the
whole database, so there the tests show the same answers are given."""
from __future__ import annotations

import threading

from sqlalchemy import update

from jiceng.platform.auth.tokens import authenticate, hash_token
from jiceng.platform.db.models import ImpactJob
from jiceng.platform.errors import Conflict
from jiceng.platform.impact import jobs
from jiceng.platform.impact.window import Window

THREADS = 6
FORMS = "/api/v1/tenants/changsha/forms"


def _at_once(count: int, work) -> list:
    """``work(i)`` for i in 0..count-1, on as many threads released together; the results in order."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as e:  # noqa: BLE001 - returned to be asserted on
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _survey(i: int) -> dict:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "title": f"入户调查 {i}",
            "properties": {"households": {"type": "integer", "minimum": 0}}}


def test_saves_of_one_form_at_once_make_successive_versions(fresh_api):
    api = fresh_api
    headers = api.headers("changsha", "designer")

    def save(i: int):
        r = api.app.test_client().put(f"{FORMS}/survey", headers=headers, json={"schema": _survey(i)})
        return r.status_code, r.get_json()

    answers = _at_once(THREADS, save)
    assert [status for status, _ in answers] == [200] * THREADS, answers
    assert sorted(body["version"] for _, body in answers) == list(range(1, THREADS + 1))
    latest = api.get(f"{FORMS}/survey", ("changsha", "designer")).json
    assert latest["version"] == THREADS
    # the latest is the schema of the save that got the last version
    last = next(i for i, (_, body) in enumerate(answers) if body["version"] == THREADS)
    assert latest["schema"] == _survey(last)


def test_impact_runs_started_at_once_leave_one_running(fresh_api):
    """Made with :func:`jobs.create` (no thread runs them), so every created job stays queued —
    live — and a second one could only come from two requests both seeing none. Three rounds,
    each ended by marking its job done: the requests' reads before the lock take varying time,
    and one round alone does not always line two of them up."""
    api = fresh_api
    rt = api.app.extensions["jiceng"]
    with rt.db.read() as s:
        principal = authenticate(s.connection(), hash_token(api.tokens[("changsha", "admin")]))
    number = api.get("/api/v1/tenants/changsha/packs", ("changsha", "admin")).json["in_force"]

    for _ in range(3):
        results = _at_once(THREADS, lambda i: jobs.create(rt, principal, "changsha", number, Window())[0])
        created = [r for r in results if isinstance(r, dict)]
        refused = [r for r in results if isinstance(r, Conflict)]
        assert len(created) == 1 and len(refused) == THREADS - 1, results
        assert {e.code for e in refused} == {"impact_job_running"}
        assert {e.details["job_id"] for e in refused} == {created[0]["id"]}
        with rt.db.transaction() as conn:
            conn.execute(update(ImpactJob.__table__).where(ImpactJob.id == created[0]["id"]).values(status="done"))
