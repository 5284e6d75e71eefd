"""Admission checks under concurrency: every answer waits for its own committed log entry,
concurrent entries share transactions (group commit), the chain stays whole, and an entry
that cannot be written fails its own request only — on SQLite and PostgreSQL."""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager

from sqlalchemy import select

from jiceng.platform.db.models import Decision, LogHead

CHECK = "/api/v1/tenants/changsha/admission/check"
DEPT, ADMIN, AUDITOR = ("changsha", "department"), ("changsha", "admin"), ("changsha", "auditor")


def wait_until(condition, seconds=20.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.002)


@contextmanager
def chain_held(db, tenant="changsha"):
    """Hold ``tenant``'s chain head in a write transaction (every append waits for it)."""
    with db.write() as session:
        session.execute(select(LogHead).where(LogHead.tenant_code == tenant).with_for_update()).one()
        yield


def start_checks(api, units, who: list[tuple[str, str]], answers: dict):
    def run(i, as_):
        client = api.app.test_client()
        body = {"task": {"title": f"事项{i}", "item_code": "X01", "target_unit": units.cs_communities[i % 3]}}
        answers[i] = client.post(CHECK, headers=api.headers(*as_), json=body)
    threads = [threading.Thread(target=run, args=(i, as_)) for i, as_ in enumerate(who)]
    for t in threads:
        t.start()
    return threads


def logged(db) -> dict[int, Decision]:
    with db.read() as s:
        return {d.id: d for d in s.execute(select(Decision).where(Decision.tenant_code == "changsha")).scalars()}


def verify(api):
    return api.get("/api/v1/tenants/changsha/decisions/verify", AUDITOR).json


def test_concurrent_checks_wait_for_their_commit_and_share_one(fresh_api, fresh_database, units):
    rt = fresh_api.app.extensions["jiceng"]
    n, answers = 12, {}
    with chain_held(fresh_database):
        threads = start_checks(fresh_api, units, [DEPT] * n, answers)
        wait_until(lambda: rt.check_log.pending == n)  # a leader's batch blocked on the head, the rest queued
        time.sleep(0.05)
        assert answers == {}  # no check answered while its entry could not be committed
    for t in threads:
        t.join(30)
    assert sorted(answers) == list(range(n))
    assert all(r.status_code == 200 for r in answers.values()), [r.json for r in answers.values()]
    # the leader's batch (whoever had submitted when it took the queue), then everyone queued behind it
    assert rt.check_log.stats[0] in (1, 2) and rt.check_log.stats[1] == n
    rows = logged(fresh_database)
    ids = [r.json["decision_id"] for r in answers.values()]
    assert sorted(ids) == sorted(rows)
    assert sorted(d.seq for d in rows.values()) == list(range(1, n + 1))
    for i, r in answers.items():  # each answer names its own entry
        row = rows[r.json["decision_id"]]
        assert row.input["task"]["title"] == f"事项{i}" and row.target["code"] == units.cs_communities[i % 3]
        assert row.outcome == r.json["decision"] and row.reasons == r.json["reasons"]
    report = verify(fresh_api)
    assert report["ok"] is True and report["chains"][0]["entries"] == n


def test_an_entry_that_cannot_be_written_fails_alone_and_leaves_no_trace(fresh_api, fresh_database, units):
    """A trigger refuses the admin's entries: in a batch with department checks, the batch is
    retried entry by entry; the admin's checks answer an error, the others are logged."""
    refuse_admin_entries(fresh_database)
    rt = fresh_api.app.extensions["jiceng"]
    who = [DEPT, ADMIN, DEPT, ADMIN, DEPT, DEPT]
    answers: dict = {}
    with chain_held(fresh_database):
        threads = start_checks(fresh_api, units, who, answers)
        wait_until(lambda: rt.check_log.pending == len(who))
    for t in threads:
        t.join(30)
    for i, as_ in enumerate(who):
        if as_ == ADMIN:
            assert answers[i].status_code == 500 and answers[i].json["error"]["code"] == "internal_error"
        else:
            assert answers[i].status_code == 200, answers[i].json
    rows = logged(fresh_database)
    assert sorted(rows) == sorted(answers[i].json["decision_id"] for i, as_ in enumerate(who) if as_ == DEPT)
    assert all("admin@" not in d.actor for d in rows.values())
    report = verify(fresh_api)
    assert report["ok"] is True and report["chains"][0]["entries"] == 4


def refuse_admin_entries(db) -> None:
    with db.write() as s:
        if db.is_sqlite:
            s.connection().exec_driver_sql(
                "CREATE TRIGGER refuse_admin BEFORE INSERT ON decisions WHEN NEW.actor LIKE '% admin@%' "
                "BEGIN SELECT RAISE(ABORT, 'refused'); END")
        else:
            s.connection().exec_driver_sql(
                "CREATE FUNCTION refuse_admin() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "IF strpos(NEW.actor, ' admin@') > 0 THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$")
            s.connection().exec_driver_sql(
                "CREATE TRIGGER refuse_admin BEFORE INSERT ON decisions FOR EACH ROW EXECUTE FUNCTION refuse_admin()")
