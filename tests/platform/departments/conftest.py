"""Fixtures for the department-registry tests.

``registry`` imports a small registry into the platform fixtures' trees (module-scoped
``api``/``database``, on SQLite and, when ``JICENG_TEST_DATABASE_URL`` is set, PostgreSQL):
changsha's 芙蓉区 430102000000 with its street 文艺路街道 430102001000 (communities and grids
below it), the city 长沙市 430100000000, and hunan's province unit 430000000000 (an ancestor
of 长沙市, but another tenant's). Item codes are the fixture packs' (X01 X02 Z01 Z02 HN01).
"""
from __future__ import annotations

import pytest

IMPORT = "/api/v1/tenants/{}/departments/import"
CSV = "text/csv"

CHANGSHA = """# 长沙市测试名录
code,name,unit,kind,items,categories
frq-dwzf,区委区政府,430102000000,government,,
frq-mzj,区民政局,430102000000,functional,X01、Z01,社会救助、养老服务
frq-cgj,区城市管理和综合执法局,430102000000,functional,,行政执法、城市管理
wyl-dgw,街道党工委办事处,430102001000,government,,
wyl-mzj,区民政局,430102001000,functional,X02,社会救助
cs-mzj,市民政局,430100000000,functional,X01,社会救助
"""
HUNAN = """code,name,unit,kind,items,categories
hn-mzt,省民政厅,430000000000,functional,X01,社会救助
"""


def _send(api, tenant: str, text, who=None, content_type=CSV, **query):
    """POST a departments file as ``who`` (default: the tenant's admin)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return api.post(IMPORT.format(tenant), who or (tenant, "admin"), data=data, content_type=content_type,
                    query_string=query)


@pytest.fixture(scope="session")
def send():
    """``send(api, tenant, text_or_bytes, who=None, content_type="text/csv", **query)``: an import request."""
    return _send


@pytest.fixture(scope="module")
def registry(api):
    """changsha's and hunan's test registries, imported once per module."""
    for tenant, text in (("changsha", CHANGSHA), ("hunan", HUNAN)):
        r = _send(api, tenant, text)
        assert r.status_code == 200, r.json
    return api
