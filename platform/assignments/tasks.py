"""Tasks and their downward assignment.

A department (or a street) assigns a task to one or many units below it; each
target is decided by the pack chain in force at that target's tenant on the
decision date:

* ``reject`` — no assignment (the decision is logged);
* ``conditional`` — a *pending* assignment that waits until a PATCH supplies
  evidence for what it requires (:mod:`.evidence`), which decides again;
* ``admit`` — an *admitted* assignment.

Assignments are decided at the server's date, and so are their history windows:
a request cannot choose the date its own cap is counted in (what-if questions
about other dates are admission checks). A task is immutable once filed; a
PATCH adds evidence, never task fields.

History facts (``history.assessments_this_year`` …) are counted in the same
transaction, after the targets are locked (row locks on PostgreSQL, the
database lock on SQLite), so concurrent assignments cannot both slip under a
cap. Locks are taken in one order everywhere — units by code, then log heads
by tenant — so concurrent batches cannot deadlock.

However many targets, an assignment costs the same few statements: the task
(once per process: tasks never change), the targets' locks, one query for every
target's history counts and live assignment (with the pack generations), and
one statement that appends all the log entries and inserts the new assignments
(two on SQLite). The sending department comes from the same cache as the
admission check's (:func:`.facts.department_now`).
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from types import SimpleNamespace
from typing import Optional

from sqlalchemy import ARRAY, Select, String, and_, any_, bindparam, case, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from jiceng.dsl import clock
from jiceng.platform.db.models import Assignment, OrgUnit, Task
from jiceng.platform.db.models import Decision as LogEntry
from jiceng.platform.decisions import log as decision_log
from jiceng.platform.decisions import append as log_append
from jiceng.platform.forms import validation
from jiceng.platform.forms.store import version_by_id
from jiceng.platform.admission import facts
from jiceng.platform.assignments import evidence as evidence_rules
from jiceng.platform.admission.deciding import decide
from jiceng.platform.errors import Conflict, Forbidden, Invalid, NotFound
from jiceng.platform.admission.history import COUNTS_OF_JOINED, count_parameters, facts_from, history_facts
from jiceng.platform.runtime import GENERATIONS, Runtime, UnitInfo
from jiceng.platform.auth.tokens import Principal

MAX_TARGETS = 500
STATUS_OF = {"admit": "admitted", "conditional": "pending", "reject": "rejected"}


def _now() -> datetime:
    return datetime.now(timezone.utc)


# ---------------------------------------------------------------------- tasks
def create_task(rt: Runtime, principal: Principal, tenant: str, data: dict) -> dict:
    """Store a task filed on the tenant's task form (422 with every form problem).

    The task is sent from ``source_unit``, else from the token's unit; a ``source_department``
    it names must be registered there or at a unit above (422 ``unknown_department``): the
    registry, not the sender, then says what the department's facts are when it is decided.
    A ``department``-role token (a 职能部门's operator) must name one (422
    ``source_department_required``): naming none would have the 党委和政府 send it as a whole.
    """
    principal.require("task.create")
    with rt.db.write() as session:
        resolved = rt.pack_for(session, tenant, clock.today())
        validation.require_valid(resolved.task_form, resolved.forms, data, pack=resolved.pack)
        source = data.get("source_unit") or principal.unit
        if source is not None:
            unit = facts.lookup_unit(session, rt, tenant, source, "/source_unit")
            principal.require_unit(unit.code, f"以 {source} 的名义创建任务", unit.ancestors)
        if principal.role == "department" and facts.names_no_department(data):
            message = "职能部门的令牌创建任务必须填写下派部门(source_department):不填写视为党委和政府统一下派"
            raise Invalid("source_department_required", message,
                          [{"path": "/source_department", "message": "请填写名录中登记的下派部门名称"}])
        facts.sending_department(session, rt, tenant, data, source)
        task = Task(tenant_code=tenant, data=data, source_unit=source, form_id=resolved.task_form.id,
                    created_by=principal.actor, created_at=_now())
        session.add(task)
        session.flush()
        return task_dict(task, [])


_TASKS, _ASSIGNMENTS = Task.__table__, Assignment.__table__  # Core on the assignment path: no ORM overhead
_TASK = select(_TASKS).where(_TASKS.c.id == bindparam("id"))
_HELD = select(_ASSIGNMENTS.c.id).where(_ASSIGNMENTS.c.task_id == bindparam("task"),
                                        _ASSIGNMENTS.c.target_unit == bindparam("unit"),
                                        _ASSIGNMENTS.c.status == "admitted")
_LIVE = select(_ASSIGNMENTS).where(_ASSIGNMENTS.c.task_id == bindparam("task"),
                                   _ASSIGNMENTS.c.target_unit == bindparam("unit"),
                                   _ASSIGNMENTS.c.status != "rejected")


def _targets(of_units) -> Select:
    """Per target (``of_units``, the condition on its code): the pack generations, whether it
    holds the task already (live), its history counts."""
    return (select(OrgUnit.code, *GENERATIONS,
                   func.coalesce(func.sum(case((and_(Assignment.task_id == bindparam("task"),
                                                     Assignment.status != "rejected"), 1), else_=0)), 0),
                   *COUNTS_OF_JOINED)
            .select_from(OrgUnit).outerjoin(Assignment, Assignment.target_unit == OrgUnit.code)
            .where(of_units).group_by(OrgUnit.code))


_TARGETS = _targets(OrgUnit.code.in_(bindparam("units", expanding=True)))  # SQLite
#: PostgreSQL, one text each to compile once (:meth:`Database.lock_then_read`): one target (the
#: common case; a generic plan is kept for it), or an array of targets (planned on each run)
_TARGETS_ONE = _targets(OrgUnit.code == bindparam("unit"))
_TARGETS_ANY = _targets(OrgUnit.code == any_(bindparam("units", type_=ARRAY(String))))
#: the statements of an assignment (compiled ahead by :mod:`jiceng.platform.serving.warming`)
STATEMENTS = (_TASK, _HELD, _LIVE, _TARGETS)


def get_task(session: Session, rt: Runtime, tenant: str, task_id, conn: Optional[Connection] = None):
    """The task (a row: ``id tenant_code data source_unit …``) if it belongs to ``tenant``; read
    on ``conn`` when given, else on the session's connection."""
    task = (rt.task(task_id, lambda: (conn or session.connection()).execute(_TASK, {"id": task_id}).first())
            if isinstance(task_id, int) else None)
    if task is None or task.tenant_code != tenant:
        raise NotFound("task_not_found", f"找不到任务 {task_id}")
    return task


def read_task(rt: Runtime, tenant: str, task_id: int) -> dict:
    with rt.db.read() as session:
        task = get_task(session, rt, tenant, task_id)
        rows = session.execute(select(Assignment).where(Assignment.task_id == task.id)
                               .order_by(Assignment.id)).scalars()
        return task_dict(task, [assignment_dict(a) for a in rows])


def list_tasks(rt: Runtime, tenant: str, limit: int = 50) -> list[dict]:
    with rt.db.read() as session:
        rows = session.execute(select(Task).where(Task.tenant_code == tenant).order_by(Task.id.desc())
                               .limit(limit)).scalars()
        return [task_dict(t, None) for t in rows]


def task_dict(task: Task, assignments: Optional[list]) -> dict:
    out = {"id": task.id, "tenant": task.tenant_code, "task": task.data, "source_unit": task.source_unit,
           "created_by": task.created_by, "created_at": task.created_at.isoformat()}
    if assignments is not None:
        out["assignments"] = assignments
    return out


def assignment_dict(a: Assignment) -> dict:
    return {"id": a.id, "task_id": a.task_id, "tenant": a.tenant_code, "target_unit": a.target_unit,
            "source_unit": a.source_unit, "status": a.status, "requirements": a.requirements,
            "decision_id": a.decision_id, "decided_on": a.decided_on.isoformat(), "task": a.task_data,
            "created_by": a.created_by, "created_at": a.created_at.isoformat(),
            "updated_at": a.updated_at.isoformat()}


# ---------------------------------------------------------------------- assigning
def refuse_date(on: Optional[date]) -> None:
    """422 ``on_not_allowed`` when a request asks for a decision date (``on``) where only the
    server's date may decide: assignments and their re-decisions are real, and their history
    caps count in the server's year and month."""
    if on is not None:
        raise Invalid("on_not_allowed", "下派和补充条件一律按服务器当天的日期判定,不能指定 on;"
                      "按其他日期判定请用准入检查(admission/check,假设检查)",
                      [{"path": "/on", "message": "下派不接受 on"}])


def assign(rt: Runtime, principal: Principal, tenant: str, task_id: int, targets: list[str],
           children_of_unit: Optional[str] = None, on: Optional[date] = None) -> dict:
    """Assign the task to every target (one transaction) at the server's date; one result per
    target, in request order. ``on``, a date the request asked for, is refused (:func:`refuse_date`).

    The transaction is a Core connection (:meth:`Database.transaction`); what the runtime's
    caches do not hold yet is read through a session joined to it, opened only then."""
    principal.require("task.assign")
    refuse_date(on)
    on = clock.today()
    with rt.db.transaction() as conn, rt.db.joined(conn) as session:
        task = get_task(session, rt, tenant, task_id, conn)
        source = _assigning_unit(conn, principal, task)
        codes = list(dict.fromkeys(targets))
        if children_of_unit is not None:
            parent = facts.lookup_unit(session, rt, tenant, children_of_unit, "/children_of")
            codes += [c["code"] for c in parent.children if c["code"] not in codes]
        if not codes:
            raise Invalid("no_targets", "没有要下派的单位", [{"path": "/targets", "message": "至少给出一个单位"}])
        if len(codes) > MAX_TARGETS:
            raise Invalid("too_many_targets", f"一次最多下派 {MAX_TARGETS} 个单位",
                          [{"path": "/targets", "message": f"共 {len(codes)} 个"}])
        looked_up_at = rt.unit_generation
        units = _target_units(session, rt, tenant, codes, source, targets)
        read = _TARGETS if rt.db.is_sqlite else _TARGETS_ONE if len(codes) == 1 else _TARGETS_ANY
        state = {row[0]: row[1:] for row in
                 rt.db.lock_then_read(conn, OrgUnit.code, codes, read,
                                      {"task": task.id, "units": codes, "unit": codes[0],
                                       **count_parameters(None, on)})}
        gone = [c for c in codes if c not in state]  # removed since the unit cache read them
        if gone:
            raise Invalid("targets_invalid", f"{len(gone)} 个下派对象无效",
                          [{"path": "/targets", "message": f"找不到单位 {c}"} for c in gone])
        gens = tuple(next(iter(state.values()))[:len(GENERATIONS)])  # read after the locks
        rt.see(gens)
        if rt.unit_generation != looked_up_at:  # an import since the targets were looked up: again
            units = _target_units(session, rt, tenant, codes, source, targets)
        src = facts.source_facts(session, rt, tenant, source,
                                 facts.department_now(session, rt, tenant, task.data, task.source_unit))
        results, decided = {}, []
        for unit in sorted(units, key=lambda u: (u.tenant, u.code)):  # log heads in tenant order
            live, *counts = state[unit.code][len(GENERATIONS):]
            if live:
                row = conn.execute(_LIVE, {"task": task.id, "unit": unit.code}).first()
                results[unit.code] = {"target": unit.code, "status": "exists", "assignment": assignment_dict(row)}
                continue
            task_data = dict(task.data, target_unit=unit.code)
            if source is not None:
                task_data["source_unit"] = source
            outcome = _decide(session, rt, principal, task_data, unit, src, on, facts_from(counts), task.form_id,
                              gens=gens)
            if "error" in outcome:
                results[unit.code] = {"target": unit.code, "status": "invalid", "error": outcome["error"]}
            else:
                decided.append((unit, task_data, outcome))
        _log_and_insert(conn, principal, task, source, on, decided, results)
        return {"task_id": task.id, "decided_on": on.isoformat(), "results": [results[c] for c in codes]}


def _log_and_insert(conn: Connection, principal: Principal, task, source: Optional[str], on: date,
                    decided: list, results: dict) -> None:
    """Append every decision to the log and insert the assignments they admit, in one statement
    on PostgreSQL (:func:`.append.write_linked`); fill in each target's result."""
    if not decided:
        return
    now, rows = _now(), []
    for i, (unit, task_data, outcome) in enumerate(decided):
        body = outcome["body"]
        if body["decision"] != "reject":
            rows.append((i, dict(task_id=task.id, tenant_code=unit.tenant, target_unit=unit.code,
                                 source_unit=source, status=STATUS_OF[body["decision"]], kind=_kind(task_data),
                                 task_data=task_data, requirements=body["requirements"], decided_on=on,
                                 created_by=principal.actor, created_at=now, updated_at=now)))
    appended, ids = log_append.write_linked(conn, [outcome["entry"] for _u, _t, outcome in decided],
                                            log_append.Linked(_ASSIGNMENTS, rows), commit=True)
    for (unit, _task_data, outcome), entry in zip(decided, appended):
        body = outcome["body"]
        results[unit.code] = {"target": unit.code, "status": STATUS_OF[body["decision"]], **body,
                              "decision_id": entry.id, "assignment": None}
    for (i, values), new_id in zip(rows, ids):
        unit = decided[i][0]
        results[unit.code]["assignment"] = assignment_dict(SimpleNamespace(**values, decision_id=appended[i].id,
                                                                           id=new_id))


def _assigning_unit(conn: Connection, principal: Principal, task) -> Optional[str]:
    """Who assigns: the token's unit, else the task's source. A unit other than the
    task's source passes the task further down only once it holds it, admitted."""
    if principal.unit is None or principal.unit == task.source_unit:
        return task.source_unit
    held = conn.execute(_HELD, {"task": task.id, "unit": principal.unit}).first()
    if held is None:
        raise Forbidden("task_not_held", f"单位 {principal.unit} 没有已准入的该任务,不能向下转派")
    return principal.unit


def _target_units(session: Session, rt: Runtime, tenant: str, codes: list[str], source: Optional[str],
                  given: list[str]) -> list[UnitInfo]:
    units, problems = [], []
    for i, code in enumerate(codes):
        path = f"/targets/{given.index(code)}" if code in given else "/children_of"
        try:
            unit = facts.lookup_unit(session, rt, tenant, code, path)
        except Invalid as e:
            problems += e.details
            continue
        if source is not None and not unit.is_below(source):
            problems.append({"path": path, "message": f"单位 {code} 不在下派单位 {source} 之下(只能向下级下派)"})
            continue
        units.append(unit)
    if problems:
        raise Invalid("targets_invalid", f"{len(problems)} 个下派对象无效", problems)
    return units


def _kind(task_data: dict) -> Optional[str]:
    kind = task_data.get("kind")
    return kind if isinstance(kind, str) and len(kind) <= 32 else None  # longer is no kind history counts


def _decide(session: Session, rt: Runtime, principal: Principal, task_data: dict, unit: UnitInfo, src: dict,
            on: date, history: dict, filed_form_id: Optional[int], evidence: Optional[dict] = None,
            gens: Optional[tuple[int, ...]] = None) -> dict:
    """Decide for one locked target: ``{"body", "entry"}`` (the entry still to be appended), or
    ``{"error"}`` when the target's form refuses the task. ``src`` are the ``source.*`` facts
    (:func:`.facts.source_facts`); ``evidence`` (a re-decision's) is logged with the input;
    ``task_data`` already holds the facts it establishes; ``gens``, the pack generations when
    already read (:meth:`Runtime.pack_at`)."""
    resolved = rt.pack_at(session, unit.tenant, on, gens) if gens else rt.pack_for(session, unit.tenant, on)
    form = resolved.task_form
    if filed_form_id is not None and form.id != filed_form_id:
        filed = version_by_id(session, filed_form_id)
        if filed is not None and (filed.tenant, filed.name) == (form.tenant, form.name):
            form = filed  # a task stays valid under the version of the form it was filed on
    found = validation.problems(form, resolved.forms, task_data, prefix="/task", pack=resolved.pack)
    if found:
        return {"error": {"code": "form_invalid", "message": f"任务不符合 {unit.tenant} 的任务表单",
                          "details": found}}
    target = facts.unit_target(session, rt, unit, resolved.pack)
    try:
        d = decide(resolved.pack, task_data, target.facts, history, src, on)
    except Invalid as e:
        return {"error": {"code": e.code, "message": e.message, "details": e.details}}
    body = d.to_dict()
    logged_input = {"task": task_data, "source": src, "what_if": False}
    if evidence is not None:
        logged_input["evidence"] = evidence
    entry = log_append.entry(
        tenant=unit.tenant, kind="assignment", actor=principal.actor, decided_on=on.isoformat(),
        input=logged_input, target=target.text, history=history,
        pack=resolved.log_info_text, outcome=d.decision, reasons=resolved.reasons_text(d),
        requirements=body["requirements"], items=body["items"])  # the pack's parts encoded once, as a check's
    return {"body": body, "entry": entry}


# ---------------------------------------------------------------------- meeting requirements
def update_assignment(rt: Runtime, principal: Principal, tenant: str, assignment_id: int, evidence,
                      task: Optional[dict] = None, on: Optional[date] = None) -> dict:
    """Supply ``evidence`` for requirements a pending assignment waits for and decide again, at the
    server's date, on the task as filed plus the facts all its evidence so far establishes.

    ``task`` (any task field) is refused: 422 ``task_immutable`` — a changed task is a new task;
    ``on`` is refused like an assignment's (:func:`refuse_date`); evidence problems are 422
    ``invalid_evidence`` with JSON pointers (:mod:`.evidence`).
    """
    principal.require("task.assign")
    if task is not None:
        raise Invalid("task_immutable", "任务一经建立不可修改;需要改动的,请新建任务。补充条件请用 evidence",
                      [{"path": f"/task/{f}", "message": "任务字段不能修改"} for f in task]
                      or [{"path": "/task", "message": "任务字段不能修改"}])
    refuse_date(on)
    on = clock.today()
    with rt.db.write() as session:
        a = _get_assignment(session, tenant, assignment_id)
        principal.require_unit(a.source_unit, f"修改由 {a.source_unit or '未指定单位'} 发出的下派")
        rt.db.lock(session, OrgUnit.code, [a.target_unit])
        a = session.execute(select(Assignment).where(Assignment.id == a.id).with_for_update()
                            .execution_options(populate_existing=True)).scalar_one()
        if a.status != "pending":
            raise Conflict("assignment_not_pending", f"下派记录 {a.id} 的状态是 {a.status},不在等待补充条件",
                           {"status": a.status})
        rt.generations(session)  # read after the lock: the unit below is as of the latest import
        unit = rt.unit(session, a.target_unit)
        known = rt.pack_for(session, unit.tenant, on).pack.checked.linked.requirements
        evidence_rules.require_valid(evidence, [q["code"] for q in a.requirements], known, a.task_data)
        earlier = session.get(LogEntry, a.decision_id).input.get("evidence") or {}
        supplied = {**earlier, **evidence}
        task_data = {**a.task_data, **evidence_rules.facts(supplied)}
        filed_form_id, filed_from = session.execute(select(Task.form_id, Task.source_unit)
                                                    .where(Task.id == a.task_id)).one()
        src = facts.source_facts(session, rt, tenant, a.source_unit,
                                 facts.department_now(session, rt, tenant, a.task_data, filed_from))
        outcome = _decide(session, rt, principal, task_data, unit, src, on, history_facts(session, unit.code, on),
                          filed_form_id, supplied)
        if "error" in outcome:
            err = outcome["error"]
            raise Invalid(err["code"], err["message"], err["details"])
        body = outcome["body"]
        [entry] = decision_log.append_all(session, [outcome["entry"]])
        a.status, a.requirements = STATUS_OF[body["decision"]], body["requirements"]
        a.decision_id, a.decided_on, a.updated_at = entry.id, on, _now()
        session.flush()
        return {**body, "decision_id": entry.id, "status": a.status, "evidence": supplied,
                "assignment": assignment_dict(a)}


def _get_assignment(session: Session, tenant: str, assignment_id) -> Assignment:
    row = session.execute(select(Assignment).join(Task, Task.id == Assignment.task_id).where(
        Assignment.id == assignment_id, Task.tenant_code == tenant)).scalar_one_or_none() \
        if isinstance(assignment_id, int) else None
    if row is None:
        raise NotFound("assignment_not_found", f"找不到下派记录 {assignment_id}")
    return row


def read_assignment(rt: Runtime, tenant: str, assignment_id: int) -> dict:
    with rt.db.read() as session:
        return assignment_dict(_get_assignment(session, tenant, assignment_id))
