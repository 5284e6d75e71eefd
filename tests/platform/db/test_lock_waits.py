"""No request waits for a lock without end: past the lock timeout (30 s) the statement fails,
the API answers 503 ``database_unavailable`` and nothing of the request is written; once the
lock is released the service goes on where it stood. On SQLite the lock is the database's write
lock (``busy_timeout``); on PostgreSQL a row lock (``lock_timeout``). Before, on PostgreSQL, a
chain head or a unit held by anyone — a person's open transaction in psql — held every check
and assignment behind it, each on one of the workers' few threads, for as long as it lasted."""
from __future__ import annotations

import os
import sqlite3
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
GIVE_UP_AFTER_S = 10.0  # the holder's own end, should the code under test wait for good
backends = pytest.mark.parametrize("backend", [
    "sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(not PG_URL, reason="JICENG_TEST_DATABASE_URL is not set"))])


class Place:
    """A database of one backend made with a given lock timeout, and a way to hold its locks."""

    def __init__(self, backend: str, tmp_path: Path):
        self.backend, self.tmp_path = backend, tmp_path
        self.schema = f"t_{uuid.uuid4().hex[:16]}"
        self.admin = create_engine(normalise_url(PG_URL)) if backend == "postgresql" else None
        if self.admin is not None:
            with self.admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))

    def database(self, url_query: dict | None = None, **options) -> Database:
        if self.admin is None:
            return Database(f"sqlite:///{self.tmp_path / 'jiceng.db'}", **options)
        return Database(normalise_url(PG_URL).update_query_dict(url_query or {}), schema=self.schema,
                        pool_size=2, **options)

    @contextmanager
    def held(self, table: str, column: str, key: str):
        """Another session holding the row of ``table`` whose ``column`` is ``key`` (on SQLite,
        the whole database's write lock), in an open transaction. Ended after GIVE_UP_AFTER_S
        should nothing else end it: without a lock timeout the request under test would wait for
        good, and the test with it."""
        give_up, release = self._hold_sqlite() if self.admin is None else self._hold_row(table, column, key)
        timer = threading.Timer(GIVE_UP_AFTER_S, give_up)
        timer.start()
        try:
            yield
        finally:
            timer.cancel()
            release()

    def _hold_sqlite(self):
        """(end it from another thread, release it): a write transaction on a connection of its own."""
        holder = sqlite3.connect(self.tmp_path / "jiceng.db", isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN IMMEDIATE")

        def release():
            if holder.in_transaction:
                holder.execute("ROLLBACK")
            holder.close()
        return (lambda: holder.execute("ROLLBACK")), release

    def _hold_row(self, table: str, column: str, key: str):
        """(end it from another thread, release it): the row locked ``FOR UPDATE``; ended by the server."""
        holder = self.admin.connect()
        pid = holder.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        holder.execute(text(f'SELECT {column} FROM "{self.schema}".{table} WHERE {column} = :k FOR UPDATE'), {"k": key})

        def give_up():
            with self.admin.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

        def release():
            try:
                holder.rollback()
            finally:
                holder.close()
        return give_up, release

    def drop(self) -> None:
        if self.admin is not None:
            with self.admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{self.schema}" CASCADE'))
            self.admin.dispose()


@pytest.fixture
def place(backend, tmp_path):
    p = Place(backend, tmp_path)
    try:
        yield p
    finally:
        p.drop()


def _count(db: Database, table: str) -> int:
    with db.read() as session:
        return session.execute(text(f"SELECT count(*) FROM {table}")).scalar()


@backends
def test_the_connections_wait_for_a_lock_for_the_lock_timeout(place):
    db = place.database({"options": "-cstatement_timeout=123456"})  # the URL's own options are kept
    try:
        with db.autocommit() as conn:
            if place.backend == "sqlite":
                assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == LOCK_TIMEOUT_S * 1000
            else:
                assert conn.exec_driver_sql("SHOW lock_timeout").scalar() == f"{LOCK_TIMEOUT_S}s"
                assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "123456ms"
                assert conn.exec_driver_sql("SHOW search_path").scalar() == place.schema
    finally:
        db.dispose()


@contextmanager
def serving(place: Place, lock_timeout_s: float, role: str):
    """The loaded database (the given lock timeout), a test client of the app on it and the
    headers of a changsha token of ``role``; the database disposed of afterwards."""
    db = place.database(lock_timeout_s=lock_timeout_s)
    try:
        run_init(db, FIXTURES)
        with db.write() as session:
            token = issue(session, TenantDirectory.load(session), "changsha", role)[0]
        yield db, create_app({"DATABASE": db}).test_client(), {"Authorization": f"Bearer {token}"}
    finally:
        db.dispose()


@backends
def test_a_check_behind_a_held_chain_head_answers_503_and_writes_nothing(place):
    with serving(place, 0.5, "department") as (db, client, headers):
        check = {"task": {"title": "初审", "item_code": "X01", "target_unit": COMMUNITY}}
        assert client.post("/api/v1/tenants/changsha/admission/check", json=check, headers=headers).status_code == 200

        with place.held("decision_log_heads", "tenant_code", "changsha"):
            started = time.monotonic()
            r = client.post("/api/v1/tenants/changsha/admission/check", json=check, headers=headers)
            waited = time.monotonic() - started
        assert r.status_code == 503, r.json
        assert r.json["error"]["code"] == "database_unavailable"
        assert r.json["error"]["message"] == "数据库暂时繁忙或不可用,请稍后重试"
        assert 0.5 <= waited < GIVE_UP_AFTER_S  # the lock was waited for, then given up on
        assert _count(db, "decisions") == 1  # only the first check

        r = client.post("/api/v1/tenants/changsha/admission/check", json=check, headers=headers)
        assert r.status_code == 200
        assert _count(db, "decisions") == 2


@backends
def test_an_assignment_to_a_held_unit_answers_503_and_writes_nothing(place):
    with serving(place, 0.3, "admin") as (db, client, headers):
        with db.read() as session:
            city = session.execute(text("SELECT code FROM org_units WHERE tenant_code = 'changsha' "
                                        "AND level = 'city'")).scalar()
        r = client.post("/api/v1/tenants/changsha/tasks", headers=headers,
                        json={"task": {"title": "居民会议", "item_code": "Z01", "source_unit": city}})
        assert r.status_code == 201, r.json
        assign = f"/api/v1/tenants/changsha/tasks/{r.json['id']}/assignments"

        with place.held("org_units", "code", COMMUNITY):
            r = client.post(assign, headers=headers, json={"targets": [COMMUNITY]})
        assert r.status_code == 503 and r.json["error"]["code"] == "database_unavailable", r.json
        assert _count(db, "assignments") == 0 and _count(db, "decisions") == 0

        r = client.post(assign, headers=headers, json={"targets": [COMMUNITY]})  # released: it goes through
        assert r.status_code == 200 and r.json["results"][0]["target"] == COMMUNITY, r.json
        assert _count(db, "decisions") == 1
