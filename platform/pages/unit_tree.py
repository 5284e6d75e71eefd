"""The unit tree a department picks targets from: every unit in a tenant's reach, nested by parent."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import select

from jiceng.dsl.types import LEVEL_LABELS

from jiceng.platform.db.models import OrgUnit
from jiceng.platform.runtime import Runtime

#: the most units the tree shows (a tenant with more picks by searching its streets)
MAX_UNITS = 3000


def tree(rt: Runtime, tenant: str, under: Optional[str] = None) -> dict:
    """``{roots: [{code, name, level, level_label, children: [...]}], truncated}`` for the units in
    ``tenant``'s reach (below ``under`` when given: a unit-bound operator sees its own subtree)."""
    with rt.db.read() as session:
        tenants = rt.directory(session).descendants(tenant)
        rows = session.execute(select(OrgUnit.code, OrgUnit.name, OrgUnit.level, OrgUnit.parent_code)
                               .where(OrgUnit.tenant_code.in_(tenants)).order_by(OrgUnit.code)
                               .limit(MAX_UNITS + 1)).all()
    nodes = {r.code: {"code": r.code, "name": r.name, "level": r.level, "parent": r.parent_code,
                      "level_label": LEVEL_LABELS.get(r.level, r.level), "children": []} for r in rows[:MAX_UNITS]}
    roots = []
    for node in nodes.values():
        parent = nodes.get(node["parent"])
        (parent["children"] if parent is not None and node["code"] != under else roots).append(node)
    if under is not None:
        roots = [nodes[under]] if under in nodes else []
    return {"roots": roots, "truncated": len(rows) > MAX_UNITS}
