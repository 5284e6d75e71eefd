"""Issue 12's language: items with aliases, levels, examples and citations; lists by kind;
named conditions; several requirements at once; source metadata; effective dates."""
from __future__ import annotations

import pytest

from conftest import build, errors_of
from jiceng.dsl.pack import DecisionInputError
from jiceng.dsl.parser import parse

NATIONAL = '''pack national version "2024.06" effective 2024-06-01
source S002 "2017 意见" file "002.txt" issuer "中共中央 国务院" number "中发〔2017〕13号" date 2017-06-12
source "HB-LIST" "湖北清单"
list 自治 kind self_governance cite S002 "二(二)" {
  "Z1" "组织换届选举"
  "Z2" "村务公开" levels 村, grid
}
list 证明 kind certificate_excluded {
  "M1" "婚育状况证明" alias "生育状况证明" cite S002 "四(四)" quote "全面清理" example
  "M2" "居住证明" cite "HB-LIST" "一"
}
define 社区级 "社区及其以下" = target.level in [community, village, grid]
define 村级组织 = target.level == village or (target.level == grid and target.community.level == village)
rule 清单外 cite S002 "四(四)"
  when 社区级 and task.item_code not in kind self_governance + kind assist
  then reject
rule 证明 cite S002 "四(四)" quote "出具的各类证明"
  when 社区级 and task.title in kind certificate_excluded
  then reject "不应由社区出具"
rule 协助须保障 cite S002 "四(四)"
  when 社区级 and task.item_code in kind assist and not task.funding_provided
  then require funding, work_conditions "请提供经费和工作条件"
'''

HUNAN = '''pack hunan version "2024.06" effective 2024-07-01 extends national
list 湖南主责 kind self_governance { "HN1" "湖南自治事项" }
list 湖南协助 kind assist { "HNX" "湖南协助事项" requires funding }
'''


def test_a_province_list_of_a_kind_counts_whatever_its_name():
    pack = build({"national": NATIONAL, "hunan": HUNAN})
    assert pack.decide({"item_code": "HN1", "title": "t"}, {"level": "community"}).decision == "admit"
    assert pack.decide({"item_code": "HN9", "title": "t"}, {"level": "community"}).decision == "reject"
    national = build({"national": NATIONAL})
    assert national.decide({"item_code": "HN1", "title": "t"}, {"level": "community"}).decision == "reject"


def test_items_limited_to_levels_count_only_there_and_are_unknown_without_a_level():
    pack = build({"national": NATIONAL})
    assert pack.decide({"item_code": "Z2", "title": "t"}, {"level": "village"}).decision == "admit"
    assert pack.decide({"item_code": "Z2", "title": "t"}, {"level": "community"}).decision == "reject"
    d = pack.decide({"item_code": "Z2", "title": "t"}, {})
    assert "清单外" not in d.rule_ids and any(u["rule"] == "清单外" for u in d.unknown)
    assert "target.level" in next(u for u in d.unknown if u["rule"] == "清单外")["missing"]


def test_rules_match_an_item_by_name_or_alias_and_the_reason_cites_the_item():
    pack = build({"national": NATIONAL})
    for title in ("婚育状况证明", "生育状况证明", "M1"):
        d = pack.decide({"item_code": "Z1", "title": title}, {"level": "community"})
        assert d.rule_ids == ["证明"], title
        (reason,) = d.reasons
        assert reason["items"][0]["code"] == "M1" and reason["example"] is True
        assert "示例事项" in reason["message"]
        assert "全面清理" in reason["citation"] and "出具的各类证明" in reason["citation"]
        assert any(c.get("item") == "M1" and c["quote"] == "全面清理" for c in reason["cites"])
    d = pack.decide({"item_code": "Z1", "title": "居住证明"}, {"level": "community"})
    (reason,) = d.reasons
    assert "example" not in reason and "示例事项" not in reason["message"]
    assert reason["items"][0]["cites"][0]["source"] == "HB-LIST"
    assert pack.decide({"item_code": "Z1", "title": "婚育证明"}, {"level": "community"}).decision == "admit"


def test_one_rule_requires_several_things():
    pack = build({"national": NATIONAL, "hunan": HUNAN})
    d = pack.decide({"item_code": "HNX", "title": "t", "funding_provided": False}, {"level": "community"})
    assert d.decision == "conditional"
    assert [r["code"] for r in d.requirements] == ["funding", "work_conditions"]
    assert d.reasons[0]["requirements"] == ["funding", "work_conditions"]


def test_a_rule_requiring_several_things_waits_only_for_those_not_yet_met():
    # 协助须保障 (require funding, work_conditions) fires when either is missing
    src = NATIONAL.replace("and not task.funding_provided\n",
                           "and not (task.funding_provided and task.work_conditions_provided)\n")
    src += 'list 协 kind assist { "X" "协助" }\n'
    pack = build({"national": src})
    codes = lambda **facts: [r["code"] for r in pack.decide({"item_code": "X", "title": "t", **facts},
                                                           {"level": "community"}).requirements]
    assert codes(funding_provided=False, work_conditions_provided=False) == ["funding", "work_conditions"]
    assert codes(funding_provided=True, work_conditions_provided=False) == ["work_conditions"]
    assert codes(funding_provided=False, work_conditions_provided=True) == ["funding"]
    # a one-code rule lists its code whatever the task says: only a rule asking for several narrows
    one = build({"national": src.replace("then require funding, work_conditions", "then require funding")})
    d = one.decide({"item_code": "X", "title": "t", "funding_provided": True, "work_conditions_provided": False},
                   {"level": "community"})
    assert [r["code"] for r in d.requirements] == ["funding"]


def test_named_conditions_are_expanded_and_checked():
    pack = build({"national": NATIONAL})
    # the define reads target.level: a missing level leaves the rule unknown, and says why
    d = pack.decide({"item_code": "nope", "title": "t"}, {})
    assert any("target.level" in u["missing"] for u in d.unknown)
    wrong = NATIONAL.replace('define 社区级 "社区及其以下" = target.level in [community, village, grid]',
                             'define 社区级 = target.levl == street')
    assert "E205" in [x.code for x in errors_of({"national": wrong})]


def test_a_cycle_of_named_conditions_is_an_error():
    src = "pack p\ndefine A = B and task.one_vote_veto\ndefine B = A\nrule R cite S when A then reject\nsource S \"s\""
    assert "E240" in [x.code for x in errors_of({"p": src})]


def test_a_named_condition_cannot_take_a_list_name():
    src = 'pack p\nlist A kind assist { X "x" }\ndefine A = true\n'
    assert "E202" in [x.code for x in errors_of({"p": src})]


def test_kind_must_be_known():
    src = "pack p\nrule R when task.item_code in kind assits then reject\n"
    assert "E207" in [x.code for x in errors_of({"p": src})]


def test_item_levels_must_be_levels():
    src = 'pack p\nlist A kind assist { X "x" levels 社区, 县城 }\n'
    assert "E217" in [x.code for x in errors_of({"p": src})]


def test_quantifiers_read_items_by_attribute_across_a_kind():
    src = NATIONAL + '''list 村证明 kind permitted { "P1" "村民身份" { 出具: "村委会" }  "P2" "居住" alias "居住情况" }
rule 白名单外 cite S002 "四(四)"
  when target.level == village and task.kind == certificate
    and not any(i in kind permitted: i.name == task.title or task.title in i.aliases)
  then reject
rule 村委会出具 cite S002 "四(四)"
  when count(i in kind permitted: i.出具 == "村委会") == 1 and task.kind == certificate then warn
'''
    pack = build({"national": src})
    base = {"item_code": "Z1", "kind": "certificate"}
    assert "白名单外" not in pack.decide({**base, "title": "居住情况"}, {"level": "village"}).rule_ids
    assert "白名单外" in pack.decide({**base, "title": "收入"}, {"level": "village"}).rule_ids
    assert "村委会出具" in pack.decide({**base, "title": "收入"}, {"level": "village"}).rule_ids


def test_sources_carry_metadata_and_ids_as_published():
    pack = build({"national": NATIONAL})
    info = pack.source_info
    assert info["S002"]["number"] == "中发〔2017〕13号" and info["S002"]["date"] == "2017-06-12"
    assert info["HB-LIST"]["title"] == "湖北清单"
    assert pack.effective == "2024-06-01"
    assert build({"national": NATIONAL, "hunan": HUNAN}).effective == "2024-07-01"


def test_a_cite_to_an_undeclared_quoted_source_is_an_error():
    src = 'pack p\nrule R cite "HB-LST" "一" when task.one_vote_veto then reject\nsource "HB-LIST" "x"\n'
    diags = errors_of({"p": src})
    assert [d.code for d in diags] == ["E209"] and "HB-LIST" in diags[0].full_message()


def test_item_clauses_come_in_any_order():
    a = parse('pack p\nlist L kind assist { "A" "甲" alias "x" levels 村 example requires funding '
              'cite S "一" quote "q" { k: 1 } }', "f.jc")[0]
    b = parse('pack p\nlist L kind assist { "A" "甲" { k: 1 } cite S "一" quote "q" requires funding example '
              'levels 村 alias "x" }', "f.jc")[0]
    assert a.decls == b.decls


@pytest.mark.parametrize("bad", ['"A" "甲" cite S', '"A" "甲" alias', '"A" "甲" levels'])
def test_an_incomplete_item_clause_is_a_syntax_error(bad):
    _module, diags = parse(f"pack p\nlist L kind assist {{ {bad} }}", "f.jc")
    assert diags and diags[0].code in ("E102", "E103")


def test_an_item_looked_up_by_a_task_fact_is_cited_too():
    src = NATIONAL + '''list 协助 kind assist { "X1" "协助事项" requires funding cite "HB-LIST" "二" quote "应当提供经费" }
rule 须经费 cite S002 "四(四)"
  when "funding" in 协助[task.item_code].requires and not task.funding_provided
  then require funding "请提供经费"
'''
    pack = build({"national": src})
    d = pack.decide({"item_code": "X1", "title": "t", "funding_provided": False}, {"level": "street"})
    (reason,) = [r for r in d.reasons if r["rule"] == "须经费"]
    assert reason["items"][0]["code"] == "X1" and "应当提供经费" in reason["citation"]


def test_a_list_citing_an_undeclared_source_is_an_error():
    src = 'pack p\nlist L kind assist cite S9 "一" { X "x" }\n'
    assert "E209" in [x.code for x in errors_of({"p": src})]


def test_lists_show_the_new_item_clauses():
    pack = build({"national": NATIONAL})
    (m1,) = [i for i in pack.lists["证明"] if i["code"] == "M1"]
    assert m1["aliases"] == ["生育状况证明"] and m1["example"] is True and m1["levels"] == []
    assert m1["cites"][0]["quote"] == "全面清理" and m1["cites"][0]["number"] == "中发〔2017〕13号"
    (z2,) = [i for i in pack.lists["自治"] if i["code"] == "Z2"]
    assert z2["levels"] == ["village", "grid"]


def test_a_list_may_cite_several_clauses():
    from jiceng.dsl.formatter import format_source
    src = ('pack p\nsource S "s"\nlist L "清单" kind assist cite S "一" quote "甲" cite S "二" { X "x" }\n'
           'rule R cite S "一" when task.item_code in L then warn\n')
    module = parse(src, "f.jc")[0]
    assert [c.clause for c in module.decls[2].cites] == ["一", "二"]
    assert 'kind assist cite S "一" quote "甲" cite S "二" {' in format_source(src, "f.jc")
    assert build({"p": src}).decide({"item_code": "X", "title": "t"}, {}).rule_ids == ["R"]


def test_unknown_reject_sees_the_facts_a_named_condition_reads():
    src = NATIONAL + 'rule 村 cite S002 "四(四)" when 村级组织 then reject\n  unknown reject\n'
    pack = build({"national": src})
    assert not [w for w in pack.warnings if w.code == "W303"]
    d = pack.decide({"item_code": "Z1", "title": "t"}, {})
    assert d.decision == "reject" and "村" in d.rule_ids


def test_a_named_condition_is_for_rules_not_standards():
    src = ('pack p\ndefine 大 = target.households > 10 户\n'
           'standard S over community\n  expect 大\n')
    diags = errors_of({"p": src})
    assert [d.code for d in diags] == ["E301"] and "只能用于规则" in diags[0].full_message()


def test_a_define_reads_the_facts_standards_export_to_rules():
    """A define is typed after the standards, so ``target.<exported fact>`` is known to it — in the
    pack that declares the standard and in a child pack inheriting both."""
    parent = ("pack p\nstandard 配备 over community\n  measure gap = 1 人\n  expect unit.workers >= gap\n"
              "  export gap as staffing_gap\n"
              "define 缺员 = target.staffing_gap > 0 人\n"
              "rule R when 缺员 then warn\n")
    pack = build({"p": parent, "c": "pack c extends p\nrule S when 缺员 and task.category == \"社区治理\" then warn\n"})
    assert {r.id for r in pack.rules} >= {"R", "S"}
    (d,) = errors_of({"p": parent.replace("target.staffing_gap", "target.staffing_gaps")})
    assert d.code == "E205" and "staffing_gaps" in d.message
def test_a_named_condition_reads_the_measures_standards_export_to_target():
    # a define reading target used to fix target's fields before the standards exported theirs,
    # so every rule reading an exported measure failed (E205) once any define read target
    src = ('pack p\nsource S "s"\nstandard 配比 over community\n  measure gap = unit.households\n  expect gap >= 0 户\n  export gap as 缺口\n'
           'define 社区 = target.level == community\n'
           'rule R cite S "一" when 社区 and target.缺口 > 3 户 then reject\n')
    pack = build({"p": src})
    assert pack.decide({"title": "t"}, {"level": "community", "缺口": 5}).decision == "reject"
    assert pack.decide({"title": "t"}, {"level": "community", "缺口": 1}).decision == "admit"
    uses = src.replace("define 社区 = target.level == community", "define 社区 = target.缺口 > 3 户")
    assert build({"p": uses}).decide({"title": "t"}, {"level": "community", "缺口": 5}).decision == "reject"


EXAMPLES = NATIONAL + '''list 示例自治 kind self_governance {
  "E1" "示例的自治事项" alias "示例别名" example
}
list 示例协助 kind assist { "EX" "示例的协助事项" example requires funding }
'''


def test_a_decision_names_the_items_it_relied_on_even_when_no_rule_fired():
    pack = build({"national": EXAMPLES})
    for spelling in ("E1", "示例别名"):  # admitted because the item is on a self-governance list
        d = pack.decide({"item_code": spelling, "title": "t"}, {"level": "community"})
        assert d.decision == "admit" and d.fired == []
        assert [(i["list"], i["code"], i["name"], i["example"]) for i in d.items] == [
            ("示例自治", "E1", "示例的自治事项", True)]
        assert d.to_dict()["items"] == d.items
    d = pack.decide({"item_code": "Z1", "title": "t"}, {"level": "community"})
    assert d.decision == "admit" and [(i["code"], i["example"]) for i in d.items] == [("Z1", False)]
    # conditional because of an assist item: the item is named whichever rule fired
    d = pack.decide({"item_code": "EX", "title": "t", "funding_provided": False}, {"level": "community"})
    assert d.decision == "conditional" and [(i["code"], i["example"]) for i in d.items] == [("EX", True)]


def test_the_items_section_cites_each_item_and_keeps_the_rules_order():
    pack = build({"national": EXAMPLES})
    d = pack.decide({"item_code": "Z1", "title": "生育状况证明"}, {"level": "community"})
    assert [i["code"] for i in d.items] == ["Z1", "M1"]  # 清单外 tests item_code before 证明 tests title
    m1 = d.items[1]
    assert m1["example"] is True and m1["cites"][0]["quote"] == "全面清理" and m1["cites"][0]["number"]
    d.items[1]["cites"][0]["quote"] = "changed"  # a copy: the next decision is not affected
    assert pack.decide({"item_code": "Z1", "title": "生育状况证明"}, {"level": "community"}).items[1][
        "cites"][0]["quote"] == "全面清理"


def test_items_count_only_where_a_rule_testing_them_can_apply():
    pack = build({"national": EXAMPLES})
    # every rule testing lists is limited to 社区级: a street's decision relies on no item
    assert pack.decide({"item_code": "E1", "title": "婚育状况证明"}, {"level": "street"}).items == []
    # an item limited to levels counts only there
    assert [i["code"] for i in pack.decide({"item_code": "Z2", "title": "t"}, {"level": "village"}).items] == ["Z2"]
    assert pack.decide({"item_code": "Z2", "title": "t"}, {"level": "community"}).items == []
    # the level unknown: every test might apply
    assert [i["code"] for i in pack.decide({"item_code": "E1", "title": "t"}, {}).items] == ["E1"]


def test_outcome_is_the_decision_without_its_explanation():
    pack = build({"national": EXAMPLES})
    for task, target in [({"item_code": "E1", "title": "t"}, {"level": "community"}),
                         ({"item_code": "E1", "title": "t"}, {}),
                         ({"item_code": "Z2", "title": "t"}, {"level": "village"})]:
        d = pack.decide(task, target)
        decision, fired, unknown = pack.outcome(task, target, {}, {}, None)
        assert (decision, fired, [pack.rules[i].id for i in unknown]) == (d.decision, d.fired,
                                                                          [u["rule"] for u in d.unknown])
    with pytest.raises(DecisionInputError) as raised:  # the same input errors as decide
        pack.outcome({"item_code": "E1", "title": "t"}, [], {}, {}, None)
    assert raised.value.code == "E701"


def test_a_rule_firing_under_not_fired_without_the_items_it_tests_yet_the_decision_relied_on_them():
    """``not (a in L and b in M)`` fires because one of them is not on its list: the item the other
    matched is not why it fired (its reason names no item), but the decision did rely on it."""
    pack = build({"national": NATIONAL.split("rule 清单外")[0] + '''rule 不全 cite S002 "四(四)"
  when not (task.item_code in kind self_governance and task.title in kind certificate_excluded)
  then reject "不全"
'''})
    d = pack.decide({"item_code": "Z1", "title": "t"}, {"level": "community"})
    assert d.decision == "reject" and d.rule_ids == ["不全"]
    assert "items" not in d.reasons[0] and [i["code"] for i in d.items] == ["Z1"]
    both = pack.decide({"item_code": "Z1", "title": "居住证明"}, {"level": "community"})
    assert both.decision == "admit" and [i["code"] for i in both.items] == ["Z1", "M2"]


def test_a_reason_made_because_of_items_is_kept_once_and_each_decision_gets_its_own_copy():
    pack = build({"national": NATIONAL})
    task, target = {"item_code": "Z1", "title": "生育状况证明"}, {"level": "community"}
    first = pack.decide(task, target).reasons[0]
    key = ([r.id for r in pack.rules].index("证明"), (("证明", "M1"),))
    kept = pack._item_reasons[key]
    first["message"], first["citation"] = "改掉的说明", ""
    again = pack.decide(task, target).reasons[0]
    assert "示例事项" in again["message"] and "全面清理" in again["citation"]
    assert pack._item_reasons[key] is kept  # the same rule and item: the reason kept is used, not made again


def test_past_the_bound_a_reason_with_items_is_made_anew_and_is_the_same(monkeypatch):
    import jiceng.dsl.pack as pack_module
    kept = build({"national": NATIONAL})
    cases = [({"item_code": "Z1", "title": title}, {"level": "community"}) for title in ("婚育状况证明", "居住证明")]
    expected = [kept.decide(task, target).reasons[0] for task, target in cases]
    assert {items for _rule, items in kept._item_reasons} >= {(("证明", "M1"),), (("证明", "M2"),)}
    monkeypatch.setattr(pack_module, "MAX_ITEM_REASONS", 0)
    unkept = build({"national": NATIONAL, "x": 'pack x version "1" extends national'}, "x")
    assert [unkept.decide(task, target).reasons[0] for task, target in cases] == expected
    assert unkept._item_reasons == {}


def test_a_spelling_two_items_share_finds_the_first_for_the_reason():
    pack = build({"n": '''pack n version "1"
source S "s"
list L kind self_governance {
  "A" "甲" alias "乙"
  "B" "乙"
}
rule R cite S "1" when task.title in L then reject'''})
    for title, code in (("乙", "A"), ("甲", "A"), ("B", "B")):
        (reason,) = pack.decide({"title": title}, {"level": "community"}).reasons
        assert [item["code"] for item in reason["items"]] == [code], title
