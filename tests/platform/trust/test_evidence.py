"""PATCH .../assignments/<id> supplies the evidence a pending assignment waits for, nothing else.

The task is immutable once filed (any task field: 422 ``task_immutable``); the body names
the requirement codes the assignment waits for, each with its evidence, validated with
JSON pointers. The re-decision reads the task as filed plus the facts the evidence
establishes (funding evidence ⇒ ``task.funding_provided``), at the server's date.
Before, a PATCH merged any task fields into the task — ``{"task": {"funding_provided":
true}}`` with no evidence at all admitted.
"""
from __future__ import annotations


from jiceng.dsl import clock

SENDER = ("changsha", "admin")
AUDITOR = ("changsha", "auditor")
TASKS = "/api/v1/tenants/changsha/tasks"
FUNDING = {"funding": {"amount": 20000, "source": "区财政专项"}}
#: an assist item filed without funding and without 一票否决: it waits for funding alone (a fact
#: left out is unknown, and would make it wait for `information` instead)
UNFUNDED = {"funding_provided": False, "one_vote_veto": False}
#: under the shipped packs: no 一票否决, no statutory duty, not the department's own duty
SHIPPED_CLEAR = {"one_vote_veto": False, "statutory_duty": False, "department_duty": False}


def pending(api, units, task: dict, target: str) -> str:
    """The path of a new pending assignment of ``task`` to ``target``."""
    r = api.post(TASKS, SENDER, json={"task": {**task, "source_unit": units.cs_city}})
    assert r.status_code == 201, r.json
    [res] = api.post(f"{TASKS}/{r.json['id']}/assignments", SENDER, json={"targets": [target]}).json["results"]
    assert res["status"] == "pending", res
    return f"/api/v1/tenants/changsha/assignments/{res['assignment']['id']}"


def problems(r, code="invalid_evidence") -> dict:
    assert r.status_code == 422, r.json
    assert r.json["error"]["code"] == code, r.json
    return {d["path"]: d["message"] for d in r.json["error"]["details"]}


def test_funding_evidence_admits_and_the_task_stays_as_filed(api, units):
    path = pending(api, units, {"title": "老年人优待证初审", "item_code": "X01", **UNFUNDED}, units.cs_communities[0])
    r = api.patch(path, SENDER, json={"evidence": FUNDING})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "admitted" and r.json["decision"] == "admit" and r.json["requirements"] == []
    assert r.json["evidence"] == FUNDING
    assignment = r.json["assignment"]
    assert assignment["task"]["funding_provided"] is False  # the task as filed
    assert assignment["decided_on"] == clock.today().isoformat()
    entry = api.get(f"/api/v1/tenants/changsha/decisions/{r.json['decision_id']}", AUDITOR).json
    assert entry["input"]["evidence"] == FUNDING and entry["input"]["task"]["funding_provided"] is True
    assert entry["decided_on"] == clock.today().isoformat()
    replay = api.get(f"/api/v1/tenants/changsha/decisions/{r.json['decision_id']}/replay", AUDITOR).json
    assert replay["same"] is True


def test_approval_evidence_is_the_approval_number(api, units):
    path = pending(api, units, {"title": "街道考核", "kind": "assessment", "item_code": "Z01", "category": "社区治理"},
                   units.cs_street)
    assert api.get(path, SENDER).json["requirements"][0]["code"] == "approval"
    r = api.patch(path, SENDER, json={"evidence": {"approval": {"document_no": "长组函〔2024〕12号"}}})
    assert r.status_code == 200 and r.json["status"] == "admitted", r.json
    entry = api.get(f"/api/v1/tenants/changsha/decisions/{r.json['decision_id']}", AUDITOR).json
    assert entry["input"]["task"]["approval"] == "长组函〔2024〕12号"


def test_any_task_field_is_immutable(api, units):
    path = pending(api, units, {"title": "优待证初审", "item_code": "X01", **UNFUNDED}, units.cs_communities[1])
    for task in ({"funding_provided": True}, {"title": "改个名"}, {"role": "assist", "category": "民政"},
                 {"target_unit": units.cs_communities[0]}):
        found = problems(api.patch(path, SENDER, json={"task": task}), "task_immutable")
        assert set(found) == {f"/task/{f}" for f in task}
    found = problems(api.patch(path, SENDER, json={"evidence": FUNDING, "task": {"title": "x"}}), "task_immutable")
    assert set(found) == {"/task/title"}
    assert api.get(path, SENDER).json["status"] == "pending"


def test_evidence_is_validated_with_pointers(api, units):
    path = pending(api, units, {"title": "优待证初审", "item_code": "X01", **UNFUNDED}, units.cs_communities[2])
    found = problems(api.patch(path, SENDER, json={"evidence": {
        "nonsense": {"x": 1},                             # not a requirement code at all
        "approval": {"document_no": "湘〔2024〕1号"},      # a code this assignment does not wait for
    }}))
    assert set(found) == {"/evidence/nonsense", "/evidence/approval"}
    assert "未知" in found["/evidence/nonsense"] and "不等待" in found["/evidence/approval"]
    found = problems(api.patch(path, SENDER, json={"evidence": {"funding": {"amount": 0, "sorce": "区财政"}}}))
    assert set(found) == {"/evidence/funding/amount", "/evidence/funding/source", "/evidence/funding/sorce"}
    found = problems(api.patch(path, SENDER, json={"evidence": {"funding": "有经费"}}))
    assert set(found) == {"/evidence/funding"}
    found = problems(api.patch(path, SENDER, json={"evidence": {}}))
    assert set(found) == {"/evidence"}
    assert api.get(path, SENDER).json["status"] == "pending"
    r = api.patch(path, SENDER, json={"evidence": {"funding": {"amount": 1.5, "source": "区财政"}}})
    assert r.json["status"] == "admitted"
    again = api.patch(path, SENDER, json={"evidence": FUNDING})
    assert again.status_code == 409 and again.json["error"]["code"] == "assignment_not_pending"


def _shipped_pending(repo_api, task: dict, target: str) -> dict:
    sender = ("changsha", "admin")
    created = repo_api.post("/api/v1/tenants/changsha/tasks", sender,
                            json={"task": {**task, "source_unit": "430100000000"}}).json["id"]
    [res] = repo_api.post(f"/api/v1/tenants/changsha/tasks/{created}/assignments", sender,
                          json={"targets": [target]}).json["results"]
    return res


def test_evidence_supplied_earlier_still_counts(repo_api):
    """Shipped packs: an assist item waits for funding and work conditions; two PATCHes meet them,
    and the second decision reads both pieces of evidence."""
    sender = ("changsha", "admin")
    res = _shipped_pending(repo_api, {"title": "协助开展流动人口登记", "item_code": "HN-XZ-15", "kind": "work",
                                      "role": "assist", **SHIPPED_CLEAR, "funding_provided": False,
                                      "work_conditions_provided": False}, "430102001003")  # 梧桐社区
    # one rule per clause (require funding, work_conditions): its codes in the order written
    assert [q["code"] for q in res["requirements"]] == ["funding", "work_conditions"]
    path = f"/api/v1/tenants/changsha/assignments/{res['assignment']['id']}"
    first = repo_api.patch(path, sender, json={"evidence": FUNDING})
    assert first.json["status"] == "pending" and [q["code"] for q in first.json["requirements"]] == ["work_conditions"]
    second = repo_api.patch(path, sender, json={"evidence": {"work_conditions": {"description": "社区提供办公室一间"}}})
    assert second.json["status"] == "admitted", second.json
    assert second.json["evidence"] == {**FUNDING, "work_conditions": {"description": "社区提供办公室一间"}}


def test_staffing_evidence_covers_the_gap(repo_api):
    """Shipped packs: a short-staffed community takes entrusted work with a workload once staff are added."""
    sender = ("changsha", "admin")
    res = _shipped_pending(repo_api, {"title": "协助开展流动人口登记", "item_code": "HN-XZ-15", "kind": "work",
                                      "role": "assist", "workload": 40, **SHIPPED_CLEAR,
                                      "service_purchase": False, "funding_provided": False,
                                      "work_conditions_provided": True},
                           "430102001001")  # 兴隆社区: 缺 6 人
    assert [q["code"] for q in res["requirements"]] == ["funding", "staffing"]  # the rules' order: national first
    path = f"/api/v1/tenants/changsha/assignments/{res['assignment']['id']}"
    short = repo_api.patch(path, sender, json={"evidence": {"staffing": {"count": 2}}})
    assert short.status_code == 200 and [q["code"] for q in short.json["requirements"]] == ["funding", "staffing"]
    enough = repo_api.patch(path, sender, json={"evidence": {"staffing": {"count": 6}}})
    assert [q["code"] for q in enough.json["requirements"]] == ["funding"], enough.json
