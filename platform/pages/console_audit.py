"""The auditor's pages (and the standards report every role may read).

* ``/console/<tenant>/decisions``: the tenant's decision log filtered by unit, rule, outcome and
  date; ``?format=csv`` exports the same rows. The filters read the newest :data:`SCAN` entries
  of the log (outcome and dates in SQL, unit and rule over those rows), and show at most
  :data:`SHOWN`; the page says when the window was full.
* ``/console/<tenant>/decisions/<id>``: one decision's inputs, reasons and notice, and its replay
  under the recorded pack versions side by side (:func:`..decisions.replay.replay`).
* ``/console/<tenant>/decisions/verify``: the hash chain checked (:func:`..decisions.log.verify`).
* ``/console/<tenant>/standards`` and ``.../standards/<name>``: the standards report with its charts,
  for the tenant or one street (``?under=``).
"""
from __future__ import annotations

import csv
import io
import re

from flask import Blueprint, request
from sqlalchemy import select

from jiceng.dsl import clock
from jiceng.dsl.commands import EFFECT, LABEL
from jiceng.dsl.types import LEVEL_LABELS

from jiceng.platform.api.context import runtime
from jiceng.platform.api.openapi import operation
from jiceng.platform.db.models import Decision, OrgUnit
from jiceng.platform.decisions import log as decision_log
from jiceng.platform.decisions import replay as replay_service
from jiceng.platform.errors import Conflict, Invalid, NotFound
from jiceng.platform.pages.access import HEADERS, answer_refusals_as_pages, page
from jiceng.platform.pages.console import render_console
from jiceng.platform.units.standards import run_standards
from jiceng.platform.units.standards_report import render as render_report

bp = Blueprint("console_audit", __name__, url_prefix="/console/<tenant>")
answer_refusals_as_pages(bp)
REFUSALS = dict(not_found=("找不到决定", "找不到该租户或决定,或您无权访问。"), forbidden="只有监督和管理员可以查阅决定记录",
                invalid="无法处理该请求")
HTML = {"responses": {"200": {"description": "HTML(?format=csv 时为 CSV)", "content": {"text/html": {}}}}}
#: the newest entries the filters read, and the most rows a page or an export shows
SCAN, SHOWN = 5000, 500
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
OUTCOMES = ("admit", "conditional", "reject")


def _filters() -> dict:
    args = request.args
    out = {k: (args.get(k) or "").strip()[:64] for k in ("unit", "rule", "outcome", "from", "to", "kind")}
    for k in ("from", "to"):
        if out[k] and not _DATE.match(out[k]):
            raise Invalid("invalid_request", f"日期 {out[k]} 应为 YYYY-MM-DD")
    if out["outcome"] and out["outcome"] not in OUTCOMES:
        raise Invalid("invalid_request", f"结论 {out['outcome']} 无效")
    return out


def _unit_of(d: Decision) -> str:
    task = (d.input or {}).get("task") or {}
    return str((d.target or {}).get("code") or task.get("target_unit") or "")


def filtered(tenant: str, f: dict) -> tuple[list[Decision], bool]:
    """The log's entries matching ``f``, newest first, and whether the scan window was full."""
    q = select(Decision).where(Decision.tenant_code == tenant)
    if f["outcome"]:
        q = q.where(Decision.outcome == f["outcome"])
    if f["kind"]:
        q = q.where(Decision.kind == f["kind"])
    if f["from"]:
        q = q.where(Decision.decided_on >= f["from"])
    if f["to"]:
        q = q.where(Decision.decided_on <= f["to"])
    with runtime().db.read() as session:
        rows = list(session.execute(q.order_by(Decision.id.desc()).limit(SCAN)).scalars())
        for r in rows:
            session.expunge(r)
    out = [r for r in rows if (not f["unit"] or f["unit"] in _unit_of(r))
           and (not f["rule"] or any(f["rule"] in str(x.get("rule", "")) for x in r.reasons or []))]
    return out[:SHOWN], len(rows) == SCAN


def _cell(value) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.get("/decisions")
@operation("决定记录:按单位、规则、结论、日期筛选;?format=csv 导出", ["页面"], errors=(), extra=HTML)
@page("decisions.read", **REFUSALS)
def decisions(tenant: str):
    f = _filters()
    rows, full = filtered(tenant, f)
    if request.args.get("format") == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["决定记录号", "判定日期", "类别", "接收单位", "任务", "结论", "触发的规则", "操作者", "哈希"])
        for d in rows:
            w.writerow([_cell(x) for x in (d.id, d.decided_on, d.kind, _unit_of(d), ((d.input or {}).get("task") or {}).get("title", ""),
                                           LABEL.get(d.outcome, d.outcome), "、".join(r.get("rule", "") for r in d.reasons or []),
                                           d.actor, d.hash)])
        return "\ufeff" + buf.getvalue(), 200, {"Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store",
                                                "Content-Disposition": f"attachment; filename=decisions-{tenant}.csv"}
    return render_console("console_decisions.html", 200, tenant, rows=rows, full=full, filters=f, scan=SCAN,
                          shown=SHOWN, outcome_labels=LABEL, unit_of=_unit_of, outcomes=OUTCOMES)


@bp.get("/decisions/verify")
@operation("校验本租户决定记录的哈希链并显示结果", ["页面"], errors=(), extra=HTML)
@page("decisions.read", **REFUSALS)
def verify(tenant: str):
    with runtime().db.read() as session:
        reports = [r.to_dict() for r in decision_log.verify(session, [tenant])]
    return render_console("console_verify.html", 200, tenant, reports=reports,
                          ok=all(not r["problems"] for r in reports))


@bp.get("/decisions/<id:decision_id>")
@operation("一条决定:输入、理由、告知书;用记录的规则包版本重算并并列对照", ["页面"], errors=(), extra=HTML)
@page("decisions.read", **REFUSALS)
def decision(tenant: str, decision_id: int):
    with runtime().db.read() as session:
        entry = decision_log.to_dict(decision_log.get(session, [tenant], decision_id))
    replayed, problem = None, None
    if request.args.get("replay"):
        try:
            replayed = replay_service.replay(runtime(), [tenant], decision_id)
        except (Invalid, NotFound, Conflict) as e:
            problem = e.message
    return render_console("console_decision.html", 200, tenant, d=entry, replayed=replayed, problem=problem,
                          outcome_labels=LABEL, effect_labels=EFFECT)


# ---------------------------------------------------------------------- standards
@bp.get("/standards")
@operation("标准报告:本租户的标准,按租户或街道查看报告", ["页面"], errors=(), extra=HTML)
@page("read", not_found=("找不到租户", "找不到该租户,或您无权访问。"), forbidden="无权查看")
def standards(tenant: str):
    rt = runtime()
    with rt.db.read() as session:
        try:
            pack = rt.pack_for(session, tenant, clock.today()).pack
            items = [{"name": s.name, "title": s.title, "levels": [LEVEL_LABELS[x] for x in s.levels], "pack": s.pack}
                     for s in pack.checked.standards]
        except (Conflict, NotFound):
            items = []
        streets = session.execute(select(OrgUnit.code, OrgUnit.name).where(
            OrgUnit.tenant_code.in_(rt.directory(session).descendants(tenant)),
            OrgUnit.level.in_(("street", "township"))).order_by(OrgUnit.code).limit(2000)).all()
    return render_console("console_standards.html", 200, tenant, standards=items, streets=streets)


@bp.get("/standards/<name>")
@operation("一项标准的报告(含图表,可打印);?under=<街道代码> 只看该街道", ["页面"], errors=(), extra=HTML)
@page("read", not_found=("找不到标准", "找不到该标准,或您无权访问。"), forbidden="无权查看")
def standard_report(tenant: str, name: str):
    rt = runtime()
    under = (request.args.get("under") or "").strip() or None
    if under is not None:
        with rt.db.read() as session:
            rt.unit_in_reach(session, tenant, under)
    runs = run_standards(rt, tenant, [name], descendants=True)
    with rt.db.read() as session:
        tenant_name = rt.directory(session).get(tenant).name
    return render_report(rt, runs, tenant_name, under=under), 200, HEADERS
