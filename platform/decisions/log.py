"""The decision log: append-only, hash-chained per tenant, verifiable.

Every admission check and every assignment decision is appended, with the
input, the target facts, the history facts, the pack (digest, versions of the
whole chain), the outcome, the reasons, the actor and the time: an assignment
in the same transaction as what it decided (:func:`append_all`), checks by
group commit (:attr:`.runtime.Runtime.check_log`). How entries are written:
:mod:`.log_append`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiceng.platform.db.models import Decision, LogHead
from jiceng.platform.decisions.chain import GENESIS_HASH, HASHED_FIELDS, entry_hash
from jiceng.platform.errors import NotFound
from jiceng.platform.decisions.append import Appended, Entry, write


def append_all(session: Session, entries: list[Entry]) -> list[Appended]:
    """Append ``entries`` (:func:`.log_append.entry`) in ``session``'s transaction, in one statement
    on PostgreSQL; their chains' heads stay locked until it commits."""
    results = write(session.connection(), entries)
    for result in results:
        if isinstance(result, Exception):
            raise result
    return results


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

