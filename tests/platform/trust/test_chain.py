"""Inheritance is the tenant tree: a pack extends its tenant's registered parent, and nothing else.

Checked where a pack enters the service — a draft (POST .../packs), a publication and
`jiceng init` — so no draft can name, and no diff can show, a pack outside the
uploader's reach (before: Changsha's admin uploaded ``extends heilongjiang`` and its
diff listed Heilongjiang's rules, to a token that gets 404 on Heilongjiang).
"""
from __future__ import annotations

import time

import shutil
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select

from jiceng.platform.db.models import PackVersion
from jiceng.platform.packs.lifecycle import lock_head
from jiceng.platform.packs.versions import files_digest
from jiceng.platform.tenants.bootstrap import run_init

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ORIGINAL = (FIXTURES / "rule_packs" / "changsha" / "pack.jc").read_text(encoding="utf-8")
PACKS = "/api/v1/tenants/changsha/packs"
ADMIN = ("changsha", "admin")


def draft(api, text):
    return api.post(PACKS, ADMIN, json={"files": {"pack.jc": text}})


def errors(r) -> list[dict]:
    assert r.status_code == 422, r.json
    assert r.json["error"]["code"] == "pack_invalid"
    return [d for d in r.json["error"]["details"] if d["severity"] == "error"]


def test_a_draft_extending_a_sibling_is_refused_and_shows_nothing_of_it(api):
    assert api.get("/api/v1/tenants/heilongjiang/packs", ADMIN).status_code == 404
    before = len(api.get(PACKS, ADMIN).json["versions"])
    r = draft(api, ORIGINAL.replace("extends hunan", "extends heilongjiang"))
    [d] = errors(r)
    assert d["code"] == "E412" and d["file"] == "changsha/pack.jc" and d["line"] == 1
    assert "extends heilongjiang" in d["message"] and "上级是 hunan" in d["message"]
    assert "网格调整" not in r.get_data(as_text=True)  # Heilongjiang's rule
    assert len(api.get(PACKS, ADMIN).json["versions"]) == before  # nothing stored


def test_a_city_draft_without_extends_is_refused(api):
    [d] = errors(draft(api, ORIGINAL.replace(" extends hunan", "")))
    assert d["code"] == "E412" and "hunan" in d["message"]


def test_the_header_names_the_tenant(api):
    assert [d["code"] for d in errors(draft(api, ORIGINAL.replace("pack changsha", "pack zhuzhou")))] == ["E212"]


def _stored_bypassing_the_draft_check(database, text: str) -> int:
    """A version as an older service stored it, before drafts were bound to the registry."""
    files = {"pack.jc": text}
    with database.write() as session:
        head = lock_head(session, "changsha")
        number = head.last_number + 1
        session.add(PackVersion(tenant_code="changsha", number=number, declared_version="2099.01",
                                extends="heilongjiang", files=files, files_digest=files_digest(files),
                                base_number=None, origin="api", created_by="test",
                                created_at=datetime.now(timezone.utc)))
        head.last_number = number
    return number


def test_a_stored_version_bound_wrongly_cannot_be_published_diffed_tested_or_replayed(api, database, units):
    api.post("/api/v1/tenants/changsha/admission/check", ("changsha", "department"),
             json={"task": {"title": "招商", "category": "招商引资", "target_unit": units.cs_street}})
    number = _stored_bypassing_the_draft_check(database, ORIGINAL.replace("extends hunan", "extends heilongjiang"))
    current = api.get(PACKS, ADMIN).json["in_force"]
    r = api.publish("changsha", number, expected_current=current)
    assert [d["code"] for d in errors(r)] == ["E412"]
    assert [d["code"] for d in errors(api.get(f"{PACKS}/{number}/diff", ADMIN))] == ["E412"]
    assert [d["code"] for d in errors(api.get(f"{PACKS}/{current}/diff?against={number}", ADMIN))] == ["E412"]
    assert [d["code"] for d in errors(api.post(f"{PACKS}/{number}/test", ADMIN))] == ["E412"]
    job = api.post(f"{PACKS}/{number}/impact", ADMIN, json={}).json
    for _ in range(600):
        job = api.get(f"{PACKS}/{number}/impact/{job['id']}", ADMIN).json
        if job["status"] not in ("queued", "running"):
            break
        time.sleep(0.05)
    impact = job["summary"]
    assert impact["replayed"] == 0 and [e["code"] for e in impact["error_codes"]] == ["pack_invalid"]
    assert api.get(PACKS, ADMIN).json["in_force"] == current


def test_against_resolves_only_the_tenants_own_versions(api, database):
    with database.read() as session:
        theirs = session.execute(select(PackVersion.number).where(PackVersion.tenant_code == "heilongjiang")).scalars()
        mine = set(session.execute(select(PackVersion.number).where(PackVersion.tenant_code == "changsha")).scalars())
        foreign = max(set(theirs) | mine) + 1
    hlj = ("heilongjiang", "admin")
    hlj_text = (FIXTURES / "rule_packs" / "heilongjiang" / "pack.jc").read_text(encoding="utf-8")
    while True:  # give Heilongjiang a version number Changsha does not have
        r = api.post("/api/v1/tenants/heilongjiang/packs", hlj, json={"files": {"pack.jc": hlj_text}})
        assert r.status_code == 201, r.json
        if r.json["number"] >= foreign:
            foreign = r.json["number"]
            break
    assert foreign not in mine
    r = api.get(f"{PACKS}/1/diff?against={foreign}", ADMIN)
    assert r.status_code == 404 and r.json["error"]["code"] == "pack_version_not_found"
    assert api.post(f"{PACKS}/{foreign}/test", ADMIN).status_code == 404
    assert api.post(f"{PACKS}/{foreign}/impact", ADMIN, json={}).status_code == 404
    assert api.get(f"{PACKS}/{foreign}/impact", ADMIN).status_code == 404


def test_init_refuses_a_pack_that_does_not_extend_its_registered_parent(fresh_database, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(FIXTURES, root)
    pack = root / "rule_packs" / "changsha" / "pack.jc"
    pack.write_text(ORIGINAL.replace("extends hunan", "extends heilongjiang").replace('"2024.03"', '"2024.09"'),
                    encoding="utf-8")
    report = run_init(fresh_database, root)
    [bad] = [p for p in report.packs if p["tenant"] == "changsha"]
    assert bad["status"] == "error" and report.ok is False
    assert [d["code"] for d in bad["diagnostics"]] == ["E412"]
    with fresh_database.read() as session:
        assert session.execute(select(PackVersion.declared_version).where(
            PackVersion.tenant_code == "changsha")).scalars().all() == ["2024.03"]


def test_init_refuses_a_pack_of_a_tenant_the_registry_does_not_know(fresh_database, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(FIXTURES, root)
    (root / "rule_packs" / "xiangtan").mkdir()
    (root / "rule_packs" / "xiangtan" / "pack.jc").write_text('pack xiangtan version "1" extends hunan\n',
                                                              encoding="utf-8")
    report = run_init(fresh_database, root)
    [bad] = [p for p in report.packs if p["tenant"] == "xiangtan"]
    assert bad["status"] == "error" and [d["code"] for d in bad["diagnostics"]] == ["E413"]
