"""History facts count over calendar windows whose both ends are included.

``assessments_this_year`` as of a date counts the unit's admitted assessments from
1 January of that date's year up to and including the date: an assessment on
1 January counts, one on 31 December counts until the year ends, and the
previous year's 31 December never does. ``tasks_this_month`` likewise from the
first of the month. Every reading path is checked: :func:`history_facts` (one
unit), :func:`counting` (the admission check's statement) and
:data:`COUNTS_OF_JOINED` (assignment, over several units at once).
"""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import and_, select

from jiceng.platform.admission.history import (COUNTS_OF_JOINED, count_parameters, counting, facts_from,
                                               history_facts)
from jiceng.platform.db.models import Assignment, OrgUnit, Task
from jiceng.platform.decisions import append as log_append
from jiceng.platform.decisions.log import append_all

#: communities of changsha in tests/platform/fixtures/tenants (conftest's ``units.cs_communities``)
UNIT, OTHER, EMPTY = "430102001001", "430102001002", "430102001003"
COUNTED = ("assessments_this_year", "inspections_this_year", "tasks_this_month", "plaques")

#: (unit, kind, status, decided_on)
ROWS = [
    (UNIT, "assessment", "admitted", date(2023, 12, 31)),
    (UNIT, "assessment", "admitted", date(2024, 1, 1)),
    (UNIT, "assessment", "admitted", date(2024, 1, 2)),
    (UNIT, "assessment", "admitted", date(2024, 6, 15)),
    (UNIT, "assessment", "admitted", date(2024, 12, 31)),
    (UNIT, "assessment", "admitted", date(2025, 1, 1)),
    (UNIT, "assessment", "pending", date(2024, 1, 1)),
    (UNIT, "assessment", "rejected", date(2024, 12, 31)),
    (UNIT, "inspection", "admitted", date(2023, 12, 31)),
    (UNIT, "inspection", "admitted", date(2024, 1, 1)),
    (UNIT, "inspection", "admitted", date(2024, 12, 31)),
    (UNIT, "report", "admitted", date(2024, 2, 29)),
    (UNIT, "report", "admitted", date(2024, 3, 1)),
    (UNIT, "report", "admitted", date(2024, 3, 31)),
    (UNIT, "plaque", "admitted", date(2020, 5, 1)),
    (UNIT, "plaque", "admitted", date(2024, 1, 1)),
    (OTHER, "assessment", "admitted", date(2024, 1, 1)),
]

#: the decision dates around every edge of the rows above
DATES = [date(2023, 12, 30), date(2023, 12, 31), date(2024, 1, 1), date(2024, 1, 2), date(2024, 2, 28),
         date(2024, 2, 29), date(2024, 3, 1), date(2024, 3, 30), date(2024, 3, 31), date(2024, 4, 1),
         date(2024, 6, 14), date(2024, 6, 15), date(2024, 12, 30), date(2024, 12, 31), date(2025, 1, 1),
         date(2025, 1, 2)]


def expected(unit: str, on: date) -> dict:
    """The windows as the specification states them, counted over :data:`ROWS` in Python."""
    mine = [(kind, d) for u, kind, status, d in ROWS if u == unit and status == "admitted" and d <= on]
    year, month = date(on.year, 1, 1), date(on.year, on.month, 1)
    return {"assessments_this_year": sum(1 for k, d in mine if k == "assessment" and year <= d),
            "inspections_this_year": sum(1 for k, d in mine if k == "inspection" and year <= d),
            "tasks_this_month": sum(1 for _k, d in mine if month <= d),
            "plaques": sum(1 for k, _d in mine if k == "plaque")}


@pytest.fixture(scope="module")
def db(database):
    """The module's database with :data:`ROWS` as assignments (each on a task of its own)."""
    now = datetime.now(timezone.utc)
    e = log_append.entry(tenant="changsha", kind="assignment", actor="test", decided_on="2024-01-01", input={},
                         target={}, history={}, pack={"tenant": "changsha"}, outcome="admit", reasons=[],
                         requirements=[])
    with database.write() as s:
        [logged] = append_all(s, [e])
        for unit, kind, status, on in ROWS:
            task = Task(tenant_code="changsha", data={"title": kind, "kind": kind}, source_unit=None,
                        created_by="test", created_at=now)
            s.add(task)
            s.flush()
            s.add(Assignment(task_id=task.id, tenant_code="changsha", target_unit=unit, source_unit=None,
                             status=status, kind=kind, task_data=task.data, requirements=[],
                             decision_id=logged.id, decided_on=on, created_by="test", created_at=now,
                             updated_at=now))
    return database


def counted(facts: dict) -> dict:
    return {k: facts[k] for k in COUNTED}


# ----------------------------------------------------------------------- the edges, spelt out
def test_an_assessment_on_1_january_counts_from_that_day(db):
    with db.read() as s:
        assert history_facts(s, UNIT, date(2024, 1, 1))["assessments_this_year"] == 1
        assert history_facts(s, UNIT, date(2024, 1, 2))["assessments_this_year"] == 2
        assert history_facts(s, OTHER, date(2024, 1, 1))["assessments_this_year"] == 1
        assert history_facts(s, OTHER, date(2024, 12, 31))["assessments_this_year"] == 1
        assert history_facts(s, UNIT, date(2024, 1, 1))["inspections_this_year"] == 1


def test_an_assessment_on_31_december_counts_to_the_end_of_its_year(db):
    with db.read() as s:
        assert history_facts(s, UNIT, date(2024, 12, 30))["assessments_this_year"] == 3
        assert history_facts(s, UNIT, date(2024, 12, 31))["assessments_this_year"] == 4
        assert history_facts(s, UNIT, date(2023, 12, 31))["assessments_this_year"] == 1
        assert history_facts(s, UNIT, date(2024, 12, 31))["inspections_this_year"] == 2


def test_the_previous_years_31_december_is_not_counted(db):
    with db.read() as s:
        assert history_facts(s, UNIT, date(2024, 1, 1))["assessments_this_year"] == 1  # not 2023-12-31's
        assert history_facts(s, UNIT, date(2025, 1, 1))["assessments_this_year"] == 1  # only 2025-01-01
        assert history_facts(s, UNIT, date(2025, 1, 2))["assessments_this_year"] == 1
        assert history_facts(s, UNIT, date(2025, 1, 1))["inspections_this_year"] == 0
        assert history_facts(s, UNIT, date(2023, 12, 30))["assessments_this_year"] == 0


def test_the_month_runs_from_its_first_day_to_the_decision_date(db):
    with db.read() as s:
        assert history_facts(s, UNIT, date(2024, 2, 29))["tasks_this_month"] == 1
        assert history_facts(s, UNIT, date(2024, 3, 1))["tasks_this_month"] == 1  # not 29 February's
        assert history_facts(s, UNIT, date(2024, 3, 31))["tasks_this_month"] == 2
        assert history_facts(s, UNIT, date(2024, 4, 1))["tasks_this_month"] == 0
        assert history_facts(s, UNIT, date(2024, 1, 1))["tasks_this_month"] == 3  # assessment, inspection, plaque


def test_pending_and_rejected_assignments_never_count(db):
    with db.read() as s:
        facts = history_facts(s, UNIT, date(2024, 12, 31))
    assert facts["assessments_this_year"] == 4  # not the pending 1 January nor the rejected 31 December


# ----------------------------------------------------------------------- every path, every edge
@pytest.mark.parametrize("on", DATES, ids=str)
def test_one_unit_counts_match_the_windows(db, on):
    with db.read() as s:
        assert counted(history_facts(s, UNIT, on)) == expected(UNIT, on)
        assert counted(history_facts(s, OTHER, on)) == expected(OTHER, on)


@pytest.mark.parametrize("on", DATES, ids=str)
def test_the_admission_checks_statement_counts_the_same(db, on):
    with db.read() as s:
        row = s.connection().execute(counting(), count_parameters(UNIT, on)).one()
    assert counted(facts_from(row)) == expected(UNIT, on)


@pytest.mark.parametrize("on", DATES, ids=str)
def test_the_assignment_statement_counts_the_same_over_several_units(db, on):
    query = (select(OrgUnit.code, *COUNTS_OF_JOINED)
             .select_from(OrgUnit).outerjoin(Assignment, and_(Assignment.target_unit == OrgUnit.code))
             .where(OrgUnit.code.in_([UNIT, OTHER, EMPTY])).group_by(OrgUnit.code))
    with db.read() as s:
        rows = {code: counted(facts_from(counts))
                for code, *counts in s.connection().execute(query, count_parameters(None, on))}
    assert rows == {u: expected(u, on) for u in (UNIT, OTHER, EMPTY)}
