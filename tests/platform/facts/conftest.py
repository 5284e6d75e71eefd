"""Fixtures for the decision-facts tests: a small department registry in the platform fixtures' trees.

changsha's 芙蓉区 430102000000 registers its 区委区政府 (government) and 区民政局 (functional, items
X01 Z01, category 社会救助); its street 文艺路街道 430102001000 its 街道党工委办事处 (government).
Imported once per module (module-scoped ``api``, on SQLite and, when ``JICENG_TEST_DATABASE_URL``
is set, PostgreSQL).
"""
from __future__ import annotations

import pytest

CHECK = "/api/v1/tenants/{}/admission/check"
DEPT = ("changsha", "department")
REGISTRY = """code,name,unit,kind,items,categories
frq-dwzf,区委区政府,430102000000,government,,
frq-mzj,区民政局,430102000000,functional,X01、Z01,社会救助
wyl-dgw,街道党工委办事处,430102001000,government,,
"""


def _import(api, text: str = REGISTRY):
    r = api.post("/api/v1/tenants/changsha/departments/import", ("changsha", "admin"), data=text.encode("utf-8"),
                 content_type="text/csv")
    assert r.status_code == 200, r.json
    return r


@pytest.fixture(scope="session")
def import_registry():
    """``import_registry(api, text=REGISTRY)``: import ``text`` into changsha's registry (as its admin)."""
    return _import


@pytest.fixture(scope="module")
def registry(api):
    """The API with changsha's test registry imported."""
    _import(api)
    return api


@pytest.fixture(scope="session")
def check():
    """``check(api, body, tenant="changsha", as_=DEPT)``: an admission check's response."""
    def post(api, body, tenant="changsha", as_=DEPT):
        return api.post(CHECK.format(tenant), as_, json=body)
    return post


@pytest.fixture(scope="session")
def logged():
    """``logged(api, answer)``: the decision-log entry of a check's answer, as an auditor reads it."""
    def read(api, answer, tenant="changsha"):
        r = api.get(f"/api/v1/tenants/{tenant}/decisions/{answer['decision_id']}", (tenant, "auditor"))
        assert r.status_code == 200, r.json
        return r.json
    return read
