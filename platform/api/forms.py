"""Form schemas: read, replace (new version), validate sample data."""
from __future__ import annotations

from flask import Blueprint

from ..services import form_admin as service
from .auth import authorize
from .body import json_body
from .openapi import operation
from .respond import respond
from .runtime import runtime
from .schemas import (FormPutResponseSchema, FormPutSchema, FormSchema, FormValidateRequestSchema,
                      FormValidateResponseSchema)

bp = Blueprint("forms", __name__, url_prefix="/api/v1/tenants/<tenant>/forms")
TAGS = ["表单"]


@bp.get("/<name>")
@operation("租户的表单(本租户没有时取最近的上级)", TAGS, response=FormSchema)
def read_form(tenant: str, name: str):
    authorize(tenant, "read")
    return respond(FormSchema(), service.read_form(runtime(), tenant, name))


@bp.put("/<name>")
@operation("保存表单的新版本", TAGS, body=FormPutSchema, response=FormPutResponseSchema, errors=(401, 403, 404),
           description="任务表单(task)的新版本若会使生效中的规则包无法编译,返回 422 form_breaks_pack。")
def replace_form(tenant: str, name: str):
    principal = authorize(tenant, "form.write")
    schema = json_body(FormPutSchema())["schema"]
    return respond(FormPutResponseSchema(), service.replace_form(runtime(), principal, tenant, name, schema))


@bp.post("/<name>/validate")
@operation("用表单校验一份数据", TAGS, body=FormValidateRequestSchema, response=FormValidateResponseSchema,
           errors=(401, 403, 404))
def validate(tenant: str, name: str):
    principal = authorize(tenant, "form.validate")
    data = json_body(FormValidateRequestSchema())["data"]
    return respond(FormValidateResponseSchema(), service.validate_data(runtime(), principal, tenant, name, data))
