"""Form schemas: list, read (any version), replace (new version), validate sample data."""
from __future__ import annotations

from flask import Blueprint

from jiceng.platform.forms import editing as service
from jiceng.platform.api.auth import caller, requires
from jiceng.platform.api.body import json_body, query_args
from jiceng.platform.api.openapi import operation
from jiceng.platform.api.respond import respond
from jiceng.platform.api.context import runtime
from jiceng.platform.api.schemas import FormListSchema, FormPutResponseSchema, FormPutSchema, FormQuerySchema, FormSchema, FormValidateRequestSchema, FormValidateResponseSchema, FormVersionsSchema

bp = Blueprint("forms", __name__, url_prefix="/api/v1/tenants/<tenant>/forms")
TAGS = ["表单"]


@bp.get("")
@operation("租户可用的全部表单(本租户的,以及沿上级链最近的同名表单)", TAGS, response=FormListSchema)
@requires("read")
def list_forms(tenant: str):
    return respond(FormListSchema(), service.list_forms(runtime(), tenant))


@bp.get("/<name>")
@operation("租户的表单(本租户没有时取最近的上级);?version= 取指定版本", TAGS, query=FormQuerySchema,
           response=FormSchema)
@requires("read")
def read_form(tenant: str, name: str):
    version = query_args(FormQuerySchema()).get("version")
    return respond(FormSchema(), service.read_form(runtime(), tenant, name, version))


@bp.get("/<name>/versions")
@operation("表单的全部版本(新的在前)", TAGS, response=FormVersionsSchema)
@requires("read")
def versions(tenant: str, name: str):
    return respond(FormVersionsSchema(), service.list_versions(runtime(), tenant, name))


@bp.put("/<name>")
@operation("保存表单的新版本", TAGS, body=FormPutSchema, response=FormPutResponseSchema, errors=(401, 403, 404, 422),
           description="表单先按 JSON Schema 2020-12 元模式和 x- 关键字校验(422 schema_invalid,details 逐处给出 "
                       "path 与原因);新版本若会使生效中的规则包无法编译,或使表单绑定的规则包参数失效,"
                       "返回 422 form_breaks_pack 并指出涉及的规则。")
@requires("form.write")
def replace_form(tenant: str, name: str):
    schema = json_body(FormPutSchema())["schema"]
    return respond(FormPutResponseSchema(), service.replace_form(runtime(), caller(), tenant, name, schema))


@bp.post("/<name>/validate")
@operation("用表单校验一份数据", TAGS, body=FormValidateRequestSchema, response=FormValidateResponseSchema,
           errors=(401, 403, 404, 422))
@requires("form.validate")
def validate(tenant: str, name: str):
    body = json_body(FormValidateRequestSchema())
    return respond(FormValidateResponseSchema(),
                   service.validate_data(runtime(), caller(), tenant, name, body["data"], body.get("version")))
