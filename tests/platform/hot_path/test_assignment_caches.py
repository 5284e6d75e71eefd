"""What assignments take from the runtime's caches: tasks are kept once read (they never change),
yet a cached task answers only to its own tenant and an id asked for before it existed is found
once it does; a cached unit that has since been removed is an invalid target, not a 500."""
from __future__ import annotations

SENDER = ("changsha", "admin")


def test_task_cache_keeps_tenants_apart_and_remembers_no_absence(api, units):
    tasks = "/api/v1/tenants/changsha/tasks"
    first = api.post(tasks, SENDER, json={"task": {"title": "居民会议", "item_code": "Z01",
                                                 "source_unit": units.cs_city}}).json["id"]
    assert api.get(f"{tasks}/{first}", SENDER).status_code == 200  # now cached
    assert api.get(f"/api/v1/tenants/hunan/tasks/{first}", ("hunan", "admin")).status_code == 404
    r = api.post(f"/api/v1/tenants/hunan/tasks/{first}/assignments", ("hunan", "admin"),
                 json={"targets": [units.cs_street]})
    assert r.status_code == 404 and r.json["error"]["code"] == "task_not_found"

    upcoming = first + 1
    assert api.get(f"{tasks}/{upcoming}", SENDER).status_code == 404
    created = api.post(tasks, SENDER, json={"task": {"title": "入户", "item_code": "Z01", "kind": "work",
                                                   "category": "社区治理", "source_unit": units.cs_city}}).json["id"]
    assert created == upcoming
    assert api.get(f"{tasks}/{upcoming}", SENDER).json["task"]["title"] == "入户"
    r = api.post(f"{tasks}/{upcoming}/assignments", SENDER, json={"targets": [units.cs_street]})
    assert r.status_code == 200 and r.json["results"][0]["status"] == "admitted"


def test_a_unit_removed_while_cached_is_an_invalid_target(fresh_api, fresh_database, units):
    from sqlalchemy import delete

    from jiceng.platform.db.models import OrgUnit
    grid = units.cs_grids[1]
    tasks = "/api/v1/tenants/changsha/tasks"
    task = fresh_api.post(tasks, SENDER, json={"task": {"title": "入户", "item_code": "Z01",
                                                      "source_unit": units.cs_city}}).json["id"]
    check = fresh_api.post("/api/v1/tenants/changsha/admission/check", SENDER,
                           json={"task": {"title": "入户", "item_code": "Z01", "target_unit": grid}})
    assert check.status_code == 200  # the unit is in the runtime's cache now
    with fresh_database.write() as s:
        s.execute(delete(OrgUnit).where(OrgUnit.code == grid))
    r = fresh_api.post(f"{tasks}/{task}/assignments", SENDER, json={"targets": [grid]})
    assert r.status_code == 422 and r.json["error"]["code"] == "targets_invalid"
