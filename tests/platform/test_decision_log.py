"""The decision log: hash chain, tamper detection (API and CLI), replay."""
from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import delete, select, update

from jiceng.platform.cli import service as commands
from jiceng.platform.db.models import Decision

CHECK = "/api/v1/tenants/changsha/admission/check"
DEPT, AUDITOR = ("changsha", "department"), ("changsha", "auditor")


def make_decisions(api, units, n=4):
    ids = []
    for i in range(n):
        r = api.post(CHECK, DEPT, json={"task": {"title": f"事项{i}", "item_code": "X01" if i % 2 else "Z01",
                                                 "target_unit": units.cs_communities[i % 3]}})
        ids.append(r.json["decision_id"])
    return ids


def verify_cli(db, monkeypatch):
    monkeypatch.setattr(commands, "_database", lambda: db)
    return CliRunner().invoke(commands.decisions, ["verify"])


def test_chain_links_entries_and_verifies(fresh_api, units, monkeypatch):
    ids = make_decisions(fresh_api, units)
    log = fresh_api.get("/api/v1/tenants/changsha/decisions", AUDITOR).json["decisions"]
    assert [d["id"] for d in log] == sorted(ids, reverse=True)
    assert [d["seq"] for d in log] == [4, 3, 2, 1]
    for newer, older in zip(log, log[1:]):
        assert newer["prev_hash"] == older["hash"]
    assert log[-1]["prev_hash"] == "0" * 64
    r = fresh_api.get("/api/v1/tenants/changsha/decisions/verify", AUDITOR)
    assert r.json["ok"] is True and r.json["chains"][0]["entries"] == 4
    result = verify_cli(fresh_api.app.extensions["jiceng"].db, monkeypatch)
    assert result.exit_code == 0 and "全部完好" in result.output


def test_an_edited_row_is_caught(fresh_api, units, monkeypatch):
    ids = make_decisions(fresh_api, units)
    db = fresh_api.app.extensions["jiceng"].db
    with db.write() as s:
        s.execute(update(Decision).where(Decision.id == ids[1]).values(outcome="admit", reasons=[]))
    r = fresh_api.get("/api/v1/tenants/changsha/decisions/verify", AUDITOR).json
    assert r["ok"] is False
    [problem] = r["chains"][0]["problems"]
    assert problem["code"] == "edited" and problem["decision_id"] == ids[1] and problem["seq"] == 2
    result = verify_cli(db, monkeypatch)
    assert result.exit_code == 1 and "[edited]" in result.output and "被修改" in result.output


def test_a_deleted_row_is_caught(fresh_api, units, monkeypatch):
    ids = make_decisions(fresh_api, units)
    db = fresh_api.app.extensions["jiceng"].db
    with db.write() as s:
        s.execute(delete(Decision).where(Decision.id == ids[1]))
    result = verify_cli(db, monkeypatch)
    assert result.exit_code == 1 and "[deleted]" in result.output and "[broken_link]" in result.output


def test_a_deleted_last_row_is_caught(fresh_api, units, monkeypatch):
    ids = make_decisions(fresh_api, units)
    db = fresh_api.app.extensions["jiceng"].db
    with db.write() as s:
        s.execute(delete(Decision).where(Decision.id == ids[-1]))
    result = verify_cli(db, monkeypatch)
    assert result.exit_code == 1 and "[head_mismatch]" in result.output


def test_replay_recomputes_with_the_recorded_version(api, units):
    r = api.post(CHECK, DEPT, json={"task": {"title": "招商", "category": "招商引资", "target_unit": units.cs_street}})
    decision_id = r.json["decision_id"]
    replay = api.get(f"/api/v1/tenants/changsha/decisions/{decision_id}/replay", AUDITOR).json
    assert replay["same"] is True
    assert replay["original"]["decision"] == replay["replayed"]["decision"] == "reject"
    assert replay["replayed"]["pack"]["digest"] == r.json["pack"]["digest"]


def test_replay_survives_a_newer_publication(api, units):
    """After a new version is published, replay still uses the version the decision recorded."""
    r = api.post(CHECK, DEPT, json={"task": {"title": "拆迁", "category": "拆迁拆违", "kind": "work", "item_code": ""},
                                    "target": {"level": "street"}})
    decision_id, digest = r.json["decision_id"], r.json["pack"]["digest"]
    admin = ("changsha", "admin")
    text = api.get("/api/v1/tenants/changsha/packs/1", admin).json["files"]["pack.jc"]
    text += '\nrule 新规则 "街道不承担拆迁"\n  when target.level == street and task.category == "拆迁拆违"\n  then reject\n'
    number = api.post("/api/v1/tenants/changsha/packs", admin, json={"files": {"pack.jc": text}}).json["number"]
    assert api.publish("changsha", number).status_code == 200
    now = api.post(CHECK, DEPT, json={"task": {"title": "拆迁", "category": "拆迁拆违", "kind": "work", "item_code": ""},
                                      "target": {"level": "street"}})
    assert now.json["decision"] == "reject"
    replay = api.get(f"/api/v1/tenants/changsha/decisions/{decision_id}/replay", AUDITOR).json
    assert replay["same"] is True and replay["replayed"]["decision"] == "admit"
    assert replay["replayed"]["pack"]["digest"] == digest


def test_log_needs_auditor_or_admin(api):
    for role in ("department", "township", "designer"):
        r = api.get("/api/v1/tenants/changsha/decisions", ("changsha", role))
        assert r.status_code == 403
    assert api.get("/api/v1/tenants/changsha/decisions", ("changsha", "admin")).status_code == 200


def test_log_paging_and_filters(api, units):
    make_decisions(api, units, 3)
    page = api.get("/api/v1/tenants/changsha/decisions?limit=2&outcome=conditional", AUDITOR).json
    assert len(page["decisions"]) <= 2 and all(d["outcome"] == "conditional" for d in page["decisions"])
    bad = api.get("/api/v1/tenants/changsha/decisions?limit=0&outcome=maybe", AUDITOR)
    assert bad.status_code == 422
    assert {d["path"] for d in bad.json["error"]["details"]} == {"?limit", "?outcome"}


def test_rows_are_append_only_in_practice(api, units, database):
    """The service never updates a logged row: hashes recorded at insert still verify after assignments."""
    make_decisions(api, units, 2)
    with database.read() as s:
        count = len(s.execute(select(Decision.id)).all())
    assert count >= 2
    assert api.get("/api/v1/tenants/changsha/decisions/verify", AUDITOR).json["ok"] is True
