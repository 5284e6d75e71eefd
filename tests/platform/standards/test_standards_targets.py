"""Standards feed assignment rules: every exported measure of every shipped standard reaches the
decision as ``target.*`` through a real assignment, and Hunan's 缺员社区承接任务须增配人员 makes a
task with a workload conditional on staffing at an understaffed community until funding comes."""
from __future__ import annotations

import pytest

TENANTS = ["changsha", "heilongjiang", "chengdu"]
#: a community's own work (a self-governance item), stated in full: no 一票否决, no statutory or own
#: duty of a department, no funding — a fact left out would be unknown and hold the task back
OWN_WORK = {"item_code": "HN-ZZ-07", "role": "responsible", "category": "社区治理", "one_vote_veto": False,
            "statutory_duty": False, "department_duty": False, "service_purchase": False,
            "funding_provided": False}
#: work entrusted to the community (an assist item) with its working conditions provided: what is
#: left to require is the assist item's funding and, where the community is short-staffed, staff
ENTRUSTED = {**OWN_WORK, "item_code": "HN-XZ-15", "role": "assist", "work_conditions_provided": True}


def _root(api, tenant: str) -> str:
    tree = api.get(f"/api/v1/tenants/{tenant}/units", (tenant, "auditor")).json["units"]
    return tree[0]["code"]


def _task(api, tenant: str, **fields) -> int:
    body = {"task": {"title": "核对辖区基础数据", "kind": "work", "role": "assist",
                     "source_unit": _root(api, tenant), **fields}}
    r = api.post(f"/api/v1/tenants/{tenant}/tasks", (tenant, "admin"), json=body)
    assert r.status_code == 201, r.json
    return r.json["id"]


@pytest.mark.parametrize("tenant", TENANTS)
def test_every_exported_measure_reaches_the_decision(repo_api, tenant):
    who = (tenant, "admin")
    expected: dict[str, dict] = {}  # unit code -> {fact: value}
    for s in repo_api.get(f"/api/v1/tenants/{tenant}/standards", who).json["standards"]:
        if not s["exports"]:
            continue
        answer = repo_api.get(f"/api/v1/tenants/{tenant}/standards/{s['name']}", who,
                              query_string={"limit": 10000}).json
        exports = answer["standard"]["exports"]
        judged = [r for r in answer["results"] if r["status"] in ("compliant", "failing")]
        for row in (judged[0], next((r for r in judged if r["status"] == "failing"), judged[-1])):
            facts = expected.setdefault(row["code"], {})
            for fact, measure in exports.items():
                facts[fact] = row["status"] == "compliant" if measure == "compliant" else row["measures"][measure]
    assert expected
    task = _task(repo_api, tenant)
    r = repo_api.post(f"/api/v1/tenants/{tenant}/tasks/{task}/assignments", (tenant, "township"),
                      json={"targets": sorted(expected)})
    assert r.status_code == 200, r.json
    seen_facts = set()
    for result in r.json["results"]:
        logged = repo_api.get(f"/api/v1/tenants/{tenant}/decisions/{result['decision_id']}", who).json
        for fact, value in expected[result["target"]].items():
            assert logged["target"].get(fact) == value, (result["target"], fact)
            seen_facts.add(fact)
    shipped = {f for s in repo_api.get(f"/api/v1/tenants/{tenant}/standards", who).json["standards"]
               for f in s["exports"]}
    assert seen_facts == shipped


def _codes(result) -> list[str]:
    return sorted(q["code"] for q in result["requirements"])


def test_understaffed_community_takes_entrusted_work_only_with_staffing_or_funding(repo_api, demo):
    """S000 七(二) 为权责事项以外委托工作提供相应支持: a short-staffed community takes entrusted work with
    a workload once staff are added (or funding provided); a staffed one needs only the funding."""
    sender = ("changsha", "township")
    task = _task(repo_api, "changsha", **ENTRUSTED, workload=40)
    r = repo_api.post(f"/api/v1/tenants/changsha/tasks/{task}/assignments", sender,
                      json={"targets": [demo["understaffed"], demo["staffed"]]})
    understaffed, staffed = r.json["results"]
    assert understaffed["status"] == "pending" and _codes(understaffed) == ["funding", "staffing"]
    [staffing] = [x for x in understaffed["reasons"] if x["rule"] == "缺员社区承接任务须增配人员"]
    assert "加强社区工作者职业体系建设" in staffing["citation"]
    assert staffed["status"] == "pending" and _codes(staffed) == ["funding"]
    patched = repo_api.patch(f"/api/v1/tenants/changsha/assignments/{understaffed['assignment']['id']}", sender,
                             json={"evidence": {"staffing": {"count": 6}}})  # 兴隆社区缺 6 人
    assert patched.status_code == 200 and patched.json["status"] == "pending", patched.json
    assert _codes(patched.json) == ["funding"]


def test_a_short_staffed_community_does_its_own_work_without_extra_staff(repo_api, demo):
    """S003 gives only the staffing standard: a community's own 自治 work is not held back by it."""
    task = _task(repo_api, "changsha", **OWN_WORK, workload=40)
    r = repo_api.post(f"/api/v1/tenants/changsha/tasks/{task}/assignments", ("changsha", "township"),
                      json={"targets": [demo["understaffed"]]})
    assert r.json["results"][0]["status"] == "admitted", r.json


def test_a_task_without_workload_is_not_held_back(repo_api, demo):
    task = _task(repo_api, "changsha", **ENTRUSTED, workload=0)
    r = repo_api.post(f"/api/v1/tenants/changsha/tasks/{task}/assignments", ("changsha", "township"),
                      json={"targets": [demo["understaffed"]]})
    assert _codes(r.json["results"][0]) == ["funding"]


def test_a_task_that_states_no_workload_waits_for_it(repo_api, demo):
    """Unknown is not zero: the rule cannot tell whether the task has a workload, so it asks."""
    task = _task(repo_api, "changsha", **ENTRUSTED)
    r = repo_api.post(f"/api/v1/tenants/changsha/tasks/{task}/assignments", ("changsha", "township"),
                      json={"targets": [demo["understaffed"]]})
    [result] = r.json["results"]
    assert result["status"] == "pending"
    assert {"code": "information", "message": "须补充:task.workload"} in result["requirements"]
    assert "staffing" not in _codes(result)
