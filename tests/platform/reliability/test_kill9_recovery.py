"""kill -9 of the real server mid-load loses no acknowledged decision and breaks no chain
(issue 11), on SQLite and PostgreSQL.

``jiceng serve`` (gunicorn, two workers) on a fresh database takes admission checks from eight
client threads; while they are in flight the master and both workers are killed with SIGKILL at
once. The server is started again on the same database and takes more checks. Then: every check
that was answered 200 is in the decision log with the answer's outcome, and every chain verifies.
Bounded: about 15 s per database (each wait is capped at 20 s on a loaded machine)."""
from __future__ import annotations

import http.client
import threading
import time

import pytest
from sqlalchemy import select

from jiceng.platform.auth.tokens import issue
from jiceng.platform.db.models import Decision
from jiceng.platform.decisions.log import verify
from jiceng.platform.tenants.directory import TenantDirectory

from live_server import CHECK, Client, LiveServer

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path("/proc/self/task").exists(),
                                reason="finds the server's workers through Linux /proc")

CLIENTS = 8


def _body(units, i: int) -> dict:
    return {"task": {"title": f"协助入户调查 {i}", "item_code": "X01", "role": "assist",
                     "target_unit": units.cs_communities[i % len(units.cs_communities)]}}


def _load(port: int, token: str, units, stop: threading.Event, acked: dict, errors: list,
          dropped: list) -> None:
    """Send checks until ``stop``; record each answered one (decision id → outcome)."""
    client, i = Client(port, token, timeout=5), 0
    while not stop.is_set():
        i += 1
        try:
            status, body = client.request("POST", CHECK.format(tenant="changsha"), _body(units, i))
        except (OSError, http.client.HTTPException):  # the server is gone: not answered, not acknowledged
            dropped.append(i)
            client = Client(port, token, timeout=5)
            time.sleep(0.02)
            continue
        if status == 200:
            acked[body["decision_id"]] = body["decision"]
        else:
            errors.append((status, body))
    client.close()


def _under_load(server: LiveServer, token: str, units, want: int, kill: bool):
    """Load the server until ``want`` checks are answered (at most 20 s: a loaded machine is slow),
    then — with ``kill`` — half a second more and kill -9, else stop the clients."""
    stop, acked, errors, dropped = threading.Event(), {}, [], []
    threads = [threading.Thread(target=_load, args=(server.port, token, units, stop, acked, errors, dropped))
               for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while len(acked) < want and time.monotonic() < deadline:
        time.sleep(0.05)
    killed: list[int] = []
    if kill:
        time.sleep(0.5)  # well into the load
        killed = server.kill()
        time.sleep(0.3)  # the clients see the connections drop
    stop.set()
    for t in threads:
        t.join(timeout=15)
    return acked, errors, killed, dropped


def test_kill_9_mid_load_loses_no_acknowledged_decision(fresh_database, units, tmp_path):
    db = fresh_database
    with db.write() as session:
        token = issue(session, TenantDirectory.load(session), "changsha", "department")[0]
    server = LiveServer(db, tmp_path).start()
    try:
        before, errors, killed, dropped = _under_load(server, token, units, 20, kill=True)
        assert len(killed) == 3, killed  # master + 2 workers
        assert len(before) >= 20 and not errors, (len(before), errors[:3])
        assert dropped  # the kill came with requests in flight (or the clients reconnecting)
        server.start()
        after, errors, _, _ = _under_load(server, token, units, CLIENTS, kill=False)
        assert len(after) >= CLIENTS and not errors, errors[:3]
    finally:
        server.stop()
    # the graceful stop after the restart: workers that served checks exit cleanly (they aborted in
    # DuckDB's destructor when the master had imported it before forking)
    assert "SIGABRT" not in server.log_text() and "terminate called" not in server.log_text(), \
        server.log_text()[-2000:]
    acked = {**before, **after}
    with db.read() as session:
        stored = dict(session.execute(select(Decision.id, Decision.outcome)
                                      .where(Decision.id.in_(list(acked)))).all())
        reports = verify(session)
    assert stored == acked  # every acknowledged decision, with the outcome that was answered
    assert reports and not [p for r in reports for p in r.problems], [r.to_dict() for r in reports if r.problems]
    print(f"kill -9 ({db.url.get_backend_name()}): {len(before)} acknowledged before the kill "
          f"({len(dropped)} requests failed while it was down), "
          f"{len(after)} after the restart, all in the log; chains verify")
