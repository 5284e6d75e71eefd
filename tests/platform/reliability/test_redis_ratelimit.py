"""The failed-authentication limit on a shared Redis storage (``JICENG_RATELIMIT_STORAGE``):
workers count one address's failures together, and an unreachable storage lets requests through
rather than refusing them. Needs the Redis at 127.0.0.1:6379 (the CI machine has one); skipped,
with the reason, when it does not answer."""
from __future__ import annotations

import random
import socket

import pytest

from jiceng.platform.app import create_app

REDIS = "redis://127.0.0.1:6379"
LISTS = "/api/v1/tenants/changsha/lists"


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _worker(fresh_api, storage: str, limit: str = "3 per minute"):
    db = fresh_api.app.extensions["jiceng"].db
    app = create_app({"DATABASE": db, "AUTH_FAILURE_LIMIT": limit, "RATELIMIT_STORAGE": storage})
    return app.test_client()


def _get(client, addr: str, token: str):
    return client.get(LISTS, headers={"Authorization": f"Bearer {token}"}, environ_base={"REMOTE_ADDR": addr})


def _fresh_address() -> str:
    # the Redis is shared by every test run on the machine: an address no other run uses
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


@pytest.mark.skipif(not _redis_answers(), reason="Redis 127.0.0.1:6379 does not answer (CI has one)")
def test_two_workers_share_one_count_in_redis(fresh_api):
    a, b = _worker(fresh_api, REDIS), _worker(fresh_api, REDIS)
    addr, good = _fresh_address(), fresh_api.tokens[("changsha", "auditor")]
    assert [_get(c, addr, "jc_guess").status_code for c in (a, b, a)] == [401, 401, 401]
    refused = _get(b, addr, "jc_guess")  # the fourth failure, on the worker that saw only one
    assert refused.status_code == 429 and refused.json["error"]["code"] == "rate_limited"
    assert _get(a, addr, good).status_code == 429  # held off in every worker
    assert _get(a, _fresh_address(), good).status_code == 200


def test_memory_storage_counts_per_worker(fresh_api):
    # the contrast that makes the test above mean something: without Redis each worker counts alone
    a, b = _worker(fresh_api, "memory://"), _worker(fresh_api, "memory://")
    addr = _fresh_address()
    assert [_get(c, addr, "jc_guess").status_code for c in (a, b, a, b)] == [401] * 4


def test_an_unreachable_storage_lets_requests_through(fresh_api):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # a port nothing listens on
    client = _worker(fresh_api, f"redis://127.0.0.1:{port}", limit="1 per minute")
    addr, good = _fresh_address(), fresh_api.tokens[("changsha", "auditor")]
    assert [_get(client, addr, "jc_guess").status_code for _ in range(3)] == [401] * 3
    assert _get(client, addr, good).status_code == 200
