"""Finding the department a task names: on the sending unit's chain, nearest first, within reach;
and the check of a task's ``source_department`` (``unknown_department``, with a did-you-mean).

The registry is conftest's: 芙蓉区 430102000000 has 区民政局 (frq-mzj), its street 文艺路街道
430102001000 a 区民政局 of its own (wyl-mzj, the nearer one from below it), 长沙市 a 市民政局, and
hunan's province unit the 省民政厅 (hunan's registry, outside changsha's reach).
"""
from __future__ import annotations

import pytest

from jiceng.platform.departments.registry import require_registered, resolve
from jiceng.platform.errors import Invalid

GRID, COMMUNITY, STREET, OTHER_STREET = "430102001001001", "430102001001", "430102001000", "430102002000"


@pytest.fixture
def session(registry, database):
    with database.read() as s:
        yield s


def code_of(department):
    return department.code if department is not None else None


def test_the_nearest_registered_department_on_the_unit_chain_wins(session):
    assert code_of(resolve(session, "changsha", COMMUNITY, "区民政局")) == "wyl-mzj"
    assert code_of(resolve(session, "changsha", OTHER_STREET, "区民政局")) == "frq-mzj"
    assert code_of(resolve(session, "changsha", GRID, "市民政局")) == "cs-mzj"
    assert code_of(resolve(session, "changsha", GRID, " frq-mzj ")) == "frq-mzj"  # by code, from anywhere below
    found = resolve(session, "changsha", STREET, "街道党工委办事处")
    assert (found.kind, found.unit, found.unit_name) == ("government", STREET, "文艺路街道")


def test_nothing_is_found_outside_the_chain_or_the_reach(session):
    assert resolve(session, "changsha", OTHER_STREET, "街道党工委办事处") is None  # registered at 文艺路街道 only
    assert resolve(session, "changsha", COMMUNITY, "省民政厅") is None  # hunan's registry: not changsha's reach
    assert code_of(resolve(session, "hunan", COMMUNITY, "省民政厅")) == "hn-mzt"
    assert code_of(resolve(session, "hunan", COMMUNITY, "区民政局")) == "wyl-mzj"  # changsha is within hunan's reach
    assert resolve(session, "zhuzhou", COMMUNITY, "区民政局") is None
    assert resolve(session, "changsha", "999999999999", "区民政局") is None
    assert resolve(session, "changsha", None, "区民政局") is None
    assert resolve(session, "changsha", COMMUNITY, "") is None
    assert resolve(session, "changsha", COMMUNITY, "局" * 10_000) is None


def test_a_task_naming_a_registered_department_passes(session):
    task = {"title": "低保入户调查", "source_unit": COMMUNITY, "source_department": "区民政局"}
    assert code_of(require_registered(session, "changsha", task)) == "wyl-mzj"


@pytest.mark.parametrize("department", [None, "", "  "])
def test_a_task_without_a_department_is_sent_by_the_party_and_government(session, department):
    task = {"title": "年度综合考核", "source_unit": STREET}
    if department is not None:
        task["source_department"] = department
    assert require_registered(session, "changsha", task) is None


def problem(session, task, tenant="changsha") -> Invalid:
    with pytest.raises(Invalid) as caught:
        require_registered(session, tenant, task)
    e = caught.value
    assert len(e.details) == 1 and e.details[0]["message"] == e.message
    return e


def test_an_unknown_department_is_refused_with_what_was_meant(session):
    e = problem(session, {"source_unit": STREET, "source_department": "区名政局"})
    assert e.code == "unknown_department" and e.details[0]["path"] == "/source_department"
    assert e.message.startswith("下派部门“区名政局”不在文艺路街道(430102001000)及其上级单位的部门名录中")
    assert "您是不是要写 区民政局" in e.message


def test_a_department_registered_elsewhere_says_where(session):
    e = problem(session, {"source_unit": OTHER_STREET, "source_department": "街道党工委办事处"})
    assert e.code == "unknown_department"
    assert "名录中的“街道党工委办事处”属于 文艺路街道(430102001000)" in e.message


def test_what_cannot_be_looked_up(session):
    e = problem(session, {"source_department": "区民政局"})
    assert e.code == "source_unit_missing" and e.details[0]["path"] == "/source_unit"
    e = problem(session, {"source_unit": "999999999999", "source_department": "区民政局"})
    assert e.code == "unknown_department" and "单位 999999999999" in e.message
    e = problem(session, {"source_unit": STREET, "source_department": 42})
    assert e.code == "unknown_department"
    e = problem(session, {"source_unit": STREET, "source_department": "局" * 10_000})
    assert e.code == "unknown_department" and len(e.message) < 200  # the name is cut short, no hint is sought
    e = problem(session, {"source_unit": COMMUNITY, "source_department": "省民政厅"})
    assert e.code == "unknown_department"
