"""A ``reject`` waits for nothing: it lists its reasons, and no requirements — in the check's
answer, in the decision log and in the assignment results.

A task for a community that carries 一票否决 (rejected) and is an assist item without funding
(``require funding``) fires both rules; before, the rejection still listed ``funding``, as if
providing funds could change it.

The requirements come from ``Decision.requirements`` (dsl/pack.py), which every path — the
check, assignments, replay — shares: the fix belongs there, not in one service path (a
service-only fix would make every replay of such a rejection differ from its log entry).
"""
from __future__ import annotations

SENDER = ("changsha", "admin")
TASK = {"title": "创卫入户初审", "item_code": "X01", "one_vote_veto": True, "funding_provided": False}


def test_a_rejected_check_lists_reasons_but_no_requirements(api, units):
    r = api.post("/api/v1/tenants/changsha/admission/check", SENDER,
                 json={"task": {**TASK, "target_unit": units.cs_communities[0]}})
    assert r.json["decision"] == "reject"
    assert {x["rule"] for x in r.json["reasons"]} == {"一票否决", "协助须经费"}
    assert r.json["requirements"] == []
    entry = api.get(f"/api/v1/tenants/changsha/decisions/{r.json['decision_id']}", ("changsha", "auditor")).json
    assert entry["outcome"] == "reject" and entry["requirements"] == []
    replay = api.get(f"/api/v1/tenants/changsha/decisions/{r.json['decision_id']}/replay", ("changsha", "auditor"))
    assert replay.json["same"] is True


def test_a_rejected_assignment_lists_no_requirements(api, units):
    task_id = api.post("/api/v1/tenants/changsha/tasks", SENDER,
                       json={"task": {**TASK, "source_unit": units.cs_city}}).json["id"]
    r = api.post(f"/api/v1/tenants/changsha/tasks/{task_id}/assignments", SENDER,
                 json={"targets": [units.cs_communities[0]]})
    [res] = r.json["results"]
    assert res["status"] == "rejected" and res["assignment"] is None
    assert len(res["reasons"]) == 2 and res["requirements"] == []
