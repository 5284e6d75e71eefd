"""Dates: assignments and logged checks are decided at the server's date; ``on`` is for what-if checks.

Before: ``"on": "2099-06-01"`` on an assignment counted the target's history in 2099's
window (none) and admitted a third assessment although the yearly cap of 2 was reached.
"""
from __future__ import annotations


from jiceng.dsl import clock

SENDER = ("changsha", "admin")
AUDITOR = ("changsha", "auditor")
TASKS = "/api/v1/tenants/changsha/tasks"
CHECK = "/api/v1/tenants/changsha/admission/check"


def create(api, task) -> int:
    r = api.post(TASKS, SENDER, json={"task": task})
    assert r.status_code == 201, r.json
    return r.json["id"]


def latest_decision(api) -> dict:
    return api.get("/api/v1/tenants/changsha/decisions?limit=1", AUDITOR).json["decisions"][0]


def assessment(api, units, i) -> int:
    return create(api, {"title": f"第{i}次考核", "kind": "assessment", "item_code": "Z01", "one_vote_veto": False,
                        "source_unit": units.cs_city})


def test_an_assignment_with_on_is_refused_even_where_the_cap_is_reached(fresh_api, units):
    api, target = fresh_api, units.cs_communities[1]
    for i in range(2):
        r = api.post(f"{TASKS}/{assessment(api, units, i)}/assignments", SENDER, json={"targets": [target]})
        assert r.json["results"][0]["status"] == "admitted"
    third = assessment(api, units, 3)
    logged = latest_decision(api)["id"]
    r = api.post(f"{TASKS}/{third}/assignments", SENDER, json={"targets": [target], "on": "2099-06-01"})
    assert r.status_code == 422, r.json
    assert r.json["error"]["code"] == "on_not_allowed" and r.json["error"]["details"][0]["path"] == "/on"
    assert "服务器" in r.json["error"]["message"]
    assert api.get(f"{TASKS}/{third}", SENDER).json["assignments"] == []
    assert latest_decision(api)["id"] == logged  # nothing decided, nothing logged
    r = api.post(f"{TASKS}/{third}/assignments", SENDER, json={"targets": [target]})
    assert r.json["results"][0]["status"] == "rejected" and r.json["decided_on"] == clock.today().isoformat()


def test_a_check_with_on_is_a_what_if_and_says_so(api, units):
    body = {"task": {"title": "招商", "category": "招商引资", "target_unit": units.cs_street}, "on": "2024-07-01"}
    r = api.post(CHECK, SENDER, json=body)
    assert r.status_code == 200, r.json
    assert r.json["what_if"] is True and r.json["decided_on"] == "2024-07-01"
    assert {"decision", "reasons", "requirements", "pack", "decision_id", "target"} <= set(r.json)
    entry = latest_decision(api)
    assert entry["id"] == r.json["decision_id"] and entry["input"]["what_if"] is True
    assert entry["decided_on"] == "2024-07-01"


def test_a_check_with_an_explicit_target_is_a_what_if(api):
    r = api.post(CHECK, SENDER, json={"task": {"title": "招商", "category": "招商引资"}, "target": {"level": "street"}})
    assert r.json["what_if"] is True and r.json["decided_on"] == clock.today().isoformat()
    assert latest_decision(api)["input"]["what_if"] is True


def test_a_logged_check_is_decided_today_and_not_a_what_if(api, units):
    r = api.post(CHECK, SENDER, json={"task": {"title": "招商", "category": "招商引资", "target_unit": units.cs_street}})
    assert r.json["what_if"] is False and r.json["decided_on"] == clock.today().isoformat()
    assert latest_decision(api)["input"]["what_if"] is False


def test_checks_are_never_history(fresh_api, units):
    """History counts assignments only: checks — what-if or not — leave the cap untouched."""
    api, target = fresh_api, units.cs_communities[0]
    task = {"title": "考核", "kind": "assessment", "item_code": "Z01", "one_vote_veto": False, "target_unit": target}
    for body in ({"task": task}, {"task": task, "on": clock.today().isoformat()}) * 2:
        assert api.post(CHECK, SENDER, json=body).json["decision"] == "admit"
    r = api.post(f"{TASKS}/{assessment(api, units, 1)}/assignments", SENDER, json={"targets": [target]})
    assert r.json["results"][0]["status"] == "admitted"


def test_a_patch_with_on_is_refused(api, units):
    task_id = create(api, {"title": "优待证初审", "item_code": "X01", "source_unit": units.cs_city})
    res = api.post(f"{TASKS}/{task_id}/assignments", SENDER, json={"targets": [units.cs_communities[2]]}).json
    path = f"/api/v1/tenants/changsha/assignments/{res['results'][0]['assignment']['id']}"
    r = api.patch(path, SENDER, json={"evidence": {"funding": {"amount": 1000, "source": "区财政"}},
                                    "on": "2099-01-01"})
    assert r.status_code == 422 and r.json["error"]["code"] == "on_not_allowed"
    assert api.get(path, SENDER).json["status"] == "pending"
