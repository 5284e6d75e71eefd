"""A standard's results over a tenant's org units (SPEC §6), from the pack in force."""
from __future__ import annotations

from datetime import date
from typing import Optional

from sqlalchemy import select

from ..db.models import OrgUnit
from .errors import NotFound
from .jsonsafe import jsonable
from .runtime import Runtime
from .tenants import unit_facts


def evaluate(rt: Runtime, tenant: str, name: str, *, descendants: bool = False,
             on: Optional[date] = None) -> dict:
    """Every unit of the standard's level: compliant or not, with its measures."""
    on = on or date.today()
    with rt.db.read() as session:
        resolved = rt.pack_for(session, tenant, on)
        pack = resolved.pack
        info = pack.standards.get(name)
        if info is None:
            raise NotFound("standard_not_found", f"规则包 {pack.tenant} 中没有标准 {name}",
                           {"available": sorted(pack.standards)})
        tenants = rt.directory(session).descendants(tenant) if descendants else [tenant]
        rows = list(session.execute(select(OrgUnit).where(OrgUnit.tenant_code.in_(tenants))
                                    .order_by(OrgUnit.code)).scalars())
    children: dict[str, list[dict]] = {}
    for u in rows:
        if u.parent_code:
            children.setdefault(u.parent_code, []).append(unit_facts(u))
    results, failing, compliant, skipped = [], 0, 0, 0
    for u in rows:
        if not info.applies_to(u.level):
            continue
        subject = dict(unit_facts(u), children=children.get(u.code, []))
        entry = {"unit": {"code": u.code, "name": u.name, "level": u.level, "tenant": u.tenant_code}}
        try:
            measures = pack.evaluate_standard(name, subject)
        except Exception as e:  # noqa: BLE001 - a unit whose data the measures cannot use
            entry.update(status="error", message=f"单位数据不完整,无法计算({type(e).__name__})")
            results.append(entry)
            continue
        if measures is None:
            skipped += 1
            continue
        measures = jsonable(measures)
        ok = bool(measures.pop("compliant"))
        failed = measures.pop("failed", [])
        entry.update(status="compliant" if ok else "failing", measures=measures,
                     failed_expectations=[_expect_message(info, i) for i in failed])
        compliant += ok
        failing += not ok
        results.append(entry)
    return {"tenant": tenant, "pack": {"tenant": pack.tenant, "version": pack.version, "digest": pack.digest},
            "standard": {"name": info.name, "title": info.title, "level": info.level, "declared_in": info.pack},
            "summary": {"units": len(results), "compliant": compliant, "failing": failing,
                        "errors": len(results) - compliant - failing, "not_applicable": skipped},
            "results": results}


def _expect_message(info, index: int) -> str:
    x = info.expects[index]
    return getattr(x, "message", None) or info.title or info.name
