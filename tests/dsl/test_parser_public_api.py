"""The parser on Lark's public API (issue 9): node shapes and positions pinned.

* no private attribute of a Lark object is touched;
* a snippet using every construct keeps the exact span of every node;
* in every shipped pack and fixture, every span lies inside its parent's and
  inside the file, and the source text under each declaration and each
  expression parses back to the same node;
* our scanner, not Lark's lexer, decides tokens: error positions and
  keyword-like names stay as they were;
* one parser serves many threads at once.
"""
from __future__ import annotations

import ast
import dataclasses
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from jiceng.dsl import nodes as n
from jiceng.dsl.parser import parse

REPO = Path(__file__).resolve().parents[2]
PARSER = REPO / "dsl" / "parser.py"
SOURCES = sorted((REPO / "rule_packs").rglob("*.jc")) + sorted((REPO / "tests" / "fixtures").rglob("*.jc"))


def test_parser_touches_no_private_lark_attribute():
    tree = ast.parse(PARSER.read_text(encoding="utf-8"))
    private = [(a.lineno, a.attr) for a in ast.walk(tree) if isinstance(a, ast.Attribute)
               and a.attr.startswith("_") and not a.attr.endswith("__")]
    assert private == []
    lark_imports = {(i.module, a.name) for i in ast.walk(tree) if isinstance(i, ast.ImportFrom)
                    and (i.module or "").startswith("lark") for a in i.names}
    assert all(not name.startswith("_") for _, name in lark_imports)
    assert {module for module, _ in lark_imports} <= {"lark", "lark.exceptions"}


# ---------------------------------------------------------------- golden spans
GOLDEN_SOURCE = r'''# 头注释
pack golden version "1" extends nation
title "金样"
source S1 "依据" file "a.txt"
requirement training "培训"
param 配比 "标题" = 18 人 per 10000 人 floor
param 户数 = 300..500 户
param 期限 = -2 天 + 3 天 * 2 / 1
list 清单 "名" kind assist cite S1 "条" {
  A1 "甲" requires funding, approval { dept: "民\"政", n: -4, f: 1.5, ok: true, no: null, d: 2024-05-01, s: street, xs: [1, "b"] }
  "B-2" "乙"
  remove C3
}
rule R1 "规则"  # 行尾注释
  cite S1 "条"
  overridable
  when not (task.a == 1 or task.b != "x") and task.c in 清单 + 清单 and task.d not in [x, y]
    and task.e contains "z" and -task.f[0] <= 2 人 and any(g in task.gs: g.h > 0)
    and f(1, true, false) and today > 2024-01-01 and source.x and 50 %
  then require funding "说明"
rule R2 when task.x then reject "不"
rule test then warn
disable 旧规则 "原因"
standard 标准 "标题"
  cite S1
  over community, village where count(g in unit.children) > 0
  measure m "量" = sum(g in unit.children: g.households)
  expect m >= 0 户 "不足"
  export m as mm
test "测试" {
  given task { title: "t" } target { level: street }
  on 2024-05-01
  expect reject by R1, R2
  expect admit
  expect fires R1
  expect not fires R2
  expect requires funding
  expect standard 标准 passes with { m: 1 }
}
'''

# Every node of GOLDEN_SOURCE in field order, with its span
# (line:column-end_line:end_column, end exclusive), as the parser has always
# produced it; then the comments.
GOLDEN = [
    "PackHeader 2:1-2:39", "Title 3:1-3:11", "Source 4:1-4:28", "RequirementDecl 5:1-5:26",
    "Param 6:1-6:39", "Ratio 6:17-6:33", "Param 7:1-7:22", "RangeLit 7:12-7:22",
    "Param 8:1-8:30", "Arith 8:12-8:30", "Neg 8:12-8:16", "Number 8:13-8:16", "Arith 8:19-8:30",
    "Arith 8:19-8:26", "Number 8:19-8:22", "Number 8:25-8:26", "Number 8:29-8:30",
    "ListDecl 9:1-13:2", "kind_span 9:18-9:24", "Cite 9:25-9:36", "Item 10:3-10:128",
    "Item 11:3-11:12", "Remove 12:3-12:12",
    "Rule 14:1-20:28", "Cite 15:3-15:14", "BoolOp 17:8-19:71", "Not 17:8-17:41", "BoolOp 17:13-17:41",
    "Compare 17:13-17:24", "Attr 17:13-17:19", "Name 17:13-17:17", "Number 17:23-17:24",
    "Compare 17:28-17:41", "Attr 17:28-17:34", "Name 17:28-17:32", "String 17:38-17:41",
    "Compare 17:47-17:64", "Attr 17:47-17:53", "Name 17:47-17:51", "Arith 17:57-17:64",
    "Name 17:57-17:59", "Name 17:62-17:64", "Compare 17:69-17:89", "Attr 17:69-17:75",
    "Name 17:69-17:73", "SetLit 17:83-17:89", "Name 17:84-17:85", "Name 17:87-17:88",
    "Compare 18:9-18:28", "Attr 18:9-18:15", "Name 18:9-18:13", "String 18:25-18:28",
    "Compare 18:33-18:50", "Neg 18:33-18:43", "Index 18:34-18:43", "Attr 18:34-18:40",
    "Name 18:34-18:38", "Number 18:41-18:42", "Number 18:47-18:50", "Quantifier 18:55-18:81",
    "Attr 18:64-18:71", "Name 18:64-18:68", "Compare 18:73-18:80", "Attr 18:73-18:76",
    "Name 18:73-18:74", "Number 18:79-18:80", "Call 19:9-19:26", "Number 19:11-19:12",
    "Bool 19:14-19:18", "Bool 19:20-19:25", "Compare 19:31-19:49", "Name 19:31-19:36",
    "DateLit 19:39-19:49", "Attr 19:54-19:62", "Name 19:54-19:60", "Number 19:67-19:71",
    "Effect 20:8-20:28",
    "Rule 21:1-21:36", "Attr 21:14-21:20", "Name 21:14-21:18", "Effect 21:26-21:36",
    "Rule 22:1-22:20", "Effect 22:16-22:20", "Disable 23:1-23:17",
    "Standard 24:1-29:17", "Cite 25:3-25:10", "level_span 26:8-26:26", "Compare 26:33-26:62",
    "Quantifier 26:33-26:58", "Attr 26:44-26:57", "Name 26:44-26:48", "Number 26:61-26:62",
    "Measure 27:3-27:56", "Quantifier 27:19-27:56", "Attr 27:28-27:41", "Name 27:28-27:32",
    "Attr 27:43-27:55", "Name 27:43-27:44", "StandardExpect 28:3-28:23", "Compare 28:10-28:18",
    "Name 28:10-28:11", "Number 28:15-28:18", "Export 29:3-29:17",
    "Test 30:1-39:2", "Given 31:9-31:28", "Given 31:29-31:53", "Expectation 33:3-33:26",
    "name_spans 33:20-33:22", "name_spans 33:24-33:26", "Expectation 34:3-34:15",
    "Expectation 35:3-35:18", "name_spans 35:16-35:18", "Expectation 36:3-36:22",
    "name_spans 36:20-36:22", "Expectation 37:3-37:26", "name_spans 37:19-37:26",
    "Expectation 38:3-38:42", "name_spans 38:19-38:21", "name_spans 38:22-38:28",
    "Comment 1:1-1:6", "Comment 14:15-14:21",
]


def _spanned(x, parent=None):
    """(label, span, node, parent span) for every span under ``x``, in field order."""
    if isinstance(x, (tuple, list)):
        for item in x:
            yield from _spanned(item, parent)
        return
    if not dataclasses.is_dataclass(x) or isinstance(x, n.Span):
        return
    own = getattr(x, "span", None)
    if own is not None:
        yield type(x).__name__, own, x, parent
    for f in dataclasses.fields(x):
        value = getattr(x, f.name)
        if f.name == "span":
            continue
        if isinstance(value, n.Span):
            yield f.name, value, None, own
        elif f.name == "name_spans":
            yield from ((f.name, s, None, own) for s in value)
        else:
            yield from _spanned(value, own if own is not None else parent)


def _label(label: str, s: n.Span) -> str:
    return f"{label} {s.line}:{s.column}-{s.end_line}:{s.end_column}"


def test_every_construct_keeps_its_positions():
    module, diags = parse(GOLDEN_SOURCE, "g.jc")
    assert diags == []
    found = [_label(label, s) for label, s, _, _ in _spanned(module.decls)]
    found += [_label(label, s) for label, s, _, _ in _spanned(module.comments)]
    assert found == GOLDEN


def test_golden_values_and_node_types():
    module, _ = parse(GOLDEN_SOURCE, "g.jc")
    assert [type(d).__name__ for d in module.decls] == [
        "PackHeader", "Title", "Source", "RequirementDecl", "Param", "Param", "Param", "ListDecl",
        "Rule", "Rule", "Rule", "Disable", "Standard", "Test"]
    item = module.decls[7].entries[0]
    assert item.attrs == (("dept", '民"政'), ("n", -4), ("f", 1.5), ("ok", True), ("no", None),
                          ("d", "2024-05-01"), ("s", "street"), ("xs", [1, "b"]))
    assert type(dict(item.attrs)["s"]) is n.Symbol and type(dict(item.attrs)["d"]) is n.DateText
    assert module.decls[10].id == "test"  # a keyword is a name where no keyword fits
    test = module.decls[-1]
    assert [(e.kind, e.value, e.names) for e in test.expectations] == [
        ("decision", "reject", ("R1", "R2")), ("decision", "admit", ()), ("fires", None, ("R1",)),
        ("not_fires", None, ("R2",)), ("requires", None, ("funding",)),
        ("standard", "passes", ("标准", "passes"))]


# ------------------------------------------------------- shipped packs' spans
def _slice(lines: list[str], s: n.Span) -> str:
    if s.line == s.end_line:
        return lines[s.line - 1][s.column - 1:s.end_column - 1]
    return "\n".join([lines[s.line - 1][s.column - 1:], *lines[s.line:s.end_line - 1],
                      lines[s.end_line - 1][:s.end_column - 1]])


def _balanced(source: str) -> str:
    """``source`` with the parentheses its span leaves out put back: a node
    spans from its first token to its last, and the parentheses around an
    operand at either edge (``a and (b or c)``) belong to no node."""
    depth = lowest = 0
    for ch in re.sub(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*', "", source):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        lowest = min(lowest, depth)
    return "(" * -lowest + source + ")" * (depth - lowest)


def _inside(inner: n.Span, outer: n.Span) -> bool:
    return (outer.line, outer.column) <= (inner.line, inner.column) \
        and (inner.end_line, inner.end_column) <= (outer.end_line, outer.end_column)


def _shape(x):
    """A node as nested tuples with the type of every value (``==`` on nodes
    ignores spans but also cannot tell a Symbol from a str)."""
    if dataclasses.is_dataclass(x) and not isinstance(x, n.Span):
        return (type(x).__name__,) + tuple(_shape(getattr(x, f.name)) for f in dataclasses.fields(x)
                                           if f.compare)
    if isinstance(x, (tuple, list)):
        return (type(x).__name__,) + tuple(_shape(i) for i in x)
    return (type(x).__name__, x)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(REPO)))
def test_spans_cover_exactly_the_source_of_their_node(path):
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    module, diags = parse(text, str(path))
    assert diags == []
    for label, span, node, parent in _spanned(module.decls):
        assert span.file == str(path)
        assert 1 <= span.line <= span.end_line <= len(lines)
        assert (span.line, span.column) < (span.end_line, span.end_column)
        if parent is not None:
            assert _inside(span, parent), (label, span, parent)
        source = _slice(lines, span)
        assert source == source.strip() and source, (label, span)
        if isinstance(node, n.Decl):
            again, d = parse(_balanced(source), "again.jc")
            assert d == [] and _shape(again.decls) == _shape((node,)), (label, span)
        elif isinstance(node, n.Expr):
            again, d = parse("param p = " + _balanced(source), "again.jc")
            assert d == [] and _shape(again.decls[0].value) == _shape(node), (label, span)
    for comment in module.comments:
        assert _slice(lines, comment.span) == comment.text


# --------------------------------------------------------------- tokenizing
def test_tokens_are_ours_not_lark_lexer():
    # Lark's contextual lexer would split `==` where only `=` fits, `thenx`
    # where only `then` fits and `2024-05-011` into a date and a digit.
    _, diags = parse("pack p\nparam P == 3", "f.jc")
    assert [(d.code, d.span.line, d.span.column, d.span.end_column) for d in diags] == [("E102", 2, 9, 11)]
    assert "“==”" in diags[0].message
    module, diags = parse("pack p\nrule R when task.x == thenx then reject", "f.jc")
    assert diags == [] and module.decls[1].when.right == n.Name(None, "thenx")
    module, diags = parse("pack p\nparam d = 2024-05-011", "f.jc")
    assert diags == [] and isinstance(module.decls[1].value, n.Arith)
    _, diags = parse("pack p\nrule R when any(x inside task.y) then reject", "f.jc")
    assert [(d.code, str(d.span)) for d in diags] == [("E102", "f.jc:2:19")] and "“inside”" in diags[0].message


def test_unknown_characters_and_open_strings_are_located():
    _, diags = parse('pack p\nrule R when task.x ; then reject\ntitle "开', "f.jc")
    assert [(d.code, str(d.span)) for d in diags] == [("E101", "f.jc:2:20"), ("E104", "f.jc:3:7")]


def test_recovery_keeps_later_declarations_and_their_positions():
    good = 'pack p\nrule A when task.x == 1 then reject\n\nrule B "乙"  # 注\n  when task.y then warn\n'
    broken = good.replace("task.x == 1", "task.x == ")
    ok_module, _ = parse(good, "f.jc")
    module, diags = parse(broken, "f.jc")
    assert [(d.code, str(d.span)) for d in diags] == [("E102", "f.jc:2:24")]
    assert [type(d).__name__ for d in module.decls] == ["PackHeader", "Rule"]
    rule_b = module.decls[1]
    assert rule_b == ok_module.decls[2]
    assert [_label(lb, s) for lb, s, _, _ in _spanned(rule_b)] == \
        [_label(lb, s) for lb, s, _, _ in _spanned(ok_module.decls[2])]
    assert [(c.text, str(c.span)) for c in module.comments] == [("# 注", "f.jc:4:13")]


# ------------------------------------------------------------------ threads
def test_one_parser_serves_many_threads():
    texts = [(str(p), p.read_text(encoding="utf-8")) for p in SOURCES] * 4
    texts.append(("deep.jc", "pack x\nrule R when " + "not " * 5000 + "task.a then reject"))

    def outcome(item):
        module, diags = parse(item[1], item[0])
        spans = [_label(lb, s) for lb, s, _, _ in _spanned(module.decls)]
        return _shape(module.decls), spans, [(d.code, str(d.span)) for d in diags]

    alone = [outcome(t) for t in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(outcome, texts))
    assert together == alone
    assert alone[-1][2] == [("E105", "deep.jc:2:19761")]
