"""The rule-language commands of `jiceng`: exit codes and output."""
from __future__ import annotations

import json
import shutil

from click.testing import CliRunner

from conftest import FIXTURES
from jiceng.platform.cli import main


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_lint_clean_packs_exit_zero():
    r = run("lint", str(FIXTURES))
    assert r.exit_code == 0 and "3 个规则包:0 个错误,0 个警告" in r.output


def test_lint_reports_file_line_column_and_a_caret(tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "pack.jc").write_text("pack p\nrule R when task.titel == \"x\" then reject\n", encoding="utf-8")
    r = run("lint", str(tmp_path / "p" / "pack.jc"))
    assert r.exit_code == 1
    lines = r.output.splitlines()
    assert lines[0].endswith("p/pack.jc:2:13: 错误 E204: 任务表单中没有字段 titel;您是不是要写 title?")
    assert lines[1] == "    rule R when task.titel == \"x\" then reject"
    assert lines[2] == "    " + " " * 12 + "^" * 10
    json_out = json.loads(run("lint", "--json", str(tmp_path)).output)
    assert json_out["errors"] == 1 and json_out["diagnostics"][0]["code"] == "E204"


def test_fmt_check_and_rewrite(tmp_path):
    f = tmp_path / "p.jc"
    f.write_text("pack p\nrule R when ((task.one_vote_veto)) then reject", encoding="utf-8")
    assert run("fmt", "--check", str(f)).exit_code == 1
    assert run("fmt", str(f)).exit_code == 0
    assert f.read_text(encoding="utf-8") == "pack p\n\nrule R\n  when task.one_vote_veto\n  then reject\n"
    assert run("fmt", "--check", str(f)).exit_code == 0


def test_test_command_and_coverage(tmp_path):
    assert run("test", "--coverage", str(FIXTURES)).exit_code == 0
    shutil.copytree(FIXTURES / "nation", tmp_path / "nation")
    pack = tmp_path / "nation" / "pack.jc"
    pack.write_text(pack.read_text(encoding="utf-8").replace("expect reject by 考核频次", "expect admit"),
                    encoding="utf-8")
    r = run("test", str(tmp_path / "nation"))
    assert r.exit_code == 1 and "[失败] nation: 考核频次" in r.output and "期望准入(admit),实际不予准入(reject)" in r.output


def test_check_exit_codes_and_json(tmp_path):
    task = tmp_path / "task.json"
    task.write_text(json.dumps({"task": {"title": "x", "item_code": "NOPE"}, "target": {"level": "community"}}),
                    encoding="utf-8")
    r = run("check", "--tenant", "nation", "--root", str(FIXTURES), str(task), "--json")
    assert r.exit_code == 1
    body = json.loads(r.output)
    assert body["decision"] == "reject" and body["reasons"][0]["rule"] == "清单外事项"
    task.write_text(json.dumps({"task": {"title": "x", "item_code": "Z01", "kind": "work"},
                                "target": {"level": "street"}}), encoding="utf-8")
    assert run("check", "--tenant", "nation", "--root", str(FIXTURES), str(task)).exit_code == 0
    r = run("check", "--tenant", "nation", "--root", str(FIXTURES), str(task), "--explain")
    assert "结论:准入(admit)" in r.output and "· 清单外事项(nation) 未触发" in r.output
    # no target, no history: unknown facts, which hold the task (exit 1) and are named
    task.write_text(json.dumps({"title": "x", "item_code": "Z01", "kind": "assessment"}), encoding="utf-8")
    r = run("check", "--tenant", "nation", "--root", str(FIXTURES), str(task), "--explain")
    assert r.exit_code == 1 and "结论:有条件准入(conditional)" in r.output
    assert "? 考核频次(nation) 无法判断,缺少:history.assessments_this_year" in r.output
    assert "· 考核频次(nation) 无法判断;" in r.output and "缺少 history.assessments_this_year(来源:运行时(历史记录))" in r.output
    task.write_text("{not json", encoding="utf-8")
    assert run("check", "--tenant", "nation", "--root", str(FIXTURES), str(task)).exit_code == 2
    task.write_text("{}", encoding="utf-8")
    assert run("check", "--tenant", "nowhere", "--root", str(FIXTURES), str(task)).exit_code == 2
