"""A unit-bound token (`jiceng token issue --unit`) acts for its unit only: a department token files
tasks in the name of its unit or one below it; a token changes only the assignments its unit made.
A township token files no task at all (SPEC §1: departments file, townships pass on)."""
from __future__ import annotations

import pytest

from jiceng.platform.auth.tokens import issue
from jiceng.platform.tenants.directory import TenantDirectory

TASKS = "/api/v1/tenants/changsha/tasks"
SENDER = ("changsha", "admin")
STREET = ("changsha", "street")  # township, bound to units.cs_street (tests/platform/conftest.py)
STREET_OFFICE = ("changsha", "street office")  # department, bound to units.cs_street (tests/platform/conftest.py)


@pytest.fixture(scope="module")
def other_street(api, units) -> dict:
    """Headers of a township token bound to the sibling street."""
    db = api.app.extensions["jiceng"].db
    with db.write() as session:
        token = issue(session, TenantDirectory.load(session), "changsha", "township", units.cs_street2)[0]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def street_office(api, units):
    """The street's department token, its office registered at the street (a department names one)."""
    sheet = f"code,name,unit,kind,items,categories\nwyl-swk,街道社会事务科,{units.cs_street},functional,,\n"
    r = api.post("/api/v1/tenants/changsha/departments/import", ("changsha", "admin"), data=sheet.encode("utf-8"),
                 content_type="text/csv")
    assert r.status_code == 200, r.json
    return STREET_OFFICE


def file_task(api, as_, **task):
    return api.post(TASKS, as_, json={"task": {"title": "入户登记", **task}})


def test_a_unit_token_files_tasks_for_its_unit_or_below_only(api, units, street_office):
    before = len(api.get(TASKS, SENDER).json["tasks"])
    for other in (units.cs_street2, units.cs_city, units.cs_community2):  # a sibling, its parent, a sibling's child
        r = file_task(api, street_office, source_unit=other)
        assert r.status_code == 403, (other, r.json)
        assert r.json["error"]["code"] == "unit_out_of_scope" and units.cs_street in r.json["error"]["message"]
    for township in (STREET, ("changsha", "township")):  # a township files nothing, for its own unit neither
        r = file_task(api, township)
        assert r.status_code == 403 and r.json["error"]["details"] == {"role": "township", "permission": "task.create"}
    assert len(api.get(TASKS, SENDER).json["tasks"]) == before  # nothing was filed
    own = file_task(api, street_office, source_department="街道社会事务科")
    assert own.status_code == 201 and own.json["source_unit"] == units.cs_street
    below = file_task(api, street_office, source_unit=units.cs_communities[0], source_department="街道社会事务科")
    assert below.status_code == 201 and below.json["source_unit"] == units.cs_communities[0]


def test_a_unit_token_changes_only_the_assignments_its_unit_made(api, units, other_street):
    task = file_task(api, SENDER, item_code="Z01", kind="work", category="社区治理", one_vote_veto=False,
                     source_unit=units.cs_city).json
    down = api.post(f"{TASKS}/{task['id']}/assignments", SENDER, json={"targets": [units.cs_street]}).json
    by_city = down["results"][0]["assignment"]
    assert by_city["source_unit"] == units.cs_city
    down = api.post(f"{TASKS}/{task['id']}/assignments", STREET, json={"targets": [units.cs_communities[0]]}).json
    by_street = down["results"][0]["assignment"]
    assert by_street["source_unit"] == units.cs_street

    def patch(assignment, as_=None, headers=None):
        return api.patch(f"/api/v1/tenants/changsha/assignments/{assignment['id']}", as_, headers=headers or {},
                         json={"evidence": {}})

    for r in (patch(by_city, STREET), patch(by_street, headers=other_street)):
        assert r.status_code == 403 and r.json["error"]["code"] == "unit_out_of_scope", r.json
    after = api.get(f"{TASKS}/{task['id']}", SENDER).json["assignments"]
    assert [(a["id"], a["decision_id"]) for a in after] == [(by_city["id"], by_city["decision_id"]),
                                                             (by_street["id"], by_street["decision_id"])]
    assert patch(by_street, STREET).status_code != 403  # its own (not pending: 409)
    assert patch(by_city, SENDER).status_code != 403      # a token without a unit acts for any unit in reach
