"""Reading units as columns (services/unit_columns.py) on SQLite and PostgreSQL: rows in the
order of the codes as text (a prefix first), parents as row indexes, missing values masked,
floats exact; codes that are not plain numbers (letters, a leading zero) read as text."""
from __future__ import annotations

import numpy as np
import pytest

from jiceng.dsl.columnar import UnitTable
from jiceng.dsl.types import LEVEL_RANK, LEVELS
from jiceng.platform.units.columns import UnitColumns, load_units
from jiceng.platform.units.store import insert_units

TENANT = "zhuzhou"  # a tenant of the platform fixtures; its own units are replaced here


def _load(db, rows):
    with db.write() as session:
        session.connection().exec_driver_sql(f"DELETE FROM org_units WHERE tenant_code = '{TENANT}'")
        insert_units(session, [(code, TENANT, parent, level, f"单位{code}", None, urban, households, None, None, area)
                               for code, parent, level, urban, households, area in rows])
    return load_units(db, [TENANT], ["urban_population", "households", "facility_area_m2"], ["name"])


def _check(units, rows):
    codes = [r[0] for r in rows]
    assert units.code_list(range(units.size)) == sorted(codes)
    by_code = {r[0]: r for r in rows}
    table = units.table
    for i, code in enumerate(units.code_list(range(units.size))):
        _c, parent, level, urban, households, area = by_code[code]
        p = table.parent[i]
        assert (units.code_list([p])[0] if p >= 0 else None) == (parent if parent in by_code else None)
        assert table.texts["level"][1][table.texts["level"][0][i]] == level
        for column, want in (("urban_population", urban), ("households", households), ("facility_area_m2", area)):
            data, valid = table.numbers[column]
            present = True if valid is None else bool(valid[i])
            assert present == (want is not None) and (want is None or data[i] == want), (code, column)
        names, cats = table.texts["name"]
        assert cats[names[i]] == f"单位{code}"


DIGITS = [("430299000000", None, "county", 100, 40, 0.1 + 0.2),
          ("430299001000", "430299000000", "street", 90, 30, 1200.5),
          ("430299001001", "430299001000", "community", None, 20, None),
          ("430299001001001", "430299001001", "grid", 7, 8, 0.0),
          ("430299001001002", "430299001001", "grid", 5, None, 3.25),
          ("430298000000", "430100000000", "county", 1, 1, 1e-7)]  # its parent is another tenant's


def test_digit_codes_travel_as_integers_in_text_order(fresh_database):
    units = _load(fresh_database, DIGITS)
    assert units.codes.dtype == np.int64
    _check(units, DIGITS)
    assert units.row_of("430299001001001") == sorted(r[0] for r in DIGITS).index("430299001001001")
    assert units.row_of("0430") is None and units.row_of("430299999999") is None


@pytest.mark.parametrize("odd", ["C-430299001001", "0430299001001", "４３０"])
def test_other_codes_are_read_as_text(fresh_database, odd):
    rows = DIGITS[:2] + [(odd, "430299001000", "community", 3, 4, 5.5), ("430299001001001", odd, "grid", 1, 2, 3.0)]
    units = _load(fresh_database, rows)
    assert units.codes.dtype == object
    _check(units, rows)
    assert units.row_of(odd) == sorted(r[0] for r in rows).index(odd)


def test_ancestors_at_a_level(fresh_database):
    units = _load(fresh_database, DIGITS)
    streets = units.ancestors_at(("street", "township"))
    found = {code: (units.code_list([a])[0] if a >= 0 else None)
             for code, a in zip(units.code_list(range(units.size)), streets)}
    assert found == {"430298000000": None, "430299000000": None, "430299001000": None,
                     "430299001001": "430299001000", "430299001001001": "430299001000",
                     "430299001001002": "430299001000"}


def test_codes_read_in_text_order_are_kept_as_they_are_and_others_are_sorted():
    from jiceng.platform.units.columns import _code_order
    assert _code_order(np.array([43, 430, 4301, 44, 440001]), True) is None  # a prefix first, then by text
    assert _code_order(np.array([430, 43, 4301, 44]), True).tolist() == [1, 0, 2, 3]
    assert _code_order(np.array([44, 4301]), True).tolist() == [1, 0]
    assert _code_order(np.array([7, 7]), True) is not None  # not strictly in order: sorted, not trusted


def test_units_assembled_from_rows_in_any_order_are_the_same():
    from jiceng.platform.units.columns import _assemble
    rng = np.random.default_rng(7)
    codes = np.array(sorted([430100000000, 430102000000, 430102001000, 430102001001, 430102001001001,
                             430102001002, 430103000000, 4301, 43], key=str), dtype=np.int64)
    parents = np.array([-(2**63), 43, 4301, 430100000000, 430102000000, 430102001000, 430102001001,
                        430102001000, 430100000000], dtype=np.int64)
    raw = {"code": codes, "parent": parents, "level": np.arange(len(codes)) % 7, "tenant": np.zeros(len(codes)),
           "households": rng.random(len(codes)), "size": len(codes)}
    shuffle = rng.permutation(len(codes))
    ordered = _assemble(dict(raw), ["t"], ["households"], [], True)
    shuffled = _assemble({k: (v[shuffle] if isinstance(v, np.ndarray) else v) for k, v in raw.items()},
                         ["t"], ["households"], [], True)
    assert ordered.codes.tolist() == shuffled.codes.tolist() == codes.tolist()
    assert ordered.table.parent.tolist() == shuffled.table.parent.tolist()
    assert ordered.table.parent.tolist()[:3] == [-1, 0, 1]  # 43 has no parent row, 4301's is 43, …
    assert np.array_equal(ordered.table.numbers["households"][0], shuffled.table.numbers["households"][0])
    assert np.array_equal(ordered.table.texts["level"][0], shuffled.table.texts["level"][0])


def _random_tree(rng, size: int, ranked: bool):
    """UnitColumns of a random forest in shuffled row order: each unit's parent an earlier unit
    of a higher rank (``ranked``), or any earlier unit (a level may then sit under a lower one)."""
    levels = sorted(rng.integers(0, len(LEVELS), size), key=lambda i: LEVEL_RANK[LEVELS[i]]) if ranked \
        else list(rng.integers(0, len(LEVELS), size))
    parent = np.full(size, -1, dtype=np.int64)
    for i in range(1, size):
        above = [j for j in range(i) if not ranked or LEVEL_RANK[LEVELS[levels[j]]] < LEVEL_RANK[LEVELS[levels[i]]]]
        if above and rng.random() < 0.9:
            parent[i] = rng.choice(above)
    shuffle = rng.permutation(size)  # rows in any order: parents need not come first
    where = np.empty(size, dtype=np.int64)
    where[shuffle] = np.arange(size)
    table = UnitTable(np.where(parent[shuffle] >= 0, where[np.maximum(parent[shuffle], 0)], -1))
    table.texts["level"] = (np.array(levels, dtype=np.int32)[shuffle], tuple(LEVELS))
    return UnitColumns(table, np.arange(1, size + 1, dtype=np.int64), ("t",), np.zeros(size, dtype=np.int16))


def _nearest(units, row: int, levels) -> int:
    cur = units.table.parent[row]
    while cur >= 0 and LEVELS[units.levels()[cur]] not in levels:
        cur = units.table.parent[cur]
    return int(cur)


@pytest.mark.parametrize("ranked", [True, False])
@pytest.mark.parametrize("seed", range(4))
def test_ancestors_and_groups_are_those_of_a_walk_up_from_each_unit(ranked, seed):
    """Down the ranks (every parent above its child, as imports check) or walking up (any tree),
    each unit's nearest ancestor at the levels is the one a walk up its parents meets first."""
    rng = np.random.default_rng(seed)
    units = _random_tree(rng, 120, ranked)
    if ranked:
        assert units._rank_steps() is not None
    for levels in (("street", "township"), ("county",), ("city",), ("community", "village"), ("province",)):
        found = units.ancestors_at(levels)
        assert found.tolist() == [_nearest(units, r, levels) for r in range(units.size)], levels
        rows, group_of = units.groups_at(levels)
        assert rows.tolist() == [r for r in range(units.size) if LEVELS[units.levels()[r]] in levels]
        assert [int(rows[g]) if g < len(rows) else -1 for g in group_of] == found.tolist()


def test_a_tree_against_the_ranks_is_walked_up():
    units = _random_tree(np.random.default_rng(1), 60, ranked=True)
    level_codes = units.table.texts["level"][0]
    child = int(np.flatnonzero(units.table.parent >= 0)[0])
    level_codes[units.table.parent[child]] = LEVELS.index("grid")  # a grid above a unit
    assert units._rank_steps() is None
    levels = ("street", "township")
    assert units.ancestors_at(levels).tolist() == [_nearest(units, r, levels) for r in range(units.size)]
