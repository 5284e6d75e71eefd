"""How a list item reads in an expression (``L["code"].部门``, ``any(i in kind assist: …)``).

A list is pack data, so an attribute an item does not declare has a meaning —
false, empty, zero — never unknown.
"""
from __future__ import annotations

from .types import BOOL, STR, ArrayOf, Enum, Num, Record, SetOf


def absent_value(t):
    """What an attribute an item does not declare reads as."""
    if t == BOOL:
        return False
    if isinstance(t, SetOf):
        return frozenset()
    if isinstance(t, ArrayOf):
        return ()
    if isinstance(t, Num):
        return 0
    if isinstance(t, Enum) or t == STR:
        return ""
    if isinstance(t, Record):
        return {}
    return None


def item_value(item: dict, item_type: Record) -> dict:
    """The record an expression sees for ``item`` (a :class:`~.checker.ListInfo` item)."""
    value = {"code": item["code"], "name": item["name"], "kind": item["kind"],
             "requires": frozenset(item["requires"]), "aliases": frozenset(item.get("aliases", ())),
             "levels": frozenset(item.get("levels", ())), "example": bool(item.get("example")),
             "list": item.get("list", ""), **item["attrs"]}
    for attr, t in item_type.fields.items():
        if value.get(attr) is None:  # not declared, or declared null
            value[attr] = absent_value(t)
    return value


def items_table(items, item_type: Record) -> dict:
    """``{spelling: item record}``: each item under its code, then its name and aliases
    (a code always wins over another item's name)."""
    table: dict = {}
    for item in items:
        table[item["code"]] = item_value(item, item_type)
    for item in items:
        for spelling in (item["name"], *item.get("aliases", ())):
            table.setdefault(spelling, table[item["code"]])
    return table
