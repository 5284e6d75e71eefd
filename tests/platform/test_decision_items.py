"""The list items a decision relied on (``items``): in the check and assignment answers, in the
decision log (hashed, replayed), on the notice and the check page — an ``example`` item marked as
such even when no rule fired because of it. Entries logged before the items were recorded still
verify and replay. The fixture's 自治事项 holds Z01 (published) and Z02 (``example``)."""
from __future__ import annotations

import html
import re

from sqlalchemy import select

from jiceng.platform.db.models import Decision
from jiceng.platform.decisions import append as log_append
from jiceng.platform.decisions.log import append_all

CHECK = "/api/v1/tenants/changsha/admission/check"
DEPT, AUDITOR, ADMIN = ("changsha", "department"), ("changsha", "auditor"), ("changsha", "admin")
EXAMPLE_NOTE = "示例事项,不是正式公布的清单内容"


def check(api, task: dict) -> dict:
    r = api.post(CHECK, DEPT, json={"task": {"one_vote_veto": False, "kind": "work", **task}})
    assert r.status_code == 200, r.json
    return r.json


def notice_text(api, decision_id: int) -> str:
    api.log_in("changsha", "township")
    r = api.get(f"/decisions/changsha/{decision_id}/notice")
    assert r.status_code == 200
    return html.unescape(re.sub(r"<[^>]+>", "", r.get_data(as_text=True)))  # the text a reader sees


def test_an_admission_resting_on_an_example_item_names_it_everywhere(api, units):
    answer = check(api, {"title": "修订居民公约", "item_code": "Z02", "target_unit": units.cs_communities[0]})
    assert answer["decision"] == "admit" and answer["reasons"] == [], answer  # no rule fired because of it
    [item] = answer["items"]
    assert (item["list"], item["code"], item["name"], item["example"]) == ("自治事项", "Z02", "居民公约", True)
    assert item["cites"] == []
    logged = api.get(f"/api/v1/tenants/changsha/decisions/{answer['decision_id']}", AUDITOR).json
    assert logged["items"] == answer["items"]
    page = notice_text(api, answer["decision_id"])
    assert "所依据的清单事项" in page and "居民公约(事项 Z02,清单 自治事项)" in page and EXAMPLE_NOTE in page
    replay = api.get(f"/api/v1/tenants/changsha/decisions/{answer['decision_id']}/replay", AUDITOR).json
    assert replay["same"] is True and replay["replayed"]["items"] == replay["original"]["items"] == answer["items"]


def test_a_published_item_is_listed_without_the_example_note(api, units):
    answer = check(api, {"title": "召开居民会议", "item_code": "Z01", "target_unit": units.cs_communities[0]})
    assert [(i["code"], i["example"]) for i in answer["items"]] == [("Z01", False)]
    assert answer["items"][0]["name"] == "居民会议"
    page = notice_text(api, answer["decision_id"])
    assert "召开居民会议" in page and "居民会议(事项 Z01,清单 自治事项)" in page and EXAMPLE_NOTE not in page


def test_a_rejection_relies_on_no_item(api, units):
    answer = check(api, {"title": "清单外", "item_code": "NOPE", "target_unit": units.cs_communities[0]})
    assert answer["decision"] == "reject" and answer["items"] == []
    assert "所依据的清单事项" not in notice_text(api, answer["decision_id"])


def test_an_assignment_decision_carries_its_items(api, units):
    r = api.post("/api/v1/tenants/changsha/tasks", ADMIN,
                 json={"task": {"title": "修订居民公约", "item_code": "Z02", "source_unit": units.cs_city,
                                "one_vote_veto": False, "kind": "work"}})
    assert r.status_code == 201, r.json
    r = api.post(f"/api/v1/tenants/changsha/tasks/{r.json['id']}/assignments", ADMIN,
                 json={"targets": [units.cs_communities[1]]})
    assert r.status_code == 200, r.json
    [result] = r.json["results"]
    assert result["decision"] == "admit" and [(i["code"], i["example"]) for i in result["items"]] == [("Z02", True)]
    logged = api.get(f"/api/v1/tenants/changsha/decisions/{result['decision_id']}", AUDITOR).json
    assert logged["items"] == result["items"]


def test_an_edited_items_section_breaks_the_chain(fresh_api, units):
    answer = check(fresh_api, {"title": "修订居民公约", "item_code": "Z02", "target_unit": units.cs_communities[0]})
    db = fresh_api.app.extensions["jiceng"].db
    with db.write() as s:
        row = s.get(Decision, answer["decision_id"])
        row.items = [{**answer["items"][0], "example": False}]  # hiding that it was an example item
    r = fresh_api.get("/api/v1/tenants/changsha/decisions/verify", AUDITOR).json
    assert r["ok"] is False and r["chains"][0]["problems"][0]["code"] == "edited"


def test_entries_logged_before_the_items_verify_and_replay(fresh_api, units):
    answer = check(fresh_api, {"title": "修订居民公约", "item_code": "Z02", "target_unit": units.cs_communities[0]})
    db = fresh_api.app.extensions["jiceng"].db
    with db.write() as s:  # the same decision, appended as the log wrote entries before `items` existed
        row = s.get(Decision, answer["decision_id"])
        old = log_append.entry(tenant=row.tenant_code, kind=row.kind, actor=row.actor, decided_on=row.decided_on,
                               input=row.input, target=row.target, history=row.history, pack=row.pack,
                               outcome=row.outcome, reasons=row.reasons, requirements=row.requirements)
        [appended] = append_all(s, [old])
    with db.read() as s:
        stored = s.execute(select(Decision).where(Decision.id == appended.id)).scalar_one()
        assert stored.items is None and '"items"' not in old.payload(stored.seq)
    assert fresh_api.get("/api/v1/tenants/changsha/decisions/verify", AUDITOR).json["ok"] is True
    logged = fresh_api.get(f"/api/v1/tenants/changsha/decisions/{appended.id}", AUDITOR).json
    assert logged["items"] is None
    replay = fresh_api.get(f"/api/v1/tenants/changsha/decisions/{appended.id}/replay", AUDITOR).json
    assert replay["same"] is True and replay["original"]["items"] is None
    assert [i["code"] for i in replay["replayed"]["items"]] == ["Z02"]  # what it relied on, worked out again
    page = notice_text(fresh_api, appended.id)
    assert "准入决定告知书" in page and "所依据的清单事项" not in page


def test_a_reason_fired_because_of_an_item_shows_it_in_the_check_answer_and_the_log(api, units):
    answer = check(api, {"title": "优待证初审", "item_code": "X01", "funding_provided": False,
                         "target_unit": units.cs_communities[0]})
    [reason] = [r for r in answer["reasons"] if r["rule"] == "协助须经费"]
    assert [i["code"] for i in reason["items"]] == ["X01"]  # the answer is the logged reasons' own text
    logged = api.get(f"/api/v1/tenants/changsha/decisions/{answer['decision_id']}", AUDITOR).json
    assert logged["reasons"] == answer["reasons"] and [i["code"] for i in logged["items"]] == ["X01"]
