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
