"""History facts (``history.*``) read from the assignments a unit already holds.

The names are those registered in :func:`jiceng.dsl.functions.default_registry`
(``history``); each known one is counted from admitted assignments up to the
decision date; any other (a plugin's) is unknown. Callers
that decide on these counts hold the target's lock (see :mod:`.assignment`).
"""
from __future__ import annotations

from datetime import date
from typing import Optional

from sqlalchemy import Select, and_, bindparam, case, func, select
from sqlalchemy.orm import Session

from jiceng.dsl.functions import default_registry

from jiceng.platform.db.models import Assignment


_COUNTED = {
    "assessments_this_year": and_(Assignment.kind == "assessment", Assignment.decided_on >= bindparam("year")),
    "inspections_this_year": and_(Assignment.kind == "inspection", Assignment.decided_on >= bindparam("year")),
    "tasks_this_month": Assignment.decided_on >= bindparam("month"),
    "plaques": Assignment.kind == "plaque",
}
_NAMES = list(_COUNTED)
_COUNTS = [func.coalesce(func.sum(case((_COUNTED[n], 1), else_=0)), 0) for n in _NAMES]
_OF_UNIT = (Assignment.target_unit == bindparam("unit"), Assignment.status == "admitted",
            Assignment.decided_on <= bindparam("on"))
_QUERY = select(*_COUNTS).where(*_OF_UNIT)
#: the same counts over whatever assignment rows a query joins to each unit (none, through an
#: outer join, counts 0): the rows' own status and date decide whether they count
COUNTS_OF_JOINED = [func.coalesce(func.sum(case((and_(Assignment.status == "admitted",
                                                      Assignment.decided_on <= bindparam("on"), _COUNTED[n]), 1),
                                                else_=0)), 0) for n in _NAMES]


def counting(*leading) -> Select:
    """One statement: ``leading`` columns, then the unit's history counts (see :func:`facts_from`).

    The admission check reads the pack generations this way, in the same round trip.
    """
    return select(*leading, *_COUNTS).where(*_OF_UNIT)


def count_parameters(unit_code: Optional[str], on: date) -> dict:
    """The parameters of :data:`_QUERY`, of :func:`counting` statements and of
    :data:`COUNTS_OF_JOINED` (which takes no unit)."""
    params = {"on": on, "year": date(on.year, 1, 1), "month": date(on.year, on.month, 1)}
    if unit_code is not None:
        params["unit"] = unit_code
    return params


def facts_from(counts) -> dict:
    """Every registered history fact: the counts (in :func:`counting`'s order); a fact the log
    cannot count (a plugin's) is unknown (None), never its default: a rule that reads it waits
    for information rather than admitting on a guess."""
    registered = default_registry().history
    values = {name: None for name in registered}
    values.update({n: int(v) for n, v in zip(_NAMES, counts) if n in registered})
    return values


def history_facts(session: Session, unit_code: str, on: date) -> dict:
    """Every registered history fact for the unit as of ``on`` (one query)."""
    return facts_from(session.connection().execute(_QUERY, count_parameters(unit_code, on)).one())
