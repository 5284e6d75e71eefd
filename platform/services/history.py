"""History facts (``history.*``) read from the assignments a unit already holds.

The names are those registered in :func:`jiceng.dsl.functions.default_registry`
(``history``); each known one is counted from admitted assignments up to the
decision date, any other (a plugin's) takes its registered default. Callers
that decide on these counts hold the target's lock (see :mod:`.assignment`).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from jiceng.dsl.functions import default_registry

from ..db.models import Assignment


def _window(on: date) -> dict:
    return {"year": date(on.year, 1, 1), "month": date(on.year, on.month, 1)}


def _conditions(on: date) -> dict:
    w = _window(on)
    in_year = Assignment.decided_on >= w["year"]
    return {
        "assessments_this_year": and_(Assignment.kind == "assessment", in_year),
        "inspections_this_year": and_(Assignment.kind == "inspection", in_year),
        "tasks_this_month": Assignment.decided_on >= w["month"],
        "plaques": Assignment.kind == "plaque",
    }


def history_facts(session: Session, unit_code: str, on: date) -> dict:
    """Every registered history fact for the unit as of ``on`` (one query)."""
    registered = default_registry().history
    conds = _conditions(on)
    counted = [name for name in registered if name in conds]
    values = {name: fact.default for name, fact in registered.items()}
    if counted:
        cols = [func.coalesce(func.sum(case((conds[n], 1), else_=0)), 0) for n in counted]
        row = session.execute(select(*cols).where(Assignment.target_unit == unit_code,
                                                  Assignment.status == "admitted",
                                                  Assignment.decided_on <= on)).one()
        values.update({n: int(v) for n, v in zip(counted, row)})
    return values
