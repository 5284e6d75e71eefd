"""The township/street operator's pages (zh-CN HTML, no external assets).

* ``/check/<tenant>``: the task form, the receiving unit (or a what-if level);
  POST runs the admission check — the same service function as ``POST
  /api/v1/tenants/<t>/admission/check``, logged like any check — and shows the
  decision with every reason and the clause it cites.
* ``/decisions/<tenant>/<id>/notice``: a logged decision as a printable A4
  notice, for every role that may check or read the log.

Pages authenticate as the form pages do, declaring their permission with
:func:`.access.page`: the login session (``/login``) or ``Authorization:
Bearer``; without a login they lead to the login page, out of reach reads as
not found (404). A POST carries the session's CSRF token.
"""
from __future__ import annotations

from flask import Blueprint, request

from jiceng.dsl.commands import EFFECT, LABEL

from jiceng.platform.pages import check_form as check_page
from jiceng.platform.decisions import notice as decision_notice
from jiceng.platform.pages.access import answer_refusals_as_pages, page, render_page
from jiceng.platform.api.errors import FORM_TYPES
from jiceng.platform.pages.form_pages import refuse_non_form_body
from jiceng.platform.api.auth import caller
from jiceng.platform.auth.sessions import CSRF_FIELD
from jiceng.platform.api.openapi import operation
from jiceng.platform.api.context import runtime

bp = Blueprint("operator_pages", __name__)
answer_refusals_as_pages(bp)
LABELS = {"outcome_labels": LABEL, "effect_labels": EFFECT}


def _html(codes: dict) -> dict:
    return {"responses": {status: {"description": text, "content": {"text/html": {}}}
                          for status, text in codes.items()}}


@bp.route("/check/<tenant>", methods=["GET", "POST"])
@operation("准入检查页面(GET 显示任务表单,POST 做准入检查并显示结论、理由和依据条款)", ["准入"], errors=(),
           description="与 POST /api/v1/tenants/{tenant}/admission/check 调用同一个检查,同样写入决定记录。"
                       "先在 /login 登录(会话 Cookie),也可用 Authorization: Bearer;POST 须带隐藏字段 csrf_token;"
                       "角色须为 township、department 或 admin。",
           extra=_html({"200": "检查页面;POST 时显示结论(准入、有条件准入、不予准入)及告知书链接",
                        "303": "未登录、登录已失效或网址中带 token:转到登录页 /login", "403": "角色无权做准入检查",
                        "404": "租户不存在或不在令牌可及范围内",
                        "409": "接收单位所在租户没有生效的规则包",
                        "422": "任务不符合任务表单或接收单位无效:问题列在各字段旁"}))
@page("check", not_found=("找不到租户", "找不到该租户,或您无权访问。"), forbidden="无权做准入检查",
      invalid="任务表单无法使用")
def check(tenant: str):
    if request.method == "POST" and request.mimetype not in FORM_TYPES:
        refuse_non_form_body("POST /api/v1/tenants/<租户>/admission/check")
    submitted = request.form.to_dict() if request.method == "POST" else None
    if submitted is not None:
        submitted.pop(CSRF_FIELD, None)
    view = check_page.page(runtime(), caller(), tenant, submitted)
    status = view.pop("status")
    return render_page("check_page.html", status, **LABELS, **view)


@bp.get("/decisions/<tenant>/<id:decision_id>/notice")
@operation("决定告知书(可打印的 A4 页面:准入决定告知书 / 不予准入告知书)", ["决定记录"], errors=(),
           description="先在 /login 登录(会话 Cookie),也可用 Authorization: Bearer;角色须为 township、department、"
                       "auditor 或 admin。只显示本租户决定记录中的决定。",
           extra=_html({"200": "告知书", "303": "未登录、登录已失效或网址中带 token:转到登录页 /login", "403": "角色无权查阅告知书",
                        "404": "决定不存在、不在本租户的决定记录中,或租户不在令牌可及范围内"}))
@page("notice.read", not_found=("找不到决定", "找不到该决定,或您无权访问。"), forbidden="无权查阅告知书")
def notice(tenant: str, decision_id: int):
    view = decision_notice.notice(runtime(), tenant, decision_id)
    return render_page("decision_notice.html", 200, **LABELS, **view)
