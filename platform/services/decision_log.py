"""The decision log: append-only, hash-chained per tenant, verifiable.

Every admission check and every assignment decision is appended here in the
same transaction as whatever it decided, with the input, the target facts,
the history facts, the pack (digest, versions of the whole chain), the
outcome, the reasons, the actor and the time.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, Optional

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from ..db.models import Decision, LogHead
from .decision_chain import GENESIS_HASH, HASHED_FIELDS, entry_hash
from .errors import NotFound
from .jsonsafe import jsonable


def utc_now_text() -> str:
    """Now, as the log stores it (ISO-8601 UTC with microseconds)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Appended:
    id: int
    seq: int
    hash: str


_HEADS, _DECISIONS = LogHead.__table__, Decision.__table__  # Core: the hot path skips the ORM
_HEAD = (select(_HEADS.c.last_seq, _HEADS.c.last_hash).where(_HEADS.c.tenant_code == bindparam("t"))
         .with_for_update())
_INSERT = insert(_DECISIONS).returning(_DECISIONS.c.id)
_ADVANCE = (update(_HEADS).where(_HEADS.c.tenant_code == bindparam("t"))
            .values(last_seq=bindparam("seq"), last_hash=bindparam("h")))


def append(session: Session, *, tenant: str, kind: str, actor: str, decided_on: str, input: dict,
           target: dict, history: dict, pack: dict, outcome: str, reasons: list,
           requirements: list) -> Appended:
    """Append one entry to ``tenant``'s chain (locks the chain's head until commit)."""
    conn = session.connection()
    last_seq, last_hash = conn.execute(_HEAD, {"t": tenant}).one()
    fields = {"tenant_code": tenant, "seq": last_seq + 1, "kind": kind, "actor": actor,
              "created_at": utc_now_text(), "decided_on": decided_on, "input": jsonable(input),
              "target": jsonable(target), "history": jsonable(history), "pack": jsonable(pack),
              "outcome": outcome, "reasons": jsonable(reasons), "requirements": jsonable(requirements)}
    digest = entry_hash(last_hash, fields)
    new_id = conn.execute(_INSERT, {**fields, "prev_hash": last_hash, "hash": digest}).scalar_one()
    conn.execute(_ADVANCE, {"t": tenant, "seq": fields["seq"], "h": digest})
    return Appended(new_id, fields["seq"], digest)


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

