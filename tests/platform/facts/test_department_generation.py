"""A department registry import is seen by the next check and assignment in every process.

The departments a check looks up are kept per process. They used to be kept 10 s in every process
but the importing one, so another process went on deciding with a department's old 权责清单 — a
stale *positive*: an item taken off the list still counted as the department's own duty. Now each
entry is kept under the unit and department generations a request has read, and an import that
changes the registry writes a ``department_changes`` entry. Two apps on one database stand for two
worker processes: ``seer`` keeps the department, ``importer`` changes the registry.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from jiceng.platform.app import create_app
from jiceng.platform.tenants.bootstrap import run_init

from .conftest import REGISTRY

DISTRICT = "430102000000"
TASKS = "/api/v1/tenants/changsha/tasks"
ADMIN = ("changsha", "admin")
#: 区民政局 without X01 on its 权责清单 (its category stays, so a task of X01 is no longer its own
#: duty by item, and by category unknown: the task names none)
WITHOUT_X01 = REGISTRY.replace("frq-mzj,区民政局,430102000000,functional,X01、Z01,社会救助",
                               "frq-mzj,区民政局,430102000000,functional,Z01,社会救助")
TASK = {"title": "低保复核", "kind": "work", "item_code": "X01", "source_unit": DISTRICT, "source_department": "区民政局"}


@pytest.fixture
def two_processes(fresh_api, import_registry):
    """(the importing app's Api, a second app on the same database, sharing the tokens), the test
    registry imported."""
    import_registry(fresh_api)
    seer = fresh_api.__class__(create_app({"DATABASE": fresh_api.app.extensions["jiceng"].db}), fresh_api.tokens)
    return fresh_api, seer


def _own_duty(api, check, logged, code: str):
    r = check(api, {"task": dict(TASK, target_unit=code)})
    assert r.status_code == 200, r.json
    return logged(api, r.json)["input"]["source"]["department"]["own_duty"]


def test_a_check_in_another_process_sees_a_registry_import_at_once(two_processes, import_registry, check, logged,
                                                                     units):
    importer, seer = two_processes
    code = units.cs_communities[0]
    assert _own_duty(seer, check, logged, code) is True  # the seer now keeps 区民政局
    import_registry(importer, WITHOUT_X01)
    assert _own_duty(seer, check, logged, code) is None


def test_an_import_that_changes_nothing_moves_no_generation(two_processes, import_registry):
    importer, _seer = two_processes
    runtime = importer.app.extensions["jiceng"]
    db = runtime.db
    with db.read() as session:
        before = runtime.generations(session)[3]
    import_registry(importer)  # the same file again: nothing written
    with db.read() as session:
        assert runtime.generations(session)[3] == before
    import_registry(importer, WITHOUT_X01)
    with db.read() as session:
        assert runtime.generations(session)[3] > before


def test_an_assignment_in_another_process_sees_a_registry_import_at_once(two_processes, import_registry, check,
                                                                         logged, units):
    """The department of a filed task is looked up again when it is assigned: as the registry
    stands, read after the assignment's locks."""
    importer, seer = two_processes
    code = units.cs_communities[1]
    assert _own_duty(seer, check, logged, code) is True
    task = seer.post(TASKS, ADMIN, json={"task": TASK})
    assert task.status_code == 201, task.json
    import_registry(importer, WITHOUT_X01)  # the seer's next request is the assignment
    r = seer.post(f"{TASKS}/{task.json['id']}/assignments", ADMIN, json={"targets": [code]})
    assert r.status_code == 200, r.json
    decision = logged(seer, r.json["results"][0])
    assert decision["input"]["source"]["department"]["own_duty"] is None


def test_a_running_process_sees_departments_changed_by_jiceng_init(two_processes, check, logged, units, tmp_path):
    """``jiceng init`` loading a changed departments file writes the change too. The first init
    names the file (a changed tenant file: its units are written again, a new unit generation);
    the second changes only the departments in it."""
    _importer, seer = two_processes
    code = units.cs_communities[2]
    root = tmp_path / "root"
    shutil.copytree(Path(__file__).resolve().parents[1] / "fixtures", root)
    departments = root / "tenants" / "changsha_departments.csv"
    departments.write_text(REGISTRY, encoding="utf-8")
    toml = root / "tenants" / "changsha.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + 'departments = "changsha_departments.csv"\n', encoding="utf-8")
    run_init(seer.app.extensions["jiceng"].db, root)
    assert _own_duty(seer, check, logged, code) is True  # kept under the generations after the first init
    departments.write_text(WITHOUT_X01, encoding="utf-8")
    run_init(seer.app.extensions["jiceng"].db, root)
    assert _own_duty(seer, check, logged, code) is None


def test_evidence_in_another_process_is_decided_on_the_imported_registry(two_processes, import_registry, check,
                                                                          logged, units):
    importer, seer = two_processes
    code = units.cs_communities[0]
    task = seer.post(TASKS, ADMIN, json={"task": dict(TASK, funding_provided=False, one_vote_veto=False)})
    assert task.status_code == 201, task.json
    [res] = seer.post(f"{TASKS}/{task.json['id']}/assignments", ADMIN, json={"targets": [code]}).json["results"]
    assert res["status"] == "pending", res
    assert logged(seer, res)["input"]["source"]["department"]["own_duty"] is True  # the seer keeps 区民政局
    import_registry(importer, WITHOUT_X01)  # the seer's next request supplies the evidence
    r = seer.patch(f"/api/v1/tenants/changsha/assignments/{res['assignment']['id']}", ADMIN,
                   json={"evidence": {"funding": {"amount": 20000, "source": "区财政专项"}}})
    assert r.status_code == 200, r.json
    assert logged(seer, r.json)["input"]["source"]["department"]["own_duty"] is None
