"""A pack whose own tests fail is not published: not over the API, not by `jiceng init`.

A draft may fail its tests (that is what drafts are for); publishing it answers 422
``pack_tests_failed`` naming each failing test. Before, it was published.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import select

from jiceng.platform.db.models import PackVersion
from jiceng.platform.tenants.bootstrap import run_init

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ORIGINAL = (FIXTURES / "rule_packs" / "changsha" / "pack.jc").read_text(encoding="utf-8")
PACKS = "/api/v1/tenants/changsha/packs"
ADMIN = ("changsha", "admin")
FAILING = '''
test "街道可以承担招商引资" {
  given task { title: "招商", category: "招商引资" } target { level: street }
  expect admit
}
'''


def test_publish_refuses_a_pack_whose_tests_fail(api):
    r = api.post(PACKS, ADMIN, json={"files": {"pack.jc": ORIGINAL + FAILING}})
    assert r.status_code == 201, r.json
    number, current = r.json["number"], api.get(PACKS, ADMIN).json["in_force"]
    r = api.publish("changsha", number, expected_current=current)
    assert r.status_code == 422, r.json
    err = r.json["error"]
    assert err["code"] == "pack_tests_failed" and "1" in err["message"]
    [failed] = err["details"]
    assert failed["test"] == "街道可以承担招商引资" and failed["message"]
    assert failed["file"] == "changsha/pack.jc" and failed["line"] == ORIGINAL.count("\n") + 2
    assert api.get(PACKS, ADMIN).json["in_force"] == current


def test_publish_of_a_pack_whose_tests_pass(api):
    r = api.post(PACKS, ADMIN, json={"files": {"pack.jc": ORIGINAL.replace('"2024.03"', '"2024.10"')}})
    current = api.get(PACKS, ADMIN).json["in_force"]
    assert api.publish("changsha", r.json["number"], expected_current=current).status_code == 200


def test_init_does_not_publish_a_pack_whose_tests_fail(fresh_database, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(FIXTURES, root)
    (root / "rule_packs" / "changsha" / "pack.jc").write_text(
        ORIGINAL.replace('"2024.03"', '"2024.11"') + FAILING, encoding="utf-8")
    report = run_init(fresh_database, root)
    [bad] = [p for p in report.packs if p["tenant"] == "changsha"]
    assert bad["status"] == "error" and report.ok is False
    assert bad["tests"] == [{"test": "街道可以承担招商引资", "message": bad["tests"][0]["message"],
                             "file": "changsha/pack.jc", "line": ORIGINAL.count("\n") + 2}]
    with fresh_database.read() as session:
        assert session.execute(select(PackVersion.declared_version).where(
            PackVersion.tenant_code == "changsha")).scalars().all() == ["2024.03"]
