"""Missing means unknown, and unknown never admits (issue 10; SPEC §4.5).

Three-valued logic in the rules, the decision it leads to (``information``, ``unknown
reject``), task-form defaults, history the runtime must supply, explain, and the facts
standards derive.
"""
from __future__ import annotations

import pytest

from conftest import build, errors_of
from jiceng.dsl.errors import DecisionInputError
from jiceng.dsl.formatter import format_source
from jiceng.dsl.parser import parse
from jiceng.dsl.taskform import FormError, read_task_form
from jiceng.dsl.units import default_units

FORM = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "a": {"type": "boolean"},
        "b": {"type": "boolean"},
        "n": {"type": "integer", "x-unit": "人"},
        "code": {"type": "string", "default": ""},
        "flag": {"type": "boolean", "default": False},
        "items": {"type": "array", "items": {"type": "object", "properties": {"n": {"type": "integer"}}}},
    },
}
HISTORY = {"assessments_this_year": 0}


def truth(cond: str, task: dict) -> object:
    """The value of ``cond`` for ``task``: True (fired), False, or None (unknown)."""
    pack = build({"p": f'pack p\nrule R when {cond} then reject "x"\n'}, task_form=FORM)
    d = pack.decide({"title": "t", **task}, explain=True)
    return d.trace[0]["fired"]


# ---------------------------------------------------------------- three-valued logic
@pytest.mark.parametrize("task, want", [({"a": True}, False), ({"a": False}, True), ({}, None), ({"a": None}, None)])
def test_not_of_unknown_is_unknown(task, want):
    assert truth("not task.a", task) is want


@pytest.mark.parametrize("a, b, conj, disj", [
    (None, False, False, None), (None, True, None, True), (False, None, False, None), (True, None, None, True),
    (None, None, None, None), (True, True, True, True), (True, False, False, True),
])
def test_and_or_follow_kleene(a, b, conj, disj):
    task = {k: v for k, v in (("a", a), ("b", b)) if v is not None}
    assert truth("task.a and task.b", task) is conj
    assert truth("task.a or task.b", task) is disj


@pytest.mark.parametrize("cond", [
    "task.n > 2 人", "task.n == 2 人", "task.n != 2 人", "task.n + 1 人 > 2 人", "task.n in 1..3 人",
    "task.title contains \"x\"", "abs(task.n) > 1 人", "max(task.n, 1 人) > 0 人", "task.title in [\"t\", \"u\"]",
    "task.n not in 1..3 人",
])
def test_an_unknown_operand_makes_comparisons_arithmetic_and_calls_unknown(cond):
    assert truth(cond, {"title": None}) is None  # task.n is absent, task.title null


def test_two_missing_values_are_not_equal_but_unknown():
    pack = build({"p": 'pack p\nrule R when task.a == task.b then reject\n'}, task_form=FORM)
    assert pack.decide({"title": "t"}, explain=True).trace[0]["fired"] is None


def test_missing_is_the_two_valued_test_of_absence():
    assert truth("missing(task.a)", {}) is True
    assert truth("missing(task.a)", {"a": False}) is False
    assert truth("present(task.a) and not task.a", {}) is False  # the guard decides: nothing unknown


@pytest.mark.parametrize("cond", ["any(x in task.items: x.n > 1)", "all(x in task.items: x.n > 1)",
                                  "count(x in task.items) > 0", "sum(x in task.items: x.n) > 0"])
def test_quantifiers_over_a_missing_array_are_unknown(cond):
    assert truth(cond, {}) is None


def test_an_element_s_unknown_field_leaves_any_true_when_another_holds():
    assert truth("any(x in task.items: x.n > 1)", {"items": [{"n": None}, {"n": 5}]}) is True
    assert truth("any(x in task.items: x.n > 1)", {"items": [{"n": None}, {"n": 0}]}) is None
    assert truth("all(x in task.items: x.n > 1)", {"items": [{"n": None}, {"n": 0}]}) is False


def test_a_list_lookup_is_pack_data_and_never_unknown():
    pack = build({"p": '''pack p
list L kind assist { A "甲" requires funding { 网格: true }  B "乙" }
rule 网格 when not (L[task.code].网格 == true) then reject
rule 经费 when "funding" in L[task.code].requires then warn
'''}, task_form=FORM)
    for code, fired in (("A", ["经费"]), ("B", ["网格"]), ("ZZ", ["网格"]), ("", ["网格"])):
        d = pack.decide({"title": "t", "code": code})
        assert d.rule_ids == fired and d.unknown == [], code


# ---------------------------------------------------------------- the decision
PACK = '''pack p
requirement training "培训"
rule 拒绝 when task.a then reject "a"
rule 要求 when task.b then require training "b"
rule 提示 when task.n > 1 人 then warn "n"
'''


@pytest.fixture(scope="module")
def pack():
    return build({"p": PACK}, task_form=FORM)


def test_an_unknown_rule_does_not_fire_and_never_admits(pack):
    d = pack.decide({"title": "t", "b": False})
    assert d.rule_ids == [] and d.decision == "conditional"
    assert d.requirements == [{"code": "information", "message": "须补充:task.a"}]
    assert d.unknown == [{"rule": "拒绝", "pack": "p", "missing": ["task.a"]}]
    assert d.to_dict()["unknown"] == d.unknown


def test_information_names_every_missing_fact_once_after_the_rules_requirements(pack):
    d = pack.decide({"title": "t"})
    assert d.requirements == [{"code": "information", "message": "须补充:task.a、task.b"}]
    d = pack.decide({"title": "t", "b": True})
    assert [q["code"] for q in d.requirements] == ["training", "information"]


def test_an_unknown_warning_cannot_change_the_decision(pack):
    d = pack.decide({"title": "t", "a": False, "b": False}, explain=True)
    assert d.decision == "admit" and d.unknown == [] and d.requirements == []
    assert [t["fired"] for t in d.trace] == [False, False, None]  # explain still shows it


def test_a_reject_lists_no_requirements_even_with_unknown_rules(pack):
    d = pack.decide({"title": "t", "a": True})
    assert d.decision == "reject" and d.requirements == [] and d.to_dict()["requirements"] == []
    assert [r["rule"] for r in d.reasons] == ["拒绝"] and d.unknown[0]["rule"] == "要求"
    assert pack.decide({"title": "t", "a": True, "b": True}).requirements == []


def test_explain_marks_unknown_rules_with_the_missing_facts_and_their_sources(pack):
    d = pack.decide({"title": "t"}, explain=True)
    entry = d.trace[0]
    assert entry["fired"] is None and entry["values"] == {"task.a": None}
    assert entry["missing"] == [{"path": "task.a", "source": "sender", "source_label": "下派方(任务表单)"}]
    assert "missing" not in pack.decide({"title": "t", "a": False, "b": False}, explain=True).trace[0]


def test_unknown_reject_rejects_and_says_which_facts_were_missing():
    pack = build({"p": '''pack p
rule 部门 "部门权责事项须经统一部署"
  when task.a and not task.b
  then reject "须经统一部署"
  unknown reject
rule 说明 when task.a then warn
  unknown reject "未说明是否属于部门权责事项的"
'''}, task_form=FORM)
    d = pack.decide({"title": "t", "a": True})
    assert d.decision == "reject" and d.requirements == [] and d.rule_ids == ["部门", "说明"]
    reason = d.reasons[0]
    assert reason["rule"] == "部门" and reason["effect"] == "reject" and reason["missing"] == ["task.b"]
    assert reason["message"] == "无法判断规则“部门权责事项须经统一部署”是否适用:缺少 task.b,按规则不予准入"
    d = pack.decide({"title": "t"})
    assert d.rule_ids == ["部门", "说明"]
    assert d.reasons[1]["message"] == "未说明是否属于部门权责事项的:缺少 task.a,按规则不予准入"
    assert pack.decide({"title": "t", "a": True, "b": False}).reasons[0]["message"] == "须经统一部署"
    assert pack.decide({"title": "t", "a": False}).decision == "admit"


def test_unknown_reject_round_trips_through_the_formatter_and_is_checked():
    src = 'pack p\n\nrule R\n  when task.a\n  then warn\n  unknown reject "x"\n'
    module, diags = parse(src, "p.jc")
    assert not diags and format_source(src) == src
    assert module.decls[1].unknown[0].message == "x"
    codes = [d.code for d in errors_of({"p": "pack p\nrule R when task.a then warn unknown reject unknown reject"},
                                       task_form=FORM)]
    assert codes == ["E215"]
    warned = build({"p": "pack p\nrule R when today >= 2024-01-01 then warn unknown reject"}, task_form=FORM)
    assert [w.code for w in warned.warnings] == ["W303"]


# ---------------------------------------------------------------- defaults and history
def test_a_form_default_says_what_absence_means():
    pack = build({"p": 'pack p\nrule R when task.code == "" and not task.flag then reject\n'}, task_form=FORM)
    assert pack.decide({"title": "t"}).rule_ids == ["R"]
    assert pack.decide({"title": "t", "code": None, "flag": None}).rule_ids == ["R"]  # null is absent too
    assert pack.decide({"title": "t", "flag": True}).decision == "admit"


def test_form_defaults_are_read_through_all_of_and_refs_and_must_fit_the_field():
    form = {"$defs": {"b": {"type": "boolean", "default": True}},
            "allOf": [{"properties": {"x": {"$ref": "#/$defs/b"}}},
                      {"properties": {"y": {"type": "string", "enum": ["p", "q"], "default": "q"}}}]}
    assert dict(read_task_form(form, default_units()).defaults) == {"x": True, "y": "q"}
    with pytest.raises(FormError, match="default"):
        read_task_form({"properties": {"n": {"type": "integer", "default": "zero"}}}, default_units())


def test_history_needed_and_a_null_history_fact_is_unknown():
    pack = build({"p": "pack p\nrule R when task.a and history.assessments_this_year >= 2 次 then reject\n"},
                 task_form=FORM)
    assert pack.history_needed == frozenset({"assessments_this_year"})
    with pytest.raises(DecisionInputError) as info:
        pack.decide({"title": "t", "a": False}, history={"plaques": 1})  # refused even where a rule would not read it
    assert info.value.code == "E703" and "assessments_this_year" in info.value.message
    assert pack.decide({"title": "t", "a": False}, history={"assessments_this_year": None}).decision == "admit"
    d = pack.decide({"title": "t", "a": True}, history={"assessments_this_year": None})
    assert d.decision == "conditional" and d.unknown[0]["missing"] == ["history.assessments_this_year"]


def test_pack_tests_take_registered_history_defaults_and_null_means_unknown():
    pack = build({"p": '''pack p
rule R when history.assessments_this_year >= 1 次 then reject
test "没有历史" { given task { title: "t" } expect admit }
test "未知" { given task { title: "t" } given history { assessments_this_year: null } expect conditional }
'''}, task_form=FORM)
    assert pack.run_tests().passed


def test_the_failing_rule_is_located_at_the_decision_s_date():
    from jiceng.dsl.functions import default_registry
    registry = default_registry().copy()

    @registry.function("坏", "(str) -> bool")
    def bad(text):
        raise RuntimeError("外部服务不可用")

    pack = build({"p": 'pack p\nrule 远期 when today >= 2030-01-01 and 坏(task.title) then warn\n'
                       'rule 其他 when task.title == "y" then warn\n'}, registry=registry)
    with pytest.raises(DecisionInputError) as info:
        pack.decide({"title": "x"}, today="2031-01-01")
    assert info.value.code == "E702" and "远期" in info.value.message


# ---------------------------------------------------------------- indexing, sources, derived facts
def test_an_unknown_indexed_field_reports_the_indexed_rules_that_could_apply():
    rules = "\n".join(f"rule R{i} when target.level == {'street' if i % 2 else 'community'} and task.a then reject"
                      for i in range(20))
    pack = build({"p": "pack p\n" + rules + "\nrule 否 when target.level == grid and task.a then reject\n"},
                 task_form=FORM)
    assert pack.compiled.index_paths == ["target.level"]
    d = pack.decide({"title": "t", "a": True}, {})
    assert d.decision == "conditional" and len(d.unknown) == 21
    assert d.unknown[0] == {"rule": "R0", "pack": "p", "missing": ["target.level"]}
    assert pack.decide({"title": "t", "a": False}, {}).decision == "admit"  # a false conjunct settles them


def test_every_fact_has_a_declared_source():
    pack = build({"p": '''pack p
standard 配备 over community
  measure gap = max(unit.population - unit.workers, 0 人)
  expect gap == 0 人
  export gap as staffing_gap
'''}, task_form=FORM)
    source = pack.checked.source_of
    assert [source(p) for p in ("task.a", "target.level", "source.code", "history.plaques", "target.staffing_gap")] \
        == ["sender", "units", "units", "runtime", "standards"]


def test_a_derived_fact_is_unknown_when_the_unit_data_it_derives_from_is_missing():
    pack = build({"p": '''pack p
standard 配备 over community
  measure gap = max(unit.population - unit.workers, 0 人)
  expect gap == 0 人
  export gap as staffing_gap
  export compliant as staffed
'''}, task_form=FORM)
    unit = {"level": "community", "workers": 3}
    assert pack.evaluate_standard("配备", unit)["gap"] == 0  # a report's two-valued rules skip the missing value
    assert pack.derived_facts(unit) == {"staffing_gap": None, "staffed": None}  # a rule must not read 0
    assert pack.derived_facts({**unit, "population": 5}) == {"staffing_gap": 2, "staffed": False}
    assert pack.derived_facts({"level": "street"}) == {}


def test_a_fact_whose_absence_the_rule_tests_itself_is_not_asked_for():
    pack = build({"p": 'pack p\nrule R when task.a and (missing(task.n) or task.n < 3 人) then reject\n'},
                 task_form=FORM)
    assert pack.decide({"title": "t"}).unknown == [{"rule": "R", "pack": "p", "missing": ["task.a"]}]
    assert pack.decide({"title": "t", "a": True}).rule_ids == ["R"]  # missing(task.n) holds: nothing unknown
