"""Spreadsheets for the import tests: rows written as an .xlsx file's bytes (openpyxl)."""
from __future__ import annotations

import io

from openpyxl import Workbook


def xlsx(rows) -> bytes:
    """An .xlsx workbook whose first sheet holds ``rows``, as bytes."""
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
