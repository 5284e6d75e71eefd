"""Admission check: decide a task for a target with no side effect but the log.

Target facts come from ``task.target_unit`` (the unit must be within the
tenant's reach) or, for what-if questions, from an explicit ``target``
object — never both: the registry's facts are not the asker's to override.
With neither, the target is unknown and the check can at best be
conditional. The pack chain is the one in force at the target's tenant on the
decision date. Every fact is gathered by :mod:`.facts`.

A check is decided at the server's date, like an assignment. A check given
another date (``on``) or an explicit ``target`` is a *what-if*: its answer and
its log entry say so (``what_if``). What-ifs are logged like any check, and
neither kind is ever history: history facts count assignments only
(:mod:`.history`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable, Optional, Union

from sqlalchemy.engine import Connection

from jiceng.dsl import clock
from jiceng.platform.decisions import append as log_append
from jiceng.platform.forms import validation
from jiceng.platform.decisions.chain import canonical, canonical_jsonable
from jiceng.platform.admission import facts
from jiceng.platform.admission.deciding import decide
from jiceng.platform.errors import Invalid
from jiceng.platform.admission.history import count_parameters, counting, facts_from
from jiceng.platform.runtime import GENERATIONS, Runtime
from jiceng.platform.auth.tokens import TOKEN_COLUMNS, Principal, Refusal, principal_from

#: what a check reads, in one statement: the generations (:meth:`Runtime.pack_at`,
#: :meth:`Runtime.see`), the target's history counts (:func:`.history.facts_from`) and, for a caller not yet authenticated,
#: its token's row (:data:`~jiceng.platform.auth.tokens.TOKEN_COLUMNS`)
_STATE = counting(*GENERATIONS)
_STATE_AND_TOKEN = counting(*GENERATIONS, *TOKEN_COLUMNS)


@dataclass(frozen=True)
class TokenToConfirm:
    """A caller whose token the check reads in its own statement (one round trip fewer): the
    token's hash, and ``confirm``, which turns what that statement found (the principal, or why
    there is none) into the caller — refusing it as the request's authorization would."""

    digest: str
    confirm: Callable[[Union[Principal, Refusal]], Principal]


@dataclass
class CheckRequest:
    task: dict
    target: Optional[dict] = None
    history: Optional[dict] = None
    on: Optional[date] = None
    explain: bool = False


def check(rt: Runtime, caller: Union[Principal, TokenToConfirm], tenant: str, req: CheckRequest) -> str:
    """The admission check of SPEC §7; appends one ``check`` entry to the decision log.

    Returns the answer as JSON text (``CheckResponseSchema``): its largest parts, the reasons
    and the target facts, are the log entry's own canonical JSON, serialised once for both.
    The database is read in one statement (:func:`read_state`: the pack and unit generations, the
    target's history and, given a :class:`TokenToConfirm`, the caller's token, confirmed before
    anything else is done); units, compiled packs and departments come from the runtime's
    caches, and a session is opened only when one of them misses. The answer is made only once
    its log entry is committed (group commit: :attr:`Runtime.check_log`, told from the start that
    an entry is on its way).
    """
    # one connection for the read and, should this check lead its batch, the log append
    with rt.check_log.expecting(), rt.db.autocommit() as conn:
        return _check(rt, conn, caller, tenant, req)


def _check(rt: Runtime, conn: Connection, caller: Union[Principal, TokenToConfirm], tenant: str,
           req: CheckRequest) -> str:
    what_if = req.target is not None or req.on is not None
    on = req.on or clock.today()
    code = req.task.get("target_unit")
    digest = caller.digest if isinstance(caller, TokenToConfirm) else None
    gens, found, counts = read_state(conn, code if isinstance(code, str) else None, on, digest)
    rt.see(gens)  # an import committed before this read is seen by every unit and department looked up below
    principal = caller.confirm(found) if isinstance(caller, TokenToConfirm) else caller
    principal.require("check")
    if req.history is not None and req.target is None:
        raise Invalid("history_not_allowed", "只有假设检查(给出 target)才能指定 history",
                      [{"path": "/history", "message": "history 由系统根据已下派任务统计"}])
    if req.target is not None and code is not None:
        message = ("不能同时给出 task.target_unit 和 target:接收单位的事实以组织单位数据为准,不由检查方改写;"
                   "假设检查请只给 target")
        raise Invalid("target_conflict", message, [{"path": "/target", "message": message}])
    with rt.db.read() as session:
        unit = None
        if code is not None:
            unit = facts.lookup_unit(session, rt, tenant, code, "/task/target_unit")
        decider = unit.tenant if unit is not None else tenant
        resolved = rt.pack_at(session, decider, on, gens)
        validation.require_valid(resolved.task_form, resolved.forms, req.task, prefix="/task", pack=resolved.pack)
        sender = req.task.get("source_unit") or principal.unit
        if principal.unit is not None:  # a unit-bound token checks in its own unit's name, or a unit's below
            named = rt.unit(session, sender)
            principal.require_unit(sender, f"以 {sender} 的名义做准入检查", named.ancestors if named else ())
        registered = facts.sending_department(session, rt, tenant, req.task, sender, prefix="/task", cached=True)
        department = facts.department_of(req.task, registered, principal.role)
        source = facts.source_facts(session, rt, tenant, sender, department)
        if unit is not None:
            target, history = facts.unit_target(session, rt, unit, resolved.pack), facts_from(counts)
        elif req.target is not None:
            target = facts.what_if_target(req.target, resolved.pack)
            history = {**facts.default_history(), **(req.history or {})}
        else:
            target, history = facts.UNKNOWN_TARGET, facts.default_history()
    d = decide(resolved.pack, req.task, target.facts, history, source, on, req.explain)
    entry = log_append.entry(
        tenant=decider, kind="check", actor=principal.actor, decided_on=on.isoformat(),
        input={"task": req.task, "source": source, "what_if": what_if},
        target=target.text, history=history, pack=resolved.log_info_text, outcome=d.decision,
        reasons=resolved.reasons_text(d), requirements=d.requirements, items=d.items)
    appended = rt.check_log.submit(entry, via=conn)
    pack = {"tenant": resolved.pack.tenant, "version": resolved.pack.version, "digest": resolved.pack.digest}
    trace = f',"trace":{canonical_jsonable(d.trace)}' if d.trace is not None else ""
    return (f'{{"decision":{canonical(d.decision)},"reasons":{entry.json_text("reasons")},'
            f'"requirements":{entry.json_text("requirements")},"pack":{canonical(pack)}{trace},'
            f'"decision_id":{appended.id},"decided_on":{canonical(on.isoformat())},'
            f'"what_if":{"true" if what_if else "false"},"unknown":{canonical_jsonable(d.unknown)},'
            f'"target":{entry.json_text("target")},"items":{entry.json_text("items")}}}\n')


def read_state(conn: Connection, unit_code: Optional[str], on: date, digest: Optional[str] = None
               ) -> tuple[tuple[int, ...], Optional[Union[Principal, Refusal]], tuple]:
    """What a check reads from the database, in one statement on the autocommit connection
    ``conn`` (:meth:`Database.autocommit`: one round trip, no BEGIN): the generations (:data:`~jiceng.platform.runtime.GENERATIONS`), what the token hashed ``digest`` stands for (None when no
    digest is given) and the history counts of the unit coded ``unit_code`` as of ``on`` (zeros
    for a unit that has no assignments or does not exist)."""
    params = count_parameters(None, on)
    params["unit"] = unit_code if unit_code is not None and len(unit_code) <= 32 else None
    n = len(GENERATIONS)
    if digest is None:
        row = conn.execute(_STATE, params).one()
        return tuple(row[:n]), None, tuple(row[n:])
    row = conn.execute(_STATE_AND_TOKEN, {**params, "h": digest}).one()
    width = n + len(TOKEN_COLUMNS)
    return tuple(row[:n]), principal_from(row[n:width]), tuple(row[width:])
