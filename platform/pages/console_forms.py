"""The form designer's pages: the forms index and a schema editor with a live preview.

* ``/console/<tenant>/forms``: every form the tenant sees (its own and inherited).
* ``/console/<tenant>/forms/<name>``: the schema as JSON, a sample to validate, the preview
  rendered as the form page renders it (:mod:`.form_designer`, asked as one types), the versions,
  "what would this version break" (the rules and bindings named) and saving a new version
  (:func:`..forms.editing.replace_form`, which refuses a version that breaks a pack).
"""
from __future__ import annotations

import json

from flask import Blueprint, redirect, request, url_for

from jiceng.platform.api.auth import caller
from jiceng.platform.api.context import runtime
from jiceng.platform.api.openapi import operation
from jiceng.platform.errors import Invalid, NotFound
from jiceng.platform.forms import editing as form_admin
from jiceng.platform.pages import form_designer
from jiceng.platform.pages.access import answer_refusals_as_pages, page
from jiceng.platform.pages.console import form_posts_only, render_console

bp = Blueprint("console_forms", __name__, url_prefix="/console/<tenant>/forms")
answer_refusals_as_pages(bp)
form_posts_only(bp)
REFUSALS = dict(not_found=("找不到表单", "找不到该租户或表单,或您无权访问。"), forbidden="只有表单设计和管理员可以编辑表单",
                invalid="无法处理该请求")
HTML = {"responses": {"200": {"description": "HTML", "content": {"text/html": {}}}}}
JSON = {"responses": {"200": {"description": "JSON", "content": {"application/json": {}}}}}


@bp.get("")
@operation("表单列表(本租户的和沿用上级的)", ["页面"], errors=(), extra=HTML)
@page("form.write", **REFUSALS)
def forms(tenant: str):
    return render_console("console_forms.html", 200, tenant, forms=form_admin.list_forms(runtime(), tenant)["forms"])


def editor_view(tenant: str, name: str, status: int = 200, schema_text=None, sample_text="{}", **extra):
    rt = runtime()
    try:
        current = form_admin.read_form(rt, tenant, name)
    except NotFound:
        if schema_text is None:
            raise
        current = None
    if schema_text is None:
        schema_text = json.dumps(current["schema"], ensure_ascii=False, indent=2)
    versions = form_admin.list_versions(rt, tenant, name)["versions"] if current else []
    first = form_designer.preview(rt, tenant, name, schema_text, sample_text)
    return render_console("console_form_edit.html", status, tenant, name=name, current=current, versions=versions,
                          schema_text=schema_text, sample_text=sample_text, preview=first, **extra)


@bp.get("/<name>")
@operation("表单编辑器:JSON Schema、实时预览、样例数据校验、版本", ["页面"], errors=(), extra=HTML)
@page("form.write", **REFUSALS)
def edit(tenant: str, name: str):
    return editor_view(tenant, name, saved=request.args.get("saved"))


@bp.post("/<name>/preview")
@operation("表单编辑器的实时预览(不保存):渲染的表单与样例数据的校验结果", ["页面"], errors=(), extra=JSON,
           description="HTML 表单字段:schema(JSON 文本)、sample(JSON 文本)、csrf_token。"
                       "答复 {html, schema_errors, data_errors}。")
@page("form.write", **REFUSALS)
def preview(tenant: str, name: str):
    answer = form_designer.preview(runtime(), tenant, name, request.form.get("schema", ""), request.form.get("sample", ""))
    return json.dumps(answer, ensure_ascii=False), 200, {"Content-Type": "application/json", "Cache-Control": "no-store"}


@bp.post("/<name>")
@operation("保存新版本,或只检查新版本会使哪些规则、绑定失效", ["页面"], errors=(), extra=HTML)
@page("form.write", **REFUSALS)
def save(tenant: str, name: str):
    schema_text, sample_text = request.form.get("schema", ""), request.form.get("sample", "{}")
    try:
        schema = json.loads(schema_text)
    except ValueError:
        return editor_view(tenant, name, 422, schema_text, sample_text, flash_message="表单不是有效的 JSON", flash_bad=True)
    if request.form.get("action") == "impact":
        broken = form_designer.breaks(runtime(), tenant, name, schema)
        return editor_view(tenant, name, 200, schema_text, sample_text, broken=broken, impact_checked=True)
    try:
        form_admin.replace_form(runtime(), caller(), tenant, name, schema)
    except Invalid as e:
        details = [f"{d.get('path', '')} {d.get('message', '')}".strip() for d in e.details if isinstance(d, dict)] \
            if isinstance(e.details, list) else []
        return editor_view(tenant, name, 422, schema_text, sample_text, flash_message=e.message, flash_bad=True,
                           flash_details=details)
    return redirect(url_for(".edit", tenant=tenant, name=name, saved=1), 303)
