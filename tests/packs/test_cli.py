"""The shipped packs through the CLI an admin runs: lint clean, every test passing, every rule covered."""
from __future__ import annotations

from click.testing import CliRunner

from jiceng.platform.cli import main


def test_lint_reports_no_error_and_no_warning(repo):
    result = CliRunner().invoke(main, ["lint", str(repo / "rule_packs")])
    assert result.exit_code == 0, result.output
    packs = sum(1 for p in (repo / "rule_packs").iterdir() if p.is_dir())
    assert f"检查了 {packs} 个规则包:0 个错误,0 个警告" in result.output


def test_pack_tests_pass_with_full_coverage(repo):
    result = CliRunner().invoke(main, ["test", "--coverage", str(repo / "rule_packs")])
    assert result.exit_code == 0, result.output
    assert "失败" not in result.output.replace("0 个失败", "")
    assert "未覆盖" not in result.output and "未测试" not in result.output


def test_a_copy_of_the_packs_elsewhere_is_linted_with_forms_given(repo, tmp_path):
    """Outside the repository there is no form_schemas/ beside the packs: lint says so (the
    canonical task form has none of the local fields) and --forms names the folder."""
    import shutil
    copy = tmp_path / "copy" / "packs"
    shutil.copytree(repo / "rule_packs", copy)
    alone = CliRunner().invoke(main, ["lint", str(copy)])
    assert alone.exit_code == 1 and "没有找到表单目录" in alone.output and "--forms" in alone.output
    given = CliRunner().invoke(main, ["lint", "--forms", str(repo / "form_schemas"),
                                      "--documents", str(repo / "documents"), str(copy)])
    assert given.exit_code == 0, given.output
    assert "0 个错误,0 个警告" in given.output and "E204" not in given.output
    tested = CliRunner().invoke(main, ["test", "--forms", str(repo / "form_schemas"), str(copy)])
    assert tested.exit_code == 0 and "0 个失败" in tested.output
