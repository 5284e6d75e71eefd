"""Issue 11.1: every token expires; an expired token authenticates as none (401, told why)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from jiceng.platform.auth import tokens
from jiceng.platform.cli import main
from jiceng.platform.cli import service as commands
from jiceng.platform.db.models import ApiToken
from jiceng.platform.errors import Invalid
from jiceng.platform.tenants.directory import TenantDirectory

LISTS = "/api/v1/tenants/changsha/lists"


def issue(db, expires_at):
    with db.write() as session:
        return tokens.issue(session, TenantDirectory.load(session), "changsha", "auditor", expires_at=expires_at)[0]


def test_an_expired_token_is_refused_and_the_answer_says_it_expired(fresh_api):
    db = fresh_api.app.extensions["jiceng"].db
    now = datetime.now(timezone.utc)
    expired, live = issue(db, now - timedelta(seconds=1)), issue(db, now + timedelta(minutes=5))
    r = fresh_api.get(LISTS, headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401 and r.json["error"]["code"] == "unauthorized"
    assert "过期" in r.json["error"]["message"] and r.json["error"]["details"] == {"reason": "expired"}
    assert fresh_api.get(LISTS, headers={"Authorization": f"Bearer {live}"}).status_code == 200
    unknown = fresh_api.get(LISTS, headers={"Authorization": "Bearer jc_nothing"}).json["error"]
    assert unknown["details"] == {"reason": "invalid"} and "过期" not in unknown["message"]


def test_a_token_expires_at_the_moment_it_was_given():
    issued = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
    assert tokens.expiry(issued) == issued + timedelta(days=tokens.DEFAULT_DAYS)
    assert tokens.expiry(issued, days=7) == issued + timedelta(days=7)
    assert tokens.expiry(issued, default_days=30) == issued + timedelta(days=30)
    # through 2027-01-31 in Beijing: until 2027-02-01 00:00 UTC+8, which is 2027-01-31 16:00 UTC
    assert tokens.expiry(issued, until=date(2027, 1, 31)) == datetime(2027, 1, 31, 16, tzinfo=timezone.utc)
    for bad in ({"days": 0}, {"days": tokens.MAX_DAYS + 1}, {"until": date(2025, 12, 31)},
                {"until": date(2040, 1, 1)}, {"days": 3, "until": date(2027, 1, 31)}):
        with pytest.raises(Invalid) as e:
            tokens.expiry(issued, **bad)
        assert e.value.code == "expiry_invalid", bad


@pytest.fixture
def cli(fresh_database, monkeypatch):
    monkeypatch.setattr(commands, "_database", lambda: fresh_database)
    return CliRunner()


def expires_of(db, token: str) -> datetime:
    with db.read() as session:
        return tokens.utc(session.get(ApiToken, tokens.token_id(session, token)).expires_at)


def test_jiceng_token_issue_takes_a_date_or_days_and_defaults_to_jiceng_token_days(cli, fresh_database, monkeypatch):
    def issue_cli(*extra, env=None):
        r = cli.invoke(main, ["token", "issue", "--tenant", "changsha", "--role", "auditor", *extra], env=env)
        return r, (r.stdout.strip().splitlines()[-1] if r.exit_code == 0 else None)

    now = datetime.now(timezone.utc)
    r, token = issue_cli("--expires", "2027-01-31")
    assert r.exit_code == 0 and "有效至 2027-02-01 00:00" in r.stderr
    assert expires_of(fresh_database, token) == datetime(2027, 1, 31, 16, tzinfo=timezone.utc)
    _, token = issue_cli("--days", "3")
    assert timedelta(days=3) <= expires_of(fresh_database, token) - now < timedelta(days=3, minutes=1)
    _, token = issue_cli(env={"JICENG_TOKEN_DAYS": "7"})
    assert timedelta(days=7) <= expires_of(fresh_database, token) - now < timedelta(days=7, minutes=1)
    for extra, env in ((("--days", "0"), None), (("--expires", "2020-01-01"), None),
                       (("--days", "2", "--expires", "2027-01-31"), None), ((), {"JICENG_TOKEN_DAYS": "many"})):
        r, _ = issue_cli(*extra, env=env)
        assert r.exit_code == 2 and "错误" in r.stderr, (extra, r.output)
