"""The admin's pack workspace (``/console/<tenant>/packs``).

One page shows the chain in force (each list, param and rule with the pack that declares it and the
clause it cites), the versions and the publication proposals, and the source editor on a version's
files. The buttons are HTML forms that call the pack lifecycle's services (:mod:`..packs.lifecycle`):
save a draft, run its tests (with coverage), diff it against the version in force, replay logged
decisions with it (impact), propose its publication with an effective date, approve or reject a
proposal (maker-checker: the proposer cannot approve), propose a rollback to an earlier version.
The 清单 go out and come back as the published spreadsheet (:mod:`..lists.exchange`, the same as
the API's): a dry run lists what would change per list, an import makes a draft.
While typing, the editor asks :func:`editor_diagnostics` and :func:`editor_completions`
(:mod:`.pack_editor`). Only the admin role (``pack.write``) opens these pages.
"""
from __future__ import annotations

import json
from datetime import date
from typing import Optional
from urllib.parse import quote as url_quote

from flask import Blueprint, redirect, request, url_for

from jiceng.dsl import clock
from jiceng.platform.api.auth import caller
from jiceng.platform.api.context import runtime
from jiceng.platform.api.openapi import operation
from jiceng.platform.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from jiceng.platform.impact import jobs as impact_jobs
from jiceng.platform.impact.window import window as impact_window
from jiceng.platform.lists import exchange
from jiceng.platform.packs import lifecycle
from jiceng.platform.pages import list_editor, pack_editor
from jiceng.platform.pages.access import answer_refusals_as_pages, page
from jiceng.platform.pages.console import form_posts_only, render_console
from jiceng.platform.units.importer import ImportProblems

bp = Blueprint("console_packs", __name__, url_prefix="/console/<tenant>/packs")
answer_refusals_as_pages(bp)
form_posts_only(bp)
#: changed decisions listed on the page (the API pages through all of them)
IMPACT_ROWS = 100
REFUSALS = dict(not_found=("找不到规则包", "找不到该租户或版本,或您无权访问。"), forbidden="只有管理员可以管理规则包",
                invalid="无法处理该请求")
HTML = {"responses": {"200": {"description": "HTML", "content": {"text/html": {}}},
                      "303": {"description": "已处理,转回工作台(或未登录:转到登录页)"}}}
JSON = {"responses": {"200": {"description": "JSON", "content": {"application/json": {}}}}}


def _version_number(text: Optional[str]) -> Optional[int]:
    return int(text) if text and text.isdigit() and len(text) <= 9 else None


def _chain(tenant: str) -> dict:
    """The chain in force today: lists (with items), params and rules, each with its pack and citation."""
    rt = runtime()
    with rt.db.read() as session:
        try:
            pack = rt.pack_for(session, tenant, clock.today()).pack
        except (Conflict, NotFound):
            return {"chain": [], "lists": [], "params": [], "rules": []}
    items = pack.lists
    return {"chain": pack.chain,
            "lists": [{"name": n, **i, "items": items[n]} for n, i in pack.list_info.items()],
            "params": [{"name": n, **p} for n, p in pack.params.items()],
            "rules": [{"id": r.id, "title": r.title, "pack": r.pack, "effect": r.effect, "citation": r.citation,
                       "message": r.message} for r in pack.rules]}


def workspace_view(tenant: str, number: Optional[int] = None, file: Optional[str] = None, **extra):
    """The workspace page on version ``number`` (default: the latest) and its file ``file``."""
    rt = runtime()
    versions = lifecycle.list_versions(rt, tenant)
    numbers = [v["number"] for v in versions["versions"]]
    if number is None and numbers:
        number = numbers[-1]
    current = lifecycle.read_version(rt, tenant, number) if number is not None else None
    files = current["files"] if current else {}
    file = file if file in files else (sorted(files)[0] if files else "pack.jc")
    extra.setdefault("source", files.get(file, ""))
    return render_console(
        "console_packs.html", extra.pop("status", 200), tenant, versions=versions["versions"],
        in_force=versions["in_force"], current=current, file=file, files=sorted(files),
        proposals=lifecycle.list_proposals(rt, tenant), status_label=lifecycle.STATUS_LABEL,
        today=clock.today().isoformat(), impact_rows=IMPACT_ROWS, own_lists=list_editor.own_lists(files), **_chain(tenant), **extra)


def _problem(e: ServiceError) -> dict:
    details = e.details if isinstance(e.details, list) else []
    shown = []
    for d in details[:50]:
        if isinstance(d, dict):
            where = ":".join(str(d[k]) for k in ("file", "line", "column") if d.get(k) is not None) or d.get("path", "")
            shown.append(f"{where} {d.get('code', '')} {d.get('message') or d.get('test', '')}".strip())
    return {"flash_message": e.message, "flash_bad": True, "flash_details": shown,
            "status": 409 if isinstance(e, Conflict) else 403 if isinstance(e, Forbidden) else 422}


@bp.get("")
@operation("规则包工作台:生效的规则链、版本、发布申请、源文件编辑器", ["页面"], errors=(), extra=HTML)
@page("pack.write", **REFUSALS)
def workspace(tenant: str):
    number = _version_number(request.args.get("version"))
    if request.args.get("version") and number is None:
        raise NotFound("pack_version_not_found", "版本号无效")
    return workspace_view(tenant, number, request.args.get("file"))


@bp.post("/drafts")
@operation("保存草稿:以所编辑的版本为底,替换所编辑的文件", ["页面"], errors=(), extra=HTML)
@page("pack.write", **REFUSALS)
def save_draft(tenant: str):
    rt = runtime()
    base = _version_number(request.form.get("base"))
    file = request.form.get("file") or "pack.jc"
    source = request.form.get("source", "").replace("\r\n", "\n")
    files = dict(lifecycle.read_version(rt, tenant, base)["files"]) if base is not None else {}
    files[file] = source
    try:
        made = lifecycle.create_draft(rt, caller(), tenant, files)
    except Invalid as e:
        return workspace_view(tenant, base, file, source=source, **_problem(e))
    return redirect(url_for(".workspace", tenant=tenant, version=made["number"], file=file, saved=1), 303)


@bp.post("/<id:number>/test")
@operation("运行某版本自带的测试(含覆盖率)", ["页面"], errors=(), extra=HTML)
@page("pack.write", **REFUSALS)
def run_tests(tenant: str, number: int):
    try:
        report = lifecycle.run_tests(runtime(), caller(), tenant, number)
    except Invalid as e:
        return workspace_view(tenant, number, request.form.get("file"), **_problem(e))
    return workspace_view(tenant, number, request.form.get("file"), test_report=report)


@bp.get("/<id:number>/diff")
@operation("某版本与生效版本的语义差异", ["页面"], errors=(), extra=HTML)
@page("pack.write", **REFUSALS)
def diff(tenant: str, number: int):
    try:
        d = lifecycle.diff(runtime(), tenant, number, _version_number(request.args.get("against")))
    except (Invalid, NotFound) as e:
        return workspace_view(tenant, number, request.args.get("file"), **_problem(e))
    return workspace_view(tenant, number, request.args.get("file"), diff=d)


@bp.post("/<id:number>/impact")
@operation("影响评估:开始用此版本重放决定记录的后台任务", ["页面"], errors=(), extra=HTML)
@page("pack.write", **REFUSALS)
def impact(tenant: str, number: int):
    try:
        job = impact_jobs.start(runtime(), caller(), tenant, number, impact_window())
    except ServiceError as e:
        return workspace_view(tenant, number, request.form.get("file"), **_problem(e))
    return redirect(url_for(".impact_job", tenant=tenant, number=number, job_id=job["id"]), 303)


@bp.get("/<id:number>/impact/<id:job_id>")
@operation("影响评估任务:进度,完成后的汇总和结论改变的决定", ["页面"], errors=(), extra=HTML)
@page("pack.write", **REFUSALS)
def impact_job(tenant: str, number: int, job_id: int):
    job = impact_jobs.read(runtime(), caller(), tenant, number, job_id)
    changes = (impact_jobs.changes(runtime(), caller(), tenant, number, job_id, limit=IMPACT_ROWS)["changes"]
               if job["status"] == "done" else [])
    return workspace_view(tenant, number, request.args.get("file"), impact={"job": job, "changes": changes})


@bp.post("/<id:number>/proposals")
@operation("申请发布(或回滚到)此版本,由另一位管理员审核", ["页面"], errors=(), extra=HTML)
@page("pack.write", **REFUSALS)
def propose(tenant: str, number: int):
    try:
        on = date.fromisoformat(request.form.get("effective_from") or clock.today().isoformat())
    except ValueError:
        return workspace_view(tenant, number, flash_message="生效日期应为 YYYY-MM-DD", flash_bad=True, status=422)
    try:
        p = lifecycle.propose(runtime(), caller(), tenant, number, on, request.form.get("note", ""))
    except ServiceError as e:
        return workspace_view(tenant, number, request.form.get("file"), **_problem(e))
    return workspace_view(tenant, number, request.form.get("file"),
                          flash_message=f"已提交第 {p['id']} 号发布申请(第 {number} 版,{p['effective_from']} 生效),"
                                        "等待另一位管理员审核。")


def _decide(tenant: str, proposal_id: int, act):
    try:
        p = act(runtime(), caller(), tenant, proposal_id, request.form.get("note", ""))
    except ServiceError as e:
        return workspace_view(tenant, **_problem(e))
    return workspace_view(tenant, p["number"], flash_message=f"第 {p['id']} 号申请:{lifecycle.STATUS_LABEL[p['status']]}。")


@bp.post("/proposals/<id:proposal_id>/approve")
@operation("批准发布申请(另一位管理员;申请人本人 403)", ["页面"], errors=(), extra=HTML)
@page("pack.write", **REFUSALS)
def approve(tenant: str, proposal_id: int):
    return _decide(tenant, proposal_id, lifecycle.approve)


@bp.post("/proposals/<id:proposal_id>/reject")
@operation("退回发布申请(申请人本人:撤回)", ["页面"], errors=(), extra=HTML)
@page("pack.write", **REFUSALS)
def reject(tenant: str, proposal_id: int):
    return _decide(tenant, proposal_id, lifecycle.reject)


@bp.post("/lists")
@operation("清单表格编辑:增加、修改、撤销本包清单的事项,写回规则包源文件并保存为草稿", ["页面"], errors=(), extra=HTML)
@page("pack.write", **REFUSALS)
def edit_list(tenant: str):
    rt = runtime()
    base = _version_number(request.form.get("base"))
    files = dict(lifecycle.read_version(rt, tenant, base)["files"]) if base is not None else {}
    try:
        file, files = list_editor.apply(files, request.form)
        made = lifecycle.create_draft(rt, caller(), tenant, files)
    except Invalid as e:
        return workspace_view(tenant, base, **_problem(e))
    return redirect(url_for(".workspace", tenant=tenant, version=made["number"], file=file, saved=1), 303)


@bp.get("/lists/export")
@operation("导出清单表格(XLSX 或 CSV,与 GET /api/v1/tenants/<租户>/lists/export 同一格式):今天生效的清单,或某一版的清单",
           ["页面"], errors=(), description="查询参数:format(xlsx 默认,或 csv)、version(某一版;默认今天生效的)。",
           extra={"responses": {
               "200": {"description": "清单表格文件", "content": {t: {} for t in exchange.FORMATS.values()}},
               "422": {"description": "无法导出(HTML 页面)", "content": {"text/html": {}}}}})
@page("pack.write", **REFUSALS)
def export_lists(tenant: str):
    fmt = request.args.get("format") or "xlsx"
    number = _version_number(request.args.get("version"))
    if fmt not in exchange.FORMATS or (request.args.get("version") and number is None):
        raise Invalid("invalid_request", "format 应为 xlsx 或 csv,version 应为版本号")
    try:
        data, name, mimetype = exchange.export_lists(runtime(), tenant, fmt, number)
    except (Conflict, Invalid) as e:  # nothing in force yet, or the version does not compile
        return workspace_view(tenant, number, **_problem(e))
    return data, 200, {"Content-Type": mimetype, "Cache-Control": "no-store",
                       "Content-Disposition": f"attachment; filename*=UTF-8''{url_quote(name)}"}


@bp.post("/lists/import")
@operation("从清单表格(XLSX 或 CSV)建草稿:逐行检查,有一处不合格就不建;可只预览每个清单会有的变化", ["页面"], errors=(),
           extra={"responses": {"200": {"description": "HTML(预览,或逐行列出的问题)", "content": {"text/html": {}}},
                                "303": {"description": "已建草稿,转到该版本(或未登录:转到登录页)"},
                                "422": {"description": "表格有问题:逐行列出行、列、代码和说明(HTML 页面)",
                                        "content": {"text/html": {}}}}},
           description="HTML 表单(multipart/form-data):sheet(文件)、base(在哪一版之上;默认最新的一版)、"
                       "dry_run(有值即只预览)、csrf_token。列与 POST /api/v1/tenants/<租户>/lists/import 相同。")
@page("pack.write", **REFUSALS)
def import_lists(tenant: str):
    base = _version_number(request.form.get("base"))
    dry_run = bool(request.form.get("dry_run"))
    upload = request.files.get("sheet")
    if upload is None or not upload.filename:
        return workspace_view(tenant, base, flash_message="请选择要导入的清单表格文件(XLSX 或 CSV)", flash_bad=True,
                              status=422)
    try:
        result = exchange.import_lists(runtime(), caller(), tenant, upload.read(), upload.filename, dry_run=dry_run,
                                       base=base)
    except ImportProblems as e:  # every problem with its row, column and code, as a table
        return workspace_view(tenant, base, **{**_problem(e), "flash_details": []}, list_problems=e.details)
    except ServiceError as e:
        return workspace_view(tenant, base, **_problem(e))
    if dry_run:
        return workspace_view(tenant, base, list_import=result)
    return redirect(url_for(".workspace", tenant=tenant, version=result["version"]["number"], saved=1), 303)


# ---------------------------------------------------------------------- the editor's questions
def _json(found) -> tuple:
    return json.dumps(found, ensure_ascii=False), 200, {"Content-Type": "application/json", "Cache-Control": "no-store"}


def _editing() -> tuple[str, str, Optional[int]]:
    """The editor's text, its file and the version whose other files go with it (as the form sends them)."""
    file = request.form.get("file") or "pack.jc"
    if not lifecycle.FILE_NAME.match(file) or ".." in file.split("/"):
        raise Invalid("files_invalid", "文件名应为相对路径并以 .jc 结尾")
    return request.form.get("source", "").replace("\r\n", "\n"), file, _version_number(request.form.get("base"))


@bp.post("/editor/diagnostics")
@operation("编辑器:所编辑文本的诊断(与 jiceng lint、jiceng lsp、POST .../editor/diagnostics 同一个引擎)", ["页面"],
           errors=(), extra=JSON,
           description="HTML 表单字段:base(与哪个版本的其他文件一起检查)、file、source、csrf_token。"
                       "答复 [{file, line, column, end_line, end_column, code, message, severity, in_source}]。")
@page("pack.write", **REFUSALS)
def editor_diagnostics(tenant: str):
    source, file, number = _editing()
    return _json(pack_editor.diagnostics(runtime(), tenant, source, file, number))


@bp.post("/editor/completions")
@operation("编辑器:光标处可写的名称和关键字(清单、参数、字段、函数、单位……)", ["页面"], errors=(), extra=JSON,
           description="HTML 表单字段:base、file、source、line、column(从 1 起)、csrf_token。答复 [{label, kind, detail}]。")
@page("pack.write", **REFUSALS)
def editor_completions(tenant: str):
    source, file, number = _editing()
    line = _version_number(request.form.get("line")) or 1
    column = _version_number(request.form.get("column")) or 1
    return _json(pack_editor.completions(runtime(), tenant, source, line, column, file, number))
