"""清单 items as rule-language text: the declarations an import writes into a draft pack.

:func:`item_declaration` is the one place that knows how an item is written. Today's grammar
takes an item's citation, department, levels and note as a record
(``"CODE" "名称" requires funding { 依据: "S003 章节", 部门: "民政", 适用层级: ["社区", "村"] }``);
when the language gains item clauses (``levels 社区, 村 cite S003 "章节"``), only this function
changes. :func:`attrs_of` reads the same attributes back from a compiled pack's item.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

#: item attributes the table has a column for (attribute name in the pack -> what it holds)
CITATION, DEPARTMENT, LEVELS, NOTE = "依据", "部门", "适用层级", "备注"
FIXED_ATTRS = (CITATION, DEPARTMENT, LEVELS, NOTE)


@dataclass(frozen=True)
class ListItem:
    """One 清单 item as a row of the table holds it."""

    code: str
    name: str
    citation: str = ""               # "S003 实行社区事务准入制度", or the document's name and clause
    department: str = ""
    levels: tuple[str, ...] = ()     # 社区, 村
    note: str = ""
    requires: tuple[str, ...] = ()   # requirement codes
    other: tuple[tuple[str, object], ...] = field(default=())  # any other attributes, as written

    def attrs(self) -> dict:
        """The attributes the item is declared with (empty ones left out)."""
        out: dict = {}
        if self.citation:
            out[CITATION] = self.citation
        if self.department:
            out[DEPARTMENT] = self.department
        if self.levels:
            out[LEVELS] = list(self.levels)
        if self.note:
            out[NOTE] = self.note
        out.update(self.other)
        return out


#: the escapes the rule language reads in a string literal (parser.unescape); other control
#: characters cannot be written, and the table's reader refuses them
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t"})


def quote(text: str) -> str:
    """``text`` as a string literal of the rule language."""
    return '"' + text.translate(_ESCAPES) + '"'


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


def item_declaration(item: ListItem) -> str:
    """One item as a line of a ``list`` declaration (today's grammar: attributes in a record)."""
    text = f"{quote(item.code)} {quote(item.name)}"
    if item.requires:
        text += " requires " + ", ".join(item.requires)
    attrs = item.attrs()
    if attrs:
        text += " " + record_text(attrs)
    return text


def list_declaration(name: str, items: list[ListItem], comment: Optional[str] = None) -> str:
    """A ``list`` declaration adding ``items`` to the inherited list ``name`` (kind and title inherited)."""
    head = f"# {comment}\n" if comment else ""
    body = "".join(f"  {item_declaration(i)}\n" for i in items)
    return f"{head}list {name} {{\n{body}}}\n"


def attrs_of(attrs: dict) -> tuple[str, str, tuple[str, ...], str, tuple[tuple[str, object], ...]]:
    """(citation, department, levels, note, other attributes) of a compiled item's ``attrs``."""
    levels = attrs.get(LEVELS) or ()
    if isinstance(levels, str):
        levels = (levels,)
    other = tuple((k, _plain(v)) for k, v in attrs.items() if k not in FIXED_ATTRS)
    return (_text(attrs.get(CITATION)), _text(attrs.get(DEPARTMENT)), tuple(str(x) for x in levels),
            _text(attrs.get(NOTE)), other)


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
