"""Revoking a token: `jiceng token revoke`, seen by the next request of every process."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from jiceng.platform.app import create_app
from jiceng.platform.cli import main
from jiceng.platform.cli import service as commands
from jiceng.platform.db.models import ApiToken
from jiceng.platform.auth import tokens

LISTS = "/api/v1/tenants/changsha/lists"


def status(api, token: str) -> int:
    return api.get(LISTS, headers={"Authorization": f"Bearer {token}"}).status_code


def token_id(db, token: str) -> int:
    with db.read() as session:
        return tokens.token_id(session, token)


def test_a_revocation_is_seen_at_once_by_the_process_that_made_it(fresh_api):
    db = fresh_api.app.extensions["jiceng"].db
    token = fresh_api.tokens[("changsha", "auditor")]
    assert status(fresh_api, token) == 200  # now in the principal cache
    with db.write() as session:
        assert tokens.revoke(session, token_id(db, token))
    r = fresh_api.get(LISTS, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and r.json["error"]["code"] == "unauthorized"
    assert status(fresh_api, fresh_api.tokens[("changsha", "admin")]) == 200  # the others still work
    with db.write() as session:
        assert not tokens.revoke(session, token_id(db, token))  # once is enough


def test_a_revocation_elsewhere_is_seen_by_the_next_request(fresh_api):
    """Another process (`jiceng token revoke`, another worker) changes the row only: the next
    request here is refused all the same, with no cache to wait out."""
    db = fresh_api.app.extensions["jiceng"].db
    token = fresh_api.tokens[("changsha", "auditor")]
    assert status(fresh_api, token) == 200
    with db.write() as session:
        session.execute(update(ApiToken).where(ApiToken.id == token_id(db, token))
                        .values(revoked_at=datetime.now(timezone.utc)))
    assert status(fresh_api, token) == 401


@pytest.fixture
def cli(fresh_database, monkeypatch):
    monkeypatch.setattr(commands, "_database", lambda: fresh_database)
    return CliRunner()


def test_jiceng_token_revoke_by_number_or_by_the_token_itself(cli, fresh_api):
    db = fresh_api.app.extensions["jiceng"].db
    issued = [cli.invoke(main, ["token", "issue", "--tenant", "changsha", "--role", "auditor"]) for _ in range(2)]
    first, second = (r.stdout.strip().splitlines()[-1] for r in issued)
    assert status(fresh_api, first) == 200 and status(fresh_api, second) == 200

    by_number = cli.invoke(main, ["token", "revoke", f"#{token_id(db, first)}"])
    assert by_number.exit_code == 0 and f"已吊销令牌 #{token_id(db, first)}" in by_number.output
    by_text = cli.invoke(main, ["token", "revoke", second])
    assert by_text.exit_code == 0, by_text.output
    assert status(fresh_api, first) == 401 and status(fresh_api, second) == 401
    elsewhere = fresh_api.__class__(create_app({"DATABASE": db}), {})  # a process that never saw them
    assert status(elsewhere, first) == 401 and status(elsewhere, second) == 401

    for which in (f"{token_id(db, first)}", "jc_unknown", "abc", "²", "1234567890"):
        r = cli.invoke(main, ["token", "revoke", which])
        assert r.exit_code == 2 and "token_not_found" in r.output, which
