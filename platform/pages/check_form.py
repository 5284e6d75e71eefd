"""The operator's check page: the tenant's task form, the receiving unit and a what-if level.

A submission is turned into the very request ``POST .../admission/check`` takes
and decided by :func:`.admission.check` itself, so it is logged like any
check. Form errors come back as JSON pointers under ``/task`` and are placed
beside their inputs as on the form page (:mod:`.form_render`).
"""
from __future__ import annotations

import json
from typing import Optional

from sqlalchemy import select

from jiceng.dsl.types import LEVEL_LABELS, LEVELS

from jiceng.platform.db.models import Decision, OrgUnit
from jiceng.platform.forms import editing as form_admin
from jiceng.platform.forms import render as form_render
from jiceng.platform.admission.check import CheckRequest, check
from jiceng.platform.errors import Conflict, Invalid, NotFound
from jiceng.platform.forms.model import Field
from jiceng.platform.runtime import Runtime
from jiceng.platform.auth.tokens import Principal

#: at most this many units in reach are offered as a select; more are typed as a code
UNIT_SELECT_LIMIT = 200
TARGET = "/target_unit"
WHAT_IF = "what_if_level"


def unit_options(session, rt: Runtime, tenant: str, under: Optional[str] = None) -> Optional[list[dict]]:
    """The units in ``tenant``'s reach grouped by level (``[{level, label, units}]``), or None
    when there are too many for a select. ``under`` (a unit-bound operator's unit) narrows them to
    that unit and the units below it: the only receiving units its token may check."""
    tenants = rt.directory(session).descendants(tenant)
    q = select(OrgUnit.code, OrgUnit.name, OrgUnit.level).where(OrgUnit.tenant_code.in_(tenants))
    if under is not None:
        q = q.where(OrgUnit.code.in_(_subtree(session, under)))
    rows = session.execute(q.order_by(OrgUnit.code).limit(UNIT_SELECT_LIMIT + 1)).all()
    if len(rows) > UNIT_SELECT_LIMIT:
        return None
    order = {level: i for i, level in enumerate(LEVELS)}
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(r.level, []).append({"code": r.code, "name": r.name})
    return [{"level": level, "label": LEVEL_LABELS.get(level, level), "units": units}
            for level, units in sorted(groups.items(), key=lambda kv: order.get(kv[0], len(order)))]


def _subtree(session, unit: str) -> list[str]:
    """``unit`` and every unit below it, a level at a time (a tree is a handful of levels deep);
    stops growing past the select's limit, when the page asks for a typed code anyway."""
    found, frontier = [unit], [unit]
    while frontier and len(found) <= UNIT_SELECT_LIMIT:
        frontier = list(session.execute(select(OrgUnit.code).where(OrgUnit.parent_code.in_(frontier))).scalars())
        found += frontier
    return found


def _chosen_unit(session, rt: Runtime, tenant: str, code: str) -> Optional[dict]:
    """The receiving unit as the page names it, when ``code`` is a unit in reach."""
    try:
        unit = rt.unit_in_reach(session, tenant, code)
    except NotFound:
        return None
    return {"code": unit.code, "name": unit.facts.get("name"), "level": unit.level,
            "level_label": LEVEL_LABELS.get(unit.level, unit.level)}


def _target_input(nodes: list[form_render.Input], data: dict) -> form_render.Input:
    """The receiving unit's input, taken out of the task's inputs (the page shows it on its own);
    made up when a tenant's task form does not declare ``target_unit``."""
    for i, node in enumerate(nodes):
        if node.pointer == TARGET:
            return nodes.pop(i)
    return form_render.Input(TARGET, Field("target_unit", {"type": "string", "title": "接收单位"}),
                             data.get("target_unit"))


def _under_task(errors: list[dict]) -> list[dict]:
    """The check's ``/task/...`` error pointers as the page's inputs are named (``/...``)."""
    return [{"path": d["path"][len("/task"):] if d["path"] == "/task" or d["path"].startswith("/task/") else d["path"],
             "message": d["message"]} for d in errors]


def _details(e: Invalid) -> list[dict]:
    """The ``{path, message}`` details of a refused check."""
    return [d for d in e.details if isinstance(d, dict) and isinstance(d.get("path"), str)
            and isinstance(d.get("message"), str)] if isinstance(e.details, list) else []


def page(rt: Runtime, principal: Principal, tenant: str, submitted: Optional[dict] = None) -> dict:
    """What the check page shows: the empty form, or ``submitted`` (a POSTed HTML form) checked.

    The view holds the task's inputs, the receiving unit's input and choices, the what-if level,
    the errors beside each, and — once the check ran — the answer of the admission check
    (``result``) with ``notice_tenant``, the tenant whose decision log holds it. ``status`` is the
    HTTP status the page answers with. Whether ``principal`` may check at all is settled before,
    by the page's declared permission (``operator_pages.check``).
    """
    fields = dict(submitted or {})
    what_if, code = fields.pop(WHAT_IF, "").strip(), fields.get(TARGET, "").strip()
    with rt.db.read() as session:
        _snapshot, form, model = form_admin.page_model(session, rt, tenant, "task")
        options = unit_options(session, rt, tenant, principal.unit)
        chosen = _chosen_unit(session, rt, tenant, code) if code else None
    data = form_render.parse_submission(model, fields) if submitted is not None else {}
    data.pop("target_unit", None)  # read as typed (or chosen) even when the form does not declare it
    if code:
        data["target_unit"] = code
    nodes = form_render.inputs(model, data)
    target = _target_input(nodes, data)
    view = {"tenant": tenant, "form": form, "model": model, "inputs": nodes, "target": target,
            "unit_options": options, "chosen": chosen, "what_if": what_if, "what_if_errors": [],
            "levels": [(level, LEVEL_LABELS[level]) for level in LEVELS], "general_errors": [],
            "submitted": submitted is not None, "result": None, "notice_tenant": None, "status": 200}
    if submitted is None:
        return view
    if what_if and code:
        view["what_if_errors"].append("已填写接收单位:假设检查请清空接收单位,或不选假设层级")
    elif not what_if and not code:
        target.errors.append("请选择接收单位,或在下方选择假设的接收单位层级")
    if view["what_if_errors"] or target.errors:
        view["status"] = 422
        return view
    request = CheckRequest(task=data, target={"level": what_if} if what_if else None)
    try:
        answer = json.loads(check(rt, principal, tenant, request))
    except Invalid as e:
        # the what-if level is checked by the check itself, as any what-if target is (/target/level)
        view["what_if_errors"] = [d["message"] for d in _details(e) if d["path"].startswith("/target")]
        errors = _under_task([d for d in _details(e) if not d["path"].startswith("/target")])
        if not errors and not view["what_if_errors"]:
            errors = [{"path": "", "message": e.message}]
        view["general_errors"] = form_render.place_errors(nodes + [target], errors)
        view["status"] = 422
        return view
    except Conflict as e:
        view["general_errors"] = [{"path": "", "message": e.message}]
        view["status"] = 409
        return view
    with rt.db.read() as session:
        view["notice_tenant"] = session.get(Decision, answer["decision_id"]).tenant_code
    view["result"] = answer
    return view
