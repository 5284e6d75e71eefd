"""Spreadsheet cells that stay text.

Exports carry anyone's text (a task's title, an item's name). A spreadsheet program runs a cell
starting with ``=``, ``+``, ``-`` or ``@`` as a formula (CSV injection), so such text is written
with a leading apostrophe, as spreadsheet programs themselves write text that looks like a
formula; an import reads the apostrophe back off, so an export imports as what it holds.
"""
from __future__ import annotations

#: what a spreadsheet program would take for the start of a formula
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value):
    """``value`` as a CSV cell that a spreadsheet shows as text (other values unchanged)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def read_cell(text: str) -> str:
    """The text a cell written by :func:`text_cell` holds."""
    if text.startswith("'") and text[1:].startswith(FORMULA_START):
        return text[1:]
    return text
