"""The TextMate grammar of ``.jc`` files (``editors/jiceng.tmLanguage.json``), made from grammar.lark.

The keywords are the grammar's own (:func:`jiceng.dsl.parser.keywords`): a keyword added to
grammar.lark is highlighted once the file is made again, and ``tests/dsl/test_ide_textmate.py``
fails until it is. The tables below only choose a colour (a TextMate scope) for some keywords;
every other keyword is highlighted as a keyword all the same. Make the file with::

    python -m jiceng.dsl.ide.textmate editors/jiceng.tmLanguage.json

Highlighting is by words: the language reserves a keyword only where the grammar accepts it
(a rule may be named ``test``), which a TextMate grammar cannot see; the editor's diagnostics
and completions (`jiceng lsp`) are exact.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from ..parser import DECL_KEYWORDS, keywords

SCOPE = "source.jiceng"
NAME = r"[^\W\d]\w*"
#: scope -> the keywords shown in it (a keyword in none is ``keyword.control.jiceng``)
SCOPES = {
    "storage.type.declaration.jiceng": set(DECL_KEYWORDS),
    "keyword.operator.word.jiceng": {"and", "or", "not", "in", "contains", "per"},
    "constant.language.jiceng": {"true", "false", "null"},
    "storage.modifier.jiceng": {"floor", "ceiling", "narrow", "fixed", "free", "overridable"},
    "support.function.quantifier.jiceng": {"any", "all", "count", "sum"},
}
DEFAULT_SCOPE = "keyword.control.jiceng"


def _alternation(words) -> str:
    # longest first, so that no keyword is cut short by another it starts with
    return r"\b(?:" + "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w))) + r")\b"


def keyword_scopes() -> dict[str, list[str]]:
    """Every keyword of grammar.lark under its scope."""
    out: dict[str, list[str]] = {}
    for word in sorted(keywords()):
        scope = next((s for s, words in SCOPES.items() if word in words), DEFAULT_SCOPE)
        out.setdefault(scope, []).append(word)
    return out


def grammar() -> dict:
    """The TextMate grammar, as JSON data."""
    patterns = [
        {"name": "comment.line.number-sign.jiceng", "match": r"#.*$"},
        {"name": "string.quoted.double.jiceng", "begin": '"', "end": '"|$',
         "patterns": [{"name": "constant.character.escape.jiceng", "match": r"\\."}]},
        {"name": "constant.numeric.date.jiceng", "match": r"\b\d{4}-\d{2}-\d{2}(?!\d)"},
        {"name": "constant.numeric.jiceng", "match": r"\b\d+(?:\.\d+)?"},
        # the name a declaration gives: rule 街道取消招商引资, list 协助事项, param 网格户数 …
        {"match": r"^\s*(" + "|".join(sorted(DECL_KEYWORDS)) + r")\s+(" + NAME + ")",
         "captures": {"1": {"name": "storage.type.declaration.jiceng"}, "2": {"name": "entity.name.jiceng"}}},
        # a field after a dot is never a keyword: task.kind, target.source
        {"name": "variable.other.property.jiceng", "match": r"(?<=\.)" + NAME},
    ]
    scopes = keyword_scopes()
    # operator words and constants before calls (`not (a or b)` is no call), the rest after
    # (`floor(x)` calls the function floor; `floor` alone is the override policy)
    first = ("keyword.operator.word.jiceng", "constant.language.jiceng")
    patterns += [{"name": scope, "match": _alternation(scopes[scope])} for scope in first if scope in scopes]
    patterns.append({"match": "(" + NAME + r")\s*(?=\()", "captures": {"1": {"name": "entity.name.function.jiceng"}}})
    patterns += [{"name": scope, "match": _alternation(words)} for scope, words in scopes.items() if scope not in first]
    patterns.append({"name": "keyword.operator.jiceng", "match": r"==|!=|<=|>=|<|>|\.\.|[-+*/%]"})
    return {"name": "jiceng", "scopeName": SCOPE, "fileTypes": ["jc"],
            "comment": "Made by `python -m jiceng.dsl.ide.textmate` from dsl/grammar.lark; do not edit by hand.",
            "patterns": patterns}


def render() -> str:
    """The grammar as the file holds it."""
    return json.dumps(grammar(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("用法:python -m jiceng.dsl.ide.textmate editors/jiceng.tmLanguage.json")
    Path(sys.argv[1]).write_text(render(), encoding="utf-8")
