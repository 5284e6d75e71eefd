"""A logged decision as a printable notice: 准入决定告知书 / 不予准入告知书.

Everything shown comes from the decision log entry itself (task, receiving
unit, outcome, reasons with their cited clauses, the list items the decision
relied on — an example item marked as such —, requirements, pack) — never
from today's rules — plus the entry's hash, so the printed notice can be
checked against the log with `jiceng decisions verify`. Field labels come from
the task form version the decision was made on.
"""
from __future__ import annotations

import json
from typing import Any, Optional

from sqlalchemy.orm import Session

from jiceng.dsl.commands import LABEL
from jiceng.dsl.types import LEVEL_LABELS

from jiceng.platform.db.models import Decision, FormVersion
from jiceng.platform.decisions import log as decision_log
from jiceng.platform.forms import editing as form_admin
from jiceng.platform.errors import Invalid
from jiceng.platform.forms.model import Field, FormModel, FormReadError, read_model
from jiceng.platform.forms.store import form_uri
from jiceng.platform.runtime import Runtime
from jiceng.platform.auth.tokens import ROLE_LABEL

#: the task's fields a notice always names, with the label used when the form gives none
KEY_FIELDS = {"title": "任务名称", "category": "事项类别", "kind": "任务形式", "role": "承担角色",
              "source_unit": "下派单位", "source_department": "职能部门"}
NOT_GIVEN = "(未填写)"


def _task_model(session: Session, rt: Runtime, entry: Decision) -> Optional[FormModel]:
    """The task form the decision was made on (as recorded), else the one its tenant sees today;
    None when neither can be read (the notice then names fields by their keys)."""
    snapshot = rt.forms(session)
    recorded = ((entry.pack or {}).get("task_form") or {}).get("id")
    row = session.get(FormVersion, recorded) if isinstance(recorded, int) else None
    try:
        if row is not None:
            return read_model(row.schema, form_uri(row.tenant_code, row.name), snapshot.resolve)
        return form_admin.page_model(session, rt, entry.tenant_code, "task")[2]
    except (FormReadError, Invalid):
        return None


def _shown(field: Optional[Field], value: Any) -> str:
    """A task value as a reader reads it: enum labels, 是/否, one line per list item."""
    if value is None or value == "":
        return NOT_GIVEN
    if field is not None and isinstance(value, str) and value in field.enum_labels:
        return field.enum_labels[value]  # what the form calls it; the code is for programs (issue 13)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_shown(field.item if field is not None else None, v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _label(field: Optional[Field], name: str) -> str:
    if field is not None and field.label != name:
        return field.label
    return KEY_FIELDS.get(name, name)


def task_rows(model: Optional[FormModel], task: dict, source: dict) -> tuple[list[dict], list[dict]]:
    """The task as ``[{label, value}]``: the key fields always, then every other filled field in
    the form's order (the receiving unit is shown on its own)."""
    fields = {f.name: f for f in model.fields} if model is not None else {}
    key = []
    for name in KEY_FIELDS:
        value = _shown(fields.get(name), task.get(name))
        if name == "source_unit" and source.get("name") and task.get(name):
            value = f"{source['name']}({task[name]})"
        key.append({"label": _label(fields.get(name), name), "value": value})
    order = list(fields) + sorted(k for k in task if k not in fields)
    other = [{"label": _label(fields.get(name), name), "value": _shown(fields.get(name), task[name])}
             for name in order if name in task and name not in KEY_FIELDS and name != "target_unit"
             and task[name] not in (None, "")]
    return key, other


def _actor(actor: str) -> str:
    """``token:3 township@changsha/430102001000`` as a reader reads it."""
    _, _, who = actor.partition(" ")
    role, _, place = who.partition("@")
    return f"{ROLE_LABEL.get(role, role)}({place or actor})" if role else actor


def documents(reasons: list, items: list) -> list[dict]:
    """Each source the reasons and the items cite, once, in the order first cited: the notice
    names a document's full title and metadata once, the citations only its short title."""
    seen: dict[str, dict] = {}
    for c in [c for r in reasons for c in r.get("cites") or ()] + [c for i in items for c in i.get("cites") or ()]:
        seen.setdefault(c.get("source"), c)
    return list(seen.values())


def notice(rt: Runtime, tenant: str, decision_id: int) -> dict:
    """What the notice of decision ``decision_id`` in ``tenant``'s log shows (:class:`NotFound`
    when the log holds no such decision: another tenant's decision is never shown)."""
    with rt.db.read() as session:
        entry = decision_log.get(session, [tenant], decision_id)  # a tenant's log is its own chain
        model = _task_model(session, rt, entry)
        info = rt.directory(session).get(entry.tenant_code)
    inp = entry.input or {}
    task, source, target = inp.get("task") or {}, inp.get("source") or {}, entry.target or {}
    key, other = task_rows(model, task, source)
    pack = entry.pack or {}
    used = entry.items or []  # None: logged before the items were recorded
    return {
        "heading": "不予准入告知书" if entry.outcome == "reject" else "准入决定告知书",
        "number": f"{entry.tenant_code}-{entry.seq:06d}", "id": entry.id, "seq": entry.seq,
        "kind": "下派判定" if entry.kind == "assignment" else "准入检查",
        "tenant": entry.tenant_code, "tenant_name": info.name if info is not None else entry.tenant_code,
        "decided_on": entry.decided_on, "created_at": entry.created_at, "actor": _actor(entry.actor),
        "task": key, "task_other": other,
        "target": {"what_if": bool(inp.get("what_if")), "code": target.get("code"), "name": target.get("name"),
                   "level": LEVEL_LABELS.get(target.get("level"), target.get("level") or NOT_GIVEN)},
        "outcome": entry.outcome, "outcome_label": LABEL.get(entry.outcome, entry.outcome),
        "reasons": entry.reasons or [],
        "used_items": used, "examples": [i["name"] for i in used if i.get("example")],
        "documents": documents(entry.reasons or [], used),
        "requirements": entry.requirements or [],
        "pack": {"tenant": pack.get("tenant"), "version": pack.get("version"), "digest": pack.get("digest"),
                 "chain": pack.get("chain") or [], "task_form": pack.get("task_form")},
        "hash": entry.hash, "prev_hash": entry.prev_hash,
    }
