"""Fixtures for the vocabulary tests: the service on the repository's own ``tenants/``,
``rule_packs/`` and ``form_schemas/`` (whose task forms bind ``category`` and ``kind``
to the vocabularies 事项类别 and 任务类型), on SQLite and, when
``JICENG_TEST_DATABASE_URL`` is set, on PostgreSQL."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from jiceng.platform.app import create_app
from jiceng.platform.tenants.bootstrap import run_init
from jiceng.platform.tenants.directory import TenantDirectory

REPO = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("_platform_test_helpers", Path(__file__).parents[1] / "conftest.py")
base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(base)

TENANTS = ("hunan", "changsha", "sichuan", "chengdu")


@pytest.fixture(scope="module", params=base.BACKENDS)
def shipped_api(request, tmp_path_factory) -> "base.Api":
    with base.new_database(request.param, tmp_path_factory.mktemp("vocabulary")) as db:
        report = run_init(db, REPO)
        assert report.ok, report.packs
        with db.write() as session:
            tokens = base.issue_tokens(session, TenantDirectory.load(session), TENANTS)
        yield base.Api(create_app({"DATABASE": db}), tokens)
