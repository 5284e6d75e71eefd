"""Tenants, the 清单 in force, and org units."""
from __future__ import annotations

from datetime import date

from flask import Blueprint

from jiceng.platform.tenants.directory import unit_tree
from jiceng.platform.api.auth import requires
from jiceng.platform.api.openapi import operation
from jiceng.platform.api.respond import respond
from jiceng.platform.api.context import runtime
from jiceng.platform.api.schemas import ListsResponseSchema, TenantSchema, UnitDetailSchema, UnitTreeSchema

bp = Blueprint("tenants", __name__, url_prefix="/api/v1/tenants")
TENANT, LISTS, TREE, UNIT = TenantSchema(), ListsResponseSchema(), UnitTreeSchema(), UnitDetailSchema()


@bp.get("/<tenant>")
@operation("租户信息及其下级租户", ["租户与单位"], response=TenantSchema)
@requires("read")
def tenant_info(tenant: str):
    rt = runtime()
    with rt.db.read() as session:
        d = rt.directory(session)
    info = d.get(tenant)
    return respond(TENANT, {**info.to_dict(), "children": sorted(d.children.get(tenant, []))})


@bp.get("/<tenant>/lists")
@operation("当前生效的清单(含继承合并)", ["租户与单位"], response=ListsResponseSchema, errors=(401, 404, 409))
@requires("read")
def lists(tenant: str):
    rt = runtime()
    with rt.db.read() as session:
        pack = rt.pack_for(session, tenant, date.today()).pack
    return respond(LISTS, {"tenant": tenant, "pack": {"tenant": pack.tenant, "version": pack.version,
                                                      "digest": pack.digest},
                           "lists": pack.lists, "info": pack.list_info})


@bp.get("/<tenant>/units")
@operation("租户的组织单位树", ["租户与单位"], response=UnitTreeSchema)
@requires("read")
def units(tenant: str):
    with runtime().db.read() as session:
        return respond(TREE, {"tenant": tenant, "units": unit_tree(session, tenant)})


@bp.get("/<tenant>/units/<code>")
@operation("一个单位的事实(SPEC §5)及其下级单位", ["租户与单位"], response=UnitDetailSchema)
@requires("read")
def unit(tenant: str, code: str):
    rt = runtime()
    with rt.db.read() as session:
        u = rt.unit_in_reach(session, tenant, code)
    return respond(UNIT, {**u.facts, "tenant": u.tenant, "children": list(u.children)})
