"""Extending the language without touching the grammar (docs/extending.md).

The worked example of the guide is installed as a real distribution (a
dist-info folder with its entry point on a temporary sys.path entry) and
loaded through the ``jiceng.functions`` entry-point group.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from conftest import build, errors_of
from jiceng.dsl.functions import Registry, default_registry, load_entry_points

GUIDE = (Path(__file__).resolve().parents[2] / "docs" / "extending.md").read_text(encoding="utf-8")


def _guide_block(lang: str, contains: str) -> str:
    for m in re.finditer(rf"```{lang}\n(.*?)```", GUIDE, re.DOTALL):
        if contains in m.group(1):
            return m.group(1)
    raise AssertionError(f"no {lang} block with {contains!r} in docs/extending.md")


@pytest.fixture
def installed_example(tmp_path, monkeypatch):
    """The guide's jiceng-holidays distribution, installed on a temporary path."""
    (tmp_path / "jiceng_holidays.py").write_text(_guide_block("python", "def register(registry)"),
                                                 encoding="utf-8")
    info = tmp_path / "jiceng_holidays-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: jiceng-holidays\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[jiceng.functions]\nholidays = jiceng_holidays:register\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    sys.modules.pop("jiceng_holidays", None)


def test_worked_example_loads_through_its_entry_point(installed_example):
    registry = default_registry().copy()
    assert "holidays" in load_entry_points(registry)
    rule = _guide_block("jc", "rule 工作日不足")
    pack = build({"p": "pack p\n" + rule}, registry=registry)
    # 2024-04-30 (Tue) to 2024-05-06 (Mon): 1 May–3 May are holidays, 4–5 May a weekend
    assert pack.decide({"title": "t", "deadline": "2024-05-06"}, today="2024-04-30").rule_ids == ["工作日不足"]
    assert pack.decide({"title": "t", "deadline": "2024-05-10"}, today="2024-04-30").rule_ids == []
    assert "complaints_this_month" in registry.history and registry.units.get("公里") is not None


def test_the_checker_types_extensions_like_builtins(installed_example):
    registry = default_registry().copy()
    load_entry_points(registry)
    cases = {"working_days(today, task.deadline) < 3": "E302",
             "working_days(task.title, today) < 3 天": "E301",
             "working_day(today, task.deadline) < 3 天": "E206"}
    for cond, code in cases.items():
        (d,) = errors_of({"p": f"pack p\nrule R when {cond} then warn"}, registry=registry)
        assert d.code == code, cond
    (d,) = errors_of({"p": "pack p\nrule R when working_day(today, task.deadline) < 3 天 then warn"},
                     registry=registry)
    assert "working_days" in d.hint


def test_decorator_registration_and_signatures():
    registry = Registry()

    @registry.function("share", "(num[U], num[U]) -> num", doc="占比")
    def share(part, whole):
        return None if part is None or not whole else part / whole

    pack = build({"p": "pack p\nrule R when share(target.workers, target.population) < 0.5 then warn"},
                 registry=registry)
    assert pack.decide({"title": "t"}, {"workers": 1, "population": 4}).rule_ids == ["R"]
    (d,) = errors_of({"p": "pack p\nrule R when share(target.workers, target.households) < 0.5 then warn"},
                     registry=registry)
    assert d.code == "E302"


def test_registered_units_convert_to_their_base():
    pack = build({"p": "pack p\nrule R when task.budget >= 5 万元 then require approval \"大额须审批\""},
                 task_form={"properties": {"title": {"type": "string"},
                                           "budget": {"type": "number", "x-unit": "元"}}})
    assert pack.decide({"title": "t", "budget": 50000}).decision == "conditional"
    assert pack.decide({"title": "t", "budget": 49999}).decision == "admit"
