"""Reading a tenant's department registry, and finding the department a task names.

A task names its sending department by name (``source_department``, "区民政局") next to
the unit it is sent from (``source_unit``). Names repeat across a tenant (every district has
a 区民政局), so a department is looked up on the sending unit's chain: the unit itself, then
its parent, up to the root; the nearest match wins. Its code matches as well as its name.
Only the registries within the tenant's reach are searched (the tenant and its descendants),
as everywhere else in the service.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from jiceng.dsl.diagnostics import did_you_mean

from jiceng.platform.db.models import Department, OrgUnit
from jiceng.platform.errors import Invalid, NotFound
from jiceng.platform.tenants.directory import TenantDirectory

KINDS = ("functional", "government")
KIND_LABEL = {"functional": "职能部门", "government": "党委政府"}
#: the longest unit chain walked up from a task's unit (province > … > grid is 6; the rest is room)
MAX_CHAIN = 16
#: a page of ``list_departments``: its default and largest size
LIST_LIMIT = 1000
MAX_LIST_LIMIT = 10_000
#: names longer than any registered one (import limit) match nothing and get no "did you mean"
NAME_LENGTH = 100
SHOWN_NAME = 50


@dataclass(frozen=True)
class DepartmentInfo:
    """One registered department, detached from the database."""

    tenant: str
    code: str
    name: str
    unit: str
    unit_name: Optional[str]   # None when the unit is no longer loaded
    kind: str                  # functional | government
    items: tuple[str, ...]     # 清单 item codes of its 权责清单
    categories: tuple[str, ...]  # 事项类别 of its 权责清单

    def to_dict(self) -> dict:
        return {"tenant": self.tenant, "code": self.code, "name": self.name, "unit": self.unit,
                "unit_name": self.unit_name, "kind": self.kind, "kind_label": KIND_LABEL.get(self.kind, self.kind),
                "items": list(self.items), "categories": list(self.categories)}


def _info(d: Department, unit_name: Optional[str]) -> DepartmentInfo:
    return DepartmentInfo(d.tenant_code, d.code, d.name, d.unit_code, unit_name, d.kind,
                          tuple(d.items or ()), tuple(d.categories or ()))


_WITH_UNIT = select(Department, OrgUnit.name).outerjoin(OrgUnit, OrgUnit.code == Department.unit_code)


def list_departments(session: Session, tenant: str, *, unit: Optional[str] = None, kind: Optional[str] = None,
                     limit: int = LIST_LIMIT, offset: int = 0) -> tuple[int, list[DepartmentInfo]]:
    """(how many match, one page of them) of ``tenant``'s own registry, by unit then code."""
    where = [Department.tenant_code == tenant]
    if unit is not None:
        where.append(Department.unit_code == unit)
    if kind is not None:
        where.append(Department.kind == kind)
    total = session.execute(select(func.count()).select_from(Department).where(*where)).scalar_one()
    rows = session.execute(_WITH_UNIT.where(*where).order_by(Department.unit_code, Department.code)
                           .limit(min(limit, MAX_LIST_LIMIT)).offset(offset)).all()
    return total, [_info(d, name) for d, name in rows]


def get_department(session: Session, tenant: str, code: str) -> DepartmentInfo:
    """The department ``code`` of ``tenant``'s registry; :class:`NotFound` otherwise."""
    row = session.execute(_WITH_UNIT.where(Department.tenant_code == tenant, Department.code == code)).first()
    if row is None:
        raise NotFound("department_not_found", f"租户 {tenant} 的部门名录中没有代码为 {_shown(code)} 的部门")
    return _info(*row)


def on_chain(session: Session, tenant: str, unit: str) -> list[DepartmentInfo]:
    """Every department registered at ``unit`` or one of its ancestors, nearest unit first,
    from the registries within ``tenant``'s reach (one query: the chain is a recursive CTE)."""
    reach = TenantDirectory.load(session).descendants(tenant)
    chain = (select(OrgUnit.code, OrgUnit.parent_code, literal(0).label("depth"))
             .where(OrgUnit.code == unit).cte("chain", recursive=True))
    chain = chain.union_all(select(OrgUnit.code, OrgUnit.parent_code, chain.c.depth + 1)
                            .where(OrgUnit.code == chain.c.parent_code, chain.c.depth < MAX_CHAIN))
    rows = session.execute(select(Department, OrgUnit.name)
                           .join(chain, chain.c.code == Department.unit_code)
                           .outerjoin(OrgUnit, OrgUnit.code == Department.unit_code)
                           .where(Department.tenant_code.in_(reach))
                           .order_by(chain.c.depth, Department.code)).all()
    return [_info(d, name) for d, name in rows]


def _match(candidates: list[DepartmentInfo], name_or_code: str) -> Optional[DepartmentInfo]:
    """The nearest department named or coded ``name_or_code`` (``candidates`` nearest first)."""
    key = name_or_code.strip()
    return next((d for d in candidates if key in (d.code, d.name)), None)


def resolve(session: Session, tenant: str, source_unit: Optional[str], name_or_code: Optional[str]
            ) -> Optional[DepartmentInfo]:
    """The department ``name_or_code`` registered at ``source_unit`` or its nearest ancestor
    unit, within ``tenant``'s reach; None when there is none (or either is missing)."""
    if not source_unit or not name_or_code or len(name_or_code) > NAME_LENGTH:
        return None
    return _match(on_chain(session, tenant, source_unit), name_or_code)


def require_registered(session: Session, tenant: str, task: Mapping) -> Optional[DepartmentInfo]:
    """The registered department ``task["source_department"]`` names, checked against
    ``task["source_unit"]`` (pass the unit the task is actually sent from).

    A task without a ``source_department`` is sent by the 党委和政府 as a whole (the task
    form says to leave it blank then): None. Otherwise :class:`Invalid` ``unknown_department``
    (path ``/source_department``, with a did-you-mean), or ``source_unit_missing`` when there
    is no unit to look the department up from.
    """
    name = task.get("source_department")
    if name is None or (isinstance(name, str) and not name.strip()):
        return None
    unit = task.get("source_unit")
    if not isinstance(unit, str) or not unit:
        message = "填写了下派部门时须填写下派单位(source_unit):部门按下派单位及其上级单位的名录核对"
        raise Invalid("source_unit_missing", message, [{"path": "/source_unit", "message": message}])
    if isinstance(name, str) and len(name) <= NAME_LENGTH:
        candidates = on_chain(session, tenant, unit)
        found = _match(candidates, name)
        if found is not None:
            return found
        hint = did_you_mean(name.strip(), [d.name for d in candidates]) or _elsewhere(session, tenant, name.strip())
    else:
        hint = None
    unit_row = session.get(OrgUnit, unit)
    where = f"{unit_row.name}({unit})" if unit_row is not None else f"单位 {_shown(unit)}"
    message = f"下派部门“{_shown(str(name))}”不在{where}及其上级单位的部门名录中" + (f";{hint}" if hint else "")
    raise Invalid("unknown_department", message, [{"path": "/source_department", "message": message}])


def _elsewhere(session: Session, tenant: str, name: str) -> Optional[str]:
    """Where a department of this exact name is registered off the sending unit's chain."""
    reach = TenantDirectory.load(session).descendants(tenant)
    rows = session.execute(_WITH_UNIT.where(Department.tenant_code.in_(reach), Department.name == name)
                           .order_by(Department.unit_code).limit(3)).all()
    if not rows:
        return None
    places = "、".join(f"{unit_name or d.unit_code}({d.unit_code})" for d, unit_name in rows)
    return f"名录中的“{name}”属于 {places},不是下派单位或其上级单位"


def _shown(text: str) -> str:
    return text if len(text) <= SHOWN_NAME else text[:SHOWN_NAME] + "…"
