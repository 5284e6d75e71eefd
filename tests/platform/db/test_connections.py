"""The hot path's connections come from the engine's pool: a failed statement or transaction
gives back a usable connection and releases its locks at once, and on PostgreSQL connections
the server has cut (a restart) are replaced before a request uses them."""
from __future__ import annotations

import os
import re
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, exc, text

from jiceng.platform.app import create_app
from jiceng.platform.auth.tokens import issue
from jiceng.platform.db.engine import Database, normalise_url
from jiceng.platform.tenants.bootstrap import run_init
from jiceng.platform.tenants.directory import TenantDirectory

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PG_URL = os.environ.get("JICENG_TEST_DATABASE_URL")
CHECK = "/api/v1/tenants/changsha/admission/check"
COMMUNITY = "430102001001"  # a Changsha community of the fixtures


def test_a_failed_statement_leaves_the_pool_usable(fresh_database):
    db = fresh_database
    with pytest.raises(exc.DBAPIError):
        with db.autocommit() as conn:
            conn.execute(text("SELECT * FROM no_such_table"))
    for _ in range(3):
        with db.autocommit() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1


@pytest.mark.parametrize("failure", ["statement", "caller"])
def test_a_failed_write_releases_the_database_at_once(fresh_database, failure):
    db = fresh_database
    touch = text("UPDATE decision_log_heads SET last_seq = last_seq WHERE tenant_code = 'changsha'")
    with pytest.raises((exc.IntegrityError, RuntimeError)):
        with db.transaction() as conn:
            conn.execute(touch)
            if failure == "caller":
                raise RuntimeError("the caller failed mid-transaction")
            conn.execute(text("INSERT INTO decision_log_heads (tenant_code, last_seq, last_hash) "
                              "SELECT tenant_code, 0, 'x' FROM decision_log_heads"))  # duplicate keys
    done = []

    def other_writer():
        with db.transaction() as conn:
            conn.execute(touch)
        done.append(time.monotonic())

    start = time.monotonic()
    t = threading.Thread(target=other_writer)
    t.start()
    t.join(10)
    assert done and done[0] - start < 2.0  # not a busy timeout (30 s) or a lock wait


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL only: JICENG_TEST_DATABASE_URL is not set")
def test_checks_go_on_after_the_server_cut_every_pooled_connection():
    """What a PostgreSQL restart does to a running service: every connection in its pool is
    closed by the server. Only this test's own connections are cut — they carry an
    application_name of their own; other tests (pytest-xdist workers) share the server."""
    app_name = f"jiceng-test-{uuid.uuid4().hex[:12]}"
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(normalise_url(PG_URL))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = Database(normalise_url(PG_URL).update_query_dict({"application_name": app_name}), schema=schema,
                  pool_size=4)
    try:
        run_init(db, FIXTURES)
        app = create_app({"DATABASE": db})
        with db.write() as session:
            token = issue(session, TenantDirectory.load(session), "changsha", "department")[0]
        headers = {"Authorization": f"Bearer {token}"}
        body = {"task": {"title": "初审", "item_code": "X01", "target_unit": COMMUNITY}}

        def check():
            return app.test_client().post(CHECK, headers=headers, json=body)

        answers: list = []
        warm = [threading.Thread(target=lambda: answers.append(check().status_code)) for _ in range(6)]
        for t in warm:
            t.start()
        for t in warm:
            t.join(30)
        assert answers == [200] * 6

        with admin.connect() as conn:
            cut = conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                                    "AND application_name = :name"), {"name": app_name}).scalars().all()
        # the pool held connections, and they are gone now: a backend that ended between the
        # listing and the termination (an overflow connection closed on its return) answers false
        assert cut and any(cut)
        deadline = time.monotonic() + 10
        while _backends(admin, app_name) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _backends(admin, app_name)
        r = check()
        assert r.status_code == 200, r.json
        assert r.json["decision"] in ("admit", "conditional", "reject")
        auditor = app.test_client()
        with db.write() as session:
            audit = issue(session, TenantDirectory.load(session), "changsha", "auditor")[0]
        report = auditor.get("/api/v1/tenants/changsha/decisions/verify",
                             headers={"Authorization": f"Bearer {audit}"}).json
        assert report["ok"] is True and report["chains"][0]["entries"] == 7
    finally:
        db.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _backends(engine, app_name: str) -> list:
    """This test's server connections (by their application_name) still open."""
    with engine.connect() as conn:
        return conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                 "AND application_name = :name"), {"name": app_name}).scalars().all()


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL only: JICENG_TEST_DATABASE_URL is not set")
def test_the_pool_keeps_live_connections_and_replaces_cut_ones_without_a_round_trip(tmp_path):
    """The checkout look at the socket: a live pooled connection is handed out again (the same
    backend) and nothing is sent to the server to find out (libpq's protocol trace stays empty,
    where ``pool_pre_ping`` would send a query); one whose backend the server ended is replaced by
    a new one, and the statement on it does not fail."""
    app_name = f"jiceng-test-{uuid.uuid4().hex[:12]}"
    db = Database(normalise_url(PG_URL).update_query_dict({"application_name": app_name}), pool_size=1)
    admin = create_engine(normalise_url(PG_URL))
    trace = tmp_path / "protocol.trace"
    try:
        def backend() -> int:
            with db.autocommit() as conn:
                return conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()

        first = backend()
        fd = os.open(trace, os.O_WRONLY | os.O_CREAT)
        with db.engine.connect() as conn:
            pgconn = conn.connection.driver_connection.pgconn
            pgconn.trace(fd)  # stays on the connection as it goes back to the pool
        with db.engine.connect() as conn:  # the checkout alone
            assert conn.connection.driver_connection.pgconn is pgconn
        assert trace.stat().st_size == 0
        assert backend() == first  # kept: no reconnect for a live connection
        pgconn.untrace()
        os.close(fd)
        assert trace.stat().st_size > 0  # the trace does record what is sent
        with admin.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": first}).scalar()
        assert backend() != first  # replaced at checkout
    finally:
        db.dispose()
        admin.dispose()


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL only: JICENG_TEST_DATABASE_URL is not set")
def test_the_checkout_look_refuses_a_connection_closed_on_this_side_and_passes_a_live_one():
    import psycopg
    from jiceng.platform.db.engine import _refuse_closed_connections
    conn = psycopg.connect(normalise_url(PG_URL).set(drivername="postgresql").render_as_string(hide_password=False))
    _refuse_closed_connections(conn, None, None)  # live and idle: handed out
    conn.close()
    with pytest.raises(exc.DisconnectionError):
        _refuse_closed_connections(conn, None, None)


_PROBE = text("SELECT CAST(:x AS integer) + 1")
_PREPARED = text("SELECT count(*) FROM pg_prepared_statements")


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL only: JICENG_TEST_DATABASE_URL is not set")
def test_a_read_keeps_the_statements_psycopg_prepared_on_its_connection(tmp_path):
    """psycopg forgets what it prepared on a connection at every ROLLBACK (and has the server
    DEALLOCATE it all): a read ending that way between two checks made the checks' statements
    be parsed and planned anew, three times the server CPU per check. A read ends with COMMIT —
    also when the block raises an error of its own — and the connection keeps them; after a
    database error it is rolled back and the connection still serves."""
    db = Database(normalise_url(PG_URL), pool_size=1)
    try:
        with db.autocommit() as conn:
            backend = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            for _ in range(6):  # psycopg prepares a statement from its 5th run (prepare_threshold)
                conn.execute(_PROBE, {"x": 1})
            prepared = conn.execute(_PREPARED).scalar()
        assert prepared >= 1

        def still_prepared() -> int:
            with db.autocommit() as conn:
                assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() == backend  # the same connection
                return conn.execute(_PREPARED).scalar()

        with db.read() as session:
            assert session.execute(text("SELECT 1")).scalar() == 1
        assert still_prepared() == prepared
        with pytest.raises(LookupError):
            with db.read() as session:
                session.execute(text("SELECT 1")).scalar()
                raise LookupError("找不到单位")  # a 404 raised inside a read
        assert still_prepared() == prepared
        trace = tmp_path / "protocol.trace"
        fd = os.open(trace, os.O_WRONLY | os.O_CREAT)
        try:
            with pytest.raises(exc.DBAPIError):
                with db.read() as session:
                    pgconn = session.connection().connection.driver_connection.pgconn
                    pgconn.trace(fd)
                    session.execute(text("SELECT 1 / 0"))
            pgconn.untrace()
        finally:
            os.close(fd)
        sent = trace.read_bytes()
        # libpq's trace of what went to the server: the read-only BEGIN, the statement, a ROLLBACK
        assert re.search(rb'Query\t "BEGIN[^"]* READ ONLY"', sent)
        assert b'Query\t "ROLLBACK"' in sent and b'Query\t "COMMIT"' not in sent
        with db.read() as session:
            assert session.execute(_PROBE, {"x": 2}).scalar() == 3
    finally:
        db.dispose()


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL only: JICENG_TEST_DATABASE_URL is not set")
def test_a_read_cannot_write_and_its_connection_writes_again_afterwards():
    """A read's transaction is READ ONLY: now that it ends with COMMIT, a write slipped into a
    read would otherwise be kept. The pooled connection is writable again for the next user."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(normalise_url(PG_URL))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        conn.execute(text(f'CREATE TABLE "{schema}".counter (n integer NOT NULL)'))
        conn.execute(text(f'INSERT INTO "{schema}".counter VALUES (0)'))
    db = Database(normalise_url(PG_URL), schema=schema, pool_size=1)
    try:
        with pytest.raises(exc.DBAPIError) as refused:
            with db.read() as session:
                session.execute(text("UPDATE counter SET n = n + 1"))
        assert refused.value.orig.sqlstate == "25006"  # read_only_sql_transaction
        with db.write() as session:
            session.execute(text("UPDATE counter SET n = n + 10"))
        with db.read() as session:
            assert session.execute(text("SELECT n FROM counter")).scalar() == 10
    finally:
        db.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_an_object_changed_in_a_read_is_neither_written_nor_an_error(fresh_database):
    """Reads end with COMMIT now; an ORM object changed in one (to shape an answer, say) is
    detached first, as the rollback used to discard it: not flushed into the read-only
    transaction (where it would fail) and not written."""
    from jiceng.platform.db.models import Tenant
    db = fresh_database
    with db.read() as session:
        tenant = session.get(Tenant, "changsha")
        original, tenant.name = tenant.name, "改过的名称"
    assert tenant.name == "改过的名称"  # the caller's object keeps what it was given
    with db.read() as session:
        assert session.get(Tenant, "changsha").name == original
