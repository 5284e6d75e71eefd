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


def test_fmt_diff_and_check_never_write_and_check_names_the_files(tmp_path):
    messy, tidy = tmp_path / "a.jc", tmp_path / "b.jc"
    messy.write_text("pack p\nrule R when ((task.one_vote_veto)) then reject", encoding="utf-8")
    tidy.write_text("pack p\n", encoding="utf-8")
    before = messy.read_text(encoding="utf-8")
    r = run("fmt", "--diff", str(tmp_path))
    assert r.exit_code == 1 and "+  when task.one_vote_veto" in r.output
    assert messy.read_text(encoding="utf-8") == before
    r = run("fmt", "--check", str(tmp_path))
    assert r.exit_code == 1 and f"需要格式化:{messy}" in r.output and str(tidy) not in r.output
    assert messy.read_text(encoding="utf-8") == before


SEED = "中共中央 國務(wù)院關(guān)于加強和完善城鄉社區治理的意見\n不得將基層群眾性自治組織作為行政執法、拆遷拆違、環境整治、城市管理、招商引資等事項的責任主體。各?。ㄗ灾螀^、直轄市)按照條塊結合。\n"


def _citing_pack(tmp_path, quote: str, effect: str = "reject", documents_line: str = ""):
    root = tmp_path / "rule_packs"
    (root / "p").mkdir(parents=True)
    (root / "p" / "pack.jc").write_text(
        f'pack p{documents_line}\nsource S002 "2017 意见" file "s002.txt"\n'
        f'rule R cite S002 "四(四)" quote "{quote}"\n  when task.one_vote_veto\n  then {effect}\n'
        'rule NoCite when task.funding_provided then warn\n', encoding="utf-8")
    return root


def test_lint_finds_quotes_in_the_documents_folder_beside_the_packs(tmp_path):
    root = _citing_pack(tmp_path, "不得将基层群众性自治组织作为行政执法……等事项的责任主体")
    (tmp_path / "documents").mkdir()
    (tmp_path / "documents" / "s002.txt").write_text(SEED, encoding="utf-8")
    r = run("lint", "--json", str(root))
    codes = [d["code"] for d in json.loads(r.output)["diagnostics"]]
    assert codes == ["E504"] and r.exit_code == 1  # the quote is found; the rule without cite is not


def test_lint_reports_a_missing_quote_at_its_position_with_the_closest_passage(tmp_path):
    root = _citing_pack(tmp_path, "不得将基层群众性自治组织作为行政执法的执行主体")
    docs = tmp_path / "elsewhere"
    docs.mkdir()
    (docs / "s002.txt").write_text(SEED, encoding="utf-8")
    r = run("lint", "--json", "--documents", str(docs), str(root))
    (e501,) = [d for d in json.loads(r.output)["diagnostics"] if d["code"] == "E501"]
    assert (e501["line"], e501["column"]) == (3, 31)  # the quote itself
    assert "最接近的一段是:“不得将基层群众性自治组织作为行政执法、拆迁拆违" in e501["message"]


def test_lint_names_the_folders_it_looked_in_when_the_document_is_missing(tmp_path):
    root = _citing_pack(tmp_path, "不得将", documents_line=' documents "../../texts"')
    r = run("lint", "--json", str(root))
    (e503,) = [d for d in json.loads(r.output)["diagnostics"] if d["code"] == "E503"]
    assert "texts" in e503["message"] and "documents" in e503["message"]
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "s002.txt").write_text(SEED, encoding="utf-8")
    assert "E503" not in run("lint", str(root)).output  # the pack's own documents folder


def test_a_tenant_file_can_name_the_documents_folder(tmp_path):
    root = _citing_pack(tmp_path, "各省(自治区、直辖市)按照条块结合")  # across the seed's mojibake
    (tmp_path / "tenants").mkdir()
    (tmp_path / "tenants" / "p.toml").write_text('code = "p"\nname = "p"\ndocuments = "../docs"\n',
                                                 encoding="utf-8")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "s002.txt").write_text(SEED, encoding="utf-8")
    codes = [d["code"] for d in json.loads(run("lint", "--json", str(root)).output)["diagnostics"]]
    assert codes == ["E504"]


def test_lint_warns_when_a_reject_quotes_hedged_wording(tmp_path):
    seed = "未纳入清单的事项原则上不得转嫁给社区。\n"
    for effect, warned in (("reject", True), ("require funding", False)):
        base = tmp_path / effect.split()[0]
        root = _citing_pack(base, "未纳入清单的事项原则上不得转嫁给社区", effect)
        (base / "documents").mkdir()
        (base / "documents" / "s002.txt").write_text(seed, encoding="utf-8")
        codes = [d["code"] for d in json.loads(run("lint", "--json", str(root)).output)["diagnostics"]]
        assert ("W304" in codes) is warned


def test_coverage_lists_the_cited_clauses_no_test_proves(tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "pack.jc").write_text(
        'pack p\nsource S "s"\n'
        'rule A cite S "一" quote "取消一票否决" when task.one_vote_veto then reject\n'
        'rule B cite S "二" quote "提供经费" when task.kind == assessment then warn\n'
        'test "一票否决" {\n  quote "取消“一票否决”"\n  given task { title: "t", one_vote_veto: true }\n'
        '  expect reject by A\n}\n'
        'test "考核" {\n  given task { title: "t", kind: assessment }\n  expect admit\n}\n', encoding="utf-8")
    r = run("test", "--coverage", str(tmp_path / "p"))
    assert "1/2 条所引条款有测试证明" in r.output and "S 二“提供经费”(规则 B)" in r.output
    assert "S 一" not in r.output.split("未证明")[1]
    report = json.loads(run("test", "--json", str(tmp_path / "p")).output)[0]
    assert [c["clause"] for c in report["coverage"]["unproved_clauses"]] == ["二"]


def test_a_test_proving_a_clause_nobody_cites_fails(tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "pack.jc").write_text(
        'pack p\nsource S "s"\nrule A cite S "一" quote "取消一票否决" when task.one_vote_veto then reject\n'
        'test "t" {\n  cite S "九" quote "取消"\n  given task { title: "t", one_vote_veto: true }\n  expect reject\n}\n',
        encoding="utf-8")
    r = run("test", str(tmp_path / "p"))
    assert r.exit_code == 1 and "没有被任何规则、清单或标准引用" in r.output


def test_check_shows_the_quote_and_the_item_a_rule_fired_on(tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "pack.jc").write_text(
        'pack p\nsource S "2017 意见"\nlist 证明 kind certificate_excluded { M1 "婚育状况证明" alias "生育状况证明" example }\n'
        'rule R cite S "四(四)" quote "全面清理……出具的各类证明" when task.title in 证明 then reject\n', encoding="utf-8")
    task = tmp_path / "task.json"
    task.write_text(json.dumps({"title": "生育状况证明"}), encoding="utf-8")
    r = run("check", "--tenant", "p", "--root", str(tmp_path), str(task))
    assert r.exit_code == 1
    assert "依据:2017 意见 四(四):“全面清理……出具的各类证明”" in r.output
    assert "事项:婚育状况证明(M1,清单 证明) —— 示例事项" in r.output
