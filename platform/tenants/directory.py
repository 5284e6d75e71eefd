"""Tenants and org units in the database, and who reaches what.

A tenant reaches itself and its descendants (a Hunan token reads Changsha),
never a sibling or an ancestor. :class:`TenantDirectory` answers that from
memory; it is rebuilt when `jiceng init` brings new tenants.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.orm import Session

from jiceng.platform.db.models import ApiToken, Assignment, LogHead, OrgUnit, Tenant, UnitChange
from jiceng.platform.decisions.chain import GENESIS_HASH
from jiceng.platform.errors import Invalid
from jiceng.platform.tenants.files import INT_COLUMNS, FLOAT_COLUMNS, TenantFile


@dataclass(frozen=True)
class TenantInfo:
    code: str
    name: str
    parent: Optional[str]
    level: str
    division_code: Optional[str]

    def to_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "parent": self.parent, "level": self.level,
                "division_code": self.division_code}


class TenantDirectory:
    """Every tenant, with parent/child links, held in memory."""

    def __init__(self, tenants: Iterable[TenantInfo]):
        self.by_code = {t.code: t for t in tenants}
        self.children: dict[str, list[str]] = {}
        for t in self.by_code.values():
            if t.parent:
                self.children.setdefault(t.parent, []).append(t.code)

    @classmethod
    def load(cls, session: Session) -> "TenantDirectory":
        rows = session.execute(select(Tenant)).scalars()
        return cls(TenantInfo(t.code, t.name, t.parent_code, t.level, t.division_code) for t in rows)

    def get(self, code: str) -> Optional[TenantInfo]:
        return self.by_code.get(code)

    def parent_of(self, code: str) -> Optional[str]:
        """``code``'s parent (None for a root): the only pack ``code``'s pack may extend.
        Raises :class:`LookupError` for a tenant that is not registered."""
        return self.by_code[code].parent

    def ancestors(self, code: str) -> list[str]:
        """``code``'s chain from the root down to ``code`` itself."""
        out, seen = [], set()
        cur: Optional[str] = code
        while cur is not None and cur in self.by_code and cur not in seen:
            seen.add(cur)
            out.append(cur)
            cur = self.by_code[cur].parent
        return list(reversed(out))

    def descendants(self, code: str) -> list[str]:
        """``code`` and every tenant below it."""
        out, todo = [], [code]
        while todo:
            cur = todo.pop()
            if cur in out:
                continue
            out.append(cur)
            todo.extend(self.children.get(cur, ()))
        return out

    def reaches(self, holder: str, tenant: str) -> bool:
        """Whether a token of ``holder`` may see ``tenant``."""
        return tenant in self.by_code and holder in self.ancestors(tenant)


# ---------------------------------------------------------------------- loading
def sync_tenants(session: Session, tenants: list[TenantFile]) -> dict[str, int]:
    """Write ``tenants`` (parents first) to the database; unchanged ones are skipped.

    Returns counts for the `jiceng init` summary.
    """
    stats = {"tenants_changed": 0, "units_written": 0}
    known = {t.code: t for t in session.execute(select(Tenant)).scalars()}
    parents = {t.code: t.parent for t in tenants}
    parents.update({c: t.parent_code for c, t in known.items() if c not in parents})
    for tf in tenants:
        row = known.get(tf.code)
        if row is not None and row.source_digest == tf.digest:
            continue
        stats["tenants_changed"] += 1
        new = row is None
        if new:
            row = Tenant(code=tf.code)
            session.add(row)
        row.name, row.parent_code, row.level = tf.name, tf.parent, tf.level
        row.division_code, row.source_digest = tf.division_code, tf.digest
        session.flush()
        if new:
            session.add(LogHead(tenant_code=tf.code, last_seq=0, last_hash=GENESIS_HASH))
        stats["units_written"] += _sync_units(session, tf, parents)
    return stats


def _is_ancestor(parents: dict[str, Optional[str]], ancestor: str, code: str) -> bool:
    cur = parents.get(code)
    seen = set()
    while cur is not None and cur not in seen:
        if cur == ancestor:
            return True
        seen.add(cur)
        cur = parents.get(cur)
    return False


def _sync_units(session: Session, tf: TenantFile, parents: dict[str, Optional[str]]) -> int:
    """Upsert the tenant's units. A unit code also listed by a descendant tenant
    belongs to the descendant; units no longer listed go unless something refers to them."""
    existing = {u.code: u for u in session.execute(
        select(OrgUnit).where(OrgUnit.code.in_([u.code for u in tf.units]))).scalars()} if tf.units else {}
    written = 0
    for u in tf.units:
        row = existing.get(u.code)
        if row is not None and row.tenant_code != tf.code:
            if _is_ancestor(parents, tf.code, row.tenant_code):
                continue  # a descendant tenant describes this unit in more detail
            if not _is_ancestor(parents, row.tenant_code, tf.code):
                raise Invalid("unit_code_conflict",
                              f"{tf.path}:单位代码 {u.code} 已属于租户 {row.tenant_code},两个租户互不隶属")
        if row is None:
            row = OrgUnit(code=u.code)
            session.add(row)
        row.tenant_code, row.parent_code, row.level, row.name = tf.code, u.parent, u.level, u.name
        for col in INT_COLUMNS + FLOAT_COLUMNS:
            setattr(row, col, getattr(u, col))
        written += 1
    listed = [u.code for u in tf.units]
    referenced = or_(exists().where(Assignment.target_unit == OrgUnit.code),
                     exists().where(ApiToken.unit_code == OrgUnit.code))
    session.execute(delete(OrgUnit).where(OrgUnit.tenant_code == tf.code, OrgUnit.code.not_in(listed),
                                          ~referenced).execution_options(synchronize_session=False))
    # in the unit change log as an import is (codes None: any of the tenant's units may have changed),
    # so running processes drop the units they keep (Runtime.see) and re-evaluate the standards
    session.add(UnitChange(tenant_code=tf.code, codes=None))
    session.flush()
    return written


# ---------------------------------------------------------------------- units
def unit_facts(u: OrgUnit) -> dict:
    """The SPEC §5 target facts of a unit."""
    return {"code": u.code, "parent": u.parent_code, "level": u.level, "name": u.name,
            **{c: getattr(u, c) for c in INT_COLUMNS + FLOAT_COLUMNS}}


def unit_tree(session: Session, tenant: str) -> list[dict]:
    """The tenant's own units as a forest (roots are units whose parent is not the tenant's)."""
    rows = list(session.execute(select(OrgUnit).where(OrgUnit.tenant_code == tenant)
                                .order_by(OrgUnit.code)).scalars())
    nodes = {u.code: {**unit_facts(u), "children": []} for u in rows}
    roots = []
    for u in rows:
        parent = nodes.get(u.parent_code) if u.parent_code else None
        (parent["children"] if parent is not None else roots).append(nodes[u.code])
    return roots
