"""Tenants (list, create below one's own, read, rename), the 清单 in force, and org units."""
from __future__ import annotations

from flask import Blueprint

from jiceng.dsl import clock
from jiceng.platform.tenants import registry
from jiceng.platform.tenants.directory import unit_tree
from jiceng.platform.api.auth import caller, requires
from jiceng.platform.api.body import json_body
from jiceng.platform.api.fields import Int, List, Nested, Str, ZhSchema, length, one_of
from jiceng.platform.api.openapi import operation
from jiceng.platform.api.respond import respond
from jiceng.platform.api.context import runtime
from jiceng.platform.api.schemas import ListsResponseSchema, TenantSchema, UnitDetailSchema, UnitTreeSchema

bp = Blueprint("tenants", __name__, url_prefix="/api/v1/tenants")
LISTS, TREE, UNIT = ListsResponseSchema(), UnitTreeSchema(), UnitDetailSchema()
TAGS = ["租户与单位"]


class TenantRecordSchema(TenantSchema):
    origin = Str(required=True, metadata={"description": "init:由 tenants/*.toml 种子文件载入;api:由上级管理员建立"})
    created_by = Str(allow_none=True)
    created_at = Str(allow_none=True, metadata={"description": "建立时间(ISO 8601,UTC;种子租户为 null)"})


class CreatedTenantSchema(TenantRecordSchema):
    draft = Int(allow_none=True, metadata={"description": "平台生成的规则包草稿的版本号(上级没有生效的规则包时为 null)"})


class TenantListSchema(ZhSchema):
    tenants = List(Nested(TenantRecordSchema), required=True)


class TenantCreateSchema(ZhSchema):
    code = Str(required=True, validate=length(2, 64), metadata={"description": "租户代码:小写拼音,同时是规则包名"})
    name = Str(required=True, validate=length(1, registry.NAME_LENGTH))
    division_code = Str(required=True, validate=length(12, 12), metadata={"description": "12 位统计用区划代码"})
    parent = Str(validate=length(1, 64), metadata={"description": "上级租户;只能是调用者自己的租户(默认即是)"})
    level = Str(validate=one_of(("province", "city")), metadata={"description": "由上级决定:全国之下为 province,省之下为 city"})


class TenantUpdateSchema(ZhSchema):
    name = Str(validate=length(1, registry.NAME_LENGTH))
    division_code = Str(validate=length(12, 12))
    code = Str(metadata={"description": "不能修改(写出时须与现值相同)"})
    parent = Str(allow_none=True, metadata={"description": "不能修改(写出时须与现值相同)"})
    level = Str(metadata={"description": "不能修改(写出时须与现值相同)"})


@bp.get("")
@operation("可及范围内的租户(本租户及全部下级)", TAGS, response=TenantListSchema, errors=(401,))
@requires("read")
def tenant_list():
    return respond(TenantListSchema(), {"tenants": registry.list_tenants(runtime(), caller())})


@bp.post("")
@operation("在本租户之下建立租户(全国管理员建省,省管理员建市),并生成继承上级的规则包草稿", TAGS,
           body=TenantCreateSchema, response=CreatedTenantSchema, status=201, errors=(400, 401, 403, 404, 409, 422),
           description="上级固定为调用者的租户;层级由上级决定;区划代码须在上级之内且未被使用。"
                       "新租户的表单沿用上级的,直到它有自己的表单。仅 admin。")
@requires("tenants.manage")
def tenant_create():
    body = json_body(TenantCreateSchema())
    return respond(CreatedTenantSchema(), registry.create_tenant(runtime(), caller(), body), 201)


@bp.get("/<tenant>")
@operation("租户信息及其下级租户", TAGS, response=TenantRecordSchema)
@requires("read")
def tenant_info(tenant: str):
    return respond(TenantRecordSchema(), registry.get_tenant(runtime(), caller(), tenant))


@bp.patch("/<tenant>")
@operation("修改租户的名称或区划代码(代码、上级、层级不能改)", TAGS, body=TenantUpdateSchema,
           response=TenantRecordSchema, errors=(400, 401, 403, 404, 409, 422))
@requires("tenants.manage")
def tenant_update(tenant: str):
    body = json_body(TenantUpdateSchema())
    return respond(TenantRecordSchema(), registry.update_tenant(runtime(), caller(), tenant, body))


@bp.get("/<tenant>/lists")
@operation("当前生效的清单(含继承合并)", ["租户与单位"], response=ListsResponseSchema, errors=(401, 404, 409))
@requires("read")
def lists(tenant: str):
    rt = runtime()
    with rt.db.read() as session:
        pack = rt.pack_for(session, tenant, clock.today()).pack
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
