"""Admission check: decide a task for a target with no side effect but the log.

Target facts come from ``task.target_unit`` (the unit must be within the
tenant's reach) or, for what-if questions, from an explicit ``target``
object. The pack chain is the one in force at the target's tenant on the
decision date.

A check is decided at the server's date, like an assignment. A check given
another date (``on``) or an explicit ``target`` is a *what-if*: its answer and
its log entry say so (``what_if``). What-ifs are logged like any check, and
neither kind is ever history: history facts count assignments only
(:mod:`.history`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Optional

from sqlalchemy.orm import Session

from jiceng.platform.decisions import append as log_append
from jiceng.platform.forms import validation
from jiceng.platform.decisions.chain import canonical, canonical_jsonable
from jiceng.platform.admission.deciding import decide, default_history
from jiceng.platform.errors import Invalid, NotFound
from jiceng.platform.admission.history import facts_from
from jiceng.dsl.jsonvalue import jsonable
from jiceng.platform.runtime import Runtime, UnitInfo
from jiceng.platform.auth.tokens import Principal


@dataclass
class CheckRequest:
    task: dict
    target: Optional[dict] = None
    history: Optional[dict] = None
    on: Optional[date] = None
    explain: bool = False


def lookup_unit(session: Session, rt: Runtime, tenant: str, code, path: str) -> UnitInfo:
    """A unit named in a request body; unknown and out-of-reach units read the same (422)."""
    try:
        return rt.unit_in_reach(session, tenant, code)
    except NotFound:
        raise Invalid("unit_not_found", f"找不到单位 {code}", [{"path": path, "message": f"找不到单位 {code}"}]) from None


def source_facts(session: Session, rt: Runtime, tenant: str, code) -> dict:
    """Facts of the assigning unit when it is a known unit within reach, else none."""
    try:
        return dict(rt.unit_in_reach(session, tenant, code).facts)
    except NotFound:
        return {}


def check(rt: Runtime, principal: Principal, tenant: str, req: CheckRequest) -> str:
    """The admission check of SPEC §7; appends one ``check`` entry to the decision log.

    Returns the answer as JSON text (``CheckResponseSchema``): its largest parts, the reasons
    and the target facts, are the log entry's own canonical JSON, serialised once for both.
    The database is read in one statement (the pack generations and the target's history);
    units, tokens and compiled packs come from the runtime's caches, and a session is opened
    only when one of them misses. The answer is made only once its log entry is committed
    (group commit: :attr:`Runtime.check_log`).
    """
    principal.require("check")
    what_if = req.target is not None or req.on is not None
    on = req.on or date.today()
    if req.history is not None and req.target is None:
        raise Invalid("history_not_allowed", "只有假设检查(给出 target)才能指定 history",
                      [{"path": "/history", "message": "history 由系统根据已下派任务统计"}])
    with rt.db.read() as session:
        unit = None
        if req.target is None and req.task.get("target_unit") is not None:
            unit = lookup_unit(session, rt, tenant, req.task["target_unit"], "/task/target_unit")
        decider = unit.tenant if unit is not None else tenant
        gens, counts = rt.check_state(unit.code if unit is not None else None, on)
        resolved = rt.pack_at(session, decider, on, gens)
        validation.require_valid(resolved.task_form, resolved.forms, req.task, prefix="/task", pack=resolved.pack)
        if unit is not None:
            target, history = rt.target_facts_text(unit, resolved.pack), facts_from(counts)
        else:
            target = jsonable(dict(req.target or {}))
            history = {**default_history(), **(req.history or {})}
        source = source_facts(session, rt, tenant, req.task.get("source_unit"))
    facts = rt.target_facts(unit, resolved.pack) if unit is not None else target
    d = decide(resolved.pack, req.task, facts, history, source, on, req.explain)
    entry = log_append.entry(
        tenant=decider, kind="check", actor=principal.actor, decided_on=on.isoformat(),
        input={"task": req.task, "source": source, "what_if": what_if},
        target=target, history=history, pack=resolved.log_info_text, outcome=d.decision,
        reasons=resolved.reasons_text(d), requirements=d.requirements)
    appended = rt.check_log.submit(entry)
    pack = {"tenant": resolved.pack.tenant, "version": resolved.pack.version, "digest": resolved.pack.digest}
    trace = f',"trace":{canonical_jsonable(d.trace)}' if d.trace is not None else ""
    return (f'{{"decision":{canonical(d.decision)},"reasons":{entry.json_text("reasons")},'
            f'"requirements":{entry.json_text("requirements")},"pack":{canonical(pack)}{trace},'
            f'"decision_id":{appended.id},"decided_on":{canonical(on.isoformat())},'
            f'"what_if":{"true" if what_if else "false"},'
            f'"target":{entry.json_text("target")}}}\n')
