"""A fictional province and city join entirely through the API, from the files under
tests/fixtures/onboarding/, in the order docs/onboarding.md gives: tenant → 清单 → draft →
tests → publish (the province); tenant → units → 清单 → departments → draft → tests → publish →
a check by ``target_unit`` → the first assignment (the city). No file on the server, no
`jiceng init`. Each tenant gets two admin tokens: publishing is maker-checker (one admin proposes,
a second approves; the old ``/publish`` answers 403 ``approval_required``)."""
from __future__ import annotations

import json
import time

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "onboarding"

TENANTS = "/api/v1/tenants"
CSV, XLSX = "text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def ok(r, status=200) -> dict:
    assert r.status_code == status, r.get_data(as_text=True)
    return r.json


def admin_token(api, holder: tuple[str, str], tenant: str, role: str = "admin") -> tuple[str, str]:
    """An admin token of ``tenant``, issued through the API by an admin above it; ``role`` is the
    key the test keeps it under (``admin2``: the second admin, who approves publications)."""
    token = ok(api.post(f"{TENANTS}/{tenant}/tokens", holder, json={"role": "admin", "label": f"onboarding {role}"}),
               201)
    api.tokens[(tenant, role)] = token["token"]
    return tenant, role


def publish(api, who, checker, tenant: str, number: int) -> None:
    """Test, then publish the only way there is: ``who`` proposes, the second admin ``checker`` approves."""
    tested = ok(api.post(f"{TENANTS}/{tenant}/packs/{number}/test", who, json={}))
    assert tested["passed"], tested
    refused = api.post(f"{TENANTS}/{tenant}/packs/{number}/publish", who, json={"effective_from": "2021-07-11"})
    assert (refused.status_code, refused.json["error"]["code"]) == (403, "approval_required")
    # before the nation's pack is in force (2021-07-11) there is nothing to extend: said as such
    early = api.post(f"{TENANTS}/{tenant}/packs/{number}/proposals", who, json={"effective_from": "2000-01-01"})
    assert (early.status_code, early.json["error"]["code"]) == (422, "parent_not_in_force"), early.json
    assert "2021-07-11" in early.json["error"]["message"]
    proposal = ok(api.post(f"{TENANTS}/{tenant}/packs/{number}/proposals", who,
                           json={"effective_from": "2021-07-11"}), 201)
    approved = ok(api.post(f"{TENANTS}/{tenant}/packs/proposals/{proposal['id']}/approve", checker, json={}))
    assert approved["status"] == "approved" and approved["publication_id"]


def test_a_fictional_province_and_city_onboard_through_the_api(shipped):
    started = time.perf_counter()
    api = shipped
    # 1. the nation's admin creates the province; it starts with a draft extending the nation
    province = json.loads(fixture("province.json"))
    created = ok(api.post(TENANTS, ("national", "admin"), json=province), 201)
    p = province["code"]
    assert created["parent"] == "national" and created["draft"] == 1
    yl = admin_token(api, ("national", "admin"), p)
    yl2 = admin_token(api, ("national", "admin"), p, "admin2")
    # 2. the province's 清单 (UTF-8 CSV with short headers): a dry run shows what it adds, then the draft
    dry = ok(api.post(f"{TENANTS}/{p}/lists/import", yl, data=fixture("province_lists.csv"),
                      content_type=CSV, query_string={"dry_run": "true"}))
    assert dry["version"] is None and ok(api.get(f"{TENANTS}/{p}/packs", yl))["versions"][-1]["number"] == 1
    added = {c["list"]: c["added"] for c in dry["lists"]}
    assert added["依法自治事项"] == ["YUNLING-ZZ-01", "YUNLING-ZZ-02"]
    assert added["依法协助政府工作事项"] == ["YUNLING-XZ-01", "YUNLING-XZ-02"]
    draft = ok(api.post(f"{TENANTS}/{p}/lists/import", yl, data=fixture("province_lists.csv"), content_type=CSV))
    assert draft["lists"] == dry["lists"] and draft["version"]["number"] == 2
    # 3. its own tests pass; published, the province's lists are in force
    publish(api, yl, yl2, p, 2)
    lists = ok(api.get(f"{TENANTS}/{p}/lists", yl))["lists"]
    fire = next(i for i in lists["依法协助政府工作事项"] if i["code"] == "YUNLING-XZ-01")
    assert fire["pack"] == p and fire["requires"] == ["funding", "work_conditions"]
    assert fire["attrs"] == {"部门": "林业和草原", "备注": "每年 3—5 月为重点"}
    files = ok(api.get(f"{TENANTS}/{p}/packs/2", yl))["files"]
    assert ('"YUNLING-XZ-01" "协助开展护林防火巡查宣传" levels 村 cite S002 "三(二)" requires funding, work_conditions '
            '{ "部门": "林业和草原", "备注": "每年 3—5 月为重点" }') in files["lists.jc"]

    # 4. the province's admin creates the city, below its own tenant only
    city = json.loads(fixture("city.json"))
    c = city["code"]
    assert ok(api.post(TENANTS, yl, json=city), 201)["draft"] == 1
    qs = admin_token(api, yl, c)
    qs2 = admin_token(api, yl, c, "admin2")
    # 5. its org units (a GBK CSV saved by Excel), then its 清单 (XLSX with codes), then its departments
    units = ok(api.post(f"{TENANTS}/{c}/units/import", qs, data=fixture("city_units.csv"), content_type=CSV))
    assert units["created"] == 7
    listed = ok(api.post(f"{TENANTS}/{c}/lists/import", qs, data=fixture("city_lists.xlsx"), content_type=XLSX))
    assert {x["list"]: x["added"] for x in listed["lists"]}["依法协助政府工作事项"] == ["QS-XZ-01", "QS-XZ-02"]
    number = listed["version"]["number"]
    # 6. the city's tests go into the draft the import made, and it is published
    files = ok(api.get(f"{TENANTS}/{c}/packs/{number}", qs))["files"]
    files["tests/city.jc"] = fixture("city_tests.jc").decode("utf-8")
    number = ok(api.post(f"{TENANTS}/{c}/packs", qs, json={"files": files}), 201)["number"]
    publish(api, qs, qs2, c, number)
    departments = ok(api.post(f"{TENANTS}/{c}/departments/import", qs, data=fixture("city_departments.csv"),
                              content_type=CSV))
    assert departments["created"] == 3 and departments["items_checked_against"]["pack"] == c

    # 7. the first check by target_unit: the city's own 协助 item is admitted once funded, and
    # the nation's rule asks for the funding; the same item sent to Changsha is not on its lists
    body = json.loads(fixture("check.json"))
    answer = ok(api.post(f"{TENANTS}/{c}/admission/check", qs, json=body))
    assert answer["decision"] == "conditional" and answer["pack"]["tenant"] == c
    assert "协助事项须提供经费和工作条件" in [r["rule"] for r in answer["reasons"]]
    assert "funding" in [r["code"] for r in answer["requirements"]]
    assert answer["target"]["name"] == "东风社区"
    funded = dict(body, task=dict(body["task"], funding_provided=True))
    assert "协助事项须提供经费和工作条件" not in [r["rule"] for r in ok(api.post(f"{TENANTS}/{c}/admission/check", qs,
                                                                       json=funded))["reasons"]]
    elsewhere = dict(body, task={k: v for k, v in body["task"].items() if k != "target_unit"},
                     target={"level": "community"})
    hunan = ok(api.post(f"{TENANTS}/changsha/admission/check", ("changsha", "admin"), json=elsewhere))
    assert hunan["decision"] == "reject" and "清单外事项不得转嫁社区" in [r["rule"] for r in hunan["reasons"]]

    # 8. the first enforced assignment: a task sent to the community waits for funding, and is
    # admitted once the funding is shown
    plan = json.loads(fixture("task.json"))
    task = ok(api.post(f"{TENANTS}/{c}/tasks", qs, json={"task": plan["task"]}), 201)
    [result] = ok(api.post(f"{TENANTS}/{c}/tasks/{task['id']}/assignments", qs,
                           json={"targets": plan["targets"]}))["results"]
    assert result["status"] == "pending", result
    assert "funding" in [r["code"] for r in result["assignment"]["requirements"]]
    done = ok(api.patch(f"{TENANTS}/{c}/assignments/{result['assignment']['id']}", qs,
                        json={"evidence": plan["evidence"]}))
    assert done["status"] == "admitted", done
    print(f"\nonboarding walkthrough: {time.perf_counter() - started:.2f} s")
