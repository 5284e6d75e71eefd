"""Fixtures for the form tests: the shipped forms loaded over the API into the fixture database.

The fixture packs (``tests/platform/fixtures``) are small; the forms of
``form_schemas/`` bind Hunan's params (网格户数 …), so :func:`shipped_forms`
first publishes a Hunan pack version that declares them, then stores the
shipped Hunan and Changsha forms through ``PUT`` — both as a user would.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
FIXTURE_PACKS = Path(__file__).resolve().parents[1] / "fixtures" / "rule_packs"
FORMS = "/api/v1/tenants/{}/forms/{}"

HUNAN_PARAMS = """
param 网格户数 "每个网格覆盖的户数" = 300..500 户 narrow
param 每网格专职网格员 "每个网格配备的专职网格员人数" = 1 人 floor
param 新招录年龄上限 "新招录社区工作者的年龄上限(周岁)" = 35 ceiling
param 业委会党员比例下限 "业主委员会成员中党员的最低比例" = 50 % floor
"""


def fixture_pack(tenant: str, extra: str = "") -> str:
    """The fixture pack of ``tenant`` with ``extra`` declarations appended."""
    return (FIXTURE_PACKS / tenant / "pack.jc").read_text(encoding="utf-8") + extra


def publish(api, tenant: str, text: str):
    """Draft ``text`` as ``tenant``'s pack (as its admin) and publish it with a second admin's approval;
    the approval's response."""
    admin = (tenant, "admin")
    draft = api.post(f"/api/v1/tenants/{tenant}/packs", admin, json={"files": {"pack.jc": text}})
    assert draft.status_code == 201, draft.json
    return api.publish(tenant, draft.json["number"])


def shipped(tenant: str, name: str) -> dict:
    return json.loads((REPO / "form_schemas" / tenant / f"{name}.schema.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def shipped_forms(api):
    """Hunan's params published, then Hunan's grid, recruitment and owners' committee forms and
    Changsha's grid form stored; returns the API."""
    r = publish(api, "hunan", fixture_pack("hunan", HUNAN_PARAMS))
    assert r.status_code == 200, r.json
    for tenant, name in (("hunan", "grid"), ("hunan", "recruitment"), ("hunan", "owners_committee"),
                         ("changsha", "grid")):
        r = api.put(FORMS.format(tenant, name), (tenant, "designer"), json={"schema": shipped(tenant, name)})
        assert r.status_code == 200, r.json
    return api


@pytest.fixture(scope="session")
def kit():
    """The helpers above, for the test modules (test files do not import each other)."""
    from types import SimpleNamespace
    return SimpleNamespace(publish=publish, fixture_pack=fixture_pack, shipped=shipped)
