"""The hot path's own DBAPI connections: reused most recent first, never after a failure, never
across a fork; a failed write transaction releases its locks at once."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import exc


def test_connections_are_reused_but_not_after_a_failure(fresh_database):
    db = fresh_database
    with db.autocommit() as cur:
        first = cur.connection
    with db.autocommit() as cur:
        assert cur.connection is first
    with pytest.raises(exc.DBAPIError):
        with db.autocommit() as cur:
            cur.execute("SELECT * FROM no_such_table")
    with db.autocommit() as cur:
        assert cur.connection is not first
        cur.execute("SELECT 1")
        assert cur.fetchall() == [(1,)]


def test_a_forked_process_opens_its_own(fresh_database, monkeypatch):
    db = fresh_database
    with db.autocommit() as cur:
        parents = cur.connection
    monkeypatch.setattr(db._raw, "_pid", -1)  # as seen from a child process
    with db.autocommit() as cur:
        assert cur.connection is not parents


@pytest.mark.parametrize("failure", ["statement", "caller"])
def test_a_failed_write_releases_the_database_at_once(fresh_database, failure):
    db = fresh_database
    with pytest.raises((exc.IntegrityError, RuntimeError)):
        with db.raw_write() as cur:
            cur.execute("UPDATE decision_log_heads SET last_seq = last_seq WHERE tenant_code = 'changsha'")
            if failure == "caller":
                raise RuntimeError("the caller failed mid-transaction")
            cur.execute("INSERT INTO decision_log_heads (tenant_code, last_seq, last_hash) "
                        "SELECT tenant_code, 0, 'x' FROM decision_log_heads")  # duplicate keys
    done = []

    def other_writer():
        with db.raw_write() as cur:
            cur.execute("UPDATE decision_log_heads SET last_seq = last_seq + 0 WHERE tenant_code = 'changsha'")
        done.append(time.monotonic())

    start = time.monotonic()
    t = threading.Thread(target=other_writer)
    t.start()
    t.join(10)
    assert done and done[0] - start < 2.0  # not a busy timeout (30 s) or a lock wait
