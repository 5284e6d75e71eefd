"""The assignment's transaction with fewer round trips (PostgreSQL: the lock and the read sent
together, the last write sent with its COMMIT), on SQLite and PostgreSQL: what is committed, what
is rolled back, and how errors surface."""
from __future__ import annotations

import pytest
from sqlalchemy import ARRAY, String, any_, bindparam, func, select
from sqlalchemy.exc import IntegrityError

from jiceng.platform.db.engine import Database, execute_and_commit
from jiceng.platform.db.models import Assignment, Decision, LogHead, OrgUnit
from jiceng.platform.decisions import append as log_append
from jiceng.platform.assignments.tasks import _ASSIGNMENTS
from tests.platform.hot_path.test_log_append import make


def _count(db, model) -> int:
    with db.read() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_missing_chain_head_rolls_the_whole_batch_back_even_when_committing_with_it(fresh_database):
    db = fresh_database
    with db.transaction() as conn:  # the head of changsha is now known to this process
        log_append.write_linked(conn, [make("changsha", 0)], log_append.Linked(_ASSIGNMENTS, []), commit=True)
    before = _count(db, Decision)
    with pytest.raises(log_append.NoChainHead):
        with db.transaction() as conn:
            log_append.write_linked(conn, [make("changsha", 1), make("nowhere", 2)],
                                    log_append.Linked(_ASSIGNMENTS, []), commit=True)
    assert _count(db, Decision) == before


def test_committing_with_the_last_statement_commits_it_and_a_failing_one_commits_nothing(fresh_database):
    db = fresh_database
    with db.transaction() as conn:
        [r] = log_append.write_linked(conn, [make("changsha", 0)], log_append.Linked(_ASSIGNMENTS, []),
                                      commit=True)[0]
    with db.read() as s:
        assert s.execute(select(Decision.hash).where(Decision.id == r.id)).scalar_one() == r.hash
    before = _count(db, OrgUnit)
    stmt = OrgUnit.__table__.insert().values(code=select(OrgUnit.code).limit(1).scalar_subquery(),
                                             tenant_code="changsha", name="重复", level="community")
    with pytest.raises(IntegrityError):  # SQLAlchemy's error, whichever way the statement ran
        with db.transaction() as conn:
            conn.execute(OrgUnit.__table__.update().where(OrgUnit.code == "no such unit").values(name="x"))
            execute_and_commit(conn, stmt, {})
    assert _count(db, OrgUnit) == before


def test_lock_then_read_returns_the_read_rows(fresh_database, units):
    db = fresh_database
    codes = [units.cs_communities[0], units.cs_street]
    of = (OrgUnit.code.in_(bindparam("codes", expanding=True)) if db.is_sqlite  # PostgreSQL: compiled once
          else OrgUnit.code == any_(bindparam("codes", type_=ARRAY(String))))
    read = select(OrgUnit.code, OrgUnit.level).where(of).order_by(OrgUnit.code)
    with db.transaction() as conn:
        rows = db.lock_then_read(conn, OrgUnit.code, codes, read, {"codes": codes})
    assert [tuple(r) for r in rows] == sorted([(units.cs_communities[0], "community"), (units.cs_street, "street")])
    assert _count(db, Assignment) == 0


def test_chain_heads_known_in_one_database_do_not_vouch_for_another(fresh_database):
    db = fresh_database
    with db.transaction() as conn:  # both heads now known to this engine
        log_append.write_linked(conn, [make("changsha", 0), make("hunan", 1)], log_append.Linked(_ASSIGNMENTS, []),
                                commit=True)
    with db.transaction() as conn:  # a database holding no head for hunan (as one never loaded by init)
        conn.execute(LogHead.__table__.delete().where(LogHead.tenant_code == "hunan"))
    other = Database(db.url, schema=db.schema)  # another engine: what the first one saw says nothing here
    try:
        before = _count(db, Decision)
        with pytest.raises(log_append.NoChainHead):
            with other.transaction() as conn:
                log_append.write_linked(conn, [make("changsha", 2), make("hunan", 3)],
                                        log_append.Linked(_ASSIGNMENTS, []), commit=True)
        assert _count(db, Decision) == before  # changsha's entry was not committed without hunan's
    finally:
        other.dispose()
