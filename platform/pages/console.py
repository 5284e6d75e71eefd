"""The console: the home page that leads each role to its pages, and the console's static files.

Every console page is server-rendered (Jinja2), zh-CN, and fetches nothing from
elsewhere: its styles and scripts are served from ``platform/static`` by
:func:`static` (plain files written for this project, no build step). A page
declares its permission with :func:`.access.page` like every page; the home
page lists only the pages the caller's role may open (:data:`PAGES`).
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, redirect, request, send_from_directory, url_for

from jiceng.platform.api.auth import caller, public
from jiceng.platform.api.context import runtime
from jiceng.platform.api.openapi import operation
from jiceng.platform.auth.tokens import ROLE_LABEL
from jiceng.platform.pages.access import answer_refusals_as_pages, page, render_page
from jiceng.platform.api.errors import FORM_TYPES
from jiceng.platform.pages.form_pages import refuse_non_form_body

bp = Blueprint("console", __name__)
answer_refusals_as_pages(bp)
STATIC = Path(__file__).resolve().parent.parent / "static"
STATIC_FILES = frozenset(("console.css", "editor.js", "schema_editor.js", "targets.js"))

#: (endpoint, title, what it is for, roles that see it): the console's pages, in the menu's order
PAGES = (
    ("console_packs.workspace", "规则包工作台", "生效的规则链、编辑源文件、测试、差异、影响、申请与审核发布", {"admin"}),
    ("console_tasks.tasks", "任务与下派", "按任务表单建任务、从组织树选接收单位、看逐个结论、补充条件", {"admin", "department"}),
    ("console_tasks.inbox", "收件箱", "下派到本单位及所辖社区的任务:状态、待补条件、期限", {"admin", "township"}),
    ("operator_pages.check", "准入检查", "填写任务、选择接收单位,查看结论与依据", {"admin", "department", "township"}),
    ("console_forms.forms", "表单设计", "表单列表、编辑与实时预览、样例数据校验、版本与影响", {"admin", "designer"}),
    ("console_audit.decisions", "决定记录", "筛选、查看输入与理由、校验哈希链、重算对照、导出 CSV", {"admin", "auditor"}),
    ("console_audit.standards", "标准报告", "按租户、街道的达标情况与图表", {"admin", "designer", "department", "township", "auditor"}),
)


def form_posts_only(blueprint: Blueprint) -> None:
    """A console page takes HTML forms: a program POSTing JSON (or anything else) to one gets the
    API's JSON error (400 for malformed JSON, else 422) pointing it to the API."""
    @blueprint.before_request
    def refuse_other_bodies():
        if request.method == "POST" and request.mimetype not in FORM_TYPES:
            refuse_non_form_body("/api/v1/tenants/<租户>/…(见 /docs)")


def menu(tenant: str, role: str) -> list[dict]:
    """The pages ``role`` may open for ``tenant``, as the menu shows them."""
    return [{"url": url_for(endpoint, tenant=tenant), "title": title, "about": about, "endpoint": endpoint}
            for endpoint, title, about, roles in PAGES if role in roles]


def render_console(template: str, status: int, tenant: str, **context):
    """A console page: ``template`` with the menu and the caller named in its header."""
    principal = caller()
    with runtime().db.read() as session:
        tenant_name = runtime().directory(session).get(tenant).name
    return render_page(template, status, tenant=tenant, tenant_name=tenant_name, principal=principal,
                       role_label=ROLE_LABEL[principal.role], menu=menu(tenant, principal.role), **context)


@bp.get("/console")
@operation("控制台首页:转到本人租户的控制台", ["页面"], errors=(),
           extra={"responses": {"302": {"description": "转到 /console/<本人租户>"}}})
@page("read", not_found=("找不到页面", "找不到该页面。"), forbidden="无权访问")
def home_redirect():
    return redirect(url_for("console.home", tenant=caller().tenant))


@bp.get("/console/<tenant>")
@operation("控制台首页:本角色能用的页面", ["页面"], errors=(),
           extra={"responses": {"200": {"description": "HTML", "content": {"text/html": {}}}}})
@page("read", not_found=("找不到租户", "找不到该租户,或您无权访问。"), forbidden="无权访问")
def home(tenant: str):
    return render_console("console_home.html", 200, tenant)


@bp.get("/console/static/<file>")
@operation("控制台的样式与脚本(本站文件,不引用外部资源)", ["页面"], errors=(),
           extra={"responses": {"200": {"description": "CSS 或 JavaScript"},
                                "404": {"description": "没有这个文件"}}})
@public
def static(file: str):
    if file not in STATIC_FILES:
        abort(404)
    return send_from_directory(STATIC, file, max_age=300)
