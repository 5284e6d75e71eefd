"""No English where an operator reads the standards (issue 13): params in words (每万人 18 人),
levels in Chinese, measures by their titles, and street sums that do not read as a contradiction."""
from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from jiceng.platform.cli import main
from jiceng.platform.cli import service as commands
from jiceng.platform.units.standards_output import quantity_text


@pytest.mark.parametrize("written, said", [
    ("18 人 per 10000 人", "每万人 18 人"), ("30 平方米 per 100 户", "每百户 30 平方米"),
    ("2 人 per 3 户", "每 3 户 2 人"), ("300..500 户", "300..500 户"), ("2 次", "2 次")])
def test_params_in_words(written, said):
    assert quantity_text(written) == said


def test_the_standards_table_reads_in_chinese(shipped_database, monkeypatch):
    monkeypatch.setattr(commands, "_database", lambda: shipped_database)
    r = CliRunner().invoke(main, ["standards", "--tenant", "changsha", "--all", "--limit", "20"])
    assert r.exit_code == 0, r.output
    text = r.output
    for english in (" per ", "=", "评价 community", "floor", "ceiling", "required", "gap", "workers"):
        assert english not in text, english
    assert "每万人 18 人" in text and "每百户 30 平方米" in text and "评价社区," in text
    # a street whose sums of 应配 and 实有 are equal can still have 缺员: the table says why
    street = next(line for line in text.splitlines() if line.strip().startswith("430102001000")
                  and "应配社区工作者" in line)
    m = re.search(r"社区工作者 (\d+),应配社区工作者 (\d+),缺员 (\d+)", street)
    assert m, street
    assert "有余的单位不抵别处的缺口" in text
