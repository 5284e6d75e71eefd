"""The decision log: append-only, hash-chained per tenant, verifiable.

Every admission check and every assignment decision is appended, with the
input, the target facts, the history facts, the pack (digest, versions of the
whole chain), the outcome, the reasons, the actor and the time: an assignment
in the same transaction as what it decided (:func:`append_all`), checks by
group commit (:attr:`.runtime.Runtime.check_log`). How entries are written:
:mod:`.append`. Verification, with or without a signed checkpoint
(:mod:`.checkpoint`): :func:`verify`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiceng.platform.db.models import Decision, LogHead, Tenant
from jiceng.platform.decisions.chain import GENESIS_HASH, HASHED_FIELDS, entry_hash
from jiceng.platform.errors import NotFound
from jiceng.platform.decisions.append import Appended, Entry, write


def append_all(session: Session, entries: list[Entry]) -> list[Appended]:
    """Append ``entries`` (:func:`.append.entry`) in ``session``'s transaction, in one statement
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
@dataclass(frozen=True)
class SignedHead:
    """What a signed checkpoint says of one tenant: its chain had ``size`` entries ending in ``head``."""

    tenant: str
    size: int
    head: str


@dataclass
class Problem:
    tenant: str
    #: edited | deleted | broken_link | head_mismatch | head_missing, and against a checkpoint
    #: tenant_vanished | log_shrank | log_rewritten
    code: str
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
    #: the stored head (None when the tenant has none)
    head_seq: Optional[int]
    head_hash: Optional[str]
    problems: list[Problem]
    checkpoint: Optional[SignedHead] = None

    def to_dict(self) -> dict:
        signed = self.checkpoint
        return {"tenant": self.tenant, "entries": self.entries, "head_seq": self.head_seq,
                "head_hash": self.head_hash, "ok": not self.problems,
                "checkpoint": None if signed is None else {"size": signed.size, "head": signed.head},
                "problems": [p.to_dict() for p in self.problems]}


def verify(session: Session, tenants: Optional[list[str]] = None,
           signed: Optional[Mapping[str, SignedHead]] = None) -> list[ChainReport]:
    """Recompute every chain (or those of ``tenants``) and report each break; with ``signed``
    (a checkpoint's heads, by tenant) also whether each chain still extends its signed head.

    Without ``signed`` this finds what breaks the chain's own links; it cannot find a chain that
    was rewritten consistently, head included (the hashes are unkeyed): that takes a checkpoint.
    """
    signed = signed or {}
    heads = {t for t in session.execute(select(LogHead.tenant_code)).scalars()}
    registered = set(session.execute(select(Tenant.code)).scalars())
    names = heads | registered | set(signed)
    if tenants is not None:
        names &= set(tenants)
    return [_verify_chain(session, t, t in registered, signed.get(t)) for t in sorted(names)]


class _Walk:
    """One chain walked in ``seq`` order: the checks of each stored link, and the chain recomputed
    from genesis out of the entries' contents alone (what a checkpoint's head is compared with)."""

    def __init__(self, tenant: str, signed: Optional[SignedHead]):
        self.tenant, self.signed = tenant, signed
        self.problems: list[Problem] = []
        self.count, self.last_seq, self.prev, self.recomputed = 0, 0, GENESIS_HASH, GENESIS_HASH
        #: the recomputed hash at the checkpoint's size (genesis for a checkpoint of an empty chain)
        self.at_signed: Optional[str] = GENESIS_HASH if signed is not None and signed.size == 0 else None

    def feed(self, rows: Iterable[Decision]) -> None:
        t, problems = self.tenant, self.problems
        for row in rows:
            self.count += 1
            expected_seq = self.last_seq + 1
            if row.seq != expected_seq:
                gap = f"{expected_seq}" if row.seq == expected_seq + 1 else f"{expected_seq}–{row.seq - 1}"
                problems.append(Problem(t, "deleted", f"租户 {t} 的决定记录第 {gap} 条缺失(被删除)", expected_seq))
            if row.prev_hash != self.prev:
                problems.append(Problem(t, "broken_link", f"第 {row.seq} 条记录与前一条的哈希链接断开",
                                        row.seq, row.id))
            fields = {k: getattr(row, k) for k in HASHED_FIELDS}
            if entry_hash(row.prev_hash, fields) != row.hash:
                problems.append(Problem(t, "edited", f"第 {row.seq} 条记录(id {row.id})的内容与哈希不符(被修改)",
                                        row.seq, row.id))
            self.recomputed = entry_hash(self.recomputed, fields)
            if self.signed is not None and self.count == self.signed.size:
                self.at_signed = self.recomputed
            self.prev, self.last_seq = row.hash, row.seq


def _rows(session: Session, tenant: str, after: int):
    return session.execute(select(Decision).where(Decision.tenant_code == tenant, Decision.seq > after)
                           .order_by(Decision.seq).execution_options(yield_per=1000)).scalars()


def _verify_chain(session: Session, t: str, registered: bool, signed: Optional[SignedHead]) -> ChainReport:
    walk = _Walk(t, signed)
    walk.feed(_rows(session, t, 0))
    # The head is read after the rows: entries appended meanwhile (with their head, in one commit)
    # are walked too, until the head read is no further than the walk; a head read first would
    # make every append during a long walk look like a forged entry past the head.
    while True:
        head = session.execute(select(LogHead.last_seq, LogHead.last_hash)
                               .where(LogHead.tenant_code == t)).first()
        if head is None or head.last_seq <= walk.last_seq:
            break
        before = walk.count
        walk.feed(_rows(session, t, walk.last_seq))
        if walk.count == before:  # the head points past the last entry: reported below
            break
    problems = walk.problems
    if head is None:
        if registered:
            problems.append(Problem(t, "head_missing", f"租户 {t} 的决定记录链尾不存在(记录连同链尾被删除)"))
    elif head.last_seq != walk.last_seq or head.last_hash != walk.prev:
        problems.append(Problem(t, "head_mismatch",
                                f"租户 {t} 的链尾应为第 {head.last_seq} 条,实际为第 {walk.last_seq} 条"
                                "(末尾记录被删除或链尾被改动)", head.last_seq))
    if signed is not None:
        problems.extend(_against_checkpoint(walk, head is None))
    return ChainReport(t, walk.count, None if head is None else head.last_seq,
                       None if head is None else head.last_hash, problems, signed)


def _against_checkpoint(walk: _Walk, headless: bool) -> list[Problem]:
    """Does the chain still extend its signed head? The entry at position ``size`` must recompute
    (from genesis, from contents alone) to exactly the signed hash; the links after it are the
    ordinary checks of the walk."""
    t, signed = walk.tenant, walk.signed
    if headless and walk.count == 0:
        return [Problem(t, "tenant_vanished", f"检查点记有租户 {t}({signed.size} 条记录),"
                                              "现在它的决定记录和链尾都不存在")]
    if walk.count < signed.size:
        return [Problem(t, "log_shrank", f"检查点记有租户 {t} 的 {signed.size} 条记录,现在只有 {walk.count} 条"
                                         "(记录被截断或删除)", walk.count + 1)]
    if walk.at_signed != signed.head:
        return [Problem(t, "log_rewritten", f"租户 {t} 的前 {signed.size} 条记录重算出的哈希与检查点签名的"
                                            "链尾哈希不同(检查点之前的记录被改写、插入、删除或重排)",
                        signed.size)]
    return []
