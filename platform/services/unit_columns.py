"""Tenants' org units as columns (:class:`jiceng.dsl.columnar.UnitTable`), read set-based.

A national tree has 3.6 million units; a row per unit through the database driver costs
a Python object per value (seconds per column). Instead each column comes back as one
value: SQLite concatenates it (``group_concat``, parsed by numpy), PostgreSQL packs it as
binary (``string_agg(int8send(…))``, read with ``np.frombuffer``). Only the columns the
standards read are fetched. Rows are put in code order (the order the per-unit path walks
children in), and each unit's parent becomes a row index.

Digit-only codes (12-digit division codes, 15-digit grids) travel as integers; any other
code makes the read fall back to text for codes, still one value per column.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

import numpy as np
from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from jiceng.dsl.columnar import UnitTable
from jiceng.dsl.types import LEVELS

from ..db.models import OrgUnit
from .tenant_files import FLOAT_COLUMNS, INT_COLUMNS

NUMBER_COLUMNS = INT_COLUMNS + FLOAT_COLUMNS
TEXT_COLUMNS = ("name", "code", "parent")
_SEP = "\x1f"       # between text values (names may hold commas)
_NULL = "\x1e"      # a missing text value
_INT_NULL = -(2**63)


@dataclass
class UnitColumns:
    """The table plus what the table itself does not hold: codes and owning tenants."""

    table: UnitTable
    codes: np.ndarray          # int64 (digit codes) or object array of str, per row, in code order
    tenants: tuple[str, ...]
    tenant_of: np.ndarray      # int16 index into ``tenants`` per row

    @property
    def size(self) -> int:
        return self.table.size

    def code_list(self, rows: Iterable[int]) -> list[str]:
        """Codes of ``rows`` as text."""
        codes = self.codes[np.asarray(list(rows) if not isinstance(rows, np.ndarray) else rows, dtype=np.int64)]
        return [str(c) for c in codes.tolist()]

    def row_of(self, code: str) -> Optional[int]:
        """The row of the unit ``code`` (None when not loaded)."""
        if self.codes.dtype == object:
            hits = np.flatnonzero(self.codes == code)
            return int(hits[0]) if len(hits) else None
        if not (code.isdigit() and code[0] != "0" and len(code) <= 18):
            return None
        hits = np.flatnonzero(self.codes == int(code))
        return int(hits[0]) if len(hits) else None

    def levels(self) -> np.ndarray:
        return self.table.texts["level"][0]


def load_units(session: Session, tenants: Sequence[str], numbers: Iterable[str] = NUMBER_COLUMNS,
               texts: Iterable[str] = ()) -> UnitColumns:
    """The units of ``tenants`` with the ``numbers`` and ``texts`` columns standards read."""
    tenants = tuple(tenants)
    numbers = [c for c in NUMBER_COLUMNS if c in set(numbers)]
    texts = [c for c in TEXT_COLUMNS if c in set(texts)]
    pg = session.get_bind().dialect.name == "postgresql"
    digits = _codes_are_digits(session, tenants, pg)
    raw = (_read_postgresql if pg else _read_sqlite)(session, tenants, numbers, texts, digits)
    return _assemble(raw, tenants, numbers, texts, digits)


# ---------------------------------------------------------------------- SQL
def _tenant_filter() -> str:
    return "tenant_code IN :tenants"


def _case(column: str, values: Sequence[str]) -> str:
    """``column``'s value as its position in ``values`` (-1 for any other)."""
    whens = " ".join(f"WHEN '{v}' THEN {i}" for i, v in enumerate(values))
    return f"(CASE {column} {whens} ELSE -1 END)"


def _codes_are_digits(session: Session, tenants: tuple[str, ...], pg: bool) -> bool:
    if pg:
        bad = ("code !~ '^[1-9][0-9]{0,17}$' OR (parent_code IS NOT NULL AND parent_code !~ '^[1-9][0-9]{0,17}$')")
    else:
        pattern = "(x GLOB '*[^0-9]*' OR x GLOB '0*' OR x = '' OR length(x) > 18)"
        bad = f"{pattern.replace('x', 'code')} OR (parent_code IS NOT NULL AND {pattern.replace('x', 'parent_code')})"
    stmt = text(f"SELECT 1 FROM org_units WHERE {_tenant_filter()} AND ({bad}) LIMIT 1").bindparams(
        bindparam("tenants", expanding=True))
    return session.execute(stmt, {"tenants": list(tenants)}).first() is None


def _safe_tenants(tenants: Sequence[str]) -> list[str]:
    """Tenant codes go into a CASE expression: they are identifiers from the tenants table."""
    for t in tenants:
        if not t.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"unexpected tenant code {t!r}")
    return list(tenants)


def _read_sqlite(session: Session, tenants, numbers, texts, digits) -> dict:
    cols = {"level": f"group_concat({_case('level', LEVELS)})",
            "tenant": f"group_concat({_case('tenant_code', _safe_tenants(tenants))})"}
    if digits:
        cols["code"] = "group_concat(CAST(code AS INTEGER))"
        cols["parent"] = f"group_concat(coalesce(CAST(parent_code AS INTEGER), {_INT_NULL}))"
    else:
        cols["code"] = "group_concat(code, char(31))"
        cols["parent"] = "group_concat(coalesce(parent_code, char(30)), char(31))"
    for c in numbers:  # 17 significant digits: every float comes back exactly (printf(NULL) would be 0)
        value = f"CASE WHEN {c} IS NULL THEN 'nan' ELSE printf('%!.17g', {c}) END" if c in FLOAT_COLUMNS \
            else f"coalesce(CAST({c} AS TEXT), 'nan')"
        cols[c] = f"group_concat({value})"
    for c in texts:
        cols[f"text:{c}"] = f"group_concat(coalesce({_text_column(c)}, char(30)), char(31))"
    names = list(cols)
    sql = f"SELECT count(*), {', '.join(cols.values())} FROM org_units WHERE {_tenant_filter()}"
    stmt = text(sql).bindparams(bindparam("tenants", expanding=True))
    row = session.execute(stmt, {"tenants": list(tenants)}).one()
    size, values = row[0], row[1:]
    out = {"size": size}
    for key, value in zip(names, values):
        value = value or ""
        if key in ("level", "tenant"):
            out[key] = np.fromstring(value, dtype=np.int64, sep=",") if size else np.zeros(0, np.int64)
        elif key in ("code", "parent") and digits:
            out[key] = np.fromstring(value, dtype=np.int64, sep=",") if size else np.zeros(0, np.int64)
        elif key in ("code", "parent") or key.startswith("text:"):
            out[key] = _split_texts(value, size)
        else:
            out[key] = np.fromstring(value, dtype=np.float64, sep=",") if size else np.zeros(0)
    return out


def _read_postgresql(session: Session, tenants, numbers, texts, digits) -> dict:
    cols = {"level": f"string_agg(int2send(CAST({_case('level', LEVELS)} AS int2)), '')",
            "tenant": f"string_agg(int2send(CAST({_case('tenant_code', _safe_tenants(tenants))} AS int2)), '')"}
    if digits:
        cols["code"] = "string_agg(int8send(code::int8), '')"
        cols["parent"] = f"string_agg(int8send(coalesce(parent_code::int8, {_INT_NULL})), '')"
    else:
        cols["code"] = "string_agg(code, E'\\x1f')"
        cols["parent"] = "string_agg(coalesce(parent_code, E'\\x1e'), E'\\x1f')"
    for c in numbers:
        cols[c] = f"string_agg(float8send(coalesce({c}::float8, 'NaN'::float8)), '')"
    for c in texts:
        cols[f"text:{c}"] = f"string_agg(coalesce({_text_column(c)}, E'\\x1e'), E'\\x1f')"
    names = list(cols)
    sql = f"SELECT count(*), {', '.join(cols.values())} FROM org_units WHERE {_tenant_filter()}"
    stmt = text(sql).bindparams(bindparam("tenants", expanding=True))
    row = session.execute(stmt, {"tenants": list(tenants)}).one()
    size, values = row[0], row[1:]
    out = {"size": size}
    for key, value in zip(names, values):
        if key in ("level", "tenant"):
            out[key] = np.frombuffer(bytes(value or b""), dtype=">i2").astype(np.int64)
        elif key in ("code", "parent") and digits:
            out[key] = np.frombuffer(bytes(value or b""), dtype=">i8").astype(np.int64)
        elif key in ("code", "parent") or key.startswith("text:"):
            out[key] = _split_texts(value or "", size)
        else:
            out[key] = np.frombuffer(bytes(value or b""), dtype=">f8").astype(np.float64)
    return out


def _text_column(name: str) -> str:
    return {"name": "name", "code": "code", "parent": "parent_code"}[name]


def _split_texts(value: str, size: int) -> np.ndarray:
    parts = value.split(_SEP) if size else []
    return np.array([None if p == _NULL else p for p in parts], dtype=object)


# ---------------------------------------------------------------------- assembling
def _code_order(codes: np.ndarray, digits: bool) -> np.ndarray:
    """Rows in the order of the codes as text (a prefix first), as the database sorts them."""
    if not digits:
        return np.array(sorted(range(len(codes)), key=lambda i: codes[i]), dtype=np.int64)
    powers = 10 ** np.arange(19, dtype=np.int64)
    length = np.searchsorted(powers, codes, side="right")  # number of digits
    padded = codes * powers[18 - length]                  # left-aligned on 18 digits
    return np.lexsort((length, padded))


def _assemble(raw: dict, tenants, numbers, texts, digits: bool) -> UnitColumns:
    order = _code_order(raw["code"], digits)
    codes, parents = raw["code"][order], raw["parent"][order]
    if digits and len(codes):
        by_value = np.argsort(codes, kind="stable")
        sorted_codes = codes[by_value]
        pos = np.minimum(np.searchsorted(sorted_codes, parents), len(codes) - 1)
        parent_row = np.where(sorted_codes[pos] == parents, by_value[pos], -1)
    else:
        row_of = {c: i for i, c in enumerate(codes.tolist())}
        parent_row = np.array([row_of.get(p, -1) for p in parents.tolist()], dtype=np.int64)
    table = UnitTable(parent_row.astype(np.int64))
    table.texts["level"] = (raw["level"][order].astype(np.int32), tuple(LEVELS))
    for c in numbers:
        values = raw[c][order]
        missing = np.isnan(values)
        table.numbers[c] = (np.where(missing, 0.0, values), ~missing if missing.any() else None)
    for c in texts:
        values = raw[f"text:{c}"][order]
        cats = tuple(sorted({v for v in values.tolist() if v is not None}))
        index = {v: i for i, v in enumerate(cats)}
        table.texts[c] = (np.array([index.get(v, -1) if v is not None else -1 for v in values.tolist()],
                                   dtype=np.int32), cats)
    return UnitColumns(table, codes, tuple(tenants), raw["tenant"][order].astype(np.int16))


def unit_names(session: Session, codes: Sequence[str]) -> dict[str, str]:
    """Names of the units ``codes`` (for the rows and totals actually shown)."""
    out: dict[str, str] = {}
    stmt = select(OrgUnit.code, OrgUnit.name).where(OrgUnit.code.in_(bindparam("codes", expanding=True)))
    codes = list(dict.fromkeys(codes))
    for start in range(0, len(codes), 5000):
        out.update((code, name) for code, name in session.execute(stmt, {"codes": codes[start:start + 5000]}))
    return out
