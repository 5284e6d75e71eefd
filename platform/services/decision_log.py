"""The decision log: append-only, hash-chained per tenant, verifiable.

Every admission check and every assignment decision is appended here in the
same transaction as whatever it decided, with the input, the target facts,
the history facts, the pack (digest, versions of the whole chain), the
outcome, the reasons, the actor and the time.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, Optional, Sequence, Union

from sqlalchemy import exc, select
from sqlalchemy.orm import Session

from ..db.models import Decision, LogHead
from .decision_chain import (GENESIS_HASH, HASHED_FIELDS, canonical, canonical_jsonable, chained_hash, entry_hash,
                             split_payload)
from .errors import NotFound


def utc_now_text() -> str:
    """Now, as the log stores it (ISO-8601 UTC with microseconds)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Appended:
    id: int
    seq: int
    hash: str


_JSON_FIELDS = ("input", "target", "history", "pack", "reasons", "requirements")
_TEXT_FIELDS = ("tenant_code", "kind", "actor", "created_at", "decided_on", "outcome")
#: the columns of a new row, in the order :func:`write` binds them
_COLUMNS = (*_TEXT_FIELDS, *_JSON_FIELDS, "seq", "prev_hash", "hash")


@dataclass(frozen=True)
class Entry:
    """An entry ready to append: every field serialised once (canonical JSON, which is both
    what is stored and what is hashed); only ``seq`` and the previous hash wait for the
    chain's head (:func:`write`)."""

    tenant: str
    values: tuple  # the first columns of :data:`_COLUMNS`: the text fields, then the JSON texts
    prefix: str
    suffix: str


def entry(*, tenant: str, kind: str, actor: str, decided_on: str, input: dict, target: dict, history: dict,
          pack: dict, outcome: str, reasons: list, requirements: list) -> Entry:
    """One entry of ``tenant``'s chain, stamped now."""
    texts = {"input": canonical_jsonable(input), "target": canonical_jsonable(target),
             "history": canonical_jsonable(history), "pack": canonical_jsonable(pack),
             "reasons": canonical_jsonable(reasons), "requirements": canonical_jsonable(requirements)}
    plain = {"tenant_code": tenant, "kind": kind, "actor": actor, "created_at": utc_now_text(),
             "decided_on": decided_on, "outcome": outcome}
    prefix, suffix = split_payload({**texts, **{k: canonical(v) for k, v in plain.items()}})
    return Entry(tenant, tuple(plain[k] for k in _TEXT_FIELDS) + tuple(texts[k] for k in _JSON_FIELDS),
                 prefix, suffix)


class NoChainHead(LookupError):
    """The tenant has no decision-log head (it was never loaded by `jiceng init`)."""


def write(cursor, entries: Sequence[Entry], *, sqlite: bool) -> list[Union[Appended, Exception]]:
    """Append ``entries`` (in order) inside the caller's transaction, on a DBAPI cursor.

    The heads of their chains are locked first, in tenant order (the order every writer
    locks them in: no deadlocks), and held until the caller commits. One result per entry:
    :class:`Appended`, or :class:`NoChainHead` for an entry whose tenant has no chain.
    """
    mark = "?" if sqlite else "%s"
    tenants = sorted({e.tenant for e in entries})
    cursor.execute(f"SELECT tenant_code, last_seq, last_hash FROM decision_log_heads WHERE tenant_code IN "
                   f"({', '.join([mark] * len(tenants))}) ORDER BY tenant_code" + ("" if sqlite else " FOR UPDATE"),
                   tenants)
    heads = {t: [seq, h] for t, seq, h in cursor.fetchall()}
    results: list[Union[Appended, Exception]] = []
    rows: list[tuple] = []
    for e in entries:
        head = heads.get(e.tenant)
        if head is None:
            results.append(NoChainHead(f"decision log of tenant {e.tenant!r} has no head"))
            continue
        seq, prev = head[0] + 1, head[1]
        digest = chained_hash(prev, e.prefix, seq, e.suffix)
        head[0], head[1] = seq, digest
        rows.append(e.values + (seq, prev, digest))
        results.append(Appended(0, seq, digest))
    if rows:
        ids = _insert(cursor, rows, mark, sqlite)
        cursor.executemany(f"UPDATE decision_log_heads SET last_seq = {mark}, last_hash = {mark} "
                           f"WHERE tenant_code = {mark}",
                           [(seq, h, t) for t, (seq, h) in heads.items()])
        results = [Appended(ids[(e.tenant, r.seq)], r.seq, r.hash) if isinstance(r, Appended) else r
                   for e, r in zip(entries, results)]
    return results


def _insert(cursor, rows: list[tuple], mark: str, sqlite: bool) -> dict[tuple[str, int], int]:
    """Insert ``rows`` in one statement; their ids by (tenant, seq) (RETURNING's order is not promised)."""
    json_mark = mark if sqlite else f"{mark}::json"
    one = "(" + ", ".join(json_mark if c in _JSON_FIELDS else mark for c in _COLUMNS) + ")"
    cursor.execute(f"INSERT INTO decisions ({', '.join(_COLUMNS)}) VALUES {', '.join([one] * len(rows))} "
                   "RETURNING id, tenant_code, seq", [v for row in rows for v in row])
    return {(t, seq): i for i, t, seq in cursor.fetchall()}


def append(session: Session, *, tenant: str, kind: str, actor: str, decided_on: str, input: dict,
           target: dict, history: dict, pack: dict, outcome: str, reasons: list,
           requirements: list) -> Appended:
    """Append one entry to ``tenant``'s chain in ``session``'s transaction (locks the chain's
    head until commit)."""
    e = entry(tenant=tenant, kind=kind, actor=actor, decided_on=decided_on, input=input, target=target,
              history=history, pack=pack, outcome=outcome, reasons=reasons, requirements=requirements)
    conn = session.connection()
    dbapi = conn.connection.driver_connection
    try:
        [result] = write(dbapi.cursor(), [e], sqlite=conn.dialect.name == "sqlite")
    except conn.dialect.loaded_dbapi.Error as err:  # the API answers SQLAlchemy's errors (503 when busy)
        raise exc.DBAPIError.instance(None, None, err, conn.dialect.loaded_dbapi.Error) from err
    if isinstance(result, Exception):
        raise result
    return result


def to_dict(row: Decision) -> dict:
    """An entry as the API shows it."""
    out = {"id": row.id, **{k: getattr(row, k) for k in HASHED_FIELDS}, "prev_hash": row.prev_hash,
           "hash": row.hash}
    out["tenant"] = out.pop("tenant_code")
    return out


def get(session: Session, tenants: Iterable[str], decision_id: int) -> Decision:
    row = session.get(Decision, decision_id) if isinstance(decision_id, int) else None
    if row is None or row.tenant_code not in set(tenants):
        raise NotFound("decision_not_found", f"找不到决定记录 {decision_id}")
    return row


def listing(session: Session, tenants: list[str], *, limit: int = 50, before: Optional[int] = None,
            outcome: Optional[str] = None, kind: Optional[str] = None) -> list[Decision]:
    """Newest first; ``before`` pages by id."""
    q = select(Decision).where(Decision.tenant_code.in_(tenants))
    if before is not None:
        q = q.where(Decision.id < before)
    if outcome:
        q = q.where(Decision.outcome == outcome)
    if kind:
        q = q.where(Decision.kind == kind)
    return list(session.execute(q.order_by(Decision.id.desc()).limit(limit)).scalars())


# ---------------------------------------------------------------------- verification
@dataclass
class Problem:
    tenant: str
    code: str  # edited | deleted | broken_link | head_mismatch
    message: str
    seq: Optional[int] = None
    decision_id: Optional[int] = None

    def to_dict(self) -> dict:
        return {"tenant": self.tenant, "code": self.code, "message": self.message, "seq": self.seq,
                "decision_id": self.decision_id}


@dataclass
class ChainReport:
    tenant: str
    entries: int
    head_hash: str
    problems: list[Problem]

    def to_dict(self) -> dict:
        return {"tenant": self.tenant, "entries": self.entries, "head_hash": self.head_hash,
                "ok": not self.problems, "problems": [p.to_dict() for p in self.problems]}


def verify(session: Session, tenants: Optional[list[str]] = None) -> list[ChainReport]:
    """Recompute every chain (or those of ``tenants``) and report each break."""
    q = select(LogHead).order_by(LogHead.tenant_code)
    if tenants is not None:
        q = q.where(LogHead.tenant_code.in_(tenants))
    return [_verify_chain(session, head) for head in session.execute(q).scalars().all()]


def _verify_chain(session: Session, head: LogHead) -> ChainReport:
    t = head.tenant_code
    problems: list[Problem] = []
    expected_seq, prev, count = 1, GENESIS_HASH, 0
    rows = session.execute(select(Decision).where(Decision.tenant_code == t).order_by(Decision.seq)
                           .execution_options(yield_per=1000)).scalars()
    for row in rows:
        count += 1
        if row.seq != expected_seq:
            gap = f"{expected_seq}" if row.seq == expected_seq + 1 else f"{expected_seq}–{row.seq - 1}"
            problems.append(Problem(t, "deleted", f"租户 {t} 的决定记录第 {gap} 条缺失(被删除)", expected_seq))
        if row.prev_hash != prev:
            problems.append(Problem(t, "broken_link", f"第 {row.seq} 条记录与前一条的哈希链接断开",
                                    row.seq, row.id))
        fields = {k: getattr(row, k) for k in HASHED_FIELDS}
        if entry_hash(row.prev_hash, fields) != row.hash:
            problems.append(Problem(t, "edited", f"第 {row.seq} 条记录(id {row.id})的内容与哈希不符(被修改)",
                                    row.seq, row.id))
        prev, expected_seq = row.hash, row.seq + 1
    if head.last_seq != expected_seq - 1 or head.last_hash != prev:
        problems.append(Problem(t, "head_mismatch",
                                f"租户 {t} 的链尾应为第 {head.last_seq} 条,实际为第 {expected_seq - 1} 条"
                                "(末尾记录被删除或链尾被改动)", head.last_seq))
    return ChainReport(t, count, head.last_hash, problems)

