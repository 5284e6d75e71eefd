"""Positions in an editor's text: 1-based lines and columns, as diagnostics carry them.

A column counts characters (code points), like the parser's spans; lines end at ``\\n``
(a ``\\r`` before it is part of the line, as the parser reads it). Positions past the end of a
line or of the text are clamped: an editor may ask about any place, and is never refused here.
"""
from __future__ import annotations

import re

#: a name as the grammar reads it (``NAME`` in grammar.lark): letters of any script, digits, ``_``
WORD = re.compile(r"[^\W\d]\w*")
_CHAR = re.compile(r"\w")
_DIGIT = re.compile(r"\d")
_WORD_START = re.compile(r"\w*")


def offset_at(text: str, line: int, column: int) -> int:
    """The offset of (``line``, ``column``) in ``text``, clamped into the text."""
    start = 0
    for _ in range(max(line, 1) - 1):
        nl = text.find("\n", start)
        if nl < 0:
            return len(text)
        start = nl + 1
    end = text.find("\n", start)
    end = len(text) if end < 0 else end
    return min(start + max(column, 1) - 1, end)


def position_of(text: str, offset: int) -> tuple[int, int]:
    """(line, column) of ``offset`` in ``text``."""
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def word_before(text: str, offset: int) -> int:
    """Where the name that ends at ``offset`` begins (``offset`` itself when none does): the part
    of a name already typed, which a completion replaces."""
    start = offset
    while start > 0 and _CHAR.match(text, start - 1):
        start -= 1
    while start < offset and _DIGIT.match(text, start):  # "3人" is the number 3, then the unit 人
        start += 1
    return start


def word_at(text: str, offset: int) -> tuple[int, int]:
    """(start, end) of the name around ``offset`` (an empty span at ``offset`` when there is none)."""
    start = word_before(text, offset)
    end = _WORD_START.match(text, offset).end()
    if start == end or not WORD.fullmatch(text, start, end):
        return offset, offset
    return start, end
