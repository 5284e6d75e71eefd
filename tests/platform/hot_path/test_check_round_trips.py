"""What one admission check costs the database, counted: the caller's token is read by the check's
own state statement (no lookup of its own), and a lone check takes one pooled connection for its
read and its log append (one checkout: on PostgreSQL two statements and no ping — the pool looks at
the socket instead, ``tests/platform/db/test_connections.py``; on SQLite the writer's transaction on
that same connection); a revoked token is refused by that same statement, before anything is logged."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, func, select

from jiceng.platform.db.models import Decision

CHECK = "/api/v1/tenants/changsha/admission/check"
DEPT = ("changsha", "department")


@contextmanager
def counted(db):
    seen = {"statements": [], "checkouts": 0}

    def statement(_conn, _cursor, text, *_args):
        seen["statements"].append(text)

    def checkout(*_args):
        seen["checkouts"] += 1
    event.listen(db.engine, "before_cursor_execute", statement)
    event.listen(db.engine.pool, "checkout", checkout)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", statement)
        event.remove(db.engine.pool, "checkout", checkout)


def _body(units):
    return {"task": {"title": "入户", "item_code": "X01", "target_unit": units.cs_communities[0]}}


def test_a_check_reads_its_token_in_its_own_statement(fresh_api, fresh_database, units):
    assert fresh_api.post(CHECK, DEPT, json=_body(units)).status_code == 200  # caches warm
    with counted(fresh_database) as seen:
        r = fresh_api.post(CHECK, DEPT, json=_body(units))
    assert r.status_code == 200
    reads = [s for s in seen["statements"] if "api_tokens" in s]
    assert len(reads) == 1 and "decision_log_heads" not in reads[0]  # one read: token, generations, history
    assert "max(publications.id)" in reads[0] and "assignments" in reads[0]
    assert seen["checkouts"] == 1
    if not fresh_database.is_sqlite:
        assert len(seen["statements"]) == 2


def test_a_revoked_token_is_refused_by_the_check_statement_and_nothing_is_logged(fresh_api, fresh_database,
                                                                                  units):
    from jiceng.platform.auth.tokens import revoke, token_id
    assert fresh_api.post(CHECK, DEPT, json=_body(units)).status_code == 200
    token = fresh_api.headers(*DEPT)["Authorization"].split(" ", 1)[1]
    with fresh_database.write() as s:
        assert revoke(s, token_id(s, token))
    with fresh_database.read() as s:
        before = s.execute(select(func.count()).select_from(Decision)).scalar_one()
    with counted(fresh_database) as seen:
        r = fresh_api.post(CHECK, DEPT, json=_body(units))
        bad = fresh_api.post(CHECK, DEPT, data=b"{not json", content_type="application/json")
    assert r.status_code == 401 and r.json["error"]["details"]["reason"] == "invalid"
    assert bad.status_code == 401  # a body problem is told only to an authorized caller
    with fresh_database.read() as s:
        assert s.execute(select(func.count()).select_from(Decision)).scalar_one() == before
    assert not any("INSERT" in s or "decision_log_heads" in s for s in seen["statements"])
