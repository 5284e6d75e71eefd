"""department_facts: what rules read about the sending department, from the registry alone.

Pure: no database. A fact the registry and the task cannot settle is None (unknown), never False.
"""
from __future__ import annotations

from hypothesis import given, strategies as st

from jiceng.platform.departments.facts import department_facts
from jiceng.platform.departments.registry import DepartmentInfo

MINZHENG = DepartmentInfo("changsha", "frq-mzj", "区民政局", "430102000000", "芙蓉区", "functional",
                          ("HN-XZ-01", "QG-XZ-05"), ("社会救助", "养老服务"))
PARTY = DepartmentInfo("changsha", "frq-dwzf", "区委区政府", "430102000000", "芙蓉区", "government", (), ())
ITEMS_ONLY = DepartmentInfo("changsha", "frq-tjj", "区统计局", "430102000000", "芙蓉区", "functional",
                            ("HN-XZ-14",), ())


def test_an_unregistered_department_is_known_only_as_unregistered():
    assert department_facts({"item_code": "HN-XZ-01", "kind": "assessment"}, None) == {
        "registered": False, "code": None, "name": None, "unit": None, "kind": None,
        "own_duty": None, "own_assessment": None}


def test_the_registry_entry_is_part_of_the_facts():
    facts = department_facts({"item_code": "HN-XZ-01"}, MINZHENG)
    assert {k: facts[k] for k in ("registered", "code", "name", "unit", "kind")} == {
        "registered": True, "code": "frq-mzj", "name": "区民政局", "unit": "430102000000", "kind": "functional"}


def test_own_duty_by_item_code_or_category():
    assert department_facts({"item_code": "HN-XZ-01", "category": "城市管理"}, MINZHENG)["own_duty"] is True
    assert department_facts({"item_code": "HN-XZ-99", "category": "养老服务"}, MINZHENG)["own_duty"] is True
    assert department_facts({"item_code": "HN-XZ-99", "category": "城市管理"}, MINZHENG)["own_duty"] is False


def test_own_duty_is_unknown_when_the_task_leaves_out_what_could_match():
    assert department_facts({"item_code": "HN-XZ-99"}, MINZHENG)["own_duty"] is None
    assert department_facts({"category": "城市管理", "item_code": ""}, MINZHENG)["own_duty"] is None
    assert department_facts({}, MINZHENG)["own_duty"] is None
    # a department listing no categories cannot own the task by category: the item settles it
    assert department_facts({"item_code": "HN-XZ-01"}, ITEMS_ONLY)["own_duty"] is False
    assert department_facts({"item_code": "HN-XZ-14"}, ITEMS_ONLY)["own_duty"] is True
    assert department_facts({"category": "人口普查"}, ITEMS_ONLY)["own_duty"] is None
    # an empty 权责清单 owns nothing
    assert department_facts({}, PARTY)["own_duty"] is False


def test_own_assessment_is_a_functional_departments_assessment_or_inspection():
    assert department_facts({"kind": "assessment"}, MINZHENG)["own_assessment"] is True
    assert department_facts({"kind": "inspection"}, MINZHENG)["own_assessment"] is True
    assert department_facts({"kind": "work"}, MINZHENG)["own_assessment"] is False
    assert department_facts({"kind": "assessment"}, PARTY)["own_assessment"] is False  # 党委政府统一组织的考核
    assert department_facts({}, MINZHENG)["own_assessment"] is None


words = st.one_of(st.none(), st.just(""), st.sampled_from(["HN-XZ-01", "QG-XZ-05", "X", "社会救助", "养老服务", "城管"]))
entries = st.lists(st.sampled_from(["HN-XZ-01", "QG-XZ-05", "X", "社会救助", "养老服务", "城管"]), max_size=3, unique=True)


@given(item=words, category=words, items=entries, categories=entries,
       kind=st.sampled_from([None, "work", "assessment", "inspection", "ledger"]),
       department_kind=st.sampled_from(["functional", "government"]))
def test_own_duty_is_three_valued_or_of_the_two_lists(item, category, items, categories, kind, department_kind):
    d = DepartmentInfo("t", "c", "n", "430102000000", None, department_kind, tuple(items), tuple(categories))
    facts = department_facts({"item_code": item, "category": category, "kind": kind}, d)
    listed = (bool(item) and item in items) or (bool(category) and category in categories)
    could_match = (not item and items) or (not category and categories)
    assert facts["own_duty"] is (True if listed else None if could_match else False)
    assert facts["own_assessment"] is (None if kind is None else
                                       kind in ("assessment", "inspection") and department_kind == "functional")
