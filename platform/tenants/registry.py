"""Creating, reading and renaming tenants through the service (`POST/GET/PATCH /api/v1/tenants`).

An admin creates tenants only directly below its own tenant: the nation's admin creates
provinces, a province's admin its cities; a city has no tenants below it. The parent is fixed
at creation (moving a tenant would move its decisions, tokens and units under another chain),
and so are the code (it names the pack) and the level (it follows from the parent). Everything
outside the caller's reach is :class:`NotFound`, exactly like a tenant that does not exist.

A new tenant gets its decision-log head and a scaffolded draft pack extending its parent
(:mod:`.scaffold`); until it adds forms of its own it uses its parent's (forms are looked up
along the chain). `jiceng init` leaves tenants created here alone (they have no seed file).
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiceng.dsl import clock
from jiceng.platform.auth.tokens import Principal
from jiceng.platform.db.models import LogHead, PackVersion, Tenant
from jiceng.platform.decisions.chain import GENESIS_HASH
from jiceng.platform.errors import Conflict, Invalid, NotFound, ServiceError
from jiceng.platform.packs.lifecycle import lock_head, store_version
from jiceng.platform.packs.versions import in_force
from jiceng.platform.runtime import Runtime
from jiceng.platform.tenants.directory import TenantDirectory
from jiceng.platform.tenants.scaffold import sample_decision, scaffold_files

CODE = re.compile(r"[a-z][a-z0-9_]{1,63}")
NAME_LENGTH = 200
#: the level of a tenant created below a tenant of each level (a city has none below it)
CHILD_LEVEL = {"national": "province", "province": "city"}
LEVEL_LABEL = {"national": "全国", "province": "省", "city": "市"}
ORIGIN_API = "api"
SCAFFOLD_ORIGIN = "scaffold"


def tenant_dict(t: Tenant, directory: TenantDirectory) -> dict:
    """A tenant as the API answers it."""
    return {"code": t.code, "name": t.name, "parent": t.parent_code, "level": t.level,
            "division_code": t.division_code, "origin": t.origin, "created_by": t.created_by,
            "created_at": t.created_at.isoformat() if t.created_at else None,
            "children": sorted(directory.children.get(t.code, []))}


def list_tenants(rt: Runtime, principal: Principal) -> list[dict]:
    """The caller's tenant and every tenant below it, parents first."""
    with rt.db.read() as session:
        directory = TenantDirectory.load(session)
        reach = directory.descendants(principal.tenant)
        rows = {t.code: t for t in session.execute(select(Tenant).where(Tenant.code.in_(reach))).scalars()}
        order = sorted(rows, key=lambda c: (len(directory.ancestors(c)), c))
        return [tenant_dict(rows[c], directory) for c in order]


def get_tenant(rt: Runtime, principal: Principal, code: str) -> dict:
    with rt.db.read() as session:
        directory = TenantDirectory.load(session)
        row = _in_reach(session, directory, principal, code)
        return tenant_dict(row, directory)


def _in_reach(session: Session, directory: TenantDirectory, principal: Principal, code) -> Tenant:
    if not isinstance(code, str) or not directory.reaches(principal.tenant, code):
        raise NotFound("tenant_not_found", f"找不到租户 {code}")
    return session.get(Tenant, code)


def create_tenant(rt: Runtime, principal: Principal, body: dict, actor: Optional[str] = None) -> dict:
    """Create a tenant below the caller's own, with its draft pack; the answer adds ``draft``
    (the scaffold's version number, None when the parent has no pack in force to extend).
    ``actor`` names the creator when it is not the principal's token (the command line)."""
    principal.require("tenants.manage")
    actor = actor or principal.actor
    code, name = body["code"], body["name"].strip()
    parent = body.get("parent") or principal.tenant
    with rt.db.write() as session:
        directory = TenantDirectory.load(session)
        if not directory.reaches(principal.tenant, parent):
            raise NotFound("tenant_not_found", f"找不到租户 {parent}")
        if parent != principal.tenant:
            raise Invalid("tenant_parent_not_own",
                          f"只能在本租户({principal.tenant})之下直接建立租户;{parent} 的下级由 {parent} 的管理员建立",
                          [{"path": "/parent", "message": f"应为 {principal.tenant}"}])
        rt.db.lock(session, Tenant.code, [parent])
        parent_row = session.get(Tenant, parent)
        level = _child_level(parent_row, body.get("level"))
        _check_code(code, directory)
        division = _check_division(session, body["division_code"], level, parent_row)
        row = Tenant(code=code, name=_check_name(name), parent_code=parent, level=level, division_code=division,
                     source_digest="", origin=ORIGIN_API, created_by=actor,
                     created_at=datetime.now(timezone.utc))
        session.add(row)
        session.flush()
        session.add(LogHead(tenant_code=code, last_seq=0, last_hash=GENESIS_HASH))
        lock_head(session, code)
        draft = _scaffold(rt, session, row, actor)
        out = tenant_dict(row, TenantDirectory.load(session))
    out["draft"] = draft
    return out


def update_tenant(rt: Runtime, principal: Principal, code: str, body: dict) -> dict:
    """Rename a tenant or correct its division code; the code, parent and level stay."""
    principal.require("tenants.manage")
    with rt.db.write() as session:
        directory = TenantDirectory.load(session)
        row = _in_reach(session, directory, principal, code)
        fixed = [k for k in ("code", "parent", "level") if k in body and body[k] != getattr(
            row, {"parent": "parent_code"}.get(k, k))]
        if fixed:
            raise Invalid("tenant_field_fixed", f"租户的{'、'.join(_FIXED_LABEL[k] for k in fixed)}在建立时确定,不能修改",
                          [{"path": f"/{k}", "message": "不能修改"} for k in fixed])
        rt.db.lock(session, Tenant.code, [code])
        if "name" in body:
            row.name = _check_name(body["name"].strip())
        if "division_code" in body and body["division_code"] != row.division_code:
            parent_row = session.get(Tenant, row.parent_code) if row.parent_code else None
            row.division_code = _check_division(session, body["division_code"], row.level, parent_row)
        session.flush()
        return tenant_dict(row, directory)


_FIXED_LABEL = {"code": "代码", "parent": "上级", "level": "层级"}


def _child_level(parent: Tenant, asked: Optional[str]) -> str:
    level = CHILD_LEVEL.get(parent.level)
    if level is None:
        raise Invalid("tenant_level_invalid",
                      f"{parent.name}({parent.code})是{LEVEL_LABEL.get(parent.level, parent.level)}级租户,其下不能再建租户",
                      [{"path": "/parent", "message": "该租户之下不能再建租户"}])
    if asked is not None and asked != level:
        raise Invalid("tenant_level_invalid",
                      f"{parent.name}之下的租户是{LEVEL_LABEL[level]}级({level}),不能是 {asked}",
                      [{"path": "/level", "message": f"应为 {level}"}])
    return level


def _check_code(code: str, directory: TenantDirectory) -> None:
    if not CODE.fullmatch(code):
        raise Invalid("tenant_code_invalid", "租户代码应为 2 到 64 个小写字母、数字或下划线,以字母开头(通常用拼音,如 zhuzhou)",
                      [{"path": "/code", "message": "格式不对"}])
    if directory.get(code) is not None:
        raise Conflict("tenant_exists", f"租户代码 {code} 已被使用")


#: a tenant's name is printed on notices and exported: no control characters, line breaks included
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _check_name(name: str) -> str:
    if not name or len(name) > NAME_LENGTH:
        raise Invalid("tenant_name_invalid", f"租户名称应为 1 到 {NAME_LENGTH} 个字",
                      [{"path": "/name", "message": "长度不对"}])
    if _CONTROL.search(name):
        raise Invalid("tenant_name_invalid", "租户名称不能含有控制字符(包括换行)",
                      [{"path": "/name", "message": "含有控制字符"}])
    return name


def _check_division(session: Session, division: str, level: str, parent: Optional[Tenant]) -> str:
    """A 12-digit statistical division code fitting ``level`` and lying within the parent's area."""
    where = [{"path": "/division_code", "message": "区划代码不对"}]
    if not re.fullmatch(r"[1-9]\d{11}", division or ""):
        raise Invalid("tenant_division_invalid", "区划代码应为 12 位统计用区划代码(如 430200000000)", where)
    if level == "province" and not division.endswith("0" * 10):
        raise Invalid("tenant_division_invalid", f"省级区划代码应为前 2 位加 10 个 0(如 {division[:2]}0000000000)", where)
    if level == "city":
        if division[2:4] == "00" or not division.endswith("0" * 8):
            raise Invalid("tenant_division_invalid",
                          f"市级区划代码应为前 4 位加 8 个 0,第 3、4 位不为 00(如 {division[:4]}00000000)", where)
        if parent is not None and parent.division_code and division[:2] != parent.division_code[:2]:
            raise Invalid("tenant_division_invalid",
                          f"区划代码 {division} 不在上级 {parent.name}({parent.division_code})之内", where)
    taken = session.execute(select(Tenant.code).where(Tenant.division_code == division)).scalar_one_or_none()
    if taken is not None:
        raise Conflict("tenant_division_taken", f"区划代码 {division} 已属于租户 {taken}")
    return division


def _scaffold(rt: Runtime, session: Session, row: Tenant, actor: str) -> Optional[int]:
    """Store the new tenant's scaffolded draft; None when the parent's chain has no pack in force."""
    force = in_force(session, clock.today())
    if row.parent_code not in force.versions:
        return None
    forms = rt.forms(session)
    parent_pack = rt.compiler.resolve(session, row.parent_code, force, forms).pack
    files = scaffold_files(row.code, row.name, row.parent_code, parent_pack)
    try:
        resolved = rt.compiler.resolve(session, row.code, force, forms, draft=files)
        actual = sample_decision(resolved.pack)
        if actual is not None and actual != "admit":
            files = scaffold_files(row.code, row.name, row.parent_code, parent_pack, actual)
            resolved = rt.compiler.resolve(session, row.code, force, forms, draft=files)
    except ServiceError:  # the parent's chain does not compile today: the tenant starts without a draft
        return None
    v: PackVersion = store_version(session, row.code, files, resolved, SCAFFOLD_ORIGIN, actor)
    return v.number
