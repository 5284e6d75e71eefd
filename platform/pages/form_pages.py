"""``/forms/<tenant>/<name>``: a form rendered as an HTML page (zh-CN, no external assets), validated on POST.

The page authenticates with the same tokens as the API, through the login
session (``/login``; also accepted: ``Authorization: Bearer``), and its POST
carries the session's CSRF token. It declares its permission with
:func:`.access.page`, and the app's request hook checks it: without a login
the page leads to the login page; a tenant or form out of the token's reach
answers 404, exactly like one that does not exist. POST validates server-side
and shows each message beside its field; nothing is stored.
"""
from __future__ import annotations

import json

from flask import Blueprint, request

from jiceng.platform.forms import editing as service
from jiceng.platform.api.auth import caller
from jiceng.platform.auth.sessions import CSRF_FIELD
from jiceng.platform.api.body import parse_json
from jiceng.platform.api.errors import FORM_TYPES, ApiError
from jiceng.platform.api.openapi import operation
from jiceng.platform.api.context import runtime
from jiceng.platform.pages.access import answer_refusals_as_pages, page, render_page

bp = Blueprint("form_pages", __name__)
answer_refusals_as_pages(bp)


HTML_RESPONSES = {"responses": {
    "200": {"description": "表单页面(HTML);POST 时数据符合表单", "content": {"text/html": {}}},
    "303": {"description": "未登录、登录已失效或网址中带 token:转到登录页 /login"},
    "404": {"description": "表单不存在或不在令牌可及范围内", "content": {"text/html": {}}},
    "422": {"description": "POST 的数据不符合表单:各字段旁列出问题(HTML);提交的不是 HTML 表单时为 JSON 错误",
            "content": {"text/html": {}}}}}


@bp.route("/forms/<tenant>/<name>", methods=["GET", "POST"])
@operation("表单的 HTML 页面(GET 显示,POST 在服务器端校验并把问题列在字段旁)", ["表单"], errors=(),
           description="先在 /login 登录(会话 Cookie),也可用 Authorization: Bearer;POST 须带隐藏字段 csrf_token。"
                       "POST 只接受 HTML 表单(application/x-www-form-urlencoded);程序请用 "
                       "POST /api/v1/tenants/{tenant}/forms/{name}/validate。", extra=HTML_RESPONSES)
@page("read", POST="form.validate", not_found=("找不到表单", "找不到该表单,或您无权访问。"), forbidden="无权访问",
      invalid="表单无法使用")
def form_page(tenant: str, name: str):
    if request.method == "POST" and request.mimetype not in FORM_TYPES:
        refuse_non_form_body("POST /api/v1/tenants/<租户>/forms/<名称>/validate")
    submitted = request.form.to_dict() if request.method == "POST" else None
    if submitted is not None:
        submitted.pop(CSRF_FIELD, None)
    view = service.page(runtime(), caller(), tenant, name, submitted)
    status = 422 if view["submitted"] and not view["valid"] else 200
    return render_page("form_page.html", status, data_json=json.dumps(view["data"], ensure_ascii=False, indent=2), **view)


def refuse_non_form_body(api: str) -> None:
    """A program posting JSON to a page gets the API's JSON errors, and is pointed to ``api``."""
    raw = request.get_data(cache=True)
    if raw.strip() and request.mimetype == "application/json":
        parse_json(raw)  # 400 invalid_json for malformed JSON, as everywhere
    raise ApiError(422, "invalid_request", "页面只接受 HTML 表单提交(application/x-www-form-urlencoded);"
                   f"程序请用 {api}",
                   [{"path": "", "message": f"不支持的请求体类型 {request.mimetype or '(无)'}"}])

