"""jiceng fmt: idempotent, meaning-preserving, comment-preserving."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from jiceng.dsl.formatter import WIDTH, format_source
from jiceng.dsl.parser import parse
from pack_strategies import pack_source

ROOT = Path(__file__).resolve().parents[2]


def _same_meaning(a: str, b: str) -> bool:
    return parse(a, "f.jc")[0].decls == parse(b, "f.jc")[0].decls


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pack_source(max_rules=8))
def test_fmt_is_idempotent_and_preserves_meaning(src):
    once = format_source(src, "f.jc")
    assert format_source(once, "f.jc") == once
    assert _same_meaning(src, once)


def test_fmt_keeps_comments_and_one_blank_line():
    src = ("# 头注释\npack p   # 行尾\n\n\n# 参数说明\nparam a = 1 人 floor\n"
           "list L kind assist {\n  # 民政\n  A \"甲\"  # 注\n\n\n  # 人社\n  B \"乙\"\n}  # 完\n")
    out = format_source(src, "f.jc")
    assert out == ("# 头注释\npack p  # 行尾\n\n# 参数说明\nparam a = 1 人 floor\n\n"
                   "list L kind assist {\n  # 民政\n  A \"甲\"  # 注\n\n  # 人社\n  B \"乙\"\n}  # 完\n")


def test_long_conditions_break_before_each_operator():
    cond = " and ".join(f'task.category != "很长的类别名称{i}"' for i in range(6))
    out = format_source(f"pack p\nrule R when {cond} then reject\n", "f.jc")
    lines = out.splitlines()
    assert lines[1:3] == ["", "rule R"]
    assert lines[3].startswith("  when task.category != ") and lines[4].startswith("    and task.category")
    assert all(len(line) <= WIDTH * 2 for line in lines)
    assert _same_meaning(out, f"pack p\nrule R when {cond} then reject\n")


def test_parentheses_where_structure_needs_them_and_around_and_inside_or():
    out = format_source("pack p\nrule R when ((a or b) and not (c)) or (d and (e or f)) then reject\n", "f.jc")
    assert "when ((a or b) and not c) or (d and (e or f))" in out
    # redundant ones go; the clarifying ones are added where the author left them out
    out = format_source("pack p\nrule R when (a) and ((b)) or c and d then reject\n", "f.jc")
    assert "when (a and b) or (c and d)" in out


def test_shipped_packs_are_formatted():
    """Every shipped pack is in canonical form (run `jiceng fmt` after editing)."""
    result = subprocess.run([sys.executable, "-m", "jiceng.platform.cli", "fmt", "--check", "rule_packs",
                             "tests/fixtures", "benchmarks/anchor_packs"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


NEW_SYNTAX = '''pack p version "2024.06" effective 2024-06-01 extends q documents "../../documents"
source S002 "短标题" file "002.txt" issuer "中共中央 国务院" number "中发〔2017〕13号" date 2017-06-12 url "https://example.gov.cn/a/b/c/d.html" full "中共中央 国务院关于加强和完善城乡社区治理的意见"
source "HB-LIST" "湖北清单"
define 村级组织 "村及其网格" = target.level == village or (target.level == grid and target.community.level == village)
list 证明 kind permitted cite "HB-LIST" "一" quote "只有" {
  "C1" "名称" alias "别名" alias "又名" levels 社区, 村 example cite S002 "四(四)" quote "全面清理基层政府各职能部门要求基层群众性自治组织出具的各类证明" requires funding, work_conditions { 部门: "民政" }  # 注
  remove "C9"
}
rule R "t"
  cite S002 "四(四)" quote "不得将基层群众性自治组织作为行政执法、拆迁拆违、环境整治、城市管理、招商引资等事项的责任主体"
  when 村级组织 and task.item_code in kind assist + kind self_governance
  then require funding, work_conditions "须提供"
test "t" {
  cite S002 "四(四)" quote "不得将"
  quote "不得将"
  given task { title: "x" }
  expect admit
}
'''


def test_new_syntax_round_trips_and_long_lines_wrap_within_the_width():
    once = format_source(NEW_SYNTAX, "f.jc")
    assert format_source(once, "f.jc") == once and _same_meaning(NEW_SYNTAX, once)
    lines = once.splitlines()
    from jiceng.dsl.diagnostics import display_width
    # every line fits, except a single word that is longer than the width by itself
    assert all(display_width(line) <= WIDTH or " " not in line.strip() or line.strip().startswith(("quote", "cite", "\""))
               for line in lines), [line for line in lines if display_width(line) > WIDTH]
    assert lines[2] == '  date 2017-06-12 url "https://example.gov.cn/a/b/c/d.html"'  # metadata continues
    assert 'source "HB-LIST" "湖北清单"' in once  # the id stays quoted
    assert '  C1 "名称" alias "别名" alias "又名" levels 社区, 村 example requires funding, work_conditions\n' in once
    assert "# 注" in once.split("remove")[0]  # the item's trailing comment stays with the item
    assert "    quote \"不得将基层群众性自治组织作为行政执法" in once  # a long cite's quote continues below it
    assert "then require funding, work_conditions \"须提供\"" in once
    assert "  quote \"不得将\"" in once and "  cite S002 \"四(四)\" quote \"不得将\"" in once


def test_a_long_parenthesised_operand_breaks_inside_its_parentheses():
    inner = " or ".join(f'task.category == "很长的类别名称{i}"' for i in range(4))
    src = f"pack p\nrule R when task.one_vote_veto and ({inner}) then reject\n"
    out = format_source(src, "f.jc")
    assert _same_meaning(src, out) and format_source(out, "f.jc") == out
    assert "    and (task.category == \"很长的类别名称0\"" in out and "      or task.category" in out
    assert out.rstrip().splitlines()[-2].endswith(")")


def test_item_codes_and_source_ids_that_are_keywords_are_quoted():
    src = 'pack p\nsource "alias" "x"\nlist L kind assist { "example" "甲"  "levels" "乙" }\n'
    out = format_source(src, "f.jc")
    assert '"example" "甲"' in out and 'source "alias"' in out and _same_meaning(src, out)
