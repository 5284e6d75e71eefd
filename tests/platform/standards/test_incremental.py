"""Standards kept in memory after a unit import: only the counties the import changed are read and
evaluated again (``run.evaluated``, ``run.refreshed``), every other unit's result is kept as it
was, and the outcome equals a whole evaluation from scratch (a differential check) — on SQLite
and PostgreSQL, whichever process imported (the change log is in the database)."""
from __future__ import annotations

import numpy as np
import pytest

from jiceng.platform.runtime import Runtime
from jiceng.platform.tenants.bootstrap import run_init
from jiceng.platform.units.importer import import_units
from jiceng.platform.units.standards import run_standards

from .conftest import DEMO, REPO, base

TENANT = "changsha"
HEADER = "code,parent,level,name,population,urban_population,households,workers,grid_workers,facility_area_m2\n"
UNDERSTAFFED = "430102001001,430102001000,community,兴隆社区,6480,6480,2426,{workers},6,1560\n"
FURONG = "430102000000"  # 芙蓉区, the county of DEMO["understaffed"]


@pytest.fixture(params=base.BACKENDS)
def db(request, tmp_path):
    with base.new_database(request.param, tmp_path) as database:
        assert run_init(database, REPO).ok
        yield database


def by_code(run) -> dict:
    """Each evaluated unit's status, failed expectations and measures, by code."""
    codes = run.units.code_list(run.rows)
    rows = run.row_dicts(range(len(run.rows)), {})
    return {c: (r["status"], r.get("failed_expectations"), r.get("measures")) for c, r in zip(codes, rows)}


def county_of(run) -> dict:
    anc = run.units.ancestors_at(("county",))
    codes = run.units.code_list(run.rows)
    return {c: (run.units.code_list([a])[0] if a >= 0 else None) for c, a in zip(codes, anc[run.rows].tolist())}


def ancestors(run, code: str) -> list[str]:
    out, row = [], run.units.table.parent[run.units.row_of(code)]
    while row >= 0:
        out.append(run.units.code_list([row])[0])
        row = run.units.table.parent[row]
    return out


def test_an_import_in_one_county_evaluates_that_county_again_and_nothing_else(db):
    rt = Runtime(db)
    before = {r.info.name: r for r in run_standards(rt, TENANT)}
    assert all(r.evaluated == len(r.rows) and r.refreshed == () for r in before.values())
    staffing = before["社区工作者配备"]
    assert by_code(staffing)[DEMO["understaffed"]][0] == "failing"
    scopes = {name: r.scope() for name, r in before.items()}
    sums_before = {name: r.sums(scopes[name]) for name, r in before.items()}  # and what they keep to add up

    import_units(Runtime(db), TENANT, (HEADER + UNDERSTAFFED.format(workers=60)).encode(), "one.csv")  # another process
    after = {r.info.name: r for r in run_standards(rt, TENANT)}

    fresh = {r.info.name: r for r in run_standards(Runtime(db), TENANT)}
    assert by_code(after["社区工作者配备"])[DEMO["understaffed"]][0] == "compliant"
    for name, run in after.items():
        # the rows are where they were: a scope taken before the import selects the same units,
        # and its sums are the new ones (nothing the run kept for it before the import is used)
        assert run.sums(scopes[name]) == fresh[name].sums(fresh[name].scope()), name
        assert run.refreshed == (FURONG,), name
        counties = county_of(run)
        inside = [c for c, county in counties.items() if county == FURONG or c == FURONG]
        above = [c for c in counties if c in ancestors(run, FURONG)]
        assert run.evaluated == len(inside) + len(above) < len(run.rows), name
        old, new = by_code(before[name]), by_code(run)
        assert {c: v for c, v in new.items() if c not in inside + above} == \
            {c: v for c, v in old.items() if c not in inside + above}, name
        assert new == by_code(fresh[name]), name  # the same as evaluating everything again
        for tier in ("street", "county"):  # sums and totals too: nothing kept from before the import
            assert run.totals(tier, run.scope()) == fresh[name].totals(tier, fresh[name].scope()), (name, tier)
        assert run.sums(run.scope()) == fresh[name].sums(fresh[name].scope()), name
        assert fresh[name].evaluated == len(fresh[name].rows)
    assert after["社区工作者配备"].sums(after["社区工作者配备"].scope()) != sums_before["社区工作者配备"]


def test_nothing_changed_evaluates_nothing_and_a_new_unit_reads_everything(db):
    rt = Runtime(db)
    first = run_standards(rt, TENANT)
    again = run_standards(rt, TENANT)
    assert [a is b for a, b in zip(first, again)] == [True] * len(first)
    new = "430102001001099,430102001001,grid,新网格,100,100,350,0,1,0\n"
    import_units(rt, TENANT, (HEADER + new).encode(), "new.csv")
    grown = run_standards(rt, TENANT)
    for run in grown:
        assert run.refreshed == () and run.evaluated == len(run.rows)
    grids = next(r for r in grown if "430102001001099" in r.units.code_list(r.rows))
    assert grids.units.size == first[0].units.size + 1
    assert np.array_equal(grids.units.table.parent, run_standards(Runtime(db), TENANT)[0].units.table.parent)
