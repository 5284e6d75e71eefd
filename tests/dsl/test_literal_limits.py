"""Issue 11: number literals out of bounds and regular expressions.

A number literal too large, too long or too precise is E109 at its line and
column (it used to escape as ValueError / OverflowError). ``matches`` takes
only a literal pattern (E309), checked at compile time (E305), and runs on
RE2, so a catastrophic-backtracking pattern cannot stall a decision.
"""
from __future__ import annotations

import subprocess
from pathlib import Path
import sys
import textwrap

import pytest
from click.testing import CliRunner

from conftest import build, errors_of
from jiceng.dsl.parser import MAX_DECIMALS, MAX_NUMBER, number_problem
from jiceng.platform.cli import main


def _rule(cond: str) -> dict:
    return {"x": f"pack x\nrule R when {cond} then warn"}


@pytest.mark.parametrize("literal", [
    "9" * 5000,                      # over Python's int() digit limit
    "1" + "0" * 400 + ".5",          # float() would overflow to inf
    str(MAX_NUMBER + 1),
    f"{MAX_NUMBER}.5",
    "0." + "0" * 6 + "1",            # 7 decimal places
    "0" * 100 + ".5",                # harmless value, absurd spelling
])
def test_out_of_range_number_is_E109_at_its_position(literal):
    diags = errors_of(_rule(f"target.workers > {literal} 人"))
    assert [d.code for d in diags] == ["E109"]
    assert (diags[0].span.line, diags[0].span.column) == (2, 30)
    assert "超出范围" in diags[0].message


@pytest.mark.parametrize("where", [
    "target.workers > {n} 人",
    "target.workers > 1 人 per {n} 人",
    "target.workers in 1..{n} 人",
    "target.workers * {n} > 1 人",
])
def test_every_number_position_is_checked(where):
    diags = errors_of(_rule(where.format(n="1" + "0" * 5000)))
    assert [d.code for d in diags] == ["E109"]


def test_huge_number_in_a_test_value_is_E109():
    src = ('pack x\nrule R when target.workers > 5 人 then warn\n'
           'test "T" { given target { workers: ' + "9" * 5000 + ' } expect admit }')
    assert "E109" in [d.code for d in errors_of({"x": src})]


def test_numbers_at_the_bounds_compile_and_decide():
    pack = build(_rule(f"target.workers > {MAX_NUMBER} 人 or target.workers > 0.{'0' * (MAX_DECIMALS - 1)}1 人"))
    assert pack.decide({"title": "t"}, {"level": "street", "workers": 1}).decision == "admit"
    assert number_problem("0.1000000000") is None  # trailing zeros are not precision
    assert number_problem(f"{MAX_NUMBER}.000") is None


def test_lint_reports_a_huge_number_without_a_traceback(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "pack.jc").write_text(
        "pack x\nrule R when target.workers > " + "9" * 5000 + " 人 then warn\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["lint", str(tmp_path)], catch_exceptions=False)
    assert r.exit_code == 1
    assert "x/pack.jc:2:30: 错误 E109" in r.output and "Traceback" not in r.output


# ------------------------------------------------------------------ matches()
def test_non_literal_pattern_is_E309_at_the_argument():
    diags = errors_of(_rule("matches(task.title, task.category)"))
    assert [d.code for d in diags] == ["E309"]
    assert (diags[0].span.line, diags[0].span.column) == (2, 33)


def test_param_pattern_is_E309():
    src = 'pack x\nparam 模式 = "考核" free\nrule R when matches(task.title, 模式) then warn'
    assert [d.code for d in errors_of({"x": src})] == ["E309"]


@pytest.mark.parametrize("pattern", ["考核(", r"(a)\\1", "(?=a)b", "a{1000}{1000}"])
def test_invalid_or_unsupported_pattern_is_E305_with_position(pattern):
    diags = errors_of(_rule(f'matches(task.title, "{pattern}")'))
    assert [d.code for d in diags] == ["E305"]
    assert (diags[0].span.line, diags[0].span.column) == (2, 13)
    assert "RE2" in diags[0].message


def test_literal_pattern_still_matches_anywhere():
    pack = build(_rule(r'matches(task.title, "考核\\d+次")'))
    assert pack.decide({"title": "年度考核3次评比"}).rule_ids == ["R"]
    assert pack.decide({"title": "年度考核"}).rule_ids == []


def test_catastrophic_backtracking_pattern_decides_quickly():
    # Run in a child process with a timeout: a hang fails the test instead of
    # stalling the suite, and no timing threshold is asserted.
    script = textwrap.dedent('''
        import sys
        sys.path.insert(0, sys.argv[1])
        from conftest import build
        pack = build({"x": 'pack x\\nrule R when matches(task.title, "^(a+)+$") then warn'})
        for _ in range(50):
            assert pack.decide({"title": "a" * 27 + "!"}).rule_ids == []
            assert pack.decide({"title": "a" * 5000 + "!"}).rule_ids == []
        assert pack.decide({"title": "a" * 27}).rule_ids == ["R"]
        print("ok")
    ''')
    here = Path(__file__).parent  # the child imports tests/dsl/conftest.py from here
    r = subprocess.run([sys.executable, "-c", script, str(here)], capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


def test_regex_cache_is_bounded():
    from jiceng.dsl.functions import _compiled
    assert _compiled.cache_info().maxsize is not None
