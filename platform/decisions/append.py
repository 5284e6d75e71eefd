"""Appending to the decision log: entries serialised once, written in one go per database.

An :class:`Entry` holds the canonical JSON payload of everything its hash
covers, split around ``seq`` (:func:`.chain.split_payload`): the
chain's head is read, and ``seq`` and the previous hash filled in, only under
the head's lock. :func:`write` appends any number of entries, of any tenants,
on a SQLAlchemy connection inside the caller's transaction (or as one
autocommit statement on PostgreSQL):

* SQLite: the heads (already held by ``BEGIN IMMEDIATE``), one multi-row
  ``INSERT … RETURNING``, the heads' ``UPDATE``; the hashes computed here.
* PostgreSQL: a single statement — lock the heads in tenant order, chain the
  entries (a recursive CTE hashing with :data:`.chain.SQL_CHAIN_HASH`, the SQL
  form of :func:`.chain.chain_hash`), insert the rows *parsed from the hashed
  payload itself*, move the heads — one round trip.
"""
from __future__ import annotations

import json
import time
import weakref
from dataclasses import dataclass
from datetime import date, datetime, timezone
from json.encoder import encode_basestring
from typing import Optional, Sequence, Union

from sqlalchemy import Table, Text, bindparam, insert, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.elements import TextClause

from jiceng.platform.db.engine import execute_and_commit
from jiceng.platform.db.models import Decision, LogHead
from jiceng.platform.decisions.chain import SQL_CHAIN_HASH, canonical, canonical_jsonable, chain_hash, split_payload

_JSON_FIELDS = ("input", "target", "history", "pack", "reasons", "requirements", "items")
_TEXT_FIELDS = ("tenant_code", "kind", "actor", "created_at", "decided_on", "outcome")
#: the columns of a new row, in the order of an entry's values then the chain's three
COLUMNS = (*_TEXT_FIELDS, *_JSON_FIELDS, "seq", "prev_hash", "hash")


_stamp: tuple[int, str] = (0, "")  # (a whole second, its text): replaced whole, never edited


def utc_now_text() -> str:
    """Now, as the log stores it (ISO-8601 UTC with microseconds); strftime once a second."""
    global _stamp
    now = time.time()
    second = int(now)
    cached_second, text = _stamp
    if cached_second != second:
        text = datetime.fromtimestamp(second, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        _stamp = (second, text)
    return f"{text}.{int((now - second) * 1_000_000):06d}Z"


class Canonical(str):
    """Canonical JSON text already made (:func:`.chain.canonical_jsonable`) for one
    field of an entry: parts that are the same for every decision of a pack are encoded once."""

    __slots__ = ()


def _text(value) -> str:
    return value if isinstance(value, Canonical) else canonical_jsonable(value)


@dataclass(frozen=True)
class Appended:
    id: int
    seq: int
    hash: str


@dataclass(frozen=True)
class Entry:
    """An entry ready to append: every field serialised once, in canonical JSON (what is stored
    is what is hashed); only ``seq`` and the previous hash wait for the chain's head."""

    tenant: str
    values: tuple  # the first columns of :data:`COLUMNS`: the text fields, then the JSON texts
    prefix: str
    suffix: str

    def payload(self, seq: int) -> str:
        """The canonical payload (:func:`.chain.entry_payload`) of this entry at ``seq``."""
        return f"{self.prefix}{seq}{self.suffix}"

    def json_text(self, field: str) -> str:
        """The canonical JSON of one of the JSON fields (``target``, ``reasons`` …), as logged."""
        return self.values[len(_TEXT_FIELDS) + _JSON_FIELDS.index(field)]


class NoChainHead(LookupError):
    """The tenant has no decision-log head (it was never loaded by `jiceng init`)."""


def entry(*, tenant: str, kind: str, actor: str, decided_on: str, input: dict, target: dict, history: dict,
          pack: dict, outcome: str, reasons: list, requirements: list, items: Optional[list] = None) -> Entry:
    """One entry of ``tenant``'s chain, stamped now. Any JSON field may be given as
    :class:`Canonical` text instead of an object. ``items`` (the list items the decision relied
    on, :attr:`jiceng.dsl.pack.Decision.items`) is left out of the entry when None, as in the
    entries written before it was logged."""
    texts = {"input": _text(input), "target": _text(target), "history": _text(history), "pack": _text(pack),
             "reasons": _text(reasons), "requirements": _text(requirements),
             "items": None if items is None else _text(items)}
    plain = {"tenant_code": tenant, "kind": kind, "actor": actor, "created_at": utc_now_text(),
             "decided_on": decided_on, "outcome": outcome}
    prefix, suffix = split_payload({**texts, **{k: canonical(v) for k, v in plain.items()}})
    return Entry(tenant, tuple(plain[k] for k in _TEXT_FIELDS) + tuple(texts[k] for k in _JSON_FIELDS),
                 prefix, suffix)


def write(conn: Connection, entries: Sequence[Entry]) -> list[Union[Appended, Exception]]:
    """Append ``entries`` (in order, per tenant) on ``conn``; one result per entry:
    :class:`Appended`, or :class:`NoChainHead` for an entry whose tenant has no chain.

    Heads are locked in tenant order (the order every writer takes them in: no deadlocks)
    and held until the transaction ends.
    """
    if conn.dialect.name == "sqlite":
        return _write_sqlite(conn, entries)
    return _write_postgresql(conn, entries)


# ---------------------------------------------------------------------- SQLite
_HEADS, _DECISIONS = LogHead.__table__, Decision.__table__
#: one tenant's head: a batch rarely spans tenants, and an expanding IN is rendered anew on every call
_READ_HEAD = select(_HEADS.c.last_seq, _HEADS.c.last_hash).where(_HEADS.c.tenant_code == bindparam("tenant"))
#: every value bound as text: the JSON fields are already canonical JSON, stored as they were hashed
_INSERT = (insert(_DECISIONS).values({c: bindparam(c, type_=Text()) for c in COLUMNS if c != "seq"}
                                     | {"seq": bindparam("seq")})
           .returning(_DECISIONS.c.id, _DECISIONS.c.tenant_code, _DECISIONS.c.seq))
_MOVE_HEAD = (update(_HEADS).where(_HEADS.c.tenant_code == bindparam("tenant"))
              .values(last_seq=bindparam("last_seq"), last_hash=bindparam("last_hash")))


def _write_sqlite(conn: Connection, entries: Sequence[Entry]) -> list[Union[Appended, Exception]]:
    heads = {}
    for tenant in sorted({e.tenant for e in entries}):
        row = conn.execute(_READ_HEAD, {"tenant": tenant}).first()
        if row is not None:
            heads[tenant] = list(row)
    results: list[Union[Appended, Exception]] = []
    rows: list[dict] = []
    for e in entries:
        head = heads.get(e.tenant)
        if head is None:
            results.append(NoChainHead(f"decision log of tenant {e.tenant!r} has no head"))
            continue
        seq, prev = head[0] + 1, head[1]
        digest = chain_hash(prev, e.payload(seq))
        head[0], head[1] = seq, digest
        rows.append(dict(zip(COLUMNS, e.values + (seq, prev, digest))))
        results.append(Appended(0, seq, digest))
    if not rows:
        return results
    # one multi-row INSERT … RETURNING (SQLAlchemy's "insertmanyvalues"), whose row order is not promised
    ids = {(t, seq): i for i, t, seq in conn.execute(_INSERT, rows)}
    conn.execute(_MOVE_HEAD, [{"tenant": t, "last_seq": seq, "last_hash": h} for t, (seq, h) in heads.items()])
    return [Appended(ids[(e.tenant, r.seq)], r.seq, r.hash) if isinstance(r, Appended) else r
            for e, r in zip(entries, results)]


# ---------------------------------------------------------------------- PostgreSQL
#: one parameter: the batch as JSON, [{"t": tenant, "n": 1-based position in its tenant, "p": prefix, "s": suffix}].
#: Nothing in the plan depends on the parameter's value, so PostgreSQL keeps one generic plan for
#: the statement psycopg prepares after a few runs instead of planning it anew on every call (which
#: cost more than running it); the heads are still found through their primary key.
_APPEND_CTES = f"""
WITH RECURSIVE
 batch AS MATERIALIZED (SELECT * FROM json_to_recordset(CAST(:batch AS json)) AS b(t text, n int, p text, s text)),
 head AS (SELECT tenant_code, last_seq, last_hash FROM decision_log_heads
          WHERE tenant_code = ANY(ARRAY(SELECT t FROM batch)) ORDER BY tenant_code FOR UPDATE),
 chain(tenant, n, seq, hash, prev_hash, payload) AS (
   SELECT tenant_code, 0, last_seq, last_hash::text, NULL::text, NULL::text FROM head
   UNION ALL
   SELECT c.tenant, b.n, c.seq + 1,
          {SQL_CHAIN_HASH.format(prev="c.hash", payload="b.p || (c.seq + 1) || b.s")},
          c.hash, b.p || (c.seq + 1) || b.s
   FROM chain c JOIN batch b ON b.t = c.tenant AND b.n = c.n + 1),
 added AS (
   INSERT INTO decisions (tenant_code, seq, kind, actor, created_at, decided_on, outcome, input, target, history,
                          pack, reasons, requirements, items, prev_hash, hash)
   SELECT c.tenant, c.seq, r.kind, r.actor, r.created_at, r.decided_on, r.outcome, r.input, r.target, r.history,
          r.pack, r.reasons, r.requirements, r.items, c.prev_hash, c.hash
   FROM chain c CROSS JOIN LATERAL json_to_record(c.payload::json) AS r(
        kind text, actor text, created_at text, decided_on text, outcome text, input json, target json,
        history json, pack json, reasons json, requirements json, items json)
   WHERE c.n > 0 ORDER BY c.tenant, c.seq
   RETURNING id, tenant_code, seq, hash),
 moved AS (
   UPDATE decision_log_heads h SET last_seq = last.seq, last_hash = last.hash
   FROM (SELECT DISTINCT ON (tenant) tenant, n, seq, hash FROM chain ORDER BY tenant, n DESC) last
   WHERE h.tenant_code = ANY(ARRAY(SELECT t FROM batch)) AND h.tenant_code = last.tenant AND last.n > 0)"""
_ADDED = "FROM added a JOIN chain c ON c.tenant = a.tenant_code AND c.seq = a.seq"
_APPEND_POSTGRESQL = text(f"{_APPEND_CTES}\nSELECT a.id, a.tenant_code, c.n, a.seq, a.hash {_ADDED}\n")


@dataclass(frozen=True)
class Linked:
    """Rows of ``table`` that record what appended entries decided (an assignment and the
    decision it stands on): each is ``(index of its entry in the batch, its column values)``,
    and gets that entry's id as its ``decision_id``."""

    table: Table
    rows: Sequence[tuple[int, dict]]


def write_linked(conn: Connection, entries: Sequence[Entry], linked: Linked, *,
                 commit: bool = False) -> tuple[list[Appended], list[int]]:
    """:func:`write` the entries and insert the linked rows: on PostgreSQL in the same single
    statement (one round trip: the rows are inserted from the entries' ``RETURNING``), on SQLite
    right after, in the caller's transaction. The entries' results, and the new rows' ids in the
    order of ``linked.rows``; :class:`NoChainHead` is raised for an entry whose tenant has no chain.

    ``commit``: this is the last statement of ``conn``'s transaction (:meth:`Database.transaction`),
    and on PostgreSQL its COMMIT is sent with it, in the same round trip
    (:func:`~jiceng.platform.db.engine.execute_and_commit`); a missing chain head then raises
    before the commit (nothing was written for it)."""
    if conn.dialect.name == "sqlite":
        results = _write_sqlite(conn, entries)
        _raise_first(results)
        values = [dict(v, decision_id=results[i].id) for i, v in linked.rows]
        ids = list(conn.execute(insert(linked.table).returning(linked.table.c.id, sort_by_parameter_order=True),
                                values).scalars()) if values else []
        return results, ids
    batch, positions = _batch_json(entries)
    where = {(positions[i]): n for n, (i, _v) in enumerate(linked.rows)}
    rows = "[" + ",".join(json.dumps({"t": positions[i][0], "n": positions[i][1], **v}, ensure_ascii=False,
                                     separators=(",", ":"), default=_json_default) for i, v in linked.rows) + "]"
    added, ids = {}, [0] * len(linked.rows)
    statement, params = _linked_statement(linked.table, conn.dialect), {"batch": batch, "rows": rows}
    tenants = {t for t, _n in positions}
    seen = _HEADS_SEEN.setdefault(conn.engine, set())
    # committed with the statement only when every head is known to exist: a missing one is
    # found from the rows, after the statement, and must still roll the others back
    found = (execute_and_commit(conn, statement, params) if commit and tenants <= seen
             else conn.execute(statement, params))
    for i, t, n, seq, h, row_id in found:
        added[(t, n)] = Appended(i, seq, h)
        if row_id is not None:
            ids[where[(t, n)]] = row_id
    results = [added.get(p) or NoChainHead(f"decision log of tenant {p[0]!r} has no head") for p in positions]
    _raise_first(results)
    seen.update(tenants)
    return results, ids


#: per database (engine), the tenants whose chain head this process has appended to: heads are
#: never deleted, but another database may lack one
_HEADS_SEEN: "weakref.WeakKeyDictionary[Engine, set[str]]" = weakref.WeakKeyDictionary()


def _raise_first(results: Sequence[Union[Appended, Exception]]) -> None:
    for r in results:
        if isinstance(r, Exception):
            raise r


def _json_default(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


_LINKED: dict[tuple, TextClause] = {}


def _linked_statement(table: Table, dialect) -> TextClause:
    """:data:`_APPEND_POSTGRESQL` that also inserts ``table``'s rows, each with its entry's id."""
    key = (table.name, dialect.name)
    stmt = _LINKED.get(key)
    if stmt is None:
        columns = [c for c in table.columns if c.name not in ("id", "decision_id")]
        record = ", ".join(f"{c.name} {c.type.compile(dialect=dialect)}" for c in columns)
        names = ", ".join(c.name for c in columns)
        stmt = _LINKED[key] = text(
            f"""{_APPEND_CTES},
 linked_rows AS MATERIALIZED (SELECT * FROM json_to_recordset(CAST(:rows AS json)) AS x(t text, n int, {record})),
 linked AS (
   INSERT INTO {table.name} ({names}, decision_id)
   SELECT {", ".join("x." + c.name for c in columns)}, a.id
   FROM linked_rows x JOIN chain c ON c.tenant = x.t AND c.n = x.n
   JOIN added a ON a.tenant_code = c.tenant AND a.seq = c.seq
   RETURNING id, decision_id)
SELECT a.id, a.tenant_code, c.n, a.seq, a.hash, l.id {_ADDED} LEFT JOIN linked l ON l.decision_id = a.id
""")
    return stmt


def statements(dialect_name: str) -> tuple:
    """The statements :func:`write` runs on a database of ``dialect_name`` (to compile ahead)."""
    return (_READ_HEAD, _INSERT, _MOVE_HEAD) if dialect_name == "sqlite" else (_APPEND_POSTGRESQL,)


def _batch_json(entries: Sequence[Entry]) -> tuple[str, list[tuple[str, int]]]:
    """The ``:batch`` parameter, and each entry's (tenant, position in its tenant)."""
    positions, counts, parts = [], {}, []
    for e in entries:
        counts[e.tenant] = n = counts.get(e.tenant, 0) + 1
        positions.append((e.tenant, n))
        parts.append(f'{{"t":{encode_basestring(e.tenant)},"n":{n},"p":{encode_basestring(e.prefix)},'
                     f'"s":{encode_basestring(e.suffix)}}}')
    return f"[{','.join(parts)}]", positions


def _write_postgresql(conn: Connection, entries: Sequence[Entry]) -> list[Union[Appended, Exception]]:
    batch, positions = _batch_json(entries)
    rows = conn.execute(_APPEND_POSTGRESQL, {"batch": batch})
    added = {(t, n): Appended(i, seq, h) for i, t, n, seq, h in rows}
    return [added.get(p) or NoChainHead(f"decision log of tenant {p[0]!r} has no head") for p in positions]
