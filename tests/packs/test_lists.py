"""The 清单: every kind present, provincial lists of real size, national items kept by every tenant."""
from __future__ import annotations

from pathlib import Path

import pytest

#: every pack under rule_packs/ (a tenant added per docs/tenants.md is checked too)
ALL = sorted(p.name for p in (Path(__file__).resolve().parents[2] / "rule_packs").iterdir() if p.is_dir())
KINDS = {"依法自治事项": "self_governance", "依法协助政府工作事项": "assist", "减负事项": "reduced",
         "不应由社区承担的事项": "forbidden", "不应由社区出具的证明": "certificate_excluded"}
ENFORCEMENT = {"行政执法", "拆迁拆违", "环境整治", "城市管理", "招商引资"}


def own_items(p, name: str, tenant: str) -> list[dict]:
    return [i for i in p.lists[name] if i["pack"] == tenant]


@pytest.mark.parametrize("tenant", ALL)
def test_national_lists_of_every_kind_reach_every_tenant(pack, tenant):
    lists = pack(tenant).lists
    for name, kind in KINDS.items():
        assert lists[name], f"{tenant}: {name} is empty"
        assert {i["kind"] for i in lists[name]} == {kind}


@pytest.mark.parametrize("tenant,minimum", [("hunan", 30), ("heilongjiang", 6), ("sichuan", 6)])
def test_provinces_fill_the_national_lists(pack, tenant, minimum):
    p = pack(tenant)
    for name in ("依法自治事项", "依法协助政府工作事项"):
        assert len(own_items(p, name, tenant)) >= minimum, f"{tenant} {name}"


def test_hunan_reduced_and_certificate_lists(pack):
    p = pack("hunan")
    assert len(own_items(p, "减负事项", "hunan")) >= 5
    assert own_items(p, "不应由社区出具的证明", "hunan")


def test_changsha_inherits_hunan_lists(pack):
    hunan, changsha = pack("hunan").lists, pack("changsha").lists
    for name in KINDS:
        assert [i["code"] for i in changsha[name]] == [i["code"] for i in hunan[name]]
    assert [i["code"] for i in changsha["街道取消事项"]] == ["招商引资", "协税护税"]


def test_national_certificates_communities_no_longer_issue(pack):
    items = pack("national").lists["不应由社区出具的证明"]
    assert len(items) >= 10
    assert all(i["attrs"].get("出具单位") for i in items), "each names who issues it instead"


@pytest.mark.parametrize("tenant", ALL)
def test_no_tenant_drops_a_national_enforcement_category(pack, tenant):
    """Lists have no override policy, so this guards the national floor of 2017 四(四)."""
    codes = {i["code"] for i in pack(tenant).lists["不应由社区承担的事项"]}
    assert ENFORCEMENT <= codes


@pytest.mark.parametrize("tenant", ALL)
def test_every_assist_item_declares_funding_and_work_conditions(pack, tenant):
    for item in pack(tenant).lists["依法协助政府工作事项"]:
        assert set(item["requires"]) == {"funding", "work_conditions"}, item["code"]


@pytest.mark.parametrize("tenant", ALL)
def test_an_item_code_belongs_to_one_list(pack, tenant):
    """Task item codes point at one list; forbidden lists are keyed by category and may overlap."""
    seen: dict[str, str] = {}
    for name, items in pack(tenant).lists.items():
        for item in items:
            if item["kind"] == "forbidden":
                continue
            assert item["code"] not in seen, f"{item['code']} in {seen.get(item['code'])} and {name}"
            seen[item["code"]] = name
