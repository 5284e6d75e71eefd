"""Tenancy: every tenant-scoped endpoint answers 404 to a token out of reach, with no foreign data;
tokens reach their tenant and its descendants; missing or bad tokens are 401."""
from __future__ import annotations

import re
import time

import pytest

from jiceng.platform.auth.tokens import token_id

OWNER = "changsha"
FOREIGN = [("heilongjiang", "admin"), ("zhuzhou", "admin"), ("changsha", "admin")]  # other province, sibling, child
TENANT_ROUTES = "/api/v1/tenants/<tenant>"


@pytest.fixture(scope="module")
def resources(api, units):
    """Real ids of changsha's resources, so that an owner's request would succeed."""
    sender = ("changsha", "admin")
    task = api.post("/api/v1/tenants/changsha/tasks", sender,
                    json={"task": {"title": "优待证", "item_code": "X01", "source_unit": units.cs_city}}).json
    res = api.post(f"/api/v1/tenants/changsha/tasks/{task['id']}/assignments", sender,
                   json={"targets": [units.cs_communities[0]]}).json["results"][0]
    registry = f"code,name,unit,kind\nwyl-dgw,街道党工委办事处,{units.cs_street},government\n"
    assert api.post("/api/v1/tenants/changsha/departments/import", ("changsha", "admin"),
                    data=registry.encode(), content_type="text/csv").status_code == 200
    return {"tenant": OWNER, "task_id": task["id"], "assignment_id": res["assignment"]["id"],
            "decision_id": res["decision_id"], "number": 1, "code": units.cs_street, "name": "task",
            "token_id": _token_id(api, ("changsha", "auditor")), "job_id": _impact_job(api), "proposal_id": 1}


def _impact_job(api) -> int:
    """A finished impact job of version 1 (its changes can be read)."""
    job = api.post("/api/v1/tenants/changsha/packs/1/impact", ("changsha", "admin"), json={}).json
    for _ in range(600):
        if api.get(f"/api/v1/tenants/changsha/packs/1/impact/{job['id']}", ("changsha", "admin")).json["status"] == "done":
            return job["id"]
        time.sleep(0.05)
    raise AssertionError(job)


def _token_id(api, holder) -> int:
    with api.app.extensions["jiceng"].db.read() as session:
        return token_id(session, api.tokens[holder])


def _routes(app, resources):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(TENANT_ROUTES):
            continue
        path = rule.rule
        for conv, name in re.findall(r"<(?:(\w+):)?(\w+)>", rule.rule):
            value = resources[name]
            if name == "name" and "/standards/" in rule.rule:
                value = "社区工作者配备"
            if name == "code" and "/departments/" in rule.rule:
                value = "wyl-dgw"
            path = path.replace(f"<{conv + ':' if conv else ''}{name}>", str(value))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, path, rule.rule


def test_every_tenant_endpoint_is_404_out_of_reach(api, resources):
    routes = list(_routes(api.app, resources))
    assert len(routes) >= 22
    for holder in FOREIGN:
        for method, path, rule in routes:
            if holder[0] == "changsha":  # a city token asking for its province
                path = path.replace("/tenants/changsha", "/tenants/hunan", 1)
            r = api.call(method, path, holder, json={})
            text = r.get_data(as_text=True)
            assert r.status_code == 404, (holder, method, rule, r.status_code, text)
            assert r.json["error"]["code"] == "tenant_not_found", (holder, method, rule)
            for leak in ("文艺路", "识字岭", "长沙市", "湖南省", "digest", "hash", "X01"):
                assert leak not in text, (holder, method, rule, leak)


def test_owner_reads_every_get_endpoint(api, resources):
    for method, path, rule in _routes(api.app, resources):
        if method == "GET":
            r = api.get(path, ("changsha", "admin"))
            assert r.status_code == 200, (rule, r.get_data(as_text=True)[:300])


def test_a_province_token_reaches_its_cities(api, units):
    r = api.get(f"/api/v1/tenants/changsha/units/{units.cs_street}", ("hunan", "auditor"))
    assert r.status_code == 200 and r.json["name"] == "文艺路街道"
    assert [c["code"] for c in r.json["children"]] == list(units.cs_communities)
    assert api.get("/api/v1/tenants/hunan", ("hunan", "auditor")).json["children"] == ["changsha", "zhuzhou"]


def test_units_out_of_reach_are_404_even_through_a_reachable_tenant(api, units):
    r = api.get(f"/api/v1/tenants/zhuzhou/units/{units.cs_street}", ("hunan", "auditor"))
    assert r.status_code == 404 and r.json["error"]["code"] == "unit_not_found"


def test_missing_and_bad_tokens(api):
    r = api.get("/api/v1/tenants/changsha/lists")
    assert r.status_code == 401 and r.json["error"]["code"] == "unauthorized"
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    r = api.get("/api/v1/tenants/changsha/lists", headers={"Authorization": "Bearer jc_forged"})
    assert r.status_code == 401
    r = api.get("/api/v1/tenants/changsha/lists", headers={"Authorization": "Basic abc"})
    assert r.status_code == 401


def test_unit_tree(api, units):
    tree = api.get("/api/v1/tenants/changsha/units", ("changsha", "township")).json["units"]
    [city] = tree
    assert city["code"] == units.cs_city
    street = city["children"][0]["children"][0]
    assert street["code"] == units.cs_street and len(street["children"]) == 3
    assert [g["code"] for g in street["children"][0]["children"]] == list(units.cs_grids)
