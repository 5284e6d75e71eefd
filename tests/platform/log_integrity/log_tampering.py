"""What an attacker with write access to the database can do to the decision log, as functions.

Each helper writes the database directly, as someone holding its password would, never
through the service. :func:`rechain` is what makes an attack *careful*: every hash
recomputed from genesis and the head moved, so that the chain's own links hold.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, select, update

from jiceng.platform.db.models import Decision, LogHead
from jiceng.platform.decisions import append as log_append
from jiceng.platform.decisions import checkpoint as cp
from jiceng.platform.decisions.chain import GENESIS_HASH, HASHED_FIELDS, entry_hash
from jiceng.platform.decisions.log import append_all, verify

#: the columns of an entry's content (hashed, but neither its place nor its tenant)
CONTENT = ("kind", "actor", "created_at", "decided_on", "input", "target", "history", "pack", "outcome",
           "reasons", "requirements")


def append(db, tenant: str, n: int) -> None:
    """``n`` entries on ``tenant``'s chain, through the service's own append."""
    for i in range(n):
        e = log_append.entry(tenant=tenant, kind="check", actor=f"token:{i} department@{tenant}",
                             decided_on="2024-06-01", input={"task": {"title": f"{tenant} 事项{i}"}},
                             target={"level": "community"}, history={"plaques": i}, pack={"tenant": tenant},
                             outcome=("admit", "reject", "conditional")[i % 3], reasons=[{"rule": f"R{i}"}],
                             requirements=[])
        with db.write() as s:
            append_all(s, [e])


def rows(db, tenant: str) -> list[Decision]:
    with db.read() as s:
        return list(s.execute(select(Decision).where(Decision.tenant_code == tenant)
                              .order_by(Decision.seq)).scalars())


def content(row: Decision) -> dict:
    return {k: getattr(row, k) for k in CONTENT}


def set_row(db, row_id: int, **values) -> None:
    with db.write() as s:
        s.execute(update(Decision).where(Decision.id == row_id).values(**values))


def delete_rows(db, *row_ids: int) -> None:
    with db.write() as s:
        s.execute(delete(Decision).where(Decision.id.in_(row_ids)))


def insert_row(db, tenant: str, seq: int, values: dict) -> None:
    """A row with whatever hashes (``prev_hash``/``hash`` default to zeros: :func:`rechain` fixes them)."""
    with db.write() as s:
        s.add(Decision(tenant_code=tenant, seq=seq, **{"prev_hash": GENESIS_HASH, "hash": GENESIS_HASH, **values}))


def shift(db, tenant: str, from_seq: int, by: int) -> None:
    """Renumber entries ``seq >= from_seq`` by ``by``, one row at a time in an order that never
    collides with the unique (tenant, seq) constraint."""
    targets = [r for r in rows(db, tenant) if r.seq >= from_seq]
    for r in (reversed(targets) if by > 0 else targets):
        set_row(db, r.id, seq=r.seq + by)


def set_head(db, tenant: str, seq: int, hash_: str) -> None:
    with db.write() as s:
        s.execute(update(LogHead).where(LogHead.tenant_code == tenant).values(last_seq=seq, last_hash=hash_))


def rechain(db, tenant: str) -> None:
    """The careful attacker's last step: every link and hash recomputed from genesis over the rows as
    they now are, and the head moved to the end."""
    prev, last = GENESIS_HASH, 0
    for r in rows(db, tenant):
        h = entry_hash(prev, {k: getattr(r, k) for k in HASHED_FIELDS})
        set_row(db, r.id, prev_hash=prev, hash=h)
        prev, last = h, r.seq
    set_head(db, tenant, last, prev)


def problem_codes(db, signed=None, tenants=None) -> set[tuple[str, str]]:
    """(tenant, code) of every problem :func:`verify` reports, without or with a checkpoint's heads."""
    with db.read() as s:
        return {(p.tenant, p.code) for r in verify(s, tenants, signed) for p in r.problems}


def new_key(directory: Path):
    """A fresh signing key in ``directory``: (private key path, loaded key)."""
    path = directory / "checkpoint.key"
    cp.generate_key(path)
    return path, cp.load_signing_key(str(path))
