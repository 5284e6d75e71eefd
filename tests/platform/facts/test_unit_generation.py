"""A unit import is seen by the next check and assignment in every process, as a publish is.

Units are cached per process; they used to be kept 10 s, so after an import another process
decided on the old registry facts for up to 10 s. Now each entry is kept under the *unit
generation* (the newest ``unit_changes`` entry) a request has read — in the check's one statement,
under an assignment's locks — and an import moves it. Two apps on one database stand for two
worker processes: ``seer`` caches the unit, ``importer`` imports a change to it.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from jiceng.platform.app import create_app
from jiceng.platform.tenants.bootstrap import run_init

CHECK = "/api/v1/tenants/changsha/admission/check"
TASKS = "/api/v1/tenants/changsha/tasks"
ADMIN = ("changsha", "admin")


@pytest.fixture
def two_processes(fresh_api):
    """(the importing app's Api, a second app on the same database, sharing the tokens)."""
    seer = fresh_api.__class__(create_app({"DATABASE": fresh_api.app.extensions["jiceng"].db}), fresh_api.tokens)
    return fresh_api, seer


def _import_population(api, code: str, population: int) -> None:
    unit = api.get(f"/api/v1/tenants/changsha/units/{code}", ADMIN).json
    level = {"community": "社区", "village": "村"}[unit["level"]]
    text = f"代码,上级代码,层级,名称,常住人口\n{code},{unit['parent']},{level},{unit['name']},{population}\n"
    r = api.post("/api/v1/tenants/changsha/units/import", ADMIN, data=text.encode("utf-8"), content_type="text/csv")
    assert r.status_code == 200 and r.json["updated"] == 1, r.json


def _checked_population(api, code: str) -> int:
    r = api.post(CHECK, ADMIN, json={"task": {"title": "入户走访", "kind": "work", "target_unit": code}})
    assert r.status_code == 200, r.json
    return r.json["target"]["population"]


def test_a_check_in_another_process_sees_an_import_at_once(two_processes, units):
    importer, seer = two_processes
    code = units.cs_communities[0]
    before = _checked_population(seer, code)  # the seer now keeps the unit
    _import_population(importer, code, before + 1234)
    assert _checked_population(seer, code) == before + 1234


def test_an_assignment_in_another_process_sees_an_import_at_once(two_processes, units):
    """The seer looks its targets up in its cache before its locked read finds the import:
    it looks them up again, and decides and logs the new facts."""
    importer, seer = two_processes
    code = units.cs_communities[1]
    before = _checked_population(seer, code)
    task = seer.post(TASKS, ADMIN, json={"task": {"title": "人口普查入户登记", "kind": "work",
                                                   "source_unit": units.cs_city}})
    assert task.status_code == 201, task.json
    _import_population(importer, code, before + 4321)  # the seer's next request is the assignment
    r = seer.post(f"{TASKS}/{task.json['id']}/assignments", ADMIN, json={"targets": [code]})
    assert r.status_code == 200, r.json
    decision = seer.get(f"/api/v1/tenants/changsha/decisions/{r.json['results'][0]['decision_id']}",
                        ("changsha", "auditor")).json
    assert decision["target"]["population"] == before + 4321


def test_evidence_in_another_process_is_decided_on_the_imported_facts(two_processes, units):
    importer, seer = two_processes
    code = units.cs_communities[2]
    task = seer.post(TASKS, ADMIN, json={"task": {"title": "老年人优待证初审", "item_code": "X01", "funding_provided": False,
                                                   "one_vote_veto": False, "source_unit": units.cs_city}})
    assert task.status_code == 201, task.json
    [res] = seer.post(f"{TASKS}/{task.json['id']}/assignments", ADMIN, json={"targets": [code]}).json["results"]
    assert res["status"] == "pending", res
    before = _checked_population(seer, code)
    _import_population(importer, code, before + 111)  # the seer's next request supplies the evidence
    r = seer.patch(f"/api/v1/tenants/changsha/assignments/{res['assignment']['id']}", ADMIN,
                   json={"evidence": {"funding": {"amount": 20000, "source": "区财政专项"}}})
    assert r.status_code == 200, r.json
    decision = seer.get(f"/api/v1/tenants/changsha/decisions/{r.json['decision_id']}", ("changsha", "auditor")).json
    assert decision["target"]["population"] == before + 111


def test_a_running_process_sees_units_changed_by_jiceng_init(two_processes, units, tmp_path):
    """``jiceng init`` with a changed units file writes the unit change log too."""
    _importer, seer = two_processes
    code = units.cs_communities[0]
    before = _checked_population(seer, code)
    root = tmp_path / "root"
    shutil.copytree(Path(__file__).resolve().parents[1] / "fixtures", root)
    csv = root / "tenants" / "changsha_units.csv"
    lines = csv.read_text(encoding="utf-8").splitlines()
    header = next(line for line in lines if line.startswith("code,"))
    column = header.split(",").index("population")
    for i, line in enumerate(lines):
        if line.startswith(f"{code},"):
            cells = line.split(",")
            assert int(cells[column]) == before
            cells[column] = str(before + 77)
            lines[i] = ",".join(cells)
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run_init(seer.app.extensions["jiceng"].db, root)
    assert _checked_population(seer, code) == before + 77
