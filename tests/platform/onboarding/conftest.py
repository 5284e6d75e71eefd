"""Fixtures for onboarding tests: the service on a database loaded from the repository's own
``tenants/``, ``rule_packs/`` and ``form_schemas/`` (the real national chain a new province
joins), on SQLite and, when ``JICENG_TEST_DATABASE_URL`` is set, on PostgreSQL."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from jiceng.platform.app import create_app
from jiceng.platform.auth.tokens import ROLES, issue
from jiceng.platform.tenants.bootstrap import run_init
from jiceng.platform.tenants.directory import TenantDirectory

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures" / "onboarding"
_spec = importlib.util.spec_from_file_location("_platform_test_helpers_onboarding", Path(__file__).parents[1] / "conftest.py")
base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(base)


@pytest.fixture(scope="module", params=base.BACKENDS)
def shipped_database(request, tmp_path_factory):
    with base.new_database(request.param, tmp_path_factory.mktemp("shipped")) as db:
        report = run_init(db, REPO)
        assert report.ok, report.packs
        yield db


@pytest.fixture(scope="module")
def shipped(shipped_database) -> "base.Api":
    """The service with a token per role of the nation, Hunan and Changsha."""
    app = create_app({"DATABASE": shipped_database})
    tokens = {}
    with shipped_database.write() as session:
        directory = TenantDirectory.load(session)
        for tenant in ("national", "hunan", "changsha"):
            for role in ROLES:
                tokens[(tenant, role)] = issue(session, directory, tenant, role)[0]
    return base.Api(app, tokens)
