"""The decisions the policy documents call for, through the Python API (SPEC §4, §8)."""
from __future__ import annotations

import pytest

ALL = ["national", "hunan", "changsha", "heilongjiang", "sichuan", "chengdu"]
HUNAN = ["hunan", "changsha"]


def fired(decision) -> set[str]:
    return {r["rule"] for r in decision.reasons}


def codes(decision) -> set[str]:
    return {r["code"] for r in decision.requirements}


# ---- 长沙:街道不再承担招商引资、协税护税 ---------------------------------
@pytest.mark.parametrize("category", ["招商引资", "协税护税"])
def test_changsha_street_no_longer_carries_investment_or_tax_work(pack, category):
    task = {"title": f"街道{category}任务", "category": category, "kind": "work", "role": "responsible"}
    d = pack("changsha").decide(task, {"level": "street"})
    assert d.decision == "reject"
    assert "街道取消招商引资协税护税" in fired(d)


def test_the_same_task_for_a_street_elsewhere_in_hunan_is_not_rejected(pack):
    task = {"title": "街道年度招商引资任务", "category": "招商引资", "kind": "work", "role": "responsible"}
    hunan = pack("hunan")
    assert "街道取消招商引资协税护税" not in {r.id for r in hunan.rules}
    assert hunan.decide(task, {"level": "street"}).decision == "admit"


def test_changsha_rule_reads_a_street_from_the_unit_data(pack, unit_trees):
    street = next(u for u in unit_trees["changsha"].values() if u["level"] == "street")
    target = {k: v for k, v in street.items() if k != "children"}
    task = {"title": "街道招商引资任务", "category": "招商引资", "target_unit": street["code"]}
    assert pack("changsha").decide(task, target).decision == "reject"


# ---- 社区不作城市管理等事项的责任主体:所有租户 -----------------------------
@pytest.mark.parametrize("tenant", ALL)
@pytest.mark.parametrize("category", ["行政执法", "拆迁拆违", "环境整治", "城市管理", "招商引资"])
def test_community_is_never_responsible_for_enforcement_work(pack, tenant, category):
    task = {"title": "社区负责某项整治", "item_code": "QG-ZZ-04", "category": category,
            "kind": "work", "role": "responsible"}
    d = pack(tenant).decide(task, {"level": "community"})
    assert d.decision == "reject"
    assert "社区不作责任主体" in fired(d)


@pytest.mark.parametrize("tenant", ALL)
def test_community_may_assist_with_environment_work(pack, tenant):
    task = {"title": "协助开展防灾减灾和环境整治宣传", "item_code": "QG-XZ-08", "category": "环境整治",
            "kind": "work", "role": "assist", "funding_provided": True, "work_conditions_provided": True,
            "via_platform": True}
    assert "社区不作责任主体" not in fired(pack(tenant).decide(task, {"level": "community"}))


# ---- 协助事项须有经费 -----------------------------------------------------
@pytest.mark.parametrize("tenant", ALL)
def test_assist_item_without_funding_is_conditional_on_funding(pack, tenant):
    task = {"title": "协助做好高龄津贴申领", "item_code": "QG-XZ-05", "kind": "work", "role": "assist",
            "funding_provided": False, "work_conditions_provided": True, "via_platform": True}
    d = pack(tenant).decide(task, {"level": "community"})
    assert d.decision == "conditional"
    assert codes(d) == {"funding"}


@pytest.mark.parametrize("tenant", ALL)
def test_assist_item_with_funding_and_conditions_is_admitted(pack, tenant):
    task = {"title": "协助做好高龄津贴申领", "item_code": "QG-XZ-05", "kind": "work", "role": "assist",
            "funding_provided": True, "work_conditions_provided": True, "via_platform": True}
    assert pack(tenant).decide(task, {"level": "community"}).decision == "admit"


# ---- 湖南:上级部门考核街道须一事一报 ---------------------------------------
@pytest.mark.parametrize("tenant", HUNAN)
def test_department_assessment_of_a_hunan_street_needs_approval(pack, tenant):
    task = {"title": "市某局对街道的专项考核", "kind": "assessment", "source_department": "市某局",
            "department_assessment": True, "approval": None}
    d = pack(tenant).decide(task, {"level": "street"})
    assert d.decision == "conditional"
    assert codes(d) == {"approval"}
    approved = pack(tenant).decide({**task, "approval": "湘某办函〔2024〕12号"}, {"level": "street"})
    assert approved.decision == "admit"


@pytest.mark.parametrize("tenant", ["national", "heilongjiang", "sichuan", "chengdu"])
def test_approval_rule_is_hunans_own(pack, tenant):
    task = {"title": "某局对街道的专项考核", "kind": "assessment", "department_assessment": True}
    assert pack(tenant).decide(task, {"level": "street"}).decision == "admit"


# ---- 一票否决、清单外事项 --------------------------------------------------
@pytest.mark.parametrize("tenant", ALL)
@pytest.mark.parametrize("level", ["street", "community"])
def test_one_vote_veto_is_rejected(pack, tenant, level):
    task = {"title": "目标责任(一票否决)", "item_code": "QG-ZZ-11", "kind": "work", "role": "responsible",
            "one_vote_veto": True, "via_platform": True}
    d = pack(tenant).decide(task, {"level": level})
    assert d.decision == "reject"
    assert "取消一票否决" in fired(d)


@pytest.mark.parametrize("tenant", ALL)
@pytest.mark.parametrize("item_code", [None, "NOT-ON-ANY-LIST"])
def test_task_on_no_list_is_rejected_for_a_community(pack, tenant, item_code):
    task = {"title": "某部门工作任务", "kind": "work", "role": "assist", "funding_provided": True,
            "work_conditions_provided": True, "via_platform": True}
    if item_code:
        task["item_code"] = item_code
    d = pack(tenant).decide(task, {"level": "community"})
    assert d.decision == "reject"
    assert "清单外事项不得转嫁社区" in fired(d)


# ---- 其他文件规定 ---------------------------------------------------------
def test_heilongjiang_grid_takes_only_grid_service_items(pack):
    p = pack("heilongjiang")
    base = {"title": "网格任务", "kind": "work", "role": "assist", "funding_provided": True,
            "work_conditions_provided": True}
    assert p.decide({**base, "item_code": "HLJ-XZ-07"}, {"level": "grid"}).decision == "admit"
    d = p.decide({**base, "item_code": "HLJ-XZ-01"}, {"level": "grid"})
    assert d.decision == "reject" and "网格只承接网格管理服务事项" in fired(d)


def test_chengdu_one_grid_and_one_platform(pack):
    p = pack("chengdu")
    task = {"title": "组织院落议事会", "item_code": "CD-ZZ-01", "kind": "work", "role": "responsible"}
    d = p.decide(task, {"level": "community"})
    assert d.decision == "conditional" and codes(d) == {"platform"}
    assert p.decide({**task, "via_platform": True}, {"level": "community"}).decision == "admit"
    d = p.decide({**task, "via_platform": True, "separate_grid": True}, {"level": "community"})
    assert d.decision == "reject" and "部门不得另设网格" in fired(d)


def test_hunan_staffing_gap_from_the_unit_data_reaches_the_rules(pack, unit_trees):
    """The standard's exported staffing_gap, supplied as a target fact, drives a warning."""
    p = pack("changsha")
    community = next(u for u in unit_trees["changsha"].values() if u["level"] == "community"
                     and not p.evaluate_standard("社区工作者配备", u)["compliant"])
    gap = p.evaluate_standard("社区工作者配备", community)["gap"]
    target = {**{k: v for k, v in community.items() if k != "children"}, "staffing_gap": gap}
    task = {"title": "协助开展流动人口登记", "item_code": "HN-XZ-15", "kind": "work", "role": "assist",
            "funding_provided": True, "work_conditions_provided": True}
    d = p.decide(task, target)
    assert d.decision == "admit" and "缺员社区承接协助事项" in fired(d)
