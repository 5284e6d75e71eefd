"""No request waits for a PostgreSQL lock without end: past ``lock_timeout`` (30 s, as long as a
SQLite writer waits for its database) the statement fails, the API answers 503
``database_unavailable`` and nothing of the request is written. Before, a chain head or a unit
held by anyone — a person's open transaction in psql — held every check and assignment behind
it, each on one of the workers' few threads, for as long as it lasted."""
from __future__ import annotations

import os
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from jiceng.platform.app import create_app
from jiceng.platform.auth.tokens import issue
from jiceng.platform.db.engine import LOCK_TIMEOUT_S, Database, normalise_url
from jiceng.platform.tenants.bootstrap import run_init
from jiceng.platform.tenants.directory import TenantDirectory

PG_URL = os.environ.get("JICENG_TEST_DATABASE_URL")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
COMMUNITY = "430102001001"  # a Changsha community of the fixtures
pytestmark = pytest.mark.skipif(not PG_URL, reason="PostgreSQL only: JICENG_TEST_DATABASE_URL is not set")


@pytest.fixture
def schema():
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(normalise_url(PG_URL))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield name, admin
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


@contextmanager
def held(admin, statement: str, params: dict, give_up_after: float = 10.0):
    """Another session holding the row locks ``statement`` takes, in an open transaction; ended
    by the server after ``give_up_after`` seconds should nothing else end it (without a lock
    timeout the request under test would otherwise wait for good, and the test with it)."""
    holder = admin.connect()
    pid = holder.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    holder.execute(text(statement), params)

    def end_it():
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    timer = threading.Timer(give_up_after, end_it)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        try:
            holder.rollback()
        finally:
            holder.close()


def test_the_connections_wait_for_a_lock_as_long_as_sqlite_waits_and_keep_the_urls_options(schema):
    name, _admin = schema
    url = normalise_url(PG_URL).update_query_dict({"options": "-cstatement_timeout=123456"})
    db = Database(url, schema=name, pool_size=1)
    try:
        with db.autocommit() as conn:
            assert conn.exec_driver_sql("SHOW lock_timeout").scalar() == f"{LOCK_TIMEOUT_S}s"
            assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "123456ms"  # the URL's own
            assert conn.exec_driver_sql("SHOW search_path").scalar() == name
    finally:
        db.dispose()


def test_a_check_behind_a_held_chain_head_fails_with_503_and_writes_nothing(schema):
    name, admin = schema
    db = Database(normalise_url(PG_URL), schema=name, pool_size=2, lock_timeout_s=0.5)
    try:
        run_init(db, FIXTURES)
        app = create_app({"DATABASE": db})
        with db.write() as session:
            token = issue(session, TenantDirectory.load(session), "changsha", "department")[0]
        client = app.test_client()
        check = {"task": {"title": "初审", "item_code": "X01", "target_unit": COMMUNITY}}
        headers = {"Authorization": f"Bearer {token}"}
        assert client.post("/api/v1/tenants/changsha/admission/check", json=check, headers=headers).status_code == 200

        # somebody's transaction holding changsha's chain head
        with held(admin, f'SELECT * FROM "{name}".decision_log_heads WHERE tenant_code = :t FOR UPDATE',
                  {"t": "changsha"}):
            started = time.monotonic()
            r = client.post("/api/v1/tenants/changsha/admission/check", json=check, headers=headers)
            waited = time.monotonic() - started
        assert r.status_code == 503, r.json
        assert r.json["error"]["code"] == "database_unavailable"
        assert r.json["error"]["message"] == "数据库暂时繁忙或不可用,请稍后重试"
        assert 0.5 <= waited < 10  # the lock was waited for, then given up on
        with db.read() as session:
            assert session.execute(text("SELECT count(*) FROM decisions")).scalar() == 1  # only the first check

        # the lock released, the service goes on where it stood
        r = client.post("/api/v1/tenants/changsha/admission/check", json=check, headers=headers)
        assert r.status_code == 200
        with db.read() as session:
            assert session.execute(text("SELECT max(seq) FROM decisions")).scalar() == 2
    finally:
        db.dispose()


def test_an_assignment_to_a_unit_held_by_another_transaction_answers_503_and_writes_nothing(schema):
    name, admin = schema
    db = Database(normalise_url(PG_URL), schema=name, pool_size=2, lock_timeout_s=0.3)
    try:
        run_init(db, FIXTURES)
        app = create_app({"DATABASE": db})
        with db.write() as session:
            token = issue(session, TenantDirectory.load(session), "changsha", "admin")[0]
            city = session.execute(text("SELECT code FROM org_units WHERE tenant_code = 'changsha' "
                                        "AND level = 'city'")).scalar()
        client, headers = app.test_client(), {"Authorization": f"Bearer {token}"}
        r = client.post("/api/v1/tenants/changsha/tasks", headers=headers,
                        json={"task": {"title": "居民会议", "item_code": "Z01", "source_unit": city}})
        assert r.status_code == 201, r.json
        assign = f"/api/v1/tenants/changsha/tasks/{r.json['id']}/assignments"

        with held(admin, f'SELECT code FROM "{name}".org_units WHERE code = :c FOR UPDATE', {"c": COMMUNITY}):
            r = client.post(assign, headers=headers, json={"targets": [COMMUNITY]})
        assert r.status_code == 503 and r.json["error"]["code"] == "database_unavailable", r.json
        with db.read() as session:
            assert session.execute(text("SELECT count(*) FROM assignments")).scalar() == 0
            assert session.execute(text("SELECT count(*) FROM decisions")).scalar() == 0

        r = client.post(assign, headers=headers, json={"targets": [COMMUNITY]})  # released: it goes through
        assert r.status_code == 200 and r.json["results"][0]["target"] == COMMUNITY, r.json
        with db.read() as session:
            assert session.execute(text("SELECT count(*) FROM decisions")).scalar() == 1
    finally:
        db.dispose()
