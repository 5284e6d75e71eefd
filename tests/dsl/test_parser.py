"""Parsing: positions, Unicode names, contextual keywords, error recovery."""
from __future__ import annotations

from jiceng.dsl import nodes as n
from jiceng.dsl.parser import parse


def test_spans_point_at_the_source():
    src = 'pack 长沙\nrule 街道取消招商引资 "标题"\n  when target.level == street\n  then reject\n'
    module, diags = parse(src, "p.jc")
    assert not diags
    rule = module.decls[1]
    assert isinstance(rule, n.Rule) and rule.id == "街道取消招商引资"
    assert (rule.span.file, rule.span.line, rule.span.column) == ("p.jc", 2, 1)
    assert (rule.span.end_line, rule.span.end_column) == (4, 14)
    cond = rule.when
    assert (cond.span.line, cond.span.column, cond.span.end_column) == (3, 8, 30)  # end is exclusive
    assert (cond.left.span.column, cond.right.span.column) == (8, 24)


def test_keywords_are_names_where_no_keyword_fits():
    module, diags = parse("pack p\nrule test when task.one_vote_veto then reject\nlist rule kind assist { remove_x \"a\" }", "k.jc")
    assert not diags
    assert [d.id if isinstance(d, n.Rule) else getattr(d, "name", None) for d in module.decls] == ["p", "test", "rule"]


def test_every_broken_declaration_is_reported_once():
    src = ("pack p\n"
           "rule A when task.x == then reject\n"
           "rule B when task.y then reject\n"          # fine
           "rule C when (task.z then reject\n"
           "list L kind assist { X \"x\" }\n"          # fine
           "param P = 3 人 sometimes\n")
    module, diags = parse(src, "e.jc")
    assert [(d.code, d.span.line) for d in diags] == [("E102", 2), ("E102", 4), ("E102", 6)]
    assert [type(d).__name__ for d in module.decls] == ["PackHeader", "Rule", "ListDecl"]


def test_unexpected_end_and_unterminated_string():
    _, diags = parse("pack p\nrule R when", "f.jc")
    assert [d.code for d in diags] == ["E103"]
    assert diags[0].span.line == 2
    _, diags = parse('pack p\ntitle "没有结束', "f.jc")
    assert [(d.code, d.span.line, d.span.column) for d in diags] == [("E104", 2, 7)]


def test_syntax_error_says_what_would_fit_in_chinese():
    _, diags = parse("pack p\nrule R when task.a > then reject", "f.jc")
    message = diags[0].message
    assert diags[0].code == "E102" and "“then”" in message and "数字" in message


def test_comments_are_kept_with_positions():
    module, _ = parse("# 第一行\npack p  # 包\n", "c.jc")
    assert [(c.text, c.span.line, c.span.column) for c in module.comments] == [("# 第一行", 1, 1), ("# 包", 2, 9)]


def test_numbers_ranges_ratios_and_dates():
    module, diags = parse('pack p\nparam a = 300..500 户\nparam b = 18 人 per 10000 人\n'
                          'param c = 0.5 %\nparam d = 2024-05-01\n', "n.jc")
    assert not diags
    a, b, c, d = (x.value for x in module.decls[1:])
    assert (a.low, a.high, a.unit) == (300, 500, "户")
    assert (b.numerator, b.numerator_unit, b.denominator, b.denominator_unit) == (18, "人", 10000, "人")
    assert (str(c.value), c.unit) == ("1/2", "%")
    assert isinstance(d, n.DateLit) and d.value == "2024-05-01"


def test_and_or_chains_stay_flat():
    module, _ = parse("pack p\nrule R when " + " and ".join(f"task.a{i}" for i in range(50)) + " then reject", "f.jc")
    cond = module.decls[1].when
    assert isinstance(cond, n.BoolOp) and len(cond.operands) == 50
