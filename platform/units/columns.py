"""Tenants' org units as columns (:class:`jiceng.dsl.columnar.UnitTable`), read in bulk.

A national tree has 3.8 million units; a row per unit through the database driver costs
a Python object per value (seconds per column). The columns are read through DuckDB, attached
read-only to the service's database (its ``sqlite`` and ``postgres`` extensions, shipped as
wheels): it scans the SQLite file or PostgreSQL's binary ``COPY`` in native code, on every core,
and hands each column over as one numpy array (docs/standards.md has the measurements that chose
it). Only the columns the standards read are fetched. Rows are then put in code order (the order
the per-unit path walks children in), and each unit's parent becomes a row index.

An in-memory SQLite database cannot be attached: it is read set-based instead, each column as
one value (``group_concat``, parsed by numpy) — the reader before DuckDB, kept for that case
and as the other side of a differential test.

Digit-only codes (12-digit division codes, 15-digit grids) travel as integers; any other
code makes the read fall back to text for codes.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Optional, Sequence

import numpy as np
from sqlalchemy import bindparam, select, text
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session

from jiceng.dsl.columnar import UnitTable
from jiceng.dsl.types import LEVEL_RANK, LEVELS

from jiceng.platform.db.engine import Database
from jiceng.platform.db.models import OrgUnit
from jiceng.platform.tenants.files import FLOAT_COLUMNS, INT_COLUMNS

if TYPE_CHECKING:
    import duckdb

NUMBER_COLUMNS = INT_COLUMNS + FLOAT_COLUMNS
TEXT_COLUMNS = ("name", "code", "parent")
_SEP = "\x1f"       # between text values (names may hold commas)
_NULL = "\x1e"      # a missing text value
_INT_NULL = -(2**63)
#: LEVEL_RANK per index of LEVELS; the last entry, for a level not in LEVELS (index -1), ranks below all
_RANKS = np.array([LEVEL_RANK[x] for x in LEVELS] + [max(LEVEL_RANK.values()) + 1], dtype=np.int8)


@dataclass
class UnitColumns:
    """The table plus what the table itself does not hold: codes and owning tenants."""

    table: UnitTable
    codes: np.ndarray          # int64 (digit codes) or object array of str, per row, in code order
    tenants: tuple[str, ...]
    tenant_of: np.ndarray      # int16 index into ``tenants`` per row
    #: what ancestors_at, groups_at and _rank_steps derive from the tree (its shape only: kept by a
    #: refresh that changes numbers, which shares this dict)
    _derived: dict = field(default_factory=dict, repr=False)

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
        if not (code.isascii() and code.isdigit() and code[0] != "0" and len(code) <= 18):
            return None
        hits = np.flatnonzero(self.codes == int(code))
        return int(hits[0]) if len(hits) else None

    def levels(self) -> np.ndarray:
        return self.table.texts["level"][0]

    def ancestors_at(self, levels: Sequence[str]) -> np.ndarray:
        """For each row, the row of its nearest ancestor whose level is one of ``levels`` (-1: none)."""
        key = tuple(levels)
        found = self._derived.get(key)
        if found is None:
            wanted = np.array([x in levels for x in LEVELS] + [False], dtype=bool)
            level_of, parent = self.levels(), self.table.parent
            found = np.full(self.size, -1, dtype=np.int64)
            steps = self._rank_steps()
            if steps is not None:  # parents first: each row takes its parent, or its parent's answer
                for rows, parents in steps:
                    found[rows] = np.where(wanted[level_of[parents]], parents, found[parents])
            else:  # walk up: the rows still looking, and the ancestor each has reached
                rows = np.flatnonzero(parent >= 0)
                cur = parent[rows]
                while len(rows):
                    hit = wanted[level_of[cur]]
                    found[rows[hit]] = cur[hit]
                    rows, cur = rows[~hit], parent[cur[~hit]]
                    going = cur >= 0
                    rows, cur = rows[going], cur[going]
            self._derived[key] = found
        return found

    def _rank_steps(self) -> Optional[list[tuple[np.ndarray, np.ndarray]]]:
        """The rows that have a parent, with their parents, rank by rank down the tree (see
        :data:`~jiceng.dsl.types.LEVEL_RANK`) — when every parent ranks above its child, as an import checks;
        None otherwise (then :meth:`ancestors_at` walks up from every row instead)."""
        if "ranks" not in self._derived:
            rank = _RANKS[self.levels()]
            parent = self.table.parent
            rows = np.flatnonzero(parent >= 0)
            parents = parent[rows]
            steps = None
            if not (rank[parents] >= rank[rows]).any():
                order = np.argsort(rank[rows], kind="stable")  # small integers: a radix sort
                rows, parents = rows[order], parents[order]
                cuts = np.flatnonzero(np.diff(rank[rows])) + 1
                steps = list(zip(np.split(rows, cuts), np.split(parents, cuts)))
            self._derived["ranks"] = steps
        return self._derived["ranks"]

    def groups_at(self, levels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The units of ``levels`` (their rows, in code order) and, for each row, which of them is
        its nearest ancestor at those levels (an index into the first; their count when none) —
        what totals group by, computed once per snapshot, so a total is a gather and a few
        bincounts over that many groups rather than over every row."""
        key = ("groups", tuple(levels))
        found = self._derived.get(key)
        if found is None:
            rows = np.flatnonzero(np.isin(self.levels(), [LEVELS.index(x) for x in levels if x in LEVELS]))
            index = np.full(self.size + 1, len(rows), dtype=np.int32)  # the last slot stands for -1: none
            index[rows] = np.arange(len(rows), dtype=np.int32)
            found = self._derived[key] = (rows, index[self.ancestors_at(levels)])
        return found


def load_units(db: Database, tenants: Sequence[str], numbers: Iterable[str] = NUMBER_COLUMNS,
               texts: Iterable[str] = ()) -> UnitColumns:
    """The units of ``tenants`` with the ``numbers`` and ``texts`` columns standards read."""
    tenants = tuple(_safe_tenants(tenants))
    numbers = [c for c in NUMBER_COLUMNS if c in set(numbers)]
    texts = [c for c in TEXT_COLUMNS if c in set(texts)]
    if attachable(db):
        return _read_duckdb(db, tenants, numbers, texts)
    return load_units_sql(db, tenants, numbers, texts)


def load_units_sql(db: Database, tenants: Sequence[str], numbers: Iterable[str] = NUMBER_COLUMNS,
                   texts: Iterable[str] = ()) -> UnitColumns:
    """:func:`load_units` through the database's own SQL, each column as one value (any database)."""
    tenants = tuple(_safe_tenants(tenants))
    numbers = [c for c in NUMBER_COLUMNS if c in set(numbers)]
    texts = [c for c in TEXT_COLUMNS if c in set(texts)]
    raw = _read(db, tenants, numbers, texts, digits=True)
    digits = raw is not None and _digit_codes(raw)
    if not digits:  # a code that is not a plain number (or a PostgreSQL cast refused it): codes as text
        raw = _read(db, tenants, numbers, texts, digits=False)
    return _assemble(raw, tenants, numbers, texts, digits)


# ---------------------------------------------------------------------- DuckDB
def attachable(db: Database) -> bool:
    """Whether DuckDB can attach ``db`` (a PostgreSQL server or a SQLite file, not ``:memory:``)."""
    if not db.is_sqlite:
        return True
    path = db.url.database
    return bool(path) and path != ":memory:" and not path.startswith("file:")


def _attach(db: Database) -> "duckdb.DuckDBPyConnection":
    """A DuckDB connection with ``db`` attached read-only as ``units``; extensions from their wheels,
    never downloaded."""
    # Imported here, not with the module: ``import duckdb`` opens DuckDB's default in-memory
    # database, whose worker threads do not survive a fork. gunicorn's master imports the app
    # before forking, and each worker then aborted at exit (std::terminate in that database's
    # destructor: "Worker was sent SIGABRT!"). Only a process that reads columns imports it now.
    import duckdb
    import duckdb_ext

    con = duckdb_ext.init(duckdb.connect())
    if db.is_sqlite:
        con.execute("LOAD sqlite")
        con.execute(f"ATTACH {_literal(db.url.database)} AS units (TYPE sqlite, READ_ONLY)")
    else:
        con.execute("LOAD postgres")
        dsn = db.url.set(drivername="postgresql").render_as_string(hide_password=False)
        schema = f", SCHEMA {_literal(db.schema)}" if db.schema else ""
        con.execute(f"ATTACH {_literal(dsn)} AS units (TYPE postgres, READ_ONLY{schema})")
    return con


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


#: a code is read as an integer when that integer, as text, is the code exactly
_EXACT = "coalesce(CAST(TRY_CAST({c} AS BIGINT) AS VARCHAR) = {c} AND TRY_CAST({c} AS BIGINT) BETWEEN 1 AND {top}, {null})"


def _read_duckdb(db: Database, tenants, numbers, texts) -> UnitColumns:
    """One query through DuckDB; every column comes back as a numpy array."""
    top = 10 ** 18 - 1
    cols = {"level": _case("level", LEVELS), "tenant": _case("tenant_code", tenants),
            "exact": f"{_EXACT.format(c='code', top=top, null='false')} AND "
                     f"{_EXACT.format(c='parent_code', top=top, null='true')}",
            "code": f"coalesce(TRY_CAST(code AS BIGINT), {_INT_NULL})",
            "parent": f"coalesce(TRY_CAST(parent_code AS BIGINT), {_INT_NULL})"}
    cols.update({c: f"coalesce(CAST({c} AS DOUBLE), 'NaN'::DOUBLE)" for c in numbers})
    cols.update({f"text:{c}": _text_column(c) for c in texts})
    # in code order (text, byte by byte: a prefix first, as _code_order sorts): DuckDB sorts while it
    # scans, on its own threads, and _assemble then has no column to reorder (reordering ten columns
    # of a national tree by a permutation cost more than DuckDB's sort); both queries in one order
    where = f"WHERE tenant_code IN ({', '.join(_literal(t) for t in tenants)}) ORDER BY code"
    con = _attach(db)
    try:
        found = con.execute(f"SELECT {', '.join(f'{v} AS {_alias(k)}' for k, v in cols.items())} "
                            f"FROM units.org_units {where}").fetchnumpy()
        raw = {k: found[_alias(k)] for k in cols}
        digits = bool(np.all(raw.pop("exact")))
        if not digits:  # a code that is not a plain number: codes as text
            found = con.execute(f"SELECT code, parent_code FROM units.org_units {where}").fetchnumpy()
            raw["code"], raw["parent"] = _objects(found["code"]), _objects(found["parent_code"])
    finally:
        con.close()
    raw["size"] = len(raw["code"])
    for c in texts:
        raw[f"text:{c}"] = _objects(raw[f"text:{c}"])
    for key in ("level", "tenant"):
        raw[key] = np.asarray(raw[key], dtype=np.int64)
    return _assemble(raw, tenants, numbers, texts, digits)


def _alias(key: str) -> str:
    return "c_" + key.replace(":", "_")


def _objects(values) -> np.ndarray:
    """Text values as an object array, None where the database has NULL."""
    if isinstance(values, np.ma.MaskedArray):
        out = np.asarray(values.data, dtype=object).copy()
        out[np.ma.getmaskarray(values)] = None
        return out
    return np.asarray(values, dtype=object)


# ---------------------------------------------------------------------- set-based SQL
def _read(db: Database, tenants, numbers, texts, digits: bool) -> Optional[dict]:
    """SQLite in one query (its allocator serialises concurrent aggregates); PostgreSQL in
    :data:`PG_PARTS` row partitions at once, each on its own connection and server process."""
    if db.is_sqlite:
        return _read_sqlite(db, tenants, numbers, texts, digits)
    with ThreadPoolExecutor(PG_PARTS) as pool:
        parts = list(pool.map(lambda k: _read_postgresql(db, tenants, numbers, texts, digits, k), range(PG_PARTS)))
    if any(p is None for p in parts):
        return None
    out = {"size": sum(p["size"] for p in parts), "length": sum(p["length"] for p in parts)}
    for key in parts[0]:
        if key not in out:
            out[key] = np.concatenate([p[key] for p in parts])
    return out


PG_PARTS = 2
_POWERS = 10 ** np.arange(19, dtype=np.int64)


def _digits(values: np.ndarray) -> np.ndarray:
    return np.searchsorted(_POWERS, values, side="right")


def _digit_codes(raw: dict) -> bool:
    """Whether every code (and parent code) read as an integer is exactly its text.

    Parsing keeps at most the characters there are (``CAST('12a' AS INTEGER)`` is 12 on
    SQLite, ``'012'::int8`` is 12), so the codes' total length equals the total number of
    digits of the integers only when each code is digits without a leading zero."""
    codes, parents = raw["code"], raw["parent"]
    parents = parents[parents != _INT_NULL]
    if (codes <= 0).any() or (parents <= 0).any():
        return False
    digits = _digits(codes)
    if (digits > 18).any():
        return False
    return int(digits.sum() + _digits(parents).sum()) == raw["length"]


# ---------------------------------------------------------------------- SQL
def _case(column: str, values: Sequence[str]) -> str:
    """``column``'s value as its position in ``values`` (-1 for any other)."""
    whens = " ".join(f"WHEN '{v}' THEN {i}" for i, v in enumerate(values))
    return f"(CASE {column} {whens} ELSE -1 END)"


def _safe_tenants(tenants: Sequence[str]) -> list[str]:
    """Tenant codes go into a CASE expression: they are identifiers from the tenants table."""
    for t in tenants:
        if not t.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"unexpected tenant code {t!r}")
    return list(tenants)


def _query(db: Database, sql: str, tenants, **params):
    stmt = text(sql).bindparams(bindparam("tenants", expanding=True))
    with db.read() as session:
        return session.execute(stmt, {"tenants": list(tenants), **params}).one()


_LENGTH = "sum(length(code) + coalesce(length(parent_code), 0))"


def _read_sqlite(db: Database, tenants, numbers, texts, digits: bool) -> dict:
    """One text value per column (``group_concat``), parsed by numpy."""
    cols = {"level": f"group_concat({_case('level', LEVELS)})",
            "tenant": f"group_concat({_case('tenant_code', tenants)})"}
    if digits:
        cols["code"] = "group_concat(CAST(code AS INTEGER))"
        cols["parent"] = f"group_concat(coalesce(CAST(parent_code AS INTEGER), {_INT_NULL}))"
    else:
        cols["text:code"] = "group_concat(code, char(31))"
        cols["text:parent"] = "group_concat(coalesce(parent_code, char(30)), char(31))"
    for c in numbers:  # 17 significant digits: every float comes back exactly (printf(NULL) would be 0)
        value = f"CASE WHEN {c} IS NULL THEN 'nan' ELSE printf('%!.17g', {c}) END" if c in FLOAT_COLUMNS \
            else f"coalesce(CAST({c} AS TEXT), 'nan')"
        cols[c] = f"group_concat({value})"
    for c in texts:
        cols[f"text:{c}"] = f"group_concat(coalesce({_text_column(c)}, char(30)), char(31))"
    row = _query(db, f"SELECT count(*), {_LENGTH}, {', '.join(cols.values())} FROM org_units "
                     "WHERE tenant_code IN :tenants", tenants)
    size = row[0]
    out = {"size": size, "length": row[1] or 0}
    for key, value in zip(cols, row[2:]):
        value = value or ""
        if key.startswith("text:"):
            out[key] = _split_texts(value, size)
        else:
            kind = np.float64 if key in NUMBER_COLUMNS else np.int64
            out[key] = np.fromstring(value, dtype=kind, sep=",") if size else np.zeros(0, kind)
    if not digits:
        out["code"], out["parent"] = out.pop("text:code"), out.pop("text:parent")
    return out


def _read_postgresql(db: Database, tenants, numbers, texts, digits: bool, part: int) -> Optional[dict]:
    """One binary value for all numeric columns: each row's fields as big-endian 8-byte values,
    concatenated (one aggregate call per row), read with numpy as a structured array."""
    fields = [("level", f"int8send(CAST({_case('level', LEVELS)} AS int8))", ">i8"),
              ("tenant", f"int8send(CAST({_case('tenant_code', tenants)} AS int8))", ">i8")]
    if digits:  # a code that is not a number makes the cast fail: the caller reads text instead
        fields += [("code", "int8send(code::int8)", ">i8"),
                   ("parent", f"int8send(coalesce(parent_code::int8, {_INT_NULL}))", ">i8")]
    fields += [(c, f"float8send(coalesce({c}::float8, 'NaN'::float8))", ">f8") for c in numbers]
    extra = {} if digits else {"code": "code", "parent": "parent"}
    extra.update({f"text:{c}": c for c in texts})
    texts_sql = "".join(f", string_agg(coalesce({_text_column(c)}, E'\\x1e'), E'\\x1f')" for c in extra.values())
    sql = (f"SELECT count(*), {_LENGTH}, string_agg({' || '.join(f[1] for f in fields)}, ''){texts_sql} "
           "FROM org_units WHERE tenant_code IN :tenants AND (hashtext(code) & 2147483647) % :parts = :part")
    try:
        row = _query(db, sql, tenants, parts=PG_PARTS, part=part)
    except DataError:
        if digits:
            return None
        raise
    size = row[0]
    out = {"size": size, "length": int(row[1] or 0)}
    records = np.frombuffer(bytes(row[2] or b""), dtype=[(name, kind) for name, _sql, kind in fields])
    for name, _sql, kind in fields:
        out[name] = records[name].astype(np.float64 if kind == ">f8" else np.int64)
    for key, value in zip(extra, row[3:]):
        out[key] = _split_texts(value or "", size)
    return out


def _text_column(name: str) -> str:
    return {"name": "name", "code": "code", "parent": "parent_code"}[name]


def _split_texts(value: str, size: int) -> np.ndarray:
    parts = value.split(_SEP) if size else []
    return np.array([None if p == _NULL else p for p in parts], dtype=object)


# ---------------------------------------------------------------------- assembling
def _code_order(codes: np.ndarray, digits: bool) -> Optional[np.ndarray]:
    """Rows in the order of the codes as text (a prefix first), as the database sorts them; None
    when they are in that order already (digit codes are checked in one pass, without sorting)."""
    if not digits:
        return np.array(sorted(range(len(codes)), key=lambda i: codes[i]), dtype=np.int64)
    length = _digits(codes)
    padded = codes * _POWERS[18 - length]  # left-aligned on 18 digits
    after, before = padded[1:], padded[:-1]
    if np.all((after > before) | ((after == before) & (length[1:] > length[:-1]))):
        return None
    return np.lexsort((length, padded))


def _assemble(raw: dict, tenants, numbers, texts, digits: bool) -> UnitColumns:
    order = _code_order(raw["code"], digits)
    if order is None:  # read in code order (DuckDB sorts): nothing to reorder, every column a view
        order = slice(None)
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


def unit_names_at(session: Session, tenants: Sequence[str], levels: Sequence[str]) -> dict[str, str]:
    """Names of every unit of ``levels`` in ``tenants``, in one query (for large exports)."""
    stmt = select(OrgUnit.code, OrgUnit.name).where(OrgUnit.tenant_code.in_(list(tenants)),
                                                    OrgUnit.level.in_(list(levels)))
    return {code: name for code, name in session.execute(stmt)}
