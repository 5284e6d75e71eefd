"""Tasks in the console: the department files and assigns them, the township receives them.

Who may open them is the permission table's: ``task.create`` for the task form (admin, department),
``task.assign`` for a task's page, forwarding and evidence (admin, department, township: a township
passes what it holds on to its communities), ``inbox.read`` for the inbox (admin, township).

* ``/console/<tenant>/tasks`` (职能部门, admin): the tenant's task form (:mod:`..forms.render`), the
  fields a task of the chosen kind needs (:mod:`.task_fields`; the rest on demand), the
  unit tree to pick targets from (search; "all communities of this street" = the street's children);
  POST files the task (:func:`..assignments.tasks.create_task`) and assigns it
  (:func:`..assignments.tasks.assign`), then shows the outcome per target with reasons and clauses.
* ``/console/<tenant>/tasks/<id>``: a task's assignments, each with its decision's reasons, and for a
  conditional one the evidence form of each requirement it waits for
  (:data:`..assignments.evidence.KINDS`), posted to :func:`supply`.
* ``/console/<tenant>/tasks/<id>/assignments``: a unit that holds the task, admitted, passes it on to
  the units below it (:func:`..assignments.tasks.assign` checks that it holds it).
* ``/console/<tenant>/inbox`` (乡镇、街道, admin): the assignments to the operator's unit and the units
  below it: status, requirements outstanding, deadline, and the printable notice.
"""
from __future__ import annotations

import re

from flask import Blueprint, request

from sqlalchemy import select

from jiceng.dsl import clock
from jiceng.dsl.commands import EFFECT, LABEL

from jiceng.platform.api.auth import caller
from jiceng.platform.api.context import runtime
from jiceng.platform.api.openapi import operation
from jiceng.platform.assignments import tasks as task_service
from jiceng.platform.assignments.evidence import FACTS, KINDS
from jiceng.platform.auth.sessions import CSRF_FIELD
from jiceng.platform.db.models import Assignment, Decision, OrgUnit, Task
from jiceng.platform.decisions import log as decision_log
from jiceng.platform.errors import Conflict, Invalid, NotFound, ServiceError
from jiceng.platform.forms import editing as form_admin
from jiceng.platform.forms import render as form_render
from jiceng.platform.pages import task_fields, unit_tree
from jiceng.platform.pages.access import answer_refusals_as_pages, page
from jiceng.platform.pages.console import form_posts_only, render_console

bp = Blueprint("console_tasks", __name__, url_prefix="/console/<tenant>")
answer_refusals_as_pages(bp)
form_posts_only(bp)
REFUSALS = dict(not_found=("找不到任务", "找不到该租户或任务,或您无权访问。"), forbidden="无权使用此页面",
                invalid="无法处理该请求")
HTML = {"responses": {"200": {"description": "HTML", "content": {"text/html": {}}}}}
STATUS = {"admitted": "已准入", "pending": "待补充条件", "rejected": "不予准入", "exists": "已下派过", "invalid": "无法判定"}
#: the task fields the page asks for itself rather than through the form (targets are picked from the tree)
NOT_ON_FORM = ("/target_unit",)
INBOX_LIMIT = 500
#: the task fields an ``information`` requirement names ("须补充:task.kind、…"): the ones evidence can supply
_TASK_FACT = re.compile(r"\btask\.([A-Za-z_][A-Za-z0-9_]*)")


def _form(tenant: str, data: dict):
    rt = runtime()
    with rt.db.read() as session:
        _snapshot, form, model = form_admin.page_model(session, rt, tenant, "task")
    nodes = [i for i in form_render.inputs(model, data) if i.pointer not in NOT_ON_FORM]
    return form, model, nodes


def _field_kinds(tenant: str, nodes) -> dict[str, str]:
    """``{pointer: "kind kind …"}`` of the optional fields only the rules of some kinds read: the
    page hides them for other kinds. Fields no rule reads stay (the form asks for them for its own
    sake), and so do required ones and those every kind's rules read."""
    rt = runtime()
    with rt.db.read() as session:
        try:
            needs = task_fields.kinds_by_field(rt.pack_for(session, tenant, clock.today()).pack)
        except (Conflict, NotFound):
            return {}
    return {node.pointer: " ".join(sorted(needs[node.pointer.lstrip("/")])) for node in nodes
            if not node.field.required and needs.get(node.pointer.lstrip("/"), task_fields.ALL) is not task_fields.ALL}


def _tasks_view(tenant: str, status: int = 200, data=None, errors=(), targets=(), children_of="", result=None,
                message=""):
    form, _model, nodes = _form(tenant, data or {})
    general = form_render.place_errors(nodes, list(errors))
    principal = caller()
    return render_console("console_tasks.html", status, tenant, form=form, inputs=nodes, general_errors=general,
                          field_kinds=_field_kinds(tenant, nodes),
                          tree=unit_tree.tree(runtime(), tenant, principal.unit), targets=set(targets),
                          children_of=children_of, result=result, status_label=STATUS, outcome_labels=LABEL,
                          effect_labels=EFFECT, tasks=task_service.list_tasks(runtime(), tenant, 20),
                          flash_message=message, flash_bad=bool(message))


@bp.route("/tasks", methods=["GET", "POST"])
@operation("任务与下派:按任务表单建任务,从组织树选接收单位,查看逐个结论", ["页面"], errors=(), extra=HTML)
@page("task.create", **REFUSALS)
def tasks(tenant: str):
    if request.method == "GET":
        return _tasks_view(tenant)
    submitted = request.form.to_dict()
    targets = [t for t in request.form.getlist("targets") if t]
    children_of = submitted.pop("children_of", "").strip()
    for key in (CSRF_FIELD, "targets"):
        submitted.pop(key, None)
    _form_, model, _nodes = _form(tenant, {})
    data = form_render.parse_submission(model, submitted)
    if not targets and not children_of:
        return _tasks_view(tenant, 422, data, targets=targets, message="请在组织树中选择接收单位")
    rt = runtime()
    try:
        task = task_service.create_task(rt, caller(), tenant, data)
    except Invalid as e:
        errors = [d for d in e.details if isinstance(d, dict)] if isinstance(e.details, list) else []
        return _tasks_view(tenant, 422, data, errors or [{"path": "", "message": e.message}], targets, children_of)
    try:
        result = task_service.assign(rt, caller(), tenant, task["id"], targets, children_of or None)
    except ServiceError as e:
        details = "; ".join(d.get("message", "") for d in e.details if isinstance(d, dict)) \
            if isinstance(e.details, list) else ""
        return _tasks_view(tenant, 422, data, targets=targets, children_of=children_of,
                           message=f"任务 {task['id']} 已建立,但未能下派:{e.message} {details}")
    return task_view(tenant, task["id"], result=result)


def task_view(tenant: str, task_id: int, result=None, status: int = 200, message: str = "", bad: bool = False):
    """A task with its assignments, each with its decision's reasons; ``result``: the assignment just made."""
    rt = runtime()
    task = task_service.read_task(rt, tenant, task_id)
    ids = [a["decision_id"] for a in task["assignments"]] + [r.get("decision_id") for r in (result or {}).get("results", [])]
    with rt.db.read() as session:
        tenants = rt.directory(session).descendants(tenant)
        decisions = {d.id: decision_log.to_dict(d) for d in session.execute(
            select(Decision).where(Decision.id.in_([i for i in ids if i]), Decision.tenant_code.in_(tenants))).scalars()}
        names = dict(session.execute(select(OrgUnit.code, OrgUnit.name).where(OrgUnit.code.in_(
            [a["target_unit"] for a in task["assignments"]] + [r["target"] for r in (result or {}).get("results", [])]))).all())
    labels = {n.pointer.lstrip("/"): n.field.label for n in _form(tenant, {})[2]}
    for a in task["assignments"]:
        a["fact_fields"] = {q["code"]: [(f, labels.get(f, f)) for f in _TASK_FACT.findall(q.get("message", ""))]
                            for q in a["requirements"]}
    principal = caller()
    held = principal.unit is not None and any(a["target_unit"] == principal.unit and a["status"] == "admitted"
                                              for a in task["assignments"])
    with rt.db.read() as session:
        below = list(rt.unit(session, principal.unit).children) if held else []
    return render_console("console_task.html", status, tenant, task=task, result=result, decisions=decisions,
                          names=names, status_label=STATUS, outcome_labels=LABEL, effect_labels=EFFECT,
                          evidence_kinds=KINDS, facts_code=FACTS, flash_message=message, flash_bad=bad,
                          forward_to=below)


@bp.get("/tasks/<id:task_id>")
@operation("一项任务:逐个接收单位的结论、理由与依据,待补充的条件", ["页面"], errors=(), extra=HTML)
@page("task.assign", **REFUSALS)
def task(tenant: str, task_id: int):
    return task_view(tenant, task_id)


@bp.post("/tasks/<id:task_id>/assignments")
@operation("转派:持有已准入任务的单位把它下派给自己的下级单位(逐个判定)", ["页面"], errors=(), extra=HTML)
@page("task.assign", **REFUSALS)
def forward(tenant: str, task_id: int):
    targets = [t for t in request.form.getlist("targets") if t]
    try:
        result = task_service.assign(runtime(), caller(), tenant, task_id, targets,
                                     (request.form.get("children_of") or "").strip() or None)
    except ServiceError as e:
        details = [d.get("message", "") for d in e.details if isinstance(d, dict)] if isinstance(e.details, list) else []
        return task_view(tenant, task_id, status=403 if e.code == "task_not_held" else 422, bad=True,
                         message=e.message + (":" + ";".join(details) if details else ""))
    return task_view(tenant, task_id, result=result)


@bp.post("/assignments/<id:assignment_id>/evidence")
@operation("补充有条件准入所需的条件(提交证明后重新判定)", ["页面"], errors=(), extra=HTML)
@page("task.assign", **REFUSALS)
def supply(tenant: str, assignment_id: int):
    rt = runtime()
    a = task_service.read_assignment(rt, tenant, assignment_id)
    evidence: dict = {}
    for code in request.form.getlist("code"):
        if code in KINDS:
            fields = {f.name: request.form.get(f"{code}.{f.name}", "").strip() for f in KINDS[code].fields}
            evidence[code] = {k: _number(v) if kind in ("amount", "count") else v
                              for (k, v), kind in zip(fields.items(), (f.kind for f in KINDS[code].fields))}
        else:
            prefix = f"{code}.facts."
            evidence[code] = {FACTS: {k[len(prefix):]: v for k, v in request.form.items() if k.startswith(prefix) and v}}
    try:
        answer = task_service.update_assignment(rt, caller(), tenant, assignment_id, evidence)
    except Invalid as e:
        details = [d.get("message", "") for d in e.details if isinstance(d, dict)] if isinstance(e.details, list) else []
        return task_view(tenant, a["task_id"], status=422, message=e.message + (":" + ";".join(details) if details else ""),
                         bad=True)
    return task_view(tenant, a["task_id"], message=f"已补充条件并重新判定:{LABEL.get(answer['decision'], answer['decision'])}")


def _number(text: str):
    try:
        return int(text) if text.isdigit() else float(text)
    except ValueError:
        return text  # the service says what is wrong with it, beside its field


@bp.get("/inbox")
@operation("收件箱:下派到本单位及所辖社区的任务", ["页面"], errors=(), extra=HTML)
@page("inbox.read", **REFUSALS)
def inbox(tenant: str):
    rt, principal = runtime(), caller()
    with rt.db.read() as session:
        tenants = rt.directory(session).descendants(tenant)
        rows = session.execute(select(Assignment, Task.data, OrgUnit.name).join(Task, Task.id == Assignment.task_id)
                               .join(OrgUnit, OrgUnit.code == Assignment.target_unit)
                               .where(Assignment.tenant_code.in_(tenants))
                               .order_by(Assignment.id.desc()).limit(INBOX_LIMIT)).all()
        items = []
        for a, data, name in rows:
            if principal.unit is not None:
                unit = rt.unit(session, a.target_unit)
                if unit is None or (a.target_unit != principal.unit and principal.unit not in unit.ancestors):
                    continue
            items.append({"assignment": task_service.assignment_dict(a), "task": data, "unit_name": name})
    return render_console("console_inbox.html", 200, tenant, items=items, status_label=STATUS,
                          limit=INBOX_LIMIT)
