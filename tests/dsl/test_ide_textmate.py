"""editors/: the TextMate grammar is made from grammar.lark and cannot drift from it; the VS Code
package points at it. A tiny TextMate-like tokenizer (earliest match wins, first pattern on a tie)
checks that real pack text is coloured as a reader expects."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from jiceng.dsl.ide import textmate
from jiceng.dsl.parser import keywords

EDITORS = Path(__file__).resolve().parents[2] / "editors"
GRAMMAR = EDITORS / "jiceng.tmLanguage.json"
REGENERATE = "python -m jiceng.dsl.ide.textmate editors/jiceng.tmLanguage.json"


def shipped() -> dict:
    return json.loads(GRAMMAR.read_text(encoding="utf-8"))


def test_the_shipped_grammar_is_the_one_made_from_grammar_lark():
    assert GRAMMAR.read_text(encoding="utf-8") == textmate.render(), f"grammar.lark changed: run {REGENERATE}"


def test_its_keywords_are_exactly_the_grammars():
    found = set()
    for p in shipped()["patterns"]:
        m = re.fullmatch(r"\\b\(\?:(.*)\)\\b", p.get("match", ""))
        if m:
            found |= set(m.group(1).split("|"))
    assert found == set(keywords()), f"run {REGENERATE}"
    assert {"when", "then", "rule", "floor", "true"} <= found  # the grammar's keywords, read from it


def _scopes(line: str) -> list[tuple[str, str]]:
    """(text, scope) of each match on one line, as a TextMate engine colours it (no nesting)."""
    patterns = shipped()["patterns"]
    compiled = []
    for p in patterns:
        regex = p.get("match") or p["begin"] + r'(?:[^"\\]|\\.)*(?:' + p["end"] + ")"
        compiled.append((re.compile(regex), p))
    out, pos = [], 0
    while pos < len(line):
        best = None
        for regex, p in compiled:
            m = regex.search(line, pos)
            if m and m.end() > m.start() and (best is None or m.start() < best[0].start()):
                best = (m, p)
        if best is None:
            break
        m, p = best
        if "captures" in p:
            out += [(m.group(int(k)), c["name"]) for k, c in p["captures"].items()]
        else:
            out.append((m.group(), p["name"]))
        pos = m.end()
    return out


@pytest.mark.parametrize("line, expected", [
    ('rule 街道取消 "街道不再承担" # 注释', [("rule", "storage.type.declaration.jiceng"), ("街道取消", "entity.name.jiceng"),
                                        ('"街道不再承担"', "string.quoted.double.jiceng"),
                                        ("# 注释", "comment.line.number-sign.jiceng")]),
    ("  when target.level == street and not (task.kind in 清单)",
     [("when", "keyword.control.jiceng"), ("level", "variable.other.property.jiceng"), ("==", "keyword.operator.jiceng"),
      ("and", "keyword.operator.word.jiceng"), ("not", "keyword.operator.word.jiceng"),
      ("kind", "variable.other.property.jiceng"), ("in", "keyword.operator.word.jiceng")]),
    ("param 配比 = 18 人 per 10000 人 floor", [("param", "storage.type.declaration.jiceng"), ("配比", "entity.name.jiceng"),
                                           ("18", "constant.numeric.jiceng"), ("per", "keyword.operator.word.jiceng"),
                                           ("10000", "constant.numeric.jiceng"), ("floor", "storage.modifier.jiceng")]),
    ("  measure gap = floor(x) + 1", [("measure", "keyword.control.jiceng"), ("floor", "entity.name.function.jiceng"),
                                      ("+", "keyword.operator.jiceng"), ("1", "constant.numeric.jiceng")]),
    ("  on 2024-05-01 expect reject", [("on", "keyword.control.jiceng"), ("2024-05-01", "constant.numeric.date.jiceng"),
                                       ("expect", "keyword.control.jiceng"), ("reject", "keyword.control.jiceng")]),
    ("rules 规则rule rule_x ruled", []),  # no keyword inside a longer name
])
def test_lines_are_coloured_as_read(line, expected):
    assert _scopes(line) == expected


def test_the_vscode_package_contributes_the_language_and_the_grammar():
    package = json.loads((EDITORS / "package.json").read_text(encoding="utf-8"))
    (language,) = package["contributes"]["languages"]
    (grammar,) = package["contributes"]["grammars"]
    assert language["extensions"] == [".jc"] and grammar["language"] == language["id"]
    assert grammar["scopeName"] == shipped()["scopeName"] == textmate.SCOPE
    assert (EDITORS / grammar["path"]).resolve() == GRAMMAR
    config = json.loads((EDITORS / language["configuration"]).read_text(encoding="utf-8"))
    assert config["comments"]["lineComment"] == "#"


def test_a_keyword_new_to_the_grammar_is_coloured_without_a_table_entry(monkeypatch):
    grown = {**keywords(), "quote": "QUOTE", "effective": "EFFECTIVE"}  # as another branch adds them
    monkeypatch.setattr(textmate, "keywords", lambda: grown)
    assert {"quote", "effective"} <= set(textmate.keyword_scopes()[textmate.DEFAULT_SCOPE])
    assert "quote" in json.dumps(textmate.grammar())
