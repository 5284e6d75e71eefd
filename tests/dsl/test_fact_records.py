"""The records rules read about the units and the department around a task (issue 10): ``target.parent``
and ``target.community`` (unit records from the unit registry) and ``source.department`` (the department
registry). They are typed, so a misspelt field is a compile error, and every fact names its source."""
from __future__ import annotations

import pytest

from conftest import build, errors_of

HISTORY = {"assessments_this_year": 0}


def pack_with(cond: str):
    return build({"p": f'pack p\nrule R when {cond} then reject "x"\n'})


@pytest.mark.parametrize("cond", [
    "source.department.own_duty", "source.department.own_assessment and source.department.registered",
    "source.department.kind == functional", "target.community.level == village",
    "target.parent.level in [street, township]", "target.parent.households > 100 户",
    'target.community.parent == "430102001000"', "source.level == street",
])
def test_the_records_type_check(cond):
    pack_with(cond)


@pytest.mark.parametrize("cond, code", [
    ("source.department.owned_duty", "E205"),  # no such fact
    ("source.department.kind == functionl", "E217"),
    ("target.community.level == villag", "E217"),
    ('target.parent == "430102001000"', None),  # target.parent is a unit record, not a code
])
def test_misspelt_or_mistyped_facts_do_not_compile(cond, code):
    found = errors_of({"p": f'pack p\nrule R when {cond} then reject "x"\n'})
    assert found and (code is None or code in {d.code for d in found}), [d.code for d in found]


def test_standards_still_read_a_units_parent_as_its_code():
    build({"p": 'pack p\nstandard S over grid\n  expect unit.parent != "" "有上级"\n'})


def test_the_department_facts_come_from_the_department_registry():
    pack = pack_with("source.department.own_duty and target.community.level == village")
    d = pack.decide({"title": "t"}, {"level": "grid", "community": {"level": "village"}}, HISTORY, source={})
    assert d.decision == "conditional"
    [unknown] = d.to_dict()["unknown"]
    assert unknown["missing"] == ["source.department.own_duty"]
    assert pack.checked.source_of("source.department.own_duty") == "departments"
    assert pack.checked.source_of("source.level") == "units"
    assert pack.checked.source_of("target.community.level") == "units"
    info = next(q for q in d.requirements if q["code"] == "information")
    assert "source.department.own_duty" in info["message"]


def test_a_grid_in_a_village_is_reached_through_its_community():
    pack = pack_with("target.community.level == village")
    assert pack.decide({"title": "t"}, {"level": "grid", "community": {"level": "village"}}, HISTORY).decision == "reject"
    assert pack.decide({"title": "t"}, {"level": "grid", "community": {"level": "community"}}, HISTORY).decision == "admit"
    assert pack.decide({"title": "t"}, {"level": "grid", "community": None}, HISTORY).decision == "conditional"
