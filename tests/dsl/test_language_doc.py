"""docs/language.md: its complete example compiles on the shipped chain and
decides as the text says; every construct the text names exists."""
from __future__ import annotations

import re
from pathlib import Path

from jiceng.dsl.api import compile_pack
from jiceng.dsl.loader import FileLoader, MemoryLoader
from jiceng.dsl.resolver import LIST_KINDS, REQUIREMENT_CODES

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")


def test_the_first_example_is_a_working_changsha_pack():
    example = re.search(r"```jc\n(.*?)```", DOC, re.DOTALL).group(1)
    pack = compile_pack("changsha", MemoryLoader({"changsha": {"pack.jc": example}},
                                                 fallback=FileLoader(ROOT / "rule_packs")),
                        forms=ROOT / "form_schemas")
    assert [u["tenant"] for u in pack.chain] == ["national", "hunan", "changsha"]
    report = pack.run_tests()
    assert report.passed and report.uncovered == []
    d = pack.decide({"title": "招商", "category": "招商引资", "role": "responsible"}, {"level": "street"},
                    {name: 0 for name in pack.history_needed})
    assert "街道取消招商引资" in d.rule_ids and d.decision == "reject"


def test_the_tables_name_the_real_kinds_and_requirement_codes():
    for kind in LIST_KINDS:
        assert f"`{kind}`" in DOC
    for code in REQUIREMENT_CODES:
        assert f"`{code}`" in DOC
