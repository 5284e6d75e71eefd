"""Tasks and downward assignment: per-target decisions, pending requirements, reach, caps under concurrency."""
from __future__ import annotations

import threading

SENDER = ("changsha", "admin")
TASKS = "/api/v1/tenants/changsha/tasks"


def create(api, task, as_=SENDER):
    r = api.post(TASKS, as_, json={"task": task})
    assert r.status_code == 201, r.json
    return r.json["id"]


def assign(api, task_id, as_=SENDER, **body):
    return api.post(f"{TASKS}/{task_id}/assignments", as_, json=body)


def test_task_on_the_form(api, units):
    r = api.post(TASKS, SENDER, json={"task": {"title": "入户", "kind": "survey", "source_unit": units.cs_city}})
    assert r.status_code == 422
    assert r.json["error"]["details"][0]["path"] == "/kind"
    task_id = create(api, {"title": "入户登记", "kind": "work", "source_unit": units.cs_city})
    got = api.get(f"{TASKS}/{task_id}", ("changsha", "auditor")).json
    assert got["task"]["title"] == "入户登记" and got["source_unit"] == units.cs_city and got["assignments"] == []


def test_department_to_streets_each_decided(api, units):
    task_id = create(api, {"title": "招商引资任务", "category": "招商引资", "source_unit": units.cs_city})
    r = assign(api, task_id, targets=[units.cs_street, units.cs_street2])
    assert r.status_code == 200, r.json
    results = r.json["results"]
    assert [x["target"] for x in results] == [units.cs_street, units.cs_street2]
    assert all(x["status"] == "rejected" and x["assignment"] is None for x in results)
    assert results[0]["reasons"][0]["rule"] == "街道取消招商引资"
    assert api.get(f"{TASKS}/{task_id}", SENDER).json["assignments"] == []


def test_street_to_all_its_communities_in_one_call(api, units):
    task_id = create(api, {"title": "居民会议", "item_code": "Z01", "kind": "work", "category": "社区治理",
                           "one_vote_veto": False, "source_unit": units.cs_city})
    r = assign(api, task_id, targets=[units.cs_street])
    assert r.json["results"][0]["status"] == "admitted"
    r = assign(api, task_id, ("changsha", "street"), children_of=units.cs_street)
    assert r.status_code == 200, r.json
    assert [x["target"] for x in r.json["results"]] == list(units.cs_communities)
    assert {x["status"] for x in r.json["results"]} == {"admitted"}
    assert all(x["assignment"]["source_unit"] == units.cs_street for x in r.json["results"])
    again = assign(api, task_id, ("changsha", "street"), targets=[units.cs_communities[0]])
    assert again.json["results"][0]["status"] == "exists"


def test_street_cannot_pass_down_a_task_it_does_not_hold(api, units):
    task_id = create(api, {"title": "居民会议", "item_code": "Z01", "source_unit": units.cs_city})
    r = assign(api, task_id, ("changsha", "street"), children_of=units.cs_street)
    assert r.status_code == 403 and r.json["error"]["code"] == "task_not_held"


def test_only_downward(api, units):
    task_id = create(api, {"title": "居民会议", "item_code": "Z01", "source_unit": units.cs_street})
    r = assign(api, task_id, targets=[units.cs_street2, units.cs_communities[0], "nope"])
    assert r.status_code == 422
    details = {d["path"]: d["message"] for d in r.json["error"]["details"]}
    assert "只能向下级下派" in details["/targets/0"]
    assert details["/targets/2"] == "找不到单位 nope"
    assert "/targets/1" not in details


def test_conditional_waits_then_patch_admits(api, units):
    task_id = create(api, {"title": "老年人优待证初审", "item_code": "X01", "role": "assist", "funding_provided": False,
                           "one_vote_veto": False, "source_unit": units.cs_city})
    r = assign(api, task_id, targets=[units.cs_communities[1]])
    [res] = r.json["results"]
    assert res["status"] == "pending" and res["requirements"][0]["code"] == "funding"
    assignment_id = res["assignment"]["id"]
    path = f"/api/v1/tenants/changsha/assignments/{assignment_id}"
    r = api.patch(path, SENDER, json={"evidence": {"work_conditions": {"description": "办公室一间"}}})
    assert r.status_code == 422 and r.json["error"]["code"] == "invalid_evidence"  # it waits for funding only
    funding = {"funding": {"amount": 5000, "source": "市民政局"}}
    r = api.patch(path, SENDER, json={"evidence": funding})
    assert r.status_code == 200 and r.json["status"] == "admitted" and r.json["decision"] == "admit"
    assert r.json["assignment"]["task"] == res["assignment"]["task"]  # the task as filed
    r = api.patch(path, SENDER, json={"evidence": funding})
    assert r.status_code == 409 and r.json["error"]["code"] == "assignment_not_pending"
    r = api.patch(path, SENDER, json={"task": {"target_unit": units.cs_communities[0]}})
    assert r.status_code == 422 and r.json["error"]["code"] == "task_immutable"
    log = api.get("/api/v1/tenants/changsha/decisions?kind=assignment&limit=2", ("changsha", "auditor")).json
    assert [d["outcome"] for d in log["decisions"]][:2] == ["admit", "conditional"]


def test_patch_decides_on_todays_history(api, units):
    """A pending assessment whose target reached its yearly cap meanwhile is rejected once funded."""
    target = units.cs_communities[2]
    task_id = create(api, {"title": "优待证考核", "item_code": "X01", "kind": "assessment", "funding_provided": False,
                           "one_vote_veto": False, "source_unit": units.cs_city})
    res = assign(api, task_id, targets=[target]).json["results"][0]
    assert res["status"] == "pending"
    for i in range(2):
        other = create(api, {"title": f"考核{i}", "item_code": "Z01", "kind": "assessment", "one_vote_veto": False,
                             "source_unit": units.cs_city})
        assert assign(api, other, targets=[target]).json["results"][0]["status"] == "admitted"
    path = f"/api/v1/tenants/changsha/assignments/{res['assignment']['id']}"
    r = api.patch(path, SENDER, json={"evidence": {"funding": {"amount": 800, "source": "区财政"}}})
    assert r.json["status"] == "rejected" and r.json["decision"] == "reject"
    assert [x["rule"] for x in r.json["reasons"] if x["effect"] == "reject"] == ["考核频次"]
    assert api.get(path, SENDER).json["status"] == "rejected"


def test_roles_that_may_not_assign(api, units):
    task_id = create(api, {"title": "居民会议", "item_code": "Z01", "source_unit": units.cs_city})
    for role in ("auditor", "designer"):
        r = assign(api, task_id, ("changsha", role), targets=[units.cs_street])
        assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"


def test_twenty_concurrent_assessments_against_a_cap_of_two(fresh_api, units):
    """20 assignments at once; history.assessments_this_year >= 2 rejects: exactly 2 are admitted."""
    api = fresh_api
    target = units.cs_communities[1]
    task_ids = [create(api, {"title": f"第{i}次考核", "kind": "assessment", "item_code": "Z01", "one_vote_veto": False,
                             "source_unit": units.cs_city}) for i in range(20)]
    statuses, errors = [], []
    barrier = threading.Barrier(20)

    def worker(task_id):
        client = api.app.test_client()
        barrier.wait()
        r = client.post(f"{TASKS}/{task_id}/assignments", headers=api.headers(*SENDER), json={"targets": [target]})
        if r.status_code != 200:
            errors.append((r.status_code, r.get_data(as_text=True)))
        else:
            statuses.append(r.json["results"][0]["status"])

    threads = [threading.Thread(target=worker, args=(t,)) for t in task_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(statuses) == ["admitted"] * 2 + ["rejected"] * 18
    check = api.post("/api/v1/tenants/changsha/admission/check", SENDER,
                     json={"task": {"title": "再考核", "kind": "assessment", "item_code": "Z01", "target_unit": target}})
    assert check.json["decision"] == "reject"
    assert check.json["reasons"][0]["rule"] == "考核频次"


def test_each_stored_assignment_names_the_log_entry_that_decided_it(api, units):
    """The log entries and the assignments they admit are written together (one statement on
    PostgreSQL): every stored assignment points at the entry of its own target, as its answer says."""
    task_id = create(api, {"title": "入户核查", "item_code": "Z01", "kind": "work", "category": "社区治理",
                           "one_vote_veto": False, "source_unit": units.cs_city})
    assert assign(api, task_id, targets=[units.cs_street]).json["results"][0]["status"] == "admitted"
    r = assign(api, task_id, ("changsha", "street"), children_of=units.cs_street)
    assert r.status_code == 200, r.json
    answered = {x["target"]: x for x in r.json["results"]}
    stored = {a["target_unit"]: a for a in api.get(f"{TASKS}/{task_id}", SENDER).json["assignments"]}
    assert set(answered) == set(units.cs_communities) <= set(stored)
    auditor = ("changsha", "auditor")
    for code in units.cs_communities:
        a, x = stored[code], answered[code]
        assert a["id"] == x["assignment"]["id"] and a["decision_id"] == x["decision_id"]
        moments = ("created_at", "updated_at")  # SQLite reads back naive UTC times: compared apart
        assert {k: v for k, v in a.items() if k not in moments} == \
            {k: v for k, v in x["assignment"].items() if k not in moments}  # the answer shows the row as stored
        assert all(a[k][:26] == x["assignment"][k][:26] for k in moments)
        entry = api.get(f"/api/v1/tenants/changsha/decisions/{a['decision_id']}", auditor).json
        assert entry["input"]["task"]["target_unit"] == code and entry["kind"] == "assignment"
    assert api.get("/api/v1/tenants/changsha/decisions/verify", auditor).json["ok"] is True
