"""`jiceng init --demo-tokens` issues tokens that live ``JICENG_TOKEN_DAYS`` days, like every
other new token (issue 11: they used to get the built-in 90 days whatever the setting)."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from jiceng.platform.auth.tokens import DEFAULT_DAYS
from jiceng.platform.cli import main
from jiceng.platform.cli import service as commands
from jiceng.platform.db.models import ApiToken
from jiceng.platform.tenants.bootstrap import DEMO_LABEL

FIXTURES = Path(__file__).parents[1] / "fixtures"


def _demo_lifetimes(database) -> set[timedelta]:
    with database.read() as session:
        rows = session.execute(select(ApiToken).where(ApiToken.label == DEMO_LABEL,
                                                      ApiToken.revoked_at.is_(None))).scalars().all()
        assert len(rows) == 5  # one per role
        return {row.expires_at - row.created_at for row in rows}


def _init(monkeypatch, database, days):
    monkeypatch.setattr(commands, "_database", lambda: database)
    if days is None:
        monkeypatch.delenv("JICENG_TOKEN_DAYS", raising=False)
    else:
        monkeypatch.setenv("JICENG_TOKEN_DAYS", days)
    return CliRunner().invoke(main, ["init", "--root", str(FIXTURES), "--demo-tokens"])


def _whole_days(lifetimes: set[timedelta]) -> set[int]:
    # created_at and expires_at are taken a moment apart: round to the nearest day
    return {round(x / timedelta(days=1)) for x in lifetimes}


def test_demo_tokens_follow_jiceng_token_days(fresh_database, monkeypatch):
    result = _init(monkeypatch, fresh_database, "7")
    assert result.exit_code == 0, result.output
    assert _whole_days(_demo_lifetimes(fresh_database)) == {7}
    again = _init(monkeypatch, fresh_database, None)  # unset: the default, and the old ones revoked
    assert again.exit_code == 0, again.output
    assert _whole_days(_demo_lifetimes(fresh_database)) == {DEFAULT_DAYS}


@pytest.mark.parametrize("days", ["abc", "-3"])
def test_a_bad_setting_stops_init_with_a_code(fresh_database, monkeypatch, days):
    result = _init(monkeypatch, fresh_database, days)
    assert result.exit_code == 2 and "config_invalid" in result.output and "Traceback" not in result.output


def test_an_out_of_range_setting_is_refused_with_the_expiry_code(fresh_database, monkeypatch):
    result = _init(monkeypatch, fresh_database, "0")
    assert result.exit_code != 0 and "expiry_invalid" in result.output
    assert "Traceback" not in result.output
