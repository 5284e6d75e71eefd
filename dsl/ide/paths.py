"""Paths into the facts, read from the tokens before a cursor: ``task.deadline``,
``清单["X"].name``, and a quantifier's variable (``any(x in task.items: x.``), typed with the
pack's :mod:`.symbols`."""
from __future__ import annotations

from typing import Optional

from lark import Token

from ..types import DATE, ArrayOf, Record, SetOf, Type
from .symbols import Symbols

_QUANTIFIERS = {"ANY", "ALL", "COUNT", "SUM"}
_MAX_BINDING_DEPTH = 8  # a variable ranging over another's field, and so on


#: a path's segments, first to last: names, and ("item", list) for ``清单["X"]``
Segments = list


def path_before(tokens: list[Token], end: int) -> Segments:
    """The path ``a.b.c`` (or ``清单["X"].b``) that ends just before ``tokens[end]``; [] if none."""
    out: list = []
    i = end - 1
    while i >= 0:
        t = tokens[i]
        if t.type in ("NAME", "SOURCE"):
            out.append(str(t))
        elif t.type == "RSQB" and i >= 3 and tokens[i - 1].type == "STRING" and tokens[i - 2].type == "LSQB" \
                and tokens[i - 3].type == "NAME":
            out.append(("item", str(tokens[i - 3])))
            i -= 3
        else:
            break
        if i >= 1 and tokens[i - 1].type == "DOT":
            i -= 2
            continue
        break
    return list(reversed(out))


def type_of(path: Segments, tokens: list[Token], s: Symbols, depth: int = 0) -> Optional[Type]:
    """The type of ``path``, as far as the symbols know it."""
    if not path or depth > _MAX_BINDING_DEPTH:
        return None
    root = path[0]
    t: Optional[Type]
    if isinstance(root, tuple):
        t = s.list_item(root[1])
    elif root in (bound := bound_vars(tokens)):
        t = _element(type_of(bound[root], tokens, s, depth + 1), bound[root], s)
    elif root == "today":
        t = DATE
    elif root == "unit" and tokens and tokens[0].type != "STANDARD":
        t = None
    else:
        t = s.records.get(root)
    for name in path[1:]:
        t = t.fields.get(name) if isinstance(t, Record) and isinstance(name, str) else None
    return t


def _element(t: Optional[Type], path: Segments, s: Symbols) -> Optional[Type]:
    """What a quantifier's variable ranges over: an array's or set's elements, a list's items."""
    if isinstance(t, (ArrayOf, SetOf)):
        return t.elem
    if len(path) == 1 and isinstance(path[0], str) and path[0] in s.lists:
        return s.list_item(path[0])
    return None


def bound_vars(tokens: list[Token]) -> dict[str, Segments]:
    """The quantifier variables in scope at the end: ``any(x in task.items: …`` binds ``x`` to
    ``task.items`` while its parenthesis is open."""
    out: dict[str, Segments] = {}
    open_parens: list[int] = []
    for i, t in enumerate(tokens):
        if t.type == "LPAR":
            open_parens.append(i)
        elif t.type == "RPAR" and open_parens:
            open_parens.pop()
    for i in open_parens:
        if i >= 1 and tokens[i - 1].type in _QUANTIFIERS and i + 2 < len(tokens) \
                and tokens[i + 1].type == "NAME" and tokens[i + 2].type == "IN":
            out[str(tokens[i + 1])] = _path_after(tokens, i + 3)
    return out


def _path_after(tokens: list[Token], start: int) -> Segments:
    out: list = []
    i = start
    while i < len(tokens) and tokens[i].type in ("NAME", "SOURCE"):
        out.append(str(tokens[i]))
        if i + 2 < len(tokens) and tokens[i + 1].type == "DOT":
            i += 2
            continue
        break
    return out
