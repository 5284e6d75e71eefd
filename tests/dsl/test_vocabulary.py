"""Controlled vocabularies (issue 10): lists of kind ``category`` / ``task_kind``.

:class:`Vocabulary` itself (resolve, ancestors, within, members, suggest), the
static checks E230–E236 and E411/E217 as they apply to vocabularies, the binding
of task-form fields with ``x-vocabulary``, and the shipped taxonomy merging down
the chain (national → hunan → changsha, national → sichuan → chengdu).
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from conftest import build, errors_of
from jiceng.dsl.api import compile_pack
from jiceng.dsl.loader import FileLoader
from jiceng.dsl.taskform import read_task_form
from jiceng.dsl.types import STR, Enum
from jiceng.dsl.functions import default_registry
from jiceng.dsl.vocabulary import Term, Vocabulary, normalise, task_vocabularies, vocabularies

ROOT = Path(__file__).resolve().parents[2]
SPEC_KINDS = ["work", "assessment", "inspection", "ledger", "report", "certificate", "demonstration", "plaque",
              "pledge"]


@pytest.fixture(scope="module")
def shipped():
    loader = FileLoader(ROOT / "rule_packs")
    cache = {}

    def get(tenant: str):
        if tenant not in cache:
            cache[tenant] = compile_pack(tenant, loader, forms=ROOT / "form_schemas")
        return cache[tenant]
    return get


def categories() -> Vocabulary:
    return Vocabulary("事项类别", "category", [
        Term("行政执法", "行政执法", None, ("执法",)),
        Term("综合行政执法", "综合行政执法", "行政执法", ("综合执法",)),
        Term("城管执法", "城管执法", "行政执法"),
        Term("环境整治", "环境整治"),
        Term("农村人居环境整治", "农村人居环境整治", "环境整治"),
        Term("report", "报表"),
        Term("填报表格", "填报表格", "report"),
    ])


# ---------------------------------------------------------------- Vocabulary
def test_resolve_accepts_codes_and_aliases_after_nfkc_and_strip():
    v = categories()
    assert v.resolve("行政执法") == "行政执法"
    assert v.resolve("执法") == "行政执法"
    assert v.resolve("  综合执法\t") == "综合行政执法"
    assert v.resolve("ｒｅｐｏｒｔ") == "report"  # full-width letters
    assert v.resolve("Report") is None  # exact: no case folding
    assert v.resolve("执法监管") is None
    assert v.resolve("") is None and v.resolve(None) is None and v.resolve(3) is None


def test_ancestors_start_with_the_code_and_end_at_the_root():
    v = categories()
    assert v.ancestors("综合行政执法") == ("综合行政执法", "行政执法")
    assert v.ancestors("行政执法") == ("行政执法",)
    assert v.ancestors("执法") == ()  # an alias is not a code
    assert v.ancestors(None) == ()


def test_within_matches_the_subtree_of_any_code():
    v = categories()
    assert v.within("综合执法", {"行政执法"})
    assert v.within("农村人居环境整治", ["城市管理", "环境整治"])
    assert not v.within("行政执法", {"综合行政执法"})  # downward only
    assert not v.within("不存在", {"行政执法"})
    assert v.within("填报表格", {"report"})


def test_members_is_within_as_one_set():
    v = categories()
    assert v.members({"行政执法"}) == {"行政执法", "执法", "综合行政执法", "综合执法", "城管执法"}


def test_suggest_offers_accepted_spellings_and_codes_for_labels():
    v = categories()
    assert "执法" in v.suggest("执发")
    assert v.suggest("报表")[0] == "report"  # the label of report: suggest its code
    assert v.suggest(12) == []


def test_labels_in_declaration_order():
    assert list(categories().labels().items())[:2] == [("行政执法", "行政执法"), ("综合行政执法", "综合行政执法")]
    assert categories().labels()["report"] == "报表"


def test_unchecked_data_still_answers():
    """A cycle or an unknown parent ends an ancestor chain; the first spelling wins."""
    v = Vocabulary("x", "category", [Term("a", "a", "b"), Term("b", "b", "a"), Term("c", "c", "nowhere", ("a",))])
    assert v.ancestors("a") == ("a", "b")
    assert v.ancestors("c") == ("c",)
    assert v.resolve("a") == "a"


# a forest: entry i may hang under an earlier entry, so there is never a cycle
@st.composite
def forests(draw):
    size = draw(st.integers(1, 12))
    codes = [f"类{i}" for i in range(size)]
    terms = []
    for i, code in enumerate(codes):
        parent = draw(st.one_of(st.none(), st.sampled_from(codes[:i]))) if i else None
        aliases = tuple(f"{code}别名{j}" for j in range(draw(st.integers(0, 2))))
        terms.append(Term(code, code, parent, aliases))
    return Vocabulary("v", "category", terms)


spelling_noise = st.sampled_from(["", " ", "\u3000", "\t"])


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_within_is_membership_of_an_ancestor(data):
    v = data.draw(forests())
    spellings = [c for c in v.terms] + [a for t in v.terms.values() for a in t.aliases]
    value = data.draw(st.one_of(
        st.builds(lambda s, l, r: l + s + r, st.sampled_from(spellings), spelling_noise, spelling_noise),
        st.text(max_size=4), st.none(), st.integers()))
    codes = set(data.draw(st.lists(st.sampled_from(list(v.terms) + ["其他"]), max_size=4)))
    expected = any(a in codes for a in v.ancestors(v.resolve(value)))
    assert v.within(value, codes) == expected
    if isinstance(value, str):
        assert (normalise(value) in v.members(codes)) == expected
    code = v.resolve(value)
    if code is not None:
        chain = v.ancestors(code)
        assert chain[0] == code and v.terms[chain[-1]].parent is None


# ---------------------------------------------------------------- static checks
def codes(diags) -> list[str]:
    return [d.code for d in diags]


def test_unknown_parent_with_did_you_mean():
    diags = errors_of({"demo": 'pack demo\nlist 类别 kind category {\n  行政执法 "行政执法"\n'
                                '  综合行政执法 "综合行政执法" { 上级: 行政执罚 }\n}'})
    [d] = [d for d in diags if d.code == "E230"]
    assert (d.span.line, d.span.column) == (4, 3)
    assert "上级 行政执罚 不存在" in d.message and d.hint == "您是不是要写 行政执法?"


def test_parent_cycle_is_reported_once():
    diags = errors_of({"demo": 'pack demo\nlist 类别 kind category {\n  甲 "甲" { 上级: 乙 }\n'
                                '  乙 "乙" { 上级: 丙 }\n  丙 "丙" { 上级: 甲 }\n  丁 "丁" { 上级: 甲 }\n}'})
    [d] = [d for d in diags if d.code == "E231"]
    assert "甲 → 乙 → 丙 → 甲" in d.message and d.span.line == 3


def test_self_parent_is_a_cycle():
    assert "E231" in codes(errors_of({"demo": 'pack demo\nlist 类别 kind category { 甲 "甲" { 上级: 甲 } }'}))


@pytest.mark.parametrize("entries", [
    '行政执法 "行政执法" { 别名: ["执法"] }\n  执法监管 "执法监管" { 别名: ["执法"] }',   # alias vs alias
    '行政执法 "行政执法" { 别名: ["环境整治"] }\n  环境整治 "环境整治"',                   # alias vs another code
    '行政执法 "行政执法" { 别名: ["ｅ"] }\n  e "e"',                                     # after NFKC
])
def test_a_spelling_that_names_two_entries(entries):
    diags = errors_of({"demo": f"pack demo\nlist 类别 kind category {{\n  {entries}\n}}"})
    assert "E232" in codes(diags)


def test_alias_equal_to_its_own_code():
    diags = errors_of({"demo": 'pack demo\nlist 类型 kind task_kind { report "报表" { 别名: [" report"] } }'})
    assert "E233" in codes(diags)


@pytest.mark.parametrize("attrs", ['{ 别名: "执法" }', '{ 别名: [1] }', '{ 别名: [""] }', '{ 上级: 3 }',
                                   '{ 上级: ["a"] }'])
def test_attributes_that_do_not_read(attrs):
    diags = errors_of({"demo": f'pack demo\nlist 类别 kind category {{ 行政执法 "行政执法" {attrs} }}'})
    assert codes(diags) == ["E234"]


NATION = 'pack nation\nlist 类别 kind category {\n  行政执法 "行政执法" { 别名: ["执法"] }\n  城市管理 "城市管理"\n}\n'


def test_a_descendant_adds_children_and_aliases():
    p = build({"nation": NATION, "prov": 'pack prov extends nation\nlist 类别 {\n'
               '  行政执法 "行政执法" { 别名: ["行政执法类"] }\n  综合行政执法 "综合行政执法" { 上级: 行政执法 }\n}'})
    v = vocabularies(p)["类别"]
    assert v.terms["行政执法"].aliases == ("执法", "行政执法类")  # inherited aliases kept
    assert v.within("行政执法类", {"行政执法"}) and v.within("综合行政执法", {"行政执法"})


def test_a_descendant_cannot_move_an_inherited_entry():
    diags = errors_of({"nation": NATION, "prov": 'pack prov extends nation\nlist 类别 {\n'
                       '  城市管理 "城市管理" { 上级: 行政执法 }\n}'})
    [d] = [d for d in diags if d.code == "E235"]
    assert d.span.file == "prov/pack.jc" and d.notes[0].span.file == "nation/pack.jc"


def test_restating_the_inherited_parent_is_fine():
    build({"nation": 'pack nation\nlist 类别 kind category { A "A"\n B "B" { 上级: A } }',
           "prov": 'pack prov extends nation\nlist 类别 { B "乙" { 上级: A } }'})


def test_a_descendant_cannot_remove_an_inherited_entry():
    diags = errors_of({"nation": NATION, "prov": "pack prov extends nation\nlist 类别 { remove 城市管理 }"})
    assert "E411" in codes(diags)


def test_collisions_are_checked_on_the_merged_list():
    diags = errors_of({"nation": NATION, "prov": 'pack prov extends nation\nlist 类别 { 执法监管 "执法监管" { 别名: ["执法"] } }'})
    assert "E232" in codes(diags)


# ---------------------------------------------------------------- the task form
FORM = {"type": "object", "required": ["title"], "properties": {
    "title": {"type": "string"},
    "category": {"type": "string", "x-vocabulary": "类别"},
    "kind": {"$ref": "#/$defs/kind"},
    "items": {"type": "array", "items": {"type": "object", "properties": {
        "category": {"type": "string", "x-vocabulary": "类别"}}}}},
    "$defs": {"kind": {"type": "string", "x-vocabulary": "类型"}}}
TYPES = 'list 类型 kind task_kind {\n  report "报表"\n  填报表格 "填报表格" { 上级: report }\n}\n'


def test_the_form_reader_finds_bindings_of_the_tasks_own_fields():
    form = read_task_form(FORM, default_registry().units)
    assert dict(form.vocabularies) == {"category": "类别", "kind": "类型"}  # not the nested items.category
    assert form.record.fields["kind"] == STR


def test_bound_fields_are_enums_of_codes_and_aliases():
    p = build({"demo": "pack demo\n" + NATION.split("\n", 1)[1] + TYPES}, task_form=FORM)
    category = p.task_form.record.fields["category"]
    assert isinstance(category, Enum) and category.values == ("行政执法", "城市管理", "执法")
    assert set(task_vocabularies(p)) == {"category", "kind"}


def test_rules_compare_bound_fields_with_bare_codes_and_misspellings_are_e217():
    lists = "pack demo\n" + NATION.split("\n", 1)[1] + TYPES
    build({"demo": lists + "rule R when task.kind in [填报表格, report] and task.category == \"执法\" then reject\n"
           'test "t" {\n  given task { title: "x", kind: 填报表格, category: "执法" }\n  expect reject by R\n}'},
          task_form=FORM)
    assert "E217" in codes(errors_of({"demo": lists + "rule R when task.kind == 填表 then reject"}, task_form=FORM))
    assert "E217" in codes(errors_of({"demo": lists + 'test "t" {\n  given task { title: "x", category: "执发" }\n'
                                      "  expect admit\n}"}, task_form=FORM))


@pytest.mark.parametrize("lists,problem", [
    ("", "没有这个清单"),
    ('list 类别 kind assist { A "甲" }\nlist 类型 kind task_kind { B "乙" }', "不是词表"),
])
def test_a_binding_to_a_missing_or_non_vocabulary_list_is_e236(lists, problem):
    diags = errors_of({"demo": "pack demo\n" + lists}, task_form=FORM)
    assert "E236" in codes(diags) and any(problem in d.message for d in diags if d.code == "E236")


def test_a_binding_on_an_enum_field_is_e236():
    form = {"type": "object", "properties": {"kind": {"type": "string", "enum": ["report"], "x-vocabulary": "类型"}}}
    diags = errors_of({"demo": "pack demo\n" + TYPES}, task_form=form)
    assert codes(diags) == ["E236"]


def test_the_binding_is_part_of_the_compile_cache_key():
    """A form that differs only by x-vocabulary must not get the pack compiled with the other."""
    src = {"demo": "pack demo\n" + TYPES + "rule R when task.kind == 填报表格 then reject"}
    build(src, task_form={"type": "object", "properties": {"kind": {"type": "string", "x-vocabulary": "类型"}}})
    assert "E201" in codes(errors_of(src, task_form={"type": "object", "properties": {"kind": {"type": "string"}}}))


# ---------------------------------------------------------------- the shipped taxonomy
def test_national_kinds_are_the_spec_enum_plus_shared_ones(shipped):
    kinds = vocabularies(shipped("national"))["任务类型"]
    assert list(kinds.labels())[:9] == SPEC_KINDS
    assert kinds.labels()["assessment"] == "考核评比" and "设立工作机制" in kinds


def test_hunan_sees_national_and_its_own_entries(shipped):
    national, hunan = (vocabularies(shipped(t)) for t in ("national", "hunan"))
    for name in ("事项类别", "任务类型"):
        assert set(national[name].labels()) <= set(hunan[name].labels())
    assert set(hunan["任务类型"].labels()) - set(national["任务类型"].labels()) == {"填报表格", "提供材料"}
    assert hunan["任务类型"].ancestors("填报表格") == ("填报表格", "report")
    assert hunan["事项类别"].resolve("城管") == "城市管理" and national["事项类别"].resolve("城管") is None
    assert hunan["事项类别"].ancestors("城市管理") == ("城市管理",), "re-declared for an alias, still a root"
    changsha = vocabularies(shipped("changsha"))
    assert changsha["任务类型"].labels() == hunan["任务类型"].labels()


def test_chengdu_hangs_its_grids_under_the_national_mechanism(shipped):
    chengdu, sichuan = vocabularies(shipped("chengdu")), vocabularies(shipped("sichuan"))
    assert chengdu["任务类型"].ancestors("设立网格") == ("设立网格", "设立工作机制")
    assert chengdu["事项类别"].within("执法监管", {"行政执法"})
    assert sichuan["任务类型"].resolve("填报表格") is None and sichuan["任务类型"].resolve("设立网格") is None


def test_the_issues_examples_fall_under_their_categories(shipped):
    v = vocabularies(shipped("national"))["事项类别"]
    assert v.within("综合行政执法", {"行政执法"}) and v.within("执法", {"行政执法"})
    assert v.within("农村人居环境整治", {"环境整治"}) and v.within("违法建设治理", {"拆迁拆违"})
    assert not v.within("综合行政执法", {"环境整治"})


def test_every_category_the_shipped_data_uses_is_in_the_vocabulary(shipped):
    """Forbidden lists are keyed by category; departments list the categories of their duties."""
    for tenant in sorted(p.name for p in (ROOT / "rule_packs").iterdir() if p.is_dir()):
        p = shipped(tenant)
        v = vocabularies(p)["事项类别"]
        for name, info in p.list_info.items():
            if info["kind"] == "forbidden":
                assert all(v.resolve(i["code"]) == i["code"] for i in p.lists[name]), (tenant, name)
    for path in sorted((ROOT / "tenants").glob("*.departments.csv")):
        v = vocabularies(shipped(path.name.split(".")[0]))["事项类别"]
        rows = csv.DictReader(line for line in path.read_text(encoding="utf-8").splitlines()
                              if not line.startswith("#"))
        for row in rows:
            for c in filter(None, re.split("[、,;| ]", row["categories"] or "")):
                assert v.resolve(c) == c, (path.name, c)


def test_vocabularies_are_built_once_per_pack(shipped):
    p = shipped("hunan")
    assert vocabularies(p) is vocabularies(p)
    assert set(task_vocabularies(p)) == {"category", "kind"}


def test_normalising_keeps_only_short_texts():
    """The normal forms kept for reuse are bounded in size: a long value a sender makes up is
    normalised, rightly, but not kept (the cache would otherwise hold 8,192 texts of any length)."""
    from jiceng.dsl import vocabulary
    vocabulary._normalised.cache_clear()
    short, long = "ＡＢＣ ", "Ｘ" * (vocabulary.NORMALISED_CACHE_TEXT + 1)
    assert vocabulary.normalise(short) == "ABC" and vocabulary.normalise(long) == "X" * len(long)
    assert vocabulary._normalised.cache_info().currsize == 1
