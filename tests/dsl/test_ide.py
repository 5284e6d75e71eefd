"""The editor engine (jiceng.dsl.ide): diagnostics, completion, hover.

Diagnostics are checked against the compiler's own (check_pack): one path. Completions are
checked against the checker: what is offered, written where it was offered, is never an unknown
name, field, unit, source, requirement or rule. Broken text never raises.
"""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES
from jiceng.dsl import ide
from jiceng.dsl.api import check_pack
from jiceng.dsl.functions import default_registry
from jiceng.dsl.loader import MemoryLoader
from jiceng.dsl.parser import keywords, parse_prefix
from jiceng.dsl.taskform import read_task_form
from jiceng.dsl.ide.text import offset_at, position_of, word_at, word_before

SEEDS = {p.parent.name: {"pack.jc": p.read_text(encoding="utf-8")} for p in sorted(FIXTURES.glob("*/pack.jc"))}
CITY = SEEDS["city"]["pack.jc"]
NAME_CODES = {"E201", "E203", "E204", "E205", "E206", "E208", "E209", "E210", "E221"}


def context(tenant: str = "city", file: str = "pack.jc") -> ide.EditorContext:
    return ide.EditorContext(tenant, file, MemoryLoader(SEEDS))


def at_end(text: str) -> tuple[int, int]:
    return position_of(text, len(text))


def complete(text: str, tenant: str = "city") -> list[ide.Completion]:
    return ide.completions(text, *at_end(text), context(tenant))


def codes(text: str, tenant: str = "city") -> list[str]:
    return [d.code for d in ide.diagnostics(text, context(tenant))]


# ---------------------------------------------------------------------- diagnostics
MUTATIONS = [
    ("target.level == street", "target.levl == street"),
    ('cite S003 "一"', 'cite S0003 "一"'),
    ("then reject", "then require fundng"),
    ("disable 清单外事项", "disable 清单外"),
    ("kind forbidden", "kind forbiden"),
    ("expect reject by 街道取消", "expect rejct by 街道取消"),
    ("when target", "when (target"),
    ("招商引资 \"招商引资\"", "招商引资 \"招商引资"),
]


@pytest.mark.parametrize("old, new", MUTATIONS)
def test_diagnostics_are_the_compilers(old, new):
    text = CITY.replace(old, new)
    assert text != CITY
    ours = ide.diagnostics(text, context())
    _pack, theirs, _ = check_pack("city", MemoryLoader({**SEEDS, "city": {"pack.jc": text}}))
    assert ours, "each mutation breaks the pack"
    assert sorted((d.line, d.column, d.end_line, d.end_column, d.code, d.message) for d in ours) == \
        sorted((d.span.line, d.span.column, d.span.end_line, d.span.end_column, d.code, d.full_message())
               for d in theirs)
    assert all(d.in_source and d.file == "city/pack.jc" for d in ours)


def test_a_clean_pack_has_none_and_a_parents_error_is_elsewhere():
    assert ide.diagnostics(CITY, context()) == []
    broken_parent = {**SEEDS, "prov": {"pack.jc": SEEDS["prov"]["pack.jc"].replace("cite S003", "cite S009")}}
    found = ide.diagnostics(CITY, ide.EditorContext("city", "pack.jc", MemoryLoader(broken_parent)))
    assert [(d.code, d.file, d.in_source) for d in found] == [("E209", "prov/pack.jc", False)]


def test_text_without_a_context_is_a_pack_of_its_own():
    found = ide.diagnostics("pack 独立 \nrule r when task.titel == \"x\" then warn\n")
    assert [(d.code, d.line) for d in found] == [("E204", 2)]
    assert [d.code for d in ide.diagnostics("rule r then warn\n")] == ["E211"]  # no pack header


# ---------------------------------------------------------------------- completion
def labels(items, kind=None) -> set[str]:
    return {c.label for c in items if kind is None or c.kind == kind}


def test_keywords_offered_are_the_ones_the_grammar_accepts_there():
    words = keywords()
    for head in ["", CITY + "\nrule x ", CITY + "\nrule x when 3 ", CITY + '\ntest "t" { expect ']:
        offered = labels(complete(head), "keyword")
        assert offered, head
        for word in offered:  # each one parses where it was offered
            assert parse_prefix(head[head.rfind("\n") + 1:] + word + " ") is not None or head == "", word
        accepted = parse_prefix(head[head.rfind("\n") + 1:]).accepts
        assert offered == {w for w, t in words.items() if t in accepted}


def test_what_is_offered_after_a_keyword_is_never_unknown_to_the_checker():
    cases = [  # (text before the cursor, how the offered label @ completes it into a pack)
        ("\nrule x when present(task.", "@) then warn\n", "field"),
        ("\nrule x when present(target.", "@) then warn\n", "field"),
        ("\nrule x when present(history.", "@) then warn\n", "field"),
        ("\nrule x when present(source.department.", "@) then warn\n", "field"),
        ("\nparam 新参数 = 1 ", "@\n", "unit"),
        ("\nrule x cite ", "@ when true then warn\n", "source"),
        ("\nrule x when task.title == \"a\" then require ", "@\n", "requirement"),
        ("\nrule x when present(自治事项[\"Z01\"].", "@) then warn\n", "field"),
        ('\ntest "t" { given task { ', '@: null } expect admit }\n', "field"),
        ('\ntest "t" { given target { level: ', "@ } expect admit }\n", "value"),
        ("\nrule x when target.level == ", "@ then warn\n", "value"),
        ('\ntest "t" { given task { title: "a" } expect reject by ', "@ }\n", "rule"),
    ]
    for head, tail, kind in cases:
        offered = labels(complete(CITY + head), kind)
        assert offered, head
        for label in offered:
            text = CITY + head + tail.replace("@", label)
            bad = [c for c in codes(text) if c in NAME_CODES]
            assert not bad, (head, label, bad)


def test_the_newer_syntax_is_offered_where_it_fits_and_what_is_offered_checks():
    item = '\nlist 新清单 kind assist {\n  A "甲" '
    after_item = labels(complete(CITY + item), "keyword")
    assert {"alias", "levels", "example", "cite", "requires"} <= after_item and "quote" not in after_item
    cited = item + 'cite S003 "一" '
    assert {"quote", "alias", "levels", "requires"} <= labels(complete(CITY + cited), "keyword")
    assert "quote" in labels(complete(CITY + '\nrule x cite S003 "一" '), "keyword")
    assert "permitted" in labels(complete(CITY + "\nlist 白名单 kind "), "value")
    assert "permitted" in labels(complete(CITY + "\nrule x when task.category in kind "), "value")
    assert {"effective", "documents", "extends", "version"} <= labels(complete("pack p "), "keyword")
    assert {"issuer", "number", "date", "url", "full", "file"} <= labels(complete(CITY + '\nsource S9 "文件" '),
                                                                          "keyword")
    # each offered level, in a list of levels, makes an item that checks; so does each requirement after a comma
    for head, tail in [(item + "levels ", " }\n"), (item + "levels community, ", " }\n"),
                       ("\nrule x when true then require funding, ", "\n")]:
        offered = labels(complete(CITY + head), "requirement" if "require " in head else "value")
        assert offered, head
        for label in offered:
            assert codes(CITY + head + label + tail) == [], (head, label)
    # a named condition: no completion for its new name, offered (and explained) where rules use it
    assert complete(CITY + "\ndefine ") == []
    defined = CITY + '\ndefine 在街道 "接收单位是街道" = target.level == street\nrule x when '
    [offer] = [c for c in complete(defined) if c.label == "在街道"]
    assert offer.kind == "variable" and "target.level == street" in offer.detail
    used = defined + "在街道 then warn\n"
    assert codes(used) == []
    line, column = position_of(used, used.rindex("在街道") + 1)
    assert "命名条件" in ide.hover(used, line, column, context()).text


def test_disable_offers_exactly_the_inherited_overridable_rules():
    # nation's 清单外事项 is overridable (city disables it already); prov's rule is not
    text = CITY.replace("disable 清单外事项 \"本市另行规定\"\n", "") + "\ndisable "
    offered = labels(complete(text), "rule")
    nation = SEEDS["nation"]["pack.jc"]
    overridable = set(re.findall(r"^rule (\S+)[^\n]*\n(?:  [^\n]*\n)*?  overridable", nation, re.M))
    assert offered == overridable and offered
    assert codes(CITY.replace("disable 清单外事项", f"disable {sorted(offered)[0]}")) == []


def test_expression_names_come_from_the_whole_chain():
    items = complete(CITY + "\nrule x when ")
    assert {"社区工作者配比", "网格户数", "考核上限"} <= labels(items, "param")          # nation's, prov's override
    assert {"自治事项", "协助事项", "街道取消事项"} <= labels(items, "list")
    assert labels(items, "function") == set(default_registry().functions)
    assert {"task", "target", "history", "today"} <= labels(items, "variable")
    assert "unit" not in labels(items)  # only a standard's expressions read unit
    standard = CITY + "\nstandard s over community\n  measure m = 1\n  expect "
    assert {"unit", "m"} <= labels(complete(standard), "variable")


def test_the_typed_part_filters_and_is_replaced():
    text = CITY + "\nrule x when task.fund"
    assert [(c.label, c.kind) for c in complete(text)] == [("funding_provided", "field")]
    line, column = at_end(text)
    assert ide.replace_start(text, line, column) == (line, column - 4)
    assert complete(CITY + "\nrule x when 考核") and all(c.label.startswith("考核") for c in complete(CITY + "\nrule x when 考核"))


def test_a_quantifiers_variable_has_the_fields_of_what_it_ranges_over():
    form = {"type": "object", "properties": {"title": {"type": "string"}, "items": {
        "type": "array", "items": {"type": "object", "properties": {"hours": {"type": "number", "x-unit": "小时"},
                                                                    "who": {"type": "string"}}}}}}
    text = "pack solo\nrule r when any(x in task.items: x."

    class Forms:  # a form source (jiceng.dsl.api.FormSource) with one form
        def task_form(self, chain, units):
            return read_task_form(form, units)
    ctx = ide.EditorContext("solo", "pack.jc", None, Forms())
    assert labels(ide.completions(text, *at_end(text), ctx), "field") == {"hours", "who"}
    text2 = "pack solo\nrule r when count(x in 清单: x."
    with_list = "pack solo\nlist 清单 kind assist { A \"甲\" { 时长: 2 } }\n" + text2[len("pack solo\n"):]
    assert labels(ide.completions(with_list, *at_end(with_list), ctx), "field") == {"code", "name", "kind", "requires", "时长"}


def test_no_completion_inside_a_string_or_a_comment_or_for_a_new_name():
    assert complete(CITY + '\nrule x "标题') == []
    assert complete(CITY + "\n# rule x when ") == []
    assert complete(CITY + "\nrule ") == []
    assert complete(CITY + "\nparam ") == []


# ---------------------------------------------------------------------- hover
def test_hover_explains_rules_params_fields_and_nothing_else():
    text = CITY

    def hover_on(word, nth=0, after=""):
        i = text.index(after) if after else 0
        for _ in range(nth + 1):
            i = text.index(word, i) + 1
        line, column = position_of(text, i)
        return ide.hover(text, line, column, context())

    rule = hover_on("街道取消", after="expect reject by")
    assert rule.text.splitlines()[0] == "规则 街道取消:街道不再承担招商引资、协税护税"
    assert "依据:S003 省级文件 一" in rule.text
    disabled = hover_on("清单外事项")
    assert "已关闭" in disabled.text and "可由下级关闭" in disabled.text and "依据:S002" in disabled.text
    level = hover_on("level")
    assert level.text.startswith("字段 level:level 取值(") and level.column == text.split("\n")[level.line - 1].index("level") + 1
    assert hover_on("when") is None and hover_on("street", after="level ==") is None


# ---------------------------------------------------------------------- robustness
FRAGMENTS = ["rule", "x", " ", "\n", "when", "then", "reject", "require", "task", ".", "target", "level", "==",
             "street", "and", "not", "in", "(", ")", "[", "]", "{", "}", ",", ":", '"', '"s"', "3", "人", "..",
             "per", "any", "count", "x in", "cite", "S003", "disable", "test", "given", "expect", "by", "list",
             "kind", "standard", "over", "measure", "=", "#", "pack", "extends", "清单外事项", "自治事项", "\\", "😀",
             "2024-01-01", "unknown", "overridable", "param", "floor", "-", "%", "\r", "quote", "define",
             "alias", "levels", "example", "effective", "documents", "issuer", "permitted", "source", "社区"]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=40), st.integers(0, 10_000), st.integers(-3, 10_000))
def test_any_text_and_any_position_is_answered(parts, line, column):
    text = CITY + "\n" + " ".join(parts)
    for c in ide.completions(text, line, column, context()):
        assert c.kind in ide.KINDS and c.label
    found = ide.hover(text, line, column, context())
    assert found is None or found.text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=30))
def test_any_text_has_diagnostics_not_exceptions(parts):
    text = CITY + "\n" + " ".join(parts)
    for d in ide.diagnostics(text, context()):
        assert re.fullmatch(r"[EW]\d{3}", d.code) and d.line >= 0 and d.message


@given(st.text(alphabet="ab\n中😀", max_size=30), st.integers(0, 40))
def test_positions_round_trip(text, offset):
    offset = min(offset, len(text))
    assert offset_at(text, *position_of(text, offset)) == offset
    start = word_before(text, offset)
    assert start <= offset and not re.match(r"\d", text[start:offset] or "x")
    s, e = word_at(text, offset)
    assert s <= offset <= e


# ---------------------------------------------------------------------- where a file belongs
def test_a_files_pack_is_found_on_disk(tmp_path):
    root = tmp_path / "rule_packs"
    (root / "a" / "tests").mkdir(parents=True)
    (root / "a" / "pack.jc").write_text("pack a\n", encoding="utf-8")
    (root / "a" / "tests" / "t.jc").write_text('test "t" { expect admit }\n', encoding="utf-8")
    ctx = ide.EditorContext.for_path(root / "a" / "tests" / "t.jc")
    assert (ctx.tenant, ctx.file) == ("a", "tests/t.jc")
    unsaved = ide.EditorContext.for_path(root / "a" / "rules.jc", "rule r when true then warn\n")
    assert (unsaved.tenant, unsaved.file) == ("a", "rules.jc")
    assert ide.diagnostics("rule r when tru then warn\n", unsaved)[0].code == "E201"
    (tmp_path / "loose").mkdir()
    lone = ide.EditorContext.for_path(tmp_path / "loose" / "y.jc", "rule r when true then warn\n")
    assert (lone.tenant, lone.file) == (None, "y.jc")
    assert [d.code for d in ide.diagnostics("rule r when true then warn\n", lone)] == ["E211"]  # no pack header
    # a header makes its folder the pack, as `jiceng lint` reads a folder: the names must agree
    headed = ide.EditorContext.for_path(tmp_path / "loose" / "y.jc", "pack y\n")
    assert headed.tenant == "loose" and [d.code for d in ide.diagnostics("pack y\n", headed)] == ["E212"]
    assert ide.diagnostics("pack loose\n", headed) == []
