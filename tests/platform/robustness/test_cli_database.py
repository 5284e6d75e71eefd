"""CLI commands on a database that cannot serve them say what to do, exit 2, no traceback
(issue 11, item 2): an empty SQLite file (never initialised) and an unreachable PostgreSQL."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from jiceng.platform.cli import main

UNITS_CSV = "代码,名称,上级代码,层级\n430102001009,试验社区,430102001000,community\n"
DEPARTMENTS_CSV = "代码,名称,所属单位代码,类别\nx-mzj,区民政局,430102000000,职能部门\n"


def _commands(tmp_path):
    units = tmp_path / "units.csv"
    units.write_text(UNITS_CSV, encoding="utf-8")
    departments = tmp_path / "departments.csv"
    departments.write_text(DEPARTMENTS_CSV, encoding="utf-8")
    return [["standards", "--tenant", "changsha", "社区工作者配备"], ["decisions", "verify"],
            ["token", "issue", "--tenant", "changsha", "--role", "admin"],
            ["units", "import", "--tenant", "changsha", str(units)],
            ["departments", "import", "--tenant", "changsha", str(departments)]]


@pytest.mark.parametrize("kind", ["empty sqlite", "unreachable postgresql"])
def test_commands_say_what_to_do(tmp_path, monkeypatch, kind):
    if kind == "empty sqlite":
        path = tmp_path / "empty.db"
        path.write_bytes(b"")
        url, code, hint = f"sqlite:///{path}", "database_not_initialised", "数据库尚未初始化:请先运行 jiceng init"
    else:  # port 1 on the loopback: nothing listens, the connection is refused at once
        url, code, hint = "postgresql://postgres@127.0.0.1:1/test", "database_unreachable", "无法连接数据库"
    monkeypatch.setenv("JICENG_DATABASE_URL", url)
    monkeypatch.delenv("JICENG_DATABASE_SCHEMA", raising=False)
    for args in _commands(tmp_path):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, (args, result.output, result.exception)
        assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), args
        assert "Traceback" not in result.output and "sqlalche.me" not in result.output, args
        assert f"错误 {code}:" in result.output and hint in result.output, (args, result.output)


def test_an_outdated_schema_is_told_apart(tmp_path, monkeypatch):
    from sqlalchemy import create_engine, text
    path = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:  # migrated by a release whose revision this one no longer has at its head
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('0000_old')"))
    engine.dispose()
    monkeypatch.setenv("JICENG_DATABASE_URL", f"sqlite:///{path}")
    result = CliRunner().invoke(main, ["decisions", "verify"])
    assert result.exit_code == 2 and "database_outdated" in result.output and "jiceng init" in result.output
