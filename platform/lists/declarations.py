"""清单 items as rule-language text: the declarations an import writes into a draft pack.

:func:`item_declaration` is the one place that knows how an item is written:
``"CODE" "名称" alias "别名" levels 社区, 村 example cite S003 "章节" quote "原文" requires funding
{ 部门: "民政", 备注: "…" }`` (the item clauses of the rule language; a citation that does not
name a declared source and a clause stays a ``依据`` attribute). :func:`from_compiled` reads an
item back from a compiled pack, so that export and import speak of the same fields.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from jiceng.dsl.types import LEVEL_LABELS

#: item attributes the table has a column for
CITATION, DEPARTMENT, NOTE = "依据", "部门", "备注"
FIXED_ATTRS = (CITATION, DEPARTMENT, NOTE)
_NAME = re.compile(r"[^\W\d]\w*")


@dataclass(frozen=True)
class Citation:
    """``cite SOURCE "clause" quote "…"`` of one item."""

    source: str
    clause: str
    quote: str = ""

    def text(self) -> str:
        """As the table writes it: ``S003 章节``, the quote in 「」 after it."""
        return f"{self.source} {self.clause}" + (f"「{self.quote}」" if self.quote else "")


@dataclass(frozen=True)
class ListItem:
    """One 清单 item as a row of the table holds it."""

    code: str
    name: str
    citation: str = ""               # a 依据 that is not a declared source and clause (kept as written)
    department: str = ""
    levels: tuple[str, ...] = ()     # level codes: community, village …
    note: str = ""
    requires: tuple[str, ...] = ()   # requirement codes
    other: tuple[tuple[str, object], ...] = field(default=())  # any other attributes, as written
    cites: tuple[Citation, ...] = ()
    aliases: tuple[str, ...] = ()
    example: bool = False

    def attrs(self) -> dict:
        """The record attributes the item is declared with (empty ones left out)."""
        out: dict = {}
        if self.citation:
            out[CITATION] = self.citation
        if self.department:
            out[DEPARTMENT] = self.department
        if self.note:
            out[NOTE] = self.note
        out.update(self.other)
        return out

    def citation_text(self) -> str:
        """The table's 依据 cell: the cites one per line, else the 依据 attribute."""
        return "\n".join(c.text() for c in self.cites) if self.cites else self.citation


#: the escapes the rule language reads in a string literal (parser.unescape); other control
#: characters cannot be written, and the table's reader refuses them
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t"})


def quote(text: str) -> str:
    """``text`` as a string literal of the rule language."""
    return '"' + text.translate(_ESCAPES) + '"'


def name_or_quoted(text: str) -> str:
    """A bare name where the language reads one (S003), else a quoted text ("HB-LIST")."""
    return text if _NAME.fullmatch(text) else quote(text)


def value_text(value) -> str:
    """A record value as rule-language text: strings quoted, lists bracketed, JSON scalars as is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return record_text(value)
    return quote(str(value))


def record_text(values: dict) -> str:
    return "{ " + ", ".join(f"{quote(k)}: {value_text(v)}" for k, v in values.items()) + " }"


def level_word(level: str) -> str:
    """How an item's ``levels`` clause names a level: 社区, 村 (the code where the label is no name)."""
    label = LEVEL_LABELS.get(level, level)
    return label if _NAME.fullmatch(label) else level


def item_declaration(item: ListItem) -> str:
    """One item as a line of a ``list`` declaration."""
    text = f"{quote(item.code)} {quote(item.name)}"
    for alias in item.aliases:
        text += f" alias {quote(alias)}"
    if item.levels:
        text += " levels " + ", ".join(level_word(x) for x in item.levels)
    if item.example:
        text += " example"
    for c in item.cites:
        text += f" cite {name_or_quoted(c.source)} {quote(c.clause)}" + (f" quote {quote(c.quote)}" if c.quote else "")
    if item.requires:
        text += " requires " + ", ".join(item.requires)
    attrs = item.attrs()
    if attrs:
        text += " " + record_text(attrs)
    return text


def from_compiled(i: dict) -> ListItem:
    """A compiled pack's item (``checked.lists[name].items``) as the table holds it."""
    attrs = i["attrs"]
    other = tuple((k, _plain(v)) for k, v in attrs.items() if k not in FIXED_ATTRS)
    cites = tuple(Citation(c["source"], c["clause"] or "", c.get("quote") or "") for c in i.get("cites", ()))
    return ListItem(i["code"], i["name"], _text(attrs.get(CITATION)), _text(attrs.get(DEPARTMENT)),
                    tuple(i.get("levels", ())), _text(attrs.get(NOTE)), tuple(i["requires"]), other, cites,
                    tuple(i.get("aliases", ())), bool(i.get("example", False)))


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    return str(value)


def _plain(value):
    """A compiled attribute value as plain JSON (symbols are strings)."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, str):
        return str(value)
    return value
