"""The decisions the policy documents call for, through the Python API (SPEC §4, §8).

A fact the sender leaves out is unknown, and a rule it leaves undecided keeps the task from
being admitted: a task meant to be admitted states every fact the rules ask about (``CLEAR``).
What the sender is not asked — who sends the task (``source.department``) — comes from the
department registry; a task here is sent by the 党委和政府 as a whole unless it says otherwise.
"""
from __future__ import annotations

from pathlib import Path

import pytest

#: every pack under rule_packs/ (a tenant added per docs/tenants.md is checked too)
ALL = sorted(p.name for p in (Path(__file__).resolve().parents[2] / "rule_packs").iterdir() if p.is_dir())
HUNAN = ["hunan", "changsha"]
#: the facts of a task that carries no 一票否决 and is no statutory duty of the government
CLEAR = {"one_vote_veto": False, "statutory_duty": False}
#: ``source.*`` of a task a 职能部门 runs as its own assessment, as the department registry says
OWN_ASSESSMENT = {"department": {"registered": True, "kind": "functional", "own_duty": False, "own_assessment": True}}


def fired(decision) -> set[str]:
    return {r["rule"] for r in decision.reasons}


def codes(decision) -> set[str]:
    return {r["code"] for r in decision.requirements}


# ---- 长沙:街道不再承担招商引资、协税护税 ---------------------------------
@pytest.mark.parametrize("category", ["招商引资", "协税护税"])
def test_changsha_street_no_longer_carries_investment_or_tax_work(pack, category, decide):
    task = {"title": f"街道{category}任务", "category": category, "kind": "work", "role": "responsible"}
    d = decide(pack("changsha"), task, {"level": "street"})
    assert d.decision == "reject"
    assert "街道取消招商引资协税护税" in fired(d)


def test_the_same_task_for_a_street_elsewhere_in_hunan_is_not_rejected(pack, decide):
    task = {"title": "街道年度招商引资任务", "category": "招商引资", "kind": "work", "role": "responsible"}
    hunan = pack("hunan")
    assert "街道取消招商引资协税护税" not in {r.id for r in hunan.rules}
    assert decide(hunan, {**task, **CLEAR}, {"level": "street"}).decision == "admit"


def test_changsha_rule_reads_a_street_from_the_unit_data(pack, unit_trees, decide):
    street = next(u for u in unit_trees["changsha"].values() if u["level"] == "street")
    target = {k: v for k, v in street.items() if k != "children"}
    task = {"title": "街道招商引资任务", "category": "招商引资", "target_unit": street["code"]}
    assert decide(pack("changsha"), task, target).decision == "reject"


# ---- 社区不作城市管理等事项的责任主体:所有租户 -----------------------------
@pytest.mark.parametrize("tenant", ALL)
@pytest.mark.parametrize("category", ["行政执法", "拆迁拆违", "环境整治", "城市管理", "招商引资"])
def test_community_is_never_responsible_for_enforcement_work(pack, tenant, category, decide):
    task = {"title": "社区负责某项整治", "item_code": "QG-ZZ-04", "category": category,
            "kind": "work", "role": "responsible"}
    d = decide(pack(tenant), task, {"level": "community"})
    assert d.decision == "reject"
    assert "社区不作责任主体" in fired(d)


@pytest.mark.parametrize("tenant", ALL)
def test_community_may_assist_with_environment_work(pack, tenant, decide):
    task = {"title": "协助开展防灾减灾和环境整治宣传", "item_code": "QG-XZ-08", "category": "环境整治",
            "kind": "work", "role": "assist", "funding_provided": True, "work_conditions_provided": True,
            "via_platform": True}
    assert "社区不作责任主体" not in fired(decide(pack(tenant), task, {"level": "community"}))


# ---- 协助事项须有经费 -----------------------------------------------------
@pytest.mark.parametrize("tenant", ALL)
def test_assist_item_without_funding_is_conditional_on_funding(pack, tenant, decide):
    task = {"title": "协助做好高龄津贴申领", "item_code": "QG-XZ-05", "kind": "work", "role": "assist",
            "funding_provided": False, "work_conditions_provided": True, "via_platform": True, **CLEAR}
    d = decide(pack(tenant), task, {"level": "community", "staffing_gap": 0})
    assert d.decision == "conditional"
    assert codes(d) == {"funding"}


@pytest.mark.parametrize("tenant", ALL)
def test_one_rule_asks_for_what_is_missing_of_funding_and_work_conditions_in_a_fixed_order(pack, tenant, decide):
    """S002 四(四) “应当为其提供经费和必要工作条件” (湖南 S003 the same words): one rule per sentence,
    ``require funding, work_conditions``, waiting only for what the task has not provided."""
    base = {"title": "协助做好高龄津贴申领", "item_code": "QG-XZ-05", "kind": "work", "role": "assist",
            "via_platform": True, **CLEAR}
    target = {"level": "community", "staffing_gap": 0}
    both = decide(pack(tenant), {**base, "funding_provided": False, "work_conditions_provided": False}, target)
    assert [r["code"] for r in both.requirements] == ["funding", "work_conditions"]
    assert "协助事项须提供经费和工作条件" in fired(both)
    assert all(r["requirements"] == ["funding", "work_conditions"] for r in both.reasons
               if r["rule"].endswith("须提供经费和工作条件"))
    conditions = decide(pack(tenant), {**base, "funding_provided": True, "work_conditions_provided": False}, target)
    assert [r["code"] for r in conditions.requirements] == ["work_conditions"]


@pytest.mark.parametrize("tenant", ALL)
def test_assist_item_with_funding_and_conditions_is_admitted(pack, tenant, decide):
    task = {"title": "协助做好高龄津贴申领", "item_code": "QG-XZ-05", "kind": "work", "role": "assist",
            "funding_provided": True, "work_conditions_provided": True, "via_platform": True, **CLEAR}
    assert decide(pack(tenant), task, {"level": "community"}).decision == "admit"


# ---- 湖南:上级部门考核街道须一事一报 ---------------------------------------
@pytest.mark.parametrize("tenant", HUNAN)
def test_department_assessment_of_a_hunan_street_needs_approval(pack, tenant, decide):
    task = {"title": "市某局对街道的专项考核", "kind": "assessment", "source_department": "市某局",
            "category": "社会救助", "approval": None, **CLEAR}
    d = decide(pack(tenant), task, {"level": "street"}, OWN_ASSESSMENT)
    assert d.decision == "conditional"
    assert codes(d) == {"approval"}
    approved = decide(pack(tenant), {**task, "approval": "湘某办函〔2024〕12号"}, {"level": "street"}, OWN_ASSESSMENT)
    assert approved.decision == "admit"
    unified = {k: v for k, v in task.items() if k != "source_department"}  # 县市区党委和政府统筹安排的考核
    assert decide(pack(tenant), unified, {"level": "street"}).decision == "admit"


@pytest.mark.parametrize("tenant", ["national", "heilongjiang", "sichuan", "chengdu"])
def test_approval_rule_is_hunans_own(pack, tenant, decide):
    task = {"title": "某局对街道的专项考核", "kind": "assessment", **CLEAR}
    assert decide(pack(tenant), task, {"level": "street"}, OWN_ASSESSMENT).decision == "admit"


# ---- 一票否决、清单外事项 --------------------------------------------------
@pytest.mark.parametrize("tenant", ALL)
def test_one_vote_veto_on_community_work_is_rejected(pack, tenant, decide):
    """S002 四(四): 取消对社区工作的“一票否决”事项."""
    task = {"title": "目标责任(一票否决)", "item_code": "QG-ZZ-11", "kind": "work", "role": "responsible",
            "one_vote_veto": True, "via_platform": True}
    d = decide(pack(tenant), task, {"level": "community"})
    assert d.decision == "reject"
    assert "取消一票否决" in fired(d)


@pytest.mark.parametrize("tenant", ALL)
def test_one_vote_veto_on_a_street_needs_approval_not_a_ban(pack, tenant, decide):
    """S000 七(二) says 清理规范 of 一票否决 for 乡镇(街道): conditional on approval, not rejected."""
    task = {"title": "街道目标责任(一票否决)", "kind": "work", "role": "responsible", "category": "安全生产",
            "one_vote_veto": True, "statutory_duty": False}
    d = decide(pack(tenant), task, {"level": "street"})
    assert d.decision == "conditional" and codes(d) == {"approval"}
    assert "乡镇街道一票否决须清理规范" in fired(d) and "取消一票否决" not in fired(d)
    assert decide(pack(tenant), {**task, "approval": "某委发〔2024〕2号"}, {"level": "street"}).decision == "admit"


@pytest.mark.parametrize("tenant", ALL)
@pytest.mark.parametrize("item_code", [None, "NOT-ON-ANY-LIST"])
def test_task_on_no_list_is_rejected_for_a_community(pack, tenant, item_code, decide):
    task = {"title": "某部门工作任务", "kind": "work", "role": "assist", "funding_provided": True,
            "work_conditions_provided": True, "via_platform": True, "service_purchase": False}
    if item_code:  # none: the form's default, "" (not a 清单 item)
        task["item_code"] = item_code
    d = decide(pack(tenant), task, {"level": "community"})
    assert d.decision == "reject"
    assert "清单外事项不得转嫁社区" in fired(d)


# ---- 其他文件规定 ---------------------------------------------------------
def test_heilongjiang_grid_items_are_advice_not_a_ban(pack, decide):
    """S001 主要任务(三)3 asks to 明确网格管理服务事项: an item that is not one is flagged, not refused."""
    p = pack("heilongjiang")
    base = {"title": "网格任务", "kind": "work", "role": "assist", "funding_provided": True,
            "work_conditions_provided": True, **CLEAR}
    d = decide(p, {**base, "item_code": "HLJ-XZ-07"}, {"level": "grid"})
    assert d.decision == "admit" and "网格只承接网格管理服务事项" not in fired(d)
    d = decide(p, {**base, "item_code": "HLJ-XZ-01"}, {"level": "grid"})
    assert d.decision == "admit" and "网格只承接网格管理服务事项" in fired(d)
    assert {r["effect"] for r in d.reasons} == {"warn"}


def test_chengdu_one_grid_and_one_platform(pack, decide):
    p = pack("chengdu")
    task = {"title": "组织院落议事会", "item_code": "CD-ZZ-01", "kind": "work", "role": "responsible",
            "category": "社区治理", **CLEAR}
    d = decide(p, {**task, "via_platform": False}, {"level": "community"})
    assert d.decision == "conditional" and codes(d) == {"platform"}
    assert decide(p, {**task, "via_platform": True}, {"level": "community"}).decision == "admit"
    d = decide(p, {**task, "via_platform": True, "kind": "设立网格"}, {"level": "community"})
    assert d.decision == "reject" and "部门不得另设网格" in fired(d)


def test_hunan_staffing_gap_from_the_unit_data_reaches_the_rules(pack, unit_trees, decide):
    """The standard's exported staffing_gap, supplied as a target fact, drives a warning."""
    p = pack("changsha")
    community = next(u for u in unit_trees["changsha"].values() if u["level"] == "community"
                     and not p.evaluate_standard("社区工作者配备", u)["compliant"])
    gap = p.evaluate_standard("社区工作者配备", community)["gap"]
    target = {**{k: v for k, v in community.items() if k != "children"}, "staffing_gap": gap}
    task = {"title": "协助开展流动人口登记", "item_code": "HN-XZ-15", "kind": "work", "role": "assist",
            "funding_provided": True, "work_conditions_provided": True, **CLEAR}
    d = decide(p, task, target)
    assert d.decision == "admit" and "缺员社区承接协助事项" in fired(d)
