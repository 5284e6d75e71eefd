"""The 清单: every kind present, provincial lists of real size, national items kept by every tenant."""
from __future__ import annotations

import json
import re
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


def test_hunan_keeps_no_reduced_or_certificate_items_of_its_own(pack):
    """S003 names no 减负 or certificate items: the ones the pack had were invented or contradicted
    S003 (a plaque it allows after 备案审核), so Hunan inherits the national lists unchanged."""
    p = pack("hunan")
    assert own_items(p, "减负事项", "hunan") == []
    assert own_items(p, "不应由社区出具的证明", "hunan") == []
    assert [i["code"] for i in p.lists["减负事项"]] == [i["code"] for i in pack("national").lists["减负事项"]]


def test_hunan_duplicate_hazard_check_item_is_merged(pack):
    """HN-ZZ-21 and HN-XZ-25 came from the same S003 sentence: one item is left, on the assist list."""
    codes = {i["code"] for items in pack("hunan").lists.values() for i in items}
    assert "HN-ZZ-21" not in codes and "HN-XZ-25" in codes


def test_changsha_inherits_hunan_lists(pack):
    hunan, changsha = pack("hunan").lists, pack("changsha").lists
    for name in KINDS:
        assert [i["code"] for i in changsha[name]] == [i["code"] for i in hunan[name]]
    assert [i["code"] for i in changsha["街道取消事项"]] == ["招商引资", "协税护税"]


def _mca2020_names_in_the_excerpt(repo) -> list[str]:
    text = (repo / "rule_packs" / "national" / "documents" / "mca2020_20.txt").read_text(encoding="utf-8")
    appendix = text.split("附:不应由基层群众性自治组织出具证明事项清单(第一批)", 1)[1]
    return re.findall(r"^\d+\. (.+)$", appendix, flags=re.M)


def test_national_certificates_are_mca2020s_first_list_verbatim(pack, repo):
    """民政部等六部门(2020)附清单(第一批): 20 items, names as published, in the published order."""
    names = [i["name"] for i in pack("national").lists["不应由社区出具的证明"]]
    assert names == _mca2020_names_in_the_excerpt(repo)
    assert len(names) == 20
    govdata = repo.parent.parent / "shared" / "govdata" / "national.json"
    if govdata.exists():  # the research extract the excerpt was taken from (not in a clone)
        published = json.loads(govdata.read_text(encoding="utf-8"))
        assert names == published["certificates_not_issued_by_village_or_residents_committee"]["items"]


def test_national_reduced_items_are_mca2015s_task_quotas(pack):
    """民发〔2015〕136号 一: 招商引资、协税护税、经济创收等任务指标 原则上一律取消; its 责任主体 items
    (执法、拆迁拆违、环境整治、城市管理) are in the forbidden list S002 四(四) already names."""
    p = pack("national")
    assert [i["code"] for i in p.lists["减负事项"]] == ["招商引资", "协税护税", "经济创收"]
    forbidden = {i["code"] for i in p.lists["不应由社区承担的事项"]}
    assert {"行政执法", "拆迁拆违", "环境整治", "城市管理"} <= forbidden


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
    """Task item codes point at one list; forbidden and reduced lists are keyed by category (民发〔2015〕
    136号 cancels 招商引资 etc. as categories) and may overlap."""
    seen: dict[str, str] = {}
    for name, items in pack(tenant).lists.items():
        for item in items:
            if item["kind"] in ("forbidden", "reduced"):
                continue
            assert item["code"] not in seen, f"{item['code']} in {seen.get(item['code'])} and {name}"
            seen[item["code"]] = name


#: what S003 names that only a city's community has (rule_packs/hunan/lists.jc, on levels)
URBAN_ONLY = ("小区", "业主委员会", "物业", "居委会", "街道社区", "村改社区", "安置社区")


def test_hunan_items_limited_to_communities_are_those_their_clause_says_are_urban(pack):
    """An item's ``levels`` come from its document: a Hunan item counts only for communities and
    their grids when the S003 measure or sentence it cites names a body only cities' communities
    have; an example item (no source) or one citing nothing urban-only is not limited."""
    items = own_items(pack("hunan"), "依法自治事项", "hunan") + own_items(pack("hunan"), "依法协助政府工作事项", "hunan")
    limited = [i for i in items if i["levels"]]
    assert len(limited) == 13
    for item in items:
        cited = " ".join(f"{c['clause']} {c.get('quote') or ''}" for c in item["cites"])
        urban = any(word in cited for word in URBAN_ONLY)
        if item["levels"]:
            assert sorted(item["levels"]) == ["community", "grid"] and urban, item["code"]
            assert not item["example"], item["code"]
        else:
            assert item["example"] or not urban, item["code"]
    assert "village" not in {lv for i in limited for lv in i["levels"]}
