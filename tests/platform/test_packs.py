"""Pack lifecycle over the API: drafts, diagnostics, publication through proposals (the direct route refuses),
stale guard, effective dates, rollback, diff, test, impact."""
from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from tests.platform.impact_jobs import wait as wait_for_job

from jiceng.dsl import clock

FIXTURES = Path(__file__).parent / "fixtures"

PACKS = "/api/v1/tenants/changsha/packs"
ADMIN = ("changsha", "admin")
ORIGINAL = (FIXTURES / "rule_packs" / "changsha" / "pack.jc").read_text(encoding="utf-8")
EXTRA_RULE = '''
rule 街道不承担拆迁 "街道不承担拆迁拆违"
  cite S003C "一"
  when target.level == street and task.category == "拆迁拆违"
  then reject
'''


def draft(api, text, as_=ADMIN):
    return api.post(PACKS, as_, json={"files": {"pack.jc": text}})


def published_number(api):
    return api.get(PACKS, ADMIN).json["in_force"]


def check_street(api, category, on=None):
    body = {"task": {"title": "x", "category": category, "kind": "work", "item_code": ""},
            "target": {"level": "street"}}
    if on:
        body["on"] = on
    return api.post("/api/v1/tenants/changsha/admission/check", ("changsha", "department"), json=body).json


def test_listing_shows_the_init_version_in_force(api):
    body = api.get(PACKS, ("changsha", "auditor")).json
    assert body["in_force"] == 1
    [v] = [x for x in body["versions"] if x["number"] == 1]
    assert v["status"] == "published" and v["declared_version"] == "2024.03" and v["extends"] == "hunan"
    assert v["publications"][0]["effective_from"] == "2022-05-27"  # the date its pack declares (pack … effective)
    one = api.get(f"{PACKS}/1", ("changsha", "auditor")).json
    assert one["files"]["pack.jc"] == ORIGINAL


def test_broken_draft_lists_every_diagnostic(api):
    text = ORIGINAL + "\nrule 坏规则 \"x\"\n  when target.levle == street\n  then reject\n" \
                      "rule 坏规则2 \"y\"\n  when task.category in 不存在的清单\n  then reject\n"
    r = draft(api, text)
    assert r.status_code == 422
    err = r.json["error"]
    assert err["code"] == "pack_invalid"
    codes = [(d["line"], d["code"]) for d in err["details"]]
    assert len(codes) >= 2
    lines = {d["line"] for d in err["details"]}
    base = ORIGINAL.count("\n") + 1
    assert base + 2 in lines and base + 5 in lines
    for d in err["details"]:
        assert set(d) >= {"file", "line", "column", "code", "message"} and d["column"] >= 1
        assert d["file"] == "changsha/pack.jc"
    assert any("levle" in d["message"] for d in err["details"])


def test_a_draft_with_a_number_out_of_range_is_a_diagnostic_not_a_500(api):
    for literal in ("9" * 5000, "1" + "0" * 400 + ".5", "0." + "1" * 40):
        text = ORIGINAL + f"\nrule 大数 \"x\"\n  when task.workload > {literal} 小时\n  then reject\n"
        r = draft(api, text)
        assert r.status_code == 422, (literal[:20], r.status_code)
        assert "E109" in {d["code"] for d in r.json["error"]["details"]}, r.json


def test_draft_must_name_the_tenant(api):
    r = draft(api, ORIGINAL.replace("pack changsha", "pack zhuzhou"))
    assert r.status_code == 422 and "E212" in {d["code"] for d in r.json["error"]["details"]}


def test_draft_publish_rollback_diff_and_effective_dates(api):
    before = published_number(api)
    r = draft(api, ORIGINAL + EXTRA_RULE)
    assert r.status_code == 201, r.json
    number = r.json["number"]
    assert r.json["status"] == "draft" and r.json["base_number"] == before
    assert check_street(api, "拆迁拆违")["decision"] == "admit"  # drafts decide nothing

    diff = api.get(f"{PACKS}/{number}/diff", ("changsha", "township")).json
    assert diff["against"] == before and diff["same"] is False
    assert [x["name"] for x in diff["rules"]["added"]] == ["街道不承担拆迁"]
    assert diff["rules"]["removed"] == [] and diff["rules"]["changed"] == []

    tests = api.post(f"{PACKS}/{number}/test", ADMIN).json
    assert tests["passed"] is True and tests["total"] == 1
    assert tests["coverage"]["uncovered"] == ["街道不承担拆迁"]

    later = (clock.today() + timedelta(days=30)).isoformat()
    r = api.publish("changsha", number, effective_from=later)
    assert r.status_code == 200, r.json
    assert r.json["expected_current"] == before and r.json["rollback"] is False
    assert check_street(api, "拆迁拆违")["decision"] == "admit"           # not yet in force
    assert check_street(api, "拆迁拆违", on=later)["decision"] == "reject"  # in force from `later`
    assert check_street(api, "拆迁拆违", on=later)["pack"]["digest"] != check_street(api, "拆迁拆违")["pack"]["digest"]

    r = api.publish("changsha", before, effective_from=later, expected_current=number)
    assert r.status_code == 200 and r.json["rollback"] is True
    assert check_street(api, "拆迁拆违", on=later)["decision"] == "admit"  # rolled back


def test_stale_proposal_is_409(api):
    base = published_number(api)
    first = draft(api, ORIGINAL + EXTRA_RULE.replace("拆迁拆违", "城市管理").replace("街道不承担拆迁", "R1")).json
    second = draft(api, ORIGINAL + EXTRA_RULE.replace("拆迁拆违", "环境整治").replace("街道不承担拆迁", "R2")).json
    assert first["base_number"] == second["base_number"]
    assert api.publish("changsha", first["number"]).status_code == 200
    r = api.publish("changsha", second["number"])  # drafted before `first` was published: would undo it
    assert r.status_code == 409
    assert r.json["error"]["code"] == "stale_version"
    assert r.json["error"]["details"] == {"current": first["number"], "expected": second["base_number"]}
    ok = api.publish("changsha", base, expected_current=first["number"])
    assert ok.status_code == 200, ok.json


def test_concurrent_approvals_one_wins(api):
    base = published_number(api)
    numbers = [draft(api, ORIGINAL + EXTRA_RULE.replace("街道不承担拆迁", f"并发{i}")).json["number"]
               for i in range(6)]
    proposals = [api.post(f"{PACKS}/{n}/proposals", ADMIN, json={"expected_current": base}).json["id"] for n in numbers]
    codes = []
    barrier = threading.Barrier(len(proposals))

    def approve(proposal_id):
        client = api.app.test_client()
        barrier.wait()
        codes.append(client.post(f"{PACKS}/proposals/{proposal_id}/approve", headers=api.headers("changsha", "admin2"),
                                 json={}).status_code)

    threads = [threading.Thread(target=approve, args=(p,)) for p in proposals]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200] + [409] * 5
    assert published_number(api) in numbers
    assert api.publish("changsha", base, expected_current=published_number(api)).status_code == 200


def run_impact(api, number, body=None):
    """Start an impact job and wait for its end."""
    r = api.post(f"{PACKS}/{number}/impact", ADMIN, json=body or {})
    assert r.status_code == 202, r.json
    return wait_for_job(api, number, r.json)


def test_impact_counts_decisions_that_would_change(api, units):
    check = "/api/v1/tenants/changsha/admission/check"
    dept = ("changsha", "department")
    today = clock.today().isoformat()
    ids = []
    for category in ("拆迁拆违", "拆迁拆违", "文明创建"):
        ids.append(api.post(check, dept, json={"task": {"title": "x", "category": category, "kind": "work",
                                                        "item_code": "", "target_unit": units.cs_street}}).json["decision_id"])
    number = draft(api, ORIGINAL + EXTRA_RULE.replace("街道不承担拆迁", "影响评估")).json["number"]
    job = run_impact(api, number, {"from": today, "units": [units.cs_street]})
    assert job["status"] == "done", job
    body = job["summary"]
    assert body["replayed"] >= 3 and body["by_change"].get("admit->reject", 0) >= 2, body
    changed = api.get(f"{PACKS}/{number}/impact/{job['id']}/changes?outcome_only=true&limit=1000", ADMIN).json["changes"]
    mine = [c for c in changed if c["decision_id"] in ids]
    assert [c["decision_id"] for c in mine] == ids[:2]
    assert all(c["before"] == "admit" and c["after"] == "reject" and c["rules_added"] == ["影响评估"] for c in mine)


def test_semantic_diff_of_lists_and_params(api):
    text = ORIGINAL.replace('协税护税 "协税护税"', '协税护税 "协税护税(含代征)"  土地出让 "土地出让"') \
        + '\nparam 考核上限 = 1 次\n'
    number = draft(api, text).json["number"]
    d = api.get(f"{PACKS}/{number}/diff?against=1", ADMIN).json
    items = d["lists"]["items"]["街道取消事项"]
    assert [x["name"] for x in items["added"]] == ["土地出让"]
    assert [x["name"] for x in items["changed"]] == ["协税护税"]
    [param] = d["params"]["changed"]
    assert param["name"] == "考核上限" and param["before"]["value"] == "2 次" and param["after"]["value"] == "1 次"
    same = api.get(f"{PACKS}/1/diff?against=1", ADMIN).json
    assert same["same"] is True


def test_pack_writes_need_admin(api):
    for role in ("department", "township", "designer", "auditor"):
        r = draft(api, ORIGINAL, as_=("changsha", role))
        assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"
    assert api.post(f"{PACKS}/1/publish", ("changsha", "township"), json={}).json["error"]["code"] == "forbidden"
    assert api.post(f"{PACKS}/1/proposals", ("changsha", "township"), json={}).json["error"]["code"] == "forbidden"


def test_no_admin_publishes_or_rolls_back_alone(api):
    """Maker-checker is the only way in force: the direct publish route refuses every admin, whatever
    the body, names the proposal routes, and nothing changes."""
    before = published_number(api)
    number = draft(api, ORIGINAL + EXTRA_RULE.replace("街道不承担拆迁", "独自发布")).json["number"]
    for who in (ADMIN, ("changsha", "admin2"), ("hunan", "admin")):
        for n, body in ((number, {}), (number, {"expected_current": before}), (1, {"expected_current": before})):
            r = api.post(f"{PACKS}/{n}/publish", who, json=body)
            assert r.status_code == 403, r.json
            err = r.json["error"]
            assert err["code"] == "approval_required" and f"{PACKS}/{n}/proposals" in err["message"]
            assert err["details"]["propose"] == f"{PACKS}/{n}/proposals"
    assert published_number(api) == before
    assert check_street(api, "拆迁拆违")["decision"] == "admit"
    assert api.post(f"{PACKS}/{number}/publish", json={}).status_code == 401


def test_province_admin_manages_a_city_pack(api):
    r = draft(api, ORIGINAL, as_=("hunan", "admin"))
    assert r.status_code == 201
    assert r.json["created_by"].endswith("admin@hunan")


def test_unknown_version_404(api):
    assert api.get(f"{PACKS}/999", ADMIN).json["error"]["code"] == "pack_version_not_found"
    assert api.get(f"{PACKS}/abc", ADMIN).status_code == 404
