"""What a name means, for the pointer over it: :func:`hover`.

A rule shows its title, its pack and the clauses it cites (the source's title and the clause) —
what an admin needs to see before disabling or testing it; a param its value and override
policy; a named condition (``define``) its expression; a list its kind and size; a field after
``task.`` its type; a function its doc.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Optional

from ..parser import declaration_start, parse_prefix
from .context import EditorContext
from .paths import path_before, type_of
from .symbols import Symbols, symbols
from .text import offset_at, position_of, word_at


@dataclass(frozen=True)
class Hover:
    """The explanation (zh-CN, plain text, lines separated by ``\\n``) of the name spanning
    (``line``, ``column``) to (``end_line``, ``end_column``)."""

    line: int
    column: int
    end_line: int
    end_column: int
    text: str

    def to_dict(self) -> dict:
        return asdict(self)


def hover(source: str, line: int, column: int, context: Optional[EditorContext] = None) -> Optional[Hover]:
    """The explanation of the name at (``line``, ``column``) of ``source``, None when the position
    is not on a name the pack's chain knows. Never raises for bad text."""
    offset = offset_at(source, line, column)
    start, end = word_at(source, offset)
    if start == end:
        return None
    name = source[start:end]
    s = symbols(source, context)
    text = _field(source, start, name, s) if source[:start].rstrip().endswith(".") else _named(name, s)
    if not text:
        return None
    (l1, c1), (l2, c2) = position_of(source, start), position_of(source, end)
    return Hover(l1, c1, l2, c2, text)


def _field(source: str, start: int, name: str, s: Symbols) -> Optional[str]:
    head = source[:start]
    prefix = parse_prefix(head[declaration_start(head):])
    if prefix is None or not prefix.tokens or prefix.tokens[-1].type != "DOT":
        return None
    tokens = list(prefix.tokens)
    owner = type_of(path_before(tokens, len(tokens) - 1), tokens, s)
    fields = getattr(owner, "fields", None)
    if not fields or name not in fields:
        return None
    text = f"字段 {name}:{fields[name]}(属于{getattr(owner, 'owner_label', '')})"
    if getattr(owner, "name", "") == "history" and name in s.registry.history:
        text += "\n" + s.registry.history[name].doc
    return text


def _named(name: str, s: Symbols) -> Optional[str]:
    rule = s.rules.get(name)
    if rule is not None:
        lines = [f"规则 {rule.id}" + (f":{rule.title}" if rule.title else ""),
                 f"结果:{rule.effect or '(未写 then)'};规则包:{rule.pack or s.tenant}"
                 + (";可由下级关闭(overridable)" if rule.overridable else "")
                 + (";已关闭(disable)" if rule.disabled else "")]
        lines += [_cited(c, s) for c in rule.cites]
        return "\n".join(lines)
    if name in s.params:
        return s.params[name].detail
    if name in s.defines:
        return s.defines[name].detail
    if name in s.lists:
        x = s.lists[name]
        return "\n".join([x.detail, *(_cited(c, s) for c in x.cites)])
    if name in s.sources:
        title, pack = s.sources[name]
        return f"依据来源 {name}:{title}(规则包 {pack})"
    if name in s.standards:
        std = s.standards[name]
        return f"标准 {name}" + (f":{std.title}" if std.title else "")
    if name in s.requirements:
        return f"要求代码 {name}:{s.requirements[name]}"
    fn = s.registry.functions.get(name)
    if fn is not None:
        return f"函数 {name}:{fn.doc}"
    unit = s.registry.units.get(name)
    if unit is not None:
        return f"单位 {name}" + (f"(= {unit.factor} {unit.base})" if unit.factor != 1 else "")
    return None


def _cited(c, s: Symbols) -> str:
    """One ``依据:`` line: the source's id and title and the clause cited."""
    title = s.sources.get(c.source, ("(未声明的依据来源)", ""))[0]
    return f"依据:{c.source} {title}" + (f" {c.clause}" if c.clause else "")
