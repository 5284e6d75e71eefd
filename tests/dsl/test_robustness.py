"""No input ever ends in anything but a compiled pack or diagnostics.

Random text, real packs mutated at random, pathological nesting and sizes:
each must end as a Pack or as a CompileError whose every diagnostic has a
code, a zh-CN message and a position — never another exception.
"""
from __future__ import annotations

import re

import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, build
from jiceng.dsl.diagnostics import MESSAGES, CompileError
from jiceng.dsl.parser import MAX_DEPTH, MAX_FILE_BYTES, MAX_OPEN, MAX_TOKENS, parse
from jiceng.dsl.pack import Pack
from jiceng.dsl.testing import run_pack_tests

SEEDS = {p.parent.name: p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("*/pack.jc"))}
NATION = SEEDS["nation"]
TOKENS = ["rule", "when", "then", "reject", "require", "list", "kind", "{", "}", "(", ")", "[", "]", ",",
          ":", "..", "==", "and", "or", "not", "in", "per", "人", "户", '"', '"x"', "18", "3.5", "task.",
          "target.level", "#", "\n", "test", "expect", "given", "standard", "over", "measure", "param",
          "=", "floor", "-", "*", "/", "%", "2024-13-45", "\\", "any(", "count(x in", "street", "null"]


def _outcome(files: dict, tenant: str):
    try:
        return build(files, tenant)
    except CompileError as e:
        assert e.diagnostics, "a CompileError must carry diagnostics"
        for d in e.diagnostics:
            assert d.code in MESSAGES
            assert d.message and re.search(r"[\u4e00-\u9fff]", d.message), d.message
            assert d.span.line >= 0 and d.span.column >= 0
        return e


def _chain_with(tenant: str, source: str):
    return {**SEEDS, tenant: source}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_random_text_never_crashes(text):
    _outcome({"x": text}, "x")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=60))
def test_random_token_soup_never_crashes(tokens):
    _outcome({"x": "pack x\n" + " ".join(tokens)}, "x")


# Numbers of any size and precision, very long names and arbitrary bytes
# (decoded leniently, as a file read from disk would be): each must end in a
# pack or diagnostics — int()'s digit limit and float overflow used to escape.
_DIGITS = st.text("0123456789", min_size=1, max_size=6000)
NUMBERS = st.one_of(
    _DIGITS,
    st.builds(lambda a, b: f"{a}.{b}", _DIGITS, _DIGITS),
    st.integers(0, 10 ** 400).map(str),
    st.sampled_from(["1" + "0" * 309 + ".5", "0." + "0" * 400 + "1", "1000000000000000", "1000000000000000.5",
                     "0.000001", "0.0000001", "9" * 4301]),
)
LONG_NAMES = st.text(st.characters(categories=("L", "Nd")), min_size=1, max_size=5000).map(lambda t: "名" + t)
RAW = st.binary(max_size=400).map(lambda b: b.decode("utf-8", "surrogateescape"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(NUMBERS, st.sampled_from([
    "rule R when target.workers > {n} 人 then warn",
    "rule R when target.workers > {n} 人 per {n} 户 then warn",
    "rule R when target.workers in {n}..{n} 人 then warn",
    "rule R when target.workers * {n} > -{n} 人 then warn",
    "param 上限 = {n} 人 floor\nrule R when target.workers > 上限 then warn",
    'rule R when target.workers > 1 人 then warn\ntest "T" {{ given target {{ workers: -{n} }} expect admit }}',
]))
def test_numbers_of_any_size_never_crash(number, template):
    result = _outcome({"x": "pack x\n" + template.format(n=number)}, "x")
    if isinstance(result, Pack):
        result.decide({"title": "x"}, {"level": "street", "workers": 3})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(LONG_NAMES)
def test_long_identifiers_never_crash(name):
    _outcome({"x": f"pack x\nparam {name} = 3 人 floor\nrule {name} when target.workers > {name} then warn"}, "x")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(RAW)
def test_raw_bytes_never_crash(text):
    _outcome({"x": "pack x\n" + text}, "x")
    _outcome({"x": text}, "x")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(RAW)
def test_a_test_proving_a_quote_of_raw_bytes_never_crashes(raw):
    # found by tools/fuzz_packs.py: a quote with a lone surrogate reached OpenCC from run_pack_tests
    quote = "条款原文" + raw.replace('"', "").replace("\\", "").replace("\n", "")
    source = ('pack x\nsource S "文件"\nrule R "规则"\n  cite S "一" quote "条款原文"\n'
              "  when target.workers > 3 人\n  then warn\n"
              f'test "T" {{\n  cite S "一" quote "{quote}"\n  given target {{ workers: 1 }}\n  expect admit\n}}\n')
    result = _outcome({"x": source}, "x")
    if isinstance(result, Pack):
        report = run_pack_tests(result)
        assert [r.passed for r in report.results] == [True], report.results


@st.composite
def mutated(draw):
    """(tenant, its pack with 1–3 random edits): token inserts, deletions,
    duplicated or swapped lines."""
    tenant = draw(st.sampled_from(sorted(SEEDS)))
    text = SEEDS[tenant]
    for _ in range(draw(st.integers(1, 3))):
        pos = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["delete", "insert", "duplicate", "swap", "rename"]))
        if op == "rename":  # swap one word for another word of the file: semantic errors
            words = re.findall(r"[^\W\d]\w*", text)
            old, new = draw(st.sampled_from(words)), draw(st.sampled_from(words))
            text = re.sub(rf"(?<!\w){re.escape(old)}(?!\w)", new, text, count=1)
        elif op == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 12)):]
        elif op == "insert":
            text = text[:pos] + draw(st.one_of(st.sampled_from(TOKENS), st.text(max_size=3))) + text[pos:]
        elif op == "duplicate":
            text = text[:pos] + text[pos:pos + 40] + text[pos:]
        else:
            lines = text.split("\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return tenant, text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_packs_end_in_pack_or_diagnostics(case):
    tenant, text = case
    result = _outcome(_chain_with(tenant, text), tenant)
    if isinstance(result, Pack):  # whatever compiled must also decide without crashing
        result.decide({"title": "x", "kind": "assessment"}, {"level": "street"},
                      {name: None for name in result.history_needed})


def test_five_thousand_nested_parentheses_compile():
    cond = "(" * 5000 + "task.one_vote_veto" + ")" * 5000
    pack = build({"x": f"pack x\nrule R when {cond} then reject"})
    assert pack.decide({"title": "t", "one_vote_veto": True}).decision == "reject"


def test_five_thousand_nested_not_is_a_clean_error():
    cond = "not " * 5000 + "task.one_vote_veto"
    result = _outcome({"x": f"pack x\nrule R when {cond} then reject"}, "x")
    assert isinstance(result, CompileError)
    assert [d.code for d in result.diagnostics] == ["E105"]
    assert str(MAX_DEPTH) in result.diagnostics[0].message


def test_five_thousand_nested_arithmetic_is_a_clean_error():
    expr = "1 人" + " + 1 人" * 5000
    result = _outcome({"x": f"pack x\nrule R when target.workers > {expr} then reject"}, "x")
    assert isinstance(result, CompileError) and result.diagnostics[0].code == "E105"


def test_deeply_nested_sets_and_calls_are_clean():
    expr = "max(" * 3000 + "1 人" + ", 1 人)" * 3000
    result = _outcome({"x": f"pack x\nrule R when target.workers > {expr} then reject"}, "x")
    assert isinstance(result, CompileError) and result.diagnostics[0].code == "E105"


def test_long_flat_conditions_are_fine():
    cond = " and ".join(f'task.category != "c{i}"' for i in range(3000))
    pack = build({"x": f"pack x\nrule R when {cond} then reject"})
    assert pack.decide({"title": "t", "category": "c1"}).decision == "admit"
    assert pack.decide({"title": "t", "category": "zz"}).decision == "reject"


def test_oversized_file_is_refused_with_its_size():
    big = "pack x\n" + "# " + "很" * (MAX_FILE_BYTES // 3 + 10)
    result = _outcome({"x": big}, "x")
    assert isinstance(result, CompileError) and result.diagnostics[0].code == "E106"


def test_too_many_rules_is_refused_before_compiling():
    rules = "\n".join(f"rule R{i} then warn" for i in range(20_001))
    result = _outcome({"x": "pack x\n" + rules}, "x")
    assert isinstance(result, CompileError) and [d.code for d in result.diagnostics] == ["E108"]


def test_inheritance_cycle_is_reported():
    result = _outcome({"a": "pack a extends b", "b": "pack b extends a"}, "a")
    assert isinstance(result, CompileError) and result.diagnostics[0].code == "E214"


# ---- bounds that refuse costly text while scanning (not after parsing it all)

def _diagnostics(source: str):
    module, diags = parse(source, "big.jc")
    return [(d.code, d.span.line, d.span.column) for d in diags]


@pytest.mark.parametrize("opener", ["(", "not ", "- ", "[", "(not "])
def test_a_pile_of_openers_is_refused_where_it_passes_the_limit(opener):
    # 1 MiB of "(" used to be parsed to its end (and again, for recovery) before
    # ending in E103; now the opener past MAX_OPEN is the error.
    head = "rule R when "
    text = "pack x\n" + head + opener * (MAX_OPEN + 50)
    starts = [m.start() for m in re.finditer(r"\(|not|-|\[", opener)]  # each opener's tokens
    k = MAX_OPEN  # 0-based index of the first token past the limit
    column = len(head) + len(opener) * (k // len(starts)) + starts[k % len(starts)] + 1
    assert _diagnostics(text)[0] == ("E105", 2, column)
    module, diags = parse(text, "big.jc")
    assert str(MAX_OPEN) in diags[0].message


def test_openers_at_the_limit_are_not_refused_for_their_number():
    deep = "(" * MAX_OPEN + "task.one_vote_veto" + ")" * MAX_OPEN
    assert _diagnostics(f"pack x\nrule R when {deep} then reject") == []


def test_closing_brackets_and_operands_reset_the_count():
    # Many short nested groups in sequence are flat text, not nesting.
    cond = " and ".join(["(not (task.one_vote_veto))"] * (MAX_OPEN // 2))
    assert _diagnostics(f"pack x\nrule R when {cond} then reject") == []


def test_deeply_nested_test_records_are_refused():
    text = ('pack x\nrule R when target.workers > 1 人 then warn\n'
            'test "t" { given target { workers: ' + "[" * (MAX_OPEN + 1) + "]" * (MAX_OPEN + 1) + " } expect admit }")
    codes = _diagnostics(text)
    assert codes and codes[0][0] == "E105"


def test_a_file_over_the_token_limit_is_refused_before_parsing():
    lines = MAX_TOKENS // 4
    exactly = "pack x\n" + "rule R then warn\n" * (lines - 1) + "rule R"  # 2 + 4·(lines−1) + 2 tokens
    assert all(code != "E108" for code, _, _ in _diagnostics(exactly))
    assert _diagnostics(exactly + " then") == [("E108", lines + 1, len("rule R ") + 1)]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["(", "not ", "- ", "[", "{", "any(x in y: ", ")", "]", "}", "1", "x"]),
                          st.integers(1, MAX_OPEN // 2)), min_size=1, max_size=4))
def test_piles_of_openers_and_closers_end_in_a_pack_or_diagnostics(piles):
    cond = "".join(text * count for text, count in piles)
    result = _outcome({"x": f"pack x\nrule R when {cond} then warn"}, "x")
    if isinstance(result, CompileError):
        for d in result.diagnostics:  # each position is inside the text
            assert d.span.line in (1, 2) and d.span.column <= len(f"rule R when {cond} then warn") + 1
