"""The runtime's CLI commands and `jiceng check`'s unit lookup."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from jiceng.platform.cli import service as commands
from jiceng.platform.cli import main

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def cli(database, monkeypatch):
    monkeypatch.setattr(commands, "_database", lambda: database)
    return CliRunner()


def test_token_issue_prints_the_token_alone_last(cli, api):
    result = cli.invoke(main, ["token", "issue", "--tenant", "changsha", "--role", "auditor"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("jc_") and " " not in token
    r = api.get("/api/v1/tenants/changsha/decisions", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200


def test_token_issue_refuses_unknown_role_and_foreign_unit(cli, units):
    bad_role = cli.invoke(main, ["token", "issue", "--tenant", "changsha", "--role", "mayor"])
    assert bad_role.exit_code == 2 and "role_invalid" in bad_role.output
    foreign = cli.invoke(main, ["token", "issue", "--tenant", "changsha", "--role", "township",
                                "--unit", units.hlj_street])
    assert foreign.exit_code == 2 and "unit_not_found" in foreign.output


def test_standards_table_and_json(cli):
    result = cli.invoke(main, ["standards", "--tenant", "changsha", "社区工作者配备"])
    assert result.exit_code == 0, result.output
    assert "识字岭社区" in result.output and "不达标" in result.output and "共 4 个单位:达标 3,不达标 1" in result.output
    data = json.loads(cli.invoke(main, ["standards", "--tenant", "changsha", "社区工作者配备", "--json"]).output)
    failing = [r for r in data["results"] if r["status"] == "failing"]
    assert [r["measures"] for r in failing] == [{"required": 19, "gap": 4}]
    missing = cli.invoke(main, ["standards", "--tenant", "changsha", "没有这个标准"])
    assert missing.exit_code == 2 and "standard_not_found" in missing.output


def test_standards_endpoint(api):
    r = api.get("/api/v1/tenants/changsha/standards/社区工作者配备", ("changsha", "township"))
    assert r.json["summary"] == {"units": 4, "compliant": 3, "failing": 1, "errors": 0, "not_applicable": 0}
    assert r.json["standard"]["declared_in"] == "national"
    hunan = api.get("/api/v1/tenants/hunan/standards/社区工作者配备?descendants=true", ("hunan", "auditor")).json
    assert hunan["summary"]["units"] == 5  # changsha's four and zhuzhou's one
    assert api.get("/api/v1/tenants/changsha/standards/nope", ("changsha", "township")).status_code == 404


def _check(tmp_path, task: dict, tenant: str = "changsha"):
    (tmp_path / "task.json").write_text(json.dumps(task, ensure_ascii=False), encoding="utf-8")
    return CliRunner().invoke(main, ["check", "--tenant", tenant, str(tmp_path / "task.json"), "--json",
                                     "--root", str(tmp_path / "data" / "rule_packs")])


def test_check_finds_target_facts_in_tenants(tmp_path, units):
    shutil.copytree(FIXTURES, tmp_path / "data")
    result = _check(tmp_path, {"title": "招商", "category": "招商引资", "target_unit": units.cs_street})
    assert result.exit_code == 1, result.output
    assert json.loads(result.output)["reasons"][0]["rule"] == "街道取消招商引资"


def test_check_makes_the_target_facts_as_the_service_does(tmp_path, units, api):
    """A grid's community (its parent), as the API's check has it."""
    shutil.copytree(FIXTURES, tmp_path / "data")
    task = {"title": "挂牌", "kind": "plaque", "item_code": "Z01", "one_vote_veto": False,
            "target_unit": units.cs_grids[0]}
    (tmp_path / "task.json").write_text(json.dumps(task, ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--tenant", "changsha", str(tmp_path / "task.json"), "--json",
                                       "--explain", "--root", str(tmp_path / "data" / "rule_packs")])
    trace = {t["rule"]: t for t in json.loads(result.output)["trace"]}
    assert trace["村里不另挂牌"]["fired"] is False  # the grid's community is known: a community, not a village
    api_answer = api.post("/api/v1/tenants/changsha/admission/check", ("changsha", "department"), json={"task": task})
    assert json.loads(result.output)["decision"] == api_answer.json["decision"] == "admit"


def test_check_refuses_a_unit_outside_the_tenant(tmp_path, units):
    """A unit of another tenant (or none at all) is an input error, as the API's 422 — never 准入."""
    shutil.copytree(FIXTURES, tmp_path / "data")
    for code in (units.hlj_street, "999999999999"):
        result = _check(tmp_path, {"title": "招商", "category": "招商引资", "target_unit": code})
        assert result.exit_code == 2, result.output
        assert "unit_not_found" in result.output and code in result.output


@pytest.mark.parametrize("change", [{"kind": "reprot"}, {"role": "负责"}, {"funding_provided": "是"},
                                    {"title": 3}])
def test_check_refuses_what_the_task_form_refuses(tmp_path, units, api, change):
    """The trial tool and the service answer alike: the form's 422 is the CLI's exit 2."""
    shutil.copytree(FIXTURES, tmp_path / "data")
    task = {"title": "协助", "category": "人口普查", "target_unit": units.cs_communities[0], **change}
    api_answer = api.post("/api/v1/tenants/changsha/admission/check", ("changsha", "department"), json={"task": task})
    assert api_answer.status_code == 422
    result = _check(tmp_path, task)
    assert result.exit_code == 2, result.output
    assert "form_invalid" in result.output
    for problem in api_answer.json["error"]["details"]:
        assert problem["path"] in result.output


def test_init_command_prints_demo_tokens(fresh_database, monkeypatch):
    monkeypatch.setattr(commands, "_database", lambda: fresh_database)
    result = CliRunner().invoke(main, ["init", "--root", str(FIXTURES), "--demo-tokens"])
    assert result.exit_code == 0, result.output
    assert "规则包 changsha:未改动" in result.output and "演示令牌(租户 changsha" in result.output
    roles = [line.split()[0] for line in result.output.splitlines() if " jc_" in line]
    assert roles == ["admin", "designer", "department", "township", "auditor"]
