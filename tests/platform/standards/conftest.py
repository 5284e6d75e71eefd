"""Fixtures for the standards, org-unit import and grid-planning tests.

``repo_api`` is the service on a database loaded from the repository's own ``tenants/``,
``rule_packs/`` and ``form_schemas/`` (every shipped standard, the demo unit trees), on
SQLite and, when ``JICENG_TEST_DATABASE_URL`` is set, on PostgreSQL — made with the
platform tests' own ``new_database`` and ``Api``. The platform fixtures (``database``,
``api``, ``fresh_api``) stay available for tests that need their small trees.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from click.testing import CliRunner

from jiceng.platform.cli import service as commands
from jiceng.platform.app import create_app
from jiceng.platform.tenants.bootstrap import run_init
from jiceng.platform.tenants.directory import TenantDirectory

REPO = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("_platform_test_helpers", Path(__file__).parents[1] / "conftest.py")
base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(base)

REPO_TENANTS = ("hunan", "changsha", "heilongjiang", "chengdu")
#: demo units of tenants/*.units.csv the tests rely on (see the comments at the top of each file)
DEMO = {"understaffed": "430102001001",      # 兴隆社区: 缺 6 人
        "staffed": "430102001003",           # 梧桐社区
        "street": "430102001000",            # 文艺路街道
        "small_centre": "430104003000",      # 西湖街道: 党群服务中心不足 1000 平方米
        "big_grid": "430102002001002",       # 书香第2网格: 620 户
        "no_grid_worker": "430102003002011",  # 楚江第11网格
        "gap_community": "430104001003",     # 怡园社区: 网格少 160 户
        "changsha_city": "430100000000"}


@pytest.fixture(scope="module", params=base.BACKENDS)
def repo_database(request, tmp_path_factory):
    with base.new_database(request.param, tmp_path_factory.mktemp("repo")) as db:
        report = run_init(db, REPO)
        assert report.ok, report.packs
        yield db


@pytest.fixture(scope="module")
def repo_api(repo_database) -> "base.Api":
    app = create_app({"DATABASE": repo_database})
    with repo_database.write() as session:
        tokens = base.issue_tokens(session, TenantDirectory.load(session), REPO_TENANTS)
    return base.Api(app, tokens)


@pytest.fixture
def repo_cli(repo_database, monkeypatch) -> CliRunner:
    """`jiceng` commands on the repository database."""
    monkeypatch.setattr(commands, "_database", lambda: repo_database)
    return CliRunner()


@pytest.fixture(scope="session")
def demo() -> dict:
    return dict(DEMO)
