"""Maker-checker publication over the API: one admin proposes, a second admin of the proposer's tenant
or above approves; the proposer cannot approve; a lower tenant's admin cannot approve; both are recorded."""
from __future__ import annotations

from pathlib import Path

import pytest


FIXTURES = Path(__file__).parent / "fixtures"
PACKS = "/api/v1/tenants/changsha/packs"
ORIGINAL = (FIXTURES / "rule_packs" / "changsha" / "pack.jc").read_text(encoding="utf-8")
RULE = '''
rule {name} "街道不承担{category}"
  cite S003C "一"
  when target.level == street and task.category == "{category}"
  then reject
'''


@pytest.fixture(scope="module")
def second(api):
    """The api fixture's second changsha admin token."""
    return ("changsha", "admin2")


def _draft(api, name, category):
    r = api.post(PACKS, ("changsha", "admin"), json={"files": {"pack.jc": ORIGINAL + RULE.format(name=name, category=category)}})
    assert r.status_code == 201, r.json
    return r.json["number"]


def _in_force(api):
    return api.get(PACKS, ("changsha", "auditor")).json["in_force"]


def _decision(api, category):
    body = {"task": {"title": "x", "category": category, "kind": "work", "item_code": ""}, "target": {"level": "street"}}
    return api.post("/api/v1/tenants/changsha/admission/check", ("changsha", "department"), json=body).json["decision"]


def test_proposal_publishes_only_when_a_second_admin_approves(api, second):
    before = _in_force(api)
    number = _draft(api, "审核制规则", "城市管理")
    r = api.post(f"{PACKS}/{number}/proposals", ("changsha", "admin"), json={"note": "新增一条"})
    assert r.status_code == 201, r.json
    proposal = r.json
    assert proposal["status"] == "pending" and proposal["expected_current"] == before
    assert _in_force(api) == before and _decision(api, "城市管理") == "admit"  # nothing published yet

    mine = api.post(f"{PACKS}/proposals/{proposal['id']}/approve", ("changsha", "admin"), json={})
    assert mine.status_code == 403 and mine.json["error"]["code"] == "self_approval"
    assert _in_force(api) == before

    ok = api.post(f"{PACKS}/proposals/{proposal['id']}/approve", second, json={"note": "同意"})
    assert ok.status_code == 200, ok.json
    assert ok.json["status"] == "approved" and ok.json["publication_id"]
    assert ok.json["proposed_by"].startswith("token:") and ok.json["decided_by"] != ok.json["proposed_by"]
    assert _in_force(api) == number and _decision(api, "城市管理") == "reject"
    [v] = [v for v in api.get(PACKS, ("changsha", "auditor")).json["versions"] if v["number"] == number]
    assert v["publications"][-1]["published_by"] == ok.json["decided_by"]

    again = api.post(f"{PACKS}/proposals/{proposal['id']}/approve", second, json={})
    assert again.status_code == 409 and again.json["error"]["code"] == "proposal_not_pending"
    listed = api.get(f"{PACKS}/proposals", ("changsha", "auditor")).json["proposals"]
    assert listed[0]["id"] == proposal["id"] and listed[0]["note"] == "新增一条" and listed[0]["decision_note"] == "同意"


def test_a_lower_tenant_admin_cannot_approve_a_higher_ones_proposal(api, second):
    number = _draft(api, "省级申请", "招商引资")
    p = api.post(f"{PACKS}/{number}/proposals", ("hunan", "admin"), json={}).json
    assert p["proposer_tenant"] == "hunan"
    r = api.post(f"{PACKS}/proposals/{p['id']}/approve", second, json={})
    assert r.status_code == 403 and r.json["error"]["code"] == "approver_out_of_scope"
    # a city admin's proposal, approved by the province: allowed (same or higher tenant)
    q = api.post(f"{PACKS}/{number}/proposals", ("changsha", "admin"), json={}).json
    assert api.post(f"{PACKS}/proposals/{q['id']}/approve", ("hunan", "admin"), json={}).status_code == 200
    # the province's earlier proposal is now stale: approving it would overwrite what came in between
    s = api.post(f"{PACKS}/proposals/{p['id']}/approve", second, json={})
    assert s.status_code == 403  # and a city admin still cannot approve it
    withdrawn = api.post(f"{PACKS}/proposals/{p['id']}/reject", ("hunan", "admin"), json={"note": "撤回"})
    assert withdrawn.status_code == 200 and withdrawn.json["status"] == "withdrawn"


def test_proposal_is_checked_like_a_publication_and_roles_are_enforced(api, second):
    broken = ORIGINAL + ('\ntest "必败" {\n  given task { title: "招商", category: "招商引资" } target { level: street }\n'
                         '  expect admit\n}\n')
    r = api.post(PACKS, ("changsha", "admin"), json={"files": {"pack.jc": broken}})
    assert r.status_code == 201, r.json  # a draft may fail its tests; a proposal may not
    p = api.post(f"{PACKS}/{r.json['number']}/proposals", ("changsha", "admin"), json={})
    assert p.status_code == 422 and p.json["error"]["code"] == "pack_tests_failed"
    assert api.post(f"{PACKS}/1/proposals", ("changsha", "auditor"), json={}).status_code == 403
    assert api.post(f"{PACKS}/1/proposals", ("heilongjiang", "admin"), json={}).status_code == 404
    assert api.post(f"{PACKS}/proposals/999999/approve", second, json={}).json["error"]["code"] == "proposal_not_found"
    long = api.post(f"{PACKS}/1/proposals", ("changsha", "admin"), json={"note": "长" * 501})
    assert long.status_code == 422
