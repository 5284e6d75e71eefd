"""Static checking: names, types, units, task fields, inheritance."""
from __future__ import annotations

import json

from conftest import build, errors_of
from jiceng.dsl.api import load_pack


def codes(diags):
    return [d.code for d in diags]


def test_unknown_name_suggests_the_close_one():
    (d,) = errors_of({"p": "pack p\nlist 街道取消事项 kind forbidden { A \"a\" }\n"
                           "rule R when task.category in 街道取消事頃 then reject"})
    assert d.code == "E201" and "街道取消事项" in d.hint


def test_bare_word_where_text_was_meant_suggests_quotes():
    (d,) = errors_of({"p": "pack p\nrule R when task.category == 招商引资 then reject"})
    assert d.code == "E201" and '"招商引资"' in d.hint


def test_people_plus_households_is_a_unit_error():
    (d,) = errors_of({"p": "pack p\nrule R when target.workers + target.households > 3 人 then warn"})
    assert d.code == "E302" and "人" in d.message and "户" in d.message


def test_number_without_unit_against_a_quantity_suggests_the_unit():
    (d,) = errors_of({"p": "pack p\nrule R when target.workers >= 5 then warn"})
    assert d.code == "E302" and "5 人" in d.hint


def test_unknown_task_field_is_checked_against_the_tenants_form(tmp_path):
    forms = tmp_path / "form_schemas"
    (forms / "national").mkdir(parents=True)
    (forms / "city").mkdir()
    (forms / "national" / "task.schema.json").write_text(json.dumps(
        {"type": "object", "properties": {"title": {"type": "string"}, "workload_hours": {"type": "number"}}}))
    (forms / "city" / "task.schema.json").write_text(json.dumps(
        {"allOf": [{"$ref": "../national/task.schema.json"},
                   {"properties": {"needs_plaque": {"type": "boolean"}}}]}))
    packs = tmp_path / "rule_packs"
    (packs / "city").mkdir(parents=True)
    (packs / "city" / "pack.jc").write_text(
        "pack city\nrule A when task.needs_plaque and task.workload_hours > 3 then warn\n"
        "rule B when task.workload_hour > 3 then warn\n"
        "rule C when task.needs_plaque > 1 then warn\n", encoding="utf-8")
    diags = errors_of_path(packs, "city")
    assert codes(diags) == ["E204", "E301"]
    assert "workload_hours" in diags[0].hint


def errors_of_path(root, tenant):
    import pytest
    from jiceng.dsl.diagnostics import CompileError
    with pytest.raises(CompileError) as info:
        load_pack(tenant, root)
    return info.value.diagnostics


def test_breaking_a_floor_names_both_declarations():
    diags = errors_of({"hunan": "pack hunan\nparam 配比 = 18 人 per 10000 人 floor\n",
                       "changsha": {"pack.jc": "pack changsha extends hunan\n\nparam 配比 = 15 人 per 10000 人\n"}})
    (d,) = diags
    assert d.code == "E401" and (d.span.file, d.span.line) == ("changsha/pack.jc", 3)
    assert "15 人 per 10000 人" in d.message and "下限 18 人 per 10000 人" in d.message
    assert [(note.span.file, note.span.line) for note in d.notes] == [("hunan/pack.jc", 2)]


def test_policies_chain_through_three_levels():
    packs = {"n": "pack n\nparam 网格 = 300..500 户 narrow\n",
             "p": "pack p extends n\nparam 网格 = 300..450 户\n",
             "c": "pack c extends p\nparam 网格 = 320..480 户\n"}
    (d,) = errors_of(packs, "c")
    assert d.code == "E403" and "300..450" in d.message
    packs["c"] = "pack c extends p\nparam 网格 = 320..440 户\n"
    assert build(packs, "c").param_value("网格") == (320, 440)


def test_disable_needs_overridable():
    base = "pack n\nrule 可关 overridable when task.one_vote_veto then reject\nrule 不可关 when task.one_vote_veto then warn\n"
    (d,) = errors_of({"n": base, "c": "pack c extends n\ndisable 不可关 \"x\"\n"}, "c")
    assert d.code == "E406" and d.notes[0].span.file == "n/pack.jc"
    pack = build({"n": base, "c": "pack c extends n\ndisable 可关 \"本市另有规定\"\n"}, "c")
    assert pack.decide({"title": "t", "one_vote_veto": True}).rule_ids == ["不可关"]
    assert pack.disabled == {"可关": "c"}


def test_lists_merge_down_the_chain():
    pack = build({"n": "pack n\nlist 协助 kind assist { A \"甲\" B \"乙\" }\n",
                  "c": "pack c extends n\nlist 协助 { C \"丙\" requires funding  remove A  B \"乙(改)\" }\n"}, "c")
    items = pack.lists["协助"]
    assert [(i["code"], i["name"], i["pack"], i["requires"]) for i in items] == [
        ("B", "乙(改)", "c", []), ("C", "丙", "c", ["funding"])]
    assert all(i["kind"] == "assist" for i in items)


def test_all_problems_of_a_pack_are_reported_together():
    diags = errors_of({"p": "pack p\nrule A when task.nope then reject\nrule B when target.level == stret then reject\n"
                            "rule C then require money \"x\"\nrule D when ceil(1, 2) > 0 then warn\n"})
    assert codes(diags) == ["E204", "E217", "E208", "E304"]


def test_a_rule_that_can_never_fire_is_a_warning_not_an_error():
    pack = build({"p": "pack p\nrule R when task.kind == assessment and task.kind == ledger then reject"})
    assert [w.code for w in pack.warnings] == ["W301"]


def test_tests_must_name_real_rules_and_fields():
    diags = errors_of({"p": "pack p\nrule R when task.one_vote_veto then reject\n"
                            "test \"t\" { given task { titel: \"x\", one_vote_veto: 1 } expect reject by R2 }"})
    assert codes(diags) == ["E204", "E307", "E210"]


def test_protective_lists_can_only_grow():
    base = "pack n\nlist 禁止类别 kind forbidden { 城市管理 \"城市管理\"  招商引资 \"招商引资\" }\n"
    (d,) = errors_of({"n": base, "c": "pack c extends n\nlist 禁止类别 { remove 城市管理 }\n"}, "c")
    assert d.code == "E411" and d.notes[0].span.file == "n/pack.jc"
    pack = build({"n": base, "c": "pack c extends n\nlist 禁止类别 { 协税护税 \"协税护税\" }\n"}, "c")
    assert [i["code"] for i in pack.lists["禁止类别"]] == ["城市管理", "招商引资", "协税护税"]


def test_a_standard_can_cover_several_levels():
    pack = build({"n": "pack n\nstandard 设施 over community, village\n"
                       "  measure need = unit.households * 0.3 平方米 / 1 户\n"
                       "  expect unit.facility_area_m2 >= need\n"})
    assert pack.evaluate_standard("设施", {"level": "village", "households": 100, "facility_area_m2": 20})["compliant"] is False
    assert pack.evaluate_standard("设施", {"level": "community", "households": 100, "facility_area_m2": 30})["compliant"] is True
    assert pack.evaluate_standard("设施", {"level": "street", "households": 100}) is None


def test_standards_read_unit_facts_not_other_standards_exports():
    (d,) = errors_of({"p": "pack p\nstandard A over community\n  measure g = 1 人\n  expect unit.workers >= g\n"
                           "  export g as gap_a\nstandard B over community\n  expect unit.gap_a <= 0 人\n"
                           "rule R when target.gap_a > 0 人 then warn\n"})
    assert d.code == "E205" and "gap_a" in d.message  # B's unit.gap_a; the rule's target.gap_a is fine


def test_exported_standards_walk_one_level_of_children():
    deep = ("pack p\nstandard 街道覆盖 over street\n"
            "  measure n = sum(c in unit.children: count(g in c.children))\n  expect n > 0\n  export n as grids\n")
    (d,) = errors_of({"p": deep})
    assert d.code == "E218" and "下一级" in d.message
    build({"p": deep.replace("  export n as grids\n", "")})  # fine for reports
    build({"p": deep.replace("count(g in c.children)", "1")})  # one level is fine when exported
